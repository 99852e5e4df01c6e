"""Transcribe audio with a trained ASR model (greedy CTC, or beam search with an LM), from a data dir or any wave files.

:func:`transcribe` takes utterances rather than a data dir so that ``score tts`` can run the recognizer over a
folder of synthesized ``<utt>.wav`` files; audio at another rate than the model's is resampled on reading.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from speechkit.data.audio import audio_info
from speechkit.data.batching import DurationBatchSampler
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.data.table import write_table
from speechkit.decode.ctc import ctc_greedy
from speechkit.decode.fusion import CtcOutputs, LmFusion, beam_decode, piece_search, references, tune
from speechkit.errors import SpeechkitError
from speechkit.lang.tokens import BpeTokenizer
from speechkit.models.builder import load_model
from speechkit.utils.parallel import progress_bar


def run_asr(model_dir: str | Path, utts: Sequence[Utterance], device: str = "cpu", max_seconds: float = 300.0,
            keep_log_probs: bool = False) -> tuple[BpeTokenizer, CtcOutputs]:  # fmt: skip
    """Run the ASR model of ``model_dir`` once over ``utts`` (their ``wav`` paths; the text is ignored)."""
    model_dir = Path(model_dir)
    cfg, model = load_model(model_dir, device)
    tokenizer = _tokenizer(model_dir)
    if len(tokenizer) != cfg.n_tokens:
        raise SpeechkitError(tokenizer.path, f"has {len(tokenizer)} tokens (blank included) but "
                             f"the model outputs {cfg.n_tokens}")  # fmt: skip
    seconds = [_seconds(u.wav) for u in utts]
    dataset = AudioDataset(utts, lambda u: {}, cfg.mel.sample_rate)
    texts: dict[str, str] = {}
    log_probs: dict[str, np.ndarray] = {}
    t0 = time.perf_counter()
    with progress_bar() as bar, torch.no_grad():
        task = bar.add_task("transcribe", total=len(utts))
        for idx in DurationBatchSampler(seconds, max_seconds, 256, shuffle=False):
            b = collate([dataset[i] for i in idx])
            out = model(*model.features(b["wav"].to(device), b["wav_lengths"].to(device)))
            lengths = out["lengths"].tolist()
            for j, (i, hyp) in enumerate(zip(idx, ctc_greedy(out["log_probs"], out["lengths"]))):
                texts[utts[i].utt] = tokenizer.decode(hyp)
                if keep_log_probs:
                    log_probs[utts[i].utt] = out["log_probs"][j, : lengths[j]].float().cpu().numpy()
            bar.advance(task, len(idx))
    keys = [u.utt for u in utts]
    outs = CtcOutputs(keys, {k: texts[k] for k in keys}, [log_probs[k] for k in keys] if keep_log_probs else [],
                      sum(seconds), time.perf_counter() - t0)  # fmt: skip
    return tokenizer, outs


def transcribe(model_dir: str | Path, utts: Sequence[Utterance], device: str = "cpu") -> dict[str, str]:
    """Greedy-CTC transcripts of ``utts`` by the model of ``model_dir``, ``{utt: text}`` in the order of ``utts``."""
    return run_asr(model_dir, utts, device)[1].greedy


def decode_asr(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, device: str = "cpu",
               fusion: LmFusion | None = None) -> dict[str, float]:  # fmt: skip
    """Write ``out_dir/text`` for every utterance of ``data_dir``: the greedy CTC path, or with ``fusion`` the beam
    search's best (and ``out_dir/nbest``). Returns the number of utterances, seconds of audio and the RTF."""
    search = None if fusion is None else piece_search(_tokenizer(model_dir), fusion)
    tokenizer, outs = run_asr(model_dir, load_data_dir(data_dir), device, keep_log_probs=search is not None)
    out_dir = Path(out_dir)
    text, search_s = outs.greedy, 0.0
    if search is not None:
        text, search_s = beam_decode(outs, search, tokenizer, fusion.nj, out_dir)
    write_table(out_dir / "text", text)
    return {"n_utts": len(outs.utts), "audio_s": outs.audio_s, "rtf": (outs.model_s + search_s) / outs.audio_s}


def tune_asr(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, fusion: LmFusion,
             alphas: Sequence[float], betas: Sequence[float], device: str = "cpu") -> dict:  # fmt: skip
    """:func:`speechkit.decode.fusion.tune` on ``data_dir`` (a validation set); also writes the best point's
    ``text`` to ``out_dir``."""
    search = piece_search(_tokenizer(model_dir), fusion)
    tokenizer, outs = run_asr(model_dir, load_data_dir(data_dir), device, keep_log_probs=True)
    report, text = tune(outs, references(data_dir, outs.utts), search, tokenizer, fusion, alphas, betas, data_dir,
                        Path(out_dir))  # fmt: skip
    write_table(Path(out_dir) / "text", text)
    return report


def _tokenizer(model_dir: str | Path) -> BpeTokenizer:
    return BpeTokenizer(Path(model_dir) / "lang" / "bpe.model")


def transcribe_synthesis(model_dir: str | Path, ref_data: str | Path, syn_dir: str | Path,
                         device: str = "cpu") -> tuple[dict[str, str], dict[str, str]]:  # fmt: skip
    """Transcripts of the synthesized ``syn_dir/<utt>.wav`` of every utterance of ``ref_data`` that has one, and of
    the real recordings of ``ref_data``, for ``score tts``'s intelligibility figures. Both are also written, to
    ``syn_dir/asr_syn/text`` and ``syn_dir/asr_ref/text``, so the errors can be read."""
    syn_dir = Path(syn_dir)
    utts = load_data_dir(ref_data)
    synthesized = [replace(u, wav=str(syn_dir / f"{u.utt}.wav")) for u in utts if (syn_dir / f"{u.utt}.wav").is_file()]
    if not synthesized:
        raise SpeechkitError(syn_dir, f"holds no <utt>.wav for any utterance of {ref_data}")
    texts = {}
    for name, batch in (("syn", synthesized), ("ref", utts)):
        texts[name] = transcribe(model_dir, batch, device)
        write_table(syn_dir / f"asr_{name}" / "text", texts[name])
    return texts["syn"], texts["ref"]


def _seconds(path: str) -> float:
    info = audio_info(path)
    return info.frames / info.samplerate
