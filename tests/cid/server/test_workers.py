"""``cid serve --workers N`` (cid/server/_workers.py) as a real process: every worker
answers what an acknowledged UPDATE changed, reloads reach every worker, UPDATEs that
reach a worker are answered, a worker that dies is forked again, and none is left
after SIGTERM.

The kernel shares datagrams among the sockets of one port by a hash of the four-tuple,
so a question is asked from many source ports: with two processes, 40 fresh sockets
all reaching the same one has odds of 2**-39."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest
from dnsservers import free_port

import cid
from cid.cli._main import main as cli_main
from cid.layout import TYPE_DESCRIPTOR, TYPE_STATUS
from cid.registry._demo import DEMO_ROOT, write_demo
from cid.registry._entries import LivePolicy
from cid.registry._push import parse_tsig
from cid.registry._store import Registry
from cid.server._workers import _frame, _Frames

ZONE = "acme.hpc.ucid.example"
IDENT = "ucid:acme.hpc/de-by/x86-64-v4/cpu=8"
NAME = cid.parse(IDENT).to_dns_name(DEMO_ROOT)
EP = cid.Endpoint("tcp", "https", "h8.acme.example", 443)
PORTS = 40  # source ports each question is asked from
AGENT = cid.SigningKey.from_seed(b"agent-of-acme-hpc-for-tests-0001")
# A descriptor of the registry's files, which a status can describe.
POOL = (
    "ucid:acme.hpc/us-ca/x86-64-v4+gfx942/acc=8;acc-mem=206158430208B;acc-model=mi300x;"
    "confidential;ic=xgmi;mem=2199023255552B"
)


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    reg = write_demo(tmp_path / "registry", now=int(time.time()))
    reg.enable_live(
        ZONE, LivePolicy(max_lease=3600), new_tsig=["agent1"], agent_keys=[AGENT.verify_key]
    )
    reg.build(now=int(time.time()))
    return reg


class Served:
    """``cid serve --workers 2`` on a loopback port."""

    def __init__(self, path: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cid",
                "serve",
                str(path),
                "--listen",
                f"127.0.0.1:{self.port}",
                "--reload-interval",
                "0.2",
                "--workers",
                str(workers),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # printed once every worker listens
        assert f"port {self.port}" in line, self.proc.stderr.read() if self.proc.stderr else ""

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def workers(self) -> set[int]:
        found = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return {int(pid) for pid in found.split()}

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(15)
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


@pytest.fixture
def served(registry: Registry) -> Iterator[Served]:
    srv = Served(registry.path)
    yield srv
    if srv.proc.poll() is None:
        srv.proc.kill()
        srv.proc.wait(5)


def answers(srv: Served, name: str, rdtype: object) -> list[dns.message.Message]:
    """The answers to one question asked over UDP from ``PORTS`` fresh sockets."""
    out = []
    for _ in range(PORTS):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            q = dns.message.make_query(name, rdtype, use_edns=0)  # type: ignore[arg-type]
            out.append(dns.query.udp(q, "127.0.0.1", port=srv.port, timeout=3, sock=sock))
    return out


def rcodes(srv: Served, name: str = NAME) -> set[str]:
    return {dns.rcode.to_text(r.rcode()) for r in answers(srv, name, TYPE_DESCRIPTOR)}


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # bounded wait
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_acknowledged_update_is_answered_by_every_worker(
    served: Served, registry: Registry
) -> None:
    key = parse_tsig((registry.path / "zones" / ZONE / "tsig" / "agent1.key").read_text().strip())
    assert len(served.workers()) == 1
    assert rcodes(served) == {"NXDOMAIN"}
    for tcp in (True, False, False, False):  # UDP ones reach the worker too, by their port
        cid.register(served.address, IDENT, [EP], root=DEMO_ROOT, lease=600, tsig=key, tcp=tcp)
        assert rcodes(served) == {"NOERROR"}  # right after the acknowledgement, everywhere
        cid.deregister(served.address, IDENT, root=DEMO_ROOT, tsig=key, tcp=tcp)
        assert rcodes(served) == {"NXDOMAIN"}
    log = served.stop()
    assert "Traceback" not in log and "forked again" not in log


def test_a_published_status_is_answered_by_every_worker(served: Served) -> None:
    name = cid.parse(POOL).to_dns_name(DEMO_ROOT)

    def held() -> set[int]:
        return {len(r.answer) for r in answers(served, name, TYPE_STATUS)}

    assert held() == {0}
    status = {"subject": POOL, "accepting": True}
    cid.register_status(served.address, status, root=DEMO_ROOT, signing_key=AGENT, tcp=False)
    assert held() == {1}  # in memory only, and in every worker's


def test_reloads_reach_every_worker(served: Served, registry: Registry) -> None:
    new = "ucid:sugon.hpc/cn-tj/x86-64-v4/cpu=256"
    name = cid.parse(new).to_dns_name(DEMO_ROOT)
    assert rcodes(served, name) == {"NXDOMAIN"}
    endpoint = {"transport": "tcp", "protocol": "https", "host": "big.sugon.example", "port": 443}
    source = {"subject": new, "version": 1, "endpoints": [endpoint]}
    registry.add_source("sugon.hpc.ucid.example", "big", source)
    registry.build(now=int(time.time()))
    # A reload is not acknowledged to anyone: once one process serves it, all do shortly.
    wait_for(lambda: rcodes(served, name) == {"NOERROR"}, 15)


def test_a_dead_worker_is_forked_again_and_none_outlives_sigterm(served: Served) -> None:
    (first,) = served.workers()
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: len(served.workers()) == 1 and first not in served.workers(), 10)
    (second,) = served.workers()
    assert rcodes(served, f"nothing.{ZONE}.") == {"NXDOMAIN"}  # both answer
    log = served.stop()
    assert f"udp worker 1 (pid {first}) ended (signal 9): forked again" in log
    assert not Path(f"/proc/{second}").exists()


def test_workers_refuse_what_they_cannot_count() -> None:
    assert cli_main(["serve", "x", "--workers", "2", "--metrics", ":0"]) != 0


def test_frames_arrive_in_pieces() -> None:
    data = b"".join(_frame(m) for m in [("a", 1), ("b", b"x" * 70_000), ("c",)])
    frames = _Frames()
    got = []
    for i in range(0, len(data), 1000):
        got += frames.feed(data[i : i + 1000])
    assert got == [("a", 1), ("b", b"x" * 70_000), ("c",)]
