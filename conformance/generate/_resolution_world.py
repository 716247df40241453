"""The hierarchies behind the resolution fixtures: zones, fixed keys, signed records.

A :class:`World` is a set of zones with their parents, name servers and
descriptors, signed with fixed Ed25519 keys (seeds derived from the zone's
name) and assembled with :func:`cid.registry.assemble` at a fixed time. Broken
fixtures start from an honest world and then change its assembled zones the way
a broken or hostile publisher would (:meth:`Zones.put`, :meth:`Zones.drop`):
the records they serve are then not what assembly gives, which is the point.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

import cid
from cid.layout import TYPE_DELEGATION, TYPE_DESCRIPTOR
from cid.registry import (
    NameServer,
    SignedDelegation,
    SignedDescriptor,
    ZoneSettings,
    assemble,
    zone_text,
)

__all__ = [
    "ATTACKER",
    "DAY",
    "ROOT",
    "T0",
    "DescriptorDef",
    "World",
    "ZoneDef",
    "Zones",
    "delegation_owner",
    "descriptor_owner",
    "zone_key",
]

#: The root suffix R of every fixture.
ROOT: Final = "ucid.example"
#: The time every fixture is built for: 2026-01-01T00:00:00Z.
T0: Final = 1767225600
DAY: Final = 86400


def zone_key(zone: str) -> cid.SigningKey:
    """The fixed signing key of ``zone`` (the same in every fixture)."""
    return cid.SigningKey.from_seed(hashlib.sha256(f"ucid-conformance:{zone}".encode()).digest())


#: A key that no zone trusts.
ATTACKER: Final = cid.SigningKey.from_seed(hashlib.sha256(b"ucid-conformance:attacker").digest())


def descriptor_owner(identifier: str) -> str:
    """The absolute DNS name of ``identifier`` under ROOT."""
    return cid.parse(identifier).to_dns_name(ROOT)


def delegation_owner(child: str, parent: str) -> str:
    """``<child relative to parent>.__deleg.<parent>.`` (spec/resolution.md §2.3)."""
    relative = child[: -len(parent) - 1]
    return f"{relative}.__deleg.{parent}."


@dataclass(frozen=True)
class ZoneDef:
    """A zone: its name, its parent (None for ROOT) and its servers (name, address)."""

    name: str
    parent: str | None
    servers: tuple[tuple[str, str], ...]
    ttl: int = 3600


@dataclass(frozen=True)
class DescriptorDef:
    """A descriptor published by ``zone`` for ``subject``."""

    zone: str
    subject: str
    endpoints: tuple[Mapping[str, Any], ...]
    version: int = 1
    issued_at: int = T0 - 3600
    expires: int = T0 + 7 * DAY


@dataclass
class World:
    """Zones and descriptors, signed and assembled at ``built``."""

    zones: list[ZoneDef]
    descriptors: list[DescriptorDef]
    built: int = T0
    #: child zone -> changes to its delegation record (version, issued_at, not_before, expires)
    delegation_changes: dict[str, dict[str, int]] = field(default_factory=dict)
    delegation_issued: int = T0 - 3600
    delegation_expires: int = T0 + 90 * DAY

    def zone(self, name: str) -> ZoneDef:
        for z in self.zones:
            if z.name == name:
                return z
        raise KeyError(name)

    def descriptor(self, subject: str) -> cid.Descriptor:
        """The descriptor of ``subject`` as this world signs it."""
        canonical = str(cid.parse(subject))
        for d in self.descriptors:
            if str(cid.parse(d.subject)) == canonical:
                spec = {
                    "issuer": d.zone,
                    "subject": d.subject,
                    "version": d.version,
                    "issued_at": d.issued_at,
                    "not_before": d.issued_at,
                    "expires": d.expires,
                    "endpoints": [dict(e) for e in d.endpoints],
                }
                return cid.descriptor_from_json(spec, d.issued_at, d.expires - d.issued_at)
        raise KeyError(subject)

    def signed(self, subject: str, key: cid.SigningKey | None = None, **changes: Any) -> bytes:
        """The descriptor of ``subject``, changed by ``changes``, signed by ``key`` (by
        default its zone's own key)."""
        rec = self.descriptor(subject)
        if changes:
            rec = dataclasses.replace(rec, **changes)
        return cid.sign(rec, key or zone_key(rec.issuer))

    def delegation(self, child: str) -> cid.Delegation:
        parent = self.zone(child).parent
        assert parent is not None
        rec = cid.Delegation(
            parent=parent,
            child=child,
            keys=(zone_key(child).verify_key,),
            version=1,
            issued_at=self.delegation_issued,
            not_before=self.delegation_issued,
            expires=self.delegation_expires,
        )
        return dataclasses.replace(rec, **self.delegation_changes.get(child, {}))  # type: ignore[arg-type]

    def signed_delegation(
        self, child: str, key: cid.SigningKey | None = None, **changes: Any
    ) -> bytes:
        rec = self.delegation(child)
        if changes:
            rec = dataclasses.replace(rec, **changes)
        return cid.sign(rec, key or zone_key(rec.parent))

    def settings(self, name: str) -> ZoneSettings:
        z = self.zone(name)
        servers = tuple(NameServer(host, (address,)) for host, address in z.servers)
        return ZoneSettings(name, servers, ttl=z.ttl)

    def assemble(self) -> Zones:
        out: dict[str, dns.zone.Zone] = {}
        for z in self.zones:
            descriptors = []
            for d in self.descriptors:
                if d.zone == z.name:
                    rec = self.descriptor(d.subject)
                    descriptors.append(SignedDescriptor(cid.sign(rec, zone_key(z.name)), rec))
            delegations = []
            for child in self.zones:
                if child.parent == z.name:
                    drec = self.delegation(child.name)
                    data = cid.sign(drec, zone_key(z.name))
                    ns = self.settings(child.name).nameservers
                    delegations.append(SignedDelegation(data, drec, ns))
            out[z.name] = assemble(
                self.settings(z.name), descriptors, delegations, root=ROOT, now=self.built
            )
        return Zones(out)


@dataclass
class Zones:
    """Assembled zones, by name, that a fixture may change before it is written."""

    by_name: dict[str, dns.zone.Zone]

    def _holder(self, owner: str) -> dns.zone.Zone:
        name = dns.name.from_text(owner)
        best: dns.zone.Zone | None = None
        for zone in self.by_name.values():
            origin = zone.origin
            assert origin is not None
            if name.is_subdomain(origin) and (best is None or origin.is_subdomain(best.origin)):  # type: ignore[arg-type]
                best = zone
        assert best is not None, owner
        return best

    def put(self, owner: str, rdtype: int, datas: Sequence[bytes], ttl: int | None = None) -> Zones:
        """Replace the ``rdtype`` RRset at ``owner`` (in the zone holding it) by ``datas``."""
        zone = self._holder(owner)
        kind = dns.rdatatype.RdataType.make(rdtype)
        old = zone.get_rdataset(owner, kind)
        rdatas = [dns.rdata.GenericRdata(dns.rdataclass.IN, kind, d) for d in datas]
        rdataset = dns.rdataset.from_rdata_list(
            ttl if ttl is not None else (old.ttl if old is not None else 3600), rdatas
        )
        zone.replace_rdataset(owner, rdataset)
        return self

    def put_text(self, owner: str, rdtype: str, texts: Iterable[str], ttl: int = 3600) -> Zones:
        zone = self._holder(owner)
        kind = dns.rdatatype.from_text(rdtype)
        rdatas = [dns.rdata.from_text(dns.rdataclass.IN, kind, t) for t in texts]
        zone.replace_rdataset(owner, dns.rdataset.from_rdata_list(ttl, rdatas))
        return self

    def drop(self, owner: str, rdtype: int | str) -> Zones:
        zone = self._holder(owner)
        kind = (
            dns.rdatatype.from_text(rdtype)
            if isinstance(rdtype, str)
            else dns.rdatatype.RdataType.make(rdtype)
        )
        zone.delete_rdataset(owner, kind)
        return self

    def put_descriptor(self, identifier: str, *datas: bytes) -> Zones:
        return self.put(descriptor_owner(identifier), TYPE_DESCRIPTOR, datas)

    def put_delegation(self, child: str, parent: str, *datas: bytes) -> Zones:
        return self.put(delegation_owner(child, parent), TYPE_DELEGATION, datas)

    def texts(self) -> dict[str, str]:
        """Each zone's RFC 1035 master file text."""
        return {name: zone_text(zone) for name, zone in self.by_name.items()}
