"""Resolution: the verifying resolver against dnspython on loopback, cold and warm.

    python tests/benchmarks/bench_resolve.py [--n 300] [--rounds 7] [--warm-n 1000]
        [--warm-seconds 1.0] [--quick] [--json]

The issue's requirement (issue 5 §5): "side by side in one run on loopback: cold
resolution through three delegation levels, verification included, against
dnspython sending the same queries with no verification: at most 1.0 times its
time, and a median of at most 3 ms; warm (cached) resolutions per second: at
least 100,000, against dnspython's own caching stub resolver on the same names."

Set-up (not timed): a registry of four zones, root ``ucid.example`` -> platform
``east`` -> provider ``ctyun.east`` -> region ``_cn-sh.ctyun.east`` (three cuts
below the root), the region holding ``--n`` x ``--rounds`` distinct descriptors
(``ucid:ctyun.east/cn-sh/...``). Each zone is served by its own ``cid serve``
process on its own loopback address (127.0.0.2 to 127.0.0.5, one port for all:
glue carries addresses, not ports), so every resolution follows three real
referrals. Before timing, every query of every name is sent once (dnspython,
following the referrals' glue), so that each server's answer cache is equally
warm for both contenders; that walk is also the anchor's list of queries.

- **cold**: ``Resolver(anchor, use_cache=False).resolve(identifier text)``: four
  UDP queries (root, platform, provider, region), three delegation records and
  the descriptor verified with Ed25519 from the trust anchor down, rollback
  checks, endpoints. Every name is resolved once per contender, never before by
  the resolver: each round has its own names. Anchor: dnspython sending the same
  four queries (same names, type, servers, UDP, EDNS(0) with 1232, RD clear) with
  ``dns.query.udp``, checking nothing but what ``dns.query.udp`` checks. The
  queries the resolver sends are recorded on probe names and must equal the
  anchor's. Each resolution is timed alone; rounds alternate which contender
  goes first; figures are medians over all resolutions, ratios medians of the
  rounds' ratios (ours / dnspython: lower is faster). Also shown, not a target:
  the same dnspython loop with every query message made before timing (it still
  renders each to wire and parses each response), and each contender's own CPU
  time per resolution (the rest of its time is the servers and the network).
- **warm**: ``Resolver.resolve`` (cache on) of ``--warm-n`` names already
  resolved, for ``--warm-seconds`` per round; anchor ``dns.resolver.Resolver``
  with ``dns.resolver.Cache()``, asking the region's server for the same owner
  names and type, warmed the same way. Resolutions per second; ratio ours /
  dnspython (higher is faster).

Targets: cold <= 1.0 x dnspython and median <= 3 ms; warm >= 100,000/s.
``--quick`` runs at tiny sizes (tests/test_bench_resolve_runs.py); its figures
mean nothing. Needs 127.0.0.2-127.0.0.5 to be usable (Linux loopback is 127/8).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import hashlib
import json
import os
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final
from unittest import mock

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.resolver
import dns.version

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_serve, beside it

from bench_serve import CidServe

import cid
import resolver
from cid._keys import SigningKey
from cid.layout import TYPE_DESCRIPTOR
from cid.registry._store import Registry
from cid.registry._zone import NameServer
from resolver._transport import exchange

ROOT: Final = "ucid.example"
PLATFORM: Final = f"east.{ROOT}"
PROVIDER: Final = f"ctyun.{PLATFORM}"
REGION: Final = "cn-sh"
BOTTOM: Final = f"_{REGION}.{PROVIDER}"  # three cuts below the root
#: zone -> (parent, the loopback address its own name server listens on)
ZONES: Final[dict[str, tuple[str | None, str]]] = {
    ROOT: (None, "127.0.0.2"),
    PLATFORM: (ROOT, "127.0.0.3"),
    PROVIDER: (PLATFORM, "127.0.0.4"),
    BOTTOM: (PROVIDER, "127.0.0.5"),
}
CPUS: Final = ["neoverse-n2", "neoverse-v2", "x86-64-v3", "x86-64-v4", "kunpeng-920", "rva23u64"]
ACCS: Final = ["", "+sm90", "+sm80", "+gfx942", "+ascend910b"]
MODELS: Final = ["h800", "a800", "mi300x", "ascend910b", "h20", "l40s"]
PROBES: Final = 3  # names whose queries are recorded from the resolver, never timed
OURS: Final = "ucid Resolver (verifying)"
ANCHOR_COLD: Final = "dnspython dns.query.udp (no verification)"
PREBUILT: Final = "dnspython, query messages built untimed"
ANCHOR_WARM: Final = "dnspython stub resolver + Cache"
QUERY_TIMEOUT: Final = 2.0

Plan = list[tuple[str, str, int]]  # (server address, owner name, type) per query


# --------------------------------------------------------------- workload


def identifiers(n: int, seed: int = 2026) -> list[str]:
    """n distinct canonical identifiers in the delegated region (fixed seed)."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        attrs = [
            f"cpu={rng.choice([32, 64, 96, 128, 192, 256])}",
            f"mem={rng.choice([128, 256, 512, 1024, 2048])}GiB",
            f"net-bw={rng.randrange(1, 4000)}Gbps",  # many values: keeps names distinct
        ]
        if rng.random() < 0.6:
            attrs += [f"acc={rng.choice([1, 4, 8])}", f"acc-model={rng.choice(MODELS)}"]
        if rng.random() < 0.2:
            attrs.append("sriov")
        text = f"ucid:ctyun.east/{REGION}/{rng.choice(CPUS)}{rng.choice(ACCS)}/{';'.join(attrs)}"
        out[str(cid.parse(text))] = None
    return list(out)


