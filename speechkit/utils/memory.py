"""Keep a long run's resident memory from growing with its length: give the C heap's free pages back to the OS
when resident memory has grown by more than a slack since they were last given back.

Batches come in ever-different shapes, and glibc's allocator serves their buffers from one heap that it can only
shrink from the top; the holes they leave stay resident. Over one epoch of FastSpeech 2 on the mini LJSpeech corpus
the heap held 200 MB in use and 460 MB of such holes, and the holes grew with the epoch (peak 1.40 GB, 2.35 GB on
20 copies of the corpus). ``malloc_trim`` releases them, but a trim after every step also releases the step's own
working set, which the next step must fault back in (15-20 % slower); so :func:`trim_heap` trims only when resident
memory is ``slack`` above what it was after the last trim. Elsewhere than glibc on Linux it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

SLACK_BYTES = 256 << 20
"""Growth of resident memory tolerated before the heap is trimmed."""
_PAGE = 4096


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.gnu_get_libc_version  # noqa: B018 - present in glibc only
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()
_after_trim: int | None = None


def resident_bytes() -> int:
    """This process's resident memory (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return 0


def trim_heap(slack: int = SLACK_BYTES) -> bool:
    """Give the heap's free pages back if resident memory grew by more than ``slack`` since the last trim (or
    the first call); returns whether it trimmed."""
    global _after_trim
    if _LIBC is None:
        return False
    now = resident_bytes()
    if _after_trim is None or now < _after_trim:
        _after_trim = now
    if now - _after_trim <= slack:
        return False
    _LIBC.malloc_trim(0)
    _after_trim = resident_bytes()
    return True


def trimmed(batches: Iterable[T]) -> Iterator[T]:
    """``batches``, with :func:`trim_heap` after each one's work: for loops over batches outside the training step
    (validation), where 40 batches of FastSpeech 2 after an epoch of training otherwise left 400 MB of holes."""
    for batch in batches:
        yield batch
        trim_heap()
