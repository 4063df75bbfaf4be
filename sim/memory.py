"""Keep freed arrays in the process: glibc would hand their memory back and fault it in again.

A replication of W1 allocates a dozen arrays of about a megabyte and frees them. With glibc's
default, dynamic thresholds the freed memory at the top of the heap is given back to the system
(trimmed) once it passes a few megabytes, so every replication takes its memory afresh through
page faults: a tenth of a W1 replication's time. In Dask's workers it was worse: Dask's nanny sets
``MALLOC_TRIM_THRESHOLD_``, which pins glibc's mmap threshold at 128 KiB, and each array was mapped
and unmapped anew (replications at half speed).

:func:`keep_freed_memory` fixes both thresholds (arrays up to 64 MiB come from the heap, and up to
256 MiB of free heap is kept), once per process; every process that runs replications calls it.
Elsewhere than glibc it does nothing. Memory the process reached at its peak stays with it until
it ends, which a simulation run reaches again with its next replications anyway.

Examples
--------
>>> keep_freed_memory() in (True, False)   # True where glibc's allocator was tuned
True
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 64 * 2**20
TRIM_THRESHOLD = 256 * 2**20


@cache
def keep_freed_memory() -> bool:
    """Tune glibc's allocator to keep freed arrays for reuse (see the module docs); return whether it was."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl has its own allocator)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
