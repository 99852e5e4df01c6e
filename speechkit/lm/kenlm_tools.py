"""Run KenLM's programs ``lmplz`` and ``build_binary`` when they are installed.

They are optional C++ programs: ``tools/install_kenlm.sh`` builds them into ``tools/kenlm/bin``. Without lmplz,
:mod:`speechkit.lm.kneser_ney` estimates the same model; a binary model has no pure-Python substitute.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import atomic_path

LMPLZ_MEMORY = "20%"  # lmplz's -S: it reserves this much up front (its default, 80%, crowds out everything else)
_FALLBACK_NOTE = re.compile(r"^Substituting fallback discounts for order (\d+): (.*)$", re.M)


def find_tool(name: str, given: Path | None = None) -> Path | None:
    """The program ``given`` (which must be executable), else ``name`` on PATH, else None."""
    if given is not None:
        if not (given.is_file() and os.access(given, os.X_OK)):
            raise SpeechkitError(given, f"not an executable {name} program")
        return given
    found = shutil.which(name)
    return Path(found) if found else None


def require_tool(name: str, given: Path | None = None) -> Path:
    """Like :func:`find_tool`, but a missing program is a user error that says how to get it."""
    tool = find_tool(name, given)
    if tool is None:
        raise SpeechkitError(
            None,
            f"{name} not found on PATH: build it with tools/install_kenlm.sh and add tools/kenlm/bin to PATH, "
            f"or give its path with --{name.replace('_', '-')}",
        )
    return tool


def _run(cmd: list[str], stdin_files: Sequence[Path] = ()) -> str:
    """Run ``cmd``, feeding it ``stdin_files`` one after the other; return its stderr, or fail with its message."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        assert proc.stdin is not None
        try:
            for path in stdin_files:
                with open(path, "rb") as f:
                    last = b"\n"
                    while chunk := f.read(1 << 20):
                        proc.stdin.write(chunk)
                        last = chunk[-1:]
                    if last != b"\n":  # keep the next file's first line a line of its own
                        proc.stdin.write(b"\n")
        except BrokenPipeError:
            pass  # the program stopped early; its exit status and stderr say why
        finally:
            proc.stdin.close()
        proc.wait()
        err.seek(0)
        text = err.read().decode("utf-8", errors="replace")
    if proc.returncode != 0:
        raise SpeechkitError(cmd[0], f"failed (exit status {proc.returncode}): {_reason(text)}")
    return text


def _reason(stderr: str) -> str:
    """KenLM's message from its stderr: the line after its ``<file>:<line> in <function> threw ...`` line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for i, line in enumerate(lines[:-1]):
        if " threw " in line:
            return lines[i + 1]
    return lines[-1] if lines else "no message"


def run_lmplz(lmplz: Path, texts: Sequence[Path], order: int, out: Path) -> list[str]:
    """Estimate an ``order``-gram ARPA file ``out`` with lmplz from ``texts``; return its fallback notes.

    ``--discount_fallback`` is always given, so that tiny text falls back (and says so) as the built-in
    estimator does instead of stopping.
    """
    for text in texts:
        if not Path(text).is_file():
            raise SpeechkitError(text, "text file not found")
    with atomic_path(out) as tmp:
        cmd = [str(lmplz), "-o", str(order), "-S", LMPLZ_MEMORY, "--discount_fallback", "--arpa", str(tmp)]
        stderr = _run(cmd, [Path(t) for t in texts])
    return [
        f"order {int(m.group(1)) + 1}: lmplz used fallback discounts {m.group(2)}"  # lmplz counts orders from 0
        for m in _FALLBACK_NOTE.finditer(stderr)
    ]


def build_binary(tool: Path, arpa: Path, out: Path, kind: str = "probing") -> None:
    """Convert ``arpa`` to KenLM's binary format (``probing`` or ``trie``) at ``out``, atomically."""
    if not arpa.is_file():
        raise SpeechkitError(arpa, "language model not found")
    with atomic_path(out) as tmp:
        _run([str(tool), kind, str(arpa), str(tmp)])
