"""`speechkit prep ...`: synthesize mini corpora and prepare corpora into Kaldi data directories."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from speechkit.cli.common import CMD_HELP

app = typer.Typer(no_args_is_help=True, help="Build mini corpora and prepare corpora into data directories.")
console = Console(stderr=True, soft_wrap=True)

OUT = typer.Option(..., "--out", help="Output directory.")
ROOT = typer.Option(..., "--corpus-root", help="Corpus root in the real layout.")
SEED = typer.Option(0, "--seed", help="Random seed: the same seed gives the same corpus.")
NJ = typer.Option(2, "--nj", min=1, help="Jobs: worker processes here (--cmd local), or Slurm jobs.")
CMD = typer.Option("local", "--cmd", envvar="SPEECHKIT_CMD", help=CMD_HELP)


def _report(what: str, counts: dict[str, int] | tuple[int, float], out: Path, t0: float) -> None:
    detail = (
        ", ".join(f"{k}: {v}" for k, v in counts.items())
        if isinstance(counts, dict)
        else f"{counts[0]} utterances, {counts[1]:.2f} h"
    )
    console.print(f"[green]{what}[/] -> {out}  ({detail}; {time.time() - t0:.1f} s)")


@app.command("mini-fsc")
def mini_fsc(
    out: Path = OUT,
    seed: int = SEED,
    nj: int = NJ,
    cmd: str = CMD,
    train_speakers: int = typer.Option(50, min=1, help="Speakers in train_data.csv."),
    valid_speakers: int = typer.Option(10, min=1, help="Speakers in valid_data.csv."),
    test_speakers: int = typer.Option(10, min=1, help="Speakers in test_data.csv."),
    phrasings_per_speaker: int = typer.Option(76, min=0, help="Phrasings each speaker says (0: all of them)."),
    phrasings: Path = typer.Option(None, help="Own 'action|object|location|phrasing' list instead of the bundled one."),
) -> None:
    """Synthesize the mini Fluent Speech Commands corpus (31 intents, eSpeak speakers) in the FSC layout.

    [bold]Examples[/]

      speechkit prep mini-fsc --out downloads/mini_fsc

      speechkit prep mini-fsc --out /tmp/fsc --train-speakers 4 --valid-speakers 2 --test-speakers 2 --phrasings-per-speaker 20
    """
    from speechkit.jobs.backend import Cmd
    from speechkit.mini.fsc import build_mini_fsc

    t0 = time.time()
    speakers = (train_speakers, valid_speakers, test_speakers)
    counts = build_mini_fsc(out, seed, nj, speakers, phrasings_per_speaker or None, phrasings, Cmd.parse(cmd))
    _report("mini FSC", counts, out, t0)


@app.command("mini-ljspeech")
def mini_ljspeech(
    out: Path = OUT,
    seed: int = SEED,
    nj: int = NJ,
    cmd: str = CMD,
    limit: int = typer.Option(0, min=0, help="Use only the first N sentences (0: all 660)."),
    judge: int = typer.Option(0, min=0, help="Instead: N sentences of random English words in the same voice, "
                              "no TextGrids (training data for the ASR judge, disjoint from the TTS sentences)."),
    voice: str = typer.Option("", help="Another eSpeak voice than the corpus's own: "
                              "NAME[+VARIANT][,pitch=0-100][,range=0-100][,rate=WORDS_PER_MINUTE]; each "
                              "utterance's rate varies +-15 around it."),
) -> None:
    """Synthesize the mini LJSpeech corpus (one voice) with ground-truth MFA-style TextGrids in OUT/textgrids.

    [bold]Examples[/]

      speechkit prep mini-ljspeech --out downloads/mini_ljspeech

      speechkit prep mini-ljspeech --out /tmp/lj --limit 20 --nj 1

      speechkit prep mini-ljspeech --out downloads/mini_ljspeech_judge --judge 1500

      speechkit prep mini-ljspeech --out /tmp/lj_klatt --voice en-us+klatt4,pitch=75,range=80,rate=150
    """
    from speechkit.jobs.backend import Cmd
    from speechkit.lang.espeak import Voice
    from speechkit.mini.ljspeech import VOICE, build_mini_ljspeech

    try:
        speaker = Voice.parse(voice) if voice else VOICE
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--voice") from None
    t0 = time.time()
    built = build_mini_ljspeech(out, seed, nj, limit or None, judge, Cmd.parse(cmd), speaker)
    _report("mini LJSpeech", built, out, t0)


@app.command("mini-cvss")
def mini_cvss(
    out: Path = OUT,
    seed: int = SEED,
    nj: int = NJ,
    cmd: str = CMD,
    train_pairs: int = typer.Option(5000, min=1, help="Sentence pairs in train.tsv."),
    dev_pairs: int = typer.Option(200, min=1, help="Sentence pairs in dev.tsv (sentences never in train)."),
    test_pairs: int = typer.Option(200, min=1, help="Sentence pairs in test.tsv (sentences never in train)."),
    train_speakers: int = typer.Option(60, min=1, help="Spanish speakers of the train clips."),
    dev_speakers: int = typer.Option(8, min=1, help="Spanish speakers of the dev clips."),
    test_speakers: int = typer.Option(8, min=1, help="Spanish speakers of the test clips."),
) -> None:
    """Synthesize the mini CVSS-C corpus: OUT/cv (Common Voice layout, Spanish MP3s of many eSpeak speakers) and
    OUT/cvss (CVSS layout: tables of English translations and their speech in one voice).

    [bold]Examples[/]

      speechkit prep mini-cvss --out downloads/mini_cvss

      speechkit prep mini-cvss --out /tmp/cvss --train-pairs 40 --dev-pairs 8 --test-pairs 8 --train-speakers 4
    """
    from speechkit.jobs.backend import Cmd
    from speechkit.mini.cvss import build_mini_cvss

    t0 = time.time()
    sizes, speakers = (train_pairs, dev_pairs, test_pairs), (train_speakers, dev_speakers, test_speakers)
    _report("mini CVSS", build_mini_cvss(out, seed, nj, sizes, speakers, Cmd.parse(cmd)), out, t0)


@app.command("cvss")
def cvss(
    corpus_root: Path = ROOT,
    source_root: Path = typer.Option(..., "--source-root", help="Common Voice folder (validated.tsv, clips/)."),
    out: Path = OUT,
    source_lang: str = typer.Option("es", help="Language code of the source speech (names text.<lang>)."),
) -> None:
    """Prepare CVSS-C/T with its Common Voice source into OUT/{train,dev,test} (source side: wav.scp, text,
    text.<lang>, text.en, wav.scp.en) and OUT/{train,dev,test}_en (target side: wav.scp, text).

    Rows whose clip, Common Voice entry or target wave is missing are dropped and named (the list in
    OUT/dropped.txt); a file that does not decode, a target at another sample rate or a malformed row is an error.

    [bold]Examples[/]

      speechkit prep cvss --corpus-root /data/cvss_c/es-en --source-root /data/cv4/es --out data
    """
    from speechkit.corpora.cvss import prepare_cvss
    from speechkit.utils.atomic import write_text_atomic

    t0 = time.time()
    summary = prepare_cvss(corpus_root, source_root, out, source_lang)
    write_text_atomic(out / "dropped.txt", "".join(line + "\n" for line in summary.dropped))
    _report("CVSS", summary.counts, out, t0)
    if summary.dropped:
        console.print(f"[yellow]dropped[/] {len(summary.dropped)} rows (listed in {out / 'dropped.txt'}), "
                      f"e.g. {summary.dropped[0]}", highlight=False)


@app.command("fsc")
def fsc(corpus_root: Path = ROOT, out: Path = OUT) -> None:
    """Prepare Fluent Speech Commands into OUT/{train,valid,test} (wav.scp, text, utt2spk, spk2utt, utt2intent).

    [bold]Examples[/]

      speechkit prep fsc --corpus-root /data/fluent_speech_commands_dataset --out data
    """
    from speechkit.corpora.fsc import prepare_fsc

    t0 = time.time()
    _report("FSC", prepare_fsc(corpus_root, out), out, t0)


@app.command("ljspeech")
def ljspeech(
    corpus_root: Path = ROOT,
    out: Path = OUT,
    textgrids: Path = typer.Option(None, help="Folder of MFA <id>.TextGrid files, listed in textgrid.scp."),
    speaker: str = typer.Option("LJ", help="Speaker id (prefixes utterance ids)."),
    dev: float = typer.Option(0.05, min=0.0, max=0.5, help="Fraction of utterances for dev."),
    test: float = typer.Option(0.05, min=0.0, max=0.5, help="Fraction of utterances for test."),
    seed: int = SEED,
) -> None:
    """Prepare an LJSpeech-layout corpus into OUT/{train,dev,test} (a seeded, deterministic split).

    [bold]Examples[/]

      speechkit prep ljspeech --corpus-root /data/LJSpeech-1.1 --out data

      speechkit prep ljspeech --corpus-root downloads/mini_ljspeech --textgrids downloads/mini_ljspeech/textgrids --out data
    """
    from speechkit.corpora.ljspeech import prepare_ljspeech

    t0 = time.time()
    _report("LJSpeech", prepare_ljspeech(corpus_root, out, textgrids, speaker, dev, test, seed), out, t0)


@app.command("lang")
def lang(
    data: Path = typer.Option(..., "--data", help="Training data dir: its text fills the lexicon and trains BPE."),
    out: Path = OUT,
    bpe_size: int = typer.Option(100, min=1, help="Sentencepiece vocabulary size, fitted to what the text supports."),
    bpe_type: str = typer.Option("bpe", help="Sentencepiece model type: bpe, unigram or char."),
    extra_data: list[Path] = typer.Option([], help="Data dir whose words join the lexicon, not BPE; repeatable."),
    stress: bool = typer.Option(False, help="Keep CMUdict stress digits: 69 phone tokens instead of 39."),
) -> None:
    """Build the lang dir: lexicon (CMUdict, else eSpeak G2P), phone and BPE token lists, words.txt.

    [bold]Examples[/]

      speechkit prep lang --data data/train --out data/lang

      speechkit prep lang --data data/train --extra-data data/test --out data/lang --bpe-type unigram --bpe-size 64
    """
    from speechkit.lang.prepare import prepare_lang

    t0 = time.time()
    summary = prepare_lang(data / "text", out, bpe_size, bpe_type, [d / "text" for d in extra_data], stress)
    _report("lang", summary.counts(), out, t0)
    if summary.bpe_note:
        console.print(f"[yellow]note:[/] {summary.bpe_note}")


@app.command("tts-features")
def tts_features(
    data: Path = typer.Option(..., "--data", help="Data dir with durations, phones and frame_range (speechkit align)."),
    out: Path = OUT,
    nj: int = typer.Option(2, "--nj", min=1, help="Jobs: worker processes here (--cmd local), or parts of DATA "
                           "run as Slurm jobs (logs in OUT/log)."),
    cmd: str = CMD,
) -> None:
    """Write OUT/<utt>.npz (log-mel, token log-F0 and energy) and OUT/stats.json (their means and deviations).

    The mel is the TTS one (22050 Hz, hop 256, 80 bins); F0 is YIN's, unvoiced frames interpolated.

    [bold]Examples[/]

      speechkit prep tts-features --data data/train --out exp/feats/train --nj 2

      speechkit prep tts-features --data data/train --out exp/feats/train --nj 16 --cmd "slurm --mem 2G"
    """
    from speechkit.features.mel import TTS_MEL
    from speechkit.jobs.backend import Cmd
    from speechkit.tts.features import extract_tts_features, merge_stats

    jobs = Cmd.parse(cmd)
    t0 = time.time()
    if jobs.backend == "local":
        stats = extract_tts_features(data, out, TTS_MEL, nj)
    else:
        import json

        from speechkit.jobs.run import run_as_jobs
        from speechkit.utils.atomic import atomic_dir

        with atomic_dir(out) as tmp:
            run_as_jobs("tts-features", data, tmp, nj, jobs, combine={"stats.json": merge_stats})
        stats = json.loads((out / "stats.json").read_text())
    counts = {"utterances": stats["utterances"], "frames": stats["frames"]}
    _report("TTS features", counts, out, t0)
    if stats["unvoiced_utterances"]:
        console.print(f"[yellow]note:[/] {stats['unvoiced_utterances']} utterances have no voiced frame "
                      "(their pitch targets are the mean)")
