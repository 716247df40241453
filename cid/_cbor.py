"""The deterministic CBOR profile of signed descriptors (spec/descriptor.md §3).

``decode`` is a strict recursive-descent decoder over bytes: it accepts exactly
the encodings that ``encode`` produces, so a value decoded here needs no
re-encoding to prove it was deterministic. ``encode`` uses cbor2's canonical
mode, whose length-first key order equals RFC 8949 §4.2.1 bytewise order under
this profile's key rule (§3.2.2; ``tests/property`` proves it);
``encode_ordered`` skips cbor2's sorting for values built in order already.
"""

from __future__ import annotations

import unicodedata
from typing import Final, TypeAlias

import cbor2

from ._errors import EncodingError, OversizeError

__all__ = [
    "MAX_DEPTH",
    "ProfileError",
    "Value",
    "check",
    "decode",
    "decode_at",
    "encode",
    "encode_head",
    "encode_ordered",
    "freeze",
]

#: A decoded value. ``decode`` gives lists and dicts; ``freeze`` gives tuples
#: and ``cbor2.frozendict``; ``encode`` takes either.
Value: TypeAlias = (
    "bool | int | bytes | str | list[Value] | tuple[Value, ...] | dict[int | str, Value]"
    " | cbor2.frozendict[int | str, Value] | None"
)

#: Deepest nesting of arrays and maps (§3.3); the descriptor itself needs 4.
MAX_DEPTH: Final = 8

_UINT64: Final = 1 << 64
_ALLOWED_REASONS: Final = frozenset(
    {
        "ill-formed",
        "non-minimal",
        "indefinite",
        "tag",
        "float",
        "simple",
        "utf8",
        "nfc",
        "map-key",
        "key-order",
        "duplicate-key",
        "trailing",
    }
)


class ProfileError(EncodingError):
    """Bytes outside the deterministic CBOR profile.

    ``reason`` names the rule broken (spec §3.4.3): ``ill-formed``, ``non-minimal``,
    ``indefinite``, ``tag``, ``float``, ``simple``, ``utf8``, ``nfc``,
    ``map-key``, ``key-order``, ``duplicate-key`` or ``trailing``; ``offset`` is
    the byte offset of the offending data item.
    """

    def __init__(self, reason: str, detail: str, offset: int) -> None:
        assert reason in _ALLOWED_REASONS
        super().__init__(f"{reason}: {detail} (at byte {offset})")
        self.reason = reason
        self.detail = detail
        self.offset = offset

    def __reduce__(self) -> tuple[type[ProfileError], tuple[str, str, int]]:
        return (type(self), (self.reason, self.detail, self.offset))


# ------------------------------------------------------------------ decoding


def decode(data: bytes, *, max_size: int, max_depth: int = MAX_DEPTH, start: int = 0) -> Value:
    """Decode one data item that fills ``data[start:]`` exactly.

    Raises :class:`OversizeError` when ``data`` is longer than ``max_size``
    (checked before any byte is read) or nesting exceeds ``max_depth``, and
    :class:`ProfileError` for anything outside the profile.
    """
    if len(data) > max_size:
        raise OversizeError(f"{len(data)} bytes exceed the limit of {max_size}")
    try:
        value, end = _item(data, start, max_depth)
    except IndexError:
        # Reading a byte past the end is the only source of IndexError: the
        # loops below index without bounds checks and let this catch it.
        raise ProfileError("ill-formed", "the input ends inside a data item", len(data)) from None
    if end != len(data):
        raise ProfileError("trailing", f"{len(data) - end} bytes after the data item", end)
    return value


def decode_at(data: bytes, start: int, max_depth: int) -> tuple[Value, int]:
    """Decode the one data item that starts at ``data[start]``; return it and
    the offset just after it, where more bytes may follow.

    For a reader that has checked what comes before ``start`` itself; the size
    limit is the caller's. Raises as :func:`decode` does.
    """
    try:
        return _item(data, start, max_depth)
    except IndexError:
        raise ProfileError("ill-formed", "the input ends inside a data item", len(data)) from None


def _text(data: bytes, pos: int, p: int, end: int) -> str:
    if end > len(data):
        raise ProfileError("ill-formed", "the input ends inside a string", pos)
    try:
        text = data[p:end].decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileError("utf8", "a text string that is not valid UTF-8", pos) from None
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        raise ProfileError("nfc", "a text string that is not in NFC", pos)
    return text


