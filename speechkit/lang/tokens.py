"""Token inventories for CTC models: ``tokens.txt`` symbol tables and sentencepiece (BPE, unigram, char) models.

Id 0 is the CTC blank ``<blank>``, as in icefall. A sentencepiece model keeps its own ids (0 is ``<unk>``);
:class:`BpeTokenizer` shifts them up by one to make room for the blank, so ``bpe.model`` stays a plain
sentencepiece file that any tool reads.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import sentencepiece as spm

from speechkit.data.table import scan_table
from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import phone_set
from speechkit.utils.atomic import atomic_path, write_text_atomic

BLANK = "<blank>"
MODEL_TYPES = ("bpe", "unigram", "char")


class TokenList:
    """Symbols in id order, as ``tokens.txt`` holds them (``symbol id`` per line, id 0 first).

    ``path`` is the file it was read from, named in errors. Example::

        tokens = phone_tokens()
        tokens.encode(["HH", "AH", "L", "OW"])  # [16, 3, 21, 25]
    """

    def __init__(self, symbols: Sequence[str], path: str | Path | None = None) -> None:
        self.symbols = list(symbols)
        self.path = None if path is None else Path(path)
        self._ids = {s: i for i, s in enumerate(self.symbols)}
        if len(self._ids) != len(self.symbols):
            raise ValueError("token symbols must be unique")

    @classmethod
    def read(cls, path: str | Path) -> TokenList:
        """Read ``tokens.txt``; ids must be 0..N-1, each once (in any line order)."""
        path = Path(path)
        if not path.is_file():
            raise SpeechkitError(path, "token list not found")
        by_id: dict[int, str] = {}
        for line in scan_table(path):
            if not (line.utf8_ok and line.value.isascii() and line.value.isdigit()):
                raise SpeechkitError(path, f"line {line.lineno} is not `symbol id`")
            if by_id.setdefault(int(line.value), line.key) != line.key:
                raise SpeechkitError(path, f"line {line.lineno} repeats id {line.value}")
        if sorted(by_id) != list(range(len(by_id))):
            raise SpeechkitError(path, f"ids are not 0..{len(by_id) - 1} without gaps")
        symbols = [by_id[i] for i in range(len(by_id))]
        if len(set(symbols)) != len(symbols):
            raise SpeechkitError(path, "a symbol has two ids")
        return cls(symbols, path)

    def write(self, path: str | Path) -> None:
        """Write ``symbol id`` lines in id order, atomically."""
        write_text_atomic(path, "".join(f"{s} {i}\n" for i, s in enumerate(self.symbols)))

    def __len__(self) -> int:
        return len(self.symbols)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``; an unknown token is a :class:`SpeechkitError` naming it."""
        try:
            return [self._ids[t] for t in tokens]
        except KeyError as e:
            raise SpeechkitError(self.path, f"unknown token {e.args[0]!r}") from None

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Symbols of ``ids``, blanks (id 0) dropped."""
        return [self._symbol(i) for i in ids if i != 0]

    def _symbol(self, i: int) -> str:
        if not 0 <= i < len(self.symbols):
            raise SpeechkitError(self.path, f"token id {i} is not in 0..{len(self.symbols) - 1}")
        return self.symbols[i]


def phone_tokens(stress: bool = False) -> TokenList:
    """``<blank>`` then CMUdict's phones: 39 without stress (the default), 69 with."""
    return TokenList([BLANK, *phone_set(stress)])


