"""How CTC units spell words, one unit at a time: the word-boundary rules LM fusion needs.

A speller walks a unit sequence and says where words end, so a beam search can score each finished word with a
word-level LM. Its state after some units is a *partial*: the unfinished word so far (a string for character and
sentencepiece units, a lexicon-trie node for phones). ``step(partial, unit)`` lists the ways to continue as
``(partial', word)`` pairs, ``word`` being the word this unit finished (or None): one way for characters and
pieces, none or several for phones (a phone may end a word, or several homophones, and also continue a longer
one). The beam search runs compiled, so a speller also gives itself as arrays (:meth:`Speller.tables`): a trie of
its vocabulary, which tells the search whether an unfinished word can still become a vocabulary word (else it is
charged as misspelled early, not when it ends) or already is one (then the LM scores it before the next word
starts), and what the best word it can become scores (:meth:`Speller.completions`, a lookahead). ``step`` and
``finish`` spell the final hypotheses out.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from speechkit.errors import SpeechkitError

UNFINISHED = "<unk>"  # the word a phone sequence that stops inside a lexicon word stands for
Step = tuple[tuple[Hashable, "str | None"], ...]
APPEND, END, START = 0, 1, 2  # what a unit does to the unfinished word: grow it, end it, end it and start another


@dataclass
class SpellTables:
    """A speller as arrays, for the compiled search (:mod:`speechkit.decode.search_core`).

    Nodes are a trie over ``n_symbols`` symbols (characters of the vocabulary, or phones); node 0 is the empty
    unfinished word. Unit ``u`` does ``op[u]`` with the symbols ``symbols[start[u]:start[u + 1]]`` (-1: a character
    no vocabulary word has). ``edges``: ``node * n_symbols + symbol -> child``. ``word_at[node]``: the word spelled
    there (text units; -1: none). For a lexicon, ``ends[ends_start[n]:ends_start[n + 1]]`` are the words whose
    pronunciation ends at node ``n`` and ``has_children[n]`` says whether one goes on. ``lookahead[node]``: the best
    unigram log10 of the words the node can still become, NaN where :meth:`Speller.completions` gives none.
    ``closed``: whether a text that leaves the trie is misspelled (text units with a vocabulary). ``words``: word
    ids to text, ``word_len`` their lengths.
    """

    lexicon: bool
    closed: bool
    op: np.ndarray
    symbols: np.ndarray
    start: np.ndarray
    n_symbols: int
    edges: dict[int, int]
    word_at: np.ndarray
    ends: np.ndarray
    ends_start: np.ndarray
    has_children: np.ndarray
    lookahead: np.ndarray
    words: tuple[str, ...]
    word_len: np.ndarray


class Speller(ABC):
    """Word boundaries and spelling of a unit inventory (unit ids index ``units``; see the module docstring)."""

    initial: Hashable = ""

    @abstractmethod
    def step(self, partial: Hashable, unit: int) -> Step:
        """The ways to continue after ``unit``: ``(partial', finished word or None)`` pairs."""

    @abstractmethod
    def finish(self, partial: Hashable) -> str | None:
        """The word an utterance ending on ``partial`` ends with (None if no word is open)."""

    def completions(self, score: Callable[[str], float]) -> dict[Hashable, float]:
        """For each unfinished word that is not yet a word, the best ``score`` among the vocabulary words it can
        still grow into: what a search can charge it in advance (empty without a vocabulary)."""
        return {}

    @abstractmethod
    def tables(self, unigram: Callable[[str], float] | None) -> SpellTables:
        """This speller as arrays, with lookaheads from ``unigram`` (None: no LM, no lookahead)."""


class _TextSpeller(Speller):
    """Shared by character and piece units: the partial is the unfinished word's text."""

    def __init__(self, units: Sequence[str], vocabulary: Iterable[str] | None) -> None:
        self.units = tuple(units)
        self._words = None if vocabulary is None else frozenset(vocabulary)

    def finish(self, partial: Hashable) -> str | None:
        return partial or None  # type: ignore[return-value]

    def _unit_ops(self) -> list[tuple[int, str]]:
        """Per unit, what it does and the text it adds."""
        raise NotImplementedError

    def tables(self, unigram: Callable[[str], float] | None) -> SpellTables:
        words = tuple(sorted(self._words or ()))
        alphabet = {c: i for i, c in enumerate(sorted({c for w in words for c in w}))}
        node_of = {"": 0}
        edges: dict[int, int] = {}
        for word in words:
            for i in range(1, len(word) + 1):
                if word[:i] not in node_of:
                    node_of[word[:i]] = len(node_of)
                    edges[node_of[word[: i - 1]] * len(alphabet) + alphabet[word[i - 1]]] = node_of[word[:i]]
        word_at = np.full(len(node_of), -1, np.int64)
        word_at[[node_of[w] for w in words]] = np.arange(len(words))
        lookahead = np.full(len(node_of), np.nan)
        for prefix, best in (self.completions(unigram) if unigram else {}).items():
            lookahead[node_of[prefix]] = best  # type: ignore[index]
        ops = self._unit_ops()
        symbols = [[alphabet.get(c, -1) for c in text] for _, text in ops]
        return SpellTables(
            lexicon=False, closed=self._words is not None, op=np.array([op for op, _ in ops], np.int64),
            symbols=np.array([c for syms in symbols for c in syms], np.int64),
            start=np.cumsum([0] + [len(syms) for syms in symbols]).astype(np.int64), n_symbols=max(1, len(alphabet)),
            edges=edges, word_at=word_at, ends=np.zeros(0, np.int64), ends_start=np.zeros(1, np.int64),
            has_children=np.zeros(0, np.bool_), lookahead=lookahead, words=words,
            word_len=np.array([len(w) for w in words], np.int64))

    def completions(self, score: Callable[[str], float]) -> dict[Hashable, float]:
        best: dict[Hashable, float] = {}
        for word in self._words or ():
            s = score(word)
            for i in range(1, len(word)):
                if best.get(word[:i], -math.inf) < s:
                    best[word[:i]] = s
        return best


class CharSpeller(_TextSpeller):
    """Character units; the ``delimiter`` unit (``|`` as in wav2vec 2.0, or a space) ends a word.

    Example::

        sp = CharSpeller(["<blank>", "|", "a", "b"], vocabulary=["ab"])
        sp.step("ab", 1)  # (('', 'ab'),)
    """

    def __init__(self, units: Sequence[str], vocabulary: Iterable[str] | None = None, delimiter: str = "|") -> None:
        super().__init__(units, vocabulary)
        if delimiter not in self.units:
            raise SpeechkitError(None, f"the word delimiter {delimiter!r} is not one of the character units")
        self._delimiter = self.units.index(delimiter)

    def step(self, partial: Hashable, unit: int) -> Step:
        if unit == self._delimiter:
            return (("", partial or None),)
        return ((partial + self.units[unit], None),)  # type: ignore[operator]

    def _unit_ops(self) -> list[tuple[int, str]]:
        return [(END, "") if u == self._delimiter else (APPEND, text) for u, text in enumerate(self.units)]


class PieceSpeller(_TextSpeller):
    """Sentencepiece units: a piece starting with ``▁`` starts a new word and so finishes the previous one.

    Example::

        sp = PieceSpeller(["<blank>", "▁turn", "▁o", "n"])
        sp.step("o", 1)  # (('turn', 'on'),)
    """

    def step(self, partial: Hashable, unit: int) -> Step:
        piece = self.units[unit]
        if piece.startswith("▁"):
            return ((piece[1:], partial or None),)
        return ((partial + piece, None),)  # type: ignore[operator]

    def _unit_ops(self) -> list[tuple[int, str]]:
        return [(START, piece[1:]) if piece.startswith("▁") else (APPEND, piece) for piece in self.units]


class LexiconSpeller(Speller):
    """Phone units spelled into words through a lexicon (word -> pronunciations); the partial is a trie node.

    Phone sequences outside the lexicon have no continuation, so the search drops them.

    Example::

        sp = LexiconSpeller(["<blank>", "B", "IY"], {"be": [["B", "IY"]], "bee": [["B", "IY"]]})
        sp.step(sp.step(0, 1)[0][0], 2)  # ((0, 'be'), (0, 'bee'))
    """

    initial: Hashable = 0

    def __init__(self, units: Sequence[str], lexicon: Mapping[str, Sequence[Sequence[str]]]) -> None:
        self.units = tuple(units)
        ids = {u: i for i, u in enumerate(self.units)}
        self._next: dict[tuple[int, int], int] = {}
        self._words: dict[int, list[str]] = {}
        self._inside: dict[str, set[int]] = {}  # per word, the nodes its pronunciations pass through, root aside
        has_children: set[int] = set()
        for word, prons in lexicon.items():
            for pron in prons:
                missing = [p for p in pron if p not in ids]
                if missing:
                    raise SpeechkitError(None, f"lexicon word {word!r} uses phone {missing[0]!r}, not a model unit")
                node = 0
                for p in pron:
                    if node:
                        self._inside.setdefault(word, set()).add(node)
                    has_children.add(node)
                    node = self._next.setdefault((node, ids[p]), len(self._next) + 1)
                if word not in self._words.setdefault(node, []):
                    self._words[node].append(word)
        self._has_children = has_children

    def step(self, partial: Hashable, unit: int) -> Step:
        node = self._next.get((partial, unit))  # type: ignore[arg-type]
        if node is None:
            return ()
        cont = ((node, None),) if node in self._has_children else ()
        return cont + tuple((0, w) for w in self._words.get(node, ()))

    def finish(self, partial: Hashable) -> str | None:
        return None if partial == 0 else UNFINISHED

    def tables(self, unigram: Callable[[str], float] | None) -> SpellTables:
        words = tuple(sorted({w for ws in self._words.values() for w in ws}))
        ids = {w: i for i, w in enumerate(words)}
        n_nodes = len(self._next) + 1
        ends = [[ids[w] for w in self._words.get(n, ())] for n in range(n_nodes)]
        lookahead = np.full(n_nodes, np.nan)
        for node, best in (self.completions(unigram) if unigram else {}).items():
            lookahead[node] = best  # type: ignore[index]
        n_units = len(self.units)
        return SpellTables(
            lexicon=True, closed=False, op=np.full(n_units, APPEND, np.int64), symbols=np.arange(n_units),
            start=np.arange(n_units + 1), n_symbols=n_units,
            edges={node * n_units + unit: child for (node, unit), child in self._next.items()},
            word_at=np.full(n_nodes, -1, np.int64), ends=np.array([w for e in ends for w in e], np.int64),
            ends_start=np.cumsum([0] + [len(e) for e in ends]).astype(np.int64),
            has_children=np.isin(np.arange(n_nodes), list(self._has_children)), lookahead=lookahead, words=words,
            word_len=np.array([len(w) for w in words], np.int64))

    def completions(self, score: Callable[[str], float]) -> dict[Hashable, float]:
        best: dict[Hashable, float] = {}
        for word, nodes in self._inside.items():
            s = score(word)
            for node in nodes:
                if best.get(node, -math.inf) < s:
                    best[node] = s
        return best
