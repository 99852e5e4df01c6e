"""The FastSpeech 2 task: phones with durations, pitch and energy (from the features stage) to log-mels.

Losses: L1 on z-normalized mels before and after the postnet, and MSE on log(1 + duration), pitch and energy
z-scores, all over real tokens / frames only. Validation runs the same losses teacher-forced on the dev set, plus
the mean absolute error of the predicted durations in frames; the score is minus the total loss. Every
``plot_every`` steps a PNG of one training utterance's target and predicted mels goes to ``exp/<name>/plots/``.

The experiment dir is a complete model dir for ``speechkit synth``: ``model.yaml`` (architecture, token
inventory, edge-silence flags), ``model.pt`` (weights with the mel, pitch and energy statistics as buffers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

from speechkit.data.batching import DurationBatchSampler
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.data.table import key_file
from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import SIL, phone_set
from speechkit.models.conformer import padding_mask
from speechkit.models.fastspeech2 import PAD, FastSpeech2, FastSpeech2Config
from speechkit.models.variance import durations_from_log
from speechkit.train.loop import LoopConfig, millions
from speechkit.train.parallel import shard
from speechkit.tts.features import ALIGNMENT_FILES, read_stats
from speechkit.tts.mel_plot import plot_mels
from speechkit.utils.memory import trimmed

KIND = "fastspeech2"


@dataclass
class TTSDataConfig:
    """Data dirs (with ``phones``/``durations``/``frame_range``) and their features dirs; batches hold at most
    ``max_frames`` padded mel frames and ``max_utts`` utterances."""

    train: str = "data/train"
    valid: str = "data/dev"
    train_feats: str = "exp/feats/train"
    valid_feats: str = "exp/feats/dev"
    max_frames: int = 6000
    max_utts: int = 32


@dataclass
class TTSTrainConfig(LoopConfig):
    plot_every: int = 200


@dataclass
class TTSConfig:
    task: str = KIND
    exp_dir: str = "exp/tts"
    data: TTSDataConfig = field(default_factory=TTSDataConfig)
    model: FastSpeech2Config = field(default_factory=FastSpeech2Config)
    train: TTSTrainConfig = field(default_factory=TTSTrainConfig)


def token_inventory(utts: list[Utterance]) -> list[str]:
    """``<pad>``, then ``sil``, CMUdict's phones (with stress digits if the alignments have them) and any other
    token the alignments use, sorted: phones rare in training (``OY2``) still get an embedding to synthesize."""
    seen = {t for u in utts for t in u.extra["phones"].split()}
    stress = any(t[-1].isdigit() for t in seen)
    return [PAD, *sorted(seen | {SIL} | set(phone_set(stress)))]


class TTSDataset(Dataset[dict[str, Any]]):
    """Item: ``utt``, ``tokens`` (ids), ``durations``, raw ``pitch`` (log-F0) and ``energy`` per token, ``mel``
    ``(frames, n_mels)``, read from ``feats_dir/<utt>.npz``. A NaN pitch (no voiced frame) becomes the mean."""

    def __init__(self, utts: list[Utterance], feats_dir: Path, tokens: list[str], pitch_mean: float) -> None:
        self.utts, self.feats_dir, self.pitch_mean = utts, feats_dir, pitch_mean
        ids = {t: i for i, t in enumerate(tokens)}
        self.tokens = [[ids[t] for t in u.extra["phones"].split()] for u in utts]
        self.durations = [[int(d) for d in u.extra["durations"].split()] for u in utts]
        for u in utts:
            if not (feats := key_file(feats_dir, u.utt, ".npz")).is_file():
                raise SpeechkitError(feats, "not found: re-run the features stage")

    def __len__(self) -> int:
        return len(self.utts)

    def frames(self) -> list[int]:
        return [sum(d) for d in self.durations]

    def __getitem__(self, i: int) -> dict[str, Any]:
        with np.load(self.feats_dir / f"{self.utts[i].utt}.npz") as npz:
            mel, pitch, energy = npz["mel"], npz["pitch"], npz["energy"]
        return {"utt": self.utts[i].utt, "tokens": torch.tensor(self.tokens[i]),
                "durations": torch.tensor(self.durations[i]),
                "pitch": torch.from_numpy(np.nan_to_num(pitch, nan=self.pitch_mean)),
                "energy": torch.from_numpy(energy), "mel": torch.from_numpy(mel)}  # fmt: skip


def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Zero-padded batch with ``token_lengths`` and ``mel_lengths``."""
    out: dict[str, Any] = {"utt": [it["utt"] for it in items]}
    for key in ("tokens", "durations", "pitch", "energy", "mel"):
        out[key] = pad_sequence([it[key] for it in items], batch_first=True)
    out["token_lengths"] = torch.tensor([len(it["tokens"]) for it in items])
    out["mel_lengths"] = torch.tensor([len(it["mel"]) for it in items])
    return out


def losses(model: FastSpeech2, out: dict[str, Tensor], b: dict[str, Any]) -> dict[str, Tensor]:
    """The five losses, each a mean over real frames (times bins) or real tokens."""
    frames = ~padding_mask(b["mel_lengths"], b["mel"].shape[1])
    tokens = ~padding_mask(b["token_lengths"], b["tokens"].shape[1])
    target = model.mel_norm(b["mel"], b["mel_lengths"])
    n_bins = target.shape[-1]

    def l1(pred: Tensor) -> Tensor:
        return (pred.float() - target).abs()[frames].sum() / (frames.sum() * n_bins)

    def mse(pred: Tensor, ref: Tensor) -> Tensor:
        return F.mse_loss(pred.float()[tokens], ref[tokens])

    return {"mel": l1(out["mel"]), "postnet": l1(out["mel_post"]),
            "duration": mse(out["log_duration"], torch.log1p(b["durations"].float())),
            "pitch": mse(out["pitch"], out["pitch_target"]),
            "energy": mse(out["energy"], out["energy_target"])}  # fmt: skip


