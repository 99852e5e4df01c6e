"""The FastSpeech 2 recipe on the tiny mini-LJSpeech corpus: features, training, resume, synthesis and errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from speechkit.align.durations import import_durations
from speechkit.corpora.ljspeech import prepare_ljspeech
from speechkit.data.table import read_table, write_table
from speechkit.features.mel import TTS_MEL
from speechkit.tts.features import extract_tts_features

SETS = ("train", "dev", "test")
ONE_THREAD = {"OMP_NUM_THREADS": "1"}  # the environment of every command here: tiny models, threads only add overhead


def weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["model"]


@pytest.fixture(scope="module")
def recipe(tiny_lj: Path, tiny_fastspeech2_yaml: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recipe dir after stages 1-3 (10/1/1 utterances with ground-truth durations) with a tiny config."""
    root = tmp_path_factory.mktemp("tts_recipe")
    prepare_ljspeech(tiny_lj, root / "data", textgrids=tiny_lj / "textgrids")
    for split in SETS:
        import_durations(root / "data" / split)
    for split in ("train", "dev"):
        extract_tts_features(root / "data" / split, root / "exp" / "feats" / split, TTS_MEL, nj=1)
    (root / "conf").mkdir()
    (root / "conf" / "train.yaml").write_text(tiny_fastspeech2_yaml)
    return root


@pytest.fixture(scope="module")
def trained(recipe: Path, cli) -> Path:
    """The tiny model trained from another working directory (the CLI changes into the recipe)."""
    res = cli("train", "--recipe", str(recipe), cwd=recipe.parent, **ONE_THREAD)
    assert res.returncode == 0, res.stderr
    return recipe / "exp" / "tts"


def test_features_stage(recipe: Path, tmp_path: Path, cli) -> None:
    res = cli("prep", "tts-features", "--data", str(recipe / "data" / "dev"), "--out", str(tmp_path / "f"),
              "--nj", "1", **ONE_THREAD)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "TTS features" in res.stderr and "utterances: 1" in res.stderr
    feats = recipe / "exp" / "feats" / "train"
    stats = json.loads((feats / "stats.json").read_text())
    assert stats["utterances"] == 10 and len(stats["mel"]["mean"]) == 80 and 0 < stats["pitch"]["std"] < 1
    assert 4.5 < stats["pitch"]["mean"] < 6.5  # log-F0 of a speaking voice: 90-665 Hz
    durations, phones = read_table(recipe / "data" / "train" / "durations"), read_table(recipe / "data/train/phones")
    for utt, line in durations.items():
        with np.load(feats / f"{utt}.npz") as npz:
            frames = [int(d) for d in line.split()]
            assert npz["mel"].shape == (sum(frames), 80)
            assert npz["pitch"].shape == npz["energy"].shape == (len(phones[utt].split()),)
            assert np.isfinite(npz["pitch"]).all() and (npz["energy"] >= 0).all()


def test_training_writes_a_model_dir_and_the_loss_falls(trained: Path) -> None:
    for name in ("config.yaml", "model.yaml", "model.pt", "train.jsonl", "curves.png", "plots/step5.png"):
        assert (trained / name).is_file(), name
    log = [json.loads(line) for line in (trained / "train.jsonl").read_text().splitlines()]
    train = [r for r in log if r["split"] == "train"]
    assert {"mel", "postnet", "duration", "pitch", "energy"} <= set(train[0])
    assert train[-1]["loss"] < 0.6 * train[0]["loss"]
    assert [r["epoch"] for r in log if r["split"] == "valid"] == [1, 2, 3]


