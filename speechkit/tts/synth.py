"""Synthesis with a trained FastSpeech 2 model dir and a vocoder (Griffin-Lim, or a trained one such as HiFi-GAN).

A vocoder is anything with ``vocode(log_mel (B, T, n_mels)) -> wave (B, T * hop)`` for the acoustic model's mel
config: ``"griffinlim"`` builds :class:`~speechkit.tts.griffinlim.GriffinLim`, any other value is a model dir loaded
with :func:`~speechkit.models.builder.load_model`. The acoustic model runs on batches of similar token count; the
vocoder then runs on each utterance's own frames, since padding would cost Griffin-Lim as much as speech. The
real-time factor counts acoustic model plus vocoder time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from speechkit.data.audio import write_audio
from speechkit.data.datadir import load_data_dir, sanitize_id
from speechkit.data.table import key_file, write_table
from speechkit.errors import SpeechkitError
from speechkit.features.mel import MelConfig
from speechkit.models.builder import load_model, load_model_config
from speechkit.models.fastspeech2 import FastSpeech2
from speechkit.models.variance import Controls
from speechkit.tts.frontend import Frontend, split_sentences
from speechkit.tts.griffinlim import GriffinLim
from speechkit.utils.atomic import atomic_dir, atomic_path, write_text_atomic
from speechkit.utils.parallel import progress_bar

GRIFFIN_LIM = "griffinlim"


@dataclass
class Timing:
    """Seconds spent in the acoustic model and the vocoder, and seconds of audio produced."""

    acoustic: float = 0.0
    vocoder: float = 0.0
    audio: float = 0.0

    @property
    def rtf(self) -> float:
        """Real-time factor: compute seconds per second of audio."""
        return (self.acoustic + self.vocoder) / max(self.audio, 1e-9)


@dataclass
class Synthesis:
    """One utterance: its wave, the tokens said and their durations in frames."""

    wav: np.ndarray
    tokens: list[str]
    durations: list[int] = field(default_factory=list)


class Synthesizer:
    """Front end + FastSpeech 2 + vocoder, loaded once. Example::

        syn = Synthesizer("exp/tts")
        [out] = syn.synthesize([syn.frontend("Hello there.")])
    """

    def __init__(self, model_dir: str | Path, vocoder: str = GRIFFIN_LIM, device: str | torch.device = "cpu",
                 gl_iters: int = 16) -> None:  # fmt: skip
        kind, _ = load_model_config(Path(model_dir))
        if kind != "fastspeech2":
            raise SpeechkitError(model_dir, f"is a {kind} model; synth needs a FastSpeech 2 model dir")
        self.cfg, self.model = load_model(model_dir, device)
        assert isinstance(self.model, FastSpeech2)
        self.device = torch.device(device)
        self.ids = {t: i for i, t in enumerate(self.cfg.tokens)}
        stress = any(t[-1].isdigit() for t in self.cfg.tokens)
        self.frontend = Frontend(stress, self.cfg.leading_sil, self.cfg.trailing_sil)
        self.vocoder = load_vocoder(vocoder, self.cfg.mel, self.device, gl_iters)
        self.timing = Timing()

    def token_ids(self, tokens: Sequence[str], where: str | Path | None = None) -> list[int]:
        """Ids of ``tokens``; tokens outside the model's inventory raise, naming them."""
        unknown = sorted({t for t in tokens if t not in self.ids})
        if unknown:
            raise SpeechkitError(where, f"tokens not in the model's inventory: {', '.join(unknown)}")
        return [self.ids[t] for t in tokens]

    def synthesize(self, token_lists: Sequence[Sequence[str]], controls: Controls = Controls(), batch_size: int = 8,
                   on_batch: Callable[[int], None] | None = None) -> list[Synthesis]:  # fmt: skip
        """Waves for token sequences (from :attr:`frontend` or a ``phones`` file), in input order; adds the time
        spent to :attr:`timing` and calls ``on_batch(utterances done)`` after each batch."""
        ids = [self.token_ids(tokens) for tokens in token_lists]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        results: dict[int, Synthesis] = {}
        hop, rate = self.cfg.mel.hop_length, self.cfg.mel.sample_rate
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            tokens = torch.nn.utils.rnn.pad_sequence([torch.tensor(ids[i]) for i in batch], batch_first=True)
            lengths = torch.tensor([len(ids[i]) for i in batch])
            t0 = time.perf_counter()
            out = self.model.synthesize(tokens.to(self.device), lengths.to(self.device), controls)
            t1 = time.perf_counter()
            for row, i in enumerate(batch):
                frames = int(out["frame_lengths"][row])
                wav = self.vocoder.vocode(out["log_mel"][row : row + 1, :frames])[0].float().cpu().numpy()
                durations = out["durations"][row, : len(ids[i])].tolist()
                results[i] = Synthesis(wav, list(token_lists[i]), durations)
                self.timing.audio += frames * hop / rate
            self.timing.acoustic += t1 - t0
            self.timing.vocoder += time.perf_counter() - t1
            if on_batch is not None:
                on_batch(len(batch))
        return [results[i] for i in range(len(ids))]


