"""Transcribe audio with a trained ASR model (greedy CTC), from a data dir or from any list of wave files.

:func:`transcribe` takes utterances rather than a data dir so that ``score tts`` can run the recognizer over a
folder of synthesized ``<utt>.wav`` files; audio at another rate than the model's is resampled on reading.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import torch

from speechkit.data.audio import audio_info
from speechkit.data.batching import DurationBatchSampler
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.data.table import write_table
from speechkit.decode.ctc import ctc_greedy
from speechkit.errors import SpeechkitError
from speechkit.lang.tokens import BpeTokenizer
from speechkit.models.builder import load_model
from speechkit.utils.parallel import progress_bar


def transcribe(model_dir: str | Path, utts: Sequence[Utterance], device: str = "cpu",
               max_seconds: float = 300.0) -> tuple[dict[str, str], dict[str, float]]:  # fmt: skip
    """Greedy-CTC transcripts of ``utts`` (their ``wav`` paths; the text is ignored) by the model of ``model_dir``.

    Returns ``{utt: text}`` in the order of ``utts``, and the number of utterances, seconds of audio and the
    real-time factor.
    """
    model_dir = Path(model_dir)
    cfg, model = load_model(model_dir, device)
    tokenizer = BpeTokenizer(model_dir / "lang" / "bpe.model")
    if len(tokenizer) != cfg.n_tokens:
        raise SpeechkitError(model_dir / "lang" / "bpe.model", f"has {len(tokenizer)} tokens (blank included) but "
                             f"the model outputs {cfg.n_tokens}")  # fmt: skip
    seconds = [_seconds(u.wav) for u in utts]
    dataset = AudioDataset(utts, lambda u: {}, cfg.mel.sample_rate)
    texts: dict[str, str] = {}
    t0 = time.perf_counter()
    with progress_bar() as bar, torch.no_grad():
        task = bar.add_task("transcribe", total=len(utts))
        for idx in DurationBatchSampler(seconds, max_seconds, 256, shuffle=False):
            b = collate([dataset[i] for i in idx])
            out = model(*model.features(b["wav"].to(device), b["wav_lengths"].to(device)))
            for i, hyp in zip(idx, ctc_greedy(out["log_probs"], out["lengths"])):
                texts[utts[i].utt] = tokenizer.decode(hyp)
            bar.advance(task, len(idx))
    elapsed, audio = time.perf_counter() - t0, sum(seconds)
    stats = {"n_utts": len(utts), "audio_s": audio, "rtf": elapsed / max(audio, 1e-9)}
    return {u.utt: texts[u.utt] for u in utts}, stats


def decode_asr(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, device: str = "cpu",
               max_seconds: float = 300.0) -> dict[str, float]:  # fmt: skip
    """Write ``out_dir/text`` for every utterance of ``data_dir``; return :func:`transcribe`'s figures."""
    texts, stats = transcribe(model_dir, load_data_dir(data_dir), device, max_seconds)
    write_table(Path(out_dir) / "text", texts)
    return stats


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
        texts[name], _ = transcribe(model_dir, batch, device)
        write_table(syn_dir / f"asr_{name}" / "text", texts[name])
    return texts["syn"], texts["ref"]


def _seconds(path: str) -> float:
    info = audio_info(path)
    return info.frames / info.samplerate
