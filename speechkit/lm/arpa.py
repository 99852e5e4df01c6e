"""ARPA back-off language models: read (with validation), write, and score.

The ARPA format: a ``\\data\\`` header with one ``ngram N=count`` line per order, then one ``\\N-grams:`` section
per order whose lines are ``log10-prob <tab> w1 ... wN [<tab> log10-backoff]``, then ``\\end\\``. A back-off model
scores ``log10 p(w | h) = prob(h w)`` when ``h w`` is listed, else ``backoff(h) + log10 p(w | h[1:])``.

:func:`read_arpa` checks what KenLM needs to load a file (the counts match the header, every word of a longer
n-gram is a unigram, ``<s>`` and ``</s>`` are unigrams) and names the line of the first problem, so that a decoder
can refuse a broken LM with one clear line instead of a C++ exception.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import atomic_path

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
LOG_ZERO = -99.0  # ARPA's conventional log10 of probability zero
_COUNT = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)")
_SECTION = re.compile(r"\\(\d+)-grams:")

NGram = tuple[str, ...]


@dataclass
class Arpa:
    """A back-off model in memory: ``ngrams[n - 1]`` maps each n-gram to ``(log10 prob, log10 backoff)``.

    A missing backoff is 0.0 (weight 1). Example::

        lm = read_arpa("data/lm/3gram.arpa")
        lm.logprob(["<s>", "turn", "on"])  # log10 p(on | <s> turn)
    """

    ngrams: list[dict[NGram, tuple[float, float]]]

    @property
    def order(self) -> int:
        return len(self.ngrams)

    @property
    def counts(self) -> list[int]:
        """Number of n-grams of each order, as the ``\\data\\`` header gives them."""
        return [len(grams) for grams in self.ngrams]

    def logprob(self, words: Sequence[str]) -> float:
        """log10 p(words[-1] | words[:-1]) by back-off; a word that is not a unigram is scored as ``<unk>``."""
        unigrams = self.ngrams[0]
        gram = tuple(w if (w,) in unigrams else UNK for w in words[-self.order :])
        backoff = 0.0
        while len(gram) > 1:
            hit = self.ngrams[len(gram) - 1].get(gram)
            if hit is not None:
                return backoff + hit[0]
            backoff += self.ngrams[len(gram) - 2].get(gram[:-1], (0.0, 0.0))[1]
            gram = gram[1:]
        return backoff + unigrams[gram][0]  # KeyError: neither the word nor <unk> is a unigram


class _Lines:
    """The non-blank lines of an ARPA file, stripped, with the number of the current one for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.number = 0
        self.line = ""
        self._lines = self._read()

    def _read(self) -> Iterator[str]:
        opener = gzip.open if self.path.suffix == ".gz" else open
        try:
            with opener(self.path, "rb") as f:
                for raw in f:
                    self.number += 1
                    try:
                        yield raw.decode("utf-8").strip()
                    except UnicodeDecodeError:
                        raise self.error("not UTF-8 text") from None
        except OSError as e:
            raise SpeechkitError(self.path, f"cannot read: {e.strerror or e}") from None

    def next(self, expected: str) -> str:
        """The next non-blank line; the end of the file is an error saying what was ``expected``."""
        for line in self._lines:
            if line:
                self.line = line
                return line
        self.number += 1
        raise self.error(f"file ends where {expected} was expected")

    def error(self, problem: str) -> SpeechkitError:
        return SpeechkitError(self.path, f"line {self.number}: {problem}")

    def unexpected(self, expected: str) -> SpeechkitError:
        return self.error(f"expected {expected}, got {_show(self.line)}")


