"""The batch UDP path (``_mmsg``: recvmmsg/sendmmsg) against the reference
(``_Udp.drain``'s recvfrom/sendto): the same datagrams in, from IPv4 and IPv6
senders, give the same answers to the same senders, the same taps, the same drops."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dns.edns
import dns.message
import dns.update
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cid.registry._demo import write_demo
from cid.server._authority import Authority
from cid.server._mmsg import SLOTS, batch_socket
from cid.server._serve import _Udp, _udp_socket

NOW = 1_795_000_000
_AUTH: list[Authority] = []

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="recvmmsg is Linux's")


def _auth() -> Authority:
    if not _AUTH:
        demo = write_demo(Path(tempfile.mkdtemp()) / "registry", now=NOW)
        _AUTH.append(Authority([demo.assemble(z, now=NOW)[0] for z in demo.zones]))
    return _AUTH[0]


def _query(name: str, rdtype: str = "TYPE65280", **kw: Any) -> bytes:
    q = dns.message.make_query(name, rdtype, **kw)
    q.id = 4242
    return q.to_wire()


# Every kind of datagram a server meets: answered from the cache, the fast negative
# path and the full one; refused; malformed; responses (dropped); empty; the largest.
DATAGRAMS: list[bytes] = [
    _query("_x86-64-v4._cn-gd.acme.hpc.ucid.example."),
    _query("_X86-64-V4._CN-GD.acme.HPC.ucid.example."),
    _query("_cpu_1._riscv64._cn-gd.acme.hpc.ucid.example."),
    _query("_cpu_2._riscv64._cn-gd.acme.hpc.ucid.example.", use_edns=-1),
    _query("nowhere.example.org.", "A"),
    _query("acme.hpc.ucid.example.", "SOA"),
    _query("acme.hpc.ucid.example.", "NS", use_edns=0, payload=512),
    _query("acme.hpc.ucid.example.", "ANY"),
    _query("acme.hpc.ucid.example.", "AXFR"),
    _query("acme.hpc.ucid.example.", "A", use_edns=1),  # BADVERS
    _query(
        "acme.hpc.ucid.example.",
        "A",
        options=[dns.edns.GenericOption(dns.edns.OptionType.make(65001), b"x")],
    ),
    b"",
    b"\x00",
    b"\x12\x34\x01\x00\x00\x01",  # cut short
    b"\x12\x34\x81\x80" + bytes(8),  # a response: never answered
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",  # a loop
    _query("acme.hpc.ucid.example.", "A") + bytes(4000),  # trailing garbage
    bytes(65507),  # the largest IPv4 datagram
]


@contextlib.contextmanager
def _pair(family: int) -> Iterator[tuple[socket.socket, list[socket.socket]]]:
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    server = _udp_socket(host, 0)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    clients = []
    try:
        for _ in range(3):
            c = socket.socket(family, socket.SOCK_DGRAM)
            c.bind((host, 0))
            c.setblocking(False)
            clients.append(c)
        yield server, clients
    finally:
        server.close()
        for c in clients:
            c.close()


def _received(clients: list[socket.socket]) -> list[tuple[int, bytes]]:
    got = []
    deadline = time.monotonic() + 0.05
    while time.monotonic() < deadline:
        for i, c in enumerate(clients):
            with contextlib.suppress(BlockingIOError):
                while True:
                    got.append((i, c.recv(70000)))
        time.sleep(0.005)
    return sorted(got)


def _exchange(
    family: int,
    datagrams: list[bytes],
    batch: bool,
    answer: Callable[..., bytes | None],
    forwarded: list[tuple[bytes, int]] | None = None,
    chunk: int = SLOTS // 2,
) -> tuple[list[tuple[int, bytes]], list[tuple[bytes, bytes, int]]]:
    """What each client got back, and what the tap saw (client by port); with
    ``forwarded``, a worker's: UPDATEs and transfers handed on, with their client."""
    taps: list[tuple[bytes, bytes, Any]] = []
    handed: list[tuple[bytes, Any]] = []

    class Tap:
        def udp(self, data: bytes, response: bytes, peer: Any) -> None:
            taps.append((data, response, peer))

    class Answerer:
        def __init__(self) -> None:
            self.answer = answer

    with _pair(family) as (server, clients):
        forward = None if forwarded is None else lambda data, addr: handed.append((data, addr))
        udp = _Udp(server, Answerer, tap=Tap(), batch=batch, forward=forward)  # type: ignore[arg-type]
        assert (udp._batch is not None) == batch
        address = server.getsockname()
        ports = {c.getsockname()[1]: i for i, c in enumerate(clients)}
        for at in range(0, len(datagrams), chunk):
            for j, data in enumerate(datagrams[at : at + chunk]):
                clients[j % len(clients)].sendto(data, address)
            time.sleep(0.01)
            for _ in range(3):
                udp.drain()
        got = _received(clients)
        for _data, _, peer in taps:
            assert peer[0] == address[0]  # the loopback address, decoded as recvfrom does
            if family == socket.AF_INET6:
                assert len(peer) == 4 and peer[2:] == (0, 0)
            else:
                assert len(peer) == 2
        if forwarded is not None:
            forwarded += [(d, ports[p[1]]) for d, p in handed]
        return got, [(d, r, ports[p[1]]) for d, r, p in taps]


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_batch_answers_as_the_reference(family: int) -> None:
    auth = _auth()
    datagrams = DATAGRAMS * 5  # more than one batch, so one wake-up reads several
    reference = _exchange(family, datagrams, False, auth.answer)
    batch = _exchange(family, datagrams, True, auth.answer)
    assert batch == reference
    got, taps = batch
    # All but the response and the three shorter than a header:
    assert len(got) == len(taps) == 5 * 14
    assert {r[:2] for _, r in got} == {b"\x10\x92", b"\x12\x34", b"\x00\x00"}


