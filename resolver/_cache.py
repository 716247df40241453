"""The resolver's cache and its store of versions seen (spec/resolution.md §14).

Both are plain data structures: no clock, no I/O. Time is passed in; the drivers
persist the version store.

Only verified data enters the cache: a zone's keys after its delegation record
verified (with the server addresses learnt with it), descriptors after they
verified, and negative answers of the zone's own servers. Identity (zone keys)
and liveness (a descriptor's endpoints) are cached separately, liveness more
briefly.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cid import CidError, RollbackError, Status, VerifyKey
from cid.atomic import write_atomic

from ._outcome import Outcome

__all__ = ["Cache", "NegativeEntry", "StatusStore", "VersionStore", "ZoneEntry"]

Server = tuple[str, int]

DEFAULT_MAX_ENTRIES: Final = 100_000
DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024
# Rough fixed cost of an entry (objects, dict slots) on top of the bytes it holds.
_OVERHEAD: Final = 400


@dataclass(frozen=True, slots=True)
class ZoneEntry:
    """A zone whose keys verified: its name, keys, servers, and until when this holds.
    ``chain`` is the zones verified from the trust anchor down to it."""

    zone: str
    keys: tuple[VerifyKey, ...]
    servers: tuple[Server, ...]
    expires: int
    chain: tuple[str, ...] = ()


class StatusStore:
    """The replay store of statuses (spec/status.md §7.4): the last status accepted for
    each subject, kept apart from the version store of descriptors (a status's version
    is never compared with a descriptor's). In memory: a status lives ten minutes at
    most, so a store that is lost costs at most that window of replay. Bounded: when
    ``max_entries`` subjects are held, the oldest statement is forgotten first."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.seen: dict[str, Status] = {}

    def accept(self, status: Status) -> None:
        """Remember ``status`` unless one with a higher version is held (§7.4)."""
        held = self.seen.get(status.subject)
        if held is not None and held.version > status.version:
            return
        self.seen.pop(status.subject, None)
        self.seen[status.subject] = status
        while len(self.seen) > self.max_entries:
            del self.seen[next(iter(self.seen))]


@dataclass(frozen=True, slots=True)
class NegativeEntry:
    """A name (and type) that does not exist or has no such data, until ``expires``."""

    outcome: Outcome
    zone: str
    expires: int


class _Bounded:
    """An LRU map bounded by entries and by approximate bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[object, tuple[object, int]] = OrderedDict()

    def get(self, key: object) -> object | None:
        found = self._data.get(key)
        if found is None:
            return None
        self._data.move_to_end(key)
        return found[0]

    def put(self, key: object, value: object, size: int) -> None:
        size += _OVERHEAD
        old = self._data.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._data[key] = (value, size)
        self.bytes += size
        while len(self._data) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._data.popitem(last=False)
            self.bytes -= dropped

    def pop(self, key: object) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self.bytes -= old[1]

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()
        self.bytes = 0


class Cache:
    """Zones (identity), answers (liveness) and negative answers, each bounded.

    ``max_entries`` and ``max_bytes`` bound each of the three maps; the least
    recently used entry goes first. Expired entries stay until evicted or
    replaced, so that the drivers can serve them stale within the window they
    are given (RFC 8767), never past a descriptor's own expiry.
    """

    def __init__(
        self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("cache bounds must be positive")
        self.zones = _Bounded(max_entries, max_bytes)
        self.answers = _Bounded(max_entries, max_bytes)
        self.negative = _Bounded(max_entries, max_bytes)

    # zones
    def zone(self, name: str) -> ZoneEntry | None:
        found = self.zones.get(name)
        return found if isinstance(found, ZoneEntry) else None

    def put_zone(self, entry: ZoneEntry) -> None:
        self.zones.put(entry.zone, entry, 64 * len(entry.keys) + 48 * len(entry.servers))

    # answers: any verified value with an expiry (the resolver stores Resolved)
    def answer(self, key: object) -> object | None:
        return self.answers.get(key)

    def put_answer(self, key: object, value: object, size: int) -> None:
        self.negative.pop(key)
        self.answers.put(key, value, size)

    def negative_answer(self, key: object) -> NegativeEntry | None:
        found = self.negative.get(key)
        return found if isinstance(found, NegativeEntry) else None

    def put_negative(self, key: object, entry: NegativeEntry) -> None:
        self.answers.pop(key)
        self.negative.put(key, entry, 64)

    def forget(self, key: object) -> None:
        self.answers.pop(key)
        self.negative.pop(key)

    def clear(self) -> None:
        self.zones.clear()
        self.answers.clear()
        self.negative.clear()

    def __len__(self) -> int:
        return len(self.zones) + len(self.answers) + len(self.negative)


class VersionStore:
    """The highest version accepted per subject (a descriptor's identifier, a child
    zone's name), with a digest of its claims: rollback protection (spec/descriptor.md
    §8.5). ``path``, when given, is a JSON file that :meth:`save` writes atomically;
    the store is read from it at construction.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._seen: dict[str, tuple[int, str]] = {}
        self.dirty = False
        if self.path is not None and self.path.exists():
            self._seen = _read_store(self.path)

    def check(self, subject: str, version: int, payload: bytes) -> None:
        """Raise :class:`cid.RollbackError` when ``version`` is lower than the version seen,
        or equal with other claims (``payload`` is the record's claims, as signed)."""
        seen = self._seen.get(subject)
        if seen is None:
            return
        if version < seen[0]:
            raise RollbackError(f"version {version} of {subject} is older than {seen[0]}")
        if version == seen[0] and hashlib.sha256(payload).hexdigest() != seen[1]:
            raise RollbackError(f"version {version} of {subject} was seen with other claims")

    def accept(self, subject: str, version: int, payload: bytes) -> None:
        """Record ``version`` as accepted (call after :meth:`check` and verification)."""
        seen = self._seen.get(subject)
        if seen is not None and seen[0] >= version:
            return
        self._seen[subject] = (version, hashlib.sha256(payload).hexdigest())
        self.dirty = True

    def version(self, subject: str) -> int | None:
        seen = self._seen.get(subject)
        return None if seen is None else seen[0]

    def save(self) -> None:
        """Write the store to ``path`` if it changed (atomic: a crash keeps the old file)."""
        if self.path is None or not self.dirty:
            return
        body = {"format": "ucid-versions", "version": 1, "seen": dict(sorted(self._seen.items()))}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(body, indent=1).encode() + b"\n", 0o600)
        except OSError as exc:
            raise CidError(f"{self.path}: cannot save the version store: {exc.strerror}") from None
        self.dirty = False

    def __iter__(self) -> Iterator[str]:
        return iter(self._seen)

    def __len__(self) -> int:
        return len(self._seen)


def _read_store(path: Path) -> dict[str, tuple[int, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CidError(f"{path}: cannot read the version store: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != "ucid-versions":
        raise CidError(f"{path}: not a UCID version store")
    if data.get("version") != 1:
        raise CidError(f"{path}: version store version {data.get('version')!r} is not 1")
    out: dict[str, tuple[int, str]] = {}
    seen = data.get("seen")
    if not isinstance(seen, dict):
        raise CidError(f"{path}: 'seen' must be an object")
    for subject, entry in seen.items():
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or type(entry[0]) is not int
            or not isinstance(entry[1], str)
        ):
            raise CidError(f"{path}: entry for {subject!r} must be [version, sha256 hex]")
        out[subject] = (entry[0], entry[1])
    return out
