"""Bulk assembly (sans-IO): every descriptor of a zone at once, for :func:`~._zone.assemble`.

The fast path beside the reference, :func:`~._zone.publish_descriptor`, which
puts one descriptor in (live registrations patch with it): the same records,
TTLs and enumeration tree, built without dnspython's per-object checks. Names
are handled as tuples of labels until the end, dnspython objects are made
directly from values this module has checked itself (label lengths, name
length, the zone's origin and cuts), and SVCB rdatasets are copied from one
made per set of endpoints rather than built and hashed again. At 100,000
descriptors that is several times faster; tests/cid/registry/test_bulk.py
holds the two paths together.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Final

import dns.name
import dns.node
import dns.rdata
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.TXT
import dns.zone

from .._descriptor import Endpoint
from .._identifier import Identifier
from .._svcb import svcb_rdata
from ..layout import ENUM_LABEL, TXT_TAG, TYPE_DESCRIPTOR

__all__ = ["Bulk"]

_IN: Final = dns.rdataclass.IN
_DESCRIPTOR: Final = dns.rdatatype.RdataType.make(TYPE_DESCRIPTOR)
_new = object.__new__
_set = object.__setattr__

Labels = tuple[bytes, ...]


def new_name(labels: Labels) -> dns.name.Name:
    """A Name of labels already checked (each 1-63 octets, the last empty, at most
    255 octets in all): dnspython's constructor checks and copies them again."""
    name = _new(dns.name.Name)
    _set(name, "labels", labels)
    return name


def _rdata(cls: type[dns.rdata.Rdata], rdtype: int, attr: str, value: object) -> dns.rdata.Rdata:
    """An rdata of ``cls`` holding ``value`` (checked by the caller), made directly."""
    rd = _new(cls)
    _set(rd, "rdclass", _IN)
    _set(rd, "rdtype", rdtype)
    _set(rd, "rdcomment", None)
    _set(rd, attr, value)
    return rd


def copy_strings(data: bytes) -> tuple[bytes, ...]:
    """The strings of a signed record's TXT copy: a tag, then base64 in 255-octet strings."""
    encoded = base64.b64encode(data)
    return (TXT_TAG, *(encoded[i : i + 255] for i in range(0, len(encoded), 255)))


class TxtCopy(dns.rdtypes.ANY.TXT.TXT):
    """The TXT copy of a signed record (spec §6) that holds the record's bytes (the
    TYPE65280 rdata's own object) and makes its strings when they are read: an
    answer's cache miss, a transfer, an export. Holding the base64 strings would
    cost about 800 bytes a descriptor, a quarter of the zone."""

    __slots__ = ["signed"]
    signed: bytes

    @property
    def strings(self) -> tuple[bytes, ...]:  # type: ignore[override]
        return copy_strings(self.signed)

    def __setstate__(self, state: dict[str, object]) -> None:
        # Copies and pickles carry the strings too: they are made, never set.
        kept = {k: v for k, v in state.items() if k != "strings"}
        super().__setstate__(kept)  # type: ignore[no-untyped-call]

    def __hash__(self) -> int:
        # dnspython's: of the wire form (each string after its length), without
        # going through to_wire (an rdataset is a set: every record put in is hashed).
        return hash(b"".join(bytes((len(x),)) + x for x in copy_strings(self.signed)))


class _Ptr(dns.rdtypes.ANY.PTR.PTR):
    """A PTR record of the enumeration tree (§4), hashed as dnspython hashes it (its
    canonical wire form: the target's labels lowercased) from the labels directly:
    dnspython's to_wire makes a Name for every label, and hashing the tree's records
    that way was a tenth of assembling a zone."""

    __slots__ = ()

    def __hash__(self) -> int:
        labels = self.target.labels
        if not labels or labels[-1]:  # a relative target: dnspython's own way
            return int(super().__hash__())  # type: ignore[no-untyped-call]
        return hash(b"".join(bytes((len(x),)) + x.lower() for x in labels))


def _fits(labels: Labels) -> bool:
    return all(0 < len(x) < 64 for x in labels[:-1]) and sum(map(len, labels)) + len(labels) <= 255


