"""`speechkit decode --lm`: tuning alpha/beta on valid, reusing them on test, and one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from speechkit.data.table import read_table, scan_table


def uniform_arpa(words: list[str], path: Path) -> Path:
    """An ARPA bigram file giving every word the same probability: enough to drive the decoder."""
    lines = ["\\data\\", f"ngram 1={len(words) + 3}", "ngram 2=1", "", "\\1-grams:", "-99\t<s>\t0", "-1\t</s>\t0",
             "-2\t<unk>\t0", *(f"-1\t{w}\t0" for w in words), "", "\\2-grams:", f"-0.5\t<s> {words[0]}", "",
             "\\end\\", ""]  # fmt: skip
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="module")
def recipe(tiny_recipe: Path, tmp_path_factory: pytest.TempPathFactory, cli) -> Path:
    """A copy of the tiny FSC recipe with a one-epoch model in exp/slu and an LM of its words in lm.arpa."""
    recipe = tmp_path_factory.mktemp("decode") / "recipe"
    shutil.copytree(tiny_recipe, recipe)
    res = cli("train", "--recipe", recipe, "train.epochs=1", "train.keep_best=1")
    assert res.returncode == 0, res.stderr
    words = sorted({line.key for line in scan_table(recipe / "data" / "lang" / "lexicon.txt")})
    uniform_arpa(words, recipe / "lm.arpa")
    return recipe


def test_tune_on_valid_then_decode_test_with_the_winner(recipe: Path, cli) -> None:
    exp, data = recipe / "exp" / "slu", recipe / "data"
    res = cli("decode", "--model", exp, "--data", data / "valid", "--lm", recipe / "lm.arpa", "--tune",
              "--alphas", "0,1", "--betas", "0,2", "--nj", "2")  # fmt: skip
    assert res.returncode == 0, res.stderr
    tune = json.loads((exp / "decode_valid_tune" / "tune.json").read_text())
    assert [(p["alpha"], p["beta"]) for p in tune["grid"]] == [(0, 0), (0, 2), (1, 0), (1, 2)]
    assert tune["best"] in tune["grid"] and "best alpha=" in res.stdout and "WER" in res.stdout
    hyps = read_table(exp / "decode_valid_tune" / "text", allow_empty=True)
    assert set(hyps) == set(read_table(data / "valid" / "text"))

    tuned = exp / "decode_valid_tune" / "tune.json"
    res = cli("decode", "--model", exp, "--data", data / "test", "--lm", recipe / "lm.arpa",
              "--alpha-beta-from", tuned, "--nbest", "2", "--beam", "4")  # fmt: skip
    assert res.returncode == 0, res.stderr
    best = tune["best"]
    assert f"alpha={best['alpha']:g} beta={best['beta']:g}" in res.stdout
    out = exp / "decode_test_lm"
    utts = set(read_table(data / "test" / "text"))
    assert set(read_table(out / "text", allow_empty=True)) == utts
    assert {k.rsplit("-", 1)[0] for k in read_table(out / "nbest", allow_empty=True)} == utts
    greedy = cli("decode", "--model", exp, "--data", data / "test")
    assert greedy.returncode == 0, greedy.stderr
    assert read_table(out / "utt2intent") == read_table(exp / "decode_test" / "utt2intent")  # intents: same head


@pytest.mark.parametrize("case", ["malformed", "other_words", "alpha"])
def test_bad_lm_inputs_are_one_error_line(recipe: Path, tmp_path: Path, case: str, cli) -> None:
    lm = recipe / "lm.arpa"
    extra: list[str] = []
    if case == "malformed":
        lm = tmp_path / "bad.arpa"
        lm.write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n")
    elif case == "other_words":
        lm = uniform_arpa(["bonjour", "merci"], tmp_path / "fr.arpa")
    else:
        extra = ["--alpha", "12"]
    res = cli("decode", "--model", recipe / "exp" / "slu", "--data", recipe / "data" / "test", "--lm", lm,
              "--out", tmp_path / "out", *extra)  # fmt: skip
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    expected = {
        "malformed": f"error: {lm}: not a readable ARPA or KenLM binary file",
        "other_words": f"error: {lm}: the LM knows none of the",
        "alpha": "error: LM weight alpha=12 is out of range: use 0 <= alpha <= 10",
    }[case]
    assert res.stderr.startswith(expected), res.stderr
    assert not (tmp_path / "out" / "text").exists()
