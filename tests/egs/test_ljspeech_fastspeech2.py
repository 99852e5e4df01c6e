"""egs/ljspeech/fastspeech2/run.sh end to end on a tiny mini corpus with tiny models, the vocoder stage included."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf

from speechkit.data.table import read_table

CONFS = {  # conf/train.yaml: the tiny FastSpeech 2 of tests/conftest.py
    "conf/asr.yaml": """task: asr
exp_dir: exp/asr
data: {max_seconds: 30, max_utts: 8, cache_audio: false}
model:
  encoder: {d_model: 32, num_heads: 2, ffn_dim: 64, num_layers: 2, kernel_size: 7, subsampling_channels: 8}
train: {epochs: 2, warmup_steps: 2, log_every: 1}
""",
    "conf/vocoder.yaml": """task: hifigan
exp_dir: exp/hifigan
data: {batch_size: 2, segment: 2048, valid_utts: 1, cache_audio: false}
model:
  generator: {channels: 32, resblock_kernels: [3], resblock_dilations: [[1, 3]]}
  discriminator: {periods: [2, 3], scales: 2, width: 0.05}
train: {epochs: 2, adversarial_from: 2, keep_best: 1, lr: 0.001}
""",
}


def test_run_sh_runs_every_stage(copy_recipe, run_recipe, tmp_path: Path, tiny_fastspeech2_yaml: str) -> None:
    recipe = copy_recipe("ljspeech/fastspeech2", tmp_path, {**CONFS, "conf/train.yaml": tiny_fastspeech2_yaml})
    res = run_recipe(recipe, "--nj", "1", "--mini-opts", "--limit 12", "--train-vocoder", "true")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert [f"Stage {n}:" in res.stdout for n in range(8)] == [True] * 8
    synth = recipe / "exp" / "tts" / "synth_test"
    utts = list(read_table(recipe / "data" / "test" / "wav.scp"))
    assert list(read_table(synth / "wav.scp")) == utts and sf.info(synth / f"{utts[0]}.wav").samplerate == 22050
    assert json.loads((synth / "synth.json").read_text())["vocoder"] == "HiFiGAN"
    scores = json.loads((synth / "scores.json").read_text())
    assert {"mcd", "wer_syn", "wer_ref", "n_utts"} <= set(scores) and scores["n_utts"] == len(utts)
    assert "mcd" in (recipe / "RESULTS.md").read_text()
