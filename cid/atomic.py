"""Atomic file writes: temporary file in the same folder, fsync, rename, fsync the folder.

A reader sees the old file or the new one, never a torn one, and a crash after
this returns cannot lose what it wrote. :class:`AtomicWriter` does the same for
many files at a lower cost: their folders are fsync'd once, at the end.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Final

__all__ = ["AtomicWriter", "fsync_dir", "write_atomic"]

_WORKERS: Final = 4
_PENDING: Final = 256  # writes queued at most: bounds the memory held


def write_atomic(path: Path, data: bytes, mode: int = 0o644, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` with ``mode``. With ``overwrite`` False an existing
    file raises :class:`FileExistsError` (by ``link``, so there is no check-then-write race)."""
    path = Path(path)
    _write_file(path, data, mode, overwrite)
    fsync_dir(path.parent)


def _write_file(path: Path, data: bytes, mode: int, overwrite: bool) -> None:
    """The file in place, whole (its data fsync'd before the rename); its folder not fsync'd."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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


def fsync_dir(folder: Path) -> None:
    """Make the folder's entries (a rename, a new or removed file) survive a crash."""
    dirfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


class AtomicWriter:
    """Many atomic writes, each file whole or not at all, all durable once :meth:`close`
    (or the ``with`` block) returns.

    A build writes thousands of files, and two fsyncs each were a third of its
    time. Here each file's data is still fsync'd before its rename (so a crash
    never leaves a torn file), but in worker threads, where the disk's wait
    overlaps the caller's work; each folder is fsync'd once, at the end. A crash
    before then may lose some writes, each whole. Write each path at most once.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="cid-write")
        self._pending: list[Future[None]] = []
        self._folders: set[Path] = set()

    def write(self, path: Path, data: bytes, mode: int = 0o644) -> None:
        path = Path(path)
        self._folders.add(path.parent)
        if len(self._pending) >= _PENDING:
            self._wait()
        self._pending.append(self._pool.submit(_write_file, path, data, mode, True))

    def _wait(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()  # the first failure raises here, in the caller

    def close(self) -> None:
        """Finish every write and make all of them durable; raise the first failure."""
        try:
            self._wait()
        finally:
            self._pool.shutdown(wait=True)
        for folder in sorted(self._folders):
            fsync_dir(folder)

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            # Failing anyway: let the writes under way end, report the first error only.
            self._pool.shutdown(wait=True, cancel_futures=True)
