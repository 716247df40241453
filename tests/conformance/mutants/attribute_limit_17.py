"""Mutant: the limit on capability attributes off by one (spec/identifier.md §8
allows 16): an identifier with 17 attributes is accepted."""

from __future__ import annotations

import _mutate

import cid._components
import cid._identifier
import cid._identifier_fast

_mutate.replace(
    (cid._components, cid._identifier, cid._identifier_fast),
    "MAX_ATTRIBUTES",
    cid._components.MAX_ATTRIBUTES + 1,
)

if __name__ == "__main__":
    _mutate.run()
