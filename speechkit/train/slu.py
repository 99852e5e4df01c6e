"""The SLU task: Conformer-CTC pretraining with phone and BPE targets, then the intent head (Lugosch et al.).

Epochs ``1..pretrain_epochs`` train the CTC losses only; later epochs add the intent loss and, with
``freeze_encoder``, train only the intent head. The experiment dir is a complete model dir: ``config.yaml``,
``model.pt``, ``lang/`` (tokens, lexicon, BPE model) and ``slots.json`` (intent values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from speechkit.config import save_config
from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.decode.ctc import ctc_greedy
from speechkit.features.cmvn import accumulate_stats
from speechkit.lang.units import LangUnits
from speechkit.models.builder import build_model, save_model_config
from speechkit.models.slu import SLUModel, SLUModelConfig
from speechkit.score.edit_distance import align
from speechkit.train.loop import LoopConfig, console, train

SLOTS = ("action", "object", "location")
UNSEEN = -100


@dataclass
class SLUDataConfig:
    train: str = "data/train"
    valid: str = "data/valid"
    lang: str = "data/lang"
    max_seconds: float = 200.0
    max_utts: int = 96
    speed_perturb: list[float] = field(default_factory=lambda: [0.9, 1.0, 1.1])
    cache_audio: bool = True
    num_workers: int = 0


@dataclass
class SLUTrainConfig(LoopConfig):
    pretrain_epochs: int = 4
    freeze_encoder: bool = False
    phone_weight: float = 0.3
    bpe_weight: float = 1.0
    intent_weight: float = 1.0


@dataclass
class SLUConfig:
    task: str = "slu"
    exp_dir: str = "exp/slu"
    data: SLUDataConfig = field(default_factory=SLUDataConfig)
    model: SLUModelConfig = field(default_factory=SLUModelConfig)
    train: SLUTrainConfig = field(default_factory=SLUTrainConfig)


def intent_slots(utts: list[Utterance]) -> dict[str, list[str]]:
    """Sorted values of each slot in the training data's ``utt2intent``."""
    values: dict[str, set[str]] = {s: set() for s in SLOTS}
    for u in utts:
        for slot, value in zip(SLOTS, u.extra["utt2intent"].split("|")):
            values[slot].add(value)
    return {s: sorted(v) for s, v in values.items()}


