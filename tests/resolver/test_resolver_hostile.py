"""The resolver against hostile servers, over real UDP and TCP on loopback.

Each zone of the hierarchy (``hostile.py``) has its own server, so referrals are
real; one server at a time lies (the table says which and how). Every case
checks the outcome, that it came within the deadline, that nothing the liar
said stays in the cache or the version store, and that once the server is
honest again the same resolver finds the right endpoints.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, Final

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from hostile import (
    ACME,
    ACME_ADDR,
    ATTACKER,
    CTYUN,
    DELEGATION,
    DESCRIPTOR,
    EAST,
    GH,
    HPC,
    JS,
    MI,
    ROOT,
    ROOT_ADDR,
    Behaviour,
    Change,
    Hierarchy,
    HostileServers,
    Make,
    build_hierarchy,
    by_type,
    extra_additional,
    flip_signature,
    malformed,
    mutate_record,
    mutate_txt,
    not_authoritative,
    nxdomain,
    only,
    padded,
    redirect_glue,
    refer_to,
    refused,
    replace_record,
    rewrite,
    serve_delegation,
    serve_descriptor,
    servfail,
    silent,
    swap_kid,
    truncated,
    unasked_answer,
    validity,
    wrong_id,
    wrong_id_then_right,
    zone_key,
)

import cid
from resolver import (
    AsyncResolver,
    Cache,
    Limits,
    Outcome,
    ResolutionError,
    Resolved,
    Resolver,
    VersionStore,
)

LIMITS = Limits(deadline=1.0, query_timeout=0.25, rounds=2)
# Scheduling and the last reply's processing, on top of the deadline.
SLACK = 0.5
CHAIN = {GH: (ROOT, HPC, ACME), MI: (ROOT, HPC, ACME), JS: (ROOT, EAST, CTYUN)}


class Wallclock:
    """A wall clock the test moves (``Resolver(wallclock=...)``)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory: pytest.TempPathFactory) -> Hierarchy:
    return build_hierarchy(tmp_path_factory.mktemp("hostile") / "registry", int(time.time()))


@pytest.fixture(scope="module")
def servers(hierarchy: Hierarchy) -> Iterator[HostileServers]:
    try:
        running = HostileServers(hierarchy).start()
    except OSError as exc:  # pragma: no cover - loopback is 127/8 on Linux
        pytest.skip(f"cannot listen on 127.53.0.x: {exc}")
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def honest_again(servers: HostileServers) -> Iterator[None]:
    servers.reset()
    yield
    servers.reset()
    assert servers.take_errors() == [], "a behaviour raised: the test is broken"


def make_resolver(servers: HostileServers, limits: Limits = LIMITS, **options: object) -> Resolver:
    options.setdefault("wallclock", Wallclock(servers.hierarchy.now))
    return Resolver(servers.anchor, limits=limits, **options)  # type: ignore[arg-type]


def cache_key(identifier: str) -> tuple[str, int]:
    return cid.parse(identifier).to_dns_name(ROOT).lower(), DESCRIPTOR


def assert_nothing_cached(cache: Cache, identifier: str) -> None:
    assert cache.answer(cache_key(identifier)) is None
    assert cache.negative_answer(cache_key(identifier)) is None


def assert_honest(found: Resolved, hierarchy: Hierarchy, identifier: str) -> None:
    published = hierarchy.descriptor(identifier)
    assert found.endpoints == tuple(sorted(published.endpoints, key=lambda e: e.priority))
    assert found.descriptor == published
    assert found.chain == CHAIN[identifier]
    assert not found.stale


def failing(
    resolve: Callable[[], object], outcome: Outcome, deadline: float = LIMITS.deadline
) -> ResolutionError:
    """Run ``resolve``: it must raise ``outcome`` within the deadline."""
    start = time.monotonic()
    with pytest.raises(ResolutionError) as info:
        resolve()
    elapsed = time.monotonic() - start
    assert info.value.outcome is outcome, str(info.value)
    assert elapsed < deadline + SLACK
    return info.value


