"""Shared fixtures: tiny mini corpora synthesized once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from speechkit.mini.fsc import build_mini_fsc
from speechkit.mini.ljspeech import build_mini_ljspeech


@pytest.fixture(scope="session")
def tiny_fsc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mini FSC corpus with 2/1/1 speakers saying 8 phrasings each."""
    root = tmp_path_factory.mktemp("corpora") / "mini_fsc"
    build_mini_fsc(root, seed=3, nj=1, speakers=(2, 1, 1), phrasings_per_speaker=8)
    return root


@pytest.fixture(scope="session")
def tiny_lj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mini LJSpeech corpus of its first 12 sentences."""
    root = tmp_path_factory.mktemp("corpora") / "mini_lj"
    build_mini_ljspeech(root, seed=0, nj=1, limit=12)
    return root
