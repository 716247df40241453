"""The import rules that ARCHITECTURE.md states hold in the code.

The rules are read from the ``import-rules`` block of ARCHITECTURE.md, so the
document and this test cannot drift apart; each rule is also shown to catch a
violation, so that none of them passes by checking nothing.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cid", "resolver", "conformance")
# Longest first: a module belongs to the deepest project package that holds it.
UNITS = ("cid.registry", "cid.server", "cid.cli", "cid", "resolver", "conformance")


def rules() -> dict[str, set[str]]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(r"```import-rules\n(.*?)```", text, re.S)
    assert block, "ARCHITECTURE.md has no import-rules block"
    out: dict[str, set[str]] = {}
    for line in block.group(1).splitlines():
        if line.strip():
            unit, _, allowed = line.partition("->")
            out[unit.strip()] = {a.strip() for a in allowed.split(",") if a.strip()}
    return out


def unit_of(module: str) -> str | None:
    if module == "cid.__main__":
        return "cid.cli"  # ``python -m cid``: the command's entry point
    for unit in UNITS:
        if module == unit or module.startswith(unit + "."):
            return unit
    return None


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted
    names: tuple[str, ...]  # names imported from it (empty for "import x")
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(source: str, tree: ast.AST, is_package: bool) -> Iterator[Import]:
    """Every import of the project's modules in ``tree``, nested ones included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if unit_of(alias.name):
                    yield Import(source, alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = source.split(".") if is_package else source.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not unit_of(target):
                continue
            names = tuple(a.name for a in node.names)
            # "from cid import _cose" imports a module, not a name.
            for name in names:
                if is_module(f"{target}.{name}"):
                    yield Import(source, f"{target}.{name}", (), node.lineno)
            plain = tuple(n for n in names if not is_module(f"{target}.{n}"))
            if plain:
                yield Import(source, target, plain, node.lineno)


def is_module(dotted: str) -> bool:
    path = ROOT / Path(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def public_all(module: str) -> set[str]:
    return set(getattr(importlib.import_module(module), "__all__", ()))


def private(names: tuple[str, ...]) -> list[str]:
    return [n for n in names if n.startswith("_") and not n.endswith("__")]


def violations(source: str, text: str, is_package: bool) -> list[str]:
    """What in one module's source breaks the rules of ARCHITECTURE.md."""
    allowed = rules()
    unit = unit_of(source)
    assert unit is not None
    out = []
    for imp in imports(source, ast.parse(text), is_package):
        target_unit = unit_of(imp.target)
        assert target_unit is not None
        where = f"{source}:{imp.line} imports {imp.target}"
        if target_unit == unit:
            # Rule 2: within a package, no private names across modules.
            if private(imp.names):
                out.append(f"{where}: private names {private(imp.names)}")
            continue
        if target_unit not in allowed[unit]:
            out.append(f"{where}: {unit} may not import {target_unit}")
            continue
        if unit.startswith("cid.") and target_unit == "cid":
            # The subpackages of cid are part of the library (rule 1's exception).
            if private(imp.names):
                out.append(f"{where}: private names {private(imp.names)}")
            continue
        # Rule 1: only public modules, and names in their __all__.
        if any(part.startswith("_") for part in imp.target.split(".")):
            out.append(f"{where}: a private module of {target_unit}")
            continue
        missing = sorted(set(imp.names) - public_all(imp.target))
        if missing:
            out.append(f"{where}: {missing} not in its __all__")
    return out


def project_modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield module_name(path), path


def test_the_rules_are_stated() -> None:
    stated = rules()
    assert set(stated) == set(UNITS)
    assert stated["cid"] == set()


def test_every_import_follows_the_rules() -> None:
    found = []
    for name, path in project_modules():
        found += violations(name, path.read_text(encoding="utf-8"), path.name == "__init__.py")
    assert found == []


PRIVATE_USE = re.compile(r"\bcid(?:\.[a-z]\w*)*\._(?!_)\w")


@pytest.mark.parametrize("package", ["resolver", "conformance"])
def test_no_private_attribute_of_cid_is_used(package: str) -> None:
    # Imports are checked above; this catches "cid._descriptor.x" and the like.
    used = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE_USE.search(line)
    ]
    assert used == []


@pytest.mark.parametrize(
    ("line", "private"),
    [
        ("x = cid._descriptor.decode_unverified(b)", True),
        ("from cid._layout import X", True),
        ("cid.registry._store.Registry", True),
        ("cid.layout.TYPE_DESCRIPTOR", False),
        ("cid.__version__", False),
        ("resolver._cli", False),
    ],
)
def test_private_use_pattern(line: str, private: bool) -> None:
    assert bool(PRIVATE_USE.search(line)) is private


def test_no_import_cycles_among_cid_modules() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in project_modules():
        if unit_of(name) != "cid" or path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {
            imp.target
            for imp in imports(name, tree, False)
            if unit_of(imp.target) == "cid" and imp.target != "cid"
        }
    cycles = []
    for start in graph:
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        seen: set[str] = set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    cycles.append(" -> ".join((*trail, start)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*trail, nxt)))
    assert cycles == []


@pytest.mark.parametrize(
    ("source", "text", "broken"),
    [
        ("resolver._demo", "from cid._demo import write_demo", "a private module"),
        ("resolver._demo", "from cid.registry._demo import write_demo", "a private module"),
        ("resolver._demo", "import cid._authority", "a private module"),
        ("resolver._x", "from cid import _descriptor_fast", "a private module"),
        ("resolver._x", "from cid import not_a_public_name", "not in its __all__"),
        ("cid.registry._store", "from ..server import Authority", "may not import cid.server"),
        ("cid._zone", "from .cli import main", "may not import cid.cli"),
        ("cid._x", "import resolver", "may not import resolver"),
        ("cid._pattern", "from ._identifier import _provider", "private names"),
        ("cid.registry._x", "from .._zone import _generic", "private names"),
        ("cid.server._x", "from ._authority import _formerr", "private names"),
    ],
)
def test_the_checker_catches(source: str, text: str, broken: str) -> None:
    found = violations(source, text, False)
    assert len(found) == 1
    assert broken in found[0]


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("resolver._demo", "from cid.registry import write_demo"),
        ("resolver._cache", "from cid.atomic import write_atomic"),
        ("resolver._messages", "from cid.layout import TYPE_DESCRIPTOR"),
        ("cid.cli._descriptor", "from .. import _cose"),
        ("cid.registry._zone", "from .._descriptor import Descriptor"),
        ("cid._pattern", "from ._identifier import Identifier"),
    ],
)
def test_the_checker_allows(source: str, text: str) -> None:
    assert violations(source, text, False) == []
