"""`speechkit align --train / --model / --phones` end to end on the tiny mini LJSpeech corpus, with a tiny network
and a short schedule (the accuracy figures come from bench/align.sh, not from here)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from speechkit.cli import app
from speechkit.data.audio import read_audio
from speechkit.data.table import read_table
from speechkit.data.textgrid import SILENCE_LABELS, read_alignment
from speechkit.features.dereverb import suppress_late_reverb
from speechkit.features.noise_floor import subtract_noise_floor
from speechkit.models.builder import load_model
from speechkit.utils.atomic import OWNED

runner = CliRunner()
TINY = ["model.net.channels=16", "model.net.kernels=[3,1]", "train.rounds=2", "train.epochs=[1]", "--threads", "1"]


def invoke(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res.output


@pytest.fixture(scope="module")
def trained(tiny_lj: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Data dirs of the tiny corpus and an aligner trained on its train split: (data root, align out dir)."""
    root = tmp_path_factory.mktemp("align")
    invoke("prep", "ljspeech", "--corpus-root", str(tiny_lj), "--out", str(root / "data"))
    invoke("align", "--data", str(root / "data" / "train"), "--out", str(root / "exp"), "--train", *TINY)
    return root / "data", root / "exp"


def test_train_writes_a_model_dir_and_mfa_style_textgrids(trained: tuple[Path, Path]) -> None:
    data, exp = trained
    assert {p.name for p in (exp / "model").iterdir()} == {"config.yaml", "model.yaml", "model.pt", OWNED}
    torch.load(exp / "model" / "model.pt", weights_only=True)
    text = read_table(data / "train" / "text")
    for utt, words in text.items():
        aligned = read_alignment(exp / f"{utt}.TextGrid")
        assert [w.label for w in aligned.words if w.label not in SILENCE_LABELS] == words.split()
        phones = [p.label for p in aligned.phones if p.label not in SILENCE_LABELS]
        assert phones and all(p[-1] in "012" for p in phones if p[0] in "AEIOU")  # the lexicon's stressed labels


def test_durations_round_trip_through_textgrids_and_import(trained: tuple[Path, Path], tmp_path: Path) -> None:
    data, exp = trained
    copy = tmp_path / "train"
    shutil.copytree(data / "train", copy)
    invoke("align", "import", "--data", str(copy), "--textgrids", str(exp))
    for name in ("durations", "phones", "frame_range"):
        assert read_table(copy / name) == read_table(exp / name), name


def test_model_reuse_on_another_data_dir(trained: tuple[Path, Path], tmp_path: Path) -> None:
    data, exp = trained
    out = tmp_path / "test_align"
    invoke("align", "--data", str(data / "test"), "--out", str(out), "--model", str(exp / "model"), "--threads", "1")
    assert set(read_table(out / "durations")) == set(read_table(data / "test" / "wav.scp"))
    _, model = load_model(exp / "model")
    assert model.cfg.features.sample_rate == 22050 and model.phones[0] == "sil"


def test_a_new_aligner_suppresses_late_reverberation_and_an_older_model_dir_keeps_its_features_and_graphs(
        trained: tuple[Path, Path], tiny_lj: Path, tmp_path: Path) -> None:  # fmt: skip
    _, exp = trained
    _, model = load_model(exp / "model")
    assert (model.cfg.features.late_reverb_weight, model.cfg.features.late_reverb_delay_ms) == (0.3, 25.0)
    assert (model.cfg.pause_cost, model.pause_frames, model.cfg.refine_frames) == (8.0, 10, 3)
    assert model.cfg.features.floor_quantile == 0.1
    older = tmp_path / "older"
    shutil.copytree(exp / "model", older)
    lines = (older / "model.yaml").read_text().splitlines(keepends=True)
    new_keys = ("late_reverb", "pause_cost", "min_pause_ms", "refine_frames", "floor_quantile")
    (older / "model.yaml").write_text("".join(line for line in lines if not any(k in line for k in new_keys)))
    _, old = load_model(older)
    assert (old.cfg.features.late_reverb_weight, old.cfg.pause_cost) == (0.0, 0.0)  # saved before they existed
    assert (old.cfg.features.floor_quantile, old.pause_frames, old.cfg.refine_frames) == (0.0, 3, 0)
    wave = torch.from_numpy(read_audio(tiny_lj / "wavs" / "LJ001-0001.wav"))[None]
    raw, frames = old.features(wave, torch.tensor([wave.shape[1]]))
    assert torch.equal(raw, old.mel(wave, torch.tensor([wave.shape[1]]))[0])
    new, same_frames = model.features(wave, torch.tensor([wave.shape[1]]))
    suppressed = suppress_late_reverb(raw, 5, 0.3)
    assert torch.equal(frames, same_frames) and torch.equal(new, subtract_noise_floor(suppressed, frames, 0.1))
    assert (suppressed < raw - 0.5).any()  # some frames lose more than 4 dB: what their past rings into them


