"""Fixtures for the LM tests: KenLM's programs and the mini LJSpeech sentences as LM text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from speechkit.data.text import normalize_words
from speechkit.mini.ljspeech import load_sentences

KENLM_BIN = Path(__file__).resolve().parents[2] / "tools" / "kenlm" / "bin"


def _kenlm_program(name: str) -> Path:
    """``name`` from PATH or tools/kenlm/bin. Missing is a failure, not a skip: CI builds it."""
    found = shutil.which(name) or shutil.which(name, path=str(KENLM_BIN))
    if found is None:
        pytest.fail(f"KenLM's {name} not found on PATH or in {KENLM_BIN}: run bash tools/install_kenlm.sh")
    return Path(found)


@pytest.fixture(scope="session")
def lmplz() -> Path:
    return _kenlm_program("lmplz")


@pytest.fixture(scope="session")
def build_binary() -> Path:
    return _kenlm_program("build_binary")


@pytest.fixture(scope="session")
def query() -> Path:
    return _kenlm_program("query")


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
