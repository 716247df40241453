"""The answering core of ``cid serve`` (sans-IO): a table of questions and answers."""

from __future__ import annotations

from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cid
from cid.layout import TYPE_DELEGATION, TYPE_DESCRIPTOR
from cid.registry._demo import DEMO_ROOT, write_demo
from cid.registry._store import Registry
from cid.server import _authority
from cid.server._authority import Authority, _Answers

NOW = 1_795_000_000
GH = (
    "ucid:acme.hpc/de-by/neoverse-v2+sm90/acc=4;acc-model=gh200;acc-mem=96GiB;ic=nvlink4;mem=480GiB"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return write_demo(tmp_path_factory.mktemp("demo") / "registry", now=NOW)


@pytest.fixture(scope="module")
def authority(demo: Registry) -> Authority:
    return Authority([demo.assemble(z, now=NOW)[0] for z in demo.zones])


def ask(
    auth: Authority,
    name: str,
    rdtype: object = "A",
    *,
    edns: int = 0,
    payload: int = 1232,
    tcp: bool = False,
    rdclass: object = "IN",
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, rdclass, use_edns=edns, payload=payload)  # type: ignore[arg-type]
    wire = auth.answer(query.to_wire(), tcp=tcp)
    assert wire is not None
    response = dns.message.from_wire(wire)
    assert response.id == query.id
    return response


def gh_name() -> str:
    return cid.parse(GH).to_dns_name(DEMO_ROOT)


# name, type, rcode, authoritative, answer types, authority types
TABLE = [
    (gh_name(), TYPE_DESCRIPTOR, "NOERROR", True, [TYPE_DESCRIPTOR], []),
    (gh_name(), "SVCB", "NOERROR", True, [dns.rdatatype.SVCB], []),
    (gh_name(), "TXT", "NOERROR", True, [dns.rdatatype.TXT], []),
    (gh_name(), "A", "NOERROR", True, [], [dns.rdatatype.SOA]),  # NODATA
    (gh_name(), "ANY", "NOERROR", True, "one", []),  # RFC 8482
    ("_de-by.acme.hpc.ucid.example.", "A", "NOERROR", True, [], [dns.rdatatype.SOA]),  # ENT
    ("nothing.acme.hpc.ucid.example.", "A", "NXDOMAIN", True, [], [dns.rdatatype.SOA]),
    ("__enum.ucid.example.", "PTR", "NOERROR", True, [dns.rdatatype.PTR], []),
    ("ucid.example.", "SOA", "NOERROR", True, [dns.rdatatype.SOA], []),
    ("ucid.example.", "NS", "NOERROR", True, [dns.rdatatype.NS], []),
    ("UCID.Example.", "SOA", "NOERROR", True, [dns.rdatatype.SOA], []),
    ("example.com.", "A", "REFUSED", False, [], []),
    (".", "NS", "REFUSED", False, [], []),
]


@pytest.mark.parametrize(("name", "rdtype", "rcode", "aa", "answer", "authority_types"), TABLE)
def test_answers(
    authority: Authority,
    name: str,
    rdtype: object,
    rcode: str,
    aa: bool,
    answer: object,
    authority_types: list[int],
) -> None:
    for edns in (0, -1):
        r = ask(authority, name, rdtype, edns=edns)
        if r.flags & dns.flags.TC:  # over 512 octets without EDNS: truncated, TCP will do
            assert edns == -1 and r.answer == []
            continue
        assert dns.rcode.to_text(r.rcode()) == rcode
        assert bool(r.flags & dns.flags.AA) is aa
        assert not r.flags & dns.flags.RA
        if answer == "one":
            assert len(r.answer) == 1
        else:
            assert [rr.rdtype for rr in r.answer] == answer
        assert [rr.rdtype for rr in r.authority] == authority_types
        assert (r.edns >= 0) is (edns >= 0)


def test_negative_answers_carry_the_soa_minimum(authority: Authority) -> None:
    r = ask(authority, "nothing.acme.hpc.ucid.example.")
    soa = r.authority[0]
    assert soa.ttl == min(3600, soa[0].minimum) == 300


def test_referral_at_a_zone_cut(authority: Authority) -> None:
    # The root zone delegates hpc.ucid.example, but the authority also holds
    # hpc's zone: ask the parent's servers through a name only the parent knows.
    parent_only = Authority([authority._zones[dns.name.from_text("ucid.example.")].zone])
    r = ask(parent_only, gh_name(), TYPE_DESCRIPTOR)
    assert r.rcode() == dns.rcode.NOERROR
    assert not r.flags & dns.flags.AA
    assert r.answer == []
    assert [rr.name.to_text() for rr in r.authority] == ["hpc.ucid.example."]
    assert r.authority[0].rdtype == dns.rdatatype.NS
    glue = [rr for rr in r.additional if rr.rdtype == dns.rdatatype.A]
    assert glue and glue[0].name.to_text() == "ns1.hpc.ucid.example."
    deleg = [rr for rr in r.additional if rr.rdtype == TYPE_DELEGATION]
    assert deleg and deleg[0].name.to_text() == "hpc.__deleg.ucid.example."


def test_truncation_without_edns_and_full_answer_over_tcp(authority: Authority) -> None:
    r = ask(authority, gh_name(), "TXT", edns=-1)
    assert r.flags & dns.flags.TC
    r = ask(authority, gh_name(), "TXT", edns=-1, tcp=True)
    assert not r.flags & dns.flags.TC and r.answer
    r = ask(authority, gh_name(), "TXT", edns=0, payload=4096)
    assert not r.flags & dns.flags.TC and r.answer  # fits 1232


@pytest.mark.parametrize("payload", [0, 100, 512, 1232, 4096, 65535])
def test_every_udp_answer_fits(authority: Authority, payload: int) -> None:
    for name, rdtype, *_ in TABLE:
        q = dns.message.make_query(name, rdtype, use_edns=0, payload=payload)  # type: ignore[arg-type]
        wire = authority.answer(q.to_wire())
        assert wire is not None and len(wire) <= max(512, min(payload, 1232))


def test_cached_answers_take_the_query_id_case_and_rd(authority: Authority) -> None:
    first = dns.message.make_query(gh_name(), "SVCB", use_edns=0)
    a = authority.answer(first.to_wire())
    mixed = gh_name().upper()
    second = dns.message.make_query(mixed, "SVCB", use_edns=0)
    second.flags &= ~dns.flags.RD
    b = authority.answer(second.to_wire())
    assert a is not None and b is not None
    r = dns.message.from_wire(b)
    assert r.id == second.id and r.question[0].name.to_text() == mixed
    assert not r.flags & dns.flags.RD
    assert dns.message.from_wire(a).flags & dns.flags.RD
    assert r.answer == dns.message.from_wire(a).answer


def test_reload_drops_cached_answers(demo: Registry) -> None:
    auth = Authority([demo.assemble(z, now=NOW)[0] for z in demo.zones])
    assert ask(auth, gh_name(), "SVCB").answer
    auth.load([demo.assemble(z, now=NOW)[0] for z in demo.zones if not z.startswith("acme")])
    r = ask(auth, gh_name(), "SVCB")
    assert r.answer == [] and not r.flags & dns.flags.AA  # now a referral from hpc


NEGATIVE_NAMES = [
    "nothing.acme.hpc.ucid.example.",
    "NoThInG.Acme.HPC.ucid.example.",  # the answer keeps the query's spelling
    "a.b.c.d._de-by.acme.hpc.ucid.example.",  # below an empty non-terminal
    "x." + gh_name(),  # below a descriptor
    "_de-by.acme.hpc.ucid.example.",  # an empty non-terminal: NODATA, full path
    gh_name(),  # exists: full path
    "nothing.ucid.example.",
    "x.sugon.hpc.ucid.example.",  # a zone of its own
    "deep.below.a.cut.hpc.ucid.example.",
    "example.com.",  # outside every zone: REFUSED
    ".",
    "ns1.acme.hpc.ucid.example.",
    "x.ns1.acme.hpc.ucid.example.",  # ends in the SOA's MNAME
    "a" * 63 + "." + "b" * 63 + "." + "c" * 50 + ".acme.hpc.ucid.example.",  # long
]


@pytest.mark.parametrize("name", NEGATIVE_NAMES)
@pytest.mark.parametrize("rdtype", ["A", "TXT", TYPE_DESCRIPTOR, "ANY", "NS", "DS", 0, 65535])
def test_negative_answers_are_those_of_the_full_path(name: str, rdtype: object) -> None:
    # NXDOMAIN and REFUSED come from a template; they must say what the full
    # (dnspython) path says, whatever the class, EDNS and transport.
    auth = _shared()
    for rdclass in ("IN", "CH", "ANY"):
        for edns, payload, tcp in [(-1, 0, False), (0, 512, False), (0, 4096, False), (0, 0, True)]:
            q = dns.message.make_query(name, rdtype, rdclass, use_edns=edns, payload=payload)  # type: ignore[arg-type]
            q.flags |= dns.flags.RD
            wire = q.to_wire()
            fast = auth.answer(wire, tcp=tcp)
            full = auth._answer_slow(wire, tcp)
            assert fast is not None and full is not None
            assert dns.message.from_wire(fast).to_text() == dns.message.from_wire(full).to_text()


def test_random_names_do_not_fill_the_cache() -> None:
    auth = _shared()
    auth._cache.clear()
    for i in range(2000):
        for name in (f"r{i}.acme.hpc.ucid.example.", f"r{i}.example.org."):
            r = ask(auth, name, TYPE_DESCRIPTOR)
            assert r.rcode() in (dns.rcode.NXDOMAIN, dns.rcode.REFUSED)
    assert len(auth._cache) == 0
    ask(auth, gh_name(), "SVCB")
    assert len(auth._cache) == 2  # by question, and the message as it came


def test_a_repeated_message_gets_the_same_answer_with_its_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auth = Authority(z.zone for z in _shared()._zones.values())  # a cache of its own
    queries = []
    for rd in (True, False, True):
        q = dns.message.make_query(gh_name().lower(), "SVCB", use_edns=0)
        if not rd:
            q.flags &= ~dns.flags.RD
        queries.append(q)
    first = [auth.answer(q.to_wire()) for q in queries]
    assert len(auth._cache) == 3  # one question; two messages (RD and not)
    # Asked again, each comes from the message lookup: nothing is parsed.
    monkeypatch.setattr(_authority, "_cache_key", None)
    for q, before in zip(queries, first, strict=True):
        q.id = (q.id + 1) % 65536
        again = auth.answer(q.to_wire())
        assert again is not None and before is not None
        assert again[:2] == q.to_wire()[:2] and again[2:] == before[2:]
        assert bool(dns.message.from_wire(again).flags & dns.flags.RD) is bool(
            q.flags & dns.flags.RD
        )
    monkeypatch.undo()
    mixed = dns.message.make_query(gh_name().upper(), "SVCB", use_edns=0)
    assert auth.answer(mixed.to_wire()) is not None
    assert len(auth._cache) == 3  # a randomised spelling is not kept as a message


def test_the_cache_is_bounded_and_keeps_what_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_authority, "_CACHE_BYTES", 100_000)
    cache = _Answers()
    cache.put(b"hot", b"answer")
    for i in range(20_000):  # a flood of one-off questions, 1 MB of answers
        cache.put(b"q%d" % i, b"x" * 50)
        if i % 100 == 0:
            assert cache.get(b"hot") == b"answer"
    entry = len(b"q19999") + 50 + _authority._ENTRY_OVERHEAD
    assert len(cache) * entry <= 2 * 100_000 + entry
    assert cache.get(b"q0") is None and cache.get(b"q19999") is not None


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (b"", None),
        (b"\x12\x34", None),
        (b"\x12\x34\x01\x00\x00\x01", None),  # short header: dropped
        (b"\x12\x34\x81\x80" + b"\x00" * 8, None),  # a response: never answered
        (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05ab", "FORMERR"),
    ],
)
def test_malformed(authority: Authority, wire: bytes, expected: str | None) -> None:
    out = authority.answer(wire)
    if expected is None:
        assert out is None
    else:
        assert out is not None and out[:2] == wire[:2]
        assert dns.rcode.to_text(dns.rcode.Rcode(out[3] & 0x0F)) == expected


