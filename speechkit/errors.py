"""The one exception type for user errors.

A user error is bad input the user can fix (a missing file, wrong sample rate, malformed CSV). The CLI prints it as
one line, ``<file>: <problem>``, and exits non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class SpeechkitError(Exception):
    """Bad user input, reported as ``path: problem`` without a traceback."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return self.problem if self.path is None else f"{self.path}: {self.problem}"
