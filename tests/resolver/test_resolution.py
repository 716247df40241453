"""The sans-IO resolution core (``resolver.Resolution``), with no network at all.

Responses come from real :class:`cid._authority.Authority` objects over the
hierarchy of ``hostile.py`` (``hostile.drive`` hands each query to the
authority of the address it is sent to); the tables change one server's
responses with dnspython and map each change to its outcome. Clocks are
numbers the test passes, so deadlines are exact.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
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
    EAST_ADDR,
    FORWARDER_ADDR,
    GH,
    HPC,
    HPC_ADDR,
    JS,
    MI,
    ROOT,
    ROOT_ADDR,
    Behaviour,
    Change,
    Hierarchy,
    Make,
    Network,
    answer_with,
    build_hierarchy,
    by_type,
    drive,
    flip_signature,
    malformed,
    mutate_record,
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
    zone_key,
)

import cid
from cid.registry._zone import txt_strings
from resolver import (
    Cache,
    Discovery,
    Limits,
    Lookup,
    Outcome,
    Query,
    Resolution,
    ResolutionError,
    Resolved,
    VersionStore,
    order_endpoints,
)
from resolver._discovery import Walk

NOW = 1_767_830_000  # when the hierarchy is signed; resolutions run 10 s later
MISSING = str(cid.parse("ucid:acme.hpc/de-by/neoverse-v2+sm90/acc=8"))  # NXDOMAIN
BARE = str(cid.parse("ucid:acme.hpc/de-by/neoverse-v2+sm90"))  # an empty non-terminal
CHAIN = {GH: (ROOT, HPC, ACME), MI: (ROOT, HPC, ACME), JS: (ROOT, EAST, CTYUN)}


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory: pytest.TempPathFactory) -> Hierarchy:
    return build_hierarchy(tmp_path_factory.mktemp("core") / "registry", NOW)


def start(
    h: Hierarchy,
    identifier: str,
    *,
    cache: Cache | None = None,
    versions: VersionStore | None = None,
    limits: Limits | None = None,
    now: int = NOW + 10,
    clock: float = 0.0,
    **options: object,
) -> Resolution:
    return Resolution.for_identifier(
        identifier,
        anchor=h.anchor(),
        cache=Cache() if cache is None else cache,
        versions=VersionStore() if versions is None else versions,
        now=now,
        clock=clock,
        limits=limits,
        rng=random.Random(7),
        **options,
    )


def run(
    h: Hierarchy, identifier: str, behaviours: dict[str, Behaviour] | None = None, **options: object
) -> tuple[Resolution, Network]:
    network = Network(h, dict(behaviours or {}))
    return drive(start(h, identifier, **options), network), network  # type: ignore[arg-type]


def error_of(res: Resolution) -> ResolutionError:
    assert res.action() is None
    assert res.result is None, "a result and an error"
    assert res.error is not None
    return res.error


def resolved(res: Resolution) -> Resolved:
    assert res.action() is None
    assert res.error is None, str(res.error)
    assert isinstance(res.result, Resolved)
    return res.result


# ------------------------------------------------------------------ honest resolutions


@pytest.mark.parametrize(
    ("identifier", "queries"),
    [
        (GH, [ROOT_ADDR, HPC_ADDR, ACME_ADDR]),
        (MI, [ROOT_ADDR, HPC_ADDR, ACME_ADDR]),
        # east's server holds ctyun too: ctyun's delegation record is fetched, and the
        # region and architecture nodes are probed for cuts below it (§2.2).
        (JS, [ROOT_ADDR, EAST_ADDR, EAST_ADDR, EAST_ADDR, EAST_ADDR]),
    ],
    ids=["gh", "mi", "js-through-deleg"],
)
def test_honest(hierarchy: Hierarchy, identifier: str, queries: list[str]) -> None:
    res, network = run(hierarchy, identifier, trace=True)
    found = resolved(res)
    assert found.descriptor == hierarchy.descriptor(identifier)
    assert found.chain == CHAIN[identifier]
    assert found.zone == CHAIN[identifier][-1]
    assert found.fresh_until == NOW + 10 + Limits().live_ttl
    assert [q.server[0] for q in network.sent] == queries
    assert res.queries == len(queries)
    assert res.trace and str(res.trace[-1]).startswith(f"[{found.zone}]")


# ------------------------------------------------------------------ one server lies


def _change(change: Callable[[dns.message.Message], object]) -> Make:
    def apply(msg: dns.message.Message, tcp: bool) -> None:
        change(msg)

    return lambda h: rewrite(apply)


def _over_tcp(lie: Behaviour) -> Behaviour:
    """TC over UDP, so that the question is asked again over TCP; there, ``lie``. (Over
    UDP the transport drops what does not answer the query: a forgery racing it.)"""
    udp = rewrite(truncated(over_tcp=False))
    return lambda wire, tcp, authority: (lie if tcp else udp)(wire, tcp, authority)


def _tcp_change(change: Callable[[dns.message.Message], object]) -> Make:
    return lambda h: _over_tcp(_change(change)(h))


def _clear_qr(msg: dns.message.Message) -> None:
    msg.flags &= ~dns.flags.QR


def _other_question(msg: dns.message.Message) -> None:
    name = dns.name.from_text(f"other.{ACME}.")
    msg.question[0] = dns.rrset.RRset(name, dns.rdataclass.IN, msg.question[0].rdtype)


def _no_soa(msg: dns.message.Message) -> None:
    msg.answer.clear()
    msg.authority.clear()


def _no_ns(msg: dns.message.Message) -> None:
    msg.authority.clear()


def _two_descriptors(h: Hierarchy) -> Behaviour:
    def both(msg: dns.message.Message, tcp: bool) -> None:
        rrset = msg.answer[0]
        mi = h.signed(MI)
        rrset.add(dns.rdata.from_wire(dns.rdataclass.IN, DESCRIPTOR, mi, 0, len(mi)))

    return rewrite(both)


FAULTS: dict[str, tuple[str, Make, str, Outcome, str]] = {
    # id: (server, lie, identifier, outcome, words of the error)
    "silent": (ACME_ADDR, lambda h: silent, GH, Outcome.TIMEOUT, "no response"),
    "wrong-id": (ACME_ADDR, lambda h: wrong_id, GH, Outcome.TIMEOUT, "no response"),
    "refused": (ACME_ADDR, lambda h: rewrite(refused), GH, Outcome.LAME_DELEGATION, "REFUSED"),
    "servfail": (ACME_ADDR, lambda h: rewrite(servfail), GH, Outcome.SERVFAIL, "SERVFAIL"),
    "qr-clear-udp": (ACME_ADDR, _change(_clear_qr), GH, Outcome.TIMEOUT, "no response"),
    "qr-clear-tcp": (ACME_ADDR, _tcp_change(_clear_qr), GH, Outcome.SERVFAIL, "not a response"),
    "wrong-id-tcp": (
        ACME_ADDR,
        lambda h: _over_tcp(wrong_id),
        GH,
        Outcome.SERVFAIL,
        "not a response",
    ),
    "malformed": (ACME_ADDR, lambda h: malformed, GH, Outcome.SERVFAIL, "malformed"),
    "no-question-udp": (
        ACME_ADDR,
        _change(lambda m: m.question.clear()),
        GH,
        Outcome.TIMEOUT,
        "no response",
    ),
    "no-question-tcp": (
        ACME_ADDR,
        _tcp_change(lambda m: m.question.clear()),
        GH,
        Outcome.LAME_DELEGATION,
        "without the question",
    ),
    "other-question-udp": (
        ACME_ADDR,
        _change(_other_question),
        GH,
        Outcome.TIMEOUT,
        "no response",
    ),
    "other-question-tcp": (
        ACME_ADDR,
        _tcp_change(_other_question),
        GH,
        Outcome.LAME_DELEGATION,
        "another question",
    ),
    "answer-no-aa": (
        ACME_ADDR,
        lambda h: rewrite(not_authoritative),
        GH,
        Outcome.LAME_DELEGATION,
        "answer without AA",
    ),
    "unasked-answer": (
        ACME_ADDR,
        lambda h: rewrite(unasked_answer),
        GH,
        Outcome.LAME_DELEGATION,
        "unasked data",
    ),
    "nxdomain-no-aa": (
        ACME_ADDR,
        lambda h: rewrite(nxdomain(ACME), not_authoritative),
        GH,
        Outcome.LAME_DELEGATION,
        "NXDOMAIN without AA",
    ),
    "nxdomain-foreign-soa": (
        ACME_ADDR,
        lambda h: rewrite(nxdomain("evil.example")),
        GH,
        Outcome.LAME_DELEGATION,
        "zone's SOA",
    ),
    "nxdomain-soa-beside-the-name": (
        ACME_ADDR,
        lambda h: rewrite(nxdomain(f"_us-ca.{ACME}")),
        GH,
        Outcome.LAME_DELEGATION,
        "negative answer from",
    ),
    "nodata-no-soa": (ACME_ADDR, _change(_no_soa), GH, Outcome.LAME_DELEGATION, "NODATA without"),
    "referral-without-ns": (
        HPC_ADDR,
        _change(_no_ns),
        GH,
        Outcome.LAME_DELEGATION,
        "neither an answer nor a referral",
    ),
    "refer-to-parent": (
        HPC_ADDR,
        lambda h: rewrite(refer_to(ROOT, f"ns1.{ROOT}", ROOT_ADDR)),
        GH,
        Outcome.LOOP,
        "back up",
    ),
    "refer-to-itself": (
        HPC_ADDR,
        lambda h: rewrite(refer_to(HPC, f"ns1.{HPC}", HPC_ADDR)),
        GH,
        Outcome.LOOP,
        "back up",
    ),
    "glue-to-root": (
        HPC_ADDR,
        lambda h: rewrite(redirect_glue(ROOT_ADDR)),
        GH,
        Outcome.LOOP,
        "back up",
    ),
    "refer-sideways": (
        ROOT_ADDR,
        lambda h: rewrite(refer_to(EAST, f"ns1.{EAST}", EAST_ADDR)),
        GH,
        Outcome.LAME_DELEGATION,
        "out of bailiwick",
    ),
    "tc-over-tcp": (
        ACME_ADDR,
        lambda h: rewrite(truncated(over_tcp=True)),
        GH,
        Outcome.SERVFAIL,
        "truncated response over TCP",
    ),
    "udp-oversized": (
        ACME_ADDR,
        lambda h: rewrite(padded(1300, over_tcp=False)),
        GH,
        Outcome.LIMIT_EXCEEDED,
        "exceeds 1232",
    ),
    "descriptor-flipped": (
        ACME_ADDR,
        lambda h: rewrite(mutate_record(DESCRIPTOR, flip_signature)),
        GH,
        Outcome.BOGUS,
        "signature",
    ),
    "descriptor-unknown-key": (
        ACME_ADDR,
        serve_descriptor(lambda h: h.forge(GH, ATTACKER)),
        GH,
        Outcome.BOGUS,
        "no trusted key",
    ),
    "descriptor-key-not-kid": (
        ACME_ADDR,
        serve_descriptor(lambda h: swap_kid(h.forge(GH, ATTACKER), zone_key(ACME).kid)),
        GH,
        Outcome.BOGUS,
        "signature",
    ),
    "descriptor-garbage": (
        ACME_ADDR,
        serve_descriptor(lambda h: b"\xd2\x84garbage"),
        GH,
        Outcome.BOGUS,
        "",
    ),
    "descriptor-of-other-identifier": (
        ACME_ADDR,
        serve_descriptor(lambda h: h.signed(MI)),
        GH,
        Outcome.BOGUS,
        "it describes",
    ),
    "two-descriptors": (ACME_ADDR, _two_descriptors, GH, Outcome.BOGUS, "more than one"),
    "descriptor-expired": (
        ACME_ADDR,
        serve_descriptor(lambda h: h.forge(GH, **validity(NOW - 9000, NOW - 1000))),
        GH,
        Outcome.EXPIRED,
        "expired",
    ),
    "descriptor-not-yet-valid": (
        ACME_ADDR,
        serve_descriptor(lambda h: h.forge(GH, **validity(NOW + 3600, NOW + 7200))),
        GH,
        Outcome.EXPIRED,
        "valid from",
    ),
    "descriptor-critical-extension": (
        ACME_ADDR,
        serve_descriptor(lambda h: h.forge(GH, ext={"x": 1}, crit=("x",))),
        GH,
        Outcome.BOGUS,
        "critical",
    ),
    "descriptor-issuer-above": (
        ACME_ADDR,
        serve_descriptor(lambda h: h.forge(GH, zone_key(HPC), issuer=HPC)),
        GH,
        Outcome.BOGUS,
        "outside",
    ),
    "delegation-unknown-key": (
        ROOT_ADDR,
        serve_delegation(lambda h: h.forge_delegation(HPC, ATTACKER)),
        GH,
        Outcome.BOGUS,
        "no trusted key",
    ),
    "delegation-signed-by-child": (
        ROOT_ADDR,
        serve_delegation(lambda h: h.forge_delegation(HPC, zone_key(HPC))),
        GH,
        Outcome.BOGUS,
        "no trusted key",
    ),
    "delegation-of-other-child": (
        ROOT_ADDR,
        serve_delegation(lambda h: h.delegation_signed(EAST)),
        GH,
        Outcome.BOGUS,
        "it delegates",
    ),
    "delegation-expired": (
        ROOT_ADDR,
        serve_delegation(lambda h: h.forge_delegation(HPC, **validity(NOW - 9000, NOW - 1000))),
        GH,
        Outcome.EXPIRED,
        "expired",
    ),
    "delegation-flipped": (
        ROOT_ADDR,
        lambda h: rewrite(mutate_record(DELEGATION, flip_signature)),
        GH,
        Outcome.BOGUS,
        "signature",
    ),
    "deleg-fetched-unknown-key": (
        EAST_ADDR,
        serve_delegation(lambda h: h.forge_delegation(CTYUN, ATTACKER)),
        JS,
        Outcome.BOGUS,
        "no trusted key",
    ),
    "deleg-fetched-empty": (
        EAST_ADDR,
        _change(lambda m: m.answer.clear() if m.question[0].rdtype == DELEGATION else None),
        JS,
        Outcome.LAME_DELEGATION,
        "NODATA without",
    ),
    "descriptor-signed-above-cut": (
        ROOT_ADDR,  # answering as if it held east: the cut to ctyun is found by probing
        lambda h: only(
            DESCRIPTOR, rewrite(answer_with(DESCRIPTOR, h.forge(JS, zone_key(EAST), issuer=EAST)))
        ),
        JS,
        Outcome.BOGUS,
        "below its cut ctyun.east.ucid.example",
    ),
    "descriptor-issuer-elsewhere": (
        EAST_ADDR,
        serve_descriptor(lambda h: h.forge(JS, zone_key(ACME), issuer=ACME)),
        JS,
        Outcome.BOGUS,
        "outside",
    ),
}


@pytest.mark.parametrize(
    ("server", "make", "identifier", "outcome", "detail"), list(FAULTS.values()), ids=list(FAULTS)
)
def test_lie(
    hierarchy: Hierarchy, server: str, make: Make, identifier: str, outcome: Outcome, detail: str
) -> None:
    cache, versions = Cache(), VersionStore()
    res, network = run(
        hierarchy, identifier, {server: make(hierarchy)}, cache=cache, versions=versions
    )
    error = error_of(res)
    assert error.outcome is outcome, str(error)
    assert detail in str(error)
    assert error.name == identifier
    assert any(q.server[0] == server for q in network.sent)
    key = (res.key, res.qtype)
    assert cache.answer(key) is None
    assert cache.negative_answer(key) is None
    assert versions.version(identifier) is None


@pytest.mark.parametrize(
    ("identifier", "outcome"),
    [(MISSING, Outcome.NOT_FOUND), (BARE, Outcome.NO_LIVE_ENDPOINTS)],
    ids=["nxdomain", "nodata"],
)
def test_negative_answers_are_cached(
    hierarchy: Hierarchy, identifier: str, outcome: Outcome
) -> None:
    cache = Cache()
    first, _ = run(hierarchy, identifier, cache=cache)
    assert error_of(first).outcome is outcome
    entry = cache.negative_answer((first.key, first.qtype))
    assert entry is not None
    assert (entry.outcome, entry.zone, entry.expires) == (outcome, ACME, NOW + 10 + 300)

    again, network = run(hierarchy, identifier, cache=cache)
    assert error_of(again).outcome is outcome
    assert network.sent == []
    later, network = run(hierarchy, identifier, cache=cache, now=NOW + 10 + 300)
    assert error_of(later).outcome is outcome
    assert [q.server[0] for q in network.sent] == [ACME_ADDR]  # the zone is still cached


# ------------------------------------------------------------------ transport-level rules


def test_truncated_answer_is_asked_again_over_tcp(hierarchy: Hierarchy) -> None:
    res, network = run(hierarchy, GH, {ACME_ADDR: rewrite(truncated(over_tcp=False))})
    assert resolved(res).descriptor == hierarchy.descriptor(GH)
    to_acme = [q for q in network.sent if q.server[0] == ACME_ADDR]
    assert [q.tcp for q in to_acme] == [False, True]
    assert to_acme[0].qname == to_acme[1].qname
    assert to_acme[0].id != to_acme[1].id or to_acme[0].wire == to_acme[1].wire


def test_first_query_is_udp_with_edns_and_no_rd(hierarchy: Hierarchy) -> None:
    res = start(hierarchy, GH)
    query = res.action()
    assert isinstance(query, Query)
    assert (query.server, query.tcp, query.qtype) == ((ROOT_ADDR, 53), False, DESCRIPTOR)
    msg = dns.message.from_wire(query.wire)
    assert msg.id == query.id
    assert not msg.flags & dns.flags.RD
    assert (msg.edns, msg.payload) == (0, 1232)
    assert msg.question[0].name == dns.name.from_text(cid.parse(GH).to_dns_name(ROOT))


def _glueless(*hosts: str) -> Change:
    """The referral names ``hosts`` as the cut's servers, and gives no glue."""

    def change(msg: dns.message.Message, tcp: bool) -> None:
        for i, rrset in enumerate(msg.authority):
            if rrset.rdtype == dns.rdatatype.NS:
                targets = [f"{host}." for host in hosts]
                msg.authority[i] = dns.rrset.from_text_list(
                    rrset.name, rrset.ttl, "IN", "NS", targets
                )
        address = (dns.rdatatype.A, dns.rdatatype.AAAA)
        msg.additional = [r for r in msg.additional if r.rdtype not in address]

    return change


