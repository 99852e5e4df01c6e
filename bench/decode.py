"""CTC + KenLM beam search: speechkit against pyctcdecode 0.5.0 and torchaudio's flashlight ``ctc_decoder``.

Usage (pyctcdecode pins numpy<2, so the peers get their own environment, built once)::

    bash bench/make_peer_env.sh
    .venv-peers/bin/python bench/decode.py --model egs/fsc/slu1/exp/slu --weak-model egs/fsc/slu1/exp/slu_e3 \\
        --data egs/fsc/slu1/data/test --lm LM.arpa [--beam 16] [--alpha 0.5] [--beta 1.0] [--json out.json]

Two regimes: the peaky emissions of a well-trained model (``--model``) and the flat, noisy ones of a weakly
trained one (``--weak-model``, e.g. the recipe trained for a few epochs). Each model's BPE log-probabilities are
computed once; all three decoders then decode the same arrays with the same settings:

* the same ARPA file, LM weight and word bonus: speechkit and pyctcdecode score ``alpha * ln P_lm + beta`` per
  word; flashlight adds raw log10 KenLM scores, so it gets ``lm_weight = alpha * ln 10``;
* the same vocabulary: the ARPA's unigrams plus the model lexicon's words. speechkit and pyctcdecode use it for
  their partial-word trie and penalize words outside it by ``unk_score_offset``; flashlight's lexicon decoder
  can only output its lexicon's words, so it gets the vocabulary spelled in the model's sentencepiece pieces;
* the same beam width, and pruning of hypotheses more than ``--beam-prune`` below the best (flashlight's
  ``beam_threshold``); speechkit and pyctcdecode skip units below ``--token-min-logp``. flashlight has no such
  option: it runs once scoring every unit (its default) and once with ``beam_size_token`` k, the most units any
  frame keeps above ``--token-min-logp``, so that it never considers fewer units than the others;
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
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from speechkit.data.table import read_table, scan_table
from speechkit.decode.beam_search import CtcBeamSearch, DecoderSpec, SearchOptions
from speechkit.decode.lm_scorer import LmScorer
from speechkit.decode.recognize import run_data_dir
from speechkit.lang.units import LangUnits
from speechkit.score.asr import align_sentence, asr_scores

Decoder = Callable[[np.ndarray], str]


def speechkit_decoder(units: LangUnits, words: tuple[str, ...], args: argparse.Namespace) -> Decoder:
    spec = DecoderSpec(tuple(units.bpe.token_list().symbols), "piece", lm=str(args.lm), words=words)
    opts = SearchOptions(beam=args.beam, beam_prune=args.beam_prune, token_min_logp=args.token_min_logp,
                         alpha=args.alpha, beta=args.beta, unk_score_offset=args.unk_score_offset)  # fmt: skip
    search = CtcBeamSearch(spec, opts)
    return lambda lp: units.bpe_text(list(search(lp)[0].tokens))


def pyctcdecode_decoder(units: LangUnits, words: tuple[str, ...], args: argparse.Namespace) -> Decoder:
    from pyctcdecode import build_ctcdecoder

    labels = ["", *units.bpe.token_list().symbols[1:]]  # pyctcdecode's blank is ""
    dec = build_ctcdecoder(labels, kenlm_model_path=str(args.lm), unigrams=sorted(words), alpha=args.alpha,
                           beta=args.beta, unk_score_offset=args.unk_score_offset)  # fmt: skip
    return lambda lp: " ".join(dec.decode(lp, beam_width=args.beam, beam_prune_logp=-args.beam_prune,
                                          token_min_logp=args.token_min_logp).split())  # fmt: skip


def flashlight_decoder(units: LangUnits, words: tuple[str, ...], args: argparse.Namespace, tmp: Path,
                       top_k: int | None) -> Decoder:  # fmt: skip
    from torchaudio.models.decoder import ctc_decoder

    lexicon = tmp / "lexicon.txt"
    lexicon.write_text("".join(f"{w} {' '.join(units.bpe.pieces(w))}\n" for w in sorted(words)), encoding="utf-8")
    symbols = units.bpe.token_list().symbols
    dec = ctc_decoder(lexicon=str(lexicon), tokens=symbols, lm=str(args.lm), beam_size=args.beam,
                      beam_size_token=top_k, beam_threshold=args.beam_prune, lm_weight=args.alpha * math.log(10),
                      word_score=args.beta, sil_score=0.0, log_add=True, blank_token=symbols[0],
                      sil_token=symbols[1], unk_word="<unk>")  # fmt: skip
    # <unk> (id 1) stands in for the silence token flashlight requires (this model never emits it). At the lexicon
    # root flashlight's CTC "stay" emits that silence token, so a word of one piece whose piece spans consecutive
    # frames cannot stay put: with one piece per word (FSC's BPE) it emits another word there instead.
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


def wer(utts: list[str], refs: dict[str, str], hyps: list[str]) -> float:
    return float(asr_scores([align_sentence(u, refs[u], h) for u, h in zip(utts, hyps)])["wer"])


def regime(model: Path, refs: dict[str, str], args: argparse.Namespace, tmp: Path) -> dict:
    """One model's emissions decoded by every decoder: WER, times and time ratios to speechkit's, per decoder."""
    torch.set_num_threads(2)
    units = LangUnits.load(model / "lang")
    _, outs = run_data_dir(model, args.data, keep_log_probs=True)
    torch.set_num_threads(1)
    n = args.max_utts or len(outs.utts)
    utts, log_probs = outs.utts[:n], outs.log_probs[:n]
    lexicon_words = tuple(dict.fromkeys(line.key for line in scan_table(units.dir / "lexicon.txt")))
    words = tuple(sorted((LmScorer(args.lm).vocabulary or frozenset()) | set(lexicon_words)))
    top_k = max(int((lp >= args.token_min_logp).sum(1).max()) for lp in log_probs)
    makers: dict[str, Callable[[], Decoder]] = {
        "speechkit": lambda: speechkit_decoder(units, lexicon_words, args),
        "pyctcdecode": lambda: pyctcdecode_decoder(units, words, args),
        "flashlight": lambda: flashlight_decoder(units, words, args, tmp, None),
        f"flashlight, top {top_k} units": lambda: flashlight_decoder(units, words, args, tmp, top_k),
    }
    rows: dict = {"greedy": {"wer": wer(utts, refs, [outs.greedy[u] for u in utts])}}
    for name, (hyps, cpu, wall) in run(makers, log_probs, args.repeats).items():
        rows[name] = {"wer": wer(utts, refs, hyps), "cpu_ms": cpu, "wall_ms": wall}
    for row in rows.values():
        if "cpu_ms" in row:
            row["ratio"] = row["cpu_ms"] / rows["speechkit"]["cpu_ms"]
    frames = sum(len(lp) for lp in log_probs) / n
    return {"model": str(model), "n_utts": n, "frames_per_utt": frames, "decoders": rows}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, required=True, help="well-trained SLU model dir (peaky emissions)")
    p.add_argument("--weak-model", type=Path, required=True, help="weakly trained SLU model dir (noisy emissions)")
    p.add_argument("--data", type=Path, required=True, help="data dir with text")
    p.add_argument("--lm", type=Path, required=True, help="word ARPA file")
    p.add_argument("--beam", type=int, default=16)
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--beam-prune", type=float, default=10.0)
    p.add_argument("--token-min-logp", type=float, default=-5.0)
    p.add_argument("--unk-score-offset", type=float, default=-10.0)
    p.add_argument("--max-utts", type=int, default=0, help="decode only the first N utterances (0: all)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()
    try:
        import pyctcdecode  # noqa: F401 - checked before the long work starts
    except ImportError:
        raise SystemExit("pyctcdecode is not installed here: it pins numpy<2, so it has its own environment. "
                         "Run `bash bench/make_peer_env.sh`, then `.venv-peers/bin/python bench/decode.py ...`")

    refs = read_table(args.data / "text")
    settings = {k: getattr(args, k) for k in ("beam", "alpha", "beta", "beam_prune", "token_min_logp",
                                               "unk_score_offset")}  # fmt: skip
    report: dict = {"settings": {**settings, "lm": str(args.lm), "data": str(args.data)}, "regimes": {}}
    shown = ", ".join(f"{k}={v:g}" for k, v in settings.items())
    table = Table(title=f"CTC + KenLM beam search on {args.data} ({shown})")
    for col in ("regime", "decoder", "WER %", "CPU ms/utt", "wall ms/utt", "CPU time / speechkit's"):
        table.add_column(col, justify="left" if col in ("regime", "decoder") else "right")
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in (("peaky", args.model), ("noisy", args.weak_model)):
            report["regimes"][name] = regime(model, refs, args, Path(tmp))
    for name, r in report["regimes"].items():
        for decoder, row in r["decoders"].items():
            times = (f"{row['cpu_ms']:.2f}", f"{row['wall_ms']:.2f}", f"{row['ratio']:.2f}x") if "ratio" in row else ()
            table.add_row(name, decoder, f"{row['wer']:.2f}", *times)
        table.add_section()
    Console().print(table)
    for name, r in report["regimes"].items():
        others = ", ".join(f"{row['ratio']:.2f}x for {decoder}" for decoder, row in r["decoders"].items()
                           if decoder not in ("greedy", "speechkit") and "ratio" in row)  # fmt: skip
        print(f"{name} ({r['frames_per_utt']:.0f} frames/utt): CPU time relative to speechkit's: {others}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
