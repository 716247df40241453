"""``cid serve`` as a hidden primary (spec/resolution.md §9.1): the sans-IO core.

Zone transfers to the secondaries a zone lists (AXFR, RFC 5936; IXFR, RFC 1995)
and the NOTIFY messages that tell them of each new version (RFC 1996), all
authenticated with TSIG (RFC 8945). No sockets, files or clocks here: the
driver (``_hidden``) hands in request bytes, the peer's address and ``now``,
and sends what comes out.

Every version a server swaps in goes through :meth:`Primary.prepare` (off the
event loop: it may compare two large zones) and then :meth:`Primary.commit`
(on it, with the swap): the first gives the version a serial above the last
one's (RFC 1982), whatever the clock says, and finds what changed; the second
keeps the change in the zone's :class:`~cid.server._journal.Journal` and says
which secondaries to notify.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.renderer
import dns.rrset
import dns.serial
import dns.tsig
import dns.zone

from ..registry import Secondary
from ._journal import JOURNAL_RECORDS, Change, Journal, difference, soa_rrset

__all__ = [
    "MAX_FUDGE",
    "Notify",
    "Primary",
    "Transfer",
    "Version",
    "is_transfer",
]

#: The largest TSIG time window accepted, whatever fudge a request names (as for UPDATE).
MAX_FUDGE: Final = 300
_AXFR: Final = dns.rdatatype.AXFR
_IXFR: Final = dns.rdatatype.IXFR
_SOA: Final = dns.rdatatype.SOA
_IN: Final = dns.rdataclass.IN
# Room left in each 65535-octet message for the TSIG record (name, MAC, fields).
_TSIG_ROOM: Final = 512
_MESSAGE: Final = 65535 - _TSIG_ROOM


def is_transfer(wire: bytes) -> bool:
    """True for a query (QR clear, opcode QUERY, one question) of QTYPE AXFR or IXFR, or a
    TSIG-signed one of QTYPE SOA (a secondary's refresh, RFC 1996 §3.11): the ones
    :meth:`Primary.transfer` answers."""
    if len(wire) < 17 or wire[2] & 0xF8 or wire[4:6] != b"\x00\x01":
        return False
    i = 12
    while i < len(wire):
        length = wire[i]
        if length == 0:
            qtype = wire[i + 1 : i + 3]
            if qtype in (b"\x00\xfc", b"\x00\xfb"):
                return True
            return qtype == b"\x00\x06" and wire[10:12] != b"\x00\x00" and _tsig_last(wire)
        if length > 63:
            return False  # compression in a question: not from a real secondary
        i += length + 1
    return False


def _tsig_last(wire: bytes) -> bool:
    """Whether the last record of ``wire`` is a TSIG."""
    try:
        start = _last_record(wire)
        return wire[_skip_name(wire, start) : _skip_name(wire, start) + 2] == b"\x00\xfa"
    except (IndexError, struct.error):
        return False


# --------------------------------------------------------------------- versions


@dataclass(frozen=True, slots=True)
class Version:
    """A new version of one zone, prepared: its zone (serial set), and what changed."""

    origin: dns.name.Name
    zone: dns.zone.Zone
    serial: int
    change: Change | None  # None: not compared (no secondaries, or no version before)


@dataclass(frozen=True, slots=True)
class Notify:
    """One NOTIFY to send: zone, serial, the secondary and the key to sign with."""

    origin: dns.name.Name
    serial: int
    secondary: Secondary
    key: dns.tsig.Key | None


@dataclass
class _Served:
    zone: dns.zone.Zone | None = None
    serial: int | None = None
    secondaries: tuple[Secondary, ...] = ()
    keys: Mapping[dns.name.Name, dns.tsig.Key] = field(default_factory=dict)
    journal: Journal = field(default_factory=Journal)


@dataclass(frozen=True, slots=True)
class Transfer:
    """The response to one AXFR or IXFR query: ``messages``, produced as they are
    taken (a large zone is sent while it is rendered), and a line for the log.
    ``allowed`` is False for a refusal, whose only message says so."""

    log: str
    allowed: bool
    messages: Iterator[bytes]


class Primary:
    """The versions, journals and secondaries of the zones a server serves."""

    def __init__(self, journal_records: int = JOURNAL_RECORDS) -> None:
        self.journal_records = journal_records
        self._zones: dict[dns.name.Name, _Served] = {}

    # ------------------------------------------------------------ config

    def configure(
        self,
        origin: dns.name.Name,
        secondaries: Sequence[Secondary],
        keys: Mapping[dns.name.Name, dns.tsig.Key],
    ) -> None:
        """Set the secondaries of ``origin`` and their TSIG keys (by name)."""
        served = self._zones.setdefault(origin, _Served(journal=Journal(self.journal_records)))
        missing = (
            {s.tsig_key for s in secondaries}
            - {k.to_text() for k in keys}
            - {k.to_text(omit_final_dot=True) for k in keys}
        )
        if missing:
            raise ValueError(f"zone {origin}: no TSIG key {', '.join(sorted(missing))}")
        if not secondaries:
            served.journal.clear()
        served.secondaries = tuple(secondaries)
        served.keys = dict(keys)

    def retain(self, origins: Iterable[dns.name.Name]) -> None:
        """Forget every zone not in ``origins`` (no longer served)."""
        keep = set(origins)
        for origin in [o for o in self._zones if o not in keep]:
            del self._zones[origin]

    def origins(self) -> list[dns.name.Name]:
        return sorted(self._zones)

    def secondaries(self, origin: dns.name.Name) -> tuple[Secondary, ...]:
        served = self._zones.get(origin)
        return () if served is None else served.secondaries

    def serial(self, origin: dns.name.Name) -> int | None:
        served = self._zones.get(origin)
        return None if served is None else served.serial

    def journal(self, origin: dns.name.Name) -> Journal | None:
        served = self._zones.get(origin)
        return None if served is None else served.journal

    # ---------------------------------------------------------- versions

    def prepare(
        self,
        zone: dns.zone.Zone,
        changed: Iterable[dns.name.Name] | None = None,
        *,
        rdtype: int | None = None,
        base: dns.zone.Zone | None = None,
    ) -> Version:
        """Make ``zone`` the next version of its zone: its SOA serial is set above the
        last version's when it is not (a second change in one second), and, for a zone
        with secondaries, what changed is found (only at ``changed``, absolute names,
        when given; and only in RRsets of type ``rdtype`` when given and ``zone`` was
        made from ``base`` and ``base`` is the last version). Changes ``zone``'s SOA in
        place: call it before serving ``zone``."""
        origin = zone.origin
        assert origin is not None
        served = self._zones.get(origin)
        soa = zone.get_rdataset(origin, _SOA)
        if soa is None:
            raise ValueError(f"zone {origin} has no SOA")
        serial = int(soa[0].serial)
        last = served.serial if served is not None else None
        if last is not None and not dns.serial.Serial(serial) > dns.serial.Serial(last):
            serial = (last + 1) & 0xFFFFFFFF
            record = soa[0].replace(serial=serial)
            zone.replace_rdataset(origin, dns.rdataset.from_rdata(soa.ttl, record))
        change = None
        if served is not None and served.secondaries and served.zone is not None:
            only = rdtype if base is not None and base is served.zone else None
            change = difference(served.zone, zone, changed, rdtype=only)
        return Version(origin, zone, serial, change)

    def commit(self, version: Version) -> list[Notify]:
        """``version`` is served from now on: keep its change; the NOTIFYs to send."""
        served = self._zones.setdefault(
            version.origin, _Served(journal=Journal(self.journal_records))
        )
        served.zone, served.serial = version.zone, version.serial
        if version.change is None:
            served.journal.clear()
        else:
            served.journal.append(version.change)
        return self.notifies(version.origin)

    def notifies(self, origin: dns.name.Name) -> list[Notify]:
        """A NOTIFY of ``origin``'s current version for each of its secondaries."""
        served = self._zones.get(origin)
        if served is None or served.serial is None:
            return []
        return [
            Notify(origin, served.serial, s, _key(served.keys, s.tsig_key))
            for s in served.secondaries
        ]

    # ----------------------------------------------------------- transfers

    def transfer(self, wire: bytes, peer: str, *, tcp: bool, now: int) -> Transfer:
        """The response to an AXFR or IXFR query (``is_transfer``) from ``peer`` at ``now``."""
        try:
            query = dns.message.from_wire(wire, keyring=False)
        except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
            return Transfer(f"malformed: {exc}", False, iter(_formerr(wire)))
        if len(query.question) != 1 or query.flags & dns.flags.QR:
            return Transfer("not a transfer query", False, iter(_formerr(wire)))
        question = query.question[0]
        kind = dns.rdatatype.to_text(question.rdtype)
        what = f"{kind} {question.name} from {peer}"
        reply = _Reply(query)
        served = self._zones.get(question.name)
        if question.rdclass != _IN or served is None or served.zone is None:
            return reply.refuse(dns.rcode.NOTAUTH, f"{what}: NOTAUTH: not a zone served here", now)
        if query.tsig is None:
            return reply.refuse(dns.rcode.REFUSED, f"{what}: REFUSED: no TSIG", now)
        error = reply.check_tsig(wire, query, served.keys, now)
        if error is not None:
            return reply.refuse(dns.rcode.NOTAUTH, f"{what}: NOTAUTH: {error}", now)
        assert reply.key is not None
        if not any(
            s.address == peer and _key(served.keys, s.tsig_key) == reply.key
            for s in served.secondaries
        ):
            reason = f"key {reply.key.name} at {peer} is not a secondary of the zone"
            return reply.refuse(dns.rcode.REFUSED, f"{what}: REFUSED: {reason}", now)
        zone, serial = served.zone, served.serial
        assert serial is not None
        soa = soa_rrset(zone)
        if question.rdtype == _SOA:  # a refresh: the SOA, signed
            return Transfer(f"{what}: {serial}", True, iter([reply.single([soa], now)]))
        if question.rdtype == _AXFR:
            if not tcp:  # RFC 5936 §4.2: over TCP only; TC sends the client there
                tc = reply.single([], now, tc=True)
                return Transfer(f"{what}: over UDP: TC", True, iter([tc]))
            return Transfer(f"{what}: AXFR at {serial}", True, reply.stream(_axfr(zone, soa), now))
        theirs = _ixfr_serial(query)
        if theirs is None:
            return reply.refuse(dns.rcode.FORMERR, f"{what}: FORMERR: no SOA in authority", now)
        if not tcp or theirs == serial:
            # RFC 1995 §2, §4: up to date, or over UDP: the current SOA alone
            note = "up to date" if theirs == serial else "over UDP: SOA only"
            return Transfer(f"{what} at {theirs}: {note}", True, iter([reply.single([soa], now)]))
        changes = served.journal.since(theirs)
        if changes is None:
            log = f"{what} at {theirs}: not in the journal: AXFR at {serial}"
            return Transfer(log, True, reply.stream(_axfr(zone, soa), now))
        log = f"{what} at {theirs}: {len(changes)} change(s) to {serial}"
        return Transfer(log, True, reply.stream(_ixfr(soa, changes), now))

    # ------------------------------------------------------------- notify

    @staticmethod
    def notify_message(notify: Notify, qid: int, now: int) -> bytes:
        """The NOTIFY (RFC 1996 §3.7) for ``notify``: the zone's SOA question, the new SOA
        serial in the answer as a hint, signed with the secondary's key."""
        msg = dns.message.make_query(notify.origin, _SOA)
        msg.id = qid
        msg.flags = dns.flags.AA
        msg.set_opcode(dns.opcode.NOTIFY)
        wire = msg.to_wire()
        if notify.key is None:
            return wire
        return _sign(wire, notify.key, qid, now, b"", None, False)[0]

    @staticmethod
    def is_notify_ack(wire: bytes, qid: int) -> bool:
        """Whether ``wire`` answers the NOTIFY with id ``qid`` (any rcode: it was heard)."""
        return (
            len(wire) >= 12
            and wire[:2] == qid.to_bytes(2)
            and bool(wire[2] & 0x80)
            and (wire[2] >> 3) & 0xF == dns.opcode.NOTIFY
        )


def _key(keys: Mapping[dns.name.Name, dns.tsig.Key], name: str) -> dns.tsig.Key | None:
    return keys.get(dns.name.from_text(name))


def _ixfr_serial(query: dns.message.Message) -> int | None:
    for rrset in query.authority:
        if rrset.rdtype == _SOA and rrset.name == query.question[0].name and rrset:
            return int(rrset[0].serial)
    return None


def _records(zone: dns.zone.Zone) -> Iterator[tuple[dns.name.Name, dns.rdataset.Rdataset]]:
    origin = zone.origin
    assert origin is not None
    for name, node in zone.nodes.items():
        owner = name.derelativize(origin)
        for rds in node.rdatasets:
            if rds.rdtype != _SOA:
                yield owner, rds


def _axfr(
    zone: dns.zone.Zone, soa: dns.rrset.RRset
) -> Iterator[tuple[dns.name.Name, dns.rdataset.Rdataset]]:
    """RFC 5936 §2.2: the SOA, every other record, the SOA again."""
    yield soa.name, soa
    yield from _records(zone)
    yield soa.name, soa


def _ixfr(
    soa: dns.rrset.RRset, changes: Sequence[Change]
) -> Iterator[tuple[dns.name.Name, dns.rdataset.Rdataset]]:
    """RFC 1995 §4: the new SOA; per change the old SOA, what went, the next SOA, what
    came; the new SOA again."""
    yield soa.name, soa
    for change in changes:
        yield change.old_soa.name, change.old_soa
        for rrset in change.removed:
            yield rrset.name, rrset
        yield change.new_soa.name, change.new_soa
        for rrset in change.added:
            yield rrset.name, rrset
    yield soa.name, soa


# --------------------------------------------------------------------- replies


class _Reply:
    """Builds the responses to one query: header, question, TSIG."""

    def __init__(self, query: dns.message.Message) -> None:
        self.query = query
        self.key: dns.tsig.Key | None = None
        self.request_mac = b""
        self.original_id = query.id
        self.error = dns.rcode.NOERROR
        self.signed = False  # whether responses carry a TSIG (with or without a MAC)

    def check_tsig(
        self,
        wire: bytes,
        query: dns.message.Message,
        keys: Mapping[dns.name.Name, dns.tsig.Key],
        now: int,
    ) -> str | None:
        """Check the request's TSIG at ``now``; None when it holds, else why not."""
        assert query.tsig is not None
        owner = query.tsig.name
        rdata = cast(dns.rdtypes.ANY.TSIG.TSIG, query.tsig[0])
        self.original_id = rdata.original_id
        self.signed = True
        key = keys.get(owner)
        if key is None or key.algorithm != rdata.algorithm:
            self.key = dns.tsig.Key(owner, b"", rdata.algorithm)
            self.error = dns.rcode.BADKEY
            return f"TSIG key {owner} unknown"
        self.key = key
        try:
            dns.tsig.validate(  # type: ignore[no-untyped-call]  # untyped in dnspython
                wire, key, owner, rdata, now, b"", _last_record(wire)
            )
        except dns.tsig.BadTime:
            pass  # judged below, with our own bound on the fudge
        except (dns.exception.DNSException, ValueError):
            self.error = dns.rcode.BADSIG
            return f"TSIG {owner}: bad MAC"
        self.request_mac = rdata.mac
        if abs(rdata.time_signed - now) > min(rdata.fudge, MAX_FUDGE):
            self.error = dns.rcode.BADTIME
            return f"TSIG {owner}: signed at {rdata.time_signed}, now is {now}"
        return None

    def _renderer(self, rcode: dns.rcode.Rcode, tc: bool = False) -> dns.renderer.Renderer:
        flags = dns.flags.QR | dns.flags.AA if rcode == dns.rcode.NOERROR else dns.flags.QR
        if tc:
            flags |= dns.flags.TC
        r = dns.renderer.Renderer(self.query.id, flags | rcode, _MESSAGE)  # type: ignore[no-untyped-call]
        question = self.query.question[0]
        r.add_question(question.name, question.rdtype, question.rdclass)  # type: ignore[no-untyped-call]
        return r

    def _finish(
        self, r: dns.renderer.Renderer, now: int, ctx: object | None, multi: bool
    ) -> tuple[bytes, object | None]:
        r.write_header()  # type: ignore[no-untyped-call]
        wire: bytes = r.get_wire()  # type: ignore[no-untyped-call]
        if not self.signed:
            return wire, None
        assert self.key is not None
        return _sign(
            wire, self.key, self.original_id, now, self.request_mac, ctx, multi, self.error
        )

    def refuse(self, rcode: dns.rcode.Rcode, log: str, now: int) -> Transfer:
        r = self._renderer(rcode)
        return Transfer(log, False, iter([self._finish(r, now, None, False)[0]]))

    def single(self, rrsets: Sequence[dns.rrset.RRset], now: int, tc: bool = False) -> bytes:
        r = self._renderer(dns.rcode.NOERROR, tc)
        for rrset in rrsets:
            _add(r, rrset.name, rrset)
        return self._finish(r, now, None, False)[0]

    def stream(
        self, records: Iterator[tuple[dns.name.Name, dns.rdataset.Rdataset]], now: int
    ) -> Iterator[bytes]:
        """``records`` in as few messages as they fit (RFC 5936 §2.2), each signed in turn
        (RFC 8945 §5.3.1); a set too large for one message is split."""
        ctx: object | None = None
        r = self._renderer(dns.rcode.NOERROR)
        empty = True
        for owner, rds in records:
            if _add(r, owner, rds):
                empty = False
                continue
            if not empty:
                wire, ctx = self._finish(r, now, ctx, True)
                yield wire
                r = self._renderer(dns.rcode.NOERROR)
                if _add(r, owner, rds):
                    continue
            for rdata in rds:  # too large for one message: one record at a time
                one = dns.rdataset.from_rdata(rds.ttl, rdata)
                if not _add(r, owner, one):
                    wire, ctx = self._finish(r, now, ctx, True)
                    yield wire
                    r = self._renderer(dns.rcode.NOERROR)
                    if not _add(r, owner, one):
                        raise ValueError(f"{owner}: a record larger than a message")
            empty = False
        wire, ctx = self._finish(r, now, ctx, True)
        yield wire


def _add(r: dns.renderer.Renderer, owner: dns.name.Name, rds: dns.rdataset.Rdataset) -> bool:
    """Add ``rds`` to the answer section; False, with nothing added, when it does not fit."""
    try:
        if isinstance(rds, dns.rrset.RRset):  # its own owner; a different to_wire
            r.add_rrset(dns.renderer.ANSWER, rds)  # type: ignore[no-untyped-call]
        else:
            r.add_rdataset(dns.renderer.ANSWER, owner, rds)  # type: ignore[no-untyped-call]
    except dns.exception.TooBig:
        return False
    return True


def _formerr(wire: bytes) -> list[bytes]:
    if len(wire) < 12 or wire[2] & 0x80:
        return []
    (flags,) = struct.unpack_from("!H", wire, 2)
    out_flags = 0x8000 | (flags & 0x7800) | (flags & 0x0100) | dns.rcode.FORMERR
    return [wire[:2] + struct.pack("!HHHHH", out_flags, 0, 0, 0, 0)]


def _sign(
    wire: bytes,
    key: dns.tsig.Key,
    original_id: int,
    now: int,
    request_mac: bytes,
    ctx: object | None,
    multi: bool,
    error: int = dns.rcode.NOERROR,
) -> tuple[bytes, object | None]:
    """``wire`` with a TSIG record appended, signed at ``now`` (none for BADKEY and
    BADSIG, RFC 8945 §5.3.2); and the context that signs the next message of a stream."""
    other = now.to_bytes(6) if error == dns.rcode.BADTIME else b""
    rdata = dns.rdtypes.ANY.TSIG.TSIG(  # type: ignore[no-untyped-call]  # untyped
        dns.rdataclass.ANY,
        dns.rdatatype.TSIG,
        key.algorithm,
        now,
        MAX_FUDGE,
        b"",
        original_id,
        error,
        other,
    )
    next_ctx = None
    if error not in (dns.rcode.BADKEY, dns.rcode.BADSIG):
        rdata, next_ctx = dns.tsig.sign(  # type: ignore[no-untyped-call]
            wire, key, rdata, now, request_mac, ctx, multi
        )
    rd = rdata.to_wire()
    assert rd is not None
    record = key.name.to_wire()
    assert record is not None
    record += struct.pack("!HHIH", dns.rdatatype.TSIG, dns.rdataclass.ANY, 0, len(rd)) + rd
    (arcount,) = struct.unpack_from("!H", wire, 10)
    return wire[:10] + struct.pack("!H", arcount + 1) + wire[12:] + record, next_ctx


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
