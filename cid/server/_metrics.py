"""``cid serve``'s Prometheus collector: reads a :class:`~cid.server.ServeStats`
at scrape time (the answering path never calls into ``prometheus_client``).

Imported only with ``--metrics``: ``prometheus_client`` then, not at every
``cid`` command's start.
"""

from __future__ import annotations

from collections.abc import Iterator

import dns.rcode
import dns.rdatatype
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ._stats import REASONS, ServeStats

__all__ = ["StatsCollector", "metrics_registry"]


class StatsCollector(Collector):
    """A Prometheus collector that reads a :class:`ServeStats` at scrape time."""

    def __init__(self, stats: ServeStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        s = self.stats
        queries = CounterMetricFamily(
            "cid_serve_queries",
            "Queries answered, by transport, query type and response code",
            labels=["transport", "qtype", "rcode"],
        )
        for labels, n in sorted(s.queries().items()):
            queries.add_metric(labels, n)
        yield queries
        authority, live = s.authority, s.live
        hits = CounterMetricFamily(
            "cid_serve_answer_cache_hits", "Answers taken from the answer cache"
        )
        misses = CounterMetricFamily(
            "cid_serve_answer_cache_misses", "Answers made in full and put in the answer cache"
        )
        entries = GaugeMetricFamily("cid_serve_answer_cache_entries", "Answers in the cache now")
        if authority is not None:
            hits.add_metric([], authority.cache_hits)
            misses.add_metric([], authority.cache_misses)
            entries.add_metric([], authority.cache_entries)
        yield from (hits, misses, entries)
        reloads = CounterMetricFamily(
            "cid_serve_reloads",
            "Full assemblies of the registry after the first, by reason (spec §8.7)",
            labels=["reason"],
        )
        for reason in sorted({*REASONS.values(), *s.reloads}):
            reloads.add_metric([reason], s.reloads.get(reason, 0))
        yield reloads
        yield CounterMetricFamily(
            "cid_serve_reload_failures",
            "Reloads that failed (the last good zones are still served)",
            value=s.reload_failures,
        )
        load = GaugeMetricFamily(
            "cid_serve_load_seconds", "How long the last full assembly of the registry took"
        )
        loaded = GaugeMetricFamily(
            "cid_serve_last_load_timestamp_seconds", "When the last full assembly ended"
        )
        if s.load_seconds is not None and s.loaded_at is not None:
            load.add_metric([], s.load_seconds)
            loaded.add_metric([], s.loaded_at)
        yield from (load, loaded)
        serials = GaugeMetricFamily(
            "cid_serve_zone_serial", "The SOA serial of each zone served", labels=["zone"]
        )
        if authority is not None:
            for origin in authority.origins:
                zone = authority.zone(origin)
                soa = None if zone is None else zone.get_rdataset(origin, dns.rdatatype.SOA)
                if soa is not None:
                    serials.add_metric([origin.to_text()], soa[0].serial)
        yield serials
        yield GaugeMetricFamily(
            "cid_serve_zones",
            "Zones served",
            value=0 if authority is None else len(authority.origins),
        )
        updates = CounterMetricFamily(
            "cid_serve_updates",
            "Live registrations (DNS UPDATE, spec §8.8) answered, by outcome and rcode",
            labels=["action", "rcode"],
        )
        lapsed = CounterMetricFamily(
            "cid_serve_leases_lapsed", "Live registrations taken out when their lease lapsed"
        )
        held = GaugeMetricFamily(
            "cid_serve_live_entries",
            "Live registrations and withdrawals held, by zone",
            labels=["zone"],
        )
        if live is not None:
            for (action, rcode), n in sorted(dict(live.decisions).items()):
                updates.add_metric([action, dns.rcode.to_text(dns.rcode.Rcode(rcode))], n)
            lapsed.add_metric([], live.lapsed)
            for zone_name, n in sorted(live.live_entries().items()):
                held.add_metric([zone_name], n)
        yield from (updates, lapsed, held)
        up = GaugeMetricFamily(
            "cid_serve_up", "1 once the zones are loaded and served, 0 while loading or stopping"
        )
        up.add_metric([], 1 if s.state == "serving" else 0)
        yield up
        log = s.query_log
        if log is not None:
            yield CounterMetricFamily(
                "cid_serve_query_log_lines", "Query log lines written", value=log.written
            )
            yield CounterMetricFamily(
                "cid_serve_query_log_dropped",
                "Queries not logged: the query log's queue was full",
                value=log.dropped,
            )


def metrics_registry(stats: ServeStats) -> CollectorRegistry:
    """A registry with ``stats``' collector and the process's own (CPU, memory, files)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatsCollector(stats))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
