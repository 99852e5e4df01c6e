"""Intent accuracy for spoken language understanding (Fluent Speech Commands style).

``utt2intent`` values are ``action|object|location``; a slot value may hold spaces (``change language``), so only
``|`` separates slots. Values are compared exactly as written. An intent is right only when all three slots are
right. A reference utterance with no hypothesis line, or with an empty one, is wrong on every slot; the missing ones
are counted in ``n_missing``.

``score_intent`` writes ``scores.json`` (``intent_acc``, ``action_acc``, ``object_acc``, ``location_acc`` in %,
``n_utts``, ``n_missing``) and ``intent_errors.txt``: one tab-separated ``utt ref hyp`` line per wrong utterance,
grouped by reference intent so the intents the model confuses stand together; a missing hypothesis reads
``<missing>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from speechkit.errors import SpeechkitError
from speechkit.score.report import Scores, pair_tables, percent, write_scores
from speechkit.utils.atomic import write_text_atomic

SLOTS = ("action", "object", "location")
MISSING = "<missing>"


def check_intent(path: str | Path, utt: str, value: str) -> None:
    """Raise :class:`SpeechkitError` unless ``value`` has exactly one field per slot."""
    if value.count("|") != len(SLOTS) - 1:
        raise SpeechkitError(path, f"key {utt!r}: intent {value!r} is not {'|'.join(SLOTS)}")


def intent_scores(pairs: Sequence[tuple[str, str, str | None]]) -> Scores:
    """Exact-match and per-slot accuracy (%) over ``(utt, ref, hyp)`` triples; ``hyp`` None when missing."""
    slot_hits = [0] * len(SLOTS)
    for _, ref, hyp in pairs:
        hyp_slots = hyp.split("|") if hyp else [None] * len(SLOTS)
        for k, (r, h) in enumerate(zip(ref.split("|"), hyp_slots)):
            slot_hits[k] += r == h
    n = len(pairs)
    return {
        "intent_acc": percent(sum(ref == hyp for _, ref, hyp in pairs), n),
        **{f"{slot}_acc": percent(hits, n) for slot, hits in zip(SLOTS, slot_hits)},
        "n_utts": n,
        "n_missing": sum(hyp is None for _, _, hyp in pairs),
    }


def format_errors(pairs: Sequence[tuple[str, str, str | None]]) -> str:
    """``intent_errors.txt``: ``utt<TAB>ref<TAB>hyp`` per wrong utterance, grouped by reference intent."""
    wrong = sorted((ref, utt, MISSING if hyp is None else hyp) for utt, ref, hyp in pairs if ref != hyp)
    return "".join(f"{utt}\t{ref}\t{hyp}\n" for ref, utt, hyp in wrong)


def score_intent(ref_path: str | Path, hyp_path: str | Path, out_dir: str | Path) -> Scores:
    """Score a hypothesis ``utt2intent`` against a reference one; write ``scores.json`` and ``intent_errors.txt``.

    Example::

        scores = score_intent("data/test/utt2intent", "exp/slu/decode_test/utt2intent", "exp/slu/decode_test")
        scores["intent_acc"]  # e.g. 98.7 (%)
    """
    pairs = pair_tables(ref_path, hyp_path)
    for utt, ref, hyp in pairs:
        check_intent(ref_path, utt, ref)
        if hyp:
            check_intent(hyp_path, utt, hyp)
    write_text_atomic(Path(out_dir) / "intent_errors.txt", format_errors(pairs))
    scores = intent_scores(pairs)
    write_scores(out_dir, scores)
    return scores
