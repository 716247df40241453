"""Mutant: a delegation record followed without verifying the parent's signature
(spec/descriptor.md §9, spec/resolution.md §12.5): neither its kid nor its
signature is checked against the parent zone's keys, so anyone can delegate a zone
to keys of their choosing. Descriptors are still verified."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import _mutate

import cid
import cid._cose
import cid._signed
import resolver._resolution
from cid._signed import Keys

_verify_delegation = cid._signed.verify_delegation
_select = cid._signed._select
_verify = cid._cose.verify_signature


@dataclass(frozen=True)
class NoKey:
    raw: bytes = bytes(32)
    kid: bytes = b""


def select_none(keys: Keys, kid: bytes) -> NoKey:
    return NoKey()


def verify_nothing(public: bytes, message: bytes, signature: bytes) -> None:
    return None


@contextlib.contextmanager
def unchecked() -> Iterator[None]:
    _mutate.replace(cid._signed, "_select", select_none)
    _mutate.replace(cid._signed, "verify_signature", verify_nothing)
    try:
        yield
    finally:
        _mutate.replace(cid._signed, "_select", _select)
        _mutate.replace(cid._signed, "verify_signature", _verify)


def verify_delegation(data: bytes, keys: Keys, **kw: Any) -> cid.Delegation:
    with unchecked():
        return _verify_delegation(data, keys, **kw)


_mutate.replace((cid, cid._signed, resolver._resolution), "verify_delegation", verify_delegation)

if __name__ == "__main__":
    _mutate.run()
