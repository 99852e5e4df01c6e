"""The aligner's features on disk: what goes in comes back, utterance by utterance, without holding them all."""

from __future__ import annotations

from pathlib import Path

import torch

from speechkit.align.features import FeatureStore, frame_counts


def test_features_come_back_as_written_and_the_file_goes_on_close(tmp_path: Path) -> None:
    feats = [torch.randn(n, 80) for n in (3, 1, 17, 8)]
    store = FeatureStore(tmp_path / "feats.f32", 80)
    for f in feats:
        store.append(f)
    assert len(store) == 4 and store.lengths == [3, 1, 17, 8] == frame_counts(store) == frame_counts(feats)
    assert all(torch.equal(a, b) for a, b in zip(store, feats))
    assert (tmp_path / "feats.f32").stat().st_size == 29 * 80 * 4  # float32, nothing else
    assert torch.equal(store[2], feats[2]) and torch.equal(store[0], feats[0])  # any order
    store.append(torch.zeros(2, 80))  # appending after reading
    assert torch.equal(store[4], torch.zeros(2, 80)) and torch.equal(store[3], feats[3])
    store.close()
    assert not (tmp_path / "feats.f32").exists()
