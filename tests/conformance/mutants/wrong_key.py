"""Mutant: a record whose kid names no trusted key verified with the first trusted
key instead (spec/descriptor.md §5.2: the key whose thumbprint is kid, and no
other; a kid that names none is UNKNOWN_KEY)."""

from __future__ import annotations

from collections.abc import Mapping

import _mutate

import cid._signed
from cid import UnknownKeyError, VerifyKey
from cid._signed import Keys

_select = cid._signed._select


def select(keys: Keys, kid: bytes) -> VerifyKey:
    try:
        return _select(keys, kid)
    except UnknownKeyError:
        trusted: list[VerifyKey] = list(keys.values() if isinstance(keys, Mapping) else keys)
        if not trusted:
            raise
        return trusted[0]


_mutate.replace(cid._signed, "_select", select)

if __name__ == "__main__":
    _mutate.run()
