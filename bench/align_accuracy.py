"""Score forced alignments against reference TextGrids: phone and word boundary errors, and sequence mismatches.

Usage: python bench/align_accuracy.py --ref DIR_OF_REF_TEXTGRIDS --hyp DIR_OF_OUR_TEXTGRIDS [--json OUT.json]

Files pair by name (``<utt>.TextGrid``); a reference without a hypothesis is counted as missing.

Definitions (the same for the phones tier and the words tier):

* Items are the tier's non-silence intervals (silence: ``""``, ``sil``, ``sp``). Phone labels are compared
  without stress digits: stress is not a boundary property, and eSpeak and CMUdict disagree on it often.
* Two utterances' sequences *match* when their items' labels are equal in order. Boundaries are compared only
  on matching utterances (words always match when the transcripts do).
* The boundaries of a sequence: the start of every item, and the end of an item that is the last one or that
  is followed by silence in the reference or in the hypothesis; between two items with no silence in either,
  end and next start are one boundary, counted once. A boundary between two items with the same label (``R R``)
  is skipped: nothing in the audio marks it.
* A boundary's error is ``|t_ref - t_hyp|``; the tables give the mean, the median and the share within 10, 20
  and 25 ms, over all compared boundaries of all matching utterances.
* ``--skip-interpolated`` (for the mini corpora's eSpeak references only) also skips the boundaries that
  :mod:`speechkit.lang.arpabet` interpolates rather than measures: the middle of an eSpeak unit split evenly
  into two ARPAbet phones (``AA R`` from one r-coloured vowel, ``AH L`` from a syllabic l...).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from speechkit.data.textgrid import SILENCE_LABELS, Segment, read_alignment
from speechkit.lang.arpabet import SPLIT

SPLIT_PAIRS = {tuple(p.rstrip("012") for p in pair) for pair in SPLIT.values()}

TOLERANCES_MS = (10, 20, 25)


def _items(segments: list[Segment], strip: bool) -> tuple[list[Segment], list[bool]]:
    """Non-silence segments (labels stress-stripped when ``strip``) and whether silence follows each one."""
    items: list[Segment] = []
    silence_after: list[bool] = []
    for s in segments:
        if s.label in SILENCE_LABELS:
            if silence_after and s.end > s.start:
                silence_after[-1] = True
            continue
        items.append(Segment(s.start, s.end, s.label.rstrip("012") if strip else s.label))
        silence_after.append(False)
    return items, silence_after


def interpolated(items: list[Segment], silence_after: list[bool]) -> list[bool]:
    """Whether each item's start splits an eSpeak unit evenly (two halves within 0.1 ms, a :data:`SPLIT` pair)."""
    out = [False] * len(items)
    for i in range(1, len(items)):
        a, b = items[i - 1], items[i]
        even = abs((a.end - a.start) - (b.end - b.start)) < 1e-4
        out[i] = even and not silence_after[i - 1] and (a.label.rstrip("012"), b.label.rstrip("012")) in SPLIT_PAIRS
    return out


def boundary_errors(ref: list[Segment], hyp: list[Segment], strip: bool = True,
                    skip_interpolated: bool = False) -> list[float] | None:
    """Absolute boundary errors in seconds (definition: module docstring), or None when the sequences differ."""
    ref_items, ref_sil = _items(ref, strip)
    hyp_items, hyp_sil = _items(hyp, strip)
    if [s.label for s in ref_items] != [s.label for s in hyp_items]:
        return None
    skip = interpolated(ref_items, ref_sil) if skip_interpolated else [False] * len(ref_items)
    errors = []
    for i, (r, h) in enumerate(zip(ref_items, hyp_items)):
        after_silence = i > 0 and (ref_sil[i - 1] or hyp_sil[i - 1])
        if (i == 0 or after_silence or ref_items[i - 1].label != r.label) and not skip[i]:
            errors.append(abs(r.start - h.start))
        if i == len(ref_items) - 1 or ref_sil[i] or hyp_sil[i]:
            errors.append(abs(r.end - h.end))
    return errors


def summary(errors: list[float]) -> dict[str, float]:
    """Mean and median in ms and the share (%) within each tolerance."""
    if not errors:
        return {"boundaries": 0}
    ms = [1000 * e for e in errors]
    out = {"boundaries": len(ms), "mean_ms": statistics.fmean(ms), "median_ms": statistics.median(ms)}
    for tol in TOLERANCES_MS:
        out[f"within_{tol}ms_pct"] = 100 * sum(e <= tol for e in ms) / len(ms)
    return out


def score_dirs(ref_dir: Path, hyp_dir: Path, skip_interpolated: bool = False) -> dict[str, object]:
    """All figures for the TextGrids of ``ref_dir`` against those of the same name in ``hyp_dir``."""
    phone_errors: list[float] = []
    word_errors: list[float] = []
    counts = {"utterances": 0, "missing": 0, "phone_sequence_differs": 0, "words_differ": 0, "no_words_tier": 0}
    for ref_path in sorted(ref_dir.glob("*.TextGrid")):
        hyp_path = hyp_dir / ref_path.name
        counts["utterances"] += 1
        if not hyp_path.is_file():
            counts["missing"] += 1
            continue
        ref, hyp = read_alignment(ref_path), read_alignment(hyp_path)
        phones = boundary_errors(ref.phones, hyp.phones, skip_interpolated=skip_interpolated)
        if phones is None:
            counts["phone_sequence_differs"] += 1
        else:
            phone_errors += phones
        if all(w.label in SILENCE_LABELS for w in hyp.words):
            counts["no_words_tier"] += 1
            continue
        words = boundary_errors(ref.words, hyp.words, strip=False)
        if words is None:
            counts["words_differ"] += 1
        else:
            word_errors += words
    return {**counts, "phones": summary(phone_errors), "words": summary(word_errors)}


def _table(result: dict[str, object]) -> str:
    head = f"{'tier':<7}{'boundaries':>11}{'mean ms':>9}{'median':>8}" + "".join(f"{f'<={t}ms':>8}" for t in TOLERANCES_MS)
    lines = [head]
    for tier in ("phones", "words"):
        s = result[tier]
        if not s["boundaries"]:
            lines.append(f"{tier:<7}{0:>11}")
            continue
        pct = "".join(f"{s[f'within_{t}ms_pct']:>7.1f}%" for t in TOLERANCES_MS)
        lines.append(f"{tier:<7}{s['boundaries']:>11}{s['mean_ms']:>9.1f}{s['median_ms']:>8.1f}{pct}")
    matched = result["utterances"] - result["missing"] - result["phone_sequence_differs"]
    lines.append(f"utterances: {result['utterances']}, missing: {result['missing']}, phone sequence differs: "
                 f"{result['phone_sequence_differs']} (phone figures over the {matched} that match), "
                 f"words differ: {result['words_differ']}, no words tier: {result['no_words_tier']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", type=Path, required=True, help="Folder of reference TextGrids.")
    parser.add_argument("--hyp", type=Path, required=True, help="Folder of the aligner's TextGrids.")
    parser.add_argument("--json", type=Path, help="Also write the figures here as JSON.")
    parser.add_argument("--skip-interpolated", action="store_true",
                        help="Skip the eSpeak references' interpolated boundaries (see the module docstring).")
    args = parser.parse_args()
    result = score_dirs(args.ref, args.hyp, args.skip_interpolated)
    print(_table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
