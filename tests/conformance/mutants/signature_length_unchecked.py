"""Mutant: an Ed25519 signature longer than 64 bytes accepted when its first 64
bytes verify (spec/descriptor.md §4.5, RFC 8032 §5.1.7: a signature is exactly 64
bytes), as a verifier that slices instead of checking the length does."""

from __future__ import annotations

import _mutate

import cid._cose
import cid._keys
import cid._signed

_verify = cid._cose.verify_signature


def verify_signature(public: bytes, message: bytes, signature: bytes) -> None:
    _verify(public, message, signature[:64])


_mutate.replace((cid._cose, cid._keys, cid._signed), "verify_signature", verify_signature)

if __name__ == "__main__":
    _mutate.run()
