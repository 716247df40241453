"""Mutant: binary units as decimal ones (spec/identifier.md §7.2): ``GiB`` as 10^9
bytes instead of 2^30, and so for KiB ... EiB; off by 1000 vs 1024."""

from __future__ import annotations

import _mutate

import cid._units

for unit, (kind, _) in list(cid._units.UNITS.items()):
    if unit.endswith("iB"):
        power = "KMGTPE".index(unit[0]) + 1
        cid._units.UNITS[unit] = (kind, 1000**power)

if __name__ == "__main__":
    _mutate.run()
