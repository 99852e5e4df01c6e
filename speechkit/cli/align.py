"""`speechkit align ...`: token durations for TTS from forced alignments.

Thin wrappers: the work is in :mod:`speechkit.align.durations`. The aligner itself (``speechkit align --data X
--out DIR``) belongs in this group's callback, with ``invoke_without_command=True``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from speechkit.align.durations import TTS_HOP_LENGTH, TTS_SAMPLE_RATE, EdgeSilence, Spn, import_durations

app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="Forced alignment: turn phone alignments (MFA TextGrids) into frames per token for TTS.",
)
console = Console(stderr=True, highlight=False, soft_wrap=True)


DataOpt = Annotated[Path, typer.Option("--data", help="Data directory, e.g. data/train.")]
TextGridsOpt = Annotated[
    Path | None,
    typer.Option(help="Folder of MFA TextGrids named <utt>.TextGrid or <audio name>.TextGrid "
                      "(default: the files DATA/textgrid.scp lists)."),
]
EdgeOpt = Annotated[
    EdgeSilence,
    typer.Option(help="keep: leading/trailing silence stay sil tokens; trim: dropped, DATA/frame_range says which "
                      "mel frames remain."),
]
SpnOpt = Annotated[Spn, typer.Option(help="error: refuse words aligned as spn; token: keep spn as a token.")]
RateOpt = Annotated[int, typer.Option(min=1, help="Sample rate of the mel whose frames are counted.")]
HopOpt = Annotated[int, typer.Option(min=1, help="Hop of that mel, in samples.")]


@app.command("import")
def import_textgrids(data: DataOpt, textgrids: TextGridsOpt = None, edge_silence: EdgeOpt = EdgeSilence.keep,
                     spn: SpnOpt = Spn.error, sample_rate: RateOpt = TTS_SAMPLE_RATE,
                     hop_length: HopOpt = TTS_HOP_LENGTH) -> None:
    """Write DATA/durations (frames per token), DATA/phones (the tokens) and DATA/frame_range from TextGrids.

    A boundary at t seconds is mel frame round(t * sample_rate / hop), clipped to the utterance's samples // hop.

    An utterance's durations add up to its frames, or to end - first of its frame_range with --edge-silence trim.

    Silence ("", sil, sp, gaps) becomes the token sil; phones keep their ARPAbet stress digits.

    Refused, naming the utterance: a missing or malformed TextGrid, words that differ from DATA/text, spn (see --spn).

    Refused too: a TextGrid more than one hop longer or shorter than its audio.

    [bold]Examples[/bold]

    speechkit align import --data data/train --textgrids downloads/LJSpeech-1.1/textgrids

    speechkit align import --data data/train --edge-silence trim --spn token
    """
    summary = import_durations(data, textgrids, sample_rate, hop_length, edge_silence, spn)
    console.print(f"[green]durations[/] -> {escape(str(data))}  ({summary})")
