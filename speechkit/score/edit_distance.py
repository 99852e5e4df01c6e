"""Levenshtein alignment of two token sequences, with the same tie-breaking as jiwer.

Several minimum-cost alignments can exist, and they differ in how the errors split into substitutions, deletions
and insertions (``a b`` → ``b c`` is two substitutions or a deletion, a hit and an insertion). jiwer takes its
alignment from rapidfuzz, so :func:`align` follows rapidfuzz's choice exactly: strip the common prefix and suffix,
fill the full dynamic-programming table, then trace back from the end in the order rapidfuzz's bit-parallel
backtrace (Hyyrö 2004) does. Reported S/D/I counts therefore agree with jiwer, not just the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

CORRECT, SUBSTITUTION, DELETION, INSERTION = "C", "S", "D", "I"


class Step(NamedTuple):
    """One aligned column: ``op`` is C/S/D/I; ``ref`` is None for an insertion, ``hyp`` None for a deletion."""

    op: str
    ref: str | None
    hyp: str | None


@dataclass(frozen=True)
class Counts:
    """Hits, substitutions, deletions and insertions; add them up to get corpus totals."""

    hits: int = 0
    subs: int = 0
    dels: int = 0
    ins: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.hits + other.hits, self.subs + other.subs, self.dels + other.dels, self.ins + other.ins)

    @property
    def errors(self) -> int:
        """Edit distance: S + D + I."""
        return self.subs + self.dels + self.ins

    @property
    def ref_len(self) -> int:
        """Number of reference tokens: H + S + D."""
        return self.hits + self.subs + self.dels


@dataclass(frozen=True)
class Alignment:
    """A minimum-edit alignment of a reference and a hypothesis, with its counts."""

    steps: tuple[Step, ...]
    counts: Counts


def _table(ref: Sequence[str], hyp: Sequence[str]) -> list[list[int]]:
    """``d[j][i]``: edit distance between ``ref[:i]`` and ``hyp[:j]`` (one list per hypothesis prefix)."""
    prev = list(range(len(ref) + 1))
    table = [prev]
    for j, h in enumerate(hyp, start=1):
        row = [j]
        left = j
        for i, r in enumerate(ref, start=1):
            left = min(prev[i] + 1, left + 1, prev[i - 1] + (r != h))
            row.append(left)
        table.append(row)
        prev = row
    return table


def _backtrace(ref: Sequence[str], hyp: Sequence[str]) -> list[Step]:
    """Steps of a minimum-cost alignment, choosing among ties as rapidfuzz's ``Levenshtein.editops`` does.

    rapidfuzz keeps vertical deltas ``d[j][i] - d[j][i-1]`` as bit vectors; this reads the same deltas off the
    full table, so the decisions (delete, else insert, else diagonal) are taken on identical conditions.
    """
    d = _table(ref, hyp)
    i, j = len(ref), len(hyp)
    steps: list[Step] = []
    while i and j:
        if d[j][i] - d[j][i - 1] == 1:
            i -= 1
            steps.append(Step(DELETION, ref[i], None))
            continue
        j -= 1
        if j and d[j][i] - d[j][i - 1] == -1:
            steps.append(Step(INSERTION, None, hyp[j]))
        else:
            i -= 1
            steps.append(Step(CORRECT if ref[i] == hyp[j] else SUBSTITUTION, ref[i], hyp[j]))
    steps.extend(Step(DELETION, ref[k], None) for k in reversed(range(i)))
    steps.extend(Step(INSERTION, None, hyp[k]) for k in reversed(range(j)))
    steps.reverse()
    return steps


def align(ref: Sequence[str], hyp: Sequence[str]) -> Alignment:
    """Align token sequences ``ref`` and ``hyp`` with unit costs; O(len(ref) * len(hyp)) time and memory.

    Example::

        >>> align("the cat sat".split(), "the bat sat down".split()).counts
        Counts(hits=2, subs=1, dels=0, ins=1)
    """
    shortest = min(len(ref), len(hyp))
    prefix = 0
    while prefix < shortest and ref[prefix] == hyp[prefix]:
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix and ref[-1 - suffix] == hyp[-1 - suffix]:
        suffix += 1
    middle = _backtrace(ref[prefix : len(ref) - suffix], hyp[prefix : len(hyp) - suffix])
    steps = (
        [Step(CORRECT, t, t) for t in ref[:prefix]]
        + middle
        + [Step(CORRECT, t, t) for t in ref[len(ref) - suffix :]]
    )
    ops = [s.op for s in steps]
    counts = Counts(ops.count(CORRECT), ops.count(SUBSTITUTION), ops.count(DELETION), ops.count(INSERTION))
    return Alignment(tuple(steps), counts)
