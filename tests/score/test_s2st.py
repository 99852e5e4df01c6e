"""S2ST scoring: BLEU/chrF as sacrebleu computes them after our normalization, and the scores.json keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sacrebleu.metrics import BLEU, CHRF

from speechkit.data.table import write_table
from speechkit.score.s2st import bleu_chrf, score_s2st

REFS = {"u1": "Where is the black cat?", "u2": "I don't want the red car.", "u3": "There are three dogs."}


def test_bleu_and_chrf_equal_sacrebleus_on_normalized_text() -> None:
    hyps = {"u1": "where is the cat", "u2": "I DON'T want a red car!", "u3": "there are two dogs"}
    bleu, chrf, signature = bleu_chrf(REFS, hyps)
    refs = [["where is the black cat", "i don't want the red car", "there are three dogs"]]
    normalized = ["where is the cat", "i don't want a red car", "there are two dogs"]
    assert bleu == pytest.approx(round(BLEU().corpus_score(normalized, refs).score, 2))
    assert chrf == pytest.approx(round(CHRF().corpus_score(normalized, refs).score, 2))
    assert "tok:13a" in signature and "chrF" in signature
    assert bleu_chrf(REFS, REFS)[:2] == (100.0, 100.0)
    assert bleu_chrf(REFS, {"u1": "where is the black cat"})[0] < bleu_chrf(REFS, REFS)[0]  # missing = empty


def test_score_s2st_writes_every_key(tmp_path: Path) -> None:
    data, syn = tmp_path / "data", tmp_path / "syn"
    write_table(data / "text.en", REFS)
    write_table(syn / "text", {"u1": "where is the black cat", "u2": "i want the red car", "u3": ""})
    scores, _ = score_s2st(data, syn, syn_asr={"u1": "where is the black cat", "u2": "i want a red car"},
                           ref_asr={k: v.lower() for k, v in REFS.items()})  # fmt: skip
    on_disk = json.loads((syn / "scores.json").read_text())
    assert on_disk == scores
    assert {"asr_bleu", "asr_chrf", "asr_bleu_ref", "asr_chrf_ref", "wer_ref", "wer_syn", "bleu_text",
            "chrf_text"} <= set(scores)  # fmt: skip
    assert scores["n_utts"] == 3 and scores["n_missing"] == 1
    assert scores["asr_bleu_ref"] == 100.0 and scores["wer_ref"] == 0.0
    assert 0 < scores["asr_bleu"] < 100 and scores["wer_syn"] > 0
