"""What every corpus preparer needs: a checked corpus root and audio paths resolved against it."""

from __future__ import annotations

from pathlib import Path

from speechkit.errors import SpeechkitError


def corpus_root(root: str | Path) -> Path:
    """``root`` as an absolute path, or :class:`SpeechkitError` when it is not a directory."""
    path = Path(root).expanduser()
    if not path.is_dir():
        raise SpeechkitError(path, "corpus root not found (give the directory that holds the corpus)")
    return path.resolve()


def resolve_audio(root: Path, listed: str, where: str) -> str:
    """The absolute path of audio listed as ``listed`` (absolute, or relative to ``root``); must exist."""
    path = Path(listed.strip())
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise SpeechkitError(where, f"audio file {path} not found")
    return str(path)
