"""Mel-cepstral distortion (MCD) between two waves, with dynamic time warping (DTW); no WORLD, no SPTK.

The settings (all in :class:`McepConfig`; :meth:`McepConfig.describe` prints them next to every score):

* Frames: ``frame_length`` (1024) samples, Blackman window, hop ``hop_length`` (256) at 22050 Hz, framed like
  :mod:`speechkit.features.mel` (zero padding, frame ``k`` centred on ``k * hop + hop / 2``, ``n // hop`` frames), so
  cepstral frames line up with mel, F0 (:func:`speechkit.features.pitch.f0`) and duration frames.
* Mel-cepstrum: the real cepstrum of the log amplitude spectrum (power floored at 1e-10, i.e. -100 dB re full
  scale), frequency-warped by the first-order all-pass ``z~^-1 = (z^-1 - alpha) / (1 - alpha z^-1)``, alpha 0.455
  (the usual value at 22.05 kHz, close to the mel scale), to ``order`` 24: what SPTK's ``freqt`` does to a
  full-length cepstrum (it agrees with pysptk's ``freqt`` to 1e-12), in SPTK's convention
  ``log|H(w~)| = c0 + sum_m c_m cos(m w~)``. This is the warped cepstrum of the whole log spectrum, not SPTK's
  iterative ``mcep`` fit, which weights spectral peaks more; absolute MCDs differ between the two by a few tenths
  to a few dB, so compare figures only within one definition.
* Distance: ``(10 / ln 10) * sqrt(2 * sum_{m=1..24} (c_m - c'_m)^2)`` dB per frame pair; c0 (energy) left out.
* DTW: symmetric steps (1,0), (0,1), (1,1) of equal weight on the Euclidean distance of c1..c24; the MCD is the
  mean frame distance along the path, i.e. normalised by the path length (which is at least the longer of the two
  frame counts). No silence is removed.

Why not pysptk or pymcd: pysptk ships only a source tarball (a C build at install time) and pymcd adds WORLD
(pyworld, also built from C++) and librosa. The warped cepstrum is one matrix product in numpy.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

MCD_CONST = 10.0 * math.sqrt(2.0) / math.log(10.0)
"""dB per unit of Euclidean cepstral distance: ``10 / ln 10 * sqrt(2)``."""

POWER_FLOOR = 1e-10


@dataclass(frozen=True)
class McepConfig:
    sample_rate: int = 22050
    frame_length: int = 1024
    hop_length: int = 256
    order: int = 24
    alpha: float = 0.455

    def describe(self) -> str:
        """One line that states every setting, printed with the scores."""
        return (f"MCD: mel-cepstrum c1..c{self.order} (c0 excluded), all-pass alpha {self.alpha}, "
                f"{self.frame_length}-sample Blackman frames, hop {self.hop_length} at {self.sample_rate} Hz, "
                f"10*sqrt(2)/ln(10) dB, DTW on Euclidean cepstral distance, mean over the DTW path")  # fmt: skip


MCEP = McepConfig()
"""The settings every score uses unless told otherwise."""


def warp_frequencies(n: int, alpha: float) -> np.ndarray:
    """Linear frequencies (radians, ``(n,)``) that the ``n`` uniformly spaced warped frequencies ``0..pi`` map to:
    the inverse all-pass warping ``w = w~ - 2 atan(alpha sin w~ / (1 + alpha cos w~))``."""
    warped = np.linspace(0.0, np.pi, n)
    return warped - 2.0 * np.arctan2(alpha * np.sin(warped), 1.0 + alpha * np.cos(warped))


@functools.lru_cache(maxsize=4)
def warp_matrix(n_fft: int, order: int, alpha: float, grid: int = 4096) -> np.ndarray:
    """The linear map ``(n_fft // 2 + 1, order + 1)`` from a real cepstrum ``c[0..n_fft/2]`` to the mel-cepstrum.

    The cepstrum's cosine series is evaluated at the linear frequencies of ``grid`` uniformly spaced warped
    frequencies, and the warped cosine series is integrated from those values (trapezoid rule): SPTK's ``freqt``
    in closed form, exact up to the quadrature.
    """
    half = n_fft // 2
    m = np.arange(half + 1)
    double = np.where((m == 0) | (m == half), 1.0, 2.0)  # log|X(w)| = sum_m double_m c_m cos(m w)
    to_log = double[:, None] * np.cos(np.outer(m, warp_frequencies(grid, alpha)))  # (half + 1, grid)
    weights = np.full(grid, np.pi / (grid - 1))
    weights[[0, -1]] /= 2
    to_mcep = np.cos(np.outer(np.linspace(0.0, np.pi, grid), np.arange(order + 1))) * weights[:, None] * (2 / np.pi)
    to_mcep[:, 0] /= 2  # c~_m = (2 / pi) int_0^pi log|X| cos(m w~) dw~, half of that for c~_0
    return to_log @ to_mcep


def mel_cepstrum(wav: np.ndarray, cfg: McepConfig = MCEP) -> np.ndarray:
    """Mel-cepstra ``(len(wav) // hop, order + 1)`` (c0..c_order) of a mono wave at ``cfg.sample_rate``.

    Example::

        c = mel_cepstrum(np.random.randn(22050) * 0.1)  # (86, 25)
    """
    wav = np.asarray(wav, dtype=np.float64)
    hop, size = cfg.hop_length, cfg.frame_length
    n = len(wav) // hop
    if n == 0:
        return np.zeros((0, cfg.order + 1))
    left = (size - hop) // 2
    padded = np.pad(wav, (left, size - hop - left))
    frames = np.lib.stride_tricks.sliding_window_view(padded, size)[::hop][:n] * np.blackman(size)
    log_amp = 0.5 * np.log(np.maximum(np.abs(np.fft.rfft(frames, axis=1)) ** 2, POWER_FLOOR))
    cepstrum = np.fft.irfft(log_amp, size, axis=1)[:, : size // 2 + 1]
    return cepstrum @ warp_matrix(size, cfg.order, cfg.alpha)


def dtw_path(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost monotone path through ``cost`` ``(N, M)`` from ``(0, 0)`` to ``(N-1, M-1)`` with steps (1,0),
    (0,1), (1,1), each adding the cost of the cell it enters (ties prefer the diagonal). Returns the row and column
    indices of the path, each ``(L,)``.

    The accumulated cost is filled one anti-diagonal at a time (every cell of an anti-diagonal depends only on the
    two before it), so the Python loop runs ``N + M`` times, not ``N * M``.
    """
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for d in range(2, n + m + 1):  # 1-based cells (i, j) with i + j = d
        i = np.arange(max(1, d - m), min(n, d - 1) + 1)
        j = d - i
        acc[i, j] = cost[i - 1, j - 1] + np.minimum(acc[i - 1, j - 1], np.minimum(acc[i - 1, j], acc[i, j - 1]))
    rows, cols = [n - 1], [m - 1]
    i, j = n, m
    while (i, j) != (1, 1):
        steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
        i, j = min(steps, key=lambda s: acc[s])
        rows.append(i - 1)
        cols.append(j - 1)
    return np.array(rows[::-1]), np.array(cols[::-1])


@dataclass(frozen=True)
class McdResult:
    """The MCD (dB) of one pair and the DTW path that gave it (reference and synthesized frame indices)."""

    mcd: float
    ref_frames: np.ndarray
    syn_frames: np.ndarray


def mcd(ref: np.ndarray, syn: np.ndarray, cfg: McepConfig = MCEP) -> McdResult:
    """MCD of ``syn`` against ``ref`` (mono waves at ``cfg.sample_rate``, any lengths), DTW-aligned.

    Example::

        mcd(wav, wav).mcd  # 0.0
    """
    a, b = mel_cepstrum(ref, cfg)[:, 1:], mel_cepstrum(syn, cfg)[:, 1:]
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"a wave shorter than one hop ({cfg.hop_length} samples) has no frames to compare")
    dist = torch.cdist(torch.from_numpy(a), torch.from_numpy(b), compute_mode="donot_use_mm_for_euclid_dist").numpy()
    rows, cols = dtw_path(dist)
    return McdResult(float(MCD_CONST * dist[rows, cols].mean()), rows, cols)
