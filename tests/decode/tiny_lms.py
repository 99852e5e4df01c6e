"""Tiny hand-written ARPA models and emissions built from per-frame probabilities, for the decoder tests."""

from __future__ import annotations

import numpy as np

# A bigram LM over three words: after "hello", "world" is far likelier than "word" (which backs off).
HELLO_ARPA = """\\data\\
ngram 1=6
ngram 2=4

\\1-grams:
-1.0\t<unk>\t0
-99\t<s>\t-0.3
-0.7\t</s>\t0
-0.7\thello\t-0.3
-1.0\tworld\t-0.3
-1.0\tword\t-0.3

\\2-grams:
-0.1\t<s> hello
-0.05\thello world
-0.3\tworld </s>
-0.4\tword </s>

\\end\\
"""

# Words spelled in characters and in phones for the char and lexicon tests.
HI_ARPA = """\\data\\
ngram 1=6
ngram 2=3

\\1-grams:
-1.5\t<unk>\t0
-99\t<s>\t-0.2
-0.6\t</s>\t0
-0.6\thi\t-0.2
-0.9\thigh\t-0.2
-0.8\toh\t-0.2

\\2-grams:
-0.2\t<s> hi
-0.3\thi oh
-0.2\toh </s>

\\end\\
"""


def emissions(frames: list[dict[int, float]], n_units: int, floor: float = 1e-9) -> np.ndarray:
    """(T, V) log-probs from per-frame ``{unit: prob}`` (blank = 0 takes what is left), other units ``floor``."""
    out = np.full((len(frames), n_units), floor)
    for t, probs in enumerate(frames):
        for u, p in probs.items():
            out[t, u] = p
        out[t, 0] = 0.0
        out[t, 0] = max(1.0 - out[t].sum(), floor)
    return np.log(out / out.sum(1, keepdims=True))
