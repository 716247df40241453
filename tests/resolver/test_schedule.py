"""Choosing among providers (spec/status.md §12): the sans-IO ranking in tables, then
``schedule`` over the demo hierarchy and over constructed hierarchies served on
loopback, with hostile statuses, the twins agreeing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

import cid
from cid import Capacity, Price, Status, sign_status
from cid.layout import TYPE_STATUS, record_rdata
from cid.registry import DEMO_POOL_PATTERN, DEMO_ROOT, demo_key, demo_statuses, write_demo
from cid.server import Authority, ServerThread, registry_zones
from resolver import (
    AsyncResolver,
    Need,
    NeedError,
    Policy,
    Resolved,
    Resolver,
    Schedule,
    StatusCheck,
    TrustAnchor,
    rank,
)
from resolver._schedule import cost, region_distance

NOW = 1_800_000_000
NEED = "acc=8;mem=512GiB"
GIB = 1 << 30


# ------------------------------------------------------------------ sans-IO tables


def _resolved(ident: str) -> Resolved:
    return cast(Resolved, SimpleNamespace(identifier=cid.parse(ident)))


def _status(
    ident: str,
    *,
    free: int = 16,
    mem: int = 1024,
    accepting: bool = True,
    wait: int | None = 60,
    prices: tuple[Price, ...] = (Price("CNY", "10", 1, 3600, unit="acc"),),
    age: int = 5,
) -> Status:
    return Status(
        "z.example",
        str(cid.parse(ident)),
        version=1,
        descriptor_version=1,
        issued_at=NOW - age,
        expires=NOW - age + 600,
        accepting=accepting,
        units={"acc": Capacity(free, 64), "mem": Capacity(mem * GIB, 4096 * GIB)},
        queue_wait=wait,
        prices=prices,
    )


def _check(name: str, region: str, problem: str | None = None, **kw: Any) -> StatusCheck:
    ident = f"ucid:{name}.example/{region}/x86-64-v4+sm90/acc=8;mem=1TiB"
    if problem is not None:
        return StatusCheck(_resolved(ident), None, problem, "seen")
    return StatusCheck(_resolved(ident), _status(ident, **kw))


def _names(ranked: tuple[Any, ...]) -> list[str]:
    return [str(c.resolved.identifier.provider).split(".")[0] for c in ranked]


CHECKS = [
    _check("a", "cn-gd", prices=(Price("CNY", "12.5", 1, 3600, unit="acc"),), wait=90),
    _check("b", "cn-gd-sz1", prices=(Price("CNY", "9.8", 1, 3600, unit="acc"),), wait=600),
    _check("c", "cn-tj", prices=(Price("CNY", "90", 1, 3600),), wait=30),  # per instance
    _check("d", "de-by", prices=(Price("CNY", "11", 1, 3600, unit="acc"),), wait=None),
    _check("e", "cn-sh", prices=(), wait=0),  # no price
]


@pytest.mark.parametrize(
    ("policy", "order"),
    [
        (Policy("cheapest"), ["b", "d", "c", "a", "e"]),  # 78.4 < 88 < 90 < 100 < none
        (Policy("shortest-wait"), ["e", "c", "a", "b", "d"]),  # no wait: last
        (Policy("nearest", region="cn-gd"), ["a", "b", "c", "e", "d"]),  # gd, gd-sz1, cn, de
        (Policy("nearest", region="de"), ["d", "a", "b", "c", "e"]),
        (Policy.parse("weighted:price=1", region=None), ["b", "d", "c", "a", "e"]),
        (Policy.parse("weighted:wait=1"), ["e", "c", "a", "b", "d"]),
        # Price and wait normalised over the five, equal weights: c 0.59 (cheap enough,
        # quick), b 1 (cheapest, slowest), e 1 (no price: 1; no wait), a 1.15, d 1.44 (no
        # wait: 1); b and e tie and go by identifier.
        (Policy.parse("weighted:price=1,wait=1"), ["c", "b", "e", "a", "d"]),
        # Region (0, 0, 1/2, 1, 1/2) and wait: a 0.15, e 0.5, c 0.55, b 1, d 2.
        (Policy.parse("weighted:region=1,wait=1", region="cn-gd"), ["a", "e", "c", "b", "d"]),
    ],
    ids=lambda v: str(v) if isinstance(v, Policy) else None,
)
def test_ranking_per_policy(policy: Policy, order: list[str]) -> None:
    ranked, dropped, rejected, _ = rank(CHECKS, Need.parse(NEED), policy, now=NOW)
    assert _names(ranked) == order
    assert [c.rank for c in ranked] == [1, 2, 3, 4, 5]
    assert dropped == () and rejected == {}
    assert all(c.tier == "fresh" and c.why for c in ranked)


def test_costs_are_exact_and_by_the_rules() -> None:
    need = Need.parse(NEED)
    st = _status(
        "ucid:x.example/cn/x86-64/acc=8;mem=1TiB",
        prices=(
            Price("CNY", "9.8", 1, 3600, unit="acc"),
            Price("CNY", "0.01", GIB, 3600, unit="mem"),
            Price("CNY", "200", 1, 86400, unit="acc"),  # per day: cheaper per hour
            Price("USD", "1", 1, 3600, unit="acc"),
            Price("CNY", "1000", 1, 3600),  # per instance: unused, units are priced
        ),
    )
    got = cost(st, {"acc": 8, "mem": 1 << 40}, need, 3600, "CNY")
    # acc: min(9.8 * 8, 200 * 8 / 24) = 66.666..., mem: 0.01 * 512 = 5.12
    assert got == Fraction(200 * 8, 24) + Fraction(512, 100)
    assert cost(st, {}, need, 3600, "USD") == 8
    assert cost(st, {}, need, 3600, "EUR") is None
    # Per instance: acc=16 needs two instances of acc=8.
    inst = _status("ucid:x.example/cn/x86-64/acc=8", prices=(Price("CNY", "0.1", 1, 60),))
    assert cost(inst, {"acc": 8}, Need.parse("acc=16"), 3600, "CNY") == 12
    # Money never goes through a float: 0.1 + 0.2 is 0.3.
    tenth = _status(
        "ucid:x.example/cn/x86-64/acc=8", prices=(Price("CNY", "0.1", 1, 1, unit="acc"),)
    )
    assert cost(tenth, {}, Need.parse("acc=3"), 1, "CNY") == Fraction(3, 10)


def test_drops_counted_by_reason() -> None:
    checks = [
        _check("a", "cn-gd"),
        _check("b", "cn-gd", accepting=False),
        _check("c", "cn-gd", free=4),
        _check("d", "cn-gd", mem=100),
        _check("e", "cn-gd", problem="MISSING"),
        _check("f", "cn-gd", problem="EXPIRED"),
        _check("g", "cn-gd", problem="SIGNATURE"),
        _check("h", "cn-gd", problem="UNAVAILABLE"),
    ]
    need = Need.parse(NEED)
    ranked, dropped, rejected, _ = rank(checks, need, Policy(missing="drop"), now=NOW)
    assert _names(ranked) == ["a"]
    reasons = {str(d.resolved.identifier.provider)[0]: d.reason for d in dropped}
    assert reasons == {
        "b": "NOT_ACCEPTING",
        "c": "TOO_FEW_UNITS",
        "d": "TOO_FEW_UNITS",
        "e": "NO_STATUS",
        "f": "EXPIRED",
        "g": "NO_STATUS",
        "h": "NO_STATUS",
    }
    assert rejected == {"EXPIRED": 1, "SIGNATURE": 1}  # rejections, apart from the drops
    # Missing "last": those without a status are ranked after the rest, in tier none.
    ranked, dropped, _, _ = rank(checks, need, Policy(missing="last"), now=NOW)
    assert _names(ranked) == ["a", "e", "f", "g", "h"]
    assert [c.tier for c in ranked] == ["fresh", "none", "none", "none", "none"]
    assert sorted(d.reason for d in dropped) == ["NOT_ACCEPTING", "TOO_FEW_UNITS", "TOO_FEW_UNITS"]
    # A unit the need names and the status does not report.
    ranked, dropped, _, _ = rank(checks[:1], Need.parse("net-bw=1Gbps"), Policy(), now=NOW)
    assert (ranked, [d.reason for d in dropped]) == ((), ["UNITS_UNKNOWN"])


def test_a_stale_status_never_outranks_a_fresh_one() -> None:
    checks = [
        _check("cheap", "cn-gd", age=300, prices=(Price("CNY", "1", 1, 3600, unit="acc"),)),
        _check("dear", "cn-gd", age=10, prices=(Price("CNY", "100", 1, 3600, unit="acc"),)),
        _check("none", "cn-gd", problem="MISSING"),
    ]
    for policy in (Policy("cheapest"), Policy.parse("weighted:price=1,wait=1")):
        ranked, _, _, _ = rank(checks, Need.parse(NEED), policy, now=NOW)
        assert _names(ranked) == ["dear", "cheap", "none"]
        assert [c.tier for c in ranked] == ["fresh", "stale", "none"]
    ranked, _, _, _ = rank(checks, Need.parse(NEED), Policy(fresh=600), now=NOW)
    assert _names(ranked) == ["cheap", "dear", "none"]


def test_the_currency_compared() -> None:
    usd = (Price("USD", "1", 1, 3600, unit="acc"),)
    checks = [
        _check("a", "cn-gd", prices=usd),
        _check("b", "cn-gd", prices=(Price("CNY", "1", 1, 3600, unit="acc"),)),
        _check("c", "cn-gd", prices=(Price("CNY", "2", 1, 3600, unit="acc"),)),
    ]
    ranked, _, _, currency = rank(checks, Need.parse("acc=1"), Policy(), now=NOW)
    assert currency == "CNY" and _names(ranked) == ["b", "c", "a"]
    ranked, _, _, currency = rank(checks, Need.parse("acc=1"), Policy(currency="USD"), now=NOW)
    assert currency == "USD" and _names(ranked) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("region", "near", "distance"),
    [("cn-gd", "cn-gd", 0), ("cn-gd-sz1", "cn-gd", 0), ("cn-gd", "cn-gd-sz1", 1),
     ("cn-tj", "cn-gd", 1), ("cn", "cn-gd", 1), ("de-by", "cn-gd", 2), ("cn-gd", "cn", 0)],
)  # fmt: skip
def test_region_distance(region: str, near: str, distance: int) -> None:
    assert region_distance(region, near) == distance


@pytest.mark.parametrize(
    "text",
    ["acc", "acc>=8", "acc-model=h800", "mem=512gb", "acc=8;acc=9", "ucid:x/y", "acc=-1"],
)
def test_bad_needs(text: str) -> None:
    with pytest.raises(NeedError):
        Need.parse(text)


def test_needs_read_as_identifier_attributes() -> None:
    assert Need.parse("mem=512GiB;acc=8").amounts() == {"acc": 8, "mem": 512 * GIB}
    assert str(Need.parse("mem=512GiB;acc=8")) == "acc=8;mem=549755813888B"
    assert Need.parse("").terms == ()


@pytest.mark.parametrize(
    ("text", "settings"),
    [
        ("fastest", {}),
        ("nearest", {}),
        ("weighted:price=-1", {}),
        ("weighted:price=x", {}),
        ("weighted:speed=1", {}),
        ("weighted:price=0", {}),
        ("weighted:region=1", {}),
        ("cheapest:price=1", {}),
        ("cheapest", {"period": 0}),
        ("cheapest", {"fresh": 601}),
        ("cheapest", {"missing": "hide"}),
        ("cheapest", {"currency": "cny"}),
        ("nearest", {"region": "not a region"}),
    ],
)
def test_bad_policies(text: str, settings: dict[str, Any]) -> None:
    with pytest.raises(cid.CidError):
        Policy.parse(text, **settings)


def test_policy_weights_are_decimals() -> None:
    p = Policy.parse("weighted:price=2.5,wait=1", region="CN-GD")
    assert p.weights == (("price", Decimal("2.5")), ("wait", Decimal(1)))
    assert (p.region, str(p)) == ("cn-gd", "weighted:price=2.5,wait=1")


# ------------------------------------------------------------------ over real DNS


class World:
    """The demo registry assembled at ``now``, its statuses replaceable, served on
    loopback; ``serve`` (re)starts the server with the zones as they are."""

    def __init__(self, path: Path, now: int) -> None:
        self.now = now
        self.registry = write_demo(path, now=now)
        self.zones: list[dns.zone.Zone] = registry_zones(path, now)
        self.server: ServerThread | None = None
        self.anchor: TrustAnchor | None = None

    def put(self, subject: str, data: bytes | None) -> None:
        """Publish ``data`` as the status at ``subject``'s name (None: none there)."""
        owner = dns.name.from_text(cid.parse(subject).to_dns_name(DEMO_ROOT))
        for zone in self.zones:
            assert zone.origin is not None
            node = zone.get_node(owner) if owner.is_subdomain(zone.origin) else None
            if node is not None:
                node.delete_rdataset(dns.rdataclass.IN, TYPE_STATUS)
                if data is not None:
                    rds = node.find_rdataset(dns.rdataclass.IN, TYPE_STATUS, create=True)
                    rds.add(record_rdata(TYPE_STATUS, data), 0)
                return
        raise AssertionError(f"no zone holds {owner}")

    def serve(self) -> TrustAnchor:
        if self.server is None:
            self.server = ServerThread(Authority(self.zones)).start()
            port = self.server.bound[0][1]
            self.anchor = TrustAnchor.from_json(self.registry.anchor(), port=port)
        else:
            for zone in self.zones:
                self.server.authority.replace_zone(zone)
        assert self.anchor is not None
        return self.anchor

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path / "registry", int(time.time()))
    try:
        yield w
    finally:
        w.stop()


