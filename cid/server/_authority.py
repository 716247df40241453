"""The authoritative answering core of ``cid serve`` (sans-IO): query bytes in, response out.

It holds assembled zones and answers like any authoritative server (RFC 1034
§4.3.2): answers with AA, referrals at zone cuts with glue, NXDOMAIN versus
NODATA with the SOA for negative caching (RFC 2308), REFUSED outside its
zones, EDNS(0) with a 1232-byte UDP payload (RFC 6891), TC when a UDP answer
does not fit. Answers are kept in wire form, keyed by the question, and
reused with the query's id and question spelling patched in (and a query
repeated byte for byte, id aside, is looked up as it is); that cache holds
at most ``2 * _CACHE_BYTES`` (see :class:`_Answers`). NXDOMAIN and REFUSED
answers to plain queries are not cached but made from a template with the
question copied in, so a flood of random names neither fills the cache nor
costs a full parse each.

Statuses (spec/status.md §8) are answered from a table beside the zones, never
from the zones nor the cache: each answer checks, at the time of the answer,
that the status has not expired and that the descriptor it was accepted with is
still the one served at its name, and gives it the TTL ``min(zone TTL, exp -
now)`` (§8.3). A zone may hold copies of the statuses for its secondaries
(cid/server/_live.py); those copies are never answered from. A status file of
the registry is published by assembly with TTL 0, and answered from the zone when
no live status is held at its name.
"""

from __future__ import annotations

import bisect
import contextlib
import struct
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from .._svcb import record_rdata
from ..layout import (
    TYPE_DELEGATION,
    TYPE_DESCRIPTOR,
    TYPE_STATUS,
    UDP_PAYLOAD,
    delegation_owner,
    enum_owner,
)
from ..registry import Image, ImageNodes

__all__ = ["Authority", "Elsewhere", "HeldStatus"]

_NO_EDNS_PAYLOAD: Final = 512
_TCP_MAX: Final = 65535
# Bytes of answers in each of the cache's two generations (a 600-byte answer
# takes about 850 with its key and Python's overheads: ~40,000 per generation).
_CACHE_BYTES: Final = 32 * 1024 * 1024
_ENTRY_OVERHEAD: Final = 120  # two bytes objects and a dict slot, beyond their lengths
_IN: Final = dns.rdataclass.IN
# An OPT record with no options: root owner, type 41, then class (payload),
# TTL (extended rcode, version, flags) and a zero RDLENGTH.
_OPT_HEAD: Final = b"\x00\x00\x29"
# The OPT record of every EDNS answer: payload UDP_PAYLOAD, no flags, no options.
_OPT: Final = _OPT_HEAD + UDP_PAYLOAD.to_bytes(2) + b"\x00" * 6
# QTYPE and QCLASS of a status question, as the cache key ends.
_STATUS_QUESTION: Final = TYPE_STATUS.to_bytes(2) + b"\x00\x01"
# The question types never answered from the cache: a status (of class IN), and
# AXFR and IXFR (a server with a primary sends those elsewhere: Authority.answer).
_TRANSFERS: Final = frozenset({b"\x00\xfc", b"\x00\xfb"})
_UNCACHED: Final = _TRANSFERS | {TYPE_STATUS.to_bytes(2)}
# A cache key's start for the usual EDNS payload (ours or more), by transport (TCP?)
# and the DO bit byte.
_KEY_HEAD: Final = tuple(
    tuple(t + UDP_PAYLOAD.to_bytes(2) + bytes((b,)) for b in range(256)) for t in (b"U", b"T")
)
_bisect_left: Final = bisect.bisect_left
_bisect_right: Final = bisect.bisect_right
_FENCE: Final = 16  # name hashes a step of a zone's fence (a list of ints: 2.5 bytes a name)


