"""The compiled inner loop of CTC prefix beam search (numba): one frame's beam update, growing the prefix tree
(:class:`Nodes`) as it goes, and the final LM terms. :mod:`speechkit.decode.beam_search` holds the Python side and
documents the search.

Why compiled: a frame of a noisy utterance weighs some 32 prefixes times 14-29 units; in Python that took 13-30
times as long as flashlight's C++ decoder. Two rules keep the loop fast. Helpers that take arrays are compiled
without numba's reference counting (``_nrt=False``: they allocate nothing), because a counted array argument costs
an increment and a decrement per call (some 5 ns each, over a dozen arrays a call). And the children of an
extension are worked out in :func:`run` itself, from arrays bound once at its top, not by a helper.

Word scores: an ARPA model is scored here (:mod:`speechkit.lm.ngram_arrays`). A KenLM binary model, which only
KenLM reads, is scored from a cache (``history * stride + word code`` -> row of history after, log10 p, known);
a score the cache lacks, the loop asks for in ``requests``, leaves the frame as it was and returns
:data:`NEED_LM`, and Python scores the words and calls again from that frame. It returns :data:`NEED_ROOM` when
the tree's arrays or child table are full. Word codes: a vocabulary word's id, ``n_words`` for a word outside the
vocabulary (KenLM scores all alike, as ``<unk>``), ``n_words + 1`` for ``</s>``, ``n_words + 2`` for the lexicon's
unfinished word, ``n_words + 3 + node`` for the unfinished word of ``node`` when the LM may know words outside the
vocabulary (a binary LM: Python spells it out).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from speechkit.decode.spellers import APPEND, END
from speechkit.lm.ngram_arrays import score as ngram_score
from speechkit.utils.hash_table import home, insert, lookup

DONE, NEED_LM, NEED_ROOM = 0, 1, 2
NEG = -math.inf
OOV_CHARS = 6.0  # an OOV word longer than this many characters is charged in proportion to its length
MAX_OFF = 1024  # words off the trie longer than this are never merged


class Nodes(NamedTuple):
    """The prefix tree's nodes, one array each (see ``beam_search._Tree``): ``trie`` and ``plen`` are the speller's
    state (trie node, -1 off the trie, and length of the unfinished word), ``word`` the code of the word the node's
    unit finished (-1: none), ``final`` the LM score if the utterance ends there (NaN: not yet known); ``stamp`` and
    ``slot`` mark the nodes of the current beam; ``n_kids`` counts the units a node has children by (most have
    none, and then the child table is not searched)."""

    parent: np.ndarray
    unit: np.ndarray
    lm_score: np.ndarray
    lm_bound: np.ndarray
    trie: np.ndarray
    plen: np.ndarray
    history: np.ndarray
    word: np.ndarray
    advance: np.ndarray
    final: np.ndarray
    stamp: np.ndarray
    slot: np.ndarray
    n_kids: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Nodes:
        """Room for ``n`` nodes."""
        i8 = lambda fill: np.full(n, fill, np.int64)  # noqa: E731
        return cls(i8(-1), i8(0), np.zeros(n), np.zeros(n), i8(0), i8(0), i8(0), i8(-1), np.zeros(n),
                   np.full(n, np.nan), i8(-1), i8(0), i8(0))  # fmt: skip

    def grown(self) -> Nodes:
        """The same nodes with twice the room."""
        more = Nodes.empty(len(self.parent))
        return Nodes(*(np.concatenate((a, b)) for a, b in zip(self, more)))


# parameter slots of the ``params`` float array
ALPHA_LN10, BETA, UNK, BONUS, SLACK, PRUNE = range(6)


@njit(cache=True, inline="always")
def _lse(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    if b == NEG:
        return a
    return a + math.log1p(math.exp(b - a))


@njit(cache=True, _nrt=False)
def _score(lm, native, history, code, requests, counts):  # type: ignore[no-untyped-def]
    """``(found, log10 p, known, history after)`` of the word ``code`` after ``history``. An ARPA model
    (``native``) is scored here; else from the cache, or not found and asked for."""
    if native:
        logp, after = ngram_score(history, lm[7][code], lm[0], lm[1], lm[2], lm[3], lm[4], lm[5], lm[6])
        return True, logp, lm[8][code], after
    row = lookup(lm[9], lm[10], history * lm[11] + code)
    if row < 0:
        if counts[1] < requests.shape[0]:
            requests[counts[1], 0] = history
            requests[counts[1], 1] = code
            counts[1] += 1
        return False, 0.0, False, -1
    return True, lm[13][row], lm[14][row], lm[12][row]


@njit(cache=True, _nrt=False)
def _walk(edge_keys, edge_vals, n_symbols, node, symbols, s0, s1):  # type: ignore[no-untyped-def]
    """The trie node after ``symbols[s0:s1]`` from ``node`` (-1: off the trie)."""
    for k in range(s0, s1):
        if node < 0 or symbols[k] < 0:
            return -1
        node = lookup(edge_keys, edge_vals, node * n_symbols + symbols[k])
    return node


@njit(cache=True, _nrt=False)
def _word_code(word_at, trie, node, n_words, open_vocab):  # type: ignore[no-untyped-def]
    """The code of the word the unfinished word of tree node ``node`` (at trie node ``trie``) spells."""
    if trie >= 0 and word_at[trie] >= 0:
        return word_at[trie]
    return n_words + 3 + node if open_vocab else n_words


@njit(cache=True, inline="always")
def _gain(alpha_ln10, beta, unk, logp, known, length):  # type: ignore[no-untyped-def]
    """What a word adds to a score: its weighted LM log-probability, the bonus, and an OOV's charge."""
    g = alpha_ln10 * logp + beta
    if not known:
        g += unk * max(1.0, length / OOV_CHARS)
    return g


