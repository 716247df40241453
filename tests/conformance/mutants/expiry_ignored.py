"""Mutant: exp ignored (spec/descriptor.md §8.3): an expired descriptor or
delegation record is accepted; nbf is still checked."""

from __future__ import annotations

import _mutate

import cid._signed
from cid import Delegation, Descriptor, NotYetValidError


def validity(rec: Descriptor | Delegation, now: int, skew: int) -> None:
    start = max(rec.not_before, rec.issued_at)
    if now < start - skew:
        raise NotYetValidError(f"valid from {start} less {skew} s; now is {now}", start - skew)


_mutate.replace(cid._signed, "_validity", validity)

if __name__ == "__main__":
    _mutate.run()
