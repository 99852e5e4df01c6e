"""`data validate`: a clean directory passes; each corruption is reported on one line naming its file and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tiny_datadir import RATE, UTTS, Corruption, write_wav

from speechkit.data.validate import Kind, validate_data_dir
from speechkit.errors import SpeechkitError


def test_clean_dir_passes_and_is_measured(data_dir: Path) -> None:
    report = validate_data_dir(data_dir)
    assert report.problems == []
    assert (report.n_utts, report.n_speakers, report.sample_rate) == (4, 2, RATE)
    assert report.seconds == pytest.approx(4 * 0.25)


def test_each_corruption_is_named(corrupted: tuple[Path, Corruption]) -> None:
    data_dir, c = corrupted
    problems = validate_data_dir(data_dir).problems
    matching = [p for p in problems if p.kind is c.kind and p.key == c.key and p.file == str(data_dir / c.file)]
    assert matching, "\n".join(map(str, problems))
    line = str(matching[0])
    assert line.startswith(f"{data_dir / c.file}: key {c.key}: ") and c.detail in line and "\n" not in line


def test_every_offender_is_named_not_just_the_first(data_dir: Path) -> None:
    (data_dir / "text").write_text("".join(f"{utt}\n" for utt in UTTS), encoding="utf-8")
    problems = validate_data_dir(data_dir).problems
    assert [p.key for p in problems if p.kind is Kind.EMPTY_TEXT] == list(UTTS)


def test_expected_sample_rate_is_enforced(data_dir: Path) -> None:
    problems = validate_data_dir(data_dir, sample_rate=22050).problems
    assert {p.key for p in problems if p.kind is Kind.SAMPLE_RATE} == set(UTTS)
    assert "sample rate 16000 Hz, expected 22050 Hz" in str(problems[0])


def test_no_audio_skips_opening_files(data_dir: Path, tmp_path: Path) -> None:
    for wav in (tmp_path / "wavs").iterdir():
        wav.unlink()
    report = validate_data_dir(data_dir, check_audio=False)
    assert report.problems == [] and report.seconds is None
    assert {p.kind for p in validate_data_dir(data_dir).problems} == {Kind.AUDIO_MISSING}


def test_speaker_prefix_is_checked(data_dir: Path) -> None:
    (data_dir / "utt2spk").write_text("spk1-u1 spk1\nspk1-u2 spk1\nspk2-u1 spk2\nspk2-u2 spk1\n", encoding="utf-8")
    problems = validate_data_dir(data_dir, check_audio=False).problems
    prefix = [p for p in problems if p.kind is Kind.SPEAKER_PREFIX]
    assert [(Path(p.file).name, p.key) for p in prefix] == [("utt2spk", "spk2-u2")]


def test_missing_core_file_is_named(data_dir: Path) -> None:
    (data_dir / "utt2spk").unlink()
    problems = validate_data_dir(data_dir, check_audio=False).problems
    assert [str(p) for p in problems if p.kind is Kind.MISSING_FILE] == [f"{data_dir / 'utt2spk'}: file not found"]


def test_segments_are_checked_against_their_recordings(data_dir: Path, tmp_path: Path) -> None:
    write_wav(tmp_path / "wavs" / "reco1.wav", seconds=1.0)
    (data_dir / "wav.scp").write_text(f"reco1 {tmp_path / 'wavs' / 'reco1.wav'}\n", encoding="utf-8")
    segments = ["spk1-u1 reco1 0.0 0.5", "spk1-u2 reco1 0.5 1.0", "spk2-u1 reco2 0.0 0.5", "spk2-u2 reco1 0.9 1.5"]
    (data_dir / "segments").write_text("".join(f"{s}\n" for s in segments), encoding="utf-8")
    report = validate_data_dir(data_dir)
    assert {(p.key, p.kind) for p in report.problems} == {("spk2-u1", Kind.MISSING_ENTRY), ("spk2-u2", Kind.MALFORMED)}
    assert report.seconds == pytest.approx(0.5 + 0.5 + 0.5 + 0.6)


def test_translation_pair_files_are_checked(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "text.de").write_text("spk1-u1 mach das licht an\nspk1-u2\n", encoding="utf-8")
    targets = {utt: tmp_path / "wavs" / f"{utt}.de.wav" for utt in UTTS}
    for wav in targets.values():
        write_wav(wav, rate=24000)
    targets["spk2-u2"].unlink()
    (data_dir / "wav.scp.de").write_text("".join(f"{u} {w}\n" for u, w in targets.items()), encoding="utf-8")
    problems = {(Path(p.file).name, p.key, p.kind) for p in validate_data_dir(data_dir).problems}
    assert problems == {
        ("text.de", "spk1-u2", Kind.EMPTY_TEXT),
        ("text.de", "spk2-u1", Kind.MISSING_ENTRY),
        ("text.de", "spk2-u2", Kind.MISSING_ENTRY),
        ("wav.scp.de", "spk2-u2", Kind.AUDIO_MISSING),
    }


def test_not_a_directory_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(SpeechkitError, match="data directory not found"):
        validate_data_dir(tmp_path / "nope")


def _speechkit(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``speechkit`` console script."""
    return subprocess.run([str(Path(sys.executable).with_name("speechkit")), *args], capture_output=True, text=True)


def test_cli_prints_each_problem_and_exits_1(data_dir: Path) -> None:
    (data_dir / "text").write_text("spk1-u1 on\nspk1-u2\nspk2-u1 off\nspk2-u2\n", encoding="utf-8")
    proc = _speechkit("data", "validate", str(data_dir))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"{data_dir / 'text'}: key spk1-u2: empty transcript" in lines
    assert f"{data_dir / 'text'}: key spk2-u2: empty transcript" in lines
    assert "2 problems" in lines[-1]


def test_cli_summarizes_a_clean_dir(data_dir: Path) -> None:
    proc = _speechkit("data", "validate", str(data_dir), "--sample-rate", str(RATE))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 utterances, 2 speakers" in proc.stdout and "16000 Hz" in proc.stdout


def test_durations_must_match_phones_and_frame_range(data_dir: Path) -> None:
    utts = sorted(UTTS)
    (data_dir / "phones").write_text("".join(f"{u} sil AH0 sil\n" for u in utts), encoding="utf-8")
    (data_dir / "frame_range").write_text("".join(f"{u} 0 12\n" for u in utts), encoding="utf-8")
    assert validate_data_dir(data_dir, check_audio=False).problems == []
    (data_dir / "phones").write_text("".join(f"{u} sil AH0\n" for u in utts), encoding="utf-8")
    (data_dir / "frame_range").write_text("".join(f"{u} 2 12\n" for u in utts), encoding="utf-8")
    lines = [str(p) for p in validate_data_dir(data_dir, check_audio=False).problems if p.key == utts[0]]
    assert any("3 durations for 2 phones" in line for line in lines), lines
    assert any("durations add up to 12 frames, frame_range says 10" in line for line in lines), lines
