"""ARPA reading and writing: round trip, and malformed files rejected with the line of the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from speechkit.errors import SpeechkitError
from speechkit.lm.arpa import read_arpa, validate_arpa, write_arpa

GOOD = """\
\\data\\
ngram 1=5
ngram 2=3

\\1-grams:
-0.90309\t<unk>\t0
0\t<s>\t-0.30103
-0.5720968\t</s>
-0.46943438\ta\t-0.30103
-0.5720968\tb\t-0.30103

\\2-grams:
-0.2984526\t<s> a
-0.58682007\ta </s>
-0.33043963\tb </s>

\\end\\
"""


def _arpa(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lm.arpa"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_reads_and_writes_back_the_same_model(tmp_path: Path) -> None:
    lm = read_arpa(_arpa(tmp_path, GOOD))
    assert lm.counts == [5, 3] and lm.ngrams[1][("a", "</s>")] == (-0.58682007, 0.0)
    assert lm.logprob(["<s>", "a"]) == -0.2984526
    assert lm.logprob(["a", "b"]) == pytest.approx(-0.30103 - 0.5720968)  # backed off
    assert lm.logprob(["b", "zzz"]) == pytest.approx(-0.30103 - 0.90309)  # OOV scored as <unk>
    write_arpa(tmp_path / "copy.arpa", lm)
    copy = read_arpa(tmp_path / "copy.arpa")  # numbers written with 7 significant digits
    for grams, copied in zip(lm.ngrams, copy.ngrams, strict=True):
        assert copied.keys() == grams.keys()
        for gram, (prob, backoff) in grams.items():
            assert copied[gram] == pytest.approx((prob, backoff), rel=1e-6)
    assert validate_arpa(tmp_path / "copy.arpa") == [5, 3]


def test_backoffs_are_written_only_for_contexts(tmp_path: Path) -> None:
    write_arpa(tmp_path / "copy.arpa", read_arpa(_arpa(tmp_path, GOOD)))
    lines = (tmp_path / "copy.arpa").read_text().splitlines()
    assert "-0.90309\t<unk>" in lines and "-0.5720968\t</s>" in lines  # extended by no 2-gram
    assert "0\t<s>\t-0.30103" in lines and "-0.5720968\tb\t-0.30103" in lines


def _edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


MALFORMED = {
    "no header": ("ngram 1=5\n" + GOOD, 1, "expected the \\data\\ header"),
    "bad count line": (_edit("ngram 2=3", "ngram 2 3"), 3, "expected 'ngram 2=count', got 'ngram 2 3'"),
    "orders out of sequence": (_edit("ngram 2=3", "ngram 3=3"), 3, "expected 'ngram 2=count'"),
    "fewer entries than declared": (
        _edit("ngram 2=3", "ngram 2=4"),
        12,
        "\\2-grams: has 3 entries but the header says 4",
    ),
    "section out of order": (_edit("\\2-grams:", "\\3-grams:"), 12, "expected \\2-grams:"),
    "probability not a number": (_edit("-0.2984526\t<s> a", "x\t<s> a"), 13, "probability 'x' is not a number"),
    "positive probability": (_edit("-0.2984526\t<s> a", "0.5\t<s> a"), 13, "log10 probability 0.5 is above 0"),
    "backoff not a number": (_edit("\ta\t-0.30103", "\ta\tnan"), 9, "backoff 'nan' is not a number"),
    "backoff at the top order": (_edit("\tb </s>", "\tb </s>\t-0.1"), 15, "expected a log10 probability, 2 words, got"),
    "too few fields": (
        _edit("-0.46943438\ta\t-0.30103", "-0.46943438"),
        9,
        "expected a log10 probability, 1 word and an optional backoff",
    ),
    "unknown word": (_edit("\tb </s>", "\tc </s>"), 15, "word 'c' is not in the \\1-grams: section"),
    "duplicate": (_edit("\tb </s>", "\ta </s>"), 15, "duplicate 2-gram 'a </s>'"),
    "no sentence start": (_edit("0\t<s>\t-0.30103", "0\tc\t-0.30103"), 5, "<s> is not in the \\1-grams: section"),
    "no end marker": (GOOD.replace("\\end\\\n", ""), 17, "file ends where \\end\\ was expected"),
    "junk instead of end": (GOOD.replace("\\end\\", "\\fin\\"), 17, "expected \\end\\, got '\\\\fin\\\\'"),
    "not UTF-8": (None, 9, "not UTF-8 text"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_files_name_the_line(tmp_path: Path, case: str) -> None:
    text, line, problem = MALFORMED[case]
    if text is None:
        path = tmp_path / "lm.arpa"
        path.write_bytes(GOOD.encode().replace(b"\ta\t", b"\t\xff\t"))
    else:
        path = _arpa(tmp_path, text)
    with pytest.raises(SpeechkitError) as info:
        read_arpa(path)
    assert info.value.path == str(path)
    assert info.value.problem.startswith(f"line {line}: ") and problem in info.value.problem, info.value.problem


def test_a_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(SpeechkitError, match="language model not found"):
        read_arpa(tmp_path / "none.arpa")