def _heads(flags: int, authority: int) -> tuple[tuple[bytes, ...], ...]:
    """The header after the id of a negative answer with ``flags`` (QR, AA, rcode) and
    ``authority`` records, without and with EDNS, by the query's RD and CD bits (x01|x10)."""
    return tuple(
        tuple(
            bytes((flags >> 8 | bits & 0x01, flags & 0xFF | bits & 0x10))
            + struct.pack("!HHHH", 1, 0, authority, edns)
            for bits in range(0x11 + 1)
        )
        for edns in (0, 1)
    )


_REFUSED_HEAD: Final = _heads(0x8000 | dns.rcode.REFUSED, 0)
_NXDOMAIN_HEAD: Final = _heads(0x8400 | dns.rcode.NXDOMAIN, 1)
# A label's length octet in wire form, by length.
_LENGTH: Final = tuple(bytes((n,)) for n in range(256))


@dataclass(frozen=True, slots=True)
class HeldStatus:
    """A status served at one name (spec/status.md §8): its RDATA, its exp, the longest
    TTL (the zone's), and the RDATA of the descriptor it goes with."""

    data: bytes
    expires: int
    ttl: int
    descriptor: bytes

    def ttl_at(self, node: dns.node.Node, now: int) -> int | None:
        """Its TTL if answered at ``now`` beside ``node``'s records, or None when it is not
        answered: expired, or the descriptor served there is another (§8.2)."""
        if now >= self.expires:
            return None
        desc = node.get_rdataset(_IN, TYPE_DESCRIPTOR)
        if desc is None or desc[0].data != self.descriptor:
            return None
        return min(self.ttl, self.expires - now)

    def rdataset(self, node: dns.node.Node, now: int) -> dns.rdataset.Rdataset | None:
        """Its RRset as answered at ``now`` beside ``node``'s records, or None."""
        ttl = self.ttl_at(node, now)
        if ttl is None:
            return None
        return dns.rdataset.from_rdata(ttl, record_rdata(TYPE_STATUS, self.data))


@dataclass(frozen=True, slots=True)
class _Zone:
    zone: dns.zone.Zone
    origin: dns.name.Name
    cuts: frozenset[dns.name.Name]
    soa: dns.rrset.RRset  # with the negative TTL: min(SOA TTL, MINIMUM), RFC 2308 §3
    # Every name with a name below it, in lowercase wire form: an absent one of
    # these is an empty non-terminal (NODATA), any other absent name NXDOMAIN. A
    # set, so that random names cost one lookup, not a scan of the zone; of bytes,
    # not Names, as there are several a descriptor (its capability labels).
    parents: frozenset[bytes]
    # For the wire-form fast path: sorted hash() values of the lowercase wire form
    # of every name that exists (nodes and parents). A name whose hash is absent
    # does not exist; a collision only sends a query down the full path. 8 bytes
    # a name, where a set of names would cost ~150.
    name_hashes: array[int]
    # The negative answer's authority section (the SOA) in wire form, split where
    # a pointer to the origin goes (its offset depends on the question's length).
    soa_wire: tuple[bytes, ...]


def _prepare(zone: dns.zone.Zone) -> _Zone:
    origin = zone.origin
    assert origin is not None
    nodes = zone.nodes
    if isinstance(nodes, ImageNodes):
        # The image's index, and what the nodes written above it add or take away.
        image = nodes.image
        base = _prepare_image(zone, image)
        added = [
            n for n, node in nodes.overlay.items() if node is not None and image.find_name(n) < 0
        ]
        removed = [n for n, node in nodes.overlay.items() if node is None]
        if not added and not removed:
            return base
        return _reprepare(base, zone, [n.derelativize(origin) for n in added],
                          [n.derelativize(origin) for n in removed])  # fmt: skip
    cuts = set()
    tail = origin.to_digestable()
    # Names as tuples of lowercase labels relative to the origin, joined into wire
    # form by hand: dnspython's Name hashing and to_wire cost a minute at 1,000,000.
    above: set[tuple[bytes, ...]] = set()  # the parents, by their labels
    hashes = array("q")
    for name, node in zone.nodes.items():
        rel = name.relativize(origin) if name.is_absolute() else name
        labels = rel.labels
        low = tuple(x.lower() for x in labels)
        hashes.append(hash(b"".join([_LENGTH[len(x)] + x for x in low]) + tail))
        if low and node.get_rdataset(_IN, dns.rdatatype.NS) is not None:
            cuts.add(rel.derelativize(origin))
        for i in range(1, len(low) + 1):
            key = low[i:]
            if key in above:
                break  # and so is every name above it
            above.add(key)
    parents = frozenset(b"".join([_LENGTH[len(x)] + x for x in k]) + tail for k in above)
    hashes.extend(map(hash, parents))
    soa = _negative_soa(zone, origin)
    return _Zone(
        zone,
        origin,
        frozenset(cuts),
        soa,
        parents,
        array("q", sorted(hashes)),
        _soa_wire(soa, origin),
    )


