"""Requirement coverage: every requirement id in the spec's text, the cases that test
it, and those no case tests (each must be listed as untestable, with why)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cid

from ._cases import Case

__all__ = ["SPEC_FILES", "Coverage", "coverage", "requirements_in_spec"]

SPEC_FILES: Final = ("identifier.md", "descriptor.md", "resolution.md", "status.md")
#: A requirement id as the spec writes it: [ID-9.1-3], [DS-8.2-4], [RS-12.4.1-2], [ST-7.2-9].
TAG: Final = re.compile(r"\[((?:ID|DS|RS|ST)-[0-9]+(?:\.[0-9]+)*-[0-9]+)\]")
UNTESTABLE: Final = Path(__file__).resolve().parent / "untestable.json"


def requirements_in_spec() -> dict[str, str]:
    """Every requirement id in the spec, in order, with the spec file that holds it."""
    out: dict[str, str] = {}
    for name in SPEC_FILES:
        text = cid.spec_path(name).read_text(encoding="utf-8")
        for match in TAG.finditer(text):
            out.setdefault(match.group(1), name)
    return out


@dataclass(frozen=True)
class Coverage:
    requirements: dict[str, str]  # id -> spec file
    tested_by: dict[str, list[str]]  # id -> case ids
    untestable: dict[str, str]  # id -> why
    unknown: dict[str, list[str]]  # ids cases name that the spec does not have -> case ids

    @property
    def uncovered(self) -> list[str]:
        """Requirements no active case tests and that are not listed as untestable."""
        return [
            r for r in self.requirements if not self.tested_by.get(r) and r not in self.untestable
        ]

    @property
    def ok(self) -> bool:
        return not self.uncovered and not self.unknown


def coverage(cases: Sequence[Case], untestable_path: Path = UNTESTABLE) -> Coverage:
    requirements = requirements_in_spec()
    untestable: dict[str, str] = (
        json.loads(untestable_path.read_text(encoding="utf-8")) if untestable_path.exists() else {}
    )
    tested_by: dict[str, list[str]] = {r: [] for r in requirements}
    unknown: dict[str, list[str]] = {}
    for case in cases:
        if not case.active:
            continue
        for req in case.requirements:
            if req in tested_by:
                tested_by[req].append(case.id)
            else:
                unknown.setdefault(req, []).append(case.id)
    return Coverage(requirements, tested_by, untestable, unknown)
