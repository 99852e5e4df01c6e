"""CTC prefix beam search with word-level KenLM shallow fusion, driven from Python.

A hypothesis is a unit sequence ``y`` spelling words ``w_1..w_n`` (see :mod:`speechkit.decode.spellers`). It ranks
by::

    log P_ctc(y | x) + alpha * ln(10) * log10 P_lm(w_1 .. w_n </s>) + beta * n + sum of OOV charges

``log P_ctc`` sums over alignments: each prefix keeps the probability of its alignments ending in blank and in its
last unit apart, and merges add (logsumexp). Without an LM the search is plain CTC prefix beam search and the
score is ``log P_ctc``. While the search runs, an unfinished word is scored in advance (:class:`_Tree`), so the LM
prunes before the next word starts: a vocabulary word by its own LM score, anything else a vocabulary word starts
with by the best unigram score (and ``beta``) of the words it can still become (a lookahead, like flashlight's
smeared trie). When the word ends, its real score replaces the advance.

Why the lookahead: without it, a hypothesis in the middle of a word paid nothing for it, while one that had just
ended a word had paid, so on noisy emissions the beam filled with half-words whose endings were poor, and better
hypotheses fell out before their words could pay off. On very noisy synthetic character emissions (100 sentences,
beam 32) speechkit's WER was 70.7 % against flashlight's 64.8 %, and flashlight's hypothesis scored higher under
speechkit's own objective on 96 of the 100 sentences; with the lookahead, 62.4 %
(``tests/decode/test_oov_garbage.py``).

How out-of-vocabulary words are charged (the vocabulary: the ARPA's unigrams plus the model's words):

- an OOV word ``w`` (a finished word outside the vocabulary) costs ``unk_score_offset * max(1, len(w) / 6)`` on top
  of its LM term ``alpha * ln(10) * log10 P_lm(<unk> | history)`` (KenLM scores any unknown word as ``<unk>``) and
  ``beta``: a long OOV word costs in proportion to its characters;
- an unfinished word that no vocabulary word starts with (it has left the trie) is charged the same
  ``unk_score_offset * max(1, len / 6)`` for its current length while it grows (so garbage is pruned as it
  lengthens), and that charge is replaced, not added to, when the word ends;
- an unfinished word still inside the trie is charged its lookahead (above) until it ends, when its real score
  (an OOV word's, if it ends there) replaces it.

Why by length: charged once whatever its length, one OOV word could swallow any run of frames for the price of a
short one, and on a weak character model the search glued real words into long OOV strings (WER 50 % where
pyctcdecode, whose partial-word charge grows with length beyond 6 characters, scored 30 %; 25 % with this rule:
``tests/decode/test_oov_garbage.py``). Unlike pyctcdecode, a finished OOV word keeps its length charge, so ending
a garbage string never makes it cheaper.

Why it is fast:

- Prefixes are nodes of a prefix tree, made once per utterance: a node's LM score, word history and speller state
  are computed when it is created, so frames never touch the LM.
- What a frame offers (the units above ``token_min_logp``, best first) is computed for all frames at once with
  numpy; frames where only blank passes (most frames of a peaky model) cannot change a prefix, so a run of them is
  one update. With pruning off there are no such frames and the search is exact.
- A frame updates the beam with a few passes over plain lists. Extensions are visited best first by an upper
  bound of their score and the visit stops when the bound falls below the beam's current worst score, so Python
  touches only extensions that can enter the beam: the beam is the one scoring every extension would give.
- LM states and scores are cached across hypotheses and utterances (:class:`~speechkit.decode.lm_scorer.LmScorer`).

Example::

    spec = DecoderSpec(units=tuple(symbols), spelling="piece", lm="data/lm/3gram.arpa")
    search = CtcBeamSearch(spec, SearchOptions(beam=16, alpha=0.5, beta=1.0))
    best = search(log_probs)[0]  # log_probs: (T, V) numpy array of log-softmax outputs
    best.text, best.score
"""

from __future__ import annotations

import functools
import heapq
import math
import operator
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from itertools import compress

import numpy as np

from speechkit.decode.lm_scorer import BOS, EOS, History, LmScorer
from speechkit.decode.spellers import CharSpeller, LexiconSpeller, PieceSpeller, Speller
from speechkit.errors import SpeechkitError
from speechkit.utils.parallel import parallel_map

