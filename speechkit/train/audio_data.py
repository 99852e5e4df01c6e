"""The data side of the tasks whose models read waveforms (ASR and SLU): ``data:`` keys, sets, batches, CMVN.

Both tasks train a :class:`~speechkit.models.ctc.ConformerCTC` on a Kaldi data dir of recordings: speed-perturbed
training audio in batches of bounded total duration, unperturbed validation audio in fixed batches, and CMVN
statistics from the unperturbed training audio. Only the targets differ, so :class:`AudioTask` does the rest once
and a task subclasses it with its :meth:`~AudioTask.targets`, loss and validation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import DataLoader

from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import Utterance
from speechkit.data.dataset import AudioDataset, Targets, collate
from speechkit.models.ctc import ConformerCTC


@dataclass
class AudioDataConfig:
    """Data dirs; a batch holds at most ``max_seconds`` of audio and ``max_utts`` utterances. Each training item
    plays at a speed drawn from ``speed_perturb`` per epoch; ``cache_audio`` keeps all audio in memory."""

    train: str = "data/train"
    valid: str = "data/dev"
    max_seconds: float = 200.0
    max_utts: int = 64
    speed_perturb: list[float] = field(default_factory=lambda: [0.9, 1.0, 1.1])
    cache_audio: bool = True
    num_workers: int = 0


class AudioTask:
    """Datasets, batches, feature extraction and CMVN initialisation for :func:`speechkit.train.loop.train`;
    subclasses give :meth:`targets` and the loop's ``start_epoch``, ``loss`` and ``validate``."""

    def __init__(self, dc: AudioDataConfig, train_utts: list[Utterance], valid_utts: list[Utterance],
                 sample_rate: int, seed: int) -> None:  # fmt: skip
        self.train_utts, self.valid_utts, self.sample_rate = train_utts, valid_utts, sample_rate
        self.num_workers = dc.num_workers
        self.train_set = AudioDataset(train_utts, self.targets, sample_rate, dc.speed_perturb, seed, dc.cache_audio)
        self.valid_set = AudioDataset(valid_utts, self.targets, sample_rate, [1.0], seed, dc.cache_audio)
        self.sampler = DurationBatchSampler(_durations(dc.train, train_utts), dc.max_seconds, dc.max_utts, seed)
        self.valid_batches = list(DurationBatchSampler(_durations(dc.valid, valid_utts), dc.max_seconds, dc.max_utts,
                                                       seed=0, shuffle=False))  # fmt: skip

    def targets(self, utt: Utterance) -> Targets:
        """The named integer targets of ``utt`` that :func:`~speechkit.data.dataset.collate` batches."""
        raise NotImplementedError

    def num_batches(self, epoch: int) -> int:
        return len(self.sampler)

    def train_batches(self, epoch: int) -> DataLoader:
        self.sampler.set_epoch(epoch)
        self.train_set.set_epoch(epoch)
        return DataLoader(self.train_set, batch_sampler=self.sampler, collate_fn=collate, num_workers=self.num_workers)

    def features(self, model: ConformerCTC, batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
        batch = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        batch["feats"], batch["feat_lengths"] = model.features(batch["wav"], batch["wav_lengths"])
        return batch

    def validation_outputs(self, model: ConformerCTC, device: torch.device
                           ) -> Iterator[tuple[list[int], dict[str, Any], dict[str, torch.Tensor]]]:  # fmt: skip
        """Each validation batch: its item indices, the batch with features, and the model's outputs."""
        for idx in self.valid_batches:
            b = self.features(model, collate([self.valid_set[i] for i in idx]), device)
            yield idx, b, model(b["feats"], b["feat_lengths"])

    def init_cmvn(self, model: ConformerCTC, max_utts: int = 1000, batch_size: int = 64) -> None:
        """Set the model's CMVN statistics from (up to ``max_utts``) unperturbed training utterances."""
        plain = AudioDataset(self.train_utts[:max_utts], lambda u: {}, self.sample_rate)

        def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            for start in range(0, len(plain), batch_size):
                b = collate([plain[i] for i in range(start, min(start + batch_size, len(plain)))])
                yield b["wav"], b["wav_lengths"]

        model.init_cmvn(batches())


def _durations(data_dir: str, utts: Sequence[Utterance]) -> list[float]:
    """Seconds of each of ``utts``, in order, from ``data_dir``'s durations."""
    durations = read_durations(data_dir)
    return [durations[u.utt] for u in utts]
