"""A :class:`DnsServer` on a background thread with its own event loop: the small
public way to serve zones in-process (examples, tests, ``cid-resolve``'s demo)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from types import TracebackType

from ._authority import Authority
from ._serve import DnsServer

__all__ = ["ServerThread"]


class ServerThread:
    """Serve ``authority`` on ``listen`` (UDP and TCP; port 0 picks a free one) from a
    daemon thread. :meth:`start` returns once the sockets are bound; ``bound``
    then lists the (host, port) pairs. Use as a context manager."""

    def __init__(
        self, authority: Authority, listen: Sequence[tuple[str, int]] = (("127.0.0.1", 0),)
    ) -> None:
        self.authority = authority
        self._loop = asyncio.new_event_loop()
        self._server = DnsServer(authority, list(listen))
        self._thread: threading.Thread | None = None

    @property
    def bound(self) -> list[tuple[str, int]]:
        """The addresses listened on, once started."""
        return list(self._server.bound)

    def start(self) -> ServerThread:
        self._loop.run_until_complete(self._server.start())
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="ucid-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop answering, close the sockets and end the thread."""
        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop).result(timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
            self._thread = None
        if not self._loop.is_closed():
            self._loop.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