ALPHA_MAX = 10.0  # alpha in [0, ALPHA_MAX]: the LM weight; beyond 10 the acoustic model hardly counts
BETA_MAX = 20.0  # |beta| <= BETA_MAX: a per-word bonus larger than that swamps any log-probability
SPELLINGS = ("char", "piece", "lexicon")
LN10 = math.log(10.0)
NEG = -math.inf
MAX_TREE_NODES = 500_000  # a prefix tree this large (some 100 MB) starts afresh
OOV_CHARS = 6  # an OOV word longer than this many characters is charged in proportion to its length
# the beam: nodes, log P of their alignments ending in blank and in their last unit, and what _frame derives from
# the nodes alone (kept while the nodes stay the same, as they mostly do from one frame to the next)
_Beam = tuple[list[int], list[float], list[float], "tuple | None"]


def _lse(a: float, b: float) -> float:
    """``log(exp(a) + exp(b))`` of two Python floats."""
    if a < b:
        a, b = b, a
    return a if b == NEG else a + math.log1p(math.exp(b - a))


def check_weights(alpha: float, beta: float) -> None:
    """Fail with one line when the LM weight or word bonus is outside the documented range."""
    if not 0.0 <= alpha <= ALPHA_MAX:
        raise SpeechkitError(None, f"LM weight alpha={alpha:g} is out of range: use 0 <= alpha <= {ALPHA_MAX:g}")
    if not abs(beta) <= BETA_MAX:
        limit = f"{BETA_MAX:g}"
        raise SpeechkitError(None, f"word bonus beta={beta:g} is out of range: use -{limit} <= beta <= {limit}")


@dataclass(frozen=True)
class SearchOptions:
    """Beam search settings; ``alpha``/``beta`` are the defaults a call may override (e.g. while tuning).

    ``beam``: hypotheses kept per frame. ``beam_prune``: drop hypotheses scoring more than this below the best.
    ``token_min_logp``: skip units whose frame log-probability is below this (the frame's best unit is always
    kept). ``unk_score_offset``: added per OOV word (see the module docstring). ``nbest``: hypotheses returned.
    """

    beam: int = 16
    beam_prune: float = 10.0
    token_min_logp: float = -5.0
    alpha: float = 0.5
    beta: float = 1.0
    unk_score_offset: float = -10.0
    nbest: int = 1

    def __post_init__(self) -> None:
        check_weights(self.alpha, self.beta)
        if self.beam < 1 or self.nbest < 1:
            raise SpeechkitError(None, f"beam ({self.beam}) and nbest ({self.nbest}) must be at least 1")
        if self.nbest > self.beam:
            raise SpeechkitError(None, f"nbest ({self.nbest}) cannot exceed the beam ({self.beam})")
        if not self.beam_prune > 0:
            raise SpeechkitError(None, f"beam_prune must be positive (got {self.beam_prune:g})")
        if self.unk_score_offset > 0:
            raise SpeechkitError(None, f"unk_score_offset is a penalty: use a value <= 0 ({self.unk_score_offset:g})")


@dataclass(frozen=True)
class DecoderSpec:
    """What a decoder is built from; small and hashable, so worker processes rebuild it instead of pickling it.

    ``units``: the CTC output symbols, id order (``blank`` among them). ``spelling``: ``char`` (``delimiter``
    separates words), ``piece`` (sentencepiece, ``▁`` starts a word) or ``lexicon`` (phones; ``lexicon`` pairs
    ``(word, phones)`` say how words sound). ``lm``: an ARPA or KenLM binary file, or None for no LM. ``words``:
    the words the units are meant to spell (a model's word list): the LM must know some of them, and they join the
    LM's words in the trie that tells an unfinished word from a misspelled one.
    """

    units: tuple[str, ...]
    spelling: str = "piece"
    lm: str | None = None
    words: tuple[str, ...] = ()
    lexicon: tuple[tuple[str, tuple[str, ...]], ...] = ()
    delimiter: str = "|"
    blank: int = 0


@dataclass(frozen=True)
class Hypothesis:
    """One unit sequence: ``score = ctc_logp + lm_score``."""

    tokens: tuple[int, ...]
    words: tuple[str, ...]
    score: float
    ctc_logp: float
    lm_score: float

    @property
    def text(self) -> str:
        return " ".join(self.words)


