"""Python's cyclic garbage collector paused while zones load, and their objects frozen.

A load makes millions of objects that live on (names, rdata, nodes, records), and no
reference cycles (a load and three reloads of the demo leave ``gc.collect()`` nothing
to find: ``tests/cid/server/test_gcpause.py``). The collector counts them as they are
made and walks its older generations again and again as they grow: at 100,000
descriptors that was about a quarter of a load (BENCHMARKS.md, "Load time"). Resumed
after the load, it would then walk them all at once, stalling the first answers for
seconds. So the load ends with ``gc.freeze()``: what exists then is left out of every
later collection (objects are still freed when their last reference goes; a fork for
``--workers`` shares them without copying). A cycle that exists at a freeze and dies
after it would be kept; loads make none.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["gc_paused"]

_lock = threading.Lock()
_depth = 0  # loads under way (a reload beside a registration's assembly, say)
_resume = False  # whether the collector ran before the first of them


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause cyclic garbage collection for the block; when the last such block on any
    thread ends, freeze what exists and resume, if it was running before the first."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.freeze()
                if _resume:
                    gc.enable()
