"""The TTS front end: normalization, ARPAbet tokens with pauses, and errors that name what cannot be read."""

from __future__ import annotations

import pytest

from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import Lexicon
from speechkit.tts.frontend import Frontend, cardinal, normalize, ordinal, year


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
