"""Word times from CTC frames: the forced path of a hypothesis' tokens, grouped into words at ``▁`` pieces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from speechkit.decode.word_times import WordTime, word_times
from speechkit.lang.tokens import trained_tokenizer


def test_words_start_at_their_first_letter_and_end_at_their_last_clipped_to_the_audio(tmp_path: Path) -> None:
    bpe = trained_tokenizer(["hello world", "hello there"], tmp_path / "char.model", 10, "char")
    ids = bpe.encode("hello world")
    space = bpe.token_list().symbols.index("\u2581")
    assert ids.count(space) == 2
    letters = iter(i for i in ids if i != space)
    # the frame of each token, blank (0) between: each word's "▁" comes two frames before its first letter
    path = [0, 0, space, 0, 0, *(next(letters) for _ in range(3)), 0, *(next(letters) for _ in range(2)), 0, 0,
            space, *(next(letters) for _ in range(5)), 0]  # fmt: skip
    log_probs = np.full((len(path), len(bpe)), np.log(0.1 / (len(bpe) - 1)), np.float32)
    log_probs[np.arange(len(path)), path] = np.log(0.9)
    words = word_times(log_probs, ids, bpe, frame_s=0.04, seconds=0.7)
    assert [w.word for w in words] == ["hello", "world"]
    assert words[0] == WordTime("hello", 0.2, 0.44, pytest.approx(0.9, abs=1e-3))
    assert (words[1].start, words[1].end) == (0.56, 0.7)  # its last frame ends at 0.76 s, past the audio
    assert word_times(log_probs, [], bpe, 0.04, 0.7) == []
