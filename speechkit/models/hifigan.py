"""HiFi-GAN (Kong et al., 2020): a mel-to-waveform generator with multi-period and multi-scale discriminators.

Generator: a 7-tap input convolution, then one transposed-convolution upsampling stage per entry of
``upsample_rates`` (their product is the mel hop, 256), each followed by a multi-receptive-field fusion (MRF): the
mean of residual blocks with different kernel sizes and dilations. Leaky ReLU, a 7-tap output convolution and tanh.
All generator convolutions are weight-normalised and keep PyTorch's default initialisation: a true N(0, 0.01) init
(what the paper's code appears to set, on a weight that weight norm then recomputes) starts the output so quiet
that every mel bin sits on the log floor, where the mel loss has no gradient. The discriminators judge raw waves:
each period discriminator folds the wave into ``period`` columns and runs 2-d convolutions down the columns; the
scale discriminators run grouped 1-d convolutions on the wave and on 2x and 4x average-pooled copies (the first
with spectral norm).

The input is the log-mel of :mod:`speechkit.features.mel` with ``config.mel`` (by default ``TTS_MEL``: 22050 Hz,
n_fft 1024, hop 256, 80 mels, 0-8000 Hz), the same features the acoustic model predicts and the mel loss compares.
The discriminators live in the same module so that a checkpoint resumes the whole GAN and a trained vocoder can be
fine-tuned; only :meth:`HiFiGAN.vocode` is needed to synthesize.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

from speechkit.errors import SpeechkitError
from speechkit.features.mel import TTS_MEL, LogMel, MelConfig

LRELU_SLOPE = 0.1


@dataclass
class GeneratorConfig:
    """Sizes; the defaults are the paper's V1 (13.9 M parameters)."""

    channels: int = 512
    upsample_rates: list[int] = field(default_factory=lambda: [8, 8, 2, 2])
    upsample_kernels: list[int] = field(default_factory=lambda: [16, 16, 4, 4])
    resblock_kernels: list[int] = field(default_factory=lambda: [3, 7, 11])
    resblock_dilations: list[list[int]] = field(default_factory=lambda: [[1, 3, 5], [1, 3, 5], [1, 3, 5]])


@dataclass
class DiscriminatorConfig:
    """``width`` scales every discriminator's channel counts (1.0: the paper's)."""

    periods: list[int] = field(default_factory=lambda: [2, 3, 5, 7, 11])
    scales: int = 3
    width: float = 1.0


@dataclass
class HiFiGANConfig:
    mel: MelConfig = TTS_MEL
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)


def _same(kernel: int, dilation: int = 1) -> int:
    return (kernel * dilation - dilation) // 2


