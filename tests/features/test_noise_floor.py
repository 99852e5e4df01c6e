"""Noise-floor normalization: each band's low quantile goes to zero, a recording's gain is removed, padding
changes nothing, and a weak sound stays above a pause whatever the noise level."""

from __future__ import annotations

import math

import torch

from speechkit.features.noise_floor import BELOW, subtract_noise_floor


def test_each_band_of_each_utterance_is_measured_from_its_quantile_and_padding_is_left_alone() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 50, 6) * 3 + torch.arange(6.0)
    lengths = torch.tensor([50, 30])
    out = subtract_noise_floor(x, lengths, 0.1)
    for b, n in ((0, 50), (1, 30)):
        floor = torch.quantile(x[b, :n], 0.1, dim=0)
        assert torch.allclose(out[b, :n], (x[b, :n] - floor).clamp_min(-BELOW)) and (out[b, :n] < 0).any()
    assert torch.equal(out[1, 30:], x[1, 30:])
    alone = subtract_noise_floor(x[1:, :30], torch.tensor([30]), 0.1)
    assert torch.equal(alone[0], out[1, :30])  # the padded frames did not move the estimate


def test_a_recording_gain_is_removed_and_a_weak_sound_stays_above_the_pause_at_any_noise_level() -> None:
    frames = torch.zeros(100, 4)
    frames[20:40] = 3.0  # a loud vowel
    frames[50:60] = 0.8  # a weak fricative, a little above the background
    quiet = torch.log(torch.exp(frames) + 0.01)  # the same speech over two noise floors
    noisy = torch.log(torch.exp(frames) + 0.2)
    one = torch.tensor([100])
    louder = subtract_noise_floor(quiet[None] + math.log(4.0), one, 0.1)[0]
    assert torch.allclose(louder, subtract_noise_floor(quiet[None], one, 0.1)[0], atol=1e-5)
    for recording in (quiet, noisy):
        norm = subtract_noise_floor(recording[None], one, 0.1)[0]
        assert norm[70:].abs().max() < 1e-5  # the pause is at the floor
        assert (norm[50:60] > 0.5).all()  # the fricative rises above it
    silent_edges = quiet.clone()
    silent_edges[:5] = -11.5  # digital silence: the mel's floor, far below the recording's quiet
    assert torch.equal(subtract_noise_floor(silent_edges[None], one, 0.1)[0, :5], torch.full((5, 4), -BELOW))
