"""A Vocos-style vocoder: a ConvNeXt stack on the mel frames predicts each frame's STFT magnitude and phase, and an
inverse STFT makes the wave (Siuzdenak 2023).

Why this design on a CPU: every layer runs at the frame rate (86 frames/s at 22.05 kHz) instead of HiFi-GAN's
upsampled sample rate, so a step costs a small fraction of a HiFi-GAN step, and the iSTFT head gets the harmonic
structure right early; Griffin-Lim's phase artefacts are what it must beat.

Frames line up with :mod:`speechkit.features.mel`: mel frame ``k`` is centred on ``k * hop + hop / 2``, so the iSTFT
(frames centred on ``k * hop``) is cut half a hop later; ``T`` frames give ``T * hop`` samples.

Example::

    model = Vocos(VocosConfig()).eval()
    wav = model.vocode(torch.randn(1, 100, 80))  # (1, 25600)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from speechkit.errors import SpeechkitError
from speechkit.features.mel import TTS_MEL, LogMel, MelConfig
from speechkit.models.hifigan import DiscriminatorConfig, Discriminators


@dataclass
class VocosConfig:
    """Sizes; the defaults are smaller than the paper's (512 channels, 8 layers) to train on a CPU."""

    mel: MelConfig = TTS_MEL
    channels: int = 256
    intermediate: int = 768
    layers: int = 8
    kernel: int = 7
    n_fft: int = 1024
    max_log_magnitude: float = 6.0  # exp(6) ~ 400: a bound that keeps an untrained head from overflowing
    adversarial: bool = False  # build HiFi-GAN's discriminators too, for adversarial training
    discriminator: DiscriminatorConfig = field(default_factory=lambda: DiscriminatorConfig(width=0.125))


class ConvNeXtBlock(nn.Module):
    """Depthwise convolution, LayerNorm, an inverted-bottleneck MLP and a learned per-channel residual scale."""

    def __init__(self, channels: int, intermediate: int, kernel: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(channels, channels, kernel, padding=kernel // 2, groups=channels)
        self.norm = nn.LayerNorm(channels)
        self.up = nn.Linear(channels, intermediate)
        self.down = nn.Linear(intermediate, channels)
        self.scale = nn.Parameter(torch.full((channels,), 1.0 / 8))

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C, T)`` -> ``(B, C, T)``."""
        y = self.norm(self.depthwise(x).transpose(1, 2))
        y = self.down(nn.functional.gelu(self.up(y))) * self.scale
        return x + y.transpose(1, 2)


class Vocos(nn.Module):
    """Log-mels ``(B, T, n_mels)`` -> waves ``(B, T * hop)``; ``logmel`` computes the input it expects."""

    def __init__(self, cfg: VocosConfig) -> None:
        super().__init__()
        if cfg.n_fft < cfg.mel.hop_length or cfg.n_fft % 2:
            raise SpeechkitError(None, f"model.n_fft ({cfg.n_fft}) must be even and at least the hop "
                                       f"({cfg.mel.hop_length})")  # fmt: skip
        self.cfg = cfg
        self.logmel = LogMel(cfg.mel)
        self.embed = nn.Conv1d(cfg.mel.n_mels, cfg.channels, cfg.kernel, padding=cfg.kernel // 2)
        self.norm = nn.LayerNorm(cfg.channels)
        self.blocks = nn.ModuleList(ConvNeXtBlock(cfg.channels, cfg.intermediate, cfg.kernel) for _ in range(cfg.layers))
        self.final_norm = nn.LayerNorm(cfg.channels)
        self.head = nn.Linear(cfg.channels, cfg.n_fft + 2)  # log magnitude and phase of n_fft / 2 + 1 bins
        self.register_buffer("window", torch.hann_window(cfg.n_fft), persistent=False)
        self.discriminators = Discriminators(cfg.discriminator) if cfg.adversarial else None

    def forward(self, mel: Tensor) -> Tensor:
        frames, hop = mel.shape[1], self.cfg.mel.hop_length
        x = self.norm(self.embed(mel.transpose(1, 2)).transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        log_mag, phase = self.head(self.final_norm(x.transpose(1, 2))).float().chunk(2, dim=-1)
        spec = torch.polar(torch.exp(log_mag.clamp(max=self.cfg.max_log_magnitude)), phase).transpose(1, 2)
        wav = torch.istft(spec, self.cfg.n_fft, hop, window=self.window, center=True, length=(frames + 1) * hop)
        return wav[:, hop // 2 : hop // 2 + frames * hop]

    def discriminate(self, wav: Tensor) -> tuple[list[Tensor], list[list[Tensor]]]:
        """Scores and feature maps of the discriminators (``adversarial`` models only) for waves ``(B, S)``."""
        return self.discriminators.judge(wav)

    @torch.no_grad()
    def vocode(self, mel: Tensor) -> Tensor:
        """Log-mels ``(B, T, n_mels)`` (as :class:`speechkit.features.mel.LogMel` gives them) -> ``(B, T * hop)``."""
        return self(mel).clamp(-1.0, 1.0)
