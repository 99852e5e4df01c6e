"""Recipe smoke tests: copy a recipe (and egs/utils) into a temporary dir, give it tiny configs, run its run.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

EGS = Path(__file__).parents[2] / "egs"


def copy_recipe(recipe: str, dest: Path, confs: dict[str, str]) -> Path:
    """``egs/<recipe>`` and ``egs/utils`` copied under ``dest`` (no data/ or exp/), each of ``confs`` (``conf/x.yaml``
    -> text) written over the recipe's own; returns the copied recipe dir."""
    shutil.copytree(EGS / "utils", dest / "egs" / "utils")
    skip = shutil.ignore_patterns("data", "exp", "downloads", "RESULTS.md")
    copy = shutil.copytree(EGS / recipe, dest / "egs" / recipe, ignore=skip)
    for name, text in confs.items():
        (copy / name).write_text(text)
    return copy


def _run_recipe(recipe: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``bash run.sh ARGS`` in ``recipe`` with one torch thread (tiny models: threads only add overhead)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(["bash", str(recipe / "run.sh"), *args], capture_output=True, text=True, env=env,
                          check=False)  # fmt: skip


@pytest.fixture()
def run_recipe() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_recipe(recipe_dir, "--stage", "3")``: ``bash run.sh ARGS`` with one torch thread."""
    return _run_recipe


@pytest.fixture()
def recipe_copy(tmp_path: Path) -> Callable[[str, dict[str, str]], Path]:
    """``recipe_copy("fsc/slu1", {"conf/train.yaml": TINY})``: see :func:`copy_recipe`."""
    return lambda recipe, confs: copy_recipe(recipe, tmp_path, confs)
