"""Running a registry (spec/resolution.md §7.8): a new registry, zones, sources and the
rollover of a zone's key, resolved before, during and after, with time passed in."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

import cid
from cid._cose import HEADER_KID
from cid.registry import (
    AdminError,
    LivePolicy,
    Registry,
    RolloverTooEarly,
    add_child_zone,
    add_source,
    init_registry,
    list_sources,
    remove_source,
    retire_wait,
    rollover,
    source_zone,
)
from cid.registry._admin import MAX_ZONE_NAME, ROTATION_FOLDER
from cid.registry._rollover import read_state
from cid.server import Authority, ServerThread, registry_zones
from resolver import Outcome, ResolutionError, Resolver, TrustAnchor

NOW = 1_795_000_000
ROOT = "ucid.test"
PLATFORM = f"east.{ROOT}"
PROVIDER = f"acme.{PLATFORM}"
REGION = f"_cn-sh.{PROVIDER}"
IDENT = "ucid:acme.east/cn-sh/x86-64-v3/cpu=64;mem=256GiB"
OTHER = "ucid:acme.east/cn-bj/neoverse-v2/cpu=128"


def endpoint(host: str = "api.acme.example") -> cid.Endpoint:
    return cid.Endpoint(transport="tcp", protocol="https", host=host, port=443, alpn=("h2",))


def hierarchy(path: Path, now: int = NOW) -> Registry:
    """Root, a platform, a provider, a region; a source in the region and one in the
    provider's zone; built."""
    reg = init_registry(path, ROOT, [f"ns1.{ROOT}=127.0.0.1"], now=now)
    for zone in (PLATFORM, PROVIDER, REGION):
        add_child_zone(reg, zone)
    add_source(reg, IDENT, [endpoint()], now=now)
    add_source(reg, OTHER, [endpoint("bj.acme.example")], now=now)
    reg.build(now=now)
    return reg


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    return hierarchy(tmp_path / "reg")


def resolve(
    path: Path, now: int, anchor: dict[str, object] | None = None, ident: str = IDENT
) -> tuple[str, ...]:
    """Serve the registry as assembled at ``now`` and resolve ``ident`` at ``now`` from
    ``anchor`` (default: the registry's anchor.json); the chain of zones verified."""
    data = anchor or json.loads((path / "anchor.json").read_text())
    with ServerThread(Authority(registry_zones(path, now))) as server:
        trust = TrustAnchor.from_json(data, port=server.bound[0][1])
        found = Resolver(trust, wallclock=lambda: now).resolve(ident)
    assert found.descriptor.subject == str(cid.parse(ident))
    return found.chain


def kid_of(path: Path) -> str:
    kid = cid.decode_unverified(path.read_bytes())[0][HEADER_KID]
    assert isinstance(kid, bytes)
    return kid.hex()


def listed(reg: Registry, parent: str, child: str) -> list[str]:
    """The keys the parent's delegation record lists (its signature is checked on serving)."""
    data = (reg.path / "zones" / parent / "delegations" / f"{child}.cose").read_bytes()
    record = cid.decode_unverified(data)[1]
    assert isinstance(record, cid.Delegation)
    return [k.kid.hex() for k in record.keys]


# ------------------------------------------------------------ from nothing


def test_init_writes_root_keys_servers_and_anchor(tmp_path: Path) -> None:
    reg = init_registry(
        tmp_path / "r",
        "UCID.Test.",
        ["ns1.ucid.test=192.0.2.1", "ns1.ucid.test=2001:db8::1"],
        now=NOW,
    )
    assert reg.root == ROOT and list(reg.zones) == [ROOT]
    cfg = reg.zones[ROOT]
    assert cfg.parent is None and len(cfg.keys) == 1
    assert [(ns.name, ns.addresses) for ns in cfg.settings.nameservers] == [
        ("ns1.ucid.test", ("192.0.2.1", "2001:db8::1"))
    ]
    key = reg.path / "zones" / ROOT / "keys" / f"{cfg.keys[0]}.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    anchor = json.loads((reg.path / "anchor.json").read_text())
    assert anchor == reg.anchor()
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # no temporary folder left


def test_init_into_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert init_registry(tmp_path / "empty", ROOT, now=NOW).root == ROOT


