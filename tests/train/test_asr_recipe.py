"""A tiny character ASR model trains with the recipe's conf/asr.yaml on the tiny LJSpeech corpus, and decodes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from speechkit.corpora.ljspeech import prepare_ljspeech
from speechkit.data.combine import combine_data_dirs
from speechkit.data.table import read_table
from speechkit.lang.tokens import BpeTokenizer

CONF = Path(__file__).parents[2] / "egs" / "ljspeech" / "fastspeech2" / "conf" / "asr.yaml"
ENCODER = "{d_model: 32, num_heads: 2, ffn_dim: 64, num_layers: 2, kernel_size: 7, subsampling_channels: 8}"
TINY = [f"model.encoder={ENCODER}", "train.epochs=6", "train.warmup_steps=2", "train.log_every=1",
        "data.max_seconds=30", "data.cache_audio=false"]  # fmt: skip


@pytest.fixture()
def recipe(tiny_lj: Path, tmp_path: Path) -> Path:
    recipe = tmp_path / "recipe"
    prepare_ljspeech(tiny_lj, recipe / "data")  # 10 train, 1 dev, 1 test
    combine_data_dirs(recipe / "data" / "judge_train", [recipe / "data" / "train"])  # as run.sh stage 1 on a real corpus
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
    assert [r["epoch"] for r in log if r["split"] == "valid"] == [1, 2, 3, 4, 5, 6]
    train = [r["loss"] for r in log if r["split"] == "train"]
    assert train[-1] < 0.85 * train[0]  # it learns: about 3.7 -> 2.9 in these 12 steps
    assert {"wer", "cer"} <= set(log[-1])
    tokens = BpeTokenizer(exp / "lang" / "bpe.model")
    assert all(len(tokens.pieces(w)) == len(w) + 1 for w in ("the", "monarch"))  # characters, plus the word mark

    res = cli("decode", "--model", str(exp), "--data", str(recipe / "data" / "test"))
    assert res.returncode == 0, res.stderr
    hyp = read_table(exp / "decode_test" / "text", allow_empty=True)
    assert set(hyp) == set(read_table(recipe / "data" / "test" / "text"))
    [(utt, wav)] = read_table(recipe / "data" / "test" / "wav.scp").items()
    res = cli("decode", "--model", str(exp), "--audio", wav, "--format", "jsonl")  # the same audio as a loose file
    assert res.returncode == 0, res.stderr
    record = json.loads(res.stdout)
    assert record["text"] == hyp[utt] and record["text"] == " ".join(w["word"] for w in record["words"])



def test_asr_model_decodes_with_a_tuned_lm(recipe: Path, cli) -> None:
    """Character units spell words for the LM: tune alpha/beta on dev, then decode test with the winner."""
    assert cli("train", "--recipe", str(recipe), "--config", "conf/asr.yaml", *TINY).returncode == 0
    exp, data = recipe / "exp" / "asr", recipe / "data"
    sentences = recipe / "lm.txt"
    sentences.write_text("".join(f"{text}\n" for text in read_table(data / "train" / "text").values()))
    assert cli("lm", "train", "--text", sentences, "--order", "2", "--out", recipe / "lm.arpa", "--builtin").returncode == 0
    res = cli("decode", "--model", exp, "--data", data / "dev", "--lm", recipe / "lm.arpa", "--tune",
              "--alphas", "0,0.5", "--betas", "0,1")  # fmt: skip
    assert res.returncode == 0, res.stderr
    tune = json.loads((exp / "decode_dev_tune" / "tune.json").read_text())
    assert [(p["alpha"], p["beta"]) for p in tune["grid"]] == [(0, 0), (0, 1), (0.5, 0), (0.5, 1)]
    assert tune["best"]["wer"] == min(p["wer"] for p in tune["grid"])
    assert cli("decode", "--model", exp, "--data", data / "dev").returncode == 0
    greedy = cli("score", "asr", "--ref", data / "dev" / "text", "--hyp", exp / "decode_dev" / "text",
                 "--out", recipe / "greedy_score")  # fmt: skip
    assert greedy.returncode == 0, greedy.stderr
    assert tune["greedy_wer"] == pytest.approx(json.loads((recipe / "greedy_score" / "scores.json").read_text())["wer"])
    res = cli("decode", "--model", exp, "--data", data / "test", "--lm", recipe / "lm.arpa", "--alpha-beta-from",
              exp / "decode_dev_tune" / "tune.json", "--nbest", "2")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert f"alpha={tune['best']['alpha']:g} beta={tune['best']['beta']:g}" in res.stdout
    assert set(read_table(exp / "decode_test_lm" / "text", allow_empty=True)) == set(read_table(data / "test" / "text"))
    assert (exp / "decode_test_lm" / "nbest").is_file()
