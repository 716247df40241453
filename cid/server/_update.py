"""Live registrations (spec/resolution.md §8.8): the sans-IO core of ``cid serve``'s DNS UPDATE.

A provider's agent adds, renews and removes an identifier's endpoints at a
running server with an RFC 2136 UPDATE, authenticated either by a descriptor
that it signed with a key the zone trusts, or by TSIG (RFC 8945), in which
case the server signs the descriptor itself. A registration's lease is its
descriptor's ``exp``.

:func:`handle` takes the message, the zones' state, the TSIG keys and ``now``
and returns a :class:`Decision`: the new state of at most one name, which the
driver makes durable before it sends :meth:`Decision.response`. No sockets,
files or clocks here.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Protocol, cast

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.rdtypes.svcbbase
import dns.rrset
import dns.tsig
import dns.update

from .._cose import HEADER_KID
from .._descriptor import (
    DEFAULT_SKEW,
    MAX_ENDPOINTS,
    Descriptor,
    Endpoint,
)
from .._errors import CidError, SignatureError, UnknownKeyError
from .._identifier import Identifier, parse
from .._keys import SigningKey, VerifyKey
from .._signed import decode_unverified, sign, verify
from .._status import MAX_STATUS, Described, Status, verify_status
from .._svcb import UPDATE_LEASE, SvcbError, endpoint_from_svcb, lease_option
from .._time import iso_time
from ..layout import TYPE_DESCRIPTOR, TYPE_STATUS, UDP_PAYLOAD
from ..registry import Entry, LivePolicy, Registration, Withdrawal
from ._authority import formerr
from ._update_fast import StatusUpdate, read_status

__all__ = [
    "MAX_FUDGE",
    "WITHDRAWAL_KEPT",
    "Decision",
    "LiveZone",
    "Served",
    "StatusBook",
    "handle",
    "handle_strict",
    "is_update",
]

#: The largest TSIG time window accepted, whatever fudge a request names (RFC 8945 §10).
MAX_FUDGE: Final = 300
#: A signed registration must be issued within this many seconds of ``now``, so that a
#: descriptor copied from DNS cannot be registered again once it is older than this.
FRESH: Final = DEFAULT_SKEW
#: How long a withdrawal is remembered: every descriptor published before it is then
#: too old (FRESH) to register again, whatever the signer's clock said (its iat).
WITHDRAWAL_KEPT: Final = 2 * DEFAULT_SKEW
_IN: Final = dns.rdataclass.IN
_DELETABLE: Final = frozenset(
    {dns.rdatatype.ANY, TYPE_DESCRIPTOR, dns.rdatatype.SVCB, dns.rdatatype.TXT, TYPE_STATUS}
)
_QR: Final = 0x80
_OPCODE_UPDATE: Final = 5


def is_update(wire: bytes) -> bool:
    """True for a request (QR clear) whose opcode is UPDATE: the ones :func:`handle` takes."""
    return len(wire) >= 12 and not wire[2] & _QR and (wire[2] >> 3) & 0xF == _OPCODE_UPDATE


# --------------------------------------------------------------------- state


@dataclass(frozen=True, slots=True, eq=False)
class LiveZone:
    """One zone open to live registration, as the core sees it at one moment."""

    name: dns.name.Name
    root: dns.name.Name
    policy: LivePolicy
    keys: tuple[VerifyKey, ...]  # the zone's active keys: a descriptor by any of them registers
    signer: SigningKey | None = None  # signs TSIG registrations; None: signed ones only
    cuts: frozenset[dns.name.Name] = frozenset()  # child zone apexes
    # Names published from descriptors/ (a set, or a compiled image's flags).
    static: Container[dns.name.Name] = frozenset()
    entries: Mapping[dns.name.Name, Entry] = field(default_factory=dict)

    def with_entry(self, name: dns.name.Name, entry: Entry | None) -> LiveZone:
        """This zone with ``name`` now in state ``entry`` (None: forgotten)."""
        entries = dict(self.entries)
        if entry is None:
            entries.pop(name, None)
        else:
            entries[name] = entry
        return replace(self, entries=entries)


@dataclass(frozen=True, slots=True)
class Served:
    """The descriptor a server publishes at a name: its RDATA, and what it says."""

    data: bytes
    record: Described


class StatusBook(Protocol):
    """What the rules of statuses (spec/status.md §8.5) need of the server's state."""

    def served(self, origin: dns.name.Name, name: dns.name.Name) -> Served | None:
        """The descriptor served at ``name`` in zone ``origin`` now, if any."""
        ...

    def last(self, subject: str) -> Status | None:
        """The status accepted last for ``subject`` and still remembered (replay)."""
        ...


