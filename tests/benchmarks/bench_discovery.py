"""Discovery: ``Resolver.find`` of a pattern matching about 1 % of a hierarchy of
100,000 descriptors, against the ideal walk's query count and dnspython sending the
ideal walk's queries.

    python tests/benchmarks/bench_discovery.py [--n 100000] [--rounds 5]
        [--pattern arch|capability|accelerator] [--dir DIR] [--keep] [--quick] [--json]

Set-up (timed apart, reported): the four zones of bench_resolve.py (root
``ucid.example`` -> platform ``east`` -> provider ``ctyun.east`` -> region
``_cn-sh.ctyun.east``), each served by its own ``cid serve`` process on its own
loopback address (127.0.0.2 to 127.0.0.5), so that every delegation is a real
referral. ``--n`` descriptors are spread over the zones: ``acme.hpc`` and ``lab`` in
the root zone (``hpc`` an intermediate provider name), ``unicom.east`` in the platform
zone, ``ctyun.east`` in its own zone and the delegated region ``cn-sh`` in the fourth
(at most 32 % of them in one zone: each ``cid serve`` must start within bench_serve's
120 s on a loaded machine).
Architectures: five CPUs with or without one of four accelerators (25 architecture
nodes a region), and ``loongarch64`` machines (1 %). Capabilities vary; 1 % have
``mem=4TiB``. A few identifiers have no capabilities (named at their architecture node).

Patterns, each matching about 1 % (``--pattern``, default all three):

- **arch** ``ucid:*/*/loongarch64``: one architecture among many; pruned at the
  architecture nodes.
- **capability** ``ucid:*/*/*/mem>=4TiB``: one capability range; nothing can be pruned
  before the identifier names, so every architecture node is listed.
- **accelerator** ``ucid:ctyun.east/cn-sh/*+gfx942/acc>=4``: provider, region and
  accelerator pruned by labels, then the constraint.

Anchors, in the same run:

- **ideal queries**: computed by this benchmark from the identifiers and zone cuts,
  independently of the resolver: the enumeration tree by the rules of spec/resolution.md
  §4.1, walked breadth-first from the root, listing every node whose labels do not rule
  out a match (the pattern's components tested with ``cid.Pattern.matches`` on the
  node's provider, region and architecture), one query per listing, one per matching
  descriptor, and one referral per zone entered. A listing whose UDP answer is
  truncated needs a second query over TCP, for any client: the count with those retries
  is what the dnspython anchor observes. Also shown: the oracle's count (only the nodes
  on a path to a match), which no client can reach without knowing the answer.
- **dnspython**: the ideal walk's queries (same names, types and servers, referrals
  included), sent one after another with ``dns.query.udp`` (TCP when truncated), nothing
  verified. Its PTR answers are checked, untimed, against the computed tree.

Contenders: a fresh ``Resolver(anchor).find(pattern)`` per round (cold cache, every
result verified from the anchor down), and the same with ``AsyncResolver``, 8
resolutions at a time (its default) and one at a time (``concurrency=1``). Rounds
interleave the contenders; figures are medians. Target: resolver queries <= 1.5 x the
ideal count.

``--dir`` keeps the registry (built once, reused by later runs with the same ``--n``,
which saves the signing); ``--quick`` runs tiny sizes (the smoke test); its figures
mean nothing. Needs 127.0.0.2-127.0.0.5 (Linux loopback is 127/8).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from unittest import mock

import dns.flags
import dns.name
import dns.query
import dns.rdatatype
import dns.version

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_resolve, beside it

from bench_resolve import (
    QUERY_TIMEOUT,
    ROOT,
    ZONES,
    _query,
    _sources_digest,
    loopback_usable,
    serving,
)

import cid
import resolver
from cid._keys import SigningKey
from cid.layout import TYPE_DESCRIPTOR, enum_owner
from cid.registry._store import Registry
from cid.registry._zone import NameServer

PATTERNS: Final = {
    "arch": "ucid:*/*/loongarch64",
    "capability": "ucid:*/*/*/mem>=4TiB",
    "accelerator": "ucid:ctyun.east/cn-sh/*+gfx942/acc>=4",
}
#: (provider, its share of the descriptors, its regions); the zone holding each
#: follows from the cuts.
POPULATIONS: Final = [
    ("acme.hpc", 0.27, ("cn-gd", "cn-bj", "de-by", "us-ca")),
    ("lab", 0.05, ("cn-bj", "sg")),
    ("unicom.east", 0.28, ("cn-js", "cn-zj", "cn-ah", "cn-fj")),
    ("ctyun.east", 0.30, ("cn-gd", "cn-js", "cn-tj", "cn-bj", "cn-hb", "cn-ah", "cn-sc", "cn-hn")),
    ("ctyun.east", 0.10, ("cn-sh",)),
]
CPUS: Final = ["x86-64-v3", "x86-64-v4", "neoverse-v2", "kunpeng-920", "rva23u64"]
ACCS: Final = ["", "+sm90", "+sm80", "+gfx942", "+ascend910b"]
MODELS: Final = ["h800", "a800", "mi300x", "ascend910b", "h20", "l40s"]
OURS: Final = "Resolver.find"
OURS_ASYNC: Final = "AsyncResolver.find (8 at a time, the default)"
CONCURRENCY: Final = 8
OURS_ASYNC_1: Final = "AsyncResolver.find, concurrency=1"
ANCHOR: Final = "dnspython, ideal walk's queries (no verification)"
BOUND: Final = 10**6  # max_nodes and max_results: the walk goes to its end
DEADLINE: Final = 3600.0

Plan = list[tuple[str, dns.name.Name, int]]  # (server address, owner, type) per query


# --------------------------------------------------------------- workload


def identifiers(n: int, seed: int = 2026) -> list[str]:
    """n distinct canonical identifiers over the populations (fixed seed)."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    # A few without capabilities: named at their architecture node, which lists itself.
    for provider, _, regions in POPULATIONS:
        out[str(cid.parse(f"ucid:{provider}/{regions[0]}/x86-64-v3"))] = None
        out[str(cid.parse(f"ucid:{provider}/{regions[-1]}/loongarch64"))] = None
    for provider, share, regions in POPULATIONS:
        goal = len(out) + round(share * n)
        while len(out) < goal:
            rare = rng.random() < 0.01
            arch = "loongarch64" if rare else rng.choice(CPUS) + rng.choice(ACCS)
            mem = "4TiB" if rng.random() < 0.01 else f"{rng.choice([256, 512, 1024, 2048])}GiB"
            attrs = [
                f"cpu={rng.choice([32, 64, 96, 128, 192, 256])}",
                f"mem={mem}",
                f"net-bw={rng.randrange(1, 4000)}Gbps",  # many values: keeps names distinct
            ]
            if "+" in arch:
                attrs += [f"acc={rng.choice([1, 2, 4, 8])}", f"acc-model={rng.choice(MODELS)}"]
            if rng.random() < 0.2:
                attrs.append("sriov")
            text = f"ucid:{provider}/{rng.choice(regions)}/{arch}/{';'.join(attrs)}"
            out[str(cid.parse(text))] = None
    return list(out)[:n] if len(out) > n else list(out)


