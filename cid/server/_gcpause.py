"""Python's cyclic garbage collector paused while zones load.

A load makes millions of objects that live on (names, rdata, nodes, records), almost
none of them in a reference cycle. The collector counts them as they are made and
walks its older generations again and again as they grow: at 100,000 descriptors that
was about a quarter of a load (BENCHMARKS.md, "Load time"). Paused for the load and
resumed after it, the collector looks at what was made once, at its next collection,
and any cycle made meanwhile is collected then: nothing is kept that would not be.
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
    """Pause cyclic garbage collection for the block; resumed when the last such block
    on any thread ends, if it was running before the first began."""
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
            if _depth == 0 and _resume:
                gc.enable()
