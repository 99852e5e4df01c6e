"""`speechkit decode`: run a trained model over a data dir and write hypothesis files."""

from __future__ import annotations

from pathlib import Path

import typer

from speechkit.cli.train import device_of


def decode(
    model: Path = typer.Option(..., "--model", help="Trained model dir (an experiment dir)."),
    data: Path = typer.Option(..., "--data", help="Data dir to decode."),
    out: Path = typer.Option(None, "--out", help="Output dir (default: MODEL/decode_<set>)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
) -> None:
    """Decode DATA with MODEL: SLU models write OUT/text (transcripts) and OUT/utt2intent.

    [bold]Examples[/]

      speechkit decode --model exp/slu --data data/test

      speechkit decode --model exp/slu --data data/valid --out exp/slu/decode_valid_greedy
    """
    from speechkit.decode.slu import decode_slu
    from speechkit.models.builder import load_model_config

    load_model_config(model)  # fails early, with one line, on a missing or foreign model dir
    out = out or model / f"decode_{data.name}"
    stats = decode_slu(model, data, out, str(device_of(device)))
    typer.echo(f"decoded {stats['n_utts']} utterances ({stats['audio_s'] / 60:.1f} min) into {out}, "
               f"RTF {stats['rtf']:.4f}")  # fmt: skip
