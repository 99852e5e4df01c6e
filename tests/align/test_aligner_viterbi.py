"""Alignment graphs and Viterbi on synthetic scores: known best paths, minimum durations, optional silence,
pronunciation choice, batch consistency and parity with a plain dynamic-programming reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from speechkit.align.graph import SPN_PHONE, Slot, Token, build_graph, phones_slots, spn_column, words_slots
from speechkit.align.viterbi import runs, viterbi
from speechkit.lang.lexicon import SIL, SPN

N_PHONES = 4  # 0 = sil, 1 = A, 2 = B, 3 = C
A, B, C = (Token(label, phone, -1) for label, phone in (("A1", 1), ("B", 2), ("C", 3)))


def word(index: int, *prons: tuple[Token, ...]) -> list[tuple[Token, ...]]:
    return [tuple(Token(t.label, t.phone, index) for t in pron) for pron in prons]


def scores_for(labels: list[int], n_states: int = 1, good: float = 0.0, bad: float = -5.0) -> torch.Tensor:
    """Scores ``(T, P)`` that favour phone ``labels[t]`` (all its states alike) at frame ``t``."""
    out = torch.full((len(labels), N_PHONES * n_states + 1), bad)
    for t, phone in enumerate(labels):
        out[t, phone * n_states : (phone + 1) * n_states] = good
    return out


def token_labels(path: np.ndarray, graph) -> list[tuple[str, int]]:
    """(label, frames) of each token the path passes through."""
    return [(graph.tokens[tok].label, end - start) for tok, start, end in runs(path, graph)]


def reference_viterbi(scores: np.ndarray, graph) -> float:
    """Best path score by a plain double loop over frames and states (the definition, slowly)."""
    emit = scores[:, graph.column]
    best = np.where(graph.initial, emit[0], -np.inf)
    for t in range(1, len(scores)):
        best = np.array([max(best[p] + (graph.enter[s] if p != s else 0.0) for p in graph.preds[s] if p >= 0)
                         for s in range(graph.n_states)]) + emit[t]  # fmt: skip
    return float(np.max(np.where(graph.final, best, -np.inf)))


def path_score(path: np.ndarray, scores: np.ndarray, graph) -> float:
    """Score of a path, checking that it only uses the graph's transitions."""
    assert graph.initial[path[0]] and graph.final[path[-1]]
    for a, b in itertools.pairwise(path):
        assert a in graph.preds[b]
    entered = sum(float(graph.enter[b]) for a, b in itertools.pairwise(path) if a != b)
    return float(scores[np.arange(len(path)), graph.column[path]].sum()) + entered


def test_known_best_path_with_silence_taken_or_skipped_as_the_scores_say() -> None:
    graph = build_graph(words_slots([word(0, (A,)), word(1, (B, C))], sil_phone=0), 1, N_PHONES)
    with_pause = [0, 0, 1, 1, 1, 0, 0, 2, 2, 3, 3, 3]
    path = viterbi([scores_for(with_pause)], [graph])[0]
    assert token_labels(path, graph) == [(SIL, 2), ("A1", 3), (SIL, 2), ("B", 2), ("C", 3)]
    no_pause = [1, 1, 1, 2, 2, 3, 3, 3]
    path = viterbi([scores_for(no_pause)], [graph])[0]
    assert token_labels(path, graph) == [("A1", 3), ("B", 2), ("C", 3)]


def test_minimum_duration_is_one_frame_per_state() -> None:
    graph = build_graph(words_slots([word(0, (A, B))], sil_phone=0), 3, N_PHONES)
    labels = [1] + [2] * 8  # A is favoured for one frame only, but needs three
    path = viterbi([scores_for(labels, n_states=3)], [graph])[0]
    assert token_labels(path, graph) == [("A1", 3), ("B", 6)]
    assert graph.column[path[:3]].tolist() == [3, 4, 5]  # A's three states, one frame each
    assert graph.min_frames() == 6
    assert viterbi([scores_for([1] * 5, n_states=3)], [graph]) == [None]  # 5 frames cannot hold 6 states


def test_states_advance_left_to_right_within_each_phone() -> None:
    graph = build_graph(words_slots([word(0, (A, B))], sil_phone=0), 3, N_PHONES)
    path = viterbi([torch.randn(20, N_PHONES * 3 + 1)], [graph])[0]
    for token, start, end in runs(path, graph):
        assert np.all(np.diff(graph.column[path[start:end]]) >= 0)
        assert len(set(graph.column[path[start:end]].tolist())) == 3


def test_pronunciation_choice_follows_the_scores() -> None:
    graph = build_graph(words_slots([word(0, (A, B), (A, C))], sil_phone=0), 1, N_PHONES)
    for second, label in ((2, "B"), (3, "C")):
        path = viterbi([scores_for([1, 1, second, second])], [graph])[0]
        assert token_labels(path, graph) == [("A1", 2), (label, 2)]


