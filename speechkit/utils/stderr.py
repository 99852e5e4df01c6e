"""Silence what C libraries print to file descriptor 2, which Python's own redirection cannot catch."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block: KenLM's loading chatter, mpg123's warnings on a broken
    MP3. The error we raise instead says what matters, on one line."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
