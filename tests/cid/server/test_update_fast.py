"""The fast reader of status UPDATEs (``cid/server/_update_fast.py``) agrees with
dnspython's (``cid.server._update.handle_strict``).

For every message, ``handle`` (which tries the fast reader first) and
``handle_strict`` must come to the same decision: action, rcode, log line (the
refusal reason), zone, name, status to serve, and the same response bytes. The
messages are a table of odd and hostile ones around the shape
``cid.register_status`` sends, and hypothesis: that shape built from random
parts, its wire form cut, flipped, with bytes inserted and removed. Also: when
the reader takes a message, dnspython reads the same fields from it; and
:class:`HashedName` behaves as the plain name of its labels.
"""

from __future__ import annotations

import struct
import time

import dns.edns
import dns.message
import dns.name
import dns.rdataclass
import dns.tsig
import dns.update
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cid
from cid._svcb import record_rdata
from cid.layout import TYPE_DESCRIPTOR, TYPE_STATUS
from cid.registry._demo import demo_key
from cid.registry._entries import LivePolicy
from cid.server._update import Decision, LiveZone, Served, handle, handle_strict
from cid.server._update_fast import HashedName, hashed, read_status

NOW = int(time.time())
ROOT = dns.name.from_text("ucid.example")
ZONE = dns.name.from_text("acme.hpc.ucid.example")
CHILD = dns.name.from_text("east.acme.hpc.ucid.example")
KEY = demo_key("acme.hpc.ucid.example")
STRANGER = cid.SigningKey.from_seed(b"s" * 32)
TSIG = dns.tsig.Key("agent.", "c2VjcmV0c2VjcmV0c2VjcmV0", "hmac-sha256")
IDENTS = ["ucid:acme.hpc/de-by/x86-64-v4/cpu=8", "ucid:acme.hpc/de-by/riscv64"]
NAMES = [dns.name.from_text(cid.parse(i).to_dns_name("ucid.example")) for i in IDENTS]
UNDESCRIBED = dns.name.from_text(cid.parse("ucid:acme.hpc/de-by/arm64").to_dns_name("ucid.example"))
IN_CHILD = dns.name.from_text("x.east.acme.hpc.ucid.example")
OUTSIDE = dns.name.from_text("a.b.example")


def _zones(hashed_names: bool) -> dict[dns.name.Name, LiveZone | None]:
    make = hashed if hashed_names else (lambda n: n)
    zone = LiveZone(
        make(ZONE),
        ROOT,
        LivePolicy(("agent",)),
        (KEY.verify_key,),
        KEY,
        frozenset({make(CHILD)}),
    )
    return {make(ZONE): zone, make(dns.name.from_text("hpc.ucid.example")): None}


DESCRIPTORS = {
    name: cid.Descriptor(
        "acme.hpc.ucid.example",
        ident,
        5,
        NOW - 10,
        NOW - 10,
        NOW + 3600,
        (cid.Endpoint("tcp", "https", "h.example", 443),),
    )
    for name, ident in zip(NAMES, IDENTS, strict=True)
}
SERVED = {name: Served(cid.sign(d, KEY), d) for name, d in DESCRIPTORS.items()}


class Book:
    """A StatusBook: the descriptors served, and one status accepted before (replay)."""

    def __init__(self) -> None:
        self.seen = {IDENTS[1]: _status(NAMES[1], 10)}

    def served(self, origin: dns.name.Name, name: dns.name.Name) -> Served | None:
        return SERVED.get(name) if origin == ZONE else None

    def last(self, subject: str) -> cid.Status | None:
        return self.seen.get(subject)


def _status(name: dns.name.Name, version: int, **over: object) -> cid.Status:
    d = DESCRIPTORS[name]
    fields: dict[str, object] = {
        "issuer": d.issuer,
        "subject": d.subject,
        "version": version,
        "descriptor_version": d.version,
        "issued_at": NOW - 5,
        "expires": NOW + 120,
        "accepting": True,
        "utilisation": 3,
    }
    fields.update(over)
    return cid.Status(**fields)  # type: ignore[arg-type]