# ------------------------------------------------------------------ one liar at a time


def _expired(h: Hierarchy) -> dict[str, int]:
    return validity(h.now - 2000, h.now - 1000)


TIMEOUT, LAME, SERVFAIL = Outcome.TIMEOUT, Outcome.LAME_DELEGATION, Outcome.SERVFAIL
LOOP, LIMIT, BOGUS, EXPIRED = Outcome.LOOP, Outcome.LIMIT_EXCEEDED, Outcome.BOGUS, Outcome.EXPIRED


def _always(behaviour: Behaviour) -> Make:
    return lambda h: behaviour


def _changed(*changes: Change) -> Make:
    return _always(rewrite(*changes))


def _signed_by(key: cid.SigningKey, identifier: str, issuer: str) -> Make:
    return serve_descriptor(lambda h: h.forge(identifier, key, issuer=issuer))


HOSTILE: dict[str, tuple[str, Make, str, Outcome]] = {
    # id: (the lying server, its lie, identifier resolved, outcome)
    "silent-provider": ("acme", _always(silent), GH, TIMEOUT),
    "silent-root": ("root", _always(silent), GH, TIMEOUT),
    "wrong-id-only": ("acme", _always(wrong_id), GH, TIMEOUT),
    "refused": ("acme", _changed(refused), GH, LAME),
    "refused-platform": ("hpc", _changed(refused), GH, LAME),
    "answer-without-aa": ("acme", _changed(not_authoritative), GH, LAME),
    "nxdomain-without-aa": ("acme", _changed(nxdomain(ACME), not_authoritative), GH, LAME),
    "out-of-bailiwick-answer": ("acme", _changed(unasked_answer), GH, LAME),
    "referral-sideways": ("root", _changed(refer_to(EAST, f"ns1.{EAST}", ROOT_ADDR)), GH, LAME),
    "servfail": ("acme", _changed(servfail), GH, SERVFAIL),
    "malformed": ("acme", _always(malformed), GH, SERVFAIL),
    "child-refers-to-parent": ("hpc", _changed(refer_to(ROOT, f"ns1.{ROOT}", ROOT_ADDR)), GH, LOOP),
    "truncated-over-tcp-too": ("acme", _changed(truncated(over_tcp=True)), GH, SERVFAIL),
    "udp-over-1232": ("acme", _changed(padded(1500, over_tcp=False)), GH, LIMIT),
    "descriptor-flipped": ("acme", _changed(mutate_record(DESCRIPTOR, flip_signature)), GH, BOGUS),
    "descriptor-unknown-key": (
        "acme",
        serve_descriptor(lambda h: h.forge(GH, ATTACKER)),
        GH,
        BOGUS,
    ),
    "descriptor-key-not-the-kid": (
        "acme",
        serve_descriptor(lambda h: swap_kid(h.forge(GH, ATTACKER), zone_key(ACME).kid)),
        GH,
        BOGUS,
    ),
    "descriptor-signed-by-parent": ("acme", _signed_by(zone_key(HPC), GH, HPC), GH, BOGUS),
    "descriptor-issuer-elsewhere": ("east", _signed_by(zone_key(ACME), JS, ACME), JS, BOGUS),
    "descriptor-of-another-identifier": (
        "acme",
        serve_descriptor(lambda h: h.signed(MI)),
        GH,
        BOGUS,
    ),
    "descriptor-expired": (
        "acme",
        serve_descriptor(lambda h: h.forge(GH, version=3, **_expired(h))),
        GH,
        EXPIRED,
    ),
    "delegation-unknown-key": (
        "root",
        serve_delegation(lambda h: h.forge_delegation(HPC, ATTACKER)),
        GH,
        BOGUS,
    ),
    "delegation-to-attacker-keys": (
        "root",
        serve_delegation(lambda h: h.forge_delegation(HPC, ATTACKER, keys=(ATTACKER.verify_key,))),
        GH,
        BOGUS,
    ),
    "delegation-signed-by-child": (
        "root",
        serve_delegation(lambda h: h.forge_delegation(HPC, zone_key(HPC))),
        GH,
        BOGUS,
    ),
    "delegation-of-another-child": (
        "root",
        serve_delegation(lambda h: h.delegation_signed(EAST)),
        GH,
        BOGUS,
    ),
    "delegation-flipped": ("root", _changed(mutate_record(DELEGATION, flip_signature)), GH, BOGUS),
    "delegation-expired": (
        "root",
        serve_delegation(lambda h: h.forge_delegation(HPC, version=2, **_expired(h))),
        GH,
        EXPIRED,
    ),
    "fetched-delegation-unknown-key": (
        "east",
        serve_delegation(lambda h: h.forge_delegation(CTYUN, ATTACKER)),
        JS,
        BOGUS,
    ),
}