def _absolute(name: str) -> dns.name.Name:
    return dns.name.from_text(name)


ROOT_NAME: Final = _absolute(ROOT)
#: zone apex -> the loopback address its server listens on
ADDRESS: Final = {_absolute(zone): address for zone, (_, address) in ZONES.items()}
#: zone apex -> parent apex (None for the root)
PARENT: Final = {
    _absolute(zone): (None if parent is None else _absolute(parent))
    for zone, (parent, _) in ZONES.items()
}


def zone_of(name: dns.name.Name) -> dns.name.Name:
    """The deepest zone whose apex is at or above ``name``."""
    while name not in ADDRESS:
        name = name.parent()
    return name


def _source(subject: str, i: int) -> dict[str, Any]:
    host = f"h{i % 997}.{subject.split('/', 1)[0].removeprefix('ucid:')}.example"
    return {
        "subject": subject,
        "version": 1,
        "endpoints": [{"transport": "tcp", "protocol": "https", "host": host, "port": 443}],
    }


def make_registry(path: Path, subjects: list[str], *, now: int) -> Registry:
    """The four zones; each descriptor in the zone that holds its name."""
    reg = Registry.create(path, ROOT)
    for zone, (parent, address) in ZONES.items():
        key = SigningKey.from_seed(hashlib.sha256(f"bench-discovery:{zone}".encode()).digest())
        reg.add_zone(zone, parent, [NameServer(f"ns1.{zone}", (address,))], key)
    with mock.patch("os.fsync", return_value=None):  # untimed set-up on a shared disk
        for i, subject in enumerate(subjects):
            apex = zone_of(_absolute(cid.parse(subject).to_dns_name(ROOT)))
            reg.add_source(apex.to_text(omit_final_dot=True), f"d{i:07d}", _source(subject, i))
        reg.build(now=now)
    return reg


