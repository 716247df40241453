"""Mutant: skew after exp (spec/status.md §7.3): a status is accepted until exp plus the
skew, as a descriptor is, instead of never at or after its exp."""

from __future__ import annotations

from typing import Any

import _mutate

import cid

_verify_status = cid.verify_status


def verify_status(data: bytes, keys: Any, *, now: int, **kw: Any) -> cid.Status:
    try:
        return _verify_status(data, keys, now=now, **kw)
    except cid.ExpiredError:
        return _verify_status(data, keys, now=now - kw.get("skew", cid.STATUS_SKEW), **kw)


_mutate.replace(cid, "verify_status", verify_status)

if __name__ == "__main__":
    _mutate.run()
