"""spec/identifier.lark is the one source: the parser is built from it, the fast
path uses the same terminals, and the registries are consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lark
import pytest

from cid import _syntax
from cid._tables import ARCH_ALIASES, ARCHITECTURES, CAPABILITY_TYPES
from cid._units import UNITS

SPEC = Path(__file__).resolve().parents[2] / "spec"


def _terminal(name: str) -> str:
    pattern = _syntax.lark_parser().get_terminal(name).pattern
    assert isinstance(pattern, lark.lexer.PatternRE)
    return pattern.value


def test_grammar_is_lalr_without_conflicts() -> None:
    # lark raises GrammarError on any shift/reduce or reduce/reduce conflict.
    lark.Lark(
        (SPEC / "identifier.lark").read_text("utf-8"),
        parser="lalr",
        start=["identifier", "pattern"],
    )


@pytest.mark.parametrize(
    ("terminal", "fast"),
    [
        ("REGION", _syntax._REGION),
        ("ARCH", _syntax._ARCH),
        ("NAME", _syntax._NAME),
        ("INTEGER", _syntax._INTEGER.removeprefix("(?:").removesuffix(")")),
    ],
)
def test_fast_path_terminals_are_the_grammars(terminal: str, fast: str) -> None:
    assert _terminal(terminal) == fast


def test_fast_label_is_the_ascii_part_of_label() -> None:
    assert _terminal("LABEL").replace("\x80-\U0010ffff", "") == _syntax._LABEL


def test_fast_quantity_is_the_grammars() -> None:
    inner = _syntax._QUANTITY.removeprefix("(?-i:").removesuffix(")")
    assert _terminal("QUANTITY") == inner
    assert (
        lark.Lark((SPEC / "identifier.lark").read_text("utf-8"), parser="lalr", start="identifier")
        .get_terminal("QUANTITY")
        .priority
        == 2
    )


def test_units_in_grammar_are_the_units_table() -> None:
    spelled = re.search(r"\(\?:(KiB[^)]*)\)$", _terminal("QUANTITY"))
    assert spelled is not None
    assert set(spelled.group(1).split("|")) == set(UNITS)


def test_architecture_registry() -> None:
    data = json.loads((SPEC / "registries/architectures.json").read_text("utf-8"))
    names = [e["name"] for e in data["architectures"]]
    assert len(names) == len(set(names))
    for entry in data["architectures"]:
        assert entry["kind"] in ("cpu", "accelerator")
        assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", entry["name"]), entry["name"]
        assert len(entry["name"]) <= 32
        for parent in entry["satisfies"]:
            assert ARCHITECTURES[parent].kind == entry["kind"]  # CPUs satisfy CPUs only
        for alias in entry["aliases"]:
            assert alias not in ARCHITECTURES and ARCH_ALIASES[alias] == entry["name"]
    assert ARCHITECTURES["x86-64-v4"].satisfies == {"x86-64-v4", "x86-64-v3", "x86-64-v2", "x86-64"}
    assert "sm70" in ARCHITECTURES["sm100"].satisfies
    assert ARCHITECTURES["gfx942"].satisfies == {"gfx942"}


def test_capability_registry() -> None:
    assert set(CAPABILITY_TYPES.values()) <= {"flag", "count", "size", "rate", "frequency", "token"}
    for key in CAPABILITY_TYPES:
        assert re.fullmatch(_syntax._NAME, key) and len(key) <= 32


def test_spec_quotes_the_grammar() -> None:
    """Every grammar rule quoted in spec/identifier.md is a rule of the .lark file."""
    doc = SPEC / "identifier.md"
    if not doc.exists():
        pytest.skip("spec/identifier.md not written yet")
    rules = {
        line.strip()
        for line in (SPEC / "identifier.lark").read_text("utf-8").splitlines()
        if re.match(r"^[A-Za-z_?][A-Za-z_0-9.]*:", line)
    }
    quoted = []
    for block in re.findall(r"```lark\n(.*?)```", doc.read_text("utf-8"), re.S):
        quoted += [
            ln.strip() for ln in block.splitlines() if re.match(r"^[A-Za-z_?][A-Za-z_0-9.]*:", ln)
        ]
    assert quoted, "the spec quotes no grammar rule in ```lark blocks"
    assert set(quoted) <= rules
    assert {r.split(":")[0] for r in rules} <= {q.split(":")[0] for q in quoted}
