"""Conformer encoder that exposes intermediate layers (for CTC at a lower layer, as in Lugosch et al. 2019)."""

from __future__ import annotations

import torch
from torch import nn
from torchaudio.models.conformer import ConformerLayer


def padding_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """(B, T) boolean mask, True on padded frames."""
    t = int(lengths.max()) if max_len is None else max_len
    return torch.arange(t, device=lengths.device).unsqueeze(0) >= lengths.unsqueeze(1)


class ConformerEncoder(nn.Module):
    """A stack of torchaudio ``ConformerLayer``; ``forward`` returns the outputs of the requested layers."""

    def __init__(self, d_model: int, num_heads: int, ffn_dim: int, num_layers: int, kernel_size: int,
                 dropout: float) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            ConformerLayer(d_model, ffn_dim, num_heads, kernel_size, dropout) for _ in range(num_layers)
        )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, keep: set[int]) -> dict[int, torch.Tensor]:
        """``x`` (B, T, d); returns ``{layer: (B, T, d)}`` for each 1-based layer index in ``keep``."""
        mask = padding_mask(lengths, x.shape[1])
        h, out = x.transpose(0, 1), {}
        for i, layer in enumerate(self.layers, start=1):
            h = layer(h, mask)
            if i in keep:
                out[i] = h.transpose(0, 1)
        return out