POOLS = {st.subject.split("/")[0][5:] + "/" + st.subject.split("/")[1]: (zone, st)
         for zone, st in demo_statuses(0)}  # fmt: skip
TJ = "sugon.hpc/cn-tj"


def _pool(name: str, now: int, **changes: Any) -> tuple[str, Status]:
    zone, base = POOLS[name]
    fields = {f: getattr(base, f) for f in base.__slots__}
    fields.update(issued_at=now, expires=now + 600, version=now * 1000)
    fields.update(changes)
    return zone, Status(**fields)


def _schedule(anchor: TrustAnchor, **kw: Any) -> Schedule:
    return Resolver(anchor, **kw).schedule(DEMO_POOL_PATTERN, NEED, "cheapest")


def test_schedule_over_the_demo(world: World) -> None:
    found = _schedule(world.serve())
    assert [c.resolved.identifier.provider for c in found.ranked] == [
        "ctyun.east", "sugon.hpc", "xn--fiq02ib9d179b.east", "ctyun.east",
    ]  # fmt: skip
    assert [c.tier for c in found.ranked] == ["fresh", "fresh", "fresh", "none"]
    assert [str(c.cost) if c.cost is not None else None for c in found.ranked] == [
        "2088/25", "90", "100", None,  # 9.8 * 8 + 0.01 * 512; 90 an instance; 12.5 * 8
    ]  # fmt: skip
    assert found.dropped_by_reason == {"NOT_ACCEPTING": 1, "TOO_FEW_UNITS": 1}
    assert found.rejected == {} and found.failures == () and found.bound is None
    assert found.ranked[0].ordered()[0].host == "gpu-gd.ctyun.example"
    assert found.queries > 0


