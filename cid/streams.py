"""Standard streams that outlive their reader: what every command of this project
writes through.

``cid zone export REGISTRY | head -1`` or ``cid-resolve ... | head -1`` closes the pipe
while the command still writes: that is no error of the command. A :class:`PipeGuard`
makes every later write a no-op, so the command ends its work (a build is not cut
short half-way) and exits with its own status, with no traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TextIO, cast

__all__ = ["PipeGuard", "guarded_streams"]


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
def guarded_streams(
    out: TextIO | None = None, err: TextIO | None = None
) -> Iterator[tuple[TextIO, TextIO]]:
    """``out`` and ``err`` (default: ``sys.stdout`` and ``sys.stderr``) guarded, and
    installed as ``sys.stdout`` and ``sys.stderr`` for the duration (``--help`` writes
    there too); yields the two guarded streams."""
    saved = sys.stdout, sys.stderr
    guarded = PipeGuard(out or sys.stdout), PipeGuard(err or sys.stderr)
    sys.stdout, sys.stderr = guarded
    try:
        yield cast(TextIO, guarded[0]), cast(TextIO, guarded[1])
    finally:
        for stream in guarded:
            stream.flush()  # here, not at exit, where a closed pipe would print a traceback
        sys.stdout, sys.stderr = saved
