"""What ``cid serve`` counts, on its answering path: plain ints, no lock.

:class:`ServeStats` is handed to the :class:`~cid.server.DnsServer` as its
*tap*, called after each answer with the query and the response bytes. It only
adds one to an ``int`` in a ``dict`` (no lock, no call into
``prometheus_client``), under a key made of the query's type and the response's
fourth header byte (its rcode), read from the wire with one ``bytes.find``;
names are put on them only at scrape time (:meth:`ServeStats.queries`, called
by the collector of :mod:`._metrics` on the metrics thread).

The dicts are only written on the event loop's thread; a scrape copies them
whole (``dict(d)`` runs without releasing the GIL when the keys are ints), so
it sees each count as it was at one moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

import dns.rcode
import dns.rdatatype

from ..layout import TYPE_DELEGATION, TYPE_DESCRIPTOR
from ._authority import Authority

if TYPE_CHECKING:
    from ._live import LiveUpdates
    from ._querylog import QueryLog

__all__ = ["REASONS", "ServeStats"]

#: A count's key: ``qtype << 8 | response[3]``; this bit marks a query type not told
#: apart (too many distinct keys, or a query too short to hold one).
_OTHER: Final = 1 << 24
#: Distinct keys kept per transport; beyond them new ones count as ``_OTHER``
#: (a flood of random query types must not grow the dict without bound).
_MAX_KEYS: Final = 512
#: Query types given their own label; every other is "other" (bounded cardinality).
_QTYPES: Final = {
    int(t): dns.rdatatype.to_text(t)
    for t in (
        dns.rdatatype.A,
        dns.rdatatype.NS,
        dns.rdatatype.CNAME,
        dns.rdatatype.SOA,
        dns.rdatatype.PTR,
        dns.rdatatype.MX,
        dns.rdatatype.TXT,
        dns.rdatatype.AAAA,
        dns.rdatatype.SRV,
        dns.rdatatype.NAPTR,
        dns.rdatatype.DS,
        dns.rdatatype.DNSKEY,
        dns.rdatatype.SVCB,
        dns.rdatatype.HTTPS,
        dns.rdatatype.CAA,
        dns.rdatatype.IXFR,
        dns.rdatatype.AXFR,
        dns.rdatatype.ANY,
        TYPE_DESCRIPTOR,
        TYPE_DELEGATION,
    )
}
#: Why the registry was assembled again (``_serve._Watch.why``), as a label.
REASONS: Final = {
    "a file changed": "file_changed",
    "a signed record expired or became valid": "record_time",
    "an hour passed": "hourly",
}


class ServeStats:
    """The counts of one ``cid serve`` process, and what it serves (for health).

    ``udp`` and ``tcp`` are the taps: ``(query, response, peer)`` after each
    answer. With a :class:`~cid.server.QueryLog` they also hand the query to it.
    """

    def __init__(
        self, query_log: QueryLog | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.udp_counts: dict[int, int] = {}
        self.tcp_counts: dict[int, int] = {}
        self.query_log = query_log
        self.clock = clock
        self.reloads: dict[str, int] = {}  # reason label -> full assemblies after the first
        self.reload_failures = 0
        self.load_seconds: float | None = None  # the last full assembly's duration
        self.loaded_at: float | None = None  # when it ended
        self.state = "loading zones"  # then "serving", then "stopping"
        self.authority: Authority | None = None
        self.live: LiveUpdates | None = None
        self.bound: list[tuple[str, int]] = []
        self.udp: Callable[[bytes, bytes, Any], None]
        self.tcp: Callable[[bytes, bytes, Any], None]
        if query_log is None:
            self.udp, self.tcp = self._count_udp, self._count_tcp
        else:
            self.udp, self.tcp = self._log_udp, self._log_tcp

    # ------------------------------------------------ the answering path

    def _count_udp(self, query: bytes, response: bytes, peer: Any) -> None:
        counts = self.udp_counts
        try:
            end = query.find(0, 12)  # the question's root label (a label holding 0 is rare)
            key = query[end + 1] << 16 | query[end + 2] << 8 | response[3]
            counts[key] += 1
        except KeyError:
            _first(counts, key)
        except IndexError:
            _first(counts, _OTHER | response[3])

    def _count_tcp(self, query: bytes, response: bytes, peer: Any) -> None:
        counts = self.tcp_counts
        try:
            end = query.find(0, 12)
            key = query[end + 1] << 16 | query[end + 2] << 8 | response[3]
            counts[key] += 1
        except KeyError:
            _first(counts, key)
        except IndexError:
            _first(counts, _OTHER | response[3])

    def _log_udp(self, query: bytes, response: bytes, peer: Any) -> None:
        self._count_udp(query, response, peer)
        assert self.query_log is not None
        self.query_log.put(self.clock(), peer, query, response, "udp")

    def _log_tcp(self, query: bytes, response: bytes, peer: Any) -> None:
        self._count_tcp(query, response, peer)
        assert self.query_log is not None
        self.query_log.put(self.clock(), peer, query, response, "tcp")

    # ------------------------------------------------ the server's events

    def serving(
        self,
        authority: Authority,
        bound: Sequence[tuple[str, int]],
        live: LiveUpdates | None,
        load_seconds: float,
    ) -> None:
        """The zones are loaded (in ``load_seconds``) and the sockets ``bound``."""
        self.authority, self.live, self.bound = authority, live, list(bound)
        self.load_seconds, self.loaded_at = load_seconds, self.clock()
        self.state = "serving"

    def reloaded(self, why: str, seconds: float) -> None:
        reason = REASONS.get(why, "other")
        self.reloads[reason] = self.reloads.get(reason, 0) + 1
        self.load_seconds, self.loaded_at = seconds, self.clock()

    def reload_failed(self) -> None:
        self.reload_failures += 1

    def stopping(self) -> None:
        self.state = "stopping"

    # ------------------------------------------------ scrape time

    def queries(self) -> dict[tuple[str, str, str], int]:
        """Queries answered: (transport, qtype, rcode) -> count."""
        out: dict[tuple[str, str, str], int] = {}
        for transport, counts in (("udp", self.udp_counts), ("tcp", self.tcp_counts)):
            for key, n in dict(counts).items():
                qtype = _QTYPES.get(key >> 8, "other")
                rcode = dns.rcode.to_text(dns.rcode.Rcode(key & 0x0F))
                label = (transport, qtype, rcode)
                out[label] = out.get(label, 0) + n
        return out


def _first(counts: dict[int, int], key: int) -> None:
    """Count a key not seen before; past ``_MAX_KEYS`` keys, under "other" type."""
    if len(counts) >= _MAX_KEYS:
        key = _OTHER | key & 0xFF
    counts[key] = counts.get(key, 0) + 1
