"""The journal of a served zone's changes, for IXFR (RFC 1995; spec/resolution.md §9.1). Sans-IO.

Each change from one version of a zone to the next is kept as a
:class:`Change`: the SOA before and after, and the records removed and added
(the SOA aside), as RFC 1995 §4 sends them. :func:`difference` finds them,
looking only at the nodes a patch wrote when it is told which, else at every
node (skipping, by identity, the nodes two versions share). :class:`Journal`
keeps the newest changes up to a bound on their records, so that a
secondary a few versions behind gets only what changed, and one further
behind, or unknown, the whole zone (AXFR). :func:`apply` makes the next
version from the last and a change, as a secondary does; the tests hold
``apply(old, difference(old, new)) == new``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

import dns.name
import dns.node
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from ..registry import changed_nodes
from ._update_fast import HashedName

__all__ = ["JOURNAL_CHANGES", "JOURNAL_RECORDS", "Change", "Journal", "apply", "difference"]

#: The journal of one zone holds at most this many records, removed and added together:
#: about a thousand registrations (each a descriptor, its SVCB and TXT copies, and its
#: listing, in and out), some tens of MB at most.
JOURNAL_RECORDS: Final = 100_000
#: ... and at most this many changes.
JOURNAL_CHANGES: Final = 10_000
_IN: Final = dns.rdataclass.IN
_SOA: Final = dns.rdatatype.SOA


@dataclass(frozen=True, slots=True)
class Change:
    """One version of a zone to the next: SOA before and after, records out and in."""

    old_soa: dns.rrset.RRset
    new_soa: dns.rrset.RRset
    removed: tuple[dns.rrset.RRset, ...]
    added: tuple[dns.rrset.RRset, ...]

    @property
    def serial_from(self) -> int:
        return int(self.old_soa[0].serial)

    @property
    def serial_to(self) -> int:
        return int(self.new_soa[0].serial)

    @property
    def records(self) -> int:
        """Records this change sends in an IXFR, both SOAs included."""
        return 2 + sum(len(r) for r in self.removed) + sum(len(r) for r in self.added)


def soa_rrset(zone: dns.zone.Zone) -> dns.rrset.RRset:
    """The zone's SOA as an RRset with an absolute owner."""
    assert zone.origin is not None
    rds = zone.get_rdataset(zone.origin, _SOA)
    if rds is None:
        raise ValueError(f"zone {zone.origin} has no SOA")
    return dns.rrset.from_rdata_list(zone.origin, rds.ttl, list(rds))


def difference(
    old: dns.zone.Zone,
    new: dns.zone.Zone,
    names: Iterable[dns.name.Name] | None = None,
    *,
    rdtype: int | None = None,
) -> Change:
    """What changed from ``old`` to ``new``: at ``names`` (absolute; a patch's written
    nodes) when given, else anywhere. The SOA is compared apart (``old_soa``, ``new_soa``).

    With ``rdtype`` (and ``names``), only the RRsets of that type at ``names`` are
    compared: for a patch that changed nothing else, such as the statuses copied into
    a zone once a second, whose nodes' other RRsets (SVCB above all) cost far more to
    compare."""
    origin = new.origin
    assert origin is not None and old.origin == origin
    if rdtype is not None and names is not None:
        return _type_difference(old, new, names, rdtype)
    if names is None:
        changed, gone = changed_nodes(old.nodes, new.nodes)
        keys: Iterable[dns.name.Name] = [*changed, *gone]
    else:
        keys = {n.relativize(origin) for n in names} | {dns.name.empty}
    removed: list[dns.rrset.RRset] = []
    added: list[dns.rrset.RRset] = []
    for rel in sorted(keys):
        owner = rel.derelativize(origin)
        _node_difference(owner, old.nodes.get(rel), new.nodes.get(rel), removed, added)
    return Change(soa_rrset(old), soa_rrset(new), tuple(removed), tuple(added))


def _type_difference(
    old: dns.zone.Zone, new: dns.zone.Zone, names: Iterable[dns.name.Name], rdtype: int
) -> Change:
    origin = new.origin
    assert origin is not None
    removed: list[dns.rrset.RRset] = []
    added: list[dns.rrset.RRset] = []
    kind = dns.rdatatype.RdataType.make(rdtype)
    key: tuple[int, int] = (kind, dns.rdatatype.NONE)
    for owner in sorted(set(names), key=_canonical):
        rel = owner.relative(origin) if isinstance(owner, HashedName) else owner.relativize(origin)
        a, b = old.nodes.get(rel), new.nodes.get(rel)
        if a is b:
            continue
        ra = a.get_rdataset(_IN, kind) if a is not None else None
        rb = b.get_rdataset(_IN, kind) if b is not None else None
        before = {key: ra} if ra is not None else {}
        after = {key: rb} if rb is not None else {}
        _rdatasets_difference(owner, before, after, removed, added)
    return Change(soa_rrset(old), soa_rrset(new), tuple(removed), tuple(added))


