"""The bundled demo hierarchy, served in-process over real DNS on loopback, for
``cid-resolve`` with nothing configured (and for examples and tests)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from types import TracebackType

from cid.registry import write_demo
from cid.server import Authority, ServerThread, registry_zones

from ._anchor import TrustAnchor

__all__ = ["DemoHierarchy"]


class DemoHierarchy:
    """Write the demo registry to a temporary folder, serve all its zones on
    127.0.0.1 (a free port, UDP and TCP) from a background thread, and give the
    trust anchor to resolve against. Use as a context manager."""

    def __init__(self, *, now: int | None = None) -> None:
        self.now = int(time.time()) if now is None else now
        self._tmp = tempfile.TemporaryDirectory(prefix="ucid-demo-")
        self.path = Path(self._tmp.name) / "registry"
        self._server: ServerThread | None = None
        self.anchor: TrustAnchor | None = None

    def start(self) -> TrustAnchor:
        registry = write_demo(self.path, now=self.now)
        self._server = ServerThread(Authority(registry_zones(self.path, self.now))).start()
        port = self._server.bound[0][1]
        self.anchor = TrustAnchor.from_json(registry.anchor(), port=port)
        return self.anchor

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._tmp.cleanup()

    def __enter__(self) -> TrustAnchor:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
