"""The collector paused while zones load (``cid/server/_gcpause.py``), and resumed."""

from __future__ import annotations

import gc
import tempfile
import threading
import time
from pathlib import Path

import pytest

from cid.registry._demo import write_demo
from cid.server._gcpause import gc_paused
from cid.server._live import LiveUpdates


def test_paused_in_the_block_and_resumed_after() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumed_after_an_error() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("load failed")
    assert gc.isenabled()


def test_not_resumed_when_it_was_not_running() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_two_threads_resume_when_the_last_ends() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with gc_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with gc_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first ended: still paused for this one
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False, True]


def test_a_load_leaves_the_collector_running() -> None:
    demo = write_demo(Path(tempfile.mkdtemp()) / "registry", now=int(time.time()))
    live = LiveUpdates(demo.path, now=int(time.time()), images=False)
    assert gc.isenabled() and live.authority.origins


def test_what_a_load_made_is_frozen_and_loads_make_no_cycles() -> None:
    # No cycle to collect after a load and reloads (the premise of freezing), and the
    # loaded objects are out of later collections' way.
    import asyncio  # noqa: PLC0415

    demo = write_demo(Path(tempfile.mkdtemp()) / "registry", now=int(time.time()))
    gc.unfreeze()  # what earlier tests froze, collected too
    gc.collect()
    try:
        live = LiveUpdates(demo.path, now=int(time.time()), images=False)
        assert gc.get_freeze_count() > 10_000

        async def reloads() -> None:
            for i in range(3):
                gc.unfreeze()  # so that collect() looks at everything
                await live.reload(int(time.time()) + i)
                assert gc.get_freeze_count() > 10_000
                gc.unfreeze()
                assert gc.collect() == 0

        asyncio.run(reloads())
    finally:
        gc.unfreeze()
