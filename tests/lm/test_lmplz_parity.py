"""Parity with KenLM's lmplz: the built-in estimator gives the same n-grams, probabilities and backoffs.

lmplz must be on PATH or in tools/kenlm/bin (``bash tools/install_kenlm.sh``); without it these tests fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from speechkit.lm.arpa import read_arpa
from speechkit.lm.kenlm_tools import run_lmplz
from speechkit.lm.kneser_ney import train_arpa


def _max_differences(ours: Path, theirs: Path) -> list[tuple[float, float]]:
    """Per order, the largest |log10 prob| and |log10 backoff| difference; the n-gram sets must be equal."""
    a, b = read_arpa(ours), read_arpa(theirs)
    assert a.order == b.order
    out = []
    for n, (mine, ref) in enumerate(zip(a.ngrams, b.ngrams, strict=True), 1):
        assert mine.keys() == ref.keys(), f"{n}-grams differ: {sorted(mine.keys() ^ ref.keys())[:5]}"
        out.append(
            (
                max(abs(mine[g][0] - ref[g][0]) for g in ref),
                max(abs(mine[g][1] - ref[g][1]) for g in ref),  # a backoff lmplz writes as 0 we leave out
            )
        )
    return out


@pytest.mark.parametrize("order", [2, 3, 4])
def test_builtin_estimator_matches_lmplz_on_mini_ljspeech(
    lj_text: Path, lmplz: Path, tmp_path: Path, order: int
) -> None:
    notes = run_lmplz(lmplz, [lj_text], order, tmp_path / "lmplz.arpa")
    model = train_arpa([lj_text], order, tmp_path / "ours.arpa")
    # 660 sentences are enough for closed-form discounts up to trigrams; no 4-gram occurs 3 times, so at order 4
    # both fall back (lmplz because run_lmplz always passes --discount_fallback)
    expected = ["order 4"] if order == 4 else []
    assert [note.split(":")[0] for note in notes] == [f.split(":")[0] for f in model.fallbacks] == expected
    diffs = _max_differences(tmp_path / "ours.arpa", tmp_path / "lmplz.arpa")
    print(f"order {order}: max |diff| (prob, backoff) per n-gram order:", [f"{p:.1e}, {b:.1e}" for p, b in diffs])
    assert all(p < 1e-3 and b < 1e-3 for p, b in diffs), diffs


def test_builtin_fallback_matches_lmplz_discount_fallback(lmplz: Path, tmp_path: Path) -> None:
    """On tiny text every order falls back; an empty line is the sentence <s> </s> for both."""
    text = tmp_path / "tiny.txt"
    text.write_text("a b\nb a\na a b\n\nc\nb c a a\n")
    notes = run_lmplz(lmplz, [text], 3, tmp_path / "lmplz.arpa")
    model = train_arpa([text], 3, tmp_path / "ours.arpa")
    assert len(notes) == len(model.fallbacks) >= 2
    diffs = _max_differences(tmp_path / "ours.arpa", tmp_path / "lmplz.arpa")
    assert all(p < 1e-3 and b < 1e-3 for p, b in diffs), diffs
