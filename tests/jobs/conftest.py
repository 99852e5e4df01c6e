"""A tiny aligner whose stage runs as jobs."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def aligner(tiny_lj: Path, tmp_path_factory: pytest.TempPathFactory, cli) -> tuple[Path, Path]:
    """The tiny LJSpeech data dirs and a tiny aligner trained on the train split: (data root, model dir)."""
    root = tmp_path_factory.mktemp("align_jobs")
    assert cli("prep", "ljspeech", "--corpus-root", tiny_lj, "--out", root / "data").returncode == 0
    res = cli("align", "--data", root / "data" / "train", "--out", root / "exp", "--train", "--threads", "1",
              "model.net.channels=16", "model.net.kernels=[3,1]", "train.rounds=2", "train.epochs=[1]")  # fmt: skip
    assert res.returncode == 0, res.stderr
    return root / "data", root / "exp" / "model"
