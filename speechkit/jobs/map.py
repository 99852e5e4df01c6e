"""A function over a list, as jobs: what ``parallel_map`` does on this machine, through ``--cmd``'s backend.

For stages whose work is not a data dir (the mini-corpus generators: a list of batches of sentences to render).
The items are cut into up to ``nj`` contiguous parts and pickled into a work folder next to the output; job ``J``
runs ``python -m speechkit.jobs.map PART.pkl RESULT.pkl``, which maps the function over its part exactly as
:func:`~speechkit.utils.parallel.parallel_map` would here (each item in a fresh process when asked, so results do not
depend on ``nj`` or the backend), and the results come back in input order. The work folder, with the job logs,
goes when every job has succeeded; after a failure its log is there to read. Functions travel by reference, so
they must be module-level; the work folder must be on a file system the nodes share.
"""

from __future__ import annotations

import pickle
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from speechkit.jobs.backend import Cmd, run_jobs
from speechkit.utils.atomic import atomic_path
from speechkit.utils.parallel import parallel_map

T = TypeVar("T")
R = TypeVar("R")


def job_map(fn: Callable[[T], R], items: Sequence[T], nj: int, description: str, cmd: Cmd, stage: str, work: Path,
            fresh_process: bool = False, preload: Sequence[str] = ()) -> list[R]:  # fmt: skip
    """``[fn(x) for x in items]``: on ``nj`` processes here when ``cmd`` is local, else as up to ``nj`` jobs
    through its backend, their files in ``work`` and their logs in ``work/log/<stage>.J.log`` (see the module
    docstring)."""
    if cmd.backend == "local":
        return parallel_map(fn, items, nj, description, fresh_process, preload)
    n = max(1, min(nj, len(items)))
    bounds = [len(items) * j // n for j in range(n + 1)]
    shutil.rmtree(work, ignore_errors=True)  # an interrupted run's
    work.mkdir(parents=True)
    jobs = []
    for j in range(n):
        part = work / f"part{j + 1}.pkl"
        with open(part, "wb") as f:
            pickle.dump((fn, list(items[bounds[j] : bounds[j + 1]]), description, fresh_process, list(preload)), f)
        jobs.append([sys.executable, "-m", "speechkit.jobs.map", str(part), str(work / f"result{j + 1}.pkl")])
    run_jobs(stage, jobs, work / "log", cmd)
    results: list[R] = []
    for j in range(n):
        with open(work / f"result{j + 1}.pkl", "rb") as f:
            results += pickle.load(f)
    shutil.rmtree(work)
    return results


def work_dir(out: str | Path) -> Path:
    """Where the jobs making ``out`` keep their files and logs: a hidden folder beside it."""
    out = Path(out).absolute()
    return out.parent / f".{out.name}.jobs"


def _run_part(part: Path, result: Path) -> None:
    """One job: map the function of ``part`` over its items, here, and pickle the results into ``result``."""
    with open(part, "rb") as f:
        fn, items, description, fresh_process, preload = pickle.load(f)
    results: list[Any] = parallel_map(fn, items, 1, description, fresh_process, preload)
    with atomic_path(result) as tmp, open(tmp, "wb") as f:
        pickle.dump(results, f)


if __name__ == "__main__":
    _run_part(Path(sys.argv[1]), Path(sys.argv[2]))
