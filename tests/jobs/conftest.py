"""A one-node Slurm cluster for the session (tools/slurm_localhost.sh), and a tiny aligner whose stage runs as jobs."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Starts slurmctld and slurmd on this machine; yields the environment (``SLURM_CONF``) that reaches them."""
    if shutil.which("slurmctld") is None or shutil.which("sbatch") is None:
        pytest.fail("Slurm is not installed: run tools/install_slurm.sh as root (CI does)")
    where = tmp_path_factory.mktemp("slurm")
    res = subprocess.run(["bash", str(TOOLS / "slurm_localhost.sh"), "start", str(where)], capture_output=True,
                         text=True, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr
    yield {"SLURM_CONF": str(where / "slurm.conf")}
    subprocess.run(["bash", str(TOOLS / "slurm_localhost.sh"), "stop", str(where)], check=False)


@pytest.fixture(scope="module")
def aligner(tiny_lj: Path, tmp_path_factory: pytest.TempPathFactory, cli) -> tuple[Path, Path]:
    """The tiny LJSpeech data dirs and a tiny aligner trained on the train split: (data root, model dir)."""
    root = tmp_path_factory.mktemp("align_jobs")
    assert cli("prep", "ljspeech", "--corpus-root", tiny_lj, "--out", root / "data").returncode == 0
    res = cli("align", "--data", root / "data" / "train", "--out", root / "exp", "--train", "--threads", "1",
              "model.net.channels=16", "model.net.kernels=[3,1]", "train.rounds=2", "train.epochs=[1]")  # fmt: skip
    assert res.returncode == 0, res.stderr
    return root / "data", root / "exp" / "model"
