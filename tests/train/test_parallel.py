"""Data-parallel training: two torchrun CPU processes (gloo) train what one process trains with accum_grad 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from speechkit.data.batching import ShuffledBatchSampler
from speechkit.train.parallel import Layout, ShardedBatches, batch_seed


def train_records(exp: Path) -> list[dict]:
    return [r for r in map(json.loads, (exp / "train.jsonl").read_text().splitlines()) if r["split"] == "train"]


def parameters(exp: Path) -> dict[str, torch.Tensor]:
    """The trained weights without the buffers (batch-norm statistics: averaged over the processes at each epoch's
    end instead of updated batch after batch)."""
    state = torch.load(exp / "model.pt", weights_only=True)["model"]
    return {k: v for k, v in state.items() if "running_" not in k and "num_batches_tracked" not in k}


def test_two_processes_train_what_one_trains_with_accum_grad_2(recipe: Path, cli) -> None:
    small = ["train.epochs=2", "data.max_utts=2"]  # 8 batches of the 16 training utterances: 4 steps an epoch
    one = cli("train", "--recipe", recipe, "exp_dir=exp/one", "train.accum_grad=2", *small)
    assert one.returncode == 0, one.stderr
    two = cli("train", "--recipe", recipe, "--nproc", "2", "exp_dir=exp/two", *small)
    assert two.returncode == 0, two.stderr
    assert "training on cpu with 1 CPU thread in each of 2 processes" in two.stderr
    assert two.stdout.count("averaged_epochs") == 1  # one process reports
    a, b = train_records(recipe / "exp" / "one"), train_records(recipe / "exp" / "two")
    assert [r["step"] for r in a] == [r["step"] for r in b] and len(a) == 8  # log_every 1: every step
    for ra, rb in zip(a, b):
        for key in ("loss", "ctc_phone", "ctc_bpe", "intent", "lr"):
            assert abs(ra[key] - rb[key]) <= 1e-4, (ra["step"], key, ra[key], rb[key])
    assert a[-1]["ctc_bpe"] < 0.7 * a[0]["ctc_bpe"]  # and they learn (7.4 -> 4.1)
    pa, pb = parameters(recipe / "exp" / "one"), parameters(recipe / "exp" / "two")
    assert pa.keys() == pb.keys() and all(torch.allclose(pa[k], pb[k], atol=1e-4) for k in pa)


def test_a_killed_two_process_run_resumes_to_the_same_weights(recipe: Path, cli, train_killed_then_resumed) -> None:
    ref = cli("train", "--recipe", recipe, "--nproc", "2", "exp_dir=exp/ref")
    assert ref.returncode == 0, ref.stderr
    exp = train_killed_then_resumed(recipe, "exp/killed", "--nproc", "2")
    a = torch.load(recipe / "exp" / "ref" / "model.pt", weights_only=True)["model"]
    b = torch.load(exp / "model.pt", weights_only=True)["model"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_step_takes_consecutive_batches_each_process_its_share() -> None:
    sampler = ShuffledBatchSampler(11, 1, seed=0)  # 11 batches: one step of 2 x 2 leaves a tail of 3 out
    everything = list(sampler)
    shares = [list(ShardedBatches(sampler, Layout(world=2, rank=r, accum=2))) for r in (0, 1)]
    assert [len(s) for s in shares] == [4, 4]
    steps = [shares[0][i : i + 2] + shares[1][i : i + 2] for i in (0, 2)]
    assert steps == [everything[0:4], everything[4:8]]
    assert Layout(2, 1, 2).position(3) == 7  # rank 1's fourth batch is the eighth of the epoch


def test_a_batch_gets_its_random_numbers_from_its_place_not_its_process() -> None:
    assert batch_seed(0, 1, 5) == batch_seed(0, 1, 5)
    assert len({batch_seed(0, 1, 5), batch_seed(0, 2, 5), batch_seed(0, 1, 6), batch_seed(1, 1, 5)}) == 4


def test_more_processes_than_batches_is_one_clear_error(recipe: Path, cli) -> None:
    res = cli("train", "--recipe", recipe, "exp_dir=exp/x", "train.accum_grad=1000")
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1].startswith("error: the training data gives fewer batches per epoch")


@pytest.mark.parametrize("value", ["0", "-2"])
def test_accum_grad_below_one_is_refused(recipe: Path, cli, value: str) -> None:
    res = cli("train", "--recipe", recipe, "exp_dir=exp/x", f"train.accum_grad={value}")
    assert res.returncode == 1 and "train.accum_grad must be at least 1" in res.stderr, res.stderr


def test_errors_under_torchrun_are_lines_not_torchrun_reports(recipe: Path, cli) -> None:
    res = cli("train", "--recipe", recipe, "--nproc", "2", "exp_dir=exp/x", "train.lr=-1")
    assert res.returncode == 1 and res.stderr == "error: train.lr must be positive, found -1.0\n", res.stderr
    res = cli("train", "--recipe", recipe, "--nproc", "2", "exp_dir=exp/x", "data.max_utts=0")  # fails in the workers
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 1 and "Traceback" not in res.stderr and "OMP_NUM_THREADS" not in res.stderr, res.stderr
    assert lines[-1].startswith("error: training stopped: process") and "exited with status 1" in lines[-1]
    assert all(line.startswith("error: ") for line in lines), lines  # each process's own line, then the summary
