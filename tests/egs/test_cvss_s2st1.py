"""egs/cvss/s2st1/run.sh end to end on a tiny mini corpus with tiny models: both systems translate and are scored."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf

from speechkit.data.table import read_table


def test_run_sh_runs_every_stage(copy_recipe, run_recipe, tmp_path: Path, tiny_s2st_confs: dict[str, str],
                                 mini_cvss_tiny_opts: str) -> None:  # fmt: skip
    recipe = copy_recipe("cvss/s2st1", tmp_path, tiny_s2st_confs)
    res = run_recipe(recipe, "--nj", "2", "--mini-opts", mini_cvss_tiny_opts)  # 2: models train side by side
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert [f"Stage {n}:" in res.stdout for n in range(8)] == [True] * 8
    test = list(read_table(recipe / "data" / "test" / "wav.scp"))
    for system in ("exp/s2st/decode_test", "exp/cascade/decode_test"):
        out = recipe / system
        assert list(read_table(out / "wav.scp")) == test and set(read_table(out / "text", allow_empty=True)) == set(test)
        assert all(sf.info(out / f"{u}.wav").samplerate == 22050 for u in test)
        scores = json.loads((out / "scores.json").read_text())
        assert {"asr_bleu", "asr_chrf", "asr_bleu_ref", "wer_ref", "bleu_text", "n_utts"} <= set(scores)
        assert scores["n_utts"] == 6 and 0 <= scores["asr_bleu"] <= 100
    assert read_table(recipe / "exp" / "cascade" / "decode_test" / "source_text", allow_empty=True).keys() == set(test)
    assert (recipe / "RESULTS.md").read_text().count("decode_test") == 2