def signed(name: dns.name.Name = NAMES[0], version: int = 20, **over: object) -> bytes:
    return cid.sign_status(_status(name, version, **over), KEY)


def update(
    name: dns.name.Name = NAMES[0],
    data: bytes | None = None,
    *,
    zone: dns.name.Name = ZONE,
    delete: bool = True,
    edns: int | None = 0,
    rdtype: int = TYPE_STATUS,
    options: tuple[dns.edns.Option, ...] = (),
    tsig: bool = False,
) -> bytes:
    """A status UPDATE as ``cid.register_status`` sends it, with the changes asked for."""
    msg = dns.update.UpdateMessage(zone)
    if delete:
        msg.delete(name, rdtype)
    msg.add(name, 120, record_rdata(rdtype, signed() if data is None else data))
    if edns is not None:
        msg.use_edns(edns, 0, 1232, options=list(options))
    if tsig:
        msg.use_tsig({TSIG.name: TSIG}, TSIG.name)
    return msg.to_wire(max_size=65535)


def _fields(d: Decision) -> tuple[object, ...]:
    why = (d.why.code, d.why.text) if d.why is not None else None
    return (d.action, d.rcode, d.log, d.zone, d.name, d.entry, d.lease, d.now, d.status, why)


def agree(wire: bytes) -> Decision:
    """``handle`` and ``handle_strict`` decide alike on ``wire``, with plain and hashed
    zone names; returns the decision."""
    book = Book()
    strict = handle_strict(wire, _zones(False), {}, now=NOW, statuses=book)
    for hashed_names in (False, True):
        fast = handle(wire, _zones(hashed_names), {}, now=NOW, statuses=book)
        assert _fields(fast) == _fields(strict), wire.hex()
        assert fast.response() == strict.response(), wire.hex()
        for rcode in (dns.rcode.SERVFAIL, dns.rcode.NOERROR):
            assert fast.response(rcode) == strict.response(rcode)
    read = read_status(wire)
    if read is not None:  # what the reader took, dnspython reads alike
        msg = dns.message.from_wire(wire, keyring=False)
        assert isinstance(msg, dns.update.UpdateMessage)
        assert (read.id, read.edns, read.zone.labels) == (msg.id, msg.edns >= 0, _zone_labels(msg))
        assert read.name.labels == msg.update[0].name.labels
        assert [read.data] == [r.to_digestable() for s in msg.update for r in s]
    return strict


def _zone_labels(msg: dns.update.UpdateMessage) -> tuple[bytes, ...]:
    return msg.zone[0].name.labels


def _upper(wire: bytes) -> bytes:
    """The names in ``wire`` (before the status's RDATA) in upper case."""
    at = wire.index(b"\xd2\x84") if b"\xd2\x84" in wire else len(wire)
    return wire[:at].replace(b"acme", b"ACME") + wire[at:]


def _with_counts(wire: bytes, **counts: int) -> bytes:
    qd, pr, up, ad = struct.unpack_from("!HHHH", wire, 4)
    qd, pr = counts.get("qd", qd), counts.get("pr", pr)
    up, ad = counts.get("up", up), counts.get("ad", ad)
    return wire[:4] + struct.pack("!HHHH", qd, pr, up, ad) + wire[12:]


def _prereq() -> bytes:
    msg = dns.update.UpdateMessage(ZONE)
    msg.present(NAMES[0])
    msg.delete(NAMES[0], TYPE_STATUS)
    msg.add(NAMES[0], 120, record_rdata(TYPE_STATUS, signed()))
    return msg.to_wire()


def _two_adds(same: bool) -> bytes:
    msg = dns.update.UpdateMessage(ZONE)
    msg.add(NAMES[0], 120, record_rdata(TYPE_STATUS, signed()))
    msg.add(NAMES[0], 120, record_rdata(TYPE_STATUS, signed() if same else signed(version=21)))
    return msg.to_wire()


def _add_then_delete() -> bytes:
    msg = dns.update.UpdateMessage(ZONE)
    msg.add(NAMES[0], 120, record_rdata(TYPE_STATUS, signed()))
    msg.delete(NAMES[0], TYPE_STATUS)
    return msg.to_wire()


