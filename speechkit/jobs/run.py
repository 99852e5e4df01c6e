"""A stage as jobs: split its data dir, run this same command on each part through the backend, merge the outputs.

The job commands are the user's own command line (or one the stage gives) with ``--data``, ``--out``, ``--nj 1``
and ``--cmd local`` replaced, so a job does what the whole would do on its share; the parts are contiguous, so the
merged outputs come in the order of one process over the whole data dir, and are the same whichever backend ran the
jobs (a test checks it). Against one process transcripts are the same (at inference a Conformer's output does not
depend on the padding of its batch); synthesized waves stay within 40 dB SNR. Work files live in
``OUT/split<N>`` and go when the merge is done; the logs stay in ``OUT/log``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from speechkit.jobs.backend import Cmd, run_jobs
from speechkit.jobs.split import Combine, merge_outputs, split_data_dir


def with_options(argv: Sequence[str], options: Mapping[str, str]) -> list[str]:
    """``argv`` with each ``--name`` of ``options`` (given as ``--name value`` or ``--name=value``) set to its
    value, added at the end when absent."""
    out, skip = [], False
    for arg in argv:
        name = arg.partition("=")[0]
        if skip:
            skip = False
        elif name in options:
            skip = "=" not in arg
        else:
            out.append(arg)
    for name, value in options.items():
        out += [name, value]
    return out


def run_as_jobs(stage: str, data_dir: Path, out_dir: Path, nj: int, cmd: Cmd, command: Sequence[str] | None = None,
                threads: int = 1, combine: Mapping[str, Combine] | None = None) -> int:  # fmt: skip
    """Run ``command`` (``speechkit`` arguments; default: this command line) as up to ``nj`` jobs over
    ``data_dir``'s parts into ``out_dir``; returns the number of jobs (no more than there are utterances).
    ``combine`` merges the files that are not tables or one job's own (:func:`~speechkit.jobs.split.merge_outputs`)."""
    work = out_dir / f"split{nj}"
    shutil.rmtree(work, ignore_errors=True)  # an interrupted run's
    parts = split_data_dir(data_dir, nj, work / "data")
    outs = [work / "out" / part.name for part in parts]
    jobs = [[sys.executable, "-m", "speechkit",
             *with_options(sys.argv[1:] if command is None else command,
                           {"--data": str(part), "--out": str(job_out), "--nj": "1", "--cmd": "local"})]
            for part, job_out in zip(parts, outs)]  # fmt: skip
    run_jobs(stage, jobs, out_dir / "log", cmd, threads)
    merge_outputs(outs, out_dir, combine)
    shutil.rmtree(work)
    return len(jobs)