NS1, NS2 = f"ns1.{ACME}", f"ns2.{ACME}"
Lookups = dict[str, tuple[str, ...] | None]
LOOKUPS: dict[str, tuple[tuple[str, ...], Lookups, tuple[str, ...], Outcome, str]] = {
    # id: (the cut's servers, what their lookups give (None: no end in time),
    #      the servers looked up, outcome, words of the error)
    "found": ((NS1,), {NS1: (ACME_ADDR,)}, (NS1,), Outcome.OK, ""),
    "no-address": ((NS1,), {}, (NS1,), Outcome.LAME_DELEGATION, f"{NS1} has none"),
    "too-slow": ((NS1,), {NS1: None}, (NS1,), Outcome.TIMEOUT, f"no address for {NS1} in time"),
    "second-found": ((NS1, NS2), {NS2: (ACME_ADDR,)}, (NS1, NS2), Outcome.OK, ""),
    # A lookup waits until the deadline: none is tried after one that did not end.
    "slow-then-deadline": (
        (NS1, NS2),
        {NS1: None, NS2: (ACME_ADDR,)},
        (NS1,),
        Outcome.TIMEOUT,
        "the deadline passed",
    ),
    # As for servers (§12.3 step 5), the most severe fault is reported.
    "none-then-slow": (
        (NS1, NS2),
        {NS2: None},
        (NS1, NS2),
        Outcome.LAME_DELEGATION,
        f"{NS1} has none",
    ),
}


