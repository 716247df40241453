"""Loading a registry in ``cid serve``: the steps a large load reports as it goes, and
the descriptors a reload takes as verified by the load before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dns.message
import dns.name
import pytest

import cid
from cid._descriptor_json import descriptor_from_json
from cid._signed import verify as verify_signed
from cid.registry import CACHE, ImageNodes
from cid.registry import _store as store
from cid.registry._build import file_name
from cid.registry._demo import demo_key, write_demo
from cid.registry._store import Registry, ZoneInputs
from cid.server._live import LiveUpdates

NOW = 1_795_000_000


def test_a_load_reports_reading_assembling_and_indexing(tmp_path: Path) -> None:
    reg = write_demo(tmp_path / "reg", now=NOW)
    steps: list[tuple[str, int, int]] = []
    live = LiveUpdates(reg.path, now=NOW, progress=lambda *step: steps.append(step))
    names = sorted(reg.zones)
    assert [s for s, _, _ in steps if s.startswith("assembling")] == [
        f"assembling {n}" for n in names
    ]
    for name in names:
        count = len(list((reg.path / "zones" / name / "descriptors").glob("*.cose")))
        if count:
            assert (f"reading {name}", 0, count) in steps
    assert steps[-1] == ("indexing", 0, 0)
    assert live.authority.origins


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[Registry, str, ZoneInputs]:
    """The demo registry, its zone with the most descriptors, and that zone's inputs."""
    reg = write_demo(tmp_path / "reg", now=NOW)
    zone = max(reg.zones, key=lambda z: len(list(reg._folder(z).glob("descriptors/*.cose"))))
    return reg, zone, reg.inputs(zone, now=NOW)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    calls: list[bytes] = []

    def verify(data: bytes, *args: Any, **kw: Any) -> Any:
        calls.append(data)
        return verify_signed(data, *args, **kw)

    monkeypatch.setattr(store, "verify", verify)
    return calls


def test_a_reload_does_not_verify_again_what_it_verified_with_the_same_keys(
    loaded: tuple[Registry, str, ZoneInputs], monkeypatch: pytest.MonkeyPatch
) -> None:
    reg, zone, first = loaded
    assert first.static and first.keys
    calls = _counting(monkeypatch)
    again = reg.inputs(zone, now=NOW + 1, reuse=first)
    assert calls == [] and again.static == first.static and again.problems == first.problems
    # A file with other bytes is verified.
    path = sorted(reg._folder(zone).glob("descriptors/*.cose"))[0]
    path.write_bytes(path.read_bytes()[:-1] + b"\0")
    changed = reg.inputs(zone, now=NOW + 2, reuse=first)
    assert calls == [path.read_bytes()]
    assert [p.path for p in changed.problems] == [str(path)]


def test_reuse_ends_when_the_keys_change_or_a_record_expires(
    loaded: tuple[Registry, str, ZoneInputs], monkeypatch: pytest.MonkeyPatch
) -> None:
    reg, zone, first = loaded
    calls = _counting(monkeypatch)
    other = cid.SigningKey.from_seed(b"another-key".ljust(32, b"\0")).verify_key
    monkeypatch.setattr(reg, "verify_keys", lambda z: [other])
    untrusted = reg.inputs(zone, now=NOW, reuse=first)
    assert len(calls) == len(first.static) and not untrusted.static  # none verifies now
    monkeypatch.undo()
    calls = _counting(monkeypatch)
    late = max(d.record.expires for d in first.static) + 3600
    expired = reg.inputs(zone, now=late, reuse=first)
    assert len(calls) == len(first.static) and not expired.static
    assert expired.problems == reg.inputs(zone, now=late).problems


# ------------------------------------------------------------ compiled images

_TYPES = ("TYPE65280", "SVCB", "TXT", "PTR", "NS", "SOA", "A", "AAAA", "TYPE65281", "TYPE65282")


def _answers(authority: Any, names: list[dns.name.Name]) -> list[object]:
    """Every answer as sections of RRsets (their order aside: answers shuffle them)."""
    out: list[object] = []
    for name in names:
        for rdtype in _TYPES:
            query = dns.message.make_query(name, rdtype, use_edns=True)
            query.id = 7
            wire = authority.answer(query.to_wire())
            msg = dns.message.from_wire(wire)
            lines = [{x for rrset in s for x in str(rrset).splitlines()} for s in msg.sections]
            out.append((msg.rcode(), msg.flags, lines))
    return out


@pytest.mark.parametrize("edited", [False, True])
def test_a_restart_answers_from_the_images_as_from_assembly(tmp_path: Path, edited: bool) -> None:
    """``edited``: descriptor files added, replaced and removed since the images."""
    reg = write_demo(tmp_path / "reg", now=NOW)
    LiveUpdates(reg.path, now=NOW).write_images()  # as cid serve does once it answers
    images = sorted((reg.path / CACHE).glob("*.image"))
    assert len(images) == len(reg.zones)
    if edited:
        _edit(reg)
    assembled = LiveUpdates(reg.path, now=NOW + 1, images=False)
    restarted = LiveUpdates(reg.path, now=NOW + 1)
    names = [dns.name.from_text("nx.ucid.example"), dns.name.from_text("other.example")]
    for zone in assembled._state.built:
        assert zone.origin is not None
        served = restarted.authority.zone(zone.origin)
        assert served is not None and isinstance(served.nodes, ImageNodes)
        names += [n.derelativize(zone.origin) for n in zone.nodes]
        names += [dns.name.from_text("nx", origin=zone.origin)]
    assert _answers(restarted.authority, names) == _answers(assembled.authority, names)


def _edit(reg: Registry) -> None:
    zone = "acme.hpc.ucid.example"
    files = sorted((reg.path / "zones" / zone / "descriptors").glob("*.cose"))
    files[0].unlink()
    key = demo_key(zone)
    subjects = ["ucid:acme.hpc/de-by/aarch64/cpu=4", "ucid:acme.hpc/sg/aarch64/cpu=2"]
    for n, subject in enumerate(subjects):
        spec = {"subject": subject, "issuer": zone, "version": 1, "expires": NOW + 86400,
                "endpoints": [{"transport": "tcp", "protocol": "https",
                               "host": f"h{n}.acme.example", "port": 443}]}  # fmt: skip
        rec = descriptor_from_json(spec, NOW - 60, 86400)
        (files[0].parent / f"{file_name(subject)}.cose").write_bytes(cid.sign(rec, key))


def test_a_damaged_image_is_assembled_again_and_rewritten(tmp_path: Path) -> None:
    reg = write_demo(tmp_path / "reg", now=NOW)
    LiveUpdates(reg.path, now=NOW).write_images()
    zone = "acme.hpc.ucid.example"
    (image,) = (reg.path / CACHE).glob(f"{zone}.*.image")
    data = image.read_bytes()
    image.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    again = LiveUpdates(reg.path, now=NOW + 1)
    served = again.authority.zone(dns.name.from_text(zone))
    assert served is not None and not isinstance(served.nodes, ImageNodes)
    again.write_images()
    third = LiveUpdates(reg.path, now=NOW + 2)
    served = third.authority.zone(dns.name.from_text(zone))
    assert served is not None and isinstance(served.nodes, ImageNodes)


def test_without_images_nothing_is_read_or_written(tmp_path: Path) -> None:
    reg = write_demo(tmp_path / "reg", now=NOW)
    live = LiveUpdates(reg.path, now=NOW, images=False)
    live.write_images()
    assert not (reg.path / CACHE).exists()
    assert all(not isinstance(z.nodes, ImageNodes) for z in live._state.built)