class ResBlock(nn.Module):
    """Per dilation ``d``: ``x + conv(lrelu(conv_d(lrelu(x))))``, time length unchanged."""

    def __init__(self, channels: int, kernel: int, dilations: list[int]) -> None:
        super().__init__()
        self.dilated = nn.ModuleList(
            weight_norm(nn.Conv1d(channels, channels, kernel, dilation=d, padding=_same(kernel, d))) for d in dilations
        )
        self.plain = nn.ModuleList(
            weight_norm(nn.Conv1d(channels, channels, kernel, padding=_same(kernel))) for _ in dilations
        )

    def forward(self, x: Tensor) -> Tensor:
        for dilated, plain in zip(self.dilated, self.plain):
            x = x + plain(F.leaky_relu(dilated(F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE))
        return x


class Generator(nn.Module):
    """Log-mels ``(B, n_mels, T)`` -> waves ``(B, T * prod(upsample_rates))`` in [-1, 1]."""

    def __init__(self, cfg: GeneratorConfig, n_mels: int) -> None:
        super().__init__()
        self.pre = weight_norm(nn.Conv1d(n_mels, cfg.channels, 7, padding=3))
        self.ups = nn.ModuleList()
        self.mrfs = nn.ModuleList()
        ch = cfg.channels
        for rate, kernel in zip(cfg.upsample_rates, cfg.upsample_kernels):
            self.ups.append(weight_norm(nn.ConvTranspose1d(ch, ch // 2, kernel, rate, padding=(kernel - rate) // 2)))
            ch //= 2
            self.mrfs.append(nn.ModuleList(ResBlock(ch, k, d) for k, d in zip(cfg.resblock_kernels,
                                                                              cfg.resblock_dilations)))  # fmt: skip
        self.post = weight_norm(nn.Conv1d(ch, 1, 7, padding=3))

    def forward(self, mel: Tensor) -> Tensor:
        x = self.pre(mel)
        for up, mrf in zip(self.ups, self.mrfs):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            x = sum(block(x) for block in mrf) / len(mrf)
        return torch.tanh(self.post(F.leaky_relu(x))).squeeze(1)


def _width(channels: int, width: float) -> int:
    """Channels scaled by ``width``, kept a multiple of 16 so the grouped convolutions still divide."""
    return max(16, round(channels * width / 16) * 16)


class _ConvDiscriminator(nn.Module):
    """What the period and scale discriminators share: ``convs`` (each followed by leaky ReLU), then ``post``."""

    convs: nn.ModuleList
    post: nn.Module

    def judge(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """The flattened score ``(B, N)`` of input ``x``, and every layer's output (the feature-matching maps)."""
        feats = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU_SLOPE)
            feats.append(x)
        x = self.post(x)
        feats.append(x)
        return x.flatten(1), feats


class PeriodDiscriminator(_ConvDiscriminator):
    """Folds a wave ``(B, S)`` into ``(B, 1, S / period, period)`` and convolves along the first axis."""

    def __init__(self, period: int, width: float) -> None:
        super().__init__()
        self.period = period
        chans = [1, *(_width(c, width) for c in (32, 128, 512, 1024, 1024))]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(c_in, c_out, (5, 1), (3 if i < 4 else 1, 1), padding=(2, 0)))
            for i, (c_in, c_out) in enumerate(itertools.pairwise(chans))
        )
        self.post = weight_norm(nn.Conv2d(chans[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, wav: Tensor) -> tuple[Tensor, list[Tensor]]:
        pad = (-wav.shape[-1]) % self.period
        x = F.pad(wav.unsqueeze(1), (0, pad), mode="reflect")
        return self.judge(x.view(x.shape[0], 1, -1, self.period))


class ScaleDiscriminator(_ConvDiscriminator):
    """Grouped 1-d convolutions over a wave ``(B, S)``."""

    def __init__(self, width: float, norm: type = weight_norm) -> None:
        super().__init__()
        c = [_width(n, width) for n in (128, 128, 256, 512, 1024, 1024, 1024)]
        layers = [(1, c[0], 15, 1, 1, 7), (c[0], c[1], 41, 2, 4, 20), (c[1], c[2], 41, 2, 16, 20),
                  (c[2], c[3], 41, 4, 16, 20), (c[3], c[4], 41, 4, 16, 20), (c[4], c[5], 41, 1, 16, 20),
                  (c[5], c[6], 5, 1, 1, 2)]  # fmt: skip
        self.convs = nn.ModuleList(norm(nn.Conv1d(i, o, k, s, groups=g, padding=p)) for i, o, k, s, g, p in layers)
        self.post = norm(nn.Conv1d(c[6], 1, 3, padding=1))

    def forward(self, wav: Tensor) -> tuple[Tensor, list[Tensor]]:
        return self.judge(wav.unsqueeze(1))


class Discriminators(nn.ModuleList):
    """HiFi-GAN's multi-period and multi-scale discriminators, for any vocoder trained adversarially on waves (a
    ModuleList, so that their weights keep the names HiFi-GAN checkpoints have)."""

    def __init__(self, cfg: DiscriminatorConfig) -> None:
        super().__init__([*(PeriodDiscriminator(p, cfg.width) for p in cfg.periods),
                          *(ScaleDiscriminator(cfg.width, spectral_norm if i == 0 else weight_norm)
                            for i in range(cfg.scales))])  # fmt: skip
        self.n_periods = len(cfg.periods)

    def judge(self, wav: Tensor) -> tuple[list[Tensor], list[list[Tensor]]]:
        """Scores and intermediate feature maps of every discriminator for waves ``(B, S)``. The scale
        discriminators see the wave average-pooled 2x per scale after the first."""
        scores, feats = [], []
        x = wav
        for i, disc in enumerate(self):
            if i > self.n_periods:
                x = F.avg_pool1d(x.unsqueeze(1), 4, 2, padding=2).squeeze(1)
            score, fmap = disc(x)
            scores.append(score)
            feats.append(fmap)
        return scores, feats


class HiFiGAN(nn.Module):
    """Generator plus discriminators. ``vocode`` synthesizes; ``discriminate`` is for training.

    Example::

        model = HiFiGAN(HiFiGANConfig()).eval()
        wav = model.vocode(torch.randn(1, 100, 80))  # (1, 25600)
    """

    def __init__(self, cfg: HiFiGANConfig) -> None:
        super().__init__()
        g, d = cfg.generator, cfg.discriminator
        if len(g.upsample_rates) != len(g.upsample_kernels) or math.prod(g.upsample_rates) != cfg.mel.hop_length:
            raise SpeechkitError(None, f"model.generator: upsample_rates {g.upsample_rates} must have one kernel each "
                                 f"and multiply to the mel hop ({cfg.mel.hop_length})")  # fmt: skip
        self.cfg = cfg
        self.logmel = LogMel(cfg.mel)
        self.generator = Generator(g, cfg.mel.n_mels)
        self.discriminators = Discriminators(d)

    def forward(self, mel: Tensor) -> Tensor:
        """Log-mels ``(B, T, n_mels)`` -> waves ``(B, T * hop)``."""
        return self.generator(mel.transpose(1, 2))

    @torch.no_grad()
    def vocode(self, mel: Tensor) -> Tensor:
        """Log-mels ``(B, T, n_mels)`` (as :class:`speechkit.features.mel.LogMel` gives them with ``cfg.mel``) ->
        waves ``(B, T * hop)``; the weight-normalised weights are computed once per call, not once per use."""
        with parametrize.cached():
            return self(mel)

    def discriminate(self, wav: Tensor) -> tuple[list[Tensor], list[list[Tensor]]]:
        """Scores and feature maps of every discriminator for waves ``(B, S)`` (:class:`Discriminators`)."""
        return self.discriminators.judge(wav)
