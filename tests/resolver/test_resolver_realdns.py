"""The resolver end to end over real DNS: ``cid serve``, Knot, NSD and Unbound.

Every server here is a real process on loopback; nothing is mocked.

- One server holds every zone of the demo (``cid serve``, or Knot or NSD
  loading the files of ``cid zone export`` unchanged). Such a server answers
  from the deepest zone it holds and never refers, so the resolver finds the
  chain through the ``__deleg`` records. Each demo identifier resolves, sync
  and async, to the endpoints of its source with the right chain; ``find``
  returns exactly what the pattern matches; missing names give NOT_FOUND or
  NO_LIVE_ENDPOINTS. The same runs again through Unbound as a forwarder.
- The zones split across servers on 127.0.0.1-4, same port: real referrals
  between Knot and NSD (which add no delegation record to a referral) and
  between ``cid serve`` processes (which do).
- A lying forwarder: Unbound in front of a Knot that serves forged records.
  Unbound passes the lie on, and the resolver rejects it.

The shared layout (one server holding the root and the platforms) exercises
referrals that skip zones, probes that meet referrals, and a descriptor signed
by the zone above its cut, which must be BOGUS however the answer arrives.

Knot, NSD and Unbound tests skip when the binary is missing, and fail instead
when ``CID_REQUIRE_REAL_DNS`` is set (``dnsservers.require_binary``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone
import pytest
from dnsservers import (
    REQUIRE_ENV,
    START_TIMEOUT,
    DnsServer,
    KnotServer,
    NsdServer,
    ServerStartError,
    UnboundServer,
    free_port,
)

import cid
from cid.cli._main import main as cli_main
from cid.layout import TYPE_DELEGATION, TYPE_DESCRIPTOR, delegation_owner
from cid.registry._demo import _RESOURCES, DEMO_ROOT, demo_key, write_demo
from cid.registry._store import Registry
from cid.registry._zone import NameServer
from resolver import (
    AsyncResolver,
    Discovery,
    Outcome,
    ResolutionError,
    Resolved,
    Resolver,
    TrustAnchor,
)

pytestmark = pytest.mark.realdns

NOW = int(time.time())
Server = tuple[str, int]


# ---------------------------------------------------------------------------
# What the demo publishes, from its sources
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Published:
    """One demo source: the identifier as written there, its zone, its endpoints."""

    source: str
    zone: str
    text: str
    endpoints: tuple[cid.Endpoint, ...]

    @property
    def identifier(self) -> str:
        return str(cid.parse(self.text))


def _endpoint(spec: dict[str, Any]) -> cid.Endpoint:
    return cid.Endpoint(**{**spec, "alpn": tuple(spec.get("alpn", ()))})


PUBLISHED = [
    Published(source, zone, text, tuple(_endpoint(e) for e in endpoints))
    for zone, source, text, endpoints in _RESOURCES
]
BY_SOURCE = {p.source: p for p in PUBLISHED}
BY_IDENTIFIER = {p.identifier: p for p in PUBLISHED}
IDS = [p.source for p in PUBLISHED]


def chain_of(registry: Registry, zone: str) -> tuple[str, ...]:
    """The zones from the root down to ``zone``, by the registry's parent links."""
    chain = [zone]
    while (parent := registry.zones[chain[-1]].parent) is not None:
        chain.append(parent)
    return tuple(reversed(chain))


def check(found: Resolved, want: Published, registry: Registry) -> None:
    """``found`` is the verified descriptor of ``want`` with its source's endpoints."""
    assert str(found.identifier) == want.identifier
    assert found.descriptor.subject == want.identifier
    assert found.descriptor.issuer == want.zone
    assert found.zone == want.zone
    assert found.chain == chain_of(registry, want.zone)
    assert found.name == cid.parse(want.text).to_dns_name(DEMO_ROOT)
    assert Counter(found.endpoints) == Counter(want.endpoints)
    priorities = [e.priority for e in found.endpoints]
    assert priorities == sorted(priorities)
    assert found.descriptor.capabilities == tuple(str(c) for c in cid.parse(want.text).capabilities)
    assert not found.stale


def essence(found: Resolved) -> tuple[object, ...]:
    """What a resolution establishes, without the times derived from the clock."""
    return found.identifier, found.name, found.descriptor, found.zone, found.chain


