"""Mutant: nbf off by one (spec/descriptor.md §8.3.1: valid from
``now >= max(nbf, iat) - skew``): a record is rejected as not yet valid at exactly
``now == max(nbf, iat) - skew``."""

from __future__ import annotations

import _mutate

import cid._signed
from cid import Delegation, Descriptor, ExpiredError, NotYetValidError


def validity(rec: Descriptor | Delegation, now: int, skew: int) -> None:
    start = max(rec.not_before, rec.issued_at)
    if now <= start - skew:
        raise NotYetValidError(f"valid after {start} less {skew} s; now is {now}", start - skew)
    if now >= rec.expires + skew:
        raise ExpiredError(f"expired at {rec.expires} plus {skew} s; now is {now}")


_mutate.replace(cid._signed, "_validity", validity)

if __name__ == "__main__":
    _mutate.run()
