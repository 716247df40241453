"""The vectors as the runner sees them: cases loaded from conformance/vectors/, their
selection, and the expected failures a vendor declares."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "VECTORS",
    "Case",
    "ExpectedFailuresError",
    "load_cases",
    "read_expected_failures",
    "select",
    "vectors_digest",
]

#: The vectors shipped with the suite.
VECTORS = Path(__file__).resolve().parent / "vectors"


@dataclass(frozen=True)
class Case:
    """One case of a vector file (conformance/schema/vectors.schema.json)."""

    id: str
    area: str
    since: str
    status: str
    profile: str
    operation: str
    requirements: tuple[str, ...]
    flags: tuple[str, ...]
    comment: str
    input: dict[str, Any]
    expected: dict[str, Any]
    source: str = ""

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def steps(self) -> list[dict[str, Any]] | None:
        """The inputs of a case in steps (ADAPTER.md §4.11), or None."""
        steps = self.input.get("steps")
        return steps if isinstance(steps, list) else None


def _files(vectors: Path) -> list[Path]:
    return sorted(vectors.glob("*.json"))


def load_cases(vectors: Path = VECTORS) -> list[Case]:
    """Every case of every vector file, in file order; ids are unique."""
    cases: list[Case] = []
    seen: set[str] = set()
    for path in _files(vectors):
        data = json.loads(path.read_text(encoding="utf-8"))
        for raw in data["cases"]:
            if raw["id"] in seen:
                raise ValueError(f"{path.name}: case id {raw['id']} appears twice")
            seen.add(raw["id"])
            cases.append(
                Case(
                    id=raw["id"],
                    area=data["area"],
                    since=raw["since"],
                    status=raw["status"],
                    profile=raw["profile"],
                    operation=raw["operation"],
                    requirements=tuple(raw["requirements"]),
                    flags=tuple(raw["flags"]),
                    comment=raw["comment"],
                    input=raw["input"],
                    expected=raw["expected"],
                    source=raw.get("source", ""),
                )
            )
    return cases


def vectors_digest(vectors: Path = VECTORS) -> str:
    """SHA-256 over the vector files' names and bytes: which vectors a report ran."""
    digest = hashlib.sha256()
    for path in _files(vectors):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class ExpectedFailuresError(ValueError):
    """An expected-failures file that cannot be read."""


def read_expected_failures(path: Path, known: Iterable[str]) -> dict[str, str]:
    """``case-id  reason`` per line; ``#`` starts a comment. Every id must be a case."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExpectedFailuresError(f"{path}: {exc.strerror or exc}") from None
    ids = set(known)
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        case_id, _, reason = line.partition(" ")
        if case_id not in ids:
            raise ExpectedFailuresError(f"{path}:{number}: no case has the id {case_id!r}")
        if not reason.strip():
            raise ExpectedFailuresError(f"{path}:{number}: {case_id} needs a reason")
        out[case_id] = reason.strip()
    return out


def select(
    cases: Sequence[Case],
    *,
    profiles: Iterable[str] = (),
    operations: Iterable[str] | None = None,
    ids: Iterable[str] = (),
    areas: Iterable[str] = (),
) -> list[Case]:
    """The active cases of these profiles, operations, ids and areas (empty: any)."""
    want_profiles, want_ids, want_areas = set(profiles), set(ids), set(areas)
    want_ops = set(operations) if operations is not None else None
    return [
        c
        for c in cases
        if c.active
        and (not want_profiles or c.profile in want_profiles)
        and (want_ops is None or c.operation in want_ops)
        and (not want_ids or c.id in want_ids)
        and (not want_areas or c.area in want_areas)
    ]
