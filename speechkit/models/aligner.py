"""The aligner's acoustic model: log-mel at a 5 ms hop, CMVN, a few convolutions, HMM-state posteriors per frame.

No time subsampling: every mel frame gets a distribution over the ``n_phones * n_states`` HMM states, because
boundaries are wanted to a few milliseconds. The network sees little context on purpose (by default +-2 frames,
so +-22 ms of audio with the 25 ms window): it is trained on its own Viterbi alignments, and a model that sees
far (a BiLSTM, a deep conv stack) learns to reproduce wherever those put the boundaries, flat-start errors
included, while a local one can only say what each frame sounds like, so realignment moves boundaries to where
the sound changes. On the mini LJSpeech corpus (reference phone sequences, 3-5 rounds) the mean boundary error
was 32 ms with convolutions and a BiLSTM, 22 ms with four k=5 convolutions (+-8 frames), 13 ms with this.
Emission scores for Viterbi are scaled likelihoods, log posterior minus ``prior_scale`` times log prior; the
priors (state shares of the last training alignment) and the CMVN statistics are buffers, so the weights file
alone carries everything the network needs.

The model dir is the builder's (:mod:`speechkit.models.builder`, kind ``aligner``): ``model.yaml`` holds
:class:`AlignerModelConfig` with the acoustic phones (``sil`` first), ``model.pt`` the weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from speechkit.errors import SpeechkitError
from speechkit.features.cmvn import GlobalCMVN, frame_mask
from speechkit.features.dereverb import suppress_late_reverb
from speechkit.features.mel import LogMel, MelConfig
from speechkit.features.noise_floor import subtract_noise_floor
from speechkit.lang.lexicon import SIL


@dataclass
class FeatureConfig:
    """The mel front end. ``sample_rate`` None means the training corpus's rate (then saved resolved); audio at
    another rate is resampled to it. A 5 ms shift because boundaries are wanted to a few milliseconds.
    ``late_reverb_weight`` > 0 subtracts that share of the power of the past from ``late_reverb_delay_ms`` to twice
    that ago from each frame (:mod:`speechkit.features.dereverb`); ``floor_quantile`` > 0 then subtracts each band's
    quantile over the utterance (:mod:`speechkit.features.noise_floor`). 0, what a model saved before a setting
    existed means, leaves that step out."""

    sample_rate: int | None = None
    frame_shift_ms: float = 5.0
    window_ms: float = 25.0
    n_mels: int = 80
    late_reverb_weight: float = 0.0
    late_reverb_delay_ms: float = 25.0
    floor_quantile: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.floor_quantile < 1:
            raise ValueError(f"floor_quantile must be in [0, 1), got {self.floor_quantile:g}")
        if self.late_reverb_weight < 0 or self.late_reverb_delay_ms <= 0:
            raise ValueError("late_reverb_weight must be >= 0 and late_reverb_delay_ms > 0, got "
                             f"{self.late_reverb_weight:g} and {self.late_reverb_delay_ms:g}")

    def mel(self) -> MelConfig:
        """The :class:`MelConfig` these settings mean (FFT size: the window rounded up to a power of two)."""
        if self.sample_rate is None:
            raise ValueError("the sample rate is resolved from the training corpus before the mel is built")
        hop = round(self.sample_rate * self.frame_shift_ms / 1000)
        win = max(hop, round(self.sample_rate * self.window_ms / 1000))
        return MelConfig(self.sample_rate, 1 << (win - 1).bit_length(), win, hop, self.n_mels, 20.0, None)


@dataclass
class NetConfig:
    """The frame classifier: one convolution per kernel size in ``kernels`` (frames; 1 is a per-frame layer),
    ``channels`` wide. Its context, ``sum(k - 1) / 2`` frames each side, is kept small (see the module
    docstring)."""

    kernels: list[int] = field(default_factory=lambda: [5, 1, 1])
    channels: int = 128


@dataclass
class AlignerModelConfig:
    """Everything that defines an aligner besides its weights. ``n_states``: left-to-right HMM states per phone
    (each lasts a frame at least); ``prior_scale``: how much of the log prior is subtracted from the log posterior;
    ``pause_cost``: what a path pays, in log-score, for each pause it puts between words, and ``min_pause_ms`` the
    shortest such pause (0: ``n_states`` frames, like any phone); ``refine_frames``: how far, in frames, a boundary
    between two phones may move after Viterbi to where the spectrum changes most (:mod:`speechkit.align.refine`; 0
    keeps Viterbi's); ``phones``: the acoustic phones, ``sil`` first (filled in by training)."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    net: NetConfig = field(default_factory=NetConfig)
    n_states: int = 3
    prior_scale: float = 0.3
    pause_cost: float = 0.0
    min_pause_ms: float = 0.0
    refine_frames: int = 0
    phones: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.n_states < 1 or self.refine_frames < 0 or self.min_pause_ms < 0 or self.pause_cost < 0:
            raise ValueError("need n_states >= 1 and refine_frames, min_pause_ms, pause_cost >= 0, got "
                             f"{self.n_states}, {self.refine_frames}, {self.min_pause_ms:g}, {self.pause_cost:g}")


class AlignerModel(nn.Module):
    """Waves to features (:meth:`features`), features to HMM-state logits (:meth:`forward`), logits to emission
    scores (:meth:`emissions`)."""

    def __init__(self, cfg: AlignerModelConfig) -> None:
        super().__init__()
        if not cfg.phones or cfg.phones[0] != SIL:
            raise SpeechkitError(None, f"the aligner's phone list must start with {SIL!r}, got {cfg.phones[:3]}")
        self.cfg, self.phones = cfg, list(cfg.phones)
        self.n_classes = len(self.phones) * cfg.n_states
        self.mel = LogMel(cfg.features.mel())
        self.cmvn = GlobalCMVN(cfg.features.n_mels)
        dims = [cfg.features.n_mels] + [cfg.net.channels] * len(cfg.net.kernels)
        self.convs = nn.ModuleList(
            nn.Sequential(nn.Conv1d(a, b, k, padding=k // 2), nn.BatchNorm1d(b), nn.ReLU())
            for a, b, k in zip(dims, dims[1:], cfg.net.kernels))
        self.out = nn.Conv1d(dims[-1], self.n_classes, 1)
        self.register_buffer("log_prior", torch.full((self.n_classes,), -torch.log(torch.tensor(self.n_classes))))

    @torch.no_grad()
    def features(self, wavs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Log-mels ``(B, F, n_mels)`` and frame counts ``(B,)`` of zero-padded waves ``(B, samples)``."""
        feats, frames = self.mel(wavs, lengths)
        cfg = self.cfg.features
        if cfg.late_reverb_weight > 0:
            delay = max(1, round(cfg.late_reverb_delay_ms / cfg.frame_shift_ms))
            feats = suppress_late_reverb(feats, delay, cfg.late_reverb_weight)
        if cfg.floor_quantile > 0:
            feats = subtract_noise_floor(feats, frames, cfg.floor_quantile)
        return feats, frames

    def forward(self, feats: Tensor, lengths: Tensor) -> Tensor:
        """HMM-state logits ``(B, F, n_classes)`` of raw log-mels; frames past ``lengths`` are padding."""
        x = self.cmvn(feats, lengths).transpose(1, 2)
        valid = frame_mask(lengths, feats.shape[1])[:, None, :]
        for conv in self.convs:
            x = conv(x) * valid  # zero padding between layers too, as each utterance alone would see it
        return self.out(x).transpose(1, 2)

    @property
    def pause_frames(self) -> int:
        """The fewest frames a pause between words lasts (``min_pause_ms`` rounded up; at least ``n_states``)."""
        return max(self.cfg.n_states, math.ceil(self.cfg.min_pause_ms / self.cfg.features.frame_shift_ms - 1e-9))

    def emissions(self, logits: Tensor) -> Tensor:
        """Scaled log-likelihoods ``(..., n_classes + 1)``; the extra last column scores ``spn`` as the best
        speech state of the frame (a filler that matches any speech)."""
        scores = logits.log_softmax(-1) - self.cfg.prior_scale * self.log_prior
        return torch.cat([scores, scores[..., self.cfg.n_states :].amax(-1, keepdim=True)], -1)
