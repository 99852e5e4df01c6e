"""Grapheme-to-phoneme fallback: eSpeak NG's en-us reading of a word, written in CMUdict's ARPAbet.

CMUdict has 126k words; the names and coinages it lacks get eSpeak's letter-to-sound rules, mapped with the same
table that labels the mini corpora (:mod:`speechkit.lang.arpabet`), so a guessed pronunciation is what the mini
corpora's voices actually say.
"""

from __future__ import annotations

from speechkit.errors import SpeechkitError
from speechkit.lang.arpabet import is_silence, to_arpabet
from speechkit.lang.espeak import Voice, engine

VOICE = Voice("en-us")


def g2p(word: str) -> list[str]:
    """ARPAbet phones with stress digits for one lowercase ``word``, as eSpeak NG reads it.

    Example: ``g2p("blorpington")`` -> ``['B', 'L', 'AO1', 'R', 'P', 'IH0', 'NG', 'T', 'AH0', 'N']``.

    Raises :class:`SpeechkitError` naming the word when it holds a digit (how a number is read depends on context,
    "1984" as a year or a count, so transcripts must spell numbers out) or when eSpeak gives a phoneme that the
    ARPAbet map has no rule for.
    """
    if any(c.isdigit() for c in word):
        raise SpeechkitError(None, f"word {word!r} has digits: spell numbers out in the transcript")
    phones: list[str] = []
    for name in engine().phonemize(word, VOICE):
        if is_silence(name):
            continue
        try:
            phones += to_arpabet(name)
        except KeyError:
            problem = f"no pronunciation for word {word!r}: eSpeak phoneme {name!r} has no ARPAbet rule"
            raise SpeechkitError(None, problem) from None
    if not phones:
        raise SpeechkitError(None, f"no pronunciation for word {word!r}: eSpeak NG gives no phonemes")
    return phones
