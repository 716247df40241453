"""Logging for a server that anyone can send packets to: rate-limited, and off the event loop.

Two parts, used by ``cid serve`` and reusable elsewhere:

* :class:`RateLimit` (sans-IO: the time is passed in) and the
  :class:`RateLimitFilter` around it: at most ``burst`` messages of one kind
  per ``interval`` seconds, as Knot and NSD limit theirs; the rest are counted
  and reported in one line ("N similar messages suppressed") when the kind's
  window ends or its next message is let through. A kind is a record's
  ``ratelimit`` attribute (``extra={"ratelimit": ...}``; ``False``: never
  limited), else its logger, level and format string, so that the arguments a
  sender controls cannot make a message new.
* :func:`start`: the event loop only puts records in a bounded queue, dropping
  (and counting) what does not fit, and a daemon thread formats and writes
  them. A sink that blocks (a pipe its reader stopped draining) then stalls
  that thread alone; :meth:`LogThread.stop` gives up on it after a short
  timeout, so that answers go on and the process exits on SIGTERM.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import queue
import select
import sys
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Final, TextIO

__all__ = ["OTHER", "LogThread", "RateLimit", "RateLimitFilter", "start"]

#: The kind that new kinds share while ``max_keys`` kinds have an open window.
OTHER: Final = ("other messages",)


@dataclass(slots=True)
class _Window:
    start: float
    passed: int = 1
    suppressed: int = 0


class RateLimit:
    """At most ``burst`` messages of each kind in a window of ``interval`` seconds.

    A kind's window opens at its first message; once it has passed ``burst``,
    the rest are suppressed and counted until the window ends. Counts come back
    as ``(kind, count)`` pairs: from :meth:`admit` when the kind's next message
    ends the window, from :meth:`ended` when the time alone has, and from
    :meth:`flush` at the end. At most ``max_keys`` kinds are followed at once;
    beyond them, new kinds share the kind :data:`OTHER`.
    """

    def __init__(self, burst: int = 10, interval: float = 60.0, max_keys: int = 256) -> None:
        if burst < 1 or interval <= 0 or max_keys < 1:
            raise ValueError("burst, interval and max_keys must be positive")
        self.burst = burst
        self.interval = interval
        self.max_keys = max_keys
        self._windows: dict[Hashable, _Window] = {}
        self._soonest = float("inf")  # no window ends before this

    def admit(self, kind: Hashable, now: float) -> tuple[bool, list[tuple[Hashable, int]]]:
        """Whether to let one message of ``kind`` through at ``now``, and the
        counts of windows that ended, to report first."""
        reports: list[tuple[Hashable, int]] = []
        if kind not in self._windows and len(self._windows) >= self.max_keys:
            reports = self.ended(now)
            if len(self._windows) >= self.max_keys:
                kind = OTHER
        window = self._windows.get(kind)
        if window is not None and not window.start <= now < window.start + self.interval:
            del self._windows[kind]  # over (or the clock went back): a new one
            if window.suppressed:
                reports.append((kind, window.suppressed))
            window = None
        if window is None:
            self._windows[kind] = _Window(now)
            self._soonest = min(self._soonest, now + self.interval)
            return True, reports
        if window.passed < self.burst:
            window.passed += 1
            return True, reports
        window.suppressed += 1
        return False, reports

    def __contains__(self, kind: Hashable) -> bool:
        """Whether ``kind`` has a window of its own (else it went under :data:`OTHER`)."""
        return kind in self._windows

    def ended(self, now: float) -> list[tuple[Hashable, int]]:
        """Forget the windows that are over at ``now``; the counts of those that
        suppressed something."""
        if now < self._soonest:
            return []
        reports = []
        self._soonest = float("inf")
        for kind, window in list(self._windows.items()):
            if window.start <= now < window.start + self.interval:
                self._soonest = min(self._soonest, window.start + self.interval)
                continue
            del self._windows[kind]
            if window.suppressed:
                reports.append((kind, window.suppressed))
        return reports

    def flush(self) -> list[tuple[Hashable, int]]:
        """Every count not yet reported (windows stay open)."""
        reports = []
        for kind, window in self._windows.items():
            if window.suppressed:
                reports.append((kind, window.suppressed))
                window.suppressed = 0
        return reports


def kind_of(record: logging.LogRecord) -> Hashable:
    """A record's kind: its ``ratelimit`` attribute, else logger, level and format."""
    kind = getattr(record, "ratelimit", None)
    if kind is not None:
        return kind  # type: ignore[no-any-return]
    msg = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
    return (record.name, record.levelno, msg)


