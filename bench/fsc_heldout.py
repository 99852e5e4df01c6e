"""A held-out FSC test set of voices and channels unlike any the mini corpus trains on, as a Kaldi data dir.

Usage: python bench/fsc_heldout.py --out DIR [--seed 0] [--speakers 24] [--per-speaker 25] [--other-languages 0]
Then:  bash bench/fsc_heldout.sh MODEL_DIR DIR     (decodes, scores intent accuracy per condition)

Why: the mini corpus's test speakers are new eSpeak voices, but voices of the same kind, on the same clean
channel, as its training speakers; a model can score 99 % there and 60 % on another synthesizer's voices. Nothing
here is used for training or tuning.

Voices (each speaker one, drawn from ``--seed``), none of them a training voice:

* eSpeak's English voices with variants the corpus never uses, among them the Klatt formant synthesizer
  (``klatt``..``klatt6``), a different way of making speech from the default one;
* with ``--other-languages F``, that share of the speakers are other languages' voices (German, French, Spanish,
  Italian, Dutch, Polish, Portuguese, Swedish, Czech, Hungarian) reading the English commands by their own
  spelling rules: a stress test rather than accented English ("lights" read as German has a "g" in it), which a
  model trained on the mini corpus got 22-25 % right, against 56-59 % for the English voices;
* pitch, pitch range and rate outside the ranges the corpus draws from (its pitch 30-75, range 30-90, rate
  145-195 wpm).

Channels (each utterance one, in turn, so the conditions have equal shares), built here in other ways than the
training augmentations of :mod:`speechkit.features.augment`:

* ``clean``: the voice alone (a little white noise, 35-45 dB down);
* ``room``: a shoebox room by the image-source method (room 3-8 x 3-6 x 2.5-3.5 m, RT60 0.3-0.9 s by Sabine's
  formula, reflections up to order 8);
* ``babble``: four other speakers of this set talking at once, 10-20 dB down;
* ``street``: brown noise and 50 Hz mains hum with its harmonics, 10-20 dB down;
* ``phone``: 8 kHz, a 200-3200 Hz band with soft edges, soft clipping and 8-bit mu-law;
* ``far``: a room (RT60 0.3-0.7 s), then street noise 15-25 dB down, then phone.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
from importlib import resources
from pathlib import Path

import numpy as np

from speechkit.data.audio import resample, write_audio
from speechkit.lang.espeak import Voice, engine

SR = 16000
CONDITIONS = ("clean", "room", "babble", "street", "phone", "far")
ENGLISH = ("en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc")
OTHER_LANGUAGES = ("de", "fr", "es", "it", "nl", "pl", "pt", "sv", "cs", "hu")
UNSEEN_VARIANTS = ("klatt", "klatt2", "klatt3", "klatt4", "klatt5", "klatt6", "Gene", "Lee", "Mike", "Reed",
                   "Annie", "Alicia", "Andrea", "Denis", "Hugo", "Jacky", "Marco", "Nguyen", "antonio", "aunty",
                   "boris", "ed", "grandma", "grandpa", "gustave", "iven", "m8", "marcelo", "miguel", "pablo",
                   "pedro", "robert", "sandro", "steph2")  # fmt: skip


def outside(rng: random.Random, low_band: tuple[int, int], high_band: tuple[int, int]) -> int:
    return rng.randint(*(low_band if rng.random() < 0.5 else high_band))


def draw_voices(rng: random.Random, n: int, other_languages: float) -> list[Voice]:
    voices = []
    n_other = round(n * other_languages)
    for i in range(n):
        name = rng.choice(OTHER_LANGUAGES if i < n_other else ENGLISH)
        voices.append(Voice(name, rng.choice(UNSEEN_VARIANTS), outside(rng, (8, 26), (79, 95)),
                            outside(rng, (5, 25), (92, 100)), outside(rng, (115, 138), (202, 230))))  # fmt: skip
    return voices


def shoebox_rir(rng: np.random.Generator, rt60_range: tuple[float, float]) -> np.ndarray:
    """An image-source impulse response of a random shoebox room, source and microphone."""
    room = np.array([rng.uniform(3, 8), rng.uniform(3, 6), rng.uniform(2.5, 3.5)])
    rt60 = rng.uniform(*rt60_range)
    volume, surface = room.prod(), 2 * (room[0] * room[1] + room[0] * room[2] + room[1] * room[2])
    absorption = min(0.99, 0.161 * volume / (surface * rt60))  # Sabine
    beta = math.sqrt(1 - absorption)
    src, mic = (rng.uniform(0.5, room - 0.5) for _ in range(2))
    order = 8
    rir = np.zeros(int(rt60 * SR) + 1)
    r = np.arange(-order, order + 1)
    for ix in r:
        for iy in r:
            for iz in r:
                n_refl = abs(ix) + abs(iy) + abs(iz)
                if n_refl > order:
                    continue
                idx = np.array([ix, iy, iz])
                image = np.where(idx % 2 == 0, idx * room + src, idx * room + room - src)
                dist = float(np.linalg.norm(image - mic))
                k = int(round(dist / 343.0 * SR))
                if k < len(rir):
                    rir[k] += beta**n_refl / max(dist, 0.1)
    first = int(np.flatnonzero(rir)[0])
    return rir[first:] / rir[first]


def at_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    p_s, p_n = np.mean(signal**2) + 1e-12, np.mean(noise**2) + 1e-12
    return signal + noise * math.sqrt(p_s / p_n / 10 ** (snr_db / 10))


def street(n: int, rng: np.random.Generator) -> np.ndarray:
    brown = np.cumsum(rng.standard_normal(n))
    brown -= np.convolve(brown, np.ones(801) / 801, mode="same")  # no drift below ~20 Hz
    t = np.arange(n) / SR
    hum = sum(np.sin(2 * np.pi * 50 * h * t + rng.uniform(0, 2 * np.pi)) / h for h in (1, 2, 3, 5))
    return brown / (np.std(brown) + 1e-9) + 0.5 * hum / np.std(hum)


def phone(wav: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    narrow = resample(wav.astype(np.float32), SR, 8000).astype(np.float64)
    spec = np.fft.rfft(narrow)
    f = np.fft.rfftfreq(len(narrow), 1 / 8000)
    spec *= 1 / (1 + (200 / np.maximum(f, 1)) ** 4) / (1 + (f / 3200) ** 8)  # soft band edges
    narrow = np.fft.irfft(spec, len(narrow))
    narrow = np.tanh(rng.uniform(1.0, 3.0) * narrow / (np.abs(narrow).max() + 1e-9))
    mu = 255.0
    coded = np.round(np.sign(narrow) * np.log1p(mu * np.abs(narrow)) / math.log1p(mu) * 127) / 127
    narrow = np.sign(coded) * np.expm1(np.abs(coded) * math.log1p(mu)) / mu
    out = resample(narrow.astype(np.float32), 8000, SR)
    return np.pad(out, (0, max(0, len(wav) - len(out))))[: len(wav)]


def channel(condition: str, wav: np.ndarray, others: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    if condition in ("room", "far"):
        wav = np.convolve(wav, shoebox_rir(rng, (0.3, 0.9) if condition == "room" else (0.3, 0.7)))[: len(wav)]
    if condition == "babble":
        babble = np.zeros(len(wav))
        for other in others:
            start = rng.integers(0, max(1, len(other) - len(wav)))
            piece = other[start : start + len(wav)]
            babble[: len(piece)] += piece / (np.std(piece) + 1e-9)
        wav = at_snr(wav, babble, rng.uniform(10, 20))
    if condition in ("street", "far"):
        snr = rng.uniform(10, 20) if condition == "street" else rng.uniform(15, 25)
        wav = at_snr(wav, street(len(wav), rng), snr)
    if condition in ("phone", "far"):
        wav = phone(wav, rng)
    if condition == "clean":
        wav = at_snr(wav, rng.standard_normal(len(wav)), rng.uniform(35, 45))
    return wav


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--speakers", type=int, default=24)
    ap.add_argument("--per-speaker", type=int, default=25)
    ap.add_argument("--other-languages", type=float, default=0.0, help="share of speakers with other languages' voices")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    text = resources.files("speechkit.mini").joinpath("texts", "fsc_phrasings.txt").read_text(encoding="utf-8")
    phrasings = [line.split("|") for line in text.splitlines() if line.strip()]
    voices = draw_voices(rng, args.speakers, args.other_languages)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "wavs").mkdir(parents=True)
    dry: list[tuple[str, str, str, np.ndarray]] = []  # utt, speaker, text, intent and audio
    for s, voice in enumerate(voices):
        spk = f"heldout{s:03d}"
        for k, (action, obj, location, sentence) in enumerate(rng.sample(phrasings, args.per_speaker)):
            syn = engine().synth(sentence, voice, seed=rng.getrandbits(32))
            speech = resample(syn.audio, syn.sample_rate, SR).astype(np.float64)
            speech = np.concatenate([np.zeros(int(rng.uniform(0.1, 0.5) * SR)), speech,
                                     np.zeros(int(rng.uniform(0.1, 0.5) * SR))])  # fmt: skip
            dry.append((f"{spk}-{k:03d}", spk, sentence, f"{action}|{obj}|{location}", speech / np.abs(speech).max()))
    lines: dict[str, list[str]] = {name: [] for name in ("wav.scp", "text", "utt2spk", "utt2intent", "utt2dur",
                                                         "utt2condition", "utt2voice")}  # fmt: skip
    np_rng = np.random.default_rng(args.seed)
    for i, (utt, spk, sentence, intent, speech) in enumerate(dry):
        condition = CONDITIONS[i % len(CONDITIONS)]
        others = [dry[j][4] for j in np_rng.choice(len(dry), 4) if dry[j][1] != spk]
        wav = channel(condition, speech, others, np_rng)
        wav = wav / (np.abs(wav).max() + 1e-9) * 10 ** (np_rng.uniform(-12, -1) / 20)
        path = (args.out / "wavs" / f"{utt}.wav").resolve()
        write_audio(tmp / "wavs" / f"{utt}.wav", wav.astype(np.float32), SR)
        voice = voices[int(spk[-3:])]
        for name, value in (("wav.scp", str(path)), ("text", sentence), ("utt2spk", spk), ("utt2intent", intent),
                            ("utt2dur", f"{len(wav) / SR:.4f}"), ("utt2condition", condition),
                            ("utt2voice", voice.spec)):  # fmt: skip
            lines[name].append(f"{utt} {value}\n")
    for name, rows in lines.items():
        (tmp / name).write_text("".join(sorted(rows)), encoding="utf-8")
    spk2utt: dict[str, list[str]] = {}
    for utt, spk, *_ in dry:
        spk2utt.setdefault(spk, []).append(utt)
    (tmp / "spk2utt").write_text("".join(f"{s} {' '.join(sorted(u))}\n" for s, u in sorted(spk2utt.items())))
    shutil.rmtree(args.out, ignore_errors=True)
    tmp.rename(args.out)
    print(f"{args.out}: {len(dry)} utterances, {len(voices)} speakers, conditions {', '.join(CONDITIONS)}")


if __name__ == "__main__":
    main()
