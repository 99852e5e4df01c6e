"""Perplexity of a text under an n-gram model, scored by KenLM the way its ``query`` program scores it.

Each line is a sentence ``<s> w1 ... wn </s>``; a word the model lacks (OOV) is scored as ``<unk>``. Like
``query`` we report perplexity over all tokens, ``</s>`` included, and excluding OOVs; we add the perplexity
without ``</s>`` (SRILM's ppl1), which does not reward a model for predicting sentence ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import kenlm

from speechkit.errors import SpeechkitError
from speechkit.lm.arpa import read_arpa
from speechkit.lm.kneser_ney import read_sentences
from speechkit.utils.stderr import quiet_stderr

_BINARY_MAGIC = b"mmap lm "


@dataclass(frozen=True)
class Perplexity:
    """Totals of one text; log probabilities are log10, as KenLM gives them."""

    sentences: int
    words: int  # tokens without </s>
    oovs: int
    logprob: float  # of every token, </s> included
    eos_logprob: float  # of the </s> tokens
    oov_logprob: float  # of the OOV tokens

    @property
    def oov_rate(self) -> float:
        return self.oovs / self.words if self.words else 0.0

    @property
    def ppl(self) -> float:
        """Perplexity over words and </s>, OOVs included (query's "including OOVs")."""
        return _ppl(self.logprob, self.words + self.sentences)

    @property
    def ppl_no_oov(self) -> float:
        """Perplexity over words and </s> with the OOVs left out (query's "excluding OOVs")."""
        return _ppl(self.logprob - self.oov_logprob, self.words + self.sentences - self.oovs)

    @property
    def ppl_no_eos(self) -> float:
        """Perplexity over the words alone, OOVs included."""
        return _ppl(self.logprob - self.eos_logprob, self.words)


def _ppl(logprob: float, tokens: int) -> float:
    return 10 ** (-logprob / tokens) if tokens else math.nan


def load_model(path: str | Path) -> kenlm.Model:
    """A KenLM model from an ARPA or binary file; an ARPA file is validated first, so a problem names its line."""
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, "language model not found")
    with path.open("rb") as f:
        binary = f.read(len(_BINARY_MAGIC)) == _BINARY_MAGIC
    if not binary:
        read_arpa(path)
    config = kenlm.Config()
    config.show_progress = False
    config.arpa_complain = kenlm.ARPALoadComplain.NONE
    try:
        with quiet_stderr():
            return kenlm.Model(str(path), config)
    except (OSError, RuntimeError) as e:
        raise SpeechkitError(path, f"KenLM cannot load it: {str(e).strip().splitlines()[-1]}") from None


def perplexity(lm: str | Path, text: str | Path) -> Perplexity:
    """Score every line of ``text`` with the model file ``lm``."""
    model = load_model(lm)
    sentences = words = oovs = 0
    logprob = eos_logprob = oov_logprob = 0.0
    for tokens in read_sentences([text]):
        scores = list(model.full_scores(" ".join(tokens)))
        sentences += 1
        words += len(tokens)
        eos_logprob += scores[-1][0]
        for prob, _, oov in scores:
            logprob += prob
            if oov:
                oovs += 1
                oov_logprob += prob
    if not words:
        raise SpeechkitError(text, "has no words to score (empty or blank lines): perplexity is undefined")
    return Perplexity(sentences, words, oovs, logprob, eos_logprob, oov_logprob)
