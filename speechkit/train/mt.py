"""The text translation task (:mod:`speechkit.models.mt`): ``text.<src>`` to ``text.<tgt>`` of a data dir.

Batches hold at most ``max_tokens`` padded source pieces; the loss is label-smoothed cross-entropy of the next
target piece; validation reports that loss and the BLEU of greedy translations (the score). The experiment dir
is a complete model dir: ``model.yaml``, ``model.pt``, ``lang/source.model`` and ``lang/target.model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

from speechkit.data.batching import DurationBatchSampler
from speechkit.data.datadir import load_data_dir
from speechkit.lang.tokens import trained_tokenizer
from speechkit.models.mt import MTModel, MTModelConfig
from speechkit.models.s2st import SOURCE_UNITS, TARGET_UNITS
from speechkit.models.text_decoder import EOS_ID, PIECE_OFFSET
from speechkit.score.s2st import bleu_chrf
from speechkit.train.asr import TokenConfig
from speechkit.train.loop import LoopConfig, millions
from speechkit.train.parallel import shard
from speechkit.utils.memory import trimmed


@dataclass
class MTDataConfig:
    train: str = "data/train"
    valid: str = "data/dev"
    source_text: str = "text.es"
    target_text: str = "text.en"
    max_tokens: int = 2000
    max_utts: int = 64


@dataclass
class MTTokens:
    source: TokenConfig = field(default_factory=lambda: TokenConfig("bpe", 600))
    target: TokenConfig = field(default_factory=lambda: TokenConfig("bpe", 600))


@dataclass
class MTTrainConfig(LoopConfig):
    label_smoothing: float = 0.1


@dataclass
class MTConfig:
    task: str = "mt"
    exp_dir: str = "exp/mt"
    data: MTDataConfig = field(default_factory=MTDataConfig)
    tokens: MTTokens = field(default_factory=MTTokens)
    model: MTModelConfig = field(default_factory=MTModelConfig)
    train: MTTrainConfig = field(default_factory=MTTrainConfig)


def _collate(items: list[tuple[list[int], list[int]]]) -> dict[str, Tensor]:
    src, tgt = [torch.tensor(s) for s, _ in items], [torch.tensor(t) for _, t in items]
    return {"src": pad_sequence(src, batch_first=True), "src_lengths": torch.tensor([len(s) for s in src]),
            "tgt": pad_sequence(tgt, batch_first=True), "tgt_lengths": torch.tensor([len(t) for t in tgt])}  # fmt: skip


class MTTask:
    """Data, loss and validation for :func:`speechkit.train.loop.train`."""

    name = "mt"
    config = MTConfig

    def __init__(self, cfg: MTConfig, exp_dir: Path) -> None:
        self.cfg, dc = cfg, cfg.data
        texts = [dc.source_text, dc.target_text]
        train, valid = load_data_dir(dc.train, extra=texts), load_data_dir(dc.valid, extra=texts)
        tokens = cfg.tokens
        self.source = trained_tokenizer([u.extra[dc.source_text] for u in train], exp_dir / SOURCE_UNITS,
                                        tokens.source.size, tokens.source.type)  # fmt: skip
        self.target = trained_tokenizer([u.extra[dc.target_text] for u in train], exp_dir / TARGET_UNITS,
                                        tokens.target.size, tokens.target.type)  # fmt: skip
        cfg.model.n_source_pieces, cfg.model.n_target_pieces = len(self.source), len(self.target)
        self.train_set = [self._pair(u.extra[dc.source_text], u.extra[dc.target_text]) for u in train]
        self.valid_set = [self._pair(u.extra[dc.source_text], u.extra[dc.target_text]) for u in valid]
        self.valid_refs = [u.extra[dc.target_text] for u in valid]
        lengths = [len(s) for s, _ in self.train_set]
        self.sampler = shard(DurationBatchSampler(lengths, dc.max_tokens, dc.max_utts, cfg.train.seed),
                             cfg.train.accum_grad)  # fmt: skip
        self.valid_batches = list(DurationBatchSampler([len(s) for s, _ in self.valid_set], dc.max_tokens, dc.max_utts,
                                                       0, shuffle=False))  # fmt: skip

    def _pair(self, source: str, target: str) -> tuple[list[int], list[int]]:
        return self.source.encode(source), [i + PIECE_OFFSET for i in self.target.encode(target)] + [EOS_ID]

    def init_model(self, model: MTModel) -> None:
        """Nothing to set: text needs no statistics."""

    def describe(self, model: MTModel) -> str:
        return (f"MT model: {millions(model)} M parameters, {len(self.train_set)} training pairs, "
                f"{len(self.source)}/{len(self.target)} source/target units")  # fmt: skip

    def num_batches(self, epoch: int) -> int:
        return len(self.sampler)

    def train_batches(self, epoch: int, pin_memory: bool = False) -> DataLoader:
        self.sampler.set_epoch(epoch)
        return DataLoader(self.train_set, batch_sampler=self.sampler, collate_fn=_collate, pin_memory=pin_memory)

    def start_epoch(self, model: MTModel, epoch: int) -> None:
        """Nothing to switch."""

    def features(self, model: MTModel, batch: dict[str, Tensor], device: torch.device) -> dict[str, Tensor]:
        return {k: v.to(device, non_blocking=True) for k, v in batch.items()}

    def _ce(self, model: MTModel, b: dict[str, Tensor]) -> Tensor:
        inputs = torch.cat([torch.full_like(b["tgt"][:, :1], EOS_ID), b["tgt"][:, :-1]], 1)
        logits = model(b["src"], b["src_lengths"], inputs, b["tgt_lengths"])
        return F.cross_entropy(logits.float().transpose(1, 2), b["tgt"], ignore_index=0,
                               label_smoothing=self.cfg.train.label_smoothing)  # fmt: skip

    def loss(self, model: MTModel, b: dict[str, Tensor], epoch: int) -> tuple[Tensor, dict[str, float], int]:
        return self._ce(model, b), {}, len(b["src"])

    def validate(self, model: MTModel, epoch: int, device: torch.device) -> dict[str, Any]:
        """Cross-entropy and the BLEU (the score) of greedy translations of the validation set."""
        total, hyps = 0.0, {}
        for idx in trimmed(self.valid_batches):
            b = self.features(model, _collate([self.valid_set[i] for i in idx]), device)
            total += self._ce(model, b).item() * len(idx)
            for i, ids in zip(idx, model.translate(b["src"], b["src_lengths"], beam=1)):
                hyps[i] = self.target.decode(ids)
        bleu, chrf, _ = bleu_chrf(dict(enumerate(self.valid_refs)), hyps)
        return {"ce": total / len(self.valid_set), "bleu": bleu, "chrf": chrf, "score": bleu}
