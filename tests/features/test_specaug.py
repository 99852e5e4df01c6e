"""SpecAugment: reproducible with a seed, identity in eval mode, masks inside each utterance."""

from __future__ import annotations

import torch

from speechkit.features.specaug import SpecAugment

LENGTHS = torch.tensor([200, 120, 37, 0])


def _feats() -> torch.Tensor:
    return torch.randn(4, 200, 80, generator=torch.Generator().manual_seed(0)) + 5.0  # no zeros before masking


def test_same_seed_same_masks() -> None:
    aug, feats = SpecAugment().train(), _feats()
    first = aug(feats, LENGTHS, torch.Generator().manual_seed(7))
    again = aug(feats, LENGTHS, torch.Generator().manual_seed(7))
    other = aug(feats, LENGTHS, torch.Generator().manual_seed(8))
    assert torch.equal(first, again) and not torch.equal(first, other)
    torch.manual_seed(3)
    global_rng = aug(feats, LENGTHS)
    torch.manual_seed(3)
    assert torch.equal(global_rng, aug(feats, LENGTHS))


def test_identity_in_eval_mode() -> None:
    feats = _feats()
    assert SpecAugment().eval()(feats, LENGTHS) is feats


def test_time_masks_stay_within_lengths_and_width() -> None:
    aug, feats = SpecAugment(freq_masks=0, time_masks=3, time_width=0.1).train(), _feats()
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        masked_frames = (aug(feats, LENGTHS, gen) == 0).all(dim=2)  # (B, F)
        for row, n in zip(masked_frames, LENGTHS.tolist()):
            assert not row[n:].any()
            assert row[:n].sum() <= 3 * int(0.1 * n)


def test_freq_masks_cover_whole_bands() -> None:
    aug, feats = SpecAugment(freq_masks=1, freq_width=10, time_masks=0).train(), _feats()
    gen = torch.Generator().manual_seed(1)
    widths = []
    for _ in range(20):
        masked = aug(feats, LENGTHS, gen) == 0
        bins = masked[0].all(dim=0)
        assert torch.equal(masked[0], bins.expand_as(masked[0]))
        widths.append(int(bins.sum()))
        if widths[-1]:
            band = bins.nonzero().squeeze(1)
            assert band.max() - band.min() + 1 == band.numel()  # one contiguous band
    assert max(widths) <= 10 and sum(w > 0 for w in widths) >= 10  # a width is drawn from 0..10: mostly some
