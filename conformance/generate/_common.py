"""What every area's generator shares: how a case is written, its stable id, and how a
vector file is laid out (conformance/schema/vectors.schema.json).

A case's id is derived from its operation and input, so regenerating gives the
same ids, a changed input gets a new id and an old id is never reused for other
input. ``conformance/vectors/ids.txt`` lists every id ever issued; a test checks
that none disappears (a case that goes away is kept, marked withdrawn).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["SUITE_VERSION", "Area", "Case", "case_id", "dumps"]

from .._cases import SUITE_VERSION

Result = Literal["valid", "invalid", "acceptable"]


def dumps(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def case_id(prefix: str, operation: str, input: Mapping[str, Any]) -> str:
    """``<prefix>-<10 hex digits>``: a digest of the operation and the input."""
    digest = hashlib.sha256(dumps([operation, input]).encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:10]}"


@dataclass
class Case:
    """One test case. ``expected`` is ``{"result": "valid", "output": {...}}``,
    ``{"result": "invalid", "errors": [codes], "position": n (optional)}`` or
    ``{"result": "acceptable", "flag": name, ...}`` (either answer passes; the flag
    names the policy choice)."""

    operation: str
    input: dict[str, Any]
    expected: dict[str, Any]
    requirements: Sequence[str]
    flags: Sequence[str] = ()
    comment: str = ""
    profile: str = "identifier"
    since: str = SUITE_VERSION
    status: Literal["active", "withdrawn"] = "active"
    withdrawn_reason: str = ""
    source: str = ""  # where the case comes from, when it is derived (e.g. a Wycheproof tcId)

    def to_json(self, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": case_id(prefix, self.operation, self.input),
            "since": self.since,
            "status": self.status,
            "profile": self.profile,
            "operation": self.operation,
            "requirements": sorted(set(self.requirements)),
            "flags": sorted(set(self.flags)),
            "comment": self.comment,
            "input": self.input,
            "expected": self.expected,
        }
        if self.source:
            out["source"] = self.source
        if self.status == "withdrawn":
            out["withdrawn_reason"] = self.withdrawn_reason
        return out


@dataclass
class Area:
    """One vector file: ``conformance/vectors/<name>.json``.

    ``flags`` documents every flag its cases use (name -> the kind of bug it
    catches); ``untestable`` lists the requirements of its spec that no case can
    test, each with why; ``files`` are other files its cases need.
    """

    name: str
    prefix: str
    description: str
    cases: list[Case] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)
    untestable: dict[str, str] = field(default_factory=dict)
    #: Other files the area's cases need (fixture hierarchies, zone files), by path
    #: relative to conformance/, with their text.
    files: dict[str, str] = field(default_factory=dict)

    def add(self, *cases: Case) -> None:
        self.cases.extend(cases)

    def extend(self, cases: Iterable[Case]) -> None:
        self.cases.extend(cases)

    def to_json(self) -> dict[str, Any]:
        cases = [c.to_json(self.prefix) for c in self.cases]
        seen: dict[str, dict[str, Any]] = {}
        for c in cases:
            if c["id"] in seen and seen[c["id"]] != c:
                raise ValueError(f"{self.name}: two different cases share the id {c['id']}")
            seen[c["id"]] = c
        return {
            "$schema": "../schema/vectors.schema.json",
            "suite_version": SUITE_VERSION,
            "area": self.name,
            "description": self.description,
            "cases": list(seen.values()),
        }
