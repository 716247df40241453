"""The fixtures of the resolution area: hierarchies of zones, who serves them, how.

Every fixture is written under ``conformance/fixtures/<name>/`` as
``fixture.json`` (the manifest: the anchor, the zones and their files, the
servers with their addresses and behaviours, the forwarder, the zones for
server mode) and the zone files that no earlier fixture wrote with the same
content (a manifest names each zone's file by its path under ``fixtures/``,
so honest zones are written once and shared). ``fixtures/README.md`` says how
to serve them.

Addresses are fixed (127.53.x.y): referrals carry no ports, so every server of a
fixture listens on one port, each on its own loopback address. The runner
serves one fixture at a time on the same addresses and port (a multi-step case
changes the fixture between steps, as a publisher changes its zones).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype

import cid
from cid.layout import TYPE_DESCRIPTOR

from ._resolution_world import (
    ATTACKER,
    DAY,
    ROOT,
    T0,
    DescriptorDef,
    World,
    ZoneDef,
    Zones,
    delegation_owner,
    descriptor_owner,
    zone_key,
)

__all__ = [
    "ADDR",
    "ALL_ZONES",
    "FORWARDER",
    "HONEST_IDS",
    "LAME_POOL",
    "Fixture",
    "Rule",
    "Server",
    "fixtures",
    "honest_world",
    "ident",
    "mi_v3",
    "render",
]

# ------------------------------------------------------------------ the hierarchy

HPC: Final = f"hpc.{ROOT}"
ACME: Final = f"acme.{HPC}"
DEBY: Final = f"_de-by.{ACME}"  # a delegated region
ARCH: Final = f"_x86-64-v4.{DEBY}"  # a delegated architecture node: depth 4
SUGON: Final = f"sugon.{HPC}"
EAST: Final = f"east.{ROOT}"
CTYUN: Final = f"ctyun.{EAST}"
CNSH: Final = f"_cn-sh.{CTYUN}"
CMCC: Final = f"xn--fiq02ib9d179b.{EAST}"  # 中国移动.east
MANY: Final = f"many.{ROOT}"  # served by LAME_POOL only (fixture many-servers)

ADDR: Final = {
    ROOT: "127.53.0.1",
    HPC: "127.53.0.2",
    ACME: "127.53.0.3",
    "acme2": "127.53.0.8",  # the second server of ACME
    DEBY: "127.53.0.4",
    ARCH: "127.53.0.5",
    EAST: "127.53.0.6",  # holds EAST, CTYUN and CNSH: no referrals between them
    CMCC: "127.53.0.7",
    SUGON: "127.53.0.9",
}
#: A server that holds every zone of a fixture and answers as a recursive resolver.
FORWARDER: Final = "127.53.0.250"
#: The address a hostile referral sends the resolver to (it serves nothing).
ELSEWHERE: Final = "127.53.0.66"
#: Fifty servers of ``many.ucid.example`` (fixture many-servers).
LAME_POOL: Final = tuple(f"127.53.1.{i}" for i in range(1, 51))


def _ns(zone: str, address: str, label: str = "ns1") -> tuple[str, str]:
    return (f"{label}.{zone}", address)


def _ep(host: str, port: int = 443, **more: Any) -> dict[str, Any]:
    return {"transport": "tcp", "protocol": "https", "host": host, "port": port, **more}


def ident(text: str) -> str:
    """The canonical form of an identifier."""
    return str(cid.parse(text))


# The identifiers of the honest hierarchy, by a short name.
HONEST_IDS: Final = {
    "solo": ident("ucid:solo/us/x86-64"),  # published by the root: chain of one zone
    "tiny": ident("ucid:tiny.hpc/fr/aarch64/cpu=4"),  # by a platform, depth 1
    "mi": ident("ucid:acme.hpc/us-ca/x86-64-v4+gfx942/acc=8;mem=2TiB"),  # depth 2
    "mi-cpu": ident("ucid:acme.hpc/us-ca/x86-64-v3/cpu=64"),
    "mi-bare": ident("ucid:acme.hpc/us-ca/x86-64-v3"),  # no capabilities: at its arch node
    "gh": ident("ucid:acme.hpc/de-by/neoverse-v2+sm90/acc=4;mem=480GiB"),  # region zone, depth 3
    "arch": ident("ucid:acme.hpc/de-by/x86-64-v4/cpu=192"),  # arch zone, depth 4
    "arch-apex": ident("ucid:acme.hpc/de-by/x86-64-v4"),  # at the apex of the arch zone
    "sugon": ident("ucid:sugon.hpc/cn-tj/x86-64-v3/cpu=128;net=roce2;sriov"),
    "sugon-16": ident("ucid:sugon.hpc/cn-tj/x86-64-v3/cpu=64"),  # sixteen endpoints
    "js": ident("ucid:ctyun.east/cn-js/x86-64-v3/cpu=64;mem=256GiB"),  # probed: shared server
    "sh": ident("ucid:ctyun.east/cn-sh/neoverse-n2/cpu=128;mem=512GiB"),  # probed two levels
    "cmcc": ident("ucid:中国移动.east/cn-gd/x86-64-v4+sm90/acc=8;acc-model=h800"),
}


def _sixteen() -> tuple[dict[str, Any], ...]:
    return tuple(
        _ep(f"s{i:x}.sg.example", 8000 + i, priority=1 + i % 4, weight=i % 3) for i in range(16)
    )


def _zones() -> list[ZoneDef]:
    return [
        ZoneDef(ROOT, None, (_ns(ROOT, ADDR[ROOT]),)),
        ZoneDef(HPC, ROOT, (_ns(HPC, ADDR[HPC]),)),
        ZoneDef(ACME, HPC, (_ns(ACME, ADDR[ACME]), _ns(ACME, ADDR["acme2"], "ns2"))),
        ZoneDef(DEBY, ACME, (_ns(DEBY, ADDR[DEBY]),)),
        ZoneDef(ARCH, DEBY, (_ns(ARCH, ADDR[ARCH]),)),
        ZoneDef(SUGON, HPC, (_ns(SUGON, ADDR[SUGON]),)),
        ZoneDef(EAST, ROOT, (_ns(EAST, ADDR[EAST]),)),
        ZoneDef(CTYUN, EAST, (_ns(CTYUN, ADDR[EAST]),)),
        ZoneDef(CNSH, CTYUN, (_ns(CNSH, ADDR[EAST]),)),
        ZoneDef(CMCC, EAST, (_ns(CMCC, ADDR[CMCC]),)),
    ]


ALL_ZONES: Final = tuple(z.name for z in _zones())


def _descriptors() -> list[DescriptorDef]:
    i = HONEST_IDS
    return [
        DescriptorDef(ROOT, i["solo"], (_ep("solo.example"),)),
        DescriptorDef(HPC, i["tiny"], (_ep("tiny.example", 8443, alpn=["h2"]),)),
        DescriptorDef(
            ACME,
            i["mi"],
            (
                _ep("mi1.acme.example", priority=1, weight=70, alpn=["h2", "http/1.1"]),
                _ep("mi2.acme.example", priority=1, weight=30),
                {**_ep("192.0.2.44", 4433, priority=2, weight=1), "transport": "quic"},
            ),
            version=2,
        ),
        DescriptorDef(ACME, i["mi-cpu"], (_ep("cpu.acme.example", region="us-ca"),)),
        DescriptorDef(ACME, i["mi-bare"], (_ep("bare.acme.example", 9443),)),
        DescriptorDef(
            DEBY,
            i["gh"],
            (
                _ep("gh1.acme.example", priority=10),
                {**_ep("2001:db8::44", 4433, priority=5, alpn=["h3"]), "transport": "quic"},
            ),
        ),
        DescriptorDef(ARCH, i["arch"], (_ep("v4.acme.example", priority=3),)),
        DescriptorDef(ARCH, i["arch-apex"], (_ep("apex.acme.example"),)),
        DescriptorDef(
            SUGON,
            i["sugon"],
            (
                _ep("tj.sugon.example", priority=2),
                {**_ep("192.0.2.10", 7000, priority=1), "protocol": "ucid-rpc", "transport": "udp"},
                _ep("tj3.sugon.example", priority=3, weight=5, region="cn-tj"),
            ),
            version=7,
        ),
        DescriptorDef(SUGON, i["sugon-16"], _sixteen()),
        DescriptorDef(CTYUN, i["js"], (_ep("js.ctyun.example"),)),
        DescriptorDef(CNSH, i["sh"], (_ep("sh.ctyun.example", alpn=["h2", "http/1.1"]),)),
        DescriptorDef(
            CMCC,
            i["cmcc"],
            (
                _ep("gpu-gz.cmcc.example", weight=70, alpn=["h2"]),
                _ep("gpu-gz2.cmcc.example", weight=30, alpn=["h2"]),
                _ep("198.51.100.10", 8443, priority=2, alpn=["h2"]),
            ),
        ),
    ]


def honest_world(**changes: Any) -> World:
    world = World(_zones(), _descriptors())
    for name, value in changes.items():
        setattr(world, name, value)
    return world


# ------------------------------------------------------------------ behaviours and servers


@dataclass(frozen=True)
class Rule:
    """One behaviour rule of a server: when a query matches ``when`` (all given members
    equal: ``qtype`` as a type mnemonic, ``qname`` absolute and lowercase, ``tcp``), do
    ``do`` with ``args``. The first matching rule decides; no match is honest."""

    do: str
    when: Mapping[str, Any] = field(default_factory=dict)
    args: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"when": dict(self.when), "do": self.do, **dict(self.args)}


@dataclass(frozen=True)
class Server:
    address: str
    zones: tuple[str, ...]
    rules: tuple[Rule, ...] = ()


@dataclass
class Fixture:
    """A fixture: zones (built by ``make``), servers, behaviours, and a description."""

    name: str
    description: str
    make: Callable[[], Zones]
    servers: list[Server]
    forwarder_rules: tuple[Rule, ...] = ()
    server_mode: tuple[str, ...] = ()


def _honest_servers(rules: Mapping[str, tuple[Rule, ...]] | None = None) -> list[Server]:
    """One server per address of the honest hierarchy, each with ``rules[address]``."""
    rules = rules or {}
    by_address: dict[str, list[str]] = {}
    for z in _zones():
        for _, address in z.servers:
            by_address.setdefault(address, []).append(z.name)
    return [Server(a, tuple(zs), tuple(rules.get(a, ()))) for a, zs in by_address.items()]


def _honest() -> Zones:
    return honest_world().assemble()


def _edit(
    edit: Callable[[World, Zones], object], world: Callable[[], World] = honest_world
) -> Callable[[], Zones]:
    def make() -> Zones:
        w = world()
        zones = w.assemble()
        edit(w, zones)
        return zones

    return make


def _world(**changes: Any) -> Callable[[], Zones]:
    return lambda: honest_world(**changes).assemble()


def _with_descriptor(name: str, **changes: Any) -> Callable[[], World]:
    """The honest world with descriptor ``name`` changed (version, endpoints, times)."""

    def world() -> World:
        w = honest_world()
        w.descriptors = [
            (
                DescriptorDef(**{**d.__dict__, **changes})
                if str(cid.parse(d.subject)) == HONEST_IDS[name]
                else d
            )
            for d in w.descriptors
        ]
        return w

    return world


def _rules(addresses: tuple[str, ...], *rs: Rule) -> dict[str, tuple[Rule, ...]]:
    return {a: rs for a in addresses}


ACME_SERVERS: Final = (ADDR[ACME], ADDR["acme2"])
IDS = HONEST_IDS


def _many_world() -> World:
    w = honest_world()
    # Long names: the NS RRset alone exceeds 1232 octets, so the referral comes over TCP
    # with every glue record (over UDP a server may leave glue out without TC).
    servers = tuple(
        (f"ns{i:02d}-one-of-fifty-lame-servers.{MANY}", a) for i, a in enumerate(LAME_POOL, 1)
    )
    w.zones = [*w.zones, ZoneDef(MANY, ROOT, servers)]
    w.descriptors = [
        *w.descriptors,
        DescriptorDef(MANY, ident("ucid:many/us/x86-64"), (_ep("many.example"),)),
    ]
    return w


def fixtures() -> list[Fixture]:
    """Every fixture, in the order they are written."""
    out: list[Fixture] = []

    def add(name: str, description: str, make: Callable[[], Zones], **more: Any) -> None:
        servers = more.pop("servers", None) or _honest_servers(more.pop("rules", None))
        out.append(Fixture(name, description, make, servers, **more))

    # --- honest
    add(
        "honest",
        "The honest hierarchy: the root, two platforms, providers, a delegated region "
        "(_de-by.acme.hpc) and below it a delegated architecture node (depth 4), a Unicode "
        "provider (中国移动.east), several endpoints and priorities; ACME has two servers; "
        "EAST, CTYUN and _cn-sh.CTYUN share one server (no referrals between them: probing).",
        _honest,
        server_mode=(ROOT, ACME, CTYUN, CNSH, SUGON),
    )
    add(
        "one-server",
        "The honest hierarchy with every zone on the root's server: the answer comes at "
        "once and the chain is found by probing (spec §12.6).",
        _honest,
        servers=[Server(ADDR[ROOT], ALL_ZONES)],
    )
    # --- broken publishers (records in the zones)
    add(
        "expired-descriptor",
        f"{ACME} serves the descriptor of {IDS['mi']} that expired a day before T0 "
        "(a copy assembled before its exp and never re-assembled).",
        _edit(
            lambda w, z: z.put_descriptor(
                IDS["mi"],
                w.signed(
                    IDS["mi"], issued_at=T0 - 8 * DAY, not_before=T0 - 8 * DAY, expires=T0 - DAY
                ),
            )
        ),
    )
    add(
        "future-descriptor",
        f"{ACME} serves a descriptor of {IDS['mi']} valid only from T0 plus a day.",
        _edit(
            lambda w, z: z.put_descriptor(
                IDS["mi"],
                w.signed(IDS["mi"], issued_at=T0 + DAY, not_before=T0 + DAY, expires=T0 + 3 * DAY),
            )
        ),
    )
    add(
        "expired-delegation",
        f"{HPC} serves the delegation record of {ACME} that expired a day before T0.",
        _edit(
            lambda w, z: z.put_delegation(
                ACME,
                HPC,
                w.signed_delegation(
                    ACME, issued_at=T0 - 30 * DAY, not_before=T0 - 30 * DAY, expires=T0 - DAY
                ),
            )
        ),
    )
    add(
        "future-delegation",
        f"{DEBY}'s delegation record, served by {ACME}, is valid only from T0 plus a day.",
        _edit(
            lambda w, z: z.put_delegation(
                DEBY,
                ACME,
                w.signed_delegation(
                    DEBY, issued_at=T0 + DAY, not_before=T0 + DAY, expires=T0 + 30 * DAY
                ),
            )
        ),
    )
    add(
        "delegation-wrong-key",
        f"The delegation record of {ACME} in {HPC} is signed by a key {HPC} does not have.",
        _edit(lambda w, z: z.put_delegation(ACME, HPC, w.signed_delegation(ACME, ATTACKER))),
    )
    add(
        "delegation-lists-attacker",
        f"The delegation record of {ACME}, properly signed by {HPC}, lists only a key that "
        f"{ACME} does not sign with: {ACME}'s descriptors do not verify.",
        _edit(
            lambda w, z: z.put_delegation(
                ACME, HPC, w.signed_delegation(ACME, keys=(ATTACKER.verify_key,))
            )
        ),
    )
    add(
        "delegation-wrong-child",
        f"At the delegation owner of {ACME}, {HPC} serves its (valid) delegation record of "
        f"{SUGON}.",
        _edit(lambda w, z: z.put_delegation(ACME, HPC, w.signed_delegation(SUGON))),
    )
    add(
        "delegation-two-records",
        f"The delegation owner of {ACME} holds two TYPE65281 records (both valid).",
        _edit(
            lambda w, z: z.put_delegation(
                ACME, HPC, w.signed_delegation(ACME), w.signed_delegation(ACME, version=2)
            )
        ),
    )
    add(
        "delegation-corrupt",
        f"The delegation record of {ACME} has one bit of its signature flipped.",
        _edit(lambda w, z: z.put_delegation(ACME, HPC, _flip(w.signed_delegation(ACME)))),
    )
    add(
        "missing-delegation",
        f"{HPC} has the NS records and glue of the cut {ACME} but no delegation record "
        "(an unsigned delegation).",
        _edit(lambda w, z: z.drop(delegation_owner(ACME, HPC), 65281)),
    )
    add(
        "missing-delegation-shared",
        f"{EAST}'s server also holds {CTYUN}, so there is no referral; {EAST} publishes no "
        f"delegation record for {CTYUN}: probing finds none.",
        _edit(lambda w, z: z.drop(delegation_owner(CTYUN, EAST), 65281)),
    )
    add(
        "issuer-outside-chain",
        f"{ACME} serves, at the name of {IDS['mi']}, a descriptor issued and signed by the "
        f"sibling zone {SUGON}.",
        _edit(
            lambda w, z: z.put_descriptor(
                IDS["mi"], w.signed(IDS["mi"], zone_key(SUGON), issuer=SUGON)
            )
        ),
    )
    add(
        "issuer-above-zone",
        f"{ACME} serves, at the name of {IDS['mi']}, a descriptor issued and signed by its "
        f"parent {HPC}: the issuer is above the zone that answered.",
        _edit(
            lambda w, z: z.put_descriptor(IDS["mi"], w.signed(IDS["mi"], zone_key(HPC), issuer=HPC))
        ),
    )
    add(
        "descriptor-wrong-key",
        f"{ACME} serves a descriptor of {IDS['mi']} with issuer {ACME} signed by a key it does "
        "not have.",
        _edit(lambda w, z: z.put_descriptor(IDS["mi"], w.signed(IDS["mi"], ATTACKER))),
    )
    add(
        "descriptor-corrupt",
        f"The descriptor of {IDS['mi']} has one bit of its signature flipped.",
        _edit(lambda w, z: z.put_descriptor(IDS["mi"], _flip(w.signed(IDS["mi"])))),
    )
    add(
        "descriptor-wrong-subject",
        f"At the name of {IDS['mi']}, {ACME} serves its (valid) descriptor of {IDS['mi-cpu']}.",
        _edit(lambda w, z: z.put_descriptor(IDS["mi"], w.signed(IDS["mi-cpu"]))),
    )
    add(
        "descriptor-two-records",
        f"The name of {IDS['mi']} holds two TYPE65280 records, both valid.",
        _edit(
            lambda w, z: z.put_descriptor(
                IDS["mi"], w.signed(IDS["mi"]), w.signed(IDS["mi"], version=3)
            )
        ),
    )
    add(
        "descriptor-critical",
        f"The descriptor of {IDS['mi']} names an unknown extension as critical.",
        _edit(
            lambda w, z: z.put_descriptor(
                IDS["mi"], w.signed(IDS["mi"], ext={"x-unknown": 1}, crit=("x-unknown",))
            )
        ),
    )
    add(
        "descriptor-garbage",
        f"The TYPE65280 record of {IDS['mi']} is not a COSE_Sign1 message.",
        _edit(lambda w, z: z.put_descriptor(IDS["mi"], b"\xd2\x84not a descriptor")),
    )
    add(
        "descriptor-only-mirrors",
        f"The name of {IDS['mi']} keeps its SVCB and TXT records but lost its TYPE65280 "
        "record: the name exists without a descriptor.",
        _edit(lambda w, z: z.drop(descriptor_owner(IDS["mi"]), TYPE_DESCRIPTOR)),
    )
    add(
        "descriptor-above-cut",
        f"One server holds every zone but {DEBY} and {ARCH}. {ACME} still publishes the "
        f"delegation record of {DEBY} but no NS records at the cut, and serves at the name "
        f"of {IDS['gh']}, below that cut, a descriptor that {ACME} signed: the answer comes "
        "without a referral, and only probing the nodes below the issuer shows the cut.",
        _edit(_above_cut),
        servers=[Server(ADDR[ROOT], tuple(x for x in ALL_ZONES if x not in (DEBY, ARCH)))],
    )
    # --- records that changed: for steps
    add(
        "mi-v3",
        f"As honest, but {ACME} publishes version 3 of {IDS['mi']} with other endpoints "
        "(assembled at T0 + 2 h).",
        lambda: _assembled_at(mi_v3, T0 + 7200),
    )
    add(
        "mi-v1-replay",
        f"{ACME} serves an older but unexpired version 1 of {IDS['mi']} (a replay).",
        _edit(lambda w, z: z.put_descriptor(IDS["mi"], w.signed(IDS["mi"], version=1))),
    )
    add(
        "mi-v2-other",
        f"{ACME} serves version 2 of {IDS['mi']} again, with other endpoints (two statements "
        "under one version).",
        _edit(
            lambda w, z: z.put_descriptor(
                IDS["mi"],
                w.signed(IDS["mi"], endpoints=(cid.Endpoint("tcp", "https", "evil.example", 443),)),
            )
        ),
    )
    add(
        "acme-delegation-v2",
        f"{HPC} publishes version 2 of the delegation record of {ACME} (same keys).",
        _world(delegation_changes={ACME: {"version": 2}}),
    )
    add(
        "acme-delegation-v1-replay",
        f"{HPC} serves version 1 of the delegation record of {ACME} again.",
        _honest,
    )
    add(
        "mi-gone",
        f"{ACME} no longer publishes {IDS['mi']} (its file was deleted; assembled at T0 + 2 h).",
        lambda: _assembled_at(lambda: _without(honest_world(), IDS["mi"]), T0 + 7200),
    )
    # --- hostile servers (behaviours); the zones are honest
    hostile: list[tuple[str, str, dict[str, tuple[Rule, ...]], tuple[Rule, ...]]] = [
        (
            "silent-acme",
            f"Both servers of {ACME} never answer.",
            _rules(ACME_SERVERS, Rule("silent")),
            (),
        ),
        (
            "silent-root",
            "The root's server never answers.",
            _rules((ADDR[ROOT],), Rule("silent")),
            (),
        ),
        (
            "silent-one-acme",
            f"ns1 of {ACME} never answers; ns2 is honest.",
            _rules((ADDR[ACME],), Rule("silent")),
            (),
        ),
        (
            "silent-delegation",
            f"{HPC}'s server never answers TYPE65281 questions (the probe "
            "for a delegation record of a referral that lacks one).",
            _rules(
                (ADDR[HPC],), Rule("silent", when={"qtype": "TYPE65281"}), Rule("strip-delegation")
            ),
            (),
        ),
        (
            "truncate-acme",
            f"Both servers of {ACME} truncate every UDP response (TC, question "
            "only); over TCP they answer.",
            _rules(ACME_SERVERS, Rule("truncate")),
            (),
        ),
        (
            "truncate-acme-tcp",
            f"Both servers of {ACME} set TC over UDP and over TCP.",
            _rules(ACME_SERVERS, Rule("truncate", args={"tcp": True})),
            (),
        ),
        (
            "wrong-id-acme",
            f"Both servers of {ACME} answer with another query id, only.",
            _rules(ACME_SERVERS, Rule("wrong-id")),
            (),
        ),
        (
            "wrong-id-race-acme",
            f"Both servers of {ACME} send a copy with a wrong id, then the answer.",
            _rules(ACME_SERVERS, Rule("wrong-id-then-right")),
            (),
        ),
        (
            "refused-acme",
            f"Both servers of {ACME} answer REFUSED.",
            _rules(ACME_SERVERS, Rule("rcode", args={"rcode": "REFUSED"})),
            (),
        ),
        (
            "notauth-hpc",
            f"{HPC}'s server answers NOTAUTH.",
            _rules((ADDR[HPC],), Rule("rcode", args={"rcode": "NOTAUTH"})),
            (),
        ),
        (
            "servfail-acme",
            f"Both servers of {ACME} answer SERVFAIL.",
            _rules(ACME_SERVERS, Rule("rcode", args={"rcode": "SERVFAIL"})),
            (),
        ),
        (
            "formerr-acme",
            f"Both servers of {ACME} answer FORMERR.",
            _rules(ACME_SERVERS, Rule("rcode", args={"rcode": "FORMERR"})),
            (),
        ),
        (
            "servfail-root",
            "The root's server answers SERVFAIL.",
            _rules((ADDR[ROOT],), Rule("rcode", args={"rcode": "SERVFAIL"})),
            (),
        ),
        (
            "refused-and-servfail",
            f"ns1 of {ACME} answers REFUSED, ns2 SERVFAIL.",
            {
                ADDR[ACME]: (Rule("rcode", args={"rcode": "REFUSED"}),),
                ADDR["acme2"]: (Rule("rcode", args={"rcode": "SERVFAIL"}),),
            },
            (),
        ),
        (
            "loop-and-silent",
            f"ns1 of {ACME} refers back up to {HPC}; ns2 never answers.",
            {
                ADDR[ACME]: (
                    Rule("refer", args={"cut": HPC, "ns": f"ns1.{HPC}", "glue": ADDR[HPC]}),
                ),
                ADDR["acme2"]: (Rule("silent"),),
            },
            (),
        ),
        (
            "not-authoritative-acme",
            f"Both servers of {ACME} answer with AA clear.",
            _rules(ACME_SERVERS, Rule("clear-aa")),
            (),
        ),
        (
            "unasked-acme",
            f"Both servers of {ACME} add an unasked A record to the answer section.",
            _rules(ACME_SERVERS, Rule("unasked")),
            (),
        ),
        (
            "wrong-question-acme",
            f"Both servers of {ACME} answer another question.",
            _rules(ACME_SERVERS, Rule("wrong-question")),
            (),
        ),
        (
            "malformed-acme",
            f"Both servers of {ACME} send a message whose answer section is junk.",
            _rules(ACME_SERVERS, Rule("malformed")),
            (),
        ),
        (
            "nxdomain-no-aa",
            f"Both servers of {ACME} deny every name with NXDOMAIN and its SOA, AA clear.",
            _rules(ACME_SERVERS, Rule("nxdomain", args={"soa": ACME, "aa": False})),
            (),
        ),
        (
            "nxdomain-no-soa",
            f"Both servers of {ACME} deny every name with NXDOMAIN, AA set, no SOA.",
            _rules(ACME_SERVERS, Rule("nxdomain", args={"soa": None, "aa": True})),
            (),
        ),
        (
            "nxdomain-wrong-soa",
            f"Both servers of {ACME} deny with NXDOMAIN and the SOA of {EAST}.",
            _rules(ACME_SERVERS, Rule("nxdomain", args={"soa": EAST, "aa": True})),
            (),
        ),
        (
            "nxdomain-forged",
            f"Both servers of {ACME} deny every TYPE65280 name with NXDOMAIN, "
            "AA and their SOA (a forged denial: unauthenticated, believed).",
            _rules(
                ACME_SERVERS,
                Rule("nxdomain", when={"qtype": "TYPE65280"}, args={"soa": ACME, "aa": True}),
            ),
            (),
        ),
        (
            "nodata-forged",
            f"Both servers of {ACME} answer NODATA with AA and their SOA for every TYPE65280 name.",
            _rules(
                ACME_SERVERS,
                Rule("nodata", when={"qtype": "TYPE65280"}, args={"soa": ACME, "aa": True}),
            ),
            (),
        ),
        (
            "refer-up-root",
            f"{HPC}'s server refers every query back to the root.",
            _rules(
                (ADDR[HPC],),
                Rule("refer", args={"cut": ROOT, "ns": f"ns1.{ROOT}", "glue": ADDR[ROOT]}),
            ),
            (),
        ),
        (
            "refer-self",
            f"Both servers of {ACME} refer to {ACME} itself.",
            _rules(
                ACME_SERVERS,
                Rule("refer", args={"cut": ACME, "ns": f"ns1.{ACME}", "glue": ADDR[ACME]}),
            ),
            (),
        ),
        (
            "refer-sideways",
            f"The root's server refers every query to {EAST}.",
            _rules(
                (ADDR[ROOT],),
                Rule("refer", args={"cut": EAST, "ns": f"ns1.{EAST}", "glue": ADDR[EAST]}),
            ),
            (),
        ),
        (
            "refer-impossible-cut",
            f"Both servers of {ACME} refer to a cut below an architecture node.",
            _rules(
                ACME_SERVERS,
                Rule(
                    "refer",
                    args={
                        "cut": "_cpu_64._x86-64-v3._us-ca." + ACME,
                        "ns": f"ns9.{ACME}",
                        "glue": ELSEWHERE,
                    },
                ),
            ),
            (),
        ),
        (
            "deby-glue-loops",
            f"Both servers of {ACME} give, in their referral to {DEBY}, glue "
            f"that points at {HPC}'s server (which refers back up).",
            _rules(ACME_SERVERS, Rule("redirect-glue", args={"address": ADDR[HPC]})),
            (),
        ),
        (
            "refer-attacker-glue",
            f"{HPC}'s referral to {ACME} carries glue pointing at a server that holds nothing.",
            _rules((ADDR[HPC],), Rule("redirect-glue", args={"address": ELSEWHERE})),
            (),
        ),
        (
            "oversize-udp",
            f"Both servers of {ACME} pad UDP responses beyond 1232 octets.",
            _rules(ACME_SERVERS, Rule("pad", args={"size": 1400})),
            (),
        ),
        (
            "forged-descriptor",
            f"Both servers of {ACME} answer TYPE65280 with a descriptor "
            "signed by an attacker's key.",
            _rules(
                ACME_SERVERS,
                Rule(
                    "answer",
                    when={"qtype": "TYPE65280"},
                    args={
                        "type": "TYPE65280",
                        "data": [honest_world().signed(IDS["mi"], ATTACKER).hex()],
                    },
                ),
            ),
            (),
        ),
        (
            "forged-delegation",
            f"{HPC}'s server answers every TYPE65281 question, and adds to "
            f"its referrals, a delegation record of {ACME} signed by an attacker's key.",
            _rules(
                (ADDR[HPC],),
                Rule(
                    "answer",
                    when={"qtype": "TYPE65281"},
                    args={"type": "TYPE65281", "data": [_forged_delegation()]},
                ),
                Rule(
                    "strip-delegation",
                    args={"owner": delegation_owner(ACME, HPC), "data": _forged_delegation()},
                ),
            ),
            (),
        ),
        (
            "replayed-expired",
            f"Both servers of {ACME} answer TYPE65280 with a copy of "
            f"{IDS['mi']} that expired a day before T0 (a replay of old records).",
            _rules(
                ACME_SERVERS,
                Rule(
                    "answer",
                    when={"qtype": "TYPE65280"},
                    args={
                        "type": "TYPE65280",
                        "data": [
                            honest_world()
                            .signed(
                                IDS["mi"],
                                issued_at=T0 - 8 * DAY,
                                not_before=T0 - 8 * DAY,
                                expires=T0 - DAY,
                            )
                            .hex()
                        ],
                    },
                ),
            ),
            (),
        ),
        (
            "replayed-old-version",
            f"Both servers of {ACME} answer TYPE65280 with version 1 "
            f"of {IDS['mi']} (unexpired: a replay).",
            _rules(
                ACME_SERVERS,
                Rule(
                    "answer",
                    when={"qtype": "TYPE65280"},
                    args={
                        "type": "TYPE65280",
                        "data": [honest_world().signed(IDS["mi"], version=1).hex()],
                    },
                ),
            ),
            (),
        ),
    ]
    for name, description, rules, fwd in hostile:
        add(name, description, _honest, rules=rules, forwarder_rules=fwd)
    # --- forwarders
    forwarders: list[tuple[str, str, tuple[Rule, ...]]] = [
        (
            "forwarder-refuses-private",
            "The forwarder answers REFUSED to TYPE65280 questions "
            "(a middlebox that does not pass private types); TXT and TYPE65281 pass.",
            (Rule("rcode", when={"qtype": "TYPE65280"}, args={"rcode": "REFUSED"}),),
        ),
        (
            "forwarder-servfail",
            "The forwarder answers SERVFAIL to everything.",
            (Rule("rcode", args={"rcode": "SERVFAIL"}),),
        ),
        ("forwarder-silent", "The forwarder never answers.", (Rule("silent"),)),
        (
            "forwarder-refers",
            "The forwarder gives a referral to the root (NS, no SOA).",
            (Rule("refer", args={"cut": ROOT, "ns": f"ns1.{ROOT}", "glue": ADDR[ROOT]}),),
        ),
        (
            "forwarder-forged",
            "The forwarder answers TYPE65280 with a descriptor signed by an attacker's key.",
            (
                Rule(
                    "answer",
                    when={"qtype": "TYPE65280"},
                    args={
                        "type": "TYPE65280",
                        "data": [honest_world().signed(IDS["mi"], ATTACKER).hex()],
                    },
                ),
            ),
        ),
    ]
    for name, description, fwd in forwarders:
        add(name, description, _honest, forwarder_rules=fwd)
    add(
        "many-servers",
        f"The root delegates {MANY} to fifty servers (glue for each), all of which answer "
        "REFUSED: a resolver with the default query budget (48) runs out of queries.",
        lambda: _many_world().assemble(),
        servers=[
            *_honest_servers(),
            *(Server(a, (MANY,), (Rule("rcode", args={"rcode": "REFUSED"}),)) for a in LAME_POOL),
        ],
    )
    return out


def mi_v3() -> World:
    return _with_descriptor(
        "mi",
        version=3,
        issued_at=T0 + 3600,
        endpoints=(_ep("mi-new.acme.example", priority=1), _ep("mi-old.acme.example", priority=9)),
    )()


def _above_cut(world: World, zones: Zones) -> None:
    acme = zones.by_name[ACME]
    cut = dns.name.from_text(DEBY + ".")
    for name in list(acme.nodes):
        absolute = name.derelativize(acme.origin)  # type: ignore[arg-type]
        if absolute.is_subdomain(cut):
            del acme.nodes[name]
    owner = dns.name.from_text(descriptor_owner(IDS["gh"])).relativize(acme.origin)  # type: ignore[arg-type]
    data = world.signed(IDS["gh"], zone_key(ACME), issuer=ACME)
    rdata = dns.rdata.GenericRdata(
        dns.rdataclass.IN, dns.rdatatype.RdataType.make(TYPE_DESCRIPTOR), data
    )
    acme.replace_rdataset(owner, dns.rdataset.from_rdata(3600, rdata))


def _forged_delegation() -> str:
    return honest_world().signed_delegation(ACME, ATTACKER).hex()


def _flip(data: bytes) -> bytes:
    return data[:-20] + bytes((data[-20] ^ 0x01,)) + data[-19:]


def _assembled_at(world: Callable[[], World], when: int) -> Zones:
    w = world()
    w.built = when
    return w.assemble()


def _without(world: World, identifier: str) -> World:
    world.descriptors = [d for d in world.descriptors if str(cid.parse(d.subject)) != identifier]
    return world


# ------------------------------------------------------------------ writing


def _anchor(servers: list[Server]) -> dict[str, Any]:
    return {
        "zone": ROOT,
        "keys": [bytes(zone_key(ROOT).verify_key).hex()],
        "servers": [{"name": f"ns1.{ROOT}", "addresses": [ADDR[ROOT]]}],
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def render() -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Every file of the fixtures (path under conformance/ -> text) and each manifest."""
    files: dict[str, str] = {}
    manifests: dict[str, dict[str, Any]] = {}
    written: dict[str, str] = {}  # zone file text -> its path under fixtures/
    for fx in fixtures():
        zones = fx.make().texts()
        zone_files: dict[str, str] = {}
        for zone, text in zones.items():
            path = written.get(text)
            if path is None:
                path = f"{fx.name}/{zone}.zone"
                written[text] = path
                files[f"fixtures/{path}"] = text
            zone_files[zone] = path
        anchor = _anchor(fx.servers)
        manifest: dict[str, Any] = {
            "format": "ucid-conformance-fixture",
            "version": 1,
            "name": fx.name,
            "description": fx.description,
            "root": ROOT,
            "built_for": T0,
            "anchor": anchor,
            "zones": zone_files,
            "servers": [
                {
                    "address": s.address,
                    "zones": list(s.zones),
                    "behaviour": [r.to_json() for r in s.rules],
                }
                for s in fx.servers
            ],
            "forwarder": {
                "address": FORWARDER,
                "zones": list(zones),
                "behaviour": [r.to_json() for r in fx.forwarder_rules],
            },
        }
        if fx.server_mode:
            manifest["server_mode"] = list(fx.server_mode)
        manifests[fx.name] = manifest
        files[f"fixtures/{fx.name}/fixture.json"] = _dumps(manifest)
        files[f"fixtures/{fx.name}/anchor.json"] = _dumps(anchor)
    return files, manifests
