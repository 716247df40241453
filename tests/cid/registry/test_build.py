"""Building a registry (cid/registry/_build.py): worker processes write what the build
in-process writes, byte for byte, and report it in the same order."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import cid
from cid.atomic import AtomicWriter, write_durable
from cid.registry import _build
from cid.registry._store import Registry, RegistryError
from cid.registry._zone import NameServer

NOW = 1_795_000_000
ROOT = "ucid.example"
PROVIDER = f"acme.east.{ROOT}"
REGIONS = ["cn-gd", "cn-bj", "de-by", "us-ca"]
CPUS = ["x86-64-v4+sm90", "neoverse-v2", "aarch64", "x86-64-v3+gfx942"]


def _spec(i: int) -> dict[str, Any]:
    """A varied source: optional members present, absent or null, 1-3 endpoints."""
    attrs = [f"cpu={32 * (1 + i % 4)}", f"mem={256 << (i % 3)}GiB"]
    if i % 5 == 0:
        attrs.append("sriov")
    subject = f"ucid:acme.east/{REGIONS[i % 4]}/{CPUS[i % 4]}/{';'.join(attrs)};net-bw={i + 1}Gbps"
    endpoints: list[dict[str, Any]] = [
        {"transport": "tcp", "protocol": "https", "host": f"gw{i}.acme.example", "port": 443}
    ]
    if i % 2:
        endpoints.append(
            {
                "transport": "udp",
                "protocol": "quic",
                "host": "192.0.2.7",
                "port": 4433,
                "alpn": ["h3"],
                "priority": 2,
                "weight": 5,
                "region": REGIONS[i % 4],
            }
        )
    if i % 7 == 3:
        endpoints.append(
            {"transport": "tcp", "protocol": "grpc", "host": "rpc.acme.example", "port": 8443}
        )
    spec: dict[str, Any] = {"subject": subject, "version": 1 + i % 3, "endpoints": endpoints}
    if i % 3 == 1:
        spec["ext"] = {"x-tier": ["gold", i], "x-flag": i % 2 == 0}
    if i % 4 == 2:
        spec |= {"issued_at": NOW - 100, "not_before": NOW - 50, "expires": NOW + 86400 * 3}
    if i % 6 == 5:
        spec |= {"capabilities": None, "crit": None, "ext": None}
    return spec


@pytest.fixture
def varied(tmp_path: Path) -> Path:
    """A registry built once, then edited: some sources new, some changed, some as they were."""
    reg = Registry.create(tmp_path / "varied", ROOT)
    reg.add_zone(ROOT, None, [NameServer(f"ns1.{ROOT}", ("127.0.0.2",))])
    reg.add_zone(f"east.{ROOT}", ROOT, [NameServer(f"ns1.east.{ROOT}", ("127.0.0.3",))])
    reg.add_zone(PROVIDER, f"east.{ROOT}", [NameServer(f"ns1.{PROVIDER}", ("127.0.0.4",))])
    for i in range(30):
        reg.add_source(PROVIDER, f"s{i:03d}", _spec(i))
    reg.build(now=NOW)
    for i in range(30, 45):
        reg.add_source(PROVIDER, f"s{i:03d}", _spec(i))  # new
    for i in range(0, 30, 4):
        spec = _spec(i)
        spec["endpoints"][0]["port"] = 8443  # changed: re-signed with a higher version
        reg.add_source(PROVIDER, f"s{i:03d}", spec)
    return reg.path


_POOLED = """
import json, sys
from pathlib import Path
import cid.registry._build as build
import cid.registry._store as store

build.POOL_MIN, build._CHUNK = 1, 4  # every zone in the pool, in many chunks
used = []
start = store.start_pool
store.start_pool = lambda workers, sizes: used.append(start(workers, sizes)) or used[-1]
events = []
try:
    store.Registry.load(sys.argv[1]).build(
        now=int(sys.argv[2]), workers=2, report=lambda e, p: events.append([e, str(p)])
    )
    fault = None
except store.RegistryError as exc:
    fault = str(exc)
