"""Output of the ``cid`` command: a progress line on a terminal. The standard
streams are guarded against a reader that goes away by :mod:`cid.streams`."""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["Progress"]


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
