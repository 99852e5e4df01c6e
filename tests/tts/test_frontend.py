"""The TTS front end: normalization, ARPAbet tokens with pauses, and errors that name what cannot be read."""

from __future__ import annotations

import pytest

from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import Lexicon
from speechkit.tts.frontend import Frontend, cardinal, normalize, ordinal, split_sentences, year


def words(text: str) -> str:
    return " ".join(normalize(text).split())


def test_numbers() -> None:
    assert cardinal(0) == "zero" and cardinal(40) == "forty" and cardinal(115) == "one hundred fifteen"
    assert cardinal(1_002_030) == "one million two thousand thirty"
    assert ordinal(1) == "first" and ordinal(12) == "twelfth" and ordinal(20) == "twentieth"
    assert ordinal(103) == "one hundred third"
    assert year(1666) == "sixteen sixty six" and year(1900) == "nineteen hundred" and year(1905) == "nineteen oh five"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("In 1666 a great fire", "in sixteen sixty six a great fire"),  # as LJSpeech's normalized column reads it
        ("in 2005, 1,500 men", "in two thousand five , one thousand five hundred men"),
        ("Mr. and Mrs. Smith of St. Louis", "mister and missus smith of saint louis"),
        ("He paid $3.50, then $1.", "he paid three dollars fifty cents , then one dollar ."),
        ("£2 or $0.01", "two pounds or one cent"),
        ("the 21st and 3rd of 5", "the twenty first and third of five"),
        ("3.25% & 7 + 2", "three point two five percent and seven plus two"),
        ("No. 9, Café “naïve”", "number nine , cafe \"naive\""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert words(text) == expected


def test_tokens_pauses_and_edge_silence() -> None:
    fe = Frontend()
    assert fe("Hello, world.") == ["sil", "HH", "AH0", "L", "OW1", "sil", "W", "ER1", "L", "D", "sil"]
    assert fe('"Well... (yes)" -- no') == fe("well, yes, no")  # punctuation runs are one pause; quotes silent
    plain = Frontend(stress=False, leading_sil=False, trailing_sil=False)
    assert plain("Hello, world.") == ["HH", "AH", "L", "OW", "sil", "W", "ER", "L", "D"]
    assert Frontend(leading_sil=True, trailing_sil=False)("hello")[0] == "sil"


@pytest.mark.parametrize(("text", "named"), [("a @ b", "'@'"), ("hello 世界", "'世'"), ("x # y ~ #", "'~'")])
def test_unknown_characters_are_named(text: str, named: str) -> None:
    with pytest.raises(SpeechkitError, match="cannot read character") as err:
        Frontend()(text)
    assert named in str(err.value) and text in str(err.value)


def test_empty_text_and_unreadable_word_are_errors() -> None:
    with pytest.raises(SpeechkitError, match="no words"):
        Frontend()("... !")

    def no_g2p(word: str) -> list[str]:
        raise SpeechkitError(None, f"no pronunciation for word {word!r}")

    fe = Frontend(lexicon=Lexicon({"hello": [["HH", "AH0", "L", "OW1"]]}, g2p=no_g2p))
    assert fe("hello") == ["sil", "HH", "AH0", "L", "OW1", "sil"]
    with pytest.raises(SpeechkitError, match="'zyzzx'"):
        fe("hello zyzzx")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith paid $3.50 on 12/05/2024", "doctor smith paid three dollars fifty cents on december fifth, "
                                               "twenty twenty four"),
        ("Jan. and Sept. and Dec.", "january and september and december"),
        ("it fell to -5, then -12.5", "it fell to minus five , then minus twelve point five"),
        ("the 1990s, the 1900s, the '60s and 80s", "the nineteen nineties , the nineteen hundreds , the sixties "
                                                  "and eighties"),
        ("pages 10-12 on 2/30/1999", "pages ten - twelve on two thirty nineteen ninety nine"),  # no 30 February
    ],
)  # fmt: skip
def test_dates_months_negatives_and_decades(text: str, expected: str) -> None:
    assert words(text) == expected


def test_long_text_splits_into_bounded_sentences_and_normalizes_once() -> None:
    text = "Dr. Smith left at 5 p.m. He paid $3.50! Why?\n\nA new paragraph ... " + "word, " * 50 + "end."
    pieces = split_sentences(text, max_words=20)
    assert pieces[:3] == ["doctor smith left at five p.m.", "he paid three dollars fifty cents !", "why?"]
    assert all(len(p.split()) <= 20 for p in pieces) and pieces[-1].endswith("end.")
    assert " ".join(" ".join(pieces).split()) == " ".join(normalize(text).split())  # nothing lost or added
    assert all(normalize(p) == p for p in pieces)  # the front end reads them again as they are
    assert split_sentences("... !") == []
