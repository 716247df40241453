"""Patching a served zone for live registrations (``cid._zone_patch``) against full assembly.

Every sequence of changes must leave exactly the records and the index (names,
empty non-terminals, hashes) that assembling the zone from scratch gives.
"""

from __future__ import annotations

from collections.abc import Mapping

import dns.name
import dns.rdatatype
import dns.zone
import pytest
from bulkzones import imaged
from hypothesis import given, settings
from hypothesis import strategies as st

import cid
from cid._descriptor_json import descriptor_from_json
from cid.registry._patch import patch
from cid.registry._zone import (
    NameServer,
    SignedDelegation,
    SignedDescriptor,
    ZoneSettings,
    assemble,
)
from cid.server._authority import Authority, _prepare

NOW = 1_795_000_000
ROOT = "ucid.example"
ZONE = "acme.hpc.ucid.example"
CUT = f"_cn-sh.{ZONE}"  # a delegated region: nothing of it is patched
KEY = cid.SigningKey.from_seed(b"zone-patch-tests".ljust(32, b"\0"))
SETTINGS = ZoneSettings(
    ZONE, (NameServer(f"ns1._de-by.{ZONE}", ("127.0.0.1",)), NameServer(f"ns2.{ZONE}", ()))
)
# Shared architecture and region nodes, so that names come and go under the same
# parents; one region holds the zone's name server (glue), which keeps it a parent.
SUBJECTS = [
    f"ucid:acme.hpc/{region}/{arch}/cpu={cpu}"
    for region in ("de-by", "cn-gd")
    for arch in ("x86-64-v4", "neoverse-v2+sm90")
    for cpu in (8, 16, 32)
] + ["ucid:acme.hpc/us-ca/aarch64/cpu=4;mem=16GiB"]


def _signed(subject: str, host: str, expires: int = NOW + 86400) -> SignedDescriptor:
    spec = {
        "subject": subject,
        "issuer": ZONE,
        "version": 1,
        "endpoints": [{"transport": "tcp", "protocol": "https", "host": host, "port": 443}],
        "expires": expires,
    }
    rec = descriptor_from_json(spec, NOW - 60, 86400)
    return SignedDescriptor(cid.sign(rec, KEY), rec)


VERSIONS = {
    s: [_signed(s, f"h{i}-{v}.acme.example") for v in range(2)] for i, s in enumerate(SUBJECTS)
}
EXPIRED = _signed(SUBJECTS[0], "old.acme.example", expires=NOW - 1)


def _delegation() -> SignedDelegation:
    rec = cid.Delegation(
        parent=ZONE,
        child=CUT,
        keys=(KEY.verify_key,),
        version=1,
        issued_at=NOW - 60,
        not_before=NOW - 60,
        expires=NOW + 86400,
    )
    return SignedDelegation(cid.sign(rec, KEY), rec, (NameServer(f"ns.{CUT}", ("::1",)),))


DELEGATIONS = [_delegation()]
CUTS = [dns.name.from_text(CUT)]


def _name(subject: str) -> dns.name.Name:
    return dns.name.from_text(cid.parse(subject).to_dns_name(ROOT))


def _full(state: Mapping[str, SignedDescriptor], now: int = NOW) -> dns.zone.Zone:
    return assemble(SETTINGS, list(state.values()), DELEGATIONS, root=ROOT, now=now)


def _records(zone: dns.zone.Zone) -> dict[tuple[str, int], set[str]]:
    """The zone's records without TTLs (untouched records keep their own, spec §5)."""
    out = {}
    for name, node in zone.nodes.items():
        for rds in node.rdatasets:
            out[(name.to_text(), rds.rdtype)] = {rd.to_text() for rd in rds}
    return out


def _check(patched: dns.zone.Zone, state: Mapping[str, SignedDescriptor], now: int) -> None:
    full = _full(state, now)
    assert _records(patched) == _records(full)


