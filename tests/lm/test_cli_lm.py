"""`speechkit lm`: train, ppl and binary from the command line; user errors as one `error:` line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest


def _only_venv_on_path() -> str:
    """A PATH with the speechkit script but without KenLM's programs."""
    script = subprocess.run(["which", "speechkit"], capture_output=True, text=True, check=True).stdout.strip()
    return f"{Path(script).parent}:/usr/bin:/bin"


@pytest.mark.parametrize("command", ["train", "words", "ppl", "binary"])
def test_every_lm_command_has_help_with_examples(command: str, cli) -> None:
    res = cli("lm", command, "--help")
    assert res.returncode == 0 and "Examples" in res.stdout and f"speechkit lm {command}" in res.stdout


def test_train_on_tiny_text_warns_about_the_fallback_then_ppl_matches_kenlm_query(
    tiny_text: Path, query: Path, tmp_path: Path, cli
) -> None:
    arpa = tmp_path / "lm.arpa"
    res = cli("lm", "train", "--text", str(tiny_text), "--order", "2", "--out", str(arpa), "--builtin")
    assert res.returncode == 0, res.stderr
    warnings = [line for line in res.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "fallback discounts D1=0.5 D2=1.0 D3+=1.5" in warnings[0]
    assert "built-in estimator" in res.stderr
    test = tmp_path / "test.txt"
    test.write_text("a b a\nb zz\n")
    res = cli("lm", "ppl", "--lm", str(arpa), "--text", str(test))
    assert res.returncode == 0, res.stderr
    got = dict(line.split("\t")[:2] for line in res.stdout.splitlines())
    assert (got["sentences"], got["words"], got["oovs"]) == ("2", "5", "1")
    with test.open() as f:  # KenLM's own figures for the same model
        out = subprocess.run([str(query), "-v", "summary", str(arpa)], stdin=f, capture_output=True, text=True).stdout
    assert float(got["ppl"]) == pytest.approx(float(re.search(r"including OOVs:\s*(\S+)", out)[1]), rel=1e-4)
    assert float(got["ppl_no_oov"]) == pytest.approx(float(re.search(r"excluding OOVs:\s*(\S+)", out)[1]), rel=1e-4)


def test_train_with_lmplz_and_binary(lj_text: Path, lmplz: Path, build_binary: Path, tmp_path: Path, cli) -> None:
    arpa, binary = tmp_path / "lm.arpa", tmp_path / "lm.bin"
    res = cli(
        "lm", "train", "--text", str(lj_text), "--order", "3", "--out", str(arpa), "--lmplz", str(lmplz),
        "--binary", str(binary), "--build-binary", str(build_binary),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "lmplz" in res.stderr and "warning" not in res.stderr
    assert binary.read_bytes().startswith(b"mmap lm ")
    from_arpa = cli("lm", "ppl", "--lm", str(arpa), "--text", str(lj_text)).stdout
    assert from_arpa and from_arpa == cli("lm", "ppl", "--lm", str(binary), "--text", str(lj_text)).stdout


def _one_error_line(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 1 and "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    return lines[0]


def test_ppl_on_a_malformed_arpa_names_file_and_line(tiny_text: Path, tmp_path: Path, cli) -> None:
    arpa = tmp_path / "bad.arpa"
    arpa.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-x\tb\n\n\\end\\\n")
    line = _one_error_line(cli("lm", "ppl", "--lm", str(arpa), "--text", str(tiny_text)))
    assert f"{arpa}: line 7: probability '-x' is not a number" in line


def test_binary_without_build_binary_says_how_to_get_it(tiny_text: Path, tmp_path: Path, cli) -> None:
    arpa = tmp_path / "lm.arpa"
    assert cli("lm", "train", "--text", str(tiny_text), "--out", str(arpa), "--builtin").returncode == 0
    line = _one_error_line(
        cli("lm", "binary", "--arpa", str(arpa), "--out", str(tmp_path / "b"), PATH=_only_venv_on_path())
    )
    assert "build_binary not found on PATH" in line and "tools/install_kenlm.sh" in line
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["train", "--text", "{missing}", "--out", "{tmp}/lm.arpa", "--builtin"], "{missing}: cannot read"),
        (["train", "--text", "{text}", "--out", "{tmp}/lm.arpa", "--builtin", "--lmplz", "{text}"], "not both"),
        (["train", "--text", "{text}", "--out", "{tmp}/lm.arpa", "--lmplz", "{text}"], "not an executable lmplz"),
        (["ppl", "--lm", "{missing}", "--text", "{text}"], "{missing}: language model not found"),
        (["train", "--text", "{blank}", "--out", "{tmp}/lm.arpa", "--builtin"], "{blank}: the text has no words"),
        (["train", "--text", "{blank}", "--out", "{tmp}/lm.arpa"], "{blank}: the text has no words"),  # lmplz too
        (["train", "--text", "{text}", "--out", "{tmp}/lm.arpa", "--builtin", "--order", "5"], "no 5-grams"),
        (["train", "--text", "{text}", "--out", "{tmp}/lm.arpa", "--order", "1"], "--order must be 2 to 6, the orders KenLM loads for decoding, got 1"),
        (["train", "--text", "{text}", "--out", "{tmp}/lm.arpa", "--order", "7"], "--order must be 2 to 6, the orders KenLM loads for decoding, got 7"),
        (["ppl", "--lm", "{arpa}", "--text", "{blank}"], "{blank}: has no words to score"),
    ],
)
def test_user_errors_are_one_line(tiny_text: Path, tmp_path: Path, args: list[str], problem: str, cli) -> None:
    (tmp_path / "blank.txt").write_text("\n  \n\n")
    (tmp_path / "short.txt").write_text("one two\nthree\n")
    assert cli("lm", "train", "--text", str(tiny_text), "--out", str(tmp_path / "ok.arpa"), "--builtin").returncode == 0
    fill = {"missing": str(tmp_path / "missing.txt"), "tmp": str(tmp_path), "text": str(tmp_path / "short.txt"),
            "blank": str(tmp_path / "blank.txt"), "arpa": str(tmp_path / "ok.arpa")}
    line = _one_error_line(cli("lm", *(a.format(**fill) for a in args)))
    assert problem.format(**fill) in line
    assert not (tmp_path / "lm.arpa").exists()


def test_words_writes_a_unigram_of_frequent_words_that_kenlm_loads(tmp_path: Path, query: Path, cli) -> None:
    arpa = tmp_path / "en.arpa"
    res = cli("lm", "words", "--top", "2000", "--out", str(arpa))
    assert res.returncode == 0, res.stderr
    import kenlm

    model = kenlm.Model(str(arpa))
    logp = {w: model.score(w, bos=False, eos=False) for w in ("the", "house", "timber", "zzxq")}
    assert model.score("the house", bos=False, eos=False) == pytest.approx(logp["the"] + logp["house"])  # unigram
    assert logp["the"] > logp["house"] > logp["zzxq"]  # frequent words first; an unknown word is the rarest
    assert "timber" not in model and "house" in model  # the top 2000 only
    with arpa.open() as f:  # probabilities of words, <unk> and </s> sum to one
        probs = [10 ** float(line.split("\t")[0]) for line in f if "\t" in line and "<s>" not in line]
    assert abs(sum(probs) - 1.0) < 1e-4


def test_words_names_an_unknown_language(tmp_path: Path, cli) -> None:
    res = cli("lm", "words", "--lang", "xx", "--out", str(tmp_path / "x.arpa"))
    assert res.returncode == 1 and res.stderr.strip() == "error: wordfreq has no word list for language 'xx'"
    assert not (tmp_path / "x.arpa").exists()