def test_sync_and_async_agree(world: World) -> None:
    anchor = world.serve()
    for policy in ("cheapest", "shortest-wait", Policy("nearest", region="cn-gd"),
                   "weighted:price=1,wait=2"):  # fmt: skip
        one = Resolver(anchor).schedule(DEMO_POOL_PATTERN, NEED, policy)
        two = asyncio.run(AsyncResolver(anchor).schedule(DEMO_POOL_PATTERN, NEED, policy))
        assert [(c.identifier, c.cost, c.tier) for c in one.ranked] == [
            (c.identifier, c.cost, c.tier) for c in two.ranked
        ]
        assert one.dropped_by_reason == two.dropped_by_reason
        assert one.queries == two.queries


def _flip(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def _sign(zone: str, status: Status, key: cid.SigningKey | None = None) -> bytes:
    return sign_status(status, key or demo_key(zone))


HOSTILE: list[tuple[str, Callable[[int], bytes], str]] = [
    ("wrong-key", lambda now: _sign(*_pool(TJ, now), demo_key(f"acme.hpc.{DEMO_ROOT}")),
     "UNKNOWN_KEY"),
    ("other-descriptor-version", lambda now: _sign(*_pool(TJ, now, descriptor_version=2)),
     "MISMATCH"),
    ("other-subject", lambda now: _sign(*_pool(TJ, now, subject=str(cid.parse(
        "ucid:sugon.hpc/cn-tj/x86-64-v4+sm90/acc=8;mem=1TiB")))), "MISMATCH"),
    ("expired", lambda now: _sign(*_pool(TJ, now, issued_at=now - 700, expires=now - 100)),
     "EXPIRED"),
    ("from-the-future", lambda now: _sign(*_pool(TJ, now, issued_at=now + 300,
                                                 expires=now + 600)), "NOT_YET_VALID"),
    ("oversized", lambda now: b"\xd2" + bytes(900), "OVERSIZE"),
    ("garbage", lambda now: b"\xd2\x84\x40", "ENCODING"),
    ("bad-signature", lambda now: _flip(_sign(*_pool(TJ, now))), "SIGNATURE"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "code"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_statuses_are_ignored_and_counted(
    world: World, make: Callable[[int], bytes], code: str
) -> None:
    subject = POOLS[TJ][1].subject
    world.put(subject, make(world.now))
    anchor = world.serve()
    found = _schedule(anchor)
    assert found.rejected == {code: 1}
    tj = [c for c in found.ranked if c.identifier == subject]
    assert len(tj) == 1 and tj[0].tier == "none" and tj[0].problem == code
    assert all(c.rank < tj[0].rank for c in found.ranked if c.status is not None)
    assert all(c.tier == "fresh" for c in found.ranked if c.identifier != subject and c.status)
    # Dropped, when the policy says so: as an absent status (EXPIRED for an expired one).
    strict = Resolver(anchor).schedule(DEMO_POOL_PATTERN, NEED, Policy(missing="drop"))
    reason = "EXPIRED" if code == "EXPIRED" else "NO_STATUS"
    assert subject in [str(d.resolved.identifier) for d in strict.dropped if d.reason == reason]
    # The descriptor stands: the same endpoints, whatever the status (§7.6).
    assert tj[0].resolved.descriptor == Resolver(anchor).resolve(subject).descriptor


def test_a_replayed_older_status_is_rejected(world: World) -> None:
    zone, newer = _pool(TJ, world.now, version=world.now * 1000 + 5)
    world.put(newer.subject, _sign(zone, newer))
    anchor = world.serve()
    r = Resolver(anchor)
    first = r.schedule(DEMO_POOL_PATTERN, NEED, "cheapest")
    assert first.rejected == {}
    _, older = _pool(TJ, world.now, version=world.now * 1000 + 4, queue_wait=1)
    world.put(older.subject, _sign(zone, older))
    world.serve()
    again = r.schedule(DEMO_POOL_PATTERN, NEED, "cheapest")
    assert again.rejected == {"ROLLBACK": 1}
    # A resolver that never saw the newer one accepts the older within its validity.
    assert Resolver(anchor).schedule(DEMO_POOL_PATTERN, NEED, "cheapest").rejected == {}


def test_stale_and_missing_statuses_over_dns(world: World) -> None:
    # The cheapest pool's status is four minutes old: it falls behind every fresh one.
    ctyun = "ctyun.east/cn-gd"
    zone, old = _pool(ctyun, world.now - 240)
    world.put(old.subject, _sign(zone, old))
    world.put(POOLS[TJ][1].subject, None)  # and sugon publishes none
    found = _schedule(world.serve())
    tiers = [(c.resolved.identifier.provider, c.tier) for c in found.ranked]
    assert tiers == [
        ("xn--fiq02ib9d179b.east", "fresh"), ("ctyun.east", "stale"),
        ("ctyun.east", "none"), ("sugon.hpc", "none"),
    ]  # fmt: skip
    assert found.rejected == {}


def test_nothing_can_take_the_need(world: World) -> None:
    r = Resolver(world.serve())
    found = r.schedule(DEMO_POOL_PATTERN, "acc=1000", Policy(missing="drop"))
    assert found.ranked == ()
    assert found.dropped_by_reason == {"NO_STATUS": 1, "NOT_ACCEPTING": 1, "TOO_FEW_UNITS": 4}
    # Kept last, unknown: the one without a status is all that is left.
    last = r.schedule(DEMO_POOL_PATTERN, "acc=1000", "cheapest")
    assert [c.tier for c in last.ranked] == ["none"]
    nothing = Resolver(world.serve()).schedule("ucid:*/us-*/x86-64-v4+sm90", NEED)
    assert (nothing.ranked, nothing.dropped) == ((), ())


def test_statuses_from_registry_files_are_published(tmp_path: Path) -> None:
    """Zone assembly publishes status/*.cose beside the descriptor it describes, TTL 0,
    and leaves out a status that has expired or names another descriptor version."""
    now = int(time.time())
    registry = write_demo(tmp_path / "r", now=now)
    zone, st = POOLS[TJ]
    owner = dns.name.from_text(cid.parse(st.subject).to_dns_name(DEMO_ROOT))

    def served() -> list[bytes]:
        for z in registry_zones(registry.path, now):
            rds = z.get_rdataset(owner, TYPE_STATUS)
            if rds is not None:
                assert rds.ttl == 0
                return [rd.data for rd in rds]
        return []

    assert len(served()) == 1
    _, other = _pool(TJ, now, descriptor_version=2, version=now * 1000 + 1)
    registry.write_status(zone, _sign(zone, other), now=now)
    assert served() == []  # about another descriptor version: not beside this one
    assert [z for z in registry_zones(registry.path, now + 601)] and not [
        1 for z in registry_zones(registry.path, now + 601)
        if z.get_rdataset(owner, TYPE_STATUS) is not None
    ]  # fmt: skip
    with pytest.raises(cid.DescriptorError):
        registry.write_status(zone, _sign(zone, st, demo_key(f"acme.hpc.{DEMO_ROOT}")), now=now)
