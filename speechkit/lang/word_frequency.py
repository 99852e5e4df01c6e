"""A language's most frequent words and their frequencies, from wordfreq (Speer et al.: frequencies pooled over
Wikipedia, subtitles, news, books, web text and more).

Why wordfreq: a judge of synthesized speech has to recognize words no training transcript holds, and no corpus can
be downloaded here; wordfreq ships its tables in the wheel and is maintained.
"""

from __future__ import annotations

import re

from speechkit.errors import SpeechkitError

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")  # lowercase letters, one inner apostrophe: what our text normalizer keeps


def frequent_words(top: int, lang: str = "en") -> tuple[list[str], list[float]]:
    """The ``top`` most frequent words of ``lang`` that are plain lowercase words, with their frequencies (the share
    of all word tokens, so they sum to less than 1)."""
    from wordfreq import available_languages, top_n_list, word_frequency

    if lang not in available_languages():
        raise SpeechkitError(None, f"wordfreq has no word list for language {lang!r}")
    words = [w for w in top_n_list(lang, top) if WORD.fullmatch(w)]
    return words, [word_frequency(w, lang) for w in words]