@pytest.mark.parametrize(
    ("server", "make", "identifier", "outcome"), list(HOSTILE.values()), ids=list(HOSTILE)
)
def test_one_hostile_server(
    servers: HostileServers, server: str, make: Make, identifier: str, outcome: Outcome
) -> None:
    resolver = make_resolver(servers)
    liar = getattr(servers, server)
    liar.behaviour = make(servers.hierarchy)

    failing(lambda: resolver.resolve(identifier), outcome)
    assert liar.queries, "the lying server was never asked"
    assert_nothing_cached(resolver.cache, identifier)
    assert resolver.versions.version(identifier) is None

    servers.reset()
    assert_honest(resolver.resolve(identifier), servers.hierarchy, identifier)


def test_glue_pointing_back_up_is_a_loop(servers: HostileServers) -> None:
    servers.hpc.behaviour = rewrite(redirect_glue(ROOT_ADDR))
    resolver = make_resolver(servers)
    failing(lambda: resolver.resolve(GH), Outcome.LOOP)
    assert servers.root.asked(DESCRIPTOR) == 2  # as the root, then as "acme"
    assert_nothing_cached(resolver.cache, GH)


@pytest.mark.parametrize(
    ("address", "outcome"),
    [(ROOT_ADDR, Outcome.LOOP), ("127.53.0.99", Outcome.TIMEOUT)],
    ids=["back-to-the-root", "nowhere"],
)
def test_redirected_glue_is_forgotten(
    servers: HostileServers, address: str, outcome: Outcome
) -> None:
    servers.hpc.behaviour = rewrite(redirect_glue(address))
    resolver = make_resolver(servers)
    failing(lambda: resolver.resolve(GH), outcome)
    servers.reset()
    assert_honest(resolver.resolve(GH), servers.hierarchy, GH)  # raises the same again


def test_deadline_bounds_many_rounds(servers: HostileServers) -> None:
    limits = Limits(deadline=0.6, query_timeout=0.25, rounds=10)
    servers.root.behaviour = silent
    failing(lambda: make_resolver(servers, limits).resolve(GH), Outcome.TIMEOUT, 0.6)
    assert 2 <= servers.root.asked(DESCRIPTOR) <= 4


# ------------------------------------------------------------------ lies that fail to hurt


def test_forged_datagram_before_the_answer_is_ignored(servers: HostileServers) -> None:
    servers.acme.behaviour = wrong_id_then_right
    found = make_resolver(servers).resolve(GH)
    assert_honest(found, servers.hierarchy, GH)
    assert servers.acme.asked(DESCRIPTOR) == 1  # the answer was taken, no retry


def test_truncated_then_tcp_succeeds(servers: HostileServers) -> None:
    servers.acme.behaviour = rewrite(truncated(over_tcp=False))
    assert_honest(make_resolver(servers).resolve(GH), servers.hierarchy, GH)
    assert servers.acme.asked(DESCRIPTOR, tcp=False) == 1
    assert servers.acme.asked(DESCRIPTOR, tcp=True) == 1


