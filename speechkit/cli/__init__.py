"""The ``speechkit`` command: one typer app, one sub-module per stage.

User errors (:class:`~speechkit.errors.SpeechkitError`) print one line and exit 1; ``--verbose`` shows the traceback.
``--version`` prints the installed version; typer's ``--install-completion`` adds tab completion to the user's shell.
"""

from __future__ import annotations

import os
import sys

# Before torch loads: its CPU allocator then page-aligns blocks of 2 MB and more (and asks for huge pages), which
# keeps glibc's heap from fragmenting as batches of ever-different sizes come and go. Without it, aligning five
# copies of the mini LJSpeech corpus peaked at 2.8 GB against 1.3 GB (8 % slower); THP_MEM_ALLOC_ENABLE=0 opts out.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.text import Text  # noqa: E402

from speechkit.cli import align, data, decode, lm, prep, score, synth, train  # noqa: E402
from speechkit.errors import SpeechkitError  # noqa: E402

app = typer.Typer(
    name="speechkit",
    help="Speech recipes that install with pip: prepare, align, train, decode, synthesize and score.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(prep.app, name="prep")
app.add_typer(align.app, name="align")
app.add_typer(data.app, name="data")
app.add_typer(score.app, name="score")
app.add_typer(lm.app, name="lm")
app.command("train")(train.train)
app.command("decode")(decode.decode)
app.command("synth")(synth.synth)
_state = {"verbose": False}
err = Console(stderr=True, soft_wrap=True)


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import version

        typer.echo(f"speechkit {version('speechkit')}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tracebacks for errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    _state["verbose"] = verbose


def main() -> None:
    """Console entry point: run the app and turn user errors into one line and exit status 1."""
    try:
        app(prog_name="speechkit")
    except SpeechkitError as e:
        if _state["verbose"]:
            raise
        err.print(Text.assemble(("error: ", "bold red"), str(e)))
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        sys.exit(130)
