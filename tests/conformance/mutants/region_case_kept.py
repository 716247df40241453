"""Mutant: the canonical form keeps the region as written (spec/identifier.md §3.4
step 3 lowercases it), so ``CN-GD`` and ``cn-gd`` are different identifiers.

The fault is in the fast path, which parses every ASCII identifier."""

from __future__ import annotations

import _mutate

import cid._identifier_fast
from cid._syntax import FAST_REGION


def region(text: str) -> str | None:
    return text if FAST_REGION(text) else None


_mutate.replace(cid._identifier_fast, "_fast_region", region)

if __name__ == "__main__":
    _mutate.run()
