"""The live-registration core never fails on what the network sends (spec/resolution.md §8.8).

Random UPDATE messages, built from parts that come close to valid ones (the
zone's names, descriptors, SVCB records, TSIG with right and wrong keys,
Update Lease options of any length), their wire forms cut and flipped, and
random bytes: :func:`handle` returns a decision every time, never raises; a
response it sends parses, carries the decided rcode, and only a NOERROR
decision changes state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from unittest import mock

import dns.edns
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cid
from cid._svcb import record_rdata as _generic
from cid.layout import TYPE_DESCRIPTOR
from cid.registry._demo import demo_key
from cid.registry._entries import LivePolicy
from cid.server._update import LiveZone, handle

NOW = int(time.time())  # dnspython signs TSIG with the clock


@pytest.fixture(autouse=True, scope="module")
def _clock_at_now() -> Iterator[None]:
    """dnspython signs and checks TSIG at the clock: at NOW, however long the suite ran
    before this module."""
    with mock.patch("time.time", return_value=float(NOW)):
        yield


ZONE = dns.name.from_text("acme.hpc.ucid.example")
KEY = demo_key("acme.hpc.ucid.example")
TSIG = dns.tsig.Key("agent.", "c2VjcmV0c2VjcmV0c2VjcmV0", "hmac-sha256")
WRONG = dns.tsig.Key("agent.", "d3Jvbmd3cm9uZw==", "hmac-sha256")
ZONES: dict[dns.name.Name, LiveZone | None] = {
    ZONE: LiveZone(
        ZONE, dns.name.from_text("ucid.example"), LivePolicy(("agent",)), (KEY.verify_key,), KEY
    ),
    dns.name.from_text("hpc.ucid.example"): None,
}
IDENTS = ["ucid:acme.hpc/de-by/x86-64-v4/cpu=8", "ucid:acme.hpc/de-by/riscv64", "ucid:x.y/zz/z"]
NAMES = [dns.name.from_text(cid.parse(i).to_dns_name("ucid.example")) for i in IDENTS] + [
    ZONE,
    dns.name.from_text("__enum.acme.hpc.ucid.example"),
    dns.name.from_text("a.b.example"),
]


@st.composite
def descriptors(draw: st.DrawFn) -> bytes:
    now = NOW + draw(st.integers(-400, 400))
    record = cid.Descriptor(
        issuer=draw(st.sampled_from(["acme.hpc.ucid.example", "hpc.ucid.example"])),
        subject=draw(st.sampled_from(IDENTS)),
        version=draw(st.integers(0, 2**64 - 1)),
        issued_at=now,
        not_before=now,
        expires=now + draw(st.integers(1, 100_000)),
        endpoints=(cid.Endpoint("tcp", "https", "h.example", 443),),
    )
    key = draw(st.sampled_from([KEY, cid.SigningKey.from_seed(b"x" * 32)]))
    return cid.sign(record, key)


SVCB = st.sampled_from(
    [
        '1 h.example. port="443"',
        "0 h.example.",
        '2 . port="1" ipv6hint="2001:db8::1"',
        '1 . port="1"',
        '3 h.example. alpn="h2,h3" port="8443" key65280="quic" key65282="\\000\\001"',
        '1 h.example. port="1" key65282="\\001"',
        '1 h.example. port="1" key65283="\\255"',
        '1 _x.example. port="1"',
    ]
).map(lambda text: dns.rdata.from_text("IN", "SVCB", text))
OTHER = st.sampled_from(["A", "TXT", "NS", "SOA", "PTR"]).map(
    lambda t: dns.rdata.from_text(
        "IN",
        t,
        {
            "A": "192.0.2.1",
            "TXT": '"x"',
            "NS": "ns.example.",
            "SOA": ". . 1 2 3 4 5",
            "PTR": "x.example.",
        }[t],
    )
)


@st.composite
def updates(draw: st.DrawFn) -> bytes:
    zone = draw(
        st.sampled_from([ZONE, ZONE, ZONE, dns.name.from_text("hpc.ucid.example"), NAMES[-1]])
    )
    msg = dns.update.UpdateMessage(zone)
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(NAMES))
        kind = draw(
            st.sampled_from(
                ["add-desc", "add-svcb", "add-other", "del", "del-type", "del-desc", "prereq"]
            )
        )
        if kind == "add-desc":
            msg.add(name, 60, _generic(TYPE_DESCRIPTOR, draw(descriptors())))
        elif kind == "add-svcb":
            msg.add(name, 60, draw(SVCB))
        elif kind == "add-other":
            msg.add(name, 60, draw(OTHER))
        elif kind == "del":
            msg.delete(name)
        elif kind == "del-type":
            msg.delete(name, draw(st.sampled_from(["SVCB", "TXT", "A", "TYPE65280"])))
        elif kind == "del-desc":
            msg.delete(name, _generic(TYPE_DESCRIPTOR, draw(descriptors())))
        else:
            msg.present(name)
    if draw(st.booleans()):
        data = draw(st.binary(max_size=9))
        msg.use_edns(
            draw(st.integers(0, 1)),
            options=[dns.edns.GenericOption(dns.edns.OptionType.make(2), data)],
        )
    key = draw(st.sampled_from([None, TSIG, TSIG, WRONG]))
    if key is not None:
        msg.use_tsig(key)
    wire = msg.to_wire(max_size=65535)  # the EDNS payload is not a limit for a test
    mode = draw(st.sampled_from(["intact", "intact", "intact", "cut", "flip"]))
    if mode == "cut":
        return wire[: draw(st.integers(0, len(wire)))]
    if mode == "flip":
        mutated = bytearray(wire)
        for i in draw(st.lists(st.integers(0, len(wire) - 1), min_size=1, max_size=3)):
            mutated[i] ^= draw(st.integers(1, 255))
        return bytes(mutated)
    return wire


def _check(wire: bytes) -> None:
    d = handle(wire, ZONES, {TSIG.name: TSIG}, now=NOW)
    if d.entry is not None:
        assert d.rcode == dns.rcode.NOERROR and d.name is not None
    response = d.response()
    if response is None:
        assert d.action == "drop"
        return
    parsed = dns.message.from_wire(response, keyring=False)
    assert parsed.rcode() == d.rcode
    assert parsed.id == int.from_bytes(wire[:2])


@given(updates())
def test_random_updates_never_crash_the_core(wire: bytes) -> None:
    _check(wire)


@given(st.binary(max_size=600))
def test_random_bytes_never_crash_the_core(wire: bytes) -> None:
    _check(wire)


@given(st.binary(min_size=12, max_size=300))
def test_random_bytes_as_updates_never_crash_the_core(wire: bytes) -> None:
    _check(wire[:2] + bytes([0x28 | (wire[2] & 0x01)]) + wire[3:])  # opcode UPDATE, QR clear
