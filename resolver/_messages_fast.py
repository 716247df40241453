"""The fast reader of DNS responses: an accelerator of :func:`classify_strict`
(``_messages``), which it must agree with (``tests/resolver/test_messages_fast.py``
holds the two together, differentially).

It reads the wire as dnspython's parser does (same name decompression rules, same
merging of records into RRsets by owner, class and type, same TTL minimum, same
duplicate removal) but builds only what the result holds. It answers None for
anything outside the shapes it knows (another opcode, class or record type, EDNS
options, TSIG, truncation, an rcode but NOERROR/NXDOMAIN, a second SOA in an
RRset, any malformation) and for every case the strict path turns into a Fault.
Referrals are built by the one builder both share, :func:`referral`.
"""

from __future__ import annotations

import struct
from typing import Final, cast

import dns.ipv4
import dns.ipv6
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from cid.layout import TYPE_DELEGATION, TYPE_DESCRIPTOR, TYPE_STATUS

from ._messages import Kind, Response, referral

__all__ = ["read_fast"]

_IN: Final = dns.rdataclass.IN
_QR: Final = 0x8000
_AA: Final = 0x0400
_TC: Final = 0x0200
_HEADER: Final = struct.Struct("!HHHHHH")
_QUESTION: Final = struct.Struct("!HH")
_RR: Final = struct.Struct("!HHIH")
_SOA_TAIL: Final = struct.Struct("!IIIII")
_MAX_POINTERS: Final = 16  # dns.name.MAX_COMPRESSION_POINTER_CHAIN
_T_A: Final = 1
_T_NS: Final = 2
_T_SOA: Final = 6
_T_PTR: Final = 12
_T_AAAA: Final = 28
_T_OPT: Final = 41
# Types dnspython reads as opaque bytes (no rdata class of its own for them).
_OPAQUE: Final = frozenset(
    t
    for t in (TYPE_DESCRIPTOR, TYPE_DELEGATION, TYPE_STATUS)
    if type(dns.rdata.from_wire(_IN, t, b"", 0, 0)) is dns.rdata.GenericRdata
)
_KNOWN: Final = frozenset({_T_A, _T_NS, _T_SOA, _T_PTR, _T_AAAA}) | _OPAQUE

Labels = tuple[bytes, ...]


def _name(wire: bytes, pos: int, end: int) -> tuple[Labels, int] | None:
    """The name at ``pos`` (labels with the root label) and the offset after it, read
    as ``dns.name.from_wire_parser`` reads it with decompression allowed, or None
    where that raises: every pointer strictly before the last, at most 16 of them,
    the target never reaching into the part it was pointed from, 255 octets."""
    labels: list[bytes] = []
    biggest = start = pos
    after = -1
    hops = 0
    total = 1
    while True:
        if pos >= end:
            return None
        count = wire[pos]
        if count == 0:
            break
        if count < 64:
            nxt = pos + 1 + count
            if nxt > end:
                return None
            labels.append(wire[pos + 1 : nxt])
            total += count + 1
            pos = nxt
        elif count >= 192:
            if pos + 2 > end:
                return None
            target = ((count & 0x3F) << 8) | wire[pos + 1]
            if target >= biggest:
                return None
            if after < 0:
                after = pos + 2
            hops += 1
            if hops > _MAX_POINTERS:
                return None
            biggest = target
            end = start  # the target may not overlap what pointed to it
            pos = start = target
        else:
            return None
    if total > 255:
        return None
    labels.append(b"")
    return tuple(labels), (pos + 1 if after < 0 else after)


def _lower(labels: Labels) -> Labels:
    return tuple(label.lower() for label in labels)


