"""`prep lang` end to end: lexicon with G2P for OOV words, token lists, BPE, and its CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import Lexicon
from speechkit.lang.prepare import prepare_lang, text2phones
from speechkit.lang.tokens import BpeTokenizer, TokenList
from speechkit.utils.atomic import OWNED

TRAIN = {
    "spk1-001": "turn on the lights in the kitchen",
    "spk1-002": "bring me my shoes",
    "spk2-003": "turn off the blorpington",
    "spk2-004": "increase the volume",
}
FILES = ("lexicon.txt", "oov.txt", "phones.txt", "bpe.model", "bpe.vocab", "bpe_tokens.txt", "words.txt")


def write_text(data: Path, utts: dict[str, str]) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    (data / "text").write_text("".join(f"{utt} {text}\n" for utt, text in utts.items()))
    return data / "text"


def test_prepare_lang_writes_a_consistent_lang_dir(tmp_path: Path) -> None:
    train = write_text(tmp_path / "train", TRAIN)
    test = write_text(tmp_path / "test", {"spk3-005": "switch the zorblax off"})
    summary = prepare_lang(train, tmp_path / "lang", bpe_size=5000, extra_texts=[test])
    lang = tmp_path / "lang"
    assert sorted(p.name for p in lang.iterdir()) == sorted([*FILES, OWNED])
    assert summary.words == 16 and summary.phones == 39 and sorted(summary.oov) == ["blorpington", "zorblax"]
    assert summary.bpe_requested == 5000 and summary.bpe_size < 5000 and "does not fit" in summary.bpe_note
    assert (lang / "oov.txt").read_text().startswith("blorpington B L AO R P IH NG T AH N\n")

    lexicon, phones = Lexicon.read(lang / "lexicon.txt"), TokenList.read(lang / "phones.txt")
    assert len(lexicon) == 16 and "zorblax" in lexicon
    for text in [*TRAIN.values(), "switch the zorblax off"]:
        assert phones.encode(text2phones(text, lexicon))  # every phone of the lexicon is a token
    assert text2phones("the lights", lexicon)[:2] == ["DH", "AH"]

    bpe = BpeTokenizer(lang / "bpe.model")
    assert len(bpe) == summary.bpe_size + 1 == len(TokenList.read(lang / "bpe_tokens.txt"))
    assert bpe.decode(bpe.encode(TRAIN["spk1-001"])) == TRAIN["spk1-001"]
    prepare_lang(train, tmp_path / "lang_train_only", bpe_size=5000)
    assert (lang / "bpe.model").read_bytes() == (tmp_path / "lang_train_only" / "bpe.model").read_bytes()
    words = TokenList.read(lang / "words.txt")
    assert words.symbols[0] == "<eps>" and words.symbols[-3:] == ["#0", "<s>", "</s>"] and len(words) == 16 + 4


def test_prepare_lang_is_deterministic_and_replaces_its_output(tmp_path: Path) -> None:
    train = write_text(tmp_path / "train", TRAIN)
    prepare_lang(train, tmp_path / "a", bpe_size=30, bpe_type="unigram")
    prepare_lang(train, tmp_path / "b", bpe_size=60, bpe_type="unigram")
    prepare_lang(train, tmp_path / "b", bpe_size=30, bpe_type="unigram")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_stress_keeps_cmudict_digits_everywhere(tmp_path: Path) -> None:
    summary = prepare_lang(write_text(tmp_path / "train", TRAIN), tmp_path / "lang", 30, "char", stress=True)
    assert summary.phones == 69 and summary.bpe_note and "char model" in summary.bpe_note
    lexicon = Lexicon.read(tmp_path / "lang" / "lexicon.txt")
    assert lexicon.lookup("blorpington")[0][2] == "AO1"
    TokenList.read(tmp_path / "lang" / "phones.txt").encode(text2phones(TRAIN["spk2-003"], lexicon, stress=True))


def test_a_word_g2p_cannot_read_names_the_text_file(tmp_path: Path) -> None:
    train = write_text(tmp_path / "train", TRAIN)
    test = write_text(tmp_path / "test", {"spk3-005": "turn on light 7"})
    with pytest.raises(SpeechkitError, match=r"test/text: word '7' has digits"):
        prepare_lang(train, tmp_path / "lang", extra_texts=[test])
    assert not (tmp_path / "lang").exists()


def test_cli_prints_a_summary(tmp_path: Path, cli) -> None:
    write_text(tmp_path / "train", TRAIN)
    res = cli("prep", "lang", "--data", tmp_path / "train", "--out", tmp_path / "lang", "--bpe-size", "30")
    assert res.returncode == 0, res.stderr
    summary = " ".join(res.stderr.split())
    assert "words: 14" in summary and "OOV words (G2P): 1" in summary and "phones: 39" in summary
    assert "BPE: 30" in summary and (tmp_path / "lang" / "bpe.model").is_file()


def test_cli_missing_text_is_one_line_naming_the_file(tmp_path: Path, cli) -> None:
    (tmp_path / "train").mkdir()
    res = cli("prep", "lang", "--data", tmp_path / "train", "--out", tmp_path / "lang")
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
    assert str(tmp_path / "train" / "text") in res.stderr and "not found" in res.stderr


def test_cli_help_has_examples(cli) -> None:
    res = cli("prep", "lang", "--help")
    assert res.returncode == 0 and "Examples" in res.stdout and "speechkit prep lang" in res.stdout
