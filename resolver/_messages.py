"""DNS messages for the resolution core: queries in wire form, and responses sorted into
the few kinds the algorithm acts on (spec/resolution.md §12.4). Pure functions: no I/O.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Final, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from cid._layout import TYPE_DELEGATION, UDP_PAYLOAD, delegation_owner

__all__ = ["Fault", "Kind", "Response", "classify", "query_wire"]

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
    """
    if len(wire) > max_size:
        return Fault("LIMIT_EXCEEDED", f"response of {len(wire)} octets exceeds {max_size}")
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
