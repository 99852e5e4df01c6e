"""Fixtures for the LM tests: the mini LJSpeech sentences as LM text (KenLM's programs: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from speechkit.data.text import normalize_words
from speechkit.mini.ljspeech import load_sentences

@pytest.fixture(scope="session")
def lj_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All 660 mini LJSpeech sentences, normalized as prep normalizes transcripts, one per line."""
    path = tmp_path_factory.mktemp("lm") / "lj.txt"
    path.write_text("".join(normalize_words(normalized) + "\n" for _, normalized in load_sentences()), encoding="utf-8")
    return path


@pytest.fixture
def tiny_text(tmp_path: Path) -> Path:
    """Three short sentences: too little text for closed-form discounts."""
    path = tmp_path / "tiny.txt"
    path.write_text("a b\nb a\na a b\n", encoding="utf-8")
    return path