def test_an_answer_too_long_to_send_is_dropped_and_the_next_ones_sent() -> None:
    def answer(data: bytes, queries: bool = False) -> bytes | None:
        # Too long for any datagram; too long for IPv4's or IPv6's (the kernel says so,
        # in the middle of a sendmmsg: the rest must still go).
        sizes = {b"huge": 70_000, b"big": 65_530}
        return bytes(sizes[data]) if data in sizes else data[::-1]

    datagrams = [b"ab", b"big", b"cd", b"huge", b"ef", b"big", b"big", b"gh"]
    for family in (socket.AF_INET, socket.AF_INET6):
        reference = _exchange(family, datagrams, False, answer)
        batch = _exchange(family, datagrams, True, answer)
        assert batch == reference
        assert sorted(r for _, r in batch[0]) == [b"ba", b"dc", b"fe", b"hg"]


def test_an_answerer_that_fails_drops_that_answer_only(caplog: pytest.LogCaptureFixture) -> None:
    def answer(data: bytes, queries: bool = False) -> bytes | None:
        if data == b"boom":
            raise RuntimeError("boom")
        return data.upper()

    datagrams = [b"a", b"boom", b"b"]
    reference = _exchange(socket.AF_INET, datagrams, False, answer)
    batch = _exchange(socket.AF_INET, datagrams, True, answer)
    assert batch == reference and [r for _, r in batch[0]] == [b"A", b"B"]
    assert caplog.text.count("query from 127.0.0.1:") == 2  # once per path


def test_address_is_recvfroms() -> None:
    for family in (socket.AF_INET, socket.AF_INET6):
        with _pair(family) as (server, clients):
            batch = batch_socket(server)
            assert batch is not None
            for c in clients:
                c.sendto(b"x", server.getsockname())
            time.sleep(0.01)
            assert batch.receive() == [b"x"] * 3
            want = [c.getsockname() for c in clients]
            assert [batch.address(i) for i in range(3)] == want
            assert batch.receive() == []


def test_receive_reports_a_closed_socket() -> None:
    with _pair(socket.AF_INET) as (server, _):
        batch = batch_socket(server)
        assert batch is not None
        fd = server.detach()
        socket.close(fd)
        with pytest.raises(OSError, match="recvmmsg: Bad file descriptor") as caught:
            batch.receive()
        assert caught.value.errno == errno.EBADF


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=600), min_size=1, max_size=40))
def test_no_datagrams_answer_differently(datagrams: list[bytes]) -> None:
    auth = _auth()
    reference = _exchange(socket.AF_INET, datagrams, False, auth.answer)
    batch = _exchange(socket.AF_INET, datagrams, True, auth.answer)
    assert batch == reference


