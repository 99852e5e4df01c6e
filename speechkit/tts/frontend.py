"""The TTS text front end: raw English text to the ARPAbet tokens FastSpeech 2 reads.

1. Normalization, for LJSpeech-style text: curly quotes and accents folded to ASCII; abbreviations with a period
   (``Mr.``, ``Gen.``, ``St.``, months such as ``Jan.``...); dates ``M/D/YYYY`` read the American way
   (``12/05/2024`` -> "december fifth, twenty twenty four"); money (``$3.50``), percentages, ordinals (``21st``),
   decades (``1990s``, ``'60s``), negative numbers (``-5`` -> "minus five"), decimals, numbers with thousands
   separators, four-digit years 1100-1999 and 2010-2099 read as years (``1666`` -> "sixteen sixty six", as
   LJSpeech's normalized column reads them), other integers as cardinals; ``&`` and ``+`` as words.
   :func:`split_sentences` cuts normalized text into sentences of bounded length, so that a long text is
   synthesized a few sentences at a time.
2. Tokens: each word's first pronunciation from CMUdict with stress digits (or eSpeak NG's G2P for words CMUdict
   lacks, :class:`~speechkit.lang.lexicon.Lexicon`); sentence punctuation ``, . ; : ! ? ( ) —`` becomes one ``sil``
   token (runs merge), which the model gives a duration like any phone, as in training, where every pause is
   a ``sil`` token. ``sil`` starts / ends the sequence when the model's training utterances mostly did.

Quotes, apostrophes at word edges and hyphens are read as no sound (hyphens separate words, as in
:func:`~speechkit.data.text.normalize_words`). Any other character is a :class:`SpeechkitError` naming it: the front
end never drops what it cannot read.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field

from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import SIL, Lexicon, strip_stress

PAUSES = ",.;:!?()\u2014\u2013\u2026"  # comma ... parentheses, em and en dash, ellipsis
SILENT = "\"'-`\u00ab\u00bb"  # quotes, apostrophes at word edges, hyphen
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()  # fmt: skip
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
            "twelve": "twelfth"}  # fmt: skip
_ABBREVIATIONS = {
    "mr": "mister", "mrs": "missus", "dr": "doctor", "drs": "doctors", "st": "saint", "co": "company",
    "jr": "junior", "sr": "senior", "maj": "major", "gen": "general", "rev": "reverend", "lt": "lieutenant",
    "hon": "honorable", "sgt": "sergeant", "capt": "captain", "esq": "esquire", "ltd": "limited",
    "col": "colonel", "ft": "fort", "vs": "versus", "etc": "et cetera",
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
    "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
    "dec": "december",
}  # fmt: skip
_MONTHS = ("january february march april may june july august september october november december").split()
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "\u00a3": ("pound", "pounds", "penny", "pence")}
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|\s+|.")


def cardinal(n: int) -> str:
    """English words for ``0 <= n < 10**15``: ``cardinal(1234)`` -> "one thousand two hundred thirty four"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + cardinal(n % 100))
    for scale, name in _SCALES:
        if n >= scale:
            rest = n % scale
            return f"{cardinal(n // scale)} {name}" + ("" if rest == 0 else " " + cardinal(rest))
    raise AssertionError("unreachable")


def ordinal(n: int) -> str:
    """``ordinal(21)`` -> "twenty first"."""
    *head, last = cardinal(n).split()
    if last in _ORDINAL:
        last = _ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])


def year(n: int) -> str:
    """A year as spoken: 1666 -> "sixteen sixty six", 1900 -> "nineteen hundred", 1905 -> "nineteen oh five"."""
    high, low = divmod(n, 100)
    if low == 0:
        return f"{cardinal(high)} hundred"
    return f"{cardinal(high)} {'oh ' + _ONES[low] if low < 10 else cardinal(low)}"


def _number(digits: str) -> str:
    """An integer written with optional thousands commas, as a year or a cardinal."""
    n = int(digits.replace(",", ""))
    if n >= 10**15:
        raise SpeechkitError(None, f"number {digits!r} is too large to read; write it out in words")
    if "," not in digits and len(digits) == 4 and (1100 <= n < 2000 or 2010 <= n < 2100):
        return year(n)
    return cardinal(n)


def plural(words: str) -> str:
    """The plural of a number's words: "nineteen ninety" -> "nineteen nineties", "six" -> "sixes"."""
    *head, last = words.split()
    last = last[:-1] + "ies" if last.endswith("y") else last + ("es" if last.endswith(("s", "x")) else "s")
    return " ".join([*head, last])


def _date(m: re.Match[str]) -> str:
    """``M/D/YYYY`` as "month Dth, year"; an impossible month or day is read as three numbers."""
    month, day, yyyy = int(m.group(1)), int(m.group(2)), m.group(3)
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(int(yyyy), month)[1]):
        return f" {cardinal(month)} {cardinal(day)} {_number(yyyy)} "
    return f" {_MONTHS[month - 1]} {ordinal(day)}, {_number(yyyy)} "


def _money(m: re.Match[str]) -> str:
    one, many, cent, cents = _CURRENCY[m.group(1)]
    whole = int(m.group(2).replace(",", ""))
    part = int((m.group(3) or "0").ljust(2, "0")[:2])
    words = [f"{_number(m.group(2))} {one if whole == 1 else many}"] if whole or not part else []
    if part:
        words.append(f"{cardinal(part)} {cent if part == 1 else cents}")
    return " " + " ".join(words) + " "


