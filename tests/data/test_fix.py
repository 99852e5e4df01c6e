"""`data fix`: every fixable corruption is repaired or dropped, the result validates, and the swap is atomic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tiny_datadir import UTTS, Corruption, write_wav

from speechkit.data import fix as fix_module
from speechkit.data.fix import BACKUP, fix_data_dir
from speechkit.data.table import read_table
from speechkit.data.validate import Kind, validate_data_dir
from speechkit.errors import SpeechkitError


def _snapshot(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in data_dir.iterdir() if p.is_file()}


def test_each_corruption_is_repaired(corrupted: tuple[Path, Corruption]) -> None:
    data_dir, c = corrupted
    damaged = (data_dir / c.file).read_bytes()
    report = fix_data_dir(data_dir)
    assert validate_data_dir(data_dir).problems == []
    utts = read_table(data_dir / "utt2spk")
    if c.dropped:
        assert report.dropped == {c.kind: [c.key]}
        assert c.key not in utts and report.n_utts == len(utts) == len(UTTS) - 1
    else:
        assert report.dropped == {} and c.kind in {p.kind for p in report.repaired}
        assert list(utts) == list(UTTS)
    assert report.backup == data_dir / BACKUP and (data_dir / BACKUP / c.file).read_bytes() == damaged


def test_duplicate_keeps_the_first_line(data_dir: Path) -> None:
    with open(data_dir / "text", "a", encoding="utf-8") as f:
        f.write("spk1-u2 the second copy\n")
    fix_data_dir(data_dir)
    assert read_table(data_dir / "text")["spk1-u2"] == "turn on the kitchen lights 1"


def test_many_problems_are_fixed_in_one_run(data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / "text").read_text(encoding="utf-8").splitlines()
    lines[1] = "spk1-u2"
    (data_dir / "text").write_text("\n".join(reversed(lines)) + "\n", encoding="utf-8")
    (tmp_path / "wavs" / "spk2-u1.wav").unlink()
    write_wav(tmp_path / "wavs" / "spk1-u1.wav", channels=2)
    report = fix_data_dir(data_dir)
    assert report.dropped == {Kind.EMPTY_TEXT: ["spk1-u2"], Kind.AUDIO_MISSING: ["spk2-u1"], Kind.NOT_MONO: ["spk1-u1"]}
    assert validate_data_dir(data_dir).problems == []
    assert read_table(data_dir / "spk2utt") == {"spk2": "spk2-u2"}
    assert list(read_table(data_dir / "utt2intent")) == ["spk2-u2"]


def test_expected_sample_rate_drops_the_others(data_dir: Path, tmp_path: Path) -> None:
    write_wav(tmp_path / "wavs" / "spk2-u2.wav", rate=8000)
    report = fix_data_dir(data_dir, sample_rate=8000)
    assert report.dropped == {Kind.SAMPLE_RATE: ["spk1-u1", "spk1-u2", "spk2-u1"]}
    assert validate_data_dir(data_dir, sample_rate=8000).problems == []


def test_clean_dir_is_left_alone(data_dir: Path) -> None:
    before = _snapshot(data_dir)
    report = fix_data_dir(data_dir)
    assert (report.repaired, report.dropped, report.kept, report.backup) == ([], {}, [], None)
    assert _snapshot(data_dir) == before and not (data_dir / BACKUP).exists()


def test_speaker_prefix_is_reported_and_kept(data_dir: Path) -> None:
    (data_dir / "utt2spk").write_text("spk1-u1 spk1\nspk1-u2 spk1\nspk2-u1 spk2\nspk2-u2 spk1\n", encoding="utf-8")
    report = fix_data_dir(data_dir)
    assert [(p.kind, p.key) for p in report.kept] == [(Kind.SPEAKER_PREFIX, "spk2-u2")]
    assert report.dropped == {} and report.n_utts == 4
    assert read_table(data_dir / "spk2utt") == {"spk1": "spk1-u1 spk1-u2 spk2-u2", "spk2": "spk2-u1"}
    assert [p.kind for p in validate_data_dir(data_dir).problems] == [Kind.SPEAKER_PREFIX]


def test_bad_recording_drops_its_segments_and_unused_recordings_go(data_dir: Path, tmp_path: Path) -> None:
    for reco in ("reco1", "reco2"):
        write_wav(tmp_path / "wavs" / f"{reco}.wav", seconds=1.0)
    (tmp_path / "wavs" / "reco2.wav").write_bytes(b"junk")
    wavs = "".join(f"{reco} {tmp_path / 'wavs' / reco}.wav\n" for reco in ("reco1", "reco2", "reco3"))
    (data_dir / "wav.scp").write_text(wavs, encoding="utf-8")
    segments = "spk1-u1 reco1 0 0.5\nspk1-u2 reco2 0 0.5\nspk2-u1 reco2 0.5 1\nspk2-u2 reco1 0.5 1\n"
    (data_dir / "segments").write_text(segments, encoding="utf-8")
    report = fix_data_dir(data_dir)
    assert report.dropped[Kind.AUDIO_UNREADABLE] == ["spk1-u2", "spk2-u1"]
    assert read_table(data_dir / "wav.scp") == {"reco1": str(tmp_path / "wavs" / "reco1.wav")}
    assert validate_data_dir(data_dir).problems == []


def test_interrupted_fix_leaves_the_dir_as_it_was(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (data_dir / "text").write_text("spk2-u2 b\nspk2-u1 a\nspk1-u2 c\nspk1-u1 d\n", encoding="utf-8")
    before = _snapshot(data_dir)
    written = []

    def fail_on_second(path: Path, rows: dict[str, str]) -> None:
        written.append(path)
        if len(written) == 2:
            raise OSError("disk full")
        path.write_text("partial\n", encoding="utf-8")

    monkeypatch.setattr(fix_module, "write_table", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        fix_data_dir(data_dir)
    assert _snapshot(data_dir) == before and not (data_dir / BACKUP).exists()
    assert sorted(p.name for p in data_dir.parent.iterdir()) == ["data", "wavs"]


def test_missing_core_file_cannot_be_repaired(data_dir: Path) -> None:
    (data_dir / "wav.scp").unlink()
    with pytest.raises(SpeechkitError, match="wav.scp: missing"):
        fix_data_dir(data_dir)


def test_missing_spk2utt_is_rebuilt(data_dir: Path) -> None:
    expected = (data_dir / "spk2utt").read_bytes()
    (data_dir / "spk2utt").unlink()
    fix_data_dir(data_dir)
    assert (data_dir / "spk2utt").read_bytes() == expected


def test_nothing_left_is_an_error_and_changes_nothing(data_dir: Path) -> None:
    (data_dir / "text").write_text("".join(f"{utt}\n" for utt in UTTS), encoding="utf-8")
    before = _snapshot(data_dir)
    with pytest.raises(SpeechkitError, match="no utterance would be left"):
        fix_data_dir(data_dir)
    assert _snapshot(data_dir) == before


def test_cli_reports_drops_with_keys_then_validates(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "wavs" / "spk1-u2.wav").unlink()
    speechkit = str(Path(sys.executable).with_name("speechkit"))
    proc = subprocess.run([speechkit, "data", "fix", str(data_dir)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dropped 1 (missing audio): spk1-u2" in proc.stdout.splitlines()
    assert f"originals backed up in {data_dir / BACKUP}" in proc.stdout
    assert subprocess.run([speechkit, "data", "validate", str(data_dir)], capture_output=True).returncode == 0


def test_fix_twice_is_a_no_op(data_dir: Path) -> None:
    (data_dir / "text").write_text("spk2-u2 b\nspk2-u1 a\nspk1-u2 c\nspk1-u1 d\n", encoding="utf-8")
    fix_data_dir(data_dir)
    after_first = _snapshot(data_dir)
    assert fix_data_dir(data_dir).backup is None
    assert _snapshot(data_dir) == after_first


def test_a_second_fix_keeps_the_first_backup(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "text").write_text("spk2-u2 b\nspk2-u1 a\nspk1-u2 c\nspk1-u1 d\n", encoding="utf-8")
    original = (data_dir / "text").read_bytes()
    fix_data_dir(data_dir)
    (tmp_path / "wavs" / "spk2-u1.wav").unlink()
    report = fix_data_dir(data_dir)
    assert report.dropped == {Kind.AUDIO_MISSING: ["spk2-u1"]}
    assert (data_dir / BACKUP / "text").read_bytes() == original
