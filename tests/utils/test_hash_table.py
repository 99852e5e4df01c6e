"""The int64 hash table the compiled beam search uses: the same answers as a dict, through growth."""

from __future__ import annotations

import numpy as np

from speechkit.utils import hash_table


def test_lookups_agree_with_a_dict_while_the_table_grows() -> None:
    rng = np.random.default_rng(0)
    keys, vals = hash_table.empty(16)
    reference: dict[int, int] = {}
    for _ in range(20):
        new_keys = rng.integers(0, 10**12, 500)
        new_keys[:50] = rng.choice(list(reference) or [7], 50)  # some keys again: their values change
        new_vals = rng.integers(0, 10**9, 500)
        keys, vals = hash_table.grown(keys, vals, len(reference) + len(new_keys))
        hash_table.insert_all(keys, vals, new_keys, new_vals)
        reference.update(zip(new_keys.tolist(), new_vals.tolist()))
        assert 2 * len(reference) <= len(keys)  # at most half full
    present = np.array(list(reference), np.int64)
    absent = rng.integers(10**12, 2 * 10**12, 1000)
    assert [hash_table.lookup(keys, vals, k) for k in present] == [reference[k] for k in present.tolist()]
    assert all(hash_table.lookup(keys, vals, k) == -1 for k in absent)
    built = hash_table.from_items(reference)
    assert all(hash_table.lookup(*built, k) == v for k, v in reference.items())
