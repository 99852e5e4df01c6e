"""WER/CER: edit-distance edge cases, parity with jiwer on generated pairs, and the files score_asr writes."""

from __future__ import annotations

import json
import random

import jiwer
import pytest

from speechkit.errors import SpeechkitError
from speechkit.score.asr import align_sentence, asr_scores, format_alignment, score_asr
from speechkit.score.edit_distance import Counts, align

VOCAB = "the cat sat on a mat turn lights off in kitchen bedroom bring me my shoes volume up down".split()
UNICODE = ["naïve", "Straße", "日本語", "café", "ünïcödé", "Ελλάδα", "к", "😀ok", "ﬁne", "e\u0301"]
OTHER = ["zzz", "qq", "xylo", "wub", "blorp"]


def _edit_chars(word: str, rng: random.Random) -> str:
    """Change, drop or add one character, for character-level errors inside a word."""
    pos = rng.randrange(len(word))
    kind = rng.choice("sdi")
    if kind == "s":
        return word[:pos] + rng.choice("aeoxé日") + word[pos + 1 :]
    if kind == "d" and len(word) > 1:
        return word[:pos] + word[pos + 1 :]
    return word[:pos] + rng.choice("aeoxé日") + word[pos:]


def _make_pair(kind: str, rng: random.Random) -> tuple[str, str]:
    """One ref/hyp pair exercising ``kind`` of error; the ref is never empty (Kaldi ``text`` forbids it)."""
    vocab = UNICODE if kind == "unicode" else VOCAB
    ref = [rng.choice(vocab) for _ in range(rng.randint(1, 12))]
    hyp = list(ref)
    if kind == "sub":
        for k in rng.sample(range(len(hyp)), rng.randint(1, len(hyp))):
            hyp[k] = rng.choice(VOCAB + OTHER)
    elif kind == "del":
        for _ in range(rng.randint(1, len(hyp))):
            hyp.pop(rng.randrange(len(hyp)))
    elif kind == "ins":
        for _ in range(rng.randint(1, 6)):
            hyp.insert(rng.randint(0, len(hyp)), rng.choice(VOCAB + OTHER))
    elif kind == "empty":
        hyp = []
    elif kind == "different":
        hyp = [rng.choice(OTHER) for _ in range(rng.randint(1, 12))]
    elif kind == "repeated":
        word = rng.choice(VOCAB)
        ref = [word] * rng.randint(1, 6) + ref[:3] + [word] * rng.randint(0, 3)
        hyp = [word] * rng.randint(0, 8) + ref[3:5]
    elif kind in ("mixed", "unicode"):
        for _ in range(rng.randint(1, 5)):
            op = rng.choice(["sub", "del", "ins", "chars", "merge"])
            k = rng.randrange(len(hyp)) if hyp else 0
            if op == "ins" or not hyp:
                hyp.insert(k, rng.choice(vocab + OTHER))
            elif op == "sub":
                hyp[k] = rng.choice(vocab + OTHER)
            elif op == "del":
                hyp.pop(k)
            elif op == "chars":
                hyp[k] = _edit_chars(hyp[k], rng)
            elif k + 1 < len(hyp):
                hyp[k : k + 2] = [hyp[k] + hyp[k + 1]]
    return " ".join(ref), " ".join(hyp)


KINDS = ["identical", "sub", "del", "ins", "mixed", "empty", "different", "repeated", "unicode"]