_RULES: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\.", re.IGNORECASE),
     lambda m: _ABBREVIATIONS[m.group(1).lower()]),
    (re.compile(r"\bno\.\s*(?=\d)", re.IGNORECASE), lambda m: "number "),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"), _date),
    (re.compile(r"\b(\d{4})s\b"), lambda m: f" {plural(_number(m.group(1)))} "),
    (re.compile(r"(?:\b|')([1-9]0)s\b"), lambda m: f" {plural(cardinal(int(m.group(1))))} "),
    (re.compile(r"(?<![\w.])-(?=\d)"), lambda m: " minus "),
    (re.compile(r"([$\u00a3])(\d[\d,]*)(?:\.(\d+))?"), _money),
    (re.compile(r"(\d+(?:\.\d+)?)\s*%"), lambda m: f" {m.group(1)} percent "),
    (re.compile(r"(\d+)(st|nd|rd|th)\b", re.IGNORECASE), lambda m: f" {ordinal(int(m.group(1)))} "),
    (re.compile(r"(\d[\d,]*)\.(\d+)"),
     lambda m: f" {_number(m.group(1))} point {' '.join(_ONES[int(d)] for d in m.group(2))} "),
    (re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+"), lambda m: f" {_number(m.group())} "),
    (re.compile(r"&"), lambda m: " and "),
    (re.compile(r"\+"), lambda m: " plus "),
]  # fmt: skip


def normalize(text: str) -> str:
    """``text`` with its numbers, money, abbreviations and symbols spelled out, lowercased and ASCII-folded
    (punctuation kept). Example: ``normalize("Mr. Smith paid $3.50 in 1666.")`` ->
    ``"mister smith paid three dollars fifty cents in sixteen sixty six."`` (modulo spaces)."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c))
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)  # type: ignore[arg-type]
    return text.lower()


MAX_WORDS = 40
"""The most words :func:`split_sentences` puts in one piece: about 15 s of speech."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")


def split_sentences(text: str, max_words: int = MAX_WORDS) -> list[str]:
    """``text`` normalized and cut into sentences (at ``. ! ?`` and line breaks), a sentence longer than
    ``max_words`` words cut again after its last pause within the limit (or at the limit). Pieces holding only
    punctuation are left out; anything else, unreadable characters included, is kept for the front end to judge.

    Example: ``split_sentences("Dr. Smith left. He paid $3.")`` -> ``["doctor smith left.", "he paid three
    dollars ."]`` (modulo spaces)."""
    pieces = []
    for sentence in _SENTENCE_END.split(normalize(text)):
        words = sentence.split()
        if all(c in PAUSES or c in SILENT for w in words for c in w):
            continue
        while len(words) > max_words:
            cut = max((i + 1 for i, w in enumerate(words[:max_words]) if w[-1] in PAUSES), default=max_words)
            pieces.append(" ".join(words[:cut]))
            words = words[cut:]
        pieces.append(" ".join(words))
    return pieces


@dataclass
class Frontend:
    """Text to tokens for a model trained on ``stress``-marked (or plain) ARPAbet with the given edge silences.

    Example::

        Frontend()("Hello, world.")  # ['sil', 'HH', 'AH0', 'L', 'OW1', 'sil', 'W', 'ER1', 'L', 'D', 'sil']
    """

    stress: bool = True
    leading_sil: bool = True
    trailing_sil: bool = True
    lexicon: Lexicon = field(default_factory=Lexicon.cmudict)

    def words(self, text: str) -> list[str]:
        """The normalized words of ``text``, with ``sil`` where punctuation pauses; unknown characters raise."""
        items: list[str] = []
        unknown: list[str] = []
        for piece in _TOKEN.findall(normalize(text)):
            if "a" <= piece[0] <= "z":
                items.append(piece)
            elif piece in PAUSES:
                if items and items[-1] != SIL:
                    items.append(SIL)
            elif not piece.isspace() and piece not in SILENT and piece not in unknown:
                unknown.append(piece)
        if unknown:
            names = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in unknown)
            raise SpeechkitError(None, f"text {text!r}: cannot read character(s) {names}; spell them out in words")
        if not any(w != SIL for w in items):
            raise SpeechkitError(None, f"text {text!r} has no words to say")
        return items

    def __call__(self, text: str) -> list[str]:
        """ARPAbet tokens (with ``sil``) for ``text``; a word G2P cannot read raises naming it."""
        return self.tokens_and_words(text)[0]

    def tokens_and_words(self, text: str) -> tuple[list[str], list[int]]:
        """The tokens of :meth:`__call__` and, per token, the index of its word among the words of ``text`` (-1 for
        ``sil``): what a synthesizer conditioned on word-level states needs."""
        tokens: list[str] = []
        words: list[int] = []
        for word in self.words(text):
            if word == SIL:
                tokens.append(SIL)
                words.append(-1)
                continue
            try:
                phones = self.lexicon.lookup(word, stress=True)[0]
            except SpeechkitError as e:
                raise SpeechkitError(None, f"text {text!r}: {e.problem}") from None
            tokens += phones if self.stress else strip_stress(phones)
            words += [max(words, default=-1) + 1] * len(phones)
        if tokens[0] == SIL and not self.leading_sil:
            del tokens[0], words[0]
        if tokens[-1] == SIL and not self.trailing_sil:
            del tokens[-1], words[-1]
        if self.leading_sil and tokens[0] != SIL:
            tokens.insert(0, SIL)
            words.insert(0, -1)
        if self.trailing_sil and tokens[-1] != SIL:
            tokens.append(SIL)
            words.append(-1)
        return tokens, words
