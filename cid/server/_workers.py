"""``cid serve --workers N``: N processes answer UDP on the same addresses (SO_REUSEPORT).

The main process keeps everything stateful (TCP, UPDATE, transfers, the registry
watch and reloads, leases, statuses) and answers UDP too; N - 1 workers, forked once
the zones are loaded, answer UDP only. Every change to the main process's
:class:`Authority` (a reload, a zone patched or replaced, a status held or dropped)
goes to every worker, in order, over a socket pair, as the same change; a worker
applies it and says how many it has applied. An UPDATE is acknowledged only once
every worker has applied every change made before it (:meth:`Fleet.synced`), so a
query sent after the acknowledgement sees the change whichever process the kernel
hands it to (spec/resolution.md §8.8.6). A worker passes the UPDATEs and transfer
requests that reach it to the main process, which answers them from its own socket
on the same address. A worker that ends is logged and forked again from the main
process's current state; SIGTERM to the main process stops them all, and a worker
whose main process is gone stops by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import selectors
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

import dns.name
import dns.node
import dns.zone

from ..registry import changed_nodes, copy_nodes
from ._authority import Authority, HeldStatus

__all__ = ["Fleet", "Mirrored"]

log = logging.getLogger("cid.serve")

_LENGTH: Final = struct.Struct("!I")
_SYNC_TIMEOUT: Final = 10.0  # seconds a worker may take to apply a change before it is replaced
_STOP_TIMEOUT: Final = 5.0
_READY_TIMEOUT: Final = 60.0
_RESTART_DELAY: Final = 1.0  # a worker that ended within this of its start waits this long

# Datagrams a worker passes to the main process: (listen index, datagram, client address).
Forwarded = Callable[[int, bytes, Any], None]
# In a worker, for listen index i and where to pass UPDATEs and transfers: a UDP socket
# bound beside the main process's (SO_REUSEPORT) and what reads and answers it.
WorkerUdp = Callable[[int, Callable[[bytes, Any], None]], tuple[socket.socket, Callable[[], None]]]


def _frame(message: object) -> bytes:
    # Only between a process and the ones it forked, over a private socket pair.
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


class _Frames:
    """Messages read off a stream of length-prefixed frames as its bytes arrive."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        self._buf += data
        out = []
        at = 0
        while len(self._buf) - at >= _LENGTH.size:
            (n,) = _LENGTH.unpack_from(self._buf, at)
            if len(self._buf) - at - _LENGTH.size < n:
                break
            start = at + _LENGTH.size
            out.append(pickle.loads(self._buf[start : start + n]))
            at = start + n
        del self._buf[:at]
        return out


# ----------------------------------------------------------------- changes


class _Statuses(dict[dns.name.Name, HeldStatus]):
    """The statuses table of a :class:`Mirrored` authority: each change also goes to the workers."""

    fleet: Fleet | None = None

    def __setitem__(self, name: dns.name.Name, held: HeldStatus) -> None:
        super().__setitem__(name, held)
        if self.fleet is not None:
            self.fleet.send(("status", name, held))

    def __delitem__(self, name: dns.name.Name) -> None:
        super().__delitem__(name)
        if self.fleet is not None:
            self.fleet.send(("status", name, None))

    def pop(self, name: dns.name.Name, *default: Any) -> Any:
        held = name in self
        found = super().pop(name, *default)
        if held and self.fleet is not None:
            self.fleet.send(("status", name, None))
        return found


class Mirrored(Authority):
    """An :class:`Authority` whose every change is also sent to ``fleet``'s workers."""

    fleet: Fleet | None = None

    @classmethod
    def of(cls, authority: Authority) -> Mirrored:
        """A mirrored authority serving what ``authority`` serves (its zones, statuses, clock)."""
        mirrored = cls(clock=authority.clock)
        Authority.adopt(mirrored, authority)
        statuses = _Statuses(authority.statuses)
        mirrored.statuses = statuses
        return mirrored

    def attach(self, fleet: Fleet | None) -> None:
        self.fleet = fleet
        if isinstance(self.statuses, _Statuses):
            self.statuses.fleet = fleet

    def adopt(self, other: Authority) -> None:
        super().adopt(other)
        if self.fleet is not None:
            self.fleet.send(("zones", [other.zone(o) for o in other.origins]))

    def replace_zone(self, zone: dns.zone.Zone) -> None:
        super().replace_zone(zone)
        if self.fleet is not None:
            self.fleet.send(("zone", zone))

    def patch_zone(
        self,
        zone: dns.zone.Zone,
        added: Iterable[dns.name.Name],
        removed: Iterable[dns.name.Name],
    ) -> None:
        added, removed = list(added), list(removed)
        before = self.zone(zone.origin) if zone.origin is not None else None
        super().patch_zone(zone, added, removed)
        if self.fleet is None:
            return
        if before is None:
            self.fleet.send(("zone", zone))
            return
        # A patched zone shares every node it did not write with the one before
        # (cid/registry/_patch.py): only the others go, with the names that went.
        changed, gone = changed_nodes(before.nodes, zone.nodes)
        self.fleet.send(("patch", zone.origin, changed, gone, added, removed))