def _build(spec: DecoderSpec) -> tuple[Speller, LmScorer | None]:
    """The speller and LM that ``spec`` describes."""
    if spec.spelling not in SPELLINGS:
        raise SpeechkitError(None, f"unknown spelling {spec.spelling!r} (use {', '.join(SPELLINGS)})")
    if not 0 <= spec.blank < len(spec.units):
        raise SpeechkitError(None, f"blank id {spec.blank} is not one of the {len(spec.units)} units")
    lm = LmScorer(spec.lm) if spec.lm else None
    words = set(spec.words) | {w for w, _ in spec.lexicon}
    if lm is not None:
        lm.check_covers(words, "the units' word list")
    vocabulary = None if lm is None or (lm.vocabulary is None and not words) else (lm.vocabulary or set()) | words
    if spec.spelling == "char":
        return CharSpeller(spec.units, vocabulary, spec.delimiter), lm
    if spec.spelling == "piece":
        return PieceSpeller(spec.units, vocabulary), lm
    lexicon: dict[str, list[tuple[str, ...]]] = {}
    for word, phones in spec.lexicon:
        lexicon.setdefault(word, []).append(phones)
    if not lexicon:
        raise SpeechkitError(None, "lexicon spelling needs a lexicon (word -> phones)")
    return LexiconSpeller(spec.units, lexicon), lm


class _Tree:
    """The prefix tree a decoder searches with one ``(alpha, beta)``: per node its parent, last unit, LM score,
    speller state and word history.

    A node's LM score counts its finished words and, in advance, its unfinished one: the word's own score when it
    already is a vocabulary word (so "turn the" pays for "the" before the next word starts; growing into a longer
    word takes that back), ``unk`` when no vocabulary word starts with it, else its lookahead (``beta`` and the
    best unigram score ``lookahead`` gives the words it can become). ``parent``, ``unit``, ``lm_score`` and
    ``lm_bound`` (the most any extension can reach: see :meth:`expand`) are read for the whole beam every frame;
    the rest, read only when a node grows or ends, sits in one ``(partial, history, word, advance)`` tuple per
    node, ``advance`` being the unfinished word's part of ``lm_score``.
    """

    def __init__(self, speller: Speller, lm: LmScorer | None, lookahead: dict[Hashable, float], n_units: int,
                 alpha: float, beta: float, unk: float) -> None:  # fmt: skip
        self.speller, self.lm, self.lookahead = speller, lm, lookahead
        self.alpha_ln10, self.beta, self.unk = alpha * LN10, beta, unk
        self.bonus = max(beta, 0.0) if lm is not None else 0.0  # the most a word can add to a score
        # a word outside the vocabulary is an OOV unless the vocabulary misses some of the LM's words (a binary LM)
        self.open_vocab = lm is not None and lm.vocabulary is None
        self.slack = -unk if self.open_vocab else 0.0
        self.stride = n_units + 1  # child key: node * stride + unit
        self.parent = [-1]
        self.unit = [n_units]  # the root's "last unit" is a sentinel no frame has
        self.lm_score = [0.0]
        self.lm_bound = [max(self.bonus, 2 * self.bonus + unk + self.slack)]
        self.info: list[tuple[Hashable, History, str | None, float]] = [(speller.initial, BOS, None, 0.0)]
        self.kids: dict[int, tuple[int, ...]] = {}
        self.final: dict[int, float] = {}

    def oov(self, text: str) -> float:
        """The charge for an out-of-vocabulary word, or an unfinished one no vocabulary word starts with:
        ``unk`` for up to :data:`OOV_CHARS` characters, in proportion to the length beyond."""
        return self.unk * max(1.0, len(text) / OOV_CHARS)

    def _word(self, history: History, word: str) -> tuple[History, float]:
        """The history after ``word`` and what ``word`` adds to the score."""
        history, logp, known = self.lm.score(history, word)  # type: ignore[union-attr]
        return history, self.alpha_ln10 * logp + self.beta + (0.0 if known else self.oov(word))

    def expand(self, node: int, unit: int) -> tuple[int, ...]:
        """Create the children of ``node`` by ``unit`` (one per speller continuation), scoring finished words.

        ``lm_bound`` is the LM score plus the most an extension can add to it. A word's score (its advance) is at
        most ``bonus``, an OOV word's at most ``bonus + unk + slack``. Growing a vocabulary word takes its advance
        back and pays the longer word's; ending it changes nothing and pays the next word's advance: at most
        ``bonus - advance`` or ``bonus``. Growing a misspelled word keeps its penalty; ending it trades the penalty
        for the OOV word's score and pays the next advance: at most ``2 * bonus + slack``. Growing any other
        prefix takes its lookahead back and pays at most one advance, ending it an OOV word and the next advance.
        """
        partial, history, _, advance = self.info[node]
        base = self.lm_score[node] - advance
        kids = []
        for child_partial, word in self.speller.step(partial, unit):
            score, child_history, child_advance = base, history, 0.0
            is_word = viable = False
            if self.lm is not None:
                if word is not None:
                    child_history, gain = self._word(history, word)
                    score += gain
                is_word, viable = self.speller.is_word(child_partial), self.speller.viable(child_partial)
                if is_word:
                    child_advance = self._word(child_history, child_partial)[1]  # type: ignore[arg-type]
                elif not viable:
                    child_advance = self.oov(child_partial)  # type: ignore[arg-type]
                elif child_partial in self.lookahead:
                    child_advance = self.alpha_ln10 * self.lookahead[child_partial] + self.beta
            kids.append(len(self.parent))
            self.parent.append(node)
            self.unit.append(unit)
            self.lm_score.append(score + child_advance)
            if is_word:
                room = self.bonus + max(-child_advance, 0.0)
            elif self.lm is not None and not viable:  # misspelled: growing only adds to its charge, ending pays it
                room = 2 * self.bonus - (child_advance if self.open_vocab else 0.0)
            else:
                room = max(self.bonus, 2 * self.bonus + self.unk + self.slack) - child_advance
            self.lm_bound.append(score + child_advance + room)
            self.info.append((child_partial, child_history, word, child_advance))
        out = self.kids[node * self.stride + unit] = tuple(kids)
        return out

    def final_lm(self, node: int) -> float:
        """The LM score of ``node`` if the utterance ends there: its last word and ``</s>`` scored (cached)."""
        score = self.final.get(node)
        if score is None:
            partial, history, _, advance = self.info[node]
            score = 0.0
            if self.lm is not None:
                score = self.lm_score[node] - advance
                last = self.speller.finish(partial)
                if last is not None:
                    history, gain = self._word(history, last)
                    score += gain
                score += self.alpha_ln10 * self.lm.score(history, EOS)[1]
            self.final[node] = score
        return score

    def hypothesis(self, node: int, ctc_logp: float) -> Hypothesis:
        """The finished hypothesis of ``node``: its units and words, read back up the tree."""
        tokens, words = [], []
        n = node
        while n > 0:
            tokens.append(self.unit[n])
            if self.info[n][2] is not None:
                words.append(self.info[n][2])
            n = self.parent[n]
        last = self.speller.finish(self.info[node][0])
        words = [*reversed(words), *([last] if last is not None else [])]
        lm_score = self.final_lm(node)
        return Hypothesis(tuple(reversed(tokens)), tuple(words), ctc_logp + lm_score, ctc_logp, lm_score)


