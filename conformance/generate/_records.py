"""Signed records for the descriptor vectors, built by hand (spec/descriptor.md §4-§10).

Keys come from fixed seeds, times are fixed, and Ed25519 is deterministic, so
the bytes are the same at every generation. Claims are plain dicts encoded by
:func:`_cbor_bytes.enc`; envelopes are assembled byte by byte, so that a
malformed record is exactly the fault it is meant to be. Only
:meth:`cid.SigningKey.sign` of the reference library is used, to sign.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from typing import Any

import cid

from ._cbor_bytes import bstr, enc

__all__ = [
    "ANCHOR",
    "DAY",
    "DELEG",
    "DESC",
    "T0",
    "claims",
    "deleg_claims",
    "deleg_json",
    "desc_json",
    "endpoint",
    "envelope",
    "key",
    "kid",
    "protected",
    "pub",
    "record",
    "sig_structure",
]

#: 2026-01-01T00:00:00Z: every time in the vectors is near it.
T0 = 1767225600
DAY = 86400

DESC = "application/ucid-descriptor+cbor"
DELEG = "application/ucid-delegation+cbor"
ANCHOR = "application/ucid-anchor+cbor"


@cache
def key(name: str) -> cid.SigningKey:
    """The key called ``name``: seed SHA-256("ucid-conformance key " + name)."""
    return cid.SigningKey.from_seed(
        hashlib.sha256(b"ucid-conformance key " + name.encode()).digest()
    )


def pub(name: str) -> str:
    return key(name).verify_key.raw.hex()


def kid(name: str) -> bytes:
    """§5.2.1: SHA-256 of the COSE_Key {1: 1, -1: 6, -2: x}, computed here, not by the library."""
    return hashlib.sha256(b"\xa3\x01\x01\x20\x06\x21\x58\x20" + key(name).verify_key.raw).digest()


def protected(kid_: bytes, typ: str = DESC, alg: int = -8) -> bytes:
    return enc({1: alg, 4: kid_, 16: typ})


def sig_structure(protected_: bytes, payload: bytes) -> bytes:
    return enc(["Signature1", protected_, b"", payload])


def envelope(
    protected_: bytes, payload: bytes, signature: bytes, unprotected: bytes = b"\xa0"
) -> bytes:
    return b"\xd2\x84" + bstr(protected_) + unprotected + bstr(payload) + bstr(signature)


def record(
    payload: bytes | Mapping[Any, Any],
    signer: str = "acme",
    *,
    typ: str = DESC,
    alg: int = -8,
    kid_of: str | None = None,
    kid_bytes: bytes | None = None,
    protected_bytes: bytes | None = None,
    unprotected: bytes = b"\xa0",
    signed_payload: bytes | None = None,
) -> bytes:
    """A COSE_Sign1 record of ``payload`` (bytes, or claims to encode) signed by
    ``signer``; the header names ``kid_of``'s kid (default: the signer's). The
    signature covers ``signed_payload`` when given (to sign other bytes than sent)."""
    body = payload if isinstance(payload, bytes) else enc(payload)
    if protected_bytes is None:
        protected_bytes = protected(
            kid_bytes if kid_bytes is not None else kid(kid_of or signer), typ, alg
        )
    to_sign = sig_structure(protected_bytes, signed_payload if signed_payload is not None else body)
    return envelope(protected_bytes, body, key(signer).sign(to_sign), unprotected)


def claims(**over: Any) -> dict[int, Any]:
    """The claims of the base descriptor (§6.1), with ``over`` by claim name;
    a value of None removes the claim."""
    base: dict[str, Any] = {
        "iss": "acme.example",
        "sub": "ucid:acme.example/cn-gd/x86-64",
        "exp": T0 + 7 * DAY,
        "nbf": T0,
        "iat": T0,
        "version": 1,
        "endpoints": [endpoint()],
    }
    base.update(over)
    numbers = {
        "iss": 1,
        "sub": 2,
        "aud": 3,
        "exp": 4,
        "nbf": 5,
        "iat": 6,
        "cti": 7,
        "version": 8,
        "endpoints": 9,
        "capabilities": 10,
        "ext": 11,
        "crit": 12,
        "keys": 13,
    }
    return {numbers[k]: v for k, v in base.items() if v is not None}


def endpoint(**over: Any) -> dict[int, Any]:
    base: dict[str, Any] = {
        "transport": "tcp",
        "protocol": "https",
        "host": "api.acme.example",
        "port": 443,
        "priority": 1,
        "weight": 0,
    }
    base.update(over)
    numbers = {
        "transport": 0,
        "protocol": 1,
        "host": 2,
        "port": 3,
        "alpn": 4,
        "priority": 5,
        "weight": 6,
        "region": 7,
        "extra": 8,
    }
    return {numbers[k]: v for k, v in base.items() if v is not None}


def deleg_claims(parent: str, child: str, key_names: list[str], **over: Any) -> dict[int, Any]:
    base: dict[str, Any] = {
        "iss": parent,
        "sub": child,
        "exp": T0 + 90 * DAY,
        "nbf": T0,
        "iat": T0,
        "version": 1,
        "keys": [key(k).verify_key.raw for k in key_names],
    }
    base.update(over)
    numbers = {
        "iss": 1,
        "sub": 2,
        "exp": 4,
        "nbf": 5,
        "iat": 6,
        "version": 8,
        "endpoints": 9,
        "keys": 13,
    }
    return {numbers[k]: v for k, v in base.items() if v is not None}


_EP_NAMES = {
    0: "transport",
    1: "protocol",
    2: "host",
    3: "port",
    4: "alpn",
    5: "priority",
    6: "weight",
    7: "region",
}


def _jsonable(value: Any) -> bool:
    if isinstance(value, bytes):
        return False
    if isinstance(value, list):
        return all(_jsonable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    return True


def desc_json(c: Mapping[int, Any]) -> dict[str, Any] | None:
    """The descriptor JSON (§13) of valid claims, as ADAPTER.md §4.8 outputs it:
    every member the record holds, and no other; None when ext holds a value
    JSON cannot show (a byte string, a map with integer keys)."""
    out: dict[str, Any] = {
        "issuer": c[1],
        "subject": c[2],
        "version": c[8],
        "issued_at": c[6],
        "not_before": c[5],
        "expires": c[4],
        "endpoints": [{_EP_NAMES[k]: v for k, v in e.items()} for e in c[9]],
    }
    if 10 in c:
        out["capabilities"] = c[10]
    if 11 in c:
        if not _jsonable(c[11]):
            return None
        out["ext"] = c[11]
    if 12 in c:
        out["crit"] = c[12]
    return out


def deleg_json(c: Mapping[int, Any]) -> dict[str, Any]:
    return {
        "parent": c[1],
        "child": c[2],
        "keys": [k.hex() for k in c[13]],
        "version": c[8],
        "issued_at": c[6],
        "not_before": c[5],
        "expires": c[4],
    }