@pytest.mark.parametrize(
    ("max_response", "outcome"),
    [(4096, Outcome.LIMIT_EXCEEDED), (65535, Outcome.OK)],
    ids=["over-the-limit", "within-the-limit"],
)
def test_huge_tcp_response(servers: HostileServers, max_response: int, outcome: Outcome) -> None:
    servers.acme.behaviour = rewrite(truncated(over_tcp=False), padded(60000, over_tcp=True))
    limits = Limits(deadline=1.0, query_timeout=0.25, max_response=max_response)
    resolver = make_resolver(servers, limits)
    if outcome is Outcome.OK:
        assert_honest(resolver.resolve(GH), servers.hierarchy, GH)
    else:
        failing(lambda: resolver.resolve(GH), outcome)
        assert_nothing_cached(resolver.cache, GH)
    assert servers.acme.asked(DESCRIPTOR, tcp=True) >= 1


def test_unasked_records_in_additional_are_not_cached(servers: HostileServers) -> None:
    h = servers.hierarchy
    mi_name = dns.name.from_text(cid.parse(MI).to_dns_name(ROOT))
    rdata = dns.rdata.from_wire(dns.rdataclass.IN, DESCRIPTOR, h.signed(MI), 0, len(h.signed(MI)))
    planted = dns.rrset.from_rdata(mi_name, 86400, rdata)
    servers.acme.behaviour = rewrite(extra_additional(planted))
    resolver = make_resolver(servers)
    assert_honest(resolver.resolve(GH), h, GH)
    assert_nothing_cached(resolver.cache, MI)


# ------------------------------------------------------------------ rollback


def test_replayed_old_version_is_a_rollback(servers: HostileServers) -> None:
    h = servers.hierarchy
    versions = VersionStore()
    assert_honest(make_resolver(servers, versions=versions).resolve(GH), h, GH)
    assert versions.version(GH) == 2

    servers.acme.behaviour = serve_descriptor(lambda h: h.forge(GH, version=1))(h)
    later = make_resolver(servers, versions=versions)  # a cold cache, the same versions
    failing(lambda: later.resolve(GH), Outcome.ROLLBACK)
    assert_nothing_cached(later.cache, GH)
    assert versions.version(GH) == 2

    servers.reset()
    assert_honest(later.resolve(GH), h, GH)


def test_same_version_other_claims_is_a_rollback(servers: HostileServers) -> None:
    h = servers.hierarchy
    versions = VersionStore()
    make_resolver(servers, versions=versions).resolve(GH)
    other = (cid.Endpoint("tcp", "https", "evil.example", 443),)
    servers.acme.behaviour = serve_descriptor(lambda h: h.forge(GH, endpoints=other))(h)
    later = make_resolver(servers, versions=versions)
    failing(lambda: later.resolve(GH), Outcome.ROLLBACK)
    assert_nothing_cached(later.cache, GH)


def test_rollback_is_caught_across_restarts(servers: HostileServers, tmp_path: Path) -> None:
    path = tmp_path / "versions.json"
    make_resolver(servers, versions=path).resolve(GH)
    servers.acme.behaviour = serve_descriptor(lambda h: h.forge(GH, version=1))(servers.hierarchy)
    restarted = make_resolver(servers, versions=path)
    failing(lambda: restarted.resolve(GH), Outcome.ROLLBACK)
    assert VersionStore(path).version(GH) == 2


def test_replayed_old_delegation_is_a_rollback(servers: HostileServers) -> None:
    h = servers.hierarchy
    versions = VersionStore()
    servers.root.behaviour = serve_delegation(lambda h: h.forge_delegation(HPC, version=5))(h)
    make_resolver(servers, versions=versions).resolve(GH)
    assert versions.version(HPC) == 5

    servers.reset()  # the published version 1 is now older than one seen
    later = make_resolver(servers, versions=versions)
    failing(lambda: later.resolve(GH), Outcome.ROLLBACK)
    assert_nothing_cached(later.cache, GH)
    assert versions.version(HPC) == 5


# ------------------------------------------------------------------ serve-stale


