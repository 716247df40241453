"""A registry's compiled zone images (:mod:`._image`): when one stands in for assembly.

``<registry>/.cache/<zone>.<id>.image`` holds the zone as assembled at some time
``built``, with what it was made from: the listing fingerprint of its inputs
(:mod:`._fingerprint`), the digest of the code that wrote it, and ``until``, the
first time at which assembly would give another zone though no file changed (a
record expiring or becoming valid, a lease lapsing). Serving it at any ``now``
in ``[built, until)`` serves exactly what a server that assembled the zone at
``built`` and has run since would serve. Descriptor files and live registrations
changed since are verified and patched in, as a live registration is, and so are
the descriptors that expired since or will within a TTL (the first 10,000 to
expire are listed in the image); a change
to anything else (settings, keys, delegations, statuses), more than
:data:`MAX_CHANGES` files, or a change only a whole assembly makes right, and
the image is not used: the zone is read, verified and assembled as without one,
and a new image is written. The folder is a cache: deleting it costs one slow
start (``cid zone compile`` takes it ahead of the start).
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import logging
import os
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Final, overload

import dns.exception
import dns.name
import dns.zone

from .._descriptor import Descriptor
from .._signed import decode_unverified
from ._build import file_name
from ._entries import Entry, Registration
from ._fingerprint import MAX_RACY, Listing, listing
from ._image import Image, ImageError, ImageNodes, code_digest, encode_image, write_image
from ._patch import patch, set_serial
from ._store import Problem, Registry, ZoneInputs
from ._zone import SignedDescriptor

__all__ = ["CACHE", "Compiled", "StaticDescriptors", "StaticOwners", "open_compiled",
           "save_compiled", "zone_listing"]  # fmt: skip

#: The folder of a registry that holds its images (a cache: never in version control).
CACHE: Final = ".cache"
#: Per-record files changed since an image, at most, for it to stand in with their
#: changes patched in; with more, the zone is assembled whole (and a new image written).
MAX_CHANGES: Final = 10_000
_KEEP: Final = 2  # images kept per zone: a worker may still map the one before

log = logging.getLogger("cid.registry")


class StaticDescriptors(Sequence[SignedDescriptor]):
    """The descriptors of a zone's files, as its image holds them: decoded when read
    (a full assembly or a reload's comparison), never at start. They were verified
    with the zone's keys when the image was written; ``changed`` (by owner) are
    those of the files changed since (None: gone), verified at this load."""

    def __init__(
        self, image: Image, changed: Mapping[dns.name.Name, SignedDescriptor | None] = {}
    ) -> None:
        self._image = image
        self._changed = changed
        self._new = [d for d in changed.values() if d is not None]

    @functools.cached_property
    def _at(self) -> list[int]:
        # Found when first needed (a reload, a whole assembly), not at start: a scan of
        # every record.
        image = self._image
        gone = {image.find_name(n.relativize(image.origin)) for n in self._changed}
        return [i for i in range(image.count) if image.is_static(i) and i not in gone]

    def __len__(self) -> int:
        return len(self._at) + len(self._new)

    @overload
    def __getitem__(self, index: int) -> SignedDescriptor: ...
    @overload
    def __getitem__(self, index: slice) -> list[SignedDescriptor]: ...
    def __getitem__(self, index: int | slice) -> SignedDescriptor | list[SignedDescriptor]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        at = len(self._at)
        return self._one(self._at[index]) if index < at else self._new[index - at]

    def __iter__(self) -> Iterator[SignedDescriptor]:
        yield from map(self._one, self._at)
        yield from self._new

    def _one(self, i: int) -> SignedDescriptor:
        return _signed(self._image.descriptor(i))


def _signed(data: bytes) -> SignedDescriptor:
    _, record = decode_unverified(data)
    if not isinstance(record, Descriptor):
        raise ImageError("a descriptor's record is not a descriptor")
    return SignedDescriptor(data, record)


class StaticOwners:
    """Whether a name (absolute) holds a descriptor of the registry's files: a set
    answered from the image's flags and the files changed since, not a million
    names held."""

    def __init__(
        self, image: Image, changed: Mapping[dns.name.Name, SignedDescriptor | None] = {}
    ) -> None:
        self._image = image
        self._changed = changed

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, dns.name.Name) or not name.is_subdomain(self._image.origin):
            return False
        if name in self._changed:
            return self._changed[name] is not None
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
    changes: int = 0  # names whose descriptor changed since the image, patched in


def _folder(registry: Registry) -> Path:
    return registry.path / CACHE


def _images(registry: Registry, zone: str) -> list[Path]:
    """The zone's images, newest first."""
    # <zone>.<id>.image, not that of a zone whose name begins with this one and a dot.
    found = [
        p for p in _folder(registry).glob(f"{zone}.*.image") if p.name[len(zone) :].count(".") == 2
    ]
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
    ``now``, with the per-record files changed since patched in; else
    :class:`ImageError` says why not."""
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
    if current.config != meta.get("config"):
        raise ImageError(f"{image.path}: settings, keys or delegations changed since")
    if current.too_racy:
        raise ImageError(f"{image.path}: more than {MAX_RACY} files are being written")
    changed = (
        _changed_files(image.files(), current.files) if current.digest != recorded.digest else set()
    )
    changed |= {path for path, digest in recorded.racy.items() if current.racy.get(path) != digest}
    folder = f"zones{os.sep}{zone}{os.sep}"
    kinds = {path.removeprefix(folder).split(os.sep, 1)[0] for path in changed}
    if kinds - {"descriptors", "live"}:
        raise ImageError(f"{image.path}: files of {', '.join(sorted(kinds))} changed since")
    if len(changed) > MAX_CHANGES:
        raise ImageError(f"{image.path}: {len(changed)} files changed since")
    delegations = registry.delegation_records(zone, now=now)
    entries, lapsed, live_problems = registry.live_entries(zone, now=now)
    statuses, status_problems = registry.statuses(zone, now=now)
    zone_obj = dns.zone.Zone(image.origin, relativize=True)
    zone_obj.nodes = ImageNodes(image)
    files = [p for p in changed if p.startswith(f"{folder}descriptors{os.sep}")]
    # The files' descriptors that expired since are read again (a load finds them
    # expired); those that will within a TTL are published again (a shorter TTL, §5).
    ttl = registry.zones[zone].settings.ttl
    soon = [(exp, subject) for exp, subject in meta.get("expiring", []) if exp < now + ttl]
    descriptors = f"{folder}descriptors{os.sep}"
    files += [f"{descriptors}{file_name(s)}.cose" for exp, s in soon if exp <= now]
    files = sorted(set(files))
    new, problems = _changed_descriptors(registry, zone, image, files, now=now)
    changes = _changes(image, new, meta.get("live", []), entries)
    root = dns.name.from_text(registry.root)
    for _, subject in soon:  # published again at ``now``, even with the same bytes
        owner = dns.name.from_text(file_name(subject), origin=root)
        i = image.find_name(owner.relativize(image.origin))
        if owner in changes or i < 0 or not image.is_static(i):
            continue
        then = _signed(image.descriptor(i))
        changes[owner] = (then, new.get(owner, then))
    if changes:
        patched = patch(zone_obj, registry.zones[zone].settings, changes, cuts=image.cuts(),
                        root=registry.root, now=now)  # fmt: skip
        if patched is None:
            raise ImageError(f"{image.path}: a change since needs the whole zone assembled")
        zone_obj = patched.zone
    else:
        _set_serial(zone_obj, now)
    names = {Path(p).name for p in files}
    problems += [
        Problem(p["path"], p["reason"], p.get("valid_from"))
        for p in meta.get("problems", [])
        if Path(p["path"]).name not in names
    ]
    times = [until] + [d.record.expires for d in new.values() if d is not None]
    times += [exp for exp, _ in meta.get("expiring", [])]
    times += [e.until for e in entries.values()]
    times += [p.valid_from for p in problems if p.valid_from is not None]
    until = min(t for t in times if t > now)
    inputs = ZoneInputs(
        StaticDescriptors(image, new),  # type: ignore[arg-type]
        delegations[0],
        entries,
        lapsed,
        problems + delegations[1] + live_problems + status_problems,
        statuses,
        tuple(bytes.fromhex(k) for k in meta.get("keys", [])),
        until=until,
    )
    return Compiled(zone_obj, inputs, StaticOwners(image, new), image, len(changes))


def _set_serial(zone: dns.zone.Zone, now: int) -> None:
    """The serial a full assembly at ``now`` gives: each load serves a newer version,
    as secondaries expect after a restart (statuses may have moved it on since)."""
    origin = zone.nodes[dns.name.empty]  # decoded: the zone's own to change
    set_serial(origin, now)
    zone.nodes[dns.name.empty] = origin


def _changed_files(before: bytes, now: bytes) -> set[str]:
    """The paths whose lines differ between two listings of per-record files: a merge
    of the two sorted listings, line by line (a million lines: no list, no set)."""
    out: set[bytes] = set()
    i = j = 0
    end_a, end_b = len(before), len(now)
    while i < end_a or j < end_b:
        a_end = before.find(b"\n", i) if i < end_a else -1
        b_end = now.find(b"\n", j) if j < end_b else -1
        a = None if i >= end_a else before[i : end_a if a_end < 0 else a_end]
        b = None if j >= end_b else now[j : end_b if b_end < 0 else b_end]
        if a == b:
            i, j = i + len(a or b"") + 1, j + len(b or b"") + 1
        elif b is None or (a is not None and a < b):
            out.add(a.split(b"\0", 1)[0])  # type: ignore[union-attr]
            i += len(a) + 1  # type: ignore[arg-type]
        else:
            out.add(b.split(b"\0", 1)[0])
            j += len(b) + 1
    return {path.decode("utf-8", "surrogateescape") for path in out}


def _changed_descriptors(
    registry: Registry, zone: str, image: Image, files: list[str], *, now: int
) -> tuple[dict[dns.name.Name, SignedDescriptor | None], list[Problem]]:
    """The descriptors of the files changed since the image, by owner (None: none
    there now), each verified as a load verifies it; and the problems found."""
    root = dns.name.from_text(registry.root)
    keys = registry.verify_keys(zone)
    new: dict[dns.name.Name, SignedDescriptor | None] = {}
    problems: list[Problem] = []
    for rel in sorted(files):
        path = registry.path / rel
        if not path.name.endswith(".cose") or path.name.startswith("."):
            continue  # not a descriptor file: a load does not read it either
        try:
            owner = dns.name.from_text(path.name.removesuffix(".cose"), origin=root)
        except dns.exception.DNSException as exc:
            problems.append(Problem(str(path), f"not a descriptor's file name: {exc}"))
            continue
        found = registry.descriptor_file(zone, path, keys, now=now) if path.exists() else None
        if isinstance(found, Problem):
            problems.append(found)
            found = None
        if owner.is_subdomain(image.origin):
            new[owner] = found
        elif found is not None:  # pragma: no cover - assembly refuses it too
            raise ImageError(f"{path}: outside the zone")
    return new, problems


def _changes(
    image: Image,
    new: Mapping[dns.name.Name, SignedDescriptor | None],
    was_live: Sequence[str],
    entries: Mapping[dns.name.Name, Entry],
) -> dict[dns.name.Name, tuple[SignedDescriptor | None, SignedDescriptor | None]]:
    """What is published at each name that may have changed since the image: (then,
    now). A file's descriptor shadows a live registration of its subject."""
    origin = image.origin
    names = set(new) | set(entries) | {dns.name.from_text(n) for n in was_live}
    out = {}
    for name in names:
        i = image.find_name(name.relativize(origin)) if name.is_subdomain(origin) else -1
        data = image.published(i) if i >= 0 else None
        then = None if data is None else _signed(data)
        static = new[name] if name in new else (then if i >= 0 and image.is_static(i) else None)
        entry = entries.get(name)
        live = (
            SignedDescriptor(entry.data, entry.record) if isinstance(entry, Registration) else None
        )
        now = static or live
        if (then and then.data) != (now and now.data):
            out[name] = (then, now)
    return out


def save_compiled(
    registry: Registry,
    zone: str,
    built: dns.zone.Zone,
    inputs: ZoneInputs,
    before: Listing,
    *,
    now: int,
    owners: AbstractSet[dns.name.Name],
    stop: Callable[[], bool] | None = None,
) -> Path | None:
    """Write the image of ``built`` (assembled at ``now`` from ``inputs``, read after
    the listing ``before``), or None when no image can stand in for it: a file
    changed too close to the listing, or assembly differs a second later."""
    if before.too_racy or inputs.lapsed:
        return None
    # The descriptors of files that expire first are listed, so that a later load
    # patches them out (and gives those near their end a shorter TTL) as assembly
    # would; beyond the last listed, the image is stale.
    ttl = registry.zones[zone].settings.ttl
    first = heapq.nsmallest(
        MAX_CHANGES + 1, ((d.record.expires, d.record.subject) for d in inputs.static)
    )
    horizon = first[MAX_CHANGES][0] if len(first) > MAX_CHANGES else 2**62
    times = [horizon - ttl] + [e.until for e in inputs.live.values()]
    times += [d.record.expires for d in inputs.delegations]
    times += [s.record.expires for s in inputs.statuses]
    times += [p.valid_from for p in inputs.problems if p.valid_from is not None]
    until = min(t for t in times if t > now) if any(t > now for t in times) else now
    if until <= now + 1:
        return None
    meta = {
        "zone": zone,
        "code": code_digest(),
        "built": now,
        "until": until,
        "expiring": [[exp, subject] for exp, subject in first[:MAX_CHANGES]],
        "listing": before.digest,
        "racy": before.racy,
        "config": before.config,
        # Names published from live registrations: a later load compares them with
        # live/ as it is then (names by files: _changed_descriptors).
        "live": sorted(str(n) for n, e in inputs.live.items() if isinstance(e, Registration)),
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
    write_image(path, encode_image(built, meta, owners, before.files), stop)
    for old in _images(registry, zone)[_KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(old)
    return path
