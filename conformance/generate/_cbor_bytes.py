"""CBOR bytes for the descriptor vectors, written by hand (spec/descriptor.md §3).

The generator builds well-formed and malformed items itself, so that the
expected results come from the specification's rules and not from the
reference decoder: :func:`enc` is the deterministic encoding of §3.2 (shortest
heads, definite lengths, map keys sorted by their encoded bytes), :func:`head`
writes any head, shortest or not, and :func:`judge` is a small strict decoder
that says which rule of §3 an item breaks (or ``None``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MAX_DEPTH", "bstr", "enc", "head", "judge", "tstr"]

#: §3.3.2: arrays and maps nested at most 8 deep.
MAX_DEPTH = 8


def head(major: int, arg: int, width: int | None = None) -> bytes:
    """A head of major type ``major``; ``width`` (0, 1, 2, 4, 8 argument bytes)
    forces a form, shortest when None."""
    if width is None:
        width = 0 if arg < 24 else next(w for w in (1, 2, 4, 8) if arg < 1 << 8 * w)
    if width == 0:
        assert arg < 24
        return bytes((major << 5 | arg,))
    ai = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes((major << 5 | ai,)) + arg.to_bytes(width, "big")


def bstr(data: bytes) -> bytes:
    return head(2, len(data)) + data


def tstr(text: str) -> bytes:
    raw = text.encode("utf-8")
    return head(3, len(raw)) + raw


def enc(value: Any) -> bytes:
    """The deterministic encoding (RFC 8949 §4.2.1) of a value of the profile."""
    if value is False:
        return b"\xf4"
    if value is True:
        return b"\xf5"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return bstr(value)
    if isinstance(value, str):
        return tstr(value)
    if isinstance(value, Sequence):
        return head(4, len(value)) + b"".join(enc(v) for v in value)
    if isinstance(value, Mapping):
        items = sorted((enc(k), enc(v)) for k, v in value.items())
        return head(5, len(items)) + b"".join(k + v for k, v in items)
    raise TypeError(f"not a profile value: {value!r}")


class _Reject(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def judge(data: bytes) -> str | None:
    """None when ``data`` is one item of the profile and nothing more, else the
    §3.4.3 reason (``depth`` for nesting beyond §3.3.2)."""
    try:
        end = _item(data, 0, MAX_DEPTH)
    except IndexError:
        return "ill-formed"
    except _Reject as exc:
        return exc.reason
    return None if end == len(data) else "trailing"


def _item(data: bytes, pos: int, depth: int) -> int:
    ib = data[pos]
    major, ai = ib >> 5, ib & 0x1F
    if major == 7:
        if ai in (20, 21, 22):
            return pos + 1
        if ai < 24:
            raise _Reject("simple")
        if ai == 24:
            if data[pos + 1] < 32:
                raise _Reject("ill-formed")
            raise _Reject("simple")
        if ai < 28:
            raise _Reject("float")
        raise _Reject("ill-formed")
    if ai < 24:
        arg, p = ai, pos + 1
    elif ai < 28:
        width = 1 << (ai - 24)
        p = pos + 1 + width
        if p > len(data):
            raise IndexError
        arg = int.from_bytes(data[pos + 1 : p], "big")
        if arg < (24 if width == 1 else 1 << (4 * width)):
            raise _Reject("non-minimal")
    elif ai == 31 and 2 <= major <= 5:
        raise _Reject("indefinite")
    else:
        raise _Reject("ill-formed")
    if major in (0, 1):
        return p
    if major == 6:
        raise _Reject("tag")
    if major in (2, 3):
        end = p + arg
        if end > len(data):
            raise IndexError
        if major == 3:
            try:
                text = data[p:end].decode("utf-8")
            except UnicodeDecodeError:
                raise _Reject("utf8") from None
            if not unicodedata.is_normalized("NFC", text):
                raise _Reject("nfc")
        return end
    if depth == 0:
        raise _Reject("depth")
    if arg > len(data) - p:
        raise _Reject("ill-formed")
    if major == 4:
        for _ in range(arg):
            p = _item(data, p, depth - 1)
        return p
    last: bytes | None = None
    kinds = set()
    for _ in range(arg):
        k = data[p]
        kinds.add("int" if k < 0x18 else "text" if k >> 5 == 3 else "other")
        kend = _item(data, p, depth - 1)
        if "other" in kinds or len(kinds) > 1:
            raise _Reject("map-key")
        raw = data[p:kend]
        if last is not None and raw <= last:
            raise _Reject("duplicate-key" if raw == last else "key-order")
        last = raw
        p = _item(data, kend, depth - 1)
    return p