class RateLimitFilter(logging.Filter):
    """A :class:`RateLimit` as a logging filter; ``clock`` gives the time (seconds).

    The lines that report suppressed counts are records too: whoever sends the
    filtered records on takes them with :meth:`summaries` before each record it
    lets through and now and then (as :class:`LogThread` does), and with
    ``summaries(final=True)`` at the end. Thread-safe.
    """

    def __init__(
        self,
        burst: int = 10,
        interval: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 256,
    ) -> None:
        super().__init__()
        self.limit = RateLimit(burst, interval, max_keys)
        self.clock = clock
        self._lock = threading.Lock()
        self._first: dict[Hashable, logging.LogRecord] = {}  # each kind's first suppressed
        self._due: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        kind = kind_of(record)
        if kind is False:
            return True
        with self._lock:
            passed, reports = self.limit.admit(kind, self.clock())
            self._report(reports)
            if not passed:
                # One record per suppressing window, to show in its count's line.
                self._first.setdefault(kind if kind in self.limit else OTHER, record)
        return passed

    def summaries(self, *, final: bool = False) -> list[logging.LogRecord]:
        """The "N similar messages suppressed" records to write now: windows that
        ended, and (``final``) every count so far."""
        with self._lock:
            now = self.clock()
            self._report(self.limit.flush() if final else self.limit.ended(now))
            due, self._due = self._due, []
        return due

    @property
    def pending(self) -> bool:
        """Whether :meth:`summaries` holds a record without looking at the clock."""
        return bool(self._due)

    def _report(self, reports: list[tuple[Hashable, int]]) -> None:
        for kind, count in reports:
            first = self._first.pop(kind, None)
            name, level = (first.name, first.levelno) if first else ("cid", logging.WARNING)
            try:
                like = f", the first: {first.getMessage()}"[:300] if first else ""
            except Exception:  # a record that does not format: its template then
                like = f", the first: {first.msg!r}"[:300] if first else ""
            # One interval's worth, or the rest of one at the end.
            text = f"{count} similar messages suppressed (at most {self.limit.burst} "
            text += f"in {self.limit.interval:g} s){like}"
            if kind == OTHER:
                text = text.replace("similar", "other", 1)
            self._due.append(logging.LogRecord(name, level, "", 0, text, None, None))


class _Enqueue(logging.handlers.QueueHandler):
    """Puts records in a bounded queue and never waits: what does not fit is counted."""

    def __init__(self, q: queue.Queue[logging.LogRecord | None], limit: RateLimitFilter) -> None:
        super().__init__(q)
        self.limit = limit
        self.addFilter(limit)
        self.dropped = 0  # records that did not fit; the thread reports and resets it
        self.broken = 0  # records that did not format

    def emit(self, record: logging.LogRecord) -> None:
        if self.limit.pending:
            for summary in self.limit.summaries():
                self._put(summary)
        self._put(record)

    def _put(self, record: logging.LogRecord) -> None:
        try:
            prepared = self.prepare(record)  # formats here: the arguments as they are now
            prepared.stack_info = None  # in the message already
        except Exception:  # not handleError: it writes to stderr, which may block
            self.broken += 1
            return
        try:
            self.queue.put_nowait(prepared)
        except queue.Full:
            self.dropped += 1


