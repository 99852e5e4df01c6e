"""Option handling shared by the stage commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from speechkit.errors import SpeechkitError

if TYPE_CHECKING:
    import torch


def device_of(name: str) -> torch.device:
    """The torch device of ``--device NAME``; asking for CUDA on a machine without it is a user error."""
    import torch  # imported here so that `--help` stays fast

    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SpeechkitError(None, f"--device {name}: no CUDA device is available")
    return torch.device(name)


CMD_HELP = ("Where the --nj jobs run: local (this machine), or 'slurm [SBATCH OPTIONS]' (an sbatch job array; "
            "--gpu N asks for N GPUs a job). Default: $SPEECHKIT_CMD (a recipe's cmd.sh sets it), else local.")
