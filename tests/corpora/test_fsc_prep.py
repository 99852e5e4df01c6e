"""`prep fsc` reads any corpus in the FSC layout and fails cleanly on broken ones."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from speechkit.corpora.fsc import prepare_fsc
from speechkit.data.datadir import load_data_dir


def rewrite_csv(root: Path, split: str, fn) -> None:
    path = root / "data" / f"{split}_data.csv"
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(fn(rows))


def test_prep_writes_all_splits_with_intents(tiny_fsc: Path, tmp_path: Path) -> None:
    counts = prepare_fsc(tiny_fsc, tmp_path / "data")
    assert counts == {"train": 16, "valid": 8, "test": 8}
    utts = load_data_dir(tmp_path / "data" / "test", extra=["utt2intent"])
    for u in utts:
        assert u.utt.startswith(u.spk + "-")
        action, obj, location = u.extra["utt2intent"].split("|")
        assert action and obj and location
        assert u.text == u.text.lower() and "," not in u.text
    assert (tmp_path / "data" / "train" / "spk2utt").read_text().count("\n") == 2


def test_prep_reads_foreign_csv_variants(tiny_fsc: Path, tmp_path: Path) -> None:
    """Reordered and extra columns, quoted commas, absolute paths, speaker ids with unsafe characters."""
    root = tmp_path / "corpus"
    shutil.copytree(tiny_fsc, root)

    def mangle(rows: list[list[str]]) -> list[list[str]]:
        header, body = rows[0], rows[1:]
        out = [["speakerId", "extra", "transcription", "path", "location", "object", "action", ""]]
        for r in body:
            rec = dict(zip(header, r))
            out.append([rec["speakerId"] + " #1", "x", "Well, " + rec["transcription"], str(root / rec["path"]),
                        rec["location"], rec["object"], rec["action"], rec[""]])  # fmt: skip
        return out

    rewrite_csv(root, "valid", mangle)
    prepare_fsc(root, tmp_path / "data")
    utts = load_data_dir(tmp_path / "data" / "valid", extra=["utt2intent"])
    assert len(utts) == 8
    assert all(u.spk.endswith("_1") and " " not in u.spk and u.text.startswith("well ") for u in utts)
    assert all(Path(u.wav).is_file() for u in utts)


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda p: p.write_text(p.read_text()[: p.read_text().rindex(",")]), "missing location"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe" * 40), "not UTF-8"),
        (lambda p: p.write_text(',path,speakerId\n0,"wavs/x.wav\n'), "header lacks"),
    ],
    ids=["truncated", "binary", "bad-header"],
)
def test_broken_csv_fails_with_one_line_and_no_output(
    tiny_fsc: Path, tmp_path: Path, corrupt, message: str, cli
) -> None:
    root = tmp_path / "corpus"
    shutil.copytree(tiny_fsc, root)
    corrupt(root / "data" / "test_data.csv")
    res = cli("prep", "fsc", "--corpus-root", str(root), "--out", str(tmp_path / "data"))
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "test_data.csv" in lines[0] and message in lines[0], res.stderr
    assert not (tmp_path / "data").exists()


def test_missing_corpus_root_fails_cleanly(tmp_path: Path, cli) -> None:
    res = cli("prep", "fsc", "--corpus-root", str(tmp_path / "nope"), "--out", str(tmp_path / "data"))
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope'}: corpus root not found (give the "
                                               "directory that holds the corpus)"]  # fmt: skip
    assert not (tmp_path / "data").exists()
