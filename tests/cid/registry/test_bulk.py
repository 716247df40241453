"""Bulk assembly (``cid/registry/_bulk.py``) against the reference, one descriptor at a time.

Both must give the same zone: the same names, and at each the same RRsets in the
same order with the same TTLs and records (PTR listings in the same order too).
"""

from __future__ import annotations

import dns.name
import dns.zone
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cid
from cid._descriptor_json import descriptor_from_json
from cid.registry._zone import (
    NameServer,
    SignedDelegation,
    SignedDescriptor,
    ZoneError,
    ZoneSettings,
    _assemble,
    _Publish,
    _publish_bulk,
    _publish_each,
)

NOW = 1_795_000_000
ROOT = "ucid.example"
ZONE = "acme.hpc.ucid.example"
KEY = cid.SigningKey.from_seed(b"bulk-assembly-tests".ljust(32, b"\0"))
# A name server in a region (glue there), and a delegated region.
SETTINGS = ZoneSettings(ZONE, (NameServer(f"ns1._de-by.{ZONE}", ("127.0.0.1",)),))
_CUT = cid.Delegation(
    parent=ZONE,
    child=f"_cn-sh.{ZONE}",
    keys=(KEY.verify_key,),
    version=1,
    issued_at=NOW - 60,
    not_before=NOW - 60,
    expires=NOW + 86400,
)
DELEGATIONS = [
    SignedDelegation(cid.sign(_CUT, KEY), _CUT, (NameServer(f"ns._cn-sh.{ZONE}", ("::1",)),))
]

ARCHES = ("x86-64-v4", "neoverse-v2+sm90", "aarch64")
REGIONS = ("de-by", "cn-gd", "us-ca", "cn-sh")  # cn-sh is delegated: outside the zone
HOSTS = ("h1.acme.example", "h2.acme.example", "192.0.2.7", "2001:db8::1")


def _signed(subject: str, hosts: list[str], expires: int, big: bool) -> SignedDescriptor:
    endpoints = [
        {"transport": "tcp", "protocol": "https", "host": h, "port": 443 + i, "alpn": ["h2"]}
        for i, h in enumerate(hosts)
    ]
    spec = {
        "subject": subject,
        "issuer": ZONE,
        "version": 1,
        "endpoints": endpoints,
        "expires": expires,
        **({"ext": {"pad": "x" * 330}} if big else {}),  # no TXT copy for it
    }
    rec = descriptor_from_json(spec, NOW - 60, 86400)
    return SignedDescriptor(cid.sign(rec, KEY), rec)


_descriptor = st.builds(
    lambda region, arch, caps, hosts, life, big: _signed(
        f"ucid:acme.hpc/{region}/{arch}" + ("/" + ";".join(caps) if caps else ""),
        hosts,
        NOW + life,
        big,
    ),
    st.sampled_from(REGIONS[:3]),
    st.sampled_from(ARCHES),
    st.lists(st.sampled_from(["cpu=8", "gpu=h100", "mem=64GiB", "nic=ib"]), unique=True,
             max_size=3).map(sorted),
    st.lists(st.sampled_from(HOSTS), min_size=1, max_size=3, unique=True),
    st.sampled_from([-1, 0, 30, 86400]),
    st.booleans(),
)  # fmt: skip


def _rrsets(zone: dns.zone.Zone) -> dict[dns.name.Name, list[tuple[int, int, list[str]]]]:
    return {
        name: [(rds.rdtype, rds.ttl, [rd.to_text() for rd in rds]) for rds in node.rdatasets]
        for name, node in zone.nodes.items()
    }


def _both(descs: list[SignedDescriptor], now: int = NOW) -> tuple[dns.zone.Zone, dns.zone.Zone]:
    def run(publish: _Publish) -> dns.zone.Zone:
        return _assemble(
            SETTINGS, descs, DELEGATIONS, root=ROOT, now=now, statuses=(), publish=publish
        )

    return run(_publish_bulk), run(_publish_each)


@settings(max_examples=80, deadline=None)
@given(st.lists(_descriptor, max_size=12))
def test_bulk_assembly_equals_the_reference(descs: list[SignedDescriptor]) -> None:
    unique = list({d.record.subject: d for d in descs}.values())
    bulk, reference = _both(unique)
    assert _rrsets(bulk) == _rrsets(reference)
    assert list(bulk.nodes) == list(reference.nodes) or set(bulk.nodes) == set(reference.nodes)


def test_a_descriptor_in_a_delegated_region_is_refused_by_both() -> None:
    inside = _signed("ucid:acme.hpc/cn-sh/aarch64/cpu=8", ["h1.acme.example"], NOW + 60, False)
    for publish in (_publish_bulk, _publish_each):
        with pytest.raises(ZoneError, match="outside the zone"):
            _assemble(
                SETTINGS, [inside], DELEGATIONS, root=ROOT, now=NOW, statuses=(), publish=publish
            )
