"""Guard an experiment directory: one training at a time, and never a resume under a different config.

Before :func:`speechkit.train.loop.fit` touches anything in ``exp_dir`` it takes an exclusive lock (``.lock``,
``flock``: released by the kernel when the process dies, so a killed run never leaves a stale lock) and compares
the config asked for with the one the directory's checkpoints were trained under (``.request.yaml``, the config as
given, before the task fills in what the data decides). A changed config is refused, naming the keys, unless the
user asks to start over (``--restart``), which removes the previous run's checkpoints, weights and logs.

Example::

    with claim(exp):
        check_request(exp, cfg, restart=False)
        ...
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from speechkit.config import config_to_dict
from speechkit.errors import SpeechkitError
from speechkit.utils import checkpoint
from speechkit.utils.atomic import write_text_atomic

LOCK = ".lock"
REQUEST = ".request.yaml"
# What a training run writes besides the files every run rewrites (configs, lang/): removed by a restart.
PREVIOUS_RUN = ("ckpt", "model.pt", "train.jsonl", "curves.png", "plots")


@contextlib.contextmanager
def claim(exp: Path) -> Iterator[None]:
    """Hold ``exp``'s lock for the block; a second training of the same directory is refused with the holder's pid."""
    if exp.exists() and not exp.is_dir():
        raise SpeechkitError(exp, "exp_dir exists and is not a directory")
    exp.mkdir(parents=True, exist_ok=True)
    with open(exp / LOCK, "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise SpeechkitError(exp, f"another training is using this exp dir (pid {holder}): wait for it to "
                                      "finish, stop it, or choose another exp_dir") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        try:
            yield
        finally:
            f.truncate(0)


def check_request(exp: Path, cfg: Any, restart: bool) -> None:
    """Refuse to resume ``exp`` under a config other than its checkpoints'; with ``restart``, clear the old run.

    Then record ``cfg`` as the directory's config."""
    request = _comparable(cfg)
    if restart:
        for name in PREVIOUS_RUN:
            path = exp / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    elif _has_run(exp) and (exp / REQUEST).is_file():
        before = yaml.safe_load((exp / REQUEST).read_text(encoding="utf-8")) or {}
        changed = _differences(before, request)
        if changed:
            shown = "; ".join(changed[:4]) + (f"; and {len(changed) - 4} more" if len(changed) > 4 else "")
            raise SpeechkitError(exp, f"this exp dir was trained with another config ({shown}): rerun with "
                                      "--restart to discard its checkpoints and train afresh, or choose another "
                                      "exp_dir")
    write_text_atomic(exp / REQUEST, yaml.safe_dump(request, sort_keys=False, allow_unicode=True))


def _has_run(exp: Path) -> bool:
    return bool(checkpoint.epochs_on_disk(exp / "ckpt")) or (exp / "model.pt").is_file()


def _comparable(cfg: Any) -> dict[str, Any]:
    """The config as plain YAML data, without ``exp_dir`` (the same directory may be named two ways)."""
    data = config_to_dict(cfg)
    data.pop("exp_dir", None)
    return yaml.safe_load(yaml.safe_dump(data))


def _differences(before: Any, after: Any, key: str = "") -> list[str]:
    """``key: old -> new`` for every leaf that differs between two parsed configs."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [d for k in dict.fromkeys([*before, *after])
                for d in _differences(before.get(k), after.get(k), f"{key}.{k}" if key else str(k))]  # fmt: skip
    return [] if before == after else [f"{key}: {before!r} -> {after!r}"]
