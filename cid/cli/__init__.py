"""The ``cid`` command: identifiers, keys and descriptors, the registry and its
zones, ``cid serve``, live registration and the demo. ``main`` is its entry point."""

from __future__ import annotations

from ._main import main

__all__ = ["main"]