def _apply(
    authority: Authority,
    zone: dns.zone.Zone,
    changes: Mapping[str, tuple[SignedDescriptor | None, SignedDescriptor | None]],
    now: int,
) -> dns.zone.Zone:
    done = patch(
        zone, SETTINGS, {_name(s): c for s, c in changes.items()}, cuts=CUTS, root=ROOT, now=now
    )
    assert done is not None
    authority.patch_zone(done.zone, done.added, done.removed)
    # The index built from the changes equals the one built from the whole zone.
    assert done.zone.origin is not None
    ours = authority._zones[done.zone.origin]
    fresh = _prepare(done.zone)
    assert ours.parents == fresh.parents
    assert list(ours.name_hashes) == list(fresh.name_hashes)
    assert ours.cuts == fresh.cuts and ours.soa == fresh.soa
    return done.zone


# (subject index, version): version None takes the subject out.
_steps = st.lists(
    st.tuples(st.integers(0, len(SUBJECTS) - 1), st.sampled_from([None, 0, 1])),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(start=st.sets(st.integers(0, len(SUBJECTS) - 1)), steps=_steps, image=st.booleans())
def test_any_sequence_of_changes_equals_full_assembly(
    start: set[int], steps: list[tuple[int, int | None]], image: bool
) -> None:
    """``image``: the zone served from a compiled image, the changes written above it."""
    state = {SUBJECTS[i]: VERSIONS[SUBJECTS[i]][0] for i in start}
    zone = _full(state)
    original = _records(zone)
    if image:
        zone = imaged(zone)
    authority = Authority([zone])
    for n, (index, version) in enumerate(steps):
        subject = SUBJECTS[index]
        new = None if version is None else VERSIONS[subject][version]
        old = state.get(subject)
        if new is None:
            state.pop(subject, None)
        else:
            state[subject] = new
        now = NOW + n  # a later time each step: the SOA serial follows it
        zone = _apply(authority, zone, {subject: (old, new)}, now)
        _check(zone, state, now)
    # The zone the server was serving is never changed, only copied.
    assert _records(_full({SUBJECTS[i]: VERSIONS[SUBJECTS[i]][0] for i in start})) == original


def test_several_changes_at_once_and_a_name_that_expired() -> None:
    state = {s: VERSIONS[s][0] for s in SUBJECTS[:6]}
    zone = _full(state)
    authority = Authority([zone])
    changes: dict[str, tuple[SignedDescriptor | None, SignedDescriptor | None]]
    changes = {s: (state[s], None) for s in SUBJECTS[:3]}  # all of one architecture node
    changes[SUBJECTS[7]] = (None, VERSIONS[SUBJECTS[7]][1])
    for s in SUBJECTS[:3]:
        del state[s]
    state[SUBJECTS[7]] = VERSIONS[SUBJECTS[7]][1]
    zone = _apply(authority, zone, changes, NOW + 5)
    _check(zone, state, NOW + 5)
    # An expired registration is not published (spec §5), by a patch as by assembly.
    zone = _apply(authority, zone, {SUBJECTS[0]: (None, EXPIRED)}, NOW + 6)
    _check(zone, state, NOW + 6)
    # One that expires soon gets the TTL a full assembly gives it: exp - now.
    soon = _signed(SUBJECTS[1], "soon.acme.example", expires=NOW + 100)
    zone = _apply(authority, zone, {SUBJECTS[1]: (None, soon)}, NOW + 7)
    state[SUBJECTS[1]] = soon
    _check(zone, state, NOW + 7)
    node = zone.get_node(_name(SUBJECTS[1]))
    assert node is not None and {rds.ttl for rds in node.rdatasets} == {93}


def test_an_identifier_without_capabilities_takes_the_full_assembly() -> None:
    bare = _signed("ucid:acme.hpc/de-by/x86-64-v4", "bare.acme.example")
    zone = _full({})
    assert (
        patch(
            zone,
            SETTINGS,
            {_name(bare.record.subject): (None, bare)},
            cuts=CUTS,
            root=ROOT,
            now=NOW,
        )
        is None
    )


@pytest.mark.parametrize("subject", SUBJECTS)
def test_each_name_in_and_out_leaves_the_zone_as_it_was(subject: str) -> None:
    state = {s: VERSIONS[s][0] for s in SUBJECTS if s != subject}
    zone = _full(state)
    authority = Authority([zone])
    before = _records(zone)
    zone = _apply(authority, zone, {subject: (None, VERSIONS[subject][1])}, NOW)
    assert _records(zone) != before
    zone = _apply(authority, zone, {subject: (VERSIONS[subject][1], None)}, NOW)
    assert _records(zone) == before
