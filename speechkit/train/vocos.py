"""The Vocos task: train :class:`~speechkit.models.vocos.Vocos` on segments with the mel L1 (x ``mel_weight``, 45 as
in HiFi-GAN) and a multi-resolution STFT loss (spectral convergence plus log-magnitude L1 at three FFT sizes, as
Parallel WaveGAN warms its generator up), no discriminator: what converges within a CPU budget. Segments, features
and validation are :class:`~speechkit.train.vocoder.SegmentTask`'s; the best validation mel L1 is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from speechkit.features.mel import log_mel
from speechkit.models.vocos import Vocos, VocosConfig
from speechkit.train.loop import LoopConfig, millions
from speechkit.train.vocoder import SegmentTask, VocoderDataConfig


@dataclass
class VocosTrainConfig(LoopConfig):
    lr: float = 5e-4
    betas: tuple[float, float] = (0.8, 0.99)
    warmup_steps: int = 100
    mel_weight: float = 45.0
    stft_weight: float = 1.0
    resolutions: list[tuple[int, int]] = field(default_factory=lambda: [(512, 128), (1024, 256), (2048, 512)])


@dataclass
class VocosTaskConfig:
    task: str = "vocos"
    exp_dir: str = "exp/vocos"
    data: VocoderDataConfig = field(default_factory=VocoderDataConfig)
    model: VocosConfig = field(default_factory=VocosConfig)
    train: VocosTrainConfig = field(default_factory=VocosTrainConfig)


def stft_loss(fake: Tensor, real: Tensor, resolutions: list[tuple[int, int]]) -> Tensor:
    """Mean over ``(n_fft, hop)`` resolutions of spectral convergence plus log-magnitude L1 (Hann windows)."""
    total = fake.new_zeros(())
    for n_fft, hop in resolutions:
        window = torch.hann_window(n_fft, device=fake.device)
        a, b = (torch.stft(x.float(), n_fft, hop, window=window, return_complex=True).abs().clamp(min=1e-7)
                for x in (fake, real))  # fmt: skip
        total = total + torch.linalg.norm(b - a) / torch.linalg.norm(b) + F.l1_loss(a.log(), b.log())
    return total / len(resolutions)


class VocosTask(SegmentTask):
    name = "vocos"
    config = VocosTaskConfig

    def describe(self, model: Vocos) -> str:
        return f"Vocos: {millions(model)} M parameters, {len(self.train_utts)} training utterances"

    def score(self, epoch: int, mel_l1: float) -> float:
        """The lower the validation mel L1 the better: without an adversary, it is what the model optimizes."""
        return -mel_l1

    def loss(self, model: Vocos, b: dict[str, Any], epoch: int) -> tuple[Tensor, dict[str, float], int]:
        tc = self.cfg.train
        fake = model(b["mel"])
        mel_l1 = F.l1_loss(log_mel(fake.float(), self.cfg.model.mel, model.logmel.window, model.logmel.filters),
                           b["mel_target"])  # fmt: skip
        stft = stft_loss(fake, b["wav"], tc.resolutions)
        return tc.mel_weight * mel_l1 + tc.stft_weight * stft, {"mel_l1": mel_l1.item(), "stft": stft.item()}, len(fake)
