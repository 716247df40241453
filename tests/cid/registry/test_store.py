"""The on-disk registry and zone assembly (spec/resolution.md §3-§7)."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

import cid
from cid.atomic import AtomicWriter
from cid.layout import TYPE_DELEGATION, TYPE_DESCRIPTOR, delegation_owner, enum_owner
from cid.registry._demo import write_demo
from cid.registry._store import Registry, RegistryError
from cid.registry._zone import NameServer, zone_text

NOW = 1_795_000_000
ROOT = "ucid.example"
PROVIDER = "acme.east.ucid.example"
GPU = "ucid:acme.east/cn-gd/x86-64-v4+sm90/acc=8;acc-model=h800"
ARM = "ucid:acme.east/cn-bj/neoverse-v2/cpu=64"


def endpoint(host: str = "gw.acme.example", port: int = 443) -> dict[str, object]:
    return {"transport": "tcp", "protocol": "https", "host": host, "port": port, "alpn": ["h2"]}


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    reg = Registry.create(tmp_path / "reg", ROOT)
    reg.add_zone(ROOT, None, [NameServer(f"ns1.{ROOT}", ("127.0.0.2",))])
    reg.add_zone(f"east.{ROOT}", ROOT, [NameServer(f"ns1.east.{ROOT}", ("127.0.0.3",))])
    reg.add_zone(PROVIDER, f"east.{ROOT}", [NameServer(f"ns1.{PROVIDER}", ("127.0.0.4",))])
    reg.add_zone(f"_cn-bj.{PROVIDER}", PROVIDER, [NameServer(f"ns._cn-bj.{PROVIDER}", ("::1",))])
    reg.add_source(PROVIDER, "gpu", {"subject": GPU, "version": 1, "endpoints": [endpoint()]})
    reg.add_source(
        f"_cn-bj.{PROVIDER}",
        "arm",
        {"subject": ARM, "version": 1, "endpoints": [endpoint("10.1.2.3", 8443)]},
    )
    reg.build(now=NOW)
    return Registry.load(reg.path)


def owner(text: str) -> dns.name.Name:
    return dns.name.from_text(cid.parse(text).to_dns_name(ROOT))


def test_build_is_idempotent_and_resigns_changes(registry: Registry) -> None:
    assert registry.build(now=NOW + 60) == []
    src = registry.path / "zones" / PROVIDER / "sources" / "gpu.json"
    spec = json.loads(src.read_text())
    spec["endpoints"].append(endpoint("gw2.acme.example"))
    src.write_text(json.dumps(spec))
    written = registry.build(now=NOW + 120)
    assert [p.name for p in written] == [
        "_acc_8._acc-model_h800._x86-64-v4_sm90._cn-gd.acme.east.cose"
    ]
    rec = cid.verify(written[0].read_bytes(), registry.verify_keys(PROVIDER), now=NOW + 120)
    assert rec.version == 2 and len(rec.endpoints) == 2
    # half the validity gone: re-signed with a higher version, same content
    later = NOW + 120 + 4 * 86400
    assert any(p.name.startswith("_acc_8") for p in registry.build(now=later))


def test_keys_and_anchor(registry: Registry) -> None:
    for key in (registry.path / "zones").glob("*/keys/*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    anchor = json.loads((registry.path / "anchor.json").read_text())
    assert anchor["zone"] == ROOT
    assert anchor["keys"] == [bytes(k).hex() for k in registry.verify_keys(ROOT)]
    assert anchor["servers"] == [{"name": f"ns1.{ROOT}", "addresses": ["127.0.0.2"]}]


def test_provider_zone_records(registry: Registry) -> None:
    zone, problems = registry.assemble(PROVIDER, now=NOW)
    assert problems == []
    name = owner(GPU)
    node = zone.get_node(name)
    assert node is not None
    desc = node.get_rdataset(dns.rdataclass.IN, TYPE_DESCRIPTOR)
    assert desc is not None and len(desc) == 1
    data = desc[0].data
    assert cid.verify(data, registry.verify_keys(PROVIDER), now=NOW).subject == str(cid.parse(GPU))
    assert desc.ttl <= 3600
    svcb = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SVCB)
    assert svcb is not None and svcb[0].to_text() == '1 gw.acme.example. alpn="h2" port="443"'
    txt = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT)
    assert txt is not None
    strings = txt[0].strings
    assert strings[0] == b"ucid1" and base64.b64decode(b"".join(strings[1:])) == data
    # the region zone is delegated: NS + glue at the cut, the record beside it
    cut = dns.name.from_text(f"_cn-bj.{PROVIDER}.")
    ns = zone.get_rdataset(cut, "NS")
    assert ns is not None and ns[0].to_text() == f"ns._cn-bj.{PROVIDER}."
    glue = zone.get_rdataset(f"ns._cn-bj.{PROVIDER}.", "AAAA")
    assert glue is not None and glue[0].to_text() == "::1"
    deleg = zone.get_rdataset(delegation_owner(cut, zone.origin), TYPE_DELEGATION)  # type: ignore[arg-type]
    assert deleg is not None
    drec = cid.verify_delegation(deleg[0].data, registry.verify_keys(PROVIDER), now=NOW)
    assert drec.child == f"_cn-bj.{PROVIDER}"
    assert [bytes(k) for k in drec.keys] == [
        bytes(k) for k in registry.verify_keys(f"_cn-bj.{PROVIDER}")
    ]

    # enumeration: apex -> region nodes -> arch nodes -> identifiers
    def ptrs(node_name: dns.name.Name) -> list[str]:
        rds = zone.get_rdataset(enum_owner(node_name), "PTR")
        return sorted(r.to_text() for r in rds) if rds else []

    apex = dns.name.from_text(PROVIDER + ".")
    assert ptrs(apex) == [f"_cn-bj.{PROVIDER}.", f"_cn-gd.{PROVIDER}."]
    region = dns.name.from_text(f"_cn-gd.{PROVIDER}.")
    assert ptrs(region) == [f"_x86-64-v4_sm90._cn-gd.{PROVIDER}."]
    assert ptrs(dns.name.from_text(f"_x86-64-v4_sm90._cn-gd.{PROVIDER}.")) == [name.to_text()]


def test_region_zone_has_no_svcb_for_an_address(registry: Registry) -> None:
    """spec §3.5: an endpoint at an IP address has no SVCB mirror, only the descriptor."""
    zone, problems = registry.assemble(f"_cn-bj.{PROVIDER}", now=NOW)
    assert problems == []
    assert zone.get_rdataset(owner(ARM), "SVCB") is None
    assert zone.get_rdataset(owner(ARM), TYPE_DESCRIPTOR) is not None


def test_ttl_never_outlives_the_descriptor(registry: Registry) -> None:
    expires = cid.verify(
        next((registry.path / "zones" / PROVIDER / "descriptors").glob("*.cose")).read_bytes(),
        registry.verify_keys(PROVIDER),
        now=NOW,
    ).expires
    zone, _ = registry.assemble(PROVIDER, now=expires - 100)
    rds = zone.get_rdataset(owner(GPU), TYPE_DESCRIPTOR)
    assert rds is not None and rds.ttl == 100
    zone, problems = registry.assemble(PROVIDER, now=expires + 1)
    assert zone.get_node(owner(GPU)) is None  # expired: never served
    assert problems == []  # within the clock skew: left out, not yet an error
    zone, problems = registry.assemble(PROVIDER, now=expires + 301)
    assert zone.get_node(owner(GPU)) is None
    assert any("expired" in p.reason for p in problems)


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "other-key", "rename"])
def test_bad_files_are_reported_and_never_served(
    registry: Registry, damage: str, tmp_path: Path
) -> None:
    folder = registry.path / "zones" / PROVIDER / "descriptors"
    path = next(folder.glob("*.cose"))
    data = path.read_bytes()
    if damage == "flip":
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    elif damage == "truncate":
        path.write_bytes(data[:50])
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 40)
    elif damage == "other-key":
        other = cid.SigningKey.generate()
        rec = cid.verify(data, registry.verify_keys(PROVIDER), now=NOW)
        path.write_bytes(cid.sign(rec, other))
    else:
        path.rename(folder / "elsewhere.cose")
        path = folder / "elsewhere.cose"
    problems = registry.check(now=NOW)
    assert [p.path for p in problems] == [str(path)]
    zone, _ = registry.assemble(PROVIDER, now=NOW)
    assert zone.get_node(owner(GPU)) is None


def test_zone_text_loads_back(registry: Registry) -> None:
    for name in registry.zones:
        zone, _ = registry.assemble(name, now=NOW)
        text = zone_text(zone)
        again = dns.zone.from_text(text, origin=zone.origin, relativize=False)
        assert {n.derelativize(zone.origin) for n in zone.nodes} == set(again.nodes)  # type: ignore[arg-type]


def test_registry_errors(tmp_path: Path, registry: Registry) -> None:
    with pytest.raises(RegistryError, match="missing"):
        Registry.load(tmp_path / "nothing")
    with pytest.raises(RegistryError, match="exists already"):
        Registry.create(registry.path, ROOT)
    (registry.path / "registry.json").write_text("{")
    with pytest.raises(RegistryError, match="unreadable"):
        Registry.load(registry.path)
    with pytest.raises(RegistryError, match="parent"):
        registry.add_zone("x.other", "nowhere", [])


@pytest.mark.parametrize(
    ("alpn", "shown"),
    [
        (["h2", "http/1.1"], 'alpn="h2,http/1.1"'),
        (["a,b"], r'alpn="a\\,b"'),
        (['q"x', "b\\c"], "alpn="),
        (["h3"], 'alpn="h3"'),
    ],
)
def test_svcb_mirrors_any_alpn(alpn: list[str], shown: str) -> None:
    from cid.layout import svcb_rdata  # noqa: PLC0415

    ep = cid.Endpoint("tcp", "https", "gw.example", 443, alpn=tuple(alpn))
    rdata = svcb_rdata(ep)
    assert rdata is not None
    assert shown in rdata.to_text()
    assert [a.decode() for a in rdata.params[1].ids] == alpn  # type: ignore[attr-defined]
    again = dns.rdata.from_text("IN", "SVCB", rdata.to_text())  # presentation round trip
    assert again == rdata


def test_deep_names_are_published_without_crashing(tmp_path: Path) -> None:
    # A 63-character provider label four times over: names near the 253 limit.
    long = ".".join(["p" * 60, "q" * 60])
    reg = Registry.create(tmp_path / "deep", ROOT)
    reg.add_zone(ROOT, None, [NameServer(f"ns1.{ROOT}", ("127.0.0.2",))])
    subject = f"ucid:{long}/cn-gd-sz1-abcdefgh/x86-64-v4+sm90"
    reg.add_source(ROOT, "deep", {"subject": subject, "version": 1, "endpoints": [endpoint()]})
    reg.build(now=NOW)
    zone, problems = reg.assemble(ROOT, now=NOW)
    assert problems == []
    assert zone.get_rdataset(owner(subject), TYPE_DESCRIPTOR) is not None


def _fsync_log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fsync and rename, in order: ("file"|"folder"|"rename", name)."""
    events: list[str] = []
    fsync, replace = os.fsync, os.replace

    def spy_fsync(fd: int) -> None:
        events.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        fsync(fd)

    def spy_replace(src: str, dst: str | Path) -> None:
        events.append("rename")
        replace(src, dst)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    return events


