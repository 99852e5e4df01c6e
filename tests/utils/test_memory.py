"""trim_heap: freed holes in the middle of glibc's heap go back to the OS, and only past the slack."""

from __future__ import annotations

import platform

from speechkit.utils.memory import free_heap_bytes, trim_heap


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_trim_heap_returns_holes_past_the_slack() -> None:
    assert platform.libc_ver()[0] == "glibc", "the project's machines run glibc"
    blocks = [bytearray(100_000) for _ in range(1200)]  # below the mmap threshold: in the heap, touched (zeroed)
    kept = blocks[1::2]  # every other block stays, so the freed ones are holes the heap cannot shrink past
    del blocks
    assert free_heap_bytes() > 50_000_000
    assert not trim_heap(slack=1 << 40)
    before = resident_bytes()
    assert trim_heap(slack=10_000_000)
    assert resident_bytes() < before - 40_000_000
    assert free_heap_bytes() > 50_000_000  # released to the OS, still the heap's to reuse
    assert len(kept) == 600 and all(len(b) == 100_000 for b in kept)
