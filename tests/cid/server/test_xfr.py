"""The hidden primary's sans-IO core (spec/resolution.md §9.1): AXFR and IXFR streams as
dnspython's own transfer client receives them, the journal and its bounds, serials, TSIG
refusals, NOTIFY messages."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from unittest import mock

import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.xfr
import dns.zone
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cid
from cid.cli import main
from cid.registry import Patched, Registry, Secondary, SignedDescriptor, patch, write_demo
from cid.server._journal import Change, Journal, apply, difference
from cid.server._xfr import Primary, Transfer, is_transfer

NOW = int(time.time())  # dnspython checks TSIG times against the clock
ZONE = "acme.hpc.ucid.example"


@pytest.fixture(autouse=True, scope="module")
def _clock_at_now() -> Iterator[None]:
    """dnspython signs and checks TSIG at the clock: at NOW, however long the suite ran
    before this module (module-scoped: hypothesis tests run in it too)."""
    with mock.patch("time.time", return_value=float(NOW)):
        yield


Z = dns.name.from_text(ZONE)
KEY = dns.tsig.Key("xfr1.", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "hmac-sha256")
OTHER = dns.tsig.Key("xfr2.", "b3RoZXJvdGhlcm90aGVyb3RoZXI=", "hmac-sha256")
WRONG = dns.tsig.Key("xfr1.", "d3Jvbmd3cm9uZ3dyb25nd3Jvbmc=", "hmac-sha256")
PEER = "192.0.2.53"


@pytest.fixture(scope="module")
def demo_zone(tmp_path_factory: pytest.TempPathFactory) -> dns.zone.Zone:
    reg = write_demo(tmp_path_factory.mktemp("xfr") / "registry", now=NOW)
    zone, _ = reg.assemble(ZONE, now=NOW)
    return zone


def _copy(zone: dns.zone.Zone) -> dns.zone.Zone:
    out = dns.zone.Zone(zone.origin, zone.rdclass, relativize=True)
    for name, node in zone.nodes.items():
        n = out.node_factory()
        n.rdatasets.extend(r.copy() for r in node.rdatasets)
        out.nodes[name] = n
    return out


def _records(zone: dns.zone.Zone) -> set[tuple[str, int, str]]:
    """Every record as (owner, TTL, type and data): what two equal zones share."""
    return {
        (
            name.to_text(),
            ttl,
            f"{dns.rdatatype.to_text(rd.rdtype)} {rd.to_text(origin=Z, relativize=False)}",
        )
        for name, ttl, rd in zone.iterate_rdatas()
    }


def _serial(zone: dns.zone.Zone) -> int:
    rds = zone.get_rdataset(zone.origin, dns.rdatatype.SOA)  # type: ignore[arg-type]
    assert rds is not None
    return int(rds[0].serial)


def _primary(zone: dns.zone.Zone, journal_records: int = 100_000) -> Primary:
    p = Primary(journal_records)
    p.configure(
        Z,
        [Secondary(PEER, "xfr1"), Secondary("192.0.2.54", "xfr2", 5300)],
        {KEY.name: KEY, OTHER.name: OTHER},
    )
    p.commit(p.prepare(zone))
    return p


def _edit(zone: dns.zone.Zone, step: int) -> dns.zone.Zone:
    """A next version: a name added, a record of a set removed, a TTL changed, a node gone."""
    new = _copy(zone)
    new.find_rdataset(f"_n{step}", dns.rdatatype.TXT, create=True).add(
        dns.rdata.from_text("IN", "TXT", f'"v{step}"'), 60 + step
    )
    if step > 1:
        new.delete_node(f"_n{step - 1}")
    soa = new.get_rdataset("@", dns.rdatatype.SOA)
    assert soa is not None
    new.replace_rdataset("@", dns.rdataset.from_rdata(soa.ttl, soa[0].replace(serial=NOW)))
    return new


def _query(
    rdtype: dns.rdatatype.RdataType, serial: int | None = None, key: dns.tsig.Key | None = KEY
) -> dns.message.QueryMessage:
    q = dns.message.make_query(Z, rdtype)
    if serial is not None:
        soa = dns.rrset.from_text(Z, 0, "IN", "SOA", f". . {serial} 0 0 0 0")
        q.authority.append(soa)
    if key is not None:
        q.use_tsig(key)
    return q


def _receive(
    q: dns.message.QueryMessage, transfer: Transfer, zone: dns.zone.Zone, serial: int | None = None
) -> list[dns.message.Message]:
    """``transfer``'s messages read and applied to ``zone`` as dnspython's client does
    (dns.query.inbound_xfr): every TSIG of the stream verified in turn."""
    assert transfer.allowed, transfer.log
    rdtype = q.question[0].rdtype
    inbound = dns.xfr.Inbound(zone, rdtype, serial)
    ctx = None
    messages = []
    done = False
    for wire in transfer.messages:
        assert not done
        r = dns.message.from_wire(
            wire,
            keyring=q.keyring,
            request_mac=q.mac,
            xfr=True,
            origin=zone.origin,
            tsig_ctx=ctx,
            multi=True,
            one_rr_per_rrset=rdtype == dns.rdatatype.IXFR,
        )
        ctx = r.tsig_ctx
        assert r.had_tsig
        messages.append(r)
        done = inbound.process_message(r)
    assert done
    return messages


def test_axfr_stream_is_the_zone(demo_zone: dns.zone.Zone) -> None:
    p = _primary(_copy(demo_zone))
    q = _query(dns.rdatatype.AXFR)
    transfer = p.transfer(q.to_wire(), PEER, tcp=True, now=NOW)
    received = dns.zone.Zone(Z, relativize=True)
    msgs = _receive(q, transfer, received)
    assert _records(received) == _records(demo_zone)
    assert all(m.flags & dns.flags.AA and m.rcode() == dns.rcode.NOERROR for m in msgs)


def test_axfr_of_a_large_zone_takes_many_messages_and_splits_a_large_set() -> None:
    zone = dns.zone.Zone(Z, relativize=True)
    zone.replace_rdataset("@", dns.rdataset.from_text("IN", "SOA", 300, f"ns. h. {NOW} 1 1 1 1"))
    big = zone.find_rdataset("big", dns.rdatatype.TXT, create=True)
    for i in range(400):  # about 100 kB: more than one message can hold
        big.add(dns.rdata.from_text("IN", "TXT", f'"{i:04d}{"x" * 250}"'), 60)
    for i in range(3000):
        zone.find_rdataset(f"n{i}", dns.rdatatype.A, create=True).add(
            dns.rdata.from_text("IN", "A", "192.0.2.1"), 60
        )
    p = _primary(zone)
    q = _query(dns.rdatatype.AXFR)
    received = dns.zone.Zone(Z, relativize=True)
    msgs = _receive(q, p.transfer(q.to_wire(), PEER, tcp=True, now=NOW), received)
    assert len(msgs) >= 3
    assert _records(received) == _records(zone)


def test_serials_always_increase(demo_zone: dns.zone.Zone) -> None:
    p = _primary(_copy(demo_zone))
    first = p.serial(Z)
    assert first == _serial(demo_zone)
    # Three versions assembled in the same second: each serial one above the last.
    for step in (1, 2, 3):
        v = p.prepare(_edit(demo_zone, step))
        assert v.serial == first + step == _serial(v.zone)  # the zone served says so too
        p.commit(v)
    later = _edit(demo_zone, 4)
    soa = later.get_rdataset("@", dns.rdatatype.SOA)
    assert soa is not None
    later.replace_rdataset("@", dns.rdataset.from_rdata(soa.ttl, soa[0].replace(serial=NOW + 100)))
    assert p.prepare(later).serial == NOW + 100  # the clock ahead again: the clock's


def test_ixfr_applied_to_the_old_version_gives_the_new(demo_zone: dns.zone.Zone) -> None:
    p = _primary(_copy(demo_zone))
    versions = [_copy(demo_zone)]
    for step in (1, 2, 3):
        v = p.prepare(_edit(versions[-1], step))
        p.commit(v)
        versions.append(v.zone)
    for start in versions[:-1]:
        old = _copy(start)
        q = _query(dns.rdatatype.IXFR, _serial(start))
        transfer = p.transfer(q.to_wire(), PEER, tcp=True, now=NOW)
        assert "change(s)" in transfer.log
        _receive(q, transfer, old, _serial(start))
        assert _records(old) == _records(versions[-1])


def test_ixfr_up_to_date_over_udp_and_unknown(demo_zone: dns.zone.Zone) -> None:
    p = _primary(_copy(demo_zone))
    v = p.prepare(_edit(demo_zone, 1))
    p.commit(v)
    # Up to date: the SOA alone.
    q = _query(dns.rdatatype.IXFR, v.serial)
    (only,) = list(p.transfer(q.to_wire(), PEER, tcp=True, now=NOW).messages)
    r = dns.message.from_wire(only, keyring=q.keyring, request_mac=q.mac)
    assert [x.rdtype for x in r.answer] == [dns.rdatatype.SOA] and r.answer[0][0].serial == v.serial
    # Over UDP, behind: the SOA alone too, so the client goes to TCP (RFC 1995 §4).
    q = _query(dns.rdatatype.IXFR, v.serial - 1)
    (only,) = list(p.transfer(q.to_wire(), PEER, tcp=False, now=NOW).messages)
    r = dns.message.from_wire(only, keyring=q.keyring, request_mac=q.mac)
    assert [x.rdtype for x in r.answer] == [dns.rdatatype.SOA]
    # A serial the journal does not know: the whole zone, AXFR-style.
    q = _query(dns.rdatatype.IXFR, 12345)
    transfer = p.transfer(q.to_wire(), PEER, tcp=True, now=NOW)
    assert "not in the journal" in transfer.log
    received = dns.zone.Zone(Z, relativize=True)
    _receive(q, transfer, received, 12345)
    assert _records(received) == _records(v.zone)
    # AXFR over UDP: TC, nothing else.
    q = _query(dns.rdatatype.AXFR)
    (only,) = list(p.transfer(q.to_wire(), PEER, tcp=False, now=NOW).messages)
    r = dns.message.from_wire(only, keyring=q.keyring, request_mac=q.mac)
    assert r.flags & dns.flags.TC and not r.answer


def test_journal_bounds_fall_back_to_axfr(demo_zone: dns.zone.Zone) -> None:
    p = _primary(_copy(demo_zone), journal_records=12)
    start = p.serial(Z)
    assert start is not None
    for step in (1, 2, 3, 4):
        p.commit(p.prepare(_edit(p_zone(p), step)))
    journal = p.journal(Z)
    assert journal is not None
    assert journal.records <= 12 and 0 < len(journal) < 4
    q = _query(dns.rdatatype.IXFR, start)
    assert "not in the journal" in p.transfer(q.to_wire(), PEER, tcp=True, now=NOW).log
    last = list(journal)[-1]
    q = _query(dns.rdatatype.IXFR, last.serial_from)
    assert "1 change(s)" in p.transfer(q.to_wire(), PEER, tcp=True, now=NOW).log


def p_zone(p: Primary) -> dns.zone.Zone:
    zone = p._zones[Z].zone
    assert zone is not None
    return zone


def test_journal_bounds_and_continuity() -> None:
    def change(a: int, b: int, n: int) -> Change:
        soa = [dns.rrset.from_text(Z, 1, "IN", "SOA", f". . {s} 0 0 0 0") for s in (a, b)]
        added = tuple(
            dns.rrset.from_text(f"n{i}.{ZONE}.", 1, "IN", "A", "192.0.2.1") for i in range(n)
        )
        return Change(soa[0], soa[1], (), added)

    j = Journal(max_records=10, max_changes=3)
    for s in range(1, 6):
        j.append(change(s, s + 1, 1))  # 3 records each
    assert len(j) == 3 and j.records == 9
    assert j.since(1) is None and [c.serial_from for c in j.since(3) or []] == [3, 4, 5]
    assert j.since(6) == []  # up to date: nothing to send
    j.append(change(100, 101, 1))  # not from the last serial: the journal starts again
    assert [c.serial_from for c in j] == [100]
    j.append(change(101, 102, 20))  # larger than the bound alone
    assert len(j) == 0 and j.records == 0


@pytest.mark.parametrize(
    ("key", "peer", "rcode", "error"),
    [
        (None, PEER, dns.rcode.REFUSED, None),  # unsigned
        (WRONG, PEER, dns.rcode.NOTAUTH, dns.rcode.BADSIG),  # a known name, a wrong secret
        (
            dns.tsig.Key("stranger.", "c2VjcmV0", "hmac-sha256"),
            PEER,
            dns.rcode.NOTAUTH,
            dns.rcode.BADKEY,
        ),
        (KEY, "192.0.2.99", dns.rcode.REFUSED, dns.rcode.NOERROR),  # right key, wrong address
        (OTHER, PEER, dns.rcode.REFUSED, dns.rcode.NOERROR),  # another secondary's key
    ],
)
def test_refusals(
    demo_zone: dns.zone.Zone,
    key: dns.tsig.Key | None,
    peer: str,
    rcode: dns.rcode.Rcode,
    error: dns.rcode.Rcode | None,
) -> None:
    p = _primary(_copy(demo_zone))
    for rdtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
        q = _query(rdtype, _serial(demo_zone) - 1 if rdtype == dns.rdatatype.IXFR else None, key)
        transfer = p.transfer(q.to_wire(), peer, tcp=True, now=NOW)
        assert not transfer.allowed
        (only,) = list(transfer.messages)
        r = dns.message.from_wire(only, keyring=False)
        assert r.rcode() == rcode and not r.answer, transfer.log
        if error is None:
            assert r.tsig is None
        else:
            assert r.tsig is not None and r.tsig[0].error == error
        if error == dns.rcode.NOERROR:  # refused by policy: signed, verifiably
            dns.message.from_wire(only, keyring=q.keyring, request_mac=q.mac)


def test_badtime_zone_not_served_and_no_secondaries(demo_zone: dns.zone.Zone) -> None:
    p = _primary(_copy(demo_zone))
    q = _query(dns.rdatatype.AXFR)
    (only,) = list(p.transfer(q.to_wire(), PEER, tcp=True, now=NOW + 1000).messages)
    r = dns.message.from_wire(only, keyring=False)
    assert r.rcode() == dns.rcode.NOTAUTH and r.tsig is not None
    assert r.tsig[0].error == dns.rcode.BADTIME
    q = dns.message.make_query("elsewhere.example", "AXFR")
    q.use_tsig(KEY)
    (only,) = list(p.transfer(q.to_wire(), PEER, tcp=True, now=NOW).messages)
    assert dns.message.from_wire(only, keyring=False).rcode() == dns.rcode.NOTAUTH
    p.configure(Z, [], {})  # secondaries removed: no one may transfer
    q = _query(dns.rdatatype.AXFR)
    (only,) = list(p.transfer(q.to_wire(), PEER, tcp=True, now=NOW).messages)
    assert dns.message.from_wire(only, keyring=False).rcode() == dns.rcode.NOTAUTH
    assert p.journal(Z) is not None and len(p.journal(Z) or []) == 0


@pytest.mark.parametrize("wire", [b"", b"\x00" * 11, b"\x12\x34" + b"\x00" * 30])
def test_malformed_never_raises(demo_zone: dns.zone.Zone, wire: bytes) -> None:
    p = _primary(_copy(demo_zone))
    transfer = p.transfer(wire, PEER, tcp=True, now=NOW)
    assert not transfer.allowed
    list(transfer.messages)


def test_is_transfer() -> None:
    assert is_transfer(_query(dns.rdatatype.AXFR).to_wire())
    assert is_transfer(_query(dns.rdatatype.IXFR, 1).to_wire())
    assert is_transfer(_query(dns.rdatatype.SOA).to_wire())  # signed: a secondary's refresh
    assert not is_transfer(_query(dns.rdatatype.SOA, key=None).to_wire())
    edns = dns.message.make_query(Z, dns.rdatatype.SOA, use_edns=0)
    assert not is_transfer(edns.to_wire())
    response = dns.message.make_response(_query(dns.rdatatype.AXFR, key=None))
    assert not is_transfer(response.to_wire())
    assert not is_transfer(b"\x00" * 20)


def test_notify_messages(demo_zone: dns.zone.Zone) -> None:
    p = _primary(_copy(demo_zone))
    notifies = p.commit(p.prepare(_edit(demo_zone, 1)))
    assert [(n.secondary.address, n.secondary.port) for n in notifies] == [
        (PEER, 53),
        ("192.0.2.54", 5300),
    ]
    assert {n.serial for n in notifies} == {p.serial(Z)}
    wire = Primary.notify_message(notifies[0], 4660, NOW)
    msg = dns.message.from_wire(wire, keyring={KEY.name: KEY})
    assert msg.opcode() == dns.opcode.NOTIFY and msg.flags & dns.flags.AA
    assert msg.question[0].name == Z and msg.question[0].rdtype == dns.rdatatype.SOA
    ack = dns.message.make_response(msg)
    assert Primary.is_notify_ack(ack.to_wire(), 4660)
    assert not Primary.is_notify_ack(ack.to_wire(), 4661)
    assert not Primary.is_notify_ack(wire, 4660)  # the NOTIFY itself is no answer


# -------------------------------------------------------- difference and apply

NAMES = ["@", "a", "b.a", "c", "_enum"]
TYPES = ["TXT", "A", "PTR"]


@st.composite
def zones(draw: st.DrawFn) -> dns.zone.Zone:
    zone = dns.zone.Zone(Z, relativize=True)
    zone.replace_rdataset("@", dns.rdataset.from_text("IN", "SOA", 300, f"ns. h. {NOW} 1 1 1 1"))
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True)):
        for rdtype in draw(st.lists(st.sampled_from(TYPES), min_size=1, unique=True)):
            ttl = draw(st.sampled_from([60, 300]))
            values = draw(st.lists(st.integers(1, 4), min_size=1, unique=True))
            rds = zone.find_rdataset(name, rdtype, create=True)
            for v in values:
                text = {"TXT": f'"{v}"', "A": f"192.0.2.{v}", "PTR": f"p{v}."}[rdtype]
                rds.add(dns.rdata.from_text("IN", rdtype, text), ttl)
    return zone


@given(zones(), zones())
def test_difference_applied_gives_the_new_version(a: dns.zone.Zone, b: dns.zone.Zone) -> None:
    b.replace_rdataset("@", dns.rdataset.from_text("IN", "SOA", 300, f"ns. h. {NOW + 1} 1 1 1 1"))
    change = difference(a, b)
    assert _records(apply(a, change)) == _records(b)
    # Told every name that may differ, it finds the same.
    names = [n.derelativize(Z) for n in {*a.nodes, *b.nodes}]
    assert difference(a, b, names) == change
    with pytest.raises(ValueError, match="starts at"):
        apply(b, change)  # not the version it starts from


def test_difference_of_a_live_patch_is_small(tmp_path: Path) -> None:
    """A registration's patch: only the nodes it wrote are compared, and they say it all."""
    reg = write_demo(tmp_path / "registry", now=NOW)
    zone, _ = reg.assemble(ZONE, now=NOW)
    patched = _registered(reg, zone)
    change = difference(zone, patched.zone, patched.written)
    assert change == difference(zone, patched.zone)
    assert 3 <= len(change.added) <= 10 and len(change.removed) <= 3
    assert _records(apply(zone, change)) == _records(patched.zone)


