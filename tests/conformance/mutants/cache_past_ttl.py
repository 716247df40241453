"""Mutant: a resolver that keeps using cached answers after their TTL (spec/
resolution.md §14): each verified answer is cached as fresh forever, so a change
at the servers is never seen again within the resolver's life."""

from __future__ import annotations

import dataclasses

import _mutate

import resolver._cache
from resolver import Resolved

_put_answer = resolver._cache.Cache.put_answer


def put_answer(self: resolver._cache.Cache, key: object, value: object, size: int) -> None:
    if isinstance(value, Resolved):
        value = dataclasses.replace(value, fresh_until=2**62, stale_until=2**62)
    _put_answer(self, key, value, size)


_mutate.replace(resolver._cache.Cache, "put_answer", put_answer)

if __name__ == "__main__":
    _mutate.run()
