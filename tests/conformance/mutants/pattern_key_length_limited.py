"""Mutant: a pattern's constraint key held to the 32 characters of an attribute's
key (spec/identifier.md §10.2: in a pattern its length is not limited; a longer key
is valid and is in no identifier)."""

from __future__ import annotations

import _mutate

import cid._pattern
from cid._components import Fault
from cid._syntax import RawAttribute

_constraint = cid._pattern._constraint


def constraint(raw: RawAttribute) -> cid._pattern.Constraint:
    if len(raw.key.text) > 32:
        raise Fault("a capability name is at most 32 characters", raw.key)
    return _constraint(raw)


_mutate.replace(cid._pattern, "_constraint", constraint)

if __name__ == "__main__":
    _mutate.run()
