"""``cid serve``: the asyncio driver around :class:`Authority` (UDP and TCP).

A thin loop: sockets in, ``Authority.answer`` (sans-IO), sockets out. It also
watches the registry and swaps in freshly assembled zones when it changes,
without dropping queries, and stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import hashlib
import logging
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import dns.zone

from .._errors import CidError
from ..registry import CACHE, Registry
from ._authority import Authority, Elsewhere
from ._hidden import HiddenPrimary
from ._live import LiveUpdates, LoadProgress
from ._mmsg import batch_socket
from ._stats import ServeStats
from ._update import is_update
from ._workers import Fleet, Mirrored
from ._xfr import is_transfer

__all__ = ["DnsServer", "parse_listen", "registry_zones", "serve_registry"]

log = logging.getLogger("cid.serve")

_TCP_IDLE: Final = 10.0  # seconds a TCP client may stay silent (half-open connections)
_TCP_MAX_CLIENTS: Final = 256
_UDP_BATCH: Final = 64  # datagrams per wake-up: then other sockets and TCP get a turn
_UDP_MAX: Final = 65535
# recvmmsg's errors that say it cannot be used at all (not "nothing queued").
_NO_BATCH: Final = frozenset({errno.ENOSYS, errno.EPERM, errno.EOPNOTSUPP, errno.EINVAL})
# The registry's folders that hold a file per record (zones/<zone>/<folder>).
_BULK: Final = frozenset({"descriptors", "delegations", "sources"})
_RACY_NS: Final = 50_000_000
_PENDING: set[asyncio.Future[None]] = set()  # UDP UPDATE answers waiting for the workers


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:5353``, ``[::1]:5353`` or ``5353`` (loopback)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


class _Udp:
    """One UDP socket, drained in batches from the loop's reader callback.

    asyncio's DatagramProtocol costs a callback and a transport call per
    datagram; reading up to ``_UDP_BATCH`` per wake-up with plain
    ``recvfrom``/``sendto`` cut the server's CPU per query by a third
    (tests/benchmarks/bench_serve.py).
    """

    def __init__(
        self,
        sock: socket.socket,
        authority: Callable[[], Authority],
        updates: LiveUpdates | None = None,
        tap: ServeStats | None = None,
        xfr: HiddenPrimary | None = None,
        *,
        forward: Callable[[bytes, Any], None] | None = None,
        synced: Callable[[], Awaitable[None]] | None = None,
        batch: bool = True,
    ) -> None:
        self.sock = sock
        # recvmmsg/sendmmsg where the system has them (_mmsg); recvfrom/sendto otherwise.
        self._batch = batch_socket(sock) if batch else None
        self._authority = authority
        self._updates = updates
        self._tap = tap
        self._xfr = xfr
        self._forward = forward  # a worker's: UPDATEs and transfers go to the main process
        # Whether UPDATEs and transfers go elsewhere than the Authority (answer(queries=)).
        self._routed = updates is not None or xfr is not None or forward is not None
        self._synced = synced  # with workers: an UPDATE is answered once all serve it

    def drain(self) -> None:
        """Read, answer and send what is queued now (at most a batch): the reader callback."""
        if self._batch is not None:
            self._drain_batch()
        else:
            self._drain_each()

    def _drain_each(self) -> None:
        """The reference: one ``recvfrom`` and one ``sendto`` per datagram."""
        sock = self.sock
        recvfrom, sendto = sock.recvfrom, sock.sendto  # bound once, not per datagram
        answer, routed = self._authority().answer, self._routed
        tap = None if self._tap is None else self._tap.udp  # metrics, query log
        for _ in range(_UDP_BATCH):
            try:
                data, addr = recvfrom(_UDP_MAX)
            except (BlockingIOError, InterruptedError):
                return  # drained: wait for the next wake-up
            except OSError as exc:
                log.debug("udp receive error: %s", exc)
                return
            try:
                try:
                    response = answer(data, queries=routed)
                except Elsewhere:  # may be an UPDATE or a transfer: found out the long way
                    response = self._special(data, addr)
            except Exception:  # the server never stops answering
                log.exception("query from %s:%s failed", *addr[:2])
                continue
            if response is None:
                continue
            try:
                sendto(response, addr)
            except OSError as exc:
                # A full send buffer or an unreachable client: drop this answer,
                # as a DNS server does (the client retries), and keep serving.
                log.debug("udp send to %s:%s failed: %s", addr[0], addr[1], exc)
            if tap is not None:
                tap(data, response, addr)

    def _drain_batch(self) -> None:
        """:meth:`drain` with one system call each way (``_mmsg``): the same answers."""
        batch = self._batch
        assert batch is not None
        try:
            datagrams = batch.receive()
        except OSError as exc:
            if exc.errno in _NO_BATCH:
                # The calls exist but may not be made here (a seccomp filter, an
                # emulator): the datagram is still queued, so serve it the plain way.
                log.warning("udp: %s; answering one datagram at a time", exc)
                self._batch = None
                self._drain_each()
            else:
                log.debug("udp receive error: %s", exc)
            return
        if not datagrams:
            return
        answer, routed = self._authority().answer, self._routed
        answers: list[bytes | None] = []
        for i, data in enumerate(datagrams):
            try:
                try:
                    answers.append(answer(data, queries=routed))
                except Elsewhere:  # as in drain
                    answers.append(self._special(data, batch.address(i)))
            except Exception:  # the server never stops answering
                log.exception("query from %s:%s failed", *batch.address(i)[:2])
                answers.append(None)
        for i, failure in batch.send(answers):  # dropped, as drain drops them
            addr = batch.address(i)
            log.debug("udp send to %s:%s failed: %s", addr[0], addr[1], failure)
        if self._tap is not None:
            tap = self._tap.udp
            for i, (data, response) in enumerate(zip(datagrams, answers, strict=True)):
                if response is not None:
                    tap(data, response, batch.address(i))

    def _special(self, data: bytes, addr: tuple[str, int]) -> bytes | None:
        """The response to a datagram that may be an UPDATE or a transfer, or None
        (an UPDATE is answered later, once written: spec §8.8)."""
        if self._forward is not None:
            if is_update(data) or is_transfer(data):
                self._forward(data, addr)  # answered by the main process
                return None
            return self._authority().answer(data)
        if self._updates is not None and is_update(data):
            send = functools.partial(self._send, addr=addr)
            if self._synced is not None:
                send = functools.partial(self._send_synced, addr=addr)
            self._updates.submit(data, addr[0], send)
            return None
        if self._xfr is not None and is_transfer(data):
            return self._xfr.answer_udp(data, addr[0])  # spec §9.1
        return self._authority().answer(data)

    def _send(self, response: bytes, addr: tuple[str, int]) -> None:
        try:
            self.sock.sendto(response, addr)
        except OSError as exc:
            log.debug("udp send to %s:%s failed: %s", addr[0], addr[1], exc)

    def _send_synced(self, response: bytes, addr: tuple[str, int]) -> None:
        async def send() -> None:
            assert self._synced is not None
            await self._synced()
            self._send(response, addr)

        task = asyncio.ensure_future(send())
        _PENDING.add(task)  # a reference, so that the task is not collected mid-way
        task.add_done_callback(_PENDING.discard)

    def forwarded(self, data: bytes, addr: tuple[str, int]) -> None:
        """Answer a datagram a worker received on this address (an UPDATE or a transfer)."""
        try:
            response = self._special(data, addr)
        except Exception:  # the server never stops answering
            log.exception("query from %s:%s failed", *addr[:2])
            return
        if response is not None:
            self._send(response, addr)


def _udp_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A non-blocking UDP socket bound to ``host`` (IPv4 or IPv6) and ``port``; with
    ``reuse_port``, one of several the kernel shares the datagrams among (workers)."""
    family, kind, proto, _, addr = socket.getaddrinfo(
        host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if family == socket.AF_INET6:
            # As asyncio does for TCP: "::" does not also take IPv4's port.
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setblocking(False)
        sock.bind(addr)
    except BaseException:
        sock.close()
        raise
    return sock


class DnsServer:
    """Serve an :class:`Authority` on UDP and TCP at each address in ``listen``."""

    def __init__(
        self,
        authority: Authority,
        listen: Sequence[tuple[str, int]],
        updates: LiveUpdates | None = None,
        tap: ServeStats | None = None,
        xfr: HiddenPrimary | None = None,
        *,
        workers: int = 1,
    ) -> None:
        if workers > 1 and not isinstance(authority, Mirrored):
            raise ValueError("workers answer from a Mirrored authority")
        self.authority = authority
        self.workers = workers  # processes answering UDP, this one included
        self.fleet: Fleet | None = None
        self.updates = updates
        self.tap = tap  # told of every answer (after it is sent): metrics, query log
        self.xfr = xfr
        self.listen = list(listen)
        self._udp: list[_Udp] = []
        self._tcp: list[asyncio.Server] = []
        self._clients = asyncio.Semaphore(_TCP_MAX_CLIENTS)
        self.bound: list[tuple[str, int]] = []

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for host, want in self.listen:
            # TCP first, so that port 0 picks one port for both.
            server = await asyncio.start_server(self._tcp_client, host, want)
            port = server.sockets[0].getsockname()[1]
            udp = _Udp(
                _udp_socket(host, port, reuse_port=self.workers > 1),
                lambda: self.authority,
                self.updates,
                self.tap,
                self.xfr,
                synced=self._synced if self.workers > 1 else None,
            )
            loop.add_reader(udp.sock, udp.drain)
            self._tcp.append(server)
            self._udp.append(udp)
            self.bound.append((host, port))
            log.info("listening on %s port %d (udp, tcp)", host, port)
        if self.workers > 1:
            assert isinstance(self.authority, Mirrored)
            self.fleet = Fleet(
                self.authority,
                list(self.bound),
                self.workers - 1,
                lambda i, data, addr: self._udp[i].forwarded(data, addr),
                self._sockets,
                self._worker_udp,
            )
            await self.fleet.start()

    def _worker_udp(
        self, index: int, forward: Callable[[bytes, Any], None]
    ) -> tuple[socket.socket, Callable[[], None]]:
        """In a worker: its socket on listen address ``index`` and what drains it."""
        host, port = self.bound[index]
        udp = _Udp(
            _udp_socket(host, port, reuse_port=True), lambda: self.authority, forward=forward
        )
        return udp.sock, udp.drain

    def _sockets(self) -> list[int]:
        """This process's listening sockets (a worker closes its copies)."""
        tcp = [sock.fileno() for server in self._tcp for sock in server.sockets]
        return [udp.sock.fileno() for udp in self._udp] + tcp

    async def _synced(self) -> None:
        if self.fleet is not None:
            await self.fleet.synced()

    async def stop(self) -> None:
        loop = asyncio.get_running_loop()
        if self.fleet is not None:
            await self.fleet.stop()
        for udp in self._udp:
            loop.remove_reader(udp.sock)
            udp.sock.close()
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
                        await self._synced()  # every worker serves it too
                    elif self.xfr is not None and is_transfer(data):  # spec §9.1
                        peer = str(writer.get_extra_info("peername", ("?",))[0])
                        if not await self.xfr.transfer(data, peer, writer):
                            break
                        continue
                    else:
                        response = self.authority.answer(data, tcp=True)
                        if self.tap is not None and response is not None:
                            self.tap.tcp(data, response, writer.get_extra_info("peername"))
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
            log.warning("not served: %s", problem, extra={"ratelimit": False})
        zones.append(zone)
    return zones


#: The SHA-256 of a scan (hex), or "" when it is unsure: a digest, not the scan, is
#: kept between checks (a million files' stats would be some 200 MB).
_Fingerprint = str


def _fingerprint(path: Path, *, deep: bool = False) -> _Fingerprint:
    """A few stats that change when the registry does, or ``""`` when that is unsure.

    Every folder's mtime (a file added, removed or replaced by rename, as cid's
    atomic writes, git and rsync do, changes its folder's), and mtime and size of
    each small file (settings, keys: an editor may rewrite one in place). The
    per-record folders are listed only when ``deep``: stat-ing every descriptor
    takes about a second at 100,000 files, so that runs beside the loop and less
    often, to see a file rewritten in place there.
    """
    start = time.time_ns()
    root = str(path)
    out = []
    stack = [root]
    while stack:
        folder = stack.pop()
        with contextlib.suppress(FileNotFoundError):  # gone meanwhile: its parent tells
            parts = os.path.relpath(folder, root).split(os.sep)
            if len(parts) == 3 and parts[0] == "zones" and parts[2] == "live":
                continue  # live registrations are served by LiveUpdates itself
            out.append((folder, os.stat(folder).st_mtime_ns, 0))
            if not deep and len(parts) == 3 and parts[0] == "zones" and parts[2] in _BULK:
                continue
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue  # temporary files of atomic writes
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        st = entry.stat()
                        out.append((entry.path, st.st_mtime_ns, st.st_size))
    # File times come from a coarse clock: a change in the same few milliseconds
    # as this scan may leave them as they are, so only an older state is sure.
    if any(abs(start - mtime) < _RACY_NS for _, mtime, _ in out):
        return ""
    out.sort()
    lines = "".join(f"{p}\0{m} {s}\n" for p, m, s in out)
    return hashlib.sha256(lines.encode("utf-8", "surrogateescape")).hexdigest()


def _settled(path: Path, tries: int = 10) -> tuple[_Fingerprint, _Fingerprint]:
    """The cheap and the full fingerprint of a registry, waiting (at most ``tries``
    times 50 ms) until no file time is within the unsure window of the scan.

    A server started right after its registry was written (``cid demo serve``,
    ``make_live_folders``, a deployment's copy) would otherwise start from an
    unsure state and assemble every zone again at its first check, for nothing.
    """
    for _ in range(tries):
        shallow, deep = _fingerprint(path), _fingerprint(path, deep=True)
        if shallow and deep:
            break
        time.sleep(_RACY_NS / 1e9)
    return shallow, deep


class _Watch:
    """When to assemble the registry again (spec §8.7): a file changed (cheap check
    every reload interval, deep check every ``deep_interval``), a signed record
    expires or becomes valid, or an hour has passed."""

    def __init__(self, path: Path, deep_interval: float) -> None:
        self.path = path
        self.deep_interval = deep_interval
        # Taken before the first assembly reads the files, as every later baseline;
        # once the registry has settled, so that one just written is not "unsure".
        self.shallow, self.deep = _settled(path)
        self.last_build = self.last_deep = time.time()
        self.due: int | None = None  # when a signed record expires or becomes valid
        self._scanned: _Fingerprint | None = None  # this check's deep scan

    async def _deep_scan(self) -> _Fingerprint:
        # About a second at 100,000 files: beside the loop, which goes on answering.
        scan = functools.partial(_fingerprint, self.path, deep=True)
        found = await asyncio.get_running_loop().run_in_executor(None, scan)
        self.last_deep = time.time()
        return found

    async def why(self) -> str | None:
        """Why to assemble the zones again now, or ``None``."""
        now = time.time()
        self._scanned = None
        if now - self.last_deep >= self.deep_interval:
            self._scanned = await self._deep_scan()
            if self._scanned != self.deep:
                return "a file changed"
        elif _fingerprint(self.path) != self.shallow:
            return "a file changed"
        if self.due is not None and now >= self.due:
            return "a signed record expired or became valid"
        if now - self.last_build > 3600:
            return "an hour passed"
        return None

    async def baseline(self) -> None:
        """Take the state the next assembly starts from (before it reads the files);
        a deep scan this check already took is that state, and is not taken twice."""
        self.shallow = _fingerprint(self.path)
        self.deep = self._scanned if self._scanned is not None else await self._deep_scan()

    def assembled(self, at: int, due: int | None) -> None:
        """The zones were assembled at ``at``; the next record's time comes at ``due``."""
        self.last_build, self.due = at, due


async def serve_registry(
    registry_path: Path,
    listen: Sequence[tuple[str, int]],
    *,
    zones: Iterable[str] = (),
    reload_interval: float = 2.0,
    deep_interval: float = 60.0,
    ready: Callable[[list[tuple[str, int]]], None] | None = None,
    stats: ServeStats | None = None,
    workers: int = 1,
    progress: LoadProgress | None = None,
    images: bool = True,
) -> None:
    """Serve a registry until SIGTERM/SIGINT; reassemble when it changes (spec §8.7).

    Live registrations (spec §8.8) change ``live/`` folders, which ``LiveUpdates``
    serves itself, so they are not a change here. ``stats``, if given, counts
    every answer and hears of loads and reloads (``--metrics``, ``--query-log``);
    ``progress``, of the first load's steps (a large registry takes a while).
    With ``workers`` > 1, that many processes answer UDP (cid/server/_workers.py).
    ``images``: start from (and write) compiled zone images (cid/registry/_compiled.py).
    """
    only = list(zones)
    with contextlib.suppress(CidError, OSError):  # a broken registry is reported by the load
        Registry.load(registry_path).make_live_folders()
        if images:  # made before the watch's first look: not a change of the registry
            (Path(registry_path) / CACHE).mkdir(exist_ok=True)
    watch = _Watch(registry_path, deep_interval)
    now = int(time.time())
    started = time.monotonic()
    live = LiveUpdates(registry_path, only, now=now, progress=progress, images=images)
    watch.assembled(now, live.next_change(now))
    if workers > 1:
        live.authority = Mirrored.of(live.authority)  # its changes go to the workers too
    authority = live.authority
    server = DnsServer(authority, listen, live, stats, live.primary, workers=workers)
    await server.start()
    live.primary.notify_all()  # a restart may have a newer version for the secondaries
    if stats is not None:
        stats.serving(authority, server.bound, live, time.monotonic() - started)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready(server.bound)
    log.info(
        "serving %s: answering from now on (loaded in %.1f s)",
        ", ".join(str(o) for o in authority.origins),
        time.monotonic() - started,
    )
    # The images of the zones just assembled, written beside the answering (a large
    # zone's takes a while), for the next start. (Not served from at once: the memory
    # the assembled zones free stays with the process, fragmented, and the image's
    # pages would come on top of it.)
    writing = loop.run_in_executor(None, live.write_images)
    leases = asyncio.ensure_future(live.run_leases())
    statuses = asyncio.ensure_future(live.run_statuses())
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), reload_interval)
            if stop.is_set():
                break
            why = await watch.why()
            if why is None:
                continue
            await watch.baseline()
            now = int(time.time())
            started = time.monotonic()
            try:
                await live.reload(now)
            except Exception as exc:
                log.error("registry not reloaded, still serving the last good one: %s", exc)
                if stats is not None:
                    stats.reload_failed()
            else:
                log.info("reloaded %s: %s", registry_path, why)
                if stats is not None:
                    stats.reloaded(why, time.monotonic() - started)
            watch.assembled(now, live.next_change(now))
    finally:
        if stats is not None:
            stats.stopping()
        leases.cancel()
        statuses.cancel()
        live.stopping.set()  # an image being written is given up, its file removed
        with contextlib.suppress(Exception):  # logged already
            await writing
        await live.primary.stop()
        await server.stop()
