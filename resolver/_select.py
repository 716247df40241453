"""Endpoint selection: priority, then weight, as SVCB (RFC 9460 §2.4.1) and SRV (RFC 2782)
define them (spec/resolution.md §16)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import groupby

from cid import Endpoint

__all__ = ["order_endpoints"]


def order_endpoints(endpoints: Sequence[Endpoint], rng: random.Random) -> list[Endpoint]:
    """Every endpoint, in the order a client should try them.

    Lower priorities come first. Within one priority, RFC 2782's weighted
    selection: repeatedly pick one of the remaining endpoints with probability
    proportional to its weight; endpoints of weight 0 have a small chance to be
    picked first, and otherwise come last.
    """
    out: list[Endpoint] = []
    for _, group in groupby(sorted(endpoints, key=lambda e: e.priority), key=lambda e: e.priority):
        left = list(group)
        # The descriptor's order carries no meaning: shuffle, then (RFC 2782) weight-0
        # entries first, then pick by running sums.
        rng.shuffle(left)
        left.sort(key=lambda e: e.weight != 0)
        while left:
            total = sum(e.weight for e in left)
            pick = rng.randint(0, total)
            running = 0
            for i, endpoint in enumerate(left):
                running += endpoint.weight
                if running >= pick:
                    out.append(left.pop(i))
                    break
    return out
