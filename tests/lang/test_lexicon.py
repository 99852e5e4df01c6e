"""Lexicon lookup, lexicon.txt round trip and the eSpeak G2P fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

import speechkit.lang.g2p as g2p_module
from speechkit.errors import SpeechkitError
from speechkit.lang.g2p import g2p
from speechkit.lang.lexicon import Lexicon, phone_set, strip_stress

# common words (the mini FSC vocabulary) whose G2P reading should agree with CMUdict
FSC_WORDS = (
    "turn on the lights in kitchen bring me my shoes increase volume decrease heat bathroom language music "
    "newspaper socks washroom bedroom lamp switch off play pause stop wait"
).split()


@pytest.fixture(scope="module")
def cmudict() -> Lexicon:
    return Lexicon.cmudict()


def test_lookup_keeps_or_strips_stress_and_order(cmudict: Lexicon) -> None:
    assert cmudict.lookup("hello") == [["HH", "AH0", "L", "OW1"], ["HH", "EH0", "L", "OW1"]]
    assert cmudict.lookup("hello", stress=False) == [["HH", "AH", "L", "OW"], ["HH", "EH", "L", "OW"]]
    assert "hello" in cmudict and not cmudict.guessed


def test_stripping_stress_merges_pronunciations_that_differ_only_in_stress() -> None:
    lex = Lexicon({"record": [["R", "EH1", "K", "ER0", "D"], ["R", "EH0", "K", "ER0", "D"]]})
    assert lex.lookup("record", stress=False) == [["R", "EH", "K", "ER", "D"]]
    assert strip_stress(["AY2", "ZH", "ER0"]) == ["AY", "ZH", "ER"]


def test_oov_words_go_to_g2p_once_and_are_recorded() -> None:
    calls: list[str] = []

    def fake_g2p(word: str) -> list[str]:
        calls.append(word)
        return ["B", "L", "AO1", "R", "P"]

    lex = Lexicon({"a": [["AH0"]]}, g2p=fake_g2p)
    assert lex.lookup("blorp", stress=False) == [["B", "L", "AO", "R", "P"]]
    assert lex.lookup("blorp") == [["B", "L", "AO1", "R", "P"]]
    assert calls == ["blorp"] and lex.guessed == {"blorp": ["B", "L", "AO1", "R", "P"]}
    assert "blorp" not in lex and len(lex) == 1


def test_g2p_reads_made_up_words_as_arpabet() -> None:
    for word in ("blorpington", "zyxquor", "speechkit's"):
        phones = g2p(word)
        assert phones and set(strip_stress(phones)) <= set(phone_set())
        assert set(phones) <= set(phone_set(stress=True))
    assert g2p("blorpington") == ["B", "L", "AO1", "R", "P", "IH0", "NG", "T", "AH0", "N"]


def test_g2p_agrees_with_cmudict_on_common_words(cmudict: Lexicon) -> None:
    """Parity with the reference: eSpeak's reading, mapped to ARPAbet, is one of CMUdict's for most words."""
    hits = sum(strip_stress(g2p(w)) in cmudict.lookup(w, stress=False) for w in FSC_WORDS)
    assert hits >= 0.85 * len(FSC_WORDS)


def test_g2p_refuses_digits_and_unmapped_phonemes(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SpeechkitError, match="'1984' has digits"):
        g2p("1984")

    class Engine:
        def phonemize(self, text: str, voice: object) -> list[str]:
            return ["b", "Q!"]

    monkeypatch.setattr(g2p_module, "engine", Engine)
    with pytest.raises(SpeechkitError, match="'blorp'.*'Q!'"):
        g2p("blorp")


def test_lexicon_txt_round_trip_sorts_words_and_keeps_pronunciation_order(tmp_path: Path) -> None:
    entries = {"zoo": [["Z", "UW1"]], "Zed": [["Z", "EH1", "D"]], "a": [["AH0"], ["EY1"]], "ab": [["AE1", "B"]]}
    path = tmp_path / "lexicon.txt"
    Lexicon(entries).write(path)
    assert path.read_text() == "Zed Z EH1 D\na AH0\na EY1\nab AE1 B\nzoo Z UW1\n"
    back = Lexicon.read(path)
    assert {w: back.lookup(w) for w in entries} == entries and len(back) == 4


def test_reading_a_broken_lexicon_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.txt"
    path.write_text("a AH0\nhello\n")
    with pytest.raises(SpeechkitError, match=r"lexicon.txt: line 2 \(word 'hello'\) has no phones"):
        Lexicon.read(path)
    with pytest.raises(SpeechkitError, match="not found"):
        Lexicon.read(tmp_path / "missing.txt")