def registry(args: argparse.Namespace, subjects: list[str], now: int, base: Path) -> Path:
    """The registry: built in ``base``, or reused from ``--dir`` when built there for
    the same identifiers less than a day ago."""
    digest = hashlib.sha256("\n".join(subjects).encode()).hexdigest()
    where = Path(args.dir) / f"bench-discovery-{len(subjects)}" if args.dir else base / "reg"
    stamp = where / "bench-discovery.json"
    if stamp.is_file():
        meta = json.loads(stamp.read_text())
        if meta["digest"] == digest and now - meta["built"] < 86400:
            return where
    if where.exists():
        shutil.rmtree(where)
    make_registry(where, subjects, now=now)
    stamp.write_text(json.dumps({"digest": digest, "built": now}))
    return where


# ---------------------------------------------------------------- the ideal walk


@dataclass
class Node:
    """A node of the enumeration tree, from the identifiers (not from any zone)."""

    kind: str  # "provider" (R or a provider name), "region", "arch"
    provider: str
    region: str = ""
    arch: str = ""
    children: dict[dns.name.Name, None] = field(default_factory=dict)


@dataclass
class Tree:
    nodes: dict[dns.name.Name, Node]
    identifiers: dict[dns.name.Name, cid.Identifier]


def tree(subjects: list[str]) -> Tree:
    """The enumeration tree of spec/resolution.md §4.1: every identifier's path (its
    name, its architecture node, then one label at a time up to its zone's apex) and
    every cut's path up to its parent's apex; each node lists the next name down."""
    nodes: dict[dns.name.Name, Node] = {ROOT_NAME: Node("provider", "")}
    idents: dict[dns.name.Name, cid.Identifier] = {}

    def node(name: dns.name.Name) -> Node:
        found = nodes.get(name)
        if found is None:
            labels = [x.decode() for x in name.relativize(ROOT_NAME).labels]
            marked = [x for x in labels if x.startswith("_")]
            provider = ".".join(labels[len(marked) :])
            if len(marked) == 0:
                found = Node("provider", provider)
            elif len(marked) == 1:
                found = Node("region", provider, marked[0][1:])
            else:
                found = Node("arch", provider, marked[1][1:], marked[0][1:].replace("_", "+"))
            nodes[name] = found
        return found

    def path(child: dns.name.Name, apex: dns.name.Name) -> None:
        while child != apex:
            parent = child.parent()
            node(parent).children[child] = None
            child = parent

    for text in subjects:
        ident = cid.parse(text)
        name = _absolute(ident.to_dns_name(ROOT))
        idents[name] = ident
        k = len(ident.capabilities)
        arch = dns.name.Name(name.labels[k:])
        node(arch).children[name] = None  # itself when k == 0
        path(arch, zone_of(arch))
    for apex, parent in PARENT.items():
        if parent is not None:
            path(apex, parent)
    return Tree(nodes, idents)


def _provider_may_lead(pattern: str, provider: str) -> bool:
    """Whether a provider the pattern accepts can be named at or below ``provider``
    (spec/resolution.md §17.2, provider name)."""
    if provider == "" or pattern == "*":
        return True
    if pattern.startswith("*."):
        want = pattern[2:]
        return want == provider or want.endswith("." + provider) or provider.endswith("." + want)
    return pattern == provider or pattern.endswith("." + provider)