def test_serve_stale_when_the_servers_fail(servers: HostileServers) -> None:
    h = servers.hierarchy
    clock = Wallclock(h.now)
    limits = Limits(deadline=1.0, query_timeout=0.25, live_ttl=1, stale_window=300)
    resolver = make_resolver(servers, limits, wallclock=clock)
    first = resolver.resolve(GH)
    assert first.fresh_until == h.now + 1
    assert first.stale_until == h.now + 301

    servers.reset()
    servers.acme.behaviour = silent
    clock.now = h.now + 100  # past fresh, within the stale window
    start = time.monotonic()
    stale = resolver.resolve(GH)
    assert time.monotonic() - start < limits.deadline + SLACK
    assert stale.stale
    assert stale.from_cache
    assert stale.descriptor == first.descriptor
    # It did try: both rounds, then both again after forgetting the cached zone (§14.2).
    assert servers.acme.asked(DESCRIPTOR) == 4

    servers.acme.behaviour = rewrite(refused)
    assert resolver.resolve(GH).stale

    # A forgery is not a failure to paper over: it is reported.
    servers.acme.behaviour = rewrite(mutate_record(DESCRIPTOR, flip_signature))
    failing(lambda: resolver.resolve(GH), Outcome.BOGUS)

    servers.acme.behaviour = silent
    clock.now = h.now + 301  # past the window
    failing(lambda: resolver.resolve(GH), Outcome.TIMEOUT)

    servers.reset()
    fresh = resolver.resolve(GH)
    assert not fresh.stale
    assert not fresh.from_cache
    assert fresh.fresh_until == h.now + 302


def test_fresh_answer_asks_nobody(servers: HostileServers) -> None:
    resolver = make_resolver(servers)
    resolver.resolve(GH)
    servers.reset()
    servers.acme.behaviour = silent
    found = resolver.resolve(GH)
    assert found.from_cache
    assert not found.stale
    assert servers.acme.queries == []


def test_descriptor_signed_above_the_cut_via_referral(servers: HostileServers) -> None:
    # east.ucid.example and ctyun.east.ucid.example share a server; the root refers to
    # east, and east's server answers for a name below the ctyun cut, signed by east.
    # Spec §12.6: accepted without probing, since east's key could re-delegate ctyun
    # anyway; the record still verifies only with east's key, and says so.
    servers.east.behaviour = _signed_by(zone_key(EAST), JS, EAST)(servers.hierarchy)
    found = make_resolver(servers).resolve(JS)
    assert found.zone == EAST and found.descriptor.issuer == EAST


# ------------------------------------------------------------------ forged negative answers


def test_forged_nxdomain_is_not_kept_for_years(servers: HostileServers) -> None:
    servers.acme.behaviour = only(DESCRIPTOR, rewrite(nxdomain(ACME, ttl=2**31 - 1)))
    resolver = make_resolver(servers)
    failing(lambda: resolver.resolve(GH), Outcome.NOT_FOUND)
    entry = resolver.cache.negative_answer(cache_key(GH))
    assert entry is not None
    assert entry.expires - servers.hierarchy.now == LIMITS.max_negative_ttl


# ------------------------------------------------------------------ forwarder


FORWARDED = [
    pytest.param(lambda h: None, Outcome.OK, id="honest"),
    pytest.param(
        lambda h: rewrite(mutate_record(DESCRIPTOR, flip_signature)),
        Outcome.BOGUS,
        id="descriptor-flipped",
    ),
    pytest.param(
        serve_descriptor(lambda h: h.forge(GH, ATTACKER, issuer=HPC)),
        Outcome.BOGUS,
        id="descriptor-forged-with-its-chain",
    ),
    pytest.param(
        serve_delegation(lambda h: h.forge_delegation(ACME, ATTACKER)),
        Outcome.BOGUS,
        id="delegation-forged",
    ),
    pytest.param(
        lambda h: rewrite(replace_record(DESCRIPTOR, h.forge(GH, zone_key(HPC), issuer=HPC))),
        Outcome.BOGUS,
        id="descriptor-signed-above-its-cut",
    ),
    pytest.param(lambda h: silent, Outcome.TIMEOUT, id="silent"),
    # A forwarder never refers (§12.4.1): following this would ask the root directly.
    pytest.param(
        lambda h: rewrite(refer_to(HPC, f"ns1.{HPC}", ROOT_ADDR)),
        Outcome.LAME_DELEGATION,
        id="referral",
    ),
]


