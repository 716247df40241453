"""The fast reader of status payloads: an accelerator of the strict decoder
(``_status.decode_status``) for the common shape, which it must agree with.

A status payload (spec/status.md §5) is read straight from its bytes when it
is a map of at most 23 claims in ascending key order, none of them ext (11) or
crit (12), every head in its deterministic form (spec/descriptor.md §3.2.1),
iss and sub ASCII text. Units (16) and prices (19) are not read here: the
reader returns their encoded bytes, which ``_status`` remembers with the values
the strict decoder made of them. Anything else makes the reader decline
(None), and the strict decoder then decides and says why. It checks no claim's
value: ``_status`` does, before it builds the :class:`Status`;
``tests/cid/test_status_fast.py`` holds the two paths together (differential
tests over mutated payloads).

Kept apart from ``_status`` (which holds the values it is read into) so that
this module imports nothing of it: ``_status`` imports this one.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from ._cbor import MAX_DEPTH, ProfileError, decode_at
from ._errors import OversizeError

__all__ = ["Claims", "read_claims"]

# §5.1 claim keys, as in ``_status`` (repeated: this module may not import it).
_ISS: Final = 1
_SUB: Final = 2
_EXP: Final = 4
_IAT: Final = 6
_VERSION: Final = 8
_DVER: Final = 14
_ACCEPTING: Final = 15
_UNITS: Final = 16
_UTIL: Final = 17
_WAIT: Final = 18
_PRICES: Final = 19
_REQUIRED: Final = frozenset({_ISS, _SUB, _EXP, _IAT, _VERSION, _DVER, _ACCEPTING})
_UINTS: Final = frozenset({_EXP, _IAT, _VERSION, _DVER, _UTIL, _WAIT})
_TEXTS: Final = frozenset({_ISS, _SUB})
_RAW: Final = frozenset({_UNITS, _PRICES})
_KNOWN: Final = _REQUIRED | _UINTS | _RAW


class Claims(NamedTuple):
    """The claims of a status payload as read, unchecked; units and prices encoded."""

    iss: str
    sub: str
    exp: int
    iat: int
    version: int
    dver: int
    accepting: bool
    units: bytes | None
    utilisation: int | None
    queue_wait: int | None
    prices: bytes | None


#: The encodings of units and prices seen last: most statuses repeat them.
_recent: list[bytes] = []
_RECENT: Final = 8


def _uint(data: bytes, i: int) -> tuple[int, int] | None:
    """The unsigned integer whose head is at ``i``, in its shortest form only."""
    ib = data[i]
    if ib < 0x18:
        return ib, i + 1
    if ib > 0x1B:
        return None
    width = 1 << (ib - 0x18)
    end = i + 1 + width
    if end > len(data):
        return None
    value = int.from_bytes(data[i + 1 : end], "big")
    if value < (24 if width == 1 else 1 << (4 * width)):
        return None
    return value, end


def _raw(data: bytes, i: int) -> tuple[bytes, int] | None:
    """The encoded data item at ``i`` (an array or a map, as the strict decoder reads
    it) and where it ends."""
    for seen in _recent:
        if data.startswith(seen, i):
            # The same bytes as one read before. The item ends there: a prefix of
            # a definite-length item is never a whole item itself.
            return seen, i + len(seen)
    if data[i] >> 5 not in (4, 5):
        return None
    try:
        _, end = decode_at(data, i, MAX_DEPTH - 1)
    except (ProfileError, OversizeError):
        return None
    raw = data[i:end]
    if len(_recent) >= _RECENT:
        del _recent[0]
    _recent.append(raw)
    return raw, end


def read_claims(payload: bytes) -> Claims | None:
    """The claims of ``payload`` in the common shape, or None for the strict decoder."""
    n = len(payload)
    if not n or not 0xA7 <= payload[0] <= 0xB7:  # a map of 7..23 claims
        return None
    count = payload[0] - 0xA0
    values: dict[int, object] = {}
    last = 0
    i = 1
    try:
        for _ in range(count):
            key = payload[i]
            if key <= last or key not in _KNOWN:
                return None
            last = key
            i += 1
            ib = payload[i]
            if key in _UINTS:
                got = _uint(payload, i)
                if got is None:
                    return None
                values[key], i = got
            elif key in _TEXTS:
                if 0x60 <= ib < 0x78:
                    length, i = ib - 0x60, i + 1
                elif ib == 0x78 and payload[i + 1] >= 24:
                    length, i = payload[i + 1], i + 2
                else:
                    return None
                raw = payload[i : i + length]
                if len(raw) != length or not raw.isascii():
                    return None
                values[key] = raw.decode("ascii")
                i += length
            elif key == _ACCEPTING:
                if ib not in (0xF4, 0xF5):
                    return None
                values[key] = ib == 0xF5
                i += 1
            else:
                item = _raw(payload, i)
                if item is None:
                    return None
                values[key], i = item
    except IndexError:  # the payload ends inside a claim
        return None
    if i != n or not values.keys() >= _REQUIRED:
        return None
    get = values.get
    return Claims(
        values[_ISS],  # type: ignore[arg-type]
        values[_SUB],  # type: ignore[arg-type]
        values[_EXP],  # type: ignore[arg-type]
        values[_IAT],  # type: ignore[arg-type]
        values[_VERSION],  # type: ignore[arg-type]
        values[_DVER],  # type: ignore[arg-type]
        values[_ACCEPTING],  # type: ignore[arg-type]
        get(_UNITS),  # type: ignore[arg-type]
        get(_UTIL),  # type: ignore[arg-type]
        get(_WAIT),  # type: ignore[arg-type]
        get(_PRICES),  # type: ignore[arg-type]
    )
