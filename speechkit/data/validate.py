"""Check a data directory the way Kaldi's validate_data_dir.sh does, plus speechkit's task files.

Checks collect :class:`Problem` records instead of stopping at the first one, so a single run shows everything
that is wrong, and ``data fix`` decides what to drop from the very same records. Nothing here prints or writes.

Example::

    report = validate_data_dir("data/train", sample_rate=16000)
    for problem in report.problems:
        print(problem)  # data/train/wav.scp: key spk1-u2: audio file /corpus/spk1-u2.wav not found
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TypeVar

import numpy as np
import soundfile as sf

from speechkit.data.audio import NOT_FOUND, audio_info, not_a_file
from speechkit.data.datadir import CORE_FILES
from speechkit.data.table import TableLine, byte_key, is_safe_key, scan_table
from speechkit.errors import SpeechkitError

T = TypeVar("T")

# Per-utterance task files beside the core ones: utt2intent, utt2num_frames, durations, phones, frame_range, text.<lang>,
# wav.scp.<lang> (utt2spk is core, so the lookahead leaves it out).
TASK_FILE = re.compile(r"utt2(?!spk$)\w+|durations|phones|frame_range|text\.[\w-]+|wav\.scp\.[\w-]+")
# libsndfile's header log says "data : 32000 (should be 15978)" when a WAV is shorter than its header claims.
_SHORT_DATA = re.compile(r"^data\s*:\s*(\d+) \(should be (\d+)\)", re.MULTILINE)
_TAIL_FRAMES = 1024  # decoding just the end of a file is enough to find a truncated one
_SEGMENT_SLACK_S = 0.01  # segment ends may overshoot the recording by rounding
_INT = re.compile(r"[0-9]+")
_FLOAT_SUBTYPES = {"FLOAT", "DOUBLE"}


class Kind(str, Enum):
    """What is wrong; the value is the label ``data fix`` groups its report by."""

    MISSING_FILE = "missing file"
    NOT_UTF8 = "not UTF-8"
    NOT_PRINTABLE = "non-printable character"
    UNSORTED = "not sorted"
    DUPLICATE = "duplicate key"
    MISSING_ENTRY = "missing entry"
    EMPTY_TEXT = "empty transcript"
    MALFORMED = "malformed value"
    AUDIO_MISSING = "missing audio"
    AUDIO_UNREADABLE = "unreadable audio"
    SAMPLE_RATE = "wrong sample rate"
    NOT_MONO = "not mono"
    SPEAKER_MISMATCH = "utt2spk/spk2utt disagree"
    SPEAKER_PREFIX = "speaker id does not prefix utterance id"
    UNSAFE_KEY = "key unsafe as a file name"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data directory, printed as ``FILE: key KEY: message`` on one line."""

    file: str
    kind: Kind
    message: str
    key: str | None = None

    def __str__(self) -> str:
        where = "" if self.key is None else f" key {self.key}:"
        return f"{self.file}:{where} {self.message}"


@dataclass
class Table:
    """A table file read leniently: the first line of every key, and the problems met while reading it."""

    path: Path
    rows: dict[str, TableLine] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, kind: Kind, key: str | None, message: str) -> Problem:
        """A :class:`Problem` located in this file."""
        return Problem(str(self.path), kind, message, key)

    def values(self) -> dict[str, str]:
        """``{key: value}`` in file order."""
        return {key: line.value for key, line in self.rows.items()}


@dataclass
class AudioCheck:
    """What opening every file of a wav.scp-like table found."""

    problems: list[Problem]
    seconds: dict[str, float]  # duration of every entry whose header could be read
    rate: int | None  # the expected rate, else the one most files share; None when no file could be read


@dataclass
class ValidationReport:
    """The outcome of :func:`validate_data_dir`: every problem, and the size of the data."""

    problems: list[Problem]
    n_utts: int
    n_speakers: int
    sample_rate: int | None  # of wav.scp; None when audio was not checked
    seconds: float | None  # total speech; None when it needs the audio and audio was not checked


def read_checked(path: str | Path) -> Table:
    """Read a table keeping each key's first line; report repeats, bytewise disorder, bad bytes, control characters."""
    table = Table(Path(path))
    prev: TableLine | None = None
    for line in scan_table(path):
        first = table.rows.get(line.key)
        found: list[tuple[Kind, str]] = []
        bad_char = _unprintable(f"{line.key} {line.value}")
        if first is not None:
            found.append((Kind.DUPLICATE, f"repeats the key of line {first.lineno}"))
        elif Path(path).name != "spk2utt" and not is_safe_key(line.key):
            found.append((Kind.UNSAFE_KEY, "has a key with a path separator or that is '.' or '..' "
                                           "(utterance ids name output files)"))
        elif not line.utf8_ok:
            found.append((Kind.NOT_UTF8, "is not valid UTF-8"))
        elif bad_char is not None:
            found.append((Kind.NOT_PRINTABLE, f"has the non-printable character U+{ord(bad_char):04X}"))
        if first is None and prev is not None and byte_key(line.key) < byte_key(prev.key):
            found.append((Kind.UNSORTED, f"sorts before line {prev.lineno} ({prev.key}); sort files with LC_ALL=C"))
        table.problems += [table.problem(kind, line.key, f"line {line.lineno} {message}") for kind, message in found]
        if first is None:
            table.rows[line.key] = prev = line
    return table


