"""The sans-IO resolution core (spec/resolution.md part 2, §12).

A :class:`Resolution` is given a question, the trust anchor, the cache, the
version store, the wall-clock time ``now`` (for validity) and a monotonic
``clock`` (for the deadline). It says which query to send to which server
(:meth:`Resolution.action`), takes what came back (:meth:`receive`,
:meth:`timed_out`, :meth:`unreachable`, :meth:`looked_up`) and ends with a
result or a :class:`ResolutionError`. It opens no socket and reads no clock,
so every path is testable without a network; the drivers do the I/O:
:class:`Resolver` (blocking) and :class:`AsyncResolver` (asyncio), both in
``_resolver``, over the sockets of ``_transport``.

The algorithm is written as a generator (``yield`` a query, receive the
reply), which keeps it in the order the spec gives it.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from cid import (
    CidError,
    CriticalExtensionError,
    Delegation,
    Descriptor,
    DescriptorError,
    EncodingError,
    Endpoint,
    ExpiredError,
    Identifier,
    NotYetValidError,
    OversizeError,
    RollbackError,
    SignatureError,
    Status,
    StatusMismatchError,
    UnknownKeyError,
    ValidityError,
    VerifyKey,
    decode_unverified,
    encode_payload,
    parse,
    verify,
    verify_delegation,
    verify_status,
)
from cid.layout import (
    TYPE_DELEGATION,
    TYPE_DESCRIPTOR,
    TYPE_STATUS,
    delegation_owner,
    enum_owner,
)

from ._anchor import Server, TrustAnchor
from ._cache import Cache, NegativeEntry, StatusStore, VersionStore, ZoneEntry
from ._classify import classify
from ._messages import Fault, Kind, Response, query_wire, txt_copy
from ._outcome import Outcome, ResolutionError
from ._select import order_endpoints

__all__ = [
    "Children",
    "Limits",
    "Lookup",
    "Query",
    "Resolution",
    "Resolved",
    "StatusCheck",
    "Step",
    "identifier_or_fail",
    "rejection_code",
]

_PTR: Final = dns.rdatatype.PTR
_TXT: Final = dns.rdatatype.TXT
_WHAT: Final[dict[int, str]] = {
    TYPE_DESCRIPTOR: "descriptor",
    TYPE_DELEGATION: "delegation",
    TYPE_STATUS: "status",
}
# When every server failed, the failure reported is the most telling one.
_SEVERITY: Final = (
    Outcome.LOOP,
    Outcome.LAME_DELEGATION,
    Outcome.LIMIT_EXCEEDED,
    Outcome.SERVFAIL,
    Outcome.TIMEOUT,
)
# Failures of servers (not of signed data): a cached zone's servers may be to blame.
_SERVER_FAULTS: Final = frozenset(
    (Outcome.LOOP, Outcome.LAME_DELEGATION, Outcome.SERVFAIL, Outcome.TIMEOUT)
)
# How a forwarder that does not pass private types fails on them: then the
# descriptor's TXT copy is asked for (§12.7.1).
# RFC 8767: the failures of servers, after which a stale answer may serve.
_STALE_SERVES: Final = frozenset((Outcome.TIMEOUT, Outcome.SERVFAIL, Outcome.LAME_DELEGATION))
_TXT_FALLBACK: Final = frozenset((Outcome.LAME_DELEGATION, Outcome.SERVFAIL, Outcome.TIMEOUT))


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one resolution (spec §15). Times are seconds."""

    max_depth: int = 16  # referrals followed
    max_queries: int = 48  # queries sent, retries included
    deadline: float = 5.0  # whole resolution
    query_timeout: float = 1.0  # one query, before trying the next server
    rounds: int = 2  # passes over a zone's servers that did not answer
    max_response: int = 65535  # octets over TCP; over UDP the 1232 advertised
    live_ttl: int = 60  # at most this long a descriptor's endpoints are cached
    stale_window: int = 300  # serve-stale window after fresh_until (RFC 8767)
    max_lookups: int = 4  # addresses looked up for servers without glue, per referral
    max_ttl: int = 86400  # at most this long a zone's keys are cached
    max_negative_ttl: int = 3600  # at most this long a negative answer is cached

    def __post_init__(self) -> None:
        for name in ("max_depth", "max_queries", "rounds", "max_response", "max_lookups"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.deadline <= 0 or self.query_timeout <= 0:
            raise ValueError("deadline and query_timeout must be positive")
        if self.live_ttl < 0 or self.stale_window < 0:
            raise ValueError("live_ttl and stale_window cannot be negative")


@dataclass(frozen=True, slots=True)
class Query:
    """Send ``wire`` to ``server`` over UDP (or TCP when ``tcp``) and report the reply."""

    server: Server
    qname: dns.name.Name
    qtype: int
    id: int
    wire: bytes
    tcp: bool


@dataclass(frozen=True, slots=True)
class Lookup:
    """Find the addresses of a name server host that came without glue."""

    host: str


Action = Query | Lookup


def iso_time(seconds: int) -> str:
    """A time as every message and JSON output shows it: ``2026-12-06T00:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a trace: what was asked of whom and what came of it."""

    zone: str
    server: str
    question: str
    result: str

    def __str__(self) -> str:
        at = f" @{self.server}" if self.server else ""
        return f"[{self.zone}]{at} {self.question}: {self.result}"


@dataclass(frozen=True, slots=True)
class Resolved:
    """A verified descriptor and what is needed to use it.

    ``chain`` lists the zones verified from the trust anchor down to the issuer;
    ``fresh_until`` is when the cached copy must be refreshed (unix time) and
    ``stale_until`` the last moment it may be served stale. ``stale`` is True
    when this came from the cache because the servers failed.
    """

    identifier: Identifier
    name: str
    descriptor: Descriptor
    zone: str
    chain: tuple[str, ...]
    fresh_until: int
    stale_until: int
    stale: bool = False
    from_cache: bool = False
    #: The issuer zone's keys, from the verified chain: they verify its statuses.
    keys: tuple[VerifyKey, ...] = ()

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """Every endpoint, by priority (lowest first); see :meth:`ordered` for weights."""
        return tuple(sorted(self.descriptor.endpoints, key=lambda e: e.priority))

    def ordered(self, rng: random.Random | None = None) -> list[Endpoint]:
        """The endpoints in the order to try them: priority, then weighted choice."""
        return order_endpoints(self.descriptor.endpoints, rng or random.Random())


@dataclass(frozen=True, slots=True)
class Children:
    """The children a node's enumeration record lists (unauthenticated, spec §4)."""

    node: dns.name.Name
    names: tuple[dns.name.Name, ...]


@dataclass(frozen=True, slots=True)
class StatusCheck:
    """The status of a verified descriptor (spec/status.md §7): ``status`` when one
    verified, else None and ``problem`` says why: ``MISSING`` (none published: NODATA or
    NXDOMAIN), ``UNAVAILABLE`` (the servers failed; ``detail`` has the outcome), or the
    category of its rejection (``SIGNATURE``, ``MISMATCH``, ``EXPIRED``, ``ROLLBACK``,
    ...). Either way the descriptor stands (§7.6)."""

    resolved: Resolved
    status: Status | None
    problem: str | None = None
    detail: str = ""


#: spec/status.md §7.5: a rejection's category by the class that reports it; the most
#: specific class first.
_CATEGORIES: Final[tuple[tuple[type[DescriptorError], str], ...]] = (
    (StatusMismatchError, "MISMATCH"),
    (OversizeError, "OVERSIZE"),
    (EncodingError, "ENCODING"),
    (UnknownKeyError, "UNKNOWN_KEY"),
    (SignatureError, "SIGNATURE"),
    (CriticalExtensionError, "CRITICAL_EXTENSION"),
    (NotYetValidError, "NOT_YET_VALID"),
    (ExpiredError, "EXPIRED"),
    (RollbackError, "ROLLBACK"),
)


def rejection_code(exc: DescriptorError) -> str:
    """The code of spec/status.md §7.5 (and spec/descriptor.md §11) for a rejection."""
    for kind, code in _CATEGORIES:
        if isinstance(exc, kind):
            return code
    return "ENCODING"


class _Fail(Exception):
    """Ends a resolution (or a step that a caller may recover from) with ``outcome``."""

    def __init__(self, outcome: Outcome, step: str, detail: str = "") -> None:
        super().__init__(outcome, step, detail)
        self.outcome = outcome
        self.step = step
        self.detail = detail


@dataclass(slots=True)
class _Reply:
    kind: Literal["wire", "timeout", "unreachable", "addresses"]
    clock: float
    wire: bytes = b""
    detail: str = ""
    addresses: tuple[str, ...] = field(default=())


@functools.lru_cache(maxsize=4096)
def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


@functools.lru_cache(maxsize=4096)
def _zone_name(zone: str) -> dns.name.Name:
    """The name of a zone given as text (names are immutable: one per zone will do)."""
    return dns.name.from_text(zone)


class Resolution:
    """One resolution: of an identifier's descriptor, or of a node's children.

    Use :meth:`for_identifier` or :meth:`for_children`; ``until``, a monotonic
    time, ends it sooner than ``limits.deadline`` would. Then, while
    :meth:`action` returns a :class:`Query` or :class:`Lookup`, perform it and
    report with :meth:`receive`, :meth:`timed_out`, :meth:`unreachable` or
    :meth:`looked_up`. When :meth:`action` returns None, :attr:`result` holds a
    :class:`Resolved` (or :class:`Children`), or :attr:`error` a
    :class:`ResolutionError`.
    """

    def __init__(
        self,
        qname: dns.name.Name,
        qtype: int,
        label: str,
        *,
        anchor: TrustAnchor,
        cache: Cache,
        versions: VersionStore,
        now: int,
        clock: float,
        limits: Limits | None = None,
        forwarder: Server | None = None,
        rng: random.Random | None = None,
        use_cache: bool = True,
        trace: bool = False,
        identifier: Identifier | None = None,
        until: float | None = None,
        about: Resolved | None = None,
        statuses: StatusStore | None = None,
    ) -> None:
        self.qname = qname
        # Cache key: the absolute name in lowercase (cheaper to hash than a Name).
        self.key = qname.to_text().lower()
        self.qtype = qtype
        self.label = label
        self.anchor = anchor
        self.cache = cache
        self.versions = versions
        self.now = now
        self.limits = limits or Limits()
        self.forwarder = forwarder
        self.rng = rng or random.SystemRandom()
        self.use_cache = use_cache
        self.identifier = identifier
        self.trace: list[Step] | None = [] if trace else None
        self.queries = 0
        self.deadline = clock + self.limits.deadline
        if until is not None:  # a bound on a larger task (a discovery's, §17.4)
            self.deadline = min(self.deadline, until)
        self.clock = clock
        self.root = anchor.origin
        self.about = about
        self.statuses = statuses if statuses is not None else StatusStore()
        self.result: Resolved | Children | StatusCheck | None = None
        self.error: ResolutionError | None = None
        self._gen = self._run()
        self._action: Action | None = None
        self._advance(None)

    # ------------------------------------------------------------ construction

    @classmethod
    def for_identifier(
        cls, identifier: Identifier | str, *, anchor: TrustAnchor, **kw: Any
    ) -> Resolution:
        """Resolve an identifier to its verified descriptor. Invalid text raises
        :class:`ResolutionError` with INVALID_IDENTIFIER."""
        ident = identifier_or_fail(identifier)
        qname = dns.name.from_text(ident.to_dns_name(anchor.zone))
        return cls(qname, TYPE_DESCRIPTOR, str(ident), anchor=anchor, identifier=ident, **kw)

    @classmethod
    def for_status(
        cls,
        resolved: Resolved,
        *,
        anchor: TrustAnchor,
        statuses: StatusStore | None = None,
        **kw: Any,
    ) -> Resolution:
        """Fetch and verify the status beside a verified descriptor (spec/status.md §7,
        §8): TYPE65282 at the identifier's name, verified with the issuer zone's keys
        from the verified chain, against that descriptor, with ``statuses`` as the
        replay store (kept apart from descriptors' versions). It always ends with a
        :class:`StatusCheck`, never an error: a status absent, unavailable or rejected
        is ignored (§7.6)."""
        qname = dns.name.from_text(resolved.name)
        return cls(
            qname,
            TYPE_STATUS,
            str(resolved.identifier),
            anchor=anchor,
            identifier=resolved.identifier,
            about=resolved,
            statuses=statuses,
            **kw,
        )

    @classmethod
    def for_children(cls, node: dns.name.Name, *, anchor: TrustAnchor, **kw: Any) -> Resolution:
        """List the children of ``node`` from its enumeration record."""
        return cls(enum_owner(node), _PTR, node.to_text(), anchor=anchor, **kw)

    # ------------------------------------------------------------ the driver's side

    def action(self) -> Action | None:
        """What to do next, or None when the resolution has ended."""
        return self._action

    def timeout_for(self, clock: float) -> float:
        """How long the driver may wait for the pending action's reply: a query waits
        at most ``query_timeout``, a lookup (which may take several queries of the
        system's resolver) until the deadline; neither beyond it."""
        left = max(0.0, self.deadline - clock)
        return left if isinstance(self._action, Lookup) else min(self.limits.query_timeout, left)

    def receive(self, wire: bytes, *, clock: float) -> None:
        self._advance(_Reply("wire", clock, wire=wire))

    def timed_out(self, *, clock: float) -> None:
        self._advance(_Reply("timeout", clock))

    def unreachable(self, detail: str, *, clock: float) -> None:
        self._advance(_Reply("unreachable", clock, detail=detail))

    def looked_up(self, addresses: tuple[str, ...], *, clock: float) -> None:
        self._advance(_Reply("addresses", clock, addresses=addresses))

    def _advance(self, reply: _Reply | None) -> None:
        if reply is not None:
            if self._action is None:
                raise RuntimeError("the resolution has ended; nothing was asked")
            self.clock = reply.clock
        try:
            self._action = self._gen.send(reply)  # type: ignore[arg-type]
        except StopIteration as stop:
            self._action = None
            self.result = stop.value
        except _Fail as fail:
            self._action = None
            self.error = ResolutionError(fail.outcome, self.label, fail.step, fail.detail)
            stale = self._stale(fail.outcome)
            if stale is not None:
                self.error = None
                self.result = stale

    def _note(self, zone: str, server: str, question: str, result: str) -> None:
        if self.trace is not None:
            self.trace.append(Step(zone, server, question, result))

    # ------------------------------------------------------------ the algorithm

    def _run(self) -> Generator[Action, _Reply, Resolved | Children | StatusCheck]:
        if self.qtype == TYPE_STATUS:
            return (yield from self._run_status())
        key = (self.key, self.qtype)
        if self.use_cache:
            cached = self.cache.answer(key)
            if isinstance(cached, Resolved) and cached.fresh_until > self.now:
                self._note("cache", "", self._question(), "fresh answer")
                return _replace_from_cache(cached)
            negative = self.cache.negative_answer(key)
            if negative is not None and negative.expires > self.now:
                self._note("cache", "", self._question(), f"cached {negative.outcome.code}")
                raise _Fail(negative.outcome, f"cached negative answer from {negative.zone}")
        if self.forwarder is not None:
            return (yield from self._run_forwarding())
        zone, response = yield from self._descend(self.qname, self.qtype)
        if response.kind is Kind.ANSWER and self.qtype == TYPE_DESCRIPTOR:
            issuer = self._issuer_below(response, zone)
            if issuer != zone.zone:
                zone = yield from self._chain_to(zone, issuer)
                yield from self._no_cut_below(zone)
        return self._conclude(zone, response)

    def _question(self, qname: dns.name.Name | None = None, qtype: int | None = None) -> str:
        name = self.qname if qname is None else qname
        rdtype = self.qtype if qtype is None else qtype
        text = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))
        what = _WHAT.get(rdtype)  # the private types, named by what they hold
        return f"{name} {text} ({what})" if what else f"{name} {text}"

    def _start_zone(self, qname: dns.name.Name) -> ZoneEntry:
        """The deepest zone above ``qname`` whose keys are cached, else the anchor."""
        if self.use_cache:
            name = qname
            while name != self.root and len(name) > len(self.root):
                entry = self.cache.zone(_text(name))
                if entry is not None and entry.expires > self.now and entry.servers:
                    return entry
                name = name.parent()
        return self._anchor_entry()

    def _anchor_entry(self) -> ZoneEntry:
        zone = self.anchor.zone
        return ZoneEntry(zone, self.anchor.keys, self.anchor.servers, 2**63, (zone,))

    def _descend(
        self, qname: dns.name.Name, qtype: int
    ) -> Generator[Action, _Reply, tuple[ZoneEntry, Response]]:
        """Follow referrals from the best known zone to the one holding ``qname``, and
        return that zone with its (non-referral) response.

        Servers come from unauthenticated referrals: if a descent that started from a
        cached zone fails at the servers, that zone is forgotten and the descent
        starts once more from the anchor (§14.2).
        """
        start = self._start_zone(qname)
        try:
            return (yield from self._descend_from(start, qname, qtype))
        except _Fail as fail:
            if start.zone == self.anchor.zone or fail.outcome not in _SERVER_FAULTS:
                raise
            self.cache.zones.pop(start.zone)
            self._note(
                start.zone, "", self._question(qname, qtype), f"{fail.outcome}; from the anchor"
            )
            return (yield from self._descend_from(self._anchor_entry(), qname, qtype))

    def _descend_from(
        self, zone: ZoneEntry, qname: dns.name.Name, qtype: int
    ) -> Generator[Action, _Reply, tuple[ZoneEntry, Response]]:
        # Every referral goes strictly down (classify calls any other a LOOP or lame),
        # so a descent cannot come back to a zone: only its depth needs a bound.
        depth = 0
        while True:
            response = yield from self._ask(zone, qname, qtype)
            if response.kind is not Kind.REFERRAL:
                return zone, response
            depth += 1
            if depth > self.limits.max_depth:
                raise _Fail(Outcome.LIMIT_EXCEEDED, f"more than {self.limits.max_depth} referrals")
            zone = yield from self._follow(zone, response)

    def _follow(self, zone: ZoneEntry, referral: Response) -> Generator[Action, _Reply, ZoneEntry]:
        """Verify the child's delegation record with ``zone``'s keys (§12.5)."""
        assert referral.cut is not None
        cut = _text(referral.cut)
        data, ttl = referral.delegation, referral.delegation_ttl
        if data is None:
            owner = delegation_owner(referral.cut, _zone_name(zone.zone))
            response = yield from self._ask(zone, owner, TYPE_DELEGATION)
            if response.kind is Kind.ANSWER and response.answer is not None:
                data, ttl = self._single(response, f"delegation record of {cut} at {zone.zone}")
        if data is not None:
            step = f"delegation record of {cut} at {zone.zone}"
            record = self._verify_delegation(data, zone, cut, step)
            found = self._zone_entry(zone, record, ttl, ())
        else:
            # The server also holds zones between (§12.5): they are found by probing.
            found = yield from self._chain_to(zone, cut)
        servers = yield from self._servers(referral, cut)
        expires = min(found.expires, self.now + max(0, referral.ttl))
        entry = ZoneEntry(found.zone, found.keys, servers, expires, found.chain)
        if self.use_cache:
            self.cache.put_zone(entry)
        return entry

    def _single(self, response: Response, step: str) -> tuple[bytes, int]:
        assert response.answer is not None
        if len(response.answer) != 1:
            raise _Fail(Outcome.BOGUS, f"fetch {step}", "more than one signed record at the name")
        return response.answer[0].data, response.answer.ttl

    def _zone_entry(
        self, parent: ZoneEntry, record: Delegation, ttl: int, servers: tuple[Server, ...]
    ) -> ZoneEntry:
        """A verified child zone; it holds no longer than its parent, its record or TTL."""
        ttl = max(0, min(ttl, self.limits.max_ttl, record.expires - self.now))
        expires = min(parent.expires, self.now + ttl)
        chain = (*parent.chain, record.child)
        if len(chain) - 1 > self.limits.max_depth:
            raise _Fail(Outcome.LIMIT_EXCEEDED, f"chain to {record.child}", "too many zones")
        entry = ZoneEntry(record.child, record.keys, servers, expires, chain)
        if self.use_cache:
            self.cache.put_zone(entry)
        return entry

    def _verify_delegation(self, data: bytes, zone: ZoneEntry, child: str, step: str) -> Delegation:
        try:
            record = verify_delegation(data, zone.keys, now=self.now, issuer=zone.zone)
        except ValidityError as exc:
            raise _Fail(Outcome.EXPIRED, f"verify {step}", str(exc)) from None
        except DescriptorError as exc:
            raise _Fail(Outcome.BOGUS, f"verify {step}", str(exc)) from None
        if record.child != child:
            raise _Fail(Outcome.BOGUS, f"verify {step}", f"it delegates {record.child}")
        payload = encode_payload(record)
        try:
            self.versions.check(record.child, record.version, payload)
        except RollbackError as exc:
            raise _Fail(Outcome.ROLLBACK, f"verify {step}", str(exc)) from None
        self.versions.accept(record.child, record.version, payload)
        if self.trace is not None:
            kids = ", ".join(k.kid.hex()[:16] for k in record.keys)
            self._note(zone.zone, "", step, f"verified (v{record.version}); child keys {kids}")
        return record

    def _servers(
        self, referral: Response, cut: str
    ) -> Generator[Action, _Reply, tuple[Server, ...]]:
        """The cut's server set: the glue, else the addresses of the first name servers
        that a lookup finds (§12.5.2). A lookup that does not end in time is a fault
        TIMEOUT of that server, as an unreachable server's would be."""
        port = self.anchor.port
        found = [(a, port) for name in referral.ns_names for a in referral.glue.get(name, [])]
        if found:
            return tuple(dict.fromkeys(found))
        failures: list[tuple[Outcome, str]] = []
        for host in referral.ns_names[: self.limits.max_lookups]:
            self._budget(host, 1)
            self.queries += 1
            name = host.to_text(omit_final_dot=True)
            reply = yield Lookup(name)
            if reply.kind != "addresses":
                failures.append((Outcome.TIMEOUT, f"no address for {name} in time"))
            elif not reply.addresses:
                failures.append((Outcome.LAME_DELEGATION, f"no server address: {name} has none"))
            else:
                self._note(cut, "", f"look up {name}", ", ".join(reply.addresses))
                return tuple(dict.fromkeys((a, port) for a in reply.addresses))
            self._note(cut, "", f"look up {name}", failures[-1][1])
        code, detail = min(failures, key=lambda f: _SEVERITY.index(f[0]))
        raise _Fail(code, f"follow referral to {cut}", detail)

    def _ask(
        self,
        zone: ZoneEntry,
        qname: dns.name.Name,
        qtype: int,
    ) -> Generator[Action, _Reply, Response]:
        """Ask ``zone``'s servers until one gives a usable response (§12.3)."""
        forwarding = self.forwarder is not None
        servers = [self.forwarder] if self.forwarder is not None else list(zone.servers)
        if not servers:
            raise _Fail(
                Outcome.SERVFAIL, f"query {self._question(qname, qtype)}", "no server address"
            )
        self.rng.shuffle(servers)
        origin = None if forwarding else _zone_name(zone.zone)
        failures: list[tuple[Outcome, str]] = []
        # Text for the trace only when tracing: a cold resolution asks often.
        tracing = self.trace is not None
        question = self._question(qname, qtype) if tracing else ""
        for _ in range(self.limits.rounds):
            retry: list[Server] = []
            for server in servers:
                shown = f"{server[0]}#{server[1]}" if tracing else ""
                tcp = False
                while True:
                    self._budget(qname, qtype)
                    qid = self.rng.getrandbits(16)
                    wire = query_wire(qname, qtype, qid, rd=forwarding)
                    reply = yield Query(server, qname, qtype, qid, wire, tcp)
                    self.queries += 1
                    outcome = self._response(reply, qid, qname, qtype, origin, tcp)
                    if isinstance(outcome, Response) and outcome.kind is Kind.TRUNCATED:
                        self._note(zone.zone, shown, question, "truncated; retrying over TCP")
                        tcp = True
                        continue
                    break
                if isinstance(outcome, Response):
                    if tracing:
                        shown += "/tcp" if tcp else ""
                        self._note(zone.zone, shown, question, _said(outcome))
                    return outcome
                self._note(zone.zone, shown, question, f"{outcome.outcome}: {outcome.detail}")
                failures.append((outcome.outcome, outcome.detail))
                if outcome.outcome is Outcome.TIMEOUT:
                    retry.append(server)
            servers = retry
            if not servers:
                break
        code, detail = min(failures, key=lambda f: _SEVERITY.index(f[0]))
        question = self._question(qname, qtype)
        raise _Fail(code, f"query {question} at the servers of {zone.zone}", detail)

    def _response(
        self,
        reply: _Reply,
        qid: int,
        qname: dns.name.Name,
        qtype: int,
        origin: dns.name.Name | None,
        tcp: bool,
    ) -> Response | Fault:
        if reply.kind == "timeout":
            return Fault(Outcome.TIMEOUT, "no response in time")
        if reply.kind != "wire":
            return Fault(Outcome.TIMEOUT, f"unreachable: {reply.detail}")
        limit = self.limits.max_response if tcp else min(self.limits.max_response, 1232)
        try:
            found = classify(reply.wire, qid, qname, qtype, origin, tcp=tcp, max_size=limit)
        except (dns.exception.DNSException, ValueError) as exc:
            # A hostile response can carry names that cannot be handled (too long).
            return Fault(Outcome.LAME_DELEGATION, f"unusable response: {exc}")
        if isinstance(found, Fault) or found.negative_zone is None:
            return found
        holds = qname.is_subdomain(found.negative_zone)
        if origin is None:
            # A forwarder needs no SOA (§12.4.1); one that cannot hold the name, or is
            # above the root, gives no negative TTL: the answer is used, not cached.
            if holds and found.negative_zone.is_subdomain(self.root):
                return found
            return replace(found, ttl=0, negative_zone=None)
        if not holds:
            return Fault(Outcome.LAME_DELEGATION, f"negative answer from {found.negative_zone}")
        return found

    def _budget(self, qname: dns.name.Name, qtype: int) -> None:
        if self.queries >= self.limits.max_queries:
            question = self._question(qname, qtype)
            raise _Fail(Outcome.LIMIT_EXCEEDED, f"query {question}", f"{self.queries} queries sent")
        if self.clock >= self.deadline:
            raise _Fail(
                Outcome.TIMEOUT, f"query {self._question(qname, qtype)}", "the deadline passed"
            )

    # ------------------------------------------------------------ the end

    def _conclude(self, zone: ZoneEntry, response: Response) -> Resolved | Children:
        if response.kind is Kind.NXDOMAIN or response.kind is Kind.NODATA:
            code = (
                Outcome.NOT_FOUND if response.kind is Kind.NXDOMAIN else Outcome.NO_LIVE_ENDPOINTS
            )
            ttl = min(response.ttl, self.limits.max_negative_ttl)
            if self.use_cache and ttl > 0:
                where = _text(response.negative_zone) if response.negative_zone else zone.zone
                entry = NegativeEntry(code, where, min(zone.expires, self.now + ttl))
                self.cache.put_negative((self.key, self.qtype), entry)
            what = "name does not exist" if code is Outcome.NOT_FOUND else "no descriptor there"
            # A server holding several zones answers from the deepest; its SOA says which.
            where = _text(response.negative_zone) if response.negative_zone else zone.zone
            raise _Fail(code, f"query {self._question()} at {where}", what)
        assert response.answer is not None
        if self.qtype == _PTR:
            return self._children(response)
        return self._descriptor(zone, response)

    def _children(self, response: Response) -> Children:
        assert response.answer is not None
        node = self.qname.parent()
        names = [rd.target for rd in response.answer]
        # Spec §4.1: every target is at or below the listing node; anything else is ignored.
        kept = tuple(dict.fromkeys(n for n in names if n.is_subdomain(node)))
        return Children(node, kept)

    def _descriptor(self, zone: ZoneEntry, response: Response) -> Resolved:
        assert response.answer is not None and self.identifier is not None
        step = f"verify descriptor of {self.label} from {zone.zone}"
        if len(response.answer) != 1:
            raise _Fail(Outcome.BOGUS, step, "more than one descriptor at the name")
        data = response.answer[0].data
        try:
            desc = verify(data, zone.keys, now=self.now, issuer=zone.zone)
        except ValidityError as exc:
            raise _Fail(Outcome.EXPIRED, step, str(exc)) from None
        except DescriptorError as exc:
            raise _Fail(Outcome.BOGUS, step, str(exc)) from None
        if desc.subject != str(self.identifier):
            raise _Fail(Outcome.BOGUS, step, f"it describes {desc.subject}")
        payload = encode_payload(desc)
        try:
            self.versions.check(desc.subject, desc.version, payload)
        except RollbackError as exc:
            raise _Fail(Outcome.ROLLBACK, step, str(exc)) from None
        self.versions.accept(desc.subject, desc.version, payload)
        if self.trace is not None:  # the time's text only when tracing
            until = iso_time(desc.expires)
            self._note(zone.zone, "", step, f"verified (v{desc.version}, expires {until})")
        ttl = max(0, min(response.answer.ttl, desc.expires - self.now, self.limits.live_ttl))
        fresh = min(self.now + ttl, zone.expires)
        resolved = Resolved(
            identifier=self.identifier,
            name=self.qname.to_text(),
            descriptor=desc,
            zone=zone.zone,
            chain=zone.chain,
            fresh_until=fresh,
            stale_until=min(fresh + self.limits.stale_window, desc.expires, zone.expires),
            keys=zone.keys,
        )
        if self.use_cache:
            self.cache.put_answer((self.key, self.qtype), _replace_from_cache(resolved), len(data))
        return resolved

    def _stale(self, code: Outcome) -> Resolved | None:
        """RFC 8767: when the servers fail, a cached answer may serve within its window."""
        if code not in _STALE_SERVES or not self.use_cache:
            return None
        cached = self.cache.answer((self.key, self.qtype))
        if isinstance(cached, Resolved) and self.now < cached.stale_until:
            self._note("cache", "", self._question(), f"{code}; serving stale answer")
            return _replace_from_cache(cached, stale=True)
        return None

    # ------------------------------------------------------------ status

    def _run_status(self) -> Generator[Action, _Reply, StatusCheck]:
        """spec/status.md §7-§8: never cached (soft state, no stale status: §8.3), and
        every fault ends in a :class:`StatusCheck` that says why there is no status."""
        about = self.about
        assert about is not None
        try:
            if self.forwarder is not None:
                response = yield from self._ask(self._anchor_entry(), self.qname, TYPE_STATUS)
            else:
                _, response = yield from self._descend(self.qname, TYPE_STATUS)
        except _Fail as fail:
            self._note("status", "", self._question(), f"{fail.outcome}: {fail.detail}")
            return StatusCheck(about, None, "UNAVAILABLE", f"{fail.outcome.code}: {fail.detail}")
        if response.kind is not Kind.ANSWER or response.answer is None:
            return StatusCheck(about, None, "MISSING", "no status published")
        if len(response.answer) != 1:
            return StatusCheck(about, None, "ENCODING", "more than one status at the name")
        try:
            status = verify_status(
                response.answer[0].data,
                about.keys,
                now=self.now,
                descriptor=about.descriptor,
                seen=self.statuses.seen,
            )
        except DescriptorError as exc:
            code = rejection_code(exc)
            self._note(about.zone, "", f"verify status of {self.label}", f"{code}: {exc}")
            return StatusCheck(about, None, code, str(exc))
        self.statuses.accept(status)
        step = f"verify status of {self.label}"
        self._note(about.zone, "", step, f"verified (v{status.version})")
        return StatusCheck(about, status, None, "verified")

    # ------------------------------------------------------------ forwarding

    def _run_forwarding(self) -> Generator[Action, _Reply, Resolved | Children]:
        """Every query goes to the forwarder; the chain is rebuilt from the issuer up
        (§12.7) and verified from the anchor down, so the forwarder cannot forge."""
        root = self._anchor_entry()
        try:
            response = yield from self._ask(root, self.qname, self.qtype)
        except _Fail as fail:
            if self.qtype != TYPE_DESCRIPTOR or fail.outcome not in _TXT_FALLBACK:
                raise
            response = yield from self._txt_copy(root, fail)
        if response.kind is not Kind.ANSWER or self.qtype == _PTR:
            return self._conclude(root, response)
        zone = yield from self._chain_to(root, self._issuer_below(response, root))
        yield from self._no_cut_below(zone)
        return self._conclude(zone, response)

    def _txt_copy(self, root: ZoneEntry, fail: _Fail) -> Generator[Action, _Reply, Response]:
        """The forwarder failed on TYPE65280: ask for the descriptor's TXT copy (§12.7.1),
        to be verified exactly as a TYPE65280 record. NXDOMAIN stands (it denies every
        type); anything else without a copy leaves ``fail`` as the outcome, since no
        copy is not no descriptor (one over 696 octets has none)."""
        try:
            response = yield from self._ask(root, self.qname, _TXT)
        except _Fail:
            raise fail from None
        if response.kind is Kind.NXDOMAIN:
            return response
        if response.kind is not Kind.ANSWER or response.answer is None:
            raise fail
        try:
            data = txt_copy(response.answer)
        except ValueError as exc:
            raise _Fail(Outcome.BOGUS, f"read the TXT copy of {self.label}", str(exc)) from None
        if data is None:
            raise fail
        self._note(root.zone, "", self._question(), f"{fail.outcome}; TXT copy used")
        rdata = dns.rdata.GenericRdata(dns.rdataclass.IN, TYPE_DESCRIPTOR, data)
        return Response(
            Kind.ANSWER, answer=dns.rrset.from_rdata(self.qname, response.answer.ttl, rdata)
        )

    def _issuer_below(self, response: Response, zone: ZoneEntry) -> str:
        """The descriptor's issuer, which must be at or below ``zone`` and above the name."""
        issuer = _issuer(response, self.label)
        name = _zone_name(issuer)
        if not self.qname.is_subdomain(name) or not name.is_subdomain(_zone_name(zone.zone)):
            raise _Fail(
                Outcome.BOGUS, f"verify descriptor of {self.label}", f"issuer {issuer} is outside"
            )
        return issuer

    def _chain_to(self, zone: ZoneEntry, target: str) -> Generator[Action, _Reply, ZoneEntry]:
        """Verify the zones from ``zone`` down to ``target`` (§12.6).

        A server that holds a zone and its descendants answers from the deepest
        one without a referral, and a forwarder never refers: then the cuts are
        found by asking each zone for the delegation records of the names on the
        way down (``<name>.__deleg.<zone>``, always data of ``zone``), shallowest
        first. Each probe is itself resolved by referrals, so it reaches the
        zone's servers wherever they are.
        """
        goal = _zone_name(target)
        if not self.qname.is_subdomain(goal) or not goal.is_subdomain(_zone_name(zone.zone)):
            raise _Fail(Outcome.BOGUS, f"verify the chain to {target}", f"{target} is outside")
        while zone.zone != target:
            current = _zone_name(zone.zone)
            between = goal.relativize(current).labels
            for i in range(len(between) - 1, -1, -1):
                candidate = dns.name.Name(between[i:]).concatenate(current)
                found = yield from self._probe(zone, candidate)
                if found is not None:
                    zone = found
                    break
            else:
                step = f"find the zones from {zone.zone} to {target}"
                raise _Fail(Outcome.BOGUS, step, "no delegation record")
        return zone

    def _no_cut_below(self, zone: ZoneEntry) -> Generator[Action, _Reply, None]:
        """A zone signs only names above its cuts (§2.2). With no referral to show the
        cuts, probe the nodes between the issuer and the name: provider names,
        the region node and the architecture node (zone apexes are never deeper)."""
        issuer = _zone_name(zone.zone)
        labels = self.qname.relativize(self.root).labels
        # The architecture node is at the second '_' label from the right (spec §2.1).
        marked = [i for i, label in enumerate(labels) if label.startswith(b"_")]
        node = dns.name.Name(labels[marked[-2] :]).concatenate(self.root)
        candidates = []
        while len(node) > len(issuer):
            candidates.append(node)
            node = node.parent()
        for candidate in reversed(candidates):
            found = yield from self._probe(zone, candidate)
            if found is not None:
                step = f"verify descriptor of {self.label}"
                raise _Fail(
                    Outcome.BOGUS, step, f"signed by {zone.zone} below its cut {found.zone}"
                )

    def _probe(
        self, zone: ZoneEntry, candidate: dns.name.Name
    ) -> Generator[Action, _Reply, ZoneEntry | None]:
        text = _text(candidate)
        cached = self.cache.zone(text) if self.use_cache else None
        if cached is not None and cached.expires > self.now:
            return cached
        owner = delegation_owner(candidate, _zone_name(zone.zone))
        key = (owner.to_text().lower(), TYPE_DELEGATION)
        negative = self.cache.negative_answer(key) if self.use_cache else None
        if negative is not None and negative.expires > self.now:
            return None
        if self.forwarder is not None:
            response = yield from self._ask(zone, owner, TYPE_DELEGATION)
        else:
            _, response = yield from self._descend(owner, TYPE_DELEGATION)
        if response.kind is not Kind.ANSWER or response.answer is None:
            ttl = min(response.ttl, self.limits.max_negative_ttl)
            if self.use_cache and ttl > 0:
                outcome = (
                    Outcome.NOT_FOUND
                    if response.kind is Kind.NXDOMAIN
                    else Outcome.NO_LIVE_ENDPOINTS
                )
                expires = min(zone.expires, self.now + ttl)
                self.cache.put_negative(key, NegativeEntry(outcome, zone.zone, expires))
            return None
        step = f"delegation record of {text} at {zone.zone}"
        data, ttl = self._single(response, step)
        record = self._verify_delegation(data, zone, text, step)
        # No servers: not learnt from a referral, so this zone starts no descent.
        return self._zone_entry(zone, record, ttl, ())