def _prefix(pattern: cid.Pattern, parts: int) -> cid.Pattern:
    """The pattern with only its first ``parts`` components (the rest ``*``)."""
    components = str(pattern).removeprefix("ucid:").split("/", 3)
    return cid.parse_pattern("ucid:" + "/".join(components[:parts]))


@dataclass
class IdealWalk:
    listed: list[dns.name.Name]
    fetched: list[dns.name.Name]
    entered: list[dns.name.Name]  # zones entered by a referral, in order
    plan: Plan
    oracle: int  # queries when only the nodes on a path to a match are listed

    @property
    def queries(self) -> int:
        return len(self.plan)


def ideal_walk(t: Tree, text: str) -> IdealWalk:
    """Breadth-first from the root, listing every node whose labels leave a match
    possible; the queries that needs, in order."""
    pattern = cid.parse_pattern(text)
    region_test, arch_test = _prefix(pattern, 2), _prefix(pattern, 3)
    provider_text = str(pattern).removeprefix("ucid:").split("/", 1)[0]

    def may_match(child: Node) -> bool:
        if child.kind == "provider":
            return _provider_may_lead(provider_text, child.provider)
        # A node's provider, region (and architecture) as an identifier without
        # capabilities: the pattern's first components decide it.
        region = child.region
        arch = child.arch if child.kind == "arch" else "x86-64"
        probe = cid.parse(f"ucid:{child.provider}/{region}/{arch}")
        return (arch_test if child.kind == "arch" else region_test).matches(probe)

    listed: list[dns.name.Name] = []
    fetched: list[dns.name.Name] = []
    entered: list[dns.name.Name] = []
    plan: Plan = []
    known = {ROOT_NAME}
    queue = deque([ROOT_NAME])

    def enter(zone: dns.name.Name) -> None:
        if zone not in known:
            parent = PARENT[zone]
            assert parent is not None and parent in known
            entered.append(zone)
            known.add(zone)
            plan.append((ADDRESS[parent], enum_owner(zone), dns.rdatatype.PTR))

    while queue:
        name = queue.popleft()
        zone = zone_of(name)
        enter(zone)
        listed.append(name)
        plan.append((ADDRESS[zone], enum_owner(name), dns.rdatatype.PTR))
        for child in t.nodes[name].children:
            if child == name or child not in t.nodes:  # an identifier's name (§4.1)
                if pattern.matches(t.identifiers[child]):
                    fetched.append(child)
                    plan.append((ADDRESS[zone_of(child)], child, TYPE_DESCRIPTOR))
            elif may_match(t.nodes[child]):
                queue.append(child)
    # The oracle: only the ancestors of the matches are listed.
    on_path = {ROOT_NAME}
    for name in fetched:
        k = len(t.identifiers[name].capabilities)
        up = dns.name.Name(name.labels[k:])
        while up != ROOT_NAME:
            on_path.add(up)
            up = up.parent()
    zones = {zone_of(x) for x in on_path} - {ROOT_NAME}
    oracle = len(on_path & set(listed)) + len(fetched) + len(zones)
    return IdealWalk(listed, fetched, entered, plan, oracle)


# ---------------------------------------------------------------- contenders


def send(plan: Plan, port: int) -> tuple[int, list[Any]]:
    """The plan with dns.query.udp, TCP when truncated: queries sent, responses."""
    sent, out = 0, []
    for server, owner, rdtype in plan:
        query = _query(owner, rdtype)
        response = dns.query.udp(query, server, QUERY_TIMEOUT, port)
        sent += 1
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, server, QUERY_TIMEOUT, port)
            sent += 1
        out.append(response)
    return sent, out


def check_plan(t: Tree, plan: Plan, responses: list[Any]) -> None:
    """Every answer is whole and the served enumeration records are the computed tree's
    (untimed); the queries to a parent zone's server get referrals."""
    for (server, owner, rdtype), response in zip(plan, responses, strict=True):
        node = owner.parent() if rdtype == dns.rdatatype.PTR else owner
        referral = server != ADDRESS[zone_of(node)]
        if response.flags & dns.flags.TC or bool(response.answer) == referral:
            raise RuntimeError(f"{owner}: not the whole answer (too many children?)")
        if rdtype == dns.rdatatype.PTR and not referral:
            served = {rd.target for rrset in response.answer for rd in rrset}
            if served != set(t.nodes[node].children):
                raise RuntimeError(f"{node}: served {len(served)} children, computed otherwise")


