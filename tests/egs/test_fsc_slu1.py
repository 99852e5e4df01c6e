"""egs/fsc/slu1/run.sh end to end on a tiny mini corpus with a tiny model: every stage runs and scores."""

from __future__ import annotations

import json
from pathlib import Path

from speechkit.data.table import read_table

MINI = "--train-speakers 2 --valid-speakers 1 --test-speakers 1 --phrasings-per-speaker 8"


def test_run_sh_runs_every_stage(copy_recipe, run_recipe, tmp_path: Path, tiny_slu_yaml: str) -> None:
    recipe = copy_recipe("fsc/slu1", tmp_path, {"conf/train.yaml": tiny_slu_yaml})
    res = run_recipe(recipe, "--nj", "1", "--mini-opts", MINI)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert [f"Stage {n}:" in res.stdout for n in range(6)] == [True] * 6
    exp = recipe / "exp" / "slu"
    assert set(read_table(exp / "decode_test" / "utt2intent")) == set(read_table(recipe / "data/test/utt2intent"))
    for decode in ("decode_test", "decode_test_lm"):
        scores = json.loads((exp / decode / "scores.json").read_text())
        assert scores["n_utts"] == 8 and 0 <= scores["wer"]
    assert "intent_acc" in json.loads((exp / "decode_test" / "scores.json").read_text())
    assert len((recipe / "RESULTS.md").read_text().splitlines()) >= 5  # header rows and one row per score
    rerun = run_recipe(recipe, "--nj", "1", "--stage", "5", "--mini-opts", MINI)  # a finished stage re-runs cleanly
    assert rerun.returncode == 0, rerun.stderr[-3000:]
