"""The direct S2ST model on the tiny mini CVSS corpus: it trains, resumes to identical weights, and translates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
import torch

from speechkit.data.table import read_table


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory, copy_recipe, run_recipe, tiny_s2st_confs: dict[str, str],
           tiny_s2st_direct: str, mini_cvss_tiny_opts: str) -> Path:  # fmt: skip
    """A copy of egs/cvss/s2st1 with tiny configs (conf/train.yaml: the tiny direct model from scratch) after stages
    0-3."""
    root = copy_recipe("cvss/s2st1", tmp_path_factory.mktemp("s2st"),
                       {**tiny_s2st_confs, "conf/train.yaml": tiny_s2st_direct})  # fmt: skip
    res = run_recipe(root, "--nj", "1", "--stop-stage", "3", "--mini-opts", mini_cvss_tiny_opts)
    assert res.returncode == 0, res.stderr[-3000:]
    return root


def weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["model"]


def test_direct_model_trains_resumes_and_translates(recipe: Path, cli, train_killed_then_resumed) -> None:
    ref = cli("train", "--recipe", recipe, "exp_dir=exp/ref", OMP_NUM_THREADS="1")
    assert ref.returncode == 0, ref.stderr
    assert "S2ST model:" in ref.stderr
    log = [json.loads(line) for line in (recipe / "exp" / "ref" / "train.jsonl").read_text().splitlines()]
    train = [r for r in log if r["split"] == "train"]
    assert {"ce", "ctc", "mel", "postnet", "duration", "pitch", "energy"} <= set(train[0])
    assert train[-1]["loss"] < train[0]["loss"]
    assert {"bleu", "chrf", "score"} <= {k for r in log if r["split"] == "valid" for k in r}
    exp = train_killed_then_resumed(recipe, "exp/killed", OMP_NUM_THREADS="1")
    a, b = weights(recipe / "exp" / "ref" / "model.pt"), weights(exp / "model.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    for beam in ("1", "3"):
        out = recipe / f"decode_beam{beam}"
        res = cli("decode", "--model", exp, "--data", recipe / "data" / "test", "--out", out, "--beam", beam,
                  "--gl-iters", "4", OMP_NUM_THREADS="1")  # fmt: skip
        assert res.returncode == 0, res.stderr
        utts = list(read_table(recipe / "data" / "test" / "wav.scp"))
        assert list(read_table(out / "wav.scp")) == utts
        assert all(sf.info(out / f"{u}.wav").frames > 0 for u in utts)
        info = json.loads((out / "decode.json").read_text())
        assert info["utterances"] == len(utts) and info["beam"] == int(beam) and info["rtf"] > 0
