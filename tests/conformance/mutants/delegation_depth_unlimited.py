"""Mutant: no limit on the depth of delegation (spec/resolution.md §15: at most 16
referrals and zones below the anchor): the resolver and the chain verifier follow
chains of any length."""

from __future__ import annotations

from typing import Any

import _mutate

import resolver
import resolver._resolution
import resolver._resolver

_Limits = resolver._resolution.Limits


def limits(**kw: Any) -> resolver.Limits:
    kw.setdefault("max_depth", 2**30)
    return _Limits(**kw)


_mutate.replace((resolver, resolver._resolution, resolver._resolver), "Limits", limits)

if __name__ == "__main__":
    _mutate.run()
