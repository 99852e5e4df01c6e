"""Decode with a trained CTC recognizer (an ASR or SLU model dir): greedy, or beam search with LM shallow fusion.

The network runs once per data dir; its word-level CTC head's log-probabilities go to the beam search when one is
given (:class:`~speechkit.decode.beam_search.CtcBeamSearch`, built by the caller from :func:`model_units`), which
decodes them with its own weights (:func:`decode_data_dir`) or over an alpha/beta grid on a validation set
(:func:`tune_data_dir`, whose best point :func:`read_tuned` reads back for the test set). What differs between
model kinds (the head, how ids become text, the words the model spells, tables besides ``text`` such as an SLU
model's ``utt2intent``) is one :class:`Recognizer` entry per kind. A data dir needs only ``wav.scp``;
:func:`decode_audio` takes loose audio files instead. Either writes, besides the Kaldi tables, ``text``, ``jsonl``
or ``ctm`` (:mod:`~speechkit.decode.formats`), the last two with word times. :func:`transcribe` runs a recognizer
over any wave files, e.g. synthesized speech for ``score tts``.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from speechkit.data.audio import audio_info
from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import Utterance, audio_utterances, load_audio_dir, load_data_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.data.table import key_file, read_table, scan_table, write_table
from speechkit.decode.beam_search import CtcBeamSearch, DecoderSpec, Hypothesis, SearchOptions, decode_grid
from speechkit.decode.formats import FILE_NAMES, Transcript, render
from speechkit.decode.word_times import word_times
from speechkit.errors import SpeechkitError
from speechkit.lang.tokens import BpeTokenizer
from speechkit.lang.units import LangUnits
from speechkit.models.builder import load_model, load_model_config
from speechkit.models.ctc import ctc_greedy
from speechkit.models.subsampling import SUBSAMPLING
from speechkit.score.asr import align_sentence, asr_scores
from speechkit.utils.atomic import write_text_atomic
from speechkit.utils.memory import trim_heap
from speechkit.utils.parallel import progress_bar


MAX_SECONDS = 300.0
"""The longest utterance a recognizer takes (its attention's memory grows with the square of the length)."""
CHUNK_SECONDS = 3600.0
"""Audio whose log-probabilities a beam search or a timed decode holds at once (an hour is 90,000 frames: 360 MB
at 1,000 units); a longer input is recognized and searched chunk by chunk, so memory does not grow with it."""


def _slu_tokenizer(model_dir: Path, cfg: Any) -> BpeTokenizer:
    units = LangUnits.load(model_dir / "lang")
    if (units.n_phones, units.n_bpe) != (cfg.n_phones, cfg.n_bpe):
        raise SpeechkitError(model_dir / "lang", f"token set ({units.n_phones} phones, {units.n_bpe} BPE units) "
                             f"does not match the model ({cfg.n_phones} phones, {cfg.n_bpe} BPE units)")  # fmt: skip
    return units.bpe


def _asr_tokenizer(model_dir: Path, cfg: Any) -> BpeTokenizer:
    tokenizer = BpeTokenizer(model_dir / "lang" / "bpe.model")
    if len(tokenizer) != cfg.n_tokens:
        raise SpeechkitError(tokenizer.path, f"has {len(tokenizer)} tokens (blank included) but "
                             f"the model outputs {cfg.n_tokens}")  # fmt: skip
    return tokenizer


def _lexicon_words(model_dir: Path) -> list[str]:
    return [line.key for line in scan_table(model_dir / "lang" / "lexicon.txt")]


def _intents(cfg: Any, out: dict[str, Tensor]) -> dict[str, list[str]]:
    slot_ids = {s: out[f"intent_{s}"].argmax(-1).tolist() for s in cfg.slots}
    n = len(out["lengths"])
    return {"utt2intent": ["|".join(cfg.slots[s][slot_ids[s][j]] for s in cfg.slots) for j in range(n)]}


@dataclass(frozen=True)
class Recognizer:
    """What decoding needs to know of a CTC model kind: the ``output`` holding the word-level CTC log-probabilities,
    its ``tokenizer`` (loaded from the model dir and checked against the config), the ``words`` the model was
    trained to spell (an LM must know some of them), and the ``tables`` it writes besides ``text``, per batch."""

    output: str
    tokenizer: Callable[[Path, Any], BpeTokenizer]
    words: Callable[[Path], list[str]] = lambda model_dir: []
    tables: Callable[[Any, dict[str, Tensor]], dict[str, list[str]]] = lambda cfg, out: {}


RECOGNIZERS = {
    "slu": Recognizer("bpe", _slu_tokenizer, _lexicon_words, _intents),
    "asr": Recognizer("log_probs", _asr_tokenizer),
}


def _recognizer(model_dir: Path) -> tuple[Recognizer, Any]:
    """The recognizer entry and model config of ``model_dir``; a model that is not a CTC recognizer is a user
    error."""
    kind, cfg = load_model_config(model_dir)
    if kind not in RECOGNIZERS:
        raise SpeechkitError(model_dir, f"is a {kind} model; decode takes {' or '.join(RECOGNIZERS)} models")
    return RECOGNIZERS[kind], cfg


def model_units(model_dir: str | Path) -> tuple[list[str], list[str]]:
    """The CTC output symbols of ``model_dir`` (id order, blank first) and the words it spells, to build a beam
    search from before the model runs."""
    model_dir = Path(model_dir)
    rec, cfg = _recognizer(model_dir)
    return rec.tokenizer(model_dir, cfg).token_list().symbols, rec.words(model_dir)


@dataclass
class CtcOutputs:
    """One pass of a model over utterances: per utterance (input order) the greedy transcript and its token ids,
    the other tables (``{"utt2intent": {utt: value}}``) and, when asked for, the CTC log-probabilities (T, V) for a
    beam search or word times; seconds of audio and of model time, seconds per output frame, and how many files
    were resampled to the model's rate (per rate they had)."""

    utts: list[str]
    greedy: dict[str, str]
    greedy_ids: dict[str, list[int]]
    log_probs: list[np.ndarray]
    audio_s: float
    model_s: float
    frame_s: float
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    resampled: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedRecognizer:
    """A CTC model dir loaded once: its recognizer entry, config, network (eval mode, on its device) and tokenizer."""

    rec: Recognizer
    cfg: Any
    model: torch.nn.Module
    tokenizer: BpeTokenizer
    device: str

    @classmethod
    def load(cls, model_dir: str | Path, device: str = "cpu") -> LoadedRecognizer:
        model_dir = Path(model_dir)
        rec, _ = _recognizer(model_dir)
        cfg, model = load_model(model_dir, device)
        return cls(rec, cfg, model, rec.tokenizer(model_dir, cfg), device)


def _check_lengths(utts: Sequence[Utterance], seconds: Sequence[float], max_seconds: float = MAX_SECONDS) -> None:
    """An utterance longer than ``max_seconds`` is a user error, raised before any work."""
    too_long = next((i for i, s in enumerate(seconds) if s > max_seconds), None)
    if too_long is not None:
        raise SpeechkitError(utts[too_long].wav, f"is {seconds[too_long]:.0f} s long; one utterance may last at most "
                                                 f"{max_seconds:.0f} s (the encoder's memory grows with the square of "
                                                 "the length): cut it into shorter pieces first")


def run_recognizer(model_dir: str | Path | LoadedRecognizer, utts: Sequence[Utterance], seconds: Sequence[float],
                   device: str = "cpu", keep_log_probs: bool = False) -> tuple[BpeTokenizer, CtcOutputs]:  # fmt: skip
    """Run the model of ``model_dir`` (or an already loaded one) once over ``utts`` (their ``wav``, ``seconds`` long;
    the text is ignored), in batches of similar duration; audio at another rate than the model's is resampled on
    reading."""
    _check_lengths(utts, seconds)
    loaded = model_dir if isinstance(model_dir, LoadedRecognizer) else LoadedRecognizer.load(model_dir, device)
    rec, cfg, model, tokenizer, device = loaded.rec, loaded.cfg, loaded.model, loaded.tokenizer, loaded.device
    dataset = AudioDataset(utts, lambda u: {}, cfg.mel.sample_rate)
    rates = Counter(audio_info(u.wav).samplerate for u in utts)
    greedy: dict[str, list[int]] = {}
    tables: dict[str, dict[str, str]] = {}
    log_probs: dict[str, np.ndarray] = {}
    t0 = time.perf_counter()
    with progress_bar() as bar, torch.no_grad():
        task = bar.add_task("recognize", total=len(utts))
        for idx in DurationBatchSampler(list(seconds), MAX_SECONDS, 256, shuffle=False):
            b = collate([dataset[i] for i in idx])
            out = model(*model.features(b["wav"].to(device), b["wav_lengths"].to(device)))
            lengths = out["lengths"].tolist()
            keys = [utts[i].utt for i in idx]
            greedy.update(zip(keys, ctc_greedy(out[rec.output], out["lengths"])))
            for name, values in rec.tables(cfg, out).items():
                tables.setdefault(name, {}).update(zip(keys, values))
            if keep_log_probs:
                for j, key in enumerate(keys):
                    log_probs[key] = out[rec.output][j, : lengths[j]].float().cpu().numpy()
            trim_heap()
            bar.advance(task, len(idx))
    order = [u.utt for u in utts]
    outs = CtcOutputs(order, {k: tokenizer.decode(greedy[k]) for k in order}, {k: greedy[k] for k in order},
                      [log_probs[k] for k in order] if keep_log_probs else [], sum(seconds),
                      time.perf_counter() - t0, SUBSAMPLING * cfg.mel.hop_length / cfg.mel.sample_rate,
                      {n: {k: t[k] for k in order} for n, t in tables.items()},
                      {r: n for r, n in rates.items() if r != cfg.mel.sample_rate})  # fmt: skip
    return tokenizer, outs


def run_data_dir(model_dir: str | Path, data_dir: str | Path, device: str = "cpu",
                 keep_log_probs: bool = False) -> tuple[BpeTokenizer, CtcOutputs]:  # fmt: skip
    """:func:`run_recognizer` over every utterance of ``data_dir`` (``wav.scp`` is all it needs)."""
    utts, _ = load_audio_dir(data_dir)
    durations = read_durations(data_dir)
    return run_recognizer(model_dir, utts, [durations[u.utt] for u in utts], device, keep_log_probs)


def _write_nbest(path: Path, utts: Sequence[str], hyps: Sequence[list[Hypothesis]], tokenizer: BpeTokenizer) -> None:
    """``utt-rank score text`` lines, one per hypothesis (Kaldi's n-best keys: the rank appended to the utt)."""
    write_table(path, [(f"{u}-{r}", f"{h.score:.4f} {tokenizer.decode(h.tokens)}".rstrip())
                       for u, nbest in zip(utts, hyps) for r, h in enumerate(nbest, 1)])  # fmt: skip


def _write_tables(out_dir: Path, text: dict[str, str], outs: CtcOutputs) -> None:
    write_table(out_dir / "text", text)
    for name, table in outs.tables.items():
        write_table(out_dir / name, table)


@dataclass
class Recognized:
    """A recognizer's best transcripts of :attr:`outs`'s utterances (greedy, or the beam search's), their token ids,
    the n-best lists (beam search only), the seconds the search took and, when asked for, each utterance's word
    times."""

    tokenizer: BpeTokenizer
    outs: CtcOutputs
    text: dict[str, str]
    ids: dict[str, list[int]]
    nbest: list[list[Hypothesis]] | None
    search_s: float
    times: dict[str, list] | None = None

    def transcripts(self, utts: Sequence[Utterance], seconds: Sequence[float]) -> list[Transcript]:
        """One :class:`Transcript` per utterance, with word times when they were computed."""
        tables = self.outs.tables
        fields = {u.utt: {n.removeprefix("utt2"): t[u.utt] for n, t in tables.items()} for u in utts}
        return [Transcript(u.utt, u.wav, s, self.text[u.utt], fields[u.utt], (self.times or {}).get(u.utt, []))
                for u, s in zip(utts, seconds)]  # fmt: skip

    @property
    def rtf(self) -> float:
        return (self.outs.model_s + self.search_s) / max(self.outs.audio_s, 1e-9)


def _chunks(seconds: Sequence[float], budget: float) -> list[slice]:
    """Consecutive runs of utterances of at most ``budget`` seconds of audio each (at least one utterance)."""
    runs, start, total = [], 0, 0.0
    for i, s in enumerate(seconds):
        if i > start and total + s > budget:
            runs.append(slice(start, i))
            start, total = i, 0.0
        total += s
    return [*runs, slice(start, len(seconds))]


def _recognize_chunk(loaded: LoadedRecognizer, utts: Sequence[Utterance], seconds: Sequence[float],
                     search: CtcBeamSearch | None, nj: int, timed: bool) -> Recognized:  # fmt: skip
    tokenizer, outs = run_recognizer(loaded, utts, seconds, keep_log_probs=timed or search is not None)
    text, ids, nbest, t0 = outs.greedy, outs.greedy_ids, None, time.perf_counter()
    if search is not None:
        o = search.options
        nbest = decode_grid(search, outs.log_probs, [(o.alpha, o.beta)], nj, "beam search")[0]
        ids = {u: list(h[0].tokens) for u, h in zip(outs.utts, nbest)}
        text = {u: tokenizer.decode(i) for u, i in ids.items()}
    search_s = time.perf_counter() - t0
    times = None
    if timed:
        times = {u: word_times(lp, ids[u], tokenizer, outs.frame_s, s)
                 for u, lp, s in zip(outs.utts, outs.log_probs, seconds)}  # fmt: skip
    outs.log_probs = []  # searched and timed: dropped before the next chunk
    return Recognized(tokenizer, outs, text, ids, nbest, search_s, times)


def _joined(parts: Sequence[Recognized]) -> Recognized:
    """The chunks' results as one, in input order."""
    first = parts[0]
    outs = CtcOutputs([u for p in parts for u in p.outs.utts], {}, {}, [], sum(p.outs.audio_s for p in parts),
                      sum(p.outs.model_s for p in parts), first.outs.frame_s)  # fmt: skip
    for p in parts:
        outs.greedy.update(p.outs.greedy)
        outs.greedy_ids.update(p.outs.greedy_ids)
        for name, table in p.outs.tables.items():
            outs.tables.setdefault(name, {}).update(table)
        for rate, n in p.outs.resampled.items():
            outs.resampled[rate] = outs.resampled.get(rate, 0) + n
    nbest = None if first.nbest is None else [h for p in parts for h in p.nbest or []]
    times = None if first.times is None else {u: t for p in parts for u, t in (p.times or {}).items()}
    return Recognized(first.tokenizer, outs, {u: t for p in parts for u, t in p.text.items()},
                      {u: i for p in parts for u, i in p.ids.items()}, nbest, sum(p.search_s for p in parts), times)


def recognize(model_dir: str | Path, utts: Sequence[Utterance], seconds: Sequence[float], device: str = "cpu",
              search: CtcBeamSearch | None = None, nj: int = 1, timed: bool = False) -> Recognized:
    """Run the model over ``utts``; without ``search`` the transcript is the greedy CTC path, with it the beam
    search's best on ``nj`` processes; ``timed`` adds word times. A search or timing needs the log-probabilities, so
    then the utterances go in chunks of :data:`CHUNK_SECONDS` of audio (the model loaded once)."""
    _check_lengths(utts, seconds)
    loaded = LoadedRecognizer.load(model_dir, device)
    if search is None and not timed:
        return _recognize_chunk(loaded, utts, seconds, None, nj, False)
    return _joined([_recognize_chunk(loaded, utts[c], seconds[c], search, nj, timed)
                    for c in _chunks(seconds, CHUNK_SECONDS)])  # fmt: skip


def decode_data_dir(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, device: str = "cpu",
                    search: CtcBeamSearch | None = None, nj: int = 1, fmt: str = "text") -> dict[str, Any]:
    """Write ``out_dir/text`` (and the kind's other tables, e.g. ``utt2intent``) for every utterance of ``data_dir``,
    which needs only ``wav.scp``; ``fmt`` other than ``text`` also writes ``hyp.jsonl`` or ``ctm`` (with word times).

    With ``search`` the transcripts are the beam search's best (and ``out_dir/nbest`` holds more when its options
    ask for more than one). Returns the number of utterances, seconds of audio, the real-time factor (model and
    search together), whether ``data_dir`` has transcripts and the files resampled per rate.
    """
    utts, labelled = load_audio_dir(data_dir)
    durations = read_durations(data_dir)
    seconds = [durations[u.utt] for u in utts]
    rec = recognize(model_dir, utts, seconds, device, search, nj, timed=fmt != "text")
    out_dir = Path(out_dir)
    if rec.nbest is not None and search is not None and search.options.nbest > 1:
        _write_nbest(out_dir / "nbest", rec.outs.utts, rec.nbest, rec.tokenizer)
    _write_tables(out_dir, rec.text, rec.outs)
    if fmt != "text":
        write_text_atomic(out_dir / FILE_NAMES[fmt], render(rec.transcripts(utts, seconds), fmt))
    return {"n_utts": len(utts), "audio_s": rec.outs.audio_s, "rtf": rec.rtf, "labelled": labelled,
            "resampled": rec.outs.resampled}  # fmt: skip


def decode_audio(model_dir: str | Path, path: str | Path, device: str = "cpu", search: CtcBeamSearch | None = None,
                 nj: int = 1, fmt: str = "text") -> tuple[str, dict[str, Any]]:
    """Transcripts of one audio file or of every audio file under a folder (:func:`audio_utterances` names them),
    rendered in ``fmt``; and the figures of :func:`decode_data_dir`."""
    utts = audio_utterances(path)
    seconds = [(info := audio_info(u.wav)).frames / info.samplerate for u in utts]
    rec = recognize(model_dir, utts, seconds, device, search, nj, timed=fmt != "text")
    text = render(rec.transcripts(utts, seconds), fmt)
    return text, {"n_utts": len(utts), "audio_s": rec.outs.audio_s, "rtf": rec.rtf, "labelled": False,
                  "resampled": rec.outs.resampled}  # fmt: skip


def _wer(refs: dict[str, str], hyps: dict[str, str]) -> float:
    return float(asr_scores([align_sentence(u, ref, hyps[u]) for u, ref in refs.items()])["wer"])


def _references(data_dir: str | Path, utts: Sequence[str]) -> dict[str, str]:
    """``data_dir/text`` for ``utts``; every utterance must have one (tuning scores them all)."""
    all_refs = read_table(Path(data_dir) / "text")
    missing = next((u for u in utts if u not in all_refs), None)
    if missing is not None:
        raise SpeechkitError(Path(data_dir) / "text", f"has no reference for utterance {missing!r}")
    return {u: all_refs[u] for u in utts}


def tune_data_dir(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, search: CtcBeamSearch,
                  alphas: Sequence[float], betas: Sequence[float], device: str = "cpu", nj: int = 1) -> dict:
    """Decode ``data_dir`` (a validation set) for every ``(alpha, beta)`` and keep the lowest WER.

    The model runs once and the grid reuses its log-probabilities. Writes ``out_dir/tune.json`` (settings, the grid
    with each point's WER, and ``best``) and the best point's ``text`` (and the kind's other tables); returns the
    report. Ties go to the smaller alpha, then the smaller |beta|, so an LM that does not help is not used.
    """
    tokenizer, outs = run_data_dir(model_dir, data_dir, device, keep_log_probs=True)
    refs = _references(data_dir, outs.utts)
    grid = list(itertools.product(alphas, betas))
    t0 = time.perf_counter()
    results = decode_grid(search, outs.log_probs, grid, nj, f"tune {len(grid)} weights")
    search_s = time.perf_counter() - t0
    points, texts = [], []
    for (alpha, beta), hyps in zip(grid, results):
        text = {u: tokenizer.decode(h[0].tokens) for u, h in zip(outs.utts, hyps)}
        points.append({"alpha": alpha, "beta": beta, "wer": _wer(refs, text)})
        texts.append(text)
    k = min(range(len(grid)), key=lambda i: (points[i]["wer"], points[i]["alpha"], abs(points[i]["beta"])))
    opts = {key: v for key, v in asdict(search.options).items() if key not in ("alpha", "beta", "nbest")}
    ms = round(1000 * search_s / max(1, len(outs.utts) * len(grid)), 3)
    report = {"lm": search.spec.lm, "data": str(data_dir), "n_utts": len(outs.utts), "search": opts,
              "search_ms_per_utt_and_weight": ms, "greedy_wer": _wer(refs, outs.greedy),
              "grid": points, "best": points[k]}  # fmt: skip
    out_dir = Path(out_dir)
    write_text_atomic(out_dir / "tune.json", json.dumps(report, indent=2) + "\n")
    _write_tables(out_dir, texts[k], outs)
    return report


def read_tuned(path: str | Path) -> tuple[float, float]:
    """The best ``(alpha, beta)`` of a ``tune.json`` written by :func:`tune_data_dir`."""
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, "tuning result not found (run `speechkit decode --tune` on a validation set)")
    try:
        best = json.loads(path.read_text(encoding="utf-8"))["best"]
        return float(best["alpha"]), float(best["beta"])
    except (ValueError, KeyError, TypeError):
        raise SpeechkitError(path, "not a tune.json from `speechkit decode --tune` (no best alpha and beta)") from None