def load_vocoder(spec: str, mel: MelConfig, device: torch.device, gl_iters: int = 16) -> torch.nn.Module:
    """``"griffinlim"`` or a vocoder model dir, checked to read the acoustic model's mel config."""
    if spec == GRIFFIN_LIM:
        return GriffinLim(mel, n_iter=gl_iters).to(device)
    cfg, model = load_model(spec, device)
    if not hasattr(model, "vocode"):
        raise SpeechkitError(spec, "is not a vocoder model dir (its model has no vocode method)")
    if getattr(cfg, "mel", mel) != mel:
        raise SpeechkitError(spec, f"vocoder reads mel {cfg.mel}, the acoustic model writes {mel}")
    return model


SENTENCES_AT_ONCE = 8
"""Sentences a long text's synthesis holds in memory at once (see :func:`synthesize_text`)."""


@dataclass(frozen=True)
class TextSynthesis:
    """What :func:`synthesize_text` wrote: seconds of audio, tokens said, sentences."""

    seconds: float
    tokens: int
    sentences: int


def synthesize_text(syn: Synthesizer, text: str, out: str | Path, controls: Controls = Controls()) -> TextSynthesis:
    """Synthesize ``text`` into the wave file ``out`` sentence by sentence (:func:`split_sentences`), appending
    :data:`SENTENCES_AT_ONCE` sentences at a time: memory stays bounded however long the text (one 5,000-word
    utterance once asked for 23.6 GB). The whole text goes through the front end first, so an unreadable word
    fails before any audio is made."""
    token_lists = [syn.frontend(sentence) for sentence in split_sentences(text)]
    if not token_lists:
        raise SpeechkitError(None, f"text {text!r} has no words to say")
    rate, samples, tokens = syn.cfg.mel.sample_rate, 0, 0
    with atomic_path(out) as tmp, sf.SoundFile(tmp, "w", rate, 1, "PCM_16", format="WAV") as f:
        for start in range(0, len(token_lists), SENTENCES_AT_ONCE):
            for result in syn.synthesize(token_lists[start : start + SENTENCES_AT_ONCE], controls):
                f.write(np.clip(result.wav, -1.0, 1.0))
                samples, tokens = samples + len(result.wav), tokens + len(result.tokens)
    return TextSynthesis(samples / rate, tokens, len(token_lists))


def synthesize_data_dir(syn: Synthesizer, data_dir: str | Path, out: str | Path, source: str = "auto",
                        controls: Controls = Controls(), batch_size: int = 8) -> str:  # fmt: skip
    """Synthesize every utterance of ``data_dir`` into ``out`` (:func:`synthesize_into` says what it holds).

    ``source``: ``phones`` reads the data dir's aligned tokens (so durations compare token by token with the
    reference, and pauses are where the speaker made them), ``text`` runs the front end on ``text``, ``auto`` uses
    ``phones`` when the data dir has it. Returns the source used.
    """
    data_dir = Path(data_dir)
    if source == "auto":
        source = "phones" if (data_dir / "phones").is_file() else "text"
    if source not in ("phones", "text"):
        raise SpeechkitError(None, f"source must be auto, phones or text, got {source!r}")
    utts = load_data_dir(data_dir, extra=["phones"] if source == "phones" else [])
    if source == "phones":
        token_lists = [u.extra["phones"].split() for u in utts]
        for tokens in token_lists:
            syn.token_ids(tokens, data_dir / "phones")
    else:
        token_lists = [syn.frontend(u.text) for u in utts]
    synthesize_into(syn, [u.utt for u in utts], token_lists, out, f"synthesize {data_dir}", source, controls,
                    batch_size)  # fmt: skip
    return source


