"""``cid serve`` as a hidden primary (spec/resolution.md §9.1): the asyncio driver of ``_xfr``.

It sends each new version's NOTIFY to every secondary of the zone over UDP,
signed with the secondary's key, and sends it again (after 1, 2, 4 and 8 s)
until the secondary answers; a newer version's NOTIFY replaces one still
being retried. It streams AXFR and IXFR responses over TCP, rendering a
large zone off the event loop in batches so that queries go on meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Iterator
from typing import Final

import dns.name

from ._xfr import Notify, Primary, Version

__all__ = ["NOTIFY_TIMEOUTS", "HiddenPrimary"]

log = logging.getLogger("cid.serve")

#: Seconds to wait for each NOTIFY's answer before sending it again (RFC 1996 §3.6).
NOTIFY_TIMEOUTS: Final = (1.0, 2.0, 4.0, 8.0, 16.0)
_BATCH: Final = 32  # messages of a transfer rendered per trip to the executor


class _Answer(asyncio.DatagramProtocol):
    def __init__(self, qid: int) -> None:
        self.qid = qid
        self.heard: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if Primary.is_notify_ack(data, self.qid) and not self.heard.done():
            self.heard.set_result(data)

    def error_received(self, exc: Exception) -> None:
        log.debug("notify: %s", exc)


class HiddenPrimary:
    """Transfers and NOTIFY for the zones of one server; ``core`` decides, this sends."""

    def __init__(self, core: Primary | None = None) -> None:
        self.core = core or Primary()
        self._notifying: dict[tuple[dns.name.Name, str, int], asyncio.Task[None]] = {}
        self.acknowledged = 0  # NOTIFYs answered, for tests and benchmarks

    # ----------------------------------------------------------- notify

    def commit(self, version: Version) -> None:
        """``version`` is served from now on: keep its change, notify its secondaries."""
        for notify in self.core.commit(version):
            self.notify(notify)

    def notify_all(self) -> None:
        """Notify every secondary of every zone of its current version (on start-up)."""
        for origin in self.core.origins():
            for notify in self.core.notifies(origin):
                self.notify(notify)

    def notify(self, notify: Notify) -> None:
        key = (notify.origin, notify.secondary.address, notify.secondary.port)
        old = self._notifying.pop(key, None)
        if old is not None:
            old.cancel()  # a newer version supersedes it
        task = asyncio.ensure_future(self._notify(notify))
        self._notifying[key] = task
        task.add_done_callback(lambda t: self._forget(key, t))

    def _forget(self, key: tuple[dns.name.Name, str, int], task: asyncio.Task[None]) -> None:
        if self._notifying.get(key) is task:
            del self._notifying[key]

    async def _notify(self, notify: Notify) -> None:
        loop = asyncio.get_running_loop()
        target = (notify.secondary.address, notify.secondary.port)
        for timeout in NOTIFY_TIMEOUTS:
            qid = secrets.randbelow(65536)
            wire = Primary.notify_message(notify, qid, int(time.time()))
            try:
                transport, proto = await loop.create_datagram_endpoint(
                    functools.partial(_Answer, qid), remote_addr=target
                )
            except OSError as exc:
                log.debug("notify %s to %s port %d: %s", notify.origin, *target, exc)
                await asyncio.sleep(timeout)
                continue
            try:
                transport.sendto(wire)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(proto.heard), timeout)
                    self.acknowledged += 1
                    log.debug(
                        "notify %s serial %d: %s port %d answered",
                        notify.origin,
                        notify.serial,
                        *target,
                    )
                    return
            finally:
                transport.close()
        log.warning(
            "notify %s serial %d: %s port %d never answered",
            notify.origin,
            notify.serial,
            *target,
            extra={"ratelimit": ("notify unanswered", target)},
        )

    async def stop(self) -> None:
        tasks = list(self._notifying.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ------------------------------------------------------- transfers

    def answer_udp(self, wire: bytes, peer: str) -> bytes | None:
        """The one response to an AXFR or IXFR query over UDP."""
        transfer = self.core.transfer(wire, peer, tcp=False, now=int(time.time()))
        self._log(transfer.log, transfer.allowed)
        return next(transfer.messages, None)

    async def transfer(self, wire: bytes, peer: str, writer: asyncio.StreamWriter) -> bool:
        """Stream the response to an AXFR or IXFR query over TCP; False when none was sent."""
        loop = asyncio.get_running_loop()
        transfer = self.core.transfer(wire, peer, tcp=True, now=int(time.time()))
        self._log(transfer.log, transfer.allowed)
        sent = False
        while True:
            batch = await loop.run_in_executor(None, _take, transfer.messages, _BATCH)
            for message in batch:
                writer.write(len(message).to_bytes(2) + message)
                sent = True
            await writer.drain()
            if len(batch) < _BATCH:
                return sent

    @staticmethod
    def _log(text: str, allowed: bool) -> None:
        if allowed:  # a refresh's SOA query is routine: debug
            log.log(logging.DEBUG if text.startswith("SOA ") else logging.INFO, "xfr: %s", text)
        else:  # anyone can send these: one kind for the log's rate limit
            log.info("xfr: %s", text, extra={"ratelimit": ("transfer refused",)})


def _take(messages: Iterator[bytes], n: int) -> list[bytes]:
    out = []
    for message in messages:
        out.append(message)
        if len(out) == n:
            break
    return out
