"""The SLU task: Conformer-CTC pretraining with phone and BPE targets, then the intent head (Lugosch et al.).

Epochs ``1..pretrain_epochs`` train the CTC losses only; later epochs add the intent loss and, with
``freeze_encoder``, train only the intent head. The experiment dir is a complete model dir: ``config.yaml``,
``model.yaml`` (architecture and intent slot values), ``model.pt`` and ``lang/`` (tokens, lexicon, BPE model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.lang.units import LangUnits
from speechkit.models.slu import SLUModel, SLUModelConfig
from speechkit.train.audio_data import AudioDataConfig, AudioTask, ctc_loss
from speechkit.train.loop import LoopConfig, millions

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
    """Losses and validation metrics of the SLU model; the data is :class:`AudioTask`'s. Fills in the model's
    token counts from the lang dir and its intent slots from the training data, and copies the lang dir into the
    experiment dir."""

    name = "slu"
    config = SLUConfig

    def __init__(self, cfg: SLUConfig, exp: Path) -> None:
        self.cfg, dc, extra = cfg, cfg.data, ["utt2intent"]
        self.units = LangUnits.load(Path(dc.lang))
        train_utts = load_data_dir(dc.train, extra=extra)
        if not cfg.model.slots:
            cfg.model.slots = intent_slots(train_utts)
        cfg.model.n_phones, cfg.model.n_bpe = self.units.n_phones, self.units.n_bpe
        self.slots = cfg.model.slots
        super().__init__(dc, train_utts, load_data_dir(dc.valid, extra=extra), cfg.model.mel.sample_rate,
                         cfg.train.seed, cfg.train.accum_grad)  # fmt: skip
        self.units.copy_to(exp / "lang")

    def describe(self, model: SLUModel) -> str:
        return f"SLU model: {millions(model)} M parameters, {len(self.train_utts)} training utterances"

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
            "ctc_phone": ctc_loss(out["phone"], out["lengths"], b["phones"], b["phones_lengths"]),
            "ctc_bpe": ctc_loss(out["bpe"], out["lengths"], b["bpe"], b["bpe_lengths"]),
            "intent": sum(F.cross_entropy(out[f"intent_{s}"].float(), b[s]) for s in SLOTS),
        }
        intent_w = tc.intent_weight if epoch > tc.pretrain_epochs else 0.0
        total = tc.phone_weight * losses["ctc_phone"] + tc.bpe_weight * losses["ctc_bpe"] + intent_w * losses["intent"]
        metrics = {k: v.item() for k, v in losses.items()}
        metrics["acc"] = _intent_correct(out, b).float().mean().item()
        return total, metrics, len(b["utt"])

    def validate(self, model: SLUModel, epoch: int, device: torch.device) -> dict[str, float]:
        correct = n = 0
        results = []
        for idx, b, out in self.validation_outputs(model, device):
            correct += _intent_correct(out, b).sum().item()
            n += len(idx)
            results += self.greedy_results(idx, out["bpe"], out["lengths"], self.units.bpe_text)
        errors = sum(r.words.counts.errors for r in results)
        acc, wer = 100.0 * correct / n, 100.0 * errors / max(1, sum(r.words.counts.ref_len for r in results))
        return {"intent_acc": acc, "wer": wer, "score": acc - 0.01 * wer}


def _intent_correct(out: dict[str, torch.Tensor], b: dict[str, Any]) -> torch.Tensor:
    return torch.stack([out[f"intent_{s}"].argmax(-1) == b[s] for s in SLOTS]).all(0)
