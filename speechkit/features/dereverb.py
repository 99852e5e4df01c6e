"""Late reverberation suppression on log-magnitude features (spectral subtraction of a delayed, averaged past).

Why: in a room, each sound keeps ringing for a few hundred milliseconds. A frame just after a phone boundary then
still holds much of the previous phone's energy, and an aligner trained on its own alignments learns to put every
boundary late (on the warped, reverberant dev voice of ``bench/align_voices.sh``: +11 ms on average). The direct
sound of a new phone arrives at once, so removing the energy that the recent past predicts brings its onset back.

The estimate is the classic one of Lebart et al. (2001), without a reverberation time: the late part of frame
``t`` is ``weight`` times the mean power of the ``delay`` frames that ended ``delay`` frames before ``t``, and is
subtracted from the power, never below ``floor`` times the power itself. It is causal, so padding after an
utterance changes none of its frames.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def suppress_late_reverb(log_mag: Tensor, delay: int, weight: float, floor: float = 0.1) -> Tensor:
    """``log_mag`` ``(B, T, D)`` natural-log magnitudes with the late reverberation estimate subtracted from their
    power (see the module docstring); ``delay`` in frames (at least 1)."""
    power = (2 * log_mag).exp()
    past = F.avg_pool1d(power.transpose(1, 2), delay, stride=1)  # frame i: mean of frames i .. i + delay - 1
    late = F.pad(past, (2 * delay - 1, 0))[..., : power.shape[1]].transpose(1, 2)
    clean = torch.maximum(power - weight * late, floor * power)
    return 0.5 * clean.log()
