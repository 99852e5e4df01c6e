"""CTC + KenLM beam search: speechkit against pyctcdecode 0.5.0 and torchaudio's flashlight ``ctc_decoder``.

Usage (pyctcdecode pins numpy<2, so the peers get their own environment, built once)::

    bash bench/make_peer_env.sh
    .venv-peers/bin/python bench/decode.py --data egs/fsc/slu1/data/test --lm LM.arpa \\
        [--model egs/fsc/slu1/exp/slu --weak-model egs/fsc/slu1/exp/slu_e3] [--beams 8,32,128] [--json out.json]

A matrix: units {BPE, char} x regimes {confident, weak, very noisy} x beam widths, every decoder on the same
emissions with the same settings in one run:

* BPE rows decode real model outputs: ``--model`` (a well-trained model: confident), ``--weak-model`` (an early
  checkpoint: weak) and the weak model's outputs with Gaussian noise of ``--noise`` added (very noisy); without
  the two models there are no BPE rows;
* char rows decode synthetic posteriors spelling ``--data``'s transcripts in 29 character units
  (:mod:`speechkit.decode.synthetic`: the right character wins each frame, and on a share of frames a random
  other one is close behind), seeded by ``--seed``;
* the same ARPA file, LM weight and word bonus: speechkit and pyctcdecode score ``alpha * ln P_lm + beta`` per
  word; flashlight adds raw log10 KenLM scores, so it gets ``lm_weight = alpha * ln 10``;
* the same vocabulary: the ARPA's unigrams (plus a BPE model lexicon's words). speechkit and pyctcdecode use it for
  their partial-word trie and charge words outside it ``unk_score_offset``; flashlight's lexicon decoder can only
  output its lexicon's words, so it gets the vocabulary spelled in the units;
* the same beam width, and pruning of hypotheses more than ``--beam-prune`` below the best (flashlight's
  ``beam_threshold``); speechkit and pyctcdecode skip units below ``--token-min-logp``, flashlight scores every
  unit (its default), and so does the row "speechkit, all units" (``token_min_logp = -inf``). Each speechkit row
  is judged against the peer that prunes units as it does (the last lines of the report): skipping units changes
  which hypotheses a narrow beam can reach, either way (on FSC char very noisy emissions at beam 8, speechkit
  gives 20.2 % skipping units and 18.8 % scoring all of them; flashlight 18.3 %);
* one process and one thread each (``torch.set_num_threads(1)`` while decoding; the model pass uses two).

Times are CPU seconds of the decoding process (``time.process_time``), so other load on a shared machine does not
count (the wall-clock figure is reported beside it): the least of ``--repeats`` passes over all utterances, each
with freshly built decoders. speechkit keeps LM states and prefix-tree nodes from one utterance to the next, as it
does in ``speechkit decode``, so a pass starts cold and warms up as it goes; the others keep nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from speechkit.data.table import read_table, scan_table
from speechkit.decode.beam_search import CtcBeamSearch, DecoderSpec, SearchOptions
from speechkit.decode.lm_scorer import LmScorer
from speechkit.decode.recognize import run_data_dir
from speechkit.decode.synthetic import CHAR_UNITS, REGIMES, add_noise, char_emissions
from speechkit.lang.units import LangUnits
from speechkit.score.asr import align_sentence, asr_scores

Decoder = Callable[[np.ndarray], str]
ALL_UNITS = "speechkit, all units"  # speechkit with flashlight's setting: no unit skipped
# each speechkit row is judged against the peer that searches as it does
LIKE_FOR_LIKE = {"speechkit": "pyctcdecode", ALL_UNITS: "flashlight"}


@dataclass(frozen=True)
class Units:
    """A unit inventory as each decoder takes it: ``symbols`` (id order, blank first), speechkit's ``spelling`` and
    the model's ``words``, how speechkit's token ids become text, pyctcdecode's labels, and for flashlight's lexicon
    how a word is spelled and which unit stands for silence."""

    name: str
    symbols: tuple[str, ...]
    spelling: str
    words: tuple[str, ...]
    text: Callable[[list[int]], str]
    labels: list[str]
    spell: Callable[[str], list[str]]
    sil: str


def bpe_units(model: Path) -> Units:
    units = LangUnits.load(model / "lang")
    symbols = tuple(units.bpe.token_list().symbols)
    words = tuple(dict.fromkeys(line.key for line in scan_table(units.dir / "lexicon.txt")))
    # <unk> (id 1) stands in for the silence token flashlight requires (the model never emits it)
    return Units("BPE", symbols, "piece", words, units.bpe_text, ["", *symbols[1:]], units.bpe.pieces, symbols[1])


def char_units() -> Units:
    def text(ids: list[int]) -> str:
        return " ".join("".join(CHAR_UNITS[i] for i in ids).replace("|", " ").split())

    labels = ["", *(" " if u == "|" else u for u in CHAR_UNITS[1:])]
    return Units("char", CHAR_UNITS, "char", (), text, labels, lambda w: [*w, "|"], "|")


def speechkit_decoder(units: Units, args: argparse.Namespace, beam: int, token_min_logp: float) -> Decoder:
    spec = DecoderSpec(units.symbols, units.spelling, lm=str(args.lm), words=units.words)
    opts = SearchOptions(beam=beam, beam_prune=args.beam_prune, token_min_logp=token_min_logp,
                         alpha=args.alpha, beta=args.beta, unk_score_offset=args.unk_score_offset)  # fmt: skip
    search = CtcBeamSearch(spec, opts)
    return lambda lp: units.text(list(search(lp)[0].tokens))


def pyctcdecode_decoder(units: Units, vocab: tuple[str, ...], args: argparse.Namespace, beam: int) -> Decoder:
    from pyctcdecode import build_ctcdecoder

    dec = build_ctcdecoder(units.labels, kenlm_model_path=str(args.lm), unigrams=sorted(vocab), alpha=args.alpha,
                           beta=args.beta, unk_score_offset=args.unk_score_offset)  # fmt: skip
    return lambda lp: " ".join(dec.decode(lp, beam_width=beam, beam_prune_logp=-args.beam_prune,
                                          token_min_logp=args.token_min_logp).split())  # fmt: skip


def flashlight_decoder(units: Units, vocab: tuple[str, ...], args: argparse.Namespace, beam: int,
                       tmp: Path) -> Decoder:  # fmt: skip
    from torchaudio.models.decoder import ctc_decoder

    lexicon = tmp / f"lexicon_{units.name}.txt"
    known = set(units.symbols)
    spelled = ((w, units.spell(w)) for w in sorted(vocab))
    lexicon.write_text("".join(f"{w} {' '.join(s)}\n" for w, s in spelled if known.issuperset(s)), encoding="utf-8")
    dec = ctc_decoder(lexicon=str(lexicon), tokens=list(units.symbols), lm=str(args.lm), beam_size=beam,
                      beam_threshold=args.beam_prune, lm_weight=args.alpha * math.log(10), word_score=args.beta,
                      sil_score=0.0, log_add=True, blank_token=units.symbols[0], sil_token=units.sil,
                      unk_word="<unk>")  # fmt: skip
    return lambda lp: " ".join(dec(torch.from_numpy(lp)[None])[0][0].words)


def run(makers: dict[str, Callable[[], Decoder]], log_probs: list[np.ndarray], repeats: int,
        ) -> dict[str, tuple[list[str], float, float]]:  # fmt: skip
    """Per decoder: hypotheses, and the least CPU and wall milliseconds per utterance over ``repeats`` passes.

    Each pass decodes with a decoder fresh from its maker; the decoders take turns, pass by pass, so a change in
    the machine's load weighs on all of them alike. One utterance decoded beforehand pays for lazy imports.
    """
    for make in makers.values():
        make()(log_probs[0])
    best = {name: (math.inf, math.inf) for name in makers}
    hyps: dict[str, list[str]] = {}
    for _ in range(repeats):
        for name, make in makers.items():
            decode = make()
            c0, w0 = time.process_time(), time.perf_counter()
            hyps[name] = [decode(lp) for lp in log_probs]
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    n = len(log_probs)
    return {name: (hyps[name], 1000 * cpu / n, 1000 * wall / n) for name, (cpu, wall) in best.items()}


def wer(refs: list[str], hyps: list[str]) -> float:
    return float(asr_scores([align_sentence(str(i), r, h) for i, (r, h) in enumerate(zip(refs, hyps))])["wer"])


def cell(units: Units, log_probs: list[np.ndarray], refs: list[str], greedy: list[str], vocab: tuple[str, ...],
         args: argparse.Namespace, beam: int, tmp: Path) -> dict:  # fmt: skip
    """Every decoder on one set of emissions at one beam width: WER, times and time ratios to flashlight's."""
    makers: dict[str, Callable[[], Decoder]] = {
        "speechkit": lambda: speechkit_decoder(units, args, beam, args.token_min_logp),
        ALL_UNITS: lambda: speechkit_decoder(units, args, beam, -math.inf),
        "pyctcdecode": lambda: pyctcdecode_decoder(units, vocab, args, beam),
        "flashlight": lambda: flashlight_decoder(units, vocab, args, beam, tmp),
    }
    rows: dict = {"greedy": {"wer": wer(refs, greedy)}}
    for name, (hyps, cpu, wall) in run(makers, log_probs, args.repeats).items():
        rows[name] = {"wer": wer(refs, hyps), "cpu_ms": cpu, "wall_ms": wall}
    for row in rows.values():
        if "cpu_ms" in row:
            row["vs_flashlight"] = row["cpu_ms"] / rows["flashlight"]["cpu_ms"]
    frames = sum(len(lp) for lp in log_probs) / len(log_probs)
    return {"units": units.name, "beam": beam, "n_utts": len(log_probs), "frames_per_utt": frames, "decoders": rows}


