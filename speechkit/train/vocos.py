"""The Vocos task: train :class:`~speechkit.models.vocos.Vocos` on segments with the mel L1 (x ``mel_weight``, 45 as
in HiFi-GAN) and a multi-resolution STFT loss (spectral convergence plus log-magnitude L1 at three FFT sizes, as
Parallel WaveGAN warms its generator up): what converges within a CPU budget. Segments, features and validation
are :class:`~speechkit.train.vocoder.SegmentTask`'s; the best validation mel L1 is kept.

With ``model.adversarial`` HiFi-GAN's discriminators join from epoch ``train.adversarial_from`` (LSGAN and feature
matching, :func:`~speechkit.train.vocoder.adversarial_losses`), usually as a second stage that starts from a trained
model (``train.init_from``: its generator weights); the latest epoch is kept then, as adversarial losses trade a
little mel error for realism.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from speechkit.errors import SpeechkitError
from speechkit.features.mel import log_mel
from speechkit.models.builder import load_model
from speechkit.models.vocos import Vocos, VocosConfig
from speechkit.train.loop import LoopConfig, Optimizers, millions
from speechkit.train.vocoder import SegmentTask, VocoderDataConfig, adversarial_losses


@dataclass
class VocosTrainConfig(LoopConfig):
    lr: float = 5e-4
    betas: tuple[float, float] = (0.8, 0.99)
    warmup_steps: int = 100
    mel_weight: float = 45.0
    stft_weight: float = 1.0
    resolutions: list[tuple[int, int]] = field(default_factory=lambda: [(512, 128), (1024, 256), (2048, 512)])
    adversarial_from: int = 1  # with model.adversarial: the first epoch with discriminators
    fm_weight: float = 2.0
    init_from: str = ""  # a Vocos model dir whose generator weights start this run


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
        disc = "" if model.discriminators is None else f" (discriminators {millions(model.discriminators)} M)"
        return f"Vocos: {millions(model)} M parameters{disc}, {len(self.train_utts)} training utterances"

    def init_model(self, model: Vocos) -> None:
        """Start from ``train.init_from``'s generator weights, when given (the discriminators start afresh)."""
        source = self.cfg.train.init_from
        if not source:
            return
        _, trained = load_model(source, torch.device("cpu"))
        if not isinstance(trained, Vocos):
            raise SpeechkitError(source, "train.init_from must be a Vocos model dir")
        weights = {k: v for k, v in trained.state_dict().items() if not k.startswith("discriminators.")}
        try:
            missing = model.load_state_dict(weights, strict=False).missing_keys
        except RuntimeError:
            missing = ["(sizes)"]
        if any(not k.startswith("discriminators.") for k in missing):
            raise SpeechkitError(source, "train.init_from has another generator than this config's model")

    def score(self, epoch: int, mel_l1: float) -> float:
        """The lower the validation mel L1 the better, without an adversary; with one, the latest epoch."""
        return float(epoch) if self.cfg.model.adversarial else -mel_l1

    def param_groups(self, model: Vocos) -> dict[str, list[torch.nn.Parameter]]:
        generator = [p for n, p in model.named_parameters() if not n.startswith("discriminators.")]
        if model.discriminators is None:
            return {"generator": generator}
        return {"generator": generator, "discriminator": list(model.discriminators.parameters())}

    def step(self, model: Vocos, b: dict[str, Any], epoch: int, optimizers: Optimizers) -> tuple[dict[str, float], int]:
        tc = self.cfg.train
        with optimizers.autocast:
            fake = model(b["mel"])
        gan, metrics = 0.0, {}
        if model.discriminators is not None and epoch >= tc.adversarial_from:
            gan, metrics = adversarial_losses(model, b["wav"], fake, optimizers, tc.fm_weight)
        mel_l1 = F.l1_loss(log_mel(fake.float(), self.cfg.model.mel, model.logmel.window, model.logmel.filters),
                           b["mel_target"])  # fmt: skip
        stft = stft_loss(fake, b["wav"], tc.resolutions)
        loss = tc.mel_weight * mel_l1 + tc.stft_weight * stft + gan
        optimizers.step("generator", loss)
        return {"loss": loss.item(), "mel_l1": mel_l1.item(), "stft": stft.item(), **metrics}, len(fake)
