"""Duration batching: every utterance once per epoch, within budget, reproducible; durations cached in utt2dur."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from tiny_datadir import write_wav

from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import Utterance, write_data_dir
from speechkit.data.table import read_table
from speechkit.errors import SpeechkitError

_RNG = random.Random(0)
DURATIONS = [round(_RNG.uniform(0.5, 6.0), 2) for _ in range(200)]


def _epoch(sampler: DurationBatchSampler, epoch: int) -> list[list[int]]:
    sampler.set_epoch(epoch)
    return list(sampler)


@pytest.mark.parametrize("max_utts", [None, 4])
def test_each_utterance_once_within_budget(max_utts: int | None) -> None:
    sampler = DurationBatchSampler(DURATIONS, max_seconds=20.0, max_utts=max_utts, seed=1)
    batches = _epoch(sampler, 0)
    assert len(batches) == len(sampler)
    assert sorted(i for batch in batches for i in batch) == list(range(len(DURATIONS)))
    for batch in batches:
        assert len(batch) * max(DURATIONS[i] for i in batch) <= 20.0
        assert max_utts is None or len(batch) <= max_utts


def test_order_follows_seed_and_epoch() -> None:
    def sampler(seed: int) -> DurationBatchSampler:
        return DurationBatchSampler(DURATIONS, max_seconds=15.0, seed=seed)

    assert _epoch(sampler(5), 3) == _epoch(sampler(5), 3)
    assert _epoch(sampler(5), 3) != _epoch(sampler(5), 4)
    assert sorted(_epoch(sampler(5), 3)) == sorted(_epoch(sampler(5), 4))  # same batches, other order


def test_unshuffled_batches_come_shortest_first() -> None:
    batches = list(DurationBatchSampler(DURATIONS, max_seconds=15.0, shuffle=False))
    longest = [max(DURATIONS[i] for i in batch) for batch in batches]
    assert longest == sorted(longest)


def test_overlong_utterance_gets_its_own_batch() -> None:
    assert list(DurationBatchSampler([1.0, 30.0, 1.0], max_seconds=10.0, shuffle=False)) == [[0, 2], [1]]


def _data_dir(tmp_path: Path, seconds: list[float]) -> Path:
    (tmp_path / "wavs").mkdir()
    utts = []
    for i, s in enumerate(seconds):
        write_wav(tmp_path / "wavs" / f"{i}.wav", seconds=s)
        utts.append(Utterance(f"spk-{i}", "spk", str(tmp_path / "wavs" / f"{i}.wav"), "hello"))
    write_data_dir(tmp_path / "data", utts)
    return tmp_path / "data"


def test_read_durations_measures_then_caches(tmp_path: Path) -> None:
    data = _data_dir(tmp_path, [0.25, 1.0, 0.5])
    expected = {"spk-0": 0.25, "spk-1": 1.0, "spk-2": 0.5}
    assert read_durations(data) == expected
    assert read_table(data / "utt2dur") == {"spk-0": "0.250000", "spk-1": "1.000000", "spk-2": "0.500000"}
    (data / "utt2dur").write_text("spk-0 9\nspk-1 8\nspk-2 7\n")
    assert read_durations(data) == {"spk-0": 9.0, "spk-1": 8.0, "spk-2": 7.0}  # the cache is what is read


def test_stale_cache_is_rebuilt(tmp_path: Path) -> None:
    data = _data_dir(tmp_path, [0.25, 1.0])
    (data / "utt2dur").write_text("spk-0 9\n")
    assert read_durations(data) == {"spk-0": 0.25, "spk-1": 1.0}


def test_bad_cache_names_file_and_utterance(tmp_path: Path) -> None:
    data = _data_dir(tmp_path, [0.25])
    (data / "utt2dur").write_text("spk-0 long\n")
    with pytest.raises(SpeechkitError, match="utt2dur: duration 'long' of utterance 'spk-0'"):
        read_durations(data)