def test_other_opcodes_classes_and_versions(authority: Authority) -> None:
    q = dns.message.make_query("ucid.example.", "SOA")
    q.set_opcode(dns.opcode.STATUS)
    out = authority.answer(q.to_wire())
    assert out is not None and dns.message.from_wire(out).rcode() == dns.rcode.NOTIMP
    r = ask(authority, "ucid.example.", "SOA", rdclass="CH")
    assert r.rcode() == dns.rcode.REFUSED
    q = dns.message.make_query("ucid.example.", "SOA", use_edns=1)
    out = authority.answer(q.to_wire())
    assert out is not None and dns.message.from_wire(out).rcode() == dns.rcode.BADVERS


@given(st.binary(max_size=600))
def test_no_packet_breaks_it(data: bytes) -> None:
    auth = _shared()
    out = auth.answer(data)
    assert out is None or (len(out) >= 12 and out[:2] == data[:2])
    auth.answer(data, tcp=True)


@given(st.integers(0, 60), st.integers(0, 255), st.integers(1, 3))
def test_mutated_queries_never_break_it(at: int, value: int, count: int) -> None:
    auth = _shared()
    wire = bytearray(dns.message.make_query(gh_name(), "SVCB", use_edns=0).to_wire())
    for i in range(count):
        wire[(at + 7 * i) % len(wire)] = value
    out = auth.answer(bytes(wire))
    assert out is None or out[:2] == bytes(wire[:2])


_AUTH: list[Authority] = []


def _shared() -> Authority:
    if not _AUTH:
        import tempfile  # noqa: PLC0415

        reg = write_demo(Path(tempfile.mkdtemp()) / "r", now=NOW)
        _AUTH.append(Authority([reg.assemble(z, now=NOW)[0] for z in reg.zones]))
    return _AUTH[0]
