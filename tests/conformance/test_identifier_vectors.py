"""The identifier vectors (conformance/vectors, profile "identifier"): valid against
the schema, traced to requirement ids that exist in spec/identifier.md, covering
every requirement (or listing it as untestable), and agreeing with the reference
library's public API."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import cid

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "conformance" / "vectors"
SPEC = ROOT / "spec" / "identifier.md"
SCHEMA = json.loads((ROOT / "conformance" / "schema" / "vectors.schema.json").read_text())
UNTESTABLE: dict[str, str] = json.loads((ROOT / "conformance" / "untestable.json").read_text())
FLAGS: dict[str, str] = json.loads((ROOT / "conformance" / "flags.json").read_text())

TAG = re.compile(r"\[(ID-[^\]]*)\]")
WELL_FORMED = re.compile(r"ID-(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*-[1-9][0-9]*")
HEADING = re.compile(r"^#{2,4} ([0-9]+(?:\.[0-9]+)*)\.? ")


def _files() -> list[Path]:
    out = []
    for path in sorted(VECTORS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if any(c["profile"] == "identifier" for c in data["cases"]):
            out.append(path)
    return out


FILES = _files()
CASES: list[dict[str, Any]] = [
    c
    for path in FILES
    for c in json.loads(path.read_text(encoding="utf-8"))["cases"]
    if c["profile"] == "identifier" and c["status"] == "active"
]


def _spec_tags() -> list[tuple[str, str]]:
    """(tag, the section it is written in), in order; format descriptions excluded."""
    tags: list[tuple[str, str]] = []
    section = ""
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        heading = HEADING.match(line)
        if heading:
            section = heading.group(1)
        for tag in TAG.findall(line):
            if tag != "ID-<section>-<n>":
                tags.append((tag, section))
    return tags


TAGS = [t for t, _ in _spec_tags()]


def test_there_are_identifier_vectors() -> None:
    assert FILES
    assert len(CASES) >= 350


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_vector_file_matches_the_schema(path: Path) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(path.read_text(encoding="utf-8")))


def test_spec_tags_are_well_formed_unique_and_in_their_section() -> None:
    seen: set[str] = set()
    numbers: dict[str, list[int]] = {}
    for tag, section in _spec_tags():
        assert WELL_FORMED.fullmatch(tag), tag
        assert tag not in seen, f"{tag} appears twice"
        seen.add(tag)
        tag_section, n = tag[3:].rsplit("-", 1)
        assert tag_section == section, f"{tag} is written in section {section}"
        numbers.setdefault(section, []).append(int(n))
    for section, ns in numbers.items():
        # ids are never renumbered; in the first numbering they run 1, 2, 3, ...
        assert sorted(ns) == list(range(1, len(ns) + 1)), section


def test_every_requirement_cited_exists() -> None:
    known = set(TAGS)
    for case in CASES:
        for req in case["requirements"]:
            assert req in known, f"{case['id']} cites {req}"
    for req in UNTESTABLE:
        if req.startswith("ID-"):
            assert req in known, f"untestable {req} is not in the spec"


def test_every_requirement_is_covered_or_untestable() -> None:
    used = {r for c in CASES for r in c["requirements"]}
    missing = [t for t in TAGS if t not in used and t not in UNTESTABLE]
    assert not missing, f"neither tested nor listed as untestable: {missing}"
    both = [t for t in TAGS if t in used and t in UNTESTABLE]
    assert not both, f"tested yet listed as untestable: {both}"
    for req, reason in UNTESTABLE.items():
        assert reason.strip(), req


def test_every_flag_is_documented() -> None:
    for case in CASES:
        for flag in case["flags"]:
            assert flag in FLAGS, f"{case['id']}: flag {flag}"


def _run(case: dict[str, Any]) -> dict[str, Any]:
    """The case's operation through cid's public API, as an adapter would answer."""
    op, inp = case["operation"], case["input"]
    try:
        if op == "parse":
            ident = cid.parse(inp["text"])
            result: dict[str, Any] = {
                "canonical": str(ident),
                "provider": ident.provider,
                "region": ident.region,
                "cpu": ident.cpu,
                "accelerators": list(ident.accelerators),
                "capabilities": [str(c) for c in ident.capabilities],
            }
        elif op == "canonicalize":
            result = {"canonical": str(cid.parse(inp["text"]))}
        elif op == "to_dns_name":
            result = {"name": cid.parse(inp["text"]).to_dns_name(inp["root"])}
        elif op == "from_dns_name":
            result = {"canonical": str(cid.Identifier.from_dns_name(inp["name"], inp["root"]))}
        elif op == "parse_pattern":
            result = {"canonical": str(cid.parse_pattern(inp["pattern"]))}
        elif op == "match":
            pattern = cid.parse_pattern(inp["pattern"])
            result = {"matches": pattern.matches(cid.parse(inp["text"]))}
        else:  # pragma: no cover - the schema's operations of the profile
            raise AssertionError(op)
    except cid.IdentifierError as e:
        return {"status": "error", "code": "INVALID_IDENTIFIER", "position": e.position}
    return {"status": "ok", "result": result}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_reference_gives_the_expected_result(case: dict[str, Any]) -> None:
    expected = case["expected"]
    got = _run(case)
    if expected["result"] == "valid":
        assert got["status"] == "ok", got
        for member, value in expected["output"].items():
            assert got["result"][member] == value, member
    elif expected["result"] == "invalid":
        assert got["status"] == "error", got
        assert got["code"] in expected["errors"]
        if "position" in expected:
            assert got["position"] == expected["position"]
    # "acceptable": either answer passes
