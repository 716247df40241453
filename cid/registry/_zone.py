"""Zone assembly (sans-IO): signed records in, DNS records out (spec/resolution.md §3-§6).

Everything here takes its inputs (zone settings, signed descriptors and
delegation records, and the time ``now``) and returns a dnspython zone; the
on-disk registry (``_store``) and the servers are drivers around it.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.SOA
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.zone

from .._descriptor import Delegation, Descriptor, Endpoint
from .._errors import CidError
from .._identifier import parse
from .._status import Status
from .._svcb import record_rdata, svcb_rdata
from ..layout import (
    TYPE_DELEGATION,
    TYPE_DESCRIPTOR,
    TYPE_STATUS,
    delegation_owner,
    enum_owner,
)
from ._bulk import Bulk, copy_strings

__all__ = [
    "NameServer",
    "SignedDelegation",
    "SignedDescriptor",
    "SignedStatus",
    "ZoneError",
    "ZoneSettings",
    "assemble",
    "zone_text",
]

IN: Final = dns.rdataclass.IN
#: Largest signed record given a TXT copy: its base64 (4/3 larger) answer must
#: fit 1232 octets with the longest owner name (spec/resolution.md §6).
MAX_TXT_COPY: Final = 696


class ZoneError(CidError):
    """A zone that cannot be assembled as configured; the message says what and where."""


@dataclass(frozen=True, slots=True)
class NameServer:
    """An authoritative server of a zone: its name and (for glue) its addresses."""

    name: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ZoneSettings:
    """What an operator configures for one zone (``zone.json`` in the registry)."""

    name: str
    nameservers: tuple[NameServer, ...]
    ttl: int = 3600
    negative_ttl: int = 300
    contact: str = ""  # SOA RNAME as a mailbox name; default hostmaster.<zone>
    refresh: int = 3600
    retry: int = 600
    expire: int = 14 * 86400


@dataclass(frozen=True, slots=True)
class SignedDescriptor:
    """A descriptor as published: its signed bytes and what they say (already verified)."""

    data: bytes
    record: Descriptor


@dataclass(frozen=True, slots=True)
class SignedDelegation:
    """A delegation this zone signed for a child, with the child's servers (for NS and glue)."""

    data: bytes
    record: Delegation
    nameservers: tuple[NameServer, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SignedStatus:
    """A status record as published beside its descriptor (spec/status.md §8): its
    signed bytes and what they say (already verified with the zone's keys)."""

    data: bytes
    record: Status


def _absolute(text: str) -> dns.name.Name:
    return dns.name.from_text(text.rstrip(".") + ".")


def _rdata(rdtype: dns.rdatatype.RdataType, text: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(IN, rdtype, text)


def _add(zone: dns.zone.Zone, owner: dns.name.Name, rdata: dns.rdata.Rdata, ttl: int) -> None:
    node = zone.find_node(owner, create=True)
    node.find_rdataset(IN, rdata.rdtype, create=True).add(rdata, ttl)


def _glue(zone: dns.zone.Zone, servers: Sequence[NameServer], ttl: int) -> None:
    for ns in servers:
        name = _absolute(ns.name)
        if not name.is_subdomain(zone.origin):  # type: ignore[arg-type]
            continue  # out of zone: its own zone publishes its addresses
        for address in ns.addresses:
            ip = ipaddress.ip_address(address)
            rdtype = dns.rdatatype.A if ip.version == 4 else dns.rdatatype.AAAA
            _add(zone, name, _rdata(rdtype, str(ip)), ttl)


def txt_strings(data: bytes) -> list[bytes]:
    """The TXT fallback copy of a signed record: a tag, then base64 in 255-octet strings."""
    return list(copy_strings(data))


def _ttl(settings: ZoneSettings, expires: int, now: int) -> int:
    # A record's TTL never outlives what it carries (spec §5).
    return max(0, min(settings.ttl, expires - now))


def assemble(
    settings: ZoneSettings,
    descriptors: Iterable[SignedDescriptor],
    delegations: Iterable[SignedDelegation],
    *,
    root: str,
    now: int,
    statuses: Iterable[SignedStatus] = (),
) -> dns.zone.Zone:
    """Build the zone at time ``now``; identifiers are named under the suffix ``root``.

    Expired records are left out, never served. ``statuses`` are published beside the
    descriptors they describe (:func:`publish_statuses`). Raises :class:`ZoneError`.
    """
    return _assemble(
        settings, descriptors, delegations, root=root, now=now, statuses=statuses,
        publish=_publish_bulk,
    )  # fmt: skip


#: How the descriptors go in: (zone, settings, descriptors, cuts, root, now).
_Publish = Callable[
    [dns.zone.Zone, ZoneSettings, list[SignedDescriptor], list[dns.name.Name], str, int], None
]


def _assemble(
    settings: ZoneSettings,
    descriptors: Iterable[SignedDescriptor],
    delegations: Iterable[SignedDelegation],
    *,
    root: str,
    now: int,
    statuses: Iterable[SignedStatus],
    publish: _Publish,
) -> dns.zone.Zone:
    origin = _absolute(settings.name)
    zone = dns.zone.Zone(origin)
    if not settings.nameservers:
        raise ZoneError(f"zone {settings.name}: at least one name server is needed")
    ns_names = [_absolute(ns.name) for ns in settings.nameservers]
    contact = settings.contact or f"hostmaster.{settings.name}"
    soa = (
        f"{ns_names[0]} {_absolute(contact)} {now & 0xFFFFFFFF} {settings.refresh} "
        f"{settings.retry} {settings.expire} {settings.negative_ttl}"
    )
    _add(zone, origin, _rdata(dns.rdatatype.SOA, soa), settings.ttl)
    for name in ns_names:
        _add(zone, origin, _rdata(dns.rdatatype.NS, name.to_text()), settings.ttl)
    _glue(zone, settings.nameservers, settings.ttl)

    cuts: list[dns.name.Name] = []
    for deleg in delegations:
        drec = deleg.record
        child = _absolute(drec.child)
        if drec.parent.rstrip(".") != settings.name.rstrip(".") or not (
            child.is_subdomain(origin) and child != origin
        ):
            raise ZoneError(f"zone {settings.name}: delegation for {drec.child} is not for a child")
        if drec.expires <= now:
            continue
        if not deleg.nameservers:
            raise ZoneError(f"zone {settings.name}: child {drec.child} has no name servers")
        cuts.append(child)
        ttl = _ttl(settings, drec.expires, now)
        for ns in deleg.nameservers:
            _add(zone, child, _rdata(dns.rdatatype.NS, _absolute(ns.name).to_text()), ttl)
        _glue(zone, deleg.nameservers, ttl)
        try:
            deleg_owner = delegation_owner(child, origin)
        except dns.name.NameTooLong:
            raise ZoneError(
                f"zone {settings.name}: the cut {drec.child} is too long for its delegation "
                "record's name (at most 245 characters)"
            ) from None
        _add(zone, deleg_owner, record_rdata(TYPE_DELEGATION, deleg.data), ttl)

    descriptors = list(descriptors)
    publish(zone, settings, descriptors, cuts, root, now)
    publish_statuses(zone, descriptors, statuses, root=root, now=now)
    return zone


def _publish_bulk(
    zone: dns.zone.Zone,
    settings: ZoneSettings,
    descriptors: list[SignedDescriptor],
    cuts: list[dns.name.Name],
    root: str,
    now: int,
) -> None:
    """Put every descriptor in and list the tree, the fast way (:mod:`._bulk`, which
    shares labels and SVCB rdata as :func:`_publish_each` does)."""
    bulk = Bulk(zone, root, cuts)
    name = settings.name.rstrip(".")
    for desc in descriptors:
        rec = desc.record
        subject = parse(rec.subject)
        owner = bulk.owner(subject)
        if not bulk.inside(owner):
            raise ZoneError(
                f"zone {settings.name}: {rec.subject} is named {dns.name.Name(owner)}, "
                "outside the zone"
            )
        if rec.issuer.rstrip(".") != name:
            raise ZoneError(f"zone {settings.name}: {rec.subject} is issued by {rec.issuer}")
        if rec.expires <= now:
            continue
        ttl = _ttl(settings, rec.expires, now)
        txt = len(desc.data) <= MAX_TXT_COPY  # the base64 copy must fit 1232 octets too
        caps = len(subject.capabilities)
        if not bulk.descriptor(owner, desc.data, rec.endpoints, caps, ttl, txt):
            # A node already there (the origin's, say): the reference path.
            path = publish_descriptor(zone, settings, desc, cuts, root=root, now=now)
            if path:
                bulk.path(owner, caps)
    for child in cuts:
        bulk.cut(child)
    bulk.finish(settings.ttl)


def _publish_each(
    zone: dns.zone.Zone,
    settings: ZoneSettings,
    descriptors: list[SignedDescriptor],
    cuts: list[dns.name.Name],
    root: str,
    now: int,
) -> None:
    """The reference for :func:`_publish_bulk`: :func:`publish_descriptor` for each."""
    # Shared, not copied per descriptor: labels (regions, architectures and common
    # attributes recur) and SVCB rdata (descriptors share endpoints). Both are
    # immutable; at 500,000 descriptors this saves about a quarter of the zone.
    labels: dict[bytes, bytes] = {}
    svcb: dict[Endpoint, dns.rdata.Rdata | None] = {}
    children: dict[dns.name.Name, set[dns.name.Name]] = {}
    for desc in descriptors:
        path = publish_descriptor(
            zone, settings, desc, cuts, root=root, now=now, shared=(labels, svcb)
        )
        if path:
            _tree(children, path)
    for child in cuts:
        _tree(children, [child, *_ancestors(child.parent(), zone.origin)])  # type: ignore[arg-type]
    for node, below in children.items():
        if any(node.is_subdomain(c) for c in cuts):
            continue
        try:
            owner = enum_owner(node)
        except dns.name.NameTooLong:
            continue  # a node too deep to list (spec/resolution.md §4): not enumerated
        for child in sorted(below):
            _add(zone, owner, ptr_rdata(child), settings.ttl)


def publish_statuses(
    zone: dns.zone.Zone,
    descriptors: Iterable[SignedDescriptor],
    statuses: Iterable[SignedStatus],
    *,
    root: str,
    now: int,
) -> None:
    """Add each status as TYPE65282 at its subject's name (spec/status.md §8.1), only
    beside the descriptor it describes (iss, sub and dver: §8.2) and only while valid.

    The TTL is 0: a zone assembled at one time is answered later, and a status's
    TTL must not outlast its remaining validity at the time of the answer (§8.3);
    0 is never longer. Later statuses of one subject replace earlier ones (§8.1: one
    record at a name); the highest version wins.
    """
    published = {d.record.subject: d.record for d in descriptors if d.record.expires > now}
    best: dict[str, SignedStatus] = {}
    for st in statuses:
        rec = st.record
        desc = published.get(rec.subject)
        if desc is None or (desc.issuer, desc.version) != (rec.issuer, rec.descriptor_version):
            continue
        if rec.expires <= now or rec.issued_at > now + 60:
            continue
        if rec.subject not in best or best[rec.subject].record.version < rec.version:
            best[rec.subject] = st
    for subject, st in best.items():
        owner = _absolute(parse(subject).to_dns_name(root))
        _add(zone, owner, record_rdata(TYPE_STATUS, st.data), 0)


def publish_descriptor(
    zone: dns.zone.Zone,
    settings: ZoneSettings,
    desc: SignedDescriptor,
    cuts: Iterable[dns.name.Name],
    *,
    root: str,
    now: int,
    shared: tuple[dict[bytes, bytes], dict[Endpoint, dns.rdata.Rdata | None]] | None = None,
) -> list[dns.name.Name]:
    """Add one descriptor's records (TYPE65280, SVCB, TXT) to ``zone``; return its path
    in the enumeration tree (owner, then the nodes up to the origin), empty when it
    has expired or is not listed. ``shared`` holds labels and SVCB rdata to reuse."""
    labels, svcb = shared if shared is not None else ({}, {})
    origin = zone.origin
    assert origin is not None
    rec = desc.record
    ident = parse(rec.subject)
    owner = _absolute(ident.to_dns_name(root))
    owner = dns.name.Name([labels.setdefault(x, x) for x in owner.labels])
    if not owner.is_subdomain(origin) or any(owner.is_subdomain(c) for c in cuts):
        raise ZoneError(f"zone {settings.name}: {rec.subject} is named {owner}, outside the zone")
    if rec.issuer.rstrip(".") != settings.name.rstrip("."):
        raise ZoneError(f"zone {settings.name}: {rec.subject} is issued by {rec.issuer}")
    if rec.expires <= now:
        return []
    ttl = _ttl(settings, rec.expires, now)
    _add(zone, owner, record_rdata(TYPE_DESCRIPTOR, desc.data), ttl)
    for endpoint in rec.endpoints:
        if endpoint in svcb:
            rdata = svcb[endpoint]
        else:
            rdata = svcb[endpoint] = svcb_rdata(endpoint)
        if rdata is not None:  # an address host has no SVCB mirror (spec §3.5)
            _add(zone, owner, rdata, ttl)
    if len(desc.data) <= MAX_TXT_COPY:  # the base64 copy must fit 1232 octets too
        txt = dns.rdtypes.ANY.TXT.TXT(IN, dns.rdatatype.TXT, txt_strings(desc.data))
        _add(zone, owner, txt, ttl)
    return enum_path(owner, len(ident.capabilities), origin)


def enum_path(
    owner: dns.name.Name, capabilities: int, origin: dns.name.Name
) -> list[dns.name.Name]:
    """A descriptor's path in the enumeration tree (§4): its owner, its architecture
    node (the owner less its ``capabilities`` labels), then each node up to the
    origin; empty for a descriptor at the origin, which is listed nowhere."""
    if owner == origin:
        return []
    arch_node = dns.name.Name(owner.labels[capabilities:])
    start = arch_node if arch_node.is_subdomain(origin) else origin
    return [owner, *_ancestors(start, origin)]


def ptr_rdata(target: dns.name.Name) -> dns.rdata.Rdata:
    """A PTR record naming ``target`` itself, not a copy parsed from text (shared)."""
    # dnspython leaves this constructor untyped.
    return dns.rdtypes.ANY.PTR.PTR(IN, dns.rdatatype.PTR, target)  # type: ignore[no-untyped-call]


def _ancestors(name: dns.name.Name, origin: dns.name.Name) -> list[dns.name.Name]:
    """``name`` and its ancestors down to (and including) ``origin``, a superdomain of it."""
    out = [name]
    while out[-1] != origin and out[-1].is_subdomain(origin):
        out.append(out[-1].parent())
    return out


def _tree(children: dict[dns.name.Name, set[dns.name.Name]], path: list[dns.name.Name]) -> None:
    for child, parent in itertools.pairwise(path):
        children.setdefault(parent, set()).add(child)


def zone_text(zone: dns.zone.Zone) -> str:
    """RFC 1035 master file text, absolute names, private types in RFC 3597 syntax."""
    out = zone.to_text(relativize=False, want_origin=True)
    assert isinstance(out, str)
    return out
