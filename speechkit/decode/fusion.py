"""LM shallow fusion for any CTC model whose outputs are sentencepiece ids (BPE or characters, 0 = blank).

A model module (:mod:`speechkit.decode.slu`, :mod:`speechkit.decode.asr`) runs its network once over a data dir
and hands :class:`CtcOutputs` here; :func:`beam_decode` writes the beam search's transcripts and :func:`tune`
decodes a validation set over an alpha/beta grid and keeps the weights with the lowest WER, which a later decode
reads back with :func:`read_tuned`.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from speechkit.data.table import read_table, write_table
from speechkit.decode.beam_search import CtcBeamSearch, DecoderSpec, Hypothesis, SearchOptions, decode_grid
from speechkit.errors import SpeechkitError
from speechkit.lang.tokens import BpeTokenizer
from speechkit.score.asr import align_sentence, asr_scores
from speechkit.utils.atomic import write_text_atomic


@dataclass(frozen=True)
class LmFusion:
    """Beam search with shallow fusion of the KenLM model ``lm``, on ``nj`` processes."""

    lm: Path
    options: SearchOptions = field(default_factory=SearchOptions)
    nj: int = 1


@dataclass
class CtcOutputs:
    """One pass of a model over a data dir: per utterance (data-dir order) the greedy transcript and, when asked
    for, the CTC log-probabilities (T, V) for a beam search; seconds of audio and of model time."""

    utts: list[str]
    greedy: dict[str, str]
    log_probs: list[np.ndarray]
    audio_s: float
    model_s: float


def piece_search(tokenizer: BpeTokenizer, fusion: LmFusion, words: Sequence[str] = ()) -> CtcBeamSearch:
    """Beam search over ``tokenizer``'s ids. ``words``: the words the model was trained to spell (e.g. its lexicon);
    the LM must know some of them, and they join the LM's words in the partial-word trie."""
    spec = DecoderSpec(units=tuple(tokenizer.token_list().symbols), spelling="piece", lm=str(fusion.lm),
                       words=tuple(dict.fromkeys(words)))  # fmt: skip
    return CtcBeamSearch(spec, fusion.options)


def _write_nbest(path: Path, utts: Sequence[str], hyps: Sequence[list[Hypothesis]], tokenizer: BpeTokenizer) -> None:
    """``utt-rank score text`` lines, one per hypothesis (Kaldi's n-best keys: the rank appended to the utt)."""
    write_table(path, [(f"{u}-{r}", f"{h.score:.4f} {tokenizer.decode(h.tokens)}".rstrip())
                       for u, nbest in zip(utts, hyps) for r, h in enumerate(nbest, 1)])  # fmt: skip


def beam_decode(outs: CtcOutputs, search: CtcBeamSearch, tokenizer: BpeTokenizer, nj: int,
                out_dir: Path) -> tuple[dict[str, str], float]:  # fmt: skip
    """The best transcript of every utterance with the search's own weights, and the search's seconds. Writes
    ``out_dir/nbest`` when the options ask for more than one hypothesis."""
    t0 = time.perf_counter()
    o = search.options
    hyps = decode_grid(search, outs.log_probs, [(o.alpha, o.beta)], nj, "beam search")[0]
    seconds = time.perf_counter() - t0
    if o.nbest > 1:
        _write_nbest(out_dir / "nbest", outs.utts, hyps, tokenizer)
    return {u: tokenizer.decode(h[0].tokens) for u, h in zip(outs.utts, hyps)}, seconds


def _wer(refs: dict[str, str], hyps: dict[str, str]) -> float:
    return float(asr_scores([align_sentence(u, ref, hyps[u]) for u, ref in refs.items()])["wer"])


def references(data_dir: str | Path, utts: Sequence[str]) -> dict[str, str]:
    """``data_dir/text`` for ``utts``; every utterance must have one (tuning scores them all)."""
    all_refs = read_table(Path(data_dir) / "text")
    missing = next((u for u in utts if u not in all_refs), None)
    if missing is not None:
        raise SpeechkitError(Path(data_dir) / "text", f"has no reference for utterance {missing!r}")
    return {u: all_refs[u] for u in utts}


def tune(outs: CtcOutputs, refs: dict[str, str], search: CtcBeamSearch, tokenizer: BpeTokenizer, fusion: LmFusion,
         alphas: Sequence[float], betas: Sequence[float], data_dir: str | Path,
         out_dir: Path) -> tuple[dict, dict[str, str]]:  # fmt: skip
    """Decode ``outs`` (a validation set) for every ``(alpha, beta)`` and keep the lowest WER.

    Writes ``out_dir/tune.json`` (settings, the grid with each point's WER, and ``best``); returns it and the best
    point's transcripts. Ties go to the smaller alpha, then the smaller |beta|, so an LM that does not help is not
    used.
    """
    grid = list(itertools.product(alphas, betas))
    t0 = time.perf_counter()
    results = decode_grid(search, outs.log_probs, grid, fusion.nj, f"tune {len(grid)} weights")
    search_s = time.perf_counter() - t0
    points, texts = [], []
    for (alpha, beta), hyps in zip(grid, results):
        text = {u: tokenizer.decode(h[0].tokens) for u, h in zip(outs.utts, hyps)}
        points.append({"alpha": alpha, "beta": beta, "wer": _wer(refs, text)})
        texts.append(text)
    k = min(range(len(grid)), key=lambda i: (points[i]["wer"], points[i]["alpha"], abs(points[i]["beta"])))
    opts = {key: v for key, v in asdict(fusion.options).items() if key not in ("alpha", "beta", "nbest")}
    ms = round(1000 * search_s / max(1, len(outs.utts) * len(grid)), 3)
    report = {"lm": str(fusion.lm), "data": str(data_dir), "n_utts": len(outs.utts), "search": opts,
              "search_ms_per_utt_and_weight": ms, "greedy_wer": _wer(refs, outs.greedy),
              "grid": points, "best": points[k]}  # fmt: skip
    write_text_atomic(out_dir / "tune.json", json.dumps(report, indent=2) + "\n")
    return report, texts[k]


def read_tuned(path: str | Path) -> tuple[float, float]:
    """The best ``(alpha, beta)`` of a ``tune.json`` written by :func:`tune`."""
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, "tuning result not found (run `speechkit decode --tune` on a validation set)")
    try:
        best = json.loads(path.read_text(encoding="utf-8"))["best"]
        return float(best["alpha"]), float(best["beta"])
    except (ValueError, KeyError, TypeError):
        raise SpeechkitError(path, "not a tune.json from `speechkit decode --tune` (no best alpha and beta)") from None
