"""Mutant: signed records (descriptors, delegation records, rotations) accepted
without verifying their signature (spec/descriptor.md §8.2 step 6); the kid must
still name a trusted key."""

from __future__ import annotations

import _mutate

import cid._signed


def verify_signature(public: bytes, message: bytes, signature: bytes) -> None:
    return None


_mutate.replace(cid._signed, "verify_signature", verify_signature)

if __name__ == "__main__":
    _mutate.run()