def test_killed_run_resumes_to_the_same_weights(recipe: Path, trained: Path, train_killed_then_resumed) -> None:
    exp = train_killed_then_resumed(recipe, "exp/killed", **ONE_THREAD)
    a, b = weights(trained / "model.pt"), weights(exp / "model.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_synth_text_with_speed(trained: Path, tmp_path: Path, cli) -> None:
    lengths = {}
    for speed in ("1", "2"):
        wav = tmp_path / f"x{speed}.wav"
        res = cli("synth", "--model", str(trained), "--text", "The old town, 1666.", "--out", str(wav),
                  "--speed", speed, "--gl-iters", "4", **ONE_THREAD)  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert "RTF" in res.stderr
        info = sf.info(wav)
        assert info.samplerate == 22050 and info.frames % 256 == 0 and info.frames > 0
        lengths[speed] = info.frames
    assert lengths["2"] < lengths["1"]


@pytest.mark.parametrize("source", ["phones", "text"])
def test_synth_data_dir(recipe: Path, trained: Path, tmp_path: Path, source: str, cli) -> None:
    out = tmp_path / "synth_test"
    data = recipe / "data" / "test"
    res = cli("synth", "--model", str(trained), "--data", str(data), "--out", str(out), "--source", source,
              "--gl-iters", "4", **ONE_THREAD)  # fmt: skip
    assert res.returncode == 0, res.stderr
    utts = list(read_table(data / "wav.scp"))
    assert list(read_table(out / "wav.scp")) == utts
    durations, phones = read_table(out / "durations"), read_table(out / "phones")
    for utt in utts:
        frames = [int(d) for d in durations[utt].split()]
        assert len(frames) == len(phones[utt].split()) and min(frames) >= 1
        assert sf.info(out / f"{utt}.wav").frames == sum(frames) * 256
    if source == "phones":
        assert phones == read_table(data / "phones")
    assert json.loads((out / "synth.json").read_text())["source"] == source


def test_synth_errors_are_one_line(recipe: Path, trained: Path, tmp_path: Path, cli) -> None:
    res = cli(
        "synth", "--model", str(trained), "--text", "email me @ home", "--out", str(tmp_path / "x.wav"), **ONE_THREAD
    )
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1 and "'@'" in res.stderr
    assert not (tmp_path / "x.wav").exists()
    data = tmp_path / "data"
    shutil.copytree(recipe / "data" / "test", data)
    phones = read_table(data / "phones")
    write_table(data / "phones", {u: p + " XX9" for u, p in phones.items()})
    res = cli("synth", "--model", str(trained), "--data", str(data), "--out", str(tmp_path / "o"), **ONE_THREAD)
    assert res.returncode == 1 and res.stderr.strip().splitlines() == [
        f"error: {data / 'phones'}: tokens not in the model's inventory: XX9"
    ]
    res = cli(
        "synth", "--model", str(tmp_path / "nope"), "--text", "hi", "--out", str(tmp_path / "x.wav"), **ONE_THREAD
    )
    assert res.returncode == 1 and "model directory not found" in res.stderr
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    for args, problem in [(["--text", "hi", "--out", str(mine)], f"{mine}: is a directory: give a file name"),
                          (["--data", str(recipe / "data" / "test"), "--out", str(mine)], "speechkit did not write")]:
        res = cli("synth", "--model", str(trained), *args, **ONE_THREAD)
        assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1 and problem in res.stderr, res.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_synth_refuses_an_utterance_id_that_names_a_path(recipe: Path, trained: Path, tmp_path: Path, cli) -> None:
    data = tmp_path / "data"
    shutil.copytree(recipe / "data" / "test", data)
    first = next(iter(read_table(data / "wav.scp")))
    for name in ("wav.scp", "text", "utt2spk", "phones"):
        rows = read_table(data / name)
        write_table(data / name, {("../../pwned" if k == first else k): v for k, v in rows.items()})
    out = tmp_path / "deep" / "er" / "out"
    res = cli("synth", "--model", str(trained), "--data", str(data), "--out", str(out), "--source", "phones",
              **ONE_THREAD)  # fmt: skip
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "'../../pwned' cannot name a file" in res.stderr
    assert not (tmp_path / "pwned.wav").exists() and not (tmp_path / "deep").exists()
    res = cli("data", "validate", str(data))
    assert res.returncode != 0 and "key ../../pwned: " in res.stdout + res.stderr


def test_synth_long_text_goes_sentence_by_sentence_in_bounded_memory(trained: Path, tmp_path: Path) -> None:
    """3,000 words (as one utterance: some 12,000 tokens and 70,000 frames, quadratic attention of tens of GB)."""
    sentence = "Doctor Smith paid $3.50 on 12/05/2024, then walked home along the old river in the rain. "
    text = sentence * 180
    wav = tmp_path / "long.wav"
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(r.stderr)")
    res = subprocess.run([sys.executable, "-c", probe, "speechkit", "synth", "--model", str(trained), "--text", text,
                          "--out", str(wav), "--gl-iters", "2"], capture_output=True, text=True,
                         env={**os.environ, **ONE_THREAD})  # fmt: skip
    rc, peak_kb = map(int, res.stdout.split("\n", 1)[0].split())
    assert rc == 0, res.stdout
    assert peak_kb < 1_500_000, f"peak RSS {peak_kb / 1e6:.2f} GB"
    assert "180 sentence(s)" in res.stdout
    assert sf.info(wav).frames > 180 * 22050  # at least a second a sentence: every sentence was said


def test_synth_text_file_names_lines_and_says_each(trained: Path, tmp_path: Path, cli) -> None:
    lines = tmp_path / "prompts.txt"
    lines.write_text("The old town.\n\nintro\tPrinting, in the only sense.\nA house by the river.\n")
    out = tmp_path / "out"
    res = cli("synth", "--model", str(trained), "--text-file", str(lines), "--out", str(out), "--gl-iters", "4",
              **ONE_THREAD)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert list(read_table(out / "wav.scp")) == ["intro", "utt000001", "utt000004"]
    alone = tmp_path / "alone.wav"  # the same line said alone: the same tokens, the same wave
    assert cli("synth", "--model", str(trained), "--text", "A house by the river.", "--out", str(alone),
               "--gl-iters", "4", **ONE_THREAD).returncode == 0  # fmt: skip
    assert sf.info(out / "utt000004.wav").frames == sf.info(alone).frames
    assert read_table(out / "phones")["intro"] != read_table(out / "phones")["utt000001"]


@pytest.mark.parametrize("case", ["bad_id", "twice", "empty", "both"])
def test_synth_text_file_errors_are_one_line(trained: Path, tmp_path: Path, case: str, cli) -> None:
    lines = tmp_path / "prompts.txt"
    lines.write_text({"bad_id": "ok\tfine\n../x\thello\n", "twice": "a\thi\na\tho\n", "empty": "\n  \n",
                      "both": "hi\n"}[case])  # fmt: skip
    extra = ["--text", "hi"] if case == "both" else []
    res = cli("synth", "--model", str(trained), "--text-file", str(lines), "--out", str(tmp_path / "o"), *extra,
              **ONE_THREAD)  # fmt: skip
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    expected = {"bad_id": f"{lines}: line 2: id '../x' must be", "twice": f"{lines}: line 2: id 'a' occurs twice",
                "empty": f"{lines}: holds no text to synthesize",
                "both": "give exactly one of --text, --text-file and --data"}[case]  # fmt: skip
    assert expected in res.stderr and not (tmp_path / "o").exists()


def test_synth_data_killed_midway_reruns_to_the_same_audio(recipe: Path, trained: Path, tmp_path: Path, cli,
                                                           killed_then_rerun) -> None:  # fmt: skip
    args = ["synth", "--model", trained, "--data", recipe / "data" / "test", "--source", "phones", "--gl-iters", "16"]
    t0 = time.perf_counter()
    assert cli(*args, "--out", tmp_path / "a", **ONE_THREAD).returncode == 0
    res, killed = killed_then_rerun([*args, "--out", tmp_path / "b"], tmp_path / "b",
                                    at=(time.perf_counter() - t0) * 0.7, **ONE_THREAD)  # fmt: skip
    assert killed and res.returncode == 0, res.stderr
    for wav in (tmp_path / "a").glob("*.wav"):
        assert wav.read_bytes() == (tmp_path / "b" / wav.name).read_bytes(), wav.name
    assert read_table(tmp_path / "a" / "durations") == read_table(tmp_path / "b" / "durations")


def test_features_and_synth_as_jobs_write_what_one_process_writes(recipe: Path, trained: Path, tmp_path: Path, cli,
                                                                   slurm: dict[str, str]) -> None:  # fmt: skip
    data = recipe / "data" / "train"
    one, jobs = tmp_path / "feats_one", tmp_path / "feats_jobs"
    assert cli("prep", "tts-features", "--data", data, "--out", one, "--nj", "1", **ONE_THREAD).returncode == 0
    res = cli("prep", "tts-features", "--data", data, "--out", jobs, "--nj", "3", "--cmd", "slurm", **slurm)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (jobs / "log").glob("*.rc")) == [f"tts-features.{j}.rc" for j in (1, 2, 3)]
    for npz in one.glob("*.npz"):
        with np.load(npz) as a, np.load(jobs / npz.name) as b:
            assert all(np.array_equal(a[k], b[k]) for k in ("mel", "pitch", "energy")), npz.name
    a, b = (json.loads((d / "stats.json").read_text()) for d in (one, jobs))
    assert a["utterances"] == b["utterances"] == 10 and a["frames"] == b["frames"]
    for key in ("pitch", "energy", "mel"):
        assert np.allclose(np.array(list(a[key].values())), np.array(list(b[key].values())), rtol=1e-9), key
    assert not list(jobs.glob("split*"))
    synth = ["synth", "--model", trained, "--data", data, "--source", "phones", "--gl-iters", "4"]
    assert cli(*synth, "--out", tmp_path / "s_one", **ONE_THREAD).returncode == 0
    res = cli(*synth, "--out", tmp_path / "s_jobs", "--nj", "2", "--cmd", "slurm", **slurm)
    assert res.returncode == 0 and "in 2 jobs" in res.stderr, res.stderr
    for name in ("phones", "durations"):
        assert read_table(tmp_path / "s_one" / name) == read_table(tmp_path / "s_jobs" / name)
    wavs = read_table(tmp_path / "s_jobs" / "wav.scp")
    assert wavs == {u: str((tmp_path / "s_jobs" / f"{u}.wav").resolve()) for u in read_table(data / "wav.scp")}
    for utt, path in wavs.items():  # batches of other neighbours pad differently: the same audio within 40 dB SNR
        a, b = sf.read(path)[0], sf.read(tmp_path / "s_one" / f"{utt}.wav")[0]
        assert len(a) == len(b) and np.sum(np.square(a - b)) < 1e-4 * np.sum(np.square(b)), utt
    info = json.loads((tmp_path / "s_jobs" / "synth.json").read_text())
    assert info["utterances"] == 10 and info["source"] == "phones" and info["rtf"] > 0
