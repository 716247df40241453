"""The fast negative path of ``Authority.answer`` (NXDOMAIN and REFUSED from the wire)
against the full path, on names of arbitrary labels: binary ones that spell a zone's
origin or a cut inside a label must not be taken for it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import dns.message
import dns.name
from hypothesis import given, settings
from hypothesis import strategies as st

from cid.registry._demo import write_demo
from cid.server._authority import Authority

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