def _prepare_image(zone: dns.zone.Zone, image: Image) -> _Zone:
    """What :func:`_prepare` gives, from a compiled image's index: no node decoded."""
    origin = image.origin
    tail = origin.to_digestable()
    hashes = array("q", [hash(k + tail) for k in image.node_keys()])
    parents = frozenset([k + tail for k in image.parents()])
    hashes.extend(map(hash, parents))
    soa = _negative_soa(zone, origin)
    return _Zone(zone, origin, frozenset(image.cuts()), soa, parents,
                 array("q", sorted(hashes)), _soa_wire(soa, origin))  # fmt: skip


def _reprepare(
    old: _Zone,
    zone: dns.zone.Zone,
    added: Iterable[dns.name.Name],
    removed: Iterable[dns.name.Name],
) -> _Zone:
    """What :func:`_prepare` gives for ``zone``, from ``old``'s index and the nodes that
    changed: a name's hash is in ``name_hashes`` once as a node and once as a parent."""
    origin = old.origin
    parents = set(old.parents)
    hashes = array("q", old.name_hashes)

    def insert(key: bytes) -> None:
        bisect.insort(hashes, hash(key))

    def delete(key: bytes) -> None:
        value = hash(key)
        i = bisect.bisect_left(hashes, value)
        assert i < len(hashes) and hashes[i] == value, key
        del hashes[i]

    for name in removed:
        delete(name.to_digestable())
        above = name
        while above != origin:
            above = above.parent()
            key = above.to_digestable()
            if key not in parents or _has_below(zone, above):
                break  # kept, and so is everything above it
            parents.discard(key)
            delete(key)
    for name in added:
        insert(name.to_digestable())
        for parent in _add_parents(name, origin, parents):
            insert(parent)
    soa = _negative_soa(zone, origin)
    return _Zone(zone, origin, old.cuts, soa, frozenset(parents), hashes, _soa_wire(soa, origin))


def _add_parents(name: dns.name.Name, origin: dns.name.Name, parents: set[bytes]) -> list[bytes]:
    """Add the names above ``name`` up to ``origin`` to ``parents`` (lowercase wire form);
    return those new."""
    new = []
    above = name
    while above != origin and above.is_subdomain(origin):
        above = above.parent()
        key = above.to_digestable()
        if key in parents:
            break  # and so is every name above it
        parents.add(key)
        new.append(key)
    return new


def _negative_soa(zone: dns.zone.Zone, origin: dns.name.Name) -> dns.rrset.RRset:
    """The SOA of negative answers, with TTL min(SOA TTL, MINIMUM) (RFC 2308 §3)."""
    soa_rds = zone.get_rdataset(origin, dns.rdatatype.SOA)
    if soa_rds is None:
        raise ValueError(f"zone {origin} has no SOA")
    soa = _rrset(origin, soa_rds)
    soa.ttl = min(soa_rds.ttl, soa_rds[0].minimum)
    return soa


