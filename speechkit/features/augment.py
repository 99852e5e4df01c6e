"""Waveform augmentations that give a corpus of few voices and one clean channel other vocal tracts, pitches,
rooms, noises and telephone lines.

Why: a model trained on the mini FSC corpus's eSpeak voices scored 59.9 % intent accuracy on another
synthesizer's voices (issue 17); what it overfits to is the voices' spectral envelope and pitch range and the
clean, full-band channel. Each augmentation changes one of those, and each is drawn from a numpy ``Generator``
that the caller seeds per item and epoch, so an example is the same whichever worker builds it.

- :func:`vtlp`: vocal tract length perturbation (Jaitly & Hinton, 2013): the spectrum's frequency axis scaled by
  ``alpha`` below a boundary and bent to keep the top fixed, on the STFT magnitude, with the original phase.
  Formants and harmonics move, the duration does not.
- :func:`pitch_shift`: pitch and formants moved together by some semitones, the tempo kept (resampling, then a
  phase vocoder).
- :func:`room_response` and :func:`reverberate`: a synthesized room impulse response (nothing can be downloaded):
  a direct path, sparse early reflections over the first 50 ms, and a noise tail decaying to -60 dB at RT60.
- :func:`add_noise`: coloured Gaussian noise (a power spectrum falling as ``f ** -slope``: 0 white, 1 pink,
  2 brown) at a signal-to-noise ratio.
- :func:`telephone`: a 300-3400 Hz band, 8 kHz sampling and 8-bit mu-law, as a narrow-band phone call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torchaudio.functional import fftconvolve
from torchaudio.functional import phase_vocoder

from speechkit.data.audio import resample

_N_FFT = 512


@dataclass
class AugmentConfig:
    """How often each augmentation applies to a training item (0: never), and the ranges its settings are drawn
    from. ``vtlp`` is a range of warp factors, ``pitch_semitones`` the largest shift either way, ``rt60`` a range of
    reverberation times in seconds, ``snr_db`` a range of signal-to-noise ratios, ``noise_slope`` a range of noise
    colours (0 white .. 2 brown)."""

    vtlp_prob: float = 0.0
    vtlp: list[float] = field(default_factory=lambda: [0.85, 1.15])
    pitch_prob: float = 0.0
    pitch_semitones: float = 3.0
    reverb_prob: float = 0.0
    rt60: list[float] = field(default_factory=lambda: [0.2, 0.8])
    noise_prob: float = 0.0
    snr_db: list[float] = field(default_factory=lambda: [5.0, 30.0])
    noise_slope: list[float] = field(default_factory=lambda: [0.0, 2.0])
    telephone_prob: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vtlp_prob", "pitch_prob", "reverb_prob", "noise_prob", "telephone_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {getattr(self, name)}")
        for name in ("vtlp", "rt60", "snr_db", "noise_slope"):
            low_high = getattr(self, name)
            if len(low_high) != 2 or low_high[0] > low_high[1]:
                raise ValueError(f"{name} must be a range [low, high], got {low_high}")
        if not (0.5 <= self.vtlp[0] and self.vtlp[1] <= 2.0):
            raise ValueError(f"vtlp factors must lie in [0.5, 2], got {self.vtlp}")
        if self.rt60[0] <= 0:
            raise ValueError(f"rt60 must be positive, got {self.rt60}")

    @property
    def active(self) -> bool:
        return any(p > 0 for p in (self.vtlp_prob, self.pitch_prob, self.reverb_prob, self.noise_prob,
                                   self.telephone_prob))  # fmt: skip


def augment(wav: np.ndarray, sample_rate: int, config: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """``wav`` with each augmentation of ``config`` applied with its probability, in the order a voice meets them:
    vocal tract, pitch, room, noise, line. The length is kept."""
    draws = rng.random(5)
    if draws[0] < config.vtlp_prob:
        wav = vtlp(wav, rng.uniform(*config.vtlp), sample_rate)
    if draws[1] < config.pitch_prob:
        wav = pitch_shift(wav, sample_rate, rng.uniform(-config.pitch_semitones, config.pitch_semitones))
    if draws[2] < config.reverb_prob:
        wav = reverberate(wav, room_response(sample_rate, rng.uniform(*config.rt60), rng))
    if draws[3] < config.noise_prob:
        wav = add_noise(wav, rng.uniform(*config.snr_db), rng.uniform(*config.noise_slope), rng)
    if draws[4] < config.telephone_prob:
        wav = telephone(wav, sample_rate)
    peak = float(np.abs(wav).max(initial=0.0))
    return (wav / peak * 0.9 if peak > 1.0 else wav).astype(np.float32)


def vtlp(wav: np.ndarray, alpha: float, sample_rate: int, boundary_hz: float = 4800.0) -> np.ndarray:
    """``wav`` with its spectrum's frequencies scaled by ``alpha`` up to ``boundary_hz * min(alpha, 1) / alpha``,
    and bent linearly above it so that the Nyquist frequency stays put."""
    if alpha == 1.0 or len(wav) < _N_FFT:
        return wav
    x = torch.from_numpy(np.ascontiguousarray(wav, np.float32))
    window = torch.hann_window(_N_FFT)
    spec = torch.stft(x, _N_FFT, _N_FFT // 4, window=window, return_complex=True)
    nyquist = sample_rate / 2
    freqs = np.linspace(0.0, nyquist, spec.shape[0])
    knee = boundary_hz * min(alpha, 1.0) / alpha
    # the warped axis: f -> alpha * f below the knee, then a line to (nyquist, nyquist); a bin of the output takes
    # the magnitude found where the warp maps to it
    warped = np.where(freqs <= knee, alpha * freqs,
                      alpha * knee + (nyquist - alpha * knee) * (freqs - knee) / (nyquist - knee))  # fmt: skip
    source_hz = np.interp(freqs, warped, freqs)
    source = source_hz / nyquist * (spec.shape[0] - 1)
    low = np.floor(source).astype(np.int64).clip(0, spec.shape[0] - 1)
    high = (low + 1).clip(max=spec.shape[0] - 1)
    frac = torch.from_numpy((source - low).astype(np.float32))[:, None]

    def moved(x: torch.Tensor) -> torch.Tensor:
        return x[low] * (1 - frac) + x[high] * frac

    # a phase vocoder's phases: each bin's phase advance per hop (its instantaneous frequency) moves with its
    # magnitude and is scaled by the warp there, then the phases are summed again; the original phases would pull
    # a moved partial back to its old frequency
    phase = spec.angle()
    expected = torch.from_numpy(np.pi * np.arange(spec.shape[0]) / 2)[:, None].float()  # 2 pi k hop / n_fft
    advance = phase.diff(dim=1) - expected
    advance = expected + advance - 2 * np.pi * torch.round(advance / (2 * np.pi))
    ratio = torch.from_numpy((freqs / np.maximum(source_hz, 1e-9)).astype(np.float32))[:, None]
    ratio[0] = 1.0
    new_phase = torch.cat((moved(phase[:, :1]), moved(advance) * ratio), dim=1).cumsum(dim=1)
    out = torch.istft(torch.polar(moved(spec.abs()), new_phase), _N_FFT, _N_FFT // 4, window=window,
                      length=len(wav))  # fmt: skip
    return out.numpy()


def pitch_shift(wav: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """``wav`` some ``semitones`` higher (negative: lower), formants with it, at the same tempo: played faster by
    resampling (the rate rounded to 100 Hz, which keeps the resampling filter small: 0.1 semitone steps), then
    stretched back to its length by a phase vocoder."""
    source_rate = round(sample_rate * 2 ** (semitones / 12) / 100) * 100
    if source_rate == sample_rate or len(wav) < _N_FFT:
        return wav
    faster = resample(wav, source_rate, sample_rate)
    hop = _N_FFT // 4
    window = torch.hann_window(_N_FFT)
    spec = torch.stft(torch.from_numpy(np.ascontiguousarray(faster)), _N_FFT, hop, window=window,
                      return_complex=True)  # fmt: skip
    advance = torch.linspace(0, math.pi * hop, spec.shape[0])[:, None]
    stretched = phase_vocoder(spec, len(faster) / len(wav), advance)
    return torch.istft(stretched, _N_FFT, hop, window=window, length=len(wav)).numpy()


def room_response(sample_rate: int, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """A room impulse response of reverberation time ``rt60`` seconds: a unit direct path, 4-12 early reflections
    within 50 ms at 0.2-0.7 of it, and a Gaussian tail decaying by 60 dB over ``rt60``, starting 0-10 dB below the
    direct path."""
    n = max(2, int(rt60 * sample_rate))
    t = np.arange(n) / sample_rate
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)  # ln(1000): -60 dB at rt60
    tail *= 10 ** (-rng.uniform(0.0, 10.0) / 20) / max(1e-9, float(np.abs(tail).max()))
    rir = tail * (t > 0.002)  # the tail starts after the direct sound
    rir[0] = 1.0
    early = min(n - 1, int(0.05 * sample_rate))
    for k in rng.integers(1, max(2, early), size=rng.integers(4, 13)):
        rir[k] += rng.uniform(0.2, 0.7) * rng.choice((-1.0, 1.0))
    return rir.astype(np.float32)


def reverberate(wav: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """``wav`` convolved with ``rir`` (its direct path at the start), cut to the input's length, at its power."""
    wet = fftconvolve(torch.from_numpy(np.ascontiguousarray(wav, np.float32)), torch.from_numpy(rir)).numpy()
    wet = wet[: len(wav)]
    return wet * math.sqrt((np.mean(wav**2) + 1e-12) / (np.mean(wet**2) + 1e-12))