@pytest.mark.parametrize(
    ("targets", "hosts", "tried", "outcome", "detail"), LOOKUPS.values(), ids=LOOKUPS
)
def test_referral_without_glue_looks_the_servers_up(
    hierarchy: Hierarchy,
    targets: tuple[str, ...],
    hosts: Lookups,
    tried: tuple[str, ...],
    outcome: Outcome,
    detail: str,
) -> None:
    network = Network(hierarchy, {HPC_ADDR: rewrite(_glueless(*targets))}, hosts)
    res = drive(start(hierarchy, GH, limits=Limits(deadline=2.0), trace=True), network)
    assert network.looked_up == list(tried)
    if outcome is Outcome.OK:
        assert resolved(res).descriptor == hierarchy.descriptor(GH)
        assert f"[{ACME}] look up {tried[-1]}: {ACME_ADDR}" in map(str, res.trace or ())
    else:
        error = error_of(res)
        assert error.outcome is outcome, str(error)
        assert detail in str(error)
    assert res.queries == len(network.sent) + len(tried)  # a lookup counts as a query


def test_a_lookup_may_wait_until_the_deadline(hierarchy: Hierarchy) -> None:
    network = Network(hierarchy, {HPC_ADDR: rewrite(_glueless(NS1))})
    limits = Limits(deadline=3.0, query_timeout=0.25)
    res = start(hierarchy, GH, limits=limits, clock=100.0)
    while isinstance(query := res.action(), Query):
        wire = network.exchange(query)
        assert wire is not None
        res.receive(wire, clock=res.clock + 0.1)
    assert res.action() == Lookup(NS1)
    assert res.timeout_for(res.clock) == pytest.approx(103.0 - res.clock)
    assert res.timeout_for(104.0) == 0.0


