"""Mutant: the compatibility order read both ways (spec/identifier.md §6.2), so a
lower level satisfies a higher one: ``x86-64-v3`` satisfies ``x86-64-v4``."""

from __future__ import annotations

import _mutate

import cid
import cid._identifier
import cid._pattern
import cid._tables

_satisfies = cid._tables.satisfies


def satisfies(have: str, want: str) -> bool:
    return _satisfies(have, want) or _satisfies(want, have)


_mutate.replace((cid, cid._tables, cid._identifier, cid._pattern), "satisfies", satisfies)

if __name__ == "__main__":
    _mutate.run()
