"""A private copy of the session's tiny FSC recipe dir (tests/conftest.py) for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture()
def recipe(tiny_recipe: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny recipe dir (tests write exp/ into it)."""
    dest = tmp_path / "recipe"
    shutil.copytree(tiny_recipe, dest)
    return dest