@pytest.mark.parametrize(
    ("hosts", "outcome"),
    [({"ns.evil.example": (HPC_ADDR,)}, Outcome.OK), ({}, Outcome.LAME_DELEGATION)],
    ids=["looked-up", "not-found"],
)
def test_glue_out_of_bailiwick_is_not_used(
    hierarchy: Hierarchy, hosts: Lookups, outcome: Outcome
) -> None:
    # The root refers to a server named outside its zone, "with its address": the
    # address is not the root's to give, so the name is looked up instead.
    evil = rewrite(refer_to(HPC, "ns.evil.example", HPC_ADDR))
    network = Network(hierarchy, {ROOT_ADDR: only(DESCRIPTOR, evil)}, hosts)
    res = drive(start(hierarchy, GH), network)
    assert network.looked_up == ["ns.evil.example"]
    if outcome is Outcome.OK:
        assert resolved(res).descriptor == hierarchy.descriptor(GH)
    else:
        assert error_of(res).outcome is outcome


def test_referral_without_delegation_record_fetches_it(hierarchy: Hierarchy) -> None:
    def no_record(msg: dns.message.Message, tcp: bool) -> None:
        msg.additional = [r for r in msg.additional if r.rdtype != DELEGATION]

    res, network = run(hierarchy, GH, {ROOT_ADDR: rewrite(no_record)})
    assert resolved(res).descriptor == hierarchy.descriptor(GH)
    asked = [(q.server[0], q.qname.to_text(), q.qtype) for q in network.sent]
    assert (ROOT_ADDR, f"hpc.__deleg.{ROOT}.", DELEGATION) in asked


def test_referral_skipping_a_zone_is_followed(hierarchy: Hierarchy) -> None:
    # The root's server refers straight to acme (as if it also held hpc): the root has
    # no delegation record for acme, so the zones between are found by probing.
    skip = rewrite(refer_to(ACME, f"ns1.{ACME}", ACME_ADDR))
    res, network = run(hierarchy, GH, {ROOT_ADDR: only(DESCRIPTOR, skip)})
    found = resolved(res)
    assert found.descriptor == hierarchy.descriptor(GH)
    assert found.chain == CHAIN[GH]
    asked = [(q.qname.to_text(), q.qtype) for q in network.sent]
    assert (f"acme.hpc.__deleg.{ROOT}.", DELEGATION) in asked
    assert (f"acme.__deleg.{HPC}.", DELEGATION) in asked


def _all_ttls(ttl: int) -> Change:
    def change(msg: dns.message.Message, tcp: bool) -> None:
        for section in (msg.answer, msg.authority, msg.additional):
            for rrset in section:
                rrset.ttl = ttl

    return change


def test_ttls_are_capped(hierarchy: Hierarchy) -> None:
    cache = Cache()
    limits = Limits()
    huge = rewrite(_all_ttls(2**31 - 1))
    res, _ = run(hierarchy, GH, dict.fromkeys((ROOT_ADDR, HPC_ADDR, ACME_ADDR), huge), cache=cache)
    now = NOW + 10
    assert resolved(res).fresh_until == now + limits.live_ttl
    for zone in (HPC, ACME):
        entry = cache.zone(zone)
        assert entry is not None
        assert entry.expires == now + limits.max_ttl
    denial = rewrite(nxdomain(ACME, ttl=2**31 - 1))  # SOA TTL and MINIMUM
    missing, _ = run(hierarchy, MISSING, {ACME_ADDR: denial}, cache=cache)
    negative = cache.negative_answer((missing.key, missing.qtype))
    assert negative is not None
    assert negative.expires == now + limits.max_negative_ttl


def test_answers_live_no_longer_than_their_chain(hierarchy: Hierarchy) -> None:
    soon = NOW + 40  # hpc's delegation record expires 30 s after the resolution
    short = hierarchy.forge_delegation(HPC, None, version=2, expires=soon)
    cache = Cache()
    res, _ = run(
        hierarchy, GH, {ROOT_ADDR: rewrite(replace_record(DELEGATION, short))}, cache=cache
    )
    found = resolved(res)
    assert found.fresh_until == soon
    assert found.stale_until == soon
    for zone in (HPC, ACME):
        entry = cache.zone(zone)
        assert entry is not None
        assert entry.expires == soon


def test_unreachable_servers_are_retried_each_round(hierarchy: Hierarchy) -> None:
    res = start(hierarchy, GH, limits=Limits(rounds=3))
    for _ in range(3):
        query = res.action()
        assert isinstance(query, Query)
        assert query.server[0] == ROOT_ADDR
        res.unreachable("connection refused", clock=res.clock + 0.01)
    error = error_of(res)
    assert error.outcome is Outcome.TIMEOUT
    assert "unreachable" in error.detail
    assert res.queries == 3


def test_nothing_to_report_after_the_end(hierarchy: Hierarchy) -> None:
    res, _ = run(hierarchy, GH)
    with pytest.raises(RuntimeError):
        res.receive(b"", clock=1.0)
    with pytest.raises(RuntimeError):
        res.timed_out(clock=1.0)