def _apply(authority: Authority, message: tuple[Any, ...]) -> None:
    """Make in a worker the change the main process made (see :class:`Mirrored`)."""
    kind = message[0]
    if kind == "zones":
        Authority.adopt(authority, Authority(message[1]))
    elif kind == "zone":
        Authority.replace_zone(authority, message[1])
    elif kind == "patch":
        _, origin, changed, gone, added, removed = message
        before = authority.zone(origin)
        assert before is not None, origin
        zone = dns.zone.Zone(origin, before.rdclass, relativize=before.relativize)
        nodes = copy_nodes(before.nodes)
        nodes.update(changed)
        for name in gone:
            del nodes[name]
        zone.nodes = nodes
        Authority.patch_zone(authority, zone, added, removed)
    elif kind == "status":
        _, name, held = message
        if held is None:
            dict.pop(authority.statuses, name, None)
        else:
            dict.__setitem__(authority.statuses, name, held)
    else:
        raise ValueError(f"unknown change {kind!r}")


# ----------------------------------------------------------------- workers


class _Worker:
    """The main process's side of one worker."""

    def __init__(self, slot: int, pid: int, sock: socket.socket, base: int) -> None:
        self.slot = slot
        self.pid = pid
        self.sock = sock
        self.frames = _Frames()
        self.outbox = bytearray()
        self.base = base  # changes sent before it was forked: it has them
        self.applied = 0  # changes it applied since
        self.ready = False
        self.started = time.monotonic()


