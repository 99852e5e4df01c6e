"""Decode a data dir with a trained SLU model: transcripts (greedy CTC over BPE, or beam search with an LM) and intents.

The acoustic model runs once per data dir. With an LM, the BPE head's log-probabilities go to
:mod:`speechkit.decode.beam_search`; :func:`tune_slu` decodes them over an alpha/beta grid and keeps the weights with
the lowest WER, which a later decode reads back with :func:`read_tuned`.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import load_data_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.data.table import read_table, scan_table, write_table
from speechkit.decode.beam_search import CtcBeamSearch, DecoderSpec, Hypothesis, SearchOptions, decode_grid
from speechkit.decode.ctc import ctc_greedy
from speechkit.errors import SpeechkitError
from speechkit.lang.units import LangUnits
from speechkit.models.builder import load_model
from speechkit.score.asr import align_sentence, asr_scores
from speechkit.utils.atomic import write_text_atomic
from speechkit.utils.parallel import progress_bar


@dataclass(frozen=True)
class LmFusion:
    """Decode the BPE head with beam search and shallow fusion of the KenLM model ``lm`` on ``nj`` processes."""

    lm: Path
    options: SearchOptions = field(default_factory=SearchOptions)
    nj: int = 1


@dataclass
class SluOutputs:
    """What one pass of the model over a data dir gives: per utterance (in data-dir order) greedy text, intent
    and, when asked for, the BPE log-probabilities (T, V) for a beam search."""

    utts: list[str]
    greedy: dict[str, str]
    intents: dict[str, str]
    log_probs: list[np.ndarray]
    audio_s: float
    model_s: float


def run_slu(model_dir: str | Path, data_dir: str | Path, device: str = "cpu", max_seconds: float = 300.0,
            keep_log_probs: bool = False) -> tuple[LangUnits, SluOutputs]:  # fmt: skip
    """Run the SLU model of ``model_dir`` over ``data_dir`` once."""
    model_dir = Path(model_dir)
    cfg, model = load_model(model_dir, device)
    units = LangUnits.load(model_dir / "lang")
    if (units.n_phones, units.n_bpe) != (cfg.n_phones, cfg.n_bpe):
        raise SpeechkitError(model_dir / "lang", f"token set ({units.n_phones} phones, {units.n_bpe} BPE units) "
                             f"does not match the model ({cfg.n_phones} phones, {cfg.n_bpe} BPE units)")  # fmt: skip
    utts = load_data_dir(data_dir)
    dataset = AudioDataset(utts, lambda u: {}, cfg.mel.sample_rate, [1.0], 0, False)
    durations = read_durations(data_dir)
    batches = list(DurationBatchSampler([durations[u.utt] for u in utts], max_seconds, 256, 0, shuffle=False))
    greedy, intents, log_probs = {}, {}, {}
    t0 = time.perf_counter()
    with progress_bar() as bar, torch.no_grad():
        task = bar.add_task(f"decode {Path(data_dir).name}", total=len(utts))
        for idx in batches:
            b = collate([dataset[i] for i in idx])
            feats, flens = model.features(b["wav"].to(device), b["wav_lengths"].to(device))
            out = model(feats, flens)
            hyps = ctc_greedy(out["bpe"], out["lengths"])
            slot_ids = {s: out[f"intent_{s}"].argmax(-1).tolist() for s in cfg.slots}
            lengths = out["lengths"].tolist()
            for j, i in enumerate(idx):
                greedy[utts[i].utt] = units.bpe_text(hyps[j])
                intents[utts[i].utt] = "|".join(cfg.slots[s][slot_ids[s][j]] for s in cfg.slots)
                if keep_log_probs:
                    log_probs[utts[i].utt] = out["bpe"][j, : lengths[j]].float().cpu().numpy()
            bar.advance(task, len(idx))
    keys = [u.utt for u in utts]
    audio = sum(durations[k] for k in keys)
    outputs = SluOutputs(keys, greedy, intents, [log_probs[k] for k in keys] if keep_log_probs else [], audio,
                         time.perf_counter() - t0)  # fmt: skip
    return units, outputs


def bpe_search(units: LangUnits, fusion: LmFusion) -> CtcBeamSearch:
    """Beam search over the BPE units of ``units`` (sentencepiece ids + 1, 0 = blank) with ``fusion``'s LM.

    The lexicon's words tell the search which words the model spells: an LM knowing none of them is an error.
    """
    words = tuple(dict.fromkeys(line.key for line in scan_table(units.dir / "lexicon.txt")))
    spec = DecoderSpec(units=tuple(units.bpe.token_list().symbols), spelling="piece", lm=str(fusion.lm), words=words)
    return CtcBeamSearch(spec, fusion.options)


def _write_nbest(path: Path, utts: Sequence[str], hyps: Sequence[list[Hypothesis]], units: LangUnits) -> None:
    """``utt-rank score text`` lines, one per hypothesis (Kaldi's n-best keys: the rank appended to the utt)."""
    write_table(path, [(f"{u}-{r}", f"{h.score:.4f} {units.bpe_text(list(h.tokens))}".rstrip())
                       for u, nbest in zip(utts, hyps) for r, h in enumerate(nbest, 1)])  # fmt: skip


def decode_slu(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, device: str = "cpu",
               max_seconds: float = 300.0, fusion: LmFusion | None = None) -> dict[str, float]:  # fmt: skip
    """Write ``out_dir/text`` and ``out_dir/utt2intent`` for every utterance of ``data_dir``.

    Without ``fusion`` the transcript is the greedy CTC path; with it, the beam search's best (and
    ``out_dir/nbest`` when ``nbest > 1``). Returns the number of utterances, seconds of audio and the real-time
    factor (model and search together).
    """
    search = None if fusion is None else bpe_search(LangUnits.load(Path(model_dir) / "lang"), fusion)
    units, outs = run_slu(model_dir, data_dir, device, max_seconds, keep_log_probs=search is not None)
    elapsed = outs.model_s
    text = outs.greedy
    out_dir = Path(out_dir)
    if search is not None:
        t0 = time.perf_counter()
        o = search.options
        hyps = decode_grid(search, outs.log_probs, [(o.alpha, o.beta)], fusion.nj, "beam search")[0]
        elapsed += time.perf_counter() - t0
        text = {u: units.bpe_text(list(h[0].tokens)) for u, h in zip(outs.utts, hyps)}
        if o.nbest > 1:
            _write_nbest(out_dir / "nbest", outs.utts, hyps, units)
    write_table(out_dir / "text", text)
    write_table(out_dir / "utt2intent", outs.intents)
    return {"n_utts": len(outs.utts), "audio_s": outs.audio_s, "rtf": elapsed / outs.audio_s}


def _wer(refs: dict[str, str], hyps: dict[str, str]) -> float:
    return float(asr_scores([align_sentence(u, ref, hyps[u]) for u, ref in refs.items()])["wer"])


def tune_slu(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, fusion: LmFusion,
             alphas: Sequence[float], betas: Sequence[float], device: str = "cpu",
             max_seconds: float = 300.0) -> dict:  # fmt: skip
    """Decode ``data_dir`` (a validation set) for every ``(alpha, beta)`` and keep the lowest WER.

    The model runs once; the grid reuses its log-probabilities. Writes ``out_dir/tune.json`` (settings, the grid
    with each point's WER, and ``best``), and the best point's ``text`` and ``utt2intent``. Ties go to the
    smaller alpha, then the smaller |beta|, so an LM that does not help is not used.
    """
    all_refs = read_table(Path(data_dir) / "text")
    search = bpe_search(LangUnits.load(Path(model_dir) / "lang"), fusion)
    units, outs = run_slu(model_dir, data_dir, device, max_seconds, keep_log_probs=True)
    missing = next((u for u in outs.utts if u not in all_refs), None)
    if missing is not None:
        raise SpeechkitError(Path(data_dir) / "text", f"has no reference for utterance {missing!r}")
    refs = {u: all_refs[u] for u in outs.utts}
    grid = list(itertools.product(alphas, betas))
    t0 = time.perf_counter()
    results = decode_grid(search, outs.log_probs, grid, fusion.nj, f"tune {len(grid)} weights")
    search_s = time.perf_counter() - t0
    points, texts = [], []
    for (alpha, beta), hyps in zip(grid, results):
        text = {u: units.bpe_text(list(h[0].tokens)) for u, h in zip(outs.utts, hyps)}
        points.append({"alpha": alpha, "beta": beta, "wer": _wer(refs, text)})
        texts.append(text)
    k = min(range(len(grid)), key=lambda i: (points[i]["wer"], points[i]["alpha"], abs(points[i]["beta"])))
    greedy_wer = _wer(refs, outs.greedy)
    opts = {key: v for key, v in asdict(fusion.options).items() if key not in ("alpha", "beta", "nbest")}
    ms = round(1000 * search_s / max(1, len(outs.utts) * len(grid)), 3)
    report = {"lm": str(fusion.lm), "data": str(data_dir), "n_utts": len(outs.utts), "search": opts,
              "search_ms_per_utt_and_weight": ms, "greedy_wer": greedy_wer,
              "grid": points, "best": points[k]}  # fmt: skip
    out_dir = Path(out_dir)
    write_table(out_dir / "text", texts[k])
    write_table(out_dir / "utt2intent", outs.intents)
    write_text_atomic(out_dir / "tune.json", json.dumps(report, indent=2) + "\n")
    return report


def read_tuned(path: str | Path) -> tuple[float, float]:
    """The best ``(alpha, beta)`` of a ``tune.json`` written by :func:`tune_slu`."""
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, "tuning result not found (run `speechkit decode --tune` on a validation set)")
    try:
        best = json.loads(path.read_text(encoding="utf-8"))["best"]
        return float(best["alpha"]), float(best["beta"])
    except (ValueError, KeyError, TypeError):
        raise SpeechkitError(path, "not a tune.json from `speechkit decode --tune` (no best alpha and beta)") from None
