"""A hand-written reader for the one UPDATE shape of a status (spec/status.md §8.5).

What :func:`cid.register_status` sends: a zone section (the zone, SOA, IN), no
prerequisites, an optional "delete the TYPE65282 RRset" and one TYPE65282
record of class IN at the same name, and an optional bare OPT (EDNS version
0, no options). :func:`read_status` reads exactly that shape from the wire,
where dnspython's parser (the strict path, ``cid.server._update.handle_strict``)
costs about as much as the status's signature check; anything else, odd or
hostile, returns None and goes to the strict path. The differential tests in
``tests/cid/server/test_update_fast.py`` hold the two paths to the same
decision and the same response bytes.

Names come back as :class:`HashedName`, interned by their wire form: a
status's name is looked up in half a dozen tables on its way, and dnspython
hashes a name character by character each time.
"""

from __future__ import annotations

import struct
from typing import Final, NamedTuple

import dns.name

__all__ = ["HashedName", "StatusUpdate", "hashed", "read_status"]

_HEADER: Final = struct.Struct("!HHHHHH")
_RR: Final = struct.Struct("!HHIH")
_SOA_IN: Final = b"\x00\x06\x00\x01"
_TYPE_STATUS: Final = 65282
_IN: Final = 1
_ANY: Final = 255
_OPT: Final = 41
_OPCODE_MASK: Final = 0xF800  # QR and opcode
_UPDATE: Final = 5 << 11
#: Names remembered by wire form, at most (then forgotten all at once).
_NAMES: Final = 200_000


class HashedName(dns.name.Name):
    """A :class:`dns.name.Name` that computes its (case-insensitive) hash, its labels in
    lowercase and its text once, and remembers its name relative to one origin (and a
    relative one the absolute name it came from). Equal to, and hashed as, the plain name
    of the same labels; :meth:`relativize` and :meth:`derelativize` give the same names
    as a plain name's, remembered, so the zone code that a status's name goes through
    (the tick's patch, the journal) hashes it once."""

    __slots__ = ("_absolute", "_hash", "_low", "_relative", "_text")
    _absolute: tuple[dns.name.Name, HashedName] | None
    _hash: int
    _low: tuple[bytes, ...]
    _relative: tuple[dns.name.Name, HashedName] | None
    _text: str | None

    def __init__(self, labels: tuple[bytes, ...]) -> None:
        super().__init__(labels)
        # Immutable once made: set past dnspython's guard, as its own __init__ does.
        object.__setattr__(self, "_hash", dns.name.Name.__hash__(self))
        object.__setattr__(self, "_low", tuple(label.lower() for label in self.labels))
        object.__setattr__(self, "_text", None)
        object.__setattr__(self, "_relative", None)
        object.__setattr__(self, "_absolute", None)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if type(other) is HashedName:
            return self is other or self._low == other._low
        return bool(super().__eq__(other))  # type: ignore[no-untyped-call]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __str__(self) -> str:
        text = self._text
        if text is None:
            text = self.to_text()
            object.__setattr__(self, "_text", text)
        return text

    def __reduce__(self) -> tuple[type[HashedName], tuple[tuple[bytes, ...]]]:
        return (HashedName, (self.labels,))

    def under(self, other: dns.name.Name) -> bool:
        """:meth:`is_subdomain`, by the lowercase labels when ``other`` is hashed too."""
        if type(other) is HashedName:
            n = len(other._low)
            return self._low[-n:] == other._low
        return self.is_subdomain(other)

    def relative(self, origin: dns.name.Name) -> HashedName:
        """:meth:`relativize` to ``origin``, remembered for the last origin asked."""
        memo = self._relative
        if memo is None or (memo[0] is not origin and memo[0] != origin):
            rel = hashed(dns.name.Name.relativize(self, origin))
            # The way back, where it gives these very labels (the origin's case may differ).
            if rel is not self and dns.name.Name.derelativize(rel, origin).labels == self.labels:
                object.__setattr__(rel, "_absolute", (origin, self))
            memo = (origin, rel)
            object.__setattr__(self, "_relative", memo)
        return memo[1]

    def relativize(self, origin: dns.name.Name) -> dns.name.Name:
        return self.relative(origin)

    def derelativize(self, origin: dns.name.Name) -> dns.name.Name:
        memo = self._absolute
        if memo is not None and (memo[0] is origin or memo[0].labels == origin.labels):
            return memo[1]
        return super().derelativize(origin)