def _has_below(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    """Whether ``zone`` has a node strictly below ``name`` (absolute)."""
    assert zone.origin is not None
    rel = name.relativize(zone.origin)
    with contextlib.suppress(dns.name.NameTooLong):
        if enum_owner(rel) in zone.nodes:
            return True  # the listing of its children: the usual case, one lookup
    # Otherwise look at every node: only when the last name below a node goes.
    if rel == dns.name.empty:
        return any(n != rel for n in zone.nodes)
    return any(n != rel and n.is_subdomain(rel) for n in zone.nodes)


def _soa_wire(soa: dns.rrset.RRset, origin: dns.name.Name) -> tuple[bytes, ...]:
    """The SOA record as segments to join with a pointer to the origin: the owner
    is the origin, and MNAME and RNAME end in it when they are inside the zone."""
    rdata = [b""]
    record = soa[0]
    for name in (record.mname, record.rname):
        if name.is_subdomain(origin):
            rdata[-1] += b"".join(len(x).to_bytes(1) + x for x in name.relativize(origin).labels)
            rdata.append(b"")  # a pointer to the origin ends the name
        else:
            rdata[-1] += name.to_wire()
    rdata[-1] += struct.pack(
        "!IIIII", record.serial, record.refresh, record.retry, record.expire, record.minimum
    )
    length = sum(map(len, rdata)) + 2 * (len(rdata) - 1)
    fixed = struct.pack("!HHIH", dns.rdatatype.SOA, _IN, soa.ttl, length)
    return (b"", fixed + rdata[0], *rdata[1:])


class _Answers:
    """The answer cache, bounded: two generations of at most ``_CACHE_BYTES`` each.

    When the young generation is full it becomes the old one and the oldest is
    dropped; a hit in the old generation moves the answer back to the young one.
    So answers in use stay and one-off questions pass through, for a dict lookup
    a hit (an LRU's bound, without its bookkeeping).
    """

    __slots__ = ("_bytes", "_old", "_young")

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._young: dict[bytes, bytes] = {}
        self._old: dict[bytes, bytes] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._young) + len(self._old)

    def get(self, key: bytes) -> bytes | None:
        found = self._young.get(key)
        if found is None:
            found = self._old.pop(key, None)
            if found is not None:
                self.put(key, found)
        return found

    def put(self, key: bytes, answer: bytes) -> None:
        size = len(key) + len(answer) + _ENTRY_OVERHEAD
        if self._bytes + size > _CACHE_BYTES:
            self._old, self._young, self._bytes = self._young, {}, 0
        self._young[key] = answer
        self._bytes += size


# A zone (None for a cut), its negative answer's SOA record by the offset of the
# origin in the question (filled as asked), and every _FENCE-th of its name hashes.
_Stop = tuple[_Zone | None, dict[int, bytes], list[int]]


class _Stops:
    """Where the fast negative path stops walking up a name: every zone origin and
    every cut by wire form (a :data:`_Stop` each) and the lengths they come in; made
    for one ``_wire_zones`` (``of``), from the last one's for zones that did not change.

    ``bisect`` over an ``array`` makes an int of each item it looks at (about 1 us in
    a zone of 5,000 names); over the fence, a list, it only compares, and leaves the
    array a step of ``_FENCE`` items (4 looks).
    """

    __slots__ = ("lengths", "longest", "named", "of")
    named: dict[bytes, _Stop]

    def __init__(
        self, zones: dict[bytes, _Zone], cuts: frozenset[bytes], before: _Stops | None
    ) -> None:
        self.of = zones
        named: dict[bytes, _Stop] = {c: (None, {}, []) for c in cuts}
        for origin, zone in zones.items():  # an apex is no cut of its own
            kept = before.named.get(origin) if before is not None else None
            if kept is not None and kept[0] is zone:
                named[origin] = kept  # this zone did not change
            else:
                named[origin] = (zone, {}, zone.name_hashes[::_FENCE].tolist())
        self.named = named
        self.lengths = frozenset(map(len, named))
        self.longest = max(self.lengths, default=0)