def test_a_small_hierarchy_resolves(reg: Registry) -> None:
    assert {z: c.parent for z, c in reg.zones.items()} == {
        ROOT: None,
        PLATFORM: ROOT,
        PROVIDER: PLATFORM,
        REGION: PROVIDER,
    }
    assert resolve(reg.path, NOW) == (ROOT, PLATFORM, PROVIDER, REGION)
    assert resolve(reg.path, NOW, ident=OTHER) == (ROOT, PLATFORM, PROVIDER)
    assert reg.check(now=NOW) == []


def test_sources_go_to_the_deepest_zone_and_can_be_removed(reg: Registry) -> None:
    assert source_zone(reg, IDENT)[0] == REGION
    assert source_zone(reg, OTHER)[0] == PROVIDER
    assert source_zone(reg, "ucid:other.east/cn-sh/x86-64")[0] == PLATFORM
    assert source_zone(reg, "ucid:acmex.east/cn-sh/x86-64")[0] == PLATFORM  # whole labels
    assert [(e.zone, e.subject) for e in list_sources(reg)] == [
        (PROVIDER, str(cid.parse(OTHER))),
        (REGION, str(cid.parse(IDENT))),
    ]
    spec = json.loads(list_sources(reg)[1].path.read_text())
    assert spec["issuer"] == REGION and spec["version"] == 1
    assert spec["endpoints"][0] == {
        "transport": "tcp",
        "protocol": "https",
        "host": "api.acme.example",
        "port": 443,
        "priority": 1,
        "weight": 0,
        "alpn": ["h2"],
    }
    removed = remove_source(reg, "ucid:ACME.east/CN-SH/x86-64-v3/mem=256GiB;cpu=64")
    assert [p.parent.name for p in removed] == ["sources", "descriptors"]
    assert [e.zone for e in list_sources(reg)] == [PROVIDER]
    with pytest.raises(ResolutionError) as caught:
        resolve(reg.path, NOW)
    assert caught.value.outcome in (Outcome.NOT_FOUND, Outcome.NO_LIVE_ENDPOINTS)


# ------------------------------------------------------------------ misuse


def _init(root: str, *ns: str) -> Callable[[Path], object]:
    return lambda tmp: init_registry(tmp / "new", root, list(ns), now=NOW)


def _zone(zone: str, *ns: str) -> Callable[[Path], object]:
    return lambda tmp: add_child_zone(hierarchy(tmp / "reg"), zone, list(ns))


def _source(ident: str, endpoints: int = 1) -> Callable[[Path], object]:
    return lambda tmp: add_source(
        hierarchy(tmp / "reg"),
        ident,
        [endpoint(f"h{i}.acme.example") for i in range(endpoints)],
        now=NOW,
    )


def _nonempty(tmp: Path) -> object:
    (tmp / "new").mkdir()
    (tmp / "new" / "x").write_text("")
    return init_registry(tmp / "new", ROOT, now=NOW)


MISUSE: list[tuple[str, Callable[[Path], object], str]] = [
    ("init: a non-empty folder", _nonempty, "not an empty folder"),
    ("init: a file", lambda t: _init(ROOT)(t) if (t / "new").write_text("x") else 0, "not an"),
    ("init: the DNS root", _init("."), "the DNS root itself"),
    ("init: an underscore in the root", _init("a_b.test"), "root 'a_b.test'"),
    ("init: a bad label", _init("-x.test"), "root '-x.test'"),
    ("init: a bad address", _init(ROOT, f"ns1.{ROOT}=300.1.1.1"), "not an IP address"),
    ("init: a bad server name", _init(ROOT, "ns_1.example=192.0.2.1"), "not a host name"),
    ("init: an in-zone server without address", _init(ROOT, f"ns1.{ROOT}"), "needs its address"),
    ("zone: exists", _zone(PROVIDER), "exists already"),
    ("zone: the root again", _zone(ROOT), "exists already"),
    ("zone: outside the root", _zone("acme.example"), "not under the registry's root"),
    ("zone: not a zone name", _zone(f"a_b.{ROOT}"), "not a zone name"),
    ("zone: uppercase A-label missing", _zone(f"中国.{ROOT}"), "not a zone name"),
    ("zone: '_' label not leftmost", _zone(f"x._cn-sh.{PROVIDER}"), "come leftmost"),
    ("zone: below an architecture node", _zone(f"_a._b._cn-gd.{PROVIDER}"), "below an arch"),
    ("zone: not a region label", _zone(f"_9z.{PROVIDER}"), "not a region label"),
    (
        "zone: too long",
        _zone(".".join(["a" * 60] * 4)[: MAX_ZONE_NAME - len(ROOT)] + f".{ROOT}"),
        "longer than",
    ),
    ("zone: bad name server", _zone(f"x.{ROOT}", "ns.x=not-an-ip"), "not an IP address"),
    ("source: exists", _source(IDENT), "has a source already"),
    ("source: no endpoint", _source("ucid:x.east/cn-sh/x86-64", 0), "at least one endpoint"),
    ("source: too big to sign", _source("ucid:x.east/cn-sh/x86-64", 16), "limit is 880"),
    (
        "source: remove what is not there",
        lambda t: remove_source(hierarchy(t / "reg"), "ucid:x.east/cn-sh/x86-64"),
        "no source of",
    ),
    (
        "rollover: no such zone",
        lambda t: rollover(hierarchy(t / "reg"), "nope.ucid.test", now=NOW),
        "no zone nope",
    ),
    (
        "rollover: nothing to finish",
        lambda t: rollover(hierarchy(t / "reg"), PROVIDER, now=NOW, finish=True),
        "no key rollover under way",
    ),
]


