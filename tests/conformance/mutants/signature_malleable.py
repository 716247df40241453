"""Mutant: Ed25519 signatures with ``S >= L`` accepted (spec/descriptor.md §4.5.3
requires rejecting them): S is reduced modulo the group order first, so a valid
signature with L added to S (a second, malleated encoding) verifies too."""

from __future__ import annotations

import _mutate

import cid._cose
import cid._keys
import cid._signed

L = 2**252 + 27742317777372353535851937790883648493
_verify = cid._cose.verify_signature


def verify_signature(public: bytes, message: bytes, signature: bytes) -> None:
    if len(signature) == 64:
        s = int.from_bytes(signature[32:], "little")
        if s >= L:
            signature = bytes(signature[:32]) + (s % L).to_bytes(32, "little")
    _verify(public, message, signature)


_mutate.replace((cid._cose, cid._keys, cid._signed), "verify_signature", verify_signature)

if __name__ == "__main__":
    _mutate.run()
