"""Atomic file writes: temporary file in the same folder, fsync, rename, fsync the folder.

A reader sees the old file or the new one, never a torn one, and a crash after
this returns cannot lose what it wrote.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["fsync_dir", "write_atomic"]


def write_atomic(path: Path, data: bytes, mode: int = 0o644, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` with ``mode``. With ``overwrite`` False an existing
    file raises :class:`FileExistsError` (by ``link``, so there is no check-then-write race)."""
    path = Path(path)
    folder = path.parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)  # mkstemp gives 0600; public files widen it
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone already after a rename
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Make the folder's entries (a rename, a new or removed file) survive a crash."""
    dirfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)
