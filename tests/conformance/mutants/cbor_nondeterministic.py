"""Mutant: CBOR decoded without the deterministic profile's encoding rules
(spec/descriptor.md §3): heads that are not the shortest, indefinite lengths,
unsorted or duplicate map keys are accepted (the values must still be of the
profile's types: no floats, no tags)."""

from __future__ import annotations

import io

import _mutate
import cbor2

import cid
import cid._cbor
import cid._cose
import cid._descriptor
import cid._signed
from cid import EncodingError, OversizeError
from cid._cbor import MAX_DEPTH, Value, check


def decode(data: bytes, *, max_size: int, max_depth: int = MAX_DEPTH, start: int = 0) -> Value:
    if len(data) > max_size:
        raise OversizeError(f"{len(data)} bytes exceed the limit of {max_size}")
    stream = io.BytesIO(bytes(data[start:]))
    try:
        value: Value = cbor2.CBORDecoder(stream).decode()
    except (cbor2.CBORError, ValueError, TypeError, EOFError, RecursionError) as exc:
        raise EncodingError(f"not CBOR: {exc}") from None
    if stream.tell() != len(data) - start:
        raise EncodingError("bytes after the data item")
    check(value, max_depth)
    return value


_mutate.replace((cid._cbor, cid._cose, cid._signed, cid._descriptor), "decode", decode)
_mutate.replace(cid, "decode_cbor", decode)

if __name__ == "__main__":
    _mutate.run()
