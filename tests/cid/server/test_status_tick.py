"""The once-a-second tick of statuses: the journal's status-only difference
(``difference(..., rdtype=TYPE_STATUS)``) finds what the generic comparison of
every RRset finds, for the versions the tick makes (``patch_statuses``: statuses
set, replaced, kept and taken out at names that hold descriptors and SVCB)."""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path

import dns.name
import dns.rdataclass
import dns.zone
from hypothesis import given, settings
from hypothesis import strategies as st

from cid.layout import TYPE_DESCRIPTOR, TYPE_STATUS
from cid.registry import patch_statuses, write_demo
from cid.server._journal import apply, difference
from cid.server._update_fast import hashed

NOW = int(time.time())
ZONE = "acme.hpc.ucid.example"


@functools.cache
def _zone() -> tuple[dns.zone.Zone, list[dns.name.Name]]:
    with tempfile.TemporaryDirectory() as tmp:
        reg = write_demo(Path(tmp) / "registry", now=NOW)
        zone, _ = reg.assemble(ZONE, now=NOW)
    assert zone.origin is not None
    names = sorted(
        rel.derelativize(zone.origin)
        for rel, node in zone.nodes.items()
        if node.get_rdataset(dns.rdataclass.IN, TYPE_DESCRIPTOR) is not None
    )
    return zone, names[:12]


CHANGE = st.sampled_from([None, (b"s1", 60), (b"s2", 60), (b"s1", 30), (b"s3", 120)])


def _records(zone: dns.zone.Zone) -> set[tuple[str, str]]:
    return {(str(n), rds.to_text()) for n, node in zone.nodes.items() for rds in node}


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_status_difference_is_the_whole_difference(data: st.DataObject) -> None:
    zone, names = _zone()
    first = data.draw(st.dictionaries(st.sampled_from(names), CHANGE, max_size=8))
    base = patch_statuses(zone, first, now=NOW + 1)
    old = base.zone if base is not None else zone
    second = data.draw(st.dictionaries(st.sampled_from(names), CHANGE, max_size=8))
    if data.draw(st.booleans()):
        second = {hashed(n): v for n, v in second.items()}
    patched = patch_statuses(old, second, now=NOW + 2)
    if patched is None:
        return
    whole = difference(old, patched.zone, patched.written)
    only = difference(old, patched.zone, patched.written, rdtype=TYPE_STATUS)
    assert only == whole == difference(old, patched.zone)
    assert _records(apply(old, only)) == _records(patched.zone)
