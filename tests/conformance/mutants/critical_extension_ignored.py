"""Mutant: crit ignored (spec/descriptor.md §6.3, §8.2): a descriptor that marks an
extension critical is accepted by a verifier that does not understand it, as if
every extension were understood."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

import _mutate

import cid
import cid._signed
import resolver._resolution

_verify = cid._signed.verify


class Everything(Collection[str]):
    """Understands every extension."""

    def __contains__(self, item: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def verify(data: bytes, keys: cid._signed.Keys, **kw: Any) -> cid.Descriptor:
    kw["extensions"] = Everything()
    return _verify(data, keys, **kw)


_mutate.replace((cid, cid._signed, resolver._resolution), "verify", verify)

if __name__ == "__main__":
    _mutate.run()
