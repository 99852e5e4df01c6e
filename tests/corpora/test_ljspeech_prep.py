"""`prep ljspeech`: deterministic splits, TextGrid listing, clean failures."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from speechkit.corpora.ljspeech import prepare_ljspeech
from speechkit.data.table import read_table


def test_splits_are_deterministic_and_disjoint(tiny_lj: Path, tmp_path: Path) -> None:
    a = prepare_ljspeech(tiny_lj, tmp_path / "a", textgrids=tiny_lj / "textgrids", dev=0.1, test=0.1)
    prepare_ljspeech(tiny_lj, tmp_path / "b", dev=0.1, test=0.1)
    assert a == {"train": 10, "dev": 1, "test": 1}
    keys = {s: set(read_table(tmp_path / "a" / s / "text")) for s in a}
    assert keys["train"].isdisjoint(keys["test"]) and keys["dev"].isdisjoint(keys["test"])
    for s in a:
        assert (tmp_path / "a" / s / "text").read_text() == (tmp_path / "b" / s / "text").read_text()
    scp = read_table(tmp_path / "a" / "test" / "textgrid.scp")
    assert all(Path(p).is_file() and p.endswith(f"{k}.TextGrid") for k, p in scp.items())
    text = read_table(tmp_path / "a" / "train" / "text")
    assert all(v == v.lower() and "." not in v for v in text.values())


def test_metadata_line_with_missing_field_fails_cleanly(tiny_lj: Path, tmp_path: Path) -> None:
    root = tmp_path / "lj"
    shutil.copytree(tiny_lj, root)
    lines = (root / "metadata.csv").read_text().splitlines()
    lines[4] = lines[4].rsplit("|", 1)[0]
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    res = subprocess.run(["speechkit", "prep", "ljspeech", "--corpus-root", str(root), "--out", str(tmp_path / "d")],
                         capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        f"error: {root / 'metadata.csv'}:5: expected 'id|text|normalized text' with all three fields"
    ]
    assert not (tmp_path / "d").exists()


def test_missing_textgrid_is_named(tiny_lj: Path, tmp_path: Path) -> None:
    tg = tmp_path / "tg"
    shutil.copytree(tiny_lj / "textgrids", tg)
    (tg / "LJ001-0003.TextGrid").unlink()
    res = subprocess.run(["speechkit", "prep", "ljspeech", "--corpus-root", str(tiny_lj), "--textgrids", str(tg),
                          "--out", str(tmp_path / "d")], capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 1 and "LJ001-0003" in res.stderr and not (tmp_path / "d").exists()
