"""Word and character error rates, with an sclite-style alignment per utterance.

Definitions, chosen to agree with jiwer's defaults on whitespace-normalized text:

- Tokens are compared exactly as written: no case folding, no punctuation removal. Normalize both files first if
  a recipe needs that.
- WER: words are whitespace-separated; errors are the minimum S + D + I of a Levenshtein alignment.
- CER: the same over the characters of the sentence with its words joined by single spaces, so the spaces between
  words count (a split or merged word costs one character error), leading and trailing space do not.
- Corpus rates are total errors over total reference tokens, not a mean of per-utterance rates.
- A reference utterance with no hypothesis line is scored as all deletions and counted in ``n_missing``.

``score_asr`` writes ``scores.json`` (``wer``, ``cer`` in %, word-level ``sub``/``del``/``ins``, ``n_ref_words``,
``n_utts``, ``n_missing``) and ``per_utt.txt``, one block per utterance::

    utt: spk1-utt1
    REF: turn the lights **
    HYP: turn off lights on
    OPS:      S          I
    #csid: 2 1 1 0

``OPS`` leaves correct words blank as sclite does; ``#csid`` is correct, substituted, inserted, deleted (Kaldi's
order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from speechkit.score.edit_distance import CORRECT, Alignment, Counts, align
from speechkit.score.report import Scores, pair_tables, percent, write_scores
from speechkit.utils.atomic import write_text_atomic


@dataclass(frozen=True)
class UttResult:
    """One utterance aligned at word and at character level."""

    utt: str
    words: Alignment
    chars: Alignment


def align_sentence(utt: str, ref: str, hyp: str) -> UttResult:
    """Align ``hyp`` against ``ref`` by words and by characters (see the module docstring for the definitions)."""
    ref_words, hyp_words = ref.split(), hyp.split()
    return UttResult(
        utt,
        align(ref_words, hyp_words),
        align(list(" ".join(ref_words)), list(" ".join(hyp_words))),
    )


def asr_scores(results: Sequence[UttResult], n_missing: int = 0) -> Scores:
    """Corpus-level figures for ``scores.json``: total errors over total reference tokens, in %."""
    words = sum((r.words.counts for r in results), Counts())
    chars = sum((r.chars.counts for r in results), Counts())
    return {
        "wer": percent(words.errors, words.ref_len),
        "cer": percent(chars.errors, chars.ref_len),
        "sub": words.subs,
        "del": words.dels,
        "ins": words.ins,
        "n_ref_words": words.ref_len,
        "n_utts": len(results),
        "n_missing": n_missing,
    }


def format_alignment(result: UttResult) -> str:
    """The ``per_utt.txt`` block of one utterance: ``utt:``, ``REF:``, ``HYP:``, ``OPS:`` and ``#csid:`` lines."""
    ref_cols, hyp_cols, op_cols = [], [], []
    for step in result.words.steps:
        width = max(len(step.ref or ""), len(step.hyp or ""))
        ref_cols.append((step.ref or "*" * width).ljust(width))
        hyp_cols.append((step.hyp or "*" * width).ljust(width))
        op_cols.append(("" if step.op == CORRECT else step.op).ljust(width))
    c = result.words.counts
    lines = [
        f"utt: {result.utt}",
        f"REF: {' '.join(ref_cols)}",
        f"HYP: {' '.join(hyp_cols)}",
        f"OPS: {' '.join(op_cols)}",
        f"#csid: {c.hits} {c.subs} {c.ins} {c.dels}",
    ]
    return "".join(line.rstrip() + "\n" for line in lines)


def score_asr(ref_path: str | Path, hyp_path: str | Path, out_dir: str | Path) -> Scores:
    """Score a hypothesis ``text`` file against a reference one; write ``scores.json`` and ``per_utt.txt``.

    Example::

        scores = score_asr("data/test/text", "exp/asr/decode_test/text", "exp/asr/decode_test")
        scores["wer"]  # e.g. 12.5 (%)
    """
    pairs = pair_tables(ref_path, hyp_path)
    results = [align_sentence(utt, ref, hyp or "") for utt, ref, hyp in pairs]
    n_missing = sum(hyp is None for _, _, hyp in pairs)
    write_text_atomic(Path(out_dir) / "per_utt.txt", "\n".join(format_alignment(r) for r in results))
    scores = asr_scores(results, n_missing)
    write_scores(out_dir, scores)
    return scores
