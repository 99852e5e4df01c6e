"""`speechkit train`: train the model a recipe's config describes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
import yaml

from speechkit.cli.common import device_of
from speechkit.errors import SpeechkitError


def train(
    recipe: Path = typer.Option(..., "--recipe", help="Recipe directory; config paths are relative to it."),
    config: Path = typer.Option(None, "--config", help="Config file (default: RECIPE/conf/train.yaml)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda (bf16/fp16 autocast on GPU)."),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads of torch. On an idle 2-core box two trained "
                                "the FSC model 15-20 % faster than one; with other jobs on it, several times slower."),
    nproc: int = typer.Option(1, "--nproc", min=1, help="Processes on this machine, for data-parallel training "
                              "through torchrun (gloo on CPU, nccl on GPUs, one GPU each); a step then takes "
                              "NPROC x train.accum_grad batches. For several machines run torchrun yourself (README)."),
    restart: bool = typer.Option(False, "--restart", help="Discard the exp dir's checkpoints, weights and logs and "
                                 "train afresh (needed to train it under a changed config)."),
    overrides: list[str] = typer.Argument(None, metavar="[KEY=VALUE]...", help="Config overrides."),
) -> None:
    """Train the model of a recipe's config; an interrupted run resumes from its last epoch checkpoint.

    One training at a time per exp dir; a resume must use the config the checkpoints were trained with.

    [bold]Examples[/]

      speechkit train --recipe egs/fsc/slu1

      speechkit train --recipe egs/fsc/slu1 train.epochs=2 exp_dir=exp/quick --device cuda

      speechkit train --recipe egs/fsc/slu1 --nproc 2 --device cuda
    """
    import torch

    from speechkit.config import load_config
    from speechkit.train import parallel
    from speechkit.train.loop import check_loop_config, fit
    from speechkit.train.tasks import TASKS

    if not recipe.is_dir():
        raise SpeechkitError(recipe, "recipe directory not found")
    config = (config if config and config.exists() else recipe / (config or "conf/train.yaml")).resolve()
    if not config.is_file():
        raise SpeechkitError(config, "config file not found")
    raw = yaml.safe_load(config.read_text()) or {}
    task = raw.get("task") if isinstance(raw, dict) else None
    if task not in TASKS:
        raise SpeechkitError(config, f"'task' must be one of {', '.join(TASKS)}, found {task!r}")
    cfg = load_config(TASKS[task].config, config, overrides or [])
    check_loop_config(cfg.train)  # a bad config is one line here, not one per process
    dev = device_of(device)
    if nproc > 1 and "WORLD_SIZE" not in os.environ:
        if device.startswith("cuda") and nproc > torch.cuda.device_count():
            raise SpeechkitError(None, f"--nproc {nproc} --device cuda needs a GPU a process; this machine has "
                                       f"{torch.cuda.device_count()}")  # fmt: skip
        _launch(nproc, threads)
        return
    torch.set_num_threads(threads)
    os.chdir(recipe)
    with parallel.session(dev) as process_device:
        summary = fit(TASKS[task], cfg, process_device, restart)
        if parallel.is_main():
            typer.echo(yaml.safe_dump(summary, sort_keys=False).rstrip())


def _launch(nproc: int, threads: int) -> None:
    """Run this same command without ``--nproc`` in ``nproc`` processes on this machine through torchrun
    (``--standalone``: a free local rendezvous port); a process that fails ends the others and this command, with
    one line (the process's own error is printed above it)."""
    import logging

    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    args, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            args.append(arg)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))  # else torchrun sets 1, with a banner
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)  # its own report of a failure
    try:
        run(parse_args(["--standalone", f"--nproc-per-node={nproc}", "-m", "speechkit", *args]))
    except ChildFailedError as e:
        rank, failure = e.get_first_failure()
        raise SpeechkitError(None, f"training stopped: process {rank} of {nproc} exited with status "
                                   f"{failure.exitcode}") from None
