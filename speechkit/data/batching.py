"""Batches by duration: utterances of similar length together, under a budget of padded seconds.

The budget counts padding (``batch size x longest``) because padded frames cost the encoder as much as real ones.
Utterances are bucketed once by sorted duration, so the batches are the same every epoch; their order is shuffled
per epoch from ``seed + epoch``, so a run is reproducible and a resumed run sees the order the original would have.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from torch.utils.data import Sampler

from speechkit.data.audio import audio_info
from speechkit.data.table import read_table, write_table
from speechkit.errors import SpeechkitError


def read_durations(data_dir: str | Path) -> dict[str, float]:
    """Seconds per utterance of a data directory, in ``wav.scp`` order.

    Read from ``utt2dur`` when it lists exactly the utterances of ``wav.scp``; otherwise measured from the audio
    headers (no decoding) and written to ``utt2dur`` so the next run only reads a table.
    """
    data_dir = Path(data_dir)
    wavs = read_table(data_dir / "wav.scp")
    cache = data_dir / "utt2dur"
    if cache.is_file():
        cached = read_table(cache)
        if cached.keys() == wavs.keys():
            return {utt: _seconds(cache, utt, cached[utt]) for utt in wavs}
    durations = {}
    for utt, path in wavs.items():
        info = audio_info(path)
        durations[utt] = info.frames / info.samplerate
    write_table(cache, {utt: f"{seconds:.6f}" for utt, seconds in durations.items()})
    return durations


def _seconds(path: Path, utt: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise SpeechkitError(path, f"duration {value!r} of utterance {utt!r} is not a number") from None


class DurationBatchSampler(Sampler[list[int]]):
    """Yields lists of dataset indices whose padded duration ``len(batch) * max(durations)`` is at most
    ``max_seconds`` (and whose size is at most ``max_utts``, if given).

    An utterance longer than ``max_seconds`` forms a batch of its own rather than being dropped. Call
    :meth:`set_epoch` before each epoch; with ``shuffle=False`` batches come shortest first.
    """

    def __init__(self, durations: Sequence[float], max_seconds: float, max_utts: int | None = None,
                 seed: int = 0, shuffle: bool = True) -> None:
        if max_seconds <= 0 or (max_utts is not None and max_utts < 1):
            raise SpeechkitError(None, f"a batch needs a positive size limit and room for 1 utterance, got "
                                       f"{max_seconds:g} and max_utts {max_utts}: check data.max_* in the config")
        self.seed, self.shuffle, self.epoch = seed, shuffle, 0
        self.batches: list[list[int]] = []
        batch: list[int] = []
        for index in sorted(range(len(durations)), key=lambda i: (durations[i], i)):
            size = len(batch) + 1
            if batch and (size * durations[index] > max_seconds or (max_utts is not None and size > max_utts)):
                self.batches.append(batch)
                batch = []
            batch.append(index)
        if batch:
            self.batches.append(batch)

    def set_epoch(self, epoch: int) -> None:
        """Choose the batch order of ``epoch``."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[list[int]]:
        order = range(len(self.batches))
        if self.shuffle:
            order = torch.randperm(len(order), generator=torch.Generator().manual_seed(self.seed + self.epoch)).tolist()
        for i in order:
            yield list(self.batches[i])

    def __len__(self) -> int:
        return len(self.batches)


class ShuffledBatchSampler(Sampler[list[int]]):
    """Batches of ``batch_size`` indices out of ``range(n)``, reshuffled each epoch from ``seed + epoch``; the last
    partial batch is left out (fixed-size batches, as a vocoder's random segments want)."""

    def __init__(self, n: int, batch_size: int, seed: int = 0) -> None:
        self.n, self.batch_size, self.seed, self.epoch = n, batch_size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[list[int]]:
        order = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed + self.epoch)).tolist()
        for i in range(len(self)):
            yield order[i * self.batch_size : (i + 1) * self.batch_size]

    def __len__(self) -> int:
        return self.n // self.batch_size
