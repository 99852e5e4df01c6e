"""Interpolated modified Kneser-Ney n-gram estimation in pure Python, computed the way KenLM's lmplz computes it.

Why our own: lmplz needs a C++ build (``tools/install_kenlm.sh``); this gives the same model from a plain pip
install, so ``speechkit lm train`` always works. Its n-grams and numbers match lmplz's to float precision
(``tests/lm/test_lmplz_parity.py``). The method (Chen & Goodman 1998; Heafield et al. 2013), as lmplz does it:

- Every line is one sentence ``<s> w1 ... wn </s>`` (an empty line is ``<s> </s>``); tokens are split at
  whitespace and taken as given. ``<s>`` occurs only first, so no n-gram holds it elsewhere.
- Adjusted counts ``a``: the raw count for the highest order and for n-grams that start with ``<s>``; otherwise
  the number of distinct words seen left of the n-gram (its continuation count).
- Discounts per order from the counts ``t_k`` of n-grams whose adjusted count is k:
  ``Y = t1 / (t1 + 2 t2)``, ``D_k = k - (k + 1) Y t_{k+1} / t_k`` for k = 1, 2, 3; counts above 3 use ``D_3``.
- ``p(w | h) = (a(hw) - D(a(hw))) / S(h) + g(h) p(w | h')`` with ``S(h) = sum_x a(hx)``,
  ``g(h) = sum_x D(a(hx)) / S(h)`` and ``h'`` the context without its first word. Unigrams interpolate with the
  uniform distribution over the vocabulary without ``<s>`` (so including ``</s>`` and ``<unk>``).
- ``<unk>`` has count 0 and so only its uniform share. ``<s>`` is never predicted: like lmplz we write it with
  log10 prob 0, so scoring it explicitly costs nothing; it still has a backoff as a context.
- The ARPA backoff of ``h`` is ``log10 g(h)``, written where ``h`` is the context of a longer n-gram.

Fallback: on tiny or artificial text an order's discounts can be undefined (no n-gram with adjusted count 1, 2
or 3) or out of range (``D_k`` outside ``[0, k]``). lmplz then stops unless given ``--discount_fallback``; we
always fall back as ``lmplz --discount_fallback`` does, using ``D1=0.5 D2=1 D3+=1.5`` for that whole order,
and report it in :attr:`KneserNey.fallbacks` (the CLI prints each as a ``warning:`` line on stderr).
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from speechkit.errors import SpeechkitError
from speechkit.lm.arpa import BOS, EOS, LOG_ZERO, UNK, Arpa, NGram, write_arpa

Discounts = tuple[float, float, float]
FALLBACK_DISCOUNTS: Discounts = (0.5, 1.0, 1.5)  # lmplz's --discount_fallback defaults
_RESERVED = frozenset((BOS, EOS, UNK))


@dataclass
class KneserNey:
    """An estimated model: the ARPA n-grams, the discounts (D1, D2, D3+) of each order, and fallback notes."""

    arpa: Arpa
    discounts: list[Discounts]
    fallbacks: list[str]


def read_sentences(paths: Sequence[str | Path]) -> Iterator[list[str]]:
    """The whitespace tokens of every line of ``paths``, streamed; ``<s>``, ``</s>`` and ``<unk>`` are refused."""
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    words = [sys.intern(w) for w in line.split()]
                    reserved = _RESERVED.intersection(words)
                    if reserved:
                        raise SpeechkitError(
                            path, f"line {number}: {min(reserved)} is reserved and may not occur in text"
                        )
                    yield words
        except UnicodeDecodeError:
            raise SpeechkitError(path, "not UTF-8 text") from None
        except OSError as e:
            raise SpeechkitError(path, f"cannot read: {e.strerror or e}") from None


def require_words(paths: Sequence[str | Path]) -> None:
    """Refuse text with no word at all (empty or blank lines), whichever estimator would then run on it."""
    if not any(words for words in read_sentences(paths)):
        raise SpeechkitError(", ".join(map(str, paths)), "the text has no words to estimate a language model from "
                                                          "(empty or blank lines)")


def count_ngrams(sentences: Iterable[list[str]], order: int) -> Counter[NGram]:
    """Raw counts of the ``order``-grams and of the shorter n-grams at sentence start (``<s> w1 ...``).

    These are all the raw counts the estimate needs: every other n-gram's adjusted count is a continuation count.
    """
    counts: Counter[NGram] = Counter()
    for words in sentences:
        tokens = [BOS, *words, EOS]
        if order == 1:
            counts.update((w,) for w in tokens[1:])
            continue
        counts.update(tuple(tokens[:k]) for k in range(2, min(order, len(tokens) + 1)))
        counts.update(zip(*(tokens[i:] for i in range(order)), strict=False))  # every window of `order` tokens
    return counts


def adjusted_counts(raw: Counter[NGram], order: int) -> list[dict[NGram, int]]:
    """``a`` per order (index n - 1): raw counts where they apply, continuation counts elsewhere."""
    adjusted: list[dict[NGram, int]] = [{} for _ in range(order)]
    for gram, count in raw.items():
        adjusted[len(gram) - 1][gram] = count
    for n in range(order - 1, 0, -1):  # the (n+1)-grams give the n-grams their left-extension counts
        adjusted[n - 1].update(Counter(gram[1:] for gram in adjusted[n]))  # gram[1:] never starts with <s>
    adjusted[0][(UNK,)] = adjusted[0][(BOS,)] = 0
    return adjusted


def discounts(counts: Iterable[int], n: int) -> tuple[Discounts, str | None]:
    """Chen & Goodman's closed-form D1, D2, D3+ from one order's adjusted counts, or the fallback and why."""
    t = Counter(c for c in counts if 0 < c <= 4)
    for k in (1, 2, 3):
        if t[k] == 0:
            return FALLBACK_DISCOUNTS, f"no {n}-gram has adjusted count {k}"
    y = t[1] / (t[1] + 2 * t[2])
    ds = tuple(k - (k + 1) * y * t[k + 1] / t[k] for k in (1, 2, 3))
    for k, d in enumerate(ds, 1):
        if not 0 <= d <= k:
            return FALLBACK_DISCOUNTS, f"{n}-gram discount D{k}={d:.3g} is outside [0, {k}]"
    return ds, None  # type: ignore[return-value]


def estimate(sentences: Iterable[list[str]], order: int) -> KneserNey:
    """Estimate an interpolated modified Kneser-Ney model of ``order`` from tokenized sentences."""
    if order < 1:
        raise ValueError(f"order must be at least 1, got {order}")
    adjusted = adjusted_counts(count_ngrams(sentences, order), order)
    if all(gram[0] in _RESERVED for gram in adjusted[0]):
        raise SpeechkitError(None, "the text has no words to estimate a language model from (empty or blank lines)")
    if empty := [n for n, grams in enumerate(adjusted, 1) if not grams]:
        raise SpeechkitError(None, f"the text has no {empty[0]}-grams (its lines are too short, counting <s> and "
                                   f"</s>): use --order {empty[0] - 1} or less")
    uniform = 1 / (len(adjusted[0]) - 1)  # <s> is never predicted
    all_discounts: list[Discounts] = []
    fallbacks: list[str] = []
    probs: list[dict[NGram, float]] = []
    gammas: list[dict[NGram, float]] = []  # interpolation weight of each context, by the order it predicts
    for n, grams in enumerate(adjusted, 1):
        ds, why = discounts(grams.values(), n)
        all_discounts.append(ds)
        if why:
            fallbacks.append(f"order {n}: {why}; using fallback discounts D1={ds[0]} D2={ds[1]} D3+={ds[2]}")
        discount = (0.0, *ds, *[ds[2]] * max(0, max(grams.values()) - 3))  # indexed by adjusted count
        sums: dict[NGram, list[float]] = {}  # context -> [S(h), sum of discounts]
        for gram, count in grams.items():
            acc = sums.get(gram[:-1])
            if acc is None:
                sums[gram[:-1]] = [count, discount[count]]
            else:
                acc[0] += count
                acc[1] += discount[count]
        lower = probs[-1] if probs else None
        order_probs: dict[NGram, float] = {}
        for gram, count in grams.items():
            total, discounted = sums[gram[:-1]]
            backed_off = lower[gram[1:]] if lower is not None else uniform
            order_probs[gram] = (count - discount[count] + discounted * backed_off) / total
        if n == 1:
            order_probs[(BOS,)] = 1.0
        probs.append(order_probs)
        gammas.append({context: discounted / total for context, (total, discounted) in sums.items()})
    gammas.append({})
    ngrams = [
        {
            gram: (_log10(p), _log10(gammas[n + 1][gram]) if gram in gammas[n + 1] else 0.0)
            for gram, p in order_probs.items()
        }
        for n, order_probs in enumerate(probs)
    ]
    return KneserNey(Arpa(ngrams), all_discounts, fallbacks)


def _log10(x: float) -> float:
    return math.log10(x) if x > 0 else LOG_ZERO


def train_arpa(texts: Sequence[str | Path], order: int, out: str | Path) -> KneserNey:
    """Estimate from the lines of ``texts`` and write the ARPA file ``out`` atomically."""
    try:
        model = estimate(read_sentences(texts), order)
    except SpeechkitError as e:
        raise SpeechkitError(e.path or ", ".join(map(str, texts)), e.problem) from None
    write_arpa(out, model.arpa)
    return model