def read_tables(path: str | Path) -> dict[str, Table]:
    """Every table file of the directory speechkit knows (core files, segments, task files), read leniently."""
    path = Path(path)
    names = [name for name in (*CORE_FILES, "segments") if (path / name).is_file()]
    names += sorted(p.name for p in path.iterdir() if p.is_file() and TASK_FILE.fullmatch(p.name))
    return {name: read_checked(path / name) for name in names}


def utterance_tables(tables: dict[str, Table]) -> dict[str, Table]:
    """The tables keyed by utterance: all but spk2utt, and but wav.scp when segments key it by recording."""
    by_other_key = {"spk2utt", "wav.scp"} if "segments" in tables else {"spk2utt"}
    return {name: table for name, table in tables.items() if name not in by_other_key}


def check_wav_table(table: Table, sample_rate: int | None = None) -> AudioCheck:
    """Open every file in a wav.scp-like table: each must exist and decode, be mono, and share one sample rate.

    ``sample_rate`` is the rate required; without it the rate most files share is taken as the norm.
    """
    problems: list[Problem] = []
    infos: dict[str, sf._SoundFileInfo] = {}
    for key, line in table.rows.items():
        if not Path(line.value).is_file():
            reason = not_a_file(Path(line.value))
            message = f"audio file {line.value} not found" if reason == NOT_FOUND else f"{line.value} {reason}"
            problems.append(table.problem(Kind.AUDIO_MISSING, key, message))
            continue
        try:
            infos[key] = _open_audio(line.value)
        except SpeechkitError as e:
            problems.append(table.problem(Kind.AUDIO_UNREADABLE, key, str(e)))
    rates = Counter(info.samplerate for info in infos.values())
    rate = sample_rate or (rates.most_common(1)[0][0] if rates else None)
    norm = "expected" if sample_rate else "while most files have"
    for key, info in infos.items():
        if info.samplerate != rate:
            problems.append(table.problem(Kind.SAMPLE_RATE, key, f"sample rate {info.samplerate} Hz, {norm} {rate} Hz"))
        if info.channels != 1:
            problems.append(table.problem(Kind.NOT_MONO, key, f"{info.channels} channels, expected mono"))
    return AudioCheck(problems, {key: info.duration for key, info in infos.items()}, rate)


def validate_data_dir(
    path: str | Path, *, sample_rate: int | None = None, check_audio: bool = True
) -> ValidationReport:
    """Check the data directory at ``path`` and return every problem found, each naming its file and key.

    ``sample_rate`` is the rate wav.scp must have (default: the one most files share); ``check_audio=False`` skips
    opening audio files. Raises :class:`SpeechkitError` only when ``path`` is not a directory.
    """
    path = Path(path)
    if not path.is_dir():
        raise SpeechkitError(path, "data directory not found")
    tables = read_tables(path)
    missing = [name for name in CORE_FILES if name not in tables]
    problems = [Problem(str(path / name), Kind.MISSING_FILE, "file not found") for name in missing]
    for table in tables.values():
        problems += table.problems
    problems += _check_coverage(tables) + _check_values(tables) + _check_speakers(tables) + _check_durations(tables)
    wavs = [name for name in tables if name == "wav.scp" or name.startswith("wav.scp.")] if check_audio else []
    audio_checks = {name: check_wav_table(tables[name], sample_rate if name == "wav.scp" else None) for name in wavs}
    for result in audio_checks.values():
        problems += result.problems
    audio = audio_checks.get("wav.scp")
    problems += _check_segments(tables, audio)
    utt2spk = tables["utt2spk"].values() if "utt2spk" in tables else {}
    return ValidationReport(
        problems,
        n_utts=len(utt2spk),
        n_speakers=len(set(utt2spk.values())),
        sample_rate=audio.rate if audio else None,
        seconds=_total_seconds(tables, audio),
    )


def _unprintable(text: str) -> str | None:
    """The first control character (tab aside) or byte-order mark in ``text``: invisible, and they break tokenizers."""
    return next((c for c in text if c == "\ufeff" or (c != "\t" and unicodedata.category(c) == "Cc")), None)


