"""A unigram ARPA of a language's most frequent words: a general vocabulary for decoding speech whose sentences no
training text covers (the TTS recipe's ASR judge reads sentences it has never seen).

Each word gets its wordfreq frequency, ``<unk>`` the frequency of the rarest listed word (KenLM gives every unknown
word that one probability, so it must be a single word's, not the mass of all words beyond the list), ``</s>`` one
token in ``1 + mean sentence length``; the rest is scaled to sum to one. ``<s>`` is never predicted (ARPA's -99).
The file says order 2 with no bigrams, because KenLM refuses a unigram model; it scores exactly as the unigram.
"""

from __future__ import annotations

import math
from pathlib import Path

from speechkit.errors import SpeechkitError
from speechkit.lang.word_frequency import frequent_words
from speechkit.lm.arpa import BOS, EOS, LOG_ZERO, UNK, Arpa, write_arpa

MEAN_WORDS = 15  # words per sentence, for the probability of </s>


def write_unigram(out: str | Path, top: int, lang: str = "en") -> int:
    """Write the unigram ARPA of ``lang``'s ``top`` most frequent words to ``out``; return the number of words."""
    words, freqs = frequent_words(top, lang)
    if not words:
        raise SpeechkitError(None, f"no words for language {lang!r}")
    end = 1.0 / (1 + MEAN_WORDS)
    unk = min(freqs)
    scale = (1.0 - end) / (sum(freqs) + unk)
    grams = {(w,): (math.log10(f * scale), 0.0) for w, f in zip(words, freqs)}
    grams |= {(UNK,): (math.log10(unk * scale), 0.0), (EOS,): (math.log10(end), 0.0), (BOS,): (LOG_ZERO, 0.0)}
    write_arpa(out, Arpa([grams, {}]))  # KenLM loads only orders >= 2: an empty bigram section, the same model
    return len(words)
