"""`speechkit data ...`: check and repair Kaldi data directories.

Thin wrappers: the checks are in :mod:`speechkit.data.validate`, the repairs in :mod:`speechkit.data.fix`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from speechkit.data.fix import fix_data_dir
from speechkit.data.validate import ValidationReport, validate_data_dir

app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="Check Kaldi data directories (wav.scp, text, utt2spk, spk2utt, task files) and repair them.",
)
# Problems must stay one line each, whatever the terminal width, so that they can be grepped.
out = Console(highlight=False, soft_wrap=True)

DirArg = Annotated[Path, typer.Argument(metavar="DIR", help="Data directory, e.g. data/train.", show_default=False)]
RateOpt = Annotated[
    int | None,
    typer.Option("--sample-rate", help="Rate every file of wav.scp must have (default: the rate most files share)."),
]
NoAudioOpt = Annotated[bool, typer.Option("--no-audio", help="Do not open audio files (fast: tables only).")]


def _summary(data_dir: Path, report: ValidationReport) -> str:
    """One line of rich markup: utterances, speakers, hours and sample rate."""
    hours = "duration not measured" if report.seconds is None else f"{report.seconds / 3600:.2f} h"
    rate = "rate not checked" if report.sample_rate is None else f"{report.sample_rate} Hz"
    return (
        f"[bold]{escape(str(data_dir))}[/]: {report.n_utts} utterances, {report.n_speakers} speakers, {hours}, {rate}"
    )


@app.command()
def validate(data_dir: DirArg, sample_rate: RateOpt = None, no_audio: NoAudioOpt = False) -> None:
    """Check DIR like Kaldi's validate_data_dir.sh, plus utt2intent, durations, text.<lang> and wav.scp.<lang>.

    Keys unique and sorted bytewise (LC_ALL=C); utt2spk and spk2utt agree; speaker ids prefix utterance ids.

    Text printable UTF-8 and not empty; audio exists, decodes, is mono and has one sample rate.

    Each problem is printed on one line as FILE: key KEY: problem; the exit status is 1 if there is any.

    [bold]Examples[/bold]

    speechkit data validate data/train

    speechkit data validate data/train --sample-rate 16000

    speechkit data validate data/train --no-audio
    """
    report = validate_data_dir(data_dir, sample_rate=sample_rate, check_audio=not no_audio)
    for problem in report.problems:
        out.print(str(problem), markup=False)
    if report.problems:
        out.print(
            f"[red]{len(report.problems)} problems[/] in {escape(str(data_dir))}; "
            f"`speechkit data fix {escape(str(data_dir))}` repairs what can be repaired"
        )
        raise typer.Exit(1)
    out.print(f"[green]OK[/] {_summary(data_dir, report)}")


@app.command()
def fix(data_dir: DirArg, sample_rate: RateOpt = None, no_audio: NoAudioOpt = False) -> None:
    """Repair DIR in place: sort, keep the first of repeated keys, rebuild spk2utt, drop utterances that cannot be kept.

    Dropped: utterances missing from a file, with empty or non-UTF-8 text, or with a malformed task entry.

    Dropped too: audio missing, unreadable, not mono, or at a rate other than --sample-rate (else the usual one).

    Kept and reported: speaker ids that do not prefix their utterance ids (only you can choose new ids).

    The originals go to DIR/.backup/. The exit status is 1 if problems remain.

    [bold]Examples[/bold]

    speechkit data fix data/train

    speechkit data fix data/train --sample-rate 16000 && speechkit data validate data/train
    """
    report = fix_data_dir(data_dir, sample_rate=sample_rate, check_audio=not no_audio)
    if report.repaired:
        kinds = sorted({p.kind.value for p in report.repaired})
        out.print(f"repaired {len(report.repaired)} problems without dropping data: {', '.join(kinds)}")
    for kind, keys in report.dropped.items():
        out.print(f"dropped {len(keys)} ({kind.value}): {' '.join(keys)}", markup=False)
    for problem in report.kept:
        out.print(f"kept, fix cannot repair: {problem}", markup=False)
    if report.backup is not None:
        out.print(f"originals backed up in {escape(str(report.backup))}")
    elif not report.kept:
        out.print("nothing to repair")
    status = "[yellow]problems remain in[/]" if report.kept else "[green]OK[/]"
    out.print(f"{status} {escape(str(data_dir))}: {report.n_utts} utterances")
    if report.kept:
        raise typer.Exit(1)


@app.command()
def combine(
    out_dir: Annotated[Path, typer.Argument(metavar="OUT", help="Data directory to write.", show_default=False)],
    inputs: Annotated[list[Path], typer.Argument(metavar="DIR...", help="Data directories to combine.",
                                                 show_default=False)],  # fmt: skip
) -> None:
    """Write the union of DIR... to OUT, like Kaldi's utils/combine_data.sh.

    Task files (utt2intent, text.en, durations...) are kept only when every DIR has them; a repeated utterance id
    is an error.

    [bold]Examples[/bold]

    speechkit data combine data/train_all data/train data_judge/train
    """
    from speechkit.data.combine import combine_data_dirs

    combined = combine_data_dirs(out_dir, inputs)
    out.print(f"[bold]{escape(str(out_dir))}[/]: {combined.n_utts} utterances from {len(inputs)} directories")
    if combined.dropped_files:
        out.print(f"not kept (some inputs lack them): {' '.join(combined.dropped_files)}", markup=False)
