"""egs/ljspeech/fastspeech2/run.sh end to end on a tiny mini corpus with tiny models, the vocoder stage and the
judge's own sentences included."""

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
    "conf/vocos.yaml": """task: vocos
exp_dir: exp/vocos
data: {batch_size: 2, segment: 2048, valid_utts: 1, cache_audio: false}
model: {channels: 32, intermediate: 64, layers: 2}
train: {epochs: 2, warmup_steps: 2, keep_best: 1, lr: 0.003}
""",
}


def test_run_sh_runs_every_stage(copy_recipe, run_recipe, tmp_path: Path, tiny_fastspeech2_yaml: str) -> None:
    recipe = copy_recipe("ljspeech/fastspeech2", tmp_path, {**CONFS, "conf/train.yaml": tiny_fastspeech2_yaml})
    res = run_recipe(recipe, "--nj", "2", "--mini-opts", "--limit 12", "--vocoder", "vocos", "--judge-sentences", "6")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert [f"Stage {n}:" in res.stdout for n in range(8)] == [True] * 8
    judge = read_table(recipe / "data" / "judge_train" / "text")  # the TTS training set and the judge's sentences
    assert set(read_table(recipe / "data" / "train" / "text")) < set(judge)
    assert sum(u.startswith("JG") for u in judge) == 6 and not set(judge) & set(read_table(recipe / "data/test/text"))
    assert "ASR model:" in (recipe / "exp" / "log" / "train_asr.log").read_text()  # trained beside FastSpeech 2
    assert (recipe / "exp" / "asr" / "model.pt").is_file()
    tuned = json.loads((recipe / "exp" / "asr" / "decode_dev_tune" / "tune.json").read_text())
    assert tuned["lm"].endswith("exp/lm/en_unigram.arpa") and len(tuned["grid"]) == 25
    synth = recipe / "exp" / "tts" / "synth_test"
    utts = list(read_table(recipe / "data" / "test" / "wav.scp"))
    assert list(read_table(synth / "wav.scp")) == utts and sf.info(synth / f"{utts[0]}.wav").samplerate == 22050
    assert json.loads((synth / "synth.json").read_text())["vocoder"] == "Vocos"
    scores = json.loads((synth / "scores.json").read_text())
    assert {"mcd", "wer_syn", "wer_ref", "n_utts"} <= set(scores) and scores["n_utts"] == len(utts)
    assert "mcd" in (recipe / "RESULTS.md").read_text() and len(list(synth.glob("mel_*.png"))) == 1


def test_run_sh_names_an_unknown_vocoder(copy_recipe, run_recipe, tmp_path: Path) -> None:
    recipe = copy_recipe("ljspeech/fastspeech2", tmp_path, {})
    res = run_recipe(recipe, "--vocoder", "wavenet")
    assert res.returncode == 1
    assert res.stderr.strip().endswith("--vocoder must be griffinlim, vocos or hifigan, not 'wavenet'")
