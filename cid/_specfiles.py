"""Locate the normative files of ``spec/``: one source for the grammar and registries.

A wheel carries them as ``cid/_spec/`` (see ``pyproject.toml``); a source checkout
or editable install reads ``spec/`` beside the package.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["spec_path"]

_CANDIDATES = (Path(__file__).parent / "_spec", Path(__file__).parent.parent / "spec")


def spec_path(name: str) -> Path:
    """Return the path of ``name`` (relative to ``spec/``)."""
    for base in _CANDIDATES:
        path = base / name
        if path.is_file():
            return path
    raise FileNotFoundError(f"spec file {name!r} is not installed with the cid package")