@dataclass(frozen=True, slots=True)
class Published:
    """A status to serve at a name: the signed record, what it says, and the RDATA of the
    descriptor it was verified against (it is served only beside that one)."""

    data: bytes
    status: Status
    descriptor: bytes


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class _Tsig:
    key: dns.tsig.Key
    request_mac: bytes
    original_id: int
    # BADKEY and BADSIG are answered unsigned; BADTIME signed, with our time (RFC 8945 §5.3.2)
    error: dns.rcode.Rcode = dns.rcode.NOERROR


@dataclass(frozen=True, slots=True)
class _Reply:
    """What a response needs from its request."""

    id: int
    edns: bool
    zone: dns.name.Name | None = None
    tsig: _Tsig | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one UPDATE.

    ``entry`` is the new state of ``name`` in ``zone``; when it is not None the
    driver MUST make it durable before sending :meth:`response`, and answer
    SERVFAIL instead if it cannot. ``action`` is one of ``register``, ``renew``,
    ``unchanged``, ``remove``, ``absent`` (nothing to remove), ``status`` (a new
    status: ``status`` says what to serve, in memory only, spec/status.md §8.5),
    ``refuse``, ``drop`` (no response at all).
    """

    action: str
    rcode: dns.rcode.Rcode
    log: str
    zone: dns.name.Name | None = None
    name: dns.name.Name | None = None
    entry: Entry | None = None
    lease: int | None = None  # granted, in seconds, for the Update Lease option
    now: int = 0
    reply: _Reply | bytes | None = field(default=None, repr=False)
    #: Why it was refused: an Extended DNS Error (RFC 8914) in the response.
    why: dns.edns.EDEOption | None = None
    status: Published | None = None

    def response(self, rcode: dns.rcode.Rcode | None = None) -> bytes | None:
        """The response bytes, with ``rcode`` in place of the decided one if given."""
        if self.reply is None or isinstance(self.reply, bytes):
            return self.reply
        rcode = self.rcode if rcode is None else rcode
        lease = self.lease if rcode == dns.rcode.NOERROR else None
        why = self.why if rcode == self.rcode else None
        return _render(self.reply, rcode, lease, self.now, why)


#: The longest EXTRA-TEXT sent, in octets: the reason fits any response (1232 octets).
MAX_EXTRA_TEXT: Final = 300


class _Refuse(Exception):
    """Ends a decision: answer ``rcode``; ``reason`` goes to the log and, as the
    EXTRA-TEXT of an Extended DNS Error (RFC 8914) of INFO-CODE ``code``, to the agent."""

    def __init__(
        self, rcode: dns.rcode.Rcode, reason: str, code: dns.edns.EDECode | None = None
    ) -> None:
        super().__init__(reason)
        self.rcode = rcode
        self.reason = reason
        if code is None:  # Prohibited for a policy's REFUSED; Other for the rest
            refused = rcode == dns.rcode.REFUSED
            code = dns.edns.EDECode.PROHIBITED if refused else dns.edns.EDECode.OTHER
        self.code = code

    def why(self) -> dns.edns.EDEOption:
        text = self.reason.encode("utf-8")[:MAX_EXTRA_TEXT].decode("utf-8", "ignore")
        return dns.edns.EDEOption(self.code, text)


def handle(
    wire: bytes,
    zones: Mapping[dns.name.Name, LiveZone | None],
    keyring: Mapping[dns.name.Name, dns.tsig.Key],
    *,
    now: int,
    statuses: StatusBook | None = None,
) -> Decision:
    """Decide what one UPDATE message does at time ``now``. Never raises.

    ``zones`` maps every served zone's name to its live state, or to None when
    the zone takes no live registrations; ``keyring`` holds every TSIG key of
    those zones; ``statuses`` the descriptors served and the statuses accepted,
    without which statuses are refused.

    A status in the shape :func:`cid.register_status` sends is read by hand
    (``_update_fast``); every other message, and any status this reader is not
    sure of, by dnspython (:func:`handle_strict`), to the same decision.
    """
    if statuses is not None:
        update = read_status(wire)
        if update is not None:
            decided = _fast_status(update, zones, now, statuses)
            if decided is not None:
                return decided
    return handle_strict(wire, zones, keyring, now=now, statuses=statuses)


def _fast_status(
    update: StatusUpdate,
    zones: Mapping[dns.name.Name, LiveZone | None],
    now: int,
    statuses: StatusBook,
) -> Decision | None:
    """:func:`_decide` for a status read by :func:`read_status`, or None when any check
    before the status's own would refuse it (the strict path then says why)."""
    origin, name = update.zone, update.name
    zone = zones.get(origin)
    if zone is None or not name.under(origin):
        return None
    for cut in zone.cuts:
        if name.under(cut):
            return None
    reply = _Reply(update.id, update.edns, origin)
    decided = Decision("refuse", dns.rcode.REFUSED, "", origin, name, now=now, reply=reply)
    try:
        return _status(decided, zone, name, update.data, statuses, now)
    except _Refuse as refusal:
        return _refused(refusal, reply, now)


