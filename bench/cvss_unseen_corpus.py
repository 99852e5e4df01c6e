"""Write a CVSS-C + Common Voice corpus that the mini generator did not write, to run the S2ST recipe on.

Usage: ``python bench/cvss_unseen_corpus.py OUT [--seed 0] [--speakers-per-sentence 3]``, then::

    bash egs/cvss/s2st1/run.sh --corpus-root OUT/cvss --source-root OUT/cv

(stage 0, which synthesizes the mini corpus, is skipped with --corpus-root). The layouts are the real ones that
``speechkit prep cvss`` reads; everything inside them differs from :mod:`speechkit.mini.cvss` where real corpora
differ from it, so that a recipe that only works on the mini corpus's conventions fails here:

* sentences: hand-written pairs (``bench/data/cvss_unseen_pairs.tsv``: travel, hotel, restaurant, directions,
  weather, dates, shopping, health) instead of the grammar's family/animal/food/household sentences; Spanish with
  ¿¡, accents, quotes and spelled-out numbers, as Common Voice prompts are;
* ``OUT/cv/validated.tsv``: a newer Common Voice release's header and column order (sentence_id, sentence_domain,
  accents, variant, locale, segment; genders like ``female_feminine``), rows in no particular order, unquoted
  fields (a sentence holds a double quote);
* ``OUT/cv/clips/common_voice_es_<n>.mp3``: 32 kHz MP3 (the mini writes 48 kHz), each sentence read by
  ``--speakers-per-sentence`` speakers as Common Voice repeats sentences (the mini reads each once); 14 speakers
  (8 train, 3 dev, 3 test), eSpeak Spanish voice variants the mini never uses, with pitch, intonation range and
  rate outside the mini's ranges, each with a recording setup of its own (pink room noise, microphone bandwidth,
  mains hum) and longer Common Voice-like edge silences;
* ``OUT/cvss/<split>/<clip>.mp3.wav``: 22050 Hz 16-bit mono (the mini and real CVSS-C: 24 kHz), so preparation must
  take the rate from the files; one British female English voice (the mini: ``en-us`` at default settings),
  rendered once per sentence and written for each of its readings, as CVSS-C's single voice says the same words;
* splits by sentence (every reading of a sentence in one split), 80/10/10, chosen greedily so that every word of
  the dev and test English also occurs in train where the sentences allow it (the count of words that do not is
  printed);
* one extra row in ``OUT/cvss/train.tsv`` whose source clip is listed in validated.tsv but absent from clips/ (its
  target wave exists), as with a Common Voice download that lost clips: preparation must drop and name it.

Deterministic for a seed: every choice is drawn from ``random.Random(seed)`` and every eSpeak rendering is seeded.
"""

from __future__ import annotations

import argparse
import hashlib
import random
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from speechkit.data.audio import resample, write_audio
from speechkit.data.text import normalize_words
from speechkit.lang.espeak import Voice, engine
from speechkit.utils.atomic import atomic_dir, write_text_atomic

PAIRS = Path(__file__).parent / "data" / "cvss_unseen_pairs.tsv"
SOURCE_RATE = 32000
TARGET_RATE = 22050  # eSpeak's own rate: the targets are written as rendered
TARGET_VOICE = Voice("en-gb-x-rp", "f2", 58, 40, 158)
SPEAKERS = {"train": 8, "dev": 3, "test": 3}
HELD_OUT = 0.1  # of the sentences, for dev and for test each
VARIANTS = {  # espeak-ng-data/voices/!v variants absent from speechkit.mini.fsc.VARIANTS, with their CV gender
    "Alicia": "female_feminine", "Andrea": "female_feminine", "Annie": "female_feminine", "aunty": "female_feminine",
    "steph2": "female_feminine", "steph3": "female_feminine", "antonio": "male_masculine", "Diogo": "male_masculine",
    "gustave": "male_masculine", "marcelo": "male_masculine", "miguel": "male_masculine", "pablo": "male_masculine",
    "pedro": "male_masculine", "robert": "male_masculine",
}  # fmt: skip
ACCENTS = {"es": "España", "es-419": "México"}
AGES = ("twenties", "thirties", "fourties", "fifties")  # Common Voice's spelling
CV_HEADER = ["client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes", "down_votes", "age",
             "gender", "accents", "variant", "locale", "segment"]  # fmt: skip


