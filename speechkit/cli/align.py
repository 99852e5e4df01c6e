"""`speechkit align ...`: token durations for TTS from forced alignments.

Thin wrappers: the work is in :mod:`speechkit.align.aligner`, :mod:`speechkit.align.trainer` and
:mod:`speechkit.align.durations`. The aligner itself (``speechkit align --data X --out DIR``) belongs in this group's
callback, with ``invoke_without_command=True``; its ``key=value`` arguments override the aligner config, as
``speechkit train``'s do.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from speechkit.align.durations import TTS_HOP_LENGTH, TTS_SAMPLE_RATE, EdgeSilence, Spn, import_durations
from speechkit.cli.common import CMD_HELP

_OVERRIDE = re.compile(r"^[A-Za-z_][\w.]*=")


class _OverridesGroup(TyperGroup):
    """A group whose callback also takes ``key=value`` config overrides, anywhere among its options."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        # options that take a value; duck-typed, since typer >= 0.25 ships its own copy of click's classes
        takes_value = {o for p in self.params if getattr(p, "is_flag", True) is False for o in p.opts}
        kept: list[str] = []
        overrides: list[str] = []
        i = 0
        while i < len(args):
            if args[i] in self.commands:  # a subcommand: the rest is its own
                kept += args[i:]
                break
            step = 2 if args[i] in takes_value else 1
            if step == 1 and _OVERRIDE.match(args[i]):
                overrides.append(args[i])
            else:
                kept += args[i : i + step]
            i += step
        ctx.meta["overrides"] = overrides
        return super().parse_args(ctx, kept)


app = typer.Typer(
    cls=_OverridesGroup,
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
                     hop_length: HopOpt = TTS_HOP_LENGTH,
                     max_dropped: Annotated[float, typer.Option(
                         "--max-dropped", min=0.0, max=1.0, help="Largest share of utterances that may be dropped "
                         "(no TextGrid, other words, spn...) before the import fails.")] = 0.05) -> None:
    """Write DATA/durations (frames per token), DATA/phones (the tokens) and DATA/frame_range from TextGrids.

    A boundary at t seconds is mel frame round(t * sample_rate / hop), clipped to the utterance's samples // hop.

    An utterance's durations add up to its frames, or to end - first of its frame_range with --edge-silence trim.

    Silence ("", sil, sp, gaps) becomes the token sil; phones keep their ARPAbet stress digits.

    Dropped, naming the utterance in DATA/align_dropped: a missing or malformed TextGrid (MFA skips what it cannot
    align), words that differ from DATA/text (a different split of the same letters, as of acronyms and hyphens, is
    accepted), spn (see --spn), a TextGrid more than one hop longer or shorter than its audio. The dropped
    utterances leave DATA (its originals go to DATA/.backup); more than --max-dropped of them fails the import.

    [bold]Examples[/bold]

    speechkit align import --data data/train --textgrids downloads/LJSpeech-1.1/textgrids

    speechkit align import --data data/train --edge-silence trim --spn token
    """
    summary = import_durations(data, textgrids, sample_rate, hop_length, edge_silence, spn, max_dropped)
    console.print(f"[green]durations[/] -> {escape(str(data))}  ({summary})")