def _registered(reg: Registry, zone: dns.zone.Zone) -> Patched:
    subject = str(cid.parse("ucid:acme.hpc/de-by/riscv64/cpu=8;mem=64GiB"))
    record = cid.Descriptor(
        subject=subject,
        issuer=ZONE,
        version=1,
        issued_at=NOW,
        not_before=NOW,
        expires=NOW + 600,
        endpoints=(cid.Endpoint("tcp", "https", "r.acme.example", 443),),
    )
    data = cid.sign(record, reg.signing_key(ZONE))
    name = dns.name.from_text(cid.parse(subject).to_dns_name(reg.root))
    cuts: Sequence[dns.name.Name] = [dns.name.from_text(c.name) for c in reg.children(ZONE)]
    patched = patch(
        zone,
        reg.zones[ZONE].settings,
        {name: (None, SignedDescriptor(data, record))},
        cuts=cuts,
        root=reg.root,
        now=NOW + 1,
    )
    assert patched is not None
    return patched


def test_a_signed_soa_query_is_answered_signed(demo_zone: dns.zone.Zone) -> None:
    """Knot's refresh asks the SOA signed with the primary's key (RFC 1996 §3.11)."""
    p = _primary(_copy(demo_zone))
    q = _query(dns.rdatatype.SOA)
    transfer = p.transfer(q.to_wire(), PEER, tcp=False, now=NOW)
    (only,) = list(transfer.messages)
    r = dns.message.from_wire(only, keyring=q.keyring, request_mac=q.mac)
    assert r.flags & dns.flags.AA and r.answer[0].rdtype == dns.rdatatype.SOA
    assert r.answer[0][0].serial == p.serial(Z)
    q = _query(dns.rdatatype.SOA, key=WRONG)
    (only,) = list(p.transfer(q.to_wire(), PEER, tcp=False, now=NOW).messages)
    assert dns.message.from_wire(only, keyring=False).rcode() == dns.rcode.NOTAUTH


def test_zone_secondary_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``cid zone secondary``: one key for every zone named, created once, then reused."""
    reg = write_demo(tmp_path / "registry", now=NOW)
    args = ["zone", "secondary", str(reg.path), "--tsig-key", "xfr.ucid.example"]
    assert main([*args, "--zone", ZONE, "--address", "192.0.2.53"]) == 0
    assert main([*args, "--address", "[2001:db8::53]:5300"]) == 0
    assert main([*args, "--address", "ns.example"]) == 65
    reg = Registry.load(reg.path)
    assert reg.zones[ZONE].secondaries == (
        Secondary("192.0.2.53", "xfr.ucid.example"),
        Secondary("2001:db8::53", "xfr.ucid.example", 5300),
    )
    assert reg.zones["ucid.example"].secondaries == (
        Secondary("2001:db8::53", "xfr.ucid.example", 5300),
    )
    keys = {z: reg.transfer_keys(z) for z in reg.zones}
    assert len({k.secret for ks in keys.values() for k in ks.values()}) == 1
    assert "wrote zones/ucid.example/zone.json" in capsys.readouterr().out
    # A zone.json secondary with an unknown field, or a name for an address: an error.
    with pytest.raises(ValueError, match="address"):
        Secondary("ns.example", "k")
