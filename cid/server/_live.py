"""Live registration in ``cid serve`` (spec/resolution.md §8.8): the driver around ``_live``.

It holds each served zone's inputs and live entries, hands every UPDATE to the
sans-IO :func:`~cid._live.handle`, makes the decided change durable (atomic
write and fsync) before it answers, then re-assembles that one zone and swaps
it into the :class:`Authority`. A timer re-assembles a zone when a lease
lapses, so a lapsed registration leaves the answers within a second, and
removes its file. One lock orders updates, lapses and full reloads, so none of
them works from a stale copy of another's state.

Statuses (spec/status.md §8.5) are soft state: an accepted one goes into the
:class:`Authority`'s table of statuses at once, in memory only (no file, no
fsync: a restart loses them until their agents publish again), and is answered
from there. For a zone with secondaries (spec/resolution.md §9.1) a tick once a
second also puts the statuses that changed, appeared or expired since the last
tick into the served zone as one new version: so secondaries get them by IXFR
with at most one NOTIFY a second per zone, however many statuses arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

import dns.name
import dns.node
import dns.rcode
import dns.rdataclass
import dns.tsig
import dns.zone

from .._descriptor import Descriptor
from .._errors import CidError
from .._identifier import parse
from .._signed import decode_unverified
from .._status import MAX_STATUS_VALIDITY, Status
from ..atomic import fsync_dir, write_atomic
from ..layout import TYPE_DESCRIPTOR, TYPE_STATUS
from ..registry import (
    Compiled,
    Entry,
    ImageError,
    ImageNodes,
    Listing,
    Registration,
    Registry,
    RegistryError,
    Secondary,
    SignedDescriptor,
    ZoneInputs,
    entry_bytes,
    open_compiled,
    patch,
    patch_statuses,
    save_compiled,
    zone_listing,
)
from ._authority import Authority, HeldStatus
from ._gcpause import gc_paused
from ._hidden import HiddenPrimary
from ._update import LiveZone, Published, Served, handle
from ._update_fast import HashedName, hashed

#: Seconds between two versions of a zone made for statuses alone (so between NOTIFYs).
STATUS_TICK: Final = 1.0
#: Descriptors decoded for status checks, remembered by their bytes, at most.
_DESCRIBED: Final = 100_000

__all__ = ["LiveUpdates"]

log = logging.getLogger("cid.serve")

_Keys = dict[dns.name.Name, dns.tsig.Key]
#: Told of a load's steps: (what, descriptors read, descriptors in all).
LoadProgress = Callable[[str, int, int], None]

_IN: Final = dns.rdataclass.IN

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
    # Images of the zones just assembled, to write once they are served.
    unwritten: list[Callable[[], Path | None]] = field(default_factory=list)

    def next_change(self, now: int) -> int | None:
        """When a signed record of some zone expires or becomes valid (spec §8.7)."""
        times = [i.next_change(now) for _, i in self.inputs.values()]
        return min((t for t in times if t is not None), default=None)

    def next_lapse(self) -> int | None:
        ends = [e.until for z in self.zones.values() if z is not None for e in z.entries.values()]
        return min(ends, default=None)


class LiveUpdates:
    """Serves a registry's zones to an :class:`Authority` and takes live registrations."""

    def __init__(
        self,
        registry_path: Path,
        only: Sequence[str] = (),
        *,
        now: int,
        progress: LoadProgress | None = None,
        images: bool = True,
    ) -> None:
        self.path = Path(registry_path)
        self.only = list(only)
        # Compiled images (cid/registry/_compiled.py): read at start and reload when
        # they may stand in for assembly, written after each assembly (write_images).
        self.images = images
        self.stopping = threading.Event()  # set at a stop: an image being written is given up
        self.lock = asyncio.Lock()
        self._state = self.load(now, progress)
        # Hidden primary (spec §9.1): every version served goes through it.
        self.primary = HiddenPrimary()
        self._configure(self._state)
        with gc_paused():
            for zone in self._state.built:
                self.primary.core.commit(self.primary.core.prepare(zone))
            if progress is not None:
                progress("indexing", 0, 0)
            self.authority = Authority(self._state.built)
        self._wake = asyncio.Event()
        self._pending = 0
        self._tasks: set[asyncio.Task[None]] = set()
        # Plain ints, read by the metrics at scrape time (cid/server/_metrics.py).
        self.decisions: dict[tuple[str, int], int] = {}  # (action, rcode) -> UPDATEs answered
        self.lapsed = 0  # registrations whose lease lapsed
        self.statuses = _Statuses(self)

    # ----------------------------------------------------------- loading

    def load(
        self, now: int, progress: LoadProgress | None = None, before: _State | None = None
    ) -> _State:
        """Read and verify the registry at ``now`` and assemble every served zone.

        Blocking (run it in an executor); deletes the files of lapsed leases.
        ``progress`` hears what is being done: (step, files read, files in all).
        Descriptors ``before`` held are not verified again (:meth:`Registry.inputs`).
        """
        with gc_paused():  # millions of lasting objects, next to no cycles
            return self._load(now, progress, before)

    def _load(self, now: int, progress: LoadProgress | None, before: _State | None) -> _State:
        registry = Registry.load(self.path)
        root = dns.name.from_text(registry.root)
        names = self.only or sorted(registry.zones)
        state = _State(registry, {}, {}, {}, [])
        for name in names:
            if name not in registry.zones:
                raise RegistryError(f"no zone {name} in {self.path}")
            origin = hashed(dns.name.from_text(name))  # looked up for every status
            static: Container[dns.name.Name]
            if progress is not None and self.images:
                progress(f"checking the image of {name}", 0, 0)
            compiled = self._compiled(registry, name, now)
            if compiled is not None:
                inputs, zone, static = compiled.inputs, compiled.zone, compiled.static
                for problem in inputs.problems:
                    log.warning("not served: %s", problem, extra={"ratelimit": False})
                for path in inputs.lapsed:
                    _unlink(path)
                    log.info("lease lapsed: %s removed", path)
            else:
                inputs, zone, static, listed = self._assemble(registry, name, now, progress, before)
                if listed is not None:
                    write = functools.partial(
                        _save,
                        registry,
                        name,
                        zone,
                        inputs,
                        listed,
                        static,
                        now,
                        self.stopping.is_set,
                    )
                    state.unwritten.append(write)
            state.built.append(zone)
            state.inputs[origin] = (name, inputs)
            state.zones[origin] = self._live_zone(
                registry, name, inputs, root, state.keyring, static
            )
            secondaries = registry.zones[name].secondaries
            state.transfers[origin] = (secondaries, registry.transfer_keys(name))
        return state

    def _compiled(self, registry: Registry, name: str, now: int) -> Compiled | None:
        """The zone from its compiled image, if one may stand in for assembly now."""
        if not self.images:
            return None
        try:
            compiled = open_compiled(registry, name, now=now, now_ns=time.time_ns())
        except ImageError as exc:
            log.info("zone %s: assembled, not from its image (%s)", name, exc)
            return None
        log.info("zone %s: from its image %s, %d names changed since patched in", name,
                 compiled.image.path, compiled.changes)  # fmt: skip
        return compiled

    def _assemble(
        self,
        registry: Registry,
        name: str,
        now: int,
        progress: LoadProgress | None,
        before: _State | None,
    ) -> tuple[ZoneInputs, dns.zone.Zone, frozenset[dns.name.Name], Listing | None]:
        """Read, verify and assemble one zone, and the listing its image is to record."""
        origin = hashed(dns.name.from_text(name))
        # Taken before the files are read: a file changed after it makes the image stale.
        listed = zone_listing(registry, name, now_ns=time.time_ns()) if self.images else None
        read = None if progress is None else functools.partial(progress, f"reading {name}")
        reuse = None if before is None else before.inputs.get(origin, (name, None))[1]
        inputs = registry.inputs(name, now=now, progress=read, reuse=reuse)
        if progress is not None:
            progress(f"assembling {name}", len(inputs.static), len(inputs.static))
        for problem in inputs.problems:
            log.warning("not served: %s", problem, extra={"ratelimit": False})
        for path in inputs.lapsed:
            _unlink(path)
            log.info("lease lapsed: %s removed", path)
        zone = registry.assemble_from(name, inputs, now=now)
        # Labels shared between the names, as in the zone: a million names differ
        # mostly in their first label.
        shared: dict[bytes, bytes] = {}
        owners = (_owner(d.record.subject, registry.root).labels for d in inputs.static)
        static = frozenset(dns.name.Name([shared.setdefault(x, x) for x in n]) for n in owners)
        return inputs, zone, static, listed

    def write_images(self) -> list[Path]:
        """Write the images of the zones the last load assembled (blocking: run it
        beside the loop once they are served), so that the next start maps them;
        the images written."""
        state = self._state
        written = []
        while state.unwritten:
            path = state.unwritten.pop(0)()
            if path is not None:
                written.append(path)
        return written

    def from_images(self) -> dict[str, Path]:
        """The zones the last load served from their images: zone name -> image."""
        out = {}
        for zone in self._state.built:
            if isinstance(zone.nodes, ImageNodes):
                out[zone.origin.to_text(omit_final_dot=True)] = zone.nodes.image.path  # type: ignore[union-attr]
        return out

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
        static: Container[dns.name.Name],
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
        cuts = frozenset(hashed(dns.name.from_text(c.name)) for c in registry.children(name))
        return LiveZone(
            hashed(dns.name.from_text(name)),
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

    async def reload(self, now: int) -> list[Path]:
        """Load the whole registry again (beside the server) and swap every zone in; then
        write the images of the zones it assembled (those written)."""
        loop = asyncio.get_running_loop()
        async with self.lock:
            load = functools.partial(self.load, now, before=self._state)
            state = await loop.run_in_executor(None, load)
            self._configure(state)
            prepare = self.primary.core.prepare
            versions = [await loop.run_in_executor(None, prepare, z) for z in state.built]
            # Indexed off the loop too (large zones take a while), then swapped in at once.
            built = await loop.run_in_executor(None, _index, state.built)
            self._state = state
            self.authority.adopt(built)
            for version in versions:
                self.primary.commit(version)
                self.statuses.reassembled(version.origin)
            self._wake.set()
        return await loop.run_in_executor(None, self.write_images)

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
            decision = handle(wire, state.zones, state.keyring, now=now, statuses=self.statuses)
            if decision.status is not None and decision.zone and decision.name:
                # Soft state (spec/status.md §8.4): served at once, never written.
                ttl = state.registry.zones[state.inputs[decision.zone][0]].settings.ttl
                self.statuses.publish(decision.zone, decision.name, decision.status, ttl)
                log.debug("update from %s: %s", peer, decision.log)
                self._tally(decision.action, decision.rcode)
                return decision.response()
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
            self.statuses.drop(decision.name)  # it described the descriptor replaced
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
        current = ZoneInputs(
            inputs.static, inputs.delegations, dict(zone.entries), [], [], inputs.statuses
        )
        build = functools.partial(state.registry.assemble_from, name, current, now=now)
        built = await loop.run_in_executor(None, build)
        version = await loop.run_in_executor(None, self.primary.core.prepare, built)
        self.authority.replace_zone(built)
        self.primary.commit(version)
        self.statuses.reassembled(zone.name)  # a whole assembly holds no status

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
                        self.statuses.drop(n)
                        log.info("lease lapsed: %s (%s)", n, entry.by)

    # ---------------------------------------------------------- statuses

    async def run_statuses(self) -> None:
        """Forever, every :data:`STATUS_TICK`: forget expired statuses, and give zones with
        secondaries a new version holding the statuses that changed."""
        while True:
            await asyncio.sleep(STATUS_TICK)
            try:
                await self.tick_statuses(int(time.time()))
            except Exception:  # never stop: statuses are soft state, try again next tick
                log.exception("statuses not updated")

    async def tick_statuses(self, now: int) -> None:
        loop = asyncio.get_running_loop()
        async with self.lock:
            for origin, changes in self.statuses.due(now).items():
                served = self.authority.zone(origin)
                if served is None:
                    continue
                edit = functools.partial(patch_statuses, served, changes, now=now)
                patched = await loop.run_in_executor(None, edit)
                if patched is None:
                    continue
                # Only statuses changed from the version served: compare only them.
                version = self.primary.core.prepare(
                    patched.zone, patched.written, rdtype=TYPE_STATUS, base=served
                )
                self.authority.patch_zone(patched.zone, patched.added, patched.removed)
                self.primary.commit(version)


def _index(zones: list[dns.zone.Zone]) -> Authority:
    with gc_paused():
        return Authority(zones)


class _Statuses:
    """The statuses a server holds (spec/status.md §8.5), in memory only: the ones served
    (in the :class:`Authority`'s table), the last accepted per subject (replay, kept
    600 s past its exp), and, for zones with secondaries, the names changed since the
    last tick. Also the status rules' view of the descriptors served."""

    def __init__(self, live: LiveUpdates) -> None:
        self.live = live
        self.origin: dict[dns.name.Name, dns.name.Name] = {}  # name -> its zone
        self.seen: dict[str, tuple[Status, int]] = {}  # subject -> (last, kept until)
        self.dirty: dict[dns.name.Name, set[dns.name.Name]] = {}
        self._ends: list[tuple[int, int, dns.name.Name]] = []  # (exp, n, name): a heap
        self._forget: list[tuple[int, int, str]] = []  # (until, n, subject): a heap
        self._n = itertools.count()
        self._described: dict[bytes, Descriptor] = {}

    # The StatusBook of the sans-IO core.

    def served(self, origin: dns.name.Name, name: dns.name.Name) -> Served | None:
        zone = self.live.authority.zone(origin)
        node = self._node(zone, name) if zone is not None else None
        rds = node.get_rdataset(_IN, TYPE_DESCRIPTOR) if node is not None else None
        if not rds:
            return None
        data: bytes = rds[0].data
        record = self._described.get(data)
        if record is None:
            found = decode_unverified(data)[1]  # verified when it was published
            if not isinstance(found, Descriptor):
                return None
            if len(self._described) >= _DESCRIBED:
                self._described.clear()
            record = self._described[data] = found
        return Served(data, record)

    @staticmethod
    def _node(zone: dns.zone.Zone, name: dns.name.Name) -> dns.node.Node | None:
        """``zone.get_node(name)``, without relativizing a name of an UPDATE each time."""
        if type(name) is HashedName and zone.relativize and zone.origin is not None:
            return zone.nodes.get(name.relative(zone.origin))
        return zone.get_node(name)

    def last(self, subject: str) -> Status | None:
        seen = self.seen.get(subject)
        return seen[0] if seen is not None else None

    # Changes.

    def publish(self, origin: dns.name.Name, name: dns.name.Name, pub: Published, ttl: int) -> None:
        """Serve ``pub`` at ``name`` from now on, in place of any status before it."""
        st = pub.status
        self.live.authority.statuses[name] = HeldStatus(pub.data, st.expires, ttl, pub.descriptor)
        self.origin[name] = origin
        until = st.expires + MAX_STATUS_VALIDITY
        self.seen[st.subject] = (st, until)
        heapq.heappush(self._ends, (st.expires, next(self._n), name))
        heapq.heappush(self._forget, (until, next(self._n), st.subject))
        self._touch(origin, name)

    def drop(self, name: dns.name.Name) -> None:
        """Stop serving the status at ``name`` (its descriptor changed or went)."""
        if self.live.authority.statuses.pop(name, None) is not None:
            origin = self.origin.pop(name, None)
            if origin is not None:
                self._touch(origin, name)

    def reassembled(self, origin: dns.name.Name) -> None:
        """Zone ``origin`` was assembled whole, so it holds none of its statuses."""
        for name, held_in in self.origin.items():
            if held_in == origin:
                self._touch(origin, name)

    def _touch(self, origin: dns.name.Name, name: dns.name.Name) -> None:
        if self.live.primary.core.secondaries(origin):  # only they read the zone's copies
            self.dirty.setdefault(origin, set()).add(name)

    def due(self, now: int) -> dict[dns.name.Name, dict[dns.name.Name, tuple[bytes, int] | None]]:
        """Forget what expired by ``now``; then, by zone, what each changed name should hold
        in the zone: (signed status, TTL at ``now``), or None for nothing."""
        held = self.live.authority.statuses
        while self._ends and self._ends[0][0] <= now:
            _, _, name = heapq.heappop(self._ends)
            found = held.get(name)
            if found is not None and found.expires <= now:
                self.drop(name)
        while self._forget and self._forget[0][0] <= now:
            _, _, subject = heapq.heappop(self._forget)
            seen = self.seen.get(subject)
            if seen is not None and seen[1] <= now:
                del self.seen[subject]
        out: dict[dns.name.Name, dict[dns.name.Name, tuple[bytes, int] | None]] = {}
        for origin, names in self.dirty.items():
            zone = self.live.authority.zone(origin)
            changes: dict[dns.name.Name, tuple[bytes, int] | None] = {}
            for name in names:
                status = held.get(name)
                node = self._node(zone, name) if zone is not None else None
                ttl = status.ttl_at(node, now) if status is not None and node else None
                changes[name] = (status.data, ttl) if status is not None and ttl else None
            out[origin] = changes
        self.dirty = {}
        return out


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


def _save(
    registry: Registry,
    name: str,
    zone: dns.zone.Zone,
    inputs: ZoneInputs,
    listed: Listing,
    static: frozenset[dns.name.Name],
    now: int,
    stop: Callable[[], bool],
) -> Path | None:
    started = time.monotonic()
    try:
        written = save_compiled(
            registry, name, zone, inputs, listed, now=now, owners=static, stop=stop
        )
    except (OSError, CidError) as exc:
        log.warning("zone %s: no image written: %s", name, exc)
        return None
    if written is None:
        log.info("zone %s: no image written (a file changed as it was read, or a record "
                 "changes within a second): the next load assembles it", name)  # fmt: skip
    else:
        took = time.monotonic() - started
        log.info("zone %s: image written in %.1f s: %s", name, took, written)
    return written