def queried(trace: Sequence[str]) -> set[str]:
    """The server addresses a trace shows queries to."""
    return {m.group(1) for line in trace if (m := re.search(r" @([0-9.]+)#", line))}


# Names that are not published. The node of an architecture exists (it lists
# its identifiers), so it is NODATA; anything else is NXDOMAIN.
MISSING = [
    pytest.param("ucid:sugon.hpc/cn-tj/x86-64-v3", Outcome.NO_LIVE_ENDPOINTS, id="arch-node"),
    pytest.param(
        "ucid:ctyun.east/cn-sh/rva23u64", Outcome.NO_LIVE_ENDPOINTS, id="arch-node-region-zone"
    ),
    pytest.param("ucid:sugon.hpc/cn-tj/x86-64-v3/cpu=128", Outcome.NOT_FOUND, id="fewer-caps"),
    pytest.param(
        "ucid:ctyun.east/cn-sh/neoverse-n2/cpu=64;mem=512GiB",
        Outcome.NOT_FOUND,
        id="other-value-region-zone",
    ),
    pytest.param("ucid:nobody.hpc/cn-tj/x86-64-v3/cpu=1", Outcome.NOT_FOUND, id="no-provider"),
    pytest.param("ucid:nobody/cn-tj/x86-64-v3/cpu=1", Outcome.NOT_FOUND, id="no-platform"),
]

# Pattern -> how many demo identifiers it matches (the set itself is computed
# with Pattern.matches; the count guards against both sides being empty).
PATTERNS = [
    ("ucid:*", 13),
    ("ucid:*.east", 8),
    ("ucid:中国移动.east", 3),
    ("ucid:ctyun.east/cn-*", 5),
    ("ucid:acme.hpc/de-by", 1),
    ("ucid:*/*/x86-64-v3", 9),
    ("ucid:*/*/neoverse-n1", 2),
    ("ucid:*/*/*+sm90", 7),
    ("ucid:*.hpc/*/*/acc>=8", 3),
    ("ucid:*/cn-*/*/mem>=1TiB", 7),
    ("ucid:*/*/*/acc>=16", 0),
]


def expected_matches(pattern: str) -> set[str]:
    compiled = cid.parse_pattern(pattern)
    return {p.identifier for p in PUBLISHED if compiled.matches(cid.parse(p.identifier))}


def check_discovery(found: Discovery, pattern: str, count: int, registry: Registry) -> None:
    want = expected_matches(pattern)
    assert len(want) == count
    assert found.complete
    assert found.failures == ()
    assert found.nodes > 0
    assert [str(r.identifier) for r in found.results] == sorted(want, key=cid.parse)
    for result in found.results:
        check(result, BY_IDENTIFIER[str(result.identifier)], registry)


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def cid_serve(
    registry: Path, address: str, port: int, log: Path, zones: Sequence[str] = ()
) -> Iterator[None]:
    """``cid serve`` as a subprocess on ``address:port`` (only ``zones``, if given)."""
    argv = [sys.executable, "-m", "cid", "serve", str(registry), "--listen", f"{address}:{port}"]
    for zone in zones:
        argv += ["--zone", zone]
    with log.open("w") as err:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True
        )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
        line = proc.stdout.readline() if ready else ""
        if f"port {port}" not in line:  # "serving ... on ADDRESS port N" once listening
            raise ServerStartError(f"cid serve on {address}:{port}: {line}{log.read_text()}")
        yield
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def export(registry: Registry, out: Path) -> dict[str, Path]:
    """``cid zone export``: zone name -> zone file."""
    assert cli_main(["zone", "export", str(registry.path), "-o", str(out), "--now", str(NOW)]) == 0
    files = {p.stem: p for p in out.glob("*.zone")}
    assert set(files) == set(registry.zones)
    return files


def anchor_for(registry: Registry, port: int) -> TrustAnchor:
    return TrustAnchor.from_json(registry.anchor(), port=port)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return write_demo(tmp_path_factory.mktemp("demo") / "registry", now=NOW)