class Bulk:
    """Descriptors and cuts going into one zone; :meth:`finish` lists the tree (§4)."""

    def __init__(self, zone: dns.zone.Zone, root: str, cuts: Sequence[dns.name.Name]) -> None:
        assert zone.origin is not None and zone.relativize
        self.zone = zone
        self.root = root
        self.origin = zone.origin
        self._olow: Labels = tuple(x.lower() for x in zone.origin.labels)
        self._cuts = frozenset(tuple(x.lower() for x in c.labels) for c in cuts)
        self._shared: dict[bytes, bytes] = {}  # labels recur (regions, architectures)
        self._svcb: dict[Endpoint, dns.rdata.Rdata | None] = {}
        self._svcb_sets: dict[tuple[Endpoint, ...], dns.rdataset.Rdataset | None] = {}
        # The enumeration tree: lowercase labels of a node -> of the nodes below it,
        # and the Name each is listed by (the first one met, as a set of Names keeps).
        self._below: dict[Labels, set[Labels]] = {}
        self._names: dict[Labels, dns.name.Name] = {}

    def owner(self, subject: Identifier) -> Labels:
        """The owner name of ``subject``'s descriptor, lowercase, its labels shared."""
        text = subject.to_dns_name(self.root)
        shared = self._shared
        if text.isascii() and "\\" not in text:
            parts = text.rstrip(".").encode().split(b".")
            labels = (*(shared.setdefault(x, x) for x in parts), b"")
            if _fits(labels):
                return labels
        # Anything unusual: dnspython's parser, and its error.
        name = dns.name.from_text(text.rstrip(".") + ".")
        return tuple(shared.setdefault(x, x) for x in name.labels)

    def inside(self, labels: Labels) -> bool:
        """Whether ``labels`` (lowercase) is at or below the origin and not at or below a cut."""
        depth = len(self._olow)
        if labels[len(labels) - depth :] != self._olow:
            return False
        cuts = self._cuts
        return not cuts or not any(labels[i:] in cuts for i in range(len(labels) - depth))

    def descriptor(self, labels: Labels, data: bytes, endpoints: tuple[Endpoint, ...],
                   capabilities: int, ttl: int, txt: bool) -> bool:  # fmt: skip
        """Put one descriptor's records at ``labels``; False when a node is already there
        (the caller takes the reference path)."""
        olen = len(self._olow)
        rel = new_name(labels[: len(labels) - olen])
        nodes = self.zone.nodes
        if rel in nodes or len(labels) == olen:
            return False
        node = dns.node.Node()  # type: ignore[no-untyped-call]
        rds = dns.rdataset.Rdataset(_IN, _DESCRIPTOR, ttl=ttl)
        rds.items[_rdata(dns.rdata.GenericRdata, _DESCRIPTOR, "data", data)] = None
        node.rdatasets.append(rds)
        svcb = self._svcb_set(endpoints)
        if svcb is not None:
            # A copy: the items' hashes are copied, not computed again.
            rds = svcb.copy()  # type: ignore[no-untyped-call]
            rds.ttl = ttl
            node.rdatasets.append(rds)
        if txt:
            rds = dns.rdataset.Rdataset(_IN, dns.rdatatype.TXT, ttl=ttl)
            rds.items[_rdata(TxtCopy, dns.rdatatype.TXT, "signed", data)] = None
            node.rdatasets.append(rds)
        nodes[rel] = node
        self.path(labels, capabilities)
        return True

    def _svcb_set(self, endpoints: tuple[Endpoint, ...]) -> dns.rdataset.Rdataset | None:
        if endpoints in self._svcb_sets:
            return self._svcb_sets[endpoints]
        rds = dns.rdataset.Rdataset(_IN, dns.rdatatype.SVCB)
        for endpoint in endpoints:
            if endpoint not in self._svcb:
                self._svcb[endpoint] = svcb_rdata(endpoint)
            rdata = self._svcb[endpoint]
            if rdata is not None:  # an address host has no SVCB mirror (spec §3.5)
                rds.add(rdata)
        self._svcb_sets[endpoints] = found = rds if rds else None
        return found

    def path(self, labels: Labels, capabilities: int) -> None:
        """Add a descriptor's path (:func:`~._zone.enum_path`) to the tree."""
        olen = len(self._olow)
        start = labels[capabilities:]
        if len(start) < olen or start[len(start) - olen :] != self._olow:
            start = labels[len(labels) - olen :]  # the arch node is not in the zone
        self._link(labels, start)
        while len(start) > olen:
            self._link(start, start[1:])
            start = start[1:]

    def cut(self, child: dns.name.Name) -> None:
        """Add a cut's path: the cut, then each node above it up to the origin."""
        olen = len(self._olow)
        labels = tuple(x.lower() for x in child.labels)
        self._names.setdefault(labels, child)
        while len(labels) > olen:
            self._link(labels, labels[1:])
            labels = labels[1:]

    def _link(self, child: Labels, parent: Labels) -> None:
        names = self._names
        if child not in names:
            names[child] = new_name(child)
        self._below.setdefault(parent, set()).add(child)

    def finish(self, ttl: int) -> None:
        """List each node's children in PTR records at ``__enum.<node>`` (§4), in DNS
        order, but not at or below a cut, nor for a node too deep to list."""
        olen = len(self._olow)
        cuts, names, nodes = self._cuts, self._names, self.zone.nodes
        for parent, below in self._below.items():
            if any(parent[i:] in cuts for i in range(len(parent) - olen)):
                continue
            owner = (ENUM_LABEL, *parent)
            if not _fits(owner):
                continue  # a node too deep to list (spec/resolution.md §4): not enumerated
            rds = dns.rdataset.Rdataset(_IN, dns.rdatatype.PTR, ttl=ttl)
            for child in sorted(below, key=_dns_order):
                ptr = _rdata(_Ptr, dns.rdatatype.PTR, "target", names[child])
                rds.items[ptr] = None
            rel = new_name(owner[: len(owner) - olen])
            node = nodes.get(rel)
            if node is None:
                node = nodes[rel] = dns.node.Node()  # type: ignore[no-untyped-call]
            found = node.get_rdataset(_IN, dns.rdatatype.PTR)
            if found is None:
                node.rdatasets.append(rds)
            else:  # pragma: no cover - nothing else puts PTR records there
                found.union_update(rds)  # type: ignore[no-untyped-call]


def _dns_order(labels: Labels) -> Labels:
    # RFC 4034 §6.1: labels compared right to left, lowercase, as octet strings.
    return labels[::-1]
