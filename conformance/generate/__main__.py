"""``python -m conformance.generate [--check]``: write (or check) conformance/vectors/."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from . import AREA_MODULES
from ._common import Area

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "vectors"


def _text(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def render() -> dict[Path, str]:
    """Every file the generator writes, by path, with its text."""
    areas: list[Area] = []
    for name in AREA_MODULES:
        module = importlib.import_module(f"conformance.generate.{name}")
        areas.extend(module.build())
    files: dict[Path, str] = {}
    flags: dict[str, str] = {}
    untestable: dict[str, str] = {}
    ids: set[str] = set()
    for area in areas:
        data = area.to_json()
        path = VECTORS / f"{area.name}.json"
        if path in files:
            raise ValueError(f"two areas are named {area.name}")
        files[path] = _text(data)
        for flag, meaning in area.flags.items():
            if flags.setdefault(flag, meaning) != meaning:
                raise ValueError(f"flag {flag} has two meanings")
        untestable.update(area.untestable)
        ids.update(c["id"] for c in data["cases"])
        for relative, text in area.files.items():
            extra = ROOT / relative
            if extra in files or not extra.resolve().is_relative_to(ROOT):
                raise ValueError(f"{area.name}: file {relative} clashes or is outside")
            files[extra] = text
    files[ROOT / "flags.json"] = _text(flags)
    files[ROOT / "untestable.json"] = _text(untestable)
    # Every id ever issued stays listed: none may disappear or be reused.
    known = VECTORS / "ids.txt"
    before = set(known.read_text().split()) if known.exists() else set()
    files[known] = "".join(f"{i}\n" for i in sorted(before | ids))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.generate",
        description="Write the conformance vectors, or check that they are up to date.",
        epilog="example: python -m conformance.generate --check",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; fail if a file differs"
    )
    args = parser.parse_args(argv)
    files = render()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT.parent)}", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path])
        print(f"wrote {path.relative_to(ROOT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
