"""FastSpeech 2's variance adaptor: token durations, pitch and energy, and the length regulator.

Everything here is token level (one value per phone, as in the FastSpeech 2 paper's phoneme-level variant): the
duration predictor works in ``log(1 + frames)``, pitch is the phone's mean log-F0 and energy its mean STFT-frame
norm, both z-normalized with training statistics kept as buffers (so a model dir carries them). Pitch and energy
reach the hidden sequence through a 1-d convolution of the value (FastPitch's embedding) rather than a table of
quantized bins: continuous values need no bin edges, and ``pitch_scale`` / ``energy_scale`` move them smoothly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from speechkit.features.cmvn import GlobalCMVN
from speechkit.models.conformer import padding_mask


@dataclass
class VarianceConfig:
    """The three predictors: two convolutions of ``channels`` with ``kernel_size``, then a linear output."""

    channels: int = 256
    kernel_size: int = 3
    dropout: float = 0.5


@dataclass(frozen=True)
class Controls:
    """Inference-time controls: ``speed`` > 1 speaks faster (durations divided by it); pitch (F0) and energy are
    multiplied by their scales."""

    speed: float = 1.0
    pitch_scale: float = 1.0
    energy_scale: float = 1.0

    def __post_init__(self) -> None:
        if min(self.speed, self.pitch_scale, self.energy_scale) <= 0:
            raise ValueError(f"speed and scales must be positive, got {self}")


class VariancePredictor(nn.Module):
    """Two conv -> ReLU -> LayerNorm -> dropout layers and a linear head: ``(B, N, d)`` -> ``(B, N)``, 0 on padding."""

    def __init__(self, d_model: int, cfg: VarianceConfig) -> None:
        super().__init__()
        pad = cfg.kernel_size // 2
        self.convs = nn.ModuleList([nn.Conv1d(d_model, cfg.channels, cfg.kernel_size, padding=pad),
                                    nn.Conv1d(cfg.channels, cfg.channels, cfg.kernel_size, padding=pad)])  # fmt: skip
        self.norms = nn.ModuleList([nn.LayerNorm(cfg.channels) for _ in self.convs])
        self.dropout = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.channels, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``mask`` ``(B, N)`` is True on padding; padded inputs are zeroed so a batch predicts what each item would
        alone."""
        for conv, norm in zip(self.convs, self.norms):
            x = x.masked_fill(mask[..., None], 0.0)
            x = self.dropout(norm(conv(x.transpose(1, 2)).transpose(1, 2).relu()))
        return self.out(x).squeeze(-1).masked_fill(mask, 0.0)


def durations_from_log(log_durations: Tensor, mask: Tensor, speed: float = 1.0) -> Tensor:
    """Frames per token from predicted ``log(1 + frames)`` ``(B, N)`` at ``speed``: ``round((e^x - 1) / speed)``,
    at least 1 for every real token (a phone the text asks for is never dropped, and no output is empty), 0 on
    padding (``mask`` True)."""
    frames = torch.round(torch.expm1(log_durations.float()).clamp_min(0) / speed).long().clamp_min(1)
    return frames.masked_fill(mask, 0)


def length_regulate(x: Tensor, durations: Tensor) -> tuple[Tensor, Tensor]:
    """Repeat token ``n`` of ``x`` ``(B, N, d)`` ``durations[b, n]`` times: ``(B, T, d)`` with
    ``T = max_b sum_n durations[b, n]`` (at least 1), zero past each item's length, and the lengths ``(B,)``.

    Example::

        y, lens = length_regulate(torch.eye(3)[None], torch.tensor([[2, 0, 1]]))  # rows 0, 0, 2; lens [3]
    """
    ends = durations.long().cumsum(-1)  # (B, N)
    lengths = ends[:, -1]
    t = torch.arange(max(int(lengths.max()), 1), device=x.device)
    index = torch.searchsorted(ends, t.expand(len(x), -1).contiguous(), right=True)  # token of each frame
    out = torch.gather(x, 1, index.clamp_max(x.shape[1] - 1)[..., None].expand(-1, -1, x.shape[-1]))
    return out.masked_fill(padding_mask(lengths, len(t))[..., None], 0.0), lengths