def align(
    ctx: typer.Context,
    data: Annotated[Path | None, typer.Option("--data", help="Data directory to align, e.g. data/train.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder: TextGrids, durations, phones.")] = None,
    model: Annotated[Path | None, typer.Option(help="Trained aligner directory to reuse.")] = None,
    train: Annotated[bool, typer.Option("--train", help="Train an aligner on DATA first, into OUT/model.")] = False,
    phones: Annotated[Path | None, typer.Option(help="Align these phone sequences ('utt p1 p2 ...', silence as "
                                                     "sil) instead of the text's; no words tier then.")] = None,
    lexicon: Annotated[Path | None, typer.Option(help="Kaldi lexicon.txt (default: CMUdict, eSpeak G2P for "
                                                      "the rest).")] = None,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads of torch. More than the idle cores is far "
                                         "slower (on a shared 2-core box, 2 threads took 5x the CPU time of 1).")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed of training.")] = 0,
    device: Annotated[str, typer.Option(help="Torch device of the network (Viterbi runs on the CPU).")] = "cpu",
    nj: Annotated[int, typer.Option(min=1, help="Jobs: DATA's alignment split into NJ parts run side by side, one "
                                    "thread each (after --train, which runs here); logs in OUT/log.")] = 1,
    cmd: Annotated[str, typer.Option("--cmd", envvar="SPEECHKIT_CMD", help=CMD_HELP)] = "local",
    edge_silence: EdgeOpt = EdgeSilence.keep,
    sample_rate: RateOpt = TTS_SAMPLE_RATE,
    hop_length: HopOpt = TTS_HOP_LENGTH,
) -> None:
    """Align DATA with speechkit's own aligner (like mfa train + mfa align): TextGrids and durations in OUT.

    OUT gets one MFA-style <utt>.TextGrid per utterance, and durations, phones and frame_range exactly as
    'speechkit align import --data DATA --textgrids OUT' would write them into DATA (which align leaves alone).

    --train fits a phone HMM / neural frame classifier to DATA from a flat start and saves it in OUT/model
    (model.yaml, model.pt, config.yaml); --model reuses such a directory on any data. KEY=VALUE arguments override
    the config of a new aligner (speechkit/align/config.py: model.* and train.* keys), as for speechkit train.

    [bold]Examples[/bold]

    speechkit align --data data/train --out exp/align --train

    speechkit align --data data/train --out exp/align --train train.rounds=5 model.net.channels=64

    speechkit align --data data/test --out exp/align_test --model exp/align/model

    speechkit align --data data/train --out exp/align --model exp/align/model --nj 8 --cmd "slurm --mem 4G"
    """
    if ctx.invoked_subcommand is not None:
        return
    import time

    import torch

    from speechkit.align.aligner import align_data_dir
    from speechkit.align.config import AlignerConfig
    from speechkit.align.trainer import KIND, train_new_aligner
    from speechkit.cli.common import device_of
    from speechkit.config import load_config
    from speechkit.data.table import read_table
    from speechkit.errors import SpeechkitError
    from speechkit.jobs.backend import Cmd
    from speechkit.jobs.run import run_as_jobs
    from speechkit.lang.lexicon import Lexicon
    from speechkit.models.builder import load_model, load_model_config

    overrides: list[Any] = ctx.meta.get("overrides", [])
    if data is None or out is None:
        raise SpeechkitError(None, "align needs --data and --out (or a subcommand: import)")
    if train == (model is not None):
        raise SpeechkitError(None, "give exactly one of --train (train an aligner on DATA) and --model DIR")
    if overrides and not train:
        raise SpeechkitError(None, f"{overrides[0]}: overrides change a new aligner's config: use them with --train")
    jobs = Cmd.parse(cmd)
    torch.set_num_threads(threads)
    dev = device_of(device)
    lex = Lexicon.read(lexicon) if lexicon is not None else None
    t0 = time.time()
    if train:
        aligner = train_new_aligner(data, out / "model", load_config(AlignerConfig, None, overrides), lex, seed, dev)
        console.print(f"[green]aligner[/] -> {escape(str(out / 'model'))}  (trained in {time.time() - t0:.0f} s)")
    else:
        if load_model_config(model)[0] != KIND:
            raise SpeechkitError(model, "is not an aligner model directory (train one with --train)")
        aligner = load_model(model, dev)[1]
    t1 = time.time()
    if nj > 1 or jobs.backend != "local":
        command = ["align", "--model", str(out / "model" if train else model), "--device", device,
                   "--edge-silence", edge_silence.value, "--sample-rate", str(sample_rate), "--hop-length",
                   str(hop_length), *(["--phones", str(phones)] if phones else []),
                   *(["--lexicon", str(lexicon)] if lexicon else [])]  # fmt: skip
        n_jobs = run_as_jobs("align", data, out, nj, jobs, command)
        n = len(read_table(out / "durations"))
        console.print(f"[green]alignments[/] -> {escape(str(out))}  ({n} utterances in {n_jobs} jobs, logs in "
                      f"{escape(str(out / 'log'))}; {time.time() - t1:.0f} s)")  # fmt: skip
        return
    summary = align_data_dir(aligner, data, out, phone_file=phones, lexicon=lex, device=dev,
                             sample_rate=sample_rate, hop_length=hop_length, edge_silence=edge_silence)
    console.print(f"[green]alignments[/] -> {escape(str(out))}  ({summary}; {time.time() - t1:.0f} s)")


# The callback's own help (with its examples) replaces the group's one-line summary in `speechkit align --help`.
app.callback(invoke_without_command=True, help=inspect.cleandoc(align.__doc__ or ""))(align)
