"""The suite as a whole: its files are well-formed, stable and up to date, every
requirement is traced, every code of the spec's vocabulary is reached, and the
reference implementation passes every case through the real runner and adapter."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from conformance._cases import VECTORS, load_cases
from conformance._cli import main
from conformance._coverage import coverage, requirements_in_spec
from conformance.generate.__main__ import render

ROOT = VECTORS.parent
SCHEMA = json.loads((ROOT / "schema" / "vectors.schema.json").read_text())
OUTCOMES = {
    "NOT_FOUND",
    "NO_LIVE_ENDPOINTS",
    "BOGUS",
    "EXPIRED",
    "ROLLBACK",
    "TIMEOUT",
    "SERVFAIL",
    "LAME_DELEGATION",
    "LOOP",
    "LIMIT_EXCEEDED",
    "INVALID_IDENTIFIER",
}
DESCRIPTOR_CODES = {
    "OVERSIZE",
    "ENCODING",
    "UNKNOWN_KEY",
    "SIGNATURE",
    "CRITICAL_EXTENSION",
    "NOT_YET_VALID",
    "EXPIRED",
    "ROLLBACK",
    "DESCRIPTOR",
}


def vector_files() -> list[Path]:
    return sorted(VECTORS.glob("*.json"))


def test_the_schema_is_a_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", vector_files(), ids=lambda p: p.name)
def test_vector_files_follow_the_schema(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text()), SCHEMA)


def test_regeneration_is_byte_identical() -> None:
    stale = [str(p) for p, text in render().items() if not p.exists() or p.read_text() != text]
    assert stale == []


def test_case_ids_are_stable_and_never_reused() -> None:
    cases = load_cases()
    issued = set((VECTORS / "ids.txt").read_text().split())
    present = {c.id for c in cases}
    # Every id ever issued is still a case (a withdrawn one stays, marked withdrawn).
    assert issued - present == set()
    assert present <= issued
    for c in cases:
        if c.status == "withdrawn":
            assert c.id in issued


def test_scale_and_vocabulary() -> None:
    cases = [c for c in load_cases() if c.active]
    assert len(cases) >= 600
    reached = Counter(code for c in cases for code in c.expected.get("errors", []))
    assert OUTCOMES - set(reached) == set()
    assert DESCRIPTOR_CODES - set(reached) == set()
    flags = json.loads((ROOT / "flags.json").read_text())
    assert {f for c in cases for f in c.flags} <= set(flags)


def test_every_requirement_is_traced() -> None:
    cov = coverage(load_cases())
    assert cov.unknown == {}
    assert cov.uncovered == []
    # untestable.json names only requirements the spec has, each with a reason.
    spec = requirements_in_spec()
    assert set(cov.untestable) <= set(spec)
    assert all(reason.strip() for reason in cov.untestable.values())


def test_the_reference_passes_every_case(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", "-q", "--json", str(report)], out=out, err=err)
    data = json.loads(report.read_text())
    failed = [c for c in data["cases"] if c["outcome"] != "pass"]
    assert failed == [], out.getvalue()[-4000:]
    assert status == 0
    selectable = [c for c in load_cases() if c.active and c.profile != "server"]
    assert data["counts"]["pass"] == len(selectable)


def test_coverage_command(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["coverage"], out=out, err=err) == 0
    assert "not tested" in out.getvalue().splitlines()[-1]
