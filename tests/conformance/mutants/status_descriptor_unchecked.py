"""Mutant: descriptor unchecked (spec/status.md §7.2 step 8): a status is accepted with
any descriptor, whatever issuer, subject and descriptor version it names."""

from __future__ import annotations

from typing import Any

import _mutate

import cid

_verify_status = cid.verify_status


def verify_status(data: bytes, keys: Any, **kw: Any) -> cid.Status:
    kw.pop("descriptor", None)
    return _verify_status(data, keys, **kw)


_mutate.replace(cid, "verify_status", verify_status)

if __name__ == "__main__":
    _mutate.run()
