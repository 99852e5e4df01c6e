"""Alignment graphs: the HMM state sequences an utterance may follow, with optional silence and alternatives.

An utterance is a row of *slots*: each word is a slot whose alternatives are its pronunciations, and between
words (and at both edges) sits an optional one-token ``sil`` slot. Each token expands into ``n_states``
left-to-right states with self-loops, so a token lasts at least ``n_states`` frames. A state's predecessors are
itself, the state before it, and for a token's first state the last states of every alternative of the slot
before (and of the slot before that when the one between is optional). Every transition consumes a frame, so
states are in topological order and Viterbi is one sweep over frames (:mod:`speechkit.align.viterbi`).

Emission columns: a token of acoustic phone ``p`` in state ``j`` reads column ``p * n_states + j`` of the
frame scores; ``spn`` (a word the lexicon cannot pronounce) reads the extra column ``n_phones * n_states``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from speechkit.lang.lexicon import SIL

SPN_PHONE = -1
"""The acoustic ``phone`` of the ``spn`` token: it has no class of its own (see :func:`spn_column`)."""


@dataclass(frozen=True)
class Token:
    """One phone of the graph: ``label`` is what the phones tier shows (stressed ARPAbet, ``sil``, ``spn``),
    ``phone`` the acoustic unit it is scored as, ``word`` the index of its word (-1 for silence)."""

    label: str
    phone: int
    word: int


@dataclass(frozen=True)
class Slot:
    """Alternative token sequences of which a path takes exactly one, or none when ``optional``."""

    alternatives: tuple[tuple[Token, ...], ...]
    optional: bool = False


@dataclass(frozen=True)
class Graph:
    """States of an utterance's graph: ``token`` ``(S,)`` index into :attr:`tokens`, ``column`` ``(S,)`` the
    emission column, ``preds`` ``(S, K)`` predecessor states (-1 pads), ``initial``/``final`` ``(S,)`` bool,
    ``enter`` ``(S,)`` the log-score a path adds when it comes into the state from another one (0 but for pauses)."""

    tokens: tuple[Token, ...]
    token: np.ndarray
    column: np.ndarray
    preds: np.ndarray
    initial: np.ndarray
    final: np.ndarray
    enter: np.ndarray

    @property
    def n_states(self) -> int:
        return len(self.token)

    def min_frames(self) -> int:
        """Frames the shortest path needs (each state holds at least one)."""
        shortest = np.full(self.n_states, np.iinfo(np.int64).max // 2)
        for s in range(self.n_states):
            before = [shortest[p] for p in self.preds[s] if 0 <= p < s]
            shortest[s] = 1 + min(before + ([0] if self.initial[s] else []), default=shortest[s])
        return int(shortest[self.final].min())


def spn_column(n_phones: int, n_states: int) -> int:
    """The emission column of ``spn``: one past the model's ``n_phones * n_states`` classes."""
    return n_phones * n_states


def build_graph(slots: Sequence[Slot], n_states: int, n_phones: int, pause_cost: float = 0.0,
                pause_states: int = 0) -> Graph:
    """Expand ``slots`` into HMM states (see the module docstring); a graph whose every slot is optional is a
    ValueError (an utterance must say something). A path that takes an optional slot between two others (a pause
    between words, not one at an edge) pays ``pause_cost`` on entering it, and such a pause's token has
    ``pause_states`` states (0: ``n_states``), spread evenly over its phone's ``n_states`` emission columns, so it
    lasts that many frames at least (Kaldi's silence has 5 states to 3 for a phone, for the same reason: a short
    gap inside speech is a stop closure or a weak consonant far more often than a pause)."""
    tokens: list[Token] = []
    token_of: list[int] = []
    column: list[int] = []
    preds: list[list[int]] = []
    initial: list[bool] = []
    enter: list[float] = []
    ends: list[int] = []  # states a next slot's first states may follow
    can_start = True  # whether a next slot's first states may begin the utterance
    for k, slot in enumerate(slots):
        pause = slot.optional and 0 < k < len(slots) - 1
        cost, states = (-pause_cost, pause_states or n_states) if pause else (0.0, n_states)
        slot_ends = []
        for alt in slot.alternatives:
            for i, tok in enumerate(alt):
                tokens.append(tok)
                for j in range(states):
                    s = len(token_of)
                    token_of.append(len(tokens) - 1)
                    column.append(spn_column(n_phones, n_states) if tok.phone == SPN_PHONE
                                  else tok.phone * n_states + j * n_states // states)
                    first = i == 0 and j == 0
                    preds.append([s, *ends] if first else [s, s - 1])
                    initial.append(first and can_start)
                    enter.append(cost if first else 0.0)
            slot_ends.append(len(token_of) - 1)
        ends, can_start = (ends + slot_ends, can_start) if slot.optional else (slot_ends, False)
    if can_start:
        raise ValueError("every slot of the graph is optional")
    width = max(len(p) for p in preds)
    table = np.full((len(preds), width), -1, dtype=np.int32)
    for s, p in enumerate(preds):
        table[s, : len(p)] = p
    final = np.zeros(len(token_of), dtype=bool)
    final[ends] = True
    return Graph(tuple(tokens), np.array(token_of, np.int32), np.array(column, np.int32), table, np.array(initial),
                 final, np.array(enter, np.float32))  # fmt: skip


def words_slots(prons: Sequence[Sequence[Sequence[Token]]], sil_phone: int) -> list[Slot]:
    """Slots for words, ``prons[w]`` being word ``w``'s alternative pronunciations, with an optional silence
    before, between and after them."""
    sil = Slot(((Token(SIL, sil_phone, -1),),), optional=True)
    slots = [sil]
    for alternatives in prons:
        slots += [Slot(tuple(tuple(a) for a in alternatives)), sil]
    return slots


def phones_slots(tokens: Sequence[Token], sil_phone: int) -> list[Slot]:
    """Slots for a given phone sequence: silence only where it says ``sil``, plus optionally at an edge
    that does not already start or end with it."""
    sil = Slot(((Token(SIL, sil_phone, -1),),), optional=True)
    edge_before = [sil] if tokens and tokens[0].label != SIL else []
    edge_after = [sil] if tokens and tokens[-1].label != SIL else []
    return [*edge_before, Slot((tuple(tokens),)), *edge_after]
