"""Vocos: frames in, hop samples per frame out, aligned with the mel; a tiny model learns and resumes exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from speechkit.config import load_config
from speechkit.data.audio import read_audio
from speechkit.data.datadir import load_data_dir
from speechkit.errors import SpeechkitError
from speechkit.features.mel import TTS_MEL, log_mel
from speechkit.models.builder import load_model
from speechkit.models.vocos import Vocos, VocosConfig
from speechkit.train.loop import fit
from speechkit.train.vocos import VocosTask, VocosTaskConfig, stft_loss
from speechkit.tts.synth import load_vocoder


def tiny_config_overrides(vocoder_data: Path, exp: Path) -> list[str]:
    return [f"exp_dir={exp}", f"data.train={vocoder_data / 'train'}", f"data.valid={vocoder_data / 'dev'}",
            "data.batch_size=2", "data.segment=4096", "data.valid_utts=1", "data.cache_audio=false",
            "model.channels=32", "model.intermediate=64", "model.layers=2", "train.epochs=3",
            "train.warmup_steps=2", "train.lr=0.003", "train.log_every=1", "train.keep_best=1"]  # fmt: skip


def tiny_config(vocoder_data: Path, exp: Path) -> VocosTaskConfig:
    return load_config(VocosTaskConfig, None, tiny_config_overrides(vocoder_data, exp))


def test_frames_make_hop_samples_each_and_n_fft_is_checked() -> None:
    wav = Vocos(VocosConfig(channels=16, intermediate=32, layers=1)).eval().vocode(torch.randn(2, 10, 80))
    assert wav.shape == (2, 2560) and wav.abs().max() <= 1
    with pytest.raises(SpeechkitError, match="must be even and at least the hop"):
        Vocos(VocosConfig(n_fft=128))


def test_stft_loss_is_zero_on_itself_and_grows_with_noise() -> None:
    x = torch.sin(torch.arange(8192) / 7.0)[None]
    res = [(512, 128), (1024, 256)]
    losses = [stft_loss(x + level * torch.randn_like(x), x, res).item() for level in (0.0, 0.01, 0.1)]
    assert losses[0] == 0.0 and losses[0] < losses[1] < losses[2]


def test_tiny_vocos_learns_keeps_its_best_epochs_and_resumes_exactly(vocoder_data: Path, tmp_path: Path) -> None:
    summary = fit(VocosTask, tiny_config(vocoder_data, tmp_path / "a"), torch.device("cpu"))
    log = [json.loads(line) for line in (tmp_path / "a" / "train.jsonl").read_text().splitlines()]
    valid = [r for r in log if r["split"] == "valid"]  # whole utterances: steadier than one batch's segments
    assert valid[-1]["mel_l1"] < 0.97 * valid[0]["mel_l1"], [r["mel_l1"] for r in valid]  # about 1.28 -> 1.17
    assert summary["averaged_epochs"] == [min(valid, key=lambda r: r["mel_l1"])["epoch"]]  # ranked by -mel_l1
    cfg, model = load_model(tmp_path / "a")
    assert isinstance(model, Vocos) and load_vocoder(str(tmp_path / "a"), TTS_MEL, torch.device("cpu")) is not None
    real = read_audio(load_data_dir(vocoder_data / "test")[0].wav, TTS_MEL.sample_rate)
    mel = log_mel(torch.from_numpy(real)[None], TTS_MEL)
    assert model.vocode(mel).shape == (1, mel.shape[1] * 256)

    fit(VocosTask, tiny_config(vocoder_data, tmp_path / "b"), torch.device("cpu"))
    for lost in ("ckpt/epoch3.pt", "model.pt"):  # killed during epoch 3
        (tmp_path / "b" / lost).unlink()
    fit(VocosTask, tiny_config(vocoder_data, tmp_path / "b"), torch.device("cpu"))
    a = torch.load(tmp_path / "a" / "ckpt" / "epoch3.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "ckpt" / "epoch3.pt", weights_only=True)["model"]
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_adversarial_stage_starts_from_a_trained_generator(vocoder_data: Path, tmp_path: Path) -> None:
    fit(VocosTask, tiny_config(vocoder_data, tmp_path / "a"), torch.device("cpu"))
    gan = ["model.adversarial=true", "model.discriminator.width=0.0625", "model.discriminator.periods=[2,3]",
           "model.discriminator.scales=1", "train.epochs=2", "train.adversarial_from=2", f"train.init_from={tmp_path / 'a'}"]
    cfg = load_config(VocosTaskConfig, None, [*tiny_config_overrides(vocoder_data, tmp_path / "gan"), *gan])
    _, source = load_model(tmp_path / "a")
    task = VocosTask(cfg, tmp_path / "gan")
    model = Vocos(cfg.model)
    task.init_model(model)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in source.state_dict().items())
    summary = fit(VocosTask, cfg, torch.device("cpu"))
    log = [json.loads(line) for line in (tmp_path / "gan" / "train.jsonl").read_text().splitlines()]
    train = [r for r in log if r["split"] == "train"]
    assert not any("adv" in r for r in train if r["epoch"] == 1)  # discriminators join at adversarial_from
    assert all({"disc", "adv", "fm"} <= set(r) for r in train if r["epoch"] == 2)
    assert summary["averaged_epochs"] == [2]  # adversarial: the latest epoch is kept
    _, trained = load_model(tmp_path / "gan")
    assert trained.vocode(torch.randn(1, 20, 80)).shape == (1, 20 * 256)

    wrong = load_config(VocosTaskConfig, None, [*tiny_config_overrides(vocoder_data, tmp_path / "w"),
                                                "model.layers=3", f"train.init_from={tmp_path / 'a'}"])  # fmt: skip
    with pytest.raises(SpeechkitError, match="has another generator than this config's model"):
        VocosTask(wrong, tmp_path / "w").init_model(Vocos(wrong.model))