@pytest.mark.parametrize(("case", "action", "message"), MISUSE, ids=[m[0] for m in MISUSE])
def test_misuse_is_refused_with_a_reason(
    tmp_path: Path, case: str, action: Callable[[Path], object], message: str
) -> None:
    with pytest.raises(cid.CidError, match=message):
        action(tmp_path)


def test_a_zone_between_a_parent_and_its_child_is_refused(tmp_path: Path) -> None:
    reg = init_registry(tmp_path / "reg", ROOT, now=NOW)
    add_child_zone(reg, PROVIDER)  # its closest enclosing zone is the root
    assert reg.zones[PROVIDER].parent == ROOT
    with pytest.raises(AdminError, match="would come between"):
        add_child_zone(reg, PLATFORM)


def test_no_room_for_a_new_key_beside_two(reg: Registry) -> None:
    agent = cid.SigningKey.generate().verify_key
    reg.enable_live(PROVIDER, LivePolicy(), agent_keys=[agent])
    with pytest.raises(AdminError, match="at most two"):
        rollover(reg, PROVIDER, now=NOW)


# ------------------------------------------------------------ key rollover


def test_rollover_of_a_provider_zone(reg: Registry) -> None:
    old = reg.zones[PROVIDER].keys[0]
    region_deleg = reg.path / "zones" / PROVIDER / "delegations" / f"{REGION}.cose"
    t1 = NOW + 100
    step = rollover(reg, PROVIDER, now=t1)
    new = step.state.new
    assert step.done == "started" and step.state.old == old
    assert reg.zones[PROVIDER].keys == (old, new)  # the old key still signs
    assert listed(reg, PLATFORM, PROVIDER) == [old, new]  # the parent's, signed at once
    assert read_state(reg.path / "zones" / PROVIDER) == step.state  # survives a restart
    assert resolve(reg.path, t1)[-2:] == (PROVIDER, REGION)
    assert kid_of(region_deleg) == old

    # Before the new key signs, finishing is refused; before sign_from a build keeps the old one.
    with pytest.raises(RolloverTooEarly, match=f"at or after {step.state.sign_from}"):
        rollover(Registry.load(reg.path), PROVIDER, now=t1 + 10)
    reg = Registry.load(reg.path)
    reg.build(now=step.state.sign_from - 1)
    assert kid_of(region_deleg) == old

    # From sign_from, the build makes the new key the signer and re-signs with it.
    switch = step.state.sign_from
    assert switch == t1 + reg.zones[PLATFORM].settings.ttl + cid.DEFAULT_SKEW
    reg.build(now=switch)
    assert reg.zones[PROVIDER].keys == (new, old)
    assert kid_of(region_deleg) == new
    assert (
        kid_of(
            reg.path
            / "zones"
            / PROVIDER
            / "descriptors"
            / "_cpu_128._neoverse-v2._cn-bj.acme.east.cose"
        )
        == new
    )
    assert resolve(reg.path, switch)[-2:] == (PROVIDER, REGION)  # both keys listed
    assert resolve(reg.path, switch, ident=OTHER)[-1] == PROVIDER

    wait = retire_wait(reg, PROVIDER)
    assert wait == reg.zones[PROVIDER].delegation_valid_for + cid.DEFAULT_SKEW  # it has a child
    with pytest.raises(RolloverTooEarly) as early:
        rollover(Registry.load(reg.path), PROVIDER, now=switch + wait - 1)
    assert early.value.not_before == switch + wait
    assert str(switch + wait) in str(early.value)

    reg = Registry.load(reg.path)
    done = rollover(reg, PROVIDER, now=switch + wait)
    assert done.done == "finished"
    assert reg.zones[PROVIDER].keys == (new,)
    assert listed(reg, PLATFORM, PROVIDER) == [new]
    assert not (reg.path / "zones" / PROVIDER / "rollover.json").exists()
    keys = reg.path / "zones" / PROVIDER / "keys"
    assert not (keys / f"{old}.key").exists() and (keys / f"{old}.pub").exists()
    assert resolve(reg.path, switch + wait)[-2:] == (PROVIDER, REGION)
    assert reg.check(now=switch + wait) == []


