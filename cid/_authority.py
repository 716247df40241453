"""The authoritative answering core of ``cid serve`` (sans-IO): query bytes in, response out.

It holds assembled zones and answers like any authoritative server (RFC 1034
§4.3.2): answers with AA, referrals at zone cuts with glue, NXDOMAIN versus
NODATA with the SOA for negative caching (RFC 2308), REFUSED outside its
zones, EDNS(0) with a 1232-byte UDP payload (RFC 6891), TC when a UDP answer
does not fit. Answers are kept in wire form, keyed by the question, and
reused with the query's id and question spelling patched in.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from ._layout import TYPE_DELEGATION, UDP_PAYLOAD, delegation_owner

__all__ = ["Authority"]

_NO_EDNS_PAYLOAD: Final = 512
_TCP_MAX: Final = 65535
_CACHE_LIMIT: Final = 100_000
_IN: Final = dns.rdataclass.IN
# An OPT record with no options: root owner, type 41, then class (payload),
# TTL (extended rcode, version, flags) and a zero RDLENGTH.
_OPT_HEAD: Final = b"\x00\x00\x29"


@dataclass(frozen=True, slots=True)
class _Zone:
    zone: dns.zone.Zone
    origin: dns.name.Name
    cuts: frozenset[dns.name.Name]
    soa: dns.rrset.RRset  # with the negative TTL: min(SOA TTL, MINIMUM), RFC 2308 §3
    # Every name with a name below it: an absent one of these is an empty
    # non-terminal (NODATA), any other absent name NXDOMAIN. A set, so that
    # random names cost one lookup, not a scan of the zone.
    parents: frozenset[dns.name.Name]


def _prepare(zone: dns.zone.Zone) -> _Zone:
    origin = zone.origin
    assert origin is not None
    cuts = set()
    parents: set[dns.name.Name] = set()
    for name, node in zone.nodes.items():
        absolute = name.derelativize(origin)
        if absolute != origin and node.get_rdataset(_IN, dns.rdatatype.NS) is not None:
            cuts.add(absolute)
        above = absolute
        while above != origin and above.is_subdomain(origin):
            above = above.parent()
            if above in parents:
                break
            parents.add(above)
    soa_rds = zone.get_rdataset(origin, dns.rdatatype.SOA)
    if soa_rds is None:
        raise ValueError(f"zone {origin} has no SOA")
    soa = _rrset(origin, soa_rds)
    soa.ttl = min(soa_rds.ttl, soa_rds[0].minimum)
    return _Zone(zone, origin, frozenset(cuts), soa, frozenset(parents))


class Authority:
    """Answers DNS queries for a set of zones; swap the zones with :meth:`load`."""

    def __init__(self, zones: Iterable[dns.zone.Zone] = ()) -> None:
        self._zones: dict[dns.name.Name, _Zone] = {}
        self._cache: dict[bytes, bytes] = {}
        self.load(zones)

    def load(self, zones: Iterable[dns.zone.Zone]) -> None:
        """Replace every zone at once and forget every cached answer."""
        prepared = {z.origin: z for z in map(_prepare, zones)}
        # One assignment each: a query sees the old state or the new one.
        self._zones = prepared
        self._cache = {}

    @property
    def origins(self) -> list[dns.name.Name]:
        return sorted(self._zones)

    # --------------------------------------------------------------- answer

    def answer(self, wire: bytes, *, tcp: bool = False) -> bytes | None:
        """The response to one query message, or None to drop it (not even a header)."""
        key = _cache_key(wire, tcp)
        if key is not None:
            cached = self._cache.get(key)
            if cached is not None:
                return _patch(cached, wire)
        response = self._answer_slow(wire, tcp)
        if response is not None and key is not None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = response
        return response

    def _answer_slow(self, wire: bytes, tcp: bool) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.message.ShortHeader:
            return None
        except dns.exception.DNSException:
            return _formerr(wire)
        if query.flags & dns.flags.QR:
            return None  # a response: never answer one (no reflection loops)
        response = dns.message.make_response(query, our_payload=UDP_PAYLOAD)
        response.flags &= ~dns.flags.RA
        if query.edns > 0:
            response.use_edns(0, 0, UDP_PAYLOAD)
            response.set_rcode(dns.rcode.BADVERS)
            return _wire(response, query, tcp)
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
        elif len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
        else:
            self._resolve(query.question[0], response)
        return _wire(response, query, tcp)

    def _resolve(self, question: dns.rrset.RRset, response: dns.message.Message) -> None:
        qname, qtype = question.name, question.rdtype
        if question.rdclass != _IN:
            response.set_rcode(dns.rcode.REFUSED)
            return
        zone = self._find_zone(qname)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return
        # A cut at or above qname (below the origin) means a referral.
        name = qname
        while name != zone.origin:
            if name in zone.cuts:
                self._referral(zone, name, response)
                return
            name = name.parent()
        response.flags |= dns.flags.AA
        node = zone.zone.get_node(qname)
        if node is None:
            if qname in zone.parents:
                response.authority.append(zone.soa)  # an empty non-terminal: NODATA
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
                response.authority.append(zone.soa)
            return
        if qtype == dns.rdatatype.ANY:  # RFC 8482: one RRset is enough
            rdatasets = list(node.rdatasets)[:1]
        else:
            found = node.get_rdataset(_IN, qtype)
            rdatasets = [found] if found is not None else []
        if not rdatasets:
            response.authority.append(zone.soa)
            return
        for rds in rdatasets:
            rrset = _rrset(qname, rds)
            response.answer.append(rrset)

    def _referral(self, zone: _Zone, cut: dns.name.Name, response: dns.message.Message) -> None:
        ns = zone.zone.get_rdataset(cut, dns.rdatatype.NS)
        assert ns is not None
        rrset = _rrset(cut, ns)
        response.authority.append(rrset)
        for record in ns:
            target = record.target
            if not target.is_subdomain(zone.origin):
                continue
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                glue = zone.zone.get_rdataset(target, rdtype)
                if glue is not None:
                    g = _rrset(target, glue)
                    response.additional.append(g)
        # The signed delegation rides along, saving a UCID resolver one query;
        # other resolvers ignore it (spec/resolution.md §8.2).
        owner = delegation_owner(cut, zone.origin)
        deleg = zone.zone.get_rdataset(owner, TYPE_DELEGATION)
        if deleg is not None:
            d = _rrset(owner, deleg)
            response.additional.append(d)

    def _find_zone(self, qname: dns.name.Name) -> _Zone | None:
        name = qname
        while True:
            zone = self._zones.get(name)
            if zone is not None:
                return zone
            if name == dns.name.root:
                return None
            name = name.parent()

    def replace_zone(self, zone: dns.zone.Zone) -> None:
        """Replace (or add) one zone, the others untouched, and forget every cached answer.

        For live registrations (spec §8.8): one zone changes, the rest need no new preparation.
        """
        prepared = _prepare(zone)
        self._zones = {**self._zones, prepared.origin: prepared}
        self._cache = {}


def _rrset(name: dns.name.Name, rds: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rds.ttl, list(rds))


def _payload(query: dns.message.Message, tcp: bool) -> int:
    if tcp:
        return _TCP_MAX
    if query.edns < 0:
        return _NO_EDNS_PAYLOAD
    return max(_NO_EDNS_PAYLOAD, min(query.payload, UDP_PAYLOAD))


def _wire(response: dns.message.Message, query: dns.message.Message, tcp: bool) -> bytes:
    return response.to_wire(max_size=_payload(query, tcp), prefer_truncation=True)


def _formerr(wire: bytes) -> bytes | None:
    if len(wire) < 12:
        return None
    (flags,) = struct.unpack_from("!H", wire, 2)
    if flags & 0x8000:
        return None
    # id, QR + opcode copied + RD copied, rcode FORMERR, no sections
    out_flags = 0x8000 | (flags & 0x7800) | (flags & 0x0100) | dns.rcode.FORMERR
    return wire[:2] + struct.pack("!HHHHH", out_flags, 0, 0, 0, 0)


# ------------------------------------------------------------------ fast path


def _cache_key(wire: bytes, tcp: bool) -> bytes | None:
    """The question as a cache key (name lowercased), or None when the query is not
    the plain kind the cache serves: one question, no other records but an
    option-less OPT."""
    n = len(wire)
    if n < 17 or wire[2] & 0xF8 or wire[4:10] != b"\x00\x01\x00\x00\x00\x00":
        return None  # QR set, opcode not QUERY, or not exactly one question
    i = 12
    while True:
        if i >= n:
            return None
        length = wire[i]
        if length == 0:
            break
        if length > 63:
            return None  # compression in a question: leave it to the parser
        i += length + 1
    end = i + 5  # root label, QTYPE, QCLASS
    if end > n:
        return None
    arcount = wire[10:12]
    if arcount == b"\x00\x00":
        if end != n:
            return None
        edns = b"-"
    elif arcount == b"\x00\x01" and n == end + 11 and wire[end : end + 3] == _OPT_HEAD:
        if wire[end + 5 : end + 7] != b"\x00\x00" or wire[end + 9 : end + 11] != b"\x00\x00":
            return None  # extended rcode, version or option data: the full path
        size = max(_NO_EDNS_PAYLOAD, min(int.from_bytes(wire[end + 3 : end + 5]), UDP_PAYLOAD))
        edns = size.to_bytes(2) + wire[end + 7 : end + 8]  # payload and the DO bit byte
    else:
        return None
    return (b"T" if tcp else b"U") + edns + wire[12:end].lower()


def _patch(cached: bytes, wire: bytes) -> bytes:
    """The cached response with this query's id, RD and CD bits and question spelling."""
    end = 12 + (len(wire) - 12 - (11 if wire[10:12] == b"\x00\x01" else 0))
    flags2 = (cached[2] & 0xFE) | (wire[2] & 0x01)  # RD
    flags3 = (cached[3] & 0xEF) | (wire[3] & 0x10)  # CD
    return wire[:2] + bytes((flags2, flags3)) + cached[4:12] + wire[12:end] + cached[end:]