def _uncompressed() -> bytes:
    """The shape sent, with no name compressed (dnspython always compresses)."""
    owner, data = NAMES[0].to_wire(), signed()
    zone = ZONE.to_wire()
    assert owner is not None and zone is not None
    return (
        struct.pack("!HHHHHH", 7, 5 << 11, 1, 0, 2, 1)
        + zone
        + b"\x00\x06\x00\x01"
        + owner
        + struct.pack("!HHIH", TYPE_STATUS, 255, 0, 0)
        + owner
        + struct.pack("!HHIH", TYPE_STATUS, 1, 120, len(data))
        + data
        + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
    )


GOOD = update()
LEASE = dns.edns.GenericOption(dns.edns.OptionType.make(2), b"\x00\x00\x0e\x10")
TABLE = {
    "good": GOOD,
    "no delete": update(delete=False),
    "no OPT": update(edns=None),
    "upper case": _upper(GOOD),
    "replayed older": update(NAMES[1], signed(NAMES[1], 9)),
    "unchanged": update(NAMES[1], signed(NAMES[1], 10)),
    "rolled back with other claims": update(NAMES[1], signed(NAMES[1], 10, utilisation=4)),
    "expired": update(data=signed(issued_at=NOW - 700, expires=NOW - 100)),
    "not yet valid": update(data=signed(issued_at=NOW + 100, expires=NOW + 200)),
    "by a stranger": update(data=cid.sign_status(_status(NAMES[0], 20), STRANGER)),
    "another descriptor version": update(data=signed(descriptor_version=4)),
    "another subject": update(data=signed(NAMES[1])),
    "bad signature": update(data=signed()[:-1] + b"\x00"),
    "not a status": update(data=b"\xa0"),
    "empty rdata": update(data=b""),
    "oversize": update(data=b"\x00" * 1300),
    "undescribed name": update(UNDESCRIBED),
    "in a child zone": update(IN_CHILD),
    "outside the zone": update(OUTSIDE),
    "the zone's apex": update(ZONE),
    "a zone not live": update(zone=dns.name.from_text("hpc.ucid.example")),
    "a zone not served": update(zone=dns.name.from_text("example")),
    "descriptor type": update(rdtype=TYPE_DESCRIPTOR),
    "EDNS version 1": update(edns=1),
    "an EDNS option": update(options=(LEASE,)),
    "TSIG": update(tsig=True),
    "prerequisite": _prereq(),
    "two adds, same": _two_adds(True),
    "two adds, different": _two_adds(False),
    "add then delete": _add_then_delete(),
    "uncompressed": _uncompressed(),
    "trailing byte": GOOD + b"\x00",
    "cut": GOOD[:-1],
    "header only": GOOD[:12],
    "a response": GOOD[:2] + bytes([GOOD[2] | 0x80]) + GOOD[3:],
    "a query": GOOD[:2] + bytes([GOOD[2] & 0x87]) + GOOD[3:],
    "two zones": _with_counts(GOOD, qd=2),
    "no zone": _with_counts(GOOD, qd=0),
    "three updates announced": _with_counts(GOOD, up=3),
    "one update announced": _with_counts(GOOD, up=1),
    "no additional announced": _with_counts(GOOD, ad=0),
    "zone class CH": GOOD.replace(b"\x00\x06\x00\x01", b"\x00\x06\x00\x03", 1),
    "zone type A": GOOD.replace(b"\x00\x06\x00\x01", b"\x00\x01\x00\x01", 1),
    "delete class NONE": GOOD.replace(b"\xff\x02\x00\xff", b"\xff\x02\x00\xfe", 1),
    "add class CH": GOOD.replace(b"\xff\x02\x00\x01", b"\xff\x02\x00\x03", 1),
    "forward pointer": GOOD.replace(b"\xc0\x0c", b"\xc0\xff", 1),
    "self pointer": GOOD.replace(b"\xc0\x0c", b"\xc0\x0a", 1),
    "label type 01": GOOD.replace(b"\xc0\x0c", b"\x40\x0c", 1),
}


@pytest.mark.parametrize("wire", TABLE.values(), ids=TABLE.keys())
def test_the_table_decides_alike(wire: bytes) -> None:
    agree(wire)


