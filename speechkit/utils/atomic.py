"""Write files and directories under a temporary name and rename them when complete.

An interrupted or failed stage must never leave output that looks finished; ``os.replace`` of a fully written
temporary is atomic on POSIX, so readers see either the old output or the new one.

A directory is replaced only if speechkit wrote it: every finished directory carries a ``.speechkit`` marker, and
a non-empty directory without one (a user's folder, the current directory) is refused rather than deleted.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from speechkit.errors import SpeechkitError

OWNED = ".speechkit"
"""Marker file in every directory :func:`atomic_dir` wrote: only such directories may be replaced."""

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    Example::

        with atomic_path("exp/x/model.pt") as tmp:
            torch.save(state, tmp)
    """
    path = Path(path)
    if path.is_dir():
        raise SpeechkitError(path, "is a directory: give a file name")
    make_parent(path)
    try:
        sweep_stale(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _unwritable(path.parent, e) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; finished files get the usual mode
        os.replace(tmp_path, path)
    except OSError as e:
        if e.errno in _DISK_FULL:
            raise SpeechkitError(path, f"{os.strerror(e.errno)}: nothing written, the previous file is intact") from None
        raise
    finally:
        tmp_path.unlink(missing_ok=True)


def sweep_stale(path: Path) -> None:
    """Remove the temporaries of ``path`` that a killed run left (``.<name>.<pid>.<random>.tmp`` whose process is
    gone), so that a re-run after SIGKILL leaves no trace of the interrupted one."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = stale.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_parent(path: Path) -> None:
    """Create ``path``'s parent directories; one of them being a file is a user error, not a traceback."""
    for parent in [path.parent, *path.parent.parents]:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise SpeechkitError(parent, "exists and is not a directory")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _unwritable(path.parent, e) from None


def _unwritable(where: Path, e: OSError) -> Exception:
    """A directory we cannot write into (permissions, a read-only or full file system) as one line; other OS
    errors stay what they are."""
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS, *_DISK_FULL):
        return SpeechkitError(where, f"cannot write here: {os.strerror(e.errno)}")
    return e


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_dir(path: str | Path, adopt: bool = False) -> Iterator[Path]:
    """Yield an empty temporary directory that replaces ``path`` when the block succeeds.

    An existing ``path`` is removed only after the new one is complete, and only if it is empty or speechkit wrote
    it (``adopt=True`` accepts any directory, for commands that rewrite the user's own, backed-up data dir); on
    failure the temporary is deleted and ``path`` is left as it was.
    """
    path = Path(os.path.abspath(path))
    check_replaceable(path, adopt)
    make_parent(path)
    try:
        sweep_stale(path)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent))
    except OSError as e:
        raise _unwritable(path.parent, e) from None
    try:
        try:
            yield tmp
        except OSError as e:
            if e.errno in _DISK_FULL:
                raise SpeechkitError(path, f"{os.strerror(e.errno)}: nothing written, the previous output is "
                                           "intact") from None
            raise
        (tmp / OWNED).write_text("written by speechkit: it may replace this directory\n", encoding="utf-8")
        os.chmod(tmp, 0o777 & ~_UMASK)
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_replaceable(path: Path, adopt: bool = False) -> None:
    """Refuse to replace a file, the working directory or one above it, or a user's non-empty directory."""
    if not path.exists() and not path.is_symlink():
        return
    if not path.is_dir() or path.is_symlink():
        raise SpeechkitError(path, "exists and is not a directory: choose another output directory")
    if Path.cwd() == path or path in Path.cwd().parents:
        raise SpeechkitError(path, "is the current directory or contains it: choose a new output directory")
    if adopt or (path / OWNED).is_file() or not any(path.iterdir()):
        return
    raise SpeechkitError(
        path, f"is a non-empty directory speechkit did not write (no {OWNED} marker): refusing to replace it; "
        "choose a new output directory or remove this one yourself")