def test_atomic_writer_syncs_each_folder_once_after_every_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    events = _fsync_log(monkeypatch)
    with AtomicWriter() as writer:
        for i in range(600):  # more than the writer keeps pending
            writer.write(tmp_path / "ab"[i % 2] / f"{i}.bin", b"%d" % i, 0o640)
        writer.write(tmp_path / "a" / "0.bin", b"new")  # replaces a file written before
    assert (tmp_path / "a" / "0.bin").read_bytes() == b"new"
    assert (tmp_path / "b" / "599.bin").read_bytes() == b"599"
    assert stat.S_IMODE((tmp_path / "b" / "1.bin").stat().st_mode) == 0o640
    assert not list(tmp_path.glob("*/.*"))  # no temporary file left
    # Each file's data before its rename; the two folders once, after every rename.
    assert events.count("file") == events.count("rename") == 601
    assert events[-2:] == ["folder", "folder"] and events.count("folder") == 2


def test_atomic_writer_reports_a_failed_write(tmp_path: Path) -> None:
    writer = AtomicWriter()
    writer.write(tmp_path / "a.bin", b"a")
    writer.write(tmp_path / "missing" / "b.bin", b"b")
    with pytest.raises(FileNotFoundError):
        writer.close()
    assert (tmp_path / "a.bin").read_bytes() == b"a"


