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

Merged hypotheses: two hypotheses with the same LM history (the n-gram state the LM carries on), the same
unfinished word (its trie node; off the trie, its length, when the vocabulary is closed and every such word scores
alike) and the same last unit have the same future: each extension adds the same to both. With ``merge_states``
(the default) only the better one stays in the beam, as flashlight's decoder keeps one hypothesis per state. Its
score stays exactly its own; the other is lost to the n-best list. Why: the variants of one sentence that differ in
words the LM no longer sees took the places a narrow beam needs for other paths. On very noisy character emissions
of FSC commands (200 sentences, 80-word 3-gram) WER went from 25.4 / 8.4 / 1.9 % to 19.1 / 2.7 / 0.3 % at beams
8 / 32 / 128 (flashlight: 18.3 / 4.6 / 0.8).

Why by length: charged once whatever its length, one OOV word could swallow any run of frames for the price of a
short one, and on a weak character model the search glued real words into long OOV strings (WER 50 % where
pyctcdecode, whose partial-word charge grows with length beyond 6 characters, scored 30 %; 25 % with this rule:
``tests/decode/test_oov_garbage.py``). Unlike pyctcdecode, a finished OOV word keeps its length charge, so ending
a garbage string never makes it cheaper.

Why it is fast:

- The frame loop is compiled (numba, :mod:`speechkit.decode.search_core`): the prefix tree, the speller (as a trie,
  :class:`~speechkit.decode.spellers.SpellTables`) and an ARPA model (:mod:`speechkit.lm.ngram_arrays`, which
  scores as KenLM does) are arrays it reads directly. Only a KenLM binary model, which nothing but KenLM reads,
  makes it stop and ask Python for the scores it lacks (cached, so each is asked once).
- What a frame offers (the units above ``token_min_logp``, best first) is worked out for all frames at once
  (compiled too: as numpy calls it cost some 150 us an utterance, mostly a lexsort); frames where only blank passes (most frames of a peaky model) cannot change a prefix, so a run of them is
  one update. With pruning off there are no such frames and the search is exact.
- Extensions are visited best first by an upper bound of their score and the visit stops when the bound falls
  below the beam's current worst score: the beam is the one scoring every extension would give. A child becomes a
  tree node (kept across frames and utterances) only when it can enter the beam.

On 100 sentences of synthetic character emissions (``bench/decode.py``, beam 32, one thread) the Python loop this
replaced took 4.6, 125 and 174 ms per utterance in the confident, weak and very noisy regimes; this one takes 0.19,
5.7 and 8.8, flashlight's C++ decoder 2.6, 5.6 and 7.0 in the same run.

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
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from speechkit.decode import search_core
from speechkit.decode.lm_scorer import BOS, EOS, History, LmScorer
from speechkit.decode.search_core import NEG, Nodes
from speechkit.decode.spellers import UNFINISHED, CharSpeller, LexiconSpeller, PieceSpeller, Speller, SpellTables
from speechkit.errors import SpeechkitError
from speechkit.lm.arpa import UNK
from speechkit.lm.ngram_arrays import NgramArrays
from speechkit.utils import hash_table
from speechkit.utils.parallel import parallel_map

