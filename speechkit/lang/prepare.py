"""Stage 2 of the recipes, the lang directory: the lexicon and the token inventories models train on.

``OUT/`` holds:

* ``lexicon.txt``: every word of the texts, with CMUdict's pronunciations or else eSpeak NG's (G2P);
* ``oov.txt``: the words that needed G2P, with the pronunciation guessed (worth a look on a new corpus);
* ``phones.txt``: phone tokens, ``<blank> 0`` then CMUdict's 39 phones (69 with ``stress``), the same for
  every corpus, so every phone of ``lexicon.txt`` is in it;
* ``bpe.model``, ``bpe.vocab``: sentencepiece trained on the training text only, and ``bpe_tokens.txt``, its
  pieces as a token list with ids shifted by one for the blank;
* ``words.txt``: Kaldi's word symbol table, ``<eps> 0``, the words, then ``#0 <s> </s>`` that Kaldi and k2
  graph compilers expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from speechkit.data.table import byte_key, read_table
from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import Lexicon, phone_set
from speechkit.lang.tokens import BpeTokenizer, TokenList, phone_tokens, train_bpe
from speechkit.utils.atomic import atomic_dir


@dataclass(frozen=True)
class LangSummary:
    """What :func:`prepare_lang` wrote; ``bpe_size`` differs from ``bpe_requested`` when the text forced it."""

    words: int
    oov: dict[str, list[str]]
    phones: int
    bpe_type: str
    bpe_size: int
    bpe_requested: int

    def counts(self) -> dict[str, int]:
        """The figures a one-line report shows."""
        return {"words": self.words, "OOV words (G2P)": len(self.oov), "phones": self.phones, "BPE": self.bpe_size}

    @property
    def bpe_note(self) -> str | None:
        """Why the sentencepiece size is not the one asked for, or None when it is."""
        if self.bpe_size == self.bpe_requested:
            return None
        if self.bpe_type == "char":
            return f"char model: {self.bpe_size} pieces, one per character of the text (asked {self.bpe_requested})"
        bound = "fewest that covers every character" if self.bpe_size > self.bpe_requested else "most the text yields"
        return f"{self.bpe_type} size {self.bpe_requested} does not fit the text: used {self.bpe_size}, the {bound}"


def text2phones(text: str, lexicon: Lexicon, stress: bool = False) -> list[str]:
    """Phone targets for a transcript (space-separated words): each word's first pronunciation, in order."""
    return [p for word in text.split() for p in lexicon.lookup(word, stress)[0]]


def prepare_lang(
    train_text: str | Path,
    out: str | Path,
    bpe_size: int = 100,
    bpe_type: str = "bpe",
    extra_texts: Sequence[str | Path] = (),
    stress: bool = False,
) -> LangSummary:
    """Write the lang directory ``out`` (atomically) for a training ``text`` file.

    ``extra_texts`` (say valid and test ``text``) add their words to the lexicon and ``words.txt`` so that
    alignment and synthesis find them; sentencepiece never sees them. A word G2P cannot read is a
    :class:`SpeechkitError` naming the first text file that holds it.
    """
    train = list(read_table(train_text).values())
    if not train:
        raise SpeechkitError(train_text, "no utterances to build the lang directory from")
    first_seen: dict[str, Path] = {}
    for path, texts in [(Path(train_text), train), *((Path(p), read_table(p).values()) for p in extra_texts)]:
        for text in texts:
            for word in text.split():
                first_seen.setdefault(word, path)
    words = sorted(first_seen, key=byte_key)
    cmudict = Lexicon.cmudict()
    prons: dict[str, list[list[str]]] = {}
    for word in words:
        try:
            prons[word] = cmudict.lookup(word, stress)
        except SpeechkitError as e:
            raise SpeechkitError(first_seen[word], e.problem) from None
    oov = {word: prons[word][0] for word in cmudict.guessed}
    with atomic_dir(out) as tmp:
        Lexicon(prons).write(tmp / "lexicon.txt")
        Lexicon({word: [p] for word, p in oov.items()}).write(tmp / "oov.txt")
        phone_tokens(stress).write(tmp / "phones.txt")
        size = train_bpe(train, tmp / "bpe", bpe_size, bpe_type)
        BpeTokenizer(tmp / "bpe.model").token_list().write(tmp / "bpe_tokens.txt")
        TokenList(["<eps>", *words, "#0", "<s>", "</s>"]).write(tmp / "words.txt")
    return LangSummary(len(words), oov, len(phone_set(stress)), bpe_type, size, bpe_requested=bpe_size)
