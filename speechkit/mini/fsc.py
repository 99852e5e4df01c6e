"""The mini Fluent Speech Commands corpus: all 31 intents, many eSpeak speakers, the real FSC layout.

Layout written (as in the real corpus)::

    OUT/data/{train,valid,test}_data.csv   ,path,speakerId,transcription,action,object,location
    OUT/wavs/speakers/<speakerId>/<uuid>.wav   16 kHz mono 16-bit

Speakers are eSpeak accents x voice variants x pitch, pitch range and rate, drawn from the seed; each split has
its own speakers, as in the real corpus. Each speaker says a random subset of the phrasings in
``texts/fsc_phrasings.txt`` (many speakers saying fewer phrasings each generalizes to new voices far better
than few speakers saying everything), with a little rate jitter, random leading/trailing silence, gain and
background noise.
"""

from __future__ import annotations

import csv
import io
import random
import string
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from speechkit.data.audio import resample, write_audio
from speechkit.errors import SpeechkitError
from speechkit.jobs.backend import Cmd
from speechkit.jobs.map import job_map, work_dir
from speechkit.lang.espeak import Voice, engine
from speechkit.utils.atomic import atomic_dir, write_text_atomic

SAMPLE_RATE = 16000
ACCENTS = ("en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc")
VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "adam", "Alex", "Andy", "anika",
    "belinda", "benjamin", "caleb", "david", "edward", "ian", "john", "linda", "max", "michel", "norbert",
    "paul", "quincy", "rob", "shelby", "steph", "travis", "victor", "zac",
)  # fmt: skip
SPLITS = ("train", "valid", "test")
CSV_HEADER = ["", "path", "speakerId", "transcription", "action", "object", "location"]


@dataclass(frozen=True)
class Job:
    """One utterance to render: voice, text, and the per-utterance signal settings drawn from the seed."""

    rel_path: str
    text: str
    voice: Voice
    lead_s: float
    trail_s: float
    gain_db: float
    snr_db: float
    noise_seed: int
    root: str


def load_phrasings(path: str | Path | None = None) -> list[tuple[str, str, str, str]]:
    """``(action, object, location, phrasing)`` rows of ``path`` (default: the bundled list)."""
    if path is None:
        text = resources.files("speechkit.mini").joinpath("texts", "fsc_phrasings.txt").read_text(encoding="utf-8")
    elif not Path(path).is_file():
        raise SpeechkitError(path, "phrasing file not found")
    else:
        text = Path(path).read_text(encoding="utf-8")
    rows = [tuple(line.split("|")) for line in text.splitlines() if line.strip()]
    for i, row in enumerate(rows, start=1):
        if len(row) != 4 or not all(field.strip() for field in row):
            raise SpeechkitError(path, f"line {i}: expected 'action|object|location|phrasing'")
    return rows


def draw_speakers(rng: random.Random, n: int) -> list[tuple[str, Voice]]:
    """``n`` distinct speakers: a 16-character id like the real corpus's and an eSpeak voice."""
    combos = rng.sample([(a, v) for a in ACCENTS for v in VARIANTS], n)
    alphabet = string.ascii_letters + string.digits
    return [
        ("".join(rng.choice(alphabet) for _ in range(16)),
         Voice(accent, variant, rng.randint(30, 75), rng.randint(30, 90), rng.randint(145, 195)))
        for accent, variant in combos
    ]  # fmt: skip


def render_all(jobs: list[Job]) -> list[float]:
    """Render a batch in order (one batch per fresh process keeps eSpeak's drifting state reproducible)."""
    return [render(job) for job in jobs]


def render(job: Job) -> float:
    """Synthesize one command with silence, gain and noise at 16 kHz; return its duration in seconds."""
    syn = engine().synth(job.text, job.voice, job.noise_seed)
    speech = resample(syn.audio, syn.sample_rate, SAMPLE_RATE)
    lead, trail = np.zeros(int(job.lead_s * SAMPLE_RATE)), np.zeros(int(job.trail_s * SAMPLE_RATE))
    wav = np.concatenate([lead, speech / (np.abs(speech).max() + 1e-9), trail])
    rng = np.random.default_rng(job.noise_seed)
    speech_power = np.mean(speech**2) / (np.abs(speech).max() + 1e-9) ** 2
    noise = rng.standard_normal(len(wav)) * np.sqrt(speech_power / 10 ** (job.snr_db / 10))
    wav = (wav + noise) * 10 ** (job.gain_db / 20)
    write_audio(Path(job.root) / job.rel_path, wav.astype(np.float32), SAMPLE_RATE)
    return len(wav) / SAMPLE_RATE


def build_mini_fsc(out: str | Path, seed: int = 0, nj: int = 2, speakers: tuple[int, int, int] = (50, 10, 10),
                   phrasings_per_speaker: int | None = 76, phrasings: str | Path | None = None,
                   cmd: Cmd = Cmd()) -> tuple[int, float]:  # fmt: skip
    """Write the mini FSC corpus to ``out`` (replaced atomically); return (utterances, hours). The speakers render
    on ``nj`` processes here, or as ``nj`` jobs through ``cmd``'s backend.

    ``speakers`` gives the train/valid/test speaker counts; ``phrasings_per_speaker`` samples that many
    phrasings per speaker instead of all (for tests); ``phrasings`` replaces the bundled phrasing list (to
    build a corpus in the same layout that a model has never seen).
    """
    rng = random.Random(seed)
    phrasings = load_phrasings(phrasings)
    all_speakers = draw_speakers(rng, sum(speakers))
    bounds = np.cumsum((0,) + tuple(speakers))
    with atomic_dir(out) as tmp:
        batches: list[list[Job]] = []  # one per speaker
        rows: dict[str, list[list[str]]] = {}
        for split, lo, hi in zip(SPLITS, bounds[:-1], bounds[1:]):
            rows[split] = []
            for spk, voice in all_speakers[lo:hi]:
                n = min(phrasings_per_speaker or len(phrasings), len(phrasings))
                chosen = rng.sample(phrasings, n) if n < len(phrasings) else phrasings
                batches.append([])
                for action, obj, location, text in chosen:
                    rel = f"wavs/speakers/{spk}/{uuid.UUID(int=rng.getrandbits(128))}.wav"
                    utt_voice = Voice(voice.name, voice.variant, voice.pitch, voice.pitch_range,
                                      voice.rate + rng.randint(-10, 10))  # fmt: skip
                    batches[-1].append(Job(rel, text, utt_voice, rng.uniform(0.1, 0.6), rng.uniform(0.1, 0.6),
                                    rng.uniform(-12, -1), rng.uniform(20, 45), rng.getrandbits(32), str(tmp)))
                    rows[split].append([str(len(rows[split])), rel, spk, text, action, obj, location])
        rendered = job_map(render_all, batches, nj, "mini FSC speakers", cmd, "mini-fsc", work_dir(out), True,
                           ["torchaudio"])  # fmt: skip
        durations = [d for batch in rendered for d in batch]
        for split, split_rows in rows.items():
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerows([CSV_HEADER, *split_rows])
            write_text_atomic(tmp / "data" / f"{split}_data.csv", buf.getvalue())
    return len(durations), sum(durations) / 3600
