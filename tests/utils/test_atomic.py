"""atomic_dir replaces only what speechkit wrote: a user's folder, a file or the working directory is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import OWNED, atomic_dir, write_text_atomic


def _write(out: Path, text: str) -> None:
    with atomic_dir(out) as tmp:
        (tmp / "result").write_text(text, encoding="utf-8")


def test_own_output_is_replaced_and_marked(tmp_path: Path) -> None:
    _write(tmp_path / "out", "first")
    _write(tmp_path / "out", "second")
    assert (tmp_path / "out" / "result").read_text() == "second" and (tmp_path / "out" / OWNED).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_empty_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    _write(tmp_path / "out", "x")
    assert (tmp_path / "out" / "result").read_text() == "x"


def test_a_users_folder_is_refused_and_kept(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.tex").write_text("years of work")
    with pytest.raises(SpeechkitError, match="non-empty directory speechkit did not write"):
        _write(tmp_path / "out", "x")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_adopt_replaces_a_users_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "text").write_text("old")
    with atomic_dir(tmp_path / "out", adopt=True) as tmp:
        (tmp / "text").write_text("new")
    assert (tmp_path / "out" / "text").read_text() == "new"


@pytest.mark.parametrize("where", ["file", "cwd", "parent of cwd", "symlink"])
def test_files_the_working_directory_and_links_are_refused(tmp_path: Path, where: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    if where == "file":
        out.write_text("data")
    else:
        (tmp_path / "real").mkdir()
        if where == "symlink":
            out.symlink_to(tmp_path / "real")
        else:
            _write(out, "ours")  # even speechkit's own output is not replaced while a shell stands in it
            (out / "sub").mkdir()
            monkeypatch.chdir(out if where == "cwd" else out / "sub")
    with pytest.raises(SpeechkitError, match="not a directory|current directory"):
        _write(Path(".") if where == "cwd" else out, "x")
    assert out.is_symlink() or out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_relative_dot_names_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkdir("x")
    with pytest.raises(SpeechkitError) as err:
        _write(Path("."), "x")
    assert str(tmp_path) in str(err.value)


def test_a_file_path_that_is_a_directory_or_under_a_file_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(SpeechkitError, match="dir: is a directory: give a file name"):
        write_text_atomic(tmp_path / "dir", "y")
    for target in (tmp_path / "file" / "out.txt", tmp_path / "file" / "deeper" / "out.txt"):
        with pytest.raises(SpeechkitError, match=f"{tmp_path / 'file'}: exists and is not a directory"):
            write_text_atomic(target, "y")
    with pytest.raises(SpeechkitError, match="exists and is not a directory"):
        _write(tmp_path / "file" / "out", "y")
    assert (tmp_path / "file").read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["dir", "file"]


def test_temporaries_of_a_killed_run_are_swept_by_the_next(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (tmp_path / f".out.{pid}.abc.tmp").mkdir()  # an atomic_dir's temporary
    (tmp_path / f".f.txt.{pid}.xyz.tmp").write_text("half")  # an atomic_path's
    (tmp_path / f".out.{os.getpid()}.live.tmp").mkdir()  # a running process's: kept
    _write(tmp_path / "out", "x")
    write_text_atomic(tmp_path / "f.txt", "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", "f.txt", f".out.{os.getpid()}.live.tmp"])


def test_a_read_only_output_dir_is_one_line(tmp_path: Path) -> None:
    """Commands writing under a read-only file system (a tmpfs mounted ro in a private mount namespace)."""
    (tmp_path / "ref").write_text("u1 a b\n")
    ro = tmp_path / "ro"
    ro.mkdir()
    commands = [f"speechkit score asr --ref {tmp_path}/ref --hyp {tmp_path}/ref --out {ro}/dec",
                f"speechkit prep mini-fsc --out {ro}/fsc --nj 1 --train-speakers 1 --valid-speakers 1 "
                "--test-speakers 1 --phrasings-per-speaker 1",
                f"speechkit lm train --text {tmp_path}/ref --out {ro}/lm.arpa --builtin"]  # fmt: skip
    script = f"mount -t tmpfs -o ro,size=64k tmpfs {ro} && " + " ; ".join(f"{c}; echo rc=$? >&2" for c in commands)
    res = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                         capture_output=True, text=True)  # fmt: skip
    lines = [x for x in res.stderr.strip().splitlines() if x.startswith(("error", "rc="))]
    where = [f"{ro}/dec", f"{ro}", f"{ro}"]
    assert lines == [y for w in where for y in (f"error: {w}: cannot write here: Read-only file system", "rc=1")], \
        res.stderr
