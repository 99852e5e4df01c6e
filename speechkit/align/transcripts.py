"""What each utterance should say, as graph slots: words through the lexicon, or a given phone sequence.

The model scores stress-less phones (stress changes a vowel's length and pitch, not its identity, and splitting
each vowel three ways would thin its data), while the phones tier keeps the lexicon's stressed labels, as MFA's
``english_us_arpa`` does. A word's pronunciations that differ only in stress are one alternative (the first,
in lexicon order). A word the lexicon and G2P cannot pronounce becomes ``spn``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from speechkit.align.graph import SPN_PHONE, Slot, Token, phones_slots, words_slots
from speechkit.data.table import read_table
from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import SIL, SPN, Lexicon


class PhoneIndex:
    """Stressed ARPAbet labels to the model's acoustic phone indices (stress digits stripped)."""

    def __init__(self, phones: Sequence[str]) -> None:
        self.index = {p: i for i, p in enumerate(phones)}
        self.sil = self.index[SIL]

    def __getitem__(self, label: str) -> int:
        return self.index[label.rstrip("012")]

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and label.rstrip("012") in self.index


def word_alternatives(word: str, index: int, lexicon: Lexicon, phones: PhoneIndex) -> list[tuple[Token, ...]]:
    """The pronunciations of word number ``index`` as token sequences; ``[(spn,)]`` when it has none."""
    try:
        prons = lexicon.lookup(word, stress=True)
    except SpeechkitError:
        return [(Token(SPN, SPN_PHONE, index),)]
    alternatives: dict[tuple[int, ...], tuple[Token, ...]] = {}
    for pron in prons:
        unknown = [p for p in pron if p not in phones]
        if unknown:
            raise SpeechkitError(None, f"word {word!r}: phone {unknown[0]!r} of its pronunciation "
                                       f"{' '.join(pron)!r} is not one the aligner models")
        tokens = tuple(Token(p, phones[p], index) for p in pron)
        alternatives.setdefault(tuple(t.phone for t in tokens), tokens)
    return list(alternatives.values())


def text_slots(text: str, lexicon: Lexicon, phones: PhoneIndex) -> list[Slot]:
    """Slots for a transcript: its words with optional silence before, between and after them."""
    words = text.split()
    return words_slots([word_alternatives(w, i, lexicon, phones) for i, w in enumerate(words)], phones.sil)


def read_phone_sequences(path: str | Path, phones: PhoneIndex) -> dict[str, list[Token]]:
    """``utt p1 p2 ...`` lines (``sil`` for a silence) as tokens; an unknown phone names its line's utterance."""
    table = read_table(path)
    out = {}
    for utt, value in table.items():
        tokens = []
        for label in value.split():
            if label == SIL:
                tokens.append(Token(SIL, phones.sil, -1))
            elif label in phones:
                tokens.append(Token(label, phones[label], -1))
            else:
                raise SpeechkitError(path, f"utterance {utt!r}: phone {label!r} is not one the aligner models")
        if all(t.label == SIL for t in tokens):
            raise SpeechkitError(path, f"utterance {utt!r}: no phone besides sil")
        out[utt] = tokens
    return out


def sequence_slots(tokens: Sequence[Token], phones: PhoneIndex) -> list[Slot]:
    """Slots for a given phone sequence (silence where it says ``sil``, optional at its edges)."""
    return phones_slots(tokens, phones.sil)