def merge_synth_info(files: Sequence[Path], target: Path) -> str:
    """One ``synth.json`` from the jobs' (for ``target``): utterances and seconds added, the real-time factor
    recomputed from them."""
    infos = [json.loads(f.read_text()) for f in files]
    merged = dict(infos[0])
    for key in ("utterances", "audio_s", "acoustic_s", "vocoder_s"):
        merged[key] = sum(info[key] for info in infos)
    merged["rtf"] = Timing(merged["acoustic_s"], merged["vocoder_s"], merged["audio_s"]).rtf
    return json.dumps(merged, indent=1) + "\n"


def read_text_lines(path: str | Path) -> dict[str, str]:
    """``{id: text}`` of a text file, one utterance a line: ``TEXT``, or ``ID<TAB>TEXT`` to name it. A line without
    an id is ``utt<line number>`` (zero-padded to 6 digits, so ids sort in file order); blank lines are skipped."""
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, "text file not found")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise SpeechkitError(path, f"not UTF-8 text (byte {e.start})") from None
    texts: dict[str, str] = {}
    for n, line in enumerate(lines, 1):
        key, tab, text = line.partition("\t")
        key, text = (key.strip(), text.strip()) if tab else (f"utt{n:06d}", key.strip())
        if not text:
            continue
        if sanitize_id(key) != key:
            raise SpeechkitError(path, f"line {n}: id {key!r} must be letters, digits, '_', '.' or '-'")
        if key in texts:
            raise SpeechkitError(path, f"line {n}: id {key!r} occurs twice")
        texts[key] = text
    if not texts:
        raise SpeechkitError(path, "holds no text to synthesize")
    return texts


def synthesize_text_file(syn: Synthesizer, path: str | Path, out: str | Path, controls: Controls = Controls(),
                         batch_size: int = 8) -> int:  # fmt: skip
    """Synthesize each line of ``path`` (:func:`read_text_lines`) into ``out`` (:func:`synthesize_into`); returns
    the number of utterances."""
    texts = read_text_lines(path)
    synthesize_into(syn, list(texts), [syn.frontend(t) for t in texts.values()], out, f"synthesize {path}", "text",
                    controls, batch_size)  # fmt: skip
    return len(texts)


CHUNK = 64  # utterances synthesized and written at a time: memory does not grow with the input


def synthesize_into(syn: Synthesizer, keys: Sequence[str], token_lists: Sequence[Sequence[str]], out: str | Path,
                    label: str, source: str, controls: Controls = Controls(), batch_size: int = 8) -> None:
    """Write ``out`` (replaced atomically): ``<key>.wav``, ``wav.scp``, ``phones`` (tokens said), ``durations``
    (their predicted frames) and ``synth.json`` (settings, RTF). Waves are written :data:`CHUNK` utterances at a
    time."""
    out = Path(out)
    phones: dict[str, str] = {}
    durations: dict[str, str] = {}
    wavs = {key: key_file(out, key, ".wav").name for key in keys}  # refuse a key like ../x before any work
    with progress_bar() as bar, atomic_dir(out) as tmp:
        task = bar.add_task(label, total=len(keys))
        for start in range(0, len(keys), CHUNK):
            chunk = slice(start, start + CHUNK)
            results = syn.synthesize(token_lists[chunk], controls, batch_size, lambda n: bar.advance(task, n))
            for key, r in zip(keys[chunk], results):
                write_audio(tmp / wavs[key], r.wav, syn.cfg.mel.sample_rate)
                phones[key], durations[key] = " ".join(r.tokens), " ".join(map(str, r.durations))
        write_table(tmp / "wav.scp", {key: str((out / wavs[key]).resolve()) for key in keys})
        write_table(tmp / "phones", phones)
        write_table(tmp / "durations", durations)
        t = syn.timing
        info = {"source": source, "vocoder": type(syn.vocoder).__name__, "utterances": len(keys),
                "audio_s": t.audio, "acoustic_s": t.acoustic, "vocoder_s": t.vocoder, "rtf": t.rtf,
                **asdict(controls)}  # fmt: skip
        write_text_atomic(tmp / "synth.json", json.dumps(info, indent=1) + "\n")
