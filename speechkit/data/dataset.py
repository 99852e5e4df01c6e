"""Utterances of a data directory as training examples (audio plus integer targets), and their collation.

The dataset knows no task: the caller maps each :class:`~speechkit.data.datadir.Utterance` to named integer
targets (token ids, an intent index...). Speed perturbation picks its factor from ``(seed, epoch, index)``, so an
example is the same whichever DataLoader worker builds it and in whatever order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import Dataset

from speechkit.data.audio import read_audio
from speechkit.data.datadir import Utterance
from speechkit.features.augment import AugmentConfig, augment
from speechkit.features.perturb import speed_perturb

Targets = Mapping[str, Sequence[int] | int]
Example = dict[str, str | Tensor | Sequence[int] | int]
_INT16_SCALE = 32768.0


class AudioDataset(Dataset[Example]):
    """Item ``i`` is ``{"utt": id, "wav": float32 (samples,), **targets(utts[i])}`` at ``sample_rate``.

    ``speeds`` lists the speed-perturbation factors drawn from uniformly per item and epoch ((1.0,) turns it off);
    ``augmentation`` says how often each waveform augmentation applies, drawn per item and epoch too.
    ``cache=True`` reads all audio at construction and keeps it as int16 (half the memory of float32; exact for
    16-bit files at the config rate). It loads eagerly so that DataLoader workers, forked afterwards, share one
    copy instead of each filling and losing its own. Call :meth:`set_epoch` before creating each epoch's
    iterator (workers copy the dataset then; so do not combine with ``persistent_workers``).
    """

    def __init__(self, utts: Sequence[Utterance], targets: Callable[[Utterance], Targets], sample_rate: int,
                 speeds: Sequence[float] = (1.0,), seed: int = 0, cache: bool = False,
                 augmentation: AugmentConfig | None = None) -> None:  # fmt: skip
        self.utts, self.targets, self.sample_rate = list(utts), targets, sample_rate
        self.speeds, self.seed, self.epoch = tuple(speeds), seed, 0
        self.augmentation = augmentation if augmentation is not None and augmentation.active else None
        self.cached = [self._int16(u) for u in self.utts] if cache else None

    def set_epoch(self, epoch: int) -> None:
        """Draw the speed factors of ``epoch``."""
        self.epoch = epoch

    def speed(self, index: int) -> float:
        """The speed factor of item ``index`` in the current epoch."""
        if len(self.speeds) == 1:
            return self.speeds[0]
        return self.speeds[np.random.default_rng((self.seed, self.epoch, index)).integers(len(self.speeds))]

    def __len__(self) -> int:
        return len(self.utts)

    def __getitem__(self, index: int) -> Example:
        utt = self.utts[index]
        if self.cached is None:
            wav = read_audio(utt.wav, self.sample_rate)
        else:
            wav = self.cached[index].astype(np.float32) / _INT16_SCALE
        wav = speed_perturb(wav, self.sample_rate, self.speed(index))
        if self.augmentation is not None:
            rng = np.random.default_rng((self.seed, self.epoch, index, 1))
            wav = augment(wav, self.sample_rate, self.augmentation, rng)
        return {"utt": utt.utt, "wav": torch.from_numpy(wav), **self.targets(utt)}

    def _int16(self, utt: Utterance) -> np.ndarray:
        wav = read_audio(utt.wav, self.sample_rate) * _INT16_SCALE
        return wav.round().clip(-_INT16_SCALE, _INT16_SCALE - 1).astype(np.int16)


def _padded(seqs: list[Tensor]) -> tuple[Tensor, Tensor]:
    """Zero-padded ``(B, longest)`` batch of 1-d tensors, and their lengths ``(B,)``."""
    return pad_sequence(seqs, batch_first=True), torch.tensor([len(s) for s in seqs], dtype=torch.long)


def collate(batch: Sequence[Example]) -> dict[str, Tensor | list[str]]:
    """Stack :class:`AudioDataset` items into a batch.

    ``utt``: list of ids; ``wav`` ``(B, T)`` zero-padded with ``wav_lengths`` ``(B,)``; each list target ``name``
    ``(B, L)`` long, zero-padded (lengths say where it ends) with ``name_lengths`` ``(B,)``; each int target
    ``(B,)`` long.
    """
    out: dict[str, Tensor | list[str]] = {"utt": [item["utt"] for item in batch]}
    out["wav"], out["wav_lengths"] = _padded([item["wav"] for item in batch])
    for name in [key for key in batch[0] if key not in ("utt", "wav")]:
        values = [torch.as_tensor(item[name], dtype=torch.long) for item in batch]
        if values[0].ndim == 0:
            out[name] = torch.stack(values)
        else:
            out[name], out[f"{name}_lengths"] = _padded(values)
    return out
