"""``cid serve``'s log under a flood and with a sink that blocks (a pipe nobody reads).

A flood of malformed UPDATEs must not set the log's volume (rate limit with a
count of what was suppressed), and writing the log must never stall answers or
shutdown (a bounded queue and a thread). The subprocess tests run the real
server on the demo registry.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import queue
import random
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import dns.exception
import dns.message
import dns.rcode
import pytest
from dnsservers import free_port, query

from cid.registry._demo import write_demo
from cid.registry._store import Registry
from cid.server._logsafe import RateLimit, RateLimitFilter, _Enqueue, start

SOA = "ucid.example."


@pytest.fixture
def demo(tmp_path: Path) -> Registry:
    return write_demo(tmp_path / "registry", now=int(time.time()))


def _start(demo: Registry, stderr: int | IO[str]) -> tuple[subprocess.Popen[str], int]:
    """``cid serve`` on the demo registry, once listening (or fail within 15 s)."""
    port = free_port()
    args = [sys.executable, "-m", "cid", "serve", str(demo.path), "--listen", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    if not ready:
        proc.kill()
        proc.wait(5)
        pytest.fail("cid serve did not say it was listening within 15 s")
    line = proc.stdout.readline()
    assert f"port {port}" in line, line
    return proc, port


@contextlib.contextmanager
def _running(demo: Registry, stderr: int | IO[str]) -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc, port = _start(demo, stderr)
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        assert proc.stdout is not None
        proc.stdout.close()


def _flood(port: int, updates: int = 20_000, junk: int = 5_000) -> None:
    """UPDATE headers with garbage after them, and random datagrams, to loopback only."""
    rng = random.Random(7)
    kinds = [True] * updates + [False] * junk
    rng.shuffle(kinds)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for i, update in enumerate(kinds):
            if update:  # ID, then QR clear and opcode UPDATE (5), then garbage
                data = rng.randbytes(2) + b"\x28" + rng.randbytes(rng.randrange(0, 200))
            else:
                data = rng.randbytes(rng.randrange(0, 300))
            with contextlib.suppress(OSError):  # a full send buffer: drop it
                udp.sendto(data, ("127.0.0.1", port))
            if i % 200 == 0:
                time.sleep(0.001)  # let the server read most of them
    finally:
        udp.close()


def _answers(port: int, *, tcp: bool) -> bool:
    """Whether the server answers an SOA question (UDP: one of three tries)."""
    for _ in range(1 if tcp else 3):
        try:
            r: dns.message.Message = query(port, SOA, "SOA", tcp=tcp)
        except (dns.exception.Timeout, OSError):
            continue
        return r.rcode() == dns.rcode.NOERROR
    return False


def _stop(proc: subprocess.Popen[str], seconds: float) -> float | None:
    """SIGTERM; how long the process took to exit with status 0, or None."""
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(seconds)
    except subprocess.TimeoutExpired:
        return None
    return time.monotonic() - start if status == 0 else None


def test_a_flood_of_malformed_updates_logs_a_bounded_number_of_lines(
    demo: Registry, tmp_path: Path
) -> None:
    err = tmp_path / "stderr"
    with err.open("w") as sink, _running(demo, sink) as (proc, port):
        _flood(port)
        time.sleep(0.5)  # the server reads what is still queued
        assert _answers(port, tcp=False)
        assert _answers(port, tcp=True)
        assert _stop(proc, 10) is not None
    lines = err.read_text().splitlines()
    suppressed = [int(m[1]) for m in map(re.compile(r".* (\d+) similar").match, lines) if m]
    assert len(lines) <= 50, f"{len(lines)} lines: {lines[:3]} ... {lines[-3:]}"
    assert suppressed and sum(suppressed) > 100, lines
    assert any(line.endswith("stopped") for line in lines), lines


def _full_pipe() -> tuple[int, int]:
    """A pipe whose buffer is already full: every write to it blocks."""
    r, w = os.pipe()
    with contextlib.suppress(OSError):
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)  # less to fill
    os.set_blocking(w, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(w, b"x" * 4096)
    os.set_blocking(w, True)  # the server gets a blocking stderr, as usual
    return r, w


@pytest.mark.parametrize("full", [False, True], ids=["filled-by-the-flood", "full-from-the-start"])
def test_a_blocked_stderr_stalls_neither_answers_nor_shutdown(demo: Registry, full: bool) -> None:
    if full:
        r, w = _full_pipe()
    else:
        r, w = os.pipe()  # never read: the flood's log lines fill it
    try:
        with _running(demo, w) as (proc, port):
            os.close(w)
            w = -1
            for _ in range(2):
                _flood(port, updates=10_000, junk=2_000)
                assert _answers(port, tcp=False)
                assert _answers(port, tcp=True)
            took = _stop(proc, 15)
            assert took is not None and took < 5, f"exit after SIGTERM: {took}"
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


# ------------------------------------------------ the rate limit, sans-IO

# (burst, interval, max_keys, [(kind, now)], [(passed, reports)])
# fmt: off
CASES = [
    pytest.param(
        2, 10.0, 10, [("a", 0), ("a", 1), ("a", 2), ("a", 9.9)],
        [(True, []), (True, []), (False, []), (False, [])],
        id="burst-then-suppressed",
    ),
    pytest.param(
        1, 10.0, 10, [("a", 0), ("a", 1), ("a", 2), ("a", 10)],
        [(True, []), (False, []), (False, []), (True, [("a", 2)])],
        id="next-window-reports-the-count-first",
    ),
    pytest.param(
        1, 10.0, 10, [("a", 0), ("a", 10), ("a", 20)],
        [(True, []), (True, []), (True, [])],
        id="nothing-suppressed-nothing-reported",
    ),
    pytest.param(
        1, 10.0, 10, [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("b", 2)],
        [(True, []), (True, []), (False, []), (False, []), (False, [])],
        id="kinds-counted-apart",
    ),
    pytest.param(
        1, 10.0, 10, [("a", 5), ("a", 6), ("a", 4)],
        [(True, []), (False, []), (True, [("a", 1)])],
        id="clock-went-back-new-window",
    ),
    pytest.param(
        1, 10.0, 2, [("a", 0), ("b", 0), ("c", 0), ("d", 0), ("a", 1)],
        [(True, []), (True, []), (True, []), (False, []), (False, [])],
        id="beyond-max-keys-new-kinds-share-one",
    ),
    pytest.param(
        1, 10.0, 2, [("a", 0), ("a", 1), ("b", 5), ("c", 12)],
        [(True, []), (False, []), (True, []), (True, [("a", 1)])],
        id="a-full-table-forgets-ended-windows",
    ),
]
# fmt: on


@pytest.mark.parametrize(("burst", "interval", "max_keys", "events", "want"), CASES)
def test_rate_limit(
    burst: int,
    interval: float,
    max_keys: int,
    events: list[tuple[str, float]],
    want: list[tuple[bool, list[tuple[str, int]]]],
) -> None:
    limit = RateLimit(burst, interval, max_keys)
    assert [limit.admit(kind, now) for kind, now in events] == want


def test_rate_limit_reports_ended_windows_and_flushes() -> None:
    limit = RateLimit(1, 10.0)
    for now in (0, 1, 2, 3):
        limit.admit("a", now)
    limit.admit("b", 5)
    limit.admit("b", 6)
    assert limit.ended(9.9) == []
    assert limit.ended(10) == [("a", 3)]  # b's window is open until 15
    assert limit.ended(11) == []
    assert limit.flush() == [("b", 1)]
    assert limit.flush() == []
    assert limit.ended(15) == []  # b's count went with the flush
    with pytest.raises(ValueError, match="positive"):
        RateLimit(0, 1.0)


def _record(msg: str, *args: object, name: str = "cid.serve", **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_filter_keys_on_the_format_not_the_arguments() -> None:
    clock = [0.0]
    limit = RateLimitFilter(2, 60.0, clock=lambda: clock[0])
    passed = [limit.filter(_record("update from %s: %s", f"10.0.0.{i}", "bad")) for i in range(5)]
    assert passed == [True, True, False, False, False]
    assert limit.filter(_record("listening on %s", "x"))  # another kind
    assert limit.filter(_record("update from %s: %s", "x", "y", name="other"))  # another logger
    # Own kinds (the UPDATE outcomes), and records that are never limited.
    assert [limit.filter(_record("u %s", i, ratelimit=("k", i % 2))) for i in range(6)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert all(limit.filter(_record("not served: %s", i, ratelimit=False)) for i in range(20))
    assert limit.summaries() == []  # no window is over yet
    clock[0] = 60.0
    lines = sorted(r.getMessage() for r in limit.summaries())
    assert len(lines) == 3
    assert lines[2].startswith("3 similar messages suppressed (at most 2 in 60 s), the first: ")
    assert lines[2].endswith("update from 10.0.0.2: bad")
    assert limit.summaries() == []


def test_filter_reports_before_the_next_record_and_at_the_end() -> None:
    clock = [0.0]
    limit = RateLimitFilter(1, 10.0, clock=lambda: clock[0])
    for _ in range(4):
        limit.filter(_record("boom"))
    assert not limit.pending
    clock[0] = 30.0
    assert limit.filter(_record("boom"))  # a new window: the count waits to go first
    assert limit.pending
    assert [r.getMessage()[:31] for r in limit.summaries()] == ["3 similar messages suppressed ("]
    limit.filter(_record("boom"))
    assert limit.summaries() == []
    assert [r.getMessage()[:1] for r in limit.summaries(final=True)] == ["1"]


# -------------------------------------------- the queue and the thread


def test_a_full_queue_drops_and_counts_and_never_waits() -> None:
    q: queue.Queue[logging.LogRecord | None] = queue.Queue(3)
    handler = _Enqueue(q, RateLimitFilter(1000, 60.0))
    start = time.monotonic()
    for i in range(10):
        handler.handle(_record("line %d", i))
    assert time.monotonic() - start < 1
    assert q.qsize() == 3 and handler.dropped == 7
    handler.handle(_record("%d %d", 1))  # does not format: counted, not raised or printed
    assert handler.broken == 1


def test_the_thread_writes_counts_and_gives_up_on_a_blocked_sink() -> None:
    r, w = _full_pipe()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = os.fdopen(w, "w")
    try:
        logs = start(stream=stream, queue_size=5, burst=2)
        for i in range(50):
            logging.getLogger("cid.test").warning("line %d", i)
        begin = time.monotonic()
        assert logs.stop(timeout=0.5) is False  # the write blocks: abandoned
        assert time.monotonic() - begin < 2
        assert logs.handler not in root.handlers
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        os.close(r)  # the blocked write fails (EPIPE) and the thread ends
        with contextlib.suppress(OSError):
            stream.close()


def test_the_thread_writes_records_then_counts(tmp_path: Path) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = tmp_path / "log"
    try:
        fmt = "%(levelname)s %(message)s"
        with out.open("w") as stream, start(stream=stream, burst=2, fmt=fmt, datefmt=None):
            for i in range(20):
                logging.getLogger("cid.test").info("line %d", i)
            logging.getLogger("cid.test").error("and %s", "done")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert out.read_text().splitlines() == [
        "INFO line 0",
        "INFO line 1",
        "ERROR and done",
        "INFO 18 similar messages suppressed (at most 2 in 60 s), the first: line 2",
    ]
