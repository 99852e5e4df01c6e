"""`speechkit prep cvss` on the tiny mini corpus: the data dirs, and one clear line (or a named drop) per bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speechkit.data.datadir import load_data_dir
from speechkit.data.table import read_table
from speechkit.data.validate import validate_data_dir


@pytest.fixture()
def corpus(tiny_cvss: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny corpus (tests break it)."""
    return Path(shutil.copytree(tiny_cvss, tmp_path / "corpus"))


def prep(cli, corpus: Path, out: Path):
    return cli("prep", "cvss", "--corpus-root", corpus / "cvss", "--source-root", corpus / "cv", "--out", out)


def test_source_and_target_sides(tiny_cvss: Path, tmp_path: Path, cli) -> None:
    res = prep(cli, tiny_cvss, tmp_path / "data")
    assert res.returncode == 0, res.stderr
    assert "train: 24, dev: 6, test: 6" in res.stderr
    for split, n in (("train", 24), ("dev", 6), ("test", 6)):
        source = load_data_dir(tmp_path / "data" / split, extra=["text.es", "text.en", "wav.scp.en"])
        target = load_data_dir(tmp_path / "data" / f"{split}_en")
        assert len(source) == len(target) == n and [u.utt for u in source] == [u.utt for u in target]
        for s, t in zip(source, target):
            assert s.wav.endswith(".mp3") and t.wav == s.extra["wav.scp.en"].strip() and t.wav.endswith(".mp3.wav")
            assert s.text == s.extra["text.es"] and t.text == s.extra["text.en"] and s.utt.startswith(s.spk)
            assert s.text == s.text.lower() and "¿" not in s.text and "?" not in t.text
        for d in (split, f"{split}_en"):
            assert validate_data_dir(tmp_path / "data" / d).problems == []
    assert (tmp_path / "data" / "dropped.txt").read_text() == ""


def _one_line(res, *parts: str) -> None:
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 1 and len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    assert all(p in lines[0] for p in parts), lines[0]


def test_a_missing_clip_is_dropped_and_named(corpus: Path, tmp_path: Path, cli) -> None:
    clip = (corpus / "cvss" / "train.tsv").read_text().splitlines()[3].split("\t")[0]
    (corpus / "cv" / "clips" / clip).unlink()
    res = prep(cli, corpus, tmp_path / "data")
    assert res.returncode == 0, res.stderr
    assert "dropped 1 rows" in res.stderr and clip in res.stderr
    assert f"train.tsv:4: {clip}: source clip missing" in (tmp_path / "data" / "dropped.txt").read_text()
    assert len(read_table(tmp_path / "data" / "train" / "wav.scp")) == 23


def test_an_mp3_that_does_not_decode(corpus: Path, tmp_path: Path, cli) -> None:
    clip = (corpus / "cvss" / "dev.tsv").read_text().splitlines()[0].split("\t")[0]
    (corpus / "cv" / "clips" / clip).write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 4)
    _one_line(prep(cli, corpus, tmp_path / "data"), clip, "cannot decode audio")
    assert not (tmp_path / "data").exists()


def test_a_target_at_another_sample_rate(corpus: Path, tmp_path: Path, cli) -> None:
    clip = (corpus / "cvss" / "test.tsv").read_text().splitlines()[2].split("\t")[0]
    sf.write(corpus / "cvss" / "test" / f"{clip}.wav", np.zeros(16000, np.float32), 16000)
    _one_line(prep(cli, corpus, tmp_path / "data"), f"{clip}.wav", "sample rate 16000 Hz", "24000 Hz")
    assert not (tmp_path / "data").exists()


def test_a_row_with_a_missing_column(corpus: Path, tmp_path: Path, cli) -> None:
    tsv = corpus / "cvss" / "dev.tsv"
    lines = tsv.read_text().splitlines()
    lines[1] = lines[1].split("\t")[0]
    tsv.write_text("\n".join(lines) + "\n")
    _one_line(prep(cli, corpus, tmp_path / "data"), "dev.tsv:2", "both columns")
    validated = corpus / "cv" / "validated.tsv"
    validated.write_text(validated.read_text().replace("client_id\t", "client\t", 1))
    _one_line(prep(cli, corpus, tmp_path / "data"), "validated.tsv", "client_id")
