"""An ARPA back-off model as arrays that compiled code scores the way KenLM does, so a beam search never has to
leave compiled code to ask KenLM (:mod:`speechkit.decode.search_core`).

Every n-gram has an id (unigrams first: a word's id is its unigram's). ``table`` maps ``context id * n_words +
word`` to the n-gram id; ``suffix[g]`` is the id of the longest shorter n-gram ending ``g`` without its first word
(-1: none), ``full[g]`` whether ``g`` has the model's order. A state is the id of the longest n-gram that ends the
history (-1: none), as KenLM's state is; :func:`score` backs off along suffixes, adding their back-off weights,
until ``context + word`` is listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from speechkit.utils import hash_table
from speechkit.utils.hash_table import lookup
from speechkit.lm.arpa import BOS, UNK, read_arpa

UNK_LOGP = -100.0  # KenLM's stand-in for a model that lists no <unk>


@dataclass
class NgramArrays:
    """See the module docstring; ``ids`` maps each word to its id."""

    ids: dict[str, int]
    table: tuple[np.ndarray, np.ndarray]
    logp: np.ndarray
    backoff: np.ndarray
    suffix: np.ndarray
    full: np.ndarray

    @property
    def bos(self) -> int:
        return self.ids[BOS]

    @classmethod
    def from_arpa(cls, path: str | Path) -> NgramArrays | None:
        """The model of an ARPA file, or None when some n-gram's context is not listed (KenLM fills such gaps in
        its own way: that model is left to KenLM)."""
        arpa = read_arpa(path)
        words = list(dict.fromkeys(g[0] for g in arpa.ngrams[0]))
        unigrams = dict(arpa.ngrams[0])
        if (UNK,) not in unigrams:
            words.append(UNK)
            unigrams[(UNK,)] = (UNK_LOGP, 0.0)
        ids = {w: i for i, w in enumerate(words)}
        id_of = {(w,): i for i, w in enumerate(words)}
        logp = [unigrams[(w,)][0] for w in words]
        backoff = [unigrams[(w,)][1] for w in words]
        keys, vals = [], []
        for grams in arpa.ngrams[1:]:
            for gram, (p, b) in grams.items():
                context = id_of.get(gram[:-1])
                if context is None:
                    return None
                id_of[gram] = len(logp)
                keys.append(context * len(words) + ids[gram[-1]])
                vals.append(len(logp))
                logp.append(p)
                backoff.append(b)
        suffix = np.full(len(logp), -1, np.int64)
        for gram, g in id_of.items():
            for k in range(1, len(gram)):
                if gram[k:] in id_of:
                    suffix[g] = id_of[gram[k:]]
                    break
        full = np.array([len(gram) == arpa.order for gram in id_of], np.bool_)
        table = hash_table.grown(*hash_table.empty(), len(keys))
        hash_table.insert_all(*table, np.array(keys, np.int64), np.array(vals, np.int64))
        return cls(ids, table, np.array(logp), np.array(backoff), suffix, full)

    def arrays(self) -> tuple:
        """What :func:`score` takes after the state and word."""
        return (*self.table, self.logp, self.backoff, self.suffix, self.full, len(self.ids))


@njit(cache=True, _nrt=False)
def score(state, word, keys, vals, logp, backoff, suffix, full, n_words):  # type: ignore[no-untyped-def]
    """``(log10 p(word | state), the state after word)``."""
    bo = 0.0
    context = state
    while context >= 0:
        g = lookup(keys, vals, context * n_words + word)
        if g >= 0:
            return logp[g] + bo, suffix[g] if full[g] else g
        bo += backoff[context]
        context = suffix[context]
    return logp[word] + bo, suffix[word] if full[word] else word

