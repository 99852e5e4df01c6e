"""YIN F0 on synthetic voiced and unvoiced signals, token averages, and energy framed like the mel."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from speechkit.features.energy import energy
from speechkit.features.mel import MelConfig, log_mel
from speechkit.features.pitch import f0, interpolate_unvoiced, phone_average

SR, HOP = 22050, 256
MEL = MelConfig(sample_rate=SR, n_fft=1024, win_length=1024, hop_length=HOP, f_min=0.0, f_max=8000.0)


def tone(hz: float, seconds: float = 1.0, harmonics: int = 1) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return sum(np.sin(2 * np.pi * hz * k * t + k) / k for k in range(1, harmonics + 1)) * 0.5


@pytest.mark.parametrize("hz", [80.0, 110.0, 220.0, 347.5, 500.0])
@pytest.mark.parametrize("harmonics", [1, 5])
def test_f0_of_a_periodic_signal(hz: float, harmonics: int) -> None:
    track = f0(tone(hz, harmonics=harmonics), SR, HOP)
    assert track.shape == (SR // HOP,) and track.dtype == np.float32
    inner = track[2:-2]  # edge frames see the zero padding
    assert (inner > 0).all() and np.abs(inner - hz).max() < 0.01 * hz


def test_silence_and_noise_are_unvoiced_and_a_gap_is_found() -> None:
    assert not f0(np.zeros(SR), SR, HOP).any()
    noise = np.random.default_rng(0).standard_normal(SR) * 0.1
    assert (f0(noise, SR, HOP) > 0).mean() < 0.05
    wav = np.concatenate([tone(200.0, 0.5), np.zeros(SR // 2), tone(150.0, 0.5)])
    track = f0(wav, SR, HOP)
    assert len(track) == len(wav) // HOP
    assert np.allclose(track[3:40], 200.0, rtol=0.01) and not track[48:82].any()
    assert np.allclose(track[93:-3], 150.0, rtol=0.01)
    assert f0(np.zeros(HOP - 1), SR, HOP).shape == (0,)


def test_interpolation_and_token_averages() -> None:
    log_f0 = interpolate_unvoiced(np.array([0, 100, 0, 0, 200, 0], dtype=np.float32))
    assert np.allclose(np.exp(log_f0), [100, 100, 100 * 2 ** (1 / 3), 100 * 2 ** (2 / 3), 200, 200], rtol=1e-5)
    assert np.isnan(interpolate_unvoiced(np.zeros(4))).all()
    values = np.arange(6, dtype=np.float32)
    # a zero-duration token takes the value at its position, also at the very end
    assert phone_average(values, np.array([2, 0, 3, 1, 0])).tolist() == [0.5, 2.0, 3.0, 5.0, 5.0]
    with pytest.raises(ValueError):
        phone_average(values, np.array([2, 2]))


def test_energy_is_the_frame_norm_framed_like_the_mel() -> None:
    wav = torch.zeros(SR)
    wav[10_000] = 1.0  # a click: its frames are the same in energy and mel
    e, mel = energy(wav, MEL), log_mel(wav, MEL)
    assert e.shape == (SR // HOP,) and mel.shape[0] == e.shape[0]
    assert torch.equal(e > 0, mel.amax(-1) > np.log(1e-5) + 1e-3)
    assert int(e.argmax()) == int(mel.amax(-1).argmax())
    # a full-scale frame of a click is the window's value at its position, summed over n_fft // 2 + 1 bins
    frame = int(e.argmax())
    offset = 10_000 + (MEL.n_fft - HOP) // 2 - frame * HOP
    window = torch.hann_window(MEL.n_fft)
    assert torch.isclose(e[frame], window[offset] * np.sqrt(MEL.n_fft // 2 + 1), rtol=1e-4)
    assert energy(torch.zeros(2, 3 * HOP), MEL).shape == (2, 3)