class SLUTask:
    """Data, losses and validation metrics for :func:`speechkit.train.loop.train`."""

    def __init__(self, cfg: SLUConfig, units: LangUnits) -> None:
        self.cfg, self.units = cfg, units
        dc = cfg.data
        self.train_utts = load_data_dir(dc.train, extra=["utt2intent"])
        self.valid_utts = load_data_dir(dc.valid, extra=["utt2intent"])
        self.slots = cfg.model.slots
        sr = cfg.model.mel.sample_rate
        self.train_set = AudioDataset(self.train_utts, self.targets, sr, dc.speed_perturb, cfg.train.seed,
                                      dc.cache_audio)  # fmt: skip
        self.valid_set = AudioDataset(self.valid_utts, self.targets, sr, [1.0], cfg.train.seed, dc.cache_audio)
        durations = read_durations(dc.train)
        self.sampler = DurationBatchSampler([durations[u.utt] for u in self.train_utts], dc.max_seconds, dc.max_utts,
                                            cfg.train.seed)  # fmt: skip
        valid_durations = read_durations(dc.valid)
        self.valid_batches = list(DurationBatchSampler([valid_durations[u.utt] for u in self.valid_utts],
                                                       dc.max_seconds, dc.max_utts, seed=0, shuffle=False))  # fmt: skip

    def targets(self, utt: Utterance) -> dict[str, Any]:
        out: dict[str, Any] = {"phones": self.units.phone_ids(utt.text), "bpe": self.units.bpe_ids(utt.text)}
        for slot, value in zip(SLOTS, utt.extra["utt2intent"].split("|")):
            # a validation value never seen in training can only be missed: -100 is cross_entropy's ignore index
            out[slot] = self.slots[slot].index(value) if value in self.slots[slot] else UNSEEN
        return out

    def num_batches(self, epoch: int) -> int:
        return len(self.sampler)

    def train_batches(self, epoch: int) -> DataLoader:
        self.sampler.set_epoch(epoch)
        self.train_set.set_epoch(epoch)
        return DataLoader(self.train_set, batch_sampler=self.sampler, collate_fn=collate,
                          num_workers=self.cfg.data.num_workers)  # fmt: skip

    def start_epoch(self, model: SLUModel, epoch: int) -> None:
        frozen = self.cfg.train.freeze_encoder and epoch > self.cfg.train.pretrain_epochs
        for module in model.lower_layers():
            module.requires_grad_(not frozen)
            if frozen:
                module.eval()  # fixed features: no dropout, and batch-norm statistics stay as pretrained

    def features(self, model: SLUModel, batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, Any]:
        batch = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        batch["feats"], batch["feat_lengths"] = model.features(batch["wav"], batch["wav_lengths"])
        return batch

    def loss(self, model: SLUModel, b: dict[str, Any], epoch: int) -> tuple[torch.Tensor, dict[str, float], int]:
        tc = self.cfg.train
        out = model(b["feats"], b["feat_lengths"])
        losses = {
            "ctc_phone": _ctc(out["phone"], out["lengths"], b["phones"], b["phones_lengths"]),
            "ctc_bpe": _ctc(out["bpe"], out["lengths"], b["bpe"], b["bpe_lengths"]),
            "intent": sum(F.cross_entropy(out[f"intent_{s}"].float(), b[s]) for s in SLOTS),
        }
        intent_w = tc.intent_weight if epoch > tc.pretrain_epochs else 0.0
        total = tc.phone_weight * losses["ctc_phone"] + tc.bpe_weight * losses["ctc_bpe"] + intent_w * losses["intent"]
        metrics = {k: v.item() for k, v in losses.items()}
        metrics["acc"] = _intent_correct(out, b).float().mean().item()
        return total, metrics, len(b["utt"])

    def validate(self, model: SLUModel, epoch: int, device: torch.device) -> dict[str, float]:
        correct = n = errors = words = 0
        for idx in self.valid_batches:
            b = self.features(model, collate([self.valid_set[i] for i in idx]), device)
            out = model(b["feats"], b["feat_lengths"])
            correct += _intent_correct(out, b).sum().item()
            n += len(idx)
            for hyp, i in zip(ctc_greedy(out["bpe"], out["lengths"]), idx):
                ref = self.valid_utts[i].text.split()
                errors += align(ref, self.units.bpe_text(hyp).split()).counts.errors
                words += len(ref)
        acc, wer = 100.0 * correct / n, 100.0 * errors / max(1, words)
        return {"intent_acc": acc, "wer": wer, "score": acc - 0.01 * wer}


def _ctc(log_probs: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor, target_lengths: torch.Tensor):
    return F.ctc_loss(log_probs.float().transpose(0, 1), targets, lengths, target_lengths, zero_infinity=True)


def _intent_correct(out: dict[str, torch.Tensor], b: dict[str, Any]) -> torch.Tensor:
    return torch.stack([out[f"intent_{s}"].argmax(-1) == b[s] for s in SLOTS]).all(0)


def train_slu(cfg: SLUConfig, device: torch.device) -> dict[str, Any]:
    """Train the SLU model into ``cfg.exp_dir`` (resuming if it holds checkpoints); return the loop's summary."""
    exp = Path(cfg.exp_dir)
    units = LangUnits.load(Path(cfg.data.lang))
    if not cfg.model.slots:
        cfg.model.slots = intent_slots(load_data_dir(cfg.data.train, extra=["utt2intent"]))
    cfg.model.n_phones, cfg.model.n_bpe = units.n_phones, units.n_bpe
    task = SLUTask(cfg, units)
    torch.manual_seed(cfg.train.seed)
    model = build_model("slu", cfg.model)
    if not (exp / "ckpt").is_dir():
        _init_cmvn(model, task)
    (exp / "lang").mkdir(parents=True, exist_ok=True)
    units.copy_to(exp / "lang")
    save_config(cfg, exp / "config.yaml")
    save_model_config(exp, "slu", cfg.model)
    console.print(f"SLU model: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters, "
                  f"{len(task.train_utts)} training utterances")  # fmt: skip
    return train(task, model, cfg.train, exp, device)


def _init_cmvn(model: SLUModel, task: SLUTask, max_utts: int = 1000) -> None:
    """Global mean/variance of (up to ``max_utts``) unperturbed training log-mels, stored in the model."""
    plain = AudioDataset(task.train_utts[:max_utts], task.targets, task.cfg.model.mel.sample_rate, [1.0], 0, False)

    def feats():
        for start in range(0, len(plain), 64):
            b = collate([plain[i] for i in range(start, min(start + 64, len(plain)))])
            yield model.logmel(b["wav"], b["wav_lengths"])

    mean, std = accumulate_stats(feats())
    model.cmvn.set_stats(mean, std)
