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

from speechkit.config import save_config
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.decode.ctc import ctc_greedy
from speechkit.lang.units import LangUnits
from speechkit.models.builder import build_model, save_model_config
from speechkit.models.slu import SLUModel, SLUModelConfig
from speechkit.score.edit_distance import align
from speechkit.train.audio_data import AudioDataConfig, AudioTask
from speechkit.train.loop import LoopConfig, console, train

SLOTS = ("action", "object", "location")
UNSEEN = -100


@dataclass
class SLUDataConfig(AudioDataConfig):
    """The audio data keys with FSC's split name and batch size, and the lang dir (phones, lexicon, BPE model)."""

    valid: str = "data/valid"
    max_utts: int = 96
    lang: str = "data/lang"


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


class SLUTask(AudioTask):
    """Losses and validation metrics for :func:`speechkit.train.loop.train`; the data is :class:`AudioTask`'s."""

    def __init__(self, cfg: SLUConfig, units: LangUnits) -> None:
        self.cfg, self.units, self.slots = cfg, units, cfg.model.slots
        dc, extra = cfg.data, ["utt2intent"]
        super().__init__(dc, load_data_dir(dc.train, extra=extra), load_data_dir(dc.valid, extra=extra),
                         cfg.model.mel.sample_rate, cfg.train.seed)  # fmt: skip

    def targets(self, utt: Utterance) -> dict[str, Any]:
        out: dict[str, Any] = {"phones": self.units.phone_ids(utt.text), "bpe": self.units.bpe_ids(utt.text)}
        for slot, value in zip(SLOTS, utt.extra["utt2intent"].split("|")):
            # a validation value never seen in training can only be missed: -100 is cross_entropy's ignore index
            out[slot] = self.slots[slot].index(value) if value in self.slots[slot] else UNSEEN
        return out

    def start_epoch(self, model: SLUModel, epoch: int) -> None:
        frozen = self.cfg.train.freeze_encoder and epoch > self.cfg.train.pretrain_epochs
        for module in model.lower_layers():
            module.requires_grad_(not frozen)
            if frozen:
                module.eval()  # fixed features: no dropout, and batch-norm statistics stay as pretrained

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
        for idx, b, out in self.validation_outputs(model, device):
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
        task.init_cmvn(model)
    (exp / "lang").mkdir(parents=True, exist_ok=True)
    units.copy_to(exp / "lang")
    save_config(cfg, exp / "config.yaml")
    save_model_config(exp, "slu", cfg.model)
    console.print(f"SLU model: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters, "
                  f"{len(task.train_utts)} training utterances")  # fmt: skip
    return train(task, model, cfg.train, exp, device)
