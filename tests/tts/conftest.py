"""Data the vocoder tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from speechkit.corpora.ljspeech import prepare_ljspeech


@pytest.fixture(scope="session")
def vocoder_data(tiny_lj: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data dirs of the tiny LJSpeech corpus: 10 train, 1 dev, 1 test utterances."""
    out = tmp_path_factory.mktemp("vocoder_data")
    prepare_ljspeech(tiny_lj, out)
    return out
