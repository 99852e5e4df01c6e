"""trim_heap: holes freed in the middle of glibc's heap go back to the OS once resident memory outgrows the slack;
trimmed: a loop over batches that trims after each."""

from __future__ import annotations

import platform

from speechkit.utils import memory


def test_trim_heap_returns_holes_once_resident_memory_outgrows_the_slack() -> None:
    assert platform.libc_ver()[0] == "glibc", "the project's machines run glibc"
    assert not memory.trim_heap(slack=1 << 40)  # sets the baseline
    blocks = [bytearray(100_000) for _ in range(1200)]  # below the mmap threshold: in the heap, touched (zeroed)
    kept = blocks[1::2]  # every other block stays, so the freed ones are holes the heap cannot shrink past
    del blocks
    assert not memory.trim_heap(slack=1 << 40)
    before = memory.resident_bytes()
    assert memory.trim_heap(slack=20_000_000)
    assert memory.resident_bytes() < before - 40_000_000
    assert not memory.trim_heap(slack=20_000_000)  # nothing grew since
    assert len(kept) == 600 and all(len(b) == 100_000 for b in kept)


def test_trimmed_yields_every_batch_and_trims_after_each_ones_work(monkeypatch) -> None:
    events = []
    monkeypatch.setattr(memory, "trim_heap", lambda: events.append("trim"))
    for batch in memory.trimmed(["a", "b", "c"]):
        events.append(batch)
    assert events == ["a", "trim", "b", "trim", "c", "trim"]