class Counting(resolver.Resolver):
    """A resolver that counts the queries of every resolution it runs."""

    sent = 0

    def run(self, res: Any) -> None:
        super().run(res)
        self.sent += res.queries


class AsyncCounting(resolver.AsyncResolver):
    sent = 0

    async def run(self, res: Any) -> None:
        await super().run(res)
        self.sent += res.queries


def find_sync(anchor: resolver.TrustAnchor, pattern: str) -> tuple[int, Any]:
    r = Counting(anchor)
    found = r.find(pattern, max_nodes=BOUND, max_results=BOUND, deadline=DEADLINE)
    return r.sent, found


def find_async(anchor: resolver.TrustAnchor, pattern: str, concurrency: int) -> tuple[int, Any]:
    r = AsyncCounting(anchor)
    bounds = {"max_nodes": BOUND, "max_results": BOUND}
    found = asyncio.run(r.find(pattern, deadline=DEADLINE, concurrency=concurrency, **bounds))
    return r.sent, found


# ---------------------------------------------------------------- the run


def measure(
    anchor: resolver.TrustAnchor, port: int, t: Tree, text: str, rounds: int
) -> dict[str, Any]:
    ideal = ideal_walk(t, text)
    expected = sorted(str(t.identifiers[n]) for n in ideal.fetched)
    # Untimed: each contender once (the servers' answer caches warm for all), checked.
    anchor_queries, responses = send(ideal.plan, port)
    check_plan(t, ideal.plan, responses)
    truncated = anchor_queries - ideal.queries
    contenders: dict[str, Callable[[], tuple[int, Any]]] = {
        OURS: lambda: find_sync(anchor, text),
        OURS_ASYNC: lambda: find_async(anchor, text, CONCURRENCY),
        OURS_ASYNC_1: lambda: find_async(anchor, text, 1),
        ANCHOR: lambda: send(ideal.plan, port),
    }
    queries: dict[str, int] = {ANCHOR: anchor_queries}
    listings: dict[str, int] = {}
    for name in (OURS, OURS_ASYNC, OURS_ASYNC_1):
        for attempt in range(3):  # a query may time out on a loaded machine: a retry, said
            sent, found = contenders[name]()
            got = sorted(str(r.identifier) for r in found.results)
            if got == expected and not found.failures and found.complete:
                break
            faults = sorted({f"{e.outcome.code}: {e.detail}" for e in found.failures})
            print(f"{name} {text}: {len(got)} of {len(expected)}, {faults}", file=sys.stderr)
            if attempt == 2:
                raise RuntimeError(f"{name} {text}: not the ideal walk's results")
        queries[name], listings[name] = sent, found.nodes
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    irregular: dict[str, int] = dict.fromkeys(contenders, 0)
    for r in range(rounds):
        order = list(contenders)
        order = order[r % len(order) :] + order[: r % len(order)]
        for name in order:
            gc.collect()
            start = time.perf_counter()
            sent, _ = contenders[name]()
            seconds[name].append(time.perf_counter() - start)
            # Another count means a query was retried (a timeout): the round is kept, counted.
            irregular[name] += sent != queries[name]
    med = {name: statistics.median(v) for name, v in seconds.items()}
    matches = len(ideal.fetched)
    return {
        "pattern": text,
        "matches": matches,
        "share": matches / len(t.identifiers),
        "ideal": {
            "listings": len(ideal.listed),
            "descriptors": matches,
            "referrals": len(ideal.entered),
            "queries": ideal.queries,
            "queries_with_tcp_retries": anchor_queries,
            "truncated_listings": truncated,
            "oracle_queries": ideal.oracle,
        },
        "queries": queries,
        "rounds_with_other_counts": irregular,
        "listings": listings,
        "ratio_queries": queries[OURS] / anchor_queries,
        "ratio_queries_async": queries[OURS_ASYNC] / anchor_queries,
        "ratio_queries_to_fetches": queries[OURS] / ideal.queries,
        "seconds": med,
        "ms_per_match": {name: 1000 * s / max(1, matches) for name, s in med.items()},
        "ratio_time": med[OURS] / med[ANCHOR],
        "ratio_time_async": med[OURS_ASYNC] / med[ANCHOR],
        "per_round": seconds,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    if not loopback_usable():
        raise SystemExit("bench_discovery: cannot bind 127.0.0.2-127.0.0.5 here")
    setup: dict[str, float] = {}
    now = int(time.time())
    clock = time.perf_counter()
    subjects = identifiers(args.n)
    t = tree(subjects)
    setup["identifiers and tree"] = time.perf_counter() - clock
    base = Path(tempfile.mkdtemp(prefix="cid-bench-discovery-"))
    try:
        clock = time.perf_counter()
        path = registry(args, subjects, now, base)
        setup["registry (built or reused)"] = time.perf_counter() - clock
        clock = time.perf_counter()
        with serving(path, base) as port:
            setup["cid serve start-up (4 processes)"] = time.perf_counter() - clock
            anchor = resolver.TrustAnchor.from_json(Registry.load(path).anchor(), port=port)
            results = [
                measure(anchor, port, t, PATTERNS[name], args.rounds) for name in args.pattern
            ]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    kinds = [node.kind for node in t.nodes.values()]
    return {
        "python": sys.version.split()[0],
        "dnspython": dns.version.version,
        "cores": os.cpu_count(),
        "load": os.getloadavg()[0],
        "sources": _sources_digest(),
        "descriptors": len(subjects),
        "tree": {kind: kinds.count(kind) for kind in ("provider", "region", "arch")},
        "zones": {zone: address for zone, (_, address) in ZONES.items()},
        "rounds": args.rounds,
        "patterns": results,
        "setup_s": setup,
        "target": "resolver queries <= 1.5 x ideal",
        "target_met": all(r["ratio_queries"] <= 1.5 for r in results),
    }


def _print(result: dict[str, Any]) -> None:
    print(
        f"Python {result['python']}, dnspython {result['dnspython']}, {result['cores']} cores, "
        f"load {result['load']:.1f}, sources {result['sources']}"
    )
    tr = result["tree"]
    print(
        f"{result['descriptors']:,} descriptors in {len(result['zones'])} zones; "
        f"{tr['provider']} provider nodes (root included), {tr['region']} regions, "
        f"{tr['arch']} architecture nodes; medians of {result['rounds']} rounds"
    )
    for p in result["patterns"]:
        i = p["ideal"]
        print(f"\n{p['pattern']}: {p['matches']} matches ({100 * p['share']:.2f} %)")
        print(
            f"  ideal walk: {i['listings']} listings + {i['descriptors']} descriptors + "
            f"{i['referrals']} referrals = {i['queries']} queries; "
            f"{i['queries_with_tcp_retries']} with the TCP retries of "
            f"{i['truncated_listings']} truncated listings (oracle {i['oracle_queries']})"
        )
        for name, secs in p["seconds"].items():
            print(
                f"  {name:<52} {p['queries'][name]:6} queries  {1000 * secs:9.1f} ms  "
                f"{p['ms_per_match'][name]:6.3f} ms/match"
            )
        print(
            f"  queries / ideal: {p['ratio_queries']:.3f} (async {p['ratio_queries_async']:.3f}); "
            f"time / dnspython: {p['ratio_time']:.2f} (async {p['ratio_time_async']:.2f})"
        )
    met = "met" if result["target_met"] else "NOT met"
    print(f"\ntarget {result['target']}: {met}")
    print("set-up: " + ", ".join(f"{k} {v:.1f} s" for k, v in result["setup_s"].items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="descriptors in the hierarchy")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pattern", action="append", choices=sorted(PATTERNS))
    ap.add_argument("--dir", default=None, help="keep (and reuse) the registry here")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.pattern = args.pattern or list(PATTERNS)
    if args.quick:
        args.n, args.rounds = 500, 1
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
