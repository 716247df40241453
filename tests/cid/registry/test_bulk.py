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
