"""Praat TextGrids in the Montreal Forced Aligner's shape: strict reading, MFA-style writing.

MFA writes a ``words`` tier then a ``phones`` tier (``<speaker> - words`` and ``<speaker> - phones`` for a
multi-speaker corpus). Versions 2 and 3 make each tier contiguous from ``xmin`` to ``xmax`` with silence as
``""`` intervals; version 1 wrote ``sil``/``sp`` phones and left silence between words as gaps. Both spell
out-of-lexicon words as the phone ``spn``.

Reading (:func:`read_textgrid`, :func:`read_alignment`) accepts the long and the short text formats, UTF-8 or
UTF-16, and returns every interval tier contiguous from ``xmin`` to ``xmax``: a gap becomes a ``""`` interval,
so silence is always explicit and no interval is dropped. Labels are kept as written (``sil``, ``sp``, stress
digits). We parse the token stream ourselves instead of through praatio because praatio ignores the declared
counts: a truncated file loses its last intervals without an error. Here a truncated or malformed file is a
:class:`SpeechkitError` naming the file and what is wrong.

Writing (:func:`write_textgrid`) goes through praatio and always produces the MFA 3 shape: long format, words
then phones, contiguous from 0 to the duration, silence as ``""``. Times are seconds at full float precision,
so sample-exact boundaries survive a round trip.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from praatio import textgrid
from praatio.utilities.constants import Interval

from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import atomic_path

SILENCE_LABELS = frozenset({"", "sil", "sp"})
"""Labels that mean silence: ``""`` (MFA 2+, and gaps) and MFA 1.x's ``sil`` and ``sp``."""

TIME_TOLERANCE = 1e-6
"""Seconds; a smaller gap or overlap between intervals is float noise, closed rather than filled or refused."""

# Praat's text formats are one stream of texts ("..." with "" for a quote), flags (<exists>) and numbers; the
# long format adds names (xmin =, item [1]:) that carry nothing, and ! starts a comment.
_TOKEN = re.compile(r'"([^"]*(?:""[^"]*)*)"|<([^<>\s]+)>|!.*|(\S+)')
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Segment:
    """A labelled span ``[start, end)`` in seconds."""

    start: float
    end: float
    label: str


@dataclass(frozen=True)
class TextGrid:
    """The interval tiers of a TextGrid, in file order, each contiguous from ``start`` to ``end`` (seconds)."""

    start: float
    end: float
    tiers: dict[str, list[Segment]]


@dataclass(frozen=True)
class Alignment:
    """One speaker's words and phones tiers, each contiguous from ``start`` to ``end`` (seconds)."""

    words: list[Segment]
    phones: list[Segment]
    start: float
    end: float


def fill_gaps(segments: Sequence[Segment], start: float, end: float) -> list[Segment]:
    """``segments`` made contiguous from ``start`` to ``end``: each gap becomes a ``""`` segment.

    Gaps and overlaps up to :data:`TIME_TOLERANCE` are closed by moving the later start. Raises ValueError when
    segments overlap, run backwards, or leave ``[start, end]``.
    """
    out: list[Segment] = []
    pos = start
    for s in segments:
        if s.end < s.start:
            raise ValueError(f"interval {s.label!r} ends ({s.end} s) before it starts ({s.start} s)")
        if s.start < pos - TIME_TOLERANCE:
            raise ValueError(f"interval {s.label!r} at {s.start} s overlaps the one before it or starts before "
                             f"{start} s")
        if s.start > pos + TIME_TOLERANCE:
            out.append(Segment(pos, s.start, ""))
            pos = s.start
        out.append(Segment(pos, max(pos, s.end), s.label))
        pos = max(pos, s.end)
    if pos > end + TIME_TOLERANCE:
        raise ValueError(f"intervals run to {pos} s, past the end at {end} s")
    if pos < end - TIME_TOLERANCE or not out:
        out.append(Segment(pos, end, ""))
    else:
        out[-1] = Segment(out[-1].start, end, out[-1].label)
    return out


class _Tokens:
    """A cursor over a TextGrid's texts, flags and numbers that reports where the file goes wrong."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text, self.pos = path, text, 0
        self.items: list[tuple[str, str, int]] = []  # (kind, value, offset)
        for m in _TOKEN.finditer(text):
            if m.group(1) is not None:
                self.items.append(("text", m.group(1).replace('""', '"'), m.start()))
            elif m.group(2) is not None:
                self.items.append(("flag", m.group(2), m.start()))
            elif m.group(3) is not None:
                word = m.group(3)
                if word.startswith('"'):
                    raise self.error(m.start(), "a text is not closed (missing '\"'); is the file truncated?")
                if _NUMBER.fullmatch(word):
                    self.items.append(("number", word, m.start()))

    def error(self, offset: int, problem: str) -> SpeechkitError:
        return SpeechkitError(self.path, f"line {self.text.count(chr(10), 0, offset) + 1}: {problem}")

    def take(self, kind: str, what: str) -> str:
        if self.pos == len(self.items):
            raise SpeechkitError(self.path, f"truncated TextGrid: the file ends where {what} should be")
        found, value, offset = self.items[self.pos]
        if found != kind:
            raise self.error(offset, f"expected {what}, found the {found} {value!r}")
        self.pos += 1
        return value

    def number(self, what: str) -> float:
        return float(self.take("number", what))

    def count(self, what: str) -> int:
        offset = self.items[self.pos][2] if self.pos < len(self.items) else len(self.text)
        value = self.number(what)
        if not (value.is_integer() and value >= 0):
            raise self.error(offset, f"{what} is {value}, not a count")
        return int(value)


def _decode(path: Path) -> str:
    """The file's text: UTF-16 with a byte-order mark (Praat's choice for non-ASCII labels) or UTF-8."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpeechkitError(path, "TextGrid not found") from None
    except OSError as e:
        raise SpeechkitError(path, f"cannot read TextGrid ({e.strerror})") from None
    try:
        return raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpeechkitError(path, f"not a text TextGrid: neither UTF-8 nor UTF-16 (byte {e.start})") from None