def handle_strict(
    wire: bytes,
    zones: Mapping[dns.name.Name, LiveZone | None],
    keyring: Mapping[dns.name.Name, dns.tsig.Key],
    *,
    now: int,
    statuses: StatusBook | None = None,
) -> Decision:
    """:func:`handle` with every message read by dnspython: the reference of the fast
    reader."""
    if len(wire) < 12 or wire[2] & _QR:
        return Decision("drop", dns.rcode.NOERROR, "not a request", now=now)
    try:
        msg = dns.message.from_wire(wire, keyring=False)  # TSIG checked below, at now
    except dns.message.ShortHeader:
        return Decision("drop", dns.rcode.NOERROR, "short message", now=now)
    except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
        return Decision(
            "refuse", dns.rcode.FORMERR, f"malformed: {exc}", now=now, reply=formerr(wire)
        )
    reply = _Reply(msg.id, msg.edns >= 0)
    try:
        if not isinstance(msg, dns.update.UpdateMessage):
            raise _Refuse(dns.rcode.NOTIMP, f"opcode {dns.opcode.to_text(msg.opcode())}")
        if msg.zone:
            reply = replace(reply, zone=msg.zone[0].name)
        if msg.tsig is not None:
            # Once a TSIG is seen, every answer carries one (RFC 8945 §5.3).
            reply = replace(reply, tsig=_check_tsig(wire, msg, keyring, now))
        if msg.edns > 0:
            raise _Refuse(dns.rcode.BADVERS, f"EDNS version {msg.edns}")
        if len(msg.zone) != 1:
            raise _Refuse(dns.rcode.FORMERR, "the zone section holds one SOA question")
        return _decide(msg, zones, reply, now, statuses)
    except _Refuse as refusal:
        if isinstance(refusal, _RefuseTsig):
            reply = replace(reply, tsig=refusal.tsig)
        return _refused(refusal, reply, now)


def _refused(refusal: _Refuse, reply: _Reply, now: int) -> Decision:
    zone = reply.zone.to_text() if reply.zone is not None else "-"
    return Decision(
        "refuse",
        refusal.rcode,
        f"zone {zone}: {dns.rcode.to_text(refusal.rcode)}: {refusal.reason}",
        zone=reply.zone,
        now=now,
        reply=reply,
        why=refusal.why(),
    )


def _check_tsig(
    wire: bytes, msg: dns.message.Message, keyring: Mapping[dns.name.Name, dns.tsig.Key], now: int
) -> _Tsig:
    assert msg.tsig is not None
    owner = msg.tsig.name
    rdata = cast(dns.rdtypes.ANY.TSIG.TSIG, msg.tsig[0])
    key = keyring.get(owner)
    if key is None or key.algorithm != rdata.algorithm:
        unknown = dns.tsig.Key(owner, b"", rdata.algorithm)
        refused = _Tsig(unknown, b"", rdata.original_id, dns.rcode.BADKEY)
        raise _RefuseTsig(refused, f"TSIG key {owner} ({rdata.algorithm}) unknown")
    checked = _Tsig(key, rdata.mac, rdata.original_id)
    try:
        dns.tsig.validate(  # type: ignore[no-untyped-call]  # untyped in dnspython
            wire, key, owner, rdata, now, b"", _last_record(wire)
        )
    except dns.tsig.BadSignature:
        raise _RefuseTsig(
            replace(checked, request_mac=b"", error=dns.rcode.BADSIG), f"TSIG {owner}: bad MAC"
        ) from None
    except dns.tsig.BadTime:
        pass  # judged below, with our own bound on the fudge
    except (dns.exception.DNSException, ValueError) as exc:
        raise _Refuse(dns.rcode.FORMERR, f"TSIG {owner}: {exc}") from None
    if abs(rdata.time_signed - now) > min(rdata.fudge, MAX_FUDGE):
        raise _RefuseTsig(
            replace(checked, error=dns.rcode.BADTIME),
            f"TSIG {owner}: signed at {iso_time(rdata.time_signed)}, now is {iso_time(now)}",
        )
    return checked