def _open_audio(path: str) -> sf._SoundFileInfo:
    """The header of ``path``, once its last frames are known to decode; :class:`SpeechkitError` otherwise.

    Reading only the tail keeps validation fast yet catches files cut short by an interrupted copy.
    """
    info = audio_info(path)
    short = _SHORT_DATA.search(info.extra_info)
    if short and int(short[2]) < int(short[1]):
        raise SpeechkitError(path, f"truncated: the header announces {short[1]} bytes of audio, there are {short[2]}")
    try:
        with sf.SoundFile(path) as f:
            tail = min(f.frames, _TAIL_FRAMES)
            f.seek(f.frames - tail)
            got = len(f.read(tail))
    except (sf.LibsndfileError, RuntimeError) as e:
        raise SpeechkitError(path, f"cannot decode the last frames, truncated or corrupt ({e})") from None
    if got < tail:
        raise SpeechkitError(path, f"truncated: the header announces {info.frames} frames, fewer can be read")
    if info.frames == 0:
        raise SpeechkitError(path, "has no samples (zero length)")
    if info.subtype in _FLOAT_SUBTYPES:
        _check_finite(path)
    return info


def _check_finite(path: str) -> None:
    """Refuse NaN or infinite samples, which only float files can hold and which make training loss NaN."""
    with sf.SoundFile(path) as f:
        start = 0
        for block in f.blocks(blocksize=1 << 18, dtype="float32", always_2d=True):
            bad = np.flatnonzero(~np.isfinite(block).all(axis=1))
            if bad.size:
                raise SpeechkitError(path, f"sample {start + int(bad[0])} is not a finite number (NaN or infinity)")
            start += len(block)


def _speaker(value: str) -> str:
    if len(value.split()) != 1:
        raise ValueError(f"speaker {value!r} is not a single id")
    return value


def _intent(value: str) -> list[str]:
    slots = [slot.strip() for slot in value.split("|")]
    if len(slots) != 3 or not all(slots):
        raise ValueError(f"intent {value!r} is not action|object|location")
    return slots


def _frame_count(value: str) -> int:
    if not _INT.fullmatch(value):
        raise ValueError(f"{value!r} is not a non-negative integer")
    return int(value)


def _frame_counts(value: str) -> list[int]:
    if not all(_INT.fullmatch(token) for token in value.split()):
        raise ValueError(f"durations {value!r} are not all non-negative integers")
    return [int(token) for token in value.split()]


def _frame_range(value: str) -> int:
    """``first end`` -> the number of frames the tokens cover."""
    fields = value.split()
    if len(fields) != 2 or not all(_INT.fullmatch(f) for f in fields) or int(fields[0]) > int(fields[1]):
        raise ValueError(f"frame range {value!r} is not 'first end' with 0 <= first <= end")
    return int(fields[1]) - int(fields[0])


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"{value!r} is not a time in seconds")
    return seconds


def _segment(value: str) -> tuple[str, float, float]:
    fields = value.split()
    if len(fields) != 3:
        raise ValueError(f"segment {value!r} is not 'recording start end'")
    start, end = _seconds(fields[1]), _seconds(fields[2])
    if not start < end:
        raise ValueError(f"segment ends ({end} s) before it starts ({start} s)")
    return fields[0], start, end


# How to parse an entry of each table whose values have a format; a ValueError says what is wrong with it.
_PARSERS: dict[str, Callable[[str], object]] = {
    "utt2spk": _speaker,
    "utt2intent": _intent,
    "durations": _frame_counts,
    "utt2num_frames": _frame_count,
    "frame_range": _frame_range,
    "utt2dur": _seconds,
    "segments": _segment,
}


def _parsed(table: Table | None, key: str, parse: Callable[[str], T]) -> T | None:
    """``parse`` of ``key``'s value in ``table``; None when absent or malformed (which is reported elsewhere)."""
    if table is None or key not in table.rows:
        return None
    try:
        return parse(table.rows[key].value)
    except ValueError:
        return None


def _value_problem(name: str, value: str) -> tuple[Kind, str] | None:
    """What is wrong with one entry of table ``name``, judged on its own."""
    if name == "text" or name.startswith("text."):
        return None if value else (Kind.EMPTY_TEXT, "empty transcript" if name == "text" else "empty translation")
    if not value:
        return Kind.MALFORMED, "no value after the key"
    parse = _PARSERS.get(name)
    try:
        if parse is not None:
            parse(value)
    except ValueError as e:
        return Kind.MALFORMED, str(e)
    return None


def _check_values(tables: dict[str, Table]) -> list[Problem]:
    """Entries must be non-empty and, where the file has a format, well formed."""
    problems = []
    for name, table in tables.items():
        for key, line in table.rows.items():
            found = _value_problem(name, line.value) if name != "spk2utt" else None
            if found is not None:
                problems.append(table.problem(found[0], key, found[1]))
    return problems


