"""Discovery against brute force: ``find`` over a generated hierarchy returns exactly
the identifiers that the pattern matches among all those published (spec/resolution.md
§17), for the blocking driver and for the asyncio one, which runs several resolutions
at a time and must send no more queries for it.

The hierarchy: four zones (root ``ucid.example`` -> ``east`` -> ``ctyun.east`` ->
region ``_cn-sh.ctyun.east``), each served in-process by its own server on its own
loopback address (127.0.0.2 to 127.0.0.5), so that delegations are real referrals.
Identifiers of many shapes: intermediate provider names, a provider named like a zone,
sub-regions, CPUs along compatibility chains, an unregistered CPU, zero to two
accelerators, zero to four capabilities.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import dns.zone
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cid
from cid.registry import Registry
from cid.registry._zone import NameServer, SignedDescriptor, assemble
from cid.server import Authority, ServerThread
from resolver import AsyncResolver, Discovery, Resolver, TrustAnchor

ROOT = "ucid.example"
#: zone -> (parent, the loopback address of its server)
ZONES = {
    ROOT: (None, "127.0.0.2"),
    f"east.{ROOT}": (ROOT, "127.0.0.3"),
    f"ctyun.east.{ROOT}": (f"east.{ROOT}", "127.0.0.4"),
    f"_cn-sh.ctyun.east.{ROOT}": (f"ctyun.east.{ROOT}", "127.0.0.5"),
}
PROVIDERS = ["acme.hpc", "p", "a.b.p", "lab", "east", "unicom.east", "ctyun.east", "xn--fiqs8s"]
REGIONS = ["cn-gd", "cn-gd-sz1", "cn-sh", "cn-bj", "us-ca", "sg"]
CPUS = ["x86-64-v3", "x86-64-v4", "neoverse-n2", "neoverse-v2", "rva23u64", "loongarch64"]
CPUS += ["mycpu"]  # unregistered: only itself satisfies it
ACCS = ["sm80", "sm90", "gfx942", "ascend910b"]
CAPS = ["cpu=64", "cpu=128", "mem=512GiB", "mem=2TiB", "acc=4", "acc=8", "sriov", "zone=z1"]


def identifiers(n: int, seed: int = 17) -> list[str]:
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        arch = "+".join([rng.choice(CPUS), *rng.sample(ACCS, rng.choice([0, 0, 1, 2]))])
        picked = rng.sample(CAPS[:-1], rng.choice([0, 1, 2, 3]))
        caps = list({c.split("=")[0]: c for c in picked}.values())  # one value per key
        caps.append(f"net-bw={rng.randrange(1, 100)}Gbps")  # keeps names distinct
        if rng.random() < 0.05:
            caps = []  # named at its architecture node
        caps = [c for c in caps if not c.startswith("acc=") or "+" in arch]
        text = f"ucid:{rng.choice(PROVIDERS)}/{rng.choice(REGIONS)}/{arch}"
        out[str(cid.parse(f"{text}/{';'.join(caps)}" if caps else text))] = None
    return list(out)


def zone_of(subject: str) -> str:
    name = cid.parse(subject).to_dns_name(ROOT).rstrip(".")
    return max((z for z in ZONES if name == z or name.endswith("." + z)), key=len)


@dataclass
class Hierarchy:
    anchor: TrustAnchor
    subjects: list[cid.Identifier]


def serve(zones: dict[str, dns.zone.Zone]) -> tuple[list[ServerThread], int]:
    """Each zone on its own address, all on one port (glue carries no port)."""
    for _ in range(20):
        started: list[ServerThread] = []
        port = 0  # the first server picks it; the others take the same
        try:
            for zone, (_, address) in ZONES.items():
                started.append(ServerThread(Authority([zones[zone]]), [(address, port)]).start())
                port = started[0].bound[0][1]
        except OSError:
            for server in started:
                server.stop()
            continue
        return started, port
    raise RuntimeError("no port free on every loopback address")


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hierarchy]:
    now = int(time.time())
    registry = Registry.create(tmp_path_factory.mktemp("discovery") / "r", ROOT)
    for zone, (parent, address) in ZONES.items():
        registry.add_zone(zone, parent, [NameServer(f"ns1.{zone}", (address,))])
    registry.build(now=now)
    subjects = identifiers(400)
    signed: dict[str, list[SignedDescriptor]] = {zone: [] for zone in ZONES}
    for i, text in enumerate(subjects):
        zone = zone_of(text)
        desc = cid.Descriptor(
            issuer=zone,
            subject=text,
            version=1,
            issued_at=now,
            not_before=now,
            expires=now + 86400,
            endpoints=(cid.Endpoint("tcp", "https", f"h{i}.example", 443),),
        )
        signed[zone].append(SignedDescriptor(cid.sign(desc, registry.signing_key(zone)), desc))
    zones = {}
    for zone in ZONES:
        inputs = registry.inputs(zone, now=now)
        settings_ = registry.zones[zone].settings
        zones[zone] = assemble(settings_, signed[zone], inputs.delegations, root=ROOT, now=now)
    servers, port = serve(zones)
    try:
        anchor = TrustAnchor.from_json(registry.anchor(), port=port)
        yield Hierarchy(anchor, [cid.parse(s) for s in subjects])
    finally:
        for server in servers:
            server.stop()


class Counting(Resolver):
    sent = 0

    def run(self, res: object) -> None:
        super().run(res)  # type: ignore[arg-type]
        self.sent += res.queries  # type: ignore[attr-defined]


class AsyncCounting(AsyncResolver):
    sent = 0

    async def run(self, res: object) -> None:
        await super().run(res)  # type: ignore[arg-type]
        self.sent += res.queries  # type: ignore[attr-defined]


def expected(h: Hierarchy, pattern: str) -> list[str]:
    """Brute force: every published identifier the pattern matches."""
    p = cid.parse_pattern(pattern)
    return sorted(str(i) for i in h.subjects if p.matches(i))


def found(discovery: Discovery) -> list[str]:
    assert discovery.complete and discovery.failures == ()
    return [str(r.identifier) for r in discovery.results]


PATTERNS = [
    "ucid:*",
    "ucid:*/*/loongarch64",
    "ucid:*/*/x86-64",  # every x86-64-v3 and -v4 by compatibility
    "ucid:*/*/aarch64+sm80",  # neoverse CPUs with sm80 or sm90
    "ucid:*/*/*+gfx942+sm90",
    "ucid:*/*/mycpu",
    "ucid:*/*/*/mem>=1TiB;!sriov",
    "ucid:*.east/cn-gd-*",
    "ucid:*.p",  # a.b.p, below an intermediate name
    "ucid:p",
    "ucid:east/cn-*",  # a provider named like a zone apex
    "ucid:ctyun.east/cn-sh/*/acc>=8",  # in the delegated region
    "ucid:xn--fiqs8s/sg",
    "ucid:*/*/*/zone=z1",  # matches nothing
    "ucid:nowhere/cn-gd",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_find_is_brute_force(hierarchy: Hierarchy, pattern: str) -> None:
    sync = Counting(hierarchy.anchor)
    asynchronous = AsyncCounting(hierarchy.anchor)
    want = expected(hierarchy, pattern)
    assert found(sync.find(pattern)) == want
    assert found(asyncio.run(asynchronous.find(pattern))) == want
    # Running resolutions at a time re-verifies no zone: the same queries, no more.
    assert asynchronous.sent == sync.sent


def test_the_hierarchy_has_every_shape(hierarchy: Hierarchy) -> None:
    # The differential tests mean something only if the shapes are there.
    shapes = {(i.provider, len(i.capabilities) == 0) for i in hierarchy.subjects}
    assert {p for p, _ in shapes} == set(PROVIDERS)
    assert any(bare for _, bare in shapes)
    assert {zone_of(str(i)) for i in hierarchy.subjects} == set(ZONES)
    assert all(expected(hierarchy, p) for p in PATTERNS[:-2])


components = st.tuples(
    st.sampled_from(["*", "*.east", "*.p", "*.hpc", "p", "b.p", "east", "ctyun.east", "nowhere"]),
    st.sampled_from(["*", "cn-gd", "cn-gd-*", "cn-*", "cn-sh", "sg", "us"]),
    st.sampled_from(["*", "x86-64", "x86-64-v4", "aarch64", "neoverse-v1", "riscv64", "mycpu"]),
    st.lists(st.sampled_from(["sm70", "sm90", "gfx942", "ascend910b"]), max_size=2),
    st.lists(
        st.sampled_from(["cpu>=100", "mem<1TiB", "acc=4", "sriov", "!sriov", "!acc"]),
        max_size=2,
    ),
)


@settings(max_examples=60, deadline=None)
@given(components)
def test_find_is_brute_force_for_any_pattern(
    hierarchy: Hierarchy, parts: tuple[str, str, str, list[str], list[str]]
) -> None:
    provider, region, cpu, accs, caps = parts
    pattern = f"ucid:{provider}/{region}/{'+'.join([cpu, *accs])}"
    if caps:
        pattern += "/" + ";".join(caps)
    assert found(Resolver(hierarchy.anchor).find(pattern)) == expected(hierarchy, pattern)


@pytest.mark.parametrize("concurrency", [1, 3, 16])
@pytest.mark.parametrize("max_results", [1, 5, 40])
def test_async_keeps_max_results(hierarchy: Hierarchy, concurrency: int, max_results: int) -> None:
    r = AsyncResolver(hierarchy.anchor)
    got = asyncio.run(r.find("ucid:*", max_results=max_results, concurrency=concurrency))
    assert (len(got.results), got.bound) == (max_results, "max_results")
    assert {str(x.identifier) for x in got.results} <= set(expected(hierarchy, "ucid:*"))
    blocking = Resolver(hierarchy.anchor).find("ucid:*", max_results=max_results)
    assert (len(blocking.results), blocking.bound) == (max_results, "max_results")


@pytest.mark.parametrize("max_nodes", [1, 4, 30])
def test_async_keeps_max_nodes(hierarchy: Hierarchy, max_nodes: int) -> None:
    got = asyncio.run(AsyncResolver(hierarchy.anchor).find("ucid:*", max_nodes=max_nodes))
    blocking = Resolver(hierarchy.anchor).find("ucid:*", max_nodes=max_nodes)
    assert (got.nodes, got.bound) == (blocking.nodes, blocking.bound) == (max_nodes, "max_nodes")
    assert {str(x.identifier) for x in got.results} <= set(expected(hierarchy, "ucid:*"))


def test_async_concurrency_must_be_positive(hierarchy: Hierarchy) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        asyncio.run(AsyncResolver(hierarchy.anchor).find("ucid:*", concurrency=0))
