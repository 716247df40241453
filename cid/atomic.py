"""Atomic file writes: temporary file in the same folder, fsync, rename, fsync the folder.

A reader sees the old file or the new one, never a torn one, and a crash after
this returns cannot lose what it wrote. :class:`AtomicWriter` does the same for
many files at a lower cost: their folders are fsync'd once, at the end.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Final

__all__ = ["AtomicWriter", "fsync_dir", "write_atomic", "write_durable"]

_THREADS: Final = 16  # fsyncs in flight: on a busy disk each waits milliseconds
_PENDING: Final = 256  # writes queued at most: bounds the memory held
_serial = itertools.count()


def write_atomic(path: Path, data: bytes, mode: int = 0o644, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` with ``mode``. With ``overwrite`` False an existing
    file raises :class:`FileExistsError` (by ``link``, so there is no check-then-write race)."""
    path = Path(path)
    write_durable(path, data, mode, overwrite=overwrite)
    fsync_dir(path.parent)


def write_durable(
    path: str | Path, data: bytes, mode: int = 0o644, *, overwrite: bool = True
) -> None:
    """The file in place, whole: its data fsync'd before the rename. Its folder is
    not fsync'd: the caller does that (:func:`fsync_dir`) before counting on it,
    once for many files."""
    folder, name = os.path.split(path)
    while True:  # a name of this process's own; a stale one left by a crash is skipped
        tmp = os.path.join(folder, f".{name}.{os.getpid()}-{next(_serial)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        except FileExistsError:
            continue
        break
    try:
        try:
            os.fchmod(fd, mode)  # exactly ``mode``, whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fsync_dir(folder: str | Path) -> None:
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

    def __init__(self, threads: int = _THREADS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="cid-write")
        self._pending: list[Future[None]] = []
        self._folders: set[str] = set()

    def write(self, path: str | Path, data: bytes, mode: int = 0o644) -> None:
        self._folders.add(os.path.dirname(path) or ".")
        if len(self._pending) >= _PENDING:
            self.flush()
        self._pending.append(self._pool.submit(write_durable, path, data, mode))

    def add_folder(self, folder: str | Path) -> None:
        """A folder that others (worker processes) write files into, each whole and
        fsync'd: fsync it too at :meth:`close`."""
        self._folders.add(os.fspath(folder))

    def flush(self) -> None:
        """Wait for every write so far: each file whole in place (its folder not yet
        fsync'd); raise the first failure."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()  # the first failure raises here, in the caller

    def close(self) -> None:
        """Finish every write and make all of them durable; raise the first failure."""
        try:
            self.flush()
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
