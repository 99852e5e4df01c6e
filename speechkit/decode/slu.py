"""Decode a data dir with a trained SLU model: transcripts (greedy CTC over BPE, or beam search with an LM) and intents.

The model runs once per data dir; with an LM its BPE head's log-probabilities go to
:mod:`speechkit.decode.fusion`, which decodes or tunes alpha/beta on them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import load_data_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.data.table import scan_table, write_table
from speechkit.decode.beam_search import CtcBeamSearch
from speechkit.decode.ctc import ctc_greedy
from speechkit.decode.fusion import CtcOutputs, LmFusion, beam_decode, piece_search, references, tune
from speechkit.errors import SpeechkitError
from speechkit.lang.units import LangUnits
from speechkit.models.builder import load_model
from speechkit.utils.parallel import progress_bar


@dataclass
class SluOutputs(CtcOutputs):
    """:class:`CtcOutputs` of the BPE head, and each utterance's intent."""

    intents: dict[str, str] = field(default_factory=dict)


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
    outputs = SluOutputs(keys, greedy, [log_probs[k] for k in keys] if keep_log_probs else [], audio,
                         time.perf_counter() - t0, intents)  # fmt: skip
    return units, outputs


def _search(model_dir: str | Path, fusion: LmFusion) -> tuple[LangUnits, CtcBeamSearch]:
    """The model's units and a beam search over its BPE units; the lexicon's words are the words it spells (an LM
    knowing none of them is an error, found before the model runs)."""
    units = LangUnits.load(Path(model_dir) / "lang")
    words = [line.key for line in scan_table(units.dir / "lexicon.txt")]
    return units, piece_search(units.bpe, fusion, words)


def decode_slu(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, device: str = "cpu",
               max_seconds: float = 300.0, fusion: LmFusion | None = None) -> dict[str, float]:  # fmt: skip
    """Write ``out_dir/text`` and ``out_dir/utt2intent`` for every utterance of ``data_dir``.

    Without ``fusion`` the transcript is the greedy CTC path; with it, the beam search's best (and
    ``out_dir/nbest`` when ``nbest > 1``). Returns the number of utterances, seconds of audio and the real-time
    factor (model and search together).
    """
    search = None if fusion is None else _search(model_dir, fusion)[1]
    units, outs = run_slu(model_dir, data_dir, device, max_seconds, keep_log_probs=search is not None)
    out_dir = Path(out_dir)
    text, search_s = outs.greedy, 0.0
    if search is not None:
        text, search_s = beam_decode(outs, search, units.bpe, fusion.nj, out_dir)
    write_table(out_dir / "text", text)
    write_table(out_dir / "utt2intent", outs.intents)
    return {"n_utts": len(outs.utts), "audio_s": outs.audio_s, "rtf": (outs.model_s + search_s) / outs.audio_s}


def tune_slu(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, fusion: LmFusion,
             alphas: Sequence[float], betas: Sequence[float], device: str = "cpu",
             max_seconds: float = 300.0) -> dict:  # fmt: skip
    """:func:`speechkit.decode.fusion.tune` on ``data_dir`` (a validation set); also writes the best point's
    ``text`` and the ``utt2intent`` to ``out_dir``. The model runs once; the grid reuses its log-probabilities."""
    units, search = _search(model_dir, fusion)
    _, outs = run_slu(model_dir, data_dir, device, max_seconds, keep_log_probs=True)
    out_dir = Path(out_dir)
    report, text = tune(outs, references(data_dir, outs.utts), search, units.bpe, fusion, alphas, betas, data_dir,
                        out_dir)  # fmt: skip
    write_table(out_dir / "text", text)
    write_table(out_dir / "utt2intent", outs.intents)
    return report
