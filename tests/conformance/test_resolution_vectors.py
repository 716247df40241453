"""The resolution vectors (conformance/vectors/resolution.json) and their fixtures.

The vectors validate against the schema, every requirement id they use exists in
spec/resolution.md, every id there is covered or listed as untestable, and the
reference resolver, configured from each request as an adapter would configure
it and pointed at the fixtures served by :class:`conformance._fixtures.FixtureSet`,
gives every resolve case's expected result.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import cid
from conformance._fixtures import FixtureSet
from resolver import Limits, ResolutionError, Resolver, TrustAnchor

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"
SPEC = CONFORMANCE.parent / "spec" / "resolution.md"
VECTORS = json.loads((CONFORMANCE / "vectors" / "resolution.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = VECTORS["cases"]
RESOLVE = [c for c in CASES if c["operation"] == "resolve" and c["status"] == "active"]
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


def spec_ids() -> list[str]:
    return re.findall(r"\[(RS-[0-9.]+-[0-9]+)\]", SPEC.read_text(encoding="utf-8"))


def test_schema() -> None:
    schema = json.loads((CONFORMANCE / "schema" / "vectors.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(VECTORS)


def test_requirement_ids() -> None:
    ids = spec_ids()
    assert len(ids) == len(set(ids)), "an id appears twice in spec/resolution.md"
    used = {r for c in CASES for r in c["requirements"] if r.startswith("RS-")}
    assert used <= set(ids), sorted(used - set(ids))
    untestable = json.loads((CONFORMANCE / "untestable.json").read_text())
    listed = {r for r in untestable if r.startswith("RS-")}
    assert listed <= set(ids)
    assert not (listed & used), "an id is both covered and untestable"
    assert set(ids) <= used | listed, sorted(set(ids) - used - listed)


def test_numbering() -> None:
    """Within a section, ids are 1, 2, 3 ... with none missing and none twice. A
    requirement added later takes the next number wherever it stands in the text,
    so the numbers need not run in document order."""
    numbers: dict[str, list[int]] = {}
    for rid in spec_ids():
        section, n = rid[3:].rsplit("-", 1)
        numbers.setdefault(section, []).append(int(n))
    for section, found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1)), section


def test_coverage() -> None:
    assert len(RESOLVE) >= 120
    reached = Counter(code for c in RESOLVE for code in c["expected"].get("errors", ()))
    assert set(reached) >= OUTCOMES, OUTCOMES - set(reached)
    server = [c for c in CASES if c["operation"] == "server"]
    assert server and all(c["profile"] == "server" for c in server)
    flags = json.loads((CONFORMANCE / "flags.json").read_text())
    assert {f for c in CASES for f in c["flags"]} <= set(flags)


def test_fixture_files() -> None:
    for manifest_path in sorted((CONFORMANCE / "fixtures").glob("*/fixture.json")):
        manifest = json.loads(manifest_path.read_text())
        for relative in manifest["zones"].values():
            assert (CONFORMANCE / "fixtures" / relative).is_file(), relative
    named = {c["input"].get("fixture") for c in CASES} | {
        s["fixture"] for c in CASES for s in c["input"].get("steps", ())
    }
    named.discard(None)
    for name in named:
        assert (CONFORMANCE / "fixtures" / name / "fixture.json").is_file(), name


# ------------------------------------------------------------------ the reference resolver


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Adapter:
    """The reference resolver behind the protocol of conformance/ADAPTER.md §4.10-§4.11:
    one resolver per case (its cache and version store are the case's state)."""

    def __init__(self) -> None:
        self.case: str | None = None
        self.resolver: Resolver | None = None
        self.clock = Clock()

    def resolve(self, case: str, request: dict[str, Any]) -> dict[str, Any]:
        if case != self.case or self.resolver is None:
            anchor = TrustAnchor.from_json(request["anchor"], port=request["port"])
            fwd = request.get("forwarder")
            self.resolver = Resolver(
                anchor,
                forwarder=(fwd["address"], fwd["port"]) if fwd else None,
                limits=Limits(deadline=float(request.get("timeout", 5))),
                wallclock=self.clock,
            )
            self.case = case
        self.clock.now = request["now"]
        try:
            found = self.resolver.resolve(request["identifier"])
        except ResolutionError as exc:
            return {"status": "error", "error": {"code": exc.outcome.name}}
        except cid.IdentifierError:
            return {"status": "error", "error": {"code": "INVALID_IDENTIFIER"}}
        desc = cid.descriptor_json(found.descriptor)
        for name in ("capabilities", "ext", "crit"):  # ADAPTER.md §4.8: members it holds
            if not desc[name]:
                del desc[name]
        return {
            "status": "ok",
            "result": {
                "descriptor": desc,
                "chain": list(found.chain),
                "endpoints": [desc["endpoints"][i] for i in _by_priority(desc["endpoints"])],
            },
        }


def _by_priority(endpoints: list[dict[str, Any]]) -> list[int]:
    return sorted(range(len(endpoints)), key=lambda i: endpoints[i]["priority"])


def _priority_groups(endpoints: list[dict[str, Any]]) -> list[tuple[int, list[str]]]:
    groups: list[tuple[int, list[str]]] = []
    for e in endpoints:
        text = json.dumps(e, sort_keys=True)
        if groups and groups[-1][0] == e["priority"]:
            groups[-1][1].append(text)
        else:
            groups.append((e["priority"], [text]))
    return [(p, sorted(texts)) for p, texts in groups]


def check(reply: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """Why ``reply`` does not give ``expected`` (as the runner compares), or None."""
    result = expected["result"]
    ok = reply["status"] == "ok"
    if result in ("valid", "acceptable") and ok and "output" in expected:
        out, want = reply["result"], expected["output"]
        for key in ("descriptor", "chain"):
            if out[key] != want[key]:
                return f"{key}: {out[key]!r} != {want[key]!r}"
        if _priority_groups(out["endpoints"]) != _priority_groups(want["endpoints"]):
            return f"endpoints: {out['endpoints']!r} != {want['endpoints']!r}"
        return None
    if result in ("invalid", "acceptable") and not ok:
        code = reply["error"]["code"]
        return None if code in expected.get("errors", ()) else f"error {code}, expected {expected}"
    return f"got {reply}, expected {expected['result']}"


@pytest.fixture(scope="module")
def fixtures() -> Iterator[FixtureSet]:
    with FixtureSet(CONFORMANCE) as served:
        yield served


@pytest.mark.parametrize("case", RESOLVE, ids=[c["id"] for c in RESOLVE])
def test_reference_resolver(case: dict[str, Any], fixtures: FixtureSet) -> None:
    adapter = Adapter()
    if "steps" in case["input"]:
        plan: list[tuple[int | None, dict[str, Any]]] = list(enumerate(case["expected"]["steps"]))
    else:
        plan = [(None, case["expected"])]
    for step, expected in plan:
        request = fixtures.request_input(case, step)  # serves the step's fixture
        start = time.monotonic()
        reply = adapter.resolve(case["id"], request)
        elapsed = time.monotonic() - start
        problem = check(reply, expected)
        assert problem is None, f"{case['comment']} (step {step}): {problem}"
        assert elapsed < float(request.get("timeout", 5)) + 1.5
    assert fixtures.errors() == [], "a fixture's behaviour raised: the fixture is broken"
