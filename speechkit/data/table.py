"""Read and write Kaldi table files (``key value...`` per line, keys sorted bytewise).

Two readers: ``scan_table`` keeps every line with its number, problems included, for ``data validate``;
``read_table`` is the strict one that every other stage uses and that stops at the first problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import atomic_path


@dataclass(frozen=True)
class TableLine:
    """One line of a table file; ``utf8_ok`` is False when the bytes were not valid UTF-8."""

    lineno: int
    key: str
    value: str
    utf8_ok: bool = True


def byte_key(key: str) -> bytes:
    """Sort key matching ``LC_ALL=C sort``: plain byte order of the UTF-8 encoding."""
    return key.encode("utf-8", errors="surrogateescape")


def is_safe_key(key: str) -> bool:
    """True if ``key`` can name a file inside a directory: no path separator or NUL, not ``.`` or ``..``."""
    return key not in (".", "..") and not any(c in key for c in "/\\\0")


def key_file(directory: str | Path, key: str, suffix: str) -> Path:
    """``directory/<key><suffix>``, refusing a key that would name a file elsewhere (``../../x``, ``a/b``)."""
    if not is_safe_key(key):
        raise SpeechkitError(directory, f"utterance id {key!r} cannot name a file here (it has a path separator or is "
                                        "'.' or '..'): rename it; `speechkit data validate` lists such ids")
    return Path(directory) / f"{key}{suffix}"


def scan_table(path: str | Path) -> Iterator[TableLine]:
    """Yield every non-blank line of ``path`` as a :class:`TableLine`, never raising on content."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                line, ok = raw.decode("utf-8"), True
            except UnicodeDecodeError:
                line, ok = raw.decode("utf-8", errors="replace"), False
            parts = line.strip().split(maxsplit=1)
            yield TableLine(lineno, parts[0], parts[1] if len(parts) > 1 else "", ok)


def read_table(path: str | Path, *, allow_empty: bool = False) -> dict[str, str]:
    """Read ``path`` into an ordered ``{key: value}``; raise :class:`SpeechkitError` on the first bad line.

    Bad lines are non-UTF-8 bytes, a repeated key, or (unless ``allow_empty``) a key with no value.
    """
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, "file not found")
    table: dict[str, str] = {}
    for line in scan_table(path):
        where = f"line {line.lineno} (key {line.key!r})"
        if not line.utf8_ok:
            raise SpeechkitError(path, f"{where} is not valid UTF-8")
        if line.key in table:
            raise SpeechkitError(path, f"{where} repeats a key")
        if not line.value and not allow_empty:
            raise SpeechkitError(path, f"{where} has no value")
        table[line.key] = line.value
    return table


def write_table(path: str | Path, items: Iterable[tuple[str, str]] | dict[str, str]) -> None:
    """Write ``key value`` lines to ``path`` atomically, sorted bytewise by key."""
    pairs = items.items() if isinstance(items, dict) else items
    lines = sorted(pairs, key=lambda kv: byte_key(kv[0]))
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            for key, value in lines:
                f.write(f"{key} {value}\n" if value != "" else f"{key}\n")
