"""The resolver's fast response reader agrees with the strict one (dnspython's parser).

``resolver._messages_fast.read_fast`` reads the common shapes of response (answer,
referral, NXDOMAIN, NODATA) without building a ``dns.message.Message``; for
everything else it answers None and the strict path decides. Whenever it does
answer, its result must be the strict path's, to the letter: same kind, TTLs,
names as spelt, order, glue, delegation record. Checked on every response the
demo hierarchy's servers give (each zone served alone and all together), on
hand-made responses of the shapes the fast reader treats specially (several
name servers, glue in both families, duplicates, case, compression, odd TTLs,
EDNS, classes, types) and on thousands of mutations of both.
"""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Iterator
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

import cid
from cid._signed import decode_unverified
from cid.layout import TYPE_DELEGATION, TYPE_DESCRIPTOR, delegation_owner, enum_owner
from cid.registry._demo import DEMO_ROOT, write_demo
from cid.registry._store import Registry
from cid.server._authority import Authority
from cid.server._serve import registry_zones
from resolver import Outcome
from resolver._classify import classify
from resolver._messages import Fault, Kind, Response
from resolver._messages import classify_strict as _strict
from resolver._messages_fast import read_fast as _fast

NOW = 1_795_000_000
IN = dns.rdataclass.IN
ROOT = dns.name.from_text(DEMO_ROOT)

Case = tuple[bytes, int, dns.name.Name, int, dns.name.Name | None]


def _labels(name: dns.name.Name | None) -> object:
    return None if name is None else name.labels  # spelling kept: no case folding


def _rdata(rd: dns.rdata.Rdata) -> object:
    return (type(rd), rd.to_wire(), _labels(getattr(rd, "target", None)))


def _same(fast: Response, strict: Response | Fault) -> None:
    """Field by field, names by their spelling and lists in order (``==`` on dnspython
    objects ignores case, order and TTLs)."""
    assert isinstance(strict, Response), strict
    assert (fast.kind, fast.rcode, fast.ttl) == (strict.kind, strict.rcode, strict.ttl)
    assert _labels(fast.cut) == _labels(strict.cut)
    assert [n.labels for n in fast.ns_names] == [n.labels for n in strict.ns_names]
    assert [(k.labels, v) for k, v in fast.glue.items()] == [
        (k.labels, v) for k, v in strict.glue.items()
    ]
    assert (fast.delegation, fast.delegation_ttl) == (strict.delegation, strict.delegation_ttl)
    assert _labels(fast.negative_zone) == _labels(strict.negative_zone)
    if fast.answer is None or strict.answer is None:
        assert fast.answer is strict.answer is None
        return
    a, b = fast.answer, strict.answer
    assert (a.name.labels, a.rdclass, a.rdtype, a.covers, a.ttl) == (
        b.name.labels,
        b.rdclass,
        b.rdtype,
        b.covers,
        b.ttl,
    )
    assert [_rdata(rd) for rd in a] == [_rdata(rd) for rd in b]


def _check(case: Case) -> Response | None:
    wire, qid, qname, qtype, zone = case
    raised: Exception | None = None
    try:
        fast = _fast(wire, qid, qname, qtype, zone)
    except (IndexError, struct.error):  # classify falls back to the strict path on these
        fast = None
    except Exception as exc:  # anything else must be what the strict path raises too
        fast, raised = None, exc
    if raised is not None:
        with pytest.raises(type(raised)) as strict_raised:
            _strict(wire, qid, qname, qtype, zone, tcp=False)
        assert str(strict_raised.value) == str(raised)
    if fast is not None:
        _same(fast, _strict(wire, qid, qname, qtype, zone, tcp=False))
    return fast


# ------------------------------------------------------------------ real responses


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fast-reader") / "registry"
    write_demo(path, now=NOW)
    return path


