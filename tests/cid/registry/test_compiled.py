"""When a compiled image stands in for assembly (cid/registry/_compiled.py, _fingerprint.py).

Only when nothing it was made from changed (each kind of input file, added,
removed, rewritten or touched), at a time in ``[built, until)``, written by this
code; and then it gives the zone assembly gives, with the serial of ``now``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import dns.name
import dns.rdatatype
import dns.zone
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cid
from cid import parse
from cid._descriptor_json import descriptor_from_json
from cid.registry import (
    CACHE,
    ImageError,
    ImageNodes,
    Listing,
    Registry,
    _compiled,
    _fingerprint,
    open_compiled,
    save_compiled,
    zone_listing,
)
from cid.registry._build import file_name
from cid.registry._demo import demo_key, write_demo
from cid.registry._entries import Registration, entry_bytes
from cid.registry._zone import SignedDescriptor
from cid.server._authority import _prepare

NOW = 1_795_000_000
ZONE = "acme.hpc.ucid.example"  # the demo's zone with the most descriptors
LATER_NS = (NOW + 10**6) * 10**9  # a listing taken long after every write: nothing racy


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("demo") / "registry", now=NOW).path


@pytest.fixture
def registry(built: Path, tmp_path: Path) -> Registry:
    """A copy of the demo registry with an image of ZONE written at NOW."""
    path = tmp_path / "registry"
    shutil.copytree(built, path)
    reg = Registry.load(path)
    _save(reg, ZONE)
    _save(reg, PARENT)
    return reg


def _save(reg: Registry, zone: str, now: int = NOW) -> dns.zone.Zone:
    listed = zone_listing(reg, zone, now_ns=LATER_NS)
    inputs = reg.inputs(zone, now=now)
    assembled = reg.assemble_from(zone, inputs, now=now)
    owners = {dns.name.from_text(_owner(d.record.subject, reg.root)) for d in inputs.static}
    assert save_compiled(reg, zone, assembled, inputs, listed, now=now, owners=owners)
    return assembled


def _owner(subject: str, root: str) -> str:
    return parse(subject).to_dns_name(root)


def _open(reg: Registry, zone: str = ZONE, now: int = NOW + 5) -> dns.zone.Zone:
    return open_compiled(reg, zone, now=now, now_ns=LATER_NS).zone


def _rrsets(zone: dns.zone.Zone) -> dict[dns.name.Name, list[tuple[int, int, list[str]]]]:
    out = {}
    for name, node in zone.nodes.items():
        out[name] = [
            (r.rdtype, r.ttl, sorted(x.to_text() for x in r))
            for r in node.rdatasets
            if r.rdtype != dns.rdatatype.SOA
        ]
    return out


def test_the_image_gives_the_assembled_zone_with_the_serial_of_now(registry: Registry) -> None:
    zone = _open(registry, now=NOW + 5)
    assert isinstance(zone.nodes, ImageNodes)
    assembled = registry.assemble_from(ZONE, registry.inputs(ZONE, now=NOW), now=NOW)
    assert _rrsets(zone) == _rrsets(assembled)
    soa = zone.get_rdataset(ZONE + ".", dns.rdatatype.SOA)
    before = assembled.get_rdataset(ZONE + ".", dns.rdatatype.SOA)
    assert soa is not None and before is not None
    assert soa[0].serial == NOW + 5 and soa[0].replace(serial=NOW) == before[0]
    compiled = open_compiled(registry, ZONE, now=NOW + 5, now_ns=LATER_NS)
    static = registry.inputs(ZONE, now=NOW).static
    key = lambda d: d.record.subject  # noqa: E731 - the image holds them by name, not file
    assert sorted(compiled.inputs.static, key=key) == sorted(static, key=key)
    for desc in static:
        owner = dns.name.from_text(_owner(desc.record.subject, registry.root))
        assert owner in compiled.static
    assert zone.origin not in compiled.static
    assert compiled.inputs.next_change(NOW + 5) == compiled.image.meta["until"]


def _write(path: Path, data: bytes = b"{}") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _first(reg: Registry, zone: str, folder: str) -> Path:
    return sorted((reg.path / "zones" / zone / folder).iterdir())[0]


def _flip_last(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))


def _touch(path: Path) -> None:
    os.utime(path, ns=(NOW * 10**9, NOW * 10**9))


def _append(path: Path, data: bytes = b" ") -> None:
    path.write_bytes(path.read_bytes() + data)


def _zone_file(reg: Registry, zone: str, name: str) -> Path:
    return reg.path / "zones" / zone / name


PARENT = "ctyun.east.ucid.example"  # a zone with a child, so a delegation
CHILD = f"_cn-sh.{PARENT}"
CHANGES: list[tuple[str, Callable[[Registry], None], str]] = [
    ("zone.json changed", lambda r: _append(_zone_file(r, ZONE, "zone.json")), "settings"),
    ("a key added", lambda r: _write(_zone_file(r, ZONE, "keys/new.pub")), "settings"),
    ("a key changed", lambda r: _flip_last(_first(r, ZONE, "keys")), "settings"),
    ("a status file", lambda r: _write(_zone_file(r, ZONE, "status/x.cose")), "of status"),
    ("a delegation changed", lambda r: _flip_last(_first(r, PARENT, "delegations")), "settings"),
    ("registry.json changed", lambda r: _append(r.path / "registry.json"), "settings"),
    ("a child's zone.json", lambda r: _append(_zone_file(r, CHILD, "zone.json")), "settings"),
    ("another zone's zone.json", lambda r: _append(_zone_file(r, "ucid.example", "zone.json")),
     "settings"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "change", "reason"), CHANGES, ids=[c[0] for c in CHANGES])
def test_a_change_beyond_records_makes_the_image_stale(
    registry: Registry, what: str, change: Callable[[Registry], None], reason: str
) -> None:
    _open(registry)  # used before
    _open(registry, PARENT)
    change(registry)
    with pytest.raises(ImageError, match=reason):
        _open(registry, PARENT if PARENT in what or "delegation" in what or "child" in what
              else ZONE)  # fmt: skip


KEPT: list[tuple[str, Callable[[Registry], None]]] = [
    ("a source added", lambda r: _write(_zone_file(r, ZONE, "sources/x.json"))),
    ("another zone's descriptor", lambda r: _write(
        _zone_file(r, "hpc.ucid.example", "descriptors/x.cose"))),
    ("the anchor", lambda r: _append(r.path / "anchor.json")),
    ("a write in progress", lambda r: _write(_zone_file(r, ZONE, "descriptors/.x.tmp"))),
    ("zone.json written again, the same bytes", lambda r: _touch(_zone_file(r, ZONE, "zone.json"))),
    ("registry.json written again",
     lambda r: _write(p := r.path / "registry.json", p.read_bytes())),
    ("a key written again", lambda r: _touch(_first(r, ZONE, "keys"))),
]  # fmt: skip


@pytest.mark.parametrize(("what", "change"), KEPT, ids=[c[0] for c in KEPT])
def test_what_assembly_does_not_read_leaves_the_image_in_use(
    registry: Registry, what: str, change: Callable[[Registry], None]
) -> None:
    change(registry)
    assert isinstance(_open(registry).nodes, ImageNodes)
    assert isinstance(_open(registry, PARENT).nodes, ImageNodes)


def test_an_image_is_for_its_time_its_code_and_its_zone(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    until = open_compiled(registry, ZONE, now=NOW, now_ns=LATER_NS).image.meta["until"]
    assert until > NOW
    for when in (NOW - 1, until, until + 86400):
        with pytest.raises(ImageError, match="made for"):
            _open(registry, now=when)
    _open(registry, now=until - 1)
    with pytest.raises(ImageError, match="no image yet"):
        _open(registry, zone="hpc.ucid.example")
    monkeypatch.setattr(_compiled, "code_digest", lambda: "other")
    with pytest.raises(ImageError, match="written by other code"):
        _open(registry)


def test_the_newest_image_is_used_and_two_are_kept(registry: Registry) -> None:
    for later in (1, 2, 3):
        _save(registry, ZONE, now=NOW + later)
    images = sorted((registry.path / CACHE).glob(f"{ZONE}.*.image"))
    assert len(images) == 2
    soa = _open(registry, now=NOW + 10).get_rdataset(dns.name.from_text(ZONE), "SOA")
    assert soa is not None
    assert (
        open_compiled(registry, ZONE, now=NOW + 10, now_ns=LATER_NS).image.meta["built"] == NOW + 3
    )
    assert (registry.path / CACHE / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_damaged_newest_image_is_an_error_not_a_zone(registry: Registry) -> None:
    (image,) = (registry.path / CACHE).glob(f"{ZONE}.*.image")
    _flip_last(image.with_name(image.name))  # the end mark
    with pytest.raises(ImageError, match="torn"):
        _open(registry)


def test_racy_files_are_hashed_and_compared(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Listed right as they were written, every file is racy: each is hashed.
    mtime = max(p.stat().st_ctime_ns for p in registry.path.rglob("*.cose"))
    listed = zone_listing(registry, ZONE, now_ns=mtime)
    assert listed.racy and not listed.too_racy
    assert all(len(h) == 64 for h in listed.racy.values())
    # A racy file whose bytes are not those hashed (rewritten within the tick): stale.
    wrong = Listing(listed.digest, {k: "0" * 64 for k in listed.racy})
    later = zone_listing(registry, ZONE, now_ns=LATER_NS, recorded=wrong)
    assert later.digest == listed.digest and not later.matches(wrong)
    assert zone_listing(registry, ZONE, now_ns=LATER_NS, recorded=listed).matches(listed)
    # Too many to hash: no image.
    monkeypatch.setattr(_fingerprint, "MAX_RACY", 2)
    crowded = zone_listing(registry, ZONE, now_ns=mtime)
    assert crowded.too_racy and not crowded.matches(crowded)
    inputs = registry.inputs(ZONE, now=NOW)
    zone = registry.assemble_from(ZONE, inputs, now=NOW)
    assert save_compiled(registry, ZONE, zone, inputs, crowded, now=NOW, owners=set()) is None


# ------------------------------------------- records changed since: patched in


def _descriptor(reg: Registry, subject: str, host: str, *, version: int = 1,
                expires: int = NOW + 86400) -> SignedDescriptor:  # fmt: skip
    spec = {
        "subject": subject,
        "issuer": ZONE,
        "version": version,
        "endpoints": [{"transport": "tcp", "protocol": "https", "host": host, "port": 443}],
        "expires": expires,
    }
    rec = descriptor_from_json(spec, NOW - 60, 86400)
    return SignedDescriptor(cid.sign(rec, demo_key(ZONE)), rec)


def _put(reg: Registry, desc: SignedDescriptor) -> None:
    path = reg.path / "zones" / ZONE / "descriptors" / f"{file_name(desc.record.subject)}.cose"
    path.write_bytes(desc.data)


def _live(reg: Registry, desc: SignedDescriptor) -> None:
    name = dns.name.from_text(parse(desc.record.subject).to_dns_name(reg.root))
    _write(reg.live_file(ZONE, name), entry_bytes(Registration(desc.data, desc.record, "test")))


def _put_all(
    reg: Registry, descs: list[SignedDescriptor], live: SignedDescriptor | None = None
) -> None:
    if live is not None:
        _live(reg, live)
    for desc in descs:
        _put(reg, desc)


NEW = "ucid:acme.hpc/de-by/aarch64/cpu=4;mem=8GiB"


def _existing(reg: Registry) -> SignedDescriptor:
    return reg.inputs(ZONE, now=NOW).static[0]


EDITS: list[tuple[str, Callable[[Registry], None]]] = [
    ("nothing", lambda r: None),
    ("a descriptor added", lambda r: _put(r, _descriptor(r, NEW, "new.acme.example"))),
    ("a descriptor removed", lambda r: _first(r, ZONE, "descriptors").unlink()),
    ("a descriptor replaced", lambda r: _put(r, _descriptor(
        r, _existing(r).record.subject, "moved.acme.example", version=9))),
    ("a descriptor broken", lambda r: _flip_last(_first(r, ZONE, "descriptors"))),
    ("a descriptor expiring first", lambda r: _put(r, _descriptor(
        r, NEW, "short.acme.example", expires=NOW + 3600))),
    ("a junk file", lambda r: _write(_zone_file(r, ZONE, "descriptors/x.cose"))),
    ("a live registration", lambda r: _live(r, _descriptor(r, NEW, "live.acme.example"))),
    ("a live registration shadowed by a file", lambda r: _live(r, _existing(r))),
    ("a live registration then a file", lambda r: _put_all(r, [
        _descriptor(r, NEW, "file.acme.example", version=2)],
        live=_descriptor(r, NEW, "live.acme.example"))),
    ("many at once", lambda r: _put_all(r, [
        _descriptor(r, f"ucid:acme.hpc/de-by/aarch64/cpu={n}", f"h{n}.acme.example")
        for n in range(1, 40)])),
]  # fmt: skip


@pytest.mark.parametrize(("what", "edit"), EDITS, ids=[e[0] for e in EDITS])
def test_records_changed_since_the_image_are_patched_in_as_assembly_gives_them(
    registry: Registry, what: str, edit: Callable[[Registry], None]
) -> None:
    edit(registry)
    later = NOW + 7
    compiled = open_compiled(registry, ZONE, now=later, now_ns=LATER_NS)
    inputs = registry.inputs(ZONE, now=later)
    assembled = registry.assemble_from(ZONE, inputs, now=later)
    assert _rrsets(compiled.zone) == _rrsets(assembled)
    soa = compiled.zone.get_rdataset(ZONE + ".", "SOA")
    before = assembled.get_rdataset(ZONE + ".", "SOA")
    assert soa is not None and before is not None and soa[0] == before[0]
    # The index from the image and the changes equals the one from the whole zone.
    ours, fresh = _prepare(compiled.zone), _prepare(assembled)
    assert (ours.parents, list(ours.name_hashes), ours.cuts) == (
        fresh.parents, list(fresh.name_hashes), fresh.cuts)  # fmt: skip
    # What the live driver keeps of the zone's inputs, as a load without an image.
    key = lambda d: d.data  # noqa: E731
    assert sorted(compiled.inputs.static, key=key) == sorted(inputs.static, key=key)
    assert sorted(map(str, compiled.inputs.problems)) == sorted(map(str, inputs.problems))
    assert compiled.inputs.next_change(later) == min(
        t for t in (inputs.next_change(later), compiled.image.meta["until"]) if t is not None
    )
    for desc in inputs.static:
        assert dns.name.from_text(_owner(desc.record.subject, registry.root)) in compiled.static
    unchanged = ("nothing", "a junk file", "a live registration shadowed by a file")
    assert (compiled.changes == 0) == (what in unchanged)


def test_too_many_changes_take_the_whole_assembly(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_compiled, "MAX_CHANGES", 2)
    for n in range(1, 4):
        _put(registry, _descriptor(registry, f"ucid:acme.hpc/de-by/aarch64/cpu={n}", "h.example"))
    with pytest.raises(ImageError, match="3 files changed since"):
        _open(registry)


_line = st.builds(lambda p, v: b"zones/z/descriptors/p%d.cose\0%d 1 2 3" % (p, v),
                  st.integers(0, 40), st.integers(0, 2))  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_line, max_size=25), st.lists(_line, max_size=25))
def test_the_changed_files_are_those_whose_lines_differ(a: list[bytes], b: list[bytes]) -> None:
    def listing(lines: list[bytes]) -> bytes:
        unique = {line.split(b"\0")[0]: line for line in lines}  # one line a path
        return b"\n".join(sorted(unique.values()))

    before, now = listing(a), listing(b)
    lines = set(before.split(b"\n")) ^ set(now.split(b"\n"))
    expected = {line.split(b"\0")[0].decode() for line in lines if line}
    assert _compiled._changed_files(before, now) == expected


def test_records_expiring_since_the_image_leave_it_and_shorten_their_ttl_as_assembly_does(
    built: Path, tmp_path: Path
) -> None:
    shutil.copytree(built, tmp_path / "registry")
    reg = Registry.load(tmp_path / "registry")
    for status in (reg.path / "zones" / ZONE / "status").glob("*"):
        status.unlink()  # they expire within minutes, and the image with them
    ttl = reg.zones[ZONE].settings.ttl
    ends = [NOW + 100, NOW + ttl + 1000, NOW + 4 * ttl]
    for n, end in enumerate(ends):
        _put(reg, _descriptor(reg, f"ucid:acme.hpc/de-by/aarch64/cpu={n + 1}",
                              f"e{n}.acme.example", expires=end))  # fmt: skip
    _save(reg, ZONE)
    for later in (NOW + 50, NOW + 150, NOW + 1200, NOW + ttl + 500, NOW + ttl + 1500,
                  NOW + 4 * ttl + 10):  # fmt: skip
        compiled = open_compiled(reg, ZONE, now=later, now_ns=LATER_NS)
        inputs = reg.inputs(ZONE, now=later)
        assembled = reg.assemble_from(ZONE, inputs, now=later)
        assert _rrsets(compiled.zone) == _rrsets(assembled), later
        ours, fresh = _prepare(compiled.zone), _prepare(assembled)
        assert (ours.parents, list(ours.name_hashes)) == (fresh.parents, list(fresh.name_hashes))
        assert sorted(map(str, compiled.inputs.problems)) == sorted(map(str, inputs.problems))
        assert compiled.inputs.next_change(later) == inputs.next_change(later), later
