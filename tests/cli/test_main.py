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


def test_version_is_the_installed_package_version(cli) -> None:
    from importlib.metadata import version

    res = cli("--version")
    assert res.returncode == 0 and res.stdout == f"speechkit {version('speechkit')}\n"


def test_shell_completion_completes_commands_and_options(cli) -> None:
    """What `--install-completion` wires into bash: the shell asks the command itself for completions."""
    commands = cli(_SPEECHKIT_COMPLETE="complete_bash", COMP_WORDS="speechkit dec", COMP_CWORD="1")
    options = cli(_SPEECHKIT_COMPLETE="complete_bash", COMP_WORDS="speechkit decode --au", COMP_CWORD="2")
    assert commands.stdout.split() == ["decode"] and options.stdout.split() == ["--audio"]
    assert "--install-completion" in cli("--help", COLUMNS="200").stdout


def test_readme_use_a_trained_model_commands_use_real_options(cli) -> None:
    """Every option the README's "Use a trained model" block shows exists on that command (the commands themselves
    run in tests/decode/test_cli_decode.py and tests/tts/test_fastspeech2_recipe.py)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("## Use a trained model", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].split() for line in block.splitlines() if line.startswith("speechkit ")]
    assert len(commands) == 7
    for words in commands:
        sub = [w for w in words[1:2] if not w.startswith("-")]
        helptext = cli(*sub, "--help", COLUMNS="200").stdout
        for option in (w for w in words[1:] if w.startswith("--")):
            assert option in helptext, f"`{' '.join(words)}`: {option} is not an option of speechkit {' '.join(sub)}"