def _item(data: bytes, pos: int, depth: int) -> tuple[Value, int]:
    # RFC 8949 §3: initial byte = major type (3 bits) | additional information (5 bits).
    ib = data[pos]
    if ib < 0x18:  # the commonest items first: small integers, short text
        return ib, pos + 1
    if 0x60 <= ib < 0x78:
        end = pos + ib - 0x5F
        return _text(data, pos, pos + 1, end), end
    major = ib >> 5
    ai = ib & 0x1F
    if major == 7:
        return _simple(data, pos, ai)
    n = len(data)
    if ai < 24:
        arg = ai
        p = pos + 1
    elif ai < 28:
        # §4.2.1: "The argument ... MUST be as short as possible"
        width = 1 << (ai - 24)
        p = pos + 1 + width
        if p > n:
            raise ProfileError("ill-formed", "the input ends inside a head", pos)
        arg = int.from_bytes(data[pos + 1 : p], "big")
        if arg < (24 if width == 1 else 1 << (4 * width)):
            raise ProfileError("non-minimal", f"argument {arg} in a {width + 1}-byte head", pos)
    elif ai == 31 and 2 <= major <= 5:
        raise ProfileError("indefinite", "indefinite-length items are not allowed", pos)
    else:  # 28-30 are reserved; 31 with major 0, 1 or 6 is not well-formed
        raise ProfileError("ill-formed", f"additional information {ai}, major type {major}", pos)

    if major == 0:
        return arg, p
    if major == 1:
        return -1 - arg, p
    if major == 2:
        end = p + arg
        if end > n:
            raise ProfileError("ill-formed", "the input ends inside a string", pos)
        return data[p:end], end
    if major == 3:
        end = p + arg
        return _text(data, pos, p, end), end
    if major == 6:
        raise ProfileError("tag", f"tag {arg} is not allowed", pos)
    if depth <= 0:
        raise OversizeError(f"arrays and maps nested too deeply at byte {pos}")
    # Each element takes at least one byte: a count beyond the rest is a lie,
    # and checking it first bounds the work.
    if arg > n - p:
        raise ProfileError("ill-formed", f"{arg} elements cannot fit in {n - p} bytes", pos)
    depth -= 1
    if major == 4:
        items: list[Value] = []
        append = items.append
        for _ in range(arg):
            b = data[p]
            if b < 0x18:
                append(b)
                p += 1
            else:
                value, p = _item(data, p, depth)
                append(value)
        return items, p
    if arg and data[p] < 0x18:
        return _int_map(data, p, arg, depth)
    return _text_map(data, p, arg, depth)


def _int_map(data: bytes, p: int, count: int, depth: int) -> tuple[Value, int]:
    """A map whose first key is an integer 0..23: all its keys must be (§3.2)."""
    out: dict[int | str, Value] = {}
    last = -1
    for _ in range(count):
        key = data[p]
        if key >= 0x18:
            raise ProfileError("map-key", "keys must all be integers 0..23 or all text", p)
        # §4.2.1: keys sorted bytewise; for one-byte keys that is numeric order
        if key <= last:
            reason = "duplicate-key" if key == last else "key-order"
            raise ProfileError(reason, f"key {key} after key {last}", p)
        last = key
        b = data[p + 1]
        if b < 0x18:
            out[key] = b
            p += 2
        elif 0x60 <= b < 0x78:  # short text, inline: the commonest value
            end = p + b - 0x5E
            if end > len(data):
                raise ProfileError("ill-formed", "the input ends inside a string", p + 1)
            try:
                text = data[p + 2 : end].decode("utf-8")
            except UnicodeDecodeError:
                raise ProfileError("utf8", "text that is not valid UTF-8", p + 1) from None
            if not text.isascii() and not unicodedata.is_normalized("NFC", text):
                raise ProfileError("nfc", "a text string that is not in NFC", p + 1)
            out[key] = text
            p = end
        else:
            out[key], p = _item(data, p + 1, depth)
    return out, p


def _text_map(data: bytes, p: int, count: int, depth: int) -> tuple[Value, int]:
    """A map whose keys are all text strings (§3.2)."""
    out: dict[int | str, Value] = {}
    last_raw = b""
    for _ in range(count):
        kpos = p
        text, p = _item(data, p, depth)
        if type(text) is not str:
            raise ProfileError("map-key", "keys must all be integers 0..23 or all text", kpos)
        raw = data[kpos:p]
        # §4.2.1: sorted by the bytes of the encoded keys
        if raw <= last_raw:
            reason = "duplicate-key" if raw == last_raw else "key-order"
            raise ProfileError(reason, f"key {text!r} is out of order", kpos)
        last_raw = raw
        out[text], p = _item(data, p, depth)
    return out, p


