"""Turn eSpeak's phoneme events into MFA-style word and phone segments (ARPAbet phones, exact samples).

Phones: each event lasts until the next one starts; :mod:`speechkit.lang.arpabet` maps names, splits r-coloured
vowels and syllabic consonants evenly, and merges linking glides into the phone before them.

Words: eSpeak reports a word event before each word's phonemes, except where it speaks several words as one
unit (``of the``, ``in the``). There the group's phones go to its words in order, each word but the last taking
as many phones as eSpeak gives it when spoken alone. That split point is the one inferred boundary; every
other boundary is the sample at which eSpeak started the phoneme.
"""

from __future__ import annotations

import bisect
import re

from speechkit.data.textgrid import Segment
from speechkit.lang.arpabet import is_silence, to_arpabet
from speechkit.lang.espeak import ESpeak, Synthesis, Voice

SILENCE = -1


def event_words(syn: Synthesis, tokens: list[re.Match[str]], espeak: ESpeak, voice: Voice) -> list[int]:
    """Index into ``tokens`` of the word each phoneme event belongs to (:data:`SILENCE` for pauses)."""
    starts = [t.start() for t in tokens]
    owner = []
    for ev in syn.phones:
        if is_silence(ev.name):
            owner.append(SILENCE)
            continue
        k = max(0, bisect.bisect_right(starts, ev.word_pos) - 1)
        if k + 1 < len(tokens) and ev.word_pos >= tokens[k].end():
            k += 1  # the event points at punctuation before the next word
        owner.append(k)
    voiced = sorted(set(owner) - {SILENCE})
    if not voiced or voiced[0] != 0:
        raise ValueError(f"eSpeak gave no phones for the first word {tokens[0].group()!r}")
    for k, nxt in zip(voiced, voiced[1:] + [len(tokens)]):
        if nxt > k + 1:
            _split_group(owner, k, nxt, tokens, espeak, voice)
    return owner


def _split_group(owner: list[int], first: int, stop: int, tokens: list[re.Match[str]], espeak: ESpeak,
                 voice: Voice) -> None:
    """Share the phones eSpeak gave word ``first`` among words ``first..stop-1`` (spoken as one unit)."""
    positions = [i for i, k in enumerate(owner) if k == first]
    cut = 0
    for j in range(first, stop - 1):
        take = min(len(espeak.phonemize(tokens[j].group(), voice)), len(positions) - cut - (stop - 1 - j))
        if take < 1:
            group = " ".join(t.group() for t in tokens[first:stop])
            raise ValueError(f"cannot share {len(positions)} phones among the words of {group!r}")
        for p in positions[cut : cut + take]:
            owner[p] = j
        cut += take
    for p in positions[cut:]:
        owner[p] = stop - 1


def segments(syn: Synthesis, owner: list[int], labels: list[str]) -> tuple[list[Segment], list[Segment]]:
    """Word and phone segments in seconds; ``labels[k]`` is word ``k``'s label."""
    sr, events = syn.sample_rate, syn.phones
    spans: list[tuple[int, int, str, int]] = []  # start, end (samples), phone, word
    for i, ev in enumerate(events):
        end = events[i + 1].start if i + 1 < len(events) else len(syn.audio)
        if is_silence(ev.name):
            spans.append((ev.start, end, "", SILENCE))
            continue
        phones = to_arpabet(ev.name)
        if not phones:  # a linking glide: lengthen the phone before it
            s, _, label, word = spans[-1]
            spans[-1] = (s, end, label, word)
            continue
        bounds = [ev.start + (end - ev.start) * j // len(phones) for j in range(len(phones) + 1)]
        spans += [(a, b, p, owner[i]) for a, b, p in zip(bounds[:-1], bounds[1:], phones)]
    spans = [s for s in spans if s[1] > s[0]]
    word_bounds: dict[int, list[int]] = {}
    for start, end, label, word in spans:
        if label:
            word_bounds.setdefault(word, [start, end])[1] = end
    words = [Segment(s / sr, e / sr, labels[k]) for k, (s, e) in sorted(word_bounds.items())]
    phones = [Segment(s / sr, e / sr, label) for s, e, label, _ in spans]
    return words, phones
