"""Frame energy for TTS: the L2 norm of each magnitude-STFT frame, framed exactly like the log-mel.

FastSpeech 2's energy. The framing is :mod:`speechkit.features.mel`'s (zero padding of ``(n_fft - hop) / 2`` on
each side, no centring), so a wave of ``n`` samples gives ``n // hop`` values aligned with the mel frames.
"""

from __future__ import annotations

import torch
import torch.nn.functional as nnf
import torchaudio.functional as taf
from torch import Tensor

from speechkit.features.mel import MelConfig, hann_window, n_frames


def energy(wav: Tensor, cfg: MelConfig) -> Tensor:
    """``||STFT frame||_2`` of ``wav`` ``(samples,)`` or ``(batch, samples)``: ``(..., n_frames(samples))``.

    Example::

        energy(torch.zeros(22050), MelConfig(sample_rate=22050, hop_length=256))  # 86 zeros
    """
    frames = n_frames(wav.shape[-1], cfg)
    if frames == 0:
        return wav.new_zeros(*wav.shape[:-1], 0)
    left = (cfg.n_fft - cfg.hop_length) // 2
    padded = nnf.pad(wav, (left, cfg.n_fft - cfg.hop_length - left))
    spec = taf.spectrogram(padded, pad=0, window=hann_window(cfg).to(wav), n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                           win_length=cfg.win_length, power=1.0, normalized=False, center=False)  # fmt: skip
    return torch.linalg.vector_norm(spec, dim=-2)