def test_rollover_of_a_leaf_zone_waits_for_descriptor_validity(reg: Registry) -> None:
    step = rollover(reg, REGION, now=NOW)
    reg.build(now=step.state.sign_from)
    wait = retire_wait(reg, REGION)
    assert wait == reg.zones[REGION].valid_for + cid.DEFAULT_SKEW  # no child: 7 days
    later = step.state.sign_from + wait
    rollover(reg, REGION, now=later)
    assert reg.zones[REGION].keys == (step.state.new,)
    assert resolve(reg.path, later) == (ROOT, PLATFORM, PROVIDER, REGION)


def test_a_start_cut_short_is_completed(reg: Registry) -> None:
    """A crash after rollover.json was written but before zone.json: the next run
    completes the start instead of finishing."""
    step = rollover(reg, PROVIDER, now=NOW)
    reg.set_keys(PROVIDER, [step.state.old])  # as if zone.json was not yet written
    again = rollover(Registry.load(reg.path), PROVIDER, now=NOW + 1)
    assert again.done == "started" and again.state.new == step.state.new
    assert Registry.load(reg.path).zones[PROVIDER].keys == (step.state.old, step.state.new)


def test_rollover_of_the_root_rotates_the_anchor(reg: Registry) -> None:
    first = json.loads((reg.path / "anchor.json").read_text())
    old = reg.zones[ROOT].keys[0]
    old_anchor = [cid.VerifyKey.from_bytes(bytes.fromhex(k)) for k in first["keys"]]
    step = rollover(reg, ROOT, now=NOW)
    assert step.rotation is not None
    by_old, by_new = (p.read_bytes() for p in step.rotation)
    record = cid.verify_rotation(by_old, by_new, old_anchor, now=NOW)
    anchor = json.loads((reg.path / "anchor.json").read_text())
    assert [bytes(k).hex() for k in record.keys] == anchor["keys"]  # old and new
    assert len(anchor["keys"]) == 2
    # Both anchors resolve while the old key still signs.
    assert resolve(reg.path, NOW, first)[0] == ROOT
    assert resolve(reg.path, NOW, anchor)[0] == ROOT

    switch = step.state.sign_from
    assert switch == NOW + reg.zones[ROOT].settings.ttl + cid.DEFAULT_SKEW
    reg.build(now=switch)
    assert kid_of(reg.path / "zones" / ROOT / "delegations" / f"{PLATFORM}.cose") != old
    assert resolve(reg.path, switch, anchor)[0] == ROOT

    later = switch + retire_wait(reg, ROOT)
    done = rollover(reg, ROOT, now=later)
    assert done.rotation is not None
    assert done.rotation[0].parent == reg.path / ROTATION_FOLDER
    by_old, by_new = (p.read_bytes() for p in done.rotation)
    final = json.loads((reg.path / "anchor.json").read_text())
    record = cid.verify_rotation(by_old, by_new, old_anchor, now=later)
    assert [bytes(k).hex() for k in record.keys] == final["keys"] == anchor["keys"][1:]
    assert record.version == 2
    assert resolve(reg.path, later, final) == (ROOT, PLATFORM, PROVIDER, REGION)
    with pytest.raises(ResolutionError) as caught:
        resolve(reg.path, later, first)  # the old anchor alone no longer verifies
    assert caught.value.outcome is Outcome.BOGUS
