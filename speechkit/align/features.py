"""Audio of a data directory to the aligner's log-mels, kept on disk for training, and features to padded batches."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
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


class FeatureStore(Sequence[Tensor]):
    """Log-mels of a whole training set in one file, read back one utterance at a time.

    The aligner's training passes over every utterance many times; holding all features in memory made its peak
    resident memory grow with the corpus (1.6 GB for the mini LJSpeech corpus, 3.7 GB for five copies of it). Reads
    are plain ``pread`` calls, not a memory map, so what the OS caches does not count against the process.
    """

    def __init__(self, path: Path, n_mels: int) -> None:
        self.path, self.n_mels = path, n_mels
        self.lengths: list[int] = []
        self.offsets: list[int] = [0]
        self._file = open(path, "w+b")  # noqa: SIM115 - kept open for the store's life, closed by close()

    @classmethod
    def build(cls, model: AlignerModel, utts: Sequence[Utterance], path: Path, device: str | torch.device = "cpu",
              chunk: int = 64) -> FeatureStore:  # fmt: skip
        """The log-mels of ``utts`` (read ``chunk`` recordings at a time) into a new store at ``path``."""
        store = cls(path, model.cfg.features.n_mels)
        for first in range(0, len(utts), chunk):
            for feats in log_mels(model, read_waves(utts[first : first + chunk], model.cfg.features.sample_rate), device):
                store.append(feats)
        return store

    def append(self, feats: Tensor) -> None:
        data = feats.float().contiguous().numpy().tobytes()
        self._file.seek(self.offsets[-1])
        self._file.write(data)
        self.lengths.append(len(feats))
        self.offsets.append(self.offsets[-1] + len(data))

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> Tensor:  # type: ignore[override]
        self._file.flush()
        data = os.pread(self._file.fileno(), self.offsets[i + 1] - self.offsets[i], self.offsets[i])
        return torch.from_numpy(np.frombuffer(data, dtype=np.float32).reshape(self.lengths[i], self.n_mels).copy())

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def close(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def frame_counts(feats: Sequence[Tensor]) -> list[int]:
    """The frames of each utterance's features (a :class:`FeatureStore` knows them without reading)."""
    return list(feats.lengths) if isinstance(feats, FeatureStore) else [len(f) for f in feats]