class _RefuseTsig(_Refuse):
    """A TSIG that fails: NOTAUTH, with the TSIG error in the answer's TSIG (RFC 8945 §5.2)."""

    def __init__(self, tsig: _Tsig, reason: str) -> None:
        super().__init__(dns.rcode.NOTAUTH, reason)
        self.tsig = tsig


def _decide(
    msg: dns.update.UpdateMessage,
    zones: Mapping[dns.name.Name, LiveZone | None],
    reply: _Reply,
    now: int,
    statuses: StatusBook | None = None,
) -> Decision:
    zone_rr = msg.zone[0]
    origin = zone_rr.name
    if zone_rr.rdclass != _IN or origin not in zones:
        raise _Refuse(
            dns.rcode.NOTAUTH, "not a zone served here", dns.edns.EDECode.NOT_AUTHORITATIVE
        )
    zone = zones[origin]
    if zone is None:
        raise _Refuse(dns.rcode.REFUSED, "the zone takes no live registrations")
    tsig_name = reply.tsig.key.name if reply.tsig is not None else None
    if tsig_name is not None and tsig_name not in _tsig_names(zone):
        raise _Refuse(dns.rcode.REFUSED, f"TSIG key {tsig_name} may not update this zone")
    if msg.prerequisite:
        raise _Refuse(dns.rcode.REFUSED, "prerequisites are not supported")
    if not msg.update:
        raise _Refuse(dns.rcode.FORMERR, "an empty update")
    for rrset in msg.update:  # RFC 2136 §3.4.1: every name inside the zone
        if not rrset.name.is_subdomain(origin):
            raise _Refuse(dns.rcode.NOTZONE, f"{rrset.name} is outside the zone")
    name = msg.update[0].name
    if any(rrset.name != name for rrset in msg.update):
        raise _Refuse(dns.rcode.REFUSED, "an update names exactly one identifier")
    if any(name.is_subdomain(cut) for cut in zone.cuts):
        raise _Refuse(dns.rcode.NOTZONE, f"{name} is in a child zone")
    decided = Decision("refuse", dns.rcode.REFUSED, "", origin, name, now=now, reply=reply)
    if any(rrset.rdtype == TYPE_STATUS for rrset in msg.update):
        # A status (spec/status.md §8.5), at any name that publishes a descriptor: so at
        # an identifier's name, which needs no other check.
        return _status(decided, zone, name, _status_data(msg), statuses, now)
    ident = _identifier(name, zone)
    if name in zone.static:
        raise _Refuse(dns.rcode.REFUSED, f"{name} is published from the registry's files")
    adds, withdraw, deletes = _classify(msg)
    lease_asked = _lease_asked(msg)
    if adds.descriptor is not None:
        if adds.svcb:
            raise _Refuse(dns.rcode.REFUSED, "send a signed descriptor or SVCB records, not both")
        return _register_signed(decided, zone, name, adds.descriptor, now)
    if adds.svcb:
        if tsig_name is None:
            raise _Refuse(
                dns.rcode.REFUSED,
                "SVCB records need TSIG; or send a descriptor signed by a key the zone trusts",
            )
        return _register_tsig(decided, zone, name, ident, adds.svcb, lease_asked, tsig_name, now)
    if withdraw is not None:
        return _withdraw_signed(decided, zone, name, withdraw, now)
    assert deletes
    if tsig_name is None:
        raise _Refuse(dns.rcode.REFUSED, "removing needs TSIG, or a signed withdrawal")
    return _remove(decided, zone, name, f"tsig {tsig_name}", now)