def lm_search(model_dir: str | Path, lm: str | Path, options: SearchOptions) -> CtcBeamSearch:
    """The beam search with shallow fusion of ``lm`` for the model of ``model_dir`` (its units and words)."""
    symbols, words = model_units(model_dir)
    return CtcBeamSearch(DecoderSpec(tuple(symbols), "piece", str(lm), tuple(dict.fromkeys(words))), options)


def transcribe(model_dir: str | Path, utts: Sequence[Utterance], device: str = "cpu",
               search: CtcBeamSearch | None = None) -> dict[str, str]:  # fmt: skip
    """Transcripts of ``utts`` (any wave files) by the model of ``model_dir``, ``{utt: text}`` in the order of
    ``utts``: greedy CTC, or ``search``'s best."""
    seconds = [(info := audio_info(u.wav)).frames / info.samplerate for u in utts]
    return recognize(model_dir, utts, seconds, device, search).text


def transcribe_synthesis(model_dir: str | Path, ref_data: str | Path, syn_dir: str | Path, device: str = "cpu",
                         ref_wavs: str = "wav.scp", search: CtcBeamSearch | None = None,
                         ) -> tuple[dict[str, str], dict[str, str]]:  # fmt: skip
    """Transcripts of the synthesized ``syn_dir/<utt>.wav`` of every utterance of ``ref_data`` that has one, and of
    the real recordings of ``ref_data`` (the table ``ref_wavs``: ``wav.scp.en`` for a translation's target speech),
    for the intelligibility figures of ``score tts`` and ``score s2st``; greedy, or ``search``'s best. Both are
    also written, to ``syn_dir/asr_syn/text`` and ``syn_dir/asr_ref/text``, so the errors can be read."""
    syn_dir = Path(syn_dir)
    utts = load_data_dir(ref_data, extra=[] if ref_wavs == "wav.scp" else [ref_wavs])
    utts = [replace(u, wav=u.extra.get(ref_wavs, u.wav)) for u in utts]
    wavs = {u.utt: key_file(syn_dir, u.utt, ".wav") for u in utts}
    synthesized = [replace(u, wav=str(wavs[u.utt])) for u in utts if wavs[u.utt].is_file()]
    if not synthesized:
        raise SpeechkitError(syn_dir, f"holds no <utt>.wav for any utterance of {ref_data}")
    texts = {}
    for name, batch in (("syn", synthesized), ("ref", utts)):
        texts[name] = transcribe(model_dir, batch, device, search)
        write_table(syn_dir / f"asr_{name}" / "text", texts[name])
    return texts["syn"], texts["ref"]
