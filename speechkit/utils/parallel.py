"""Map a function over items on ``nj`` worker processes with a rich progress bar, results in input order."""

from __future__ import annotations

import multiprocessing as mp
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

T = TypeVar("T")
R = TypeVar("R")


def progress_bar(transient: bool = False) -> Progress:
    """The toolkit's standard progress bar: description, bar, done/total, elapsed, ETA; on standard error, so that
    standard output carries only results (`speechkit decode --audio` prints transcripts there)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=transient,
    )


def _one_thread() -> None:
    """Worker initializer: ``nj`` workers each using every core for torch ops would oversubscribe the CPU."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def parallel_map(fn: Callable[[T], R], items: Sequence[T], nj: int, description: str,
                 fresh_process: bool = False, preload: Sequence[str] = ()) -> list[R]:
    """``[fn(x) for x in items]`` over ``nj`` worker processes (see :func:`parallel_imap`)."""
    return list(parallel_imap(fn, items, nj, description, fresh_process, preload))


def parallel_imap(fn: Callable[[T], R], items: Sequence[T], nj: int, description: str,
                  fresh_process: bool = False, preload: Sequence[str] = ()) -> Iterator[R]:
    """``fn(x)`` for each of ``items`` over ``nj`` worker processes, yielded in input order as they come (a caller
    that folds them keeps no list of results).

    Workers come from a fork server that has imported ``fn``'s module and ``preload`` but run nothing, so C
    libraries with global state (eSpeak) are never shared and imports are paid once. With ``fresh_process``
    every item runs in a new process, so an item's result cannot depend on which items a worker ran before it
    (eSpeak's output drifts with its internal state); results then do not depend on ``nj``. No more workers start
    than there are items.
    """
    nj = max(1, min(nj, len(items)))
    with progress_bar() as bar:
        task = bar.add_task(description, total=len(items))
        if nj <= 1 and not fresh_process:
            for item in items:
                yield fn(item)
                bar.advance(task)
            return
        chunk = 1 if fresh_process else max(1, min(16, len(items) // (nj * 8)))
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload([fn.__module__, *preload])
        with ctx.Pool(nj, _one_thread, maxtasksperchild=1 if fresh_process else None) as pool:
            for result in pool.imap(fn, items, chunksize=chunk):
                yield result
                bar.advance(task)
