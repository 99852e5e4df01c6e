"""Audio of a data directory to the aligner's log-mels, and lists of features to padded batches."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from speechkit.data.audio import read_audio
from speechkit.data.datadir import Utterance
from speechkit.models.aligner import AlignerModel


def read_waves(utts: Sequence[Utterance], sample_rate: int) -> list[Tensor]:
    """Each utterance's samples at ``sample_rate`` (resampled where the file's rate differs)."""
    return [torch.from_numpy(read_audio(u.wav, sample_rate)) for u in utts]


@torch.no_grad()
def log_mels(model: AlignerModel, waves: Sequence[Tensor], device: str | torch.device = "cpu") -> list[Tensor]:
    """Each wave's raw log-mel ``(frames, n_mels)``, kept on CPU. One wave at a time: on CPU that is about
    twice as fast as padded batches, and it pads nothing."""
    out = []
    for wave in waves:
        feats, frames = model.features(wave[None].to(device), torch.tensor([len(wave)], device=device))
        out.append(feats[0, : frames[0]].cpu())
    return out


def padded(feats: Sequence[Tensor], device: str | torch.device = "cpu") -> tuple[Tensor, Tensor]:
    """Zero-padded ``(B, F, D)`` features and ``(B,)`` lengths."""
    lengths = torch.tensor([len(f) for f in feats])
    return torch.nn.utils.rnn.pad_sequence(list(feats), batch_first=True).to(device), lengths.to(device)