def test_build_makes_every_file_durable_before_returning(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    for old in registry.path.glob("zones/*/*/*.cose"):
        old.unlink()  # everything signed afresh
    events = _fsync_log(monkeypatch)
    written = registry.build(now=NOW)
    signed = [p for p in written if p.suffix == ".cose"]
    folders = {p.parent for p in signed}
    assert len(signed) >= len(folders) > 1
    # Every signed file renamed into place, then each of their folders fsync'd once.
    first = events.index("folder")
    assert events[:first].count("rename") == len(signed)
    assert events[first : first + len(folders)] == ["folder"] * len(folders)
    assert events.count("rename") == len(written)


@pytest.mark.parametrize("host", ["198.51.100.10", "2001:db8::8"])
def test_no_svcb_mirror_for_an_address_host(tmp_path: Path, host: str) -> None:
    """spec §3.5: SVCB cannot name an address as its target (TargetName "." is the owner,
    which has no addresses): such an endpoint is in the descriptor only."""
    from cid.layout import endpoint_svcb, svcb_rdata  # noqa: PLC0415

    ep = cid.Endpoint("quic", "https", host, 4433, alpn=("h3",))
    assert svcb_rdata(ep) is None
    # The registration form (spec §8.8.4), read only by cid serve, keeps the address.
    assert f"hint={host}" in endpoint_svcb(ep).to_text().replace('"', "")
    # The demo's GH200 has gh.acme.example and 192.0.2.44: one SVCB record, by name.
    reg = write_demo(tmp_path / "reg", now=NOW)
    gh = cid.parse(
        "ucid:acme.hpc/de-by/neoverse-v2+sm90/acc=4;acc-model=gh200;acc-mem=96GiB;ic=nvlink4;"
        "mem=480GiB"
    ).to_dns_name("ucid.example")
    zone, _ = reg.assemble("acme.hpc.ucid.example", now=NOW)
    node = zone.get_node(gh)
    assert node is not None and node.get_rdataset(dns.rdataclass.IN, TYPE_DESCRIPTOR)
    mirrors = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SVCB)
    assert mirrors is not None
    assert [r.to_text() for r in mirrors] == ['1 gh.acme.example. alpn="h2" port="443"']
    for name in reg.zones:
        text = zone_text(reg.assemble(name, now=NOW)[0])
        assert not [line for line in text.splitlines() if " SVCB " in line and "hint" in line]
