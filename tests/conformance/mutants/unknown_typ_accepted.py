"""Mutant: the typ header not checked (spec/descriptor.md §4.2, §8.2): a record of
an unknown typ, or of another kind of record (a delegation record's typ on a
descriptor), is accepted for what its payload decodes as."""

from __future__ import annotations

import functools
from typing import Any

import _mutate

import cid
import cid._signed
import resolver._resolution
from cid._cose import HEADER_TYP, decode_sign1, encode_sign1
from cid._descriptor import TYP_DESCRIPTOR

_decode_unverified = cid._signed.decode_unverified


def decode_unverified(data: bytes) -> tuple[dict[Any, Any], cid.Descriptor | cid.Delegation]:
    """The adapter reads the kid, and the resolver the issuer, with this: an unknown
    typ is read as a descriptor."""
    try:
        return _decode_unverified(data)
    except cid.EncodingError:
        header, record = _decode_unverified(_retyped(data))
        return header, record


def _retyped(data: bytes) -> bytes:
    msg = decode_sign1(data, max_size=cid.MAX_SIGNED)
    header = cid.decode_cbor(msg.protected, max_size=cid.MAX_SIGNED)
    if not isinstance(header, dict):
        raise cid.EncodingError("the protected header must be a map")
    header[HEADER_TYP] = TYP_DESCRIPTOR
    protected = cid.encode_cbor(header)
    return encode_sign1(protected, b"\xa0", msg.payload, msg.signature)


_mutate.replace(cid._signed, "_open", functools.partial(_mutate.open_sign1, typ_checked=False))
_mutate.replace((cid, cid._signed, resolver._resolution), "decode_unverified", decode_unverified)

if __name__ == "__main__":
    _mutate.run()