def _status_data(msg: dns.update.UpdateMessage) -> bytes:
    """The one status a message adds; beside it, only a deletion of the name's status."""
    found: list[bytes] = []
    for rrset in msg.update:
        if rrset.rdtype == TYPE_STATUS and rrset.deleting == dns.rdataclass.ANY:
            continue  # "delete the status RRset" first, as RFC 2136 clients replace
        if rrset.rdtype != TYPE_STATUS or rrset.deleting is not None or rrset.rdclass != _IN:
            raise _Refuse(
                dns.rcode.REFUSED, "a status is sent alone: one TYPE65282 record, class IN"
            )
        found.extend(_generic_data(rdata) for rdata in rrset)
    if not found:
        raise _Refuse(dns.rcode.REFUSED, "a status is replaced, not deleted: it lapses at its exp")
    if len(found) > 1:
        raise _Refuse(dns.rcode.REFUSED, "one status per identifier")
    return found[0]


def _status(
    decided: Decision,
    zone: LiveZone,
    name: dns.name.Name,
    data: bytes,
    book: StatusBook | None,
    now: int,
) -> Decision:
    """spec/status.md §8.5: verify a status against the zone's keys, the descriptor served
    at ``name`` and the last status accepted for its subject."""
    if book is None:
        raise _Refuse(dns.rcode.REFUSED, "this server takes no statuses")
    if len(data) > MAX_STATUS:  # before anything else is read (spec/status.md §4.2)
        raise _Refuse(
            dns.rcode.REFUSED, f"status OVERSIZE: {len(data)} octets, more than {MAX_STATUS}"
        )
    served = book.served(decided.zone if decided.zone is not None else zone.name, name)
    if served is None:
        raise _Refuse(dns.rcode.REFUSED, f"no descriptor is published at {name}")
    subject = served.record.subject
    last = book.last(subject)
    try:
        status = verify_status(
            data,
            zone.keys,
            now=now,
            descriptor=served.record,
            seen={subject: last} if last is not None else None,
        )
    except CidError as exc:
        rcode = (
            dns.rcode.NOTAUTH
            if isinstance(exc, (UnknownKeyError, SignatureError))
            else dns.rcode.REFUSED
        )
        raise _Refuse(rcode, f"status {_category(exc)}: {exc}") from None
    # Verified, so in the one deterministic shape: d2 84 58 <length>, then the protected
    # header, exactly a3 01 <alg> 04 58 20 <kid> ... (§4.1): the kid is at 10..42.
    by = f"key {data[10:42].hex()}"
    what = f"{name}: status version {status.version} by {by}, until {_until(status.expires)}"
    if last is not None and last.version == status.version:
        return _done(decided, "unchanged", f"{what}: unchanged")
    published = Published(data, status, served.data)
    return _done(decided, "status", what, status=published)


#: The log's time of a status's exp: statuses of one second share it.
_until: Final = functools.lru_cache(maxsize=64)(iso_time)


#: spec/status.md §7.5: the code of each category, by the error the verifier raises.
_CATEGORIES: Final = (
    ("OversizeError", "OVERSIZE"),
    ("UnknownKeyError", "UNKNOWN_KEY"),
    ("SignatureError", "SIGNATURE"),
    ("StatusMismatchError", "MISMATCH"),
    ("CriticalExtensionError", "CRITICAL_EXTENSION"),
    ("NotYetValidError", "NOT_YET_VALID"),
    ("ExpiredError", "EXPIRED"),
    ("RollbackError", "ROLLBACK"),
    ("EncodingError", "ENCODING"),
)


def _category(exc: CidError) -> str:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return next((code for name, code in _CATEGORIES if name in names), "ENCODING")


def _tsig_names(zone: LiveZone) -> set[dns.name.Name]:
    return {dns.name.from_text(n) for n in zone.policy.tsig_keys}


def _identifier(name: dns.name.Name, zone: LiveZone) -> Identifier:
    try:
        ident = Identifier.from_dns_name(name.to_text(), zone.root.to_text())
        canonical = dns.name.from_text(ident.to_dns_name(zone.root.to_text()))
    except (CidError, dns.exception.DNSException) as exc:
        reason = str(exc).splitlines()[0]
        raise _Refuse(dns.rcode.REFUSED, f"{name} is not an identifier's name: {reason}") from None
    if canonical != name:
        raise _Refuse(dns.rcode.REFUSED, f"{name} is not canonical; {ident} is named {canonical}")
    return ident


@dataclass
class _Adds:
    descriptor: bytes | None = None
    svcb: list[dns.rdata.Rdata] = field(default_factory=list)


