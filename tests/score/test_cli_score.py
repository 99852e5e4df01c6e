"""`speechkit score asr|intent` end to end: files written, table printed, RESULTS.md rows, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from typer.testing import CliRunner

from speechkit.cli import app

runner = CliRunner()


def _files(tmp_path, ref: str, hyp: str):
    (tmp_path / "ref").write_text(ref, encoding="utf-8")
    (tmp_path / "hyp").write_text(hyp, encoding="utf-8")
    return ["--ref", str(tmp_path / "ref"), "--hyp", str(tmp_path / "hyp"), "--out", str(tmp_path / "dec")]


def test_asr_writes_scores_prints_table_and_appends_results(tmp_path) -> None:
    args = _files(tmp_path, "u1 turn the lights on\nu2 stop\n", "u1 turn off lights on\nu2 stop\n")
    results = tmp_path / "RESULTS.md"
    for _ in range(2):
        out = runner.invoke(app, ["score", "asr", *args, "--results", str(results)])
        assert out.exit_code == 0, out.output
    scores = json.loads((tmp_path / "dec" / "scores.json").read_text())
    assert scores["wer"] == 20.0 and scores["sub"] == 1 and scores["n_utts"] == 2
    assert "wer" in out.stdout and "20.00" in out.stdout
    assert "HYP: turn off lights on" in (tmp_path / "dec" / "per_utt.txt").read_text(encoding="utf-8")
    lines = results.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "| date | dir | scores |"
    assert len(lines) == 4
    row = re.compile(rf"\| \d{{4}}-\d\d-\d\d \d\d:\d\d \| {re.escape(str(tmp_path / 'dec'))} \| wer=20\.00, cer=.* \|")
    assert all(row.fullmatch(line) for line in lines[2:])


def test_intent_writes_scores_and_warns_about_missing(tmp_path) -> None:
    args = _files(tmp_path, "u1 bring|shoes|none\nu2 activate|lights|kitchen\n", "u1 bring|shoes|none\n")
    out = runner.invoke(app, ["score", "intent", *args])
    assert out.exit_code == 0, out.output
    scores = json.loads((tmp_path / "dec" / "scores.json").read_text())
    assert scores["intent_acc"] == 50.0 and scores["n_missing"] == 1
    assert "1 reference utterances have no hypothesis" in out.stderr
    assert not (tmp_path / "RESULTS.md").exists()


def test_help_has_examples() -> None:
    for command in ("asr", "intent"):
        out = runner.invoke(app, ["score", command, "--help"])
        assert out.exit_code == 0 and "Examples" in out.stdout


def test_unknown_hyp_key_exits_with_one_line_naming_the_file(tmp_path) -> None:
    args = _files(tmp_path, "u1 a b\n", "u1 a b\nzz9 c\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from speechkit.cli import main; main()", "score", "asr", *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "hyp") in lines[0] and "'zz9'" in lines[0]
    assert "Traceback" not in proc.stderr


def test_an_empty_hypothesis_file_or_a_file_as_out_dir_is_one_line(tmp_path) -> None:
    args = _files(tmp_path, "u1 a b\nu2 c\n", "")
    (tmp_path / "taken").write_text("x")
    for argv, problem in [(args, f"{tmp_path / 'hyp'}: has no hypotheses for the 2 reference utterances"),
                          ([*args[:4], "--out", str(tmp_path / "taken")], None)]:
        if problem is None:
            (tmp_path / "hyp").write_text("u1 a b\n")
            problem = f"{tmp_path / 'taken'}: exists and is not a directory"
        proc = subprocess.run([sys.executable, "-c", "from speechkit.cli import main; main()", "score", "asr", *argv],
                              capture_output=True, text=True)  # fmt: skip
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"error: {problem}"), proc.stderr
    assert not (tmp_path / "dec").exists() and (tmp_path / "taken").read_text() == "x"
