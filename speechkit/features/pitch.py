"""Frame-level F0 (YIN) at the mel's hop, and phone-level averages of frame values.

Why YIN in numpy rather than a library: pyworld (DIO/Harvest) ships no wheel for this platform and would need a C++
build at install time, and librosa's ``pyin`` pulls in numba. YIN (de Cheveigné & Kawahara, 2002) is a few vectorised
lines, is accurate on speech (its cumulative mean normalised difference removes the octave-too-low errors of plain
autocorrelation), and gives a voicing decision for free: a frame is voiced when its normalised difference dips below
``threshold``.

Framing matches :mod:`speechkit.features.mel`: frame ``k`` is centred on sample ``k * hop + hop // 2`` and a wave of
``n`` samples gives ``n // hop`` frames, so F0, energy and mel frames line up one to one and with token durations.
"""

from __future__ import annotations

import numpy as np

F0_MIN = 60.0
F0_MAX = 600.0


def f0(wav: np.ndarray, sample_rate: int, hop_length: int, f0_min: float = F0_MIN, f0_max: float = F0_MAX,
       threshold: float = 0.15, silence_db: float = 45.0) -> np.ndarray:  # fmt: skip
    """F0 in Hz of each frame of ``wav`` ``(n_samples,)``: ``(n_samples // hop_length,)`` float32, 0 when unvoiced.

    A frame is unvoiced when its YIN dip does not go below ``threshold`` or its energy is more than ``silence_db``
    below the loudest frame (or the wave is digital silence). Example::

        t = np.arange(22050) / 22050
        f0(np.sin(2 * np.pi * 220 * t), 22050, 256)  # 86 frames, all close to 220
    """
    wav = np.asarray(wav, dtype=np.float64)
    if wav.ndim != 1:
        raise ValueError(f"f0 takes a mono wave (n_samples,), got shape {wav.shape}")
    n = len(wav) // hop_length
    if n == 0:
        return np.zeros(0, np.float32)
    tau_min = max(2, int(sample_rate / f0_max))
    tau_max = int(np.ceil(sample_rate / f0_min))
    width = tau_max  # integration window: one period of the lowest F0
    size = width + tau_max + 1
    centres = np.arange(n) * hop_length + hop_length // 2
    pad = size
    padded = np.pad(wav, (pad, pad))
    starts = centres - width // 2 - tau_max // 2 + pad
    frames = np.lib.stride_tricks.sliding_window_view(padded, size)[starts]  # (n, size)
    frames = frames - frames[:, :width].mean(axis=1, keepdims=True)

    diff = _difference(frames, width, tau_max)
    cum = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    with np.errstate(invalid="ignore", divide="ignore"):
        cmnd[:, 1:] = np.where(cum > 0, diff[:, 1:] * np.arange(1, tau_max + 1) / cum, 1.0)

    power = (frames[:, :width] ** 2).mean(axis=1)
    loud = power > max(power.max() * 10 ** (-silence_db / 10), 1e-10)
    out = np.zeros(n, np.float32)
    for i in np.flatnonzero(loud):
        tau = _first_dip(cmnd[i], tau_min, tau_max, threshold)
        if tau:
            out[i] = sample_rate / _parabolic(cmnd[i], tau)
    return out


def _difference(frames: np.ndarray, width: int, tau_max: int) -> np.ndarray:
    """YIN's difference function ``d(tau) = sum_{j<width} (x_j - x_{j+tau})^2`` for ``tau = 0..tau_max``, via
    ``d = E(0) + E(tau) - 2 r(tau)`` with the cross-correlation ``r`` by FFT: ``(n_frames, tau_max + 1)``."""
    size = frames.shape[1]
    nfft = 1 << int(np.ceil(np.log2(size + width)))
    head = np.fft.rfft(frames[:, :width], nfft)
    corr = np.fft.irfft(np.conj(head) * np.fft.rfft(frames, nfft), nfft)[:, : tau_max + 1]
    sq = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
    taus = np.arange(tau_max + 1)
    energy_tau = sq[:, taus + width] - sq[:, taus]
    return np.maximum(sq[:, width : width + 1] + energy_tau - 2 * corr, 0.0)


def _first_dip(cmnd: np.ndarray, tau_min: int, tau_max: int, threshold: float) -> int:
    """The first lag in ``[tau_min, tau_max)`` whose normalised difference is below ``threshold``, moved on to the
    bottom of that dip; 0 when there is none (unvoiced)."""
    below = np.flatnonzero(cmnd[tau_min:tau_max] < threshold)
    if len(below) == 0:
        return 0
    tau = tau_min + int(below[0])
    while tau + 1 < tau_max and cmnd[tau + 1] < cmnd[tau]:
        tau += 1
    return tau


def _parabolic(curve: np.ndarray, tau: int) -> float:
    """Sub-sample position of the minimum at ``tau``, from the parabola through its two neighbours."""
    a, b, c = curve[tau - 1], curve[tau], curve[tau + 1]
    denom = a - 2 * b + c
    return tau + (0.5 * (a - c) / denom if denom > 0 else 0.0)


def interpolate_unvoiced(f0_hz: np.ndarray) -> np.ndarray:
    """Log-F0 with unvoiced frames (0) filled by linear interpolation between voiced neighbours (held flat
    before the first and after the last): ``(n_frames,)`` float32, all NaN when no frame is voiced.

    Why: an unvoiced consonant or pause still needs a pitch target, and the contour across it is what a listener
    expects the voiced sounds on either side to join up with (FastSpeech 2 does the same)."""
    voiced = np.flatnonzero(f0_hz > 0)
    if len(voiced) == 0:
        return np.full(len(f0_hz), np.nan, np.float32)
    logs = np.log(f0_hz[voiced].astype(np.float64))
    return np.interp(np.arange(len(f0_hz)), voiced, logs).astype(np.float32)


def phone_average(values: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Mean of frame ``values`` ``(n_frames,)`` over each token's frames, ``durations`` ``(n_tokens,)`` summing to
    ``n_frames``: ``(n_tokens,)`` float32. A token of duration 0 takes the value of the frame at its position."""
    durations = np.asarray(durations, dtype=np.int64)
    if int(durations.sum()) != len(values) or len(values) == 0:
        raise ValueError(f"durations sum to {int(durations.sum())} but there are {len(values)} frames")
    ends = np.cumsum(durations)
    starts = ends - durations
    total = np.r_[0.0, np.cumsum(values, dtype=np.float64)]
    means = (total[ends] - total[starts]) / np.maximum(durations, 1)
    at = values[np.minimum(starts, len(values) - 1)]
    return np.where(durations > 0, means, at).astype(np.float32)
