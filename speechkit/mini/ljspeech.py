"""The mini LJSpeech corpus: one eSpeak voice reading 660 sentences, with MFA-style ground-truth TextGrids.

Layout written (the real LJSpeech layout plus a TextGrid folder, as MFA would produce)::

    OUT/metadata.csv            id|text|normalized text
    OUT/wavs/<id>.wav           22050 Hz mono 16-bit
    OUT/textgrids/<id>.TextGrid words + phones tiers, phones in ARPAbet (see speechkit.lang.arpabet)

The phone boundaries are the output samples at which eSpeak started each phoneme, so they are exact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from speechkit.data.audio import write_audio
from speechkit.data.text import word_spans
from speechkit.data.textgrid import write_textgrid
from speechkit.errors import SpeechkitError
from speechkit.jobs.backend import Cmd
from speechkit.jobs.map import job_map, work_dir
from speechkit.lang.arpabet import is_silence, to_arpabet
from speechkit.lang.espeak import Voice, engine
from speechkit.mini.timing import event_words, segments
from speechkit.utils.atomic import atomic_dir, write_text_atomic

VOICE = Voice("en-us", "f3", pitch=55, pitch_range=60, rate=165)
BATCH = 60  # sentences per worker process


@dataclass(frozen=True)
class Job:
    """What one worker renders: the utterance id, its sentence, the voice at this utterance's speaking rate,
    eSpeak's random seed, and the output root."""

    utt: str
    normalized: str
    voice: Voice
    seed: int
    root: str
    textgrid: bool = True


def load_sentences() -> list[tuple[str, str]]:
    """The bundled ``(text, normalized text)`` pairs, in a fixed order."""
    pairs = []
    for name in sorted(p.name for p in resources.files("speechkit.mini").joinpath("texts").iterdir()):
        if name.startswith("ljspeech_"):
            text = resources.files("speechkit.mini").joinpath("texts", name).read_text(encoding="utf-8")
            pairs += [tuple(line.split("|", 1)) for line in text.splitlines() if line.strip()]
    return pairs


def check_voice(voice: Voice, sentences: list[str]) -> None:
    """Fail before any rendering, with one line, when eSpeak lacks ``voice`` or reads one of ``sentences`` (those
    that get TextGrids) with a phoneme ARPAbet cannot name (:mod:`speechkit.lang.arpabet` covers eSpeak's English
    voices)."""
    espeak = engine()
    for text in ["", *sentences]:  # "": the voice alone
        try:
            for name in espeak.phonemize(text.replace("-", " "), voice):
                if not is_silence(name):
                    to_arpabet(name)
        except (KeyError, ValueError) as e:
            where = f" (in {text!r})" if text else ""
            raise SpeechkitError(None, f"voice {voice.spec!r}: {e.args[0]}{where}") from None


def render_all(jobs: list[Job]) -> list[float]:
    """Render a batch in order (one batch per fresh process keeps eSpeak's drifting state reproducible)."""
    return [render(job) for job in jobs]


def render(job: Job) -> float:
    """Synthesize one utterance, write its wav and TextGrid; return its duration in seconds."""
    tokens = word_spans(job.normalized)
    voice, espeak = job.voice, engine()
    syn = espeak.synth(job.normalized.replace("-", " "), voice, job.seed)
    root, duration = Path(job.root), len(syn.audio) / syn.sample_rate
    write_audio(root / "wavs" / f"{job.utt}.wav", 0.8 * syn.audio, syn.sample_rate)
    if not job.textgrid:
        return duration
    try:
        owner = event_words(syn, tokens, espeak, voice)
    except ValueError as e:
        raise RuntimeError(f"{job.utt}: {e}") from None
    words, phones = segments(syn, owner, [t.group().lower() for t in tokens])
    if len(words) != len(tokens):
        raise RuntimeError(f"{job.utt}: {len(tokens)} words in the text but {len(words)} in the timing")
    write_textgrid(root / "textgrids" / f"{job.utt}.TextGrid", words, phones, duration)
    return duration


def build_mini_ljspeech(out: str | Path, seed: int = 0, nj: int = 2, limit: int | None = None,
                        judge: int = 0, cmd: Cmd = Cmd(), voice: Voice = VOICE) -> tuple[int, float]:  # fmt: skip
    """Write the mini LJSpeech corpus to ``out`` (replaced atomically); return (utterances, hours). The sentences
    render on ``nj`` processes here, or as ``nj`` jobs through ``cmd``'s backend.

    ``seed`` fixes the per-utterance speaking rate (``voice``'s rate +-15 words a minute; another ``voice`` makes
    a corpus of another speaker with its own exact times); ``limit`` keeps the first N sentences (for tests). With
    ``judge`` > 0 the corpus is instead that many sentences of random words in the same voice, ids ``JG...``, no
    TextGrids (:mod:`speechkit.mini.judge_text`): training data for the ASR judge only.
    """
    if judge:
        from speechkit.mini.judge_text import judge_sentences

        sentences, prefix = [(s, s) for s in judge_sentences(judge, seed)], "JG"
    else:
        sentences, prefix = load_sentences()[:limit], "LJ"
    check_voice(voice, [] if judge else [norm for _, norm in sentences])
    rng = random.Random(seed)
    ids = [f"{prefix}{i // 100 + 1:03d}-{i % 100 + 1:04d}" for i in range(len(sentences))]
    with atomic_dir(out) as tmp:
        (tmp / "wavs").mkdir()
        if not judge:
            (tmp / "textgrids").mkdir()
        jobs = [Job(u, norm, replace(voice, rate=voice.rate + rng.randint(-15, 15)), rng.getrandbits(31), str(tmp),
                    not judge) for u, (_, norm) in zip(ids, sentences)]  # fmt: skip
        batches = [jobs[i : i + BATCH] for i in range(0, len(jobs), BATCH)]
        rendered = job_map(render_all, batches, nj, "mini LJSpeech batches", cmd, "mini-ljspeech", work_dir(out),
                           True)  # fmt: skip
        durations = [d for batch in rendered for d in batch]
        lines = [f"{u}|{text}|{norm}\n" for u, (text, norm) in zip(ids, sentences)]
        write_text_atomic(tmp / "metadata.csv", "".join(lines))
    return len(jobs), sum(durations) / 3600
