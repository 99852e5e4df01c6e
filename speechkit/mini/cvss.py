"""The mini CVSS corpus: Spanish source speech in Common Voice's layout, English target speech in CVSS-C's.

Layout written (as in the real corpora)::

    OUT/cv/validated.tsv               client_id, path, sentence, up_votes, down_votes, age, gender, accent (v4)
    OUT/cv/clips/<clip>.mp3            48 kHz mono MP3, read by one of many eSpeak NG Spanish speakers
    OUT/cvss/{train,dev,test}.tsv      <clip>.mp3 TAB normalized English translation (no header)
    OUT/cvss/<split>/<clip>.mp3.wav    24 kHz mono 16-bit, one fixed English voice (CVSS-C's single speaker)

Sentence pairs come from :mod:`speechkit.mini.sentences`; dev and test sentences never occur in train, and with
the default sizes every word of theirs occurs in train at least twice. Source
speakers are eSpeak's Spanish accents x voice variants x pitch, range and rate, disjoint across splits, each
clip with Common Voice-like leading/trailing silence, gain and background noise; target speech is clean, with
short edge silences. Every clip is rendered from the seed alone in a fresh process, so the corpus is the same
for the same ``seed`` whatever ``nj`` is.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from speechkit.data.audio import resample, write_audio
from speechkit.jobs.backend import Cmd
from speechkit.jobs.map import job_map, work_dir
from speechkit.lang.espeak import Voice, engine
from speechkit.mini.fsc import VARIANTS
from speechkit.mini.sentences import SentencePair, generate_pairs, split_pairs
from speechkit.utils.atomic import atomic_dir, atomic_path, write_text_atomic

SOURCE_RATE = 48000
TARGET_RATE = 24000
SOURCE_ACCENTS = ("es", "es-419")
TARGET_VOICE = Voice("en-us", "", 50, 50, 170)
SPLITS = ("train", "dev", "test")
POOL = 5400
"""Sentence pairs drawn at least, so that a smaller corpus's dev and test sentences are drawn as the full one's
(every word of theirs occurring twice in the full training split)."""
CV_HEADER = ["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent"]


@dataclass(frozen=True)
class Clip:
    """One rendering: where it goes, what is said by which voice, and its signal settings drawn from the seed."""

    path: str
    text: str
    voice: Voice
    rate: int
    lead_s: float
    trail_s: float
    gain_db: float
    snr_db: float
    seed: int


def render_all(clips: list[Clip]) -> list[float]:
    """Render a batch in order (one batch per fresh process keeps eSpeak's drifting state reproducible)."""
    return [render(clip) for clip in clips]


def render(clip: Clip) -> float:
    """Synthesize one clip with silence, gain and noise; write MP3 or WAV by its name; return its seconds."""
    syn = engine().synth(clip.text, clip.voice, clip.seed)
    speech = resample(syn.audio, syn.sample_rate, clip.rate)
    speech = speech / (np.abs(speech).max() + 1e-9)
    wav = np.concatenate([np.zeros(int(clip.lead_s * clip.rate)), speech, np.zeros(int(clip.trail_s * clip.rate))])
    if np.isfinite(clip.snr_db):
        noise = np.random.default_rng(clip.seed).standard_normal(len(wav))
        wav = wav + noise * np.sqrt(np.mean(speech**2) / 10 ** (clip.snr_db / 10))
    wav = (wav * 10 ** (clip.gain_db / 20)).astype(np.float32)
    if clip.path.endswith(".mp3"):
        with atomic_path(clip.path) as tmp:
            sf.write(str(tmp), np.clip(wav, -1, 1), clip.rate, format="MP3", subtype="MPEG_LAYER_III")
    else:
        write_audio(clip.path, wav, clip.rate)
    return len(wav) / clip.rate


def _speakers(rng: random.Random, n: int) -> list[tuple[str, Voice, str]]:
    """``n`` distinct speakers: a Common Voice-like 128-hex client id, an eSpeak voice (accent x variant x a low or
    high pitch band), and a gender label."""
    combos = rng.sample([(a, v, band) for a in SOURCE_ACCENTS for v in VARIANTS for band in (0, 1)], n)
    out = []
    for accent, variant, band in combos:
        pitch = rng.randint(25, 50) if band == 0 else rng.randint(51, 80)
        voice = Voice(accent, variant, pitch, rng.randint(30, 90), rng.randint(140, 190))
        gender = "female" if variant.startswith("f") else "male" if variant.startswith("m") else ""
        out.append((f"{rng.getrandbits(512):0128x}", voice, gender))
    return out


def build_mini_cvss(out: str | Path, seed: int = 0, nj: int = 2, sizes: tuple[int, int, int] = (5000, 200, 200),
                    speakers: tuple[int, int, int] = (60, 8, 8), cmd: Cmd = Cmd()) -> tuple[int, float]:  # fmt: skip
    """Write the mini CVSS corpus to ``out`` (replaced atomically); return (sentence pairs, hours of source speech).
    The clips render on ``nj`` processes here, or as ``nj`` jobs through ``cmd``'s backend.

    ``sizes``: train/dev/test sentence pairs; ``speakers``: train/dev/test source speakers.
    """
    rng = random.Random(seed)
    train, dev, test = split_pairs(generate_pairs(max(sum(sizes), POOL), seed), sizes[1], sizes[2], seed)
    splits = {"train": train[: sizes[0]], "dev": dev, "test": test}
    pairs = [p for chosen in splits.values() for p in chosen]
    voices = _speakers(rng, sum(speakers))
    bounds = np.cumsum((0,) + tuple(speakers))
    numbers = rng.sample(range(10_000_000, 30_000_000), len(pairs))
    with atomic_dir(out) as tmp:
        batches: list[list[Clip]] = []
        cv_rows: list[list[str]] = []
        cvss: dict[str, list[tuple[str, SentencePair]]] = {}
        for (split, chosen), lo, hi in zip(splits.items(), bounds[:-1], bounds[1:]):
            cvss[split] = []
            split_voices = voices[lo:hi]
            by_speaker: list[list[Clip]] = [[] for _ in split_voices]
            for pair in chosen:
                k = rng.randrange(len(split_voices))
                client, voice, gender = split_voices[k]
                clip = f"common_voice_es_{numbers.pop()}.mp3"
                rate = voice.rate + rng.randint(-10, 10)
                said = Voice(voice.name, voice.variant, voice.pitch, voice.pitch_range, rate)
                by_speaker[k].append(Clip(str(tmp / "cv" / "clips" / clip), pair.es, said, SOURCE_RATE,
                                          rng.uniform(0.1, 0.6), rng.uniform(0.1, 0.5), rng.uniform(-14, -2),
                                          rng.uniform(15, 40), rng.getrandbits(32)))  # fmt: skip
                cv_rows.append([client, clip, pair.es, str(rng.randint(2, 4)), "0", "", gender, ""])
                cvss[split].append((clip, pair))
            batches += [b for b in by_speaker if b]
            targets = [Clip(str(tmp / "cvss" / split / f"{clip}.wav"), pair.en, TARGET_VOICE, TARGET_RATE,
                            rng.uniform(0.05, 0.15), rng.uniform(0.05, 0.15), -3.0, float("inf"), rng.getrandbits(32))
                       for clip, pair in cvss[split]]  # fmt: skip
            batches += [targets[i : i + 50] for i in range(0, len(targets), 50)]
        seconds = job_map(render_all, batches, nj, "mini CVSS clips", cmd, "mini-cvss", work_dir(out), True,
                          ["torchaudio"])  # fmt: skip
        source_s = sum(s for batch, secs in zip(batches, seconds) if batch[0].path.endswith(".mp3") for s in secs)
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerows([CV_HEADER, *sorted(cv_rows, key=lambda r: r[1])])
        write_text_atomic(tmp / "cv" / "validated.tsv", buf.getvalue())
        for split, rows in cvss.items():
            write_text_atomic(tmp / "cvss" / f"{split}.tsv", "".join(f"{clip}\t{p.en_norm}\n" for clip, p in rows))
    return len(pairs), source_s / 3600
