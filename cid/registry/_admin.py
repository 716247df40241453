"""Running a registry (spec/resolution.md §7.8): a new registry, zones, sources, and the
rollover of a zone's key. What ``cid registry``, ``cid zone add``, ``cid source`` and
``cid key rollover`` do; time is always passed in, and every write is atomic.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from .._cose import HEADER_KID
from .._descriptor import (
    DEFAULT_SKEW,
    REGION_TEXT,
    Delegation,
    Endpoint,
    check_zone,
)
from .._descriptor_json import descriptor_from_json
from .._dnsname import normalise_root
from .._errors import CidError
from .._identifier import parse
from .._keys import SigningKey, VerifyKey
from .._signed import decode_unverified, sign, sign_rotation
from ..atomic import fsync_dir, write_atomic
from ._rollover import RolloverState, read_state, write_state
from ._store import Registry, RegistryError, ZoneConfig
from ._zone import NameServer

__all__ = [
    "MAX_ZONE_NAME",
    "ROTATION_FOLDER",
    "AdminError",
    "RolloverStep",
    "RolloverTooEarly",
    "SourceEntry",
    "add_child_zone",
    "add_source",
    "check_zone_name",
    "init_registry",
    "list_sources",
    "parse_nameservers",
    "remove_source",
    "retire_wait",
    "rollover",
    "source_zone",
]

#: §2.2: a zone's apex is at most 245 characters, so that its delegation's owner fits.
MAX_ZONE_NAME: Final = 245
#: Where the root zone's anchor rotations (spec/descriptor.md §10) are written.
ROTATION_FOLDER: Final = "anchor-rotation"
_LDH: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST: Final = re.compile(rf"{_LDH}(?:\.{_LDH})*")


class AdminError(RegistryError):
    """A registry command that cannot be done as asked (the message says why)."""


class RolloverTooEarly(AdminError):
    """A key rollover step asked for before its time; ``not_before`` is when it may be
    done (None: not before a build at or after the rollover's ``sign_from``)."""

    def __init__(self, message: str, not_before: int | None) -> None:
        super().__init__(message)
        self.not_before = not_before


# ---------------------------------------------------------------- names


def _normalised(name: str) -> str:
    return name[:-1].lower() if name.endswith(".") else name.lower()


def check_zone_name(root: str, zone: str) -> str:
    """``zone`` as a zone of the hierarchy under ``root`` (spec/descriptor.md §6.3.1,
    spec/resolution.md §2.2): a zone name, at or under the root, whose apex is the
    root, a provider name, a region node or an architecture node. Returns it
    lowercase, without a trailing dot."""
    text = _normalised(zone)
    if len(text) > MAX_ZONE_NAME:
        raise AdminError(f"zone {zone!r} is longer than {MAX_ZONE_NAME} characters (§2.2)")
    try:
        check_zone(text, "zone")
    except CidError:
        raise AdminError(
            f"zone {zone!r} is not a zone name: labels of a-z, 0-9 and inner '-', or '_' "
            "then a letter or digit (a region or architecture label); A-labels for "
            "Unicode (spec/descriptor.md §6.3.1)"
        ) from None
    if text == root:
        return text
    if not text.endswith("." + root):
        raise AdminError(f"zone {text} is not under the registry's root {root}")
    labels = text[: -len(root) - 1].split(".")
    under = [label.startswith("_") for label in labels]
    count = sum(under)
    if under[:count] != [True] * count:
        raise AdminError(
            f"zone {text}: '_' labels (region, architecture) come leftmost, below the "
            "provider's labels (spec/resolution.md §2.1)"
        )
    if count > 2:
        raise AdminError(
            f"zone {text} is below an architecture node; a zone's apex is the root, a "
            "provider, a region or an architecture node (spec/resolution.md §2.2)"
        )
    if count and not REGION_TEXT(labels[count - 1][1:]):
        raise AdminError(f"zone {text}: {labels[count - 1]!r} is not a region label (_cn-sh)")
    return text


def parse_nameservers(zone: str, specs: Sequence[str]) -> tuple[NameServer, ...]:
    """Name servers from ``NAME=ADDR`` (or ``NAME`` for one outside the zone) texts; a
    name given twice gathers its addresses. None given: ``ns1.<zone>`` at 127.0.0.1."""
    if not specs:
        return (NameServer(f"ns1.{zone}", ("127.0.0.1",)),)
    found: dict[str, list[str]] = {}
    for spec in specs:
        name, eq, address = spec.partition("=")
        name = _normalised(name.strip())
        if not _HOST.fullmatch(name) or len(name) > 253:
            raise AdminError(f"--ns {spec!r}: {name!r} is not a host name (NAME=ADDR)")
        addresses = found.setdefault(name, [])
        if eq:
            try:
                addresses.append(str(ipaddress.ip_address(address.strip())))
            except ValueError:
                raise AdminError(f"--ns {spec!r}: {address!r} is not an IP address") from None
    for name, addresses in found.items():
        if not addresses and (name == zone or name.endswith("." + zone)):
            raise AdminError(
                f"--ns {name}: a name server inside zone {zone} needs its address (NAME=ADDR)"
            )
    return tuple(NameServer(n, tuple(dict.fromkeys(a))) for n, a in found.items())


# ---------------------------------------------------------- registry, zones


def init_registry(
    path: Path | str, root: str, nameservers: Sequence[str] = (), *, now: int
) -> Registry:
    """A new registry at ``path`` (absent or an empty folder) with the root zone, its
    key and name servers, built (``anchor.json``). Made in a temporary folder beside
    ``path`` and renamed into place: after a crash there is a whole registry or none."""
    path = Path(path)
    try:
        text = normalise_root(root)
        if not text:
            raise CidError("the DNS root itself cannot be a registry's root")
        check_zone_name(text, text)
    except CidError as exc:
        raise AdminError(f"root {root!r}: {exc}") from None
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise AdminError(f"{path}: not an empty folder; a registry starts in a new one")
    servers = parse_nameservers(text, nameservers)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        registry = Registry.create(tmp, text)
        registry.add_zone(text, None, servers)
        registry.build(now=now)
        os.rename(tmp, path)  # replaces an empty folder
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    fsync_dir(path.parent)
    return Registry.load(path)


def add_child_zone(registry: Registry, zone: str, nameservers: Sequence[str] = ()) -> ZoneConfig:
    """Add ``zone`` below the closest enclosing zone of the registry, with a new key and
    its name servers. The parent's delegation record is signed by the next build."""
    name = check_zone_name(registry.root, zone)
    if name in registry.zones:
        raise AdminError(f"zone {name} exists already")
    parent = _enclosing(registry, name)
    if parent is None:  # pragma: no cover - check_zone_name puts it under the root
        raise AdminError(f"no zone of the registry encloses {name}")
    clash = [c.name for c in registry.children(parent) if c.name.endswith("." + name)]
    if clash:
        raise AdminError(
            f"zone {name} would come between {parent} and its child {clash[0]}; "
            "zones are added from the top down"
        )
    return registry.add_zone(name, parent, parse_nameservers(name, nameservers))


def _enclosing(registry: Registry, name: str) -> str | None:
    """The deepest zone of the registry that ``name`` is at or strictly below (when
    ``strict``) the apex of."""
    found = [z for z in registry.zones if name.endswith("." + z)]
    return max(found, key=lambda z: z.count("."), default=None)


# ------------------------------------------------------------------ sources


@dataclass(frozen=True, slots=True)
class SourceEntry:
    zone: str
    path: Path
    subject: str  # canonical, or as written when it does not parse


def source_zone(registry: Registry, identifier: str) -> tuple[str, str, str]:
    """(zone, canonical subject, file name) of ``identifier``: the deepest zone whose
    name its DNS name is at or under."""
    ident = parse(identifier)
    dns = ident.to_dns_name(registry.root).rstrip(".")
    found = [z for z in registry.zones if dns == z or dns.endswith("." + z)]
    if not found:  # pragma: no cover - every identifier is under the root zone
        raise AdminError(f"{ident} is in no zone of the registry")
    zone = max(found, key=lambda z: z.count("."))
    return zone, str(ident), ident.to_dns_name("").rstrip(".")


def _endpoint_json(ep: Endpoint) -> dict[str, Any]:
    out: dict[str, Any] = {
        "transport": ep.transport,
        "protocol": ep.protocol,
        "host": ep.host,
        "port": ep.port,
        "priority": ep.priority,
        "weight": ep.weight,
    }
    if ep.alpn:
        out["alpn"] = list(ep.alpn)
    if ep.region is not None:
        out["region"] = ep.region
    return out


def add_source(
    registry: Registry, identifier: str, endpoints: Sequence[Endpoint], *, now: int
) -> Path:
    """Write the source of ``identifier`` (spec/descriptor.md §13) into its zone; the
    next build signs it. Checked first: it forms a descriptor that fits when signed."""
    if not endpoints:
        raise AdminError("a source needs at least one endpoint")
    zone, subject, file_name = source_zone(registry, identifier)
    path = registry.path / "zones" / zone / "sources" / f"{file_name}.json"
    spec = {
        "issuer": zone,
        "subject": subject,
        "version": 1,
        "endpoints": [_endpoint_json(ep) for ep in endpoints],
    }
    try:
        record = descriptor_from_json(spec, now, registry.zones[zone].valid_for)
        sign(record, registry.signing_key(zone))  # only to check the size
    except CidError as exc:
        raise AdminError(f"{subject}: {exc}") from None
    text = _json_text(spec)
    try:
        write_atomic(path, text, overwrite=False)
    except FileExistsError:
        raise AdminError(f"{path}: {subject} has a source already; remove it first") from None
    return path


def _json_text(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def list_sources(registry: Registry) -> list[SourceEntry]:
    """Every source of the registry, zone by zone from the top."""
    out = []
    for cfg in registry.top_down():
        for path in sorted((registry.path / "zones" / cfg.name / "sources").glob("*.json")):
            out.append(SourceEntry(cfg.name, path, _subject_of(path)))
    return out


def _subject_of(path: Path) -> str:
    try:
        written = json.loads(path.read_text("utf-8"))["subject"]
    except (OSError, ValueError, KeyError, TypeError):
        return "?"
    try:
        return str(parse(written))
    except CidError:
        return str(written)


def remove_source(registry: Registry, identifier: str) -> list[Path]:
    """Remove the source of ``identifier`` and its signed descriptor (§7.4: caches may
    hold it until its TTL or expiry). Returns the files removed."""
    zone, subject, file_name = source_zone(registry, identifier)
    folder = registry.path / "zones" / zone
    targets = [e.path for e in list_sources(registry) if e.zone == zone and e.subject == subject]
    signed = folder / "descriptors" / f"{file_name}.cose"
    if not targets:
        raise AdminError(f"no source of {subject} in zone {zone}")
    removed = []
    for path in [*targets, signed]:
        if path.exists():
            path.unlink()
            fsync_dir(path.parent)
            removed.append(path)
    return removed


# ------------------------------------------------------------- key rollover


@dataclass(frozen=True, slots=True)
class RolloverStep:
    """What one ``rollover`` call did: ``started`` or ``finished``."""

    zone: str
    done: str
    state: RolloverState
    written: list[Path] = field(default_factory=list)
    rotation: tuple[Path, Path] | None = None  # the root: the anchor rotation's two files


def retire_wait(registry: Registry, zone: str) -> int:
    """Seconds from the switch to the new key until the old one may retire (§7.8): the
    longest TTL and the longest validity of any record the old key signed, and the
    clock-skew allowance of verifiers."""
    cfg = registry.zones[zone]
    longest = [cfg.settings.ttl, cfg.valid_for]
    if registry.children(zone):
        longest.append(cfg.delegation_valid_for)
    if cfg.live is not None:
        longest.append(cfg.live.max_lease)
    if zone == registry.root:
        longest.append(cfg.delegation_valid_for)  # the anchor rotation
    return max(longest) + DEFAULT_SKEW


def _publish_wait(registry: Registry, zone: str) -> int:
    """Seconds from the start until the new key may sign: until every cached copy of the
    old delegation (the parent's TTL) or anchor (the root's TTL) has expired."""
    cfg = registry.zones[zone]
    above = registry.zones[cfg.parent] if cfg.parent is not None else cfg
    return above.settings.ttl + DEFAULT_SKEW


def rollover(
    registry: Registry, zone: str, *, now: int, finish: bool | None = None
) -> RolloverStep:
    """Start a rollover of ``zone``'s key, or finish the one under way (``finish`` None:
    whichever is next; True or False: only that, or an error)."""
    name = _normalised(zone)
    if name not in registry.zones:
        raise AdminError(f"no zone {zone} in the registry")
    folder = registry.path / "zones" / name
    try:
        state = read_state(folder)
    except CidError as exc:
        raise AdminError(str(exc)) from None
    if state is None:
        if finish:
            raise AdminError(f"zone {name}: no key rollover under way to finish")
        return _start(registry, name, now)
    if finish is False:
        raise AdminError(
            f"zone {name}: a key rollover is under way (new key {state.new[:16]}, started "
            f"at {state.started}); finish it first"
        )
    if state.new not in registry.zones[name].keys and state.old in registry.zones[name].keys:
        return _publish(registry, name, state, now)  # a start cut short: complete it
    return _finish(registry, name, state, now)


def _start(registry: Registry, zone: str, now: int) -> RolloverStep:
    cfg = registry.zones[zone]
    folder = registry.path / "zones" / zone
    if not cfg.keys or not (folder / "keys" / f"{cfg.keys[0]}.key").exists():
        raise AdminError(f"zone {zone}: its signing key {cfg.keys[:1]} has no private key file")
    if len(cfg.keys) >= 2:
        raise AdminError(
            f"zone {zone} lists {len(cfg.keys)} keys; a delegation lists at most two "
            "(spec/descriptor.md §9.1), so there is no room for a new one beside them"
        )
    new = SigningKey.generate()
    kid = new.kid.hex()
    new.save(folder / "keys" / f"{kid}.key")
    new.verify_key.save(folder / "keys" / f"{kid}.pub")
    version = None
    if zone == registry.root:
        version = _last_rotation(registry) + 1
    state = RolloverState(
        old=cfg.keys[0],
        new=kid,
        started=now,
        sign_from=now + _publish_wait(registry, zone),
        rotation_version=version,
    )
    write_state(folder, state)  # the commit point: a crash after it resumes here
    return _publish(registry, zone, state, now)


def _publish(registry: Registry, zone: str, state: RolloverState, now: int) -> RolloverStep:
    """List the new key beside the old one (still the signer), sign the parent's
    delegation (or the root's anchor rotation and anchor.json) at once."""
    rotation = None
    if zone == registry.root:
        rotation = _rotate(
            registry, state, (state.old, state.new), state.rotation_version, state.started
        )
    others = [k for k in registry.zones[zone].keys if k not in (state.old, state.new)]
    registry.set_keys(zone, [state.old, state.new, *others])
    written = registry.build(now=now)
    return RolloverStep(zone, "started", state, written, rotation)


def _finish(registry: Registry, zone: str, state: RolloverState, now: int) -> RolloverStep:
    folder = registry.path / "zones" / zone
    if state.old in registry.zones[zone].keys:
        if state.switched is None:
            raise RolloverTooEarly(
                f"zone {zone}: the new key has not signed yet; run `cid zone build` at or "
                f"after {state.sign_from} (start {state.started} + the TTL above the zone "
                f"+ {DEFAULT_SKEW} s); the old key retires {retire_wait(registry, zone)} s "
                "after that build",
                None,
            )
        retire_from = state.switched + retire_wait(registry, zone)
        if now < retire_from:
            raise RolloverTooEarly(
                f"zone {zone}: too early to retire the old key {state.old[:16]}: not before "
                f"{retire_from} (the new key has signed since {state.switched}; the longest "
                f"TTL or validity it signed, plus {DEFAULT_SKEW} s, is "
                f"{retire_wait(registry, zone)} s)",
                retire_from,
            )
        still = _signed_by(folder, bytes.fromhex(state.old), now)
        if still:
            raise RolloverTooEarly(
                f"zone {zone}: {still[0]} is still signed by the old key and valid; run "
                "`cid zone build` (or remove it) first",
                None,
            )
        registry.set_keys(zone, [k for k in registry.zones[zone].keys if k != state.old])
    rotation = None
    if zone == registry.root:
        version = (state.rotation_version or _last_rotation(registry)) + 1
        if _rotation_paths(registry, version)[0].exists():  # a finish cut short
            rotation = _rotation_paths(registry, version)
        else:
            rotation = _rotate(registry, state, (state.new,), version, now)
    written = registry.build(now=now)
    old_key = folder / "keys" / f"{state.old}.key"
    if old_key.exists():  # the public key stays, for the record
        old_key.unlink()
        fsync_dir(old_key.parent)
    write_state(folder, None)
    return RolloverStep(zone, "finished", state, written, rotation)


def _signed_by(folder: Path, kid: bytes, now: int) -> list[Path]:
    """The zone's signed files whose signer is ``kid`` and that have not expired."""
    found = []
    for sub in ("descriptors", "delegations"):
        for path in sorted((folder / sub).glob("*.cose")):
            try:
                header, record = decode_unverified(path.read_bytes())
            except (OSError, CidError):
                continue
            if header.get(HEADER_KID) == kid and record.expires + DEFAULT_SKEW > now:
                found.append(path)
    return found


def _rotation_paths(registry: Registry, version: int) -> tuple[Path, Path]:
    folder = registry.path / ROTATION_FOLDER
    return folder / f"v{version}.by-old.cose", folder / f"v{version}.by-new.cose"


def _last_rotation(registry: Registry) -> int:
    folder = registry.path / ROTATION_FOLDER
    versions = [
        int(m.group(1))
        for p in (folder.glob("v*.by-old.cose") if folder.is_dir() else ())
        if (m := re.fullmatch(r"v([0-9]+)\.by-old\.cose", p.name))
    ]
    return max(versions, default=0)


def _rotate(
    registry: Registry,
    state: RolloverState,
    kids: tuple[str, ...],
    version: int | None,
    issued: int,
) -> tuple[Path, Path]:
    """The root's anchor rotation (spec/descriptor.md §10) to the keys ``kids``, signed by
    the old key and the new one, written to ``anchor-rotation/v<version>.by-*.cose``."""
    root = registry.root
    cfg = registry.zones[root]
    keys_folder = registry.path / "zones" / root / "keys"
    record = Delegation(
        parent=root,
        child=root,
        keys=tuple(VerifyKey.load(keys_folder / f"{k}.pub") for k in kids),
        version=version or 1,
        issued_at=issued,
        not_before=issued,
        expires=issued + cfg.delegation_valid_for,
    )
    old = SigningKey.load(keys_folder / f"{state.old}.key")
    new = SigningKey.load(keys_folder / f"{state.new}.key")
    by_old, by_new = sign_rotation(record, old, new)
    paths = _rotation_paths(registry, version or 1)
    paths[0].parent.mkdir(exist_ok=True)
    write_atomic(paths[1], by_new)
    write_atomic(paths[0], by_old)  # last: its presence marks the rotation done
    return paths
