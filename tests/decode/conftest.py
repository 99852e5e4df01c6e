"""Fixtures: the tiny ARPA models of :mod:`tiny_lms` written to files."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_lms import HELLO_ARPA, HI_ARPA


@pytest.fixture()
def hello_arpa(tmp_path: Path) -> Path:
    path = tmp_path / "hello.arpa"
    path.write_text(HELLO_ARPA)
    return path


@pytest.fixture()
def hi_arpa(tmp_path: Path) -> Path:
    path = tmp_path / "hi.arpa"
    path.write_text(HI_ARPA)
    return path
