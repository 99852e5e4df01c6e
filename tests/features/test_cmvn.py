"""CMVN statistics over valid frames only, and normalisation that travels in the state_dict."""

from __future__ import annotations

import torch

from speechkit.features.cmvn import GlobalCMVN, accumulate_stats


def _padded_batches() -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor]:
    """Two batches of (feats (B, F, 3), lengths) whose padding holds a huge value, and their valid frames."""
    gen = torch.Generator().manual_seed(0)
    batches, valid = [], []
    for lengths in ([5, 2, 7], [1, 4]):
        feats = torch.randn(len(lengths), max(lengths), 3, generator=gen) * 2 + torch.tensor([1.0, -3.0, 10.0])
        for row, n in zip(feats, lengths):
            valid.append(row[:n].clone())
            row[n:] = 1e6
        batches.append((feats, torch.tensor(lengths)))
    return batches, torch.cat(valid)


def test_stats_ignore_padding() -> None:
    batches, valid = _padded_batches()
    mean, std = accumulate_stats(batches)
    assert mean.dtype == torch.float64
    torch.testing.assert_close(mean, valid.double().mean(0))
    torch.testing.assert_close(std, valid.double().std(0, unbiased=False))


def test_normalises_valid_frames_and_zeroes_padding() -> None:
    batches, _ = _padded_batches()
    cmvn = GlobalCMVN.from_stats(*accumulate_stats(batches))
    outs = [(cmvn(feats, lengths), lengths) for feats, lengths in batches]
    normed = torch.cat([row[:n] for out, lengths in outs for row, n in zip(out, lengths)])
    torch.testing.assert_close(normed.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(normed.std(0, unbiased=False), torch.ones(3), atol=1e-5, rtol=0)
    assert torch.all(outs[0][0][1, 2:] == 0)


def test_stats_are_saved_with_the_model() -> None:
    cmvn = GlobalCMVN.from_stats(torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.0]))
    restored = GlobalCMVN(2)
    restored.load_state_dict(cmvn.state_dict())
    assert set(cmvn.state_dict()) == {"mean", "istd"}
    torch.testing.assert_close(restored.istd, torch.tensor([2.0, 1e5]))


def test_set_stats_in_place_matches_from_stats() -> None:
    mean, std = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 4.0])
    cmvn = GlobalCMVN(2)
    cmvn.set_stats(mean.double(), std.double())
    fresh = GlobalCMVN.from_stats(mean, std)
    assert cmvn.mean.dtype == torch.float32
    assert all(torch.equal(a, b) for a, b in zip(cmvn.state_dict().values(), fresh.state_dict().values()))