# ------------------------------------------------------------------ limits


@pytest.mark.parametrize(
    ("limits", "outcome", "detail"),
    [
        (Limits(max_depth=1), Outcome.LIMIT_EXCEEDED, "more than 1 referrals"),
        (Limits(max_depth=2), Outcome.OK, ""),
        (Limits(max_queries=2), Outcome.LIMIT_EXCEEDED, "2 queries sent"),
        (Limits(max_queries=3), Outcome.OK, ""),
        (Limits(max_response=300), Outcome.LIMIT_EXCEEDED, "exceeds 300"),
    ],
    ids=["depth-1", "depth-2", "queries-2", "queries-3", "response-300"],
)
def test_limits(hierarchy: Hierarchy, limits: Limits, outcome: Outcome, detail: str) -> None:
    res, network = run(hierarchy, GH, limits=limits)
    assert len(network.sent) <= limits.max_queries
    if outcome is Outcome.OK:
        assert resolved(res).descriptor == hierarchy.descriptor(GH)
    else:
        error = error_of(res)
        assert error.outcome is outcome
        assert detail in str(error)


@pytest.mark.parametrize(
    ("step", "outcome", "sent"),
    [
        (0.3, Outcome.OK, 3),
        (0.5, Outcome.TIMEOUT, 2),
        (1.0, Outcome.TIMEOUT, 1),
        (7.0, Outcome.TIMEOUT, 1),
    ],
)
def test_deadline(hierarchy: Hierarchy, step: float, outcome: Outcome, sent: int) -> None:
    # Each reply comes `step` seconds after its query; the deadline is 1 s.
    res = start(hierarchy, GH, limits=Limits(deadline=1.0), clock=100.0)
    network = Network(hierarchy)
    drive(res, network, step=step)
    assert len(network.sent) == sent
    if outcome is Outcome.OK:
        resolved(res)
    else:
        error = error_of(res)
        assert error.outcome is outcome
        assert "deadline" in error.detail


@pytest.mark.parametrize(
    ("clock", "expected"),
    [(100.0, 0.25), (100.9, 0.1), (101.0, 0.0), (150.0, 0.0)],
)
def test_timeout_for_never_passes_the_deadline(
    hierarchy: Hierarchy, clock: float, expected: float
) -> None:
    res = start(hierarchy, GH, limits=Limits(deadline=1.0, query_timeout=0.25), clock=100.0)
    assert res.timeout_for(clock) == pytest.approx(expected)


def test_timeouts_past_the_deadline_end_it(hierarchy: Hierarchy) -> None:
    res = start(hierarchy, GH, limits=Limits(deadline=1.0, rounds=50), clock=0.0)
    while res.action() is not None:
        res.timed_out(clock=res.clock + 0.3)
    error = error_of(res)
    assert error.outcome is Outcome.TIMEOUT
    assert res.queries == 4  # at 0, 0.3, 0.6, 0.9; the deadline passed at 1.2


# ------------------------------------------------------------------ cache and versions


def test_warm_cache_answers_without_queries(hierarchy: Hierarchy) -> None:
    cache = Cache()
    first, _ = run(hierarchy, GH, cache=cache)
    assert not resolved(first).from_cache
    again, network = run(hierarchy, GH, cache=cache, now=NOW + 20)
    found = resolved(again)
    assert found.from_cache
    assert found.descriptor == resolved(first).descriptor
    assert network.sent == []
    # Past fresh_until the answer is fetched again, from the cached zone's servers.
    later, network = run(hierarchy, GH, cache=cache, now=NOW + 10 + 61)
    assert not resolved(later).from_cache
    assert [q.server[0] for q in network.sent] == [ACME_ADDR]


def test_use_cache_false_neither_reads_nor_writes(hierarchy: Hierarchy) -> None:
    cache = Cache()
    run(hierarchy, GH, cache=cache)
    entries = len(cache)
    res, network = run(hierarchy, GH, cache=cache, use_cache=False)
    assert not resolved(res).from_cache
    assert len(network.sent) == 3
    assert len(cache) == entries


@pytest.mark.parametrize(
    ("subject", "version", "outcome"),
    [
        (GH, 3, Outcome.ROLLBACK),
        (GH, 2, Outcome.ROLLBACK),
        (GH, 1, Outcome.OK),
        (HPC, 2, Outcome.ROLLBACK),
        (ACME, 2, Outcome.ROLLBACK),
        (EAST, 2, Outcome.OK),
    ],
)
def test_versions_seen_before(
    hierarchy: Hierarchy, subject: str, version: int, outcome: Outcome
) -> None:
    versions = VersionStore()
    versions.accept(subject, version, b"other claims")
    res, _ = run(hierarchy, GH, versions=versions)
    if outcome is Outcome.OK:
        assert resolved(res).descriptor.version == 2
        assert versions.version(GH) == 2
    else:
        assert error_of(res).outcome is outcome
        assert versions.version(subject) == version


def test_forwarder(hierarchy: Hierarchy) -> None:
    forwarder = (FORWARDER_ADDR, 53)
    res, network = run(hierarchy, JS, forwarder=forwarder)
    found = resolved(res)
    assert found.descriptor == hierarchy.descriptor(JS)
    assert found.chain == CHAIN[JS]
    assert {q.server for q in network.sent} == {forwarder}
    assert all(dns.message.from_wire(q.wire).flags & dns.flags.RD for q in network.sent)


def _aa(msg: dns.message.Message, tcp: bool) -> None:
    msg.flags |= dns.flags.AA


# What a forwarder must never give: NS and glue, no SOA (§12.4.1).
_REFERRAL = refer_to(HPC, f"ns1.{HPC}", HPC_ADDR)

FORWARDER_FAULTS: dict[str, tuple[Behaviour, Outcome, str, bool]] = {
    # id: (the forwarder's behaviour, outcome, words of the error, negative answer cached)
    "referral": (
        rewrite(_REFERRAL),
        Outcome.LAME_DELEGATION,
        "a referral from a forwarder",
        False,
    ),
    "referral-with-aa": (
        rewrite(_REFERRAL, _aa),
        Outcome.LAME_DELEGATION,
        "a referral from a forwarder",
        False,
    ),
    "nodata-without-soa": (
        rewrite(lambda m, tcp: _no_soa(m)),
        Outcome.NO_LIVE_ENDPOINTS,
        "no descriptor",
        False,
    ),
    "nxdomain": (rewrite(nxdomain(ACME)), Outcome.NOT_FOUND, f"at {ACME}:", True),
    # An SOA that cannot hold the name gives no negative TTL: used, not cached.
    "nxdomain-foreign-soa": (
        rewrite(nxdomain("evil.example")),
        Outcome.NOT_FOUND,
        f"at {ROOT}:",
        False,
    ),
    "nxdomain-soa-beside-the-name": (
        rewrite(nxdomain(f"_us-ca.{ACME}")),
        Outcome.NOT_FOUND,
        f"at {ROOT}:",
        False,
    ),
    "nxdomain-soa-above-the-root": (
        rewrite(nxdomain("example")),
        Outcome.NOT_FOUND,
        f"at {ROOT}:",
        False,
    ),
}


