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
    if nproc > 1 and "WORLD_SIZE" not in os.environ:
        _exec_torchrun(nproc)
    import torch

    from speechkit.config import load_config
    from speechkit.train import parallel
    from speechkit.train.loop import fit
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
    torch.set_num_threads(threads)
    os.chdir(recipe)
    cfg = load_config(TASKS[task].config, config, overrides or [])
    with parallel.session(device_of(device)) as process_device:
        summary = fit(TASKS[task], cfg, process_device, restart)
        if parallel.is_main():
            typer.echo(yaml.safe_dump(summary, sort_keys=False).rstrip())


def _exec_torchrun(nproc: int) -> None:
    """Replace this process by torchrun running this same command without ``--nproc`` in ``nproc`` processes on
    this machine (``--standalone``: a free local rendezvous port)."""
    args, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            args.append(arg)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
           "-m", "speechkit", *args]  # fmt: skip
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, cmd)
