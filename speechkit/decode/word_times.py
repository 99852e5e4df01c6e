"""Word start and end times of a CTC hypothesis, for CTM output.

A beam-search hypothesis (LM fusion) is not the frame-wise argmax, so its times come from the best CTC path of its
own tokens: torchaudio's ``forced_align`` (a Viterbi over the CTC topology) on the log-probabilities that produced
it. A word runs from the first frame of its first token to the last frame of its last token (a bare ``▁`` piece of
a character model, often emitted in the pause before the word, does not count when the word has other pieces);
frames convert to seconds by the encoder's frame shift. Its confidence is the mean posterior of its tokens over
the frames each holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torchaudio.functional as F

from speechkit.lang.tokens import BpeTokenizer

WORD_START = "\u2581"


@dataclass(frozen=True)
class WordTime:
    """One word of a transcript: its text, start and end in seconds, and a confidence in [0, 1]."""

    word: str
    start: float
    end: float
    conf: float


def word_times(log_probs: np.ndarray, ids: Sequence[int], tokenizer: BpeTokenizer, frame_s: float,
               seconds: float) -> list[WordTime]:  # fmt: skip
    """The words of ``ids`` (token ids, blank 0 excluded) with times from ``log_probs`` (T, V), ``frame_s`` seconds
    per frame; ends are clipped to the audio's ``seconds``."""
    if not ids:
        return []
    targets = torch.tensor([list(ids)], dtype=torch.int32)
    labels, scores = F.forced_align(torch.from_numpy(np.ascontiguousarray(log_probs))[None], targets, blank=0)
    spans = F.merge_tokens(labels[0], scores[0].exp())
    symbols = tokenizer.token_list().symbols
    words: dict[int, list[int]] = {}
    for k, w in enumerate(tokenizer.word_index(ids)):
        words.setdefault(w, []).append(k)
    out = []
    for members in words.values():
        timed = [k for k in members if symbols[ids[k]] != WORD_START] or members
        start = spans[timed[0]].start * frame_s
        end = min(spans[timed[-1]].end * frame_s, seconds)
        conf = float(np.mean([spans[k].score for k in members]))
        out.append(WordTime(tokenizer.decode([ids[k] for k in members]), round(start, 3), round(max(end, start), 3),
                            round(conf, 3)))  # fmt: skip
    return out