@pytest.mark.parametrize(
    ("behaviour", "outcome", "detail", "cached"),
    FORWARDER_FAULTS.values(),
    ids=FORWARDER_FAULTS,
)
def test_forwarder_faults(
    hierarchy: Hierarchy, behaviour: Behaviour, outcome: Outcome, detail: str, cached: bool
) -> None:
    forwarder = (FORWARDER_ADDR, 53)
    cache = Cache()
    res, network = run(hierarchy, GH, {FORWARDER_ADDR: behaviour}, forwarder=forwarder, cache=cache)
    error = error_of(res)
    assert error.outcome is outcome, str(error)
    assert detail in str(error)
    assert {q.server for q in network.sent} == {forwarder}
    assert (cache.negative_answer((res.key, res.qtype)) is not None) == cached


# ------------------------------------------------------------------ TXT fallback (§12.7.1)

TXT = dns.rdatatype.TXT


def _rcode(rcode: dns.rcode.Rcode) -> Change:
    def change(msg: dns.message.Message, tcp: bool) -> None:
        servfail(msg, tcp)
        msg.set_rcode(rcode)

    return change


def _nodata(msg: dns.message.Message, tcp: bool) -> None:
    nxdomain(ACME)(msg, tcp)
    msg.set_rcode(dns.rcode.NOERROR)


def _txt(*records: list[bytes]) -> Behaviour:
    """The TXT answer, made of ``records`` (each a list of character-strings)."""

    def change(msg: dns.message.Message, tcp: bool) -> None:
        owner = msg.question[0].name
        rdatas = [dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, TXT, r) for r in records]
        msg.flags |= dns.flags.AA
        msg.answer = [dns.rrset.from_rdata_list(owner, 600, rdatas)]
        msg.authority.clear()

    return rewrite(change)


def _base64(data: bytes) -> bytes:
    return b"".join(txt_strings(data)[1:])


def _copy(text: bytes, tag: bytes = b"ucid1") -> list[bytes]:
    """A TXT copy of ``text`` (base64, or not) in strings of 255 octets."""
    return [tag, *(text[i : i + 255] for i in range(0, len(text), 255))]


def _stray_bits(data: bytes) -> list[bytes]:
    """A copy whose last character before the padding has an unused bit set: it
    decodes to the same bytes, but is not the one encoding of them."""
    text = _base64(data)
    assert text.endswith(b"=") and not text.endswith(b"==")
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet[alphabet.index(text[-2]) | 1]
    return _copy(text[:-2] + bytes([last]) + b"=")


REFUSED = rewrite(refused)
DENIED = {DESCRIPTOR: REFUSED}  # a forwarder that refuses the descriptor's type

# id: (the forwarder's behaviour per question type, outcome, words of the error,
#      whether the TXT copy was asked for)
FALLBACK: dict[
    str, tuple[Callable[[Hierarchy], dict[dns.rdatatype.RdataType, Behaviour]], Outcome, str, bool]
] = {
    "honest": (lambda h: {}, Outcome.OK, "", False),
    "refused": (lambda h: DENIED, Outcome.OK, "", True),
    "servfail": (lambda h: {DESCRIPTOR: rewrite(servfail)}, Outcome.OK, "", True),
    "notimp": (lambda h: {DESCRIPTOR: rewrite(_rcode(dns.rcode.NOTIMP))}, Outcome.OK, "", True),
    "formerr": (lambda h: {DESCRIPTOR: rewrite(_rcode(dns.rcode.FORMERR))}, Outcome.OK, "", True),
    "dropped": (lambda h: {DESCRIPTOR: silent}, Outcome.OK, "", True),
    # The forwarder's statements, and what is not a failure of the servers: no fallback.
    "nodata": (
        lambda h: {DESCRIPTOR: rewrite(_nodata)},
        Outcome.NO_LIVE_ENDPOINTS,
        "no descriptor",
        False,
    ),
    "nxdomain": (
        lambda h: {DESCRIPTOR: rewrite(nxdomain(ACME))},
        Outcome.NOT_FOUND,
        "does not exist",
        False,
    ),
    "descriptor-flipped": (
        lambda h: {DESCRIPTOR: rewrite(mutate_record(DESCRIPTOR, flip_signature))},
        Outcome.BOGUS,
        "signature",
        False,
    ),
    "udp-oversized": (
        lambda h: {DESCRIPTOR: rewrite(padded(1300, over_tcp=False))},
        Outcome.LIMIT_EXCEEDED,
        "exceeds 1232",
        False,
    ),
    # No usable copy: the failure of the descriptor's question stands.
    "txt-refused-too": (
        lambda h: {DESCRIPTOR: REFUSED, TXT: REFUSED},
        Outcome.LAME_DELEGATION,
        "REFUSED",
        True,
    ),
    "txt-servfail": (
        lambda h: {DESCRIPTOR: REFUSED, TXT: rewrite(servfail)},
        Outcome.LAME_DELEGATION,
        "REFUSED",
        True,
    ),
    "txt-nodata": (
        lambda h: {DESCRIPTOR: rewrite(servfail), TXT: rewrite(_nodata)},
        Outcome.SERVFAIL,
        "SERVFAIL",
        True,
    ),
    "txt-not-a-copy": (
        lambda h: {**DENIED, TXT: _txt([b"v=spf1 -all"], _copy(_base64(h.signed(GH)), b"UCID1"))},
        Outcome.LAME_DELEGATION,
        "REFUSED",
        True,
    ),
    "txt-nxdomain": (
        lambda h: {**DENIED, TXT: rewrite(nxdomain(ACME))},
        Outcome.NOT_FOUND,
        "does not exist",
        True,
    ),
    # A copy: read as the spec says, then verified as a TYPE65280 record.
    "txt-beside-other-text": (
        lambda h: {**DENIED, TXT: _txt([b"hello"], txt_strings(h.signed(GH)))},
        Outcome.OK,
        "",
        True,
    ),
    "txt-cut-anywhere": (
        lambda h: {**DENIED, TXT: _txt([b"ucid1", *(bytes([c]) for c in _base64(h.signed(GH)))])},
        Outcome.OK,
        "",
        True,
    ),
    "txt-two-copies": (
        lambda h: {**DENIED, TXT: _txt(txt_strings(h.signed(GH)), txt_strings(h.signed(MI)))},
        Outcome.BOGUS,
        "more than one TXT copy",
        True,
    ),
    "txt-tag-alone": (
        lambda h: {**DENIED, TXT: _txt([b"ucid1"])},
        Outcome.BOGUS,
        "without data",
        True,
    ),
    "txt-not-base64": (
        lambda h: {**DENIED, TXT: _txt([b"ucid1", b"0oRY!SaM"])},
        Outcome.BOGUS,
        "not base64",
        True,
    ),
    "txt-white-space": (
        lambda h: {**DENIED, TXT: _txt([b"ucid1", b"0oRY SaM="])},
        Outcome.BOGUS,
        "not base64",
        True,
    ),
    "txt-unpadded": (
        lambda h: {**DENIED, TXT: _txt(_copy(_base64(h.signed(MI)).rstrip(b"=")))},
        Outcome.BOGUS,
        "not base64",
        True,
    ),
    "txt-stray-bits": (
        lambda h: {**DENIED, TXT: _txt(_stray_bits(h.signed(MI)))},
        Outcome.BOGUS,
        "not canonical",
        True,
    ),
    "txt-flipped": (
        lambda h: {**DENIED, TXT: _txt(txt_strings(flip_signature(h.signed(GH))))},
        Outcome.BOGUS,
        "signature",
        True,
    ),
    "txt-other-identifier": (
        lambda h: {**DENIED, TXT: _txt(txt_strings(h.signed(MI)))},
        Outcome.BOGUS,
        "it describes",
        True,
    ),
    "txt-forged": (
        lambda h: {**DENIED, TXT: _txt(txt_strings(h.forge(GH, ATTACKER)))},
        Outcome.BOGUS,
        "no trusted key",
        True,
    ),
    "txt-expired": (
        lambda h: {
            **DENIED,
            TXT: _txt(txt_strings(h.forge(GH, **validity(NOW - 9000, NOW - 1000)))),
        },
        Outcome.EXPIRED,
        "expired",
        True,
    ),
    # Delegation records have no TXT copy: the probes still need TYPE65281.
    "delegations-refused-too": (
        lambda h: {DESCRIPTOR: REFUSED, DELEGATION: REFUSED},
        Outcome.LAME_DELEGATION,
        f"hpc.__deleg.{ROOT}. TYPE65281",
        True,
    ),
}