@dataclass(frozen=True)
class Pair:
    es: str
    en: str

    @property
    def en_words(self) -> set[str]:
        return set(normalize_words(self.en).split())


@dataclass(frozen=True)
class Speaker:
    """A Common Voice contributor: who (the validated.tsv fields), how they sound and what they record with."""

    client_id: str
    voice: Voice
    gender: str
    age: str
    accent: str
    snr_db: float  # pink room noise below the speech
    cutoff_hz: float  # microphone bandwidth
    hum_hz: int  # mains hum of the recording setup, 0 for none


def load_pairs(path: Path) -> list[Pair]:
    """The ``Spanish TAB English`` lines of ``path``; ``#`` lines are comments."""
    pairs = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) != 2 or not all(f.strip() for f in fields):
                raise SystemExit(f"{path}:{lineno}: expected 'Spanish TAB English'")
            pairs.append(Pair(*fields))
    return pairs


def split_by_sentence(pairs: list[Pair], rng: random.Random) -> tuple[dict[str, list[Pair]], int]:
    """Train/dev/test sentences, and how many dev/test English words train lacks.

    Sentences are visited in a random order and held out while every word of theirs stays in some training
    sentence (a word's count of training sentences must stay above zero); if too few qualify, the rest held out
    are those that leave the fewest words uncovered.
    """
    n_held = round(len(pairs) * HELD_OUT)
    order = rng.sample(pairs, len(pairs))
    in_train = Counter(w for p in pairs for w in p.en_words)
    held: list[Pair] = []
    for pair in order:
        if len(held) < 2 * n_held and all(in_train[w] > 1 for w in pair.en_words):
            held.append(pair)
            in_train.subtract(pair.en_words)
    while len(held) < 2 * n_held:
        pair = min((p for p in order if p not in held), key=lambda p: sum(in_train[w] < 2 for w in p.en_words))
        held.append(pair)
        in_train.subtract(pair.en_words)
    uncovered = sum(in_train[w] < 1 for p in held for w in p.en_words)
    return {"train": [p for p in order if p not in held], "dev": held[:n_held], "test": held[n_held:]}, uncovered


def make_speakers(rng: random.Random) -> list[Speaker]:
    """One speaker per variant: a low or a high pitch band (the mini draws 25-80), a flat intonation range (the
    mini: 30-90), a slow or a fast rate (the mini: 140-190 words a minute), and a recording setup."""
    speakers = []
    for variant in rng.sample(sorted(VARIANTS), sum(SPEAKERS.values())):
        pitch = rng.randint(8, 24) if rng.random() < 0.5 else rng.randint(81, 95)
        rate = rng.randint(115, 135) if rng.random() < 0.5 else rng.randint(195, 215)
        accent = rng.choice(sorted(ACCENTS))
        voice = Voice(accent, variant, pitch, rng.randint(10, 29), rate)
        speakers.append(Speaker(f"{rng.getrandbits(512):0128x}", voice, VARIANTS[variant], rng.choice(AGES),
                                rng.choice([ACCENTS[accent], ""]), rng.uniform(18, 35), rng.uniform(4000, 12000),
                                rng.choice([0, 0, 50, 60])))  # fmt: skip
    return speakers


def render_source(path: Path, text: str, speaker: Speaker, rng: random.Random) -> float:
    """Read ``text`` as ``speaker`` through their recording setup into a 32 kHz MP3; return its seconds."""
    voice = replace(speaker.voice, rate=speaker.voice.rate + rng.randint(-5, 5))
    syn = engine().synth(text, voice, rng.getrandbits(31))
    speech = resample(syn.audio, syn.sample_rate, SOURCE_RATE)
    speech = speech / (np.abs(speech).max() + 1e-9)
    lead, trail = int(rng.uniform(0.4, 1.5) * SOURCE_RATE), int(rng.uniform(0.3, 1.0) * SOURCE_RATE)
    wav = np.concatenate([np.zeros(lead), speech, np.zeros(trail)])
    noise_rng = np.random.default_rng(rng.getrandbits(32))
    freqs = np.fft.rfftfreq(len(wav), 1 / SOURCE_RATE)
    pink = np.fft.irfft(np.fft.rfft(noise_rng.standard_normal(len(wav))) / np.sqrt(np.maximum(freqs, 50.0)), len(wav))
    wav = wav + pink * np.sqrt(np.mean(speech**2) / np.mean(pink**2) / 10 ** (speaker.snr_db / 10))
    wav = np.fft.irfft(np.fft.rfft(wav) / np.sqrt(1 + (freqs / speaker.cutoff_hz) ** 4), len(wav))
    if speaker.hum_hz:
        t = np.arange(len(wav)) / SOURCE_RATE
        wav = wav + 0.015 * np.sin(2 * np.pi * speaker.hum_hz * t) + 0.006 * np.sin(6 * np.pi * speaker.hum_hz * t)
    wav = wav / np.abs(wav).max() * 10 ** (rng.uniform(-18, -4) / 20)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), wav.astype(np.float32), SOURCE_RATE, format="MP3", subtype="MPEG_LAYER_III")
    return len(wav) / SOURCE_RATE


