"""Griffin-Lim: a real utterance's mel comes back as a wave of the same length whose mel is close."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from speechkit.data.audio import read_audio
from speechkit.features.mel import LOG_FLOOR, TTS_MEL, log_mel
from speechkit.tts.griffinlim import GriffinLim, mel_to_magnitude


@pytest.fixture(scope="module")
def real_mel(tiny_lj: Path) -> torch.Tensor:
    wav = torch.from_numpy(read_audio(min((tiny_lj / "wavs").glob("*.wav")), TTS_MEL.sample_rate))
    return log_mel(wav[: 2 * TTS_MEL.sample_rate], TTS_MEL)  # 2 s keep the test quick


def mel_error(mel: torch.Tensor, wav: torch.Tensor) -> float:
    """Mean absolute log-mel difference over the bins that hold sound (more than 40 dB over the floor)."""
    again = log_mel(wav, TTS_MEL)
    loud = mel > math.log(LOG_FLOOR) + math.log(100)
    return (again - mel).abs()[loud].mean().item()


def test_reconstruction_is_close_and_deterministic(real_mel: torch.Tensor) -> None:
    voc = GriffinLim(TTS_MEL, n_iter=32)
    wav = voc.vocode(real_mel[None])
    assert wav.shape == (1, real_mel.shape[0] * TTS_MEL.hop_length)
    assert mel_error(real_mel, wav[0]) < 0.2
    assert torch.equal(wav, voc.vocode(real_mel[None]))
    # more iterations fit better; the NNLS magnitudes fit the mels better than the pseudo-inverse alone
    assert mel_error(real_mel, GriffinLim(TTS_MEL, n_iter=4).vocode(real_mel[None])[0]) > mel_error(real_mel, wav[0])
    magnitudes = [mel_to_magnitude(real_mel[None], voc.filters, voc.pinv, n)[0] for n in (0, 10)]
    fit = [(m.T @ voc.filters - real_mel.exp()).abs().mean() for m in magnitudes]
    assert fit[1] < fit[0] and all(m.shape == (TTS_MEL.n_fft // 2 + 1, len(real_mel)) for m in magnitudes)
    assert all((m >= 0).all() for m in magnitudes)


def test_padded_batches_and_short_inputs(real_mel: torch.Tensor) -> None:
    voc = GriffinLim(TTS_MEL, n_iter=8)
    short = real_mel[:50]
    batch = torch.full((2, 80, TTS_MEL.n_mels), math.log(LOG_FLOOR))
    batch[0], batch[1, :50] = real_mel[:80], short
    wavs = voc.vocode(batch)
    assert wavs.shape == (2, 80 * TTS_MEL.hop_length)
    assert wavs[1, 52 * TTS_MEL.hop_length :].abs().max() < 1e-3 * wavs[1].abs().max()  # padding is silence
    for frames in (0, 1, 3):
        assert voc.vocode(real_mel[None, :frames]).shape == (1, frames * TTS_MEL.hop_length)
