"""Greedy (best path) CTC decoding."""

from __future__ import annotations

import torch


def ctc_greedy(log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0) -> list[list[int]]:
    """Best-path labels: per-frame argmax, repeats merged, blanks removed.

    ``log_probs`` (B, T, V), ``lengths`` (B,) -> one list of token ids per utterance.
    """
    best = log_probs.argmax(-1).cpu()
    out = []
    for seq, n in zip(best, lengths.tolist()):
        seq = torch.unique_consecutive(seq[:n])
        out.append(seq[seq != blank].tolist())
    return out
