"""Split a data dir into parts for jobs and merge the jobs' outputs back, as Kaldi's split_data.sh and the
``cat`` of its recipes do.

Parts are contiguous runs of the data dir's sorted utterances, so concatenating the jobs' outputs in job order gives
the order of the whole. Every table of the data dir keeps the lines whose key is one of the part's utterances,
their recordings (``wav.scp`` under ``segments``) or their speakers; ``spk2utt`` is rebuilt from ``utt2spk``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from speechkit.data.datadir import spk2utt_of
from speechkit.data.table import read_table, scan_table, write_table
from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import OWNED, atomic_path, write_text_atomic


def utterance_ids(data_dir: Path) -> list[str]:
    """The utterances of ``data_dir``: the keys of ``segments`` if it has one, else of ``wav.scp``."""
    table = data_dir / "segments" if (data_dir / "segments").is_file() else data_dir / "wav.scp"
    return list(read_table(table))


def split_data_dir(data_dir: Path, n: int, dest: Path) -> list[Path]:
    """Write ``dest/1 .. dest/n`` (fewer when there are fewer utterances), each a data dir of one contiguous share
    of ``data_dir``'s utterances; returns them."""
    utts = utterance_ids(data_dir)
    if not utts:
        raise SpeechkitError(data_dir, "has no utterances to split into jobs")
    n = min(n, len(utts))
    segments = read_table(data_dir / "segments") if (data_dir / "segments").is_file() else {}
    utt2spk = read_table(data_dir / "utt2spk") if (data_dir / "utt2spk").is_file() else {}
    tables = [p for p in sorted(data_dir.iterdir()) if p.is_file() and p.name not in ("spk2utt", ".speechkit")]
    parts = []
    for j in range(n):
        share = utts[j * len(utts) // n : (j + 1) * len(utts) // n]
        keys = set(share) | {segments[u].split()[0] for u in share if u in segments}
        keys |= {utt2spk[u] for u in share if u in utt2spk}
        part = dest / str(j + 1)
        part.mkdir(parents=True, exist_ok=True)
        for table in tables:
            write_table(part / table.name, [(line.key, line.value) for line in scan_table(table) if line.key in keys])
        if utt2spk:
            write_table(part / "spk2utt", spk2utt_of({u: utt2spk[u] for u in share if u in utt2spk}))
        parts.append(part)
    return parts


Combine = Callable[[list[Path], Path], str]
"""Merges the copies of one file that several jobs wrote (their paths, in job order) into the text of ``target``."""


def merge_outputs(job_outs: list[Path], out: Path, combine: Mapping[str, Combine] | None = None) -> None:
    """Into ``out``: each file named in ``combine`` (a path relative to the job dirs) made by its function; each other
    file that several jobs wrote (a table), concatenated in job order and written atomically; each file only one job
    wrote (one per utterance, e.g. a TextGrid), moved, subfolders included. The jobs' ownership marks are dropped."""
    combine = combine or {}
    out.mkdir(parents=True, exist_ok=True)
    owners: dict[Path, list[Path]] = {}
    for d in job_outs:
        for p in sorted(d.rglob("*")):
            if p.is_file() and p.name != OWNED:
                owners.setdefault(p.relative_to(d), []).append(d)
    for rel, dirs in sorted(owners.items(), key=lambda item: (str(item[0]) in combine, item[0])):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if str(rel) in combine:
            write_text_atomic(target, combine[str(rel)]([d / rel for d in dirs], target))
        elif len(dirs) == 1:
            shutil.move(dirs[0] / rel, target)
        else:
            with atomic_path(target) as tmp, open(tmp, "wb") as f:
                for d in dirs:
                    f.write((d / rel).read_bytes())


def relocated_table(dest: Path, files: list[Path], target: Path) -> str:
    """A :data:`Combine` for tables whose values are files in their job's output dir (a ``wav.scp`` of written
    waves): concatenated, each such path pointing into ``dest``, the merged output's final place, instead."""
    lines = []
    for f in files:
        job_dir = str(f.parent.resolve()) + os.sep
        for key, value in read_table(f).items():
            moved = str(dest.resolve() / value[len(job_dir) :]) if value.startswith(job_dir) else value
            lines.append(f"{key} {moved}\n")
    return "".join(lines)
