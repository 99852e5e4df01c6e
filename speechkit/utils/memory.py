"""Keep a long run's resident memory from growing with its length: give the C heap's free pages back to the OS
when they pile up.

Batches come in ever-different shapes, and glibc's allocator serves their buffers from one heap that it can only
shrink from the top; the holes they leave stay resident. Over one epoch of FastSpeech 2 on the mini LJSpeech corpus
the heap held 200 MB in use and 460 MB of such holes, and the holes grew with the epoch. :func:`trim_heap` asks
glibc to release them (``malloc_trim``) once they exceed a slack, which costs a walk of the free lists and, later,
page faults when the space is reused; checking costs a ``mallinfo2`` call. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

SLACK_BYTES = 256 << 20
"""Free heap space tolerated before it is released."""


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]  # fmt: skip


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc, or older than 2.33
        return None
    return libc


_LIBC = _glibc()


def free_heap_bytes() -> int:
    """Bytes the C heap holds free (0 where that is unknown)."""
    return int(_LIBC.mallinfo2().fordblks) if _LIBC is not None else 0


def trim_heap(slack: int = SLACK_BYTES) -> bool:
    """Release the heap's free pages if more than ``slack`` bytes are free; returns whether it did."""
    if _LIBC is None or free_heap_bytes() <= slack:
        return False
    _LIBC.malloc_trim(0)
    return True
