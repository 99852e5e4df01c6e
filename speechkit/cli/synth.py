"""`speechkit synth`: speech from text or from a data dir with a trained FastSpeech 2 model and a vocoder."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from speechkit.cli.common import CMD_HELP
from speechkit.errors import SpeechkitError

console = Console(stderr=True, highlight=False, soft_wrap=True)


def synth(
    model: Path = typer.Option(..., "--model", help="FastSpeech 2 model dir (exp/tts)."),
    vocoder: str = typer.Option("griffinlim", "--vocoder", help="griffinlim, or a vocoder model dir (exp/hifigan)."),
    text: str = typer.Option(None, "--text", help="Text to say; --out is then the wave file."),
    text_file: Path = typer.Option(None, "--text-file", help="Text file, one utterance a line (`TEXT` or "
                                   "`ID<TAB>TEXT`); --out is then a directory."),
    data: Path = typer.Option(None, "--data", help="Data dir to synthesize; --out is then a directory."),
    out: Path = typer.Option(None, "--out", help="Wave file (--text) or dir (--text-file, --data; default "
                             "MODEL/synth_<name>)."),
    source: str = typer.Option("auto", help="With --data: phones (DATA/phones), text (front end), or auto."),
    speed: float = typer.Option(1.0, min=0.1, max=10.0, help="Speaking rate: 2 is twice as fast."),
    pitch_scale: float = typer.Option(1.0, min=0.1, max=10.0, help="F0 multiplier."),
    energy_scale: float = typer.Option(1.0, min=0.1, max=10.0, help="Energy multiplier."),
    batch_size: int = typer.Option(8, min=1, help="Utterances per batch (similar lengths together)."),
    gl_iters: int = typer.Option(16, min=1, help="Griffin-Lim iterations (quality against speed)."),
    threads: int = typer.Option(1, "--threads", min=1,
                                help="CPU threads of torch (Griffin-Lim's small FFTs gain little from more)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    nj: int = typer.Option(1, "--nj", min=1, help="Jobs (with --data): DATA split into NJ parts synthesized side "
                           "by side, one thread each (logs in OUT/log)."),
    cmd: str = typer.Option("local", "--cmd", envvar="SPEECHKIT_CMD", help=CMD_HELP),
) -> None:
    """Synthesize speech; prints the real-time factor (acoustic model + vocoder time per second of audio).

    With --data or --text-file, writes OUT/<utt>.wav, OUT/wav.scp, OUT/phones, OUT/durations (predicted frames per
    token, for duration scoring) and OUT/synth.json. A --text-file line without an id is named utt<line number>
    (utt000001...).

    [bold]Examples[/]

      speechkit synth --model exp/tts --text "Printing, in the only sense with which we are concerned." --out x.wav

      speechkit synth --model exp/tts --text-file prompts.txt --out exp/tts/synth_prompts

      speechkit synth --model exp/tts --data data/test --out exp/tts/synth_test --vocoder exp/hifigan
    """
    import torch

    from speechkit.cli.common import device_of
    from speechkit.jobs.backend import Cmd
    from speechkit.models.variance import Controls
    from speechkit.tts.synth import (Synthesizer, read_text_lines, synthesize_data_dir, synthesize_text,
                                     synthesize_text_file)  # fmt: skip

    if sum(x is not None for x in (text, text_file, data)) != 1:
        raise SpeechkitError(None, "give exactly one of --text, --text-file and --data")
    if text is not None and out is None:
        raise SpeechkitError(None, "--text needs --out FILE.wav")
    if text_file is not None:
        read_text_lines(text_file)  # a bad file fails before the model loads
    jobs = Cmd.parse(cmd)
    if data is not None and (nj > 1 or jobs.backend != "local"):
        from speechkit.models.builder import load_model_config

        load_model_config(model)  # a wrong model dir is one line here, not a failure in every job
        _synth_as_jobs(data, out or model / f"synth_{data.name}", nj, jobs)
        return
    controls = Controls(speed, pitch_scale, energy_scale)
    torch.set_num_threads(threads)
    syn = Synthesizer(model, vocoder, device_of(device), gl_iters)
    if text is not None:
        result = synthesize_text(syn, text, out, controls)
        detail = f"{result.seconds:.2f} s, {result.tokens} tokens, {result.sentences} sentence(s)"
    elif text_file is not None:
        out = out or model / f"synth_{text_file.stem}"
        n = synthesize_text_file(syn, text_file, out, controls, batch_size)
        detail = f"{n} utterances from {text_file.name}, {syn.timing.audio:.1f} s"
    else:
        out = out or model / f"synth_{data.name}"
        used = synthesize_data_dir(syn, data, out, source, controls, batch_size)
        detail = f"{len(list(out.glob('*.wav')))} utterances from {used}, {syn.timing.audio:.1f} s"
    t = syn.timing
    console.print(f"[green]synth[/] -> {escape(str(out))}  ({detail}; RTF {t.rtf:.3f}: acoustic "
                  f"{t.acoustic:.2f} s + vocoder {t.vocoder:.2f} s)")  # fmt: skip


def _synth_as_jobs(data: Path, out: Path, nj: int, jobs: object) -> None:
    """DATA split into up to NJ parts, each synthesized by this same command as a job, merged into OUT (replaced
    atomically); ``wav.scp`` names the waves where they end up."""
    import json
    from functools import partial

    from speechkit.jobs.run import run_as_jobs
    from speechkit.jobs.split import relocated_table
    from speechkit.tts.synth import merge_synth_info
    from speechkit.utils.atomic import atomic_dir

    with atomic_dir(out) as tmp:
        combine = {"wav.scp": partial(relocated_table, out), "synth.json": merge_synth_info}
        n_jobs = run_as_jobs("synth", data, tmp, nj, jobs, combine=combine)
    info = json.loads((out / "synth.json").read_text())
    console.print(f"[green]synth[/] -> {escape(str(out))}  ({info['utterances']} utterances from {info['source']} in "
                  f"{n_jobs} jobs, logs in {escape(str(out / 'log'))}, {info['audio_s']:.1f} s; RTF {info['rtf']:.3f}: "
                  f"acoustic {info['acoustic_s']:.2f} s + vocoder {info['vocoder_s']:.2f} s)")  # fmt: skip