def _classify(msg: dns.update.UpdateMessage) -> tuple[_Adds, bytes | None, bool]:
    """The adds, a signed withdrawal (a TYPE65280 deleted by value) and whether whole
    RRsets are deleted. Deletions beside adds change nothing: a registration replaces."""
    adds = _Adds()
    withdraw: bytes | None = None
    deletes = False
    for rrset in msg.update:
        rdtype = rrset.rdtype
        if rrset.deleting == dns.rdataclass.ANY:
            if rdtype not in _DELETABLE:
                raise _Refuse(
                    dns.rcode.REFUSED,
                    f"{dns.rdatatype.to_text(rdtype)} is not part of a registration",
                )
            deletes = True
        elif rrset.deleting == dns.rdataclass.NONE:
            if rdtype != TYPE_DESCRIPTOR or len(rrset) != 1 or withdraw is not None:
                raise _Refuse(
                    dns.rcode.REFUSED, "only one signed TYPE65280 may be deleted by value"
                )
            withdraw = _generic_data(rrset[0])
        elif rrset.rdclass != _IN or dns.rdatatype.is_metatype(rdtype):
            raise _Refuse(dns.rcode.FORMERR, f"cannot add class {rrset.rdclass} type {rdtype}")
        elif rdtype == TYPE_DESCRIPTOR:
            if len(rrset) != 1:
                raise _Refuse(dns.rcode.REFUSED, "one descriptor per identifier")
            adds.descriptor = _generic_data(rrset[0])
        elif rdtype == dns.rdatatype.SVCB:
            adds.svcb.extend(rrset)
        else:
            raise _Refuse(
                dns.rcode.REFUSED, f"{dns.rdatatype.to_text(rdtype)} records are not registered"
            )
    if withdraw is not None and (adds.descriptor is not None or adds.svcb):
        raise _Refuse(dns.rcode.REFUSED, "a withdrawal cannot add records")
    return adds, withdraw, deletes


def _generic_data(rdata: dns.rdata.Rdata) -> bytes:
    return rdata.to_digestable()  # an unknown type's RDATA, as sent (RFC 3597)


def _lease_asked(msg: dns.message.Message) -> int | None:
    for option in msg.options:
        if option.otype == UPDATE_LEASE:
            data = option.to_wire()
            assert data is not None
            if len(data) not in (4, 8):
                raise _Refuse(dns.rcode.FORMERR, "an Update Lease option has 4 or 8 octets")
            return int.from_bytes(data[:4])
    return None


def _verified(zone: LiveZone, name: dns.name.Name, data: bytes, now: int) -> tuple[Descriptor, str]:
    """A descriptor for ``name`` signed by a key of the zone, fresh at ``now``."""
    try:
        record = verify(data, zone.keys, now=now, issuer=zone.name.to_text(omit_final_dot=True))
    except (UnknownKeyError, SignatureError) as exc:
        raise _Refuse(dns.rcode.NOTAUTH, f"{type(exc).__name__}: {exc}") from None
    except CidError as exc:
        raise _Refuse(dns.rcode.REFUSED, f"{type(exc).__name__}: {exc}") from None
    if dns.name.from_text(parse(record.subject).to_dns_name(zone.root.to_text())) != name:
        raise _Refuse(dns.rcode.REFUSED, f"the descriptor is for {record.subject}, not {name}")
    if abs(record.issued_at - now) > FRESH:
        raise _Refuse(
            dns.rcode.REFUSED,
            f"issued at {iso_time(record.issued_at)}, more than {FRESH} s from now "
            f"({iso_time(now)}): sign afresh",
        )
    kid = decode_unverified(data)[0].get(HEADER_KID)
    return record, f"key {kid.hex() if isinstance(kid, bytes) else '?'}"


def _check_version(prev: Entry | None, record: Descriptor, data: bytes) -> bool:
    """True when ``data`` is the registration already held; raise when it is older."""
    if isinstance(prev, Registration):
        if record.version == prev.version and data == prev.data:
            return True
        if record.version <= prev.version:
            raise _Refuse(
                dns.rcode.REFUSED,
                f"version {record.version} is not above the registered {prev.version}",
            )
    elif isinstance(prev, Withdrawal) and record.version <= prev.version:
        raise _Refuse(
            dns.rcode.REFUSED, f"version {record.version} is not above the withdrawn {prev.version}"
        )
    return False


def _room(zone: LiveZone, name: dns.name.Name) -> None:
    if isinstance(zone.entries.get(name), Registration):
        return
    held = sum(isinstance(e, Registration) for e in zone.entries.values())
    if held >= zone.policy.max_registrations:
        raise _Refuse(dns.rcode.REFUSED, f"the zone holds {held} registrations, its maximum")