def render_target(text: str, rng: random.Random) -> np.ndarray:
    """``text`` in the one target voice at eSpeak's rate, peak at -1 dBFS, with short edge silences."""
    syn = engine().synth(text, TARGET_VOICE, rng.getrandbits(31))
    assert syn.sample_rate == TARGET_RATE, f"eSpeak renders at {syn.sample_rate} Hz"
    edges = [np.zeros(int(rng.uniform(0.02, 0.08) * TARGET_RATE)) for _ in range(2)]
    return np.concatenate([edges[0], syn.audio / (np.abs(syn.audio).max() + 1e-9) * 10 ** (-1 / 20), edges[1]])


def build(out: Path, seed: int, speakers_per_sentence: int) -> None:
    """Write ``out/cv`` and ``out/cvss`` (replacing ``out`` when complete) and print what was written."""
    rng = random.Random(seed)
    splits, uncovered = split_by_sentence(load_pairs(PAIRS), rng)
    speakers = make_speakers(rng)
    by_split, start = {}, 0
    for split, n in SPEAKERS.items():
        by_split[split], start = speakers[start : start + n], start + n
    n_clips = sum(len(pairs) for pairs in splits.values()) * speakers_per_sentence + 1
    numbers = iter(rng.sample(range(30_000_000, 42_000_000), n_clips))
    source_s = target_s = 0.0
    with atomic_dir(out) as tmp:
        cv_rows: list[list[str]] = []
        for split, pairs in splits.items():
            rows = []
            for i, pair in enumerate(pairs):
                target = render_target(pair.en, rng)
                readers = rng.sample(by_split[split], speakers_per_sentence)
                readings = [(speaker, True) for speaker in readers]
                if split == "train" and i == 0:  # the extra row, by another speaker, whose clip is not written
                    readings.append((rng.choice([s for s in by_split[split] if s not in readers]), False))
                for speaker, recorded in readings:
                    clip = f"common_voice_es_{next(numbers)}.mp3"
                    if recorded:
                        source_s += render_source(tmp / "cv" / "clips" / clip, pair.es, speaker, rng)
                    write_audio(tmp / "cvss" / split / f"{clip}.wav", target, TARGET_RATE)
                    target_s += len(target) / TARGET_RATE
                    rows.append(f"{clip}\t{normalize_words(pair.en)}\n")
                    cv_rows.append([speaker.client_id, clip, hashlib.sha256(pair.es.encode()).hexdigest(), pair.es, "",
                                    str(rng.randint(2, 5)), str(rng.randint(0, 1)), speaker.age, speaker.gender,
                                    speaker.accent, "", "es", ""])  # fmt: skip
            write_text_atomic(tmp / "cvss" / f"{split}.tsv", "".join(rows))
            print(f"{split}: {len(pairs)} sentences, {len(rows)} rows, {len(by_split[split])} speakers")
        rng.shuffle(cv_rows)
        write_text_atomic(tmp / "cv" / "validated.tsv", "".join("\t".join(r) + "\n" for r in [CV_HEADER, *cv_rows]))
    print(f"{out}: {len(cv_rows) - 1} clips and a row without its clip; {source_s / 3600:.2f} h of source and "
          f"{target_s / 3600:.2f} h of target speech; {uncovered} dev/test English words not in train")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speakers-per-sentence", type=int, default=3, choices=range(1, min(SPEAKERS.values()) + 1),
                        help="readings of each sentence, by different speakers of its split")  # fmt: skip
    args = parser.parse_args()
    build(args.out, args.seed, args.speakers_per_sentence)


if __name__ == "__main__":
    main()
