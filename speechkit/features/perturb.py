"""Speed perturbation as Kaldi recipes do it with ``sox speed``: tempo and pitch change together.

The wave is resampled as though it had been recorded at ``factor * sample_rate``, so it plays ``factor`` times
faster at ``sample_rate`` and its length becomes ``len / factor``. Resampling goes through
:func:`speechkit.data.audio.resample`, which keeps one filter kernel per rate pair, so each factor's kernel is
built once per process.
"""

from __future__ import annotations

import numpy as np

from speechkit.data.audio import resample


def speed_perturb(wav: np.ndarray, sample_rate: int, factor: float) -> np.ndarray:
    """``wav`` ``(samples,)`` float32 played ``factor`` times faster: ``(ceil(samples / factor),)``.

    The factor is rounded so that ``factor * sample_rate`` is a whole number of Hz (sox does the same); 1.0 returns
    ``wav`` itself.
    """
    if factor <= 0:
        raise ValueError(f"speed factor must be positive, got {factor}")
    source_rate = round(factor * sample_rate)
    return wav if source_rate == sample_rate else resample(wav, source_rate, sample_rate)
