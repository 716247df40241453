"""``cid serve --metrics ADDR:PORT``: ``/metrics`` and ``/healthz`` over HTTP.

A small threaded HTTP server on threads of its own, beside the event loop:
a scrape reads the counts of a :class:`~cid.server.ServeStats` (plain ints the
loop keeps) and never waits for the loop, and a health check sees a stuck loop
as one, since it asks the DNS sockets themselves.

* ``GET /metrics``: the Prometheus text format (OpenMetrics when asked for).
* ``GET /healthz``: 200 when the zones are loaded and every listening address
  answers a query for the first zone's SOA over UDP and over TCP within a
  second; 503 otherwise (still loading, stopping, no zone, a socket that does
  not answer), with a one-line body that says why.
"""

from __future__ import annotations

import http.server
import ipaddress
import logging
import socket
import socketserver
import threading
from typing import Any, Final

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from ._metrics import metrics_registry
from ._stats import ServeStats

__all__ = ["MetricsServer", "health"]

log = logging.getLogger("cid.serve")

_PROBE_TIMEOUT: Final = 1.0
_CLIENT_TIMEOUT: Final = 10.0  # seconds an HTTP client may stay silent


def _probe_address(host: str) -> str:
    """Where to ask a socket bound to ``host``: loopback for a wildcard address."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.is_unspecified:
        return "::1" if ip.version == 6 else "127.0.0.1"
    return host


def health(stats: ServeStats, timeout: float = _PROBE_TIMEOUT) -> tuple[bool, str]:
    """Whether the server is healthy, and a short reason (one line)."""
    if stats.state != "serving" or stats.authority is None:
        return False, stats.state
    origins = stats.authority.origins
    if not origins:
        return False, "no zone loaded"
    if not stats.bound:
        return False, "no socket bound"
    origin = origins[0]
    for host, port in stats.bound:
        target = _probe_address(host)
        for transport in ("udp", "tcp"):
            query = dns.message.make_query(origin, dns.rdatatype.SOA)
            query.flags &= ~dns.flags.RD
            try:
                if transport == "udp":
                    response = dns.query.udp(query, target, port=port, timeout=timeout)
                else:
                    response = dns.query.tcp(query, target, port=port, timeout=timeout)
            except (dns.exception.DNSException, OSError) as exc:
                why = str(exc) or type(exc).__name__
                return False, f"no answer over {transport} from {target} port {port}: {why}"
            if response.rcode() != dns.rcode.NOERROR or not response.answer:
                rcode = dns.rcode.to_text(response.rcode())
                return False, f"{origin} SOA over {transport} from {target} port {port}: {rcode}"
    places = ", ".join(f"{h} port {p}" for h, p in stats.bound)
    return True, f"ok: {len(origins)} zone(s) served on {places} (udp, tcp)"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Http
    timeout = _CLIENT_TIMEOUT
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            try:
                body = encoder(self.server.registry)
            except Exception as exc:  # a collector failed: say so, keep serving
                log.exception("metrics not collected")
                self._send(500, f"metrics not collected: {exc}\n".encode())
                return
            self._send(200, body, content_type)
        elif path == "/healthz":
            ok, why = health(self.server.stats)
            self._send(200 if ok else 503, (why + "\n").encode())
        else:
            self._send(404, b"not found: try /metrics or /healthz\n")

    def do_HEAD(self) -> None:
        self._send(405 if self.path.split("?", 1)[0] in ("/metrics", "/healthz") else 404, b"")

    def _send(
        self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metrics http: %s %s", self.address_string(), format % args)


class _Http(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        family: socket.AddressFamily,
        stats: ServeStats,
        registry: CollectorRegistry,
    ) -> None:
        self.address_family = family
        self.stats = stats
        self.registry = registry
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


class MetricsServer:
    """``/metrics`` and ``/healthz`` for ``stats`` at ``host``:``port`` (0: any free port).

    Binds when made (an address in use fails here, before the server starts);
    :meth:`start` serves on a daemon thread, :meth:`stop` ends it.
    """

    def __init__(self, stats: ServeStats, host: str, port: int) -> None:
        family, _, _, _, addr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        self.stats = stats
        self.registry = metrics_registry(stats)
        try:
            self._http = _Http((str(addr[0]), int(addr[1])), family, stats, self.registry)
        except OSError as exc:
            raise OSError(exc.errno, f"metrics on {host} port {port}: {exc.strerror}") from exc
        self.bound: tuple[str, int] = (host, self._http.server_address[1])
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.5}, name="cid-metrics"
        )
        self._thread.daemon = True

    def start(self) -> MetricsServer:
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics, health on /healthz", *self._format())
        return self

    def _format(self) -> tuple[str, int]:
        host, port = self.bound
        return (f"[{host}]" if ":" in host else host), port

    def stop(self) -> None:
        if self._thread.is_alive():
            self._http.shutdown()
            self._thread.join(2.0)
        self._http.server_close()

    def __enter__(self) -> MetricsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
