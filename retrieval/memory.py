"""Giving the heap that reading a collection freed back to the operating system.

Reading a collection's records into the process (`PassageIndex.warm`) goes through Chroma's
answers, ~7.9 kB a record as handed over against ~2.4 kB as kept: the difference is freed,
but glibc keeps freed memory between the records that stay, so the process held ~160 MB
(a 10,000-member collection) it no longer used until something asked glibc to return it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache
from typing import Any

logger = logging.getLogger(__name__)


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None  # glibc's own: not musl, macOS
    except OSError:
        return None


def release_freed_heap() -> bool:
    """Return the freed parts of the process's heap to the operating system (glibc's
    ``malloc_trim``); False where the C library has no such call, and nothing is done."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
