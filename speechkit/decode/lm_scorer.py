"""Word-level n-gram scores from a KenLM model (ARPA or binary), with a state cache for beam search.

A beam search asks for the same (history, word) scores over and over: every hypothesis that ends in the same words
shares them, and so do utterances of the same domain. :class:`LmScorer` keeps each KenLM state and score once, keyed
by the word history cut to the model's order, for as long as the scorer lives (a whole decode in one process).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import kenlm

from speechkit.errors import SpeechkitError
from speechkit.utils.stderr import quiet_stderr

History = tuple[str, ...]
BOS: History = ("<s>",)
EOS = "</s>"
SPECIAL = frozenset({"<s>", "</s>", "<unk>"})
_BINARY_MAGIC = b"mmap lm "


def _kenlm_problem(message: str) -> str:
    """KenLM's reason from its exception text, without the C++ source location it wraps around it."""
    m = re.fullmatch(r"Cannot read model '.*?' \((.*)\)", message.strip(), re.S)
    reason = m.group(1) if m else message
    m = re.search(r"threw \w+(?: because `[^']*')?\.\s*(.*)$", reason, re.S)
    reason = (m.group(1) if m else reason).strip()
    at = re.search(r"\s*Byte: (\d+)$", reason)
    if at:
        reason = reason[: at.start()] + ("" if " byte " in reason else f" (byte {at.group(1)})")
    reason = "".join(c if c.isprintable() else "?" for c in " ".join(reason.split()))  # it may quote binary bytes
    return f"not a readable ARPA or KenLM binary file: {reason}"


def arpa_unigrams(path: Path) -> frozenset[str]:
    """The words of an ARPA file's ``\\1-grams:`` section, ``<s>``, ``</s>`` and ``<unk>`` left out."""
    words = set()
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("\\1-grams:"):
                break
        for line in f:
            if line.startswith("\\"):
                break
            fields = line.split("\t") if "\t" in line else line.split()
            if len(fields) >= 2:
                words.add(fields[1].strip())
    return frozenset(words - SPECIAL)


class LmScorer:
    """A KenLM model with cached states; scores are log10 probabilities, as KenLM gives them.

    ``vocabulary`` is the ARPA file's word list (None for a binary model, whose words KenLM cannot list).
    ``hits`` and ``misses`` count cache lookups, to see how much the cache saves.

    Example::

        lm = LmScorer("data/lm/3gram.arpa")
        hist, lp, known = lm.score(BOS, "turn")  # (('<s>', 'turn'), -1.2, True)
        _, lp_end, _ = lm.score(hist, EOS)
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SpeechkitError(self.path, "language model not found")
        config = kenlm.Config()
        config.show_progress = False
        config.arpa_complain = kenlm.ARPALoadComplain.NONE
        try:
            with quiet_stderr():
                self.model = kenlm.Model(str(self.path), config)
        except (OSError, RuntimeError) as e:
            raise SpeechkitError(self.path, _kenlm_problem(str(e))) from None
        except UnicodeDecodeError:  # KenLM's message quotes the file's first bytes, which are not text
            raise SpeechkitError(self.path, "not a readable ARPA or KenLM binary file: it starts with binary data "
                                 "that is not a KenLM model") from None  # fmt: skip
        with self.path.open("rb") as f:
            binary = f.read(len(_BINARY_MAGIC)) == _BINARY_MAGIC
        self.vocabulary: frozenset[str] | None = None if binary else arpa_unigrams(self.path)
        self.order: int = self.model.order
        bos = kenlm.State()
        self.model.BeginSentenceWrite(bos)
        self._states: dict[History, kenlm.State] = {BOS: bos}
        self._scores: dict[tuple[History, str], tuple[History, float, bool]] = {}
        self.hits = 0
        self.misses = 0

    def __contains__(self, word: str) -> bool:
        return word in self.model

    def check_covers(self, words: Iterable[str], what: str) -> None:
        """Fail, naming the LM, when it knows none of ``words`` (an LM of another corpus or language)."""
        words = set(words) - SPECIAL
        if words and not any(w in self.model for w in words):
            raise SpeechkitError(self.path, f"the LM knows none of the {len(words)} words of {what}")

    def unigram(self, word: str) -> float:
        """``log10 P(word)`` with no history (``<unk>``'s for a word the LM does not know)."""
        null, out = kenlm.State(), kenlm.State()
        self.model.NullContextWrite(null)
        return self.model.BaseScore(null, word, out)

    def score(self, history: History, word: str) -> tuple[History, float, bool]:
        """``(history', log10 P(word | history), whether the LM knows word)``.

        ``history`` is :data:`BOS` or a ``history'`` from an earlier call.
        """
        key = (history, word)
        hit = self._scores.get(key)
        if hit is not None:
            self.hits += 1
            return hit
        self.misses += 1
        out = kenlm.State()
        logp = self.model.BaseScore(self._states[history], word, out)
        new = (*history, word)[1 - self.order :]  # KenLM models are at least bigrams
        self._states.setdefault(new, out)
        result = self._scores[key] = (new, logp, word == EOS or word in self.model)
        return result
