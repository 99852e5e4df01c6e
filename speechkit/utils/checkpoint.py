"""Checkpoints on disk: written atomically, loaded with ``weights_only=True`` so loading never runs code."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import torch

from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import atomic_path

_EPOCH_FILE = re.compile(r"epoch(\d+)\.pt$")


def save(obj: dict[str, Any], path: Path) -> None:
    """``torch.save`` to a temporary name, renamed when complete.

    The checkpoint is serialized in memory first and then written as plain bytes: a full disk then fails as an
    ``OSError`` that :func:`atomic_path` reports in one line, not as torch's cryptic zip-writer error."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def load(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint of plain tensors and containers; a corrupt or foreign file is a user error."""
    if not path.is_file():
        raise SpeechkitError(path, "checkpoint not found")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises many types for truncated/foreign files
        raise SpeechkitError(path, f"cannot load checkpoint ({type(e).__name__}: {str(e).splitlines()[0]})") from None


def epoch_path(ckpt_dir: Path, epoch: int) -> Path:
    return ckpt_dir / f"epoch{epoch}.pt"


def epochs_on_disk(ckpt_dir: Path) -> list[int]:
    """Epoch numbers of the checkpoints in ``ckpt_dir``, ascending."""
    if not ckpt_dir.is_dir():
        return []
    return sorted(int(m.group(1)) for p in ckpt_dir.iterdir() if (m := _EPOCH_FILE.search(p.name)))


def average(paths: list[Path]) -> dict[str, torch.Tensor]:
    """Element-wise mean of the ``model`` weights of several checkpoints (integer buffers from the last)."""
    states = [load(p)["model"] for p in paths]
    avg = {}
    for key, value in states[-1].items():
        if value.is_floating_point():
            avg[key] = sum(s[key].double() for s in states).div(len(states)).to(value.dtype)
        else:
            avg[key] = value
    return avg
