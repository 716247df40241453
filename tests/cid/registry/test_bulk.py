"""Bulk assembly (``cid/registry/_bulk.py``) against the reference, one descriptor at a time.

Both must give the same zone: the same names, and at each the same RRsets in the
same order with the same TTLs and records (PTR listings in the same order too).
"""

from __future__ import annotations

import dns.zone
import pytest
from bulkzones import DELEGATIONS, NOW, ROOT, SETTINGS, descriptors, rrsets, signed
from hypothesis import given, settings
from hypothesis import strategies as st

from cid.registry._zone import (
    SignedDescriptor,
    ZoneError,
    _assemble,
    _Publish,
    _publish_bulk,
    _publish_each,
)


def _both(descs: list[SignedDescriptor], now: int = NOW) -> tuple[dns.zone.Zone, dns.zone.Zone]:
    def run(publish: _Publish) -> dns.zone.Zone:
        return _assemble(
            SETTINGS, descs, DELEGATIONS, root=ROOT, now=now, statuses=(), publish=publish
        )

    return run(_publish_bulk), run(_publish_each)


@settings(max_examples=80, deadline=None)
@given(st.lists(descriptors, max_size=12))
def test_bulk_assembly_equals_the_reference(descs: list[SignedDescriptor]) -> None:
    unique = list({d.record.subject: d for d in descs}.values())
    bulk, reference = _both(unique)
    assert rrsets(bulk) == rrsets(reference)
    assert list(bulk.nodes) == list(reference.nodes) or set(bulk.nodes) == set(reference.nodes)


def test_a_descriptor_in_a_delegated_region_is_refused_by_both() -> None:
    inside = signed("ucid:acme.hpc/cn-sh/aarch64/cpu=8", ["h1.acme.example"], NOW + 60, False)
    for publish in (_publish_bulk, _publish_each):
        with pytest.raises(ZoneError, match="outside the zone"):
            _assemble(
                SETTINGS, [inside], DELEGATIONS, root=ROOT, now=NOW, statuses=(), publish=publish
            )


# ------------------------------------------- records hashed without dnspython's to_wire

_label = st.binary(min_size=1, max_size=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(_label, max_size=6), st.booleans())
def test_a_tree_ptr_hashes_and_compares_as_dnspythons(labels: list[bytes], absolute: bool) -> None:
    import dns.name  # noqa: PLC0415
    import dns.rdataclass  # noqa: PLC0415
    import dns.rdatatype  # noqa: PLC0415
    import dns.rdtypes.ANY.PTR  # noqa: PLC0415

    from cid.registry._bulk import _Ptr, _rdata  # noqa: PLC0415

    target = dns.name.Name([*labels, b""] if absolute else labels)
    fast = _rdata(_Ptr, dns.rdatatype.PTR, "target", target)
    ptr = dns.rdtypes.ANY.PTR.PTR
    reference = ptr(dns.rdataclass.IN, dns.rdatatype.PTR, target)  # type: ignore[no-untyped-call]
    spelled = dns.name.Name([x.upper() for x in target.labels])
    upper = ptr(dns.rdataclass.IN, dns.rdatatype.PTR, spelled)  # type: ignore[no-untyped-call]
    assert hash(fast) == hash(reference) == hash(upper)
    assert fast == reference == upper
    assert len({fast, reference, upper}) == 1  # one record in a set, as an rdataset keeps


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1200))
def test_a_txt_copy_hashes_and_compares_as_dnspythons(data: bytes) -> None:
    import dns.rdataclass  # noqa: PLC0415
    import dns.rdatatype  # noqa: PLC0415
    import dns.rdtypes.ANY.TXT  # noqa: PLC0415

    from cid.registry._bulk import TxtCopy, _rdata, copy_strings  # noqa: PLC0415

    fast = _rdata(TxtCopy, dns.rdatatype.TXT, "signed", data)
    reference = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, copy_strings(data))
    assert hash(fast) == hash(reference) and fast == reference and len({fast, reference}) == 1
