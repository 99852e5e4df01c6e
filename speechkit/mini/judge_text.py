"""Sentences of random English words, read by the mini LJSpeech voice to train the recipe's ASR judge.

Why: the judge must know how the voice says the words of the TTS test sentences without ever hearing those
sentences, and the 660 bundled sentences are too few to teach a recognizer English spelling. A judge sentence is
8-14 words from wordfreq's most frequent English words: half drawn by frequency (so function words come as often
as in text), half uniformly over the list (so rarer spellings are heard too). Random word strings cannot repeat a
bundled sentence, so the judge's training data is disjoint from the TTS test set by construction.
"""

from __future__ import annotations

import random
import re

from speechkit.lang.word_frequency import frequent_words

SPOKEN = re.compile(r"[a-z]*[aeiouy][a-z']*")  # with a vowel: eSpeak says it as a word, not letter by letter
MIN_WORDS, MAX_WORDS = 8, 14


def judge_sentences(n: int, seed: int = 0, top: int = 50_000) -> list[str]:
    """``n`` sentences of random words (see the module docstring), reproducible from ``seed``."""
    pairs = [(w, f) for w, f in zip(*frequent_words(top)) if SPOKEN.fullmatch(w) and (len(w) > 1 or w in "ai")]
    words, freqs = [w for w, _ in pairs], [f for _, f in pairs]
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        k = rng.randint(MIN_WORDS, MAX_WORDS)
        frequent = rng.choices(words, freqs, k=k // 2)
        uniform = rng.choices(words, k=k - k // 2)
        chosen = frequent + uniform
        rng.shuffle(chosen)
        sentences.append(" ".join(chosen))
    return sentences