def hashed(name: dns.name.Name) -> HashedName:
    """``name`` as a :class:`HashedName`."""
    return name if type(name) is HashedName else HashedName(name.labels)


class StatusUpdate(NamedTuple):
    """What the strict path reads from a status UPDATE and decides on."""

    id: int
    edns: bool  # the request had an OPT (so the response has one)
    zone: HashedName
    name: HashedName  # of the first update record
    data: bytes  # the TYPE65282 RDATA added


_names: dict[bytes, HashedName] = {}


def _name(wire: bytes, i: int) -> tuple[HashedName, int] | None:
    """The name at ``i`` and where it ends, decompressed as dnspython does (pointers
    strictly backwards, each before the last); None for anything dnspython refuses."""
    n = len(wire)
    segments: list[bytes] = []  # runs of labels, each up to a pointer or the root
    end = -1
    lowest = run = i
    while True:
        if i >= n:
            return None
        length = wire[i]
        if length == 0:
            break
        if length < 64:
            i += length + 1
        elif length >= 0xC0 and i + 1 < n:
            target = (length & 0x3F) << 8 | wire[i + 1]
            if target >= lowest:
                return None
            segments.append(wire[run:i])
            if end < 0:
                end = i + 2
            lowest = i = run = target
        else:
            return None
    segments.append(wire[run : i + 1])
    if end < 0:
        end = i + 1
    key = segments[0] if len(segments) == 1 else b"".join(segments)
    found = _names.get(key)
    if found is None:
        if len(key) > 255:
            return None
        labels = []
        j = 0
        while key[j]:
            labels.append(key[j + 1 : j + 1 + key[j]])
            j += key[j] + 1
        labels.append(b"")
        if len(_names) >= _NAMES:
            _names.clear()
        found = _names[key] = HashedName(tuple(labels))
    return found, end


def read_status(wire: bytes) -> StatusUpdate | None:
    """The status UPDATE in ``wire``, or None when it is not of the one shape read here."""
    if len(wire) < 13:
        return None
    qid, flags, qd, pr, up, ad = _HEADER.unpack_from(wire)
    if flags & _OPCODE_MASK != _UPDATE or qd != 1 or pr != 0 or up not in (1, 2) or ad > 1:
        return None
    if wire[12] == 0 or wire[12] >= 64:  # the root zone, or a pointer: not a status's zone
        return None
    got = _name(wire, 12)
    if got is None:
        return None
    zone, i = got
    if wire[i : i + 4] != _SOA_IN:
        return None
    i += 4
    owner: HashedName | None = None
    data: bytes | None = None
    for n in range(up):
        got = _name(wire, i)
        if got is None:
            return None
        name, i = got
        if i + 10 > len(wire):
            return None
        rdtype, rdclass, _, rdlen = _RR.unpack_from(wire, i)
        i += 10
        if rdtype != _TYPE_STATUS:
            return None
        if owner is None:
            owner = name
        elif name != owner:
            return None
        if n == 0 and up == 2:  # the deletion of the status RRset first
            if rdclass != _ANY or rdlen != 0:
                return None
            continue
        if rdclass != _IN or i + rdlen > len(wire):
            return None
        data = wire[i : i + rdlen]
        i += rdlen
    edns = False
    if ad:
        # OPT: root owner, type 41, class payload, TTL ext-rcode/version/flags, no options.
        if wire[i : i + 3] != b"\x00\x00\x29" or i + 11 != len(wire):
            return None
        if wire[i + 6] != 0 or wire[i + 9 : i + 11] != b"\x00\x00":  # version 0, RDLENGTH 0
            return None
        edns = True
        i += 11
    if i != len(wire) or data is None or owner is None:
        return None
    return StatusUpdate(qid, edns, zone, owner, data)
