"""HiFi-GAN: output length, segment mels equal to whole-utterance mels, a tiny model trains and resumes exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from speechkit.config import load_config
from speechkit.data.dataset import AudioDataset
from speechkit.errors import SpeechkitError
from speechkit.features.mel import log_mel
from speechkit.models.builder import load_model
from speechkit.models.hifigan import DiscriminatorConfig, GeneratorConfig, HiFiGAN, HiFiGANConfig
from speechkit.train.loop import fit
from speechkit.train.vocoder import SegmentDataset, VocoderConfig, VocoderTask

TINY_GEN = GeneratorConfig(channels=32, resblock_kernels=[3], resblock_dilations=[[1, 3]])
TINY_DISC = DiscriminatorConfig(periods=[2, 3], scales=2, width=0.05)


def tiny_config(vocoder_data: Path, exp: Path) -> VocoderConfig:
    overrides = [f"exp_dir={exp}", f"data.train={vocoder_data / 'train'}", f"data.valid={vocoder_data / 'dev'}",
                 "data.batch_size=2", "data.segment=2048", "data.valid_utts=1", "data.cache_audio=false",
                 "model.generator={channels: 32, resblock_kernels: [3], resblock_dilations: [[1, 3]]}",
                 "model.discriminator={periods: [2, 3], scales: 2, width: 0.05}",
                 "train.epochs=2", "train.adversarial_from=2", "train.keep_best=2", "train.lr=0.001"]  # fmt: skip
    return load_config(VocoderConfig, None, overrides)


def test_generator_gives_hop_samples_per_frame_and_discriminators_score_them() -> None:
    model = HiFiGAN(HiFiGANConfig(generator=TINY_GEN, discriminator=TINY_DISC)).eval()
    wav = model.vocode(torch.randn(2, 10, 80))
    assert wav.shape == (2, 2560) and wav.abs().max() <= 1
    scores, feats = model.discriminate(wav)
    assert len(scores) == len(feats) == 4 and all(s.shape[0] == 2 for s in scores)


def test_upsampling_must_make_the_hop() -> None:
    with pytest.raises(SpeechkitError, match="multiply to the mel hop"):
        HiFiGAN(HiFiGANConfig(generator=GeneratorConfig(upsample_rates=[8, 8, 2], upsample_kernels=[16, 16, 4])))


def test_segment_mel_is_the_whole_utterances_mel(vocoder_data: Path, tmp_path: Path) -> None:
    cfg = tiny_config(vocoder_data, tmp_path / "exp")
    task = VocoderTask(cfg, tmp_path / "exp")
    model = HiFiGAN(cfg.model)
    audio = AudioDataset(task.train_utts, lambda u: {}, cfg.model.mel.sample_rate)
    segments = SegmentDataset(audio, cfg.data.segment, cfg.model.mel, seed=0)
    for index in range(3):
        item = segments[index]
        b = task.features(model, {"utt": [item["utt"]], "chunk": item["chunk"][None]}, torch.device("cpu"))
        whole = audio[index]["wav"]
        full_mel = log_mel(whole, cfg.model.mel)
        # find the segment in the utterance: its samples are the utterance's from a frame boundary on
        start = next(s for s in range(0, len(whole), 256) if torch.equal(whole[s : s + 2048], b["wav"][0]))
        assert torch.allclose(b["mel"][0], full_mel[start // 256 : start // 256 + 8], atol=1e-5)
        assert b["mel_target"].shape == (1, 8, 80)


def test_tiny_hifigan_trains_and_a_resumed_run_ends_identical(vocoder_data: Path, tmp_path: Path) -> None:
    cfg = tiny_config(vocoder_data, tmp_path / "a")
    summary = fit(VocoderTask, cfg, torch.device("cpu"))
    assert summary["steps"] == 10
    log = [json.loads(line) for line in (tmp_path / "a" / "train.jsonl").read_text().splitlines()]
    train_recs = [r for r in log if r["split"] == "train"]
    assert all(np.isfinite(r["loss"]) and np.isfinite(r["mel_l1"]) for r in train_recs)
    assert "disc" not in train_recs[0] and {"disc", "adv", "fm"} <= set(train_recs[-1])  # GAN from epoch 2
    _, model = load_model(tmp_path / "a")
    assert model.vocode(torch.randn(1, 7, 80)).shape == (1, 7 * 256)

    # an interrupted run: epoch 1 finished, epoch 2 lost
    cfg_b = tiny_config(vocoder_data, tmp_path / "b")
    fit(VocoderTask, cfg_b, torch.device("cpu"))
    (tmp_path / "b" / "ckpt" / "epoch2.pt").unlink()
    (tmp_path / "b" / "model.pt").unlink()
    fit(VocoderTask, tiny_config(vocoder_data, tmp_path / "b"), torch.device("cpu"))
    a = torch.load(tmp_path / "a" / "model.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "model.pt", weights_only=True)["model"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