@pytest.mark.parametrize(("make", "outcome"), FORWARDED)
def test_forwarder_cannot_forge(
    servers: HostileServers, make: Callable[[Hierarchy], Behaviour | None], outcome: Outcome
) -> None:
    resolver = make_resolver(servers, forwarder=(servers.forwarder.address, servers.port))
    behaviour = make(servers.hierarchy)
    if behaviour is not None:
        servers.forwarder.behaviour = behaviour
    if outcome is Outcome.OK:
        assert_honest(resolver.resolve(GH), servers.hierarchy, GH)
    else:
        failing(lambda: resolver.resolve(GH), outcome)
        assert_nothing_cached(resolver.cache, GH)
        servers.reset()
        assert_honest(resolver.resolve(GH), servers.hierarchy, GH)
    assert servers.acme.queries == servers.root.queries == []  # only the forwarder asked
    assert servers.forwarder.queries


TXT: Final = dns.rdatatype.TXT
FALLBACK = [
    # (the forwarder's behaviour per question type, outcome, TXT questions it gets)
    pytest.param({}, Outcome.OK, 0, id="honest"),
    pytest.param({DESCRIPTOR: rewrite(refused)}, Outcome.OK, 1, id="refuses-the-type"),
    pytest.param({DESCRIPTOR: silent}, Outcome.OK, 1, id="drops-the-type"),
    pytest.param(
        {DESCRIPTOR: rewrite(refused), TXT: rewrite(refused)},
        Outcome.LAME_DELEGATION,
        1,
        id="refuses-txt-too",
    ),
    pytest.param(
        {DESCRIPTOR: rewrite(refused), TXT: rewrite(mutate_txt(flip_signature))},
        Outcome.BOGUS,
        1,
        id="forged-txt-copy",
    ),
]


@pytest.mark.parametrize("driver", ["sync", "async"])
@pytest.mark.parametrize(("behaviours", "outcome", "asked"), FALLBACK)
def test_txt_fallback_through_a_forwarder(
    servers: HostileServers,
    driver: str,
    behaviours: dict[dns.rdatatype.RdataType, Behaviour],
    outcome: Outcome,
    asked: int,
) -> None:
    # A forwarder that does not pass TYPE65280 (but passes TYPE65281): the descriptor's
    # TXT copy is asked for and verified as the record itself (§12.7.1).
    servers.forwarder.behaviour = by_type(behaviours)
    h = servers.hierarchy
    forwarder = (servers.forwarder.address, servers.port)
    if driver == "sync":
        resolve = partial(make_resolver(servers, forwarder=forwarder).resolve, GH)
    else:
        aio = AsyncResolver(
            servers.anchor, forwarder=forwarder, limits=LIMITS, wallclock=Wallclock(h.now)
        )
        resolve = partial(asyncio.run, aio.resolve(GH))
    if outcome is Outcome.OK:
        assert_honest(resolve(), h, GH)
    else:
        failing(resolve, outcome)
    assert servers.forwarder.asked(TXT) == asked
    assert servers.acme.queries == servers.root.queries == []  # only the forwarder asked


# ------------------------------------------------------------------ servers without glue

STUCK: Final = 3.0  # how long a stuck system resolver keeps a lookup: past deadline and slack
Answer = tuple[str, ...] | OSError | None  # addresses, a failure, or None: stuck


@pytest.fixture
def system_resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Answer]]:
    """``socket.getaddrinfo`` answers for the names put in the dict, as said there;
    other names (server addresses among them) as usual."""
    answers: dict[str, Answer] = {}
    release = threading.Event()
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kw)
        answer = answers[host]
        if answer is None:
            release.wait(STUCK)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if isinstance(answer, OSError):
            raise answer
        return [(socket.AF_INET, socket.SOCK_DGRAM, 17, "", (a, 0)) for a in answer]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    yield answers
    release.set()  # the lookup threads left behind end now


