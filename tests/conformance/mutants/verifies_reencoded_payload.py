"""Mutant: the signature verified over the payload decoded and re-encoded, not over
the bytes received (spec/descriptor.md §4.5, §8.2): a payload that is not
deterministic CBOR is accepted when the signature covers its deterministic
encoding, and rejected as a bad signature (not an encoding fault) when the
signature covers the bytes as sent."""

from __future__ import annotations

import functools

import _mutate

import cid._signed

_mutate.replace(cid._signed, "_open", functools.partial(_mutate.open_sign1, reencode=True))

if __name__ == "__main__":
    _mutate.run()
