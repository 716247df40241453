"""Compiled zone images (cid/registry/_image.py): the zone they hold, and the files they refuse.

An image must give back, node for node, the zone it was written from (the same
RRsets in the same order, TTLs, records, PTR listings in order), answer lookups
as a dict of nodes does (case aside, absent names, writes above it), and give
:func:`cid.server._authority._prepare` the same index. A file that is not a
whole image of this format is an :class:`ImageError`, never a zone.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import struct
from pathlib import Path

import dns.name
import dns.node
import dns.rdataset
import dns.rdatatype
import dns.zone
import pytest
from bulkzones import DELEGATIONS, HOSTS, NOW, ROOT, SETTINGS, descriptors, imaged, rrsets, signed
from hypothesis import given, settings
from hypothesis import strategies as st

from cid.registry import Image, ImageError, ImageNodes, changed_nodes, copy_nodes
from cid.registry._zone import SignedDescriptor, _assemble, _publish_bulk
from cid.server._authority import _prepare

# A few descriptors in each region of the zone, endpoints shared, one too big for TXT.
FEW = [
    signed(f"ucid:acme.hpc/{region}/{arch}/cpu={n}", list(HOSTS[: 1 + n % 3]), NOW + 86400, n == 3)
    for n, (region, arch) in enumerate(
        (r, a) for r in ("de-by", "cn-gd", "us-ca") for a in ("aarch64", "x86-64-v4")
    )
]


def _zone(descs: list[SignedDescriptor]) -> dns.zone.Zone:
    unique = list({d.record.subject: d for d in descs}.values())
    return _assemble(
        SETTINGS, unique, DELEGATIONS, root=ROOT, now=NOW, statuses=(), publish=_publish_bulk
    )


def _upper(name: dns.name.Name) -> dns.name.Name:
    return dns.name.Name([label.upper() for label in name.labels])


@settings(max_examples=40, deadline=None)
@given(descs=st.lists(descriptors, max_size=10))
def test_an_image_gives_back_the_zone_it_was_written_from(
    descs: list[SignedDescriptor], tmp_path_factory: pytest.TempPathFactory
) -> None:
    zone = _zone(descs)
    image = imaged(zone, tmp_path_factory.mktemp("image") / "z.image")
    assert rrsets(image) == rrsets(zone)
    assert len(image.nodes) == len(zone.nodes) and set(image.nodes) == set(zone.nodes)
    for name, node in zone.nodes.items():
        assert image.nodes[name] == node and image.nodes.get(_upper(name)) == node
        assert name in image.nodes and _upper(name) in image.nodes
    for absent in ("nx", "__enum.nx", "a.b.c._de-by"):
        name = dns.name.from_text(absent, origin=None)
        assert image.nodes.get(name) is None and name not in image.nodes
        with pytest.raises(KeyError):
            del image.nodes[name]
    a, b = _prepare(zone), _prepare(image)
    assert (a.cuts, a.parents, a.name_hashes, a.soa, a.soa_wire) == (
        b.cuts, b.parents, b.name_hashes, b.soa, b.soa_wire
    )  # fmt: skip


def test_writes_go_above_the_image_and_copies_share_it(tmp_path: Path) -> None:
    zone = _zone(FEW)
    served = imaged(zone, tmp_path / "z.image")
    nodes = served.nodes
    assert isinstance(nodes, ImageNodes)
    copy = copy_nodes(nodes)
    assert isinstance(copy, ImageNodes) and copy.image is nodes.image
    some = next(n for n in zone.nodes if n != dns.name.empty)
    new = dns.name.from_text("new", origin=None)
    node = dns.node.Node()  # type: ignore[no-untyped-call]
    node.rdatasets.append(dns.rdataset.from_text("IN", "TXT", 60, '"x"'))
    copy[new] = node
    del copy[some]
    assert new in copy and some not in copy and new not in nodes and some in nodes
    assert len(copy) == len(nodes) and set(copy) == set(nodes) - {some} | {new}
    assert dict(copy.items())[new] is node
    changed, gone = changed_nodes(nodes, copy)
    assert changed == {new: node} and gone == [some]
    # The generic comparison, on dicts, says the same.
    assert changed_nodes(dict(nodes.items()), dict(copy.items()))[1] == [some]
    # The same file mapped again (a reload from it): still compared by the overlays.
    again_mapped = ImageNodes(Image(nodes.image.path))
    again_mapped[new] = node
    assert nodes.image.same(again_mapped.image)
    assert changed_nodes(nodes, again_mapped) == ({new: node}, [])
    del copy[new]
    assert new not in copy and new not in copy.overlay
    # Sent to a worker process: it maps the same file.
    again = pickle.loads(pickle.dumps(copy))
    assert again.image.path == nodes.image.path and set(again) == set(copy)


def _rewrite_meta(path: Path, **changes: object) -> None:
    """The image with its meta changed and its digest made right again (a whole file
    of another format, byte order or code, not a torn one)."""
    data = bytearray(path.read_bytes())
    (hlen,) = struct.unpack_from("!I", data, 8)
    meta = json.loads(data[12 : 12 + hlen])
    meta.update(changes)
    head = json.dumps(meta, sort_keys=True).encode().ljust(hlen)
    assert len(head) == hlen
    data[12 : 12 + hlen] = head
    path.write_bytes(_redigest(data))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda d: d[:0], "torn"),
        (lambda d: d[:40], "torn"),
        (lambda d: d[: len(d) // 2], "torn"),
        (lambda d: d[:-1], "torn"),
        (lambda d: d + b"\0", "torn"),
        (lambda d: b"UCIDIMG\x02" + d[8:], "not an image of format"),
        (lambda d: b"PK\x03\x04" + d[4:], "not an image of format"),
        (lambda d: d[:20] + bytes([d[20] ^ 1]) + d[21:], "digest differs"),
        (lambda d: d[:-200] + bytes([d[-200] ^ 0x80]) + d[-199:], "digest differs"),
        (lambda d: d[: len(d) // 3] + b"\0" * 8 + d[len(d) // 3 + 8 :], "digest differs"),
    ],
)
def test_a_damaged_image_is_refused(tmp_path: Path, damage: object, reason: str) -> None:
    path = tmp_path / "z.image"
    imaged(_zone(FEW[:4]), path)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with pytest.raises(ImageError, match=reason):
        Image(path)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [({"format": 2}, "format 2"), ({"byteorder": "middle"}, "middle-endian"),
     ({"nodes": []}, "unreadable header"), ({"origin": None}, "unreadable header")],
)  # fmt: skip
def test_an_image_of_another_format_is_refused(
    tmp_path: Path, changes: dict[str, object], reason: str
) -> None:
    path = tmp_path / "z.image"
    imaged(_zone(FEW[:3]), path)
    _rewrite_meta(path, **changes)
    with pytest.raises(ImageError, match=reason):
        Image(path)


def _redigest(data: bytearray) -> bytes:
    end = len(data) - 8 - 32
    data[end : end + 32] = hashlib.sha256(data[:end]).digest()
    return bytes(data)


@pytest.mark.parametrize(
    ("section", "value", "reason"),
    [(0, 10**6, "sections"), (1, 2**40, "sections"), (3, 2**40, "sections"),
     ("shared", 0xFFFFFFFF, "shared sets")],
)  # fmt: skip
def test_an_image_whose_digest_holds_but_whose_sections_do_not_is_refused(
    tmp_path: Path, section: int | str, value: int, reason: str
) -> None:
    """Written whole but made by hand (the digest covers mistakes, not intent): refused."""
    path = tmp_path / "z.image"
    imaged(_zone(FEW[:3]), path)
    data = bytearray(path.read_bytes())
    at = len(data) - 8 - 32 - 32  # the four section offsets
    offsets = list(struct.unpack_from("!QQQQ", data, at))
    if section == "shared":
        struct.pack_into("!I", data, offsets[1], value)
    else:
        offsets[section] = value  # type: ignore[index]
        struct.pack_into("!QQQQ", data, at, *offsets)
    path.write_bytes(_redigest(data))
    with pytest.raises(ImageError, match=reason):
        Image(path)


def test_a_missing_image_is_an_image_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="No such file"):
        Image(tmp_path / "absent.image")


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), head=st.sampled_from([b"", b"UCIDIMG\x01"]))
def test_no_file_crashes_the_reader(
    data: bytes, head: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "z.image"
    path.write_bytes(head + data + (b"UCIDEND\x01" if data[:1] == b"\0" else b""))
    with pytest.raises(ImageError):
        Image(path)
