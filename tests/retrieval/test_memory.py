"""The freed heap handed back to the operating system after a collection is read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval import memory


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(memory._libc() is None, reason="the C library has no malloc_trim")
def test_the_heap_a_read_freed_goes_back_to_the_system() -> None:
    # As reading ahead leaves it: many small blocks (a kept vector is 768 bytes), most freed,
    # a few kept between them, so the heap's top cannot simply shrink.
    blocks = [np.ones(384, dtype=np.float16) for _ in range(200_000)]
    kept = blocks[::100]
    del blocks
    before = _resident_mb()
    assert memory.release_freed_heap()
    assert _resident_mb() < before - 50
    assert len(kept) == 2000


def test_without_malloc_trim_nothing_is_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_libc", lambda: None)
    assert not memory.release_freed_heap()
