"""The mini corpora: real layouts, exact TextGrids, determinism."""

from __future__ import annotations

import csv
import hashlib
import time
from pathlib import Path

import pytest
import soundfile as sf
from praatio import textgrid

from speechkit.data.text import normalize_words
from speechkit.mini.cvss import build_mini_cvss
from speechkit.mini.fsc import build_mini_fsc
from speechkit.mini.judge_text import judge_sentences
from speechkit.mini.ljspeech import load_sentences


def _rows(root: Path, split: str) -> list[dict[str, str]]:
    with open(root / "data" / f"{split}_data.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_mini_fsc_layout_and_speaker_disjoint_splits(tiny_fsc: Path) -> None:
    speakers = {}
    for split in ("train", "valid", "test"):
        rows = _rows(tiny_fsc, split)
        assert rows and list(rows[0]) == ["", "path", "speakerId", "transcription", "action", "object", "location"]
        speakers[split] = {r["speakerId"] for r in rows}
        for r in rows[:3]:
            info = sf.info(str(tiny_fsc / r["path"]))
            assert (info.samplerate, info.channels) == (16000, 1)
            assert r["path"].startswith(f"wavs/speakers/{r['speakerId']}/")
    assert len(speakers["train"]) == 2
    assert not speakers["train"] & speakers["test"] and not speakers["train"] & speakers["valid"]


def digest(root: Path) -> str:
    """One hash of every file's relative path and bytes under ``root``."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


def test_mini_fsc_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    build_mini_fsc(a, seed=7, nj=1, speakers=(1, 1, 1), phrasings_per_speaker=3)
    build_mini_fsc(b, seed=7, nj=2, speakers=(1, 1, 1), phrasings_per_speaker=3)
    build_mini_fsc(c, seed=8, nj=1, speakers=(1, 1, 1), phrasings_per_speaker=3)
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)


def test_mini_corpora_built_as_slurm_jobs_are_the_ones_built_here(tmp_path: Path, cli, slurm: dict[str, str]) -> None:
    tiny = ["--seed", "7", "--train-speakers", "1", "--valid-speakers", "1", "--test-speakers", "1",
            "--phrasings-per-speaker", "3"]  # fmt: skip
    res = cli("prep", "mini-fsc", "--out", tmp_path / "jobs", "--nj", "2", "--cmd", "slurm", *tiny, **slurm)
    assert res.returncode == 0, res.stderr
    assert cli("prep", "mini-fsc", "--out", tmp_path / "here", "--nj", "1", *tiny).returncode == 0
    assert digest(tmp_path / "jobs") == digest(tmp_path / "here")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "jobs"]  # the jobs' work folder is gone
    res = cli("prep", "mini-cvss", "--out", tmp_path / "bad", "--nj", "2", "--cmd", "slurm --bogus-option", *tiny[:2],
              **slurm)  # fmt: skip
    assert res.returncode == 1 and res.stderr.startswith("error: --cmd slurm: sbatch ")
    assert not (tmp_path / "bad").exists()


def test_mini_ljspeech_textgrids_match_audio_and_transcripts(tiny_lj: Path) -> None:
    lines = (tiny_lj / "metadata.csv").read_text().splitlines()
    assert len(lines) == 12
    for line in lines:
        utt, _, normalized = line.split("|")
        info = sf.info(str(tiny_lj / "wavs" / f"{utt}.wav"))
        assert (info.samplerate, info.channels) == (22050, 1)
        tg = textgrid.openTextgrid(str(tiny_lj / "textgrids" / f"{utt}.TextGrid"), includeEmptyIntervals=True)
        assert list(tg.tierNames) == ["words", "phones"]
        duration = info.frames / info.samplerate
        for name in tg.tierNames:
            entries = tg.getTier(name).entries
            assert entries[0].start == 0.0 and abs(entries[-1].end - duration) < 1e-6
            assert all(a.end == b.start for a, b in zip(entries, entries[1:]))  # contiguous
        words = [e.label for e in tg.getTier("words").entries if e.label]
        assert words == normalize_words(normalized).split()
        phones = [e for e in tg.getTier("phones").entries if e.label]
        assert all(p.label[-1] in "012" or p.label.isalpha() for p in phones)
        for w in tg.getTier("words").entries:
            if w.label:  # every word is covered exactly by its phones
                inside = [p for p in phones if w.start <= p.start and p.end <= w.end]
                assert inside and inside[0].start == w.start and inside[-1].end == w.end


def test_mini_ljspeech_judge_corpus_is_other_sentences_in_the_same_voice(tmp_path: Path, cli) -> None:
    out = tmp_path / "judge"
    res = cli("prep", "mini-ljspeech", "--out", str(out), "--judge", "4", "--nj", "1")
    assert res.returncode == 0, res.stderr
    rows = [line.split("|") for line in (out / "metadata.csv").read_text().splitlines()]
    assert [r[0] for r in rows] == ["JG001-0001", "JG001-0002", "JG001-0003", "JG001-0004"]
    bundled = {norm for _, norm in load_sentences()}
    words = {w for _, norm in load_sentences() for w in normalize_words(norm).split()}
    for utt, text, norm in rows:
        assert text == norm and norm not in bundled and 8 <= len(norm.split()) <= 14
        assert normalize_words(norm) == norm  # already what the recipe's text normalizer makes
        assert sf.info(str(out / "wavs" / f"{utt}.wav")).samplerate == 22050
    assert any(w not in words for r in rows for w in r[2].split())  # words the TTS sentences never use
    assert not (out / "textgrids").exists()
    again = judge_sentences(4, seed=0)
    assert again == [r[2] for r in rows] and judge_sentences(4, seed=1) != again


def test_mini_cvss_layouts_speakers_and_unseen_test_sentences(tiny_cvss: Path) -> None:
    with open(tiny_cvss / "cv" / "validated.tsv", newline="", encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f, delimiter="\t")}
    assert list(next(iter(rows.values()))) == ["client_id", "path", "sentence", "up_votes", "down_votes", "age",
                                               "gender", "accent"]  # fmt: skip
    speakers, sentences = {}, {}
    for split, n in (("train", 24), ("dev", 6), ("test", 6)):
        lines = [line.split("\t") for line in (tiny_cvss / "cvss" / f"{split}.tsv").read_text().splitlines()]
        assert len(lines) == n and all(len(fields) == 2 and fields[1] == normalize_words(fields[1]) for fields in lines)
        speakers[split] = {rows[clip]["client_id"] for clip, _ in lines}
        sentences[split] = {rows[clip]["sentence"] for clip, _ in lines}
        source, target = sf.info(str(tiny_cvss / "cv" / "clips" / lines[0][0])), sf.info(
            str(tiny_cvss / "cvss" / split / f"{lines[0][0]}.wav"))
        assert (source.format, source.samplerate, target.samplerate, target.channels) == ("MP3", 48000, 24000, 1)
        assert all(len(c) == 128 for c in speakers[split])
    assert not speakers["train"] & (speakers["dev"] | speakers["test"]) and not speakers["dev"] & speakers["test"]
    assert not sentences["test"] & sentences["train"] and not sentences["dev"] & sentences["train"]


def test_mini_cvss_is_the_same_whatever_nj(tmp_path: Path) -> None:
    build_mini_cvss(tmp_path / "a", seed=3, nj=1, sizes=(4, 2, 2), speakers=(1, 1, 1))
    build_mini_cvss(tmp_path / "b", seed=3, nj=2, sizes=(4, 2, 2), speakers=(1, 1, 1))
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


@pytest.mark.parametrize("command", ["mini-fsc", "mini-ljspeech", "mini-cvss"])
def test_prep_mini_refuses_a_users_folder_and_the_working_directory(tmp_path: Path, command: str, cli) -> None:
    users = tmp_path / "mine"
    users.mkdir()
    (users / "notes.txt").write_text("keep me")
    res = cli("prep", command, "--out", str(users))
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and "did not write" in res.stderr, res.stderr
    assert [p.name for p in users.iterdir()] == ["notes.txt"] and len(list(tmp_path.iterdir())) == 1
    res = cli("prep", command, "--out", ".", cwd=users)
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and str(users) in res.stderr, res.stderr
    assert [p.name for p in users.iterdir()] == ["notes.txt"]


def test_prep_mini_replaces_its_own_corpus(tmp_path: Path, cli) -> None:
    args = ["prep", "mini-fsc", "--out", str(tmp_path / "fsc"), "--nj", "1", "--train-speakers", "1",
            "--valid-speakers", "1", "--test-speakers", "1", "--phrasings-per-speaker", "1"]
    assert cli(*args).returncode == 0
    first = digest(tmp_path / "fsc")
    res = cli(*args)
    assert res.returncode == 0, res.stderr
    assert digest(tmp_path / "fsc") == first and sorted(p.name for p in tmp_path.iterdir()) == ["fsc"]


def test_prep_mini_killed_midway_reruns_to_the_same_corpus(tmp_path: Path, cli, killed_then_rerun) -> None:
    tiny = ["--nj", "2", "--train-speakers", "2", "--valid-speakers", "1", "--test-speakers", "1",
            "--phrasings-per-speaker", "6"]  # fmt: skip
    t0 = time.perf_counter()
    assert cli("prep", "mini-fsc", "--out", tmp_path / "a", *tiny).returncode == 0
    res, killed = killed_then_rerun(["prep", "mini-fsc", "--out", tmp_path / "b", *tiny], tmp_path / "b",
                                    at=(time.perf_counter() - t0) * 0.6)  # fmt: skip
    assert killed and res.returncode == 0, res.stderr
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_mini_ljspeech_in_another_voice_keeps_exact_times_and_refuses_an_unmappable_one(tmp_path: Path, cli,
                                                                                         tiny_lj: Path) -> None:
    res = cli("prep", "mini-ljspeech", "--out", tmp_path / "klatt", "--limit", "3", "--nj", "1",
              "--voice", "en-us+klatt4,pitch=75,range=80,rate=140")  # fmt: skip
    assert res.returncode == 0, res.stderr
    for utt in ("LJ001-0001", "LJ001-0002", "LJ001-0003"):
        wav, rate = sf.read(str(tmp_path / "klatt" / "wavs" / f"{utt}.wav"))
        default, _ = sf.read(str(tiny_lj / "wavs" / f"{utt}.wav"))
        assert rate == 22050 and len(wav) > 1.1 * len(default)  # 140 words a minute instead of 165
        tg = textgrid.openTextgrid(str(tmp_path / "klatt" / "textgrids" / f"{utt}.TextGrid"), True)
        speech = [e for e in tg.getTier("phones").entries if e.label]
        first, last = int(speech[0].start * rate), int(speech[-1].end * rate)
        assert abs(wav[:first]).sum() == 0.0 and abs(wav[first : first + 400]).max() > 0.0  # exact onset
        assert abs(speech[-1].end - len(wav) / rate) < 0.5 and last <= len(wav)
    res = cli("prep", "mini-ljspeech", "--out", tmp_path / "caribbean", "--limit", "3", "--nj", "1",
              "--voice", "en-029")  # fmt: skip
    assert res.returncode == 1 and not (tmp_path / "caribbean").exists()
    assert res.stderr.startswith("error: voice 'en-029': no ARPAbet rule for eSpeak phoneme 't['")
    res = cli("prep", "mini-ljspeech", "--out", tmp_path / "judge", "--judge", "2", "--voice", "xx-yy")
    assert res.returncode == 1 and res.stderr == "error: voice 'xx-yy': eSpeak NG has no voice 'xx-yy'\n"
    assert not (tmp_path / "judge").exists()
    for bad, says in (("en-us,pitch=high", "'pitch=high' is not pitch=N"), ("+m3", "no language voice name")):
        res = cli("prep", "mini-ljspeech", "--out", tmp_path / "bad", "--voice", bad)
        assert res.returncode == 2 and says in " ".join(res.stderr.replace("│", " ").split()), res.stderr