@pytest.mark.parametrize(
    ("behaviours", "outcome", "detail", "asked"), FALLBACK.values(), ids=FALLBACK
)
def test_txt_fallback_when_forwarding(
    hierarchy: Hierarchy,
    behaviours: Callable[[Hierarchy], dict[dns.rdatatype.RdataType, Behaviour]],
    outcome: Outcome,
    detail: str,
    asked: bool,
) -> None:
    forwarder = (FORWARDER_ADDR, 53)
    cache, versions = Cache(), VersionStore()
    forwarding = {FORWARDER_ADDR: by_type(behaviours(hierarchy))}
    res, network = run(
        hierarchy, GH, forwarding, forwarder=forwarder, cache=cache, versions=versions, trace=True
    )
    assert {q.server for q in network.sent} == {forwarder}
    assert sum(q.qtype == TXT for q in network.sent) == asked
    key = (res.key, res.qtype)
    if outcome is Outcome.OK:
        found = resolved(res)
        assert found.descriptor == hierarchy.descriptor(GH)
        assert found.chain == CHAIN[GH]
        assert any("TXT copy used" in str(step) for step in res.trace or ()) == asked
        cached = cache.answer(key)
        assert isinstance(cached, Resolved) and cached.descriptor == found.descriptor
        return
    error = error_of(res)
    assert error.outcome is outcome, str(error)
    assert detail in str(error)
    assert cache.answer(key) is None
    assert versions.version(GH) is None


@pytest.mark.parametrize(
    ("limits", "sent"),
    [(Limits(max_queries=2), 2), (Limits(deadline=0.02), 2)],
    ids=["no-query-left", "deadline-passed"],
)
def test_txt_fallback_within_the_limits(hierarchy: Hierarchy, limits: Limits, sent: int) -> None:
    # The descriptor's question used up the budget: no TXT query, and its own failure
    # is the outcome (§12.7.1 rule 2), not LIMIT_EXCEEDED.
    forwarding = {FORWARDER_ADDR: by_type({DESCRIPTOR: silent})}
    res, network = run(hierarchy, GH, forwarding, forwarder=(FORWARDER_ADDR, 53), limits=limits)
    error = error_of(res)
    assert error.outcome is Outcome.TIMEOUT, str(error)
    assert "no response in time" in str(error)
    assert [q.qtype for q in network.sent] == [DESCRIPTOR] * sent


def test_no_txt_fallback_when_iterating(hierarchy: Hierarchy) -> None:
    res, network = run(hierarchy, GH, {ACME_ADDR: by_type(DENIED)})
    assert error_of(res).outcome is Outcome.LAME_DELEGATION
    assert all(q.qtype != TXT for q in network.sent)


def test_txt_fallback_with_the_chain_cached(hierarchy: Hierarchy) -> None:
    # A forwarder starts refusing both private types. Once the chain and the probes'
    # negative answers are cached (§14.2, §14.4), the TXT copy is all a fresh
    # descriptor needs: it is fetched and verified again, not served stale.
    cache, versions = Cache(), VersionStore()
    forwarder = (FORWARDER_ADDR, 53)
    first, _ = run(hierarchy, GH, forwarder=forwarder, cache=cache, versions=versions)
    resolved(first)
    refusing = by_type({DESCRIPTOR: REFUSED, DELEGATION: REFUSED})
    later = NOW + 10 + Limits().live_ttl + 1
    res, network = run(
        hierarchy,
        GH,
        {FORWARDER_ADDR: refusing},
        forwarder=forwarder,
        cache=cache,
        versions=versions,
        now=later,
    )
    found = resolved(res)
    assert (found.stale, found.from_cache) == (False, False)
    assert found.fresh_until == later + Limits().live_ttl
    assert [q.qtype for q in network.sent] == [DESCRIPTOR, TXT]


@pytest.mark.parametrize("text", ["", "ucid:", "ucid:acme.hpc", "http://x", "ucid:a/b/c/d/e"])
def test_invalid_identifier(hierarchy: Hierarchy, text: str) -> None:
    with pytest.raises(ResolutionError) as info:
        start(hierarchy, text)
    assert info.value.outcome is Outcome.INVALID_IDENTIFIER


# ------------------------------------------------------------------ discovery