def _simple(data: bytes, pos: int, ai: int) -> tuple[Value, int]:
    """Major type 7: only false, true and null are in the profile (§3.1)."""
    if ai == 20:
        return False, pos + 1
    if ai == 21:
        return True, pos + 1
    if ai == 22:
        return None, pos + 1
    if ai < 24:
        raise ProfileError("simple", f"simple value {ai} is not allowed", pos)
    if ai == 24:
        if pos + 1 >= len(data):
            raise ProfileError("ill-formed", "the input ends inside a simple value", pos)
        if data[pos + 1] < 32:  # RFC 8949 §3.3: values below 32 in two bytes are not well-formed
            raise ProfileError("ill-formed", "a two-byte simple value below 32", pos)
        raise ProfileError("simple", f"simple value {data[pos + 1]} is not allowed", pos)
    if ai < 28:
        raise ProfileError("float", "floating-point numbers are not allowed", pos)
    if ai == 31:
        raise ProfileError("ill-formed", "a break outside an indefinite-length item", pos)
    raise ProfileError("ill-formed", f"reserved additional information {ai}", pos)


# ------------------------------------------------------------------ encoding


def encode(value: Value) -> bytes:
    """The deterministic encoding of a value that is already inside the profile.

    Callers validate first (the descriptor types do); cbor2 failures are still
    wrapped so no foreign exception escapes.
    """
    try:
        return cbor2.dumps(value, canonical=True)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as exc:
        raise EncodingError(f"cannot encode: {exc}") from exc


def encode_ordered(value: Value) -> bytes:
    """The deterministic encoding of a profile value whose maps are already in
    deterministic key order (as built by the descriptor types and ``freeze``).

    cbor2 keeps a map's insertion order when not asked to sort, and always
    writes minimal heads and definite lengths; sorting is the slow part of its
    canonical mode, so this is several times faster than :func:`encode`.
    """
    try:
        return cbor2.dumps(value)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as exc:
        raise EncodingError(f"cannot encode: {exc}") from exc


def encode_head(major: int, arg: int) -> bytes:
    """A minimal head (RFC 8949 §4.2.1 rule 1) for major type ``major``."""
    if arg < 24:
        return bytes((major << 5 | arg,))
    for ai, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * width):
            return bytes((major << 5 | ai,)) + arg.to_bytes(width, "big")
    raise EncodingError(f"argument {arg} does not fit 64 bits")


def check(value: object, depth: int = MAX_DEPTH) -> None:
    """Raise :class:`EncodingError` unless ``value`` can be encoded in the profile."""
    # Concrete types only: ABC checks are slow, and a float or a set must fail.
    if value is None or isinstance(value, (bool, bytes)):
        return
    if isinstance(value, int):
        if not -_UINT64 <= value < _UINT64:
            raise EncodingError(f"integer {value} is outside the 64-bit range")
        return
    if isinstance(value, str):
        if not value.isascii() and not unicodedata.is_normalized("NFC", value):
            raise EncodingError(f"text {value!r} is not in NFC")
        return
    if depth <= 0:
        raise EncodingError(f"nesting deeper than {MAX_DEPTH} levels")
    if isinstance(value, (list, tuple)):
        for item in value:
            check(item, depth - 1)
        return
    if isinstance(value, (dict, cbor2.frozendict)):
        keys = value.keys()
        if keys and not (
            all(type(k) is int and 0 <= k < 24 for k in keys) or all(type(k) is str for k in keys)
        ):
            raise EncodingError("map keys must all be integers 0..23 or all text")
        for key, item in value.items():
            check(key, depth - 1)
            check(item, depth - 1)
        return
    raise EncodingError(f"{type(value).__name__} is not in the CBOR profile")


def freeze(value: Value) -> Value:
    """An immutable, hashable copy of a :func:`check`-ed value: arrays become
    tuples, maps ``cbor2.frozendict`` with keys in deterministic order (§3.2)."""
    if isinstance(value, (list, tuple)):
        return tuple([freeze(v) for v in value])
    if isinstance(value, (dict, cbor2.frozendict)):
        # §4.2.1: keys sorted by their encoded bytes.
        items = sorted(value.items(), key=_encoded_key)
        return cbor2.frozendict({k: freeze(v) for k, v in items})
    return value


def _encoded_key(item: tuple[int | str, Value]) -> bytes:
    return cbor2.dumps(item[0])