class CtcBeamSearch:
    """Decode (T, V) CTC log-probabilities into n-best hypotheses (see the module docstring).

    A decoder keeps its caches for its lifetime: the LM's states and scores, and per ``(alpha, beta)`` the prefix
    tree, whose nodes (LM scores included) the next utterance reuses wherever it shares a prefix with earlier
    ones; a tree past ``MAX_TREE_NODES`` starts afresh. It pickles as its spec and options; a worker process
    rebuilds it once and keeps it for every utterance it gets.
    """

    def __init__(self, spec: DecoderSpec, options: SearchOptions | None = None) -> None:
        self.spec = spec
        self.options = options or SearchOptions()
        self.speller, self.lm = _build(spec)
        self.lookahead = self.speller.completions(self.lm.unigram) if self.lm is not None else {}
        self._trees: dict[tuple[float, float], _Tree] = {}

    def __reduce__(self) -> tuple[Callable[..., CtcBeamSearch], tuple[DecoderSpec, SearchOptions]]:
        return _rebuilt, (self.spec, self.options)

    def __call__(self, log_probs: np.ndarray, alpha: float | None = None, beta: float | None = None,
                 ) -> list[Hypothesis]:  # fmt: skip
        """Best ``options.nbest`` hypotheses, best first; ``alpha``/``beta`` override the options' weights."""
        o = self.options
        alpha = o.alpha if alpha is None else alpha
        beta = o.beta if beta is None else beta
        check_weights(alpha, beta)
        lp = np.asarray(log_probs)
        if lp.ndim != 2 or lp.shape[1] != len(self.spec.units) or lp.dtype.kind != "f":
            raise ValueError(f"log_probs must be float (T, {len(self.spec.units)}), got {lp.dtype} {lp.shape}")
        tree = self._trees.get((alpha, beta))
        if tree is None or len(tree.parent) > MAX_TREE_NODES:
            tree = self._trees[alpha, beta] = _Tree(self.speller, self.lm, self.lookahead, lp.shape[1], alpha,
                                                    beta, o.unk_score_offset)  # fmt: skip
        nodes, ctc = self._search(lp, tree)
        ranked = heapq.nlargest(o.nbest, zip(map(operator.add, ctc, map(tree.final_lm, nodes)), nodes, ctc))
        return [tree.hypothesis(n, c) for _, n, c in ranked]

    def _search(self, lp: np.ndarray, tree: _Tree) -> tuple[list[int], list[float]]:
        """Run the frames; return the final beam's nodes and CTC log-probabilities."""
        o = self.options
        n_frames = len(lp)
        blank = self.spec.blank
        # what each frame offers, whatever the beam, for all frames at once: the units it keeps, best first
        keep = lp >= o.token_min_logp
        keep_blank = keep[:, blank].copy()
        keep[:, blank] = False
        blank_only = ~keep.any(1)
        empty = np.flatnonzero(blank_only & ~keep_blank)
        if empty.size:  # no unit passes: the best one stays
            top = lp[empty].argmax(1)
            keep_blank[empty[top == blank]] = True
            keep[empty[top != blank], top[top != blank]] = True
            blank_only[empty[top != blank]] = False
        blank_lp = np.where(keep_blank, lp[:, blank], NEG).tolist()
        blank_cum = np.concatenate(([0.0], np.cumsum(lp[:, blank], dtype=np.float64))).tolist()
        flat = keep.ravel().nonzero()[0]  # far faster than a 2-D nonzero
        rows, cols = np.divmod(flat, lp.shape[1])
        vals = lp.ravel()[flat]
        order = np.lexsort((-vals, rows))
        starts = np.searchsorted(rows, np.arange(n_frames + 1)).tolist()
        units, unit_lps = cols[order].tolist(), vals[order].tolist()

        beam: _Beam = ([0], [0.0], [NEG], None)
        done = 0
        for t in [*np.flatnonzero(~blank_only).tolist(), n_frames]:
            if t > done:  # frames done..t-1 keep only blank: every prefix now ends in blank
                run = blank_cum[t] - blank_cum[done]
                p_b = [_lse(b, nb) + run for b, nb in zip(beam[1], beam[2])]
                beam = (beam[0], p_b, [NEG] * len(p_b), beam[3])
            if t == n_frames:
                break
            done = t + 1
            s, e = starts[t], starts[t + 1]
            beam = self._frame(tree, beam, units[s:e], unit_lps[s:e], blank_lp[t])
        return beam[0], [_lse(b, nb) for b, nb in zip(beam[1], beam[2])]

    def _frame(self, tree: _Tree, beam: _Beam, units: list[int], unit_lps: list[float], blank_lp: float) -> _Beam:
        """One frame: ``units`` (best first, blank apart) extend the beam's prefixes.

        Prefixes staying put and merges are scored for the whole beam. Extensions are visited best first by an
        upper bound (prefixes by their score, units by their log-prob) and the visit stops at the first bound
        below the beam's current worst score, so Python touches only extensions that can enter the beam. A live
        prefix has a finite blank- or unit-ending log-prob, which lets the logsumexps below skip -inf checks.
        """
        width, prune = self.options.beam, self.options.beam_prune
        lm_score, log1p, exp, add = tree.lm_score, math.log1p, math.exp, operator.add
        nodes, p_b, p_nb, derived = beam
        if derived is None:
            slot = dict(zip(nodes, range(len(nodes))))
            parents = list(map(tree.parent.__getitem__, nodes))
            derived = (list(map(tree.unit.__getitem__, nodes)), list(map(lm_score.__getitem__, nodes)),
                       list(map(tree.lm_bound.__getitem__, nodes)), slot, parents,
                       list(compress(range(len(nodes)), map(slot.__contains__, parents))))  # fmt: skip
        lasts, lms, lm_bounds, slot, parents, with_parent = derived
        lp_of = dict(zip(units, unit_lps))
        total = [b if nb == NEG else b + log1p(exp(nb - b)) if b > nb else nb + log1p(exp(b - nb))
                 for b, nb in zip(p_b, p_nb)]  # fmt: skip
        get = lp_of.get
        stay_nb = [nb + get(u, NEG) for nb, u in zip(p_nb, lasts)]
        if with_parent:  # a prefix whose parent is in the beam gets the parent's extension
            for k in with_parent:
                u = lasts[k]
                if u in lp_of:
                    i = slot[parents[k]]
                    stay_nb[k] = _lse(stay_nb[k], (p_b[i] if u == lasts[i] else total[i]) + lp_of[u])
        if blank_lp == NEG:
            stay_b = [NEG] * len(nodes)
            score = list(map(add, stay_nb, lms))
        else:  # stay_b is finite
            stay_b = [x + blank_lp for x in total]
            score = [(b if nb == NEG else b + log1p(exp(nb - b)) if b > nb else nb + log1p(exp(b - nb))) + lm
                     for b, nb, lm in zip(stay_b, stay_nb, lms)]  # fmt: skip
        ranked = sorted(score)
        floor = ranked[-1] - prune
        limit = max(floor, ranked[-width]) if len(ranked) >= width else floor
        reach = limit - unit_lps[0]  # prefixes whose total + LM bound is below this cannot extend
        bounds = list(map(add, total, lm_bounds))
        new: list[tuple[float, int, float, float]] = []
        if max(bounds) > reach:
            ext_from = [i for i, x in enumerate(bounds) if x > reach]
            heap = ranked[-width:]
            kids, expand, stride = tree.kids, tree.expand, tree.stride
            for i in sorted(ext_from, key=bounds.__getitem__, reverse=True):
                bound = bounds[i]
                if bound + unit_lps[0] <= limit:
                    break
                n, tot, b, last = nodes[i], total[i], p_b[i], lasts[i]
                for u, v in zip(units, unit_lps):
                    if bound + v <= limit:
                        break
                    ext = (b if u == last else tot) + v  # repeating the last unit needs a blank in between
                    children = kids.get(n * stride + u)
                    if children is None:
                        children = expand(n, u)
                    for c in children:
                        s = ext + lm_score[c]
                        if s <= limit or c in slot:
                            continue
                        new.append((s, c, NEG, ext))
                        if s - prune > floor:
                            floor = s - prune
                            limit = max(limit, floor)
                        if len(heap) < width:
                            heapq.heappush(heap, s)
                        else:
                            heapq.heappushpop(heap, s)
                        if len(heap) == width and heap[0] > limit:
                            limit = heap[0]
        worst = ranked[0]
        if not new and worst >= floor and worst > NEG:  # the common case: the beam is unchanged
            return nodes, stay_b, stay_nb, derived
        kept = [x for x in zip(score, nodes, stay_b, stay_nb) if x[0] >= floor and x[0] > NEG]
        kept += [x for x in new if x[0] >= floor]
        if len(kept) > width:
            kept.sort(reverse=True)
            del kept[width:]
        _, nodes, stay_b, stay_nb = map(list, zip(*kept))
        return nodes, stay_b, stay_nb, None


