"""What the tasks whose models read waveforms (ASR and SLU) share: ``data:`` keys, sets, batches, CMVN, CTC.

Both tasks train a :class:`~speechkit.models.ctc.ConformerCTC` on a Kaldi data dir of recordings: speed-perturbed
training audio in batches of bounded total duration, unperturbed validation audio in fixed batches, CMVN
statistics from the unperturbed training audio, a CTC loss and greedy-CTC error rates on the validation set. Only
the targets and heads differ, so :class:`AudioTask` does the rest once and a task subclasses it with its
:meth:`~AudioTask.targets`, loss and validation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader

from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import Utterance
from speechkit.features.augment import AugmentConfig
from speechkit.data.dataset import AudioDataset, Targets, collate
from speechkit.models.ctc import ConformerCTC, ctc_greedy
from speechkit.score.asr import UttResult, align_sentence
from speechkit.train.parallel import shard
from speechkit.utils.memory import trimmed


@dataclass
class AudioDataConfig:
    """Data dirs; a batch holds at most ``max_seconds`` of audio and ``max_utts`` utterances. Each training item
    plays at a speed drawn from ``speed_perturb`` per epoch, then meets the waveform augmentations of ``augment``
    (:mod:`speechkit.features.augment`; all off by default); ``cache_audio`` keeps all audio in memory."""

    train: str = "data/train"
    valid: str = "data/dev"
    max_seconds: float = 200.0
    max_utts: int = 64
    speed_perturb: list[float] = field(default_factory=lambda: [0.9, 1.0, 1.1])
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    cache_audio: bool = True
    num_workers: int = 0


class AudioTask:
    """Datasets, batches, feature extraction and CMVN initialisation for :func:`speechkit.train.loop.train`;
    subclasses give :meth:`targets` and the loop's ``start_epoch``, ``loss`` and ``validate``."""

    def __init__(self, dc: AudioDataConfig, train_utts: list[Utterance], valid_utts: list[Utterance],
                 sample_rate: int, seed: int, accum_grad: int = 1) -> None:  # fmt: skip
        self.train_utts, self.valid_utts, self.sample_rate = train_utts, valid_utts, sample_rate
        self.num_workers = dc.num_workers
        self.train_set = AudioDataset(train_utts, self.targets, sample_rate, dc.speed_perturb, seed, dc.cache_audio,
                                      dc.augment)  # fmt: skip
        self.valid_set = AudioDataset(valid_utts, self.targets, sample_rate, [1.0], seed, dc.cache_audio)
        self.sampler = shard(DurationBatchSampler(_durations(dc.train, train_utts), dc.max_seconds, dc.max_utts, seed),
                             accum_grad)  # fmt: skip
        self.valid_batches = list(DurationBatchSampler(_durations(dc.valid, valid_utts), dc.max_seconds, dc.max_utts,
                                                       seed=0, shuffle=False))  # fmt: skip

    def targets(self, utt: Utterance) -> Targets:
        """The named integer targets of ``utt`` that :func:`~speechkit.data.dataset.collate` batches."""
        raise NotImplementedError

    def num_batches(self, epoch: int) -> int:
        return len(self.sampler)

    def train_batches(self, epoch: int, pin_memory: bool = False) -> DataLoader:
        self.sampler.set_epoch(epoch)
        self.train_set.set_epoch(epoch)
        return DataLoader(self.train_set, batch_sampler=self.sampler, collate_fn=self.collate_batch,
                          num_workers=self.num_workers, pin_memory=pin_memory)  # fmt: skip

    def collate_batch(self, items: list[Any]) -> dict[str, Any]:
        """Items of the training or validation set into a batch (a task with more than audio and integer targets
        in its items overrides this)."""
        return collate(items)

    def features(self, model: ConformerCTC, batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
        batch = {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        batch["feats"], batch["feat_lengths"] = model.features(batch["wav"], batch["wav_lengths"])
        return batch

    def validation_outputs(self, model: ConformerCTC, device: torch.device
                           ) -> Iterator[tuple[list[int], dict[str, Any], dict[str, torch.Tensor]]]:  # fmt: skip
        """Each validation batch: its item indices, the batch with features, and the model's outputs."""
        for idx in trimmed(self.valid_batches):
            b = self.features(model, self.collate_batch([self.valid_set[i] for i in idx]), device)
            yield idx, b, model(b["feats"], b["feat_lengths"])

    def greedy_results(self, idx: list[int], log_probs: Tensor, lengths: Tensor,
                       to_text: Callable[[list[int]], str]) -> list[UttResult]:  # fmt: skip
        """The greedy-CTC transcripts of validation items ``idx`` (``log_probs`` (B, T, V) of one batch, ids to
        text by ``to_text``) aligned against their references."""
        hyps = ctc_greedy(log_probs, lengths)
        return [align_sentence(self.valid_utts[i].utt, self.valid_utts[i].text, to_text(h)) for i, h in zip(idx, hyps)]

    def init_model(self, model: ConformerCTC, max_utts: int = 1000, batch_size: int = 64) -> None:
        """A fresh model's CMVN statistics, from (up to ``max_utts``) unperturbed training utterances."""
        plain = AudioDataset(self.train_utts[:max_utts], lambda u: {}, self.sample_rate)

        def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            for start in range(0, len(plain), batch_size):
                b = collate([plain[i] for i in range(start, min(start + batch_size, len(plain)))])
                yield b["wav"], b["wav_lengths"]

        model.init_cmvn(batches())


def ctc_loss(log_probs: Tensor, lengths: Tensor, targets: Tensor, target_lengths: Tensor) -> Tensor:
    """Mean CTC loss of ``log_probs`` (B, T, V) in fp32; an impossible alignment (targets longer than the
    frames) counts zero instead of infinity."""
    return F.ctc_loss(log_probs.float().transpose(0, 1), targets, lengths, target_lengths, zero_infinity=True)


def _durations(data_dir: str, utts: Sequence[Utterance]) -> list[float]:
    """Seconds of each of ``utts``, in order, from ``data_dir``'s durations."""
    durations = read_durations(data_dir)
    return [durations[u.utt] for u in utts]
