"""A tiny character ASR model trains with the recipe's conf/asr.yaml on the tiny LJSpeech corpus, and decodes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from speechkit.corpora.ljspeech import prepare_ljspeech
from speechkit.data.table import read_table
from speechkit.lang.tokens import BpeTokenizer

CONF = Path(__file__).parents[2] / "egs" / "ljspeech" / "fastspeech2" / "conf" / "asr.yaml"
ENCODER = "{d_model: 32, num_heads: 2, ffn_dim: 64, num_layers: 2, kernel_size: 7, subsampling_channels: 8}"
TINY = [f"model.encoder={ENCODER}", "train.epochs=2", "train.warmup_steps=2", "train.log_every=1",
        "data.max_seconds=30", "data.cache_audio=false"]  # fmt: skip


@pytest.fixture()
def recipe(tiny_lj: Path, tmp_path: Path) -> Path:
    recipe = tmp_path / "recipe"
    prepare_ljspeech(tiny_lj, recipe / "data")  # 10 train, 1 dev, 1 test
    (recipe / "conf").mkdir()
    shutil.copy(CONF, recipe / "conf" / "asr.yaml")
    return recipe


def test_tiny_asr_trains_and_decodes(recipe: Path, cli) -> None:
    res = cli("train", "--recipe", str(recipe), "--config", "conf/asr.yaml", *TINY)
    assert res.returncode == 0, res.stderr
    exp = recipe / "exp" / "asr"
    for name in ("config.yaml", "model.yaml", "model.pt", "train.jsonl", "curves.png", "lang/bpe.model"):
        assert (exp / name).is_file(), name
    log = [json.loads(line) for line in (exp / "train.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log if r["split"] == "valid"] == [1, 2]
    assert {"wer", "cer"} <= set(log[-1])
    tokens = BpeTokenizer(exp / "lang" / "bpe.model")
    assert all(len(tokens.pieces(w)) == len(w) + 1 for w in ("the", "monarch"))  # characters, plus the word mark

    res = cli("decode", "--model", str(exp), "--data", str(recipe / "data" / "test"))
    assert res.returncode == 0, res.stderr
    hyp = read_table(exp / "decode_test" / "text", allow_empty=True)
    assert set(hyp) == set(read_table(recipe / "data" / "test" / "text"))

    res = cli("decode", "--model", str(exp), "--data", str(recipe / "data" / "test"), "--lm", "x.arpa")
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [f"error: {exp}: --lm needs an SLU model; ASR models decode greedily"]
