"""The on-disk registry (spec/resolution.md §7): a folder operators keep in version control.

::

    registry.json                      {"format": "ucid-registry", "version": 1, "root": ...}
    anchor.json                        the trust anchor (root zone, keys, servers); built
    zones/<zone>/zone.json             settings: parent, name servers, TTLs, validity
    zones/<zone>/keys/<kid>.key|.pub   the zone's Ed25519 keys (private ones mode 0600)
    zones/<zone>/sources/*.json        descriptors to sign, as ``cid descriptor sign`` reads
    zones/<zone>/descriptors/*.cose    signed descriptors; built, or added signed
    zones/<zone>/status/*.cose         signed status records (spec/status.md), published
                                       beside their descriptors while valid
    zones/<zone>/delegations/*.cose    what this zone signed for each child zone; built
    zones/<zone>/tsig/<name>.key       TSIG keys: live registration, zone transfers (0600)
    zones/<zone>/live/*.json           live registrations; written by ``cid serve`` only

Every write is atomic (``_atomic``). Loading verifies every signed file with
its zone's keys and reports each bad file with its path and reason; a bad
file is never served.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import dns.exception
import dns.name
import dns.tsig
import dns.zone

from .._descriptor import DEFAULT_SKEW, Delegation, Descriptor
from .._descriptor_json import descriptor_from_json
from .._errors import CidError, NotYetValidError, ValidityError
from .._identifier import parse
from .._keys import SigningKey, VerifyKey
from .._signed import sign, verify, verify_delegation
from .._status import Status, verify_status
from ..atomic import AtomicWriter, fsync_dir, write_atomic
from ._build import (
    SourceError,
    ZoneSigning,
    default_workers,
    file_name,
    listing,
    next_record,
    old_record,
    read_json,
    sign_sources,
    signer_kid,
    start_pool,
)
from ._entries import Entry, LivePolicy, Registration, published, read_entry
from ._push import parse_tsig
from ._rollover import read_state, write_state
from ._zone import (
    NameServer,
    SignedDelegation,
    SignedDescriptor,
    SignedStatus,
    ZoneSettings,
    assemble,
)

__all__ = ["Problem", "Registry", "RegistryError", "Secondary", "ZoneConfig", "ZoneInputs"]

FORMAT: Final = "ucid-registry"
DEFAULT_VALID_FOR: Final = 7 * 86400
DEFAULT_DELEGATION_VALID_FOR: Final = 90 * 86400


class RegistryError(CidError):
    """A registry that cannot be used at all (the message names the file)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a registry: the file and the reason.

    ``valid_from`` is set when the only fault is that the record is not valid
    yet: from then on it verifies, and a server assembles the zone again.
    """

    path: str
    reason: str
    valid_from: int | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Secondary:
    """A secondary server of a zone (spec/resolution.md §7.3, §9.1): ``cid serve`` sends it
    NOTIFY at ``address`` port ``port`` and lets it transfer the zone from ``address``,
    signed with the TSIG key ``tsig_key`` (``tsig/<name>.key``)."""

    address: str
    tsig_key: str
    port: int = 53

    def __post_init__(self) -> None:
        ipaddress.ip_address(self.address)  # an address, not a host name: ValueError
        if not 0 < self.port < 65536:
            raise ValueError(f"port {self.port} out of range")
        dns.name.from_text(self.tsig_key)  # a domain name


@dataclass(frozen=True, slots=True)
class ZoneConfig:
    settings: ZoneSettings
    parent: str | None
    keys: tuple[str, ...]  # active key ids (hex); the first signs
    valid_for: int = DEFAULT_VALID_FOR
    delegation_valid_for: int = DEFAULT_DELEGATION_VALID_FOR
    live: LivePolicy | None = None  # None: no live registration (spec §8.8)
    secondaries: tuple[Secondary, ...] = ()  # hidden primary for these (spec §9.1)

    @property
    def name(self) -> str:
        return self.settings.name


def _read_json(path: Path) -> Any:
    try:
        return read_json(path)
    except SourceError as exc:
        raise RegistryError(str(exc)) from None


def _write_json(path: Path, data: Any) -> None:
    write_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _zone_config(path: Path) -> ZoneConfig:
    data = _read_json(path)
    try:
        settings = ZoneSettings(
            name=data["name"],
            nameservers=tuple(
                NameServer(ns["name"], tuple(ns.get("addresses", ()))) for ns in data["nameservers"]
            ),
            ttl=int(data.get("ttl", 3600)),
            negative_ttl=int(data.get("negative_ttl", 300)),
            contact=data.get("contact", ""),
        )
        return ZoneConfig(
            settings=settings,
            parent=data.get("parent"),
            keys=tuple(data.get("keys", ())),
            valid_for=int(data.get("valid_for", DEFAULT_VALID_FOR)),
            delegation_valid_for=int(
                data.get("delegation_valid_for", DEFAULT_DELEGATION_VALID_FOR)
            ),
            live=_live_policy(data["live"]) if data.get("live") is not None else None,
            secondaries=tuple(_secondary(s) for s in data.get("secondaries", ())),
        )
    except (KeyError, TypeError, ValueError, AttributeError, CidError) as exc:
        raise RegistryError(f"{path}: invalid zone settings: {exc!r}") from None


def _live_policy(data: dict[str, Any]) -> LivePolicy:
    if unknown := set(data) - {"tsig_keys", "max_lease", "default_lease", "max_registrations"}:
        raise ValueError(f"unknown live settings: {', '.join(sorted(unknown))}")
    names = data.get("tsig_keys", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError("live.tsig_keys is a list of key names")
    base = LivePolicy()
    return LivePolicy(
        tsig_keys=tuple(names),
        max_lease=int(data.get("max_lease", base.max_lease)),
        default_lease=int(data.get("default_lease", base.default_lease)),
        max_registrations=int(data.get("max_registrations", base.max_registrations)),
    )


def _secondary(data: dict[str, Any]) -> Secondary:
    if unknown := set(data) - {"address", "port", "tsig_key"}:
        raise ValueError(f"unknown secondary settings: {', '.join(sorted(unknown))}")
    if not isinstance(data["address"], str) or not isinstance(data["tsig_key"], str):
        raise ValueError("a secondary's address and tsig_key are strings")
    return Secondary(data["address"], data["tsig_key"], int(data.get("port", 53)))


def _secondary_json(s: Secondary) -> dict[str, Any]:
    return {"address": s.address, "port": s.port, "tsig_key": s.tsig_key}


def _config_json(cfg: ZoneConfig) -> dict[str, Any]:
    s = cfg.settings
    return (
        {
            "name": s.name,
            "parent": cfg.parent,
            "nameservers": [
                {"name": ns.name, "addresses": list(ns.addresses)} for ns in s.nameservers
            ],
            "keys": list(cfg.keys),
            "ttl": s.ttl,
            "negative_ttl": s.negative_ttl,
            "valid_for": cfg.valid_for,
            "delegation_valid_for": cfg.delegation_valid_for,
        }
        | ({"live": _live_json(cfg.live)} if cfg.live is not None else {})
        | (
            {"secondaries": [_secondary_json(s) for s in cfg.secondaries]}
            if cfg.secondaries
            else {}
        )
    )


def _live_json(policy: LivePolicy) -> dict[str, Any]:
    return {
        "tsig_keys": list(policy.tsig_keys),
        "max_lease": policy.max_lease,
        "default_lease": policy.default_lease,
        "max_registrations": policy.max_registrations,
    }


#: Descriptor files read between two calls of a progress callback.
_PROGRESS_EVERY: Final = 4096


@dataclass(frozen=True, slots=True)
class ZoneInputs:
    """What one zone is assembled from: verified files, live entries, and what was left out."""

    static: list[SignedDescriptor]  # descriptors/*.cose
    delegations: list[SignedDelegation]
    live: dict[dns.name.Name, Entry]  # live/*.json, by name
    lapsed: list[Path]  # live files whose lease has lapsed: never served, may be deleted
    problems: list[Problem]
    statuses: list[SignedStatus] = field(default_factory=list)  # status/*.cose
    keys: tuple[bytes, ...] = ()  # the zone's verify keys the records were verified with
    # From a compiled image (._compiled): when its zone stops standing for these inputs;
    # ``static`` is then read from the image, and not for this.
    until: int | None = None

    def next_change(self, now: int) -> int | None:
        """The first time after ``now`` at which the assembled zone differs from the
        one assembled at ``now`` without any file changing: a signed record expires
        (spec §5) or a record not yet valid becomes valid. Live leases are not
        counted: the live driver times those itself."""
        times = [r.record.expires for r in self.static] if self.until is None else [self.until]
        times += [d.record.expires for d in self.delegations]
        times += [s.record.expires for s in self.statuses]
        times += [p.valid_from for p in self.problems if p.valid_from is not None]
        return min((t for t in times if t > now), default=None)


@dataclass
class Registry:
    """A registry folder, loaded. Methods that write keep every file atomic."""

    path: Path
    root: str
    zones: dict[str, ZoneConfig] = field(default_factory=dict)

    # ------------------------------------------------------------ creating

    @classmethod
    def create(cls, path: Path | str, root: str) -> Registry:
        path = Path(path)
        (path / "zones").mkdir(parents=True, exist_ok=True)
        if (path / "registry.json").exists():
            raise RegistryError(f"{path / 'registry.json'}: a registry exists already")
        _write_json(path / "registry.json", {"format": FORMAT, "version": 1, "root": root})
        return cls(path, root)

    def add_zone(
        self,
        name: str,
        parent: str | None,
        nameservers: Iterable[NameServer],
        key: SigningKey | None = None,
        **options: int,
    ) -> ZoneConfig:
        """Add a zone with a signing key (a new one unless given); ``parent`` None makes it
        the root zone."""
        if name in self.zones:
            raise RegistryError(f"zone {name} exists already")
        if parent is None and name != self.root:
            raise RegistryError(f"only the root zone {self.root} has no parent")
        if parent is not None and parent not in self.zones:
            raise RegistryError(f"parent zone {parent} of {name} is not in the registry")
        folder = self._folder(name)
        for sub in ("keys", "sources", "descriptors", "delegations"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        key = key or SigningKey.generate()
        kid = key.kid.hex()
        key.save(folder / "keys" / f"{kid}.key")
        key.verify_key.save(folder / "keys" / f"{kid}.pub")
        cfg = ZoneConfig(
            ZoneSettings(name, tuple(nameservers)),
            parent,
            (kid,),
            valid_for=options.pop("valid_for", DEFAULT_VALID_FOR),
            delegation_valid_for=options.pop("delegation_valid_for", DEFAULT_DELEGATION_VALID_FOR),
        )
        if options:
            raise TypeError(f"unknown zone options: {', '.join(sorted(options))}")
        _write_json(folder / "zone.json", _config_json(cfg))
        self.zones[name] = cfg
        return cfg

    def set_keys(self, zone: str, kids: Iterable[str]) -> ZoneConfig:
        """Make ``kids`` the zone's active keys, the first the one that signs (zone.json)."""
        path = self._folder(zone) / "zone.json"
        data = _read_json(path)
        data["keys"] = list(kids)
        _write_json(path, data)
        self.zones[zone] = cfg = _zone_config(path)
        return cfg

    def add_source(self, zone: str, name: str, spec: dict[str, Any]) -> Path:
        path = self._folder(zone) / "sources" / f"{name}.json"
        _write_json(path, {"issuer": zone, **spec})
        return path

    # ------------------------------------------------------------- loading

    @classmethod
    def load(cls, path: Path | str) -> Registry:
        path = Path(path)
        meta = _read_json(path / "registry.json")
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != 1:
            raise RegistryError(f"{path / 'registry.json'}: not a version 1 {FORMAT}")
        reg = cls(path, str(meta["root"]))
        folders = sorted((path / "zones").glob("*/zone.json")) if (path / "zones").is_dir() else []
        for zone_json in folders:
            cfg = _zone_config(zone_json)
            if zone_json.parent.name != cfg.name:
                raise RegistryError(f"{zone_json}: names zone {cfg.name}, not its folder's")
            reg.zones[cfg.name] = cfg
        if reg.root not in reg.zones:
            raise RegistryError(f"{path}: the root zone {reg.root} has no zones/{reg.root}/")
        for cfg in reg.zones.values():
            if cfg.parent is not None and cfg.parent not in reg.zones:
                raise RegistryError(f"zone {cfg.name}: parent {cfg.parent} is not in the registry")
        return reg

    def _folder(self, zone: str) -> Path:
        return self.path / "zones" / zone

    def signing_key(self, zone: str) -> SigningKey:
        cfg = self.zones[zone]
        if not cfg.keys:
            raise RegistryError(f"zone {zone}: no active key in zone.json")
        return SigningKey.load(self._folder(zone) / "keys" / f"{cfg.keys[0]}.key")

    def verify_keys(self, zone: str) -> list[VerifyKey]:
        folder = self._folder(zone) / "keys"
        return [VerifyKey.load(folder / f"{kid}.pub") for kid in self.zones[zone].keys]

    def children(self, zone: str) -> list[ZoneConfig]:
        return [c for c in self.zones.values() if c.parent == zone]

    def top_down(self) -> list[ZoneConfig]:
        return sorted(self.zones.values(), key=lambda c: (c.name.count("."), c.name))

    # --------------------------------------------------------------- build

    def build(
        self,
        *,
        now: int,
        report: Callable[[str, Path], None] | None = None,
        workers: int | None = None,
    ) -> list[Path]:
        """Sign every source and every delegation that needs it; return the files written.

        A record is re-signed when its content changed or less than half its
        validity is left, with a version above the last one published.
        ``report(event, path)``, if given, is called as the build goes: ``"checked"``
        for each source and delegation looked at, ``"signed"`` for each record
        signed (written durably when the build ends), ``"wrote"`` for the anchor.
        A zone of many sources is signed by ``workers`` processes (default: one
        per core; 1: none), with the same result.
        """
        written: list[Path] = []
        tell = report or _ignore
        zones = self.top_down()
        sources = {c.name: listing(self._folder(c.name) / "sources", ".json") for c in zones}
        # Forked before the writer starts its threads (see start_pool).
        sizes = map(len, sources.values())
        pool = start_pool(default_workers() if workers is None else workers, sizes)
        try:
            self._build(now, zones, sources, pool, written, tell)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        anchor = self.anchor()
        if _read_optional(self.path / "anchor.json") != anchor:
            _write_json(self.path / "anchor.json", anchor)
            written.append(self.path / "anchor.json")
            tell("wrote", self.path / "anchor.json")
        return written

    def _build(
        self,
        now: int,
        zones: list[ZoneConfig],
        sources: dict[str, list[str]],
        pool: ProcessPoolExecutor | None,
        written: list[Path],
        tell: Callable[[str, Path], None],
    ) -> None:
        with AtomicWriter() as writer:  # durable when the block ends
            for listed in zones:
                cfg = self._switch_signer(listed, now)
                key = self.signing_key(cfg.name)
                keys = self.verify_keys(cfg.name)
                folder = self._folder(cfg.name)
                several = len(keys) > 1  # a record by another key is re-signed by this one
                job = ZoneSigning(
                    folder=folder,
                    key_file=folder / "keys" / f"{cfg.keys[0]}.key",
                    pub_files=tuple(folder / "keys" / f"{kid}.pub" for kid in cfg.keys),
                    now=now,
                    valid_for=cfg.valid_for,
                )
                try:
                    for source, out, signed in sign_sources(job, sources[cfg.name], writer, pool):
                        if signed:
                            written.append(out)
                            tell("signed", out)
                        tell("checked", source)
                except SourceError as exc:
                    raise RegistryError(str(exc)) from None
                for child in self.children(cfg.name):
                    drec = Delegation(
                        parent=cfg.name,
                        child=child.name,
                        keys=tuple(self.verify_keys(child.name)),
                        version=1,
                        issued_at=now,
                        not_before=now,
                        expires=now + cfg.delegation_valid_for,
                    )
                    out = folder / "delegations" / f"{child.name}.cose"
                    dold = old_record(out, keys, now, verify_delegation)
                    resign = several and signer_kid(out) not in (None, key.kid)
                    dnew = next_record(drec, dold, now, cfg.delegation_valid_for, False, resign)
                    if dnew is not None:
                        writer.write(out, sign(dnew, key))
                        written.append(out)
                        tell("signed", out)
                    tell("checked", out)

    def _switch_signer(self, cfg: ZoneConfig, now: int) -> ZoneConfig:
        """During a key rollover, from its ``sign_from`` on, make the new key the one
        that signs (first in ``keys``) and record when (spec §7.8)."""
        folder = self._folder(cfg.name)
        try:
            state = read_state(folder)
        except CidError as exc:
            raise RegistryError(str(exc)) from None
        if state is None or now < state.sign_from or not cfg.keys or cfg.keys[0] != state.old:
            return cfg
        if state.new not in cfg.keys:
            raise RegistryError(f"{folder}: rollover.json names key {state.new}, not in zone.json")
        write_state(folder, state.switched_at(now))  # first: a crash re-switches, later
        return self.set_keys(cfg.name, [state.new, *(k for k in cfg.keys if k != state.new)])

    def anchor(self) -> dict[str, Any]:
        """The trust anchor a resolver starts from: the root zone's keys and servers."""
        cfg = self.zones[self.root]
        return {
            "zone": self.root,
            "keys": [bytes(k).hex() for k in self.verify_keys(self.root)],
            "servers": [
                {"name": ns.name, "addresses": list(ns.addresses)}
                for ns in cfg.settings.nameservers
            ],
        }

    # ------------------------------------------------------------- publish

    def signed_records(
        self,
        zone: str,
        *,
        now: int,
        progress: Callable[[int, int], None] | None = None,
        reuse: ZoneInputs | None = None,
    ) -> tuple[list[SignedDescriptor], list[SignedDelegation], list[Problem]]:
        """Every signed record of ``zone`` that verifies at ``now``, and a problem for each
        file that does not (it is left out: never served). ``progress`` hears (files
        read, files in all) now and then, for a large zone.

        ``reuse``: the inputs of an earlier load. A descriptor file whose bytes are one
        of its descriptors', verified then with the same keys, is not verified again
        (the signature check is most of a load's reading) unless it is no longer
        valid at ``now``; then :func:`verify` says why."""
        folder = self._folder(zone)
        keys = self.verify_keys(zone)
        known: dict[bytes, Descriptor] = {}
        if reuse is not None and reuse.keys == tuple(k.raw for k in keys):
            known = {d.data: d.record for d in reuse.static}
        problems: list[Problem] = []
        descriptors: list[SignedDescriptor] = []
        seen: dict[str, Path] = {}
        files = sorted((folder / "descriptors").glob("*.cose"))
        for done, path in enumerate(files):
            if progress is not None and not done % _PROGRESS_EVERY:
                progress(done, len(files))
            found = self.descriptor_file(zone, path, keys, now=now, known=known)
            if isinstance(found, Problem):
                problems.append(found)
                continue
            subject = found.record.subject
            if subject in seen:  # pragma: no cover - the file name is unique per subject
                problems.append(Problem(str(path), f"{subject} also in {seen[subject]}"))
                continue
            seen[subject] = path
            descriptors.append(found)
        delegations, delegation_problems = self.delegation_records(zone, now=now, keys=keys)
        return descriptors, delegations, problems + delegation_problems

    def descriptor_file(
        self,
        zone: str,
        path: Path,
        keys: list[VerifyKey],
        *,
        now: int,
        known: Mapping[bytes, Descriptor] | None = None,
    ) -> SignedDescriptor | Problem:
        """One descriptor file of ``zone``, verified at ``now`` (unless ``known`` holds
        its bytes, verified before and still valid), or why it is left out."""
        try:
            data = path.read_bytes()
            rec = known.get(data) if known else None
            if rec is None or not _valid_at(rec, now):
                rec = verify(data, keys, now=now, issuer=zone)
        except (CidError, OSError) as exc:
            return _problem(path, exc)
        if path.name != f"{file_name(rec.subject)}.cose":
            return Problem(str(path), f"holds {rec.subject}; its file name differs")
        return SignedDescriptor(data, rec)

    def delegation_records(
        self, zone: str, *, now: int, keys: list[VerifyKey] | None = None
    ) -> tuple[list[SignedDelegation], list[Problem]]:
        """The delegation records ``zone`` signed for its children that verify at
        ``now``, and a problem for each that does not."""
        folder = self._folder(zone)
        keys = self.verify_keys(zone) if keys is None else keys
        problems: list[Problem] = []
        delegations: list[SignedDelegation] = []
        for child in self.children(zone):
            path = folder / "delegations" / f"{child.name}.cose"
            try:
                data = path.read_bytes()
                drec = verify_delegation(data, keys, now=now, issuer=zone)
            except (CidError, OSError) as exc:
                problems.append(_problem(path, exc))
                continue
            if drec.child != child.name:
                problems.append(Problem(str(path), f"delegates {drec.child}, not {child.name}"))
                continue
            delegations.append(SignedDelegation(data, drec, child.settings.nameservers))
        return delegations, problems

    def inputs(
        self,
        zone: str,
        *,
        now: int,
        progress: Callable[[int, int], None] | None = None,
        reuse: ZoneInputs | None = None,
    ) -> ZoneInputs:
        """Everything ``zone`` is assembled from at ``now``, each file verified;
        ``progress`` and ``reuse`` as for :meth:`signed_records`."""
        keys = tuple(k.raw for k in self.verify_keys(zone))
        static, delegations, problems = self.signed_records(
            zone, now=now, progress=progress, reuse=reuse
        )
        entries, lapsed, live_problems = self.live_entries(zone, now=now)
        statuses, status_problems = self.statuses(zone, now=now)
        return ZoneInputs(
            static, delegations, entries, lapsed, problems + live_problems + status_problems,
            statuses,
            # Not the keys if they changed while the files were read: no reuse then.
            keys if keys == tuple(k.raw for k in self.verify_keys(zone)) else (),
        )  # fmt: skip

    def assemble(self, zone: str, *, now: int) -> tuple[dns.zone.Zone, list[Problem]]:
        """The zone as served at ``now``: its files and its live registrations (spec §8.8)."""
        inputs = self.inputs(zone, now=now)
        return self.assemble_from(zone, inputs, now=now), inputs.problems + [
            self.shadowed(zone, r.record.subject) for r in published(inputs.static, inputs.live)[1]
        ]

    def assemble_from(self, zone: str, inputs: ZoneInputs, *, now: int) -> dns.zone.Zone:
        """Assemble ``zone`` from ``inputs`` (whose live entries may have changed since)."""
        descriptors, _ = published(inputs.static, inputs.live)
        try:
            return assemble(
                self.zones[zone].settings,
                descriptors,
                inputs.delegations,
                root=self.root,
                now=now,
                statuses=inputs.statuses,
            )
        except CidError as exc:
            raise RegistryError(f"{self._folder(zone)}: {exc}") from None

    # ---------------------------------------------------------------- status

    def status_file(self, zone: str, subject: str) -> Path:
        """``status/<dns-name>.cose``: the signed status of one subject (spec/status.md)."""
        return self._folder(zone) / "status" / f"{file_name(subject)}.cose"

    def write_status(self, zone: str, data: bytes, *, now: int) -> Status:
        """Verify a signed status with the zone's keys (its own and its agents') and write
        it, atomically, where :meth:`statuses` reads it; ``cid serve`` picks it up at its
        next check (a file replaced by rename). :class:`CidError` if it does not verify."""
        status = verify_status(data, self.verify_keys(zone), now=now)
        if status.issuer != zone:
            raise RegistryError(f"the status of {status.subject} is issued by {status.issuer}")
        path = self.status_file(zone, status.subject)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
        return status

    def statuses(self, zone: str, *, now: int) -> tuple[list[SignedStatus], list[Problem]]:
        """The zone's status files that verify at ``now``; an expired one is left out
        quietly (statuses expire within minutes), any other fault is a problem."""
        keys = self.verify_keys(zone)
        out: list[SignedStatus] = []
        problems: list[Problem] = []
        for path in sorted((self._folder(zone) / "status").glob("*.cose")):
            try:
                data = path.read_bytes()
                status = verify_status(data, keys, now=now)
            except ValidityError:
                continue
            except (CidError, OSError) as exc:
                problems.append(_problem(path, exc))
                continue
            if status.issuer != zone or path.name != f"{file_name(status.subject)}.cose":
                problems.append(Problem(str(path), f"holds the status of {status.subject}"))
                continue
            out.append(SignedStatus(data, status))
        return out, problems

    # ------------------------------------------------------------------ live

    def live_file(self, zone: str, name: dns.name.Name) -> Path:
        """``live/<dns-name>.json``: the state of one live name (spec §7.1)."""
        relative = name.relativize(dns.name.from_text(self.root)).to_text()
        return self._folder(zone) / "live" / f"{relative}.json"

    def _live_name(self, entry: Registration) -> dns.name.Name:
        return dns.name.from_text(parse(entry.record.subject).to_dns_name(self.root))

    def shadowed(self, zone: str, subject: str) -> Problem:
        name = dns.name.from_text(parse(subject).to_dns_name(self.root))
        return Problem(str(self.live_file(zone, name)), f"{subject} is in descriptors/ too")

    def live_entries(
        self, zone: str, *, now: int
    ) -> tuple[dict[dns.name.Name, Entry], list[Path], list[Problem]]:
        """The live state of ``zone`` at ``now``: entries by name, the files of lapsed
        ones (which may be deleted) and a problem for each file that is neither."""
        folder = self._folder(zone) / "live"
        entries: dict[dns.name.Name, Entry] = {}
        lapsed: list[Path] = []
        problems: list[Problem] = []
        if not folder.is_dir():
            return entries, lapsed, problems
        keys = self.verify_keys(zone)
        root = dns.name.from_text(self.root)
        for path in sorted(folder.glob("*.json")):
            try:
                name = dns.name.from_text(path.name.removesuffix(".json"), origin=root)
                entry = read_entry(path.read_bytes(), keys, zone=zone, now=now)
                if isinstance(entry, Registration) and self._live_name(entry) != name:
                    raise CidError(f"holds {entry.record.subject}; its file name differs")
            except (CidError, OSError, dns.exception.DNSException) as exc:
                problems.append(Problem(str(path), f"{type(exc).__name__}: {exc}"))
                continue
            if entry is None:
                lapsed.append(path)
            else:
                entries[name] = entry
        return entries, lapsed, problems

    def tsig_keys(self, zone: str) -> list[dns.tsig.Key]:
        """The TSIG keys that may register in ``zone`` (``tsig/<name>.key``, spec §7.1)."""
        cfg = self.zones[zone]
        return [self.tsig_key(zone, n) for n in (cfg.live.tsig_keys if cfg.live else ())]

    def tsig_key(self, zone: str, name: str) -> dns.tsig.Key:
        """The TSIG key ``name`` of ``zone`` (``tsig/<name>.key``, spec §7.1)."""
        path = self._folder(zone) / "tsig" / f"{_key_file(name)}.key"
        try:
            key = parse_tsig(path.read_text("ascii").strip())
        except (OSError, UnicodeError, CidError) as exc:
            raise RegistryError(f"{path}: {exc}") from None
        if key.name != dns.name.from_text(name):
            raise RegistryError(f"{path}: holds key {key.name}, not {name}")
        return key

    def transfer_keys(self, zone: str) -> dict[dns.name.Name, dns.tsig.Key]:
        """The TSIG keys of ``zone``'s secondaries (spec §9.1), by name."""
        keys = [self.tsig_key(zone, s.tsig_key) for s in self.zones[zone].secondaries]
        return {k.name: k for k in keys}

    def add_secondary(
        self, zone: str, secondary: Secondary, key: dns.tsig.Key | None = None
    ) -> list[Path]:
        """List ``secondary`` in ``zone``'s ``zone.json`` (in place of one at the same
        address and port). With ``key`` (named ``secondary.tsig_key``), write it to
        ``tsig/`` unless that file holds it already; else the file must exist. Returns
        the files written."""
        folder = self._folder(zone)
        written = []
        target = folder / "tsig" / f"{_key_file(secondary.tsig_key)}.key"
        if key is not None and not target.exists():
            if key.name != dns.name.from_text(secondary.tsig_key):
                raise RegistryError(f"key {key.name} is not {secondary.tsig_key}")
            text = f"{key.algorithm.to_text(omit_final_dot=True)}:{key.name.to_text()}:"
            target.parent.mkdir(exist_ok=True)
            write_atomic(target, f"{text}{base64_secret(key)}\n".encode("ascii"), 0o600)
            written.append(target)
        held = self.tsig_key(zone, secondary.tsig_key)  # it exists and reads
        if key is not None and (held.secret, held.algorithm) != (key.secret, key.algorithm):
            raise RegistryError(f"{target}: holds another secret for {key.name}")
        path = folder / "zone.json"
        data = _read_json(path)
        kept = [
            s
            for s in data.get("secondaries", [])
            if (s.get("address"), s.get("port", 53)) != (secondary.address, secondary.port)
        ]
        data["secondaries"] = [*kept, _secondary_json(secondary)]
        _write_json(path, data)
        written.append(path)
        self.zones[zone] = _zone_config(path)
        return written

    def enable_live(
        self,
        zone: str,
        policy: LivePolicy,
        *,
        new_tsig: Iterable[str] = (),
        agent_keys: Iterable[VerifyKey] = (),
    ) -> list[Path]:
        """Open ``zone`` to live registration with ``policy``; create a TSIG key for each
        name in ``new_tsig`` and trust each agent key (spec §8.8.2). Returns the files written."""
        folder = self._folder(zone)
        path = folder / "zone.json"
        data = _read_json(path)
        written = []
        names = list(policy.tsig_keys)
        for name in new_tsig:
            key = dns.tsig.Key(name, secrets.token_bytes(32), "hmac-sha256")
            text = f"hmac-sha256:{key.name.to_text()}:{base64_secret(key)}\n"
            target = folder / "tsig" / f"{_key_file(name)}.key"
            target.parent.mkdir(exist_ok=True)
            try:
                write_atomic(target, text.encode("ascii"), 0o600, overwrite=False)
            except FileExistsError:
                raise RegistryError(f"{target}: a TSIG key exists already") from None
            written.append(target)
            names.append(key.name.to_text(omit_final_dot=True))
        for agent in agent_keys:
            kid = agent.kid.hex()
            if kid not in data["keys"]:
                agent.save(folder / "keys" / f"{kid}.pub", overwrite=True)
                data["keys"].append(kid)  # not first: the zone's own key still signs
                written.append(folder / "keys" / f"{kid}.pub")
        data["live"] = _live_json(replace(policy, tsig_keys=tuple(dict.fromkeys(names))))
        _write_json(path, data)
        written.append(path)
        self.zones[zone] = _zone_config(path)
        self.make_live_folders()
        return written

    def make_live_folders(self) -> None:
        """Create the ``live/`` folder of each zone open to live registration.

        Made up front, not at the first registration: a new folder changes its
        parent's mtime, which a server's registry watch takes for an edit (§8.7).
        """
        for name, cfg in self.zones.items():
            folder = self._folder(name) / "live"
            if cfg.live is not None and not folder.is_dir():
                folder.mkdir()
                fsync_dir(folder.parent)

    def check(self, *, now: int) -> list[Problem]:
        """Every problem in the registry, each with its file."""
        problems: list[Problem] = []
        for cfg in self.top_down():
            try:
                self.verify_keys(cfg.name)
                _, found = self.assemble(cfg.name, now=now)
            except CidError as exc:
                problems.append(Problem(str(self._folder(cfg.name)), str(exc)))
                continue
            problems += found
            for source in sorted((self._folder(cfg.name) / "sources").glob("*.json")):
                try:
                    descriptor_from_json(_read_json(source), now, cfg.valid_for)
                except CidError as exc:
                    problems.append(Problem(str(source), str(exc)))
        return problems


def _key_file(name: str) -> str:
    return dns.name.from_text(name).to_text(omit_final_dot=True)


def base64_secret(key: dns.tsig.Key) -> str:
    """A TSIG key's secret as base64, as ``ALGORITHM:NAME:SECRET`` lines hold it."""
    secret = key.secret
    assert isinstance(secret, bytes)
    return base64.b64encode(secret).decode("ascii")


def _read_optional(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _problem(path: Path, exc: Exception) -> Problem:
    valid_from = exc.valid_from if isinstance(exc, NotYetValidError) else None
    return Problem(str(path), f"{type(exc).__name__}: {exc}", valid_from)


def _valid_at(rec: Descriptor, now: int) -> bool:
    """Whether a descriptor verified before is still valid at ``now``, as :func:`verify`
    judges it (spec §8.3.1): ``max(nbf, iat) - skew <= now < exp + skew``."""
    start = max(rec.not_before, rec.issued_at)
    return start - DEFAULT_SKEW <= now < rec.expires + DEFAULT_SKEW


def _ignore(event: str, path: Path) -> None:
    """No one listens to the build's progress."""