class LogThread:
    """A daemon thread that writes the queued records to ``stream``; see :func:`start`."""

    def __init__(
        self,
        handler: _Enqueue,
        stream: TextIO,
        formatter: logging.Formatter,
        *,
        tick: float = 1.0,
    ) -> None:
        self.handler = handler
        self.queue: queue.Queue[logging.LogRecord | None] = handler.queue  # type: ignore[assignment]
        self.formatter = formatter
        self.tick = tick
        self._stream = stream
        try:
            self._fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None  # not a file (a test's capture): written through its methods
        self._encoding = getattr(stream, "encoding", None) or "utf-8"
        self._stopping = threading.Event()
        self._broken_sink = False
        self._thread = threading.Thread(target=self._run, name="cid-log", daemon=True)
        self._thread.start()

    def __enter__(self) -> LogThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, timeout: float = 1.0) -> bool:
        """Write what is queued, then the counts, within ``timeout`` seconds; False when
        the sink blocked for that long (the thread is left to the process's exit)."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)  # wakes the thread
        self._thread.join(timeout)
        root = logging.getLogger()
        root.removeHandler(self.handler)
        if self._thread.is_alive():
            root.addHandler(logging.NullHandler())  # not logging's last resort: stderr
            return False
        return True

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                record = self.queue.get(timeout=self.tick)
            except queue.Empty:
                record = None
            if record is not None:
                self._write(record)
            self._counts(final=False)
        with contextlib.suppress(queue.Empty):
            while True:
                record = self.queue.get_nowait()
                if record is not None:
                    self._write(record)
        self._counts(final=True)

    def _counts(self, *, final: bool) -> None:
        for summary in self.handler.limit.summaries(final=final):
            self._write(summary)
        # Read and reset without a lock: a count lost to a race is one line's worth.
        dropped, self.handler.dropped = self.handler.dropped, 0
        broken, self.handler.broken = self.handler.broken, 0
        if dropped:
            self._note(f"{dropped} log messages dropped: the log could not keep up")
        if broken:
            self._note(f"{broken} log messages dropped: they could not be formatted")

    def _note(self, text: str) -> None:
        self._write(logging.LogRecord("cid.log", logging.WARNING, "", 0, text, None, None))

    def _write(self, record: logging.LogRecord) -> None:
        if self._broken_sink:
            return
        try:
            line = self.formatter.format(record) + "\n"
        except Exception:
            line = f"{record.msg!r}\n"
        try:
            if self._fd is None:
                self._stream.write(line)
                self._stream.flush()
                return
            data = line.encode(self._encoding, "backslashreplace")
            while data:
                try:
                    data = data[os.write(self._fd, data) :]
                except BlockingIOError:  # a non-blocking stderr: wait until it drains
                    select.select([], [self._fd], [], self.tick)
        except OSError:  # the reader went away: nothing more to write to
            self._broken_sink = True


def start(
    *,
    level: int = logging.INFO,
    fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s",
    datefmt: str | None = "%Y-%m-%dT%H:%M:%S%z",
    stream: TextIO | None = None,
    burst: int = 10,
    interval: float = 60.0,
    queue_size: int = 1000,
) -> LogThread:
    """Send the root logger's records through a :class:`RateLimitFilter` and a
    bounded queue to a thread that writes them to ``stream`` (standard error).

    Call :meth:`LogThread.stop` at the end. The thread writes to the stream's
    file descriptor itself, not through the stream's buffer, so that a write
    blocked on a full pipe holds no lock the interpreter needs at exit.
    """
    q: queue.Queue[logging.LogRecord | None] = queue.Queue(queue_size)
    handler = _Enqueue(q, RateLimitFilter(burst, interval))
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    return LogThread(handler, stream or sys.stderr, logging.Formatter(fmt, datefmt))
