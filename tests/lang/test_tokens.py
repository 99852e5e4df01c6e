"""tokens.txt symbol tables and sentencepiece models with the CTC blank at id 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from speechkit.errors import SpeechkitError
from speechkit.lang.tokens import BLANK, BpeTokenizer, TokenList, phone_tokens, train_bpe

TEXTS = [
    "turn on the lights in the kitchen",
    "turn off the music",
    "bring me my shoes",
    "increase the volume",
    "decrease the heat in the bathroom",
    "switch the lamp off",
] * 3
N_CHARS = len(set("".join(TEXTS).replace(" ", "")))


def test_phone_tokens_put_blank_first_then_arpabet() -> None:
    tokens = phone_tokens()
    assert len(tokens) == 40 and tokens.symbols[:3] == [BLANK, "AA", "AE"]
    assert len(phone_tokens(stress=True)) == 70 and "AA1" in phone_tokens(stress=True).symbols
    ids = tokens.encode(["HH", "AH", "L", "OW"])
    assert 0 not in ids and tokens.decode([0, *ids, 0]) == ["HH", "AH", "L", "OW"]


def test_token_list_round_trip_and_unknown_token_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.txt"
    phone_tokens().write(path)
    assert path.read_text().startswith("<blank> 0\nAA 1\nAE 2\n")
    tokens = TokenList.read(path)
    assert tokens.symbols == phone_tokens().symbols
    with pytest.raises(SpeechkitError, match=r"tokens.txt: unknown token 'AH0'"):
        tokens.encode(["HH", "AH0"])
    with pytest.raises(SpeechkitError, match="token id 40 is not in 0..39"):
        tokens.decode([1, 40])


@pytest.mark.parametrize(
    ("content", "problem"),
    [("<blank> 0\na 2\n", "without gaps"), ("<blank> 0\na 1\nb 1\n", "line 3 repeats id 1"),
     ("<blank> 0\na x\n", "line 2 is not `symbol id`"), ("<blank> 0\na 1\na 2\n", "two ids")],
)  # fmt: skip
def test_malformed_token_lists_are_named(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "tokens.txt"
    path.write_text(content)
    with pytest.raises(SpeechkitError, match=problem):
        TokenList.read(path)


@pytest.mark.parametrize("model_type", ["bpe", "unigram", "char"])
def test_training_is_deterministic(tmp_path: Path, model_type: str) -> None:
    train_bpe(TEXTS, tmp_path / "a", 30, model_type)
    train_bpe(TEXTS, tmp_path / "b", 30, model_type)
    assert (tmp_path / "a.model").read_bytes() == (tmp_path / "b.model").read_bytes()
    assert (tmp_path / "a.vocab").read_text() == (tmp_path / "b.vocab").read_text()


def test_encode_decode_round_trip_with_blank_offset(tmp_path: Path) -> None:
    size = train_bpe(TEXTS, tmp_path / "bpe", 40)
    bpe = BpeTokenizer(tmp_path / "bpe.model")
    assert size == bpe.num_pieces == 40 and len(bpe) == 41
    for text in ["turn on the music", "switch off the heat in the kitchen"]:
        ids = bpe.encode(text)
        assert min(ids) >= 1 and bpe.decode([0, *ids, 0, 0]) == text
        assert bpe.token_list().encode(bpe.pieces(text)) == ids
    with pytest.raises(SpeechkitError, match="token id 41"):
        bpe.decode([41])


def test_vocab_size_is_fitted_to_small_texts(tmp_path: Path) -> None:
    assert train_bpe(TEXTS, tmp_path / "small", 5) == N_CHARS + 2  # every character, '▁' and '<unk>'
    assert N_CHARS + 2 < train_bpe(TEXTS, tmp_path / "huge", 100_000) < 1000
    assert train_bpe(TEXTS, tmp_path / "uni", 100_000, "unigram") < 1000
    assert train_bpe(TEXTS, tmp_path / "char", 500, "char") == N_CHARS + 2


def test_bad_model_type_and_corrupt_model_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(SpeechkitError, match="model type 'wordpiece'"):
        train_bpe(TEXTS, tmp_path / "x", 30, "wordpiece")
    (tmp_path / "bad.model").write_bytes(b"not a model")
    with pytest.raises(SpeechkitError, match="bad.model: not a sentencepiece model"):
        BpeTokenizer(tmp_path / "bad.model")
    with pytest.raises(SpeechkitError, match="not found"):
        BpeTokenizer(tmp_path / "missing.model")
