"""Properties of the sans-IO resolution core under any responses at all.

Whatever comes back to each query (the honest response, the honest response
with bytes flipped or cut off, random bytes behind the right id, a timeout,
an unreachable server) and whatever addresses a look-up returns:

- the resolution ends (``action()`` None) after at most ``max_queries``
  actions (queries and look-ups), raising nothing: it holds a result or an
  error, never both;
- a result is the honest descriptor and nothing else: no lie verifies;
- the cache and the version store hold only what the real keys signed.

The honest responses come from real authorities (``tests/hostile.py``).
"""

from __future__ import annotations

import random
from typing import Final

import pytest
from hostile import (
    ACME,
    ACME_ADDR,
    CTYUN,
    EAST,
    EAST_ADDR,
    FORWARDER_ADDR,
    GH,
    HPC,
    HPC_ADDR,
    JS,
    MI,
    ROOT_ADDR,
    Hierarchy,
    Network,
    build_hierarchy,
    zone_key,
)
from hypothesis import event, given
from hypothesis import strategies as st

from resolver import (
    Cache,
    Limits,
    Lookup,
    Resolution,
    ResolutionError,
    Resolved,
    VersionStore,
)

NOW: Final = 1_767_830_000
LIMITS: Final = Limits(max_queries=12, rounds=2, max_lookups=2)
ADDRESSES: Final = (ROOT_ADDR, HPC_ADDR, ACME_ADDR, EAST_ADDR, FORWARDER_ADDR, "192.0.2.1")
ZONES: Final = (HPC, ACME, EAST, CTYUN)
HONEST_VERSION: Final = {GH: 2, MI: 1, JS: 1, HPC: 1, ACME: 1, EAST: 1, CTYUN: 1}


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory: pytest.TempPathFactory) -> Hierarchy:
    return build_hierarchy(tmp_path_factory.mktemp("property") / "registry", NOW)


# What comes back to one query, applied to the honest response (None: no server there).
flips = st.lists(st.tuples(st.integers(0, 2**16), st.integers(1, 255)), min_size=1, max_size=4)
lies = st.one_of(
    st.tuples(st.just("flip"), flips),
    st.tuples(st.just("cut"), st.integers(0, 2**16)),
    st.tuples(st.just("junk"), st.binary(max_size=1400)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=64)),
    st.just(("timeout",)),
    st.just(("unreachable",)),
)
# Mostly honest, so that lies come at every step of the way down.
replies = st.integers(0, 99).flatmap(lambda n: st.just(("honest",)) if n < 60 else lies)


def _reply(kind: tuple[object, ...], honest: bytes | None, query_wire: bytes) -> bytes | None:
    """The response ``kind`` makes of ``honest``; None for a timeout."""
    if kind[0] == "junk":
        assert isinstance(kind[1], bytes)
        return query_wire[:2] + kind[1]  # the right id, so that it is read
    if honest is None or kind[0] == "timeout":
        return None
    if kind[0] == "flip":
        out = bytearray(honest)
        for at, xor in kind[1]:  # type: ignore[attr-defined]
            out[at % len(out)] ^= xor
        return bytes(out)
    if kind[0] == "cut":
        assert isinstance(kind[1], int)
        return honest[: kind[1] % len(honest)]
    if kind[0] == "append":
        assert isinstance(kind[1], bytes)
        return honest + kind[1]
    return honest


def _check_state(h: Hierarchy, cache: Cache, versions: VersionStore, res: Resolution) -> None:
    for zone in ZONES:
        entry = cache.zone(zone)
        if entry is not None:
            assert entry.keys == (zone_key(zone).verify_key,)
    assert len(cache.zones) <= len(ZONES)
    for subject in versions:
        assert subject in HONEST_VERSION
        assert versions.version(subject) == HONEST_VERSION[subject]
    cached = cache.answer((res.key, res.qtype))
    if cached is not None:
        assert isinstance(cached, Resolved)
        assert cached.descriptor == h.descriptor(str(cached.identifier))


@given(
    identifier=st.sampled_from([GH, MI, JS]),
    forwarding=st.booleans(),
    seed=st.integers(0, 2**32),
    data=st.data(),
)
def test_any_responses_end_in_a_result_or_an_error(
    hierarchy: Hierarchy, identifier: str, forwarding: bool, seed: int, data: st.DataObject
) -> None:
    h = hierarchy
    cache, versions = Cache(), VersionStore()
    res = Resolution.for_identifier(
        identifier,
        anchor=h.anchor(),
        cache=cache,
        versions=versions,
        now=NOW + 10,
        clock=0.0,
        limits=LIMITS,
        rng=random.Random(seed),
        forwarder=(FORWARDER_ADDR, 53) if forwarding else None,
    )
    honest = Network(h)
    actions = 0
    while (action := res.action()) is not None:
        actions += 1
        assert actions <= LIMITS.max_queries
        clock = res.clock + 0.01
        if isinstance(action, Lookup):
            addresses = st.lists(st.sampled_from(ADDRESSES), max_size=3).map(tuple)
            found = data.draw(st.none() | addresses, label="lookup")  # None: no end in time
            if found is None:
                res.timed_out(clock=clock)
            else:
                res.looked_up(found, clock=clock)
            continue
        kind = data.draw(replies, label="reply")
        if kind[0] == "unreachable":
            res.unreachable("connection refused", clock=clock)
            continue
        wire = _reply(kind, honest.exchange(action), action.wire)
        if wire is None:
            res.timed_out(clock=clock)
        else:
            res.receive(wire, clock=clock)

    assert (res.result is None) != (res.error is None)
    event(res.error.outcome.code if res.error is not None else "OK")
    if res.error is not None:
        assert isinstance(res.error, ResolutionError)
    else:
        assert isinstance(res.result, Resolved)
        assert res.result.descriptor == h.descriptor(identifier)
        assert res.result.zone == {GH: ACME, MI: ACME, JS: CTYUN}[identifier]
    _check_state(h, cache, versions, res)


@given(
    identifier=st.sampled_from([GH, JS]),
    steps=st.lists(st.floats(0.01, 2.0), min_size=1, max_size=20),
)
def test_the_deadline_always_ends_it(
    hierarchy: Hierarchy, identifier: str, steps: list[float]
) -> None:
    # Replies (every other query) and timeouts, early or late: the resolution
    # never asks again once its deadline has passed.
    h = hierarchy
    limits = Limits(deadline=1.0, rounds=50, max_queries=1000)
    res = Resolution.for_identifier(
        identifier,
        anchor=h.anchor(),
        cache=Cache(),
        versions=VersionStore(),
        now=NOW + 10,
        clock=0.0,
        limits=limits,
        rng=random.Random(0),
    )
    honest = Network(h)
    i = 0
    while (action := res.action()) is not None:
        assert res.clock < limits.deadline
        assert 0 < res.timeout_for(res.clock) <= limits.query_timeout
        clock = res.clock + steps[i % len(steps)]
        i += 1
        assert not isinstance(action, Lookup)  # the honest referrals carry glue
        wire = honest.exchange(action) if i % 2 else None
        if wire is None:
            res.timed_out(clock=clock)
        else:
            res.receive(wire, clock=clock)
    assert (res.result is None) != (res.error is None)
    assert i <= 100  # at least 0.01 s a query within a 1 s deadline
