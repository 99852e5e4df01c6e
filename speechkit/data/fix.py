"""Repair a data directory: sort, drop repeated lines, rebuild spk2utt, and drop utterances that cannot be kept.

``data fix`` takes its list of what is wrong from :func:`validate_data_dir` and only decides what to do about each
problem, so the two commands cannot disagree: a fixed directory validates, except for the problems it reports as
kept (ids that need renaming, which only the user can choose).

Example::

    report = fix_data_dir("data/train", sample_rate=16000)
    report.dropped  # {Kind.AUDIO_MISSING: ["spk1-u2"], Kind.EMPTY_TEXT: ["spk3-u7"]}
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from speechkit.data.datadir import spk2utt_of
from speechkit.data.table import write_table
from speechkit.data.validate import Kind, Problem, Table, read_tables, utterance_tables, validate_data_dir
from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import atomic_dir

BACKUP = ".backup"
# Repaired without losing data: by sorting, keeping each key's first line, and rebuilding spk2utt from utt2spk.
_REPAIRED = {Kind.UNSORTED, Kind.DUPLICATE, Kind.SPEAKER_MISMATCH}
# Left in place: renaming speakers or utterances is a choice only the user can make.
_KEPT = {Kind.SPEAKER_PREFIX}


@dataclass
class FixReport:
    """What :func:`fix_data_dir` did."""

    repaired: list[Problem]  # problems solved without dropping anything
    dropped: dict[Kind, list[str]]  # the keys dropped for each reason, each key under the first reason found
    kept: list[Problem]  # problems fix cannot solve, still in the directory
    n_utts: int  # utterances in the directory afterwards
    backup: Path | None  # where the original files went; None when nothing was rewritten


def fix_data_dir(path: str | Path, *, sample_rate: int | None = None, check_audio: bool = True) -> FixReport:
    """Repair the data directory at ``path`` in place; the originals of rewritten files go to ``path/.backup/``.

    The directory is replaced in one atomic swap once the repaired copy is complete. ``sample_rate`` and
    ``check_audio`` mean what they mean for :func:`validate_data_dir`. Raises :class:`SpeechkitError` when a core
    file other than spk2utt is missing or no utterance would be left.
    """
    path = Path(path)
    validation = validate_data_dir(path, sample_rate=sample_rate, check_audio=check_audio)
    repaired, kept, condemned = [], [], []
    for problem in validation.problems:
        name = Path(problem.file).name
        if problem.kind is Kind.MISSING_FILE and name != "spk2utt":
            raise SpeechkitError(problem.file, "missing; a data directory cannot be repaired without it")
        if name == "spk2utt" or problem.kind in _REPAIRED:
            repaired.append(problem)
        elif problem.kind in _KEPT:
            kept.append(problem)
        else:
            condemned.append(problem)
    if not repaired and not condemned:
        return FixReport([], {}, kept, validation.n_utts, None)
    tables = read_tables(path)
    dropped = _dropped_keys(condemned, tables)
    gone = {key for keys in dropped.values() for key in keys}
    keep = {utt for utt in tables["utt2spk"].rows if utt not in gone}
    if not keep:
        raise SpeechkitError(path, "no utterance would be left (each has a problem: see `speechkit data validate`)")
    _rewrite(path, tables, keep)
    return FixReport(repaired, dropped, kept, len(keep), path / BACKUP)


def keep_utterances(path: str | Path, keep: set[str]) -> Path:
    """Drop every utterance of the data dir ``path`` but ``keep`` from all its tables (originals backed up, as
    ``data fix`` does); returns the backup dir. For stages that can use only part of a data dir."""
    path = Path(path)
    _rewrite(path, read_tables(path), keep)
    return path / BACKUP


def _dropped_keys(condemned: list[Problem], tables: dict[str, Table]) -> dict[Kind, list[str]]:
    """The utterance keys each problem condemns, grouped by the first reason that condemns them."""
    segments = tables.get("segments")
    recordings: dict[str, list[str]] = defaultdict(list)  # with segments, wav.scp problems name recordings
    for utt, line in segments.rows.items() if segments else []:
        fields = line.value.split()
        if fields:
            recordings[fields[0]].append(utt)
    dropped: dict[Kind, list[str]] = {}
    seen: set[str] = set()
    for problem in condemned:
        by_recording = segments is not None and Path(problem.file).name == "wav.scp"
        for key in recordings.get(problem.key or "", []) if by_recording else [problem.key]:
            if key is not None and key not in seen:
                seen.add(key)
                dropped.setdefault(problem.kind, []).append(key)
    return dropped


def _rewrite(path: Path, tables: dict[str, Table], keep: set[str]) -> None:
    """Swap ``path`` for a copy holding only ``keep``, sorted, with spk2utt rebuilt and the originals backed up.

    A second fix keeps the first backup: it holds the user's originals, which a later fix no longer has.
    """
    kept = {
        name: {key: line.value for key, line in table.rows.items() if key in keep}
        for name, table in utterance_tables(tables).items()
    }
    if "segments" in kept:
        recordings = {value.split()[0] for value in kept["segments"].values()}
        kept["wav.scp"] = {key: line.value for key, line in tables["wav.scp"].rows.items() if key in recordings}
    kept["spk2utt"] = spk2utt_of(kept["utt2spk"])
    with atomic_dir(path, adopt=True) as tmp:
        shutil.copytree(path, tmp, dirs_exist_ok=True)
        if not (path / BACKUP).is_dir():
            (tmp / BACKUP).mkdir()
            for name in tables:
                shutil.copy2(path / name, tmp / BACKUP / name)
        for name, rows in kept.items():
            write_table(tmp / name, rows)
