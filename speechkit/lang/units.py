"""The token units of a CTC model, read from a lang dir: phones (through the lexicon) and BPE pieces.

Models copy their lang dir into their model dir, so a model always decodes with the units it learned.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import Lexicon
from speechkit.lang.prepare import text2phones
from speechkit.lang.tokens import BpeTokenizer, TokenList
from speechkit.utils.atomic import atomic_path

FILES = ("lexicon.txt", "phones.txt", "bpe.model")


class LangUnits:
    """Text to phone ids and BPE ids, and BPE ids back to text; id 0 is the CTC blank in both."""

    def __init__(self, lang_dir: Path) -> None:
        self.dir = lang_dir
        self.lexicon = Lexicon.read(lang_dir / "lexicon.txt")
        self.phones = TokenList.read(lang_dir / "phones.txt")
        self.bpe = BpeTokenizer(lang_dir / "bpe.model")
        self.stress = any(s[-1].isdigit() for s in self.phones.symbols)  # as `prep lang --stress` wrote it

    @classmethod
    def load(cls, lang_dir: str | Path) -> LangUnits:
        lang_dir = Path(lang_dir)
        if not lang_dir.is_dir():
            raise SpeechkitError(lang_dir, "lang directory not found (run `speechkit prep lang` first)")
        return cls(lang_dir)

    @property
    def n_phones(self) -> int:
        return len(self.phones)

    @property
    def n_bpe(self) -> int:
        return len(self.bpe)

    def phone_ids(self, text: str) -> list[int]:
        return self.phones.encode(text2phones(text, self.lexicon, self.stress))

    def bpe_ids(self, text: str) -> list[int]:
        return self.bpe.encode(text)

    def bpe_text(self, ids: list[int]) -> str:
        return self.bpe.decode(ids)

    def copy_to(self, dest: Path) -> None:
        """Copy the files that define the units into ``dest`` (a model dir's ``lang/``)."""
        dest.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            if (self.dir / name).resolve() != (dest / name).resolve():
                with atomic_path(dest / name) as tmp:
                    shutil.copyfile(self.dir / name, tmp)