def _questions(registry: Registry) -> Iterator[tuple[dns.name.Name, int]]:
    """Every kind of question a resolver asks, for names that exist and names that don't."""
    for zone in registry.zones:
        origin = dns.name.from_text(zone)
        yield enum_owner(origin), dns.rdatatype.PTR
        yield dns.name.from_text(f"nothing-here.{zone}"), TYPE_DESCRIPTOR
        yield origin, TYPE_DESCRIPTOR  # NODATA at the apex
        cfg = registry.zones[zone]
        if cfg.parent is not None:
            parent = dns.name.from_text(cfg.parent)
            yield delegation_owner(origin, parent), TYPE_DELEGATION
            yield dns.name.from_text(f"x.{zone}"), TYPE_DELEGATION
        for path in sorted((registry.path / "zones" / zone / "descriptors").glob("*.cose")):
            desc = decode_unverified(path.read_bytes())[1]
            assert isinstance(desc, cid.Descriptor)
            owner = dns.name.from_text(cid.parse(desc.subject).to_dns_name(DEMO_ROOT))
            yield owner, TYPE_DESCRIPTOR
            yield owner.parent(), TYPE_DESCRIPTOR  # an empty non-terminal: NODATA
            yield dns.name.Name((b"zz", *owner.labels)), TYPE_DESCRIPTOR  # NXDOMAIN


def real_cases(demo: Path) -> list[Case]:
    registry = Registry.load(demo)
    everything = Authority(registry_zones(demo, NOW))
    alone = {z: Authority(registry_zones(demo, NOW, [z])) for z in registry.zones}
    rng = random.Random(5)
    cases: list[Case] = []
    for qname, qtype in _questions(registry):
        rdtype = dns.rdatatype.RdataType.make(qtype)
        query = dns.message.make_query(qname, rdtype, use_edns=0, payload=1232, flags=0)
        query.id = rng.getrandbits(16)
        for zone, authority in [(DEMO_ROOT, everything), *alone.items()]:
            wire = authority.answer(query.to_wire())
            if wire is None:
                continue
            origin = dns.name.from_text(zone)
            cases += [(wire, query.id, qname, qtype, z) for z in (origin, None, ROOT)]
    return cases


def test_real_responses_take_the_fast_path_and_agree(demo: Path) -> None:
    kinds: dict[Kind, int] = {}
    for case in real_cases(demo):
        fast = _check(case)
        strict = _strict(*case, tcp=False)
        # Not vacuous: every usable response of a real server is read by the fast path.
        assert (fast is None) == isinstance(strict, Fault), (strict, case)
        if fast is not None:
            kinds[fast.kind] = kinds.get(fast.kind, 0) + 1
    assert set(kinds) == {Kind.ANSWER, Kind.REFERRAL, Kind.NXDOMAIN, Kind.NODATA}, kinds


# ------------------------------------------------------------------ hand-made responses

Q = dns.name.from_text("_cpu_8._x86-64._cn-sh.acme.hpc.ucid.example")
HPC = dns.name.from_text("hpc.ucid.example")
ACME = dns.name.from_text("acme.hpc.ucid.example")


def _rr(
    name: str | dns.name.Name,
    rdtype: str,
    *texts: str,
    ttl: int = 300,
    rdclass: dns.rdataclass.RdataClass = IN,
) -> dns.rrset.RRset:
    owner = dns.name.from_text(name) if isinstance(name, str) else name
    return dns.rrset.from_text(owner, ttl, rdclass, rdtype, *texts)


def _response(
    *,
    answer: list[dns.rrset.RRset] = (),  # type: ignore[assignment]
    authority: list[dns.rrset.RRset] = (),  # type: ignore[assignment]
    additional: list[dns.rrset.RRset] = (),  # type: ignore[assignment]
    aa: bool = False,
    rcode: int = dns.rcode.NOERROR,
    qtype: int = TYPE_DESCRIPTOR,
    qname: dns.name.Name = Q,
    edns: int = 0,
    options: list[dns.edns.Option] | None = None,
    ednsflags: int = 0,
) -> bytes:
    rdtype = dns.rdatatype.RdataType.make(qtype)
    query = dns.message.make_query(qname, rdtype, use_edns=0, payload=1232, flags=0)
    query.id = 4242
    r = dns.message.make_response(query)
    r.flags = dns.flags.QR | (dns.flags.AA if aa else 0)
    r.set_rcode(dns.rcode.Rcode.make(rcode))
    r.use_edns(edns, ednsflags, 1232, options=options)
    r.answer, r.authority, r.additional = list(answer), list(authority), list(additional)
    return r.to_wire()