@functools.lru_cache(maxsize=4)
def _rebuilt(spec: DecoderSpec, options: SearchOptions) -> CtcBeamSearch:
    """The decoder a worker process unpickles: built once per process, caches kept across utterances."""
    return CtcBeamSearch(spec, options)


def _decode_item(item: tuple[CtcBeamSearch, np.ndarray, tuple[tuple[float, float], ...]]) -> list[list[Hypothesis]]:
    search, log_probs, weights = item
    return [search(log_probs, alpha, beta) for alpha, beta in weights]


def decode_grid(search: CtcBeamSearch, log_probs: Sequence[np.ndarray], weights: Sequence[tuple[float, float]],
                nj: int = 1, description: str = "beam search") -> list[list[list[Hypothesis]]]:  # fmt: skip
    """Decode every utterance once per ``(alpha, beta)`` of ``weights`` on ``nj`` processes.

    Returns ``[weight][utterance] -> n-best``. One pass over the utterances serves the whole grid, so a worker
    loads the LM once and its state cache serves every weight.
    """
    for alpha, beta in weights:
        check_weights(alpha, beta)
    grid = tuple((float(a), float(b)) for a, b in weights)
    per_utt = parallel_map(_decode_item, [(search, lp, grid) for lp in log_probs], nj, description)
    return [[utt[k] for utt in per_utt] for k in range(len(grid))]


def decode_many(search: CtcBeamSearch, log_probs: Sequence[np.ndarray], nj: int = 1,
                description: str = "beam search") -> list[list[Hypothesis]]:  # fmt: skip
    """n-best lists of every utterance with the search's own weights, on ``nj`` processes."""
    o = search.options
    return decode_grid(search, log_probs, [(o.alpha, o.beta)], nj, description)[0]
