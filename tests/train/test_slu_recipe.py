"""Train, decode and fail cleanly with a tiny SLU model on the tiny FSC corpus."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from speechkit.data.table import read_table, write_table


def weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["model"]


def test_train_writes_a_model_dir_that_decode_uses(recipe: Path, cli) -> None:
    res = cli("train", "--recipe", str(recipe), "--threads", "2")
    assert res.returncode == 0, res.stderr
    assert "training on cpu with 2 CPU threads" in res.stderr
    exp = recipe / "exp" / "slu"
    for name in ("config.yaml", "model.yaml", "model.pt", "train.jsonl", "curves.png", "lang/bpe.model"):
        assert (exp / name).is_file(), name
    log = [json.loads(line) for line in (exp / "train.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log if r["split"] == "valid"] == [1, 2, 3]
    assert {"loss", "ctc_phone", "ctc_bpe", "utts_per_s", "lr"} <= set(log[0])
    train = [r for r in log if r["split"] == "train"]
    assert train[-1]["ctc_bpe"] < 0.6 * train[0]["ctc_bpe"]  # it learns: about 8.8 -> 4.3 in these 9 steps
    intent = [r["intent"] for r in train if r["epoch"] > 1]  # the intent loss counts from epoch 2
    assert sum(intent[-2:]) < sum(intent[:2])
    res = cli("decode", "--model", str(exp), "--data", str(recipe / "data" / "test"))
    assert res.returncode == 0, res.stderr
    hyp = read_table(exp / "decode_test" / "utt2intent")
    assert set(hyp) == set(read_table(recipe / "data" / "test" / "utt2intent"))
    assert all(len(v.split("|")) == 3 for v in hyp.values())
    assert set(read_table(exp / "decode_test" / "text", allow_empty=True)) == set(hyp)


def test_killed_run_resumes_to_the_same_weights(recipe: Path, cli, train_killed_then_resumed) -> None:
    ref = cli("train", "--recipe", str(recipe), "exp_dir=exp/ref")
    assert ref.returncode == 0, ref.stderr
    exp = train_killed_then_resumed(recipe, "exp/killed")
    a, b = weights(recipe / "exp" / "ref" / "model.pt"), weights(exp / "model.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_run_killed_while_writing_its_first_checkpoint_starts_afresh(recipe: Path, cli) -> None:
    """A checkpoint dir holding only a temporary file (killed mid-save) is a fresh start, CMVN statistics included."""
    assert cli("train", "--recipe", str(recipe), "exp_dir=exp/ref", "train.epochs=1").returncode == 0
    ckpt = recipe / "exp" / "killed" / "ckpt"
    ckpt.mkdir(parents=True)
    (ckpt / ".epoch1.pt.x1y2z3.tmp").write_bytes(b"PK\x03\x04 partial")
    res = cli("train", "--recipe", str(recipe), "exp_dir=exp/killed", "train.epochs=1")
    assert res.returncode == 0 and "resuming" not in res.stderr, res.stderr
    a, b = weights(recipe / "exp" / "ref" / "model.pt"), weights(recipe / "exp" / "killed" / "model.pt")
    assert not torch.equal(a["cmvn.mean"], torch.zeros_like(a["cmvn.mean"]))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_config_typo_is_one_clear_line(recipe: Path, cli) -> None:
    res = cli("train", "--recipe", str(recipe), "train.epoch=3")
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        "error: command line: unknown key 'train.epoch' (did you mean 'train.epochs'?)"
    ]


def test_decode_errors_are_one_clear_line(recipe: Path, tmp_path: Path, cli) -> None:
    res = cli("decode", "--model", str(tmp_path / "nope"), "--data", str(recipe / "data" / "test"))
    assert res.returncode == 1 and res.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope'}: model directory not found"
    ]
    assert cli("train", "--recipe", str(recipe), "train.epochs=1").returncode == 0
    exp = recipe / "exp" / "slu"
    # a lang dir with another BPE inventory: the model must refuse it
    from speechkit.lang.prepare import prepare_lang

    prepare_lang(recipe / "data" / "train" / "text", tmp_path / "lang", bpe_size=30)
    (exp / "lang" / "bpe.model").write_bytes((tmp_path / "lang" / "bpe.model").read_bytes())
    res = cli("decode", "--model", str(exp), "--data", str(recipe / "data" / "test"))
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
    assert "does not match the model" in res.stderr and str(exp / "lang") in res.stderr


def test_frozen_encoder_trains_only_the_intent_head(recipe: Path, cli) -> None:
    res = cli("train", "--recipe", str(recipe), "exp_dir=exp/frozen", "train.epochs=2",
              "train.pretrain_epochs=1", "train.freeze_encoder=true", "train.keep_best=2")  # fmt: skip
    assert res.returncode == 0, res.stderr
    ckpt = recipe / "exp" / "frozen" / "ckpt"
    first, second = weights(ckpt / "epoch1.pt"), weights(ckpt / "epoch2.pt")
    lower = [k for k in first if k.startswith(("subsample.", "encoder.", "phone_head.", "bpe_head."))]
    head = [k for k in first if k.startswith(("pool.", "slot_heads."))]
    assert lower and head
    assert all(torch.equal(first[k], second[k]) for k in lower)
    assert not all(torch.equal(first[k], second[k]) for k in head)


def test_a_changed_config_is_refused_and_the_finished_model_kept(recipe: Path, cli) -> None:
    assert cli("train", "--recipe", str(recipe), "train.epochs=1").returncode == 0
    exp = recipe / "exp" / "slu"
    before = {p: p.read_bytes() for p in exp.rglob("*") if p.is_file() and p.name != ".lock"}
    res = cli("train", "--recipe", str(recipe), "train.epochs=1", "train.lr=0.01", "train.bpe_weight=0.5")
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "train.lr: 0.003 -> 0.01" in res.stderr and "--restart" in res.stderr
    assert {p: p.read_bytes() for p in exp.rglob("*") if p.is_file() and p.name != ".lock"} == before
    res = cli("train", "--recipe", str(recipe), "train.epochs=1", "train.lr=0.01", "--restart")
    assert res.returncode == 0 and "resuming" not in res.stderr, res.stderr
    assert "lr: 0.01" in (exp / "config.yaml").read_text() and weights(exp / "model.pt").keys()


def test_a_second_training_of_the_same_exp_dir_is_refused_naming_the_first(recipe: Path, cli) -> None:
    first = subprocess.Popen(["speechkit", "train", "--recipe", str(recipe), "train.epochs=50"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        lock = recipe / "exp" / "slu" / ".lock"
        deadline = time.time() + 60
        while time.time() < deadline and not (lock.is_file() and lock.read_text().strip()):
            time.sleep(0.05)
        res = cli("train", "--recipe", str(recipe), "train.epochs=50")
        assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert f"another training is using this exp dir (pid {first.pid})" in res.stderr
    finally:
        first.kill()
        first.wait()
    res = cli("train", "--recipe", str(recipe), "train.epochs=1", "--restart")  # a killed holder leaves no lock
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("override,message", [
    ("train.epochs=0", "train.epochs must be at least 1, found 0"),
    ("train.epochs=-2", "train.epochs must be at least 1, found -2"),
    ("train.lr=0", "train.lr must be positive, found 0"),
    ("train.lr=-0.1", "train.lr must be positive, found -0.1"),
    ("exp_dir=conf/train.yaml", "exp_dir exists and is not a directory"),
])  # fmt: skip
def test_settings_that_train_nothing_are_one_line(recipe: Path, override: str, message: str, cli) -> None:
    config = (recipe / "conf" / "train.yaml").read_bytes()
    res = cli("train", "--recipe", str(recipe), override)
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1 and message in res.stderr, res.stderr
    assert not (recipe / "exp").exists() and (recipe / "conf" / "train.yaml").read_bytes() == config


@pytest.mark.parametrize("damage", ["nan", "empty"])
def test_broken_training_audio_stops_naming_the_file(recipe: Path, damage: str, cli) -> None:
    wav = Path(next(iter(read_table(recipe / "data" / "train" / "wav.scp").values())))
    local = recipe / "bad.wav"
    samples = np.full(0 if damage == "empty" else 8000, 0.1, dtype=np.float32)
    if damage == "nan":
        samples[4321] = np.nan
    sf.write(local, samples, 16000, subtype="FLOAT")
    table = read_table(recipe / "data" / "train" / "wav.scp")
    write_table(recipe / "data" / "train" / "wav.scp", {k: (str(local) if v == str(wav) else v) for k, v in table.items()})
    res = cli("train", "--recipe", str(recipe), "train.epochs=1")
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert str(local) in res.stderr
    assert ("sample 4321 is not a finite number" if damage == "nan" else "no samples") in res.stderr
    assert not (recipe / "exp" / "slu" / "model.pt").exists()


def test_a_full_disk_at_a_checkpoint_is_one_line_and_the_previous_checkpoint_loads(recipe: Path, cli) -> None:
    """The exp dir on a tmpfs (in a private mount namespace) with room for epoch 1's files and half a checkpoint."""
    assert cli("train", "--recipe", str(recipe), "train.epochs=1", "exp_dir=exp/probe").returncode == 0
    probe = recipe / "exp" / "probe"
    used = sum(p.stat().st_size for p in probe.rglob("*") if p.is_file() and p.name != "model.pt")
    size_kb = (used + (probe / "ckpt" / "epoch1.pt").stat().st_size // 2) // 1024 + 64
    exp = recipe / "exp" / "full"
    exp.mkdir()
    script = (f"mount -t tmpfs -o size={size_kb}k tmpfs {exp} && speechkit train --recipe {recipe} train.epochs=3 "
              f"exp_dir=exp/full; echo rc=$? >&2; python -c \"import torch; torch.load('{exp}/ckpt/epoch1.pt', "
              f"weights_only=True); print('loads')\"; ls -a {exp} {exp}/ckpt")  # fmt: skip
    res = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                         capture_output=True, text=True)  # fmt: skip
    lines = [x for x in res.stderr.strip().splitlines() if x.startswith(("error", "rc="))]
    assert lines[-1] == "rc=1" and len(lines) == 2, res.stderr
    assert lines[0].endswith("epoch2.pt: No space left on device: nothing written, the previous file is intact")
    listing = res.stdout.split()
    assert "loads" in listing and "epoch1.pt" in listing and not [x for x in listing if x.endswith(".tmp")], res.stdout
