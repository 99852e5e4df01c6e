"""`speechkit align import` end to end on the mini LJSpeech corpus: prep, import, check against the audio."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import soundfile as sf
from typer.testing import CliRunner

from speechkit.cli import app
from speechkit.data.table import read_table
from speechkit.data.textgrid import SILENCE_LABELS, read_alignment

runner = CliRunner()


def _prep(tiny_lj: Path, out: Path) -> None:
    res = runner.invoke(app, ["prep", "ljspeech", "--corpus-root", str(tiny_lj), "--textgrids",
                              str(tiny_lj / "textgrids"), "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output


def test_import_on_mini_ljspeech_matches_the_audio_and_textgrids(tiny_lj: Path, tmp_path: Path) -> None:
    _prep(tiny_lj, tmp_path / "data")
    for split in ("train", "test"):
        data = tmp_path / "data" / split
        by_folder = ["--textgrids", str(tiny_lj / "textgrids")] if split == "test" else []  # else textgrid.scp
        res = runner.invoke(app, ["align", "import", "--data", str(data), *by_folder])
        assert res.exit_code == 0, res.output
        assert f"durations -> {data}" in res.output and "zero-length phones" in res.output
        wav, durations, phones = (read_table(data / name) for name in ("wav.scp", "durations", "phones"))
        assert list(durations) == list(wav) == list(phones)
        for utt, path in wav.items():
            frames = [int(d) for d in durations[utt].split()]
            tokens = phones[utt].split()
            assert sum(frames) == sf.info(path).frames // 256 and len(frames) == len(tokens)
            aligned = read_alignment(tiny_lj / "textgrids" / f"{utt}.TextGrid")
            spoken = [p.label for p in aligned.phones if p.label not in SILENCE_LABELS]
            assert [t for t in tokens if t != "sil"] == spoken  # ARPAbet with stress digits, as in the file
            assert read_table(data / "frame_range")[utt] == f"0 {sum(frames)}"


def test_trim_through_the_cli(tiny_lj: Path, tmp_path: Path) -> None:
    _prep(tiny_lj, tmp_path / "data")
    data = tmp_path / "data" / "train"
    res = runner.invoke(app, ["align", "import", "--data", str(data), "--edge-silence", "trim"])
    assert res.exit_code == 0, res.output
    durations, ranges, phones = (read_table(data / name) for name in ("durations", "frame_range", "phones"))
    for utt in durations:
        first, end = map(int, ranges[utt].split())
        assert sum(map(int, durations[utt].split())) == end - first
        assert "sil" not in (phones[utt].split()[0], phones[utt].split()[-1])


def test_errors_are_one_line_naming_the_utterance(tiny_lj: Path, tmp_path: Path) -> None:
    _prep(tiny_lj, tmp_path / "data")
    tg = tmp_path / "tg"
    shutil.copytree(tiny_lj / "textgrids", tg)
    (tg / "LJ001-0001.TextGrid").write_text((tg / "LJ001-0001.TextGrid").read_text()[:500])
    res = subprocess.run(["speechkit", "align", "import", "--data", str(tmp_path / "data" / "train"),
                          "--textgrids", str(tg)], check=False, capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
    assert "LJ001-0001.TextGrid: truncated TextGrid" in res.stderr
    assert not (tmp_path / "data" / "train" / "durations").exists()


def test_help_has_examples() -> None:
    res = runner.invoke(app, ["align", "import", "--help"])
    assert res.exit_code == 0 and "Examples" in res.output and "speechkit align import" in res.output
