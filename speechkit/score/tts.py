"""Score synthesized speech against the reference recordings of a data dir: MCD, log-F0 RMSE, durations, and
(given recognizer transcripts) intelligibility.

The figures (each a mean over the utterances that have a synthesized ``<utt>.wav``, every utterance weighing the
same):

* ``mcd``: mel-cepstral distortion in dB, DTW-aligned, as ESPnet's evaluate_mcd.py computes it (settings in
  :mod:`speechkit.score.mcd`).
* ``f0_rmse_cents``: RMSE of ``1200 * log2(F0_syn / F0_ref)`` over the frame pairs of the MCD's DTW path that are
  voiced in both (F0 by :func:`speechkit.features.pitch.f0` at the same hop); an utterance with no such pair is
  left out of the mean.
* ``dur_err_s``: mean absolute difference of utterance length in seconds.
* ``phone_dur_err_frames``: mean absolute difference of token durations in frames, over every token of the
  utterances whose synthesized ``durations`` and reference ``durations`` both exist with the same token count
  (``n_dur_utts`` of them).
* ``wer_syn``, ``cer_syn`` and ``wer_ref``, ``cer_ref``: an ASR model's error rates (%) on the synthesized speech
  and on the real recordings; a missing synthesized utterance counts as an empty transcript.

``score_tts`` writes them, with ``n_utts`` and ``n_missing``, into ``syn_dir/scores.json`` (merged) and one line per
utterance into ``syn_dir/tts_per_utt.txt``, headed by the settings; and ``syn_dir/mel_<utt>.png``, the log-mel of
the first scored recording above its synthesis's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from speechkit.data.audio import read_audio
from speechkit.data.datadir import load_data_dir
from speechkit.data.table import key_file, read_table
from speechkit.errors import SpeechkitError
from speechkit.features.mel import TTS_MEL, log_mel
from speechkit.features.pitch import f0
from speechkit.score.asr import align_sentence, asr_scores
from speechkit.score.mcd import MCEP, McepConfig, mcd
from speechkit.score.report import Scores, write_scores
from speechkit.tts.mel_plot import plot_mels
from speechkit.utils.atomic import write_text_atomic
from speechkit.utils.parallel import progress_bar

F0_SETTINGS = "log-F0 RMSE in cents over DTW-path frame pairs voiced in both (YIN F0, same hop)"


@dataclass(frozen=True)
class UttScores:
    utt: str
    mcd: float
    f0_rmse_cents: float | None
    dur_err_s: float


def f0_rmse_cents(ref_f0: np.ndarray, syn_f0: np.ndarray, ref_frames: np.ndarray,
                  syn_frames: np.ndarray) -> float | None:  # fmt: skip
    """RMSE in cents between F0 tracks (Hz, 0 = unvoiced) over the aligned frame pairs voiced in both; None when
    no pair is."""
    a, b = ref_f0[ref_frames], syn_f0[syn_frames]
    voiced = (a > 0) & (b > 0)
    if not voiced.any():
        return None
    return float(np.sqrt(np.mean((1200.0 * np.log2(b[voiced] / a[voiced])) ** 2)))


def score_pair(utt: str, ref: np.ndarray, syn: np.ndarray, cfg: McepConfig = MCEP) -> UttScores:
    """MCD, F0 RMSE and length error of one synthesized wave against its reference (both at ``cfg.sample_rate``)."""
    result = mcd(ref, syn, cfg)
    # F0 comes at the same hop; cepstral frame i pairs with F0 frame i + f0_offset, so the MCD's DTW path serves both
    ref_f0, syn_f0 = f0(ref, cfg.sample_rate, cfg.hop_length), f0(syn, cfg.sample_rate, cfg.hop_length)
    rmse = f0_rmse_cents(ref_f0, syn_f0, result.ref_frames + cfg.f0_offset, result.syn_frames + cfg.f0_offset)
    return UttScores(utt, result.mcd, rmse, abs(len(syn) - len(ref)) / cfg.sample_rate)


def phone_duration_errors(ref_path: Path, syn_path: Path) -> tuple[list[float], int]:
    """Absolute token-duration differences (frames) over utterances of both files with equal token counts, and the
    number of such utterances."""
    refs, syns = read_table(ref_path), read_table(syn_path)
    diffs: list[float] = []
    n = 0
    for utt, line in syns.items():
        if utt not in refs:
            continue
        a, b = _numbers(ref_path, utt, refs[utt]), _numbers(syn_path, utt, line)
        if len(a) == len(b):
            diffs += np.abs(a - b).tolist()
            n += 1
    return diffs, n


def _numbers(path: Path, utt: str, line: str) -> np.ndarray:
    try:
        return np.array(line.split(), float)
    except ValueError:
        raise SpeechkitError(path, f"durations of {utt!r} are not numbers") from None


def intelligibility(refs: dict[str, str], syn_text: dict[str, str], ref_text: dict[str, str]) -> Scores:
    """``wer_syn``/``cer_syn`` and ``wer_ref``/``cer_ref`` (%) of recognizer transcripts against ``refs``."""
    out: Scores = {}
    for name, hyps in (("syn", syn_text), ("ref", ref_text)):
        scores = asr_scores([align_sentence(u, text, hyps.get(u, "")) for u, text in refs.items()])
        out[f"wer_{name}"], out[f"cer_{name}"] = scores["wer"], scores["cer"]
    return out


def score_tts(ref_data: str | Path, syn_dir: str | Path, syn_text: dict[str, str] | None = None,
              ref_text: dict[str, str] | None = None, cfg: McepConfig = MCEP) -> Scores:  # fmt: skip
    """Score ``syn_dir/<utt>.wav`` against the recordings of ``ref_data``; write ``syn_dir/scores.json`` and
    ``syn_dir/tts_per_utt.txt``. ``syn_text`` and ``ref_text`` (an ASR model's transcripts of the synthesized and the
    real speech) add the intelligibility figures.

    Example::

        scores = score_tts("data/test", "exp/fastspeech2/synth_test")
        scores["mcd"]  # e.g. 6.8 (dB)
    """
    ref_data, syn_dir = Path(ref_data), Path(syn_dir)
    utts = load_data_dir(ref_data)
    if not syn_dir.is_dir():
        raise SpeechkitError(syn_dir, "synthesis directory not found")
    present = [u for u in utts if key_file(syn_dir, u.utt, ".wav").is_file()]
    if not present:
        raise SpeechkitError(syn_dir, f"holds no <utt>.wav for any utterance of {ref_data}")
    results = []
    with progress_bar() as bar:
        task = bar.add_task("score tts", total=len(present))
        for u in present:
            ref = read_audio(u.wav, cfg.sample_rate)
            syn = read_audio(key_file(syn_dir, u.utt, ".wav"), cfg.sample_rate)
            results.append(score_pair(u.utt, ref, syn, cfg))
            if u is present[0]:
                _plot(syn_dir, u.utt, ref, syn, cfg.sample_rate)
            bar.advance(task)
    f0s = [r.f0_rmse_cents for r in results if r.f0_rmse_cents is not None]
    scores: Scores = {"mcd": round(float(np.mean([r.mcd for r in results])), 2)}
    if f0s:
        scores["f0_rmse_cents"] = round(float(np.mean(f0s)), 2)
    scores["dur_err_s"] = round(float(np.mean([r.dur_err_s for r in results])), 3)
    if (ref_data / "durations").is_file() and (syn_dir / "durations").is_file():
        diffs, n = phone_duration_errors(ref_data / "durations", syn_dir / "durations")
        if n:
            scores["phone_dur_err_frames"] = round(float(np.mean(diffs)), 3)
            scores["n_dur_utts"] = n
    if syn_text is not None and ref_text is not None:
        scores.update(intelligibility({u.utt: u.text for u in utts}, syn_text, ref_text))
    scores["n_utts"] = len(present)
    scores["n_missing"] = len(utts) - len(present)
    _write_per_utt(syn_dir / "tts_per_utt.txt", results, cfg)
    write_scores(syn_dir, scores)
    return scores


def _plot(syn_dir: Path, utt: str, ref: np.ndarray, syn: np.ndarray, rate: int) -> None:
    """``syn_dir/mel_<utt>.png``: the recording's log-mel above its synthesis's."""
    mel = replace(TTS_MEL, sample_rate=rate)
    mels = [log_mel(torch.from_numpy(w)[None], mel)[0].numpy() for w in (ref, syn)]
    plot_mels(syn_dir / f"mel_{utt}.png", utt, mels, ["recording", "synthesized"])


def _write_per_utt(path: Path, results: list[UttScores], cfg: McepConfig) -> None:
    lines = [f"# {cfg.describe()}", f"# F0: {F0_SETTINGS}", "# utt mcd_db f0_rmse_cents dur_err_s"]
    for r in results:
        rmse = "-" if r.f0_rmse_cents is None else f"{r.f0_rmse_cents:.2f}"
        lines.append(f"{r.utt} {r.mcd:.3f} {rmse} {r.dur_err_s:.3f}")
    write_text_atomic(path, "\n".join(lines) + "\n")
