"""Decode a data dir with a trained SLU model: transcripts (greedy CTC over BPE) and intents."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import load_data_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.data.table import write_table
from speechkit.decode.ctc import ctc_greedy
from speechkit.errors import SpeechkitError
from speechkit.lang.units import LangUnits
from speechkit.models.builder import load_model
from speechkit.utils.parallel import progress_bar


def decode_slu(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, device: str = "cpu",
               max_seconds: float = 300.0) -> dict[str, float]:  # fmt: skip
    """Write ``out_dir/text`` and ``out_dir/utt2intent`` for every utterance of ``data_dir``.

    Returns the number of utterances, seconds of audio and the real-time factor.
    """
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
    text, intents = {}, {}
    t0 = time.perf_counter()
    with progress_bar() as bar, torch.no_grad():
        task = bar.add_task(f"decode {Path(data_dir).name}", total=len(utts))
        for idx in batches:
            b = collate([dataset[i] for i in idx])
            feats, flens = model.features(b["wav"].to(device), b["wav_lengths"].to(device))
            out = model(feats, flens)
            hyps = ctc_greedy(out["bpe"], out["lengths"])
            slot_ids = {s: out[f"intent_{s}"].argmax(-1).tolist() for s in cfg.slots}
            for j, i in enumerate(idx):
                text[utts[i].utt] = units.bpe_text(hyps[j])
                intents[utts[i].utt] = "|".join(cfg.slots[s][slot_ids[s][j]] for s in cfg.slots)
            bar.advance(task, len(idx))
    elapsed = time.perf_counter() - t0
    out_dir = Path(out_dir)
    write_table(out_dir / "text", text)
    write_table(out_dir / "utt2intent", intents)
    audio = sum(durations[u.utt] for u in utts)
    return {"n_utts": len(utts), "audio_s": audio, "rtf": elapsed / audio}