class TTSTask:
    """Data, losses, validation and mel plots for :func:`speechkit.train.loop.train`. The token inventory and the
    edge-silence flags of the model come from the training alignments."""

    name = KIND
    config = TTSConfig

    def __init__(self, cfg: TTSConfig, exp_dir: Path) -> None:
        self.cfg, self.plot_dir = cfg, exp_dir / "plots"
        dc, mc = cfg.data, cfg.model
        train_utts = load_data_dir(dc.train, extra=ALIGNMENT_FILES)
        mc.tokens = token_inventory(train_utts)
        mc.leading_sil, mc.trailing_sil = edge_silence(train_utts)
        valid_utts = load_data_dir(dc.valid, extra=ALIGNMENT_FILES)
        self.stats = read_stats(dc.train_feats, mc.mel)
        read_stats(dc.valid_feats, mc.mel)
        unknown = sorted({t for u in valid_utts for t in u.extra["phones"].split()} - set(mc.tokens))
        if unknown:
            raise SpeechkitError(Path(dc.valid) / "phones", f"tokens not in the training inventory: {unknown}")
        pitch_mean = self.stats["pitch"]["mean"]
        self.train_set = TTSDataset(train_utts, Path(dc.train_feats), mc.tokens, pitch_mean)
        self.valid_set = TTSDataset(valid_utts, Path(dc.valid_feats), mc.tokens, pitch_mean)
        seed = cfg.train.seed
        self.sampler = shard(DurationBatchSampler(self.train_set.frames(), dc.max_frames, dc.max_utts, seed),
                             cfg.train.accum_grad)  # fmt: skip
        self.valid_batches = list(DurationBatchSampler(self.valid_set.frames(), dc.max_frames, dc.max_utts, 0,
                                                       shuffle=False))  # fmt: skip
        self.batch_in_epoch = 0

    def init_model(self, model: FastSpeech2) -> None:
        """The training set's mel, pitch and energy statistics into a fresh model's normalization buffers."""
        model.set_feature_stats(self.stats)

    def describe(self, model: FastSpeech2) -> str:
        return (f"FastSpeech 2: {millions(model)} M parameters, {len(self.train_set)} training utterances, "
                f"{len(self.sampler)} batches per epoch")  # fmt: skip

    def num_batches(self, epoch: int) -> int:
        return len(self.sampler)

    def train_batches(self, epoch: int, pin_memory: bool = False) -> DataLoader:
        self.sampler.set_epoch(epoch)
        return DataLoader(self.train_set, batch_sampler=self.sampler, collate_fn=collate, pin_memory=pin_memory)

    def start_epoch(self, model: FastSpeech2, epoch: int) -> None:
        self.batch_in_epoch = 0

    def features(self, model: FastSpeech2, batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
        return {k: v.to(device, non_blocking=True) if isinstance(v, Tensor) else v for k, v in batch.items()}

    def _forward(self, model: FastSpeech2, b: dict[str, Any]) -> dict[str, Tensor]:
        return model(b["tokens"], b["token_lengths"], b["durations"], b["pitch"], b["energy"])

    def loss(self, model: FastSpeech2, b: dict[str, Any], epoch: int) -> tuple[Tensor, dict[str, float], int]:
        out = self._forward(model, b)
        parts = losses(model, out, b)
        self.batch_in_epoch += 1
        step = (epoch - 1) * len(self.sampler) + self.batch_in_epoch  # the loop's step, also after a resume
        if step % self.cfg.train.plot_every == 0:
            n = int(b["mel_lengths"][0])
            mels = [m[:n].detach().float().cpu().numpy() for m in (model.mel_norm(b["mel"], b["mel_lengths"])[0],
                                                                   out["mel_post"][0])]  # fmt: skip
            plot_mels(self.plot_dir / f"step{step}.png", b["utt"][0], mels, ["target", "predicted (postnet)"])
        return sum(parts.values()), {k: v.item() for k, v in parts.items()}, len(b["utt"])

    def validate(self, model: FastSpeech2, epoch: int, device: torch.device) -> dict[str, float]:
        totals: dict[str, float] = {}
        n = errors = tokens = 0
        for idx in trimmed(self.valid_batches):
            b = self.features(model, collate([self.valid_set[i] for i in idx]), device)
            out = self._forward(model, b)
            for k, v in losses(model, out, b).items():
                totals[k] = totals.get(k, 0.0) + v.item() * len(idx)
            real = ~padding_mask(b["token_lengths"], b["tokens"].shape[1])
            predicted = durations_from_log(out["log_duration"], ~real)  # as synthesis rounds them
            errors += (predicted - b["durations"]).abs()[real].sum().item()
            tokens += real.sum().item()
            n += len(idx)
        metrics = {k: v / n for k, v in totals.items()}
        metrics["dur_err_frames"] = errors / tokens
        metrics["score"] = -sum(v for k, v in metrics.items() if k != "dur_err_frames")
        return metrics


def edge_silence(utts: list[Utterance]) -> tuple[bool, bool]:
    """Whether most training utterances start / end with ``sil`` (the front end then adds it there)."""
    phones = [u.extra["phones"].split() for u in utts]
    return (2 * sum(p[0] == SIL for p in phones) > len(phones), 2 * sum(p[-1] == SIL for p in phones) > len(phones))
