"""How CTC units spell words, one unit at a time: the word-boundary rules LM fusion needs.

A speller walks a unit sequence and says where words end, so a beam search can score each finished word with a
word-level LM. Its state after some units is a *partial*: the unfinished word so far (a string for character and
sentencepiece units, a lexicon-trie node for phones). ``step(partial, unit)`` lists the ways to continue as
``(partial', word)`` pairs, ``word`` being the word this unit finished (or None): one way for characters and
pieces, none or several for phones (a phone may end a word, or several homophones, and also continue a longer
one). ``viable(partial)`` says whether the unfinished word can still become a vocabulary word, so the search can
penalize misspellings early instead of when the word ends, and ``is_word(partial)`` whether it already is one, so
the search can score the word with the LM before the next word starts.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence

from speechkit.errors import SpeechkitError

UNFINISHED = "<unk>"  # the word a phone sequence that stops inside a lexicon word stands for
Step = tuple[tuple[Hashable, "str | None"], ...]


def word_prefixes(words: Iterable[str]) -> frozenset[str]:
    """Every prefix of every word (the empty one too): the node set of the vocabulary's character trie.

    A set of prefix strings answers "is this a prefix of a vocabulary word?" with one hash lookup, which is all
    the search asks of the trie.
    """
    return frozenset(w[:i] for w in words for i in range(len(w) + 1)) | {""}


class Speller(ABC):
    """Word boundaries and spelling of a unit inventory (unit ids index ``units``; see the module docstring)."""

    initial: Hashable = ""

    @abstractmethod
    def step(self, partial: Hashable, unit: int) -> Step:
        """The ways to continue after ``unit``: ``(partial', finished word or None)`` pairs."""

    @abstractmethod
    def finish(self, partial: Hashable) -> str | None:
        """The word an utterance ending on ``partial`` ends with (None if no word is open)."""

    def viable(self, partial: Hashable) -> bool:
        """Whether ``partial`` can still grow into a vocabulary word."""
        return True

    def is_word(self, partial: Hashable) -> bool:
        """Whether ``partial`` is already a whole vocabulary word (it may still grow into a longer one)."""
        return False

    def completions(self, score: Callable[[str], float]) -> dict[Hashable, float]:
        """For each unfinished word that is not yet a word, the best ``score`` among the vocabulary words it can
        still grow into: what a search can charge it in advance (empty without a vocabulary)."""
        return {}


class _TextSpeller(Speller):
    """Shared by character and piece units: the partial is the unfinished word's text."""

    def __init__(self, units: Sequence[str], vocabulary: Iterable[str] | None) -> None:
        self.units = tuple(units)
        self._words = None if vocabulary is None else frozenset(vocabulary)
        self._prefixes = None if self._words is None else word_prefixes(self._words)

    def finish(self, partial: Hashable) -> str | None:
        return partial or None  # type: ignore[return-value]

    def viable(self, partial: Hashable) -> bool:
        return self._prefixes is None or partial in self._prefixes

    def is_word(self, partial: Hashable) -> bool:
        return self._words is not None and partial in self._words

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

    def completions(self, score: Callable[[str], float]) -> dict[Hashable, float]:
        best: dict[Hashable, float] = {}
        for word, nodes in self._inside.items():
            s = score(word)
            for node in nodes:
                if best.get(node, -math.inf) < s:
                    best[node] = s
        return best
