"""The waveform augmentations do what they say on tones and noise whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from speechkit.features.augment import (AugmentConfig, add_noise, augment, coloured_noise, pitch_shift, room_response,
                                        telephone, vtlp)  # fmt: skip

SR = 16000


def tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * hz * np.arange(int(seconds * SR)) / SR)).astype(np.float32)


def peak_hz(wav: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(wav * np.hanning(len(wav))))
    return float(np.fft.rfftfreq(len(wav), 1 / SR)[spec.argmax()])


def band_power_db(wav: np.ndarray, low: float, high: float) -> float:
    spec = np.abs(np.fft.rfft(wav)) ** 2
    f = np.fft.rfftfreq(len(wav), 1 / SR)
    return float(10 * np.log10(spec[(f >= low) & (f < high)].sum() + 1e-20))


@pytest.mark.parametrize("alpha", [0.9, 1.15])
def test_vtlp_scales_frequencies_below_the_boundary_and_keeps_the_length(alpha: float) -> None:
    out = vtlp(tone(1000), alpha, SR)
    assert len(out) == SR
    assert peak_hz(out) == pytest.approx(1000 * alpha, abs=20)


def test_pitch_shift_by_an_octave_doubles_a_tone_at_the_same_length() -> None:
    out = pitch_shift(tone(440), SR, 12.0)
    assert len(out) == SR
    assert peak_hz(out) == pytest.approx(880, abs=20)


def test_a_room_response_decays_by_60_db_over_its_rt60() -> None:
    rng = np.random.default_rng(0)
    for rt60 in (0.3, 0.8):
        rir = room_response(SR, rt60, rng)
        assert rir[0] == 1.0
        tail = rir[int(0.06 * SR):].astype(np.float64)  # past the early reflections
        energy = np.cumsum(tail[::-1] ** 2)[::-1]  # Schroeder's backward integral
        edc = 10 * np.log10(energy / energy[0])
        t5, t25 = np.argmax(edc < -5), np.argmax(edc < -25)  # T20, extrapolated to 60 dB
        assert 3 * (t25 - t5) / SR == pytest.approx(rt60, rel=0.2)


def test_noise_comes_at_the_asked_snr_and_colour() -> None:
    rng = np.random.default_rng(1)
    clean = tone(500)
    for snr in (0.0, 20.0):
        noisy = add_noise(clean, snr, 0.0, rng)
        measured = 10 * np.log10(np.mean(clean**2) / np.mean((noisy - clean) ** 2))
        assert measured == pytest.approx(snr, abs=0.01)
    brown, white = coloured_noise(SR, 2.0, rng), coloured_noise(SR, 0.0, rng)
    tilt = lambda x: band_power_db(x, 50, 500) - band_power_db(x, 4000, 7500)  # noqa: E731
    assert tilt(brown) > tilt(white) + 20


def test_telephone_keeps_the_speech_band_only() -> None:
    for hz, kept in ((150, False), (1000, True), (5000, False)):
        out = telephone(tone(hz), SR)
        assert len(out) == SR
        loss = band_power_db(tone(hz), 0, SR / 2) - band_power_db(out, 0, SR / 2)
        assert (loss < 3) if kept else (loss > 30), (hz, loss)


def test_augment_is_reproducible_from_its_generator_and_off_by_default() -> None:
    wav = tone(300) + 0.1 * tone(2200)
    assert np.array_equal(augment(wav, SR, AugmentConfig(), np.random.default_rng(0)), wav)
    everything = AugmentConfig(vtlp_prob=1, pitch_prob=1, reverb_prob=1, noise_prob=1, telephone_prob=1)
    a = augment(wav, SR, everything, np.random.default_rng(5))
    b = augment(wav, SR, everything, np.random.default_rng(5))
    assert len(a) == len(wav) and a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.allclose(a, augment(wav, SR, everything, np.random.default_rng(6)))


@pytest.mark.parametrize("bad", [dict(noise_prob=1.5), dict(rt60=[0.8, 0.2]), dict(vtlp=[0.3, 1.0]),
                                 dict(snr_db=[5.0])])  # fmt: skip
def test_settings_out_of_range_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        AugmentConfig(**bad)