class _RRset:
    """Records of one section with the same owner (case-insensitively) and type."""

    __slots__ = ("items", "keys", "labels", "section", "ttl", "type")

    def __init__(self, section: int, labels: Labels, rdtype: int, ttl: int) -> None:
        self.section = section
        self.labels = labels  # the first record's spelling, as dnspython keeps it
        self.type = rdtype
        self.ttl = ttl
        self.items: list[object] = []
        self.keys: set[object] = set()

    def add(self, key: object, item: object, ttl: int) -> None:
        self.ttl = min(self.ttl, ttl)
        if key not in self.keys:
            self.keys.add(key)
            self.items.append(item)


def _records(
    wire: bytes, pos: int, counts: tuple[int, int, int]
) -> tuple[dict[tuple[int, Labels, int], _RRset], int] | None:
    """Every record of the answer, authority and additional sections, merged into
    RRsets in order of first appearance, and the EDNS flags (the OPT TTL)."""
    end = len(wire)
    rrsets: dict[tuple[int, Labels, int], _RRset] = {}
    ednsflags = -1
    for section, count in enumerate(counts):
        for _ in range(count):
            read = _name(wire, pos, end)
            if read is None or read[1] + 10 > end:
                return None
            labels, pos = read
            rdtype, rdclass, ttl, rdlen = _RR.unpack_from(wire, pos)
            start = pos + 10
            pos = rdend = start + rdlen
            if rdend > end:
                return None
            if rdtype == _T_OPT:
                # Only in the additional section, once, at the root; no options here.
                if section != 2 or ednsflags >= 0 or len(labels) != 1 or rdlen:
                    return None
                ednsflags = ttl
                continue
            if rdclass != _IN or rdtype not in _KNOWN:
                return None
            key: object
            item: object
            if rdtype in (_T_A, _T_AAAA):
                if rdlen != (4 if rdtype == _T_A else 16):
                    return None
                key = item = wire[start:rdend]
            elif rdtype in (_T_NS, _T_PTR):
                target = _name(wire, start, rdend)
                if target is None or target[1] != rdend:
                    return None
                # NS: the target; PTR: where its rdata is, for dnspython to build it.
                item = target[0] if rdtype == _T_NS else (start, rdlen)
                key = _lower(target[0])
            elif rdtype == _T_SOA:
                mname = _name(wire, start, rdend)
                rname = None if mname is None else _name(wire, mname[1], rdend)
                if rname is None or rname[1] + 20 != rdend:
                    return None
                key = item = _SOA_TAIL.unpack_from(wire, rname[1])[4]  # minimum
            else:
                key = item = wire[start:rdend]
            if ttl > 0x7FFFFFFF:
                ttl = 0
            ident = (section, _lower(labels), rdtype)
            found = rrsets.get(ident)
            if found is None:
                found = rrsets[ident] = _RRset(section, labels, rdtype, ttl)
            elif rdtype == _T_SOA:
                return None  # dnspython keeps only the last of a singleton type
            found.add(key, item, ttl)
    if pos != end:
        return None
    return rrsets, max(ednsflags, 0)


def read_fast(
    wire: bytes, qid: int, qname: dns.name.Name, qtype: int, zone: dns.name.Name | None
) -> Response | None:
    if len(wire) < 12:
        return None
    rid, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
    # Not the query's, not a response, not QUERY, not one question, truncated: strict.
    if rid != qid or not flags & _QR or flags & 0x7800 or qdcount != 1 or flags & _TC:
        return None
    question = _name(wire, 12, len(wire))
    if question is None or question[1] + 4 > len(wire):
        return None
    labels, pos = question
    if _QUESTION.unpack_from(wire, pos) != (qtype, _IN):
        return None
    wanted = _lower(qname.labels)
    if _lower(labels) != wanted:
        return None
    read = _records(wire, pos + 4, (ancount, nscount, arcount))
    if read is None:
        return None
    rrsets, ednsflags = read
    rcode = (flags & 0x000F) | ((ednsflags >> 20) & 0xFF0)
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return None
    authoritative = zone is None or bool(flags & _AA)
    if rcode == dns.rcode.NXDOMAIN:
        if not authoritative:
            return None
        return _negative(Kind.NXDOMAIN, rrsets, zone)
    answer = None
    for (section, owner, rdtype), rrset in rrsets.items():
        if section == 0:
            if owner != wanted or rdtype != qtype:
                return None
            answer = rrset
    if answer is not None:
        if not authoritative:
            return None
        return _answer(wire, answer, qname, qtype)
    if zone is not None and not authoritative:
        return _referral(rrsets, qname, zone)
    return _negative(Kind.NODATA, rrsets, zone)