def _canonical(name: dns.name.Name) -> tuple[bytes, ...]:
    """The order of ``sorted`` on names (RFC 4034 §6.1), at the cost of one tuple."""
    return tuple(label.lower() for label in reversed(name.labels))


def _node_difference(
    owner: dns.name.Name,
    old: dns.node.Node | None,
    new: dns.node.Node | None,
    removed: list[dns.rrset.RRset],
    added: list[dns.rrset.RRset],
) -> None:
    before = {(r.rdtype, r.covers): r for r in old.rdatasets} if old is not None else {}
    after = {(r.rdtype, r.covers): r for r in new.rdatasets} if new is not None else {}
    _rdatasets_difference(owner, before, after, removed, added)


def _rdatasets_difference(
    owner: dns.name.Name,
    before: Mapping[tuple[int, int], dns.rdataset.Rdataset],
    after: Mapping[tuple[int, int], dns.rdataset.Rdataset],
    removed: list[dns.rrset.RRset],
    added: list[dns.rrset.RRset],
) -> None:
    for key in sorted({*before, *after}):
        if key[0] == _SOA:
            continue
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None and a.ttl == b.ttl:
            # A patch copies a node's RRsets, not their records: the records both versions
            # share are the same objects. Only the others are compared by value, which
            # costs a rendering of each (a listing's PTR RRset may hold thousands).
            in_a, in_b = {id(r) for r in a}, {id(r) for r in b}
            gone = [r for r in a if id(r) not in in_b and r not in b]
            came = [r for r in b if id(r) not in in_a and r not in a]
        else:  # a TTL changed: out with the old set, in with the new (RFC 1995 §4)
            gone = list(a) if a is not None else []
            came = list(b) if b is not None else []
        if gone:
            assert a is not None
            removed.append(dns.rrset.from_rdata_list(owner, a.ttl, gone))
        if came:
            assert b is not None
            added.append(dns.rrset.from_rdata_list(owner, b.ttl, came))


def apply(zone: dns.zone.Zone, change: Change) -> dns.zone.Zone:
    """A new zone: ``zone`` with ``change`` applied, as a secondary applies an IXFR.

    Raises ValueError when the change does not start from ``zone``'s serial or
    removes a record that is not there."""
    origin = zone.origin
    assert origin is not None
    if int(soa_rrset(zone)[0].serial) != change.serial_from:
        raise ValueError(f"the change starts at {change.serial_from}, not at the zone's serial")
    out = dns.zone.Zone(origin, zone.rdclass, relativize=zone.relativize)
    for name, node in zone.nodes.items():
        copy = out.node_factory()
        copy.rdatasets.extend(r.copy() for r in node.rdatasets)
        out.nodes[name] = copy
    for rrset in change.removed:
        rds = out.get_rdataset(rrset.name, rrset.rdtype, rrset.covers)
        if rds is None or any(r not in rds for r in rrset):
            raise ValueError(f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}: not there")
        for r in rrset:
            rds.discard(r)  # type: ignore[no-untyped-call]
        if not rds:
            out.delete_rdataset(rrset.name, rrset.rdtype, rrset.covers)
    for rrset in change.added:
        rds = out.find_rdataset(rrset.name, rrset.rdtype, rrset.covers, create=True)
        for r in rrset:
            rds.add(r, rrset.ttl)
    soa = change.new_soa
    out.replace_rdataset(origin, dns.rdataset.from_rdata_list(soa.ttl, list(soa)))
    return out


class Journal:
    """The newest changes of one zone, oldest first, bounded in records and changes."""

    def __init__(self, max_records: int = JOURNAL_RECORDS, max_changes: int = JOURNAL_CHANGES):
        self.max_records = max_records
        self.max_changes = max_changes
        self._changes: deque[Change] = deque()
        self.records = 0

    def __len__(self) -> int:
        return len(self._changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self._changes)

    def clear(self) -> None:
        self._changes.clear()
        self.records = 0

    def append(self, change: Change) -> None:
        """Keep ``change``, the newest; a change that does not follow the last one
        starts the journal again, and the oldest go while the bounds are exceeded."""
        if self._changes and self._changes[-1].serial_to != change.serial_from:
            self.clear()
        self._changes.append(change)
        self.records += change.records
        while self._changes and (
            self.records > self.max_records or len(self._changes) > self.max_changes
        ):
            self.records -= self._changes.popleft().records

    def since(self, serial: int) -> list[Change] | None:
        """The changes from version ``serial`` to the newest, or None when the journal
        does not reach back to it (unknown, or too old): then only AXFR will do."""
        if self._changes and self._changes[-1].serial_to == serial:
            return []  # up to date
        found = None
        for i, change in enumerate(self._changes):
            if change.serial_from == serial:
                found = i  # the latest such start: serials may repeat after a wrap
        if found is None:
            return None
        return list(self._changes)[found:]
