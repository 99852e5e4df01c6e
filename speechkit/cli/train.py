"""`speechkit train`: train the model a recipe's config describes."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import typer
import yaml

from speechkit.errors import SpeechkitError

# task name in conf/*.yaml -> (module, config class, train function)
TASKS = {
    "slu": ("speechkit.train.slu", "SLUConfig", "train_slu"),
    "asr": ("speechkit.train.asr", "ASRConfig", "train_asr"),
    "hifigan": ("speechkit.train.vocoder", "VocoderConfig", "train_hifigan"),
    "fastspeech2": ("speechkit.train.tts", "TTSConfig", "train_fastspeech2"),
}


def device_of(name: str) -> "torch.device":  # noqa: F821 - torch imported lazily for a fast --help
    import torch

    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SpeechkitError(None, f"--device {name}: no CUDA device is available")
    return torch.device(name)


def train(
    recipe: Path = typer.Option(..., "--recipe", help="Recipe directory; config paths are relative to it."),
    config: Path = typer.Option(None, "--config", help="Config file (default: RECIPE/conf/train.yaml)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda (bf16/fp16 autocast on GPU)."),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads of torch. On an idle 2-core box two trained "
                                "the FSC model 15-20 % faster than one; with other jobs on it, several times slower."),
    overrides: list[str] = typer.Argument(None, metavar="[KEY=VALUE]...", help="Config overrides."),
) -> None:
    """Train the model of a recipe's config; an interrupted run resumes from its last epoch checkpoint.

    [bold]Examples[/]

      speechkit train --recipe egs/fsc/slu1

      speechkit train --recipe egs/fsc/slu1 train.epochs=2 exp_dir=exp/quick --device cuda
    """
    from speechkit.config import load_config

    if not recipe.is_dir():
        raise SpeechkitError(recipe, "recipe directory not found")
    config = (config if config and config.exists() else recipe / (config or "conf/train.yaml")).resolve()
    if not config.is_file():
        raise SpeechkitError(config, "config file not found")
    raw = yaml.safe_load(config.read_text()) or {}
    task = raw.get("task") if isinstance(raw, dict) else None
    if task not in TASKS:
        raise SpeechkitError(config, f"'task' must be one of {', '.join(TASKS)}, found {task!r}")
    module, cls_name, fn_name = TASKS[task]
    mod = importlib.import_module(module)
    sys.modules["torch"].set_num_threads(threads)  # the task module has imported torch
    os.chdir(recipe)
    cfg = load_config(getattr(mod, cls_name), config, overrides or [])
    summary = getattr(mod, fn_name)(cfg, device_of(device))
    typer.echo(yaml.safe_dump(summary, sort_keys=False).rstrip())
