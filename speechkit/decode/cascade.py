"""The cascade of speech-to-speech translation in one call: ASR -> MT -> TTS, over a data dir.

The source text is the ASR model's greedy transcript of the data dir's audio (``asr_model``), or a text table of
the data dir itself (``text``, ``text.es``...) to measure MT alone. The MT model translates it by beam search;
with ``tts_model`` (a FastSpeech 2 model dir) and a vocoder the translations are spoken. ``OUT/`` receives
``source_text`` (what was translated), ``text`` (the translations) and, with speech, ``<utt>.wav`` and ``wav.scp``;
``decode.json`` holds the settings, the seconds spent in each stage and, from speech, the real-time factor
(compute time per second of source speech). A translation with no words gives a short silence, counted as ``empty``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence

from speechkit.data.audio import write_audio
from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import load_audio_dir
from speechkit.data.table import key_file, read_table, write_table
from speechkit.decode.recognize import run_data_dir
from speechkit.errors import SpeechkitError
from speechkit.lang.tokens import BpeTokenizer
from speechkit.models.builder import load_model
from speechkit.models.mt import MTModel
from speechkit.models.s2st import SOURCE_UNITS, TARGET_UNITS
from speechkit.tts.synth import GRIFFIN_LIM, Synthesizer
from speechkit.utils.atomic import atomic_dir, write_text_atomic
from speechkit.utils.parallel import progress_bar


def translate_texts(model_dir: str | Path, texts: dict[str, str], device: str | torch.device = "cpu", beam: int = 4,
                    max_tokens: int = 2000) -> dict[str, str]:  # fmt: skip
    """``{key: translation}`` of ``{key: source text}`` by the MT model of ``model_dir``."""
    model_dir = Path(model_dir)
    cfg, model = load_model(model_dir, device)
    if not isinstance(model, MTModel):
        raise SpeechkitError(model_dir, "is not a text translation (mt) model dir")
    source, target = BpeTokenizer(model_dir / SOURCE_UNITS), BpeTokenizer(model_dir / TARGET_UNITS)
    keys = list(texts)
    ids = [source.encode(texts[k]) or [1] for k in keys]  # an empty source reads as <unk> (id 1)
    out: dict[str, str] = {}
    with progress_bar() as bar:
        task = bar.add_task("translate", total=len(keys))
        for idx in DurationBatchSampler([len(s) for s in ids], max_tokens, 64, shuffle=False):
            src = pad_sequence([torch.tensor(ids[i]) for i in idx], batch_first=True).to(device)
            lengths = torch.tensor([len(ids[i]) for i in idx], device=device)
            for i, hyp in zip(idx, model.translate(src, lengths, beam)):
                out[keys[i]] = target.decode(hyp)
            bar.advance(task, len(idx))
    return {k: out[k] for k in keys}


def cascade_data_dir(mt_model: str | Path, data_dir: str | Path, out_dir: str | Path,
                     asr_model: str | Path | None = None, source_text: str = "text", tts_model: str | Path | None = None,
                     vocoder: str = GRIFFIN_LIM, device: str | torch.device = "cpu", beam: int = 4,
                     gl_iters: int = 32) -> dict[str, float]:  # fmt: skip
    """Write ``out_dir`` (replaced atomically) as the module docstring says; return ``decode.json``'s figures."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    if asr_model is not None:
        source = run_data_dir(asr_model, data_dir, str(device))[1].greedy
    else:
        source = read_table(data_dir / source_text, allow_empty=True)
    timing["asr_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    text = translate_texts(mt_model, source, device, beam)
    timing["mt_s"] = time.perf_counter() - t0
    utts = [u.utt for u in load_audio_dir(data_dir)[0]]
    waves: dict[str, np.ndarray] = {}
    if tts_model is not None:
        syn = Synthesizer(tts_model, vocoder, device, gl_iters)
        spoken = [u for u in utts if text.get(u, "").split()]
        with progress_bar() as bar:
            task = bar.add_task("synthesize", total=len(spoken))
            results = syn.synthesize([syn.frontend(text[u]) for u in spoken], on_batch=lambda n: bar.advance(task, n))
        waves = {u: np.zeros(syn.cfg.mel.hop_length * 8, np.float32) for u in utts}
        waves.update({u: r.wav for u, r in zip(spoken, results)})
        timing.update(tts_s=syn.timing.acoustic, vocoder_s=syn.timing.vocoder)
    source_s = sum(read_durations(data_dir).values()) if asr_model is not None else None
    with atomic_dir(out_dir) as tmp:
        write_table(tmp / "source_text", {u: source.get(u, "") for u in utts})
        write_table(tmp / "text", {u: text.get(u, "") for u in utts})
        if waves:
            rate = syn.cfg.mel.sample_rate
            for u, wav in waves.items():
                write_audio(key_file(tmp, u, ".wav"), wav, rate)
            write_table(tmp / "wav.scp", {u: str((out_dir / f"{u}.wav").resolve()) for u in utts})
        info = {"mt_model": str(mt_model), "asr_model": str(asr_model), "tts_model": str(tts_model),
                "vocoder": vocoder if tts_model else None, "beam": beam, "utterances": len(utts),
                "empty": sum(not text.get(u, "").split() for u in utts), "source_s": source_s, **timing,
                "rtf": sum(timing.values()) / source_s if source_s else None}  # fmt: skip
        write_text_atomic(tmp / "decode.json", json.dumps(info, indent=1) + "\n")
    return info