def _no_glue(msg: dns.message.Message, tcp: bool) -> None:
    address = (dns.rdatatype.A, dns.rdatatype.AAAA)
    msg.additional = [r for r in msg.additional if r.rdtype not in address]


LOOKUPS = [
    pytest.param((ACME_ADDR,), Outcome.OK, id="found"),
    pytest.param(socket.gaierror(socket.EAI_NONAME, "unknown"), Outcome.LAME_DELEGATION, id="none"),
    pytest.param(None, Outcome.TIMEOUT, id="stuck"),
]


@pytest.mark.parametrize("driver", ["sync", "async"])
@pytest.mark.parametrize(("answer", "outcome"), LOOKUPS)
def test_lookups_end_by_the_deadline(
    servers: HostileServers,
    system_resolver: dict[str, Answer],
    driver: str,
    answer: Answer,
    outcome: Outcome,
) -> None:
    # hpc refers to acme without glue: ns1.acme is looked up with the system resolver,
    # which has no timeout of its own; the resolution still ends by its deadline.
    servers.hpc.behaviour = rewrite(_no_glue)
    system_resolver[f"ns1.{ACME}"] = answer
    h = servers.hierarchy
    if driver == "sync":
        resolve = partial(make_resolver(servers).resolve, GH)
    else:
        aio = AsyncResolver(servers.anchor, limits=LIMITS, wallclock=Wallclock(h.now))
        # asyncio.run returns only when the loop's threads have ended: none may be stuck.
        resolve = partial(asyncio.run, aio.resolve(GH))
    if outcome is Outcome.OK:
        assert_honest(resolve(), h, GH)
        assert servers.acme.asked(DESCRIPTOR) == 1
    else:
        failing(resolve, outcome)
        assert servers.acme.queries == []


# ------------------------------------------------------------------ discovery


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_discovery_ends_by_its_deadline(servers: HostileServers, driver: str) -> None:
    # acme is silent: its listing would take two rounds of 0.25 s, and the walk has 0.4 s.
    servers.acme.behaviour = silent
    h = servers.hierarchy
    if driver == "sync":
        find = partial(make_resolver(servers).find, "ucid:*", deadline=0.4)
    else:
        aio = AsyncResolver(servers.anchor, limits=LIMITS, wallclock=Wallclock(h.now))
        find = partial(asyncio.run, aio.find("ucid:*", deadline=0.4))
    start = time.monotonic()
    found = find()
    assert time.monotonic() - start < 0.4 + SLACK
    assert (found.complete, found.bound) == (False, "deadline")
    assert found.failures == ()  # acme's listing was cut short, not failed
    assert servers.acme.queries
    assert {str(r.identifier) for r in found.results} <= {JS}


# ------------------------------------------------------------------ asyncio driver

ASYNC = [
    pytest.param(lambda h: wrong_id_then_right, Outcome.OK, id="forged-then-right"),
    pytest.param(lambda h: rewrite(truncated(over_tcp=False)), Outcome.OK, id="truncated"),
    pytest.param(lambda h: wrong_id, Outcome.TIMEOUT, id="wrong-id-only"),
    pytest.param(
        lambda h: rewrite(mutate_record(DESCRIPTOR, flip_signature)),
        Outcome.BOGUS,
        id="flipped",
    ),
]


@pytest.mark.parametrize(("make", "outcome"), ASYNC)
def test_async_resolver(servers: HostileServers, make: Make, outcome: Outcome) -> None:
    h = servers.hierarchy
    resolver = AsyncResolver(servers.anchor, limits=LIMITS, wallclock=Wallclock(h.now))
    servers.acme.behaviour = make(h)
    if outcome is Outcome.OK:
        assert_honest(asyncio.run(resolver.resolve(GH)), h, GH)
        return
    failing(lambda: asyncio.run(resolver.resolve(GH)), outcome)
    assert_nothing_cached(resolver.cache, GH)
    servers.reset()
    assert_honest(asyncio.run(resolver.resolve(GH)), h, GH)
