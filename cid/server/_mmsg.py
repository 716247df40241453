"""A batch of datagrams in and out of a UDP socket with one system call each way.

The fast path beside ``_Udp.drain``'s plain ``recvfrom``/``sendto`` (the reference;
``tests/cid/server/test_mmsg.py`` holds the two equal): Linux's ``recvmmsg`` and
``sendmmsg`` through ``ctypes``. Under load a wake-up finds tens of queries queued;
two Python socket calls each cost about 1.4 us more than their share of one call
for the batch, a quarter of a fresh name's whole answer. The sender's address is
never decoded on the way through: the answer goes back to the very ``sockaddr``
bytes the query came from (decoded only for a log line, a tap or an UPDATE).

Where the C library has no ``recvmmsg`` (not Linux, or no ``ctypes``),
:func:`batch_socket` returns None and the reference path serves; where the calls
exist but fail (a seccomp filter), the server falls back to it at the first.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import sys
from typing import Any, Final

try:
    import ctypes
except ImportError:  # pragma: no cover - an interpreter built without it
    ctypes = None  # type: ignore[assignment]

__all__ = ["BatchSocket", "batch_socket"]

SLOTS: Final = 64  # datagrams per call (the reference's batch too)
_DATAGRAM: Final = 65535  # every slot holds the largest datagram: never truncated
_NAME: Final = 128  # sizeof(struct sockaddr_storage)
# struct mmsghdr on an LP64 system: struct msghdr (56 bytes) and msg_len, padded.
_HDR: Final = 64
_IOV: Final = 16  # struct iovec: base, length
_Q_HDR: Final = _HDR // 8  # the header in 64-bit words ...
_I_HDR: Final = _HDR // 4  # ... and in 32-bit ones
_IN: Final = struct.Struct("!H4s")  # after the family: port, IPv4 address
_IN6: Final = struct.Struct("!H4s16s")  # port, flow information, IPv6 address


def _libc() -> tuple[Any, Any] | None:
    if ctypes is None or not sys.platform.startswith("linux"):
        return None  # the BSDs have the calls too, but with other structures' sizes
    if ctypes.sizeof(ctypes.c_void_p) != 8 or not hasattr(socket, "MSG_DONTWAIT"):
        return None  # the layout below is LP64's
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        recv, send = libc.recvmmsg, libc.sendmmsg
    except (OSError, AttributeError):
        return None
    recv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
    recv.restype = ctypes.c_int
    send.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
    send.restype = ctypes.c_int
    return recv, send


_CALLS: Final = _libc()


class BatchSocket:
    """Up to :data:`SLOTS` datagrams read by :meth:`receive`, answered by :meth:`send`."""

    def __init__(self, sock: socket.socket) -> None:
        assert _CALLS is not None
        self.sock = sock
        self._recv, self._send = _CALLS
        self._fd = sock.fileno()
        self._family = sock.family
        self._inbox = ctypes.create_string_buffer(_HDR * SLOTS)
        self._outbox = ctypes.create_string_buffer(_HDR * SLOTS)
        in_iov = ctypes.create_string_buffer(_IOV * SLOTS)
        out_iov = ctypes.create_string_buffer(_IOV * SLOTS)
        self._data = ctypes.create_string_buffer(_DATAGRAM * SLOTS)
        self._answers = ctypes.create_string_buffer(_DATAGRAM * SLOTS)
        self._names = ctypes.create_string_buffer(_NAME * SLOTS)
        self._keep = (in_iov, out_iov)  # the headers point into them
        at = ctypes.addressof
        inbox = memoryview(self._inbox).cast("B")
        inq, ini = inbox.cast("Q"), inbox.cast("I")
        outq = memoryview(self._outbox).cast("B").cast("Q")
        iniov = memoryview(in_iov).cast("B").cast("Q")
        outiov = memoryview(out_iov).cast("B").cast("Q")
        for i in range(SLOTS):
            inq[_Q_HDR * i] = at(self._names) + _NAME * i  # msg_name
            ini[_I_HDR * i + 2] = _NAME  # msg_namelen: value-result, so set again each call
            inq[_Q_HDR * i + 2] = at(in_iov) + _IOV * i  # msg_iov
            inq[_Q_HDR * i + 3] = 1  # msg_iovlen
            iniov[2 * i] = at(self._data) + _DATAGRAM * i
            iniov[2 * i + 1] = _DATAGRAM
            outq[_Q_HDR * i + 2] = at(out_iov) + _IOV * i
            outq[_Q_HDR * i + 3] = 1
            outiov[2 * i] = at(self._answers) + _DATAGRAM * i
        self._blank = bytes(inbox)  # the headers as a call must find them
        self._inbox_bytes = inbox
        self._in_words = ini
        self._out_q = outq
        self._out_i = memoryview(self._outbox).cast("B").cast("I")
        self._out_iov = outiov
        self._data_view = memoryview(self._data).cast("B")
        self._answer_view = memoryview(self._answers).cast("B")
        self._names_view = memoryview(self._names).cast("B")
        self._names_at = at(self._names)
        self._inbox_at = at(self._inbox)
        self._outbox_at = at(self._outbox)

    def receive(self) -> list[bytes]:
        """The datagrams queued now (at most :data:`SLOTS`); [] when none is.

        Raises OSError for an error other than "nothing queued" or an interrupt.
        """
        self._inbox_bytes[:] = self._blank
        got = self._recv(self._fd, self._inbox_at, SLOTS, socket.MSG_DONTWAIT, None)
        if got <= 0:
            if got < 0:
                code = ctypes.get_errno()
                if code not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
                    raise OSError(code, f"recvmmsg: {os.strerror(code)}")
            return []
        words, view = self._in_words, self._data_view
        return [
            view[_DATAGRAM * i : _DATAGRAM * i + words[_I_HDR * i + 14]].tobytes()  # msg_len
            for i in range(got)
        ]

    def address(self, i: int) -> tuple[Any, ...]:
        """The sender of datagram ``i`` of the last :meth:`receive`, as ``recvfrom`` gives it."""
        name = self._names_view[_NAME * i : _NAME * (i + 1)].tobytes()
        if self._family == socket.AF_INET6:
            port, flow, host = _IN6.unpack_from(name, 2)
            scope = int.from_bytes(name[24:28], sys.byteorder)  # host order
            return socket.inet_ntop(socket.AF_INET6, host), port, int.from_bytes(flow), scope
        port, host = _IN.unpack_from(name, 2)
        return socket.inet_ntop(socket.AF_INET, host), port

    def send(self, answers: list[bytes | None]) -> list[tuple[int, OSError]]:
        """Send ``answers[i]`` to the sender of datagram ``i`` (None: no answer).

        An answer that cannot be sent is dropped and the rest are sent, as a server
        does with ``sendto`` (the client asks again); returns (i, error) for each.
        """
        q, words, iov, view = self._out_q, self._out_i, self._out_iov, self._answer_view
        names, in_words = self._names_at, self._in_words
        errors: list[tuple[int, OSError]] = []
        sending: list[int] = []  # the datagram each outgoing message answers
        n = 0
        for i, answer in enumerate(answers):
            if answer is None:
                continue
            size = len(answer)
            if size > _DATAGRAM:  # as sendto would say
                errors.append((i, OSError(errno.EMSGSIZE, "Message too long")))
                continue
            q[_Q_HDR * n] = names + _NAME * i  # back to the sender's own sockaddr
            words[_I_HDR * n + 2] = in_words[_I_HDR * i + 2]  # its length
            iov[2 * n + 1] = size
            view[_DATAGRAM * n : _DATAGRAM * n + size] = answer
            sending.append(i)
            n += 1
        k = 0
        while k < n:
            sent = self._send(self._fd, self._outbox_at + _HDR * k, n - k, 0)
            if sent < 0:
                code = ctypes.get_errno()
                if code == errno.EINTR:
                    continue
                errors.append((sending[k], OSError(code, os.strerror(code))))
                k += 1  # that answer is dropped; the next ones are still sent
            else:
                k += sent
        return errors


def batch_socket(sock: socket.socket) -> BatchSocket | None:
    """``sock`` read and written a batch at a time, or None where that is not available."""
    if (
        _CALLS is None
        or not isinstance(sock, socket.socket)  # a test's stand-in: the reference serves it
        or sock.family not in (socket.AF_INET, socket.AF_INET6)
        or sock.type != socket.SOCK_DGRAM
    ):
        return None
    return BatchSocket(sock)
