"""Server mode (conformance/_server_check.py) against the reference server, Knot DNS and NSD.

The fixtures are exported as a vendor would get them (``conformance._fixtures.export``),
each server is loaded with the ``server_mode`` zones of the fixture, and every
``server`` case is run. The reference server must pass them all. Knot and NSD must
pass those about plain DNS behaviour; where they differ from the reference server as
spec/resolution.md §8 and §9 allow, the difference is listed here as an expectation
(their failing cases are exactly those), not skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dns.rdatatype
import dns.zone
import dnsservers
import pytest

from cid.server import Authority, ServerThread
from conformance._fixtures import export
from conformance._server_check import ask, run_server_mode

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"
CASES: list[dict[str, Any]] = [
    c
    for c in json.loads((CONFORMANCE / "vectors" / "resolution.json").read_text())["cases"]
    if c["operation"] == "server" and c["status"] == "active"
]
FIXTURES = sorted({c["input"]["fixture"] for c in CASES})

#: Cases that Knot DNS and NSD fail, by comment prefix, with why that is allowed.
#: (Filled from their actual behaviour; an empty entry means they pass everything.)
KNOWN: dict[str, dict[str, str]] = {"knot": {}, "nsd": {}}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixtures")
    written = export(CONFORMANCE, out)
    assert out / "README.md" in written
    return out


def _server_zones(exported: Path, fixture: str) -> dict[str, Path]:
    manifest = json.loads((exported / fixture / "fixture.json").read_text())
    return {z: exported / fixture / manifest["zones"][z] for z in manifest["server_mode"]}


def _cases(fixture: str) -> list[dict[str, Any]]:
    return [c for c in CASES if c["input"]["fixture"] == fixture]


def test_export(exported: Path) -> None:
    for fixture in FIXTURES:
        for path in _server_zones(exported, fixture).values():
            assert path.is_file()
    names = {p.parent.name for p in exported.glob("*/fixture.json")}
    assert names == {p.parent.name for p in (CONFORMANCE / "fixtures").glob("*/fixture.json")}


@pytest.mark.parametrize("fixture", FIXTURES)
def test_reference_server(exported: Path, fixture: str) -> None:
    zones = [
        dns.zone.from_file(str(path), origin=f"{name}.", relativize=False)
        for name, path in _server_zones(exported, fixture).items()
    ]
    with ServerThread(Authority(zones)) as server:
        host, port = server.bound[0]
        results = run_server_mode(host, port, _cases(fixture))
    failed = [(c["comment"], detail) for c, ok, detail in results if not ok]
    assert failed == []


def _failures(results: list[tuple[dict[str, Any], bool, str]]) -> dict[str, str]:
    return {c["comment"]: detail for c, ok, detail in results if not ok}


def _expected_failures(server: str, fixture: str) -> set[str]:
    known = KNOWN[server]
    return {c["comment"] for c in _cases(fixture) if any(c["comment"].startswith(k) for k in known)}


@pytest.fixture(params=["knot", "nsd"])
def other(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.realdns
@pytest.mark.parametrize("fixture", FIXTURES)
def test_other_servers(exported: Path, fixture: str, other: str) -> None:
    kind = dnsservers.KnotServer if other == "knot" else dnsservers.NsdServer
    with kind(_server_zones(exported, fixture)) as server:
        results = run_server_mode(server.address, server.port, _cases(fixture))
    failures = _failures(results)
    passed = len(results) - len(failures)
    print(f"{other}: {passed} of {len(results)} server cases of {fixture} pass")
    assert set(failures) == _expected_failures(other, fixture), failures


def _authority_of_answer(host: str, port: int) -> list[str]:
    mi = next(c for c in CASES if c["comment"] == "answer: the descriptor, byte for byte")
    response = ask(host, port, mi["input"]["query"])
    assert response.answer, "the descriptor is answered"
    return sorted(dns.rdatatype.to_text(r.rdtype) for r in response.authority)


@pytest.mark.realdns
def test_positive_answer_authority(exported: Path) -> None:
    """The one known difference, which the vectors allow (spec §8.1 leaves the authority
    section of a positive answer open): NSD adds the zone's NS RRset (and its glue),
    the reference server and Knot DNS leave it empty."""
    zones = _server_zones(exported, "honest")
    loaded = [
        dns.zone.from_file(str(p), origin=f"{n}.", relativize=False) for n, p in zones.items()
    ]
    with ServerThread(Authority(loaded)) as server:
        assert _authority_of_answer(*server.bound[0]) == []
    with dnsservers.KnotServer(zones) as knot:
        assert _authority_of_answer(knot.address, knot.port) == []
    with dnsservers.NsdServer(zones) as nsd:
        assert _authority_of_answer(nsd.address, nsd.port) == ["NS"]
