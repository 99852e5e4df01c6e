"""FastSpeech 2 pieces: exact frame counts from the length regulator and speed, controls, batch consistency."""

from __future__ import annotations

import math

import pytest
import torch

from speechkit.models.fastspeech2 import FastSpeech2, FastSpeech2Config, FFTConfig, PostnetConfig
from speechkit.models.variance import Controls, VarianceConfig, durations_from_log, length_regulate

TOKENS = ["<pad>", "sil", "AA1", "B", "K", "S"]


def tiny_model(seed: int = 0) -> FastSpeech2:
    torch.manual_seed(seed)
    fft = FFTConfig(layers=1, heads=2, ffn_dim=32, kernel_size=3, dropout=0.1)
    cfg = FastSpeech2Config(d_model=16, encoder=fft, decoder=fft, variance=VarianceConfig(16, 3, 0.1),
                            postnet=PostnetConfig(2, 16, 5, 0.1), tokens=TOKENS)  # fmt: skip
    return FastSpeech2(cfg).eval()


def test_length_regulator_repeats_tokens_exactly() -> None:
    x = torch.arange(1.0, 4.0)[None, :, None].expand(2, 3, 2).clone()
    durations = torch.tensor([[2, 0, 3], [1, 1, 0]])
    y, lengths = length_regulate(x, durations)
    assert lengths.tolist() == [5, 2] and y.shape == (2, 5, 2)
    assert y[0, :, 0].tolist() == [1, 1, 3, 3, 3] and y[1, :, 0].tolist() == [1, 2, 0, 0, 0]
    empty, lens = length_regulate(x[:1], torch.zeros(1, 3, dtype=torch.long))
    assert lens.tolist() == [0] and empty.shape == (1, 1, 2) and not empty.any()


@pytest.mark.parametrize(("speed", "expected"), [(1.0, [2, 4, 6, 1]), (2.0, [1, 2, 3, 1]), (0.5, [4, 8, 12, 2])])
def test_speed_divides_durations_with_at_least_one_frame(speed: float, expected: list[int]) -> None:
    frames = torch.tensor([[2.0, 4.0, 6.0, 1.0, 9.0]])
    mask = torch.tensor([[False, False, False, False, True]])  # the last token is padding
    got = durations_from_log(torch.log1p(frames), mask, speed)
    assert got.tolist() == [expected + [0]]
    assert durations_from_log(torch.full((1, 2), -5.0), torch.zeros(1, 2, dtype=torch.bool)).tolist() == [[1, 1]]


def test_training_forward_follows_the_given_durations() -> None:
    model = tiny_model()
    tokens, lengths = torch.tensor([[1, 2, 3, 1], [4, 5, 0, 0]]), torch.tensor([4, 2])
    durations = torch.tensor([[3, 5, 0, 2], [7, 1, 0, 0]])
    out = model(tokens, lengths, durations, torch.randn(2, 4), torch.randn(2, 4))
    assert out["frame_lengths"].tolist() == [10, 8] and out["mel_post"].shape == (2, 10, 80)
    assert not out["mel"][1, 8:].any() and not out["pitch"][1, 2:].any()


def test_synthesis_alone_equals_in_a_batch_and_speed_changes_length() -> None:
    model = tiny_model()
    a, b = torch.tensor([1, 2, 3, 4, 1]), torch.tensor([1, 5, 1])
    batch = model.synthesize(torch.nn.utils.rnn.pad_sequence([a, b], batch_first=True), torch.tensor([5, 3]))
    for row, seq in enumerate((a, b)):
        alone = model.synthesize(seq[None], torch.tensor([len(seq)]))
        n = int(alone["frame_lengths"][0])
        assert int(batch["frame_lengths"][row]) == n
        assert torch.allclose(batch["log_mel"][row, :n], alone["log_mel"][0, :n], atol=1e-4)
        assert torch.equal(batch["durations"][row, : len(seq)], alone["durations"][0])
    assert (batch["log_mel"][1, int(batch["frame_lengths"][1]) :] == math.log(1e-5)).all()
    slow = model.synthesize(a[None], torch.tensor([5]), Controls(speed=0.5))["durations"]
    normal = model.synthesize(a[None], torch.tensor([5]))["durations"]
    assert slow.sum() > normal.sum()


def test_pitch_and_energy_scales_act_in_the_raw_domain() -> None:
    va = tiny_model().variance
    va.pitch_norm.set_stats(torch.tensor([5.0]), torch.tensor([0.2]))
    va.energy_norm.set_stats(torch.tensor([20.0]), torch.tensor([10.0]))
    z = torch.tensor([[0.0, 1.0]])
    log_f0 = [va.scale_pitch(z, s) * 0.2 + 5.0 for s in (1.0, 2.0)]
    assert torch.allclose(log_f0[1] - log_f0[0], torch.full((1, 2), math.log(2.0)))
    energy = [va.scale_energy(z, s) * 10.0 + 20.0 for s in (1.0, 1.5)]
    assert torch.allclose(energy[1], energy[0] * 1.5) and torch.allclose(energy[0], torch.tensor([[20.0, 30.0]]))
    with pytest.raises(ValueError):
        Controls(speed=0.0)


def test_tokens_must_start_with_padding() -> None:
    with pytest.raises(ValueError, match="<pad>"):
        FastSpeech2(FastSpeech2Config(tokens=["sil", "AA1"]))