def _delegation_rr(cut: str, parent: dns.name.Name, data: bytes, ttl: int = 300) -> object:
    owner = delegation_owner(dns.name.from_text(cut), parent)
    rd = dns.rdata.GenericRdata(IN, dns.rdatatype.RdataType.make(TYPE_DELEGATION), data)
    return dns.rrset.from_rdata(owner, ttl, rd)


def _descriptor_rr(name: dns.name.Name, *datas: bytes, ttl: int = 300) -> dns.rrset.RRset:
    rdtype = dns.rdatatype.RdataType.make(TYPE_DESCRIPTOR)
    return dns.rrset.from_rdata_list(
        name, ttl, [dns.rdata.GenericRdata(IN, rdtype, d) for d in datas]
    )


def _soa(zone: str, ttl: int = 300, minimum: int = 60) -> dns.rrset.RRset:
    return _rr(zone, "SOA", f"ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 {minimum}", ttl=ttl)


def handmade() -> list[tuple[bytes, int]]:
    """(wire, qtype) of responses to Q asked of a server of hpc.ucid.example."""
    ns = _rr(
        "acme.hpc.ucid.example", "NS", "ns1.acme.hpc.ucid.example.", "NS2.acme.hpc.ucid.example."
    )
    glue = [
        _rr("ns1.acme.hpc.ucid.example", "A", "192.0.2.1", "192.0.2.2"),
        _rr("ns2.ACME.hpc.ucid.example", "AAAA", "2001:db8::1", "::ffff:192.0.2.9"),
        _rr("ns1.acme.hpc.ucid.example", "AAAA", "2001:db8::2"),
        _rr("ns9.elsewhere.example", "A", "198.51.100.1"),  # not a target: ignored
    ]
    deleg = _delegation_rr("acme.hpc.ucid.example", HPC, b"\xd2signed")
    out: list[tuple[bytes, int]] = [
        (_response(authority=[ns], additional=[*glue, deleg]), TYPE_DESCRIPTOR),  # type: ignore[list-item]
        (_response(authority=[ns], additional=glue), TYPE_DESCRIPTOR),
        (_response(authority=[ns]), TYPE_DESCRIPTOR),  # no glue
        (_response(answer=[_descriptor_rr(Q, b"one")], aa=True), TYPE_DESCRIPTOR),
        (
            _response(answer=[_descriptor_rr(Q, b"one", b"two", ttl=2**31 + 5)], aa=True),
            TYPE_DESCRIPTOR,
        ),
        (_response(answer=[_descriptor_rr(Q, b"")], aa=True), TYPE_DESCRIPTOR),
        (_response(answer=[_descriptor_rr(Q, b"x")]), TYPE_DESCRIPTOR),  # no AA
        (_response(answer=[_descriptor_rr(Q.parent(), b"x")], aa=True), TYPE_DESCRIPTOR),
        (_response(authority=[_soa("hpc.ucid.example")], aa=True), TYPE_DESCRIPTOR),
        (
            _response(authority=[_soa("hpc.ucid.example", 30, 600)], aa=True, rcode=3),
            TYPE_DESCRIPTOR,
        ),
        (_response(authority=[_soa("ucid.example")], aa=True, rcode=3), TYPE_DESCRIPTOR),
        (_response(authority=[_soa("other.example")], aa=True), TYPE_DESCRIPTOR),
        (_response(aa=True, rcode=3), TYPE_DESCRIPTOR),  # no SOA
        (_response(authority=[_soa("hpc.ucid.example")], rcode=2), TYPE_DESCRIPTOR),
        (_response(authority=[_soa("hpc.ucid.example")], rcode=5, aa=True), TYPE_DESCRIPTOR),
        (
            _response(authority=[_soa("hpc.ucid.example")], aa=True, rcode=3, ednsflags=1 << 24),
            TYPE_DESCRIPTOR,
        ),
        (_response(authority=[_soa("hpc.ucid.example")], aa=True, edns=1), TYPE_DESCRIPTOR),
        (
            _response(
                authority=[_soa("hpc.ucid.example")],
                aa=True,
                options=[dns.edns.GenericOption(dns.edns.OptionType.make(65001), b"opt")],
            ),
            TYPE_DESCRIPTOR,
        ),
        (
            _response(
                authority=[
                    ns,
                    _rr("acme.hpc.ucid.example", "NS", "ns3.acme.hpc.ucid.example.", ttl=7),
                ]
            ),
            TYPE_DESCRIPTOR,
        ),
        (
            _response(authority=[_rr("hpc.ucid.example", "NS", "ns1.hpc.ucid.example.")]),
            TYPE_DESCRIPTOR,
        ),  # loop
        (
            _response(authority=[_rr("ucid.example", "NS", "ns1.ucid.example.")]),
            TYPE_DESCRIPTOR,
        ),  # up
        (_response(authority=[_rr("other.example", "NS", "ns1.other.example.")]), TYPE_DESCRIPTOR),
        (_response(authority=[ns, _rr("acme2.hpc.ucid.example", "NS", "ns.x.")]), TYPE_DESCRIPTOR),
        (
            _response(
                authority=[ns],
                additional=[
                    _rr("ns1.acme.hpc.ucid.example", "TXT", '"ch"', rdclass=dns.rdataclass.CH)
                ],
            ),
            TYPE_DESCRIPTOR,
        ),
        (
            _response(authority=[ns], additional=[_rr("ns1.acme.hpc.ucid.example", "TXT", '"t"')]),
            TYPE_DESCRIPTOR,
        ),
        (_response(authority=[ns, _soa("hpc.ucid.example")]), TYPE_DESCRIPTOR),
        (
            _response(
                authority=[ns],
                additional=[
                    deleg,  # type: ignore[list-item]
                    _delegation_rr("acme.hpc.ucid.example", HPC, b"\xd2other"),  # type: ignore[list-item]
                ],
            ),
            TYPE_DESCRIPTOR,
        ),
        (
            _response(
                qname=enum_owner(ACME),
                qtype=dns.rdatatype.PTR,
                aa=True,
                answer=[
                    _rr(
                        enum_owner(ACME),
                        "PTR",
                        "_de-by.acme.hpc.ucid.example.",
                        "_US-CA.acme.hpc.ucid.example.",
                        "_us-ca.acme.hpc.ucid.example.",
                        "elsewhere.example.",
                    )
                ],
            ),
            dns.rdatatype.PTR,
        ),
    ]
    # Spelling: the answer's owner in another case than the question's.
    upper = dns.name.from_text(str(Q).upper())
    wire = _response(answer=[_descriptor_rr(upper, b"one")], aa=True)
    out.append((wire, TYPE_DESCRIPTOR))
    # Two SOAs at one owner (dnspython keeps the last), and a TTL past 2^31.
    two = _response(authority=[_soa("hpc.ucid.example", 10, 5)], aa=True)
    two2 = _response(authority=[_soa("hpc.ucid.example", 2**31 + 1, 9)], aa=True)
    out.append((_merge_authority(two, two2), TYPE_DESCRIPTOR))
    out.append((two2, TYPE_DESCRIPTOR))
    # Trailing junk, a truncated message, TC set, another opcode, an id mismatch.
    base = out[0][0]
    out.append((base + b"\0", TYPE_DESCRIPTOR))
    out.append((base[:-3], TYPE_DESCRIPTOR))
    out.append((base[:2] + bytes([base[2] | 0x02]) + base[3:], TYPE_DESCRIPTOR))
    out.append((base[:2] + bytes([base[2] | 0x28]) + base[3:], TYPE_DESCRIPTOR))
    out.append((b"\x00\x01" + base[2:], TYPE_DESCRIPTOR))
    return out


