"""Viterbi: the best state path through alignment graphs, batched over utterances and vectorized over states.

Graphs are nearly linear: every state loops on itself and most follow only the state before them. So a frame's
update is a shift and a maximum over all states, plus a small gather for the few states with other predecessors
(a word's first states). The forward pass keeps every frame's scores instead of back pointers (an argmax costs
far more than a max on CPU); the backtrace then re-derives the one best predecessor per utterance and frame.
Each utterance's path ends at its own last frame, so shorter ones in a batch need no masking.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from speechkit.align.graph import Graph

NEG_INF = float("-inf")


def _stack(graphs: Sequence[Graph]) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Pad the graphs to one batch, numbering states from 1: index 0 is a dead state whose score is always -inf.

    Returns ``preds`` ``(B, S, K)`` (0 where there is none; column 0 is the state itself), ``step`` ``(B, S)``
    (whether state ``s - 1`` precedes ``s``), ``column``, ``initial``, ``final`` ``(B, S)``, and ``jumps``
    ``(B, J)``: the states with predecessors other than themselves and ``s - 1`` (0 pads), and ``enter``
    ``(B, S + 1)``: what coming into a state from another costs (0 for the dead state and the padding).
    """
    n_states = max(g.n_states for g in graphs)
    width = max(g.preds.shape[1] for g in graphs)
    preds = torch.zeros(len(graphs), n_states, width, dtype=torch.long)
    step = torch.zeros(len(graphs), n_states, dtype=torch.bool)
    column = torch.zeros(len(graphs), n_states, dtype=torch.long)
    initial = torch.zeros(len(graphs), n_states, dtype=torch.bool)
    final = torch.zeros(len(graphs), n_states, dtype=torch.bool)
    enter = torch.zeros(len(graphs), n_states + 1)
    jump_lists = []
    for b, g in enumerate(graphs):
        own = np.arange(g.n_states)[:, None]
        if not (g.preds[:, 0] == own[:, 0]).all():
            raise ValueError("every state must list itself as its first predecessor")
        preds[b, : g.n_states, : g.preds.shape[1]] = torch.from_numpy(g.preds + 1)  # -1 pads become 0
        is_step = (g.preds == own - 1) & (own > 0)
        others = (g.preds >= 0) & (g.preds != own) & ~is_step
        step[b, : g.n_states] = torch.from_numpy(is_step.any(1))
        jump_lists.append(torch.from_numpy(np.flatnonzero(others.any(1)) + 1))
        column[b, : g.n_states] = torch.from_numpy(g.column)
        initial[b, : g.n_states] = torch.from_numpy(g.initial)
        final[b, : g.n_states] = torch.from_numpy(g.final)
        enter[b, 1 : g.n_states + 1] = torch.from_numpy(g.enter)
    jumps = torch.zeros(len(graphs), max(1, max(len(j) for j in jump_lists)), dtype=torch.long)
    for b, j in enumerate(jump_lists):
        jumps[b, : len(j)] = j
    return preds, step, column, initial, final, jumps, enter


@torch.no_grad()
def viterbi(scores: Sequence[Tensor], graphs: Sequence[Graph]) -> list[np.ndarray | None]:
    """Best state path of each utterance: ``scores[b]`` ``(T_b, P)`` log emission scores per column, ``graphs[b]``
    its graph (each state's first predecessor is itself). Returns ``(T_b,)`` state indices, or None where no path
    fits (fewer frames than the graph needs).

    Ties go to the earliest predecessor in the graph's order (the state itself first). Memory: one float per
    utterance, frame and state of the batch. Example::

        path = viterbi([log_probs], [build_graph(slots, 3, n_phones)])[0]
    """
    batch = len(graphs)
    preds, step, column, initial, final, jumps, enter = _stack(graphs)
    n_states, width = preds.shape[1], preds.shape[2]
    lengths = torch.tensor([s.shape[0] for s in scores])
    n_frames = int(lengths.max())
    emit = torch.zeros(n_frames, batch, scores[0].shape[1])
    for b, s in enumerate(scores):
        emit[: s.shape[0], b] = s.float()
    emit = emit.gather(2, column[None].expand(n_frames, -1, -1))  # (T, B, S)
    step_mask = torch.where(step, enter[:, 1:], NEG_INF)
    padded = torch.cat([torch.zeros(batch, 1, width, dtype=torch.long), preds], 1)
    jump_preds = padded.gather(1, jumps[:, :, None].expand(-1, -1, width))[:, :, 1:].reshape(batch, -1)
    history = torch.full((n_frames, batch, n_states + 1), NEG_INF)
    history[0, :, 1:] = torch.where(initial, emit[0], NEG_INF)
    for t in range(1, n_frames):
        prev, cur = history[t - 1], history[t]
        torch.maximum(prev[:, 1:], prev[:, :-1] + step_mask, out=cur[:, 1:])
        cand = prev.gather(1, jump_preds).view(batch, jumps.shape[1], width - 1).amax(2)
        cur.scatter_reduce_(1, jumps, cand + enter.gather(1, jumps), "amax")
        cur[:, 0] = NEG_INF
        cur[:, 1:] += emit[t]
    rows = torch.arange(batch)
    last = lengths - 1
    end_scores = torch.where(final, history[last, rows, 1:], NEG_INF)
    best_end, state = end_scores.max(1)
    state = state + 1
    paths = torch.empty(batch, n_frames, dtype=torch.long)
    for t in range(n_frames - 1, -1, -1):
        paths[:, t] = state
        if t:
            options = padded[rows, state]  # (B, K)
            cost = torch.where(options == state[:, None], 0.0, enter[rows, state][:, None])
            before = (history[t - 1].gather(1, options) + cost).argmax(1)
            state = torch.where(t <= last, options[rows, before], state)
    return [paths[b, : lengths[b]].numpy() - 1 if best_end[b] > NEG_INF else None for b in range(batch)]


def runs(path: np.ndarray, graph: Graph) -> list[tuple[int, int, int]]:
    """The tokens a state path passes through, as ``(token index, first frame, end frame)``."""
    tokens = graph.token[path]
    change = np.flatnonzero(np.diff(tokens)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(tokens)]])
    return [(int(tokens[a]), int(a), int(b)) for a, b in zip(starts, ends)]