class VarianceAdaptor(nn.Module):
    """Adds predicted (or, in training, target) pitch and energy to the encoder output and expands it to frames.

    Pitch is log-F0 and energy the STFT frame norm, both phone means; ``pitch_norm`` / ``energy_norm`` hold their
    training statistics.
    """

    def __init__(self, d_model: int, cfg: VarianceConfig) -> None:
        super().__init__()
        self.duration = VariancePredictor(d_model, cfg)
        self.pitch = VariancePredictor(d_model, cfg)
        self.energy = VariancePredictor(d_model, cfg)
        self.pitch_embed = nn.Conv1d(1, d_model, 3, padding=1)
        self.energy_embed = nn.Conv1d(1, d_model, 3, padding=1)
        self.pitch_norm = GlobalCMVN(1)
        self.energy_norm = GlobalCMVN(1)

    def normalize(self, pitch: Tensor, energy: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Raw token log-F0 and energy ``(B, N)`` to the z-scores the predictors learn (0 on padding)."""
        return (self.pitch_norm(pitch[..., None], lengths)[..., 0],
                self.energy_norm(energy[..., None], lengths)[..., 0])  # fmt: skip

    def scale_pitch(self, z: Tensor, scale: float) -> Tensor:
        """Pitch z-scores with F0 multiplied by ``scale``: log-F0 shifts by ``log(scale)``."""
        return z + math.log(scale) * self.pitch_norm.istd

    def scale_energy(self, z: Tensor, scale: float) -> Tensor:
        """Energy z-scores with the energy multiplied by ``scale``."""
        mean, istd = self.energy_norm.mean, self.energy_norm.istd
        return ((z / istd + mean) * scale - mean) * istd

    def _embed(self, conv: nn.Conv1d, values: Tensor, mask: Tensor) -> Tensor:
        """Padding is zeroed before and after the convolution, so neighbours in a batch never leak in."""
        return conv(values.masked_fill(mask, 0.0)[:, None, :]).transpose(1, 2).masked_fill(mask[..., None], 0.0)

    def forward(self, x: Tensor, lengths: Tensor, durations: Tensor | None = None, pitch: Tensor | None = None,
                energy: Tensor | None = None, controls: Controls = Controls()) -> dict[str, Tensor]:  # fmt: skip
        """``x`` ``(B, N, d)`` encoder output of ``lengths`` tokens. With targets (training: ``durations`` in frames,
        raw ``pitch`` and ``energy``, all ``(B, N)``) those drive the expansion; without, the predictions do.

        Returns ``frames`` ``(B, T, d)``, ``frame_lengths``, ``durations`` used, the predictions ``log_duration``,
        ``pitch``, ``energy`` (z-scores) and, with targets, ``pitch_target`` / ``energy_target`` z-scores.
        """
        mask = padding_mask(lengths, x.shape[1])
        out = {"log_duration": self.duration(x, mask), "pitch": self.pitch(x, mask)}
        if pitch is not None and energy is not None:
            out["pitch_target"], out["energy_target"] = self.normalize(pitch, energy, lengths)
            x = x + self._embed(self.pitch_embed, out["pitch_target"], mask)
            out["energy"] = self.energy(x, mask)
            x = x + self._embed(self.energy_embed, out["energy_target"], mask)
        else:
            x = x + self._embed(self.pitch_embed, self.scale_pitch(out["pitch"], controls.pitch_scale), mask)
            out["energy"] = self.energy(x, mask)
            x = x + self._embed(self.energy_embed, self.scale_energy(out["energy"], controls.energy_scale), mask)
        if durations is None:
            durations = durations_from_log(out["log_duration"], mask, controls.speed)
        out["frames"], out["frame_lengths"] = length_regulate(x, durations)
        out["durations"] = durations
        return out
