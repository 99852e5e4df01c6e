"""The CLI contract: help everywhere, user errors as one line, tracebacks only with --verbose."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "command",
    [["prep", "mini-fsc"], ["prep", "mini-ljspeech"], ["prep", "fsc"], ["prep", "ljspeech"], ["prep", "lang"],
     ["data", "validate"], ["data", "fix"], ["train"], ["decode"], ["score", "asr"], ["score", "intent"]],
)  # fmt: skip
def test_every_command_has_help_with_examples(command: list[str], cli) -> None:
    res = cli(*command, "--help")
    assert res.returncode == 0 and "Examples" in res.stdout and "speechkit " + command[0] in res.stdout


def test_user_error_is_one_line_and_verbose_shows_the_traceback(tmp_path: Path, cli) -> None:
    missing = tmp_path / "nope"
    quiet = cli("prep", "ljspeech", "--corpus-root", str(missing), "--out", str(tmp_path / "d"))
    assert quiet.returncode == 1 and len(quiet.stderr.strip().splitlines()) == 1
    assert str(missing) in quiet.stderr and "Traceback" not in quiet.stderr
    loud = cli("--verbose", "prep", "ljspeech", "--corpus-root", str(missing), "--out", str(tmp_path / "d"))
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "SpeechkitError" in loud.stderr
