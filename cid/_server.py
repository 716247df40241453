"""``cid serve``: the asyncio driver around :class:`Authority` (UDP and TCP).

A thin loop: sockets in, ``Authority.answer`` (sans-IO), sockets out. It also
watches the registry and swaps in freshly assembled zones when it changes,
without dropping queries, and stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Final, cast

import dns.zone

from ._authority import Authority
from ._live import is_update
from ._live_server import LiveUpdates
from ._store import Registry

__all__ = ["DnsServer", "parse_listen", "registry_zones", "serve_registry"]

log = logging.getLogger("cid.serve")

_TCP_IDLE: Final = 10.0  # seconds a TCP client may stay silent (half-open connections)
_TCP_MAX_CLIENTS: Final = 256


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:5353``, ``[::1]:5353`` or ``5353`` (loopback)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, authority: Callable[[], Authority], updates: LiveUpdates | None) -> None:
        self._authority = authority
        self._updates = updates
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._updates is not None and is_update(data) and self.transport is not None:
            # Answered later, once written (spec §8.8); queries go on meanwhile.
            self._updates.submit(data, addr[0], functools.partial(self.transport.sendto, addr=addr))
            return
        try:
            response = self._authority().answer(data, tcp=False)
        except Exception:  # the server never stops answering
            log.exception("query from %s:%s failed", *addr[:2])
            return
        if response is not None and self.transport is not None:
            self.transport.sendto(response, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("udp error: %s", exc)


class DnsServer:
    """Serve an :class:`Authority` on UDP and TCP at each address in ``listen``."""

    def __init__(
        self,
        authority: Authority,
        listen: Sequence[tuple[str, int]],
        updates: LiveUpdates | None = None,
    ) -> None:
        self.authority = authority
        self.updates = updates
        self.listen = list(listen)
        self._udp: list[asyncio.DatagramTransport] = []
        self._tcp: list[asyncio.Server] = []
        self._clients = asyncio.Semaphore(_TCP_MAX_CLIENTS)
        self.bound: list[tuple[str, int]] = []

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for host, want in self.listen:
            # TCP first, so that port 0 picks one port for both.
            server = await asyncio.start_server(self._tcp_client, host, want)
            port = server.sockets[0].getsockname()[1]
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(lambda: self.authority, self.updates), local_addr=(host, port)
            )
            self._tcp.append(server)
            self._udp.append(transport)
            self.bound.append((host, port))
            log.info("listening on %s port %d (udp, tcp)", host, port)

    async def stop(self) -> None:
        for transport in self._udp:
            transport.close()
        for server in self._tcp:
            server.close()
        for server in self._tcp:
            await server.wait_closed()
        log.info("stopped")

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._clients.locked():
            writer.close()  # too many clients: drop the newest
            return
        async with self._clients:
            try:
                while True:
                    head = await asyncio.wait_for(reader.readexactly(2), _TCP_IDLE)
                    data = await asyncio.wait_for(
                        reader.readexactly(int.from_bytes(head)), _TCP_IDLE
                    )
                    if self.updates is not None and is_update(data):
                        peer = str(writer.get_extra_info("peername", ("?",))[0])
                        response = await self.updates.handle(data, peer)
                    else:
                        response = self.authority.answer(data, tcp=True)
                    if response is None:
                        break
                    writer.write(len(response).to_bytes(2) + response)
                    await writer.drain()
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                pass
            except asyncio.CancelledError:
                # Shutting down: end quietly (Python 3.11's stream callback would
                # otherwise log the cancellation as an error).
                pass
            except Exception:
                log.exception("tcp client failed")
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()


def registry_zones(registry_path: Path, now: int, only: Iterable[str] = ()) -> list[dns.zone.Zone]:
    """Assemble the zones of a registry at ``now``, logging each file left out and why."""
    registry = Registry.load(registry_path)
    names = list(only) or list(registry.zones)
    zones = []
    for name in names:
        zone, problems = registry.assemble(name, now=now)
        for problem in problems:
            log.warning("not served: %s", problem)
        zones.append(zone)
    return zones


def _fingerprint(path: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        sorted(
            (str(p), p.stat().st_mtime_ns, p.stat().st_size)
            for p in path.rglob("*")
            if p.is_file() and not p.name.startswith(".") and p.parent.name != "live"
        )
    )


async def serve_registry(
    registry_path: Path,
    listen: Sequence[tuple[str, int]],
    *,
    zones: Iterable[str] = (),
    reload_interval: float = 2.0,
    ready: Callable[[list[tuple[str, int]]], None] | None = None,
) -> None:
    """Serve a registry until SIGTERM/SIGINT; reassemble when its files change.

    Live registrations (spec §8.8) change ``live/`` folders, which ``LiveUpdates``
    serves itself, so they are not a change here.
    """
    only = list(zones)
    fingerprint = _fingerprint(registry_path)
    live = LiveUpdates(registry_path, only, now=int(time.time()))
    authority = live.authority
    server = DnsServer(authority, listen, live)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready(server.bound)
    log.info("serving %s", ", ".join(str(o) for o in authority.origins))
    last_build = time.time()
    leases = asyncio.ensure_future(live.run_leases())
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), reload_interval)
            if stop.is_set():
                break
            current = _fingerprint(registry_path)
            # Reassemble when files change, and hourly, so that TTLs keep
            # shrinking towards each record's expiry and expired ones go.
            if current != fingerprint or time.time() - last_build > 3600:
                try:
                    await live.reload(int(time.time()))
                except Exception as exc:
                    log.error("registry not reloaded, still serving the last good one: %s", exc)
                else:
                    log.info("reloaded %s", registry_path)
                fingerprint, last_build = current, time.time()
    finally:
        leases.cancel()
        await server.stop()
