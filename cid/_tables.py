"""The architecture and capability registries of ``spec/registries/`` (identifier spec §6, §7)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

from ._specfiles import spec_path

__all__ = [
    "ARCHITECTURES",
    "ARCH_ALIASES",
    "CAPABILITY_TYPES",
    "Architecture",
    "satisfies",
]


@dataclass(frozen=True, slots=True)
class Architecture:
    """One registered architecture and everything it satisfies (itself included)."""

    name: str
    kind: str  # "cpu" or "accelerator"
    description: str
    satisfies: frozenset[str]


def _load_architectures() -> tuple[dict[str, Architecture], dict[str, str]]:
    data = json.loads(spec_path("registries/architectures.json").read_text("utf-8"))
    entries = {e["name"]: e for e in data["architectures"]}
    aliases: dict[str, str] = {}
    closure: dict[str, frozenset[str]] = {}

    def close(name: str, stack: tuple[str, ...]) -> frozenset[str]:
        if name in stack:
            raise ValueError(f"architecture registry has a cycle through {name}")
        if name not in closure:
            found = {name}
            for parent in entries[name]["satisfies"]:
                found |= close(parent, (*stack, name))
            closure[name] = frozenset(found)
        return closure[name]

    archs = {}
    for name, entry in entries.items():
        archs[name] = Architecture(name, entry["kind"], entry["description"], close(name, ()))
        for alias in entry["aliases"]:
            aliases[alias] = name
    return archs, aliases


ARCHITECTURES, ARCH_ALIASES = _load_architectures()

CAPABILITY_TYPES: Final[dict[str, str]] = {
    e["key"]: e["type"]
    for e in json.loads(spec_path("registries/capabilities.json").read_text("utf-8"))[
        "capabilities"
    ]
}


def satisfies(have: str, want: str) -> bool:
    """True when code built for architecture ``want`` runs on ``have`` (spec §6.2).

    Unregistered names satisfy only themselves.
    """
    if have == want:
        return True
    entry = ARCHITECTURES.get(have)
    return entry is not None and want in entry.satisfies
