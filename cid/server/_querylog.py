"""``cid serve --query-log``: one line per query, written off the event loop.

The answering path only appends the query's raw parts (time, peer, query and
response bytes) to a bounded deque, as :mod:`._logsafe` does with log records,
and never waits: when the deque is full the query is dropped and counted. A
daemon thread takes them out, formats each line and writes it:

    2026-12-06T17:19:38.123Z 127.0.0.1#40213 x.acme.hpc.ucid.example. TYPE65280 NOERROR 612 udp

(time in ISO 8601, UTC; the client's address and port; the query name, as
dnspython prints it, every byte outside printable ASCII escaped, so that no
query can start a line of its own; the query type; the response code; the
response's size in bytes; the transport). A sink that blocks (a full pipe)
stalls that thread alone; the file is opened again when logrotate moves it.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import select
import sys
import threading
import time
from typing import Any, Final, TextIO

import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype

__all__ = ["QueryLog", "format_line"]

log = logging.getLogger("cid.serve")

_CAPACITY: Final = 10_000
_TICK: Final = 0.1  # seconds the thread sleeps when there is nothing to write
_REOPEN_CHECK: Final = 1.0  # seconds between checks that the file is still there

_Entry = tuple[float, Any, bytes, bytes, str]


#: Label bytes printed as they are; a name with any other goes to dnspython's escaping.
_PLAIN: Final = re.compile(rb"[-0-9A-Za-z_*]*")
_QTYPES: dict[int, str] = {}
_RCODES: Final = tuple(dns.rcode.to_text(dns.rcode.Rcode(i)) for i in range(16))
_stamps: dict[int, str] = {}  # second -> its ISO 8601 text (only the writing thread uses it)


def _stamp(when: float) -> str:
    second = int(when)
    text = _stamps.get(second)
    if text is None:
        if len(_stamps) > 4:
            _stamps.clear()
        text = _stamps[second] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{text}.{int((when - second) * 1000):03d}Z"


def _qtype(value: int) -> str:
    text = _QTYPES.get(value)
    if text is None:
        text = dns.rdatatype.to_text(dns.rdatatype.RdataType(value))
        if len(_QTYPES) < 1024:
            _QTYPES[value] = text
    return text


def _question(query: bytes) -> tuple[str, str]:
    """The query's name and type as text, or ``("-", "-")`` when it holds none."""
    labels, i, n = [], 12, len(query)
    with contextlib.suppress(IndexError):
        while (length := query[i]) and length < 64:
            labels.append(query[i + 1 : i + 1 + length])
            i += 1 + length
        if not query[i] and i + 3 <= n and i < 12 + 255 and _PLAIN.fullmatch(b"".join(labels)):
            name = b".".join(labels).decode("ascii") + "." if labels else "."
            return name, _qtype(int.from_bytes(query[i + 1 : i + 3]))
    try:
        qname, used = dns.name.from_wire(query, 12)
        end = 12 + used
        if end + 2 > len(query):
            raise dns.exception.FormError
        return qname.to_text(), _qtype(int.from_bytes(query[end : end + 2]))
    except (dns.exception.DNSException, ValueError, IndexError):
        return "-", "-"


def format_line(when: float, peer: Any, query: bytes, response: bytes, transport: str) -> str:
    """One query's line (without its newline)."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        client = f"{peer[0]}#{peer[1]}"
    else:
        client = str(peer).replace(" ", "_")
    name, qtype = _question(query)
    rcode = _RCODES[response[3] & 0x0F] if len(response) > 3 else "-"
    return f"{_stamp(when)} {client} {name} {qtype} {rcode} {len(response)} {transport}"


class QueryLog:
    """A bounded queue of queries and the thread that writes them to ``target``.

    ``target`` is a file name (appended to) or ``-`` for standard error.
    :meth:`put` is the answering path's part; :meth:`stop` writes what is
    queued and ends the thread, giving up on a blocked sink after ``timeout``.
    """

    def __init__(
        self, target: str, *, capacity: int = _CAPACITY, stream: TextIO | None = None
    ) -> None:
        self.target = target
        self.capacity = capacity
        self.dropped = 0  # queries not logged: the queue was full (only the loop writes it)
        self.written = 0  # lines written (only the thread writes it)
        self._queue: collections.deque[_Entry] = collections.deque()
        self._stopping = threading.Event()
        self._reported = 0  # drops already reported in the server's log
        self._file: TextIO | None = None
        self._inode: tuple[int, int] | None = None
        if stream is not None:
            self._stream = stream
        elif target == "-":
            self._stream = sys.stderr
        else:
            self._stream = self._open()
        self._thread = threading.Thread(target=self._run, name="cid-query-log", daemon=True)
        self._thread.start()

    def put(self, when: float, peer: Any, query: bytes, response: bytes, transport: str) -> None:
        """Queue one query's line; never waits (a full queue drops and counts it)."""
        q = self._queue
        if len(q) < self.capacity:
            q.append((when, peer, query, response, transport))  # deque.append: thread-safe
        else:
            self.dropped += 1

    def stop(self, timeout: float = 1.0) -> bool:
        """Write what is queued and end; False when the sink blocked for ``timeout`` s."""
        self._stopping.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        return True

    # ------------------------------------------------ the writing thread

    def _open(self) -> TextIO:
        f = open(self.target, "a", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
        st = os.fstat(f.fileno())
        self._file, self._inode = f, (st.st_dev, st.st_ino)
        return f

    def _reopen_if_moved(self) -> None:
        """After logrotate moved the file away: write to a new one at the name."""
        if self._file is None:
            return
        try:
            st = os.stat(self.target)
            if (st.st_dev, st.st_ino) == self._inode:
                return
        except FileNotFoundError:
            pass
        except OSError:
            return
        with contextlib.suppress(OSError):
            self._file.close()
        try:
            self._stream = self._open()
        except OSError as exc:
            log.error("query log %s not reopened: %s", self.target, exc)

    def _run(self) -> None:
        q = self._queue
        next_check = 0.0
        while True:
            stopping = self._stopping.is_set()
            lines: list[str] = []
            with contextlib.suppress(IndexError):
                while len(lines) < 1000:
                    lines.append(format_line(*q.popleft()))
            if lines:
                self._write("\n".join(lines) + "\n")
                self.written += len(lines)
                continue
            if stopping:
                break
            self._report_drops()
            now = time.monotonic()
            if now >= next_check:
                self._reopen_if_moved()
                next_check = now + _REOPEN_CHECK
            self._stopping.wait(_TICK)
        self._report_drops()

    def _report_drops(self) -> None:
        dropped = self.dropped
        if dropped > self._reported:
            log.warning(
                "%d queries not logged: the query log could not keep up",
                dropped - self._reported,
            )
            self._reported = dropped

    def _write(self, text: str) -> None:
        stream = self._stream
        try:
            fd = stream.fileno() if stream is sys.stderr else None
        except (AttributeError, OSError, ValueError):
            fd = None
        try:
            if fd is None:
                stream.write(text)
                stream.flush()
                return
            # Standard error: its descriptor, not its buffer (see _logsafe.LogThread).
            data = text.encode("utf-8", "backslashreplace")
            while data:
                try:
                    data = data[os.write(fd, data) :]
                except BlockingIOError:
                    select.select([], [fd], [], _TICK)
        except OSError as exc:
            log.error("query log %s: %s", self.target, exc)
