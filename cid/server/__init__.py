"""The embedded authoritative server, ``cid serve`` (spec/resolution.md §8).

:class:`Authority` is the sans-IO core that answers queries from assembled
zones; :func:`handle` the sans-IO core of live registration by DNS UPDATE
(§8.8); :class:`DnsServer` the asyncio driver over UDP and TCP, and
:func:`serve_registry` the whole server that follows a registry folder.
:class:`ServerThread` runs a server on a background thread, for examples,
tests and ``cid-resolve``'s demo. As a service: :class:`ServeStats` counts
what the server does, :class:`MetricsServer` serves it as Prometheus metrics
with a health check (``cid serve --metrics``), :class:`QueryLog` writes one
line per query (``--query-log``):

    >>> from cid.server import Authority, ServerThread, registry_zones
    >>> with ServerThread(Authority(registry_zones(path, now))) as server:  # doctest: +SKIP
    ...     host, port = server.bound[0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._authority import Authority
from ._live import LiveUpdates
from ._logsafe import LogThread, RateLimit, RateLimitFilter
from ._logsafe import start as start_logging
from ._querylog import QueryLog
from ._serve import DnsServer, parse_listen, registry_zones, serve_registry
from ._stats import ServeStats
from ._thread import ServerThread
from ._update import MAX_FUDGE, WITHDRAWAL_KEPT, Decision, LiveZone, handle, is_update

if TYPE_CHECKING:
    from ._http import MetricsServer

__all__ = [
    "MAX_FUDGE",
    "WITHDRAWAL_KEPT",
    "Authority",
    "Decision",
    "DnsServer",
    "LiveUpdates",
    "LiveZone",
    "LogThread",
    "MetricsServer",
    "QueryLog",
    "RateLimit",
    "RateLimitFilter",
    "ServeStats",
    "ServerThread",
    "handle",
    "is_update",
    "parse_listen",
    "registry_zones",
    "serve_registry",
    "start_logging",
]


def __dir__() -> list[str]:
    return list(__all__)


def __getattr__(name: str) -> Any:
    # prometheus_client is imported with the metrics server only, not by every command.
    if name == "MetricsServer":
        from ._http import MetricsServer  # noqa: PLC0415

        return MetricsServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
