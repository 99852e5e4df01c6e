"""The log-mel definition: frame counts, batch invariance, parity with torchaudio's MelSpectrogram."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as nnf
import torchaudio.transforms as T

from speechkit.features.mel import LogMel, MelConfig, log_mel, n_frames

ASR = MelConfig()
TTS = MelConfig(sample_rate=22050, n_fft=1024, win_length=1024, hop_length=256, f_min=0.0, f_max=8000.0)


@pytest.mark.parametrize("cfg", [ASR, TTS], ids=["asr", "tts"])
@pytest.mark.parametrize("samples", [0, 100, 160, 399, 400, 16000, 16159, 22050])
def test_frame_count_is_n_frames(cfg: MelConfig, samples: int) -> None:
    feats = log_mel(torch.randn(samples), cfg)
    assert feats.shape == (n_frames(samples, cfg), cfg.n_mels)
    assert n_frames(samples, cfg) == samples // cfg.hop_length


@pytest.mark.parametrize("cfg", [ASR, TTS], ids=["asr", "tts"])
def test_batch_matches_single_on_valid_frames(cfg: MelConfig) -> None:
    gen = torch.Generator().manual_seed(0)
    lengths = torch.tensor([cfg.sample_rate, 777, cfg.sample_rate // 3, cfg.hop_length * 5 + 1])
    singles = [0.1 * torch.randn(int(n), generator=gen) for n in lengths]
    wavs = torch.nn.utils.rnn.pad_sequence(singles, batch_first=True)
    feats, feat_lengths = LogMel(cfg)(wavs, lengths)
    assert feats.shape == (4, n_frames(int(lengths.max()), cfg), cfg.n_mels)
    for wav, batch_feats, frames in zip(singles, feats, feat_lengths):
        alone = log_mel(wav, cfg)
        assert alone.shape[0] == frames
        torch.testing.assert_close(batch_feats[:frames], alone, rtol=0, atol=1e-5)


@pytest.mark.parametrize("cfg", [ASR, TTS], ids=["asr", "tts"])
def test_matches_torchaudio_melspectrogram(cfg: MelConfig) -> None:
    wav = 0.1 * torch.randn(2, 5000, generator=torch.Generator().manual_seed(1))
    reference = T.MelSpectrogram(sample_rate=cfg.sample_rate, n_fft=cfg.n_fft, win_length=cfg.win_length,
                                 hop_length=cfg.hop_length, f_min=cfg.f_min, f_max=cfg.top_freq, n_mels=cfg.n_mels,
                                 power=1.0, center=False, norm="slaney", mel_scale="slaney")
    pad = (cfg.n_fft - cfg.hop_length) // 2
    expected = reference(nnf.pad(wav, (pad, pad))).clamp_min(1e-5).log().transpose(-1, -2)
    torch.testing.assert_close(log_mel(wav, cfg), expected)


def test_silence_sits_at_the_floor() -> None:
    assert torch.equal(log_mel(torch.zeros(1600), ASR), torch.full((10, 80), torch.tensor(1e-5).log().item()))


def test_rejects_inconsistent_sizes() -> None:
    with pytest.raises(ValueError, match="hop_length"):
        MelConfig(n_fft=256, win_length=400)
    with pytest.raises(ValueError, match="f_max"):
        MelConfig(f_max=9000.0)