class Authority:
    """Answers DNS queries for a set of zones; swap the zones with :meth:`load`."""

    _stops: _Stops | None = None  # made at the first query after the zones change

    def __init__(
        self, zones: Iterable[dns.zone.Zone] = (), *, clock: Callable[[], float] = time.time
    ) -> None:
        prepared = {z.origin: z for z in map(_prepare, zones)}
        self._zones = prepared
        self._wire_zones = {o.to_digestable(): z for o, z in prepared.items()}
        # Every zone's cuts at once: a query meeting one below its zone's origin
        # takes the full path, which is never wrong.
        self._wire_cuts = frozenset(c.to_digestable() for z in prepared.values() for c in z.cuts)
        self._cache = _Answers()
        # Plain ints, read by the metrics at scrape time (cid/server/_metrics.py).
        self.cache_hits = 0  # answers taken from the cache
        self.cache_misses = 0  # answers made in full, then cached
        # Statuses by owner name (spec/status.md §8), and the clock their TTLs follow.
        self.statuses: dict[dns.name.Name, HeldStatus] = {}
        self.clock = clock

    def load(self, zones: Iterable[dns.zone.Zone]) -> None:
        """Replace every zone at once and forget every cached answer."""
        self.adopt(Authority(zones))

    def adopt(self, other: Authority) -> None:
        """Serve ``other``'s zones from now on, forgetting every cached answer: indexing
        a large zone takes a while, so a server builds ``other`` off its event loop."""
        # On the thread that answers: between two queries, all of it changes.
        self._zones, self._wire_zones = other._zones, other._wire_zones
        self._wire_cuts = other._wire_cuts
        self._cache = _Answers()

    @property
    def origins(self) -> list[dns.name.Name]:
        return sorted(self._zones)

    @property
    def cache_entries(self) -> int:
        """Answers in the cache now."""
        return len(self._cache)

    # --------------------------------------------------------------- answer

    def answer(self, wire: bytes, *, tcp: bool = False, queries: bool = False) -> bytes | None:
        """The response to one query message, or None to drop it (not even a header).

        With ``queries``, a message that may be an UPDATE or a zone transfer raises
        :class:`Elsewhere` instead: any not in the plain form the cache serves (one
        question, at most an option-less OPT), and every QTYPE AXFR or IXFR. The
        server then asks ``is_update``/``is_transfer``; a plain query costs no more.
        """
        cache = self._cache
        # The very message answered before but for its id (a resolver asks alike
        # each time): the same answer, for a lookup and no parsing at all.
        same = (b"t" if tcp else b"u") + wire[2:]
        seen = cache.get(same)
        if seen is not None:
            self.cache_hits += 1
            return wire[:2] + seen[2:]
        key = _cache_key(wire, tcp)
        if key is None:
            if queries:
                raise Elsewhere
            return self._answer_slow(wire, tcp)
        qtype = key[-4:-2]
        if qtype in _UNCACHED:
            if qtype in _TRANSFERS:  # of any class, as is_transfer
                if queries:
                    raise Elsewhere
                return self._answer_slow(wire, tcp)  # not cached: "same" never holds one
            if key.endswith(_STATUS_QUESTION):  # its TTL is of the moment: never cached
                return self._negative(wire, key) or self._answer_slow(wire, tcp)
        cached = cache.get(key)
        if cached is not None:
            self.cache_hits += 1
            response = _patch(cached, wire)
        else:
            negative = self._negative(wire, key)
            if negative is not None:
                return negative  # not cached: random names must not fill the cache
            fresh = self._answer_slow(wire, tcp)
            if fresh is None:
                return None
            cache.put(key, fresh)
            self.cache_misses += 1
            response = fresh
        # Only lowercase questions: a resolver randomising case (0x20) never
        # repeats a message, and would fill the cache with them.
        question = key[2:] if key[1:2] == b"-" else key[4:]
        if wire[12 : 12 + len(question)] == question:
            cache.put(same, response)
        return response

    def _negative(self, wire: bytes, key: bytes) -> bytes | None:
        """NXDOMAIN or REFUSED for a plain query (``key`` from :func:`_cache_key`) from
        the wire alone, or None when the name exists, sits at or below a cut, or the
        answer would not fit: then the full path decides (and caches)."""
        if key[1] == 0x2D:  # "-": no EDNS
            qname, opt, limit, edns = key[2:-4], b"", _NO_EDNS_PAYLOAD, 0
        else:
            qname, opt, limit, edns = key[4:-4], _OPT, key[1] << 8 | key[2], 1
        if key[0] == 0x54:  # "T"
            limit = _TCP_MAX
        stops = self._stops
        if stops is None or stops.of is not self._wire_zones:
            stops = self._stops = _Stops(self._wire_zones, self._wire_cuts, stops)
        n = len(qname)
        found = None
        at = 0
        if key[-2:] == b"\x00\x01":  # class IN; any other is REFUSED too
            # The deepest zone origin or cut that ends qname: labels are skipped while
            # longer than every one, then a suffix is looked up only where as many
            # bytes are left as one of them has (a set of a few ints).
            longest, lengths, named = stops.longest, stops.lengths, stops.named
            skip = n - longest
            while at < skip:
                at += qname[at] + 1
            while True:
                if n - at in lengths:
                    found = named.get(qname[at:])
                    if found is not None:
                        break
                length = qname[at]
                if not length:
                    break  # the root, and no zone
                at += length + 1
        echo = wire[12 : n + 16]  # the question as spelled
        bits = wire[2] & 0x01 | wire[3] & 0x10  # RD and CD, copied
        if found is None:
            return wire[:2] + _REFUSED_HEAD[edns][bits] + echo + opt
        zone, soa_at, fence = found
        if zone is None:
            return None  # a referral (or a zone cut to look at closely)
        hashes = zone.name_hashes
        h = hash(qname)
        step = _bisect_right(fence, h)  # h is in the step before, if anywhere
        if step:
            lo = (step - 1) * _FENCE
            hi = lo + _FENCE
            i = _bisect_left(hashes, h, lo, hi if hi < len(hashes) else len(hashes))
            if i < len(hashes) and hashes[i] == h:
                return None  # the name exists, or a collision: NODATA or an answer
        soa = soa_at.get(at)
        if soa is None:  # with a pointer to the origin, as it sits in this question
            soa = soa_at[at] = (0xC000 | (12 + at)).to_bytes(2).join(zone.soa_wire)
        response = wire[:2] + _NXDOMAIN_HEAD[edns][bits] + echo + soa + opt
        return response if len(response) <= limit else None

    def _answer_slow(self, wire: bytes, tcp: bool) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.message.ShortHeader:
            return None
        except dns.exception.DNSException:
            return formerr(wire)
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
            if qname.to_digestable() in zone.parents:
                response.authority.append(zone.soa)  # an empty non-terminal: NODATA
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
                response.authority.append(zone.soa)
            return
        if qtype == TYPE_STATUS:
            held = self.statuses.get(qname)
            found = held.rdataset(node, int(self.clock())) if held is not None else None
            if held is None:
                # A status file of the registry (status/*.cose), published by assembly
                # with TTL 0 while valid (the zone is assembled again at its exp); the
                # copies kept for secondaries have a TTL and are never answered from.
                static = node.get_rdataset(_IN, TYPE_STATUS)
                found = static if static is not None and static.ttl == 0 else None
            rdatasets = [found] if found is not None else []
        elif qtype == dns.rdatatype.ANY:  # RFC 8482: one RRset is enough (not a status)
            rdatasets = [r for r in node.rdatasets if r.rdtype != TYPE_STATUS][:1]
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

    def zone(self, origin: dns.name.Name) -> dns.zone.Zone | None:
        """The zone served at ``origin``, if any (not to be changed: copy it)."""
        found = self._zones.get(origin)
        return None if found is None else found.zone

    def replace_zone(self, zone: dns.zone.Zone) -> None:
        """Replace (or add) one zone, the others untouched, and forget every cached answer.

        For live registrations (spec §8.8): one zone changes, the rest need no new preparation.
        """
        self._swap(_prepare(zone))

    def patch_zone(
        self,
        zone: dns.zone.Zone,
        added: Iterable[dns.name.Name],
        removed: Iterable[dns.name.Name],
    ) -> None:
        """Serve ``zone``, a copy of a served zone that differs from it by the nodes
        ``added`` and ``removed`` (absolute names): only those are indexed again."""
        assert zone.origin is not None
        self._swap(_reprepare(self._zones[zone.origin], zone, added, removed))

    def _swap(self, prepared: _Zone) -> None:
        zones = {**self._zones, prepared.origin: prepared}
        self._zones = zones
        self._wire_zones = {o.to_digestable(): z for o, z in zones.items()}
        self._wire_cuts = frozenset(c.to_digestable() for z in zones.values() for c in z.cuts)
        self._cache = _Answers()


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