def read_arpa(path: str | Path) -> Arpa:
    """Parse and validate an ARPA file; any problem raises ``SpeechkitError(path, "line N: problem")``."""
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, "language model not found")
    lines = _Lines(path)
    if lines.next("the \\data\\ header") != "\\data\\":
        raise lines.unexpected("the \\data\\ header")
    declared: list[int] = []
    text = lines.next("'ngram 1=count'")
    while not text.startswith("\\"):
        m = _COUNT.fullmatch(text)
        if not m or int(m.group(1)) != len(declared) + 1:
            raise lines.unexpected(f"'ngram {len(declared) + 1}=count'")
        declared.append(int(m.group(2)))
        text = lines.next("the \\1-grams: section")
    if not declared:
        raise lines.error("no 'ngram N=count' lines in the \\data\\ header")

    ngrams: list[dict[NGram, tuple[float, float]]] = []
    for n, expected in enumerate(declared, 1):
        m = _SECTION.fullmatch(text)
        if not m or int(m.group(1)) != n:
            raise lines.unexpected(f"\\{n}-grams:")
        section = lines.number
        grams: dict[NGram, tuple[float, float]] = {}
        text = lines.next("\\end\\")
        while not text.startswith("\\"):
            gram, entry = _entry(lines, n, has_backoff=n < len(declared))
            if gram in grams:
                raise lines.error(f"duplicate {n}-gram '{' '.join(gram)}'")
            for word in gram if n > 1 else ():
                if (word,) not in ngrams[0]:
                    raise lines.error(f"word '{word}' is not in the \\1-grams: section")
            grams[gram] = entry
            text = lines.next("\\end\\")
        if len(grams) != expected:
            problem = f"\\{n}-grams: has {len(grams)} entries but the header says {expected}"
            raise SpeechkitError(path, f"line {section}: {problem}")
        for special in (BOS, EOS) if n == 1 else ():
            if (special,) not in grams:
                raise SpeechkitError(path, f"line {section}: {special} is not in the \\1-grams: section")
        ngrams.append(grams)
    if text != "\\end\\":
        raise lines.unexpected("\\end\\")
    return Arpa(ngrams)


def validate_arpa(path: str | Path) -> list[int]:
    """Check an ARPA file as :func:`read_arpa` does; return its n-gram counts per order."""
    return read_arpa(path).counts


def _entry(lines: _Lines, n: int, has_backoff: bool) -> tuple[NGram, tuple[float, float]]:
    """The current line as ``prob w1 .. wn [backoff]``, checked."""
    fields = lines.line.split()
    if len(fields) not in ((n + 1, n + 2) if has_backoff else (n + 1,)):
        words = f"{n} word{'s' if n > 1 else ''}"
        raise lines.unexpected(f"a log10 probability, {words}" + (" and an optional backoff" if has_backoff else ""))
    prob = _number(lines, fields[0], "probability")
    if prob > 0:
        raise lines.error(f"log10 probability {fields[0]} is above 0")
    backoff = _number(lines, fields[n + 1], "backoff") if len(fields) == n + 2 else 0.0
    return tuple(fields[1 : n + 1]), (prob, backoff)


def _number(lines: _Lines, field: str, what: str) -> float:
    try:
        value = float(field)
    except ValueError:
        value = math.nan
    if math.isnan(value) or value == math.inf:
        raise lines.error(f"{what} {field!r} is not a number")
    return max(value, LOG_ZERO)  # -inf, which some toolkits write, is ARPA's -99


def _show(line: str) -> str:
    return repr(line if len(line) <= 60 else line[:57] + "...")


def write_arpa(path: str | Path, lm: Arpa) -> None:
    """Write ``lm`` atomically, n-grams sorted by their words; a backoff is written only for a context.

    A context is an n-gram that some (n+1)-gram extends; its backoff matters for scoring, any other's does not.
    """
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        f.write("\\data\\\n")
        for n, grams in enumerate(lm.ngrams, 1):
            f.write(f"ngram {n}={len(grams)}\n")
        for n, grams in enumerate(lm.ngrams, 1):
            contexts = {g[:-1] for g in lm.ngrams[n]} if n < lm.order else set()
            rows = sorted(
                (" ".join(gram), prob, backoff if gram in contexts else None) for gram, (prob, backoff) in grams.items()
            )
            f.write(f"\n\\{n}-grams:\n")
            f.writelines(
                f"{prob:.7g}\t{words}\n" if backoff is None else f"{prob:.7g}\t{words}\t{backoff:.7g}\n"
                for words, prob, backoff in rows
            )
        f.write("\n\\end\\\n")