def coloured_noise(n: int, slope: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of Gaussian noise whose power falls as ``f ** -slope``, at unit power."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    noise = np.fft.irfft(spec * f ** (-slope / 2), n)
    return noise / max(1e-12, float(np.sqrt(np.mean(noise**2))))


def add_noise(wav: np.ndarray, snr_db: float, slope: float, rng: np.random.Generator) -> np.ndarray:
    """``wav`` plus coloured noise ``snr_db`` below its power."""
    power = float(np.mean(wav**2)) + 1e-12
    return wav + coloured_noise(len(wav), slope, rng) * math.sqrt(power / 10 ** (snr_db / 10))


def telephone(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """``wav`` as a narrow-band call: 8 kHz (which keeps up to 4 kHz), no energy below 300 Hz or above 3.4 kHz,
    8-bit mu-law, then back at ``sample_rate``."""
    narrow = resample(wav, sample_rate, 8000) if sample_rate != 8000 else wav
    spec = np.fft.rfft(narrow)
    f = np.fft.rfftfreq(len(narrow), 1 / 8000)
    spec[(f < 300) | (f > 3400)] = 0
    narrow = np.fft.irfft(spec, len(narrow))
    peak = max(1e-9, float(np.abs(narrow).max()))
    mu = 255.0
    x = np.clip(narrow / peak, -1.0, 1.0)
    coded = np.round(np.sign(x) * np.log1p(mu * np.abs(x)) / math.log1p(mu) * 127) / 127
    narrow = np.sign(coded) * np.expm1(np.abs(coded) * math.log1p(mu)) / mu * peak
    out = resample(narrow.astype(np.float32), 8000, sample_rate) if sample_rate != 8000 else narrow
    return out[: len(wav)] if len(out) >= len(wav) else np.pad(out, (0, len(wav) - len(out)))
