"""`speechkit lm ...`: train an n-gram LM, measure perplexity, convert to KenLM's binary format.

Thin wrappers: the work is in :mod:`speechkit.lm.kneser_ney`, :mod:`speechkit.lm.kenlm_tools` and
:mod:`speechkit.lm.perplexity`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from speechkit.errors import SpeechkitError
from speechkit.lm.arpa import validate_arpa
from speechkit.lm.kenlm_tools import build_binary as convert
from speechkit.lm.kenlm_tools import find_tool, require_tool, run_lmplz
from speechkit.lm.kneser_ney import require_words, train_arpa
from speechkit.lm.perplexity import perplexity

app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="N-gram language models: train (modified Kneser-Ney), a frequent-word unigram, perplexity, KenLM "
    "binary conversion.",
)
console = Console(stderr=True, soft_wrap=True)

BuildBinaryOpt = Annotated[
    Path | None, typer.Option("--build-binary", help="KenLM's build_binary program (default: build_binary on PATH).")
]


@app.command()
def train(
    text: Annotated[list[Path], typer.Option("--text", help="Text, one normalized sentence per line (repeatable).")],
    out: Annotated[Path, typer.Option("--out", help="ARPA file to write.")],
    order: Annotated[int, typer.Option("--order", help="N-gram order: 2 to 6, what KenLM (which "
                                       "decoding and `lm ppl` use) can load.")] = 3,
    lmplz: Annotated[Path | None, typer.Option("--lmplz", help="KenLM's lmplz (default: lmplz on PATH).")] = None,
    builtin: Annotated[
        bool, typer.Option("--builtin", help="Use the built-in estimator even if lmplz is found.")
    ] = False,
    binary: Annotated[Path | None, typer.Option("--binary", help="Also write this KenLM binary model.")] = None,
    build_binary: BuildBinaryOpt = None,
) -> None:
    """Estimate an interpolated modified Kneser-Ney LM (lmplz's model) and write it as ARPA.

    Uses KenLM's lmplz when it is on PATH or given with --lmplz, else the built-in estimator (same model).

    Tokens are split at whitespace and taken as given: normalize the text first.

    Where tiny text leaves an order's discounts undefined, that order falls back to D1=0.5 D2=1 D3+=1.5 (a warning).

    [bold]Examples[/bold]

    speechkit lm train --text data/train/lm_text --order 3 --out data/lm/3gram.arpa

    speechkit lm train --text a.txt --text b.txt --order 4 --out lm.arpa --binary lm.bin
    """
    if not 2 <= order <= 6:
        raise SpeechkitError(None, f"--order must be 2 to 6, the orders KenLM loads for decoding, got {order}")
    if builtin and lmplz is not None:
        raise SpeechkitError(None, "give --builtin or --lmplz, not both")
    require_words(text)
    converter = require_tool("build_binary", build_binary) if binary is not None else None
    tool = None if builtin else find_tool("lmplz", lmplz)
    t0 = time.time()
    if tool is not None:
        warnings = run_lmplz(tool, text, order, out)
        how = f"lmplz ({tool})"
    else:
        warnings = train_arpa(text, order, out).fallbacks
        how = "built-in estimator"
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"[green]{order}-gram LM[/] -> {out}  ({how}; {time.time() - t0:.1f} s)")
    if converter is not None and binary is not None:
        convert(converter, out, binary)
        console.print(f"[green]binary LM[/] -> {binary}")


@app.command()
def words(
    out: Annotated[Path, typer.Option("--out", help="ARPA file to write.")],
    top: Annotated[int, typer.Option("--top", min=1, help="How many of the most frequent words.")] = 50_000,
    lang: Annotated[str, typer.Option("--lang", help="Language code, as wordfreq names it.")] = "en",
) -> None:
    """Write a unigram ARPA of a language's most frequent words with their frequencies (wordfreq).

    A general vocabulary for decoding sentences no training text covers, e.g. the TTS recipe's ASR judge.

    [bold]Examples[/bold]

    speechkit lm words --top 50000 --out exp/lm/en_unigram.arpa
    """
    from speechkit.lm.unigram import write_unigram

    t0 = time.time()
    n = write_unigram(out, top, lang)
    console.print(f"[green]unigram LM[/] of {n} {lang} words -> {out}  ({time.time() - t0:.1f} s)")


@app.command()
def ppl(
    lm: Annotated[Path, typer.Option("--lm", help="ARPA or KenLM binary model.")],
    text: Annotated[Path, typer.Option("--text", help="Text, one normalized sentence per line.")],
) -> None:
    """Perplexity of a text, scored by KenLM like its query program; also the OOV count and rate.

    Prints perplexity with </s> counted as a token (as query does) and without, and excluding OOV words.

    [bold]Examples[/bold]

    speechkit lm ppl --lm data/lm/3gram.arpa --text data/test/lm_text
    """
    r = perplexity(lm, text)
    print(f"sentences\t{r.sentences}")
    print(f"words\t{r.words}")
    print(f"oovs\t{r.oovs}\t({100 * r.oov_rate:.2f}%)")
    print(f"logprob\t{r.logprob:.4f}")
    print(f"ppl\t{r.ppl:.4f}")
    print(f"ppl_no_eos\t{r.ppl_no_eos:.4f}")
    print(f"ppl_no_oov\t{r.ppl_no_oov:.4f}")


@app.command()
def binary(
    arpa: Annotated[Path, typer.Option("--arpa", help="ARPA model to convert.")],
    out: Annotated[Path, typer.Option("--out", help="KenLM binary model to write.")],
    kind: Annotated[str, typer.Option("--type", help="probing (fastest) or trie (smallest).")] = "probing",
    build_binary: BuildBinaryOpt = None,
) -> None:
    """Convert an ARPA model to KenLM's binary format, which loads much faster (needs KenLM's build_binary).

    [bold]Examples[/bold]

    speechkit lm binary --arpa data/lm/3gram.arpa --out data/lm/3gram.bin

    speechkit lm binary --arpa lm.arpa --out lm.trie --type trie --build-binary tools/kenlm/bin/build_binary
    """
    if kind not in ("probing", "trie"):
        raise SpeechkitError(None, f"--type must be probing or trie, got {kind!r}")
    tool = require_tool("build_binary", build_binary)
    validate_arpa(arpa)
    convert(tool, arpa, out, kind)
    console.print(f"[green]binary LM[/] -> {out}")
