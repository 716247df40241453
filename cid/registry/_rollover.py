"""The state of a zone's key rollover (spec/resolution.md §7.8): ``zones/<zone>/rollover.json``.

A rollover is three moments, each a time passed in:

- ``started``: the new key is listed beside the old one (the parent's delegation,
  or for the root ``anchor.json`` and an anchor rotation, names both); the old key
  still signs;
- ``sign_from``: once every cached copy of the old delegation (or anchor) that
  lists the old key alone has expired, the first build at or after this time
  makes the new key the signing key and re-signs the zone with it (``switched``);
- ``retire_from``: once every record the old key signed has expired and left
  every cache, the old key may leave the zone.

This module only reads and writes the state; :mod:`._admin` and the build act on it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Final

from .._errors import CidError
from ..atomic import fsync_dir, write_atomic

__all__ = ["STATE_FILE", "RolloverState", "read_state", "write_state"]

STATE_FILE: Final = "rollover.json"


@dataclass(frozen=True, slots=True)
class RolloverState:
    old: str  # key ids, lowercase hexadecimal
    new: str
    started: int
    sign_from: int
    switched: int | None = None  # when the new key became the signing key
    rotation_version: int | None = None  # the root only: the anchor rotation's version

    def switched_at(self, now: int) -> RolloverState:
        return replace(self, switched=now)


def read_state(folder: Path) -> RolloverState | None:
    """The rollover under way in the zone folder ``folder``, or None."""
    path = folder / STATE_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CidError(f"{path}: unreadable: {exc}") from None
    try:
        return _state(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise CidError(f"{path}: not a rollover state: {exc!r}") from None


def _state(data: Any) -> RolloverState:
    if not isinstance(data, dict):
        raise TypeError("not an object")
    if unknown := set(data) - set(RolloverState.__slots__):
        raise ValueError(f"unknown fields {sorted(unknown)}")

    def time(name: str) -> int | None:
        value = data.get(name)
        if value is None:
            return None
        if type(value) is not int or value < 0:
            raise ValueError(f"{name} is not a time")
        return value

    started, sign_from = time("started"), time("sign_from")
    if started is None or sign_from is None:
        raise KeyError("started and sign_from are required")
    return RolloverState(
        old=str(data["old"]),
        new=str(data["new"]),
        started=started,
        sign_from=sign_from,
        switched=time("switched"),
        rotation_version=time("rotation_version"),
    )


def write_state(folder: Path, state: RolloverState | None) -> None:
    """Write (or with None, remove) the rollover state, atomically and durably."""
    path = folder / STATE_FILE
    if state is None:
        path.unlink(missing_ok=True)
        fsync_dir(folder)
        return
    text = json.dumps(asdict(state), indent=2) + "\n"
    write_atomic(path, text.encode("utf-8"))