def _pairs(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` pairs cycling through every kind, the same ones on every run."""
    rng = random.Random(seed)
    return [_make_pair(KINDS[k % len(KINDS)], rng) for k in range(n)]


PAIRS = _pairs(270, seed=20240601)


def _counts(out: jiwer.WordOutput | jiwer.CharacterOutput) -> Counts:
    return Counts(out.hits, out.substitutions, out.deletions, out.insertions)


def test_pairs_are_varied() -> None:
    assert len(PAIRS) >= 100
    assert any(ref == hyp for ref, hyp in PAIRS)
    assert any(hyp == "" for _, hyp in PAIRS)
    assert any(not ref.isascii() for ref, _ in PAIRS)
    assert len(set(PAIRS)) > 200


@pytest.mark.parametrize("ref,hyp", PAIRS)
def test_utterance_matches_jiwer(ref: str, hyp: str) -> None:
    result = align_sentence("u", ref, hyp)
    words, chars = jiwer.process_words(ref, hyp), jiwer.process_characters(ref, hyp)
    assert result.words.counts == _counts(words)
    assert result.chars.counts == _counts(chars)
    assert result.words.counts.errors / result.words.counts.ref_len == pytest.approx(words.wer)
    assert result.chars.counts.errors / result.chars.counts.ref_len == pytest.approx(chars.cer)


def test_corpus_matches_jiwer() -> None:
    refs, hyps = [r for r, _ in PAIRS], [h for _, h in PAIRS]
    scores = asr_scores([align_sentence(f"u{n}", r, h) for n, (r, h) in enumerate(PAIRS)])
    words, chars = jiwer.process_words(refs, hyps), jiwer.process_characters(refs, hyps)
    assert scores["wer"] == round(100 * words.wer, 2)
    assert scores["cer"] == round(100 * chars.cer, 2)
    assert (scores["sub"], scores["del"], scores["ins"]) == (words.substitutions, words.deletions, words.insertions)
    assert scores["n_ref_words"] == sum(len(r.split()) for r in refs)


@pytest.mark.parametrize(
    "ref,hyp,expected",
    [
        ("a b c", "a b c", Counts(3, 0, 0, 0)),
        ("a b c", "", Counts(0, 0, 3, 0)),
        ("", "a b", Counts(0, 0, 0, 2)),
        ("a b c", "a x c", Counts(2, 1, 0, 0)),
        ("a b c", "a c", Counts(2, 0, 1, 0)),
        ("a c", "a b c", Counts(2, 0, 0, 1)),
    ],
)
def test_align_edge_cases(ref: str, hyp: str, expected: Counts) -> None:
    assert align(ref.split(), hyp.split()).counts == expected


@pytest.mark.parametrize("ref,hyp", PAIRS[:50])
def test_steps_spell_out_both_sequences(ref: str, hyp: str) -> None:
    steps = align(ref.split(), hyp.split()).steps
    assert [s.ref for s in steps if s.ref is not None] == ref.split()
    assert [s.hyp for s in steps if s.hyp is not None] == hyp.split()
    assert all((s.op == "C") == (s.ref == s.hyp) for s in steps)


def test_cer_counts_spaces_between_words() -> None:
    merged = align_sentence("u", "ice cream", "icecream")
    assert merged.words.counts == Counts(0, 1, 1, 0)
    assert merged.chars.counts == Counts(8, 0, 1, 0)


def test_per_utt_block_is_column_aligned() -> None:
    block = format_alignment(align_sentence("spk1-u1", "turn the lights", "turn off lights on"))
    assert block == (
        "utt: spk1-u1\nREF: turn the lights **\nHYP: turn off lights on\nOPS:      S          I\n#csid: 2 1 1 0\n"
    )


def test_score_asr_writes_files_and_counts_missing(tmp_path) -> None:
    (tmp_path / "text").write_text("u1 a b c\nu2 d e\nu3 f\n", encoding="utf-8")
    (tmp_path / "hyp").write_text("u1 a x c\nu3\n", encoding="utf-8")
    scores = score_asr(tmp_path / "text", tmp_path / "hyp", tmp_path / "dec")
    assert json.loads((tmp_path / "dec" / "scores.json").read_text()) == scores
    assert scores == {
        "wer": round(100 * 4 / 6, 2),
        "cer": round(100 * 5 / 9, 2),
        "sub": 1,
        "del": 3,
        "ins": 0,
        "n_ref_words": 6,
        "n_utts": 3,
        "n_missing": 1,
    }
    per_utt = (tmp_path / "dec" / "per_utt.txt").read_text(encoding="utf-8")
    assert [line for line in per_utt.splitlines() if line.startswith("utt:")] == ["utt: u1", "utt: u2", "utt: u3"]
    assert "#csid: 0 0 0 2" in per_utt


def test_unknown_hyp_key_names_file_and_key(tmp_path) -> None:
    (tmp_path / "text").write_text("u1 a\n", encoding="utf-8")
    (tmp_path / "hyp").write_text("u1 a\nu9 b\nu8 c\n", encoding="utf-8")
    with pytest.raises(SpeechkitError, match="'u9'") as err:
        score_asr(tmp_path / "text", tmp_path / "hyp", tmp_path / "dec")
    assert err.value.path == str(tmp_path / "hyp")
    assert not (tmp_path / "dec" / "scores.json").exists()
