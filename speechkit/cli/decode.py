"""`speechkit decode`: run a trained model over a data dir or audio files and write what it heard."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from speechkit.cli.common import CMD_HELP, device_of
from speechkit.decode.formats import FILE_NAMES, FORMATS
from speechkit.errors import SpeechkitError

console = Console(stderr=True, highlight=False, soft_wrap=True)


def _floats(text: str, option: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SpeechkitError(None, f"{option} takes comma-separated numbers, got {text!r}") from None
    if not values:
        raise SpeechkitError(None, f"{option} is empty")
    return values


def decode(
    model: Path = typer.Option(..., "--model", help="Trained model dir (an experiment dir)."),
    data: Path = typer.Option(None, "--data", help="Data dir to decode (wav.scp is enough; text is not needed)."),
    audio: Path = typer.Option(None, "--audio", help="Instead of --data: one audio file (wav, flac, mp3, ogg, opus) "
                               "or a folder, every audio file under it."),
    fmt: str = typer.Option("text", "--format", help="text, jsonl or ctm (the last two with word times). With --data, "
                            "jsonl and ctm go to OUT/hyp.jsonl or OUT/ctm beside the Kaldi tables."),
    out: Path = typer.Option(None, "--out", help="Output dir (default: MODEL/decode_<set>, with _lm or _tune); with "
                             "--audio a file (default: standard output)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    lm: Path = typer.Option(None, "--lm", help="KenLM model (ARPA or binary): beam search with shallow fusion."),
    alpha: float = typer.Option(0.5, "--alpha", help="LM weight, 0..10 (on natural-log LM scores)."),
    beta: float = typer.Option(1.0, "--beta", help="Word insertion bonus, -20..20."),
    alpha_beta_from: Path = typer.Option(None, "--alpha-beta-from", help="Take alpha and beta from a tune.json."),
    beam: int = typer.Option(None, "--beam", min=1, help="Beam width (default 16 for CTC with an LM; 4 for "
                             "translation, where 1 is greedy)."),
    beam_prune: float = typer.Option(10.0, "--beam-prune", help="Drop hypotheses this far below the best."),
    token_min_logp: float = typer.Option(-5.0, "--token-min-logp", help="Skip units below this log-prob."),
    unk_score_offset: float = typer.Option(-10.0, "--unk-score-offset", help="Penalty per out-of-vocabulary word "
                                           "(times length / 6 beyond 6 characters)."),
    merge_states: bool = typer.Option(True, "--merge-states/--no-merge-states", help="Keep only the best of "
                                      "hypotheses with the same LM history, unfinished word and last unit."),
    nbest: int = typer.Option(1, "--nbest", help="Hypotheses per utterance (more than 1 writes OUT/nbest)."),
    nj: int = typer.Option(1, "--nj", help="Jobs: DATA is split into NJ parts decoded side by side (logs in "
                           "OUT/log); with --tune or --audio, beam search processes. No more than the utterances."),
    cmd: str = typer.Option("local", "--cmd", envvar="SPEECHKIT_CMD", help=CMD_HELP),
    tune: bool = typer.Option(False, "--tune", help="Grid-search alpha and beta on DATA (a validation set)."),
    alphas: str = typer.Option("0,0.25,0.5,0.75,1,1.5,2", "--alphas", help="Alpha grid for --tune."),
    betas: str = typer.Option("-1,0,1,2,3", "--betas", help="Beta grid for --tune."),
    asr_model: Path = typer.Option(None, "--asr-model", help="With an mt MODEL: the ASR model that transcribes "
                                   "DATA's speech first (the cascade); without it MT reads --source-text."),
    source_text: str = typer.Option("text", "--source-text", help="With an mt MODEL and no --asr-model: the table "
                                    "of DATA to translate."),
    tts_model: Path = typer.Option(None, "--tts-model", help="With an mt MODEL: speak the translations with this "
                                   "FastSpeech 2 model."),
    vocoder: str = typer.Option("griffinlim", "--vocoder", help="Translation models: griffinlim or a vocoder dir."),
    gl_iters: int = typer.Option(32, "--gl-iters", min=1, help="Griffin-Lim iterations."),
) -> None:
    """Decode DATA with MODEL: SLU models write OUT/text (transcripts) and OUT/utt2intent; ASR models OUT/text;
    with --audio they print, per file, the key, the intent (SLU) and the transcript, or --format jsonl / ctm.
    Audio at another sample rate than the model's is resampled (with a note). Speech-to-speech translation (s2st) models OUT/<utt>.wav, wav.scp and the intermediate OUT/text; text
    translation (mt) models OUT/text, with --asr-model and --tts-model the whole cascade ASR -> MT -> TTS.

    Without --lm transcripts are greedy CTC. With --lm a CTC prefix beam search adds
    alpha * ln P_lm(words) + beta * #words; --tune picks alpha and beta on a validation set (the model runs
    once) and writes OUT/tune.json, which --alpha-beta-from reads for the test set.

    [bold]Examples[/]

      speechkit decode --model exp/slu --audio recordings/ --format jsonl --out hyps.jsonl

      speechkit decode --model exp/asr --audio talk.flac --format ctm

      speechkit decode --model exp/s2st --data data/test

      speechkit decode --model exp/mt --data data/test --asr-model exp/asr_es --tts-model exp/tts --out exp/cascade

      speechkit decode --model exp/slu --data data/test

      speechkit decode --model exp/slu --data data/valid --lm data/lm/3gram.arpa --tune --nj 2

      speechkit decode --model exp/slu --data data/test --lm data/lm/3gram.arpa \\
        --alpha-beta-from exp/slu/decode_valid_tune/tune.json --beam 16 --nj 2
    """
    from speechkit.models.builder import load_model_config

    if (data is None) == (audio is None):
        raise SpeechkitError(None, "give exactly one of --data and --audio")
    if fmt not in FORMATS:
        raise SpeechkitError(None, f"--format takes {', '.join(FORMATS)}, not {fmt!r}")
    if nj < 1:
        raise SpeechkitError(None, f"--nj is the number of jobs: at least 1, got {nj}")
    from speechkit.jobs.backend import Cmd

    jobs = Cmd.parse(cmd)
    if jobs.backend != "local" and (data is None or tune):
        raise SpeechkitError(None, f"--cmd {cmd}: only decoding a data dir runs as jobs (--tune and --audio run "
                                   "here, on --nj processes)")  # fmt: skip
    kind, _ = load_model_config(model)  # fails early, with one line, on a missing or foreign model dir
    if kind in ("s2st", "mt") and (audio is not None or fmt != "text"):
        raise SpeechkitError(model, f"is a {kind} model: it decodes a data dir (--data) into its own outputs; "
                             "--audio and --format are for ASR and SLU models")  # fmt: skip
    if audio is not None and tune:
        raise SpeechkitError(None, "--tune needs a validation data dir with transcripts (--data), not --audio")
    if kind in ("s2st", "mt"):
        _translate(kind, model, data, out or model / f"decode_{data.name}", str(device_of(device)), beam or 4,
                   asr_model, source_text, tts_model, vocoder, gl_iters)  # fmt: skip
        return
    from speechkit.decode.beam_search import SearchOptions

    beam = beam or 16
    if lm is None and (tune or alpha_beta_from is not None):
        raise SpeechkitError(None, "--tune and --alpha-beta-from need --lm")
    if tune and alpha_beta_from is not None:
        raise SpeechkitError(None, "--tune searches alpha and beta; do not also give --alpha-beta-from")
    if alpha_beta_from is not None:
        from speechkit.decode.recognize import read_tuned

        alpha, beta = read_tuned(alpha_beta_from)
    # settings fail before the model and torch load
    options = (SearchOptions(beam, beam_prune, token_min_logp, alpha, beta, unk_score_offset, nbest, merge_states)
               if lm else None)

    from speechkit.decode.recognize import decode_audio, decode_data_dir, lm_search, tune_data_dir

    # the LM loads here and must know some of the model's words
    search = None if options is None else lm_search(model, lm, options)
    dev = str(device_of(device))
    how = "greedy" if search is None else f"beam {beam}, LM alpha={alpha:g} beta={beta:g}"
    if audio is not None:
        if out is not None and out.is_dir():
            raise SpeechkitError(out, "is a directory; with --audio, --out names the file to write")
        text, stats = decode_audio(model, audio, dev, search, nj, fmt)
        if out is None:
            sys.stdout.write(text)
        else:
            from speechkit.utils.atomic import write_text_atomic

            write_text_atomic(out, text)
        _notes(stats, audio, nj, search)
        where = "" if out is None else f" into {escape(str(out))}"
        console.print(f"decoded {stats['n_utts']} files ({stats['audio_s'] / 60:.1f} min, {how}){where}, "
                      f"RTF {stats['rtf']:.4f}")  # fmt: skip
        return
    suffix = "" if lm is None else "_tune" if tune else "_lm"
    out = out or model / f"decode_{data.name}{suffix}"
    if not tune and (nj > 1 or jobs.backend != "local"):
        _decode_as_jobs(data, out, nj, jobs, how)
        return
    if tune:
        grid_a, grid_b = _floats(alphas, "--alphas"), _floats(betas, "--betas")
        _print_grid(tune_data_dir(model, data, out, search, grid_a, grid_b, dev, nj), data, grid_a, grid_b, out)
        return
    stats = decode_data_dir(model, data, out, dev, search, nj, fmt)
    _notes(stats, data, nj, search)
    also = "" if fmt == "text" else f" and {FILE_NAMES[fmt]}"
    typer.echo(f"decoded {stats['n_utts']} utterances ({stats['audio_s'] / 60:.1f} min, {how}) into {out}{also}, "
               f"RTF {stats['rtf']:.4f}")  # fmt: skip


def _decode_as_jobs(data: Path, out: Path, nj: int, jobs: object, how: str) -> None:
    """DATA split into up to NJ parts, each decoded by this same command as a job, the outputs merged into OUT."""
    import time

    from speechkit.data.batching import read_durations
    from speechkit.jobs.run import run_as_jobs

    seconds = read_durations(data)
    t0 = time.perf_counter()
    n_jobs = run_as_jobs("decode", data, out, nj, jobs)
    wall = time.perf_counter() - t0
    if nj > n_jobs:
        console.print(f"note: --nj {nj} is more than the {n_jobs} utterances: {n_jobs} jobs")
    typer.echo(f"decoded {len(seconds)} utterances ({sum(seconds.values()) / 60:.1f} min, {how}) into {out} with "
               f"{n_jobs} jobs (logs in {out / 'log'}), RTF {wall / max(sum(seconds.values()), 1e-9):.4f} wall clock")


def _notes(stats: dict, source: Path, nj: int, search: object) -> None:
    """Say once what the user may not expect: audio resampled to the model's rate, nothing to score, fewer
    processes than --nj asked for."""
    if search is not None and nj > stats["n_utts"]:
        console.print(f"note: --nj {nj} is more than the {stats['n_utts']} utterances: {stats['n_utts']} processes")
    for rate, n in sorted(stats["resampled"].items()):
        console.print(f"note: {n} file(s) at {rate} Hz resampled to the model's rate")
    if not stats["labelled"] and source.is_dir() and (source / "wav.scp").is_file():
        console.print(f"note: {escape(str(source))} has no text: transcripts written, nothing to score")


def _translate(kind: str, model: Path, data: Path, out: Path, device: str, beam: int, asr_model: Path | None,
               source_text: str, tts_model: Path | None, vocoder: str, gl_iters: int) -> None:  # fmt: skip
    """Speech-to-speech (s2st) or text (mt, optionally the cascade) translation of DATA into OUT."""
    if kind == "s2st":
        from speechkit.decode.s2st import translate_data_dir

        info = translate_data_dir(model, data, out, vocoder, device, gl_iters, beam)
    else:
        from speechkit.decode.cascade import cascade_data_dir

        info = cascade_data_dir(model, data, out, asr_model, source_text, tts_model, vocoder, device, beam, gl_iters)
    speed = f", RTF {info['rtf']:.4f}" if info["rtf"] is not None else ""
    empty = f"; {info['empty']} empty" if info["empty"] else ""
    typer.echo(f"translated {info['utterances']} utterances (beam {beam}) into {out}{speed}{empty}")


def _print_grid(report: dict, data: Path, grid_a: list[float], grid_b: list[float], out: Path) -> None:
    """The tuning grid's WERs as a table, the best in bold."""
    table = Table(title=f"WER (%) on {data}, greedy {report['greedy_wer']:.2f}")
    table.add_column("alpha \\ beta")
    for b in grid_b:
        table.add_column(f"{b:g}", justify="right")
    wer = {(p["alpha"], p["beta"]): p["wer"] for p in report["grid"]}
    best = report["best"]
    for a in grid_a:
        cells = [f"[bold]{wer[a, b]:.2f}[/]" if (a, b) == (best["alpha"], best["beta"]) else f"{wer[a, b]:.2f}"
                 for b in grid_b]  # fmt: skip
        table.add_row(f"{a:g}", *cells)
    Console().print(table)
    typer.echo(f"best alpha={best['alpha']:g} beta={best['beta']:g} (WER {best['wer']:.2f}%), "
               f"written to {out / 'tune.json'}")  # fmt: skip
