"""The drivers: :class:`Resolver` (blocking) and :class:`AsyncResolver` (asyncio).

They hold the configuration, the cache and the version store, build a
:class:`Resolution` per question, perform the queries it asks for, and save the
version store when it changed. A warm answer is served straight from the cache
without building a resolution.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import dns.name

from cid import CidError, Identifier, Pattern, parse_pattern

from ._anchor import Server, TrustAnchor
from ._cache import Cache, StatusStore, VersionStore
from ._discovery import Discovery, Walk
from ._outcome import Outcome, ResolutionError
from ._resolution import Children, Limits, Lookup, Resolution, Resolved, StatusCheck
from ._schedule import Need, Policy, Schedule, rank
from ._transport import Unreachable, exchange, exchange_async, lookup, lookup_async

__all__ = ["AsyncResolver", "Resolver"]

_NAME_MEMO: Final = 65536
#: Seconds a discovery may take (§15): a dozen resolutions at their default deadline.
FIND_DEADLINE: Final = 60.0
#: Resolutions of a discovery run at a time by the asyncio driver: enough to overlap
#: the waits, few enough not to queue behind one another at one busy server.
FIND_CONCURRENCY: Final = 8


class _Base:
    def __init__(
        self,
        anchor: TrustAnchor,
        *,
        forwarder: Server | None = None,
        limits: Limits | None = None,
        cache: Cache | None = None,
        versions: VersionStore | str | Path | None = None,
        statuses: StatusStore | None = None,
        use_cache: bool = True,
        rng: random.Random | None = None,
        wallclock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.anchor = anchor
        self.forwarder = forwarder
        self.limits = limits or Limits()
        self.cache = cache if cache is not None else Cache()
        if not isinstance(versions, VersionStore):
            versions = VersionStore(versions)
        self.versions = versions
        self.statuses = statuses if statuses is not None else StatusStore()
        self.use_cache = use_cache
        self.rng = rng or random.SystemRandom()
        self.wallclock = wallclock
        self.clock = clock
        self._keys: dict[str, tuple[str, int]] = {}  # identifier text -> cache key, for warm hits
        self.last_trace: list[str] = []

    def _warm(self, identifier: object) -> Resolved | None:
        if type(identifier) is str:
            key = self._keys.get(identifier)
            if key is not None:
                found = self.cache.answers.get(key)
                if type(found) is Resolved and found.fresh_until > self.wallclock():
                    return found
        return None

    def _identifier_resolution(
        self, identifier: Identifier | str, use_cache: bool | None, trace: bool
    ) -> Resolution:
        res = Resolution.for_identifier(identifier, **self._options(use_cache, trace))
        if type(identifier) is str:
            if len(self._keys) >= _NAME_MEMO:
                self._keys.clear()
            self._keys[identifier] = (res.key, res.qtype)
        return res

    def _options(
        self, use_cache: bool | None, trace: bool, until: float | None = None
    ) -> dict[str, Any]:
        return {
            "anchor": self.anchor,
            "cache": self.cache,
            "versions": self.versions,
            "now": int(self.wallclock()),
            "clock": self.clock(),
            "limits": self.limits,
            "forwarder": self.forwarder,
            "rng": self.rng,
            "use_cache": self.use_cache if use_cache is None else use_cache,
            "trace": trace,
            "until": until,
        }

    def _walk(
        self, pattern: Pattern | str, max_nodes: int, max_results: int, deadline: float
    ) -> Walk:
        if isinstance(pattern, str):
            try:
                pattern = parse_pattern(pattern)
            except CidError as exc:
                raise ResolutionError(
                    Outcome.INVALID_IDENTIFIER, str(pattern), "parse the pattern", str(exc)
                ) from None
        if not deadline > 0:
            raise ValueError("the deadline of a discovery must be positive")
        # Every resolution of the walk ends by the walk's deadline (§17.4).
        until = self.clock() + deadline
        return Walk(
            pattern,
            self.anchor.origin,
            lambda node: Resolution.for_children(node, **self._options(None, False, until)),
            lambda ident: Resolution.for_identifier(ident, **self._options(None, False, until)),
            max_nodes=max_nodes,
            max_results=max_results,
            until=until,
        )

    def _status_resolution(self, resolved: Resolved) -> Resolution:
        return Resolution.for_status(resolved, statuses=self.statuses, **self._options(None, False))

    def _scheduled(
        self,
        walk: Walk,
        checks: list[StatusCheck],
        need: Need,
        policy: Policy,
        queries: int,
    ) -> Schedule:
        self.versions.save()
        found = walk.discovery()
        ranked, dropped, rejected, currency = rank(checks, need, policy, now=int(self.wallclock()))
        return Schedule(
            found.pattern,
            need,
            policy,
            int(self.wallclock()),
            ranked,
            dropped,
            rejected,
            found.failures,
            found.nodes,
            found.bound,
            queries,
            currency,
            sum(1 for c in checks if c.problem == "UNAVAILABLE"),
        )

    def _children_resolution(self, node: str) -> Resolution:
        return Resolution.for_children(dns.name.from_text(node), **self._options(None, False))

    def _children(self, res: Resolution) -> tuple[dns.name.Name, ...]:
        self.versions.save()
        if res.error is not None:
            raise res.error
        assert isinstance(res.result, Children)
        return res.result.names

    def _finish(self, res: Resolution) -> Resolved:
        self.last_trace = [str(step) for step in res.trace or ()]
        self.versions.save()
        if res.error is not None:
            raise res.error
        assert isinstance(res.result, Resolved)
        return res.result


class Resolver(_Base):
    """A verifying resolver (blocking). See :class:`AsyncResolver` for asyncio.

    ``anchor`` is where resolution starts; ``forwarder`` (address, port) sends
    every query through a recursive resolver instead of iterating, still
    verifying every record from the anchor down. ``versions`` is a
    :class:`VersionStore` or the path of its file (rollback protection across
    runs); None keeps it in memory.
    """

    def resolve(
        self, identifier: Identifier | str, *, use_cache: bool | None = None, trace: bool = False
    ) -> Resolved:
        """The verified descriptor of ``identifier`` with its endpoints, or
        :class:`ResolutionError` with the outcome."""
        if not trace and use_cache is not False and self.use_cache:
            warm = self._warm(identifier)
            if warm is not None:
                return warm
        res = self._identifier_resolution(identifier, use_cache, trace)
        self.run(res)
        return self._finish(res)

    def children(self, node: str) -> tuple[dns.name.Name, ...]:
        """The children listed at ``node`` (a DNS name under the root), from its
        enumeration record (spec §4; unauthenticated), or :class:`ResolutionError`."""
        res = self._children_resolution(node)
        self.run(res)
        return self._children(res)

    def find(
        self,
        pattern: Pattern | str,
        *,
        max_nodes: int = 1000,
        max_results: int = 1000,
        deadline: float = FIND_DEADLINE,
    ) -> Discovery:
        """Every identifier matching ``pattern`` that the enumeration records lead to,
        resolved and verified; the walk is pruned by the pattern (spec §17). It lists
        at most ``max_nodes`` nodes, keeps at most ``max_results`` results and ends
        within ``deadline`` seconds; ``Discovery.bound`` says which of these cut it
        short."""
        walk = self._walk(pattern, max_nodes, max_results, deadline)
        while (res := walk.next(self.clock())) is not None:
            self.run(res)
            walk.done(res)
        self.versions.save()
        return walk.discovery()

    def schedule(
        self,
        pattern: Pattern | str,
        need: Need | str = "",
        policy: Policy | str = "cheapest",
        *,
        max_nodes: int = 1000,
        max_results: int = 1000,
        deadline: float = FIND_DEADLINE,
    ) -> Schedule:
        """Choose among the providers that match ``pattern`` (spec/status.md §12): find
        and verify their descriptors (:meth:`find`), fetch and verify each one's status,
        drop those that cannot take ``need`` (``acc=8;mem=512GiB``), and rank the rest
        by ``policy`` (a :class:`Policy`, or its name: ``cheapest``, ``shortest-wait``,
        ``nearest`` needs ``Policy(region=...)``, ``weighted:price=2,wait=1``)."""
        need, policy = _inputs(need, policy)
        walk = self._walk(pattern, max_nodes, max_results, deadline)
        queries = 0
        while (res := walk.next(self.clock())) is not None:
            self.run(res)
            queries += res.queries
            walk.done(res)
        checks = []
        for resolved in walk.discovery().results:
            res = self._status_resolution(resolved)
            self.run(res)
            queries += res.queries
            assert isinstance(res.result, StatusCheck)
            checks.append(res.result)
        return self._scheduled(walk, checks, need, policy, queries)

    def run(self, res: Resolution) -> None:
        """Perform the queries ``res`` asks for until it ends."""
        while (action := res.action()) is not None:
            if isinstance(action, Lookup):
                found = lookup(action.host, timeout=res.timeout_for(self.clock()))
                _report_lookup(res, found, self.clock())
                continue
            try:
                wire = exchange(
                    action.wire,
                    action.server,
                    tcp=action.tcp,
                    timeout=res.timeout_for(self.clock()),
                )
            except Unreachable as exc:
                res.unreachable(str(exc), clock=self.clock())
                continue
            if wire is None:
                res.timed_out(clock=self.clock())
            else:
                res.receive(wire, clock=self.clock())


class AsyncResolver(_Base):
    """As :class:`Resolver`, for asyncio: the same core, queries awaited. :meth:`find`
    runs several resolutions of its walk at a time."""

    async def resolve(
        self, identifier: Identifier | str, *, use_cache: bool | None = None, trace: bool = False
    ) -> Resolved:
        if not trace and use_cache is not False and self.use_cache:
            warm = self._warm(identifier)
            if warm is not None:
                return warm
        res = self._identifier_resolution(identifier, use_cache, trace)
        await self.run(res)
        return self._finish(res)

    async def children(self, node: str) -> tuple[dns.name.Name, ...]:
        res = self._children_resolution(node)
        await self.run(res)
        return self._children(res)

    async def find(
        self,
        pattern: Pattern | str,
        *,
        max_nodes: int = 1000,
        max_results: int = 1000,
        deadline: float = FIND_DEADLINE,
        concurrency: int = FIND_CONCURRENCY,
    ) -> Discovery:
        """As :meth:`Resolver.find`, running up to ``concurrency`` resolutions of the
        walk at a time (1: one after another, as the blocking driver does): the queries
        of one overlap the waits and the verification of the others. The results, and
        the queries sent, are the same."""
        if concurrency < 1:
            raise ValueError("the concurrency of a discovery must be at least 1")
        walk = self._walk(pattern, max_nodes, max_results, deadline)
        running: set[asyncio.Task[Resolution]] = set()
        try:
            while True:
                while len(running) < concurrency:
                    res = walk.next(self.clock())
                    if res is None:
                        break
                    running.add(asyncio.create_task(self._ran(res)))
                if not running:
                    break
                ended, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in ended:
                    walk.done(task.result())
        finally:
            for task in running:
                task.cancel()
        self.versions.save()
        return walk.discovery()

    async def _ran(self, res: Resolution) -> Resolution:
        await self.run(res)
        return res

    async def schedule(
        self,
        pattern: Pattern | str,
        need: Need | str = "",
        policy: Policy | str = "cheapest",
        *,
        max_nodes: int = 1000,
        max_results: int = 1000,
        deadline: float = FIND_DEADLINE,
    ) -> Schedule:
        need, policy = _inputs(need, policy)
        walk = self._walk(pattern, max_nodes, max_results, deadline)
        queries = 0
        while (res := walk.next(self.clock())) is not None:
            await self.run(res)
            queries += res.queries
            walk.done(res)
        checks = []
        for resolved in walk.discovery().results:
            res = self._status_resolution(resolved)
            await self.run(res)
            queries += res.queries
            assert isinstance(res.result, StatusCheck)
            checks.append(res.result)
        return self._scheduled(walk, checks, need, policy, queries)

    async def run(self, res: Resolution) -> None:
        while (action := res.action()) is not None:
            if isinstance(action, Lookup):
                found = await lookup_async(action.host, timeout=res.timeout_for(self.clock()))
                _report_lookup(res, found, self.clock())
                continue
            try:
                wire = await exchange_async(
                    action.wire,
                    action.server,
                    tcp=action.tcp,
                    timeout=res.timeout_for(self.clock()),
                )
            except Unreachable as exc:
                res.unreachable(str(exc), clock=self.clock())
                continue
            if wire is None:
                res.timed_out(clock=self.clock())
            else:
                res.receive(wire, clock=self.clock())


def _inputs(need: Need | str, policy: Policy | str) -> tuple[Need, Policy]:
    return (
        need if isinstance(need, Need) else Need.parse(need),
        policy if isinstance(policy, Policy) else Policy.parse(policy),
    )


def _report_lookup(res: Resolution, found: tuple[str, ...] | None, clock: float) -> None:
    if found is None:
        res.timed_out(clock=clock)
    else:
        res.looked_up(found, clock=clock)
