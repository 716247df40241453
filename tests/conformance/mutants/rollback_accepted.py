"""Mutant: no rollback protection (spec/descriptor.md §8.5, spec/resolution.md
§14.3): a record of a lower version than one accepted before is accepted, by the
verifier and by the resolver's version store."""

from __future__ import annotations

from typing import Any

import _mutate

import cid._signed
import resolver._cache


def no_rollback_check(*args: Any) -> None:
    return None


_mutate.replace(cid._signed, "_rollback", no_rollback_check)
_mutate.replace(resolver._cache.VersionStore, "check", no_rollback_check)

if __name__ == "__main__":
    _mutate.run()
