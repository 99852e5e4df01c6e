"""Map a function over items on ``nj`` worker processes with a rich progress bar, results in input order."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from typing import TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

T = TypeVar("T")
R = TypeVar("R")


def progress_bar(transient: bool = False) -> Progress:
    """The toolkit's standard progress bar: description, bar, done/total, elapsed, ETA."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=transient,
    )


def parallel_map(fn: Callable[[T], R], items: Sequence[T], nj: int, description: str) -> list[R]:
    """``[fn(x) for x in items]`` over ``nj`` spawned processes (fresh interpreters: C libraries with global
    state, like eSpeak, must not be shared through fork)."""
    with progress_bar() as bar:
        task = bar.add_task(description, total=len(items))
        if nj <= 1:
            results = []
            for item in items:
                results.append(fn(item))
                bar.advance(task)
            return results
        with mp.get_context("spawn").Pool(nj) as pool:
            results = []
            for result in pool.imap(fn, items, chunksize=max(1, min(16, len(items) // (nj * 8) or 1))):
                results.append(result)
                bar.advance(task)
            return results