@njit(cache=True, _nrt=False)
def store(tree, counts, kid_keys, kid_vals, stride, node, unit, n_opts, opts):  # type: ignore[no-untyped-def]
    """Make the children the loop of :func:`run` wrote into ``opts``; their packed range (``first << 16 | count``),
    or -2 when the tree or the child table is full."""
    o_trie, o_len, o_word, o_hist, o_lm, o_bound, o_adv = opts
    first = counts[0]
    if first + n_opts > tree.parent.shape[0] or 2 * (counts[3] + 1) > kid_keys.shape[0]:
        return -2
    for k in range(n_opts):
        c = first + k
        tree.parent[c], tree.unit[c], tree.lm_score[c], tree.lm_bound[c] = node, unit, o_lm[k], o_bound[k]
        tree.trie[c], tree.plen[c], tree.word[c] = o_trie[k], o_len[k], o_word[k]
        tree.history[c], tree.advance[c] = o_hist[k], o_adv[k]
        tree.final[c] = np.nan  # final LM score: not yet known
        tree.stamp[c] = -1  # in no beam
        tree.n_kids[c] = 0
    tree.n_kids[node] += 1
    counts[0] = first + n_opts
    packed = (first << 16) | n_opts
    insert(kid_keys, kid_vals, node * stride + unit, packed)
    counts[3] += 1
    return packed


@njit(cache=True)
def final_lm(tree, counts, node, sp, params, flags, lm, requests):  # type: ignore[no-untyped-def]
    """The LM score of ``node`` if the utterance ends there (its last word and ``</s>``), or NaN when a score is
    missing (asked for)."""
    finals = tree.final
    if not math.isnan(finals[node]):
        return finals[node]
    lm_score, trie, plen, hist, advance = tree.lm_score, tree.trie, tree.plen, tree.history, tree.advance
    word_at, word_len = sp[6], sp[11]
    if not flags[0]:
        finals[node] = 0.0
        return 0.0
    n_words = word_len.shape[0]
    score, h = lm_score[node] - advance[node], hist[node]
    code, length = -1, 0
    if flags[3]:
        if trie[node] != 0:
            code, length = n_words + 2, 5  # the lexicon's unfinished word, "<unk>"
    elif plen[node] > 0:
        code = _word_code(word_at, trie[node], node, n_words, flags[1])
        length = word_len[code] if code < n_words else plen[node]
    if code >= 0:
        found, logp, known, h = _score(lm, flags[4], h, code, requests, counts)
        if not found:
            return np.nan
        score += _gain(params[ALPHA_LN10], params[BETA], params[UNK], logp, known, length)
    found, logp, _, _ = _score(lm, flags[4], h, n_words + 1, requests, counts)
    if not found:
        return np.nan
    finals[node] = score + params[ALPHA_LN10] * logp
    return finals[node]