def _source(subject: str, i: int) -> dict[str, Any]:
    endpoints: list[dict[str, Any]] = [
        {
            "transport": "tcp",
            "protocol": "https",
            "host": f"sh{i % 97}.ctyun.example",
            "port": 443,
            "alpn": ["h2"],
            "priority": 1,
            "weight": 70,
        }
    ]
    if i % 2:
        endpoints.append(
            {
                "transport": "tcp",
                "protocol": "https",
                "host": f"sh{i % 89}b.ctyun.example",
                "port": 443,
                "priority": 2,
                "weight": 30,
            }
        )
    return {"subject": subject, "version": 1, "endpoints": endpoints}


def make_registry(path: Path, subjects: list[str], *, now: int) -> Registry:
    """The four zones, each with its own name server address; descriptors at the bottom."""
    reg = Registry.create(path, ROOT)
    for zone, (parent, address) in ZONES.items():
        key = SigningKey.from_seed(hashlib.sha256(f"bench-resolve:{zone}".encode()).digest())
        reg.add_zone(zone, parent, [NameServer(f"ns1.{zone}", (address,))], key)
    with mock.patch("os.fsync", return_value=None):  # untimed set-up on a shared disk
        for i, subject in enumerate(subjects):
            reg.add_source(BOTTOM, f"d{i:07d}", _source(subject, i))
        reg.build(now=now)
    return reg


# ---------------------------------------------------------------- servers


def loopback_usable() -> bool:
    """Whether every server address can be bound here."""
    for _, address in ZONES.values():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind((address, 0))
            except OSError:
                return False
    return True


