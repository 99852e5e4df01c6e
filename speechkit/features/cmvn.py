"""Global mean and variance normalisation, with the statistics kept in the model.

The statistics are buffers, so they are saved and loaded with the model's ``state_dict`` and a trained model
directory needs no separate stats file. They are accumulated over valid frames only: padding would otherwise pull
the mean towards the log floor.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn


def frame_mask(lengths: Tensor, max_frames: int) -> Tensor:
    """``(B, max_frames)`` bool, True on the first ``lengths[b]`` frames of row ``b``."""
    return torch.arange(max_frames, device=lengths.device) < lengths[:, None]


def accumulate_stats(batches: Iterable[tuple[Tensor, Tensor]]) -> tuple[Tensor, Tensor]:
    """Per-dimension mean and standard deviation ``(D,)`` of the valid frames of ``(feats (B, F, D), lengths (B,))``
    batches, accumulated in float64 (a float32 sum of squares over hours of frames loses the variance)."""
    count, total, squares = 0, torch.zeros((), dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    for feats, lengths in batches:
        valid = feats[frame_mask(lengths, feats.shape[1])].double()  # (frames, D)
        count += valid.shape[0]
        total = total + valid.sum(0)
        squares = squares + valid.square().sum(0)
    if count == 0:
        raise ValueError("no valid frames to accumulate CMVN statistics from")
    mean = total / count
    return mean, (squares / count - mean.square()).clamp_min(0).sqrt()


class GlobalCMVN(nn.Module):
    """``(feats - mean) / std`` per dimension; an identity until statistics are loaded or given."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("istd", torch.ones(dim))

    @classmethod
    def from_stats(cls, mean: Tensor, std: Tensor, floor: float = 1e-5) -> GlobalCMVN:
        """A new module with the statistics of :func:`accumulate_stats` (see :meth:`set_stats`)."""
        cmvn = cls(mean.shape[0])
        cmvn.set_stats(mean, std, floor)
        return cmvn

    @torch.no_grad()
    def set_stats(self, mean: Tensor, std: Tensor, floor: float = 1e-5) -> None:
        """Load ``(D,)`` statistics in place (for a module already inside a model); ``std`` is floored so that a
        constant dimension does not divide by zero."""
        self.mean.copy_(mean)
        self.istd.copy_(1.0 / std.clamp_min(floor))

    def forward(self, feats: Tensor, lengths: Tensor) -> Tensor:
        """Normalise ``feats`` ``(B, F, D)``; frames past ``lengths`` ``(B,)`` are set to 0 (the mean), so padding
        is the same whatever the batch."""
        normed = (feats - self.mean) * self.istd
        return normed * frame_mask(lengths, feats.shape[1])[..., None]
