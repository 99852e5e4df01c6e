"""Copy synthesis: a vocoder fed the real test mels, scored against the recordings they came from.

Usage::

    pip install -e '.[bench]'     # pesq and pystoi
    python bench/copy_synthesis.py --data egs/ljspeech/fastspeech2/data/test [--vocoder exp/vocos] [--gl-iters 32]
        [--out DIR]   # the waves too, for the ASR judge: speechkit score tts --syn DIR --asr-model exp/asr ...

Prints the mean over the data dir of MCD (as ESPnet's evaluate_mcd.py: :mod:`speechkit.score.mcd`), wide-band
PESQ (``pesq``, both waves resampled to 16 kHz) and STOI (``pystoi``, at the recordings' rate). The synthesized
wave is cut or zero-padded to the recording's length: copy synthesis keeps the frames, so the two are time-aligned
and PESQ and STOI apply. The vocoder runs on one thread; its real-time factor is printed beside.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from pesq import pesq
from pystoi import stoi

from speechkit.data.audio import read_audio, resample, write_audio
from speechkit.data.datadir import load_audio_dir
from speechkit.data.table import key_file
from speechkit.features.mel import TTS_MEL, log_mel
from speechkit.score.mcd import mcd
from speechkit.tts.synth import GRIFFIN_LIM, load_vocoder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="data dir of real recordings (wav.scp)")
    ap.add_argument("--vocoder", default=GRIFFIN_LIM, help="griffinlim or a vocoder model dir")
    ap.add_argument("--gl-iters", type=int, default=32)
    ap.add_argument("--max-utts", type=int, default=0, help="0: all")
    ap.add_argument("--out", help="also write <utt>.wav here, for `speechkit score tts --syn OUT --asr-model ...`")
    args = ap.parse_args()
    torch.set_num_threads(1)
    vocoder = load_vocoder(args.vocoder, TTS_MEL, torch.device("cpu"), args.gl_iters)
    utts, _ = load_audio_dir(args.data)
    rows, seconds, busy = [], 0.0, 0.0
    for u in utts[: args.max_utts or None]:
        real = read_audio(u.wav, TTS_MEL.sample_rate)
        t0 = time.perf_counter()
        with torch.no_grad():
            syn = vocoder.vocode(log_mel(torch.from_numpy(real)[None], TTS_MEL))[0].float().numpy()
        busy += time.perf_counter() - t0
        seconds += len(real) / TTS_MEL.sample_rate
        syn = syn[: len(real)] if len(syn) >= len(real) else np.pad(syn, (0, len(real) - len(syn)))
        if args.out:
            write_audio(key_file(args.out, u.utt, ".wav"), syn, TTS_MEL.sample_rate)
        wideband = resample(real, TTS_MEL.sample_rate, 16000), resample(syn, TTS_MEL.sample_rate, 16000)
        rows.append((mcd(real, syn).mcd, pesq(16000, *wideband, "wb"), stoi(real, syn, TTS_MEL.sample_rate)))
    m = np.mean(rows, axis=0)
    print(f"{args.vocoder} copy synthesis of {len(rows)} utterances of {args.data}: MCD {m[0]:.2f} dB, "
          f"PESQ-WB {m[1]:.2f}, STOI {m[2]:.3f}, RTF {busy / seconds:.3f} (1 thread)")


if __name__ == "__main__":
    main()