def train_bpe(texts: Iterable[str], out_prefix: str | Path, vocab_size: int, model_type: str = "bpe") -> int:
    """Train sentencepiece on ``texts``, write ``<out_prefix>.model`` and ``.vocab``; return the piece count.

    Deterministic: every sentence is used (no sampling), one thread, no text normalization (so decoding gives
    back the text exactly). ``vocab_size`` is fitted to what the text supports instead of failing on small
    corpora: raised to cover every character (plus ``▁`` and ``<unk>``), and for bpe/unigram a soft upper limit;
    a char model has exactly one piece per character whatever ``vocab_size`` says. Compare the return value with
    ``vocab_size`` to see whether it was changed.
    """
    if model_type not in MODEL_TYPES:
        known = ", ".join(MODEL_TYPES)
        raise SpeechkitError(None, f"unknown sentencepiece model type {model_type!r} (use {known})")
    lines = [" ".join(t.split()) for t in texts if t.strip()]
    if not lines:
        raise SpeechkitError(None, "no text to train sentencepiece on")
    floor = len(set("".join(lines).replace(" ", ""))) + 2  # every character, '▁' and '<unk>'
    model = io.BytesIO()  # the model, not a file: a model_prefix would be stored in it and break determinism
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        model_type=model_type,
        vocab_size=floor if model_type == "char" else max(vocab_size, floor),
        hard_vocab_limit=False,
        character_coverage=1.0,
        normalization_rule_name="identity",
        bos_id=-1,
        eos_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    with atomic_path(f"{out_prefix}.model") as tmp:
        tmp.write_bytes(model.getvalue())
    vocab = "".join(f"{sp.id_to_piece(i)}\t{sp.get_score(i):g}\n" for i in range(sp.get_piece_size()))
    write_text_atomic(f"{out_prefix}.vocab", vocab)  # as sentencepiece writes it: piece, tab, score
    return sp.get_piece_size()

class BpeTokenizer:
    """A sentencepiece model read from a model dir, with ids shifted by one so that 0 is the CTC blank.

    Example::

        bpe = BpeTokenizer("data/lang/bpe.model")
        bpe.decode(bpe.encode("turn on the lights"))  # 'turn on the lights'
    """

    def __init__(self, model: str | Path) -> None:
        self.path = Path(model)
        if not self.path.is_file():
            raise SpeechkitError(self.path, "sentencepiece model not found")
        try:
            self._sp = spm.SentencePieceProcessor(model_file=str(self.path))
        except RuntimeError:
            raise SpeechkitError(self.path, "not a sentencepiece model (corrupt or truncated?)") from None

    @property
    def num_pieces(self) -> int:
        """Sentencepiece's vocabulary size (``<unk>`` included, blank not)."""
        return self._sp.get_piece_size()

    def __len__(self) -> int:
        """Number of output ids, blank included: the size of a CTC output layer."""
        return self.num_pieces + 1

    def pieces(self, text: str) -> list[str]:
        """The pieces ``text`` splits into (``▁`` marks a word start)."""
        return self._sp.encode(text, out_type=str)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, all >= 1."""
        return [i + 1 for i in self._sp.encode(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``, blanks (id 0) dropped."""
        pieces = [i - 1 for i in ids if i != 0]
        bad = [i + 1 for i in pieces if not 0 <= i < self.num_pieces]
        if bad:
            raise SpeechkitError(self.path, f"token id {bad[0]} is not in 0..{self.num_pieces}")
        return self._sp.decode(pieces)

    def word_index(self, ids: Iterable[int]) -> list[int]:
        """Per id of a sentence, the 0-based index of the word it belongs to (a ``▁`` piece starts a word)."""
        out, word = [], -1
        for i in ids:
            word += self._sp.id_to_piece(i - 1).startswith("\u2581") or word < 0
            out.append(word)
        return out

    def token_list(self) -> TokenList:
        """The same ids as a :class:`TokenList` (``<blank> 0``, then the pieces), for ``bpe_tokens.txt``."""
        return TokenList([BLANK, *(self._sp.id_to_piece(i) for i in range(self.num_pieces))], self.path)


def trained_tokenizer(texts: Iterable[str], model: str | Path, vocab_size: int,
                      model_type: str = "bpe") -> BpeTokenizer:  # fmt: skip
    """:func:`train_bpe` into ``model`` (the ``.model`` path), then the tokenizer it wrote."""
    train_bpe(texts, Path(model).with_suffix(""), vocab_size, model_type)
    return BpeTokenizer(model)