def test_given_phone_sequences_are_aligned_as_given(trained: tuple[Path, Path], tiny_lj: Path, tmp_path: Path) -> None:
    data, exp = trained
    given = {}
    for utt in read_table(data / "dev" / "text"):
        labels = [p.label for p in read_alignment(tiny_lj / "textgrids" / f"{utt}.TextGrid").phones]
        given[utt] = ["sil" if p in SILENCE_LABELS else p for p in labels]
    phones = tmp_path / "phones.txt"
    phones.write_text("".join(f"{u} {' '.join(p)}\n" for u, p in given.items()))
    out = tmp_path / "given"
    invoke("align", "--data", str(data / "dev"), "--out", str(out), "--model", str(exp / "model"),
           "--phones", str(phones))  # fmt: skip
    for utt, labels in given.items():
        aligned = read_alignment(out / f"{utt}.TextGrid")
        assert [p.label or "sil" for p in aligned.phones] == labels
        assert all(w.label in SILENCE_LABELS for w in aligned.words)


def test_same_seed_same_model(trained: tuple[Path, Path], tmp_path: Path) -> None:
    data, exp = trained
    invoke("align", "--data", str(data / "train"), "--out", str(tmp_path), "--train", *TINY)
    first = torch.load(exp / "model" / "model.pt", weights_only=True)["model"]
    again = torch.load(tmp_path / "model" / "model.pt", weights_only=True)["model"]
    assert all(torch.equal(first[k], again[k]) for k in first)


def test_user_errors_are_one_line(trained: tuple[Path, Path], tmp_path: Path, cli) -> None:
    data, exp = trained
    utt = next(iter(read_table(data / "dev" / "text")))
    bad = tmp_path / "phones.txt"
    bad.write_text(f"{utt} sil HH XX1 sil\n")
    cases = [
        (["--model", str(exp / "model"), "--phones", str(bad)], "phone 'XX1'"),
        (["--model", str(tmp_path / "nope")], "model directory not found"),
        ([], "exactly one of --train"),
        (["--train", "model.features.floor_quantile=1.5"], "key 'model.features': floor_quantile must be in [0, 1)"),
        (["--train", "model.refine_frames=-1"], "refine_frames, min_pause_ms, pause_cost >= 0, got 3, -1,"),
    ]
    for extra, problem in cases:
        res = cli("align", "--data", str(data / "dev"), "--out", str(tmp_path / "o"), *extra)
        lines = res.stderr.strip().splitlines()
        assert res.returncode == 1 and len(lines) == 1 and lines[0].startswith("error:") and problem in lines[0], res


def test_align_train_killed_midway_reruns_to_the_same_alignment(trained: tuple[Path, Path], tmp_path: Path,
                                                                killed_then_rerun) -> None:  # fmt: skip
    data, exp = trained
    args = ["align", "--data", data / "train", "--out", tmp_path / "exp", "--train", *TINY]
    t0 = time.perf_counter()
    invoke(*map(str, args[:4]), str(tmp_path / "ref"), *args[5:])
    res, killed = killed_then_rerun(args, tmp_path / "exp", at=(time.perf_counter() - t0) * 0.6,
                                    OMP_NUM_THREADS="1")  # fmt: skip
    assert killed and res.returncode == 0, res.stderr
    names = sorted(p.name for p in (tmp_path / "ref").glob("*.TextGrid"))
    assert names and names == sorted(p.name for p in (tmp_path / "exp").glob("*.TextGrid"))
    for name in [*names, "durations", "phones"]:
        assert (tmp_path / "ref" / name).read_bytes() == (tmp_path / "exp" / name).read_bytes(), name