def read_textgrid(path: str | Path) -> TextGrid:
    """Read a long- or short-format TextGrid strictly; interval tiers come back contiguous (see :func:`fill_gaps`).

    Point tiers are checked and left out. Example::

        tg = read_textgrid("mfa_out/LJ001-0001.TextGrid")
        [s.label for s in tg.tiers["phones"]]   # ['', 'P', 'R', 'IH1', 'N', 'T', 'IH0', 'NG', ...]
    """
    path = Path(path)
    tok = _Tokens(path, _decode(path))
    if not tok.items:
        raise SpeechkitError(path, "not a TextGrid: no Praat header (is the file empty?)")
    file_type = tok.take("text", 'the file type "ooTextFile"')
    if file_type not in ("ooTextFile", "ooTextFile short"):
        raise SpeechkitError(path, f"not a Praat text file (file type {file_type!r})")
    object_class = tok.take("text", 'the object class "TextGrid"')
    if object_class != "TextGrid":
        raise SpeechkitError(path, f"a Praat {object_class!r}, not a TextGrid")
    start, end = tok.number("the TextGrid's xmin"), tok.number("the TextGrid's xmax")
    n_tiers = tok.count("the number of tiers") if tok.take("flag", "<exists> or <absent>") == "exists" else 0
    tiers: dict[str, list[Segment]] = {}
    for i in range(1, n_tiers + 1):
        kind = tok.take("text", f"the class of tier {i}")
        name = tok.take("text", f"the name of tier {i}")
        where = f"tier {name!r}"
        tok.number(f"the xmin of {where}")
        tok.number(f"the xmax of {where}")
        n = tok.count(f"the number of entries of {where}")
        if kind == "IntervalTier":
            segments = []
            for j in range(1, n + 1):
                what = f"interval {j} of {n} in {where}"
                a, b = tok.number(f"the xmin of {what}"), tok.number(f"the xmax of {what}")
                segments.append(Segment(a, b, tok.take("text", f"the text of {what}").strip()))
            if name in tiers:
                raise SpeechkitError(path, f"two tiers are named {name!r}")
            try:
                tiers[name] = fill_gaps(segments, start, end)
            except ValueError as e:
                raise SpeechkitError(path, f"{where}: {e}") from None
        elif kind == "TextTier":
            for j in range(1, n + 1):
                tok.number(f"the time of point {j} of {n} in {where}")
                tok.take("text", f"the mark of point {j} of {n} in {where}")
        else:
            raise SpeechkitError(path, f"{where} has the unknown class {kind!r}")
    if tok.pos < len(tok.items):
        raise tok.error(tok.items[tok.pos][2], f"unexpected content after the {n_tiers} tiers the header declares")
    return TextGrid(start, end, tiers)


def read_alignment(path: str | Path) -> Alignment:
    """The ``words`` and ``phones`` tiers of an MFA TextGrid (or ``<speaker> - words`` / ``<speaker> - phones``).

    A TextGrid must hold exactly one speaker's pair: several speakers in one file have no single phone sequence.
    """
    tg = read_textgrid(path)
    speakers: dict[str, dict[str, list[Segment]]] = {}
    for name, segments in tg.tiers.items():
        speaker, _, kind = name.rpartition(" - ")
        if kind in ("words", "phones"):
            speakers.setdefault(speaker, {})[kind] = segments
    pairs = {spk: t for spk, t in speakers.items() if len(t) == 2}
    if len(pairs) != 1:
        found = ", ".join(repr(n) for n in tg.tiers) or "none"
        problem = "several speakers' words and phones tiers" if pairs else "no words and phones tiers"
        raise SpeechkitError(path, f"{problem}; expected one pair, e.g. 'words' and 'phones' (interval tiers: {found})")
    (tiers,) = pairs.values()
    return Alignment(tiers["words"], tiers["phones"], tg.start, tg.end)


def _mfa_intervals(segments: Sequence[Segment], duration: float) -> list[Interval]:
    """Contiguous intervals from 0 to ``duration``, silence as ``""``, adjacent silences merged, empty ones left out."""
    out: list[Interval] = []
    for s in fill_gaps(segments, 0.0, duration):
        label = "" if s.label in SILENCE_LABELS else s.label
        if s.end <= s.start and label:
            raise ValueError(f"interval {s.label!r} at {s.start} s is empty; a TextGrid cannot hold it")
        if s.end <= s.start:
            continue
        if label == "" and out and out[-1].label == "":
            out[-1] = Interval(out[-1].start, s.end, "")
        else:
            out.append(Interval(s.start, s.end, label))
    return out


def write_textgrid(path: str | Path, words: Sequence[Segment], phones: Sequence[Segment], duration: float) -> None:
    """Write an MFA-style long TextGrid atomically: ``words`` then ``phones``, silence and gaps as ``""``.

    Segments must be in time order within ``[0, duration]`` and not overlapping, and every labelled one longer than
    zero (Praat allows no empty interval); otherwise ValueError.
    """
    tg = textgrid.Textgrid()
    for name, segments in (("words", words), ("phones", phones)):
        tg.addTier(textgrid.IntervalTier(name, _mfa_intervals(segments, duration), 0.0, duration))
    with atomic_path(path) as tmp:
        tg.save(str(tmp), format="long_textgrid", includeBlankSpaces=True)
