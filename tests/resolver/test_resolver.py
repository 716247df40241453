"""The drivers, ``Resolver`` (blocking) and ``AsyncResolver`` (asyncio): each method of
one has its twin in the other, giving the same results over real DNS (the demo
hierarchy served in-process)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Iterator

import dns.name
import dns.rdatatype
import pytest

import cid
from cid.layout import enum_owner
from cid.registry import DEMO_ROOT
from cid.server import registry_zones
from resolver import AsyncResolver, Outcome, ResolutionError, Resolver, TrustAnchor
from resolver._demo import DemoHierarchy


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoHierarchy]:
    hierarchy = DemoHierarchy()
    hierarchy.start()
    try:
        yield hierarchy
    finally:
        hierarchy.stop()


def anchor(demo: DemoHierarchy) -> TrustAnchor:
    assert demo.anchor is not None
    return demo.anchor


def listed(demo: DemoHierarchy, node: str) -> set[dns.name.Name]:
    """What the zones hold at the node's enumeration record, read from the zones."""
    owner = enum_owner(dns.name.from_text(node))
    for zone in registry_zones(demo.path, int(time.time())):
        rdataset = zone.get_rdataset(owner, dns.rdatatype.PTR)
        if rdataset is not None:
            return {rd.target for rd in rdataset}
    raise AssertionError(f"no enumeration record at {owner}")


def test_every_method_has_its_async_twin() -> None:
    public = {n for n, _ in inspect.getmembers(Resolver) if not n.startswith("_")}
    twins = {n for n, _ in inspect.getmembers(AsyncResolver) if not n.startswith("_")}
    assert public == twins
    for name in public:
        if inspect.isfunction(getattr(Resolver, name)):
            assert inspect.iscoroutinefunction(getattr(AsyncResolver, name)), name


@pytest.mark.parametrize(
    "node",
    [
        f"{DEMO_ROOT}.",  # the root: its child zones
        f"east.{DEMO_ROOT}.",  # a child zone, reached by a referral
        f"_cn-sh.ctyun.east.{DEMO_ROOT}.",  # a delegated region: identifiers' nodes below it
    ],
)
def test_children_are_the_enumeration_and_the_twins_agree(demo: DemoHierarchy, node: str) -> None:
    expected = listed(demo, node)
    assert expected  # the demo lists something at each of these nodes
    found = Resolver(anchor(demo)).children(node)
    assert set(found) == expected
    assert len(found) == len(expected)
    found_async = asyncio.run(AsyncResolver(anchor(demo)).children(node))
    assert found_async == found


@pytest.mark.parametrize("node", [f"nowhere.{DEMO_ROOT}.", f"nowhere.east.{DEMO_ROOT}."])
def test_children_of_a_missing_node(demo: DemoHierarchy, node: str) -> None:
    with pytest.raises(ResolutionError) as sync:
        Resolver(anchor(demo)).children(node)
    with pytest.raises(ResolutionError) as asynchronous:
        asyncio.run(AsyncResolver(anchor(demo)).children(node))
    assert sync.value.outcome is asynchronous.value.outcome is Outcome.NOT_FOUND


def test_resolve_and_find_agree_across_the_twins(demo: DemoHierarchy) -> None:
    ident = "ucid:ctyun.east/cn-sh/neoverse-n2/cpu=128;mem=512GiB"
    blocking = Resolver(anchor(demo)).resolve(ident)
    asynchronous = asyncio.run(AsyncResolver(anchor(demo)).resolve(ident))
    assert blocking.descriptor == asynchronous.descriptor
    assert str(blocking.identifier) == str(cid.parse(ident))
    pattern = "ucid:*.east/*/*"
    found = Resolver(anchor(demo)).find(pattern)
    found_async = asyncio.run(AsyncResolver(anchor(demo)).find(pattern))
    assert sorted(str(r.identifier) for r in found.results) == sorted(
        str(r.identifier) for r in found_async.results
    )
    assert found.results
