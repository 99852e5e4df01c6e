"""Transcript normalization shared by every corpus: the words a ``text`` file holds.

One rule everywhere: lowercase; a word is a run of letters or digits, with apostrophes allowed inside
(``don't``); hyphens and all other punctuation separate words. MFA's word tiers follow the same rule, which is
what lets durations from TextGrids line up with ``text``.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def word_spans(text: str) -> list[re.Match[str]]:
    """The words of ``text`` with their character spans (case kept)."""
    return list(_WORD.finditer(text))


def normalize_words(text: str) -> str:
    """``text`` as lowercase words separated by single spaces."""
    return " ".join(m.group().lower() for m in _WORD.finditer(text))