def formerr(wire: bytes) -> bytes | None:
    if len(wire) < 12:
        return None
    (flags,) = struct.unpack_from("!H", wire, 2)
    if flags & 0x8000:
        return None
    # id, QR + opcode copied + RD copied, rcode FORMERR, no sections
    out_flags = 0x8000 | (flags & 0x7800) | (flags & 0x0100) | dns.rcode.FORMERR
    return wire[:2] + struct.pack("!HHHHH", out_flags, 0, 0, 0, 0)


# ------------------------------------------------------------------ fast path


class Elsewhere(Exception):  # control flow, not an error: not a CidError
    """Raised by ``Authority.answer(queries=True)`` for a message it leaves to others."""


def _cache_key(wire: bytes, tcp: bool) -> bytes | None:
    """The question as a cache key (name lowercased), or None when the query is not
    the plain kind the cache serves: one question, no other records but an
    option-less OPT."""
    if wire[4:10] != b"\x00\x01\x00\x00\x00\x00" or wire[2] & 0xF8:
        return None  # not exactly one question, QR set, or opcode not QUERY
    i = 12
    try:
        length = wire[12]
        while length:
            if length > 63:
                return None  # compression in a question: leave it to the parser
            i += length + 1
            length = wire[i]
    except IndexError:
        return None  # cut short
    end = i + 5  # root label, QTYPE, QCLASS
    n = len(wire)
    if wire[10:12] == b"\x00\x00":
        if end != n:
            return None
        head = b"T-" if tcp else b"U-"
    elif n == end + 11 and wire[10:12] == b"\x00\x01":
        opt = wire[end:]
        if opt[:3] != _OPT_HEAD or opt[5:7] != b"\x00\x00" or opt[9:] != b"\x00\x00":
            return None  # not an OPT, extended rcode, version or option data: the full path
        size = opt[3] << 8 | opt[4]
        # The payload as answered (at least 512, at most ours) and the DO bit byte.
        if size >= UDP_PAYLOAD:
            head = _KEY_HEAD[tcp][opt[7]]
        else:
            head = (b"T" if tcp else b"U") + max(_NO_EDNS_PAYLOAD, size).to_bytes(2) + opt[7:8]
    else:
        return None
    return head + wire[12:end].lower()


def _patch(cached: bytes, wire: bytes) -> bytes:
    """The cached response with this query's id, RD and CD bits and question spelling."""
    end = 12 + (len(wire) - 12 - (11 if wire[10:12] == b"\x00\x01" else 0))
    flags2 = (cached[2] & 0xFE) | (wire[2] & 0x01)  # RD
    flags3 = (cached[3] & 0xEF) | (wire[3] & 0x10)  # CD
    return wire[:2] + bytes((flags2, flags3)) + cached[4:12] + wire[12:end] + cached[end:]
