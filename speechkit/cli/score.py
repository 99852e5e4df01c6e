"""`speechkit score ...`: score a decode directory against its data directory.

Thin wrappers: the work is in :mod:`speechkit.score.asr`, :mod:`speechkit.score.intent` and :mod:`speechkit.score.tts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from speechkit.errors import SpeechkitError
from speechkit.score.asr import score_asr
from speechkit.score.intent import score_intent
from speechkit.score.report import Scores, append_results, print_scores

console = Console(stderr=True, soft_wrap=True)
app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="Score hypotheses against references: write scores.json, print a table, optionally append to RESULTS.md.",
)

RefOpt = Annotated[Path, typer.Option("--ref", help="Reference table (Kaldi format).")]
HypOpt = Annotated[
    Path, typer.Option("--hyp", help="Hypothesis table; a line with only the key is an empty hypothesis.")
]
OutOpt = Annotated[Path, typer.Option("--out", help="Directory for scores.json and the detail files.")]
ResultsOpt = Annotated[
    Path | None, typer.Option("--results", help="RESULTS.md to append a row to (created with a header if missing).")
]


def _publish(kind: str, out: Path, scores: Scores, results: Path | None) -> None:
    """Print the table, warn about missing hypotheses, and append the RESULTS.md row."""
    print_scores(scores, f"{kind} scores: {out}")
    if scores["n_missing"]:
        console.print(
            f"[yellow]warning:[/] {scores['n_missing']} reference utterances have no hypothesis (scored as wrong)"
        )
    if results is not None:
        append_results(results, out, scores)


@app.command()
def asr(ref: RefOpt, hyp: HypOpt, out: OutOpt, results: ResultsOpt = None) -> None:
    """WER and CER (%) with S/D/I counts; writes OUT/scores.json and OUT/per_utt.txt (sclite-style alignments).

    Tokens are compared as written (no normalization). CER counts the spaces between words, like jiwer.

    [bold]Examples[/bold]

    speechkit score asr --ref data/test/text --hyp exp/asr/decode_test/text --out exp/asr/decode_test

    speechkit score asr --ref data/test/text --hyp dec/text --out dec --results RESULTS.md
    """
    _publish("ASR", out, score_asr(ref, hyp, out), results)


@app.command()
def intent(ref: RefOpt, hyp: HypOpt, out: OutOpt, results: ResultsOpt = None) -> None:
    """Exact-match intent accuracy and per-slot accuracy (%); writes OUT/scores.json and OUT/intent_errors.txt.

    Intents are action|object|location; an utterance is right only when all three slots are.

    [bold]Examples[/bold]

    speechkit score intent --ref data/test/utt2intent --hyp exp/slu/decode_test/utt2intent --out exp/slu/decode_test

    speechkit score intent --ref data/test/utt2intent --hyp dec/utt2intent --out dec --results RESULTS.md
    """
    _publish("Intent", out, score_intent(ref, hyp, out), results)


@app.command()
def tts(
    ref_data: Annotated[Path, typer.Option("--ref-data", help="Data dir of the real recordings (wav.scp, text).")],
    syn: Annotated[Path, typer.Option("--syn", help="Synthesis dir with <utt>.wav (and optional durations).")],
    asr_model: Annotated[
        Path | None, typer.Option("--asr-model", help="ASR model dir: adds WER/CER on synthesized and real speech.")
    ] = None,
    results: ResultsOpt = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda, for the ASR model.")] = "cpu",
    lm: Annotated[Path | None, typer.Option("--lm", help="KenLM model for the ASR model's beam search "
                                             "(with --alpha-beta-from).")] = None,  # fmt: skip
    alpha_beta_from: Annotated[Path | None, typer.Option("--alpha-beta-from", help="The tune.json of `speechkit "
                                                          "decode --tune` on a validation set.")] = None,  # fmt: skip
) -> None:
    """MCD, F0 RMSE, duration errors and (with --asr-model) WER/CER; writes SYN/scores.json, SYN/tts_per_utt.txt.

    mcd (dB): as ESPnet's evaluate_mcd.py: SPTK mel-cepstrum of order 34 (c0 included; alpha by sample rate, 0.45
    at 22.05 kHz), int16-scaled Hamming frames, DTW, mean over the path.
    f0_rmse_cents: over the DTW frame pairs voiced in both.
    dur_err_s: utterance length; phone_dur_err_frames: per token, where both durations files agree in count.
    wer/cer_syn, wer/cer_ref (%): the ASR model on SYN's waves and on the recordings (SYN/asr_{syn,ref}/text),
    greedy, or with --lm a beam search with the weights tuned on a validation set.

    [bold]Examples[/bold]

    speechkit score tts --ref-data data/test --syn exp/fastspeech2/synth_test

    speechkit score tts --ref-data data/test --syn exp/fastspeech2/synth_test --asr-model exp/asr --results RESULTS.md

    speechkit score tts --ref-data data/test --syn exp/tts/synth_test --asr-model exp/asr --lm exp/lm/en.arpa \\
      --alpha-beta-from exp/asr/decode_dev_tune/tune.json
    """
    from speechkit.score.mcd import MCEP
    from speechkit.score.tts import F0_SETTINGS, score_tts

    if (lm is None) != (alpha_beta_from is None) or (lm is not None and asr_model is None):
        raise SpeechkitError(None, "--lm and --alpha-beta-from go together, with --asr-model")
    transcripts = (None, None)
    if asr_model is not None:
        from speechkit.cli.common import device_of
        from speechkit.decode.recognize import transcribe_synthesis

        search = None
        if lm is not None:
            from speechkit.decode.beam_search import SearchOptions
            from speechkit.decode.recognize import lm_search, read_tuned

            alpha, beta = read_tuned(alpha_beta_from)
            search = lm_search(asr_model, lm, SearchOptions(alpha=alpha, beta=beta))
        transcripts = transcribe_synthesis(asr_model, ref_data, syn, str(device_of(device)), search=search)
    scores = score_tts(ref_data, syn, *transcripts)
    console.print(f"{MCEP.describe()}\nF0: {F0_SETTINGS}", highlight=False)
    _publish("TTS", syn, scores, results)


@app.command()
def s2st(
    ref_data: Annotated[Path, typer.Option("--ref-data", help="Source-side data dir with text.en and wav.scp.en.")],
    syn: Annotated[Path, typer.Option("--syn", help="Decode dir with translated <utt>.wav (and text).")],
    asr_model: Annotated[Path, typer.Option("--asr-model", help="English ASR model dir: the judge.")],
    results: ResultsOpt = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda, for the ASR model.")] = "cpu",
) -> None:
    """ASR-BLEU and ASR-chrF of translated speech, their upper bound on the reference speech, the judge's WER there,
    and BLEU of the intermediate text; writes SYN/scores.json (SYN/asr_{syn,ref}/text hold the transcripts).

    Hypotheses and references are lowercased, punctuation removed, then scored by sacrebleu (its signatures are
    printed).

    [bold]Examples[/bold]

    speechkit score s2st --ref-data data/test --syn exp/s2st/decode_test --asr-model exp/asr_en --results RESULTS.md
    """
    from speechkit.cli.common import device_of
    from speechkit.decode.recognize import transcribe_synthesis
    from speechkit.score.s2st import score_s2st

    syn_asr, ref_asr = transcribe_synthesis(asr_model, ref_data, syn, str(device_of(device)), "wav.scp.en")
    scores, signature = score_s2st(ref_data, syn, syn_asr, ref_asr)
    console.print(f"sacrebleu: {signature}", highlight=False)
    _publish("S2ST", syn, scores, results)
