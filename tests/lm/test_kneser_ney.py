"""The built-in modified Kneser-Ney estimator: hand-computed values, fallback, normalization, KenLM agreement."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from speechkit.errors import SpeechkitError
from speechkit.lm.arpa import Arpa, read_arpa
from speechkit.lm.kneser_ney import (
    FALLBACK_DISCOUNTS,
    adjusted_counts,
    count_ngrams,
    discounts,
    estimate,
    read_sentences,
    train_arpa,
)
from speechkit.lm.perplexity import load_model


def test_adjusted_counts_are_raw_at_the_top_and_at_sentence_start_else_continuation_counts() -> None:
    adjusted = adjusted_counts(count_ngrams([["a", "b"], ["c", "b"], ["a", "b"]], order=3), order=3)
    assert adjusted[2][("<s>", "a", "b")] == 2  # highest order: raw
    assert adjusted[1][("<s>", "a")] == 2  # starts with <s>: raw
    assert adjusted[1][("a", "b")] == 1  # only <s> seen left of "a b"
    assert adjusted[0][("b",)] == 2  # "a" and "c" seen left of "b", whatever their counts
    assert adjusted[0][("</s>",)] == 1
    assert adjusted[0][("<unk>",)] == adjusted[0][("<s>",)] == 0
    assert ("<s>", "<s>", "a") not in adjusted[2]


def test_discounts_follow_chen_and_goodman() -> None:
    # t1=3, t2=2, t3=1, t4=1: Y = 3/7, D_k = k - (k+1) Y t_{k+1} / t_k
    ds, why = discounts([1, 1, 1, 2, 2, 3, 4, 9], n=2)
    assert why is None
    assert ds == pytest.approx((1 - 2 * 3 / 7 * 2 / 3, 2 - 3 * 3 / 7 * 1 / 2, 3 - 4 * 3 / 7 * 1 / 1))


@pytest.mark.parametrize(
    ("counts", "reason"),
    [([1, 1, 2, 2], "no 2-gram has adjusted count 3"), ([1] * 10 + [2] + [3] * 10, "D2=-23 is outside [0, 2]")],
)
def test_undefined_discounts_fall_back_and_say_why(counts: list[int], reason: str) -> None:
    ds, why = discounts(counts, n=2)
    assert ds == FALLBACK_DISCOUNTS and why is not None and reason in why


def test_tiny_text_matches_hand_computed_model(tiny_text: Path, tmp_path: Path) -> None:
    """Order 2 on "a b / b a / a a b": both orders fall back to D = 0.5, 1, 1.5 (no count-1 unigram, no count 3)."""
    model = train_arpa([tiny_text], 2, tmp_path / "lm.arpa")
    assert model.discounts == [FALLBACK_DISCOUNTS, FALLBACK_DISCOUNTS]
    assert len(model.fallbacks) == 2 and "order 1: no 1-gram has adjusted count 1" in model.fallbacks[0]
    # unigram continuation counts a=3 b=2 </s>=2 (S=7), discounted 1.5+1+1 -> gamma 0.5, uniform over 4 words
    p = {"a": 1.5 / 7 + 0.5 / 4, "b": 1 / 7 + 0.5 / 4, "</s>": 1 / 7 + 0.5 / 4, "<unk>": 0.5 / 4}
    # each bigram context has gamma 0.5: <s> {a:2 b:1}, a {b:2 </s>:1 a:1}, b {</s>:2 a:1}
    p2 = {
        ("<s>", "a"): 1 / 3 + 0.5 * p["a"], ("<s>", "b"): 0.5 / 3 + 0.5 * p["b"],
        ("a", "b"): 1 / 4 + 0.5 * p["b"], ("a", "</s>"): 0.5 / 4 + 0.5 * p["</s>"], ("a", "a"): 0.5 / 4 + 0.5 * p["a"],
        ("b", "</s>"): 1 / 3 + 0.5 * p["</s>"], ("b", "a"): 0.5 / 3 + 0.5 * p["a"],
    }  # fmt: skip
    lm = read_arpa(tmp_path / "lm.arpa")
    assert set(lm.ngrams[0]) == {("<s>",), *((w,) for w in p)} and set(lm.ngrams[1]) == set(p2)
    for word, prob in p.items():
        assert lm.ngrams[0][(word,)][0] == pytest.approx(math.log10(prob), abs=1e-6)
    assert lm.ngrams[0][("<s>",)][0] == 0.0  # as lmplz: <s> is only ever a context
    for gram, prob in p2.items():
        assert lm.ngrams[1][gram][0] == pytest.approx(math.log10(prob), abs=1e-6)
    for context in ("<s>", "a", "b"):
        assert lm.ngrams[0][(context,)][1] == pytest.approx(math.log10(0.5), abs=1e-6)
    text = (tmp_path / "lm.arpa").read_text()
    assert "\t</s>\n" in text and "\t<unk>\n" in text  # not contexts: no backoff written


def _contexts(lm: Arpa) -> list[tuple[str, ...]]:
    """The empty context and, per order below the top, the first 40 n-grams that can be a history."""
    out: list[tuple[str, ...]] = [()]
    for grams in lm.ngrams[:-1]:
        out += sorted(g for g in grams if g[-1] not in ("</s>", "<unk>"))[:40]
    return out


@pytest.mark.parametrize("order", [1, 2, 3])
def test_every_context_distribution_sums_to_one(lj_text: Path, tmp_path: Path, order: int) -> None:
    small = tmp_path / "small.txt"
    small.write_text("".join(lj_text.read_text().splitlines(keepends=True)[:80]))
    train_arpa([small], order, tmp_path / "lm.arpa")
    lm = read_arpa(tmp_path / "lm.arpa")
    vocab = [g[0] for g in lm.ngrams[0] if g != ("<s>",)]
    for context in _contexts(lm):
        total = sum(10 ** lm.logprob([*context, w]) for w in vocab)
        assert total == pytest.approx(1.0, abs=1e-5), context


def test_kenlm_loads_the_model_and_scores_it_as_the_arpa_says(lj_text: Path, tmp_path: Path) -> None:
    train_arpa([lj_text], 3, tmp_path / "lm.arpa")
    lm, model = read_arpa(tmp_path / "lm.arpa"), load_model(tmp_path / "lm.arpa")
    assert model.order == 3
    for sentence in lj_text.read_text().splitlines()[:20] + ["the unseen zyzzyva of the city"]:
        words = ["<s>", *sentence.split(), "</s>"]
        ours = [lm.logprob(words[max(0, i - 2) : i + 1]) for i in range(1, len(words))]
        theirs = [score for score, _, _ in model.full_scores(sentence)]
        assert ours == pytest.approx(theirs, abs=1e-4)


def test_training_is_deterministic_and_leaves_no_temporary(lj_text: Path, tmp_path: Path) -> None:
    train_arpa([lj_text], 2, tmp_path / "a.arpa")
    train_arpa([lj_text], 2, tmp_path / "b.arpa")
    assert (tmp_path / "a.arpa").read_bytes() == (tmp_path / "b.arpa").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.arpa", "b.arpa"]


def test_reserved_tokens_in_the_text_are_refused_with_their_line(tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("a b\nc <s> d\n")
    with pytest.raises(SpeechkitError, match=r"t\.txt: line 2: <s> is reserved"):
        estimate(read_sentences([text]), 2)
