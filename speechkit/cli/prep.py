"""`speechkit prep ...`: synthesize mini corpora and prepare corpora into Kaldi data directories."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Build mini corpora and prepare corpora into data directories.")