def _register_signed(
    decided: Decision, zone: LiveZone, name: dns.name.Name, data: bytes, now: int
) -> Decision:
    record, by = _verified(zone, name, data, now)
    lease = record.expires - now
    if lease <= 0:
        raise _Refuse(dns.rcode.REFUSED, f"the descriptor expired at {iso_time(record.expires)}")
    if lease > zone.policy.max_lease:
        raise _Refuse(
            dns.rcode.REFUSED, f"a lease of {lease} s exceeds the zone's {zone.policy.max_lease} s"
        )
    prev = zone.entries.get(name)
    if _check_version(prev, record, data):
        until = iso_time(record.expires)
        log = f"{name}: unchanged ({by}, version {record.version}, until {until})"
        return _done(decided, "unchanged", log, lease=lease)
    _room(zone, name)
    entry = Registration(data, record, by)
    return _accepted(decided, name, entry, prev, lease)


def _accepted(
    decided: Decision, name: dns.name.Name, entry: Registration, prev: Entry | None, lease: int
) -> Decision:
    action = "renew" if isinstance(prev, Registration) else "register"
    log = (
        f"{name}: {action}ed by {entry.by}, version {entry.version}, lease {lease} s "
        f"(until {iso_time(entry.until)})"
    )
    return _done(decided, action, log, entry=entry, lease=lease)


def _done(
    decided: Decision,
    action: str,
    log: str,
    *,
    entry: Entry | None = None,
    lease: int | None = None,
    status: Published | None = None,
) -> Decision:
    # Built directly: dataclasses.replace costs a status several microseconds.
    return Decision(
        action,
        dns.rcode.NOERROR,
        log,
        decided.zone,
        decided.name,
        entry,
        lease,
        decided.now,
        decided.reply,
        decided.why,
        status,
    )


def _register_tsig(
    decided: Decision,
    zone: LiveZone,
    name: dns.name.Name,
    ident: Identifier,
    svcb: Sequence[dns.rdata.Rdata],
    asked: int | None,
    tsig_name: dns.name.Name,
    now: int,
) -> Decision:
    if zone.signer is None:
        raise _Refuse(dns.rcode.REFUSED, "this server holds no signing key for the zone")
    if asked == 0:
        raise _Refuse(dns.rcode.REFUSED, "a lease of 0 s; delete the records to remove them")
    lease = min(asked or zone.policy.default_lease, zone.policy.max_lease)
    if len(svcb) > MAX_ENDPOINTS:  # checked before any record is parsed
        raise _Refuse(dns.rcode.REFUSED, f"at most {MAX_ENDPOINTS} endpoints")
    prev = zone.entries.get(name)
    version = max(prev.version + 1 if prev is not None else 0, now)  # grows across restarts
    try:
        record = Descriptor(
            issuer=zone.name.to_text(omit_final_dot=True),
            subject=str(ident),
            version=version,
            issued_at=now,
            not_before=now,
            expires=now + lease,
            endpoints=_endpoints(svcb),
            capabilities=tuple(str(c) for c in ident.capabilities),
        )
        data = sign(record, zone.signer)
    except CidError as exc:
        raise _Refuse(dns.rcode.REFUSED, f"{type(exc).__name__}: {exc}") from None
    _room(zone, name)
    return _accepted(decided, name, Registration(data, record, f"tsig {tsig_name}"), prev, lease)


def _withdraw_signed(
    decided: Decision, zone: LiveZone, name: dns.name.Name, data: bytes, now: int
) -> Decision:
    record, by = _verified(zone, name, data, now)
    prev = zone.entries.get(name)
    held = prev.version if prev is not None else -1
    if record.version <= held:
        # Strictly above: the registered descriptor is public, so it cannot withdraw itself.
        raise _Refuse(
            dns.rcode.REFUSED, f"a withdrawal needs a version above {held}, not {record.version}"
        )
    entry = Withdrawal(record.version, now + WITHDRAWAL_KEPT, by)
    action = "remove" if isinstance(prev, Registration) else "absent"
    return _done(
        decided, action, f"{name}: withdrawn by {by}, version {record.version}", entry=entry
    )