def test_served_names_answer_alike() -> None:
    # Every name of the demo hierarchy, asked as a resolver asks (dnspython's wire).
    auth = _auth()
    names = sorted(
        {str(name.derelativize(z.origin)) for z in auth._zones.values() for name in z.zone.nodes}
    )
    datagrams = [_query(n, t) for n in names for t in ("TYPE65280", "SVCB", "TXT", "NS")]
    assert len(datagrams) > 100
    reference = _exchange(socket.AF_INET, datagrams, False, auth.answer)
    batch = _exchange(socket.AF_INET, datagrams, True, auth.answer)
    assert batch == reference and len(batch[0]) == len(datagrams)
    assert all(dns.message.from_wire(r).id == 4242 for _, r in batch[0])


def test_updates_and_transfers_in_a_batch_go_to_their_own_senders() -> None:
    # A worker hands UPDATEs and transfers to the main process with the client's
    # address: amid queries from three clients, each must keep its own.
    auth = _auth()
    update = dns.update.UpdateMessage("acme.hpc.ucid.example.")
    update.add("x", 60, "TXT", '"a"')
    specials = [update.to_wire(), _query("acme.hpc.ucid.example.", "AXFR")]
    queries = [_query(f"_cpu_{i}._riscv64._cn-gd.acme.hpc.ucid.example.") for i in range(7)]
    datagrams = [d for i in range(20) for d in (specials[i % 2] + bytes([i]), *queries[: i % 4])]
    for family in (socket.AF_INET, socket.AF_INET6):
        ref: list[tuple[bytes, int]] = []
        fast: list[tuple[bytes, int]] = []
        reference = _exchange(family, datagrams, False, auth.answer, ref)
        batch = _exchange(family, datagrams, True, auth.answer, fast)
        assert batch == reference and sorted(fast) == sorted(ref) and len(ref) == 20
        assert {client for _, client in ref} == {0, 1, 2}


def test_address_of_an_ipv6_sender_with_flow_label_and_scope() -> None:
    with _pair(socket.AF_INET6) as (server, _):
        batch = batch_socket(server)
        assert batch is not None
        host = socket.inet_pton(socket.AF_INET6, "fe80::1:2")
        name = struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", 5353, 0x12345)
        name += host + struct.pack("=I", 7)
        batch._names_view[128 : 128 + len(name)] = name
        assert batch.address(1) == ("fe80::1:2", 5353, 0x12345, 7)


def test_a_system_call_interrupted_is_made_again() -> None:
    with _pair(socket.AF_INET) as (server, clients):
        batch = batch_socket(server)
        assert batch is not None
        real, calls = batch._send, []

        def interrupted(*args: Any) -> int:
            calls.append(args)
            if len(calls) == 1:
                ctypes.set_errno(errno.EINTR)
                return -1
            return int(real(*args))

        batch._send = interrupted
        for c in clients:
            c.sendto(b"q", server.getsockname())
        time.sleep(0.01)
        assert batch.receive() == [b"q"] * 3
        assert batch.send([b"a", None, b"c"]) == []
        assert len(calls) == 2
        assert [r for _, r in _received(clients)] == [b"a", b"c"]


def test_a_batch_system_call_refused_falls_back_to_the_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A seccomp filter or an emulator: recvmmsg exists but fails; queries still answered.
    auth = _auth()
    with _pair(socket.AF_INET) as (server, clients):
        udp = _Udp(server, lambda: auth)
        assert udp._batch is not None

        def refused(*_: Any) -> int:
            ctypes.set_errno(errno.ENOSYS)
            return -1

        udp._batch._recv = refused
        query = _query("_cpu_9._riscv64._cn-gd.acme.hpc.ucid.example.")
        clients[0].sendto(query, server.getsockname())
        time.sleep(0.01)
        udp.drain()
        assert udp._batch is None and "one datagram at a time" in caplog.text
        got = _received(clients)
        assert [r[2:] for _, r in got] == [(auth.answer(query) or b"")[2:]]


def test_an_answer_too_long_in_the_last_slot_loses_only_itself() -> None:
    def answer(data: bytes, queries: bool = False) -> bytes | None:
        return bytes(70_000) if data == b"last" else data.upper()

    datagrams = [b"q%d" % i for i in range(SLOTS - 1)] + [b"last"]
    reference = _exchange(socket.AF_INET, datagrams, False, answer, chunk=SLOTS)
    batch = _exchange(socket.AF_INET, datagrams, True, answer, chunk=SLOTS)
    assert batch == reference and len(batch[0]) == SLOTS - 1
