"""The live-registration core (sans-IO, spec/resolution.md §8.8): a table of UPDATEs and what
each decides, the responses as a DNS client reads them, and the SVCB and file mappings."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.tsig
import dns.update
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cid
from cid._svcb import endpoint_from_svcb as _svcb_endpoint
from cid._svcb import endpoint_svcb, lease_option
from cid._svcb import record_rdata as _generic
from cid.layout import TYPE_DESCRIPTOR
from cid.registry._demo import DEMO_ROOT, demo_key
from cid.registry._entries import LivePolicy, Registration, Withdrawal, entry_bytes, read_entry
from cid.server._update import MAX_FUDGE, WITHDRAWAL_KEPT, Decision, LiveZone, handle, is_update

# dnspython signs TSIG with the clock; the core is told this time, within the 300 s fudge.
NOW = int(time.time())


@pytest.fixture(autouse=True, scope="module")
def _clock_at_now() -> Iterator[None]:
    """dnspython signs and checks TSIG at the clock: at NOW, however long the suite ran
    before this module (module-scoped: hypothesis tests run in it too)."""
    with mock.patch("time.time", return_value=float(NOW)):
        yield


ZONE = "acme.hpc.ucid.example"
Z = dns.name.from_text(ZONE)
ROOT = dns.name.from_text(DEMO_ROOT)
ZONE_KEY = demo_key(ZONE)
AGENT = cid.SigningKey.from_seed(b"a" * 32)
STRANGER = cid.SigningKey.from_seed(b"s" * 32)
K = dns.tsig.Key("agent1.acme.", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "hmac-sha256")
K_OTHER = dns.tsig.Key("agent2.sugon.", "b3RoZXJvdGhlcm90aGVyb3RoZXI=", "hmac-sha256")
KEYRING = {K.name: K, K_OTHER.name: K_OTHER}
IDENT = cid.parse("ucid:acme.hpc/de-by/x86-64-v4/cpu=8")
NAME = dns.name.from_text(IDENT.to_dns_name(DEMO_ROOT))
OTHER = dns.name.from_text(cid.parse("ucid:acme.hpc/de-by/x86-64-v4/cpu=16").to_dns_name(DEMO_ROOT))
STATIC = dns.name.from_text(
    cid.parse("ucid:acme.hpc/us-ca/x86-64-v4+gfx942/acc=8").to_dns_name(DEMO_ROOT)
)
CUT = dns.name.from_text(f"_cn-sh.{ZONE}.")
EP = cid.Endpoint("tcp", "https", "h.acme.example", 443, alpn=("h2",), weight=5)


def descriptor(
    key: cid.SigningKey = AGENT, *, version: int = 7, lease: int = 60, **changes: Any
) -> bytes:
    fields: dict[str, Any] = {
        "issuer": ZONE,
        "subject": str(IDENT),
        "version": version,
        "issued_at": NOW,
        "not_before": NOW,
        "expires": NOW + lease,
        "endpoints": (EP,),
        "capabilities": ("cpu=8",),
    }
    return cid.sign(cid.Descriptor(**(fields | changes)), key)


def flipped(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])  # the signature's last octet


def live_zone(entry: Registration | Withdrawal | None = None) -> LiveZone:
    return LiveZone(
        Z,
        ROOT,
        LivePolicy(tsig_keys=("agent1.acme",), max_lease=3600, default_lease=600),
        (ZONE_KEY.verify_key, AGENT.verify_key),
        ZONE_KEY,
        frozenset({CUT}),
        frozenset({STATIC}),
        {NAME: entry} if entry is not None else {},
    )


def registered(version: int = 7) -> Registration:
    data = descriptor(version=version)
    return Registration(data, cid.verify(data, [AGENT.verify_key], now=NOW), "key x")


def zones(zone: LiveZone | None = None) -> dict[dns.name.Name, LiveZone | None]:
    return {Z: zone or live_zone(), dns.name.from_text("hpc.ucid.example"): None}


def update(
    *,
    zone: str = ZONE,
    tsig: dns.tsig.Key | None = None,
    lease: int | None = None,
    build: Callable[[dns.update.UpdateMessage], None],
) -> dns.update.UpdateMessage:
    msg = dns.update.UpdateMessage(zone)
    build(msg)
    if lease is not None:
        msg.use_edns(0, options=[lease_option(lease)])
    if tsig is not None:
        msg.use_tsig(tsig)
    return msg


def svcb(*texts: str, name: dns.name.Name = NAME) -> Callable[[dns.update.UpdateMessage], None]:
    def build(msg: dns.update.UpdateMessage) -> None:
        msg.delete(name)
        for text in texts:
            msg.add(name, 60, dns.rdata.from_text("IN", "SVCB", text))

    return build


def signed(data: bytes, name: dns.name.Name = NAME) -> Callable[[dns.update.UpdateMessage], None]:
    def build(msg: dns.update.UpdateMessage) -> None:
        msg.delete(name)
        msg.add(name, 60, _generic(TYPE_DESCRIPTOR, data))

    return build


def withdraw(data: bytes) -> Callable[[dns.update.UpdateMessage], None]:
    return lambda msg: msg.delete(NAME, _generic(TYPE_DESCRIPTOR, data))


def delete(name: dns.name.Name = NAME) -> Callable[[dns.update.UpdateMessage], None]:
    return lambda msg: msg.delete(name)


def add(name: dns.name.Name, rdtype: str, text: str) -> Callable[[dns.update.UpdateMessage], None]:
    return lambda msg: msg.add(name, 60, dns.rdata.from_text("IN", rdtype, text))


def both(*builds: Callable[[dns.update.UpdateMessage], None]) -> Any:
    def build(msg: dns.update.UpdateMessage) -> None:
        for b in builds:
            b(msg)

    return build


def prereq(msg: dns.update.UpdateMessage) -> None:
    msg.present(NAME)
    svcb('1 h.acme.example. port="443"')(msg)


GOOD = '1 h.acme.example. alpn="h2" port="443"'
OK, FORMERR, REFUSED, NOTAUTH, NOTZONE = 0, 1, 5, 9, 10
REG = live_zone(registered())
GONE = live_zone(Withdrawal(7, NOW + 9, "x"))
D = descriptor

# (id, message, zone state, expected rcode, expected action, granted lease)
CASES: list[tuple[str, dns.update.UpdateMessage, LiveZone | None, int, str, int | None]] = [
    ("tsig-svcb", update(tsig=K, lease=60, build=svcb(GOOD)), None, OK, "register", 60),
    ("tsig-default-lease", update(tsig=K, build=svcb(GOOD)), None, OK, "register", 600),
    (
        "tsig-lease-capped",
        update(tsig=K, lease=10**6, build=svcb(GOOD)),
        None,
        OK,
        "register",
        3600,
    ),
    ("tsig-renew", update(tsig=K, build=svcb(GOOD)), REG, OK, "renew", 600),
    ("tsig-lease-zero", update(tsig=K, lease=0, build=svcb(GOOD)), None, REFUSED, "refuse", None),
    ("signed-agent-key", update(build=signed(D())), None, OK, "register", 60),
    ("signed-zone-key", update(build=signed(D(ZONE_KEY))), None, OK, "register", 60),
    ("signed-and-tsig", update(tsig=K, build=signed(D())), None, OK, "register", 60),
    ("signed-untrusted-key", update(build=signed(D(STRANGER))), None, NOTAUTH, "refuse", None),
    ("signed-bad-signature", update(build=signed(flipped(D()))), None, NOTAUTH, "refuse", None),
    (
        "signed-wrong-issuer",
        update(build=signed(D(issuer="hpc.ucid.example"))),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "signed-expired",
        update(build=signed(D(issued_at=NOW - 100, not_before=NOW - 100, expires=NOW - 50))),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "signed-stale",
        update(build=signed(D(issued_at=NOW - 301, not_before=NOW - 301))),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    ("signed-lease-too-long", update(build=signed(D(lease=3601))), None, REFUSED, "refuse", None),
    ("signed-other-name", update(build=signed(D(), OTHER)), None, REFUSED, "refuse", None),
    ("signed-unchanged", update(build=signed(D())), REG, OK, "unchanged", 60),
    ("signed-renew", update(build=signed(D(version=8))), REG, OK, "renew", 60),
    ("signed-same-version", update(build=signed(D(lease=70))), REG, REFUSED, "refuse", None),
    ("signed-older", update(build=signed(D(version=6))), REG, REFUSED, "refuse", None),
    ("signed-replay-withdrawn", update(build=signed(D())), GONE, REFUSED, "refuse", None),
    ("signed-after-withdrawal", update(build=signed(D(version=8))), GONE, OK, "register", 60),
    ("withdraw", update(build=withdraw(D(version=8))), REG, OK, "remove", None),
    ("withdraw-with-published", update(build=withdraw(D())), REG, REFUSED, "refuse", None),
    ("withdraw-absent", update(build=withdraw(D())), None, OK, "absent", None),
    (
        "withdraw-stranger",
        update(build=withdraw(D(STRANGER, version=8))),
        REG,
        NOTAUTH,
        "refuse",
        None,
    ),
    ("tsig-remove", update(tsig=K, build=delete()), REG, OK, "remove", None),
    ("tsig-remove-absent", update(tsig=K, build=delete()), None, OK, "absent", None),
    ("remove-unauthenticated", update(build=delete()), REG, REFUSED, "refuse", None),
    ("svcb-unauthenticated", update(build=svcb(GOOD)), None, REFUSED, "refuse", None),
    (
        "tsig-unknown-key",
        update(tsig=dns.tsig.Key("who.", "d2hvd2hvd2hv"), build=svcb(GOOD)),
        None,
        NOTAUTH,
        "refuse",
        None,
    ),
    (
        "tsig-bad-mac",
        update(tsig=dns.tsig.Key(K.name, "d3Jvbmd3cm9uZw=="), build=svcb(GOOD)),
        None,
        NOTAUTH,
        "refuse",
        None,
    ),
    ("tsig-other-zone-key", update(tsig=K_OTHER, build=svcb(GOOD)), None, REFUSED, "refuse", None),
    (
        "zone-not-served",
        update(zone="example.org", tsig=K, build=svcb(GOOD)),
        None,
        NOTAUTH,
        "refuse",
        None,
    ),
    (
        "zone-not-live",
        update(zone="hpc.ucid.example", tsig=K, build=svcb(GOOD)),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "name-outside-zone",
        update(tsig=K, build=svcb(GOOD, name=dns.name.from_text("x.sugon.hpc.ucid.example"))),
        None,
        NOTZONE,
        "refuse",
        None,
    ),
    (
        "name-in-child-zone",
        update(tsig=K, build=svcb(GOOD, name=dns.name.from_text("_x86-64-v4._cn-sh." + ZONE))),
        None,
        NOTZONE,
        "refuse",
        None,
    ),
    (
        "name-from-files",
        update(tsig=K, build=svcb(GOOD, name=STATIC)),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "name-not-identifier",
        update(tsig=K, build=svcb(GOOD, name=dns.name.from_text("www." + ZONE))),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "two-names",
        update(tsig=K, build=both(svcb(GOOD), svcb(GOOD, name=OTHER))),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    ("prerequisite", update(tsig=K, build=prereq), None, REFUSED, "refuse", None),
    ("empty", update(tsig=K, build=lambda m: None), None, FORMERR, "refuse", None),
    (
        "add-a-record",
        update(tsig=K, build=add(NAME, "A", "192.0.2.1")),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "delete-ns",
        update(tsig=K, build=lambda m: m.delete(NAME, "NS")),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "descriptor-and-svcb",
        update(tsig=K, build=both(signed(D()), svcb(GOOD))),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "svcb-alias-mode",
        update(tsig=K, build=svcb("0 h.acme.example.")),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "svcb-no-port",
        update(tsig=K, build=svcb("1 h.acme.example.")),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "svcb-hint-and-name",
        update(tsig=K, build=svcb('1 h.acme.example. port="1" ipv4hint="192.0.2.1"')),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "svcb-two-hints",
        update(tsig=K, build=svcb('1 . port="1" ipv4hint="192.0.2.1,192.0.2.2"')),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "svcb-no-default-alpn",
        update(tsig=K, build=svcb('1 h.acme.example. alpn="h2" no-default-alpn port="1"')),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "svcb-bad-transport",
        update(tsig=K, build=svcb('1 h.acme.example. port="1" key65280="sctp"')),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "svcb-duplicate",
        update(tsig=K, build=svcb(GOOD, '2 h.acme.example. alpn="h3" port="443"')),
        None,
        REFUSED,
        "refuse",
        None,
    ),
    (
        "quota",
        update(tsig=K, build=svcb(GOOD, name=OTHER)),
        dataclasses.replace(REG, policy=LivePolicy(("agent1.acme",), max_registrations=1)),
        5,
        "refuse",
        None,
    ),
]


@pytest.mark.parametrize(
    ("message", "zone", "rcode", "action", "lease"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_decisions(
    message: dns.update.UpdateMessage,
    zone: LiveZone | None,
    rcode: int,
    action: str,
    lease: int | None,
) -> None:
    wire = message.to_wire()
    d = handle(wire, zones(zone), KEYRING, now=NOW)
    assert (d.rcode, d.action) == (rcode, action), d.log
    assert d.log
    assert (d.entry is not None) == (action in ("register", "renew", "remove")) or (
        action == "absent" and isinstance(d.entry, Withdrawal)
    )
    assert d.lease == lease
    response = d.response()
    assert response is not None
    # The client reads the answer, its TSIG checked when it signed its request.
    if message.keyring is not None and rcode != dns.rcode.NOTAUTH:
        r = dns.message.from_wire(response, keyring=message.keyring, request_mac=message.mac)
    else:
        r = dns.message.from_wire(response, keyring=False)
    assert r.id == message.id and r.rcode() == rcode
    granted = [o.to_wire() for o in r.options if o.otype == 2]
    assert granted == ([lease.to_bytes(4)] if lease is not None and message.edns >= 0 else [])


def test_registration_by_tsig_is_a_descriptor_signed_by_the_zone() -> None:
    msg = update(tsig=K, lease=60, build=svcb(GOOD, '2 . port="8443" ipv6hint="2001:db8::1"'))
    d = handle(msg.to_wire(), zones(), KEYRING, now=NOW)
    assert isinstance(d.entry, Registration)
    record = cid.verify(d.entry.data, [ZONE_KEY.verify_key], now=NOW, issuer=ZONE)
    assert record == d.entry.record
    assert record.subject == str(IDENT) and record.expires == NOW + 60
    assert record.version == NOW and record.capabilities == ("cpu=8",)
    assert [e.host for e in record.endpoints] == ["h.acme.example", "2001:db8::1"]
    assert d.entry.by == "tsig agent1.acme."
    # Versions only grow, also when the clock has not moved.
    again = handle(msg.to_wire(), zones(live_zone(d.entry)), KEYRING, now=NOW)
    assert isinstance(again.entry, Registration) and again.entry.version == NOW + 1


def test_withdrawals_are_kept_long_enough_to_outlive_replays() -> None:
    d = handle(
        update(tsig=K, build=delete()).to_wire(), zones(live_zone(registered())), KEYRING, now=NOW
    )
    assert d.entry == Withdrawal(7, NOW + WITHDRAWAL_KEPT, "tsig agent1.acme.")


@pytest.mark.parametrize(
    ("shift", "error"),
    [
        (0, 0),
        (MAX_FUDGE, 0),
        (MAX_FUDGE + 1, dns.rcode.BADTIME),
        (-MAX_FUDGE - 1, dns.rcode.BADTIME),
    ],
)
def test_tsig_time_is_judged_at_now(shift: int, error: int) -> None:
    msg = update(tsig=K, build=svcb(GOOD))
    wire = msg.to_wire()  # signed with the real clock; the core judges at its own now
    signed_at = dns.message.from_wire(wire, keyring=K).tsig[0].time_signed  # type: ignore[index]
    d = handle(wire, zones(), KEYRING, now=signed_at + shift)
    response = d.response()
    assert response is not None
    if error:
        assert d.rcode == dns.rcode.NOTAUTH
        with pytest.raises(dns.tsig.PeerBadTime):
            dns.message.from_wire(response, keyring=K, request_mac=msg.mac)
    else:
        assert d.rcode == dns.rcode.NOERROR, d.log


def test_tsig_failures_reach_the_client_as_rfc_8945_errors() -> None:
    for key, error in (
        (dns.tsig.Key("who.", "d2hv"), dns.tsig.PeerBadKey),
        (dns.tsig.Key(K.name, "eHh4"), dns.tsig.PeerBadSignature),
    ):
        msg = update(tsig=key, build=svcb(GOOD))
        response = handle(msg.to_wire(), zones(), KEYRING, now=NOW).response()
        assert response is not None
        with pytest.raises(error):
            dns.message.from_wire(response, keyring=key, request_mac=msg.mac)


def test_servfail_when_the_driver_cannot_write() -> None:
    d = handle(update(tsig=K, lease=60, build=svcb(GOOD)).to_wire(), zones(), KEYRING, now=NOW)
    response = d.response(dns.rcode.SERVFAIL)
    assert response is not None
    r = dns.message.from_wire(response, keyring=False)
    assert r.rcode() == dns.rcode.SERVFAIL and not r.options


@pytest.mark.parametrize(
    ("wire", "rcode"),
    [
        (b"", None),
        (b"\x12\x34\x28", None),  # short
        (b"\x12\x34\xa8\x00" + bytes(8), None),  # a response: never answered
        (b"\x12\x34\x28\x00\x00\x01\x00\x00\x00\x00\x00\x00\xff", dns.rcode.FORMERR),
        (dns.message.make_query("x.", "A").to_wire(), dns.rcode.NOTIMP),
        (dns.update.UpdateMessage(ZONE).to_wire()[:12], dns.rcode.FORMERR),  # no zone
    ],
)
def test_malformed(wire: bytes, rcode: int | None) -> None:
    d = handle(wire, zones(), KEYRING, now=NOW)
    response = d.response()
    if rcode is None:
        assert response is None and d.action == "drop"
    else:
        assert response is not None and dns.message.from_wire(response).rcode() == rcode


def test_edns_version_above_zero() -> None:
    msg = update(tsig=K, build=svcb(GOOD))
    msg.use_edns(1)
    r = dns.message.from_wire(
        handle(msg.to_wire(), zones(), KEYRING, now=NOW).response() or b"",
        keyring=K,
        request_mac=msg.mac,
    )
    assert r.rcode() == dns.rcode.BADVERS


def test_is_update() -> None:
    assert is_update(dns.update.UpdateMessage(ZONE).to_wire())
    assert not is_update(dns.message.make_query("x.", "A").to_wire())
    assert not is_update(b"\x00\x00\xa8\x00" + bytes(8))  # a response
    assert not is_update(b"\x00\x00\x28")


# ------------------------------------------------------------------ mappings

ENDPOINTS = [
    EP,
    cid.Endpoint("quic", "https", "2001:db8::7", 4433, priority=2, alpn=("h3",)),
    cid.Endpoint("tcp", "grpc", "198.51.100.10", 8443, region="cn-gd", weight=65535),
    cid.Endpoint("udp", "x-custom.proto", "a.b.example", 1, priority=65535, alpn=('a,"b', "c")),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_svcb_carries_an_endpoint_without_loss(endpoint: cid.Endpoint) -> None:
    assert _svcb_endpoint(endpoint_svcb(endpoint)) == endpoint


@given(
    st.builds(
        cid.Endpoint,
        transport=st.sampled_from(["tcp", "udp", "quic"]),
        protocol=st.from_regex(r"[a-z][a-z0-9+.-]{0,31}", fullmatch=True),
        host=st.sampled_from(["h.example", "192.0.2.1", "2001:db8::1"]),
        port=st.integers(1, 65535),
        priority=st.integers(1, 65535),
        weight=st.integers(0, 65535),
        alpn=st.lists(
            st.from_regex(r"[\x21-\x7e]{1,20}", fullmatch=True), max_size=3, unique=True
        ).map(tuple),
        region=st.none() | st.just("cn-gd"),
    )
)
def test_svcb_round_trip_property(endpoint: cid.Endpoint) -> None:
    assert _svcb_endpoint(endpoint_svcb(endpoint)) == endpoint


def test_entries_on_disk() -> None:
    reg = registered()
    keys = [AGENT.verify_key]
    assert read_entry(entry_bytes(reg), keys, zone=ZONE, now=NOW) == reg
    assert read_entry(entry_bytes(reg), keys, zone=ZONE, now=NOW + 60) is None  # lapsed
    gone = Withdrawal(7, NOW + 10, "tsig a.")
    assert read_entry(entry_bytes(gone), keys, zone=ZONE, now=NOW) == gone
    assert read_entry(entry_bytes(gone), keys, zone=ZONE, now=NOW + 10) is None
    for bad in (
        b"",
        b"[]",
        b'{"by": "x"}',
        b'{"by": "x", "registered": "!"}',
        b'{"by": "x", "withdrawn": "1"}',
    ):
        with pytest.raises(cid.CidError):
            read_entry(bad, keys, zone=ZONE, now=NOW)
    with pytest.raises(cid.UnknownKeyError):  # the key is no longer the zone's
        read_entry(entry_bytes(reg), [ZONE_KEY.verify_key], zone=ZONE, now=NOW)


@pytest.mark.parametrize(
    "settings",
    [
        {"max_lease": 0},
        {"max_lease": 32 * 86400},
        {"default_lease": 7200, "max_lease": 3600},
        {"max_registrations": -1},
    ],
)
def test_policy_limits(settings: dict[str, Any]) -> None:
    with pytest.raises(cid.CidError):
        LivePolicy(**settings)


def test_decision_without_reply() -> None:
    assert Decision("drop", dns.rcode.NOERROR, "x").response() is None