class Fleet:
    """``count`` UDP workers beside the main process, serving ``authority`` on ``listen``."""

    def __init__(
        self,
        authority: Mirrored,
        listen: list[tuple[str, int]],
        count: int,
        forwarded: Forwarded,
        inherited: Callable[[], Iterable[int]],
        udp: WorkerUdp,
    ) -> None:
        self.authority = authority
        self.listen = listen
        self.count = count
        self.forwarded = forwarded  # answers a datagram a worker passed on
        self.inherited = inherited  # the main process's sockets (fds), closed in a new worker
        self.udp = udp
        self.workers: dict[int, _Worker] = {}
        self.sent = 0  # changes sent so far
        self.restarts = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._stopping = False
        self._ready: asyncio.Event | None = None

    async def start(self) -> None:
        """Fork the workers; return once each has bound its sockets."""
        self._ready = asyncio.Event()
        self.authority.attach(self)
        for slot in range(1, self.count + 1):
            self._fork(slot)
        try:
            await asyncio.wait_for(self._ready.wait(), _READY_TIMEOUT)
        except TimeoutError:
            await self.stop()
            raise OSError("udp workers did not start") from None
        log.info("%d udp workers beside the main process", self.count)

    # -------------------------------------------------------------- forking

    def _fork(self, slot: int) -> None:
        parent, child = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the worker: it never returns to the main process's code
            code = 1
            try:
                parent.close()
                code = _worker_main(self, child, slot)
            except BaseException:
                with contextlib.suppress(Exception):
                    log.exception("udp worker %d failed", slot)
            finally:
                os._exit(code)
        child.close()
        parent.setblocking(False)
        worker = _Worker(slot, pid, parent, self.sent)
        self.workers[slot] = worker
        asyncio.get_running_loop().add_reader(parent, self._read, worker)
        log.debug("udp worker %d: pid %d", slot, pid)

    # -------------------------------------------------------------- changes

    def send(self, message: tuple[Any, ...]) -> None:
        """Send one change to every worker, after every change sent before it."""
        self.sent += 1
        if not self.workers:
            return
        data = _frame(message)
        for worker in self.workers.values():
            self._write(worker, data)

    def _write(self, worker: _Worker, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        if worker.outbox:
            worker.outbox += data
            return
        try:
            done = worker.sock.send(data)
        except (BlockingIOError, InterruptedError):
            done = 0
        except OSError:
            return  # it is gone: its reader sees the end and forks it again
        if done < len(data):
            worker.outbox += data[done:]
            loop.add_writer(worker.sock, self._flush, worker)

    def _flush(self, worker: _Worker) -> None:
        try:
            done = worker.sock.send(worker.outbox)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            done = len(worker.outbox)
        del worker.outbox[:done]
        if not worker.outbox:
            asyncio.get_running_loop().remove_writer(worker.sock)

    async def synced(self) -> None:
        """Return once every worker has applied every change sent so far. One that takes
        longer than ``_SYNC_TIMEOUT`` is replaced by a new fork, which has them all."""
        target = self.sent
        if self._synced(target):
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        try:
            await asyncio.wait_for(asyncio.shield(future), _SYNC_TIMEOUT)
        except TimeoutError:
            for worker in list(self.workers.values()):
                if worker.base + worker.applied < target:
                    log.error("udp worker %d (pid %d) is behind: replaced", worker.slot, worker.pid)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(worker.pid, signal.SIGKILL)
                    self._ended(worker, restart_now=True)
        finally:
            if not future.done():
                future.cancel()

    def _synced(self, target: int) -> bool:
        return all(w.base + w.applied >= target for w in self.workers.values())

    def _wake(self) -> None:
        waiting = []
        for target, future in self._waiters:
            if future.done():
                continue
            if self._synced(target):
                future.set_result(None)
            else:
                waiting.append((target, future))
        self._waiters = waiting

    # -------------------------------------------------------------- reading

    def _read(self, worker: _Worker) -> None:
        try:
            data = worker.sock.recv(1 << 17)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._ended(worker, restart_now=False)
            return
        for message in worker.frames.feed(data):
            kind = message[0]
            if kind == "applied":
                worker.applied += message[1]
                self._wake()
            elif kind == "udp":
                self.forwarded(message[1], message[2], message[3])
            elif kind == "ready":
                worker.ready = True
                if self._ready is not None and all(w.ready for w in self.workers.values()):
                    self._ready.set()

    def _ended(self, worker: _Worker, *, restart_now: bool) -> None:
        if self.workers.get(worker.slot) is not worker:
            return  # already taken care of
        loop = asyncio.get_running_loop()
        loop.remove_reader(worker.sock)
        loop.remove_writer(worker.sock)
        worker.sock.close()
        del self.workers[worker.slot]
        status = _reap(worker.pid, wait=True)
        self._wake()  # it no longer holds anyone up
        if self._stopping:
            return
        self.restarts += 1
        log.error(
            "udp worker %d (pid %d) ended (%s): forked again", worker.slot, worker.pid, status
        )
        young = time.monotonic() - worker.started < _RESTART_DELAY
        if young and not restart_now:
            loop.call_later(_RESTART_DELAY, self._restart, worker.slot)
        else:
            self._restart(worker.slot)

    def _restart(self, slot: int) -> None:
        if not self._stopping and slot not in self.workers:
            self._fork(slot)

    # -------------------------------------------------------------- stopping

    async def stop(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after ``_STOP_TIMEOUT``) and reap it."""
        self._stopping = True
        self.authority.attach(None)
        loop = asyncio.get_running_loop()
        workers = list(self.workers.values())
        self.workers.clear()
        for worker in workers:
            loop.remove_reader(worker.sock)
            loop.remove_writer(worker.sock)
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_TIMEOUT
        for worker in workers:
            while _reap(worker.pid, wait=False) is None:
                if time.monotonic() > deadline:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(worker.pid, signal.SIGKILL)
                    _reap(worker.pid, wait=True)
                    break
                await asyncio.sleep(0.02)
            worker.sock.close()
        for _, future in self._waiters:
            if not future.done():
                future.set_result(None)
        self._waiters = []


def _reap(pid: int, *, wait: bool) -> str | None:
    """How process ``pid`` ended, once it has (None while it runs, unless ``wait``)."""
    try:
        done, status = os.waitpid(pid, 0 if wait else os.WNOHANG)
    except ChildProcessError:
        return "already reaped"
    if done == 0:
        return None
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


# ---------------------------------------------------------------- the worker


def _worker_main(fleet: Fleet, ctl: socket.socket, slot: int) -> int:
    """A worker's life: answer UDP, apply the main process's changes, until it is told
    to stop (SIGTERM) or the main process is gone (its socket pair ends)."""
    # The main process's signal handling (its event loop's wake-up socket) is not ours.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # Its log thread did not come along: log straight to standard error (errors only).
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)s udp worker {slot}: %(message)s")
    )
    root.addHandler(handler)
    for fd in fleet.inherited():
        with contextlib.suppress(OSError):
            os.close(fd)
    for other in fleet.workers.values():
        other.sock.close()
    authority = fleet.authority
    authority.attach(None)
    ctl.setblocking(True)

    def forward(index: int) -> Callable[[bytes, Any], None]:
        def send(data: bytes, addr: Any) -> None:
            ctl.sendall(_frame(("udp", index, data, addr)))

        return send

    udps = [fleet.udp(i, forward(i)) for i in range(len(fleet.listen))]
    ctl.sendall(_frame(("ready",)))
    frames = _Frames()
    with selectors.DefaultSelector() as selector:
        selector.register(ctl, selectors.EVENT_READ, None)
        for sock, drain in udps:
            selector.register(sock, selectors.EVENT_READ, drain)
        while True:
            for key, _ in selector.select():
                if key.data is not None:
                    key.data()
                    continue
                data = ctl.recv(1 << 20)
                if not data:
                    return 0  # the main process is gone
                messages = frames.feed(data)
                for message in messages:
                    _apply(authority, message)
                if messages:
                    ctl.sendall(_frame(("applied", len(messages))))