def test_given_phone_sequence_keeps_its_silences_and_makes_edges_optional() -> None:
    sil = Token(SIL, 0, -1)
    graph = build_graph(phones_slots([A, sil, B], sil_phone=0), 1, N_PHONES)
    path = viterbi([scores_for([0, 1, 1, 2, 2, 2])], [graph])[0]  # the scores want no pause between A and B
    assert [label for label, _ in token_labels(path, graph)] == [SIL, "A1", SIL, "B"]


def test_spn_reads_its_own_column() -> None:
    spn = Token(SPN, SPN_PHONE, 0)
    graph = build_graph(words_slots([[(spn,)], word(1, (A,))], sil_phone=0), 2, N_PHONES)
    assert set(graph.column[:4].tolist()) >= {spn_column(N_PHONES, 2)}
    scores = torch.full((8, N_PHONES * 2 + 1), -5.0)
    scores[:4, -1] = 0.0
    scores[4:, 2:4] = 0.0
    path = viterbi([scores], [graph])[0]
    assert token_labels(path, graph) == [(SPN, 4), ("A1", 4)]


def test_all_optional_graph_is_refused() -> None:
    with pytest.raises(ValueError, match="optional"):
        build_graph([Slot(((A,),), optional=True)], 1, N_PHONES)


@pytest.mark.parametrize("seed", range(4))
def test_batched_viterbi_matches_the_plain_definition_and_single_runs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    graphs, scores = [], []
    for _ in range(3):
        n_words = int(rng.integers(1, 4))
        prons = [word(w, *[tuple((A, B, C)[i] for i in rng.integers(0, 3, rng.integers(1, 3)))
                           for _ in range(rng.integers(1, 3))]) for w in range(n_words)]
        graphs.append(build_graph(words_slots(prons, sil_phone=0), int(rng.integers(1, 3)), N_PHONES,
                                  float(rng.choice([0.0, 0.7, 3.0])), int(rng.integers(0, 4))))  # fmt: skip
        n_frames = graphs[-1].min_frames() + int(rng.integers(0, 12))
        scores.append(torch.from_numpy(rng.normal(size=(n_frames, N_PHONES * 2 + 1)).astype(np.float32)))
    batched = viterbi(scores, graphs)
    for path, s, g in zip(batched, scores, graphs):
        assert path is not None and len(path) == len(s)
        assert path_score(path, s.numpy(), g) == pytest.approx(reference_viterbi(s.numpy(), g), abs=1e-4)
        np.testing.assert_array_equal(viterbi([s], [g])[0], path)


def test_a_pause_between_words_is_taken_only_where_it_gains_more_than_it_costs() -> None:
    slots = words_slots([word(0, (A,)), word(1, (B,))], sil_phone=0)
    # two frames that favour silence by 1.0 each between A and B (B's frames would cost them 0 otherwise)
    scores = scores_for([1, 1, 0, 0, 2, 2])
    scores[2:4, 2] = -1.0
    for cost, pause in ((0.0, True), (1.9, True), (2.1, False)):
        graph = build_graph(slots, 1, N_PHONES, pause_cost=cost)
        path = viterbi([scores], [graph])[0]
        assert ("sil", 2) in token_labels(path, graph) if pause else token_labels(path, graph) == [("A1", 2), ("B", 4)]
        assert path_score(path, scores.numpy(), graph) == pytest.approx(reference_viterbi(scores.numpy(), graph))
    edges = build_graph(slots, 1, N_PHONES, pause_cost=5.0)
    path = viterbi([scores_for([0, 1, 2, 0])], [edges])[0]
    assert token_labels(path, edges) == [("sil", 1), ("A1", 1), ("B", 1), ("sil", 1)]  # edges cost nothing


def test_a_pause_between_words_lasts_at_least_pause_states_frames_and_edges_keep_n_states() -> None:
    slots = words_slots([word(0, (A,)), word(1, (B,))], sil_phone=0)
    graph = build_graph(slots, 3, N_PHONES, pause_states=5)
    pause_states = np.flatnonzero(graph.token == [t.label for t in graph.tokens].index(SIL, 1))
    assert graph.column[pause_states].tolist() == [0, 0, 1, 1, 2]  # sil's 3 columns spread over 5 states
    assert sum(graph.token == 0) == 3  # the leading silence keeps 3 states
    # four silent frames between A and B: a pause of 3 states takes them, one of at least 5 cannot
    scores = scores_for([1, 1, 1, 0, 0, 0, 0, 2, 2, 2], n_states=3)
    short = build_graph(slots, 3, N_PHONES)
    assert (SIL, 4) in token_labels(viterbi([scores], [short])[0], short)
    path = viterbi([scores], [graph])[0]
    assert [label for label, _ in token_labels(path, graph)] == ["A1", "B"]
    assert path_score(path, scores.numpy(), graph) == pytest.approx(reference_viterbi(scores.numpy(), graph))
    longer = scores_for([1, 1, 1, 0, 0, 0, 0, 0, 0, 2, 2, 2], n_states=3)
    assert (SIL, 6) in token_labels(viterbi([longer], [graph])[0], graph)
