"""Run a stage's jobs through a backend, as Kaldi's ``run.pl`` and ``slurm.pl`` do: chosen once per recipe with
``--cmd`` (or ``SPEECHKIT_CMD``, which a recipe's ``cmd.sh`` exports), not written into each stage.

* ``local``: the jobs run side by side on this machine, one process each.
* ``slurm [SBATCH OPTIONS]``: one ``sbatch --wait --array=1-N`` job array; ``--gpu N`` asks each job for N GPUs
  (``--gres=gpu:N``), any other option goes to sbatch as it is (``--mem 4G``, ``--partition cpu``, ``--time 1:00:00``).
  The jobs run in the current directory with the current environment (sbatch's default), so the exp dir must be
  on a file system the nodes share.

Either way job ``J`` logs to ``LOG_DIR/<stage>.J.log`` and its exit status goes to ``LOG_DIR/<stage>.J.rc``; a
job that fails or never finishes is named in one error line with its log.

Example::

    run_jobs("decode", [["speechkit", "decode", ...], ...], Path("exp/asr/decode_test/log"), Cmd.parse("slurm --mem 4G"))
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from speechkit.errors import SpeechkitError

BACKENDS = ("local", "slurm")


@dataclass(frozen=True)
class Cmd:
    """A parsed ``--cmd``: the backend and the options it passes on."""

    backend: str = "local"
    options: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Cmd:
        words = shlex.split(text or "local")
        if not words or words[0] not in BACKENDS:
            raise SpeechkitError(None, f"--cmd must start with {' or '.join(BACKENDS)}, found {text!r}")
        if words[0] == "local" and len(words) > 1:
            raise SpeechkitError(None, f"--cmd local takes no options, found {' '.join(words[1:])!r}")
        options, rest = [], words[1:]
        while rest:
            word = rest.pop(0)
            if word == "--gpu" or word.startswith("--gpu="):
                n = word.partition("=")[2] or (rest.pop(0) if rest else "")
                if not n.isdigit():
                    raise SpeechkitError(None, f"--cmd: --gpu takes a number of GPUs, found {n!r}")
                options.append(f"--gres=gpu:{n}")
            else:
                options.append(word)
        return cls(words[0], options)


def run_jobs(stage: str, jobs: list[list[str]], log_dir: Path, cmd: Cmd, threads: int = 1) -> None:
    """Run ``jobs`` (argument lists) through ``cmd``'s backend and wait for all; raise naming the first job that
    failed. Each job gets ``threads`` CPU threads (``OMP_NUM_THREADS``; ``--cpus-per-task`` on Slurm)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    for j in range(1, len(jobs) + 1):
        for suffix in (".log", ".rc"):
            (log_dir / f"{stage}.{j}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "SPEECHKIT_CMD": "local"}  # a job runs no jobs
    if cmd.backend == "local":
        _run_local(stage, jobs, log_dir, env)
    else:
        _run_slurm(stage, jobs, log_dir, cmd.options, threads, env)
    for j in range(1, len(jobs) + 1):
        log, rc = log_dir / f"{stage}.{j}.log", log_dir / f"{stage}.{j}.rc"
        status = rc.read_text().strip() if rc.is_file() else ""
        if status != "0":
            what = f"failed with exit status {status}" if status else "did not finish (killed, out of memory or time?)"
            raise SpeechkitError(log, f"{stage} job {j} of {len(jobs)} {what}: {_last_line(log)}")


def _run_local(stage: str, jobs: list[list[str]], log_dir: Path, env: dict[str, str]) -> None:
    procs = []
    for j, argv in enumerate(jobs, 1):
        with open(log_dir / f"{stage}.{j}.log", "w", encoding="utf-8") as log:
            log.write(f"# {shlex.join(argv)}\n")
            log.flush()
            procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env))
    try:
        for j, proc in enumerate(procs, 1):
            (log_dir / f"{stage}.{j}.rc").write_text(f"{proc.wait()}\n")
    finally:
        for proc in procs:  # interrupted: no job outlives the command
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _run_slurm(stage: str, jobs: list[list[str]], log_dir: Path, options: list[str], threads: int,
               env: dict[str, str]) -> None:  # fmt: skip
    if shutil.which("sbatch") is None:
        raise SpeechkitError(None, "--cmd slurm: sbatch is not on PATH (is this a Slurm login node?)")
    log_dir = log_dir.resolve()
    script = log_dir / f"{stage}.sbatch"
    cases = "".join(f"  {j}) {shlex.join(argv)} ;;\n" for j, argv in enumerate(jobs, 1))
    script.write_text(f"#!/bin/bash\n# speechkit {stage}: {len(jobs)} jobs, one per array task\n"
                      f"echo \"# job $SLURM_ARRAY_TASK_ID on $(hostname)\"\n"
                      f"case $SLURM_ARRAY_TASK_ID in\n{cases}esac\n"
                      f"echo $? > {shlex.quote(str(log_dir / stage))}.$SLURM_ARRAY_TASK_ID.rc\n")  # fmt: skip
    argv = ["sbatch", "--wait", "--parsable", f"--array=1-{len(jobs)}", f"--job-name=speechkit-{stage}",
            f"--output={log_dir / stage}.%a.log", f"--cpus-per-task={threads}", *options, str(script)]  # fmt: skip
    res = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if not res.stdout.strip() and res.returncode != 0:  # not even submitted
        raise SpeechkitError(None, f"--cmd slurm: {shlex.join(argv[:-1])} failed: {_last(res.stderr)}")


def _last(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _last_line(log: Path) -> str:
    return _last(log.read_text(encoding="utf-8", errors="replace")) if log.is_file() else "no log written"
