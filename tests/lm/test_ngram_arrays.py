"""ARPA models scored from arrays (inside the compiled beam search) give KenLM's scores and states."""

from __future__ import annotations

from pathlib import Path

import kenlm
import numpy as np
import pytest

from speechkit.lm.kneser_ney import train_arpa
from speechkit.lm.ngram_arrays import NgramArrays, score


@pytest.mark.parametrize("order", [2, 3, 4])
def test_scores_match_kenlm_word_by_word(lj_text: Path, tmp_path: Path, order: int) -> None:
    arpa = tmp_path / "lm.arpa"
    train_arpa([lj_text], order, arpa)
    ours, theirs = NgramArrays.from_arpa(arpa), kenlm.Model(str(arpa))
    assert ours is not None
    words = [w for w in ours.ids if w not in ("<s>", "<unk>")]
    lines = lj_text.read_text().split("\n")[:100]
    rng = np.random.default_rng(order)
    sentences = [line.split() for line in lines if line]  # seen word sequences: the long n-grams are hit
    sentences += [[words[i] for i in rng.integers(0, len(words), 8)] for _ in range(100)]  # mostly backed off
    sentences += [s[:3] + ["qqzx"] + s[3:] for s in sentences[:20]]  # an unknown word: scored as <unk>
    worst = 0.0
    for sentence in sentences:
        state, kstate = ours.bos, kenlm.State()
        theirs.BeginSentenceWrite(kstate)
        for word in [*sentence, "</s>"]:
            out = kenlm.State()
            expected = theirs.BaseScore(kstate, word, out)
            logp, state = score(state, ours.ids.get(word, ours.ids["<unk>"]), *ours.arrays())
            worst = max(worst, abs(logp - expected))
            kstate = out
    assert worst < 1e-5  # KenLM keeps float32 probabilities


def test_a_model_without_unk_gets_kenlms_stand_in(tmp_path: Path) -> None:
    arpa = tmp_path / "lm.arpa"
    arpa.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-1.0\t<s>\n-0.5\t</s>\n-0.3\ta\n\n\\end\\\n")
    ours = NgramArrays.from_arpa(arpa)
    assert ours is not None
    assert score(-1, ours.ids["<unk>"], *ours.arrays())[0] == -100.0
    assert score(-1, ours.ids["a"], *ours.arrays()) == (-0.3, -1)  # a unigram model keeps no history
