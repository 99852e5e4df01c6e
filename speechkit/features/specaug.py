"""SpecAugment (Park et al., 2019) without time warping: random frequency and time masks, vectorised.

Apply it after CMVN: masked values are set to 0, which is then the mean. Mask widths are drawn per utterance, time
masks scale with each utterance's length and stay inside it, so no mask is wasted on padding.
Randomness comes from the ``generator`` given to :meth:`SpecAugment.forward`, else from torch's global RNG, so
seeding either (``torch.manual_seed(seed)``) makes training reproducible. Draws happen on the CPU, so the same seed
gives the same masks on any device.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _uniform(batch: int, n: int, generator: torch.Generator | None) -> Tensor:
    """``(batch, n)`` uniform in [0, 1), in float64 so that ``u * k`` truncates below ``k`` for any length ``k``."""
    return torch.rand(batch, n, generator=generator, dtype=torch.float64)


def _bands(size: int, n: int, max_width: Tensor, limit: Tensor, generator: torch.Generator | None) -> Tensor:
    """``(B, size)`` bool: the union of ``n`` bands per row, band width uniform in ``[0, max_width[b]]`` and band
    start uniform so that the band ends by ``limit[b]``. ``max_width`` and ``limit`` are ``(B,)`` integer tensors."""
    batch = limit.shape[0]
    width = (_uniform(batch, n, generator) * (max_width[:, None] + 1)).long()
    start = (_uniform(batch, n, generator) * (limit[:, None] - width + 1).clamp_min(1)).long()
    pos = torch.arange(size)
    inside = (pos >= start[..., None]) & (pos < (start + width)[..., None])  # (B, n, size)
    return inside.any(dim=1)


class SpecAugment(nn.Module):
    """Frequency and time masking, active in ``train()`` mode only.

    ``freq_masks`` bands of up to ``freq_width`` bins, and ``time_masks`` bands of up to ``time_width`` times the
    utterance's length (defaults: the Conformer paper's 2 x 27 bins and 10 x 5 %).
    """

    def __init__(self, freq_masks: int = 2, freq_width: int = 27, time_masks: int = 10,
                 time_width: float = 0.05) -> None:
        super().__init__()
        self.freq_masks, self.freq_width = freq_masks, freq_width
        self.time_masks, self.time_width = time_masks, time_width

    def forward(self, feats: Tensor, lengths: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Masked copy of ``feats`` ``(B, F, D)`` (``lengths`` ``(B,)`` frames); ``feats`` itself in eval mode.

        ``generator`` must be a CPU generator; None draws from the global RNG.
        """
        if not self.training:
            return feats
        batch, frames, dim = feats.shape
        lengths = lengths.cpu()
        freq = _bands(dim, self.freq_masks, torch.full((batch,), self.freq_width), torch.full((batch,), dim), generator)
        time = _bands(frames, self.time_masks, (lengths * self.time_width).long(), lengths, generator)
        mask = (freq[:, None, :] | time[:, :, None]).to(feats.device)
        return feats.masked_fill(mask, 0.0)