def discover(
    h: Hierarchy,
    network: Network,
    *,
    step: float = 0.01,
    deadline: float = 100.0,
    **bounds: int,
) -> tuple[Discovery, list[float]]:
    """``find("ucid:*")`` as the drivers run it, the clock starting at 0 and advancing
    ``step`` per query; also the clock at the end of each resolution."""
    clock, ends = 0.0, []
    cache, versions = Cache(), VersionStore()

    anchor = h.anchor()

    def options() -> dict[str, Any]:
        return {
            "anchor": anchor,
            "cache": cache,
            "versions": versions,
            "now": NOW + 10,
            "clock": clock,  # now, as the drivers read it for each resolution
            "limits": Limits(deadline=1.0, query_timeout=0.25),
            "rng": random.Random(7),
            "until": deadline,
        }

    walk = Walk(
        cid.parse_pattern("ucid:*"),
        anchor.origin,
        lambda node: Resolution.for_children(node, **options()),
        lambda ident: Resolution.for_identifier(ident, **options()),
        until=deadline,
        **bounds,
    )
    while (res := walk.next(clock)) is not None:
        drive(res, network, step=step)
        clock = res.clock
        ends.append(clock)
        walk.done(res)
    return walk.discovery(), ends


def test_discovery_runs_to_its_end(hierarchy: Hierarchy) -> None:
    found, _ = discover(hierarchy, Network(hierarchy))
    assert (found.complete, found.bound, found.failures) == (True, None, ())
    assert [str(r.identifier) for r in found.results] == sorted([GH, MI, JS])


@pytest.mark.parametrize(
    ("step", "deadline"), [(0.01, 0.05), (0.3, 0.5), (0.3, 1.0), (0.3, 1.3), (0.7, 0.5)]
)
def test_discovery_ends_by_its_deadline(hierarchy: Hierarchy, step: float, deadline: float) -> None:
    found, ends = discover(hierarchy, Network(hierarchy), step=step, deadline=deadline)
    assert (found.complete, found.bound) == (False, "deadline")
    # A resolution cut short by the walk's deadline is not a failure of the servers.
    assert found.failures == ()
    assert {str(r.identifier) for r in found.results} < {GH, MI, JS}
    # No query is sent at or after the deadline: the last reply is at most a step later.
    assert max(ends) < deadline + step


def test_discovery_reports_timeouts_within_its_deadline(hierarchy: Hierarchy) -> None:
    network = Network(hierarchy, {ACME_ADDR: silent})
    found, _ = discover(hierarchy, network, step=0.3, deadline=100.0)
    assert found.complete
    assert [f.outcome for f in found.failures] == [Outcome.TIMEOUT]  # acme's listing
    assert [str(r.identifier) for r in found.results] == [JS]
    # The same silence with the walk's deadline before the resolution's: cut, not failed.
    found, ends = discover(
        hierarchy, Network(hierarchy, {ACME_ADDR: silent}), step=0.3, deadline=1.6
    )
    assert (found.bound, found.failures) == ("deadline", ())
    assert max(ends) < 1.6 + 0.3


@pytest.mark.parametrize(
    ("bounds", "bound", "nodes", "results"),
    [
        ({"max_nodes": 1}, "max_nodes", 1, 0),
        ({"max_nodes": 4}, "max_nodes", 4, 0),
        ({"max_results": 1}, "max_results", 10, 1),
        ({"max_nodes": 11, "max_results": 3}, None, 11, 3),  # just enough
    ],
)
def test_discovery_bounds(
    hierarchy: Hierarchy, bounds: dict[str, int], bound: str | None, nodes: int, results: int
) -> None:
    found, _ = discover(hierarchy, Network(hierarchy), **bounds)
    assert (found.bound, found.complete) == (bound, bound is None)
    assert (found.nodes, len(found.results)) == (nodes, results)


# ------------------------------------------------------------------ endpoint order


def _endpoints(*spec: tuple[str, int, int]) -> list[cid.Endpoint]:
    return [cid.Endpoint("tcp", "https", host, 443, prio, weight) for host, prio, weight in spec]


def _first_pick(weights: dict[str, int]) -> dict[str, float]:
    """How often each endpoint of one priority comes first under RFC 2782 with the list
    in random order: a number drawn in 0..total picks by running sums, so an endpoint
    wins its weight's worth of draws, and the endpoint first in the list also wins 0
    (weight-0 endpoints go first in the list, and share that one draw)."""
    total = sum(weights.values())
    if total == 0:
        return {host: 1 / len(weights) for host in weights}
    zeros = [host for host, w in weights.items() if w == 0]
    first = zeros or list(weights)
    return {
        h: (w + (1 / len(first) if h in first else 0)) / (total + 1) for h, w in weights.items()
    }


@pytest.mark.parametrize(
    "endpoints",
    [
        _endpoints(("a.example", 1, 70), ("b.example", 1, 30)),
        _endpoints(("a.example", 1, 10), ("b.example", 1, 10), ("c.example", 1, 20)),
        _endpoints(("zero.example", 1, 0), ("b.example", 1, 9)),
        _endpoints(("a.example", 1, 0), ("b.example", 1, 0)),
        _endpoints(("later.example", 2, 1000), ("a.example", 1, 10), ("b.example", 1, 30)),
    ],
    ids=["70-30", "10-10-20", "zero-weight", "all-zero", "priority-first"],
)
def test_order_endpoints_is_weighted(endpoints: list[cid.Endpoint]) -> None:
    best = min(e.priority for e in endpoints)
    expected = _first_pick({e.host: e.weight for e in endpoints if e.priority == best})
    rng = random.Random(20260101)
    rounds = 4000
    counts: Counter[str] = Counter()
    for _ in range(rounds):
        order = order_endpoints(endpoints, rng)
        assert sorted(order, key=lambda e: e.host) == sorted(endpoints, key=lambda e: e.host)
        assert [e.priority for e in order] == sorted(e.priority for e in endpoints)
        counts[order[0].host] += 1
    assert set(counts) == set(expected)
    for host, p in expected.items():
        # Within five standard deviations of a binomial count (seeded: reproducible).
        assert abs(counts[host] - rounds * p) <= 5 * (rounds * p * (1 - p)) ** 0.5


def test_resolved_ordered_keeps_priorities(hierarchy: Hierarchy) -> None:
    res, _ = run(hierarchy, GH)
    found = resolved(res)
    assert [e.priority for e in found.endpoints] == [1, 1, 2]
    for seed in range(20):
        ordered = found.ordered(random.Random(seed))
        assert [e.priority for e in ordered] == [1, 1, 2]
        assert ordered[-1].host == "192.0.2.44"


def test_versions_file_round_trip(hierarchy: Hierarchy, tmp_path: Path) -> None:
    path = tmp_path / "versions.json"
    versions = VersionStore(path)
    run(hierarchy, GH, versions=versions)
    versions.save()
    reloaded = VersionStore(path)
    assert reloaded.version(GH) == 2
    assert reloaded.version(ACME) == 1
    res, _ = run(hierarchy, GH, versions=reloaded)
    assert resolved(res).descriptor.version == 2
