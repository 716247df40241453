"""Mutant: every trusted key tried until one verifies (spec/descriptor.md §5.2: the
key whose thumbprint is kid, and no other is tried; cf. KeyTrap, CVE-2023-50387):
the kid's key first, then the others, and a kid that names none is no error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import _mutate

import cid._cose
import cid._signed
from cid import SignatureError, UnknownKeyError
from cid._signed import Keys

_verify = cid._cose.verify_signature


class Candidates(bytes):
    """The raw key the reference verifies with, carrying every key to try."""

    candidates: tuple[bytes, ...]


@dataclass(frozen=True)
class AnyKey:
    raw: Candidates


def select(keys: Keys, kid: bytes) -> AnyKey:
    trusted = list(keys.values() if isinstance(keys, Mapping) else keys)
    if not trusted:
        raise UnknownKeyError("no trusted key")
    trusted.sort(key=lambda k: k.kid != kid)  # the kid's key first
    raw = Candidates(trusted[0].raw)
    raw.candidates = tuple(k.raw for k in trusted)
    return AnyKey(raw)


def verify_signature(public: bytes, message: bytes, signature: bytes) -> None:
    for candidate in getattr(public, "candidates", (public,)):
        try:
            _verify(candidate, message, signature)
            return
        except SignatureError:
            continue
    raise SignatureError("no trusted key verifies the signature")


_mutate.replace(cid._signed, "_select", select)
_mutate.replace(cid._signed, "verify_signature", verify_signature)

if __name__ == "__main__":
    _mutate.run()
