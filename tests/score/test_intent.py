"""Intent accuracy: exact match vs per-slot, missing and empty hypotheses, malformed intents, the errors file."""

from __future__ import annotations

import json

import pytest

from speechkit.errors import SpeechkitError
from speechkit.score.intent import intent_scores, score_intent

REF = (
    "s1-u1 activate|lights|kitchen\n"
    "s1-u2 change language|Chinese|none\n"
    "s1-u3 deactivate|music|none\n"
    "s1-u4 increase|volume|none\n"
    "s1-u5 activate|lights|kitchen\n"
)


def _write(tmp_path, ref: str, hyp: str):
    (tmp_path / "utt2intent").write_text(ref, encoding="utf-8")
    (tmp_path / "hyp").write_text(hyp, encoding="utf-8")
    return tmp_path / "utt2intent", tmp_path / "hyp"


def test_exact_match_needs_every_slot() -> None:
    pairs = [
        ("u1", "activate|lights|kitchen", "activate|lights|kitchen"),
        ("u2", "activate|lights|kitchen", "activate|lights|bedroom"),
        ("u3", "bring|shoes|none", "bring|socks|none"),
        ("u4", "decrease|heat|washroom", "increase|heat|washroom"),
    ]
    assert intent_scores(pairs) == {
        "intent_acc": 25.0,
        "action_acc": 75.0,
        "object_acc": 75.0,
        "location_acc": 75.0,
        "n_utts": 4,
        "n_missing": 0,
    }


def test_missing_and_empty_hypotheses_are_wrong_on_every_slot() -> None:
    ref = "bring|shoes|none"
    pairs = [("u1", ref, None), ("u2", ref, ""), ("u3", ref, ref)]
    scores = intent_scores(pairs)
    assert scores["intent_acc"] == scores["action_acc"] == scores["location_acc"] == round(100 / 3, 2)
    assert scores["n_missing"] == 1


def test_score_intent_writes_scores_and_grouped_errors(tmp_path) -> None:
    hyp = (
        "s1-u1 activate|lights|none\n"
        "s1-u2 change language|Chinese|none\n"
        "s1-u3\n"
        "s1-u5 activate|music|kitchen\n"
    )
    scores = score_intent(*_write(tmp_path, REF, hyp), tmp_path / "dec")
    assert json.loads((tmp_path / "dec" / "scores.json").read_text()) == scores
    assert scores == {
        "intent_acc": 20.0,
        "action_acc": 60.0,
        "object_acc": 40.0,
        "location_acc": 40.0,
        "n_utts": 5,
        "n_missing": 1,
    }
    errors = (tmp_path / "dec" / "intent_errors.txt").read_text(encoding="utf-8").splitlines()
    assert errors == [
        "s1-u1\tactivate|lights|kitchen\tactivate|lights|none",
        "s1-u5\tactivate|lights|kitchen\tactivate|music|kitchen",
        "s1-u3\tdeactivate|music|none\t",
        "s1-u4\tincrease|volume|none\t<missing>",
    ]


@pytest.mark.parametrize("which", ["ref", "hyp"])
def test_malformed_intent_names_file_and_key(tmp_path, which: str) -> None:
    bad = "s1-u1 activate|lights\n"
    ref, hyp = _write(tmp_path, bad if which == "ref" else REF, bad if which == "hyp" else "s1-u1\n")
    with pytest.raises(SpeechkitError, match="'s1-u1'") as err:
        score_intent(ref, hyp, tmp_path / "dec")
    assert err.value.path == str(ref if which == "ref" else hyp)


def test_unknown_hyp_key_is_an_error(tmp_path) -> None:
    with pytest.raises(SpeechkitError, match="'s9-u1'"):
        score_intent(*_write(tmp_path, REF, "s9-u1 bring|shoes|none\n"), tmp_path / "dec")