ALPHA_MAX = 10.0  # alpha in [0, ALPHA_MAX]: the LM weight; beyond 10 the acoustic model hardly counts
BETA_MAX = 20.0  # |beta| <= BETA_MAX: a per-word bonus larger than that swamps any log-probability
SPELLINGS = ("char", "piece", "lexicon")
LN10 = math.log(10.0)
MAX_TREE_NODES = 500_000  # a prefix tree this large (some 100 MB) starts afresh
OOV_WORD = "<speechkit-oov>"  # what KenLM is asked to score for a word outside the vocabulary: it knows none


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
    ``token_min_logp``: skip units (blank too) whose frame log-probability is below this (the frame's best unit is
    always kept). ``unk_score_offset``: added per OOV word (see the module
    docstring). ``nbest``: hypotheses returned.
    ``merge_states``: with an LM, of the hypotheses that share LM history, speller state and last unit keep only
    the best (as flashlight's decoder does): they have the same future, so the others would only take places in
    the beam. The survivors' scores stay exact; the n-best list loses the merged ones.
    """

    beam: int = 16
    beam_prune: float = 10.0
    token_min_logp: float = -5.0
    alpha: float = 0.5
    beta: float = 1.0
    unk_score_offset: float = -10.0
    nbest: int = 1
    merge_states: bool = True

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
    """The prefix tree a decoder searches with one ``(alpha, beta)``, as the arrays the compiled loop
    (:mod:`speechkit.decode.search_core`) grows: per node its parent, last unit, LM score, LM bound, speller state
    (trie node and length of its unfinished word), word history, the word its unit finished, and ``advance``.

    A node's LM score counts its finished words and, in advance, its unfinished one: the word's own score when it
    already is a vocabulary word (so "turn the" pays for "the" before the next word starts; growing into a longer
    word takes that back), ``unk`` when no vocabulary word starts with it, else its lookahead (``beta`` and the
    best unigram score of the words it can become). ``advance`` is that part of the LM score. ``lm_bound`` is the
    LM score plus the most any extension can add to it. A word's score (its advance) is at most ``bonus``, an OOV
    word's at most ``bonus + unk + slack``. Growing a vocabulary word takes its advance back and pays the longer
    word's; ending it changes nothing and pays the next word's advance: at most ``bonus - advance`` or ``bonus``.
    Growing a misspelled word keeps its penalty; ending it trades the penalty for the OOV word's score and pays
    the next advance: at most ``2 * bonus + slack``. Growing any other prefix takes its lookahead back and pays at
    most one advance, ending it an OOV word and the next advance.

    The LM scores the loop reads come from :meth:`serve`, which asks :class:`LmScorer` (KenLM) what the loop asked
    for; histories are numbered in the order they first appear.
    """

    def __init__(self, speller: Speller, tables: SpellTables, lm: LmScorer | None, ngrams: NgramArrays | None,
                 n_units: int, alpha: float, beta: float, options: SearchOptions) -> None:  # fmt: skip
        self.speller, self.spell, self.lm = speller, tables, lm
        self.max_options = 1 + int(np.diff(tables.ends_start).max(initial=0))  # children of one extension
        unk = options.unk_score_offset
        bonus = max(beta, 0.0) if lm is not None else 0.0  # the most a word can add to a score
        # a word outside the vocabulary is an OOV unless the vocabulary misses some of the LM's words (a binary LM)
        open_vocab = lm is not None and lm.vocabulary is None
        slack = -unk if open_vocab else 0.0
        self.params = np.array([alpha * LN10, beta, unk, bonus, slack, options.beam_prune])
        self.flags = np.array([lm is not None, open_vocab, tables.closed, tables.lexicon, ngrams is not None,
                               options.merge_states])
        self.sp = (tables.op, tables.symbols, tables.start, tables.n_symbols, *hash_table.from_items(tables.edges),
                   tables.word_at, tables.ends, tables.ends_start, tables.has_children, tables.lookahead,
                   tables.word_len)  # fmt: skip
        self.stride = n_units + 1  # child key: node * stride + unit
        self.n_words = len(tables.words)
        self.nodes = Nodes.empty(1 << 14)
        self.nodes.unit[0], self.nodes.lm_bound[0] = n_units, max(bonus, 2 * bonus + unk + slack)
        self.nodes.history[0] = ngrams.bos if ngrams is not None else 0
        self.counts = np.array([1, 0, 0, 0], np.int64)  # nodes, pending LM requests, frames run, kids entries
        self.kids = hash_table.empty()
        self.requests = np.empty((1024, 2), np.int64)
        self.histories: list[History] = [BOS]
        self.history_id = {BOS: 0}
        self.lm_stride = self.n_words + 3 + 2**31
        self.lm_table = hash_table.empty()
        self.lm_rows = (np.empty(0, np.int64), np.empty(0), np.empty(0, np.bool_))
        self.native = _native_lm(ngrams, tables.words)

    @property
    def size(self) -> int:
        """The number of nodes."""
        return int(self.counts[0])

    def lm_cache(self) -> tuple:
        """What the loop reads LM scores from."""
        return (*self.native, *self.lm_table, self.lm_stride, *self.lm_rows)

    def grow(self) -> None:
        """More room for nodes and child links."""
        if self.size + self.max_options > len(self.nodes.parent):
            self.nodes = self.nodes.grown()
        self.kids = hash_table.grown(*self.kids, int(self.counts[3]) + 1024)

    def serve(self) -> None:
        """Score what the loop asked for and put it where the loop reads it."""
        asked = dict.fromkeys(map(tuple, self.requests[: self.counts[1]].tolist()))
        self.counts[1] = 0
        rows: list[list] = [[], [], []]
        keys = []
        first = len(self.lm_rows[0])
        for history, code in asked:
            new, logp, known = self.lm.score(self.histories[history], self._word(code))  # type: ignore[union-attr]
            if new not in self.history_id:
                self.history_id[new] = len(self.histories)
                self.histories.append(new)
            keys.append(history * self.lm_stride + code)
            for row, x in zip(rows, (self.history_id[new], logp, known)):
                row.append(x)
        self.lm_rows = tuple(np.concatenate((a, np.array(r, a.dtype))) for a, r in zip(self.lm_rows, rows))
        self.lm_table = hash_table.grown(*self.lm_table, len(self.lm_rows[0]))
        hash_table.insert_all(*self.lm_table, np.array(keys, np.int64), np.arange(first, len(self.lm_rows[0])))

    def _word(self, code: int) -> str:
        """The text of a word code (see :mod:`speechkit.decode.search_core`)."""
        if code < self.n_words:
            return self.spell.words[code]
        if code == self.n_words:
            return OOV_WORD
        if code == self.n_words + 1:
            return EOS
        if code == self.n_words + 2:
            return UNFINISHED
        return self.speller.finish(self._replay(code - self.n_words - 3)[1]) or ""

    def _path(self, node: int) -> list[int]:
        """The nodes from the root's first child down to ``node``."""
        parent = self.nodes.parent
        path = []
        while node > 0:
            path.append(node)
            node = int(parent[node])
        return path[::-1]

    def _replay(self, node: int) -> tuple[list[str], Hashable]:
        """The finished words and the unfinished word of ``node`` (text units: spelled again along its path)."""
        words, partial = [], self.speller.initial
        for n in self._path(node):
            (partial, word), = self.speller.step(partial, int(self.nodes.unit[n]))
            if word is not None:
                words.append(word)
        return words, partial

    def finals(self, nodes: np.ndarray) -> np.ndarray:
        """The LM score of each of ``nodes`` if the utterance ends there: its last word and ``</s>`` scored."""
        while True:
            out, ok = search_core.finals(self.nodes, self.counts, nodes, self.sp, self.params, self.flags,
                                         self.lm_cache(), self.requests)  # fmt: skip
            if ok:
                return out
            self.serve()

    def hypothesis(self, node: int, ctc_logp: float, lm_score: float) -> Hypothesis:
        """The finished hypothesis of ``node``: its units and words, read back up the tree."""
        path = self._path(node)
        tokens = tuple(int(self.nodes.unit[n]) for n in path)
        if self.spell.lexicon:
            codes = (int(self.nodes.word[n]) for n in path)
            words = [self.spell.words[c] for c in codes if c >= 0]
            last = UNFINISHED if self.nodes.trie[node] != 0 else None
        else:
            words, partial = self._replay(node)
            last = self.speller.finish(partial)
        words += [last] if last is not None else []
        return Hypothesis(tokens, tuple(words), ctc_logp + lm_score, ctc_logp, lm_score)


def _native_lm(ngrams: NgramArrays | None, words: Sequence[str]) -> tuple:
    """The ARPA model's arrays and, per word code, its word id and whether the model knows it (dummies without)."""
    if ngrams is None:
        return (*hash_table.empty(2), np.zeros(1), np.zeros(1), np.zeros(1, np.int64), np.zeros(1, np.bool_), 1,
                np.zeros(1, np.int64), np.zeros(1, np.bool_))  # fmt: skip
    unk = ngrams.ids[UNK]
    code_word = [ngrams.ids.get(w, unk) for w in words] + [unk, ngrams.ids[EOS], unk]
    known = [w in ngrams.ids for w in words] + [False, True, False]
    return (*ngrams.arrays(), np.array(code_word, np.int64), np.array(known, np.bool_))


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
        self.tables = self.speller.tables(self.lm.unigram if self.lm is not None else None)
        # an ARPA model is scored inside the compiled loop; a binary one, which only KenLM reads, from its answers
        arpa = self.lm is not None and self.lm.vocabulary is not None
        self.ngrams = NgramArrays.from_arpa(spec.lm) if arpa else None  # type: ignore[arg-type]
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
        if tree is None or tree.size > MAX_TREE_NODES:
            tree = self._trees[alpha, beta] = _Tree(self.speller, self.tables, self.lm, self.ngrams, lp.shape[1],
                                                    alpha, beta, o)  # fmt: skip
        nodes, ctc = self._search(lp.astype(np.float64), tree)
        lm = tree.finals(nodes)
        ranked = heapq.nlargest(o.nbest, zip((ctc + lm).tolist(), nodes.tolist(), ctc.tolist(), lm.tolist()))
        return [tree.hypothesis(n, c, f) for _, n, c, f in ranked]

    def _search(self, lp: np.ndarray, tree: _Tree) -> tuple[np.ndarray, np.ndarray]:
        """Run the frames; return the final beam's nodes and CTC log-probabilities."""
        o = self.options
        blank = self.spec.blank
        keep, starts, f_units, f_lps, blank_lp, blank_cum, frames = search_core.frame_table(lp, o.token_min_logp,
                                                                                              blank)  # fmt: skip
        width = o.beam
        beam = (np.zeros(width, np.int64), np.zeros(width), np.full(width, NEG), np.ones(1, np.int64))
        pos = np.zeros(2, np.int64)
        while True:
            status = search_core.run(tree.nodes, tree.counts, *tree.kids, tree.stride, beam, pos, frames, lp,
                                     keep, starts, f_units, f_lps, blank_lp, blank_cum, width, tree.sp,
                                     tree.params, tree.flags, tree.lm_cache(), tree.requests,
                                     tree.max_options)  # fmt: skip
            if status == search_core.DONE:
                break
            if status == search_core.NEED_LM:
                tree.serve()
            else:
                tree.grow()
        n = int(beam[3][0])
        if n == 0:  # nothing survived: the empty hypothesis, impossible
            return np.zeros(1, np.int64), np.full(1, NEG)
        return beam[0][:n].copy(), np.logaddexp(beam[1][:n], beam[2][:n])


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
