"""Output of the ``cid`` command: standard streams that outlive their reader, and a
progress line on a terminal.

``cid zone export REGISTRY | head -1`` closes the pipe while the command still writes:
that is no error of ours. :func:`guarded_streams` makes every later write to the stream
a no-op, so the command ends its work (a build is not cut short half-way) and exits
with its own status, with no traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TextIO

__all__ = ["PipeGuard", "Progress", "guarded_streams"]


class PipeGuard(io.TextIOBase):
    """A text stream that discards everything once its reader has gone (EPIPE)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def isatty(self) -> bool:
        return not self.gone and self.stream.isatty()

    def writable(self) -> bool:
        return True

    def _reader_gone(self) -> None:
        self.gone = True
        # What the stream still buffers is flushed at exit: send it, and all else, nowhere.
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)


@contextlib.contextmanager
def guarded_streams() -> Iterator[PipeGuard]:
    """``sys.stdout`` and ``sys.stderr`` guarded for the duration; yields the new stdout."""
    saved = sys.stdout, sys.stderr
    out, err = PipeGuard(sys.stdout), PipeGuard(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        yield out
    finally:
        out.flush()  # here, not at exit, where a closed pipe would print a traceback
        err.flush()
        sys.stdout, sys.stderr = saved


class Progress:
    """A progress line on standard error, rewritten in place; only on a terminal."""

    def __init__(self, what: str, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.what = what
        self.enabled = not quiet and self.stream.isatty()
        self.shown = False

    def __call__(self, done: int | None = None, total: int | None = None, note: str = "") -> None:
        if not self.enabled:
            return
        count = "" if done is None else f" {done}/{total}" if total else f" {done}"
        line = f"{self.what}:{count}" + (f" {note}" if note else "")
        self.stream.write(f"\r{line[:200]}\033[K")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        """Clear the line, so that what follows starts on a clean one."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False
