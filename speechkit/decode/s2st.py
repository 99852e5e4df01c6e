"""Translate a data dir's source speech into target speech with a direct model dir (:mod:`speechkit.models.s2st`).

Per batch of source utterances of similar length: the encoder and the linguistic decoder (greedy) give the target
text; the TTS front end turns it into phones, each tagged with its word; the synthesizer gives mels from them and
the decoder's states, and the vocoder (Griffin-Lim, or a trained vocoder model dir) renders each utterance's own
frames. ``OUT/`` receives ``<utt>.wav``, ``wav.scp``, ``text`` (the intermediate text) and ``decode.json``
(settings, seconds of source audio, of output audio, of model and vocoder time, and the real-time factor: compute
time per second of source speech). A translation with no words gives a short silence, counted as ``empty``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from speechkit.data.audio import write_audio
from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import load_audio_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.data.table import key_file, write_table
from speechkit.errors import SpeechkitError
from speechkit.lang.tokens import BpeTokenizer
from speechkit.models.builder import load_model
from speechkit.models.s2st import TARGET_UNITS, S2STModel
from speechkit.models.text_decoder import EOS_ID, PIECE_OFFSET
from speechkit.tts.frontend import Frontend
from speechkit.tts.synth import GRIFFIN_LIM, load_vocoder
from speechkit.utils.atomic import atomic_dir, write_text_atomic
from speechkit.utils.parallel import progress_bar


def _synthesis_batch(texts: list[str], ids: list[list[int]], tokenizer: BpeTokenizer, frontend: Frontend,
                     phone_ids: dict[str, int], device: torch.device) -> dict[str, torch.Tensor]:  # fmt: skip
    """Decoder ids, their words, and the phones with their words of each translation, padded."""
    pad = torch.nn.utils.rnn.pad_sequence
    pieces, words, phones, phone_words = [], [], [], []
    for text, seq in zip(texts, ids):
        tokens, token_words = frontend.tokens_and_words(text)
        pieces.append(torch.tensor([i + PIECE_OFFSET for i in seq] + [EOS_ID]))
        words.append(torch.tensor(tokenizer.word_index(seq) + [-1]))
        phones.append(torch.tensor([phone_ids[t] for t in tokens]))
        phone_words.append(torch.tensor(token_words))
    b = {"pieces": pad(pieces, batch_first=True), "piece_words": pad(words, batch_first=True, padding_value=-1),
         "tokens": pad(phones, batch_first=True), "phone_words": pad(phone_words, batch_first=True, padding_value=-1),
         "pieces_lengths": torch.tensor([len(p) for p in pieces]),
         "token_lengths": torch.tensor([len(p) for p in phones])}  # fmt: skip
    return {k: v.to(device) for k, v in b.items()}


def translate_data_dir(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path, vocoder: str = GRIFFIN_LIM,
                       device: str | torch.device = "cpu", gl_iters: int = 32, beam: int = 4,
                       max_seconds: float = 200.0) -> dict[str, float]:  # fmt: skip
    """Write ``out_dir`` (replaced atomically) as the module docstring says; return ``decode.json``'s figures."""
    model_dir, data_dir, device = Path(model_dir), Path(data_dir), torch.device(device)
    cfg, model = load_model(model_dir, device)
    if not isinstance(model, S2STModel):
        raise SpeechkitError(model_dir, "is not a speech-to-speech translation model dir")
    tokenizer = BpeTokenizer(model_dir / TARGET_UNITS)
    if len(tokenizer) != cfg.n_pieces:
        raise SpeechkitError(tokenizer.path, f"has {len(tokenizer)} ids but the model decodes {cfg.n_pieces}")
    synth = cfg.synth
    frontend = Frontend(any(t[-1].isdigit() for t in synth.tokens), synth.leading_sil, synth.trailing_sil)
    phone_ids = {t: i for i, t in enumerate(synth.tokens)}
    voc = load_vocoder(vocoder, synth.mel, device, gl_iters)
    utts, _ = load_audio_dir(data_dir)
    seconds = read_durations(data_dir)
    dataset = AudioDataset(utts, lambda u: {}, cfg.mel.sample_rate)
    texts: dict[str, str] = {}
    waves: dict[str, np.ndarray] = {}
    timing = {"model_s": 0.0, "vocoder_s": 0.0}
    with progress_bar() as bar, torch.no_grad():
        task = bar.add_task(f"translate {data_dir.name}", total=len(utts))
        for idx in DurationBatchSampler([seconds[u.utt] for u in utts], max_seconds, 64, shuffle=False):
            t0 = time.perf_counter()
            b = collate([dataset[i] for i in idx])
            feats, lengths = model.features(b["wav"].to(device), b["wav_lengths"].to(device))
            ids, enc = model.translate(feats, lengths, beam)
            batch_texts = [tokenizer.decode(seq) for seq in ids]
            spoken = [j for j, text in enumerate(batch_texts) if text.split()]
            for j, i in enumerate(idx):
                texts[utts[i].utt] = batch_texts[j]
                waves[utts[i].utt] = np.zeros(synth.mel.hop_length * 8, np.float32)
            if spoken:
                sub = {k: v[spoken] for k, v in enc.items()}
                sb = _synthesis_batch([batch_texts[j] for j in spoken], [ids[j] for j in spoken], tokenizer, frontend,
                                      phone_ids, device)  # fmt: skip
                out = model.synthesize(sub, sb)
                t1 = time.perf_counter()
                timing["model_s"] += t1 - t0
                for row, j in enumerate(spoken):
                    frames = int(out["frame_lengths"][row])
                    wav = voc.vocode(out["log_mel"][row : row + 1, :frames])[0]
                    waves[utts[idx[j]].utt] = wav.float().cpu().numpy()
                timing["vocoder_s"] += time.perf_counter() - t1
            else:
                timing["model_s"] += time.perf_counter() - t0
            bar.advance(task, len(idx))
    out_dir = Path(out_dir)
    rate = synth.mel.sample_rate
    with atomic_dir(out_dir) as tmp:
        for key, wav in waves.items():
            write_audio(key_file(tmp, key, ".wav"), wav, rate)
        write_table(tmp / "wav.scp", {u.utt: str((out_dir / f"{u.utt}.wav").resolve()) for u in utts})
        write_table(tmp / "text", {u.utt: texts[u.utt] for u in utts})
        source_s = sum(seconds[u.utt] for u in utts)
        info = {"model": str(model_dir), "vocoder": type(voc).__name__, "utterances": len(utts),
                "beam": beam, "empty": sum(not t.split() for t in texts.values()), "source_s": source_s,
                "output_s": sum(len(w) for w in waves.values()) / rate, **timing,
                "rtf": (timing["model_s"] + timing["vocoder_s"]) / source_s}  # fmt: skip
        write_text_atomic(tmp / "decode.json", json.dumps(info, indent=1) + "\n")
    return info
