"""The fast negative path of ``Authority.answer`` (NXDOMAIN and REFUSED from the wire)
against the full path, on names of arbitrary labels: binary ones that spell a zone's
origin or a cut inside a label must not be taken for it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import dns.message
import dns.name
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cid.registry._demo import write_demo
from cid.server._authority import Authority, Elsewhere
from cid.server._update import is_update
from cid.server._xfr import is_transfer

NOW = 1_795_000_000
_AUTH: list[Authority] = []

# Labels that, inside another label, read as the start of a served name.
_TRICKY = [b"\x04acme\x03hpc\x04ucid\x07example", b"\x04ucid\x07example", b"\x03hpc", b"\x00"]
_SUFFIXES = ["acme.hpc.ucid.example.", "ucid.example.", "hpc.ucid.example.", "example.", "."]


def _auth() -> Authority:
    if not _AUTH:
        demo = write_demo(Path(tempfile.mkdtemp()) / "registry", now=NOW)
        _AUTH.append(Authority([demo.assemble(z, now=NOW)[0] for z in demo.zones]))
    return _AUTH[0]


_label = st.one_of(
    st.binary(min_size=1, max_size=20),
    st.sampled_from(_TRICKY),
    st.tuples(st.binary(max_size=3), st.sampled_from(_TRICKY)).map(lambda t: t[0] + t[1]),
    st.sampled_from([b"x", b"_de-by", b"NS1", b"Acme"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_label, max_size=4),
    st.sampled_from(_SUFFIXES),
    st.sampled_from(["A", "TXT", "TYPE65280", "SOA"]),
    st.sampled_from([(-1, 0, False), (0, 512, False), (0, 4096, False), (0, 0, True)]),
)
def test_fast_negative_answers_are_those_of_the_full_path(
    labels: list[bytes], suffix: str, rdtype: str, transport: tuple[int, int, bool]
) -> None:
    auth = _auth()
    name = dns.name.Name([*labels, *dns.name.from_text(suffix).labels])
    edns, payload, tcp = transport
    q = dns.message.make_query(name, rdtype, use_edns=edns, payload=payload)
    wire = q.to_wire()
    fast = auth.answer(wire, tcp=tcp)
    full = auth._answer_slow(wire, tcp)
    assert fast is not None and full is not None
    a, b = dns.message.from_wire(fast), dns.message.from_wire(full)
    # Names compare without case: dnspython may compress a name in the SOA to the
    # question's spelling. The question itself is echoed as asked.
    assert a == b and a.rcode() == b.rcode() and a.question[0].name.labels == name.labels


# ------------------------------------------------ answer(queries=True): what goes elsewhere


def _update_wire() -> bytes:
    import dns.update  # noqa: PLC0415

    u = dns.update.UpdateMessage("acme.hpc.ucid.example.")
    u.add("x", 60, "TXT", '"a"')
    return u.to_wire()


def _tsig_soa_wire() -> bytes:
    import dns.tsigkeyring  # noqa: PLC0415

    q = dns.message.make_query("acme.hpc.ucid.example.", "SOA", use_edns=False)
    q.use_tsig(dns.tsigkeyring.from_text({"k.": "c2VjcmV0c2VjcmV0c2VjcmV0"}), keyname="k.")
    return q.to_wire()


@pytest.mark.parametrize(
    ("wire", "elsewhere"),
    [
        (dns.message.make_query("acme.hpc.ucid.example.", "AXFR").to_wire(), True),
        (dns.message.make_query("acme.hpc.ucid.example.", "IXFR", use_edns=False).to_wire(), True),
        (dns.message.make_query("acme.hpc.ucid.example.", "AXFR", rdclass="CH").to_wire(), True),
        (_update_wire(), True),
        (_tsig_soa_wire(), True),  # not the plain form: is_transfer decides
        (dns.message.make_query("acme.hpc.ucid.example.", "SOA").to_wire(), False),
        (dns.message.make_query("x.acme.hpc.ucid.example.", "A").to_wire(), False),
        (dns.message.make_query("x.acme.hpc.ucid.example.", "TYPE65280").to_wire(), False),
        (dns.message.make_query("x.example.org.", "A", use_edns=False).to_wire(), False),
    ],
)
def test_queries_only_leaves_updates_and_transfers_elsewhere(wire: bytes, elsewhere: bool) -> None:
    auth = _auth()
    for _ in range(2):  # and not from the cache the second time
        if elsewhere:
            with pytest.raises(Elsewhere):
                auth.answer(wire, queries=True)
        else:
            assert auth.answer(wire, queries=True) == auth.answer(wire)
    auth.answer(wire)  # answered by the authority itself when asked to
    if elsewhere:
        with pytest.raises(Elsewhere):
            auth.answer(wire, queries=True)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=80),
        st.builds(
            lambda head, name, qtype, tail: head + name + qtype + tail,
            st.sampled_from(
                [
                    b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00",
                    b"\x12\x34\x28\x00\x00\x01\x00\x00\x00\x01\x00\x00",
                    b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01",
                ]
            ),
            st.sampled_from([b"\x00", b"\x04acme\x03hpc\x04ucid\x07example\x00", b"\x01x\xc0\x0c"]),
            st.sampled_from(
                [
                    b"\x00\xfc\x00\x01",
                    b"\x00\xfb\x00\x01",
                    b"\x00\x06\x00\x01",
                    b"\x00\x01\x00\x01",
                    b"\x00\xfc\x00\x03",
                ]
            ),
            st.binary(max_size=30),
        ),
    )
)
def test_every_update_and_transfer_goes_elsewhere(wire: bytes) -> None:
    # The drain's only check: no message is_update or is_transfer take is answered here.
    auth = _auth()
    auth.answer(wire)  # even after the authority answered it itself (the cache)
    if is_update(wire) or is_transfer(wire):
        with pytest.raises(Elsewhere):
            auth.answer(wire, queries=True)
