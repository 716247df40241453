"""DNS messages for the resolution core: queries in wire form, and the strict reference
classifier that sorts responses into the few kinds the algorithm acts on
(spec/resolution.md §12.4), with dnspython's parser. Pure functions: no I/O.

The fast reader (``_messages_fast``) accelerates :func:`classify_strict` for the
common shapes; ``_classify`` tries it first.
"""

from __future__ import annotations

import base64
import binascii
import enum
import struct
from collections.abc import Iterable, Sequence
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

from cid.layout import TXT_TAG, TYPE_DELEGATION, UDP_PAYLOAD, delegation_owner

from ._outcome import Outcome

__all__ = ["Fault", "Kind", "Response", "classify_strict", "query_wire", "referral", "txt_copy"]

_IN: Final = dns.rdataclass.IN
_NS: Final = dns.rdatatype.NS
_SOA: Final = dns.rdatatype.SOA
_ADDRESS: Final = (dns.rdatatype.A, dns.rdatatype.AAAA)
# What a referral's additional section may usefully hold: glue and the delegation record.
_REFERRAL_EXTRA: Final = (dns.rdatatype.A, dns.rdatatype.AAAA, TYPE_DELEGATION)
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
    """A response the resolver cannot use from this server; ``outcome`` says why
    (SERVFAIL, LAME_DELEGATION, LOOP, LIMIT_EXCEEDED or TIMEOUT)."""

    outcome: Outcome
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


def classify_strict(
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
        return Fault(Outcome.SERVFAIL, f"malformed response: {exc}")
    if msg.id != qid or not msg.flags & dns.flags.QR:
        return Fault(Outcome.SERVFAIL, "not a response to the query sent")
    if len(msg.question) != 1:
        return Fault(Outcome.LAME_DELEGATION, "response without the question")
    question = msg.question[0]
    if question.name != qname or question.rdtype != qtype or question.rdclass != _IN:
        return Fault(Outcome.LAME_DELEGATION, f"response to another question ({question.name})")
    if msg.flags & dns.flags.TC:
        if tcp:
            return Fault(Outcome.SERVFAIL, "truncated response over TCP")
        return Response(Kind.TRUNCATED)
    rcode = msg.rcode()
    if rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH):
        return Fault(Outcome.LAME_DELEGATION, f"{dns.rcode.to_text(rcode)}: not serving the zone")
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return Fault(Outcome.SERVFAIL, f"rcode {dns.rcode.to_text(rcode)}")
    authoritative = zone is None or bool(msg.flags & dns.flags.AA)
    if rcode == dns.rcode.NXDOMAIN:
        if not authoritative:
            return Fault(Outcome.LAME_DELEGATION, "NXDOMAIN without AA")
        ttl, owner = _negative_ttl(msg)
        if zone is not None and (owner is None or not owner.is_subdomain(zone)):
            return Fault(Outcome.LAME_DELEGATION, "NXDOMAIN without the zone's SOA")
        return Response(Kind.NXDOMAIN, "NXDOMAIN", ttl=ttl, negative_zone=owner)
    wanted = None
    for rrset in msg.answer:
        if rrset.name == qname and rrset.rdtype == qtype and rrset.rdclass == _IN:
            wanted = rrset
        else:  # out of bailiwick or unasked: never used, and never cached
            return Fault(Outcome.LAME_DELEGATION, f"answer holds unasked data ({rrset.name})")
    if wanted is not None:
        if not authoritative:
            return Fault(Outcome.LAME_DELEGATION, "answer without AA")
        return Response(Kind.ANSWER, answer=wanted)
    if zone is not None and not authoritative:
        ns = [r for r in msg.authority if r.rdtype == _NS and r.rdclass == _IN]
        if len(ns) != 1 or not len(ns[0]):
            return Fault(Outcome.LAME_DELEGATION, "neither an answer nor a referral")
        additional = [
            (
                r.name,
                r.rdtype,
                r.ttl,
                [rd.address for rd in r] if r.rdtype in _ADDRESS else [rd.data for rd in r],
            )
            for r in msg.additional
            if r.rdclass == _IN and r.rdtype in _REFERRAL_EXTRA
        ]
        return referral(
            qname, zone, ns[0].name, ns[0].ttl, tuple(rd.target for rd in ns[0]), additional
        )
    ttl, owner = _negative_ttl(msg)
    if zone is not None and (owner is None or not owner.is_subdomain(zone)):
        return Fault(Outcome.LAME_DELEGATION, "NODATA without the zone's SOA")
    if owner is None and any(r.rdtype == _NS and r.rdclass == _IN for r in msg.authority):
        # §12.4.1: NS without SOA is a referral, which a forwarder must never give.
        return Fault(Outcome.LAME_DELEGATION, "a referral from a forwarder")
    return Response(Kind.NODATA, ttl=ttl, negative_zone=owner)


def referral(
    qname: dns.name.Name,
    zone: dns.name.Name,
    cut: dns.name.Name,
    ttl: int,
    names: tuple[dns.name.Name, ...],
    additional: Iterable[tuple[dns.name.Name, int, int, Sequence[str] | Sequence[bytes]]],
) -> Response | Fault:
    """A referral from a server of ``zone`` to ``cut`` (§12.4.1), served by NS records
    ``names`` with TTL ``ttl``: both readers build it here. ``additional`` holds the
    additional section's address and delegation RRsets as (owner, type, TTL, items):
    addresses as text, delegation records as their bytes."""
    if zone.is_subdomain(cut):
        return Fault(Outcome.LOOP, f"referral back up to {cut}")
    if not cut.is_subdomain(zone) or not qname.is_subdomain(cut):
        return Fault(Outcome.LAME_DELEGATION, f"referral out of bailiwick ({cut})")
    glue: dict[dns.name.Name, list[str]] = {}
    owner = delegation_owner(cut, zone)
    delegation = None
    delegation_ttl = 0
    for name, rdtype, rttl, items in additional:
        if rdtype in _ADDRESS and name in names and name.is_subdomain(zone):
            glue.setdefault(name, []).extend(cast(Sequence[str], items))
        elif rdtype == TYPE_DELEGATION and name == owner and len(items) == 1:
            delegation = cast(bytes, items[0])
            delegation_ttl = rttl
    return Response(
        Kind.REFERRAL,
        ttl=ttl,
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
