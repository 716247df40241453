"""Sending one query and receiving its response, over UDP or TCP, blocking or asyncio.

Each UDP query gets a socket of its own, connected to the server, so the kernel
picks a random source port and drops datagrams from any other address; a
datagram that is not a response to the query (other ID or question) is ignored
and the wait goes on: it may be a forgery racing the real answer. TCP responses
are read with the RFC 7766 two-octet length prefix.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from ._anchor import Server

__all__ = [
    "Unreachable",
    "answers",
    "exchange",
    "exchange_async",
    "lookup",
    "lookup_async",
]

_MAX: int = 65535


class Unreachable(Exception):
    """The server could not be reached (ICMP unreachable, connection refused, reset)."""


def _question_end(wire: bytes) -> int:
    """Offset just past the first question of a message (names are uncompressed there)."""
    at = 12
    while at < len(wire) and wire[at]:
        at += wire[at] + 1
    return at + 5


def answers(data: bytes, wire: bytes) -> bool:
    """Whether ``data`` is a response to the query ``wire``: same ID, QR set, and the same
    question (RFC 5452 §9.1; names compared without regard to ASCII case)."""
    end = _question_end(wire)
    return (
        len(data) >= end
        and data[:2] == wire[:2]
        and data[2] & 0x80 != 0
        and data[4:6] == b"\x00\x01"
        and data[12:end].lower() == wire[12:end].lower()
    )


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def exchange(wire: bytes, server: Server, *, tcp: bool, timeout: float) -> bytes | None:
    """The response to ``wire`` from ``server``, or None on timeout."""
    try:
        if tcp:
            return _tcp(wire, server, timeout)
        return _udp(wire, server, timeout)
    except TimeoutError:
        return None
    except OSError as exc:
        raise Unreachable(exc.strerror or str(exc)) from None


def _udp(wire: bytes, server: Server, timeout: float) -> bytes | None:
    end = time.monotonic() + timeout
    with socket.socket(_family(server[0]), socket.SOCK_DGRAM) as sock:
        sock.connect(server)
        sock.send(wire)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            sock.settimeout(left)
            data = sock.recv(_MAX)
            if answers(data, wire):  # anything else may be a forgery racing the answer
                return data


def _tcp(wire: bytes, server: Server, timeout: float) -> bytes | None:
    end = time.monotonic() + timeout
    with socket.create_connection(server, timeout=timeout) as sock:
        sock.sendall(struct.pack("!H", len(wire)) + wire)
        head = _read(sock, 2, end)
        if head is None:
            return None
        return _read(sock, struct.unpack("!H", head)[0], end)


def _read(sock: socket.socket, n: int, end: float) -> bytes | None:
    out = bytearray()
    while len(out) < n:
        left = end - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionResetError(0, "connection closed before the whole response")
        out += chunk
    return bytes(out)


async def exchange_async(wire: bytes, server: Server, *, tcp: bool, timeout: float) -> bytes | None:
    """As :func:`exchange`, on the running event loop."""
    try:
        return await asyncio.wait_for(
            _tcp_async(wire, server) if tcp else _udp_async(wire, server), timeout
        )
    except TimeoutError:
        return None
    except OSError as exc:
        raise Unreachable(exc.strerror or str(exc)) from None


async def _udp_async(wire: bytes, server: Server) -> bytes:
    loop = asyncio.get_running_loop()
    with socket.socket(_family(server[0]), socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect(server)
        await loop.sock_sendall(sock, wire)
        while True:
            data = await loop.sock_recv(sock, _MAX)
            if answers(data, wire):
                return data


async def _tcp_async(wire: bytes, server: Server) -> bytes:
    reader, writer = await asyncio.open_connection(server[0], server[1])
    try:
        writer.write(struct.pack("!H", len(wire)) + wire)
        await writer.drain()
        head = await reader.readexactly(2)
        return await reader.readexactly(struct.unpack("!H", head)[0])
    except asyncio.IncompleteReadError:
        raise ConnectionResetError(0, "connection closed before the whole response") from None
    finally:
        writer.close()


def _addresses(host: str) -> tuple[str, ...]:
    """The system resolver's addresses for ``host`` (none when it has none)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError):
        return ()
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))


def _start_lookup(host: str) -> Future[tuple[str, ...]]:
    """:func:`_addresses` in a thread of its own, whose result the caller may stop
    waiting for: getaddrinfo has no timeout that the caller sets. The thread is a
    daemon, and belongs to no executor, because executors' threads are joined at
    exit (and ``asyncio.run`` joins the loop's), which would wait for the lookup."""
    future: Future[tuple[str, ...]] = Future()

    def run() -> None:
        if future.set_running_or_notify_cancel():
            future.set_result(_addresses(host))

    threading.Thread(target=run, name=f"lookup {host}", daemon=True).start()
    return future


def lookup(host: str, *, timeout: float) -> tuple[str, ...] | None:
    """Addresses of a name server host without glue, from the system resolver, or
    None when the lookup has not ended within ``timeout`` seconds."""
    try:
        return _start_lookup(host).result(timeout)
    except FutureTimeout:
        return None


async def lookup_async(host: str, *, timeout: float) -> tuple[str, ...] | None:
    """As :func:`lookup`, on the running event loop."""
    try:
        return await asyncio.wait_for(asyncio.wrap_future(_start_lookup(host)), timeout)
    except TimeoutError:
        return None
