"""Boundary refinement after Viterbi: the spectral-change curve, and boundaries moved to a nearby change only
between two sounding tokens, never past a neighbour and never across a flat stretch."""

from __future__ import annotations

import numpy as np

from speechkit.align.refine import refine_runs, spectral_change


def steps(*lengths: int, seed: int = 0) -> np.ndarray:
    """Frames ``(F, 8)`` made of constant stretches of the given lengths, each a different random spectrum,
    with a little noise."""
    rng = np.random.default_rng(seed)
    parts = [np.tile(rng.normal(0, 3, 8), (n, 1)) for n in lengths]
    return np.concatenate(parts) + rng.normal(0, 0.05, (sum(lengths), 8))


def test_spectral_change_peaks_where_the_spectrum_steps_and_is_undefined_near_the_edges() -> None:
    change = spectral_change(steps(20, 20), width=3)
    assert change.shape == (41,)
    assert int(np.argmax(change)) == 20
    assert np.isneginf(change[:3]).all() and np.isneginf(change[-3:]).all() and np.isfinite(change[3:-3]).all()


def test_a_boundary_off_by_two_frames_moves_onto_the_change_between_sounding_tokens_only() -> None:
    feats = steps(15, 12, 15, 18)  # true boundaries at frames 15, 27 and 42
    runs = [(0, 0, 13), (1, 13, 29), (2, 29, 40), (3, 40, 60)]
    refined = refine_runs(runs, [True, True, True, True], feats, reach=3)
    assert refined == [(0, 0, 15), (1, 15, 27), (2, 27, 42), (3, 42, 60)]
    # the third token is silence: its edges stay where Viterbi put them
    assert refine_runs(runs, [True, True, False, True], feats, reach=3) == [(0, 0, 15), (1, 15, 29), (2, 29, 40),
                                                                            (3, 40, 60)]  # fmt: skip
    assert refine_runs(runs, [True] * 4, feats, reach=0) == runs


def test_refinement_never_empties_a_token_nor_moves_beyond_reach_nor_across_a_flat_stretch() -> None:
    feats = steps(10, 30)
    # a one-frame token before the true change at 10: it keeps its frame
    refined = refine_runs([(0, 0, 6), (1, 6, 7), (2, 7, 40)], [True] * 3, feats, reach=3)
    assert all(end > first for _, first, end in refined) and refined[0][2] == 6
    # the change is 5 frames away: out of reach 3, so the boundary goes at most 3 frames towards it
    far = refine_runs([(0, 0, 15), (1, 15, 40)], [True, True], feats, reach=3)
    assert 12 <= far[0][2] <= 15
    # frames 24-36 are one steady sound: a boundary put in its middle has no change to go to, and stays
    assert refine_runs([(0, 0, 30), (1, 30, 40)], [True, True], feats, reach=3) == [(0, 0, 30), (1, 30, 40)]
