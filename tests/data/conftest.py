"""Fixtures for the data tests: the tiny data directory, clean and with each corruption applied."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_datadir import CORRUPTIONS, Corruption, build_data_dir


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A valid data directory at tmp_path/data (audio in tmp_path/wavs)."""
    return build_data_dir(tmp_path)


@pytest.fixture(params=CORRUPTIONS, ids=lambda c: c.name)
def corrupted(request: pytest.FixtureRequest, data_dir: Path) -> tuple[Path, Corruption]:
    """The tiny data directory with one corruption applied."""
    corruption: Corruption = request.param
    corruption.damage(data_dir)
    return data_dir, corruption
