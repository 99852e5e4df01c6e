"""Vocoder tasks: train a mel-to-wave vocoder on random segments of the training recordings.

:class:`SegmentTask` holds what every vocoder task shares (segments, features, validation); :class:`VocoderTask`
is HiFi-GAN's, and :mod:`speechkit.train.vocos` the Vocos one.

HiFi-GAN:
Each step updates the discriminators with the LSGAN loss on real and generated segments, then the generator with
the LSGAN adversarial loss, feature matching (L1 between the discriminators' feature maps of real and generated
audio, x ``fm_weight``) and mel L1 (x ``mel_weight``, 45 in the paper). It uses the shared loop
(:func:`speechkit.train.loop.train`) through its two-optimizer hooks, so checkpoints, resume and logs are as for any
task. Validation vocodes whole utterances from their mels and reports the mel L1 of the result.

Segments: the generator input is the segment's frames cut from the mel of the *whole* utterance (computed from
the segment plus ``context`` samples either side, which gives exactly those frames), so it sees what it will see
at synthesis time; the mel loss compares the mels of the generated and the real segment computed alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from speechkit.data.batching import ShuffledBatchSampler
from speechkit.data.datadir import load_data_dir
from speechkit.data.dataset import AudioDataset
from speechkit.errors import SpeechkitError
from speechkit.features.mel import MelConfig, log_mel
from speechkit.models.hifigan import HiFiGAN, HiFiGANConfig
from speechkit.train.loop import LoopConfig, Optimizers, millions
from speechkit.train.parallel import shard
from speechkit.utils.memory import trimmed


@dataclass
class VocoderDataConfig:
    train: str = "data/train"
    valid: str = "data/dev"
    batch_size: int = 16
    segment: int = 8192
    valid_utts: int = 8
    cache_audio: bool = True
    num_workers: int = 0


@dataclass
class VocoderTrainConfig(LoopConfig):
    """The paper's optimizer settings (AdamW, lr 2e-4, betas 0.8/0.99) and loss weights; no gradient clipping.

    ``adversarial_from``: the first epoch with discriminators and adversarial losses; the epochs before it train the
    generator on the mel loss alone, which costs a fraction of a GAN step (the paper's setting is 1: from the
    start; a short CPU run gets further by warming the generator up first).
    """

    lr: float = 2e-4
    betas: tuple[float, float] = (0.8, 0.99)
    warmup_steps: int = 0
    grad_clip: float = 1e9
    keep_best: int = 1
    mel_weight: float = 45.0
    fm_weight: float = 2.0
    adversarial_from: int = 1


@dataclass
class VocoderConfig:
    task: str = "hifigan"
    exp_dir: str = "exp/hifigan"
    data: VocoderDataConfig = field(default_factory=VocoderDataConfig)
    model: HiFiGANConfig = field(default_factory=HiFiGANConfig)
    train: VocoderTrainConfig = field(default_factory=VocoderTrainConfig)


def context_samples(mel: MelConfig) -> int:
    """Samples either side of a segment that its first and last frames' windows reach, rounded up to whole hops."""
    return -(-(mel.n_fft - mel.hop_length) // 2 // mel.hop_length) * mel.hop_length


class SegmentDataset(Dataset[dict[str, Any]]):
    """Item ``i``: ``segment + 2 * context`` samples of utterance ``i`` starting ``context`` before a frame boundary
    drawn from ``(seed, epoch, i)`` (so a resumed run sees the same crops); zeros outside the utterance, as the
    mel's own padding would be."""

    def __init__(self, audio: AudioDataset, segment: int, mel: MelConfig, seed: int) -> None:
        if segment % mel.hop_length:
            raise SpeechkitError(None, f"data.segment ({segment}) must be a multiple of the hop ({mel.hop_length})")
        self.audio, self.segment, self.hop, self.seed, self.epoch = audio, segment, mel.hop_length, seed, 0
        self.context = context_samples(mel)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.audio)

    def __getitem__(self, index: int) -> dict[str, Any]:
        wav = self.audio[index]["wav"]
        frames = max(0, len(wav) // self.hop - self.segment // self.hop)
        start = int(np.random.default_rng((self.seed, self.epoch, index)).integers(frames + 1)) * self.hop
        chunk = torch.zeros(self.segment + 2 * self.context)
        lo, hi = start - self.context, start + self.segment + self.context
        piece = wav[max(0, lo) : min(len(wav), hi)]
        chunk[max(0, -lo) : max(0, -lo) + len(piece)] = piece
        return {"utt": self.audio.utts[index].utt, "chunk": chunk}


def _stack(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"utt": [x["utt"] for x in items], "chunk": torch.stack([x["chunk"] for x in items])}


def lsgan_d(real: list[Tensor], fake: list[Tensor]) -> Tensor:
    """Discriminator LSGAN loss: ``sum_k mean((1 - D_k(real))^2) + mean(D_k(fake)^2)``."""
    return sum(torch.mean((1 - r.float()) ** 2) + torch.mean(f.float() ** 2) for r, f in zip(real, fake))


def lsgan_g(fake: list[Tensor]) -> Tensor:
    """Generator LSGAN loss: ``sum_k mean((1 - D_k(fake))^2)``."""
    return sum(torch.mean((1 - f.float()) ** 2) for f in fake)


def feature_matching(real: list[list[Tensor]], fake: list[list[Tensor]]) -> Tensor:
    """Sum over discriminators and layers of the L1 distance between real and generated feature maps."""
    return sum(F.l1_loss(f.float(), r.float()) for rs, fs in zip(real, fake) for r, f in zip(rs, fs))


def adversarial_losses(model: Any, real: Tensor, fake: Tensor, optimizers: Optimizers,
                       fm_weight: float) -> tuple[Tensor, dict[str, float]]:  # fmt: skip
    """One discriminator update (LSGAN on ``real`` and the detached ``fake``), then the generator's adversarial
    loss plus ``fm_weight`` x feature matching, to add to its reconstruction losses; ``model.discriminate`` judges
    waves. The discriminators' weights are frozen while the generator's graph is built: it needs their input
    gradients only."""
    with optimizers.autocast:
        real_scores, _ = model.discriminate(real)
        fake_scores, _ = model.discriminate(fake.detach())
        loss_d = lsgan_d(real_scores, fake_scores)
    optimizers.step("discriminator", loss_d)
    model.discriminators.requires_grad_(False)
    with optimizers.autocast:
        fake_scores, fake_feats = model.discriminate(fake)
        with torch.no_grad():
            _, real_feats = model.discriminate(real)
        adv, fm = lsgan_g(fake_scores), feature_matching(real_feats, fake_feats)
    model.discriminators.requires_grad_(True)
    return adv + fm_weight * fm, {"disc": loss_d.item(), "adv": adv.item(), "fm": fm.item()}


class SegmentTask(ABC):
    """What vocoder tasks share: random segments of the training recordings, the mel a segment's frames get (from
    the whole utterance around it), and the validation mel L1 of whole resynthesized utterances. A subclass sets
    ``name``, ``config``, the loss or GAN step and :meth:`score`."""

    def __init__(self, cfg: Any, exp_dir: Path) -> None:
        self.cfg = cfg
        dc, mel = cfg.data, cfg.model.mel
        self.train_utts = load_data_dir(dc.train)
        if len(self.train_utts) < dc.batch_size:
            raise SpeechkitError(dc.train, f"has {len(self.train_utts)} utterances, fewer than data.batch_size")
        audio = AudioDataset(self.train_utts, lambda u: {}, mel.sample_rate, cache=dc.cache_audio)
        self.segments = SegmentDataset(audio, dc.segment, mel, cfg.train.seed)
        self.valid_set = AudioDataset(load_data_dir(dc.valid)[: dc.valid_utts], lambda u: {}, mel.sample_rate)
        self.sampler = shard(ShuffledBatchSampler(len(self.segments), dc.batch_size, cfg.train.seed),
                             cfg.train.accum_grad)  # fmt: skip

    def init_model(self, model: HiFiGAN) -> None:
        """Nothing to set: the vocoder has no data statistics."""


    def num_batches(self, epoch: int) -> int:
        return len(self.sampler)

    def train_batches(self, epoch: int, pin_memory: bool = False) -> DataLoader:
        self.segments.set_epoch(epoch)
        self.sampler.set_epoch(epoch)
        return DataLoader(self.segments, batch_sampler=self.sampler, collate_fn=_stack,
                          num_workers=self.cfg.data.num_workers, pin_memory=pin_memory)  # fmt: skip

    def start_epoch(self, model: torch.nn.Module, epoch: int) -> None:
        """Nothing to switch."""

    def features(self, model: Any, batch: dict[str, Any], device: torch.device) -> dict[str, Tensor]:
        """``mel`` (B, frames, n_mels): the generator input; ``wav`` (B, segment) and its ``mel_target``."""
        chunk = batch["chunk"].to(device, non_blocking=True)
        mel, ctx = self.cfg.model.mel, context_samples(self.cfg.model.mel)
        first, frames = ctx // mel.hop_length, self.cfg.data.segment // mel.hop_length
        with torch.no_grad():
            full = log_mel(chunk, mel, model.logmel.window, model.logmel.filters)
            wav = chunk[:, ctx : ctx + self.cfg.data.segment]
            target = log_mel(wav, mel, model.logmel.window, model.logmel.filters)
        return {"mel": full[:, first : first + frames], "wav": wav, "mel_target": target}

    def validate(self, model: Any, epoch: int, device: torch.device) -> dict[str, float]:
        """Mean mel L1 between whole validation utterances and their resynthesis; the subclass's :meth:`score`
        says which epoch is best."""
        errors = []
        for i in trimmed(range(len(self.valid_set))):
            wav = self.valid_set[i]["wav"].to(device)[None]
            mel = model.logmel(wav, torch.tensor([wav.shape[1]], device=device))[0]
            resynth = model.vocode(mel)
            errors.append(F.l1_loss(model.logmel(resynth, torch.tensor([resynth.shape[1]], device=device))[0], mel))
        mel_l1 = torch.stack(errors).mean().item()
        return {"mel_l1": mel_l1, "score": self.score(epoch, mel_l1)}

    @abstractmethod
    def score(self, epoch: int, mel_l1: float) -> float:
        """Higher is better: what picks the weights the model dir keeps."""


class VocoderTask(SegmentTask):
    """HiFi-GAN: the two-optimizer GAN step for :func:`speechkit.train.loop.train`."""

    name = "hifigan"
    config = VocoderConfig

    def describe(self, model: HiFiGAN) -> str:
        return (f"HiFi-GAN: generator {millions(model.generator)} M, discriminators {millions(model.discriminators)} M "
                f"parameters, {len(self.train_utts)} training utterances")  # fmt: skip

    def score(self, epoch: int, mel_l1: float) -> float:
        """The epoch: the adversarial losses trade a little mel error for realism, so the latest weights are kept,
        as HiFi-GAN recipes do."""
        return float(epoch)

    def param_groups(self, model: HiFiGAN) -> dict[str, list[torch.nn.Parameter]]:
        return {"generator": list(model.generator.parameters()),
                "discriminator": list(model.discriminators.parameters())}  # fmt: skip

    def step(self, model: HiFiGAN, b: dict[str, Tensor], epoch: int,
             optimizers: Optimizers) -> tuple[dict[str, float], int]:  # fmt: skip
        tc = self.cfg.train
        with optimizers.autocast:
            fake = model(b["mel"])
        gan, metrics = 0.0, {}
        if epoch >= tc.adversarial_from:
            gan, metrics = adversarial_losses(model, b["wav"], fake, optimizers, tc.fm_weight)
        mel_l1 = F.l1_loss(log_mel(fake.float(), self.cfg.model.mel, model.logmel.window, model.logmel.filters),
                           b["mel_target"])  # fmt: skip
        loss_g = tc.mel_weight * mel_l1 + gan
        optimizers.step("generator", loss_g)
        return {"loss": loss_g.item(), "mel_l1": mel_l1.item(), **metrics}, len(b["wav"])