def _merge_authority(a: bytes, b: bytes) -> bytes:
    """``a`` with the authority records of ``b`` appended (uncompressed copies)."""
    ma, mb = dns.message.from_wire(a), dns.message.from_wire(b)
    out = bytearray(a)
    buffer = io.BytesIO()
    for rrset in mb.authority:
        rrset.to_wire(buffer)
    extra = buffer.getvalue()
    n_auth = sum(len(r) for r in ma.authority) + sum(len(r) for r in mb.authority)
    # Insert before the additional section (the OPT record): rebuild from parts.
    opt_at = len(a) - 11  # the OPT record without options is 11 octets, last
    out[8:10] = struct.pack("!H", n_auth)
    return bytes(out[:opt_at]) + extra + bytes(out[opt_at:])


def handmade_cases() -> list[Case]:
    cases: list[Case] = []
    for wire, qtype in handmade():
        qname = enum_owner(ACME) if qtype == dns.rdatatype.PTR else Q
        for zone in (HPC, ACME, ROOT, None):
            cases.append((wire, 4242, qname, qtype, zone))
        cases.append((wire, 4242, dns.name.from_text(str(qname).upper()), qtype, HPC))
        cases.append((wire, 4242, qname, TYPE_DELEGATION, HPC))
    # A cut so long that its delegation record's owner would pass 255 octets: both
    # paths raise (the driver turns that into LAME_DELEGATION).
    long = dns.name.Name((*[b"a" * 60] * 3, b"b" * 51, *HPC.labels))
    assert len(long.to_wire() or b"") == 253
    ns = _rr(long, "NS", "ns1.acme.hpc.ucid.example.")
    wire = _response(qname=long, authority=[ns])
    cases.append((wire, 4242, long, TYPE_DESCRIPTOR, HPC))
    return cases


