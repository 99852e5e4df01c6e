"""KenLM loading errors, scores and the state cache."""

from __future__ import annotations

from pathlib import Path

import kenlm
import pytest

from speechkit.decode.lm_scorer import BOS, EOS, LmScorer, arpa_unigrams
from speechkit.errors import SpeechkitError


def test_scores_match_kenlm_and_the_cache_serves_repeats(hello_arpa: Path) -> None:
    lm = LmScorer(hello_arpa)
    assert lm.vocabulary == {"hello", "world", "word"} == arpa_unigrams(hello_arpa)
    total, history = 0.0, BOS
    for w in ["hello", "world", EOS]:
        history, logp, known = lm.score(history, w)
        total += logp
        assert known
    assert total == pytest.approx(kenlm.Model(str(hello_arpa)).score("hello world"), abs=1e-6)
    assert (lm.hits, lm.misses) == (0, 3)
    lm.score(BOS, "hello")
    assert (lm.hits, lm.misses) == (1, 3)
    assert lm.score(BOS, "zebra")[2] is False


@pytest.mark.parametrize(
    ("text", "problem"),
    [("garbage\n", 'first non-empty line was "garbage" not \\data\\'),
     ("\\data\\\n", "End of file (byte 7)"),
     ("\\data\\\nngram 1=3\n\n\\1-grams:\n-1.0\tfoo\n", "assumes at least a bigram model"),
     ("\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\n\\2-grams:\n-1\ta b c\n\\end\\\n",
      "Word a was not seen in the unigrams"),
     ("\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1\t<s>\n-x\t</s>\n", 'parse "-x" into a float')],
)  # fmt: skip
def test_malformed_arpa_is_one_line_naming_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.arpa"
    path.write_text(text)
    with pytest.raises(SpeechkitError) as err:
        LmScorer(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: not a readable ARPA or KenLM binary file") and problem in msg
    assert "\n" not in msg and "lm/" not in msg  # no C++ source locations


def test_missing_lm_and_an_lm_of_other_words(tmp_path: Path, hello_arpa: Path) -> None:
    with pytest.raises(SpeechkitError, match="language model not found"):
        LmScorer(tmp_path / "none.arpa")
    lm = LmScorer(hello_arpa)
    lm.check_covers(["hello", "turn"], "the lexicon")
    with pytest.raises(SpeechkitError) as err:
        lm.check_covers(["turn", "on", "lights"], "the lexicon")
    assert str(err.value) == f"{hello_arpa}: the LM knows none of the 3 words of the lexicon"
