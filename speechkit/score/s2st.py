"""Score speech-to-speech translation: ASR-BLEU and ASR-chrF of translated speech, BLEU of the intermediate text.

An ASR model (the judge, trained on the target speech of the training split) transcribes the translated waves;
its transcripts are scored against the reference translations (``text.en`` of the data dir). The same judge on
the reference target speech gives the upper bound (``asr_bleu_ref``) and its own WER there (``wer_ref``: a judge
that cannot hear the reference is no judge). With the system's intermediate text (``SYN/text``: the linguistic
decoder's output, or the cascade's MT output) the text BLEU is scored too.

Normalization, the same for hypotheses and references before sacrebleu sees them: lowercase words, punctuation
removed (:func:`speechkit.data.text.normalize_words`), joined by single spaces; then sacrebleu's corpus BLEU
(13a tokenization, exponential smoothing) and chrF (character 6-grams, beta 2), whose signatures are reported.
A reference utterance without a translated wave counts as an empty hypothesis.

Keys of ``scores.json``: ``asr_bleu``, ``asr_chrf``, ``asr_bleu_ref``, ``asr_chrf_ref``, ``wer_ref``, ``wer_syn``
(the judge's WER on the translated speech against the references), ``bleu_text`` and ``chrf_text`` (with an
intermediate text), ``n_utts``, ``n_missing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from speechkit.data.table import read_table
from speechkit.data.text import normalize_words
from speechkit.errors import SpeechkitError
from speechkit.score.asr import align_sentence, asr_scores
from speechkit.score.report import Scores, write_scores


def _metrics() -> tuple:
    from sacrebleu.metrics import BLEU, CHRF

    return BLEU(), CHRF()


def bleu_chrf(refs: Mapping[str, str], hyps: Mapping[str, str]) -> tuple[float, float, str]:
    """Corpus BLEU and chrF of ``hyps`` against ``refs`` (same keys; a missing hypothesis is empty), both
    normalized as the module docstring says, and the two sacrebleu signatures."""
    bleu, chrf = _metrics()
    keys = list(refs)
    ref = [[normalize_words(refs[k]) for k in keys]]
    hyp = [normalize_words(hyps.get(k, "")) for k in keys]
    b, c = bleu.corpus_score(hyp, ref), chrf.corpus_score(hyp, ref)
    return round(b.score, 2), round(c.score, 2), f"BLEU {bleu.get_signature()} | chrF {chrf.get_signature()}"


def _wer(refs: Mapping[str, str], hyps: Mapping[str, str]) -> float:
    results = [align_sentence(k, normalize_words(r), normalize_words(hyps.get(k, ""))) for k, r in refs.items()]
    return float(asr_scores(results)["wer"])


def score_s2st(ref_data: str | Path, syn_dir: str | Path, syn_asr: Mapping[str, str],
               ref_asr: Mapping[str, str]) -> tuple[Scores, str]:  # fmt: skip
    """The figures of the module docstring for ``syn_dir`` against ``ref_data``, from the judge's transcripts of the
    translated (``syn_asr``) and the reference (``ref_asr``) speech; writes ``syn_dir/scores.json`` and returns
    the figures and the sacrebleu signatures."""
    ref_data, syn_dir = Path(ref_data), Path(syn_dir)
    refs = read_table(ref_data / "text.en")
    if not refs:
        raise SpeechkitError(ref_data / "text.en", "has no utterances")
    asr_bleu, asr_chrf, signature = bleu_chrf(refs, syn_asr)
    ref_bleu, ref_chrf, _ = bleu_chrf(refs, ref_asr)
    scores: Scores = {"asr_bleu": asr_bleu, "asr_chrf": asr_chrf, "asr_bleu_ref": ref_bleu, "asr_chrf_ref": ref_chrf,
                      "wer_ref": _wer(refs, ref_asr), "wer_syn": _wer(refs, syn_asr)}  # fmt: skip
    if (syn_dir / "text").is_file():
        text = read_table(syn_dir / "text", allow_empty=True)
        scores["bleu_text"], scores["chrf_text"], _ = bleu_chrf(refs, text)
    scores["n_utts"] = len(refs)
    scores["n_missing"] = sum(k not in syn_asr for k in refs)
    write_scores(syn_dir, scores)
    return scores, signature
