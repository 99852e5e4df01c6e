"""What every scorer shares: pairing reference and hypothesis tables, and publishing the figures.

The figures are one flat ``{metric: number}`` dict. Rates (``wer``, ``cer``, ``*_acc``) are percentages rounded to
two decimals; counts (``n_utts``, ``n_missing``, ``sub``, ...) are integers. The same dict goes to ``scores.json``,
to the printed table and to the ``RESULTS.md`` row, so the three never disagree.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from speechkit.data.table import read_table
from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import write_text_atomic

Scores = dict[str, float | int]
RESULTS_HEADER = "| date | dir | scores |\n|---|---|---|\n"


def pair_tables(ref_path: str | Path, hyp_path: str | Path) -> list[tuple[str, str, str | None]]:
    """Return ``(utt, ref, hyp)`` for every reference utterance, in reference order; ``hyp`` is None if missing.

    A hypothesis line holding only the key is an empty hypothesis (``""``). A hypothesis key that the reference
    lacks means the wrong files were paired, so it is an error rather than something to skip; so is a hypothesis
    file with no line at all (a failed decode), which would otherwise score as 100 % errors.
    """
    refs = read_table(ref_path)
    if not refs:
        raise SpeechkitError(ref_path, "has no utterances")
    hyps = read_table(hyp_path, allow_empty=True)
    if not hyps:
        raise SpeechkitError(hyp_path, f"has no hypotheses for the {len(refs)} reference utterances: nothing to score "
                                       "(an empty hypothesis is a line holding only its key)")
    unknown = next((key for key in hyps if key not in refs), None)
    if unknown is not None:
        raise SpeechkitError(hyp_path, f"key {unknown!r} is not in the reference {ref_path}")
    return [(utt, ref, hyps.get(utt)) for utt, ref in refs.items()]


def percent(part: int, whole: int) -> float:
    """``100 * part / whole`` rounded to two decimals, the precision every score file uses."""
    return round(100.0 * part / whole, 2)


def write_scores(out_dir: str | Path, scores: Scores) -> Path:
    """Merge ``scores`` into ``out_dir/scores.json`` (atomically) and return its path.

    Merging lets ``score intent`` and ``score asr`` fill one decode dir's file, as DESIGN.md's single
    ``scores.json`` per decode asks; a metric scored again replaces its old value.
    """
    path = Path(out_dir) / "scores.json"
    merged = json.loads(path.read_text()) if path.is_file() else {}
    merged.update(scores)
    write_text_atomic(path, json.dumps(merged, indent=2) + "\n")
    return path


def _fmt(value: float | int) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def print_scores(scores: Scores, title: str, console: Console | None = None) -> None:
    """Print ``scores`` as a two-column rich table."""
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in scores.items():
        table.add_row(name, _fmt(value))
    (console or Console()).print(table)


def append_results(results_path: str | Path, out_dir: str | Path, scores: Scores) -> None:
    """Append a ``| date | dir | scores |`` row to a recipe's RESULTS.md, creating it with a header if missing.

    One ``scores`` column of ``name=value`` pairs lets ASR and intent rows share a file. The file is rewritten
    atomically so an interrupted run never leaves half a row.
    """
    path = Path(results_path)
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    figures = ", ".join(f"{name}={_fmt(value)}" for name, value in scores.items())
    row = f"| {datetime.now():%Y-%m-%d %H:%M} | {out_dir} | {figures} |\n"
    write_text_atomic(path, (old or RESULTS_HEADER) + row)
