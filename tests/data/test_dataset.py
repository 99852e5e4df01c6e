"""AudioDataset and collate: shapes, targets, caching, and a speed factor and augmentations fixed by (seed, epoch,
index)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_datadir import write_wav
from torch.utils.data import DataLoader

from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import Utterance, load_data_dir, write_data_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.features.augment import AugmentConfig

RATE = 16000
SECONDS = [0.25, 0.5, 0.3, 0.125, 0.4, 0.2]


@pytest.fixture
def utts(tmp_path: Path) -> list[Utterance]:
    (tmp_path / "wavs").mkdir()
    written = []
    for i, s in enumerate(SECONDS):
        write_wav(tmp_path / "wavs" / f"{i}.wav", seconds=s, freq=200.0 * (i + 1))
        written.append(Utterance(f"spk-{i}", "spk", str(tmp_path / "wavs" / f"{i}.wav"), "a " * (i + 1)))
    write_data_dir(tmp_path / "data", written)
    return load_data_dir(tmp_path / "data")


def _targets(utt: Utterance) -> dict[str, list[int] | int]:
    """Token ids (one per word) and a class id, as a task would supply them."""
    return {"tokens": list(range(1, len(utt.text.split()) + 1)), "label": int(utt.utt[-1])}


def test_item_and_collate_shapes(utts: list[Utterance]) -> None:
    data = AudioDataset(utts, _targets, RATE)
    item = data[1]
    assert item["utt"] == "spk-1" and item["wav"].shape == (int(0.5 * RATE),) and item["tokens"] == [1, 2]
    batch = collate([data[0], data[1], data[3]])
    assert batch["utt"] == ["spk-0", "spk-1", "spk-3"]
    assert batch["wav"].shape == (3, int(0.5 * RATE)) and batch["wav"].dtype == torch.float32
    assert batch["wav_lengths"].tolist() == [int(s * RATE) for s in (0.25, 0.5, 0.125)]
    assert torch.equal(batch["wav"][2, int(0.125 * RATE):], torch.zeros(int(0.375 * RATE)))
    assert batch["tokens"].tolist() == [[1, 0, 0, 0], [1, 2, 0, 0], [1, 2, 3, 4]]
    assert batch["tokens_lengths"].tolist() == [1, 2, 4]
    assert batch["label"].tolist() == [0, 1, 3] and "label_lengths" not in batch


def test_cache_gives_the_same_audio(utts: list[Utterance]) -> None:
    plain, cached = AudioDataset(utts, _targets, RATE), AudioDataset(utts, _targets, RATE, cache=True)
    for i in range(len(utts)):
        assert torch.equal(plain[i]["wav"], cached[i]["wav"])


def test_speed_factor_depends_on_seed_epoch_index_only(utts: list[Utterance]) -> None:
    def factors(seed: int, epoch: int, order: list[int]) -> dict[int, float]:
        data = AudioDataset(utts, _targets, RATE, speeds=(0.9, 1.0, 1.1), seed=seed)
        data.set_epoch(epoch)
        return {i: data.speed(i) for i in order}

    forward, backward = list(range(len(utts))), list(reversed(range(len(utts))))
    assert factors(0, 0, forward) == factors(0, 0, backward)
    assert factors(0, 0, forward) != factors(0, 1, forward)
    assert factors(0, 0, forward) != factors(1, 0, forward)
    data = AudioDataset(utts, _targets, RATE, speeds=(0.9, 1.1))
    for i, seconds in enumerate(SECONDS):
        assert abs(len(data[i]["wav"]) - seconds * RATE / data.speed(i)) <= 1


def test_loader_with_duration_batches(utts: list[Utterance], tmp_path: Path) -> None:
    durations = read_durations(tmp_path / "data")
    sampler = DurationBatchSampler([durations[u.utt] for u in utts], max_seconds=1.0, seed=0)
    data = AudioDataset(utts, _targets, RATE, speeds=(0.9, 1.0, 1.1), seed=0)
    loader = DataLoader(data, batch_sampler=sampler, collate_fn=collate, num_workers=2)

    def epoch() -> list[tuple[list[str], list[int]]]:
        return [(b["utt"], b["wav_lengths"].tolist()) for b in loader]

    first = epoch()
    assert sorted(u for ids, _ in first for u in ids) == [u.utt for u in utts]
    assert first == epoch()  # same epoch, other worker scheduling: same examples


def test_augmentations_change_the_audio_by_seed_epoch_and_index_only(utts: list[Utterance]) -> None:
    noisy = AugmentConfig(noise_prob=1.0, snr_db=[10.0, 10.0])

    def items(epoch: int, order: list[int]) -> dict[int, torch.Tensor]:
        data = AudioDataset(utts, _targets, RATE, seed=0, augmentation=noisy)
        data.set_epoch(epoch)
        return {i: data[i]["wav"] for i in order}

    plain = AudioDataset(utts, _targets, RATE)
    forward, backward = items(0, list(range(len(utts)))), items(0, list(reversed(range(len(utts)))))
    for i in range(len(utts)):
        assert torch.equal(forward[i], backward[i]) and len(forward[i]) == len(plain[i]["wav"])
        residual = forward[i] - plain[i]["wav"]
        snr = 10 * torch.log10(plain[i]["wav"].pow(2).mean() / residual.pow(2).mean())
        assert snr == pytest.approx(10.0, abs=0.1)
    assert not torch.equal(forward[0], items(1, [0])[0])
