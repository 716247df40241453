"""Zones for the assembly tests: settings with a delegated region, and a hypothesis
strategy of signed descriptors (regions, architectures, capabilities, endpoints,
lifetimes, some too big for a TXT copy). Shared by test_bulk.py and test_image.py."""

from __future__ import annotations

import tempfile
from pathlib import Path

import dns.name
import dns.zone
from hypothesis import strategies as st

import cid
from cid._descriptor_json import descriptor_from_json
from cid.registry import Image, ImageNodes
from cid.registry._image import encode_image, write_image
from cid.registry._zone import NameServer, SignedDelegation, SignedDescriptor, ZoneSettings

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


def signed(subject: str, hosts: list[str], expires: int, big: bool) -> SignedDescriptor:
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


descriptors = st.builds(
    lambda region, arch, caps, hosts, life, big: signed(
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


def rrsets(zone: dns.zone.Zone) -> dict[dns.name.Name, list[tuple[int, int, list[str]]]]:
    return {
        name: [(rds.rdtype, rds.ttl, [rd.to_text() for rd in rds]) for rds in node.rdatasets]
        for name, node in zone.nodes.items()
    }


def imaged(zone: dns.zone.Zone, path: Path | None = None) -> dns.zone.Zone:
    """``zone`` written as a compiled image (to ``path``, or a new temporary folder)
    and read back: the same zone, its nodes an :class:`ImageNodes`."""
    assert zone.origin is not None
    path = Path(tempfile.mkdtemp(prefix="image-")) / "z.image" if path is None else path
    write_image(path, encode_image(zone, {"image": "test"}))
    out = dns.zone.Zone(zone.origin, relativize=True)
    out.nodes = ImageNodes(Image(path))
    return out
