"""Convolutional subsampling: (B, T, F) features to (B, T // 4, d) encoder frames."""

from __future__ import annotations

import math

import torch
from torch import nn

SUBSAMPLING = 4  # encoder frames are this many feature frames apart


class Conv2dSubsampling(nn.Module):
    """Two stride-2 3x3 convolutions (4x in time), then a linear projection and sinusoidal positions.

    The torchaudio Conformer layers have no positional encoding of their own, so it is added here.
    """

    def __init__(self, n_feats: int, d_model: int, channels: int = 64, dropout: float = 0.1) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels, 3, stride=2), nn.SiLU(), nn.Conv2d(channels, channels, 3, stride=2), nn.SiLU()
        )
        freq = ((n_feats - 1) // 2 - 1) // 2
        self.proj = nn.Linear(channels * freq, d_model)
        self.dropout = nn.Dropout(dropout)
        self.d_model = d_model

    @staticmethod
    def out_lengths(lengths: torch.Tensor) -> torch.Tensor:
        """Frame counts after subsampling (two valid-padding stride-2 kernels of 3)."""
        return ((lengths - 1) // 2 - 1) // 2

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``feats`` (B, T, F) -> (B, T', d_model), lengths (B,)."""
        x = self.conv(feats.unsqueeze(1))  # (B, C, T', F')
        b, c, t, f = x.shape
        x = self.proj(x.transpose(1, 2).reshape(b, t, c * f))
        x = x * math.sqrt(self.d_model) + _positions(t, self.d_model, x.device, x.dtype)
        return self.dropout(x), self.out_lengths(lengths).clamp(min=1)


def _positions(n: int, d: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    pos = torch.arange(n, device=device, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(n, d, device=device)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
    return pe.to(dtype)
