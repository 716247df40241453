"""Changing an assembled zone in place of re-assembling it, for live registrations (sans-IO).

A live update (spec/resolution.md §8.8) changes the descriptor at one name.
Re-assembling the zone costs time in proportion to its size (about 0.4 ms a
descriptor: seconds at 20,000), so a server patches a copy instead: the
name's records come out or go in, and so does its path in the enumeration
tree (§4) where no other name keeps it. The copy shares every node it does
not change with the zone it was made from, which goes on serving meanwhile.

The result holds exactly the records that :func:`~cid._zone.assemble` would
give for the same inputs, with the same TTLs for the records it adds; the
records it does not touch keep the TTLs of their own assembly, as §5 allows
(TTLs are fixed when records are assembled). tests/test_zone_patch.py checks
both against each other. Where a patch could differ (an identifier with no
capabilities, whose owner is its own architecture node; a node too deep to
list) :func:`patch` returns ``None`` and the caller assembles the whole zone.

:func:`patch_statuses` puts statuses (spec/status.md §8) beside the descriptors
of a zone, or takes them out, for a server that transfers them to its
secondaries; a descriptor taken out by :func:`patch` takes its status with it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import dns.name
import dns.node
import dns.rdataset
import dns.rdatatype
import dns.zone

from .._identifier import parse
from .._svcb import record_rdata
from ..layout import TYPE_DESCRIPTOR, TYPE_STATUS, enum_owner
from ._image import copy_nodes
from ._zone import IN, SignedDescriptor, ZoneSettings, enum_path, ptr_rdata, publish_descriptor

__all__ = ["Patched", "patch", "patch_statuses"]

#: The records a descriptor puts at its owner name (§3).
_DESCRIPTOR = dns.rdatatype.RdataType.make(TYPE_DESCRIPTOR)
_STATUS = dns.rdatatype.RdataType.make(TYPE_STATUS)
# ... and the status beside it, which goes with it (spec/status.md §8.2).
_DESCRIPTOR_TYPES = (_DESCRIPTOR, dns.rdatatype.SVCB, dns.rdatatype.TXT, _STATUS)

Change = tuple[SignedDescriptor | None, SignedDescriptor | None]  # (served before, to serve)


@dataclass(frozen=True, slots=True)
class Patched:
    """A patched zone, and the names (absolute) whose nodes it added or removed;
    ``written``: every name whose node it added, removed or changed (for IXFR)."""

    zone: dns.zone.Zone
    added: frozenset[dns.name.Name]
    removed: frozenset[dns.name.Name]
    written: frozenset[dns.name.Name] = frozenset()


class _Copy:
    """A copy of a zone that shares nodes with it until one is written."""

    def __init__(self, zone: dns.zone.Zone) -> None:
        assert zone.origin is not None and zone.relativize
        self.old = zone
        self.origin: dns.name.Name = zone.origin
        self.zone = dns.zone.Zone(zone.origin, zone.rdclass, relativize=True)
        self.zone.nodes = copy_nodes(zone.nodes)
        self.written: set[dns.name.Name] = set()  # relative names of nodes copied or made

    def node(self, name: dns.name.Name) -> dns.node.Node:
        """The node at ``name`` (absolute), this copy's own, made if absent."""
        rel = name.relativize(self.origin)
        found = self.zone.nodes.get(rel)
        if found is not None and rel in self.written:
            return found
        node = self.zone.node_factory()
        if found is not None:  # shared with the zone being served: copied, not changed
            node.rdatasets.extend(rds.copy() for rds in found.rdatasets)
        self.zone.nodes[rel] = node
        self.written.add(rel)
        return node

    def has(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> bool:
        node = self.zone.nodes.get(name.relativize(self.origin))
        return node is not None and node.get_rdataset(IN, rdtype) is not None

    def drop_if_empty(self, name: dns.name.Name) -> None:
        rel = name.relativize(self.origin)
        node = self.zone.nodes.get(rel)
        if node is not None and not node.rdatasets:
            del self.zone.nodes[rel]

    def result(self) -> Patched:
        before, after = self.old.nodes, self.zone.nodes
        added = {r for r in self.written if r in after and r not in before}
        removed = {r for r in self.written if r in before and r not in after}
        return Patched(
            self.zone,
            frozenset(r.derelativize(self.origin) for r in added),
            frozenset(r.derelativize(self.origin) for r in removed),
            frozenset(r.derelativize(self.origin) for r in self.written),
        )


def patch(
    zone: dns.zone.Zone,
    settings: ZoneSettings,
    changes: Mapping[dns.name.Name, Change],
    *,
    cuts: Iterable[dns.name.Name],
    root: str,
    now: int,
) -> Patched | None:
    """``zone`` with each changed name's descriptor taken out and the new one put in,
    as :func:`~cid._zone.assemble` at ``now`` would publish them; ``None`` when only a
    full assembly gives the right result (see the module's text)."""
    cuts = frozenset(cuts)
    # With no capabilities the owner is its own architecture node, which then lists
    # itself (§4): whether it stays listed depends on more than this one name.
    if any(not parse(d.record.subject).capabilities for c in changes.values() for d in c if d):
        return None
    copy = _Copy(zone)
    try:
        for name, (old, _) in changes.items():
            if old is not None:
                _take_out(copy, name, old)
        for name, (_, new) in changes.items():
            if new is not None:
                copy.node(name)  # this copy's own, before records go in
                path = publish_descriptor(copy.zone, settings, new, cuts, root=root, now=now)
                copy.drop_if_empty(name)  # expired: nothing went in
                _list(copy, path, settings.ttl)
    except dns.name.NameTooLong:
        return None  # a node too deep to list: the full assembly leaves it out
    _new_serial(copy, now)
    return copy.result()


def patch_statuses(
    zone: dns.zone.Zone,
    statuses: Mapping[dns.name.Name, tuple[bytes, int] | None],
    *,
    now: int,
) -> Patched | None:
    """``zone`` with the status at each name (absolute) set to the signed record and TTL
    given, or taken out for None, as a new version (SOA serial ``now``); ``None`` when
    nothing changes. A status goes in only where the zone has a node (its descriptor's);
    one already there with the same bytes is left as it is, TTL included."""
    copy = _Copy(zone)
    changed = False
    for name, want in statuses.items():
        found = copy.zone.nodes.get(name.relativize(copy.origin))
        if found is None:
            continue
        have = found.get_rdataset(IN, _STATUS)
        if want is None:
            if have is None:
                continue
            copy.node(name).delete_rdataset(IN, _STATUS)
        else:
            data, ttl = want
            if have is not None and have[0].data == data:
                continue
            rds = dns.rdataset.from_rdata(ttl, record_rdata(TYPE_STATUS, data))
            copy.node(name).replace_rdataset(rds)
        changed = True
    if not changed:
        return None
    _new_serial(copy, now)
    return copy.result()


def _take_out(copy: _Copy, owner: dns.name.Name, desc: SignedDescriptor) -> None:
    """Remove the records of the descriptor at ``owner``, then its path where nothing
    else keeps it."""
    rel = owner.relativize(copy.origin)
    if rel not in copy.zone.nodes:
        return  # expired since, or never published
    node = copy.node(owner)
    for rdtype in _DESCRIPTOR_TYPES:
        node.delete_rdataset(IN, rdtype)
    copy.drop_if_empty(owner)
    path = enum_path(owner, len(parse(desc.record.subject).capabilities), copy.origin)
    for child, parent in itertools.pairwise(path):
        if _listed(copy, child):
            break  # it stays, and so does everything above it
        enum = enum_owner(parent)
        if copy.has(enum, dns.rdatatype.PTR):
            rds = copy.node(enum).find_rdataset(IN, dns.rdatatype.PTR)
            rds.discard(ptr_rdata(child))  # type: ignore[no-untyped-call]
            if not rds:
                copy.node(enum).delete_rdataset(IN, dns.rdatatype.PTR)
            copy.drop_if_empty(enum)


def _listed(copy: _Copy, name: dns.name.Name) -> bool:
    """Whether ``name`` is still on some path of the enumeration tree: it holds a
    descriptor, lists children, or is a cut (the three ways a path reaches a node)."""
    if copy.has(name, _DESCRIPTOR) or copy.has(enum_owner(name), dns.rdatatype.PTR):
        return True
    return name != copy.origin and copy.has(name, dns.rdatatype.NS)


def _list(copy: _Copy, path: list[dns.name.Name], ttl: int) -> None:
    for child, parent in itertools.pairwise(path):
        rds = copy.node(enum_owner(parent)).find_rdataset(IN, dns.rdatatype.PTR, create=True)
        rds.add(ptr_rdata(child), ttl)


def _new_serial(copy: _Copy, now: int) -> None:
    set_serial(copy.node(copy.origin), now)


def set_serial(origin: dns.node.Node, now: int) -> None:
    """The SOA serial of a new version, as a full assembly at ``now`` gives it, set in
    the origin's node ``origin`` (one of the new version's own)."""
    old = origin.find_rdataset(IN, dns.rdatatype.SOA)
    origin.replace_rdataset(
        dns.rdataset.from_rdata(old.ttl, old[0].replace(serial=now & 0xFFFFFFFF))
    )
