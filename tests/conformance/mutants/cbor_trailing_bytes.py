"""Mutant: CBOR decoding that stops after the first data item and ignores the bytes
after it (spec/descriptor.md §3: the input is one data item and nothing else)."""

from __future__ import annotations

import _mutate

import cid
import cid._cbor
import cid._cose
import cid._descriptor
import cid._signed
from cid import OversizeError
from cid._cbor import MAX_DEPTH, Value, decode_at


def decode(data: bytes, *, max_size: int, max_depth: int = MAX_DEPTH, start: int = 0) -> Value:
    if len(data) > max_size:
        raise OversizeError(f"{len(data)} bytes exceed the limit of {max_size}")
    return decode_at(data, start, max_depth)[0]


_mutate.replace((cid._cbor, cid._cose, cid._signed, cid._descriptor), "decode", decode)
_mutate.replace(cid, "decode_cbor", decode)

if __name__ == "__main__":
    _mutate.run()
