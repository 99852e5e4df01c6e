"""A harder copy of an LJSpeech-layout corpus with TextGrids, for aligners: time-warped, reverberant and noisy, its
true times moved with the warp.

Usage: python bench/warp_corpus.py --corpus SRC --out DST [--seed N] [--snr-db 20] [--rt60 0.35]

Each recording, independently (drawn from ``--seed`` and the utterance id):

* **time warp**: the speed changes every 0.3-0.8 s of input to a factor drawn from 0.7-1.4, linearly interpolated
  like tape played at a varying speed, so durations, pitch and formants move together (phone lengths lose the
  synthesizer's regular rhythm; formant shifts of up to +-40 % are what VTLP imitates). The TextGrids' times go
  through the same piecewise-linear map, so they stay exact;
* **reverberation**: convolution with an exponentially decaying noise tail (RT60 ``--rt60`` +-30 %, 0-6 dB
  below the direct path: a mid-sized room a metre or two from the microphone), the direct path kept at its
  place, so the true times do not move;
* **noise**: white noise at ``--snr-db`` (+-5 dB) below the speech.

Files are written to their final names only after the whole corpus is done (a temporary folder, renamed).
"""

from __future__ import annotations

import argparse
import shutil
import zlib
from pathlib import Path

import numpy as np
import torch
from torchaudio.functional import fftconvolve

from speechkit.data.audio import audio_info, read_audio, write_audio
from speechkit.data.textgrid import Segment, read_alignment, write_textgrid


def warp_map(duration: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the input->output time map: input times and the output times they land at."""
    knots = [0.0]
    while knots[-1] < duration:
        knots.append(knots[-1] + rng.uniform(0.3, 0.8))
    knots[-1] = duration
    speed = rng.uniform(0.7, 1.4, len(knots) - 1)  # > 1 plays faster: an input second lasts 1/speed
    out = np.concatenate([[0.0], np.cumsum(np.diff(knots) / speed)])
    return np.array(knots), out


def reverb(rate: int, rt60: float, drr_db: float, rng: np.random.Generator) -> np.ndarray:
    """An impulse response: the direct path (1 at sample 0), then noise from 2 ms on decaying by 60 dB in
    ``rt60`` seconds, ``drr_db`` below the direct path in energy."""
    n = int(rate * rt60)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(0.002 * rate)] = 0.0
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    return tail


def transform(wav: np.ndarray, rate: int, rng: np.random.Generator, snr_db: float, rt60: float, warp: bool = True
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The warped, reverberant, noisy wave, and the time map's knots (input, output). ``rt60`` 0 means no
    reverberation, an infinite ``snr_db`` no noise."""
    knots_in, knots_out = warp_map(len(wav) / rate, rng) if warp else (np.array([0.0, len(wav) / rate]),) * 2
    t_out = np.arange(int(knots_out[-1] * rate)) / rate
    warped = np.interp(np.interp(t_out, knots_out, knots_in) * rate, np.arange(len(wav)), wav)
    wet = warped
    if rt60 > 0:
        rir = reverb(rate, rng.uniform(0.7, 1.3) * rt60, rng.uniform(0.0, 6.0), rng)
        wet = fftconvolve(torch.from_numpy(warped), torch.from_numpy(rir)).numpy()[: len(warped)]
    out = wet
    if np.isfinite(snr_db):
        power = np.mean(wet**2) + 1e-12
        out = wet + rng.standard_normal(len(wet)) * np.sqrt(power / 10 ** (rng.uniform(snr_db - 5, snr_db + 5) / 10))
    return out * (0.8 / max(1e-9, np.abs(out).max())), knots_in, knots_out


def moved(segments: list[Segment], knots_in: np.ndarray, knots_out: np.ndarray, end: float) -> list[Segment]:
    """``segments`` with their times mapped through the warp (none past ``end``, the warped wave's length)."""
    def at(t: float) -> float:
        return min(end, float(np.interp(t, knots_in, knots_out)))
    return [Segment(at(s.start), at(s.end), s.label) for s in segments]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--snr-db", type=float, default=20.0, help="inf: no noise")
    ap.add_argument("--rt60", type=float, default=0.35, help="0: no reverberation")
    ap.add_argument("--warp", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args()
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "wavs").mkdir(parents=True)
    (tmp / "textgrids").mkdir()
    shutil.copy(args.corpus / "metadata.csv", tmp / "metadata.csv")
    for wav_path in sorted((args.corpus / "wavs").glob("*.wav")):
        utt = wav_path.stem
        rng = np.random.default_rng([args.seed, zlib.crc32(utt.encode())])
        rate = audio_info(wav_path).samplerate
        wav, knots_in, knots_out = transform(read_audio(wav_path), rate, rng, args.snr_db, args.rt60, args.warp)
        write_audio(tmp / "wavs" / wav_path.name, wav, rate)
        ali = read_alignment(args.corpus / "textgrids" / f"{utt}.TextGrid")
        end = len(wav) / rate
        write_textgrid(tmp / "textgrids" / f"{utt}.TextGrid", moved(ali.words, knots_in, knots_out, end),
                       moved(ali.phones, knots_in, knots_out, end), end)
    shutil.rmtree(args.out, ignore_errors=True)
    tmp.rename(args.out)
    print(f"{args.out}: {len(list((args.out / 'wavs').glob('*.wav')))} recordings")


if __name__ == "__main__":
    main()
