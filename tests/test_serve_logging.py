"""``cid serve``'s log under a flood and with a sink that blocks (a pipe nobody reads).

A flood of malformed UPDATEs must not set the log's volume (rate limit with a
count of what was suppressed), and writing the log must never stall answers or
shutdown (a bounded queue and a thread). The subprocess tests run the real
server on the demo registry.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
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
from dnsservers import free_port
from test_serve import query

from cid._demo import write_demo
from cid._store import Registry

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
