"""Combine data directories into one, as Kaldi's ``utils/combine_data.sh`` does.

Every input is read strictly (:func:`~speechkit.data.datadir.load_data_dir`); the output is written atomically with
spk2utt derived anew. A task file (``utt2intent``, ``text.en``, ``durations``...) is kept only if every input has
it, because a table that covers some utterances would make the output fail validation; the others are reported.
An utterance id that two inputs share is an error: silently keeping one would drop the other's audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from speechkit.data.datadir import CORE_FILES, Utterance, load_data_dir, write_data_dir
from speechkit.errors import SpeechkitError


@dataclass(frozen=True)
class Combined:
    n_utts: int
    dropped_files: list[str]  # task files some inputs lack


def _task_files(path: Path) -> set[str]:
    if not path.is_dir():
        raise SpeechkitError(path, "data directory not found")
    return {p.name for p in path.iterdir() if p.is_file() and not p.name.startswith(".")} - set(CORE_FILES)


def combine_data_dirs(out: str | Path, inputs: list[str | Path]) -> Combined:
    """Write the union of ``inputs`` to ``out``; see the module docstring for what is kept."""
    if not inputs:
        raise SpeechkitError(None, "no data directories to combine")
    paths = [Path(p) for p in inputs]
    files = [_task_files(p) for p in paths]
    common = sorted(set.intersection(*files))
    seen: dict[str, Path] = {}
    utts: list[Utterance] = []
    for path in paths:
        for u in load_data_dir(path, extra=common):
            if u.utt in seen:
                raise SpeechkitError(path, f"utterance id {u.utt!r} is also in {seen[u.utt]}")
            seen[u.utt] = path
            utts.append(u)
    return Combined(write_data_dir(out, utts), sorted(set.union(*files) - set(common)))