def test_the_shape_sent_is_read_fast_and_accepted() -> None:
    for wire in (GOOD, update(delete=False), update(edns=None), _upper(GOOD), _uncompressed()):
        assert read_status(wire) is not None
        decided = agree(wire)
        assert (decided.action, decided.rcode) == ("status", dns.rcode.NOERROR)
    assert agree(TABLE["unchanged"]).action == "unchanged"
    assert agree(TABLE["replayed older"]).rcode == dns.rcode.REFUSED


@st.composite
def status_updates(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from([*NAMES, UNDESCRIBED, IN_CHILD, OUTSIDE, ZONE]))
    described = name if name in DESCRIPTORS else NAMES[0]
    data = draw(
        st.sampled_from(
            [
                signed(described, draw(st.integers(0, 30))),
                signed(described, 20, expires=NOW + draw(st.integers(-4, 5))),
                signed(NAMES[1], 10),
                b"",
                b"\xd2",
            ]
        )
    )
    wire = update(
        name,
        data,
        zone=draw(st.sampled_from([ZONE, ZONE, ZONE, dns.name.from_text("hpc.ucid.example")])),
        delete=draw(st.booleans()),
        edns=draw(st.sampled_from([0, 0, None, 1])),
    )
    if draw(st.booleans()):
        wire = _upper(wire)
    return wire


@given(status_updates())
def test_status_updates_decide_alike(wire: bytes) -> None:
    agree(wire)


@settings(max_examples=400)
@given(status_updates(), st.data())
def test_mutated_status_updates_decide_alike(wire: bytes, data: st.DataObject) -> None:
    changed = bytearray(wire)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(changed) - 1))
        how = data.draw(st.sampled_from(["set", "cut", "insert", "remove"]))
        if how == "set":
            changed[at] = data.draw(st.integers(0, 255))
        elif how == "cut":
            del changed[at:]
        elif how == "insert":
            changed.insert(at, data.draw(st.integers(0, 255)))
        elif len(changed) > 1:
            del changed[at]
        if not changed:
            break
    agree(bytes(changed))


@given(st.lists(st.binary(min_size=0, max_size=5), min_size=1, max_size=5), st.data())
def test_hashed_names_are_plain_names(labels: list[bytes], data: st.DataObject) -> None:
    try:
        plain = dns.name.Name([*labels, b""])
    except dns.name.NameTooLong:
        return
    except dns.exception.DNSException:
        return
    name = hashed(plain)
    assert isinstance(name, HashedName) and hashed(name) is name
    assert name == plain and plain == name
    assert not (name != plain)  # noqa: SIM202  # __ne__ is overridden too
    assert hash(name) == hash(plain) and str(name) == str(plain)
    upper = data.draw(st.booleans())
    other = dns.name.Name(
        [
            *data.draw(st.lists(st.sampled_from([b"a", b"A", b"b"]), max_size=2)),
            *[label.upper() if upper else label for label in labels],
            b"",
        ]
    )
    for o in (other, hashed(other)):
        assert name.under(o) == plain.is_subdomain(o)
        assert hashed(other).under(name) == other.is_subdomain(plain)
        assert (name == o) == (plain == other)
        assert name.relative(o) == plain.relativize(o)
        rel, plain_rel = name.relativize(o), plain.relativize(o)
        assert rel.labels == plain_rel.labels and type(rel) is HashedName
        assert rel.derelativize(o).labels == plain_rel.derelativize(o).labels
        assert name.derelativize(o).labels == plain.derelativize(o).labels


def test_hashed_names_keep_the_case_of_plain_names() -> None:
    name = hashed(dns.name.from_text("x.ACME.example"))
    for origin in (dns.name.from_text("acme.example"), dns.name.from_text("ACME.example")):
        plain = dns.name.from_text("x.ACME.example").relativize(origin)
        rel = name.relativize(origin)
        assert rel.labels == plain.labels
        for back in (dns.name.from_text("acme.example"), dns.name.from_text("ACME.example")):
            assert rel.derelativize(back).labels == plain.derelativize(back).labels
