"""Vectors of the descriptor area (being written)."""

from __future__ import annotations

from ._common import Area

__all__ = ["build"]


def build() -> list[Area]:
    return []