def test_handmade_responses_agree() -> None:
    taken = sum(_check(case) is not None for case in handmade_cases())
    assert taken >= 20  # the shapes the fast reader handles are among them


def _forwarded() -> dict[str, tuple[bytes, Kind | str]]:
    """Responses of a forwarder (no zone asked) and what they are (§12.4.1): a kind, or
    the words of a LAME_DELEGATION fault."""
    ns = _rr("acme.hpc.ucid.example", "NS", "ns1.acme.hpc.ucid.example.")
    glue = _rr("ns1.acme.hpc.ucid.example", "A", "192.0.2.1")
    soa = _soa("acme.hpc.ucid.example")
    referral = "a referral from a forwarder"
    return {
        "referral": (_response(authority=[ns]), referral),
        "referral-with-glue": (_response(authority=[ns], additional=[glue]), referral),
        "referral-with-aa": (_response(authority=[ns], aa=True), referral),
        "referral-to-the-root": (_response(authority=[_rr(ROOT, "NS", "a.example.")]), referral),
        "ns-beside-the-soa": (_response(authority=[soa, ns]), Kind.NODATA),
        "soa-alone": (_response(authority=[soa]), Kind.NODATA),
        "empty": (_response(), Kind.NODATA),
        "nxdomain-with-ns": (_response(authority=[ns], rcode=3), Kind.NXDOMAIN),
    }


@pytest.mark.parametrize(("wire", "expected"), _forwarded().values(), ids=_forwarded())
def test_forwarder_responses(wire: bytes, expected: Kind | str) -> None:
    found = classify(wire, 4242, Q, TYPE_DESCRIPTOR, None, tcp=False, max_size=1232)
    strict = _strict(wire, 4242, Q, TYPE_DESCRIPTOR, None, tcp=False)
    if isinstance(expected, Kind):
        assert isinstance(found, Response) and found.kind is expected
        _same(found, strict)
    else:
        assert found == strict == Fault(Outcome.LAME_DELEGATION, expected)
        assert _fast(wire, 4242, Q, TYPE_DESCRIPTOR, None) is None


# ------------------------------------------------------------------ mutations


def _mutate(wire: bytes, rng: random.Random) -> bytes:
    data = bytearray(wire)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        how = rng.randrange(6)
        at = rng.randrange(len(data)) if data else 0
        if how == 0 and data:  # flip one bit
            data[at] ^= 1 << rng.randrange(8)
        elif how == 1 and data:  # any byte
            data[at] = rng.randrange(256)
        elif how == 2:  # cut
            del data[at:]
        elif how == 3:  # insert
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 3)))
        elif how == 4 and len(data) >= 12:  # a count
            field = 4 + 2 * rng.randrange(4)
            data[field : field + 2] = struct.pack("!H", rng.randrange(6))
        elif data:  # a compression pointer
            target = rng.randrange(min(len(data), 0x3FFF))
            data[at : at + 2] = struct.pack("!H", 0xC000 | target)
    return bytes(data)


def test_mutated_responses_never_disagree(demo: Path) -> None:
    rng = random.Random(2026)
    cases = real_cases(demo) + handmade_cases()
    taken = 0
    for _ in range(6000):
        wire, qid, qname, qtype, zone = rng.choice(cases)
        taken += _check((_mutate(wire, rng), qid, qname, qtype, zone)) is not None
    assert taken > 100  # many mutations keep a valid shape (TTLs, addresses, data)
