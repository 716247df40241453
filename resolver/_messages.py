"""DNS messages for the resolution core: queries in wire form, and responses sorted into
the few kinds the algorithm acts on (spec/resolution.md §12.4). Pure functions: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import enum
import struct
from dataclasses import dataclass, field
from typing import Final, cast

import dns.exception
import dns.flags
import dns.ipv4
import dns.ipv6
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from cid.layout import TXT_TAG, TYPE_DELEGATION, TYPE_DESCRIPTOR, UDP_PAYLOAD, delegation_owner

__all__ = ["Fault", "Kind", "Response", "classify", "query_wire", "txt_copy"]

_IN: Final = dns.rdataclass.IN
_NS: Final = dns.rdatatype.NS
_SOA: Final = dns.rdatatype.SOA
_ADDRESS: Final = (dns.rdatatype.A, dns.rdatatype.AAAA)
# OPT: root owner, type 41, class = UDP payload, TTL 0 (version 0, DO clear), no options.
_OPT: Final[bytes] = b"\x00\x00\x29" + struct.pack("!H", UDP_PAYLOAD) + bytes(6)


def query_wire(qname: dns.name.Name, qtype: int, qid: int, *, rd: bool) -> bytes:
    """One question, class IN, EDNS(0) with a 1232-octet payload; RD only when forwarding."""
    flags = 0x0100 if rd else 0
    header = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 1)
    return header + cast(bytes, qname.to_wire()) + struct.pack("!HH", qtype, _IN) + _OPT


class Kind(enum.Enum):
    ANSWER = "answer"
    NXDOMAIN = "NXDOMAIN"
    NODATA = "NODATA"
    REFERRAL = "referral"
    TRUNCATED = "truncated"


@dataclass(frozen=True, slots=True)
class Fault:
    """A response the resolver cannot use from this server; ``outcome`` names why
    (an :class:`Outcome` code: SERVFAIL, LAME_DELEGATION, LOOP or LIMIT_EXCEEDED)."""

    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class Response:
    kind: Kind
    rcode: str = "NOERROR"
    answer: dns.rrset.RRset | None = None
    ttl: int = 0  # negative TTL (RFC 2308 §5), or the NS TTL of a referral
    cut: dns.name.Name | None = None
    ns_names: tuple[dns.name.Name, ...] = ()
    glue: dict[dns.name.Name, list[str]] = field(default_factory=dict)
    delegation: bytes | None = None  # the child's TYPE65281 record, if the server added it
    delegation_ttl: int = 0
    negative_zone: dns.name.Name | None = None  # SOA owner of a negative answer


def _negative_ttl(msg: dns.message.Message) -> tuple[int, dns.name.Name | None]:
    for rrset in msg.authority:
        if rrset.rdtype == _SOA and rrset.rdclass == _IN and len(rrset):
            soa = rrset[0]
            return min(rrset.ttl, soa.minimum), rrset.name
    return 0, None


def classify(
    wire: bytes,
    qid: int,
    qname: dns.name.Name,
    qtype: int,
    zone: dns.name.Name | None,
    *,
    tcp: bool,
    max_size: int,
) -> Response | Fault:
    """Sort a response to (``qname``, ``qtype``) sent with ``qid`` to a server of ``zone``.

    ``zone`` None means the server is a forwarder (a recursive resolver): then no
    answer needs AA and there are no referrals.

    The common shapes (an answer, a referral, NXDOMAIN, NODATA, in plain class IN
    records) are read by :func:`_fast`, which gives the same result as the strict
    path or None; everything else, and every fault, is decided and explained by the
    strict path (dnspython's parser).
    """
    if len(wire) > max_size:
        return Fault("LIMIT_EXCEEDED", f"response of {len(wire)} octets exceeds {max_size}")
    try:
        fast = _fast(wire, qid, qname, qtype, zone)
    except (IndexError, struct.error):
        fast = None
    if fast is not None:
        return fast
    return _strict(wire, qid, qname, qtype, zone, tcp=tcp)


def _strict(
    wire: bytes,
    qid: int,
    qname: dns.name.Name,
    qtype: int,
    zone: dns.name.Name | None,
    *,
    tcp: bool,
) -> Response | Fault:
    try:
        msg = dns.message.from_wire(wire, ignore_trailing=False)
    except (dns.exception.DNSException, ValueError, struct.error, IndexError) as exc:
        return Fault("SERVFAIL", f"malformed response: {exc}")
    if msg.id != qid or not msg.flags & dns.flags.QR:
        return Fault("SERVFAIL", "not a response to the query sent")
    if len(msg.question) != 1:
        return Fault("LAME_DELEGATION", "response without the question")
    question = msg.question[0]
    if question.name != qname or question.rdtype != qtype or question.rdclass != _IN:
        return Fault("LAME_DELEGATION", f"response to another question ({question.name})")
    if msg.flags & dns.flags.TC:
        if tcp:
            return Fault("SERVFAIL", "truncated response over TCP")
        return Response(Kind.TRUNCATED)
    rcode = msg.rcode()
    if rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH):
        return Fault("LAME_DELEGATION", f"{dns.rcode.to_text(rcode)}: not serving the zone")
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return Fault("SERVFAIL", f"rcode {dns.rcode.to_text(rcode)}")
    authoritative = zone is None or bool(msg.flags & dns.flags.AA)
    if rcode == dns.rcode.NXDOMAIN:
        if not authoritative:
            return Fault("LAME_DELEGATION", "NXDOMAIN without AA")
        ttl, owner = _negative_ttl(msg)
        if zone is not None and (owner is None or not owner.is_subdomain(zone)):
            return Fault("LAME_DELEGATION", "NXDOMAIN without the zone's SOA")
        return Response(Kind.NXDOMAIN, "NXDOMAIN", ttl=ttl, negative_zone=owner)
    wanted = None
    for rrset in msg.answer:
        if rrset.name == qname and rrset.rdtype == qtype and rrset.rdclass == _IN:
            wanted = rrset
        else:  # out of bailiwick or unasked: never used, and never cached
            return Fault("LAME_DELEGATION", f"answer holds unasked data ({rrset.name})")
    if wanted is not None:
        if not authoritative:
            return Fault("LAME_DELEGATION", "answer without AA")
        return Response(Kind.ANSWER, answer=wanted)
    if zone is not None and not authoritative:
        return _referral(msg, qname, zone)
    ttl, owner = _negative_ttl(msg)
    if zone is not None and (owner is None or not owner.is_subdomain(zone)):
        return Fault("LAME_DELEGATION", "NODATA without the zone's SOA")
    if owner is None and any(r.rdtype == _NS and r.rdclass == _IN for r in msg.authority):
        # §12.4.1: NS without SOA is a referral, which a forwarder must never give.
        return Fault("LAME_DELEGATION", "a referral from a forwarder")
    return Response(Kind.NODATA, ttl=ttl, negative_zone=owner)


def _referral(
    msg: dns.message.Message, qname: dns.name.Name, zone: dns.name.Name
) -> Response | Fault:
    ns = [r for r in msg.authority if r.rdtype == _NS and r.rdclass == _IN]
    if len(ns) != 1 or not len(ns[0]):
        return Fault("LAME_DELEGATION", "neither an answer nor a referral")
    cut = ns[0].name
    if zone.is_subdomain(cut):
        return Fault("LOOP", f"referral back up to {cut}")
    if not cut.is_subdomain(zone) or not qname.is_subdomain(cut):
        return Fault("LAME_DELEGATION", f"referral out of bailiwick ({cut})")
    names = tuple(rd.target for rd in ns[0])
    glue: dict[dns.name.Name, list[str]] = {}
    owner = delegation_owner(cut, zone)
    delegation = None
    delegation_ttl = 0
    for rrset in msg.additional:
        if rrset.rdclass != _IN:
            continue
        if rrset.rdtype in _ADDRESS and rrset.name in names and rrset.name.is_subdomain(zone):
            glue.setdefault(rrset.name, []).extend(rd.address for rd in rrset)
        elif rrset.rdtype == TYPE_DELEGATION and rrset.name == owner and len(rrset) == 1:
            delegation = rrset[0].data
            delegation_ttl = rrset.ttl
    return Response(
        Kind.REFERRAL,
        ttl=ns[0].ttl,
        cut=cut,
        ns_names=names,
        glue=glue,
        delegation=delegation,
        delegation_ttl=delegation_ttl,
    )


def txt_copy(rrset: dns.rrset.RRset) -> bytes | None:
    """The signed bytes of the TXT copy of a descriptor (spec §3.6, §12.7.1) in a TXT
    RRset, or None when none of its records is one. A copy starts with the string
    ``ucid1``; the others are canonical base64 (RFC 4648 §4, with padding) in any
    cut. Raises ValueError for two copies or one that does not decode."""
    copies = [rd.strings for rd in rrset if rd.strings and rd.strings[0] == TXT_TAG]
    if not copies:
        return None  # other TXT records are not ours to read
    if len(copies) > 1:
        raise ValueError("more than one TXT copy at the name")
    text = b"".join(copies[0][1:])
    if not text:
        raise ValueError("a TXT copy without data")
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the TXT copy is not base64: {exc}") from None
    # One text per record, so that nothing but the signed bytes can vary: no stray
    # bits in the last character (b64decode ignores them).
    if base64.b64encode(data) != text:
        raise ValueError("the TXT copy is not canonical base64")
    return data


# ------------------------------------------------------------------ the fast reader
#
# It reads the wire as dnspython's parser does (same name decompression rules, same
# merging of records into RRsets by owner, class and type, same TTL minimum, same
# duplicate removal) but builds only what the result holds. It answers None for
# anything outside the shapes it knows (another opcode, class or record type, EDNS
# options, TSIG, truncation, an rcode but NOERROR/NXDOMAIN, a second SOA in an
# RRset, any malformation) and for every case the strict path turns into a Fault.

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
    for t in (TYPE_DESCRIPTOR, TYPE_DELEGATION)
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


def _fast(
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
        return _fast_referral(rrsets, qname, zone)
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


def _fast_referral(
    rrsets: dict[tuple[int, Labels, int], _RRset], qname: dns.name.Name, zone: dns.name.Name
) -> Response | None:
    """As :func:`_referral`, for the cases it turns into a referral."""
    ns = [r for r in rrsets.values() if r.section == 1 and r.type == _T_NS]
    if len(ns) != 1:
        return None
    cut = dns.name.Name(ns[0].labels)
    if zone.is_subdomain(cut) or not cut.is_subdomain(zone) or not qname.is_subdomain(cut):
        return None
    targets = cast(list[Labels], ns[0].items)
    names = tuple(dns.name.Name(t) for t in targets)
    lowered = {_lower(t) for t in targets}
    glue: dict[dns.name.Name, list[str]] = {}
    owner = _lower(delegation_owner(cut, zone).labels)
    delegation = None
    delegation_ttl = 0
    for (section, name, rdtype), rrset in rrsets.items():
        if section != 2:
            continue
        if rdtype in (_T_A, _T_AAAA) and name in lowered:
            host = dns.name.Name(rrset.labels)
            if host.is_subdomain(zone):
                ntoa = dns.ipv4.inet_ntoa if rdtype == _T_A else dns.ipv6.inet_ntoa
                glue.setdefault(host, []).extend(ntoa(cast(bytes, a)) for a in rrset.items)
        elif rdtype == TYPE_DELEGATION and name == owner and len(rrset.items) == 1:
            delegation = cast(bytes, rrset.items[0])
            delegation_ttl = rrset.ttl
    return Response(
        Kind.REFERRAL,
        ttl=ns[0].ttl,
        cut=cut,
        ns_names=names,
        glue=glue,
        delegation=delegation,
        delegation_ttl=delegation_ttl,
    )