print(json.dumps({"pool": [p is not None for p in used], "events": events, "fault": fault}))
"""


def _pooled(path: Path, now: int) -> dict[str, Any]:
    """Build in a fresh interpreter, with worker processes (this one may have threads)."""
    done = subprocess.run(
        [sys.executable, "-c", _POOLED, str(path), str(now)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["pool"] == [True]
    return result


def _in_process(path: Path, now: int) -> dict[str, Any]:
    events: list[list[str]] = []
    try:
        Registry.load(path).build(
            now=now, workers=1, report=lambda e, p: events.append([e, str(p)])
        )
        fault = None
    except RegistryError as exc:
        fault = str(exc)
    return {"events": events, "fault": fault}


def _files(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and "sources" not in p.parts
    }


def _twins(varied: Path) -> tuple[Path, Path]:
    pool, alone = varied.parent / "pool", varied.parent / "alone"
    shutil.copytree(varied, pool)
    shutil.copytree(varied, alone)
    return pool, alone


@pytest.mark.parametrize("later", [60, 5 * 86400])  # changed records; then every one re-signed
def test_worker_processes_write_the_same_bytes_as_the_build_in_process(
    varied: Path, later: int
) -> None:
    pool, alone = _twins(varied)
    pooled, serial = _pooled(pool, NOW + later), _in_process(alone, NOW + later)
    assert pooled["fault"] is serial["fault"] is None
    assert _files(pool) == _files(alone)
    assert [[e, str(Path(p).relative_to(pool))] for e, p in pooled["events"]] == [
        [e, str(Path(p).relative_to(alone))] for e, p in serial["events"]
    ]
    signed = [p for e, p in pooled["events"] if e == "signed" and "/descriptors/" in p]
    assert len(signed) == (30 if later == 60 else 45)  # 15 new, 8 changed, 7 near expiry
    keys = Registry.load(pool).verify_keys(PROVIDER)
    for path in signed:
        data = Path(path).read_bytes()
        try:
            rec = cid.verify(data, keys, now=NOW + later, issuer=PROVIDER)
        except cid.ExpiredError:  # its source gives its times, long past
            rec = cid.verify(data, keys, now=NOW, issuer=PROVIDER)
        assert Path(path).name == f"{_build.file_name(rec.subject)}.cose"
    assert not list(pool.rglob(".*.tmp"))


def test_worker_processes_report_a_bad_source_as_the_build_in_process_does(
    varied: Path,
) -> None:
    bad = varied / "zones" / PROVIDER / "sources" / "s017.json"
    bad.write_text(json.dumps(_spec(17) | {"subject": "ucid:not an identifier"}))
    pool, alone = _twins(varied)
    pooled, serial = _pooled(pool, NOW + 60), _in_process(alone, NOW + 60)
    assert pooled["fault"] == serial["fault"].replace(str(alone), str(pool))
    assert pooled["fault"].startswith(f"{pool / 'zones' / PROVIDER / 'sources' / 's017.json'}: ")
    # What was reported before the fault is what the build in-process reported.
    assert [p.replace(str(pool), "") for _, p in pooled["events"]] == [
        p.replace(str(alone), "") for _, p in serial["events"]
    ]
    assert pooled["events"][-1][1].endswith("s016.json")


def test_a_pool_only_for_large_zones_and_never_forked_beside_other_threads() -> None:
    assert _build.start_pool(2, [_build.POOL_MIN - 1, 3]) is None
    assert _build.start_pool(1, [_build.POOL_MIN]) is None
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _build.start_pool(2, [_build.POOL_MIN]) is None
    finally:
        stop.set()
        other.join()


def test_listing_orders_names_as_sorted_glob_does(tmp_path: Path) -> None:
    for name in ["b.json", "a.json", ".hidden.json", "B.json", "c.txt", "a.json.bak"]:
        (tmp_path / name).write_text("{}")
    (tmp_path / "dir.json").mkdir()
    assert _build.listing(tmp_path, ".json") == [p.name for p in sorted(tmp_path.glob("*.json"))]
    assert _build.listing(tmp_path / "missing", ".json") == []


def test_a_registry_file_that_cannot_be_read_names_itself(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_bytes(b"\xff{}")
    with pytest.raises(_build.SourceError, match=r"bad\.json: unreadable"):
        _build.read_json(tmp_path / "bad.json")
    with pytest.raises(_build.SourceError, match=r"gone\.json: missing"):
        _build.read_json(tmp_path / "gone.json")


def test_write_durable_sets_the_mode_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_durable(tmp_path / "a.cose", b"one")
        write_durable(tmp_path / "a.cose", b"two")
    finally:
        os.umask(old)
    assert (tmp_path / "a.cose").read_bytes() == b"two"
    assert stat.S_IMODE((tmp_path / "a.cose").stat().st_mode) == 0o644
    with pytest.raises(FileExistsError):
        write_durable(tmp_path / "a.cose", b"three", overwrite=False)
    assert [p.name for p in tmp_path.iterdir()] == ["a.cose"]  # no temporary file left


def test_a_stale_temporary_name_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import itertools  # noqa: PLC0415

    import cid.atomic  # noqa: PLC0415

    monkeypatch.setattr(cid.atomic, "_serial", itertools.count())
    (tmp_path / f".a.cose.{os.getpid()}-0.tmp").write_bytes(b"left by a crash")
    write_durable(tmp_path / "a.cose", b"new")
    assert (tmp_path / "a.cose").read_bytes() == b"new"


def test_the_writer_syncs_a_folder_others_wrote_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    with AtomicWriter() as writer:
        writer.add_folder(tmp_path)
    assert synced == [tmp_path.stat().st_ino]