def common_port(rng: random.Random) -> int:
    """A port free over UDP and TCP on every server address a moment ago (racy, as any)."""
    for _ in range(200):
        port = rng.randrange(20000, 60000)
        try:
            with contextlib.ExitStack() as stack:
                for _, address in ZONES.values():
                    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                        sock = stack.enter_context(socket.socket(socket.AF_INET, kind))
                        sock.bind((address, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no port free on every loopback address")


@contextlib.contextmanager
def serving(registry: Path, workdir: Path) -> Iterator[int]:
    """Every zone served by its own process; yields the port they share."""
    rng = random.Random()
    for attempt in range(3):
        port = common_port(rng)
        started: list[CidServe] = []
        try:
            for zone, (_, address) in ZONES.items():
                log = workdir / f"serve-{zone}.log"
                # No registry scan on the event loop while measuring.
                quiet = ("--reload-interval", "3600")
                srv = CidServe(
                    registry, workdir, zone, address=address, port=port, extra=quiet, log=log
                )
                started.append(srv)
        except RuntimeError:
            for srv in started:
                srv.stop()
            if attempt == 2:
                raise
            continue
        try:
            yield port
        finally:
            for srv in started:
                srv.stop()
        return


# ---------------------------------------------------------------- queries


def _query(owner: dns.name.Name, rdtype: int) -> dns.message.QueryMessage:
    """What the resolver sends: one question, RD clear, EDNS(0) advertising 1232."""
    kind = dns.rdatatype.RdataType.make(rdtype)
    return dns.message.make_query(owner, kind, use_edns=0, payload=1232, flags=0)


def walk(root: str, port: int, owner: str) -> Plan:
    """dnspython following referrals by their glue, from the root server to the answer."""
    name = dns.name.from_text(owner)
    server = root
    plan: Plan = []
    for _ in range(8):
        plan.append((server, owner, TYPE_DESCRIPTOR))
        response = dns.query.udp(_query(name, TYPE_DESCRIPTOR), server, QUERY_TIMEOUT, port)
        if response.answer:
            return plan
        glue = [rr for rr in response.additional if rr.rdtype == dns.rdatatype.A]
        if not glue:
            raise RuntimeError(f"{owner}: neither an answer nor a referral from {server}")
        server = glue[0][0].address
    raise RuntimeError(f"{owner}: more than 8 referrals")


def recorded(anchor: resolver.TrustAnchor, identifier: str) -> Plan:
    """The queries the resolver sends to resolve ``identifier`` with nothing cached."""
    res = resolver.Resolution.for_identifier(
        identifier,
        anchor=anchor,
        cache=resolver.Cache(),
        versions=resolver.VersionStore(),
        now=int(time.time()),
        clock=time.monotonic(),
        use_cache=False,
    )
    plan: Plan = []
    while (action := res.action()) is not None:
        assert isinstance(action, resolver.Query) and not action.tcp, action
        plan.append((action.server[0], action.qname.to_text(), action.qtype))
        wire = exchange(action.wire, action.server, tcp=False, timeout=QUERY_TIMEOUT)
        assert wire is not None, action
        res.receive(wire, clock=time.monotonic())
    if res.error is not None:
        raise res.error
    return plan


# ---------------------------------------------------------------- contenders


def cold_ours(anchor: resolver.TrustAnchor, names: list[str]) -> list[float]:
    """Seconds per resolution: the verifying resolver, nothing cached."""
    r = resolver.Resolver(anchor, use_cache=False)
    clock = time.perf_counter
    out = []
    for text in names:
        start = clock()
        found = r.resolve(text)
        out.append(clock() - start)
        assert not found.from_cache
    return out


def cold_dnspython(plans: list[Plan], port: int) -> list[float]:
    """Seconds per resolution: the same queries sent with dns.query.udp, nothing verified."""
    clock = time.perf_counter
    out = []
    for plan in plans:
        start = clock()
        name = dns.name.from_text(plan[0][1])
        for server, _, rdtype in plan:
            dns.query.udp(_query(name, rdtype), server, QUERY_TIMEOUT, port)
        out.append(clock() - start)
    return out


def _prebuilt(plans: list[Plan]) -> list[list[tuple[str, dns.message.QueryMessage]]]:
    out = []
    for plan in plans:
        name = dns.name.from_text(plan[0][1])
        out.append([(server, _query(name, rdtype)) for server, _, rdtype in plan])
    return out


def cold_prebuilt(
    batch: list[list[tuple[str, dns.message.QueryMessage]]], port: int
) -> list[float]:
    """As :func:`cold_dnspython` with every query message made before timing (informational:
    dnspython still renders each to wire and parses each response)."""
    clock = time.perf_counter
    out = []
    for queries in batch:
        start = clock()
        for server, query in queries:
            dns.query.udp(query, server, QUERY_TIMEOUT, port)
        out.append(clock() - start)
    return out


def _rate(fn: Callable[[str], object], names: list[str], seconds: float) -> float:
    """Calls per second of ``fn`` over ``names``, cycling for at least ``seconds``."""
    calls = 0
    clock = time.perf_counter
    start = clock()
    while True:
        for name in names:
            fn(name)
        calls += len(names)
        elapsed = clock() - start
        if elapsed >= seconds:
            return calls / elapsed


def stub_resolver(address: str, port: int) -> dns.resolver.Resolver:
    stub = dns.resolver.Resolver(configure=False)
    stub.nameservers = [address]
    stub.port = port
    stub.timeout = stub.lifetime = QUERY_TIMEOUT
    stub.cache = dns.resolver.Cache()
    return stub


# ---------------------------------------------------------------- the run


def _sources_digest() -> str:
    """Which code was measured: a digest of cid/*.py and resolver/*.py."""
    digest = hashlib.sha256()
    for package in (cid, resolver):
        assert package.__file__ is not None
        for path in sorted(Path(package.__file__).parent.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def _p90_ms(samples: list[float]) -> float:
    return 1000 * (statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else samples[0])


def run(args: argparse.Namespace) -> dict[str, Any]:
    if not loopback_usable():
        raise SystemExit("bench_resolve: cannot bind 127.0.0.2-127.0.0.5 here")
    now = int(time.time())
    subjects = identifiers(args.n * args.rounds + PROBES)
    probes, batches = subjects[:PROBES], subjects[PROBES:]
    rounds_names = [batches[i * args.n : (i + 1) * args.n] for i in range(args.rounds)]
    owners = {s: cid.parse(s).to_dns_name(ROOT) for s in subjects}
    base = Path(tempfile.mkdtemp(prefix="cid-bench-resolve-", dir=args.dir))
    try:
        reg = make_registry(base / "registry", subjects, now=now)
        with serving(reg.path, base) as port:
            anchor = resolver.TrustAnchor.from_json(reg.anchor(), port=port)
            root = anchor.servers[0][0]
            # Every query once, untimed: the servers' answer caches warm for both.
            plans = {s: walk(root, port, owners[s]) for s in subjects}
            for s in probes:
                if recorded(anchor, s) != plans[s]:
                    raise RuntimeError(f"{s}: the resolver's queries differ from the anchor's")
            cold = _cold(anchor, port, rounds_names, plans)
            warm = _warm(anchor, port, batches[: args.warm_n], owners, args)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    result: dict[str, Any] = {
        "python": sys.version.split()[0],
        "dnspython": dns.version.version,
        "cores": os.cpu_count(),
        "sources": _sources_digest(),
        "zones": {zone: address for zone, (_, address) in ZONES.items()},
        "levels": len(ZONES) - 1,
        "queries_per_resolution": len(plans[probes[0]]),
        "cold": cold,
        "warm": warm,
    }
    result["targets"] = {
        "cold <= 1.0 x dnspython": cold["ratio"] <= 1.0,
        "cold median <= 3 ms": cold["median_ms"][OURS] <= 3.0,
        "warm >= 100,000/s": warm["rates"][OURS] >= 100_000,
    }
    return result


def _cold(
    anchor: resolver.TrustAnchor, port: int, rounds_names: list[list[str]], plans: dict[str, Plan]
) -> dict[str, Any]:
    names_of = [OURS, ANCHOR_COLD, PREBUILT]
    samples: dict[str, list[float]] = {name: [] for name in names_of}
    cpu: dict[str, list[float]] = {name: [] for name in names_of}
    per_round: list[dict[str, Any]] = []
    ratios: dict[str, list[float]] = {ANCHOR_COLD: [], PREBUILT: []}
    for r, names in enumerate(rounds_names):
        batch = [plans[s] for s in names]
        jobs: list[tuple[str, Callable[[], list[float]]]] = [
            (OURS, functools.partial(cold_ours, anchor, names)),
            (ANCHOR_COLD, functools.partial(cold_dnspython, batch, port)),
            (PREBUILT, functools.partial(cold_prebuilt, _prebuilt(batch), port)),
        ]
        jobs = jobs[r % 3 :] + jobs[: r % 3]  # each goes first in turn
        med: dict[str, float] = {}
        for name, job in jobs:
            gc.collect()
            start = time.process_time()
            times = job()
            cpu[name].append(1000 * (time.process_time() - start) / len(names))
            samples[name] += times
            med[name] = _median_ms(times)
        for anchor_name, kept in ratios.items():
            kept.append(med[OURS] / med[anchor_name])
        per_round.append({"median_ms": med, "ratio": ratios[ANCHOR_COLD][-1]})
    return {
        "resolutions_per_round": len(rounds_names[0]),
        "rounds": len(rounds_names),
        "median_ms": {name: _median_ms(times) for name, times in samples.items()},
        "p90_ms": {name: _p90_ms(times) for name, times in samples.items()},
        "client_cpu_ms": {name: statistics.median(v) for name, v in cpu.items()},
        "ratio": statistics.median(ratios[ANCHOR_COLD]),
        "ratio_to_prebuilt": statistics.median(ratios[PREBUILT]),
        "per_round": per_round,
    }


def _warm(
    anchor: resolver.TrustAnchor,
    port: int,
    names: list[str],
    owners: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    ours = resolver.Resolver(anchor)
    stub = stub_resolver(ZONES[BOTTOM][1], port)
    owner_names = [owners[s] for s in names]

    def stub_resolve(owner: str) -> object:
        return stub.resolve(owner, TYPE_DESCRIPTOR, search=False)

    rates: dict[str, list[float]] = {OURS: [], ANCHOR_WARM: []}
    for r in range(args.rounds):
        # Untimed: fill (or refresh: the resolver keeps endpoints 60 s at most) both caches.
        for s, owner in zip(names, owner_names, strict=True):
            ours.resolve(s)
            stub_resolve(owner)
        assert ours.resolve(names[-1]).from_cache
        gc.collect()
        jobs: list[tuple[str, Callable[[], float]]] = [
            (OURS, lambda: _rate(ours.resolve, names, args.warm_seconds)),
            (ANCHOR_WARM, lambda: _rate(stub_resolve, owner_names, args.warm_seconds)),
        ]
        if r % 2:
            jobs.reverse()
        for name, job in jobs:
            rates[name].append(job())
    med = {name: statistics.median(v) for name, v in rates.items()}
    return {
        "names": len(names),
        "rounds": args.rounds,
        "seconds_per_round": args.warm_seconds,
        "rates": med,
        "ratio": med[OURS] / med[ANCHOR_WARM],
        "per_round": rates,
    }


def _print(result: dict[str, Any]) -> None:
    print(
        f"Python {result['python']}, dnspython {result['dnspython']}, {result['cores']} cores, "
        f"sources {result['sources']}"
    )
    zones = " -> ".join(f"{z} @{a}" for z, a in result["zones"].items())
    print(f"zones ({result['levels']} delegation levels): {zones}")
    c = result["cold"]
    print(
        f"\ncold: {c['resolutions_per_round']} names x {c['rounds']} rounds, "
        f"{result['queries_per_resolution']} UDP queries each"
    )
    for name, ms in c["median_ms"].items():
        print(
            f"  {name:<44} median {ms:6.3f} ms  p90 {c['p90_ms'][name]:6.3f} ms"
            f"  client cpu {c['client_cpu_ms'][name]:6.3f} ms"
        )
    print(f"  ratio ours / dnspython (median of rounds): {c['ratio']:.2f}")
    print(f"  ratio ours / dnspython with messages built untimed: {c['ratio_to_prebuilt']:.2f}")
    w = result["warm"]
    print(f"\nwarm: {w['names']} names, {w['rounds']} rounds of {w['seconds_per_round']} s")
    for name, rate in w["rates"].items():
        print(f"  {name:<44} {rate:>12,.0f} /s")
    print(f"  ratio ours / dnspython: {w['ratio']:.1f}")
    for target, ok in result["targets"].items():
        print(f"target {target}: {'met' if ok else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="cold resolutions per round (new names)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warm-n", type=int, default=1000, help="names resolved warm")
    ap.add_argument("--warm-seconds", type=float, default=1.0, help="per round and contender")
    ap.add_argument("--dir", default=None, help="where the registry is written (default: TMPDIR)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.rounds, args.warm_n, args.warm_seconds = 8, 2, 8, 0.05
    args.warm_n = min(args.warm_n, args.n * args.rounds)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