@pytest.fixture(scope="module")
def zone_files(demo: Registry, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return export(demo, tmp_path_factory.mktemp("zones"))


@pytest.fixture(scope="module", params=["cid-serve", "knot", "nsd"])
def authority(
    request: pytest.FixtureRequest,
    demo: Registry,
    zone_files: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[int]:
    """The port of one server holding every demo zone, on 127.0.0.1."""
    if request.param == "cid-serve":
        port = free_port()
        log = tmp_path_factory.mktemp("serve") / "stderr.log"
        with cid_serve(demo.path, "127.0.0.1", port, log):
            yield port
        return
    cls: type[DnsServer] = KnotServer if request.param == "knot" else NsdServer
    with cls(zone_files) as server:
        yield server.port


@pytest.fixture(scope="module")
def unbound(authority: int) -> Iterator[UnboundServer]:
    with UnboundServer({DEMO_ROOT: [("127.0.0.1", authority)]}) as server:
        yield server


@dataclass(frozen=True, slots=True)
class Setup:
    """How to reach the demo: its trust anchor, and a forwarder or None (iterate)."""

    anchor: TrustAnchor
    forwarder: Server | None

    def resolver(self) -> Resolver:
        return Resolver(self.anchor, forwarder=self.forwarder)

    def async_resolver(self) -> AsyncResolver:
        return AsyncResolver(self.anchor, forwarder=self.forwarder)


@pytest.fixture(params=["iterating", "forwarding"])
def setup(request: pytest.FixtureRequest, demo: Registry, authority: int) -> Setup:
    forwarder = None
    if request.param == "forwarding":
        forwarder = ("127.0.0.1", request.getfixturevalue("unbound").port)
    return Setup(anchor_for(demo, authority), forwarder)


# ---------------------------------------------------------------------------
# One server holding every zone, asked directly or through Unbound
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("want", PUBLISHED, ids=IDS)
def test_resolves_to_the_published_endpoints(setup: Setup, demo: Registry, want: Published) -> None:
    r = setup.resolver()
    found = r.resolve(want.text, trace=True)
    check(found, want, demo)
    assert not found.from_cache
    # No referral: the zones below the anchor were found through __deleg records,
    # one answered probe per zone.
    assert not any("referral" in line for line in r.last_trace)
    probes = [line for line in r.last_trace if ".__deleg." in line and ": answer," in line]
    assert len(probes) == len(found.chain) - 1
    if setup.forwarder is not None:
        assert queried(r.last_trace) == {setup.forwarder[0]}
        assert f"#{setup.forwarder[1]} " in r.last_trace[0]
    again = r.resolve(want.text)
    assert again.from_cache
    assert again.descriptor == found.descriptor


@pytest.mark.parametrize(("text", "outcome"), MISSING)
def test_missing_names(setup: Setup, text: str, outcome: Outcome) -> None:
    r = setup.resolver()
    with pytest.raises(ResolutionError) as info:
        r.resolve(text)
    assert info.value.outcome is outcome
    assert info.value.name == str(cid.parse(text))
    with pytest.raises(ResolutionError) as again:  # the negative answer is cached
        r.resolve(text, trace=True)
    assert again.value.outcome is outcome
    assert len(r.last_trace) == 1
    assert r.last_trace[0].startswith("[cache]")


@pytest.mark.parametrize(("pattern", "count"), PATTERNS)
def test_find(setup: Setup, demo: Registry, pattern: str, count: int) -> None:
    check_discovery(setup.resolver().find(pattern), pattern, count, demo)


def test_async(setup: Setup, demo: Registry) -> None:
    """Every identifier at once, a search and a missing name, on one event loop."""

    async def main() -> tuple[list[Resolved], Discovery, BaseException | Resolved]:
        r = setup.async_resolver()
        found = await asyncio.gather(*(r.resolve(p.text) for p in PUBLISHED))
        discovery = await r.find("ucid:*.east")
        [missing] = await asyncio.gather(
            r.resolve("ucid:nobody.hpc/cn-tj/x86-64-v3/cpu=1"), return_exceptions=True
        )
        return found, discovery, missing

    found, discovery, missing = asyncio.run(main())
    for result, want in zip(found, PUBLISHED, strict=True):
        check(result, want, demo)
    check_discovery(discovery, "ucid:*.east", 8, demo)
    assert isinstance(missing, ResolutionError)
    assert missing.outcome is Outcome.NOT_FOUND


def test_forwarding_gives_what_iterating_gives(
    demo: Registry, authority: int, unbound: UnboundServer
) -> None:
    anchor = anchor_for(demo, authority)
    iterating = Resolver(anchor)
    forwarding = Resolver(anchor, forwarder=("127.0.0.1", unbound.port))
    for p in PUBLISHED:
        assert essence(forwarding.resolve(p.text)) == essence(iterating.resolve(p.text))
    found, direct = forwarding.find("ucid:*"), iterating.find("ucid:*")
    assert [essence(r) for r in found.results] == [essence(r) for r in direct.results]
    assert (found.complete, found.failures) == (direct.complete, direct.failures)


# ---------------------------------------------------------------------------
# Zones split across servers: real referrals
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layout:
    """Which loopback address serves the zones of each level: root, platforms,
    providers, regions. The servers by address alternate Knot, NSD, Knot..."""

    name: str
    addresses: tuple[str, str, str, str]

    def address(self, registry: Registry, zone: str) -> str:
        return self.addresses[len(chain_of(registry, zone)) - 1]


BY_LEVEL = Layout("by-level", ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"))
# What an operator of a national root may well do: the root and platforms (and a
# provider's delegated region) on one server, the providers on another.
SHARED = Layout("shared", ("127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.1"))


def usable_port(addresses: Sequence[str]) -> int:
    """A port free for UDP and TCP on every address; skips (or fails, when real DNS
    is required) if an address such as 127.0.0.2 cannot be bound at all."""
    for address in addresses:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.bind((address, 0))
        except OSError as exc:
            message = f"cannot bind {address}: {exc}"
            if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
                pytest.fail(message)
            pytest.skip(message)
    for _ in range(50):
        port = free_port(addresses[0])
        try:
            for address in addresses[1:]:
                with (
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
                ):
                    tcp.bind((address, port))
                    udp.bind((address, port))
        except OSError:
            continue
        return port
    raise OSError(f"no port free on all of {addresses}")


def split_registry(demo: Registry, layout: Layout, path: Path) -> Registry:
    """The demo (same zones, keys and sources), each zone's name server at its
    layout address."""
    registry = Registry.create(path, demo.root)
    for cfg in demo.top_down():
        address = layout.address(demo, cfg.name)
        registry.add_zone(
            cfg.name,
            cfg.parent,
            [NameServer(f"ns1.{cfg.name}", (address,))],
            demo.signing_key(cfg.name),
        )
        for source in sorted((demo.path / "zones" / cfg.name / "sources").glob("*.json")):
            spec = json.loads(source.read_text())
            del spec["issuer"]
            registry.add_source(cfg.name, source.stem, spec)
    registry.build(now=NOW)
    return registry


@dataclass(frozen=True, slots=True)
class Split:
    layout: Layout
    software: str
    registry: Registry
    port: int


@pytest.fixture(scope="module")
def split(
    request: pytest.FixtureRequest, demo: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Split]:
    layout, software = request.param
    tmp = tmp_path_factory.mktemp(f"{layout.name}-{software}")
    registry = split_registry(demo, layout, tmp / "registry")
    by_address: dict[str, list[str]] = {}
    for zone in registry.zones:
        by_address.setdefault(layout.address(registry, zone), []).append(zone)
    port = usable_port(sorted(by_address))
    files = export(registry, tmp / "zones") if software == "knot+nsd" else {}
    with contextlib.ExitStack() as servers:
        for i, (address, zones) in enumerate(sorted(by_address.items())):
            if software == "cid-serve":
                log = tmp / f"{address}.log"
                servers.enter_context(cid_serve(registry.path, address, port, log, zones))
            else:
                cls: type[DnsServer] = NsdServer if i % 2 else KnotServer
                servers.enter_context(cls({z: files[z] for z in zones}, address, port))
        yield Split(layout, software, registry, port)


SPLITS = [
    pytest.param((layout, software), id=f"{layout.name}-{software}")
    for layout in (BY_LEVEL, SHARED)
    for software in ("knot+nsd", "cid-serve")
]


@pytest.mark.parametrize("split", SPLITS, indirect=True)
@pytest.mark.parametrize("want", PUBLISHED, ids=IDS)
def test_referrals_between_servers(split: Split, want: Published) -> None:
    r = Resolver(anchor_for(split.registry, split.port))
    found = r.resolve(want.text, trace=True)
    check(found, want, split.registry)
    referrals = [line for line in r.last_trace if ": referral to " in line]
    if split.layout is BY_LEVEL:  # no server holds a zone and its child
        assert len(referrals) == len(found.chain) - 1
        assert queried(r.last_trace) == {
            split.layout.address(split.registry, zone) for zone in found.chain
        }
        # cid serve adds the child's delegation record to a referral; Knot and NSD
        # do not, so the resolver asks for it: both paths are taken.
        riding = [line for line in referrals if line.endswith(" with delegation record")]
        assert len(riding) == (len(referrals) if split.software == "cid-serve" else 0)
    else:
        assert referrals


@pytest.mark.parametrize("split", SPLITS[:2], indirect=True)
def test_find_across_servers(split: Split) -> None:
    r = Resolver(anchor_for(split.registry, split.port))
    check_discovery(r.find("ucid:*"), "ucid:*", 13, split.registry)


@pytest.mark.parametrize("split", SPLITS[:2], indirect=True)
@pytest.mark.parametrize(
    ("text", "outcome", "zone"),
    [
        pytest.param(
            "ucid:nobody.hpc/cn-tj/x86-64-v3/cpu=1",
            Outcome.NOT_FOUND,
            "hpc.ucid.example",
            id="no-provider",
        ),
        pytest.param(
            "ucid:sugon.hpc/cn-tj/x86-64-v3",
            Outcome.NO_LIVE_ENDPOINTS,
            "sugon.hpc.ucid.example",
            id="arch-node",
        ),
        pytest.param(
            "ucid:ctyun.east/cn-sh/rva23u64/cpu=1",
            Outcome.NOT_FOUND,
            "_cn-sh.ctyun.east.ucid.example",
            id="region-zone",
        ),
    ],
)
def test_missing_across_servers(split: Split, text: str, outcome: Outcome, zone: str) -> None:
    with pytest.raises(ResolutionError) as info:
        Resolver(anchor_for(split.registry, split.port)).resolve(text)
    assert info.value.outcome is outcome
    assert info.value.step.endswith(f" at {zone}")  # the zone whose servers said so


# ---------------------------------------------------------------------------
# A lying forwarder
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Forgery:
    """A record the lying server serves instead of the published one."""

    kind: str
    source: str  # the demo source whose resolution it targets
    outcome: Outcome
    step: str  # words of the failing step


FORGERIES = [
    Forgery("outside-key", "grace-hopper", Outcome.BOGUS, "verify descriptor of"),
    Forgery("sibling-issuer", "mi300x", Outcome.BOGUS, "verify descriptor of"),
    Forgery(
        "forged-delegation",
        "arm",
        Outcome.BOGUS,
        "verify delegation record of _cn-sh.ctyun.east.ucid.example at ctyun.east",
    ),
    Forgery("expired-replay", "hygon", Outcome.EXPIRED, "verify descriptor of"),
    Forgery("issued-above-cut", "ascend-pool", Outcome.BOGUS, "verify descriptor of"),
]
HONEST = ["h800-pool", "general"]  # untouched, in zones beside the forged records


def _forgery_params() -> list[Any]:
    return [pytest.param(f, id=f.kind) for f in FORGERIES]


def _descriptor_owner(source: str) -> str:
    return cid.parse(BY_SOURCE[source].text).to_dns_name(DEMO_ROOT)


def _zone(path: Path) -> dns.zone.Zone:
    return dns.zone.from_file(str(path), origin=f"{path.stem}.", relativize=False)


def _replace_record(path: Path, owner: str, rdtype: int, data: bytes) -> None:
    """Put ``data`` in place of the one record of type ``rdtype`` at ``owner``."""
    zone = _zone(path)
    kind = dns.rdatatype.RdataType.make(rdtype)
    ttl = zone.find_rdataset(owner, kind).ttl
    rdata = dns.rdata.GenericRdata(dns.rdataclass.IN, kind, data)
    zone.replace_rdataset(owner, dns.rdataset.from_rdata(ttl, rdata))
    zone.to_file(str(path), relativize=False)


def forge(forgery: Forgery, registry: Registry, files: dict[str, Path]) -> tuple[str, int, bytes]:
    """Edit the zone files for ``forgery``; return the forged record (owner, type, data)."""
    zone = BY_SOURCE[forgery.source].zone
    owner = _descriptor_owner(forgery.source)
    [published] = _zone(files[zone]).find_rdataset(owner, TYPE_DESCRIPTOR)
    genuine = cid.verify(
        published.to_digestable(), [demo_key(zone).verify_key], now=NOW, issuer=zone
    )
    newer = dataclasses.replace(
        genuine,
        version=genuine.version + 1,
        endpoints=(cid.Endpoint("tcp", "https", "evil.example", 443),),
    )
    outsider = cid.SigningKey.generate()
    if forgery.kind == "outside-key":  # re-signed by a key no zone delegates to
        record, key = newer, outsider
    elif forgery.kind == "sibling-issuer":  # by another provider, with its real key
        issuer = "sugon.hpc.ucid.example"
        record, key = dataclasses.replace(newer, issuer=issuer), demo_key(issuer)
    elif forgery.kind == "issued-above-cut":  # by the platform above the provider
        issuer = "east.ucid.example"
        record, key = dataclasses.replace(newer, issuer=issuer), demo_key(issuer)
    elif forgery.kind == "expired-replay":  # a genuinely signed record, long expired
        past = NOW - 10 * 86400
        record = dataclasses.replace(genuine, issued_at=past, not_before=past, expires=NOW - 86400)
        key = demo_key(zone)
    else:
        assert forgery.kind == "forged-delegation"  # the region zone handed to an outsider
        record, key = newer, outsider
    data = cid.sign(record, key)
    _replace_record(files[zone], owner, TYPE_DESCRIPTOR, data)
    if forgery.kind != "forged-delegation":
        return owner, TYPE_DESCRIPTOR, data
    parent = registry.zones[zone].parent
    assert parent is not None
    delegation = cid.Delegation(parent, zone, (outsider.verify_key,), 2, NOW, NOW, NOW + 86400)
    data = cid.sign(delegation, outsider)
    owner = delegation_owner(dns.name.from_text(zone), dns.name.from_text(parent)).to_text()
    _replace_record(files[parent], owner, TYPE_DELEGATION, data)
    return owner, TYPE_DELEGATION, data


@dataclass(frozen=True, slots=True)
class Liar:
    anchor: TrustAnchor  # its port is the lying Knot's
    unbound: Server
    forged: dict[str, tuple[str, int, bytes]]


@pytest.fixture(scope="module")
def liar(
    demo: Registry, zone_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Liar]:
    """Knot serving the demo with every forgery of FORGERIES in place, and Unbound
    resolving through it."""
    folder = tmp_path_factory.mktemp("forged")
    files = {zone: Path(shutil.copy(path, folder / path.name)) for zone, path in zone_files.items()}
    forged = {f.kind: forge(f, demo, files) for f in FORGERIES}
    with (
        KnotServer(files) as knot,
        UnboundServer({DEMO_ROOT: [("127.0.0.1", knot.port)]}) as unbound,
    ):
        yield Liar(anchor_for(demo, knot.port), ("127.0.0.1", unbound.port), forged)


def _recursive(server: Server, owner: str, rdtype: int) -> list[bytes]:
    query = dns.message.make_query(
        owner, dns.rdatatype.RdataType.make(rdtype), use_edns=0, payload=1232
    )
    query.flags |= dns.flags.RD
    reply = dns.query.tcp(query, server[0], port=server[1], timeout=2)
    assert reply.rcode() == dns.rcode.NOERROR
    return [rd.to_digestable() for rrset in reply.answer for rd in rrset]


@pytest.mark.parametrize("forgery", _forgery_params())
def test_a_lying_forwarder_cannot_forge(liar: Liar, forgery: Forgery) -> None:
    owner, rdtype, data = liar.forged[forgery.kind]
    assert _recursive(liar.unbound, owner, rdtype) == [data]  # Unbound passes the lie on
    text = BY_SOURCE[forgery.source].text
    for forwarder in (liar.unbound, None):  # through Unbound, or asking the liar directly
        r = Resolver(liar.anchor, forwarder=forwarder)
        for _ in range(2):  # nothing of the lie was cached
            with pytest.raises(ResolutionError) as info:
                r.resolve(text)
            assert info.value.outcome is forgery.outcome, str(info.value)
            assert forgery.step in info.value.step, str(info.value)


@pytest.mark.parametrize("source", HONEST)
def test_the_lying_forwarder_still_serves_true_records(
    liar: Liar, demo: Registry, source: str
) -> None:
    found = Resolver(liar.anchor, forwarder=liar.unbound).resolve(BY_SOURCE[source].text)
    check(found, BY_SOURCE[source], demo)