def _said(response: Response) -> str:
    if response.kind is Kind.REFERRAL:
        extra = " with delegation record" if response.delegation else ""
        return f"referral to {response.cut}{extra}"
    if response.kind is Kind.ANSWER and response.answer is not None:
        return f"answer, {len(response.answer)} record(s), TTL {response.answer.ttl}"
    return f"{response.kind.value} (negative TTL {response.ttl})"


def _issuer(response: Response, label: str) -> str:
    """The zone a descriptor says signed it: only a hint of where to look, checked
    when the signature is verified with that zone's keys."""
    assert response.answer is not None
    step = f"verify descriptor of {label}"
    if len(response.answer) != 1:
        raise _Fail(Outcome.BOGUS, step, "more than one descriptor at the name")
    try:
        _, record = decode_unverified(response.answer[0].data)
    except CidError as exc:
        raise _Fail(Outcome.BOGUS, step, str(exc)) from None
    if not isinstance(record, Descriptor):
        raise _Fail(Outcome.BOGUS, step, "not a descriptor")
    return record.issuer


def identifier_or_fail(identifier: Identifier | str) -> Identifier:
    """The identifier, or :class:`ResolutionError` with INVALID_IDENTIFIER."""
    if isinstance(identifier, Identifier):
        return identifier
    try:
        return parse(identifier)
    except CidError as exc:
        raise ResolutionError(
            Outcome.INVALID_IDENTIFIER, str(identifier), "parse the identifier", str(exc)
        ) from None


def _replace_from_cache(cached: Resolved, *, stale: bool = False) -> Resolved:
    return replace(cached, stale=stale, from_cache=True)
