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


def read_lines(path: Path, missing: str) -> list[str]:
    """The lines of the UTF-8 text file ``path``; ``missing`` says what the absent file is (a user error)."""
    if not path.is_file():
        raise SpeechkitError(path, missing)
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise SpeechkitError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