@njit(cache=True)
def finals(tree, counts, nodes, sp, params, flags, lm, requests):  # type: ignore[no-untyped-def]
    """:func:`final_lm` of every node of ``nodes``; False when some score is missing (asked for)."""
    out = np.empty(nodes.shape[0])
    ok = True
    for k in range(nodes.shape[0]):
        out[k] = final_lm(tree, counts, nodes[k], sp, params, flags, lm, requests)
        ok = ok and not math.isnan(out[k])
    return out, ok


@njit(cache=True, _nrt=False)
def _heapify(heap, n):  # type: ignore[no-untyped-def]
    """Make ``heap[:n]`` a min-heap."""
    for root in range(n // 2 - 1, -1, -1):
        _sift_down(heap, n, root, heap[root])


@njit(cache=True, _nrt=False)
def _sift_down(heap, n, i, x):  # type: ignore[no-untyped-def]
    """Put ``x`` at ``i`` of the min-heap ``heap[:n]`` and move it down to where it belongs."""
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and heap[c + 1] < heap[c]:
            c += 1
        if heap[c] >= x:
            break
        heap[i] = heap[c]
        i = c
    heap[i] = x


@njit(cache=True, _nrt=False)
def _sort_down(values, order, n):  # type: ignore[no-untyped-def]
    """``order[:n]``: the indices of ``values[:n]``, largest value first, ties in index order (insertion sort:
    a beam is short)."""
    for i in range(n):
        j = i
        while j > 0 and values[order[j - 1]] < values[i]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i


@njit(cache=True, _nrt=False)
def _push(heap, n, x):  # type: ignore[no-untyped-def]
    """Push ``x`` onto the min-heap ``heap[:n]``, or replace its least when full; the new size."""
    if n < heap.shape[0]:
        i = n
        n += 1
    else:
        if x > heap[0]:
            _sift_down(heap, n, 0, x)  # x in place of the least
        return n
    while i > 0:
        p = (i - 1) // 2
        if heap[p] <= x:
            break
        heap[i] = heap[p]
        i = p
    heap[i] = x
    return n


@njit(cache=True, _nrt=False)
def _rank_small(k_score, k_node, m, order):  # type: ignore[no-untyped-def]
    for i in range(m):
        j = i
        while j > 0 and (k_score[i] > k_score[order[j - 1]] or (k_score[i] == k_score[order[j - 1]]
                                                                 and k_node[i] > k_node[order[j - 1]])):
            order[j] = order[j - 1]
            j -= 1
        order[j] = i


@njit(cache=True)
def _rank(k_score, k_node, m, order):  # type: ignore[no-untyped-def]
    """``order[:m]``: the candidates best first, ties in score the later node first (an insertion sort when few)."""
    if m <= 64:
        _rank_small(k_score, k_node, m, order)
    else:
        by_node = np.argsort(-k_node[:m], kind="mergesort")
        order[:m] = by_node[np.argsort(-k_score[:m][by_node], kind="mergesort")]


@njit(cache=True, _nrt=False)
def _merged(order, m, k_node, trie, plen, hist, unit, n_trie, stride, width, open_vocab, keys, stamps, epoch,
            ):  # type: ignore[no-untyped-def]  # fmt: skip
    """Of the candidates ``order[:m]`` (best first), moves to the front the first ``width`` that no earlier one
    matches in LM history, speller state and last unit (the two have the same future, so the worse one only takes
    a place in the beam); how many. The speller state of a word off the trie is its length when the LM scores
    every such word alike (a closed vocabulary); otherwise the word is kept. ``keys``/``stamps``: a hash set whose
    slots are in use when stamped ``epoch``."""
    mask = keys.shape[0] - 1
    n = 0
    for r in range(m):
        if n == width:
            break
        i = order[r]
        c = k_node[i]
        state = trie[c] if trie[c] >= 0 else (n_trie + plen[c] if not open_vocab and plen[c] < MAX_OFF else -1)
        if state >= 0:
            key = (hist[c] * (n_trie + MAX_OFF) + state) * stride + unit[c]
            h = home(key, mask)
            while stamps[h] == epoch and keys[h] != key:
                h = (h + 1) & mask
            if stamps[h] == epoch:
                continue
            keys[h], stamps[h] = key, epoch
        order[n] = i
        n += 1
    return n


@njit(cache=True)
def run(tree, counts, kid_keys, kid_vals, stride, beam, pos, frames, lp, keep, starts, f_units, f_lps, blank_lp,
        blank_cum, width, sp, params, flags, lm, requests, max_opts):  # type: ignore[no-untyped-def]  # fmt: skip
    """Run the frames ``frames[pos[0]:]`` (those where some unit besides blank passes; a run of others only adds
    blank) over the beam ``beam`` = (nodes, p_b, p_nb, size), ``pos[1]`` being the frame the beam has reached.
    Returns DONE, or NEED_LM / NEED_ROOM with ``pos`` at the frame to run again."""
    # every array the loop reads is bound once here: an array fetched from a tuple inside a branching loop costs a
    # reference count increment and decrement each time (some 5 ns apiece)
    nodes, p_b, p_nb, size = beam
    parent, unit, lm_score, lm_bound = tree.parent, tree.unit, tree.lm_score, tree.lm_bound
    trie, plen, hist, advance = tree.trie, tree.plen, tree.history, tree.advance
    stamp, slot, n_kids = tree.stamp, tree.slot, tree.n_kids
    op, symbols, start, n_symbols, edge_keys, edge_vals, word_at, ends, ends_start, has_children, lookahead, \
        word_len = sp
    has_lm, open_vocab, closed, lexicon, native = flags[0], flags[1], flags[2], flags[3], flags[4]
    merge = has_lm and flags[5]
    n_words = word_len.shape[0]
    alpha_ln10, beta, unk, bonus, slack = params[ALPHA_LN10], params[BETA], params[UNK], params[BONUS], params[SLACK]
    # a child's trie node, length, finished word code, history, LM score, LM bound and advance
    o_trie, o_len = np.empty(max_opts, np.int64), np.empty(max_opts, np.int64)
    o_word, o_hist = np.empty(max_opts, np.int64), np.empty(max_opts, np.int64)
    o_lm, o_bound, o_adv = np.empty(max_opts), np.empty(max_opts), np.empty(max_opts)
    opts = (o_trie, o_len, o_word, o_hist, o_lm, o_bound, o_adv)
    prune = params[PRUNE]
    n_frames = lp.shape[0]
    # per-prefix work arrays, and the candidates' (grown when full), made once for all frames
    total, stay_b, stay_nb = np.empty(width), np.empty(width), np.empty(width)
    score, bounds, heap = np.empty(width), np.empty(width), np.empty(width)
    by_bound = np.empty(width, np.int64)
    cap = 64
    c_score, c_node, c_ext = np.empty(cap), np.empty(cap, np.int64), np.empty(cap)
    k_score, k_node, k_b, k_nb = np.empty(width + cap), np.empty(width + cap, np.int64), np.empty(width + cap), \
        np.empty(width + cap)
    k_order = np.empty(width + cap, np.int64)
    merge_size = 1
    while merge_size < 4 * width:
        merge_size *= 2
    merge_keys, merge_stamps = np.empty(merge_size, np.int64), np.full(merge_size, -1, np.int64)
    while pos[0] <= frames.shape[0]:
        t = frames[pos[0]] if pos[0] < frames.shape[0] else n_frames
        n = size[0]
        if t > pos[1]:  # frames pos[1]..t-1 keep only blank: every prefix now ends in blank
            run_ = blank_cum[t] - blank_cum[pos[1]]
            for k in range(n):
                p_b[k] = _lse(p_b[k], p_nb[k]) + run_
                p_nb[k] = NEG
            pos[1] = t
        if t == n_frames or n == 0:  # n == 0: every prefix died (log-probabilities of -inf)
            return DONE
        counts[2] += 1
        epoch = counts[2]
        for k in range(n):
            stamp[nodes[k]] = epoch
            slot[nodes[k]] = k
        for k in range(n):
            total[k] = _lse(p_b[k], p_nb[k])
            u = unit[nodes[k]]
            stay_nb[k] = p_nb[k] + lp[t, u] if u < lp.shape[1] and keep[t, u] else NEG
        for k in range(n):  # a prefix whose parent is in the beam gets the parent's extension
            par = parent[nodes[k]]
            u = unit[nodes[k]]
            if par >= 0 and stamp[par] == epoch and keep[t, u]:
                i = slot[par]
                prev = p_b[i] if u == unit[par] else total[i]
                stay_nb[k] = _lse(stay_nb[k], prev + lp[t, u])
        top, least, top_bound = NEG, math.inf, NEG
        for k in range(n):
            stay_b[k] = total[k] + blank_lp[t] if blank_lp[t] > NEG else NEG
            score[k] = _lse(stay_b[k], stay_nb[k]) + lm_score[nodes[k]]
            bounds[k] = total[k] + lm_bound[nodes[k]]
            top, least, top_bound = max(top, score[k]), min(least, score[k]), max(top_bound, bounds[k])
        floor = top - prune
        limit = max(floor, least) if n >= width else floor  # (n <= width)
        s, e = starts[t], starts[t + 1]
        best_v = f_lps[s]
        n_new = 0
        missing = False
        if top_bound > limit - best_v:
            hn = n
            heap[:n] = score[:n]
            _heapify(heap, n)
            _sort_down(bounds, by_bound, n)
            for i in by_bound[:n]:
                bound = bounds[i]
                if bound + best_v <= limit:
                    break
                node, tot, b, last = nodes[i], total[i], p_b[i], unit[nodes[i]]
                for j in range(s, e):
                    u, v = f_units[j], f_lps[j]
                    if bound + v <= limit:
                        break
                    ext = (b if u == last else tot) + v  # repeating the last unit needs a blank in between
                    packed = lookup(kid_keys, kid_vals, node * stride + u) if n_kids[node] else -1
                    if packed < 0:  # children only a candidate that can enter the beam now makes
                        # the speller's ways on: at most one for text units, 1 + the homophones at a phone node
                        p_trie, p_len = trie[node], plen[node]
                        s0, s1 = start[u], start[u + 1]
                        n_opts = 0
                        if lexicon:
                            child = lookup(edge_keys, edge_vals, p_trie * n_symbols + symbols[s0])
                            if child >= 0:
                                if has_children[child]:
                                    o_trie[0], o_len[0], o_word[0] = child, 0, -1
                                    n_opts = 1
                                for k in range(ends_start[child], ends_start[child + 1]):
                                    o_trie[n_opts], o_len[n_opts], o_word[n_opts] = 0, 0, ends[k]
                                    n_opts += 1
                        else:
                            n_opts = 1
                            o_word[0] = -1
                            if op[u] == APPEND:
                                o_trie[0] = _walk(edge_keys, edge_vals, n_symbols, p_trie, symbols, s0, s1)
                                o_len[0] = p_len + s1 - s0
                            else:
                                if p_len > 0:
                                    o_word[0] = _word_code(word_at, p_trie, node, n_words, open_vocab)
                                o_trie[0] = 0 if op[u] == END else _walk(edge_keys, edge_vals, n_symbols, 0, symbols,
                                                                        s0, s1)  # fmt: skip
                                o_len[0] = 0 if op[u] == END else s1 - s0
                        # their LM scores and bounds (see beam_search._Tree)
                        base = lm_score[node] - advance[node]
                        if has_lm and closed:  # first a bound that needs no LM score: an OOV word costs at least unk
                            most = NEG
                            for k in range(n_opts):
                                if o_word[k] == n_words:  # ends an OOV word
                                    most = max(most, unk * max(1.0, p_len / OOV_CHARS))
                                elif o_word[k] < 0 and o_trie[k] < 0:  # grows a misspelled one
                                    most = max(most, unk * max(1.0, o_len[k] / OOV_CHARS))
                                else:
                                    most = max(most, 0.0)
                            if ext + base + most + 2 * bonus <= limit:
                                continue
                        best_child = NEG
                        for k in range(n_opts):
                            score_k, h, adv = base, hist[node], 0.0
                            is_word = False
                            viable = True
                            if has_lm:
                                if o_word[k] >= 0:
                                    found, logp, known, after = _score(lm, native, h, o_word[k], requests, counts)
                                    if not found:
                                        missing = True
                                        break
                                    length = word_len[o_word[k]] if o_word[k] < n_words else p_len
                                    score_k += _gain(alpha_ln10, beta, unk, logp, known, length)
                                    h = after
                                t_k = o_trie[k]
                                is_word = not lexicon and t_k >= 0 and word_at[t_k] >= 0
                                viable = not closed or t_k >= 0
                                if is_word:
                                    found, logp, known, _ = _score(lm, native, h, word_at[t_k], requests, counts)
                                    if not found:
                                        missing = True
                                        break
                                    adv = _gain(alpha_ln10, beta, unk, logp, known, word_len[word_at[t_k]])
                                elif not viable:
                                    adv = unk * max(1.0, o_len[k] / OOV_CHARS)
                                elif t_k >= 0 and not math.isnan(lookahead[t_k]):
                                    adv = alpha_ln10 * lookahead[t_k] + beta
                            if is_word:
                                room = bonus + max(-adv, 0.0)
                            elif has_lm and not viable:  # misspelled: growing only adds to its charge
                                room = 2 * bonus - (adv if open_vocab else 0.0)
                            else:
                                room = max(bonus, 2 * bonus + unk + slack) - adv
                            o_hist[k], o_lm[k], o_bound[k], o_adv[k] = h, score_k + adv, score_k + adv + room, adv
                            best_child = max(best_child, score_k + adv)
                        if missing:
                            continue
                        if n_opts == 0 or ext + best_child <= limit:
                            continue
                        packed = store(tree, counts, kid_keys, kid_vals, stride, node, u, n_opts, opts)
                        if packed == -2:
                            return NEED_ROOM
                    first = packed >> 16
                    for c in range(first, first + (packed & 0xFFFF)):
                        sc = ext + lm_score[c]
                        if sc <= limit or stamp[c] == epoch:
                            continue
                        if n_new == cap:
                            cap *= 2
                            c_score = np.concatenate((c_score, np.empty(cap - n_new)))
                            c_node = np.concatenate((c_node, np.empty(cap - n_new, np.int64)))
                            c_ext = np.concatenate((c_ext, np.empty(cap - n_new)))
                        c_score[n_new], c_node[n_new], c_ext[n_new] = sc, c, ext
                        n_new += 1
                        if sc - prune > floor:
                            floor = sc - prune
                            limit = max(limit, floor)
                        hn = _push(heap, hn, sc)
                        if hn == width and heap[0] > limit:
                            limit = heap[0]
        if missing:
            return NEED_LM
        if n_new == 0 and least >= floor and least > NEG:  # the common case: the beam is unchanged
            p_b[:n] = stay_b[:n]
            p_nb[:n] = stay_nb[:n]
        else:
            if n + n_new > k_score.shape[0]:
                k_score, k_node = np.empty(2 * (n + n_new)), np.empty(2 * (n + n_new), np.int64)
                k_b, k_nb = np.empty(2 * (n + n_new)), np.empty(2 * (n + n_new))
                k_order = np.empty(2 * (n + n_new), np.int64)
            m = 0
            for k in range(n):
                if score[k] >= floor and score[k] > NEG:
                    k_score[m], k_node[m], k_b[m], k_nb[m] = score[k], nodes[k], stay_b[k], stay_nb[k]
                    m += 1
            for k in range(n_new):
                if c_score[k] >= floor:
                    k_score[m], k_node[m], k_b[m], k_nb[m] = c_score[k], c_node[k], NEG, c_ext[k]
                    m += 1
            kept = m
            if m > width or merge:
                _rank(k_score, k_node, m, k_order)
                if merge:
                    kept = _merged(k_order, m, k_node, trie, plen, hist, unit, has_children.shape[0], stride, width,
                                   open_vocab, merge_keys, merge_stamps, epoch)  # fmt: skip
                kept = min(kept, width)
            else:
                for k in range(m):
                    k_order[k] = k
            for k in range(kept):
                i = k_order[k]
                nodes[k], p_b[k], p_nb[k] = k_node[i], k_b[i], k_nb[i]
            size[0] = kept
        pos[1] = t + 1
        pos[0] += 1
    return DONE


@njit(cache=True)
def frame_table(lp, min_logp, blank):  # type: ignore[no-untyped-def]
    """What each frame offers the search, whatever the beam: ``keep`` (T, V), the units besides blank whose
    log-probability reaches ``min_logp`` (when none does and blank is not the frame's best, its best unit);
    those units best first (``f_units``/``f_lps``, frame ``t``'s at ``starts[t]:starts[t + 1]``, ties in unit
    order); ``blank_lp``, blank's log-probability where it reaches ``min_logp`` or is the only unit left (else
    -inf); ``blank_cum``, the cumulative blank log-probability; and ``frames``, the frames with some unit kept."""
    n_frames, n_units = lp.shape
    keep = np.zeros((n_frames, n_units), np.bool_)
    starts = np.zeros(n_frames + 1, np.int64)
    blank_cum = np.zeros(n_frames + 1)
    blank_lp = np.empty(n_frames)
    for t in range(n_frames):
        n, top = 0, 0
        for u in range(n_units):
            if lp[t, u] > lp[t, top]:
                top = u
            if u != blank and lp[t, u] >= min_logp:
                keep[t, u] = True
                n += 1
        if n == 0 and top != blank:
            keep[t, top] = True
            n = 1
        blank_lp[t] = lp[t, blank] if lp[t, blank] >= min_logp or n == 0 else NEG
        starts[t + 1] = starts[t] + n
        blank_cum[t + 1] = blank_cum[t] + lp[t, blank]
    f_units = np.empty(starts[n_frames], np.int64)
    f_lps = np.empty(starts[n_frames])
    frames = np.empty(n_frames, np.int64)
    n_active = 0
    for t in range(n_frames):
        s, e = starts[t], starts[t + 1]
        if e == s:
            continue
        frames[n_active] = t
        n_active += 1
        k = s
        for u in range(n_units):
            if keep[t, u]:
                f_units[k] = u
                k += 1
        if e - s > 24:
            order = np.argsort(-lp[t][f_units[s:e]], kind="mergesort")
            f_units[s:e] = f_units[s:e][order]
        else:  # insertion sort, stable
            for i in range(s + 1, e):
                u = f_units[i]
                j = i
                while j > s and lp[t, f_units[j - 1]] < lp[t, u]:
                    f_units[j] = f_units[j - 1]
                    j -= 1
                f_units[j] = u
        for i in range(s, e):
            f_lps[i] = lp[t, f_units[i]]
    return keep, starts, f_units, f_lps, blank_lp, blank_cum, frames[:n_active]