def greedy_text(units: Units, lp: np.ndarray) -> str:
    best = lp.argmax(1)
    keep = (best != 0) & np.r_[True, best[1:] != best[:-1]]
    return units.text(best[keep].tolist())


def bpe_emissions(args: argparse.Namespace, refs: dict[str, str]) -> tuple[Units, dict[str, list[np.ndarray]],
                                                                          list[str]]:  # fmt: skip
    """The BPE regimes' log-probabilities from the two models (and the weak one's with noise), and the refs."""
    torch.set_num_threads(2)
    regimes = {}
    for name, model in (("confident", args.model), ("weak", args.weak_model)):
        _, outs = run_data_dir(model, args.data, keep_log_probs=True)
        utts = outs.utts[: args.max_utts or None]
        regimes[name] = outs.log_probs[: len(utts)]
    rng = np.random.default_rng(args.seed)
    regimes["very noisy"] = [add_noise(lp, args.noise, rng) for lp in regimes["weak"]]
    torch.set_num_threads(1)
    return bpe_units(args.model), regimes, [refs[u] for u in utts]


def char_emission_sets(args: argparse.Namespace, refs: dict[str, str]) -> tuple[Units, dict[str, list[np.ndarray]],
                                                                               list[str]]:  # fmt: skip
    """Synthetic character posteriors of the transcripts (normalized to the 29 units) in every regime."""
    texts = [" ".join(re.sub(r"[^a-z' ]", " ", t.lower()).split()) for t in refs.values()]
    texts = [t for t in texts if t][: args.max_utts or None]
    rng = np.random.default_rng(args.seed)
    return char_units(), {name: [char_emissions(t, r, rng) for t in texts] for name, r in REGIMES.items()}, texts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, required=True, help="data dir with text (its transcripts are also spelled "
                   "for the char rows)")  # fmt: skip
    p.add_argument("--lm", type=Path, required=True, help="word ARPA file")
    p.add_argument("--model", type=Path, help="well-trained BPE model dir (confident emissions)")
    p.add_argument("--weak-model", type=Path, help="weakly trained BPE model dir (weak emissions)")
    p.add_argument("--noise", type=float, default=1.0, help="noise added to the weak model's outputs (very noisy)")
    p.add_argument("--beams", default="8,32,128")
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--beam-prune", type=float, default=10.0)
    p.add_argument("--token-min-logp", type=float, default=-5.0)
    p.add_argument("--unk-score-offset", type=float, default=-10.0)
    p.add_argument("--max-utts", type=int, default=0, help="decode only the first N utterances (0: all)")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()
    try:
        import pyctcdecode  # noqa: F401 - checked before the long work starts
    except ImportError:
        raise SystemExit("pyctcdecode is not installed here: it pins numpy<2, so it has its own environment. "
                         "Run `bash bench/make_peer_env.sh`, then `.venv-peers/bin/python bench/decode.py ...`")
    if (args.model is None) != (args.weak_model is None):
        raise SystemExit("give both --model and --weak-model (BPE rows), or neither (char rows only)")

    refs = read_table(args.data / "text")
    beams = [int(b) for b in args.beams.split(",")]
    settings = {k: getattr(args, k) for k in ("alpha", "beta", "beam_prune", "token_min_logp", "unk_score_offset")}
    report: dict = {"settings": {**settings, "beams": beams, "lm": str(args.lm), "data": str(args.data),
                                 "noise": args.noise, "seed": args.seed}, "cells": []}  # fmt: skip
    lm_words = LmScorer(args.lm).vocabulary or frozenset()
    sets = [char_emission_sets(args, refs)]
    if args.model is not None:
        sets.insert(0, bpe_emissions(args, refs))
    with tempfile.TemporaryDirectory() as tmp:
        for units, regimes, texts in sets:
            vocab = tuple(sorted(lm_words | set(units.words)))
            for regime, log_probs in regimes.items():
                greedy = [greedy_text(units, lp) for lp in log_probs]
                for beam in beams:
                    report["cells"].append({"regime": regime, **cell(units, log_probs, texts, greedy, vocab, args,
                                                                     beam, Path(tmp))})  # fmt: skip
    shown = ", ".join(f"{k}={v:g}" for k, v in settings.items())
    table = Table(title=f"CTC + KenLM beam search on {args.data} ({shown})")
    for col in ("units", "regime", "beam", "greedy WER", "decoder", "WER %", "CPU ms/utt", "x flashlight"):
        table.add_column(col, justify="left" if col in ("units", "regime", "decoder") else "right")
    for c in report["cells"]:
        first = True
        for decoder, row in c["decoders"].items():
            if decoder == "greedy":
                continue
            lead = (c["units"], c["regime"], str(c["beam"]), f"{c['decoders']['greedy']['wer']:.2f}") if first else ("",) * 4
            table.add_row(*lead, decoder, f"{row['wer']:.2f}", f"{row['cpu_ms']:.2f}", f"{row['vs_flashlight']:.2f}x")
            first = False
        table.add_section()
    Console(width=120).print(table)
    for ours, peer in LIKE_FOR_LIKE.items():
        worst = max((c["decoders"][ours]["wer"] - c["decoders"][peer]["wer"], c["units"], c["regime"], c["beam"])
                    for c in report["cells"])  # fmt: skip
        print(f"{ours}: largest WER excess over {peer}: {worst[0]:+.2f} points ({worst[1]}, {worst[2]}, "
              f"beam {worst[3]})")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
