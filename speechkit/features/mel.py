"""The one log-mel definition, and the one formula for how many frames a wave gives.

The definition (fixed here; a :class:`MelConfig` only sets sizes and rates):

* Hann window (periodic) of ``win_length`` samples, centred in ``n_fft``; magnitude STFT (power 1).
* Slaney mel scale with Slaney area normalisation (librosa's default), ``f_min`` to ``f_max``.
* Natural log of the magnitude mel, floored at 1e-5.
* Framing: the wave is zero-padded by ``(n_fft - hop) / 2`` samples on each side, then framed without centring,
  so frame ``k`` is centred on samples ``[k * hop, (k + 1) * hop)`` and a wave of ``n`` samples gives exactly
  ``n // hop`` frames (:func:`n_frames`).

Why these: it is the HiFi-GAN / FastSpeech 2 mel, so the TTS and vocoder configs (22050 Hz, ``n_fft`` 1024, hop 256,
80 mels, ``f_max`` 8000) use it unchanged; for recognition, log-magnitude versus log-power is a factor of 2 that CMVN
removes. Zero padding (not reflection) is what makes features batch-invariant: the zeros that pad a short wave in a
batch are the zeros it would be padded with alone, so every valid frame is identical either way. ``n // hop`` frames
means one frame per hop of audio, so frame counts and token durations convert to samples without remainders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.nn.functional as nnf
import torchaudio.functional as taf
from torch import Tensor, nn

LOG_FLOOR = 1e-5
"""Mel magnitudes are clamped to this before the log (HiFi-GAN's floor), so silence gives a finite value."""

N = TypeVar("N", int, Tensor)


@dataclass(frozen=True)
class MelConfig:
    """Sizes of the log-mel features; the defaults are the 16 kHz recognition front end (25 ms / 10 ms, 80 mels).

    ``f_max=None`` means ``sample_rate / 2``. :data:`TTS_MEL` is the TTS and vocoder setting.
    """

    sample_rate: int = 16000
    n_fft: int = 400
    win_length: int = 400
    hop_length: int = 160
    n_mels: int = 80
    f_min: float = 20.0
    f_max: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.hop_length <= self.win_length <= self.n_fft:
            raise ValueError(f"need 0 < hop_length <= win_length <= n_fft, got {self}")
        if not 0 <= self.f_min < self.top_freq <= self.sample_rate / 2:
            raise ValueError(f"need 0 <= f_min < f_max <= sample_rate / 2, got {self}")

    @property
    def top_freq(self) -> float:
        """``f_max`` with None resolved to the Nyquist frequency."""
        return self.sample_rate / 2 if self.f_max is None else self.f_max


TTS_MEL = MelConfig(sample_rate=22050, n_fft=1024, win_length=1024, hop_length=256, f_min=0.0, f_max=8000.0)
"""HiFi-GAN's mel (22050 Hz, n_fft 1024, hop 256, 80 bins, 0-8000 Hz): what FastSpeech 2 predicts, vocoders read."""


def n_frames(n_samples: N, cfg: MelConfig) -> N:
    """Frames that ``n_samples`` samples give (an int, or a tensor of lengths): ``n_samples // hop_length``."""
    return n_samples // cfg.hop_length


def hann_window(cfg: MelConfig) -> Tensor:
    """The analysis window, shape ``(win_length,)``."""
    return torch.hann_window(cfg.win_length)


def mel_filters(cfg: MelConfig) -> Tensor:
    """The Slaney mel filterbank, shape ``(n_fft // 2 + 1, n_mels)``."""
    return taf.melscale_fbanks(cfg.n_fft // 2 + 1, cfg.f_min, cfg.top_freq, cfg.n_mels, cfg.sample_rate,
                               norm="slaney", mel_scale="slaney")


def log_mel(wav: Tensor, cfg: MelConfig, window: Tensor | None = None, filters: Tensor | None = None) -> Tensor:
    """Log-mel features of ``wav`` ``(samples,)`` or ``(batch, samples)``: ``(..., n_frames(samples), n_mels)``.

    ``window`` and ``filters`` default to :func:`hann_window` and :func:`mel_filters` of ``cfg``; :class:`LogMel`
    passes its own so they are built once. Example::

        feats = log_mel(torch.randn(16000), MelConfig())  # (100, 80)
    """
    window = hann_window(cfg).to(wav) if window is None else window
    filters = mel_filters(cfg).to(wav) if filters is None else filters
    frames = n_frames(wav.shape[-1], cfg)
    if frames == 0:
        return wav.new_zeros(*wav.shape[:-1], 0, cfg.n_mels)
    left = (cfg.n_fft - cfg.hop_length) // 2
    padded = nnf.pad(wav, (left, cfg.n_fft - cfg.hop_length - left))
    spec = taf.spectrogram(padded, pad=0, window=window, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                           win_length=cfg.win_length, power=1.0, normalized=False, center=False)
    return torch.matmul(spec.transpose(-1, -2), filters).clamp_min(LOG_FLOOR).log()


class LogMel(nn.Module):
    """:func:`log_mel` for padded batches, with the window and filterbank built once (buffers, not saved: the
    config defines them)."""

    def __init__(self, cfg: MelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.register_buffer("window", hann_window(cfg), persistent=False)
        self.register_buffer("filters", mel_filters(cfg), persistent=False)

    def forward(self, wavs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """``wavs`` ``(B, T)`` zero-padded, ``lengths`` ``(B,)`` samples -> ``(B, T // hop, n_mels)`` and frame
        lengths ``(B,)``. Frames past an utterance's length are padding: mask them by the returned lengths."""
        return log_mel(wavs, self.cfg, self.window, self.filters), n_frames(lengths, self.cfg)
