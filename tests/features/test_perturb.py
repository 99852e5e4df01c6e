"""Speed perturbation: length scales by 1 / factor, pitch with it, 1.0 changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from speechkit.features.perturb import speed_perturb

RATE = 16000


def _tone(freq: float, samples: int = RATE) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(samples) / RATE)).astype(np.float32)


@pytest.mark.parametrize("factor", [0.9, 1.1, 0.95, 1.05])
def test_length_scales_by_inverse_factor(factor: float) -> None:
    for samples in (RATE, 12345):
        out = speed_perturb(_tone(440.0, samples), RATE, factor)
        assert abs(len(out) - samples / factor) <= 1
        assert out.dtype == np.float32


def test_pitch_scales_with_factor() -> None:
    out = speed_perturb(_tone(1000.0), RATE, 1.1)
    peak = np.argmax(np.abs(np.fft.rfft(out))) * RATE / len(out)
    assert abs(peak - 1100.0) < 5.0


def test_factor_one_is_identity() -> None:
    wav = _tone(440.0)
    assert speed_perturb(wav, RATE, 1.0) is wav