def _check_coverage(tables: dict[str, Table]) -> list[Problem]:
    """Every per-utterance file must hold exactly the utterances of utt2spk, the directory's master list."""
    if "utt2spk" not in tables:
        return []
    utts = tables["utt2spk"].rows
    problems = []
    for table in utterance_tables(tables).values():
        missing = [utt for utt in utts if utt not in table.rows]
        extra = [key for key in table.rows if key not in utts]
        problems += [table.problem(Kind.MISSING_ENTRY, utt, "no entry, though utt2spk lists it") for utt in missing]
        problems += [table.problem(Kind.MISSING_ENTRY, key, "utterance is not in utt2spk") for key in extra]
    return problems


def _check_speakers(tables: dict[str, Table]) -> list[Problem]:
    """utt2spk and spk2utt must describe the same mapping, and speaker ids must prefix their utterance ids."""
    if "utt2spk" not in tables:
        return []
    utt2spk_table = tables["utt2spk"]
    utt2spk = {utt: spk for utt in utt2spk_table.rows if (spk := _parsed(utt2spk_table, utt, _speaker))}
    problems = [
        utt2spk_table.problem(Kind.SPEAKER_PREFIX, utt, f"speaker id {spk} does not prefix it (fix cannot rename ids)")
        for utt, spk in utt2spk.items()
        if not utt.startswith(spk)
    ]
    spk2utt = tables.get("spk2utt")
    if spk2utt is None:
        return problems
    listed: set[str] = set()
    for spk, line in spk2utt.rows.items():
        for utt in line.value.split():
            listed.add(utt)
            if utt2spk.get(utt) != spk:
                owner = f"assigns to {utt2spk[utt]}" if utt in utt2spk else "does not list"
                problems.append(spk2utt.problem(Kind.SPEAKER_MISMATCH, spk, f"lists {utt}, which utt2spk {owner}"))
    problems += [
        spk2utt.problem(Kind.SPEAKER_MISMATCH, spk, f"does not list {utt}, which utt2spk assigns to {spk}")
        for utt, spk in utt2spk.items()
        if utt not in listed
    ]
    return problems


def _check_durations(tables: dict[str, Table]) -> list[Problem]:
    """Frames per token must add up to the frames they cover (``frame_range``, else ``utt2num_frames``) and match
    the token count of ``phones``, where those files exist."""
    durations = tables.get("durations")
    if durations is None:
        return []
    problems = []
    for utt in durations.rows:
        counts = _parsed(durations, utt, _frame_counts)
        covered = _parsed(tables.get("frame_range"), utt, _frame_range)
        source = "frame_range" if covered is not None else "utt2num_frames"
        frames = covered if covered is not None else _parsed(tables.get("utt2num_frames"), utt, _frame_count)
        tokens = _parsed(tables.get("phones"), utt, str.split)
        if counts is not None and frames is not None and sum(counts) != frames:
            message = f"durations add up to {sum(counts)} frames, {source} says {frames}"
            problems.append(durations.problem(Kind.MALFORMED, utt, message))
        if counts is not None and tokens is not None and len(counts) != len(tokens):
            problems.append(durations.problem(Kind.MALFORMED, utt, f"{len(counts)} durations for {len(tokens)} phones"))
    return problems


def _check_segments(tables: dict[str, Table], audio: AudioCheck | None) -> list[Problem]:
    """Each segment must name a recording of wav.scp and, when the recording's length is known, end within it."""
    segments, wav = tables.get("segments"), tables.get("wav.scp")
    if segments is None or wav is None:
        return []
    problems = []
    for utt in segments.rows:
        segment = _parsed(segments, utt, _segment)
        if segment is None:
            continue
        reco, _, end = segment
        length = audio.seconds.get(reco) if audio else None
        if reco not in wav.rows:
            problems.append(segments.problem(Kind.MISSING_ENTRY, utt, f"recording {reco} is not in wav.scp"))
        elif length is not None and end > length + _SEGMENT_SLACK_S:
            message = f"ends at {end} s, after recording {reco} ({length:.2f} s)"
            problems.append(segments.problem(Kind.MALFORMED, utt, message))
    return problems


def _total_seconds(tables: dict[str, Table], audio: AudioCheck | None) -> float | None:
    """Speech in the directory: the segments' lengths, else the length of every file in wav.scp."""
    if "segments" in tables:
        segments = tables["segments"]
        spans = (_parsed(segments, utt, _segment) for utt in segments.rows)
        return sum(end - start for _, start, end in filter(None, spans))
    return sum(audio.seconds.values()) if audio else None
