"""`speechkit data combine`: the union of data dirs, validated, with only the task files every input has."""

from __future__ import annotations

import shutil
from pathlib import Path

from speechkit.data.datadir import load_data_dir
from speechkit.data.table import read_table, write_table


def _renamed(src: Path, dst: Path, prefix: str) -> Path:
    """A copy of data dir ``src`` at ``dst`` whose speaker and utterance ids start with ``prefix``."""
    dst.mkdir()
    for name in ("wav.scp", "text", "utt2spk", "utt2intent", "durations"):
        table = read_table(src / name)
        write_table(dst / name, {prefix + k: (prefix + v if name == "utt2spk" else v) for k, v in table.items()})
    spk = read_table(dst / "utt2spk")
    write_table(dst / "spk2utt", {s: " ".join(sorted(u for u in spk if spk[u] == s)) for s in set(spk.values())})
    return dst


def test_combine_unions_utterances_and_keeps_common_task_files(data_dir: Path, tmp_path: Path, cli) -> None:
    other = _renamed(data_dir, tmp_path / "other", "x")
    out = tmp_path / "all"
    res = cli("data", "combine", str(out), str(data_dir), str(other))
    assert res.returncode == 0, res.stderr
    assert "8 utterances from 2 directories" in res.stdout
    assert "not kept (some inputs lack them): utt2num_frames" in res.stdout  # only the first input has it
    utts = load_data_dir(out, extra=["utt2intent", "durations"])
    assert sorted(u.utt for u in utts) == sorted(u.utt for u in load_data_dir(data_dir) + load_data_dir(other))
    assert not (out / "utt2num_frames").exists()
    assert cli("data", "validate", str(out)).returncode == 0


def test_combine_refuses_a_repeated_utterance_and_writes_nothing(data_dir: Path, tmp_path: Path, cli) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(data_dir, twin)
    res = cli("data", "combine", str(tmp_path / "all"), str(data_dir), str(twin))
    assert res.returncode == 1
    assert res.stderr.strip() == f"error: {twin}: utterance id 'spk1-u1' is also in {data_dir}"
    assert not (tmp_path / "all").exists()


def test_combine_names_a_missing_input(data_dir: Path, tmp_path: Path, cli) -> None:
    res = cli("data", "combine", str(tmp_path / "all"), str(data_dir), str(tmp_path / "nope"))
    assert res.returncode == 1 and res.stderr.strip() == f"error: {tmp_path / 'nope'}: data directory not found"
