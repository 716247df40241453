"""A registry's compiled zone images (:mod:`._image`): when one stands in for assembly.

``<registry>/.cache/<zone>.<id>.image`` holds the zone as assembled at some time
``built``, with what it was made from: the listing fingerprint of its inputs
(:mod:`._fingerprint`), the digest of the code that wrote it, and ``until``, the
first time at which assembly would give another zone though no file changed (a
record expiring or becoming valid, a lease lapsing). Serving it at any ``now``
in ``[built, until)`` serves exactly what a server that assembled the zone at
``built`` and has run since would serve. Anything else and it is not used: the
zone is read, verified and assembled as without an image, and a new image is
written. The folder is a cache: deleting it costs one slow start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Final, overload

import dns.name
import dns.rdataset
import dns.rdatatype
import dns.zone

from .._descriptor import Descriptor
from .._signed import decode_unverified
from ._fingerprint import Listing, listing
from ._image import Image, ImageError, ImageNodes, code_digest, encode_image, write_image
from ._store import Problem, Registry, ZoneInputs
from ._zone import IN, SignedDescriptor

__all__ = ["CACHE", "Compiled", "StaticDescriptors", "StaticOwners", "open_compiled",
           "save_compiled", "zone_listing"]  # fmt: skip

#: The folder of a registry that holds its images (a cache: never in version control).
CACHE: Final = ".cache"
_KEEP: Final = 2  # images kept per zone: a worker may still map the one before

log = logging.getLogger("cid.registry")


class StaticDescriptors(Sequence[SignedDescriptor]):
    """The descriptors of a zone's files, as its image holds them: decoded when read
    (a full assembly or a reload's comparison), never at start. They were verified
    with the zone's keys when the image was written."""

    def __init__(self, image: Image) -> None:
        self._image = image
        self._at = [i for i in range(image.count) if image.is_static(i)]

    def __len__(self) -> int:
        return len(self._at)

    @overload
    def __getitem__(self, index: int) -> SignedDescriptor: ...
    @overload
    def __getitem__(self, index: slice) -> list[SignedDescriptor]: ...
    def __getitem__(self, index: int | slice) -> SignedDescriptor | list[SignedDescriptor]:
        if isinstance(index, slice):
            return [self._one(i) for i in self._at[index]]
        return self._one(self._at[index])

    def __iter__(self) -> Iterator[SignedDescriptor]:
        return map(self._one, self._at)

    def _one(self, i: int) -> SignedDescriptor:
        data = self._image.descriptor(i)
        _, record = decode_unverified(data)
        assert isinstance(record, Descriptor)
        return SignedDescriptor(data, record)


class StaticOwners:
    """Whether a name (absolute) holds a descriptor of the registry's files: a set
    answered from the image's flags, not a million names held."""

    def __init__(self, image: Image) -> None:
        self._image = image

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, dns.name.Name) or not name.is_subdomain(self._image.origin):
            return False
        i = self._image.find_name(name.relativize(self._image.origin))
        return i >= 0 and self._image.is_static(i)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A zone served from its image: the zone (its nodes the image's), the inputs
    it stands for, and the owners of its files' descriptors."""

    zone: dns.zone.Zone
    inputs: ZoneInputs
    static: StaticOwners
    image: Image


def _folder(registry: Registry) -> Path:
    return registry.path / CACHE


def _images(registry: Registry, zone: str) -> list[Path]:
    """The zone's images, newest first."""
    found = [p for p in _folder(registry).glob(f"{zone}.*.image") if p.name.count(".") >= 2]
    found = [p for p in found if p.name[len(zone) :].count(".") == 2]  # not a longer zone's
    return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def zone_listing(
    registry: Registry, zone: str, *, now_ns: int, recorded: Listing | None = None
) -> Listing:
    """The listing of ``zone``'s inputs now (:func:`._fingerprint.listing`)."""
    return listing(
        registry.path, zone, now_ns=now_ns, hashed=None if recorded is None else recorded.racy
    )


def open_compiled(
    registry: Registry, zone: str, *, now: int, now_ns: int | None = None
) -> Compiled:
    """The zone served from its newest image, if that may stand in for assembly at
    ``now``; else :class:`ImageError` says why not."""
    paths = _images(registry, zone)
    if not paths:
        raise ImageError(f"zone {zone}: no image yet")
    image = Image(paths[0])
    meta = image.meta
    if meta.get("code") != code_digest():
        raise ImageError(f"{image.path}: written by other code")
    if meta.get("zone") != zone:
        raise ImageError(f"{image.path}: an image of {meta.get('zone')}")
    built, until = meta.get("built"), meta.get("until")
    if not isinstance(built, int) or not isinstance(until, int) or not built <= now < until:
        raise ImageError(f"{image.path}: made for {built}..{until}, not {now}")
    recorded = Listing(str(meta.get("listing")), dict(meta.get("racy") or {}))
    current = zone_listing(registry, zone, now_ns=now_ns or now * 10**9, recorded=recorded)
    if not current.matches(recorded):
        raise ImageError(f"{image.path}: the registry changed since")
    delegations = registry.delegation_records(zone, now=now)
    entries, lapsed, live_problems = registry.live_entries(zone, now=now)
    statuses, status_problems = registry.statuses(zone, now=now)
    if lapsed:  # pragma: no cover - ``until`` is before any lapse
        raise ImageError(f"{image.path}: a lease lapsed")
    problems = [
        Problem(p["path"], p["reason"], p.get("valid_from")) for p in meta.get("problems", [])
    ]
    inputs = ZoneInputs(
        StaticDescriptors(image),  # type: ignore[arg-type]
        delegations[0],
        entries,
        [],
        problems + delegations[1] + live_problems + status_problems,
        statuses,
        tuple(bytes.fromhex(k) for k in meta.get("keys", [])),
        until=until,
    )
    zone_obj = dns.zone.Zone(image.origin, relativize=True)
    zone_obj.nodes = nodes = ImageNodes(image)
    # The serial a full assembly at ``now`` gives: each load serves a newer version,
    # as secondaries expect after a restart (statuses may have moved it on since).
    origin = nodes[dns.name.empty]
    soa = origin.find_rdataset(IN, dns.rdatatype.SOA)
    origin.replace_rdataset(
        dns.rdataset.from_rdata(soa.ttl, soa[0].replace(serial=now & 0xFFFFFFFF))
    )
    nodes[dns.name.empty] = origin
    return Compiled(zone_obj, inputs, StaticOwners(image), image)


def save_compiled(
    registry: Registry,
    zone: str,
    built: dns.zone.Zone,
    inputs: ZoneInputs,
    before: Listing,
    *,
    now: int,
    owners: AbstractSet[dns.name.Name],
) -> Path | None:
    """Write the image of ``built`` (assembled at ``now`` from ``inputs``, read after
    the listing ``before``), or None when no image can stand in for it: a file
    changed too close to the listing, or assembly differs a second later."""
    if before.too_racy or inputs.lapsed:
        return None
    lapses = [e.until for e in inputs.live.values()]
    changes = [t for t in (inputs.next_change(now), min(lapses, default=None)) if t is not None]
    until = min(changes, default=2**62)
    if until <= now + 1:
        return None
    meta = {
        "zone": zone,
        "code": code_digest(),
        "built": now,
        "until": until,
        "listing": before.digest,
        "racy": before.racy,
        "keys": [k.hex() for k in inputs.keys],
        # Those of descriptor files only: the others are read again with the image.
        "problems": [
            {"path": p.path, "reason": p.reason, "valid_from": p.valid_from}
            for p in inputs.problems
            if Path(p.path).parent.name == "descriptors"
        ],
        "image": secrets.token_hex(8),
    }
    folder = _folder(registry)
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# compiled zone images (cid serve): a cache\n*\n")
    path = folder / f"{zone}.{meta['image']}.image"
    write_image(path, encode_image(built, meta, owners))
    for old in _images(registry, zone)[_KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(old)
    return path
