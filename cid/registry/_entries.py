"""Live registrations as the registry keeps them (spec/resolution.md §7.1, §7.3, §8.8):
a zone's policy, its entries (a registration or a withdrawal) and their files.

Storage and the server share these; the server's UPDATE core
(``cid.server``) decides what an entry becomes, the registry only keeps it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import dns.name

from .._descriptor import MAX_DESCRIPTOR_VALIDITY, Descriptor
from .._errors import CidError
from .._keys import VerifyKey
from .._signed import decode_unverified, verify
from ._zone import SignedDescriptor

__all__ = [
    "Entry",
    "LivePolicy",
    "Registration",
    "Withdrawal",
    "entry_bytes",
    "published",
    "read_entry",
]


@dataclass(frozen=True, slots=True)
class LivePolicy:
    """What an operator allows in one zone (``live`` in zone.json, spec §7.3)."""

    tsig_keys: tuple[str, ...] = ()  # TSIG key names allowed to register in this zone
    max_lease: int = 86400
    default_lease: int = 3600  # for a TSIG registration without an Update Lease option
    max_registrations: int = 10000

    def __post_init__(self) -> None:
        if not 1 <= self.max_lease <= MAX_DESCRIPTOR_VALIDITY:
            raise CidError(f"max_lease must be 1 to {MAX_DESCRIPTOR_VALIDITY} seconds")
        if not 1 <= self.default_lease <= self.max_lease:
            raise CidError("default_lease must be 1 to max_lease seconds")
        if self.max_registrations < 0:
            raise CidError("max_registrations must not be negative")


@dataclass(frozen=True, slots=True)
class Registration:
    """A live registration: a verified signed descriptor, served until its ``exp``."""

    data: bytes
    record: Descriptor
    by: str  # who registered it: "tsig <key name>" or "key <kid>"

    @property
    def version(self) -> int:
        return self.record.version

    @property
    def until(self) -> int:
        return self.record.expires


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A withdrawn name: until ``until``, only a version above ``version`` registers,
    so that the withdrawn descriptor cannot be replayed (spec §8.8.5)."""

    version: int
    until: int
    by: str


Entry: TypeAlias = Registration | Withdrawal


def published(
    static: Sequence[SignedDescriptor], entries: Mapping[dns.name.Name, Entry]
) -> tuple[list[SignedDescriptor], list[Registration]]:
    """The descriptors a zone serves: its registry files, then live registrations for
    other subjects; and the registrations left out because a file holds their subject."""
    subjects = {d.record.subject for d in static}
    out = list(static)
    shadowed = []
    for entry in entries.values():
        if isinstance(entry, Registration):
            if entry.record.subject in subjects:
                shadowed.append(entry)
            else:
                out.append(SignedDescriptor(entry.data, entry.record))
    return out, shadowed


# ---------------------------------------------------------------- on disk


def entry_bytes(entry: Entry) -> bytes:
    """The file content of an entry (spec §7.1, ``live/<dns-name>.json``)."""
    obj: dict[str, Any]
    if isinstance(entry, Registration):
        obj = {"registered": base64.b64encode(entry.data).decode("ascii"), "by": entry.by}
    else:
        obj = {"withdrawn": entry.version, "until": entry.until, "by": entry.by}
    return (json.dumps(obj, indent=2) + "\n").encode("utf-8")


def read_entry(data: bytes, keys: Sequence[VerifyKey], *, zone: str, now: int) -> Entry | None:
    """Read an entry written by :func:`entry_bytes`; None when it has lapsed (its file can go).

    A registration is verified again, with the zone's keys of today. Raises
    :class:`CidError` for a file that is neither lapsed nor valid.
    """
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CidError(f"not a live entry: {exc}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("by"), str):
        raise CidError("not a live entry")
    by = obj["by"]
    if "withdrawn" in obj:
        version, until = obj["withdrawn"], obj.get("until")
        if type(version) is not int or type(until) is not int or version < 0:
            raise CidError("a withdrawal needs integer 'withdrawn' and 'until'")
        return Withdrawal(version, until, by) if until > now else None
    try:
        signed = base64.b64decode(obj["registered"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise CidError("a registration needs 'registered', base64") from None
    if decode_unverified(signed)[1].expires <= now:
        return None  # lapsed: nothing in it is served, whoever signed it
    return Registration(signed, verify(signed, keys, now=now, issuer=zone), by)