def _as_name(labels: Labels, like: dns.name.Name | None = None) -> dns.name.Name:
    if like is not None and like.labels == labels:
        return like
    return dns.name.Name(labels)


def _negative(
    kind: Kind, rrsets: dict[tuple[int, Labels, int], _RRset], zone: dns.name.Name | None
) -> Response | None:
    """As the strict path: the first SOA of the authority section gives the TTL."""
    ttl, owner = 0, None
    for (section, _, rdtype), rrset in rrsets.items():
        if section == 1 and rdtype == _T_SOA:
            minimum = rrset.items[0]
            assert isinstance(minimum, int)
            ttl, owner = min(rrset.ttl, minimum), _as_name(rrset.labels, zone)
            break
    if zone is not None and (owner is None or not owner.is_subdomain(zone)):
        return None
    if (
        kind is Kind.NODATA
        and owner is None
        and any(r.section == 1 and r.type == _T_NS for r in rrsets.values())
    ):
        return None  # a forwarder's referral: a fault, which the strict path explains
    if kind is Kind.NXDOMAIN:
        return Response(Kind.NXDOMAIN, "NXDOMAIN", ttl=ttl, negative_zone=owner)
    return Response(Kind.NODATA, ttl=ttl, negative_zone=owner)


def _answer(wire: bytes, rrset: _RRset, qname: dns.name.Name, qtype: int) -> Response | None:
    rdtype = dns.rdatatype.RdataType.make(qtype)
    out = dns.rrset.RRset(_as_name(rrset.labels, qname), _IN, rdtype)
    for item in rrset.items:
        rd: dns.rdata.Rdata
        if qtype in _OPAQUE:
            rd = dns.rdata.GenericRdata(_IN, rdtype, cast(bytes, item))
        elif qtype == _T_PTR:
            pos, rdlen = cast(tuple[int, int], item)
            rd = dns.rdata.from_wire(_IN, rdtype, wire, pos, rdlen)
        else:
            return None
        out.add(rd, rrset.ttl)
    return Response(Kind.ANSWER, answer=out)


def _referral(
    rrsets: dict[tuple[int, Labels, int], _RRset], qname: dns.name.Name, zone: dns.name.Name
) -> Response | None:
    """The referral :func:`referral` builds, or None where it finds a fault."""
    ns = [r for r in rrsets.values() if r.section == 1 and r.type == _T_NS]
    if len(ns) != 1:
        return None
    additional: list[tuple[dns.name.Name, int, int, list[str] | list[bytes]]] = []
    for (section, _, rdtype), rrset in rrsets.items():
        if section != 2:
            continue
        if rdtype in (_T_A, _T_AAAA):
            ntoa = dns.ipv4.inet_ntoa if rdtype == _T_A else dns.ipv6.inet_ntoa
            addresses = [ntoa(cast(bytes, a)) for a in rrset.items]
            additional.append((dns.name.Name(rrset.labels), rdtype, rrset.ttl, addresses))
        elif rdtype == TYPE_DELEGATION:
            items = cast(list[bytes], rrset.items)
            additional.append((dns.name.Name(rrset.labels), rdtype, rrset.ttl, items))
    targets = cast(list[Labels], ns[0].items)
    names = tuple(dns.name.Name(t) for t in targets)
    found = referral(qname, zone, dns.name.Name(ns[0].labels), ns[0].ttl, names, additional)
    return found if isinstance(found, Response) else None
