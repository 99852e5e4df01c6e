from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torchaudio.functional import fftconvolve

from speechkit.data.audio import read_audio
from speechkit.features.dereverb import suppress_late_reverb
from speechkit.features.mel import MelConfig, log_mel


def test_a_ringing_tail_is_suppressed_and_an_onset_kept() -> None:
    t = torch.arange(200, dtype=torch.float64)
    power = torch.full((200,), 1e-8, dtype=torch.float64)
    power[40:100] = 1.0  # a sound, then its room's tail dying 60 dB in 100 frames
    power[100:] = torch.exp(-13.8 * (t[100:] - 100) / 100).clamp_min(1e-8)
    log_mag = (0.5 * power.log())[None, :, None].float()
    out = suppress_late_reverb(log_mag, delay=5, weight=0.6)[0, :, 0]
    gain_db = 20 * (out - log_mag[0, :, 0]) / np.log(10)
    assert gain_db[40:45].abs().max() < 1e-4  # the onset: nothing in the recent past predicts it
    assert -4.5 < gain_db[60:100].mean() < -3.5  # a steady sound loses 1 - 0.6 of its power, no more
    assert gain_db[110:150].max() < -9.9  # the tail is mostly what the past predicts: down to the -10 dB floor


def test_padding_after_an_utterance_changes_none_of_its_frames() -> None:
    torch.manual_seed(0)
    x = torch.randn(1, 50, 8)
    padded = torch.cat([x, torch.randn(1, 30, 8)], 1)
    assert torch.equal(suppress_late_reverb(x, 4, 0.3), suppress_late_reverb(padded, 4, 0.3)[:, :50])


def test_takes_the_room_out_of_the_frames_after_a_sound_ends(tiny_lj: Path) -> None:
    dry = torch.from_numpy(read_audio(tiny_lj / "wavs" / "LJ001-0001.wav")).double()
    rate, rng = 22050, np.random.default_rng(0)
    n = int(0.4 * rate)
    tail = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n)  # RT60 0.4 s, as loud as the direct sound
    tail[:44] = 0.0
    tail *= 1 / np.sqrt(np.sum(tail**2))
    tail[0] = 1.0
    wet = fftconvolve(dry, torch.from_numpy(tail))[: len(dry)]
    cfg = MelConfig(rate, 1024, 551, 110, 80, 20.0, None)  # the aligner's 5 ms mel
    level = log_mel(dry.float(), cfg).mean(1)
    wet_mel = log_mel(wet.float(), cfg)[None]
    clean = suppress_late_reverb(wet_mel, 5, 0.3)[0].mean(1)
    ended = torch.zeros_like(level, dtype=torch.bool)
    ended[8:] = level[8:] < level[:-8] - 2.0  # the dry sound fell by 2 nepers (17 dB) within 40 ms
    loud = level > level.median()
    excess_wet, excess_clean = (wet_mel[0].mean(1) - level)[ended].mean(), (clean - level)[ended].mean()
    assert ended.sum() > 20 and excess_wet > 3.0  # the room fills those frames
    assert excess_clean < excess_wet - 0.6, (excess_wet, excess_clean)  # by 5 dB less
    assert (clean - level)[loud].mean().abs() < 1.0  # while sounding frames keep their level