def _remove(decided: Decision, zone: LiveZone, name: dns.name.Name, by: str, now: int) -> Decision:
    prev = zone.entries.get(name)
    if not isinstance(prev, Registration):
        return _done(decided, "absent", f"{name}: absent")
    entry = Withdrawal(prev.version, now + WITHDRAWAL_KEPT, by)
    return _done(decided, "remove", f"{name}: removed by {by} (was {prev.version})", entry=entry)


# ------------------------------------------------------------------ replies


def _endpoints(svcb: Sequence[dns.rdata.Rdata]) -> tuple[Endpoint, ...]:
    try:
        return tuple(endpoint_from_svcb(r) for r in svcb)
    except SvcbError as exc:
        raise _Refuse(dns.rcode.REFUSED, str(exc)) from None


def _render(
    reply: _Reply,
    rcode: dns.rcode.Rcode,
    lease: int | None,
    now: int,
    why: dns.edns.EDEOption | None = None,
) -> bytes:
    if reply.tsig is None and lease is None and why is None and rcode <= 15 and reply.zone:
        # The common answer (every accepted status): header, zone section, bare OPT.
        head = struct.pack("!HBBHHHH", reply.id, 0xA8, rcode, 1, 0, 0, 1 if reply.edns else 0)
        zone = _ZONE_SECTION.get(reply.zone)
        if zone is None:
            zone = reply.zone.to_wire() + b"\x00\x06\x00\x01"  # type: ignore[operator]
            if len(_ZONE_SECTION) < 1024:
                _ZONE_SECTION[reply.zone] = zone
        return head + zone + (_OPT if reply.edns else b"")
    msg = dns.update.UpdateMessage(reply.zone, id=reply.id)
    msg.flags |= dns.flags.QR
    if reply.edns or rcode > 15:
        options: list[dns.edns.Option] = [lease_option(lease)] if lease is not None else []
        if why is not None and reply.edns:  # an OPT only where the request had one
            options.append(why)
        msg.use_edns(0, 0, UDP_PAYLOAD, options=options)
    msg.set_rcode(rcode)
    wire = msg.to_wire()
    return _with_tsig(wire, reply.tsig, now) if reply.tsig is not None else wire


#: The zone section of a response, by zone: its name, type SOA, class IN.
_ZONE_SECTION: dict[dns.name.Name, bytes] = {}
#: An OPT record with payload UDP_PAYLOAD, no flags, no options.
_OPT: Final = b"\x00\x00\x29" + UDP_PAYLOAD.to_bytes(2) + bytes(6)


def _with_tsig(wire: bytes, tsig: _Tsig, now: int) -> bytes:
    """Append a TSIG record signed at ``now`` (or with no MAC, for BADKEY and BADSIG)."""
    other = now.to_bytes(6) if tsig.error == dns.rcode.BADTIME else b""
    rdata = dns.rdtypes.ANY.TSIG.TSIG(  # type: ignore[no-untyped-call]  # as above
        dns.rdataclass.ANY,
        dns.rdatatype.TSIG,
        tsig.key.algorithm,
        now,
        MAX_FUDGE,
        b"",
        tsig.original_id,
        tsig.error,
        other,
    )
    if tsig.error not in (dns.rcode.BADKEY, dns.rcode.BADSIG):
        rdata, _ = dns.tsig.sign(  # type: ignore[no-untyped-call]
            wire, tsig.key, rdata, now, tsig.request_mac
        )
    rd = rdata.to_wire()
    assert rd is not None
    record = tsig.key.name.to_wire()
    assert record is not None
    record += struct.pack("!HHIH", dns.rdatatype.TSIG, dns.rdataclass.ANY, 0, len(rd)) + rd
    (arcount,) = struct.unpack_from("!H", wire, 10)
    return wire[:10] + struct.pack("!H", arcount + 1) + wire[12:] + record


def _skip_name(wire: bytes, i: int) -> int:
    while True:
        length = wire[i]
        if length >= 0xC0:
            return i + 2
        if length == 0:
            return i + 1
        i += length + 1


def _last_record(wire: bytes) -> int:
    """Where the last record starts (the TSIG, which dnspython has checked is last)."""
    qd, an, ns, ar = struct.unpack_from("!HHHH", wire, 4)
    i = 12
    for _ in range(qd):
        i = _skip_name(wire, i) + 4
    start = i
    for _ in range(an + ns + ar):
        start = i
        i = _skip_name(wire, i) + 8
        (length,) = struct.unpack_from("!H", wire, i)
        i += 2 + length
    return start
