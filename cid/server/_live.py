"""Live registration in ``cid serve`` (spec/resolution.md §8.8): the driver around ``_live``.

It holds each served zone's inputs and live entries, hands every UPDATE to the
sans-IO :func:`~cid._live.handle`, makes the decided change durable (atomic
write and fsync) before it answers, then re-assembles that one zone and swaps
it into the :class:`Authority`. A timer re-assembles a zone when a lease
lapses, so a lapsed registration leaves the answers within a second, and
removes its file. One lock orders updates, lapses and full reloads, so none of
them works from a stale copy of another's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

import dns.name
import dns.rcode
import dns.tsig
import dns.zone

from .._errors import CidError
from .._identifier import parse
from ..atomic import fsync_dir, write_atomic
from ..registry import (
    Entry,
    Registration,
    Registry,
    RegistryError,
    Secondary,
    SignedDescriptor,
    ZoneInputs,
    entry_bytes,
    patch,
)
from ._authority import Authority
from ._hidden import HiddenPrimary
from ._update import LiveZone, handle

__all__ = ["LiveUpdates"]

log = logging.getLogger("cid.serve")

_Keys = dict[dns.name.Name, dns.tsig.Key]

#: UDP updates waiting for the lock at most; more are dropped, and their senders retry.
_MAX_PENDING: Final = 64


@dataclass
class _State:
    """Everything one load of the registry gave, and the live entries since."""

    registry: Registry
    inputs: dict[dns.name.Name, tuple[str, ZoneInputs]]  # origin -> (zone name, inputs)
    zones: dict[dns.name.Name, LiveZone | None]  # every served zone; None: not live
    keyring: dict[dns.name.Name, dns.tsig.Key]
    built: list[dns.zone.Zone]
    # origin -> the zone's secondaries and their TSIG keys (spec §9.1)
    transfers: dict[dns.name.Name, tuple[tuple[Secondary, ...], _Keys]] = field(
        default_factory=dict
    )

    def next_change(self, now: int) -> int | None:
        """When a signed record of some zone expires or becomes valid (spec §8.7)."""
        times = [i.next_change(now) for _, i in self.inputs.values()]
        return min((t for t in times if t is not None), default=None)

    def next_lapse(self) -> int | None:
        ends = [e.until for z in self.zones.values() if z is not None for e in z.entries.values()]
        return min(ends, default=None)


class LiveUpdates:
    """Serves a registry's zones to an :class:`Authority` and takes live registrations."""

    def __init__(self, registry_path: Path, only: Sequence[str] = (), *, now: int) -> None:
        self.path = Path(registry_path)
        self.only = list(only)
        self.lock = asyncio.Lock()
        self._state = self.load(now)
        # Hidden primary (spec §9.1): every version served goes through it.
        self.primary = HiddenPrimary()
        self._configure(self._state)
        for zone in self._state.built:
            self.primary.core.commit(self.primary.core.prepare(zone))
        self.authority = Authority(self._state.built)
        self._wake = asyncio.Event()
        self._pending = 0
        self._tasks: set[asyncio.Task[None]] = set()
        # Plain ints, read by the metrics at scrape time (cid/server/_metrics.py).
        self.decisions: dict[tuple[str, int], int] = {}  # (action, rcode) -> UPDATEs answered
        self.lapsed = 0  # registrations whose lease lapsed

    # ----------------------------------------------------------- loading

    def load(self, now: int) -> _State:
        """Read and verify the registry at ``now`` and assemble every served zone.

        Blocking (run it in an executor); deletes the files of lapsed leases.
        """
        registry = Registry.load(self.path)
        root = dns.name.from_text(registry.root)
        names = self.only or sorted(registry.zones)
        state = _State(registry, {}, {}, {}, [])
        for name in names:
            if name not in registry.zones:
                raise RegistryError(f"no zone {name} in {self.path}")
            inputs = registry.inputs(name, now=now)
            for problem in inputs.problems:
                log.warning("not served: %s", problem, extra={"ratelimit": False})
            for path in inputs.lapsed:
                _unlink(path)
                log.info("lease lapsed: %s removed", path)
            zone = registry.assemble_from(name, inputs, now=now)
            origin = dns.name.from_text(name)
            state.built.append(zone)
            state.inputs[origin] = (name, inputs)
            state.zones[origin] = self._live_zone(registry, name, inputs, root, state.keyring)
            secondaries = registry.zones[name].secondaries
            state.transfers[origin] = (secondaries, registry.transfer_keys(name))
        return state

    def _configure(self, state: _State) -> None:
        for origin, (secondaries, keys) in state.transfers.items():
            self.primary.core.configure(origin, secondaries, keys)
        self.primary.core.retain(state.transfers)

    def _live_zone(
        self,
        registry: Registry,
        name: str,
        inputs: ZoneInputs,
        root: dns.name.Name,
        keyring: dict[dns.name.Name, dns.tsig.Key],
    ) -> LiveZone | None:
        policy = registry.zones[name].live
        if policy is None:
            return None
        for key in registry.tsig_keys(name):
            known = keyring.setdefault(key.name, key)
            if (known.secret, known.algorithm) != (key.secret, key.algorithm):
                raise RegistryError(f"zone {name}: TSIG key {key.name} has two secrets")
        try:
            signer = registry.signing_key(name)
        except (CidError, OSError) as exc:
            log.warning("zone %s: no signing key (%s): only signed registrations", name, exc)
            signer = None
        cuts = frozenset(dns.name.from_text(c.name) for c in registry.children(name))
        static = frozenset(_owner(d.record.subject, registry.root) for d in inputs.static)
        return LiveZone(
            dns.name.from_text(name),
            root,
            policy,
            tuple(registry.verify_keys(name)),
            signer,
            cuts,
            static,
            dict(inputs.live),
        )

    def next_change(self, now: int) -> int | None:
        """When the zones must be assembled again though no file changed (spec §8.7)."""
        return self._state.next_change(now)

    async def reload(self, now: int) -> None:
        """Load the whole registry again (beside the server) and swap every zone in."""
        loop = asyncio.get_running_loop()
        async with self.lock:
            state = await loop.run_in_executor(None, self.load, now)
            self._configure(state)
            prepare = self.primary.core.prepare
            versions = [await loop.run_in_executor(None, prepare, z) for z in state.built]
            # Indexed off the loop too (large zones take a while), then swapped in at once.
            built = await loop.run_in_executor(None, Authority, state.built)
            self._state = state
            self.authority.adopt(built)
            for version in versions:
                self.primary.commit(version)
            self._wake.set()

    # ----------------------------------------------------------- updates

    def submit(self, wire: bytes, peer: str, send: Callable[[bytes], None]) -> None:
        """Take one UPDATE that came over UDP; ``send`` the response when it is decided."""
        if self._pending >= _MAX_PENDING:
            log.debug("update from %s dropped: %d waiting", peer, self._pending)
            return
        self._pending += 1
        task = asyncio.ensure_future(self._udp(wire, peer, send))
        self._tasks.add(task)  # a reference, so that the task is not collected mid-way
        task.add_done_callback(self._tasks.discard)

    async def _udp(self, wire: bytes, peer: str, send: Callable[[bytes], None]) -> None:
        try:
            response = await self.handle(wire, peer)
            if response is not None:
                send(response)
        except Exception:  # the server never stops answering
            log.exception("update from %s failed", peer)
        finally:
            self._pending -= 1

    async def handle(self, wire: bytes, peer: str) -> bytes | None:
        """The response to one UPDATE, sent only once its change is on disk and served."""
        loop = asyncio.get_running_loop()
        async with self.lock:
            state = self._state
            now = int(time.time())
            decision = handle(wire, state.zones, state.keyring, now=now)
            zone = state.zones.get(decision.zone) if decision.zone is not None else None
            if decision.entry is None or zone is None or decision.name is None:
                # Anyone can send these: one kind per outcome for the log's rate limit.
                kind = ("update not applied", decision.action, decision.rcode)
                log.info("update from %s: %s", peer, decision.log, extra={"ratelimit": kind})
                self._tally(decision.action, decision.rcode)
                return decision.response()
            path = state.registry.live_file(state.inputs[zone.name][0], decision.name)
            try:
                await loop.run_in_executor(None, _write, path, decision.entry)
            except OSError as exc:
                log.error("update from %s: %s; not written: %s", peer, decision.log, exc)
                self._tally(decision.action, dns.rcode.SERVFAIL)
                return decision.response(dns.rcode.SERVFAIL)
            # On disk: from here on the change holds, whatever happens to this process.
            change = {decision.name: (zone.entries.get(decision.name), decision.entry)}
            zone = zone.with_entry(decision.name, decision.entry)
            state.zones[zone.name] = zone
            try:
                await self._swap(state, zone, now, change)
            except CidError as exc:
                log.error(
                    "update from %s: %s; written, not yet served: %s", peer, decision.log, exc
                )
                self._tally(decision.action, dns.rcode.SERVFAIL)
                return decision.response(dns.rcode.SERVFAIL)
            self._wake.set()
            log.info("update from %s: %s", peer, decision.log)
            self._tally(decision.action, decision.rcode)
            return decision.response()

    def _tally(self, action: str, rcode: int) -> None:
        key = (action, int(rcode))
        self.decisions[key] = self.decisions.get(key, 0) + 1

    def live_entries(self) -> dict[str, int]:
        """Each live zone's registrations and withdrawals held now (for the metrics)."""
        return {
            origin.to_text(): len(zone.entries)
            for origin, zone in list(self._state.zones.items())  # read from another thread
            if zone is not None
        }

    async def _swap(
        self,
        state: _State,
        zone: LiveZone,
        now: int,
        changes: Mapping[dns.name.Name, tuple[Entry | None, Entry | None]],
    ) -> None:
        """Serve ``zone`` with its current entries: the served zone patched where
        ``changes`` (name: before, after) say, or else assembled again whole."""
        name, inputs = state.inputs[zone.name]
        loop = asyncio.get_running_loop()
        served = self.authority.zone(zone.name)
        if served is not None:
            descriptors = {n: (_published(a), _published(b)) for n, (a, b) in changes.items()}
            settings = state.registry.zones[name].settings
            edit = functools.partial(
                patch,
                served,
                settings,
                descriptors,
                cuts=zone.cuts,
                root=state.registry.root,
                now=now,
            )
            patched = await loop.run_in_executor(None, edit)
            if patched is not None:
                version = self.primary.core.prepare(patched.zone, patched.written)
                self.authority.patch_zone(patched.zone, patched.added, patched.removed)
                self.primary.commit(version)
                return
        current = ZoneInputs(inputs.static, inputs.delegations, dict(zone.entries), [], [])
        build = functools.partial(state.registry.assemble_from, name, current, now=now)
        built = await loop.run_in_executor(None, build)
        version = await loop.run_in_executor(None, self.primary.core.prepare, built)
        self.authority.replace_zone(built)
        self.primary.commit(version)

    # ------------------------------------------------------------ leases

    async def run_leases(self) -> None:
        """Forever: wait for the earliest lapse, then take lapsed entries out."""
        while True:
            lapse = self._state.next_lapse()
            self._wake.clear()
            delay = None if lapse is None else max(0.0, lapse - time.time()) + 0.01
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                continue  # the entries changed: look again
            except TimeoutError:
                pass
            try:
                await self._expire()
            except Exception:  # never stop taking lapsed leases out: try again shortly
                log.exception("lapsed leases not taken out")
                await asyncio.sleep(1.0)

    async def _expire(self) -> None:
        loop = asyncio.get_running_loop()
        async with self.lock:
            state = self._state
            now = int(time.time())
            for origin, old in list(state.zones.items()):
                if old is None:
                    continue
                gone = {n: e for n, e in old.entries.items() if e.until <= now}
                if not gone:
                    continue
                zone = replace(old, entries={n: e for n, e in old.entries.items() if n not in gone})
                state.zones[origin] = zone
                if any(isinstance(e, Registration) for e in gone.values()):
                    await self._swap(state, zone, now, {n: (e, None) for n, e in gone.items()})
                name = state.inputs[origin][0]
                paths = [state.registry.live_file(name, n) for n in gone]
                await loop.run_in_executor(None, _unlink_all, paths)
                for n, entry in gone.items():
                    if isinstance(entry, Registration):
                        self.lapsed += 1
                        log.info("lease lapsed: %s (%s)", n, entry.by)


def _published(entry: Entry | None) -> SignedDescriptor | None:
    """What a live entry publishes: a registration's descriptor; a withdrawal, nothing."""
    return SignedDescriptor(entry.data, entry.record) if isinstance(entry, Registration) else None


def _owner(subject: str, root: str) -> dns.name.Name:
    return dns.name.from_text(parse(subject).to_dns_name(root))


def _write(path: Path, entry: Entry) -> None:
    folder = path.parent
    if not folder.is_dir():
        folder.mkdir(exist_ok=True)
        fsync_dir(folder.parent)  # the new folder's own name must survive a crash too
    write_atomic(path, entry_bytes(entry))


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        fsync_dir(path.parent)


def _unlink_all(paths: Sequence[Path]) -> None:
    for path in paths:
        _unlink(path)
