"""What every mutant shares: putting its fault in place, then running the reference
adapter (conformance/adapters/reference.py) with it.

A mutant is the reference adapter with one deliberate fault, to show that the
vectors catch it (tests/conformance/test_mutants.py). The library has fast paths
beside strict references (ARCHITECTURE.md), and modules import names from one
another, so a fault replaces a name in every module that holds it: ``replace``
refuses a name that a module does not have, so that a refactoring cannot turn
a mutant into the reference unseen.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import NoReturn

import cbor2

import cid._signed
from cid import MAX_SIGNED, EncodingError, OversizeError, decode_cbor
from cid._cose import (
    ALG_ED25519,
    ALG_EDDSA,
    HEADER_ALG,
    HEADER_KID,
    HEADER_TYP,
    decode_sign1,
    sig_structure,
)
from cid._signed import Keys
from conformance.adapters import reference

__all__ = ["open_sign1", "replace", "run"]


Holder = ModuleType | type


def replace(holders: Holder | tuple[Holder, ...], name: str, value: object) -> None:
    """Bind ``name`` to ``value`` in each of ``holders`` (modules or classes), which
    must all have it."""
    for holder in holders if isinstance(holders, tuple) else (holders,):
        if not hasattr(holder, name):
            raise AttributeError(f"mutant: {holder.__name__} has no {name}; update the mutant")
        setattr(holder, name, value)


def run() -> NoReturn:
    """Serve the adapter protocol on standard input and output, with the fault in place."""
    sys.exit(reference.main())


def open_sign1(
    data: bytes, keys: Keys, typ: str, *, typ_checked: bool = True, reencode: bool = False
) -> tuple[bytes, bytes]:
    """Spec/descriptor.md §8.2 steps 1-6 (what ``cid._signed._open`` does), written
    plainly so that mutants can bend it: without the check of typ, or verifying the
    signature over the payload re-encoded instead of the bytes received. Returns
    (payload, kid), the payload as it was verified."""
    if len(data) > MAX_SIGNED:
        raise OversizeError(f"{len(data)} bytes exceed the limit of {MAX_SIGNED}")
    msg = decode_sign1(data, max_size=MAX_SIGNED)
    header = decode_cbor(msg.protected, max_size=MAX_SIGNED)
    if type(header) is not dict or header.keys() != {HEADER_ALG, HEADER_KID, HEADER_TYP}:
        raise EncodingError("the protected header must hold exactly alg, kid and typ")
    if header[HEADER_ALG] not in (ALG_EDDSA, ALG_ED25519):
        raise EncodingError(f"alg {header[HEADER_ALG]!r} is not accepted")
    kid = header[HEADER_KID]
    if type(kid) is not bytes or len(kid) != 32:
        raise EncodingError("kid must be a 32-byte thumbprint")
    if typ_checked and header[HEADER_TYP] != typ:
        raise EncodingError(f"typ is {header[HEADER_TYP]!r}, expected {typ!r}")
    if msg.unprotected:
        raise EncodingError("the unprotected header must be empty")
    key = cid._signed._select(keys, kid)
    payload = msg.payload
    if reencode:
        try:
            payload = cbor2.dumps(cbor2.loads(payload), canonical=True)
        except (cbor2.CBORError, ValueError, TypeError, EOFError) as exc:
            raise EncodingError(f"the payload does not decode: {exc}") from None
    vars(cid._signed)["verify_signature"](
        key.raw, sig_structure(msg.protected, payload), msg.signature
    )
    return payload, kid
