"""spec/identifier.lark is the one source: the parser is built from it, the fast
path uses the same terminals, and the registries are consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lark
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@given(st.text("ab09-", max_size=8))
def test_plain_label_is_label_without_two_hyphens_in_a_row(text: str) -> None:
    plain = re.fullmatch(_syntax._PLAIN_LABEL, text)
    assert bool(plain) == bool(re.fullmatch(_syntax._LABEL, text) and "--" not in text)


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


# ------------------------------------------------------------- §2.4 tables
# Spec §2.4 defines tokenisation by two state tables so that a parser can be
# written without lark. These tests derive the same facts from the grammar and
# check the tables against them, then run a tokenizer that follows the tables
# and nothing else against the reference parser.

Table = dict[str, tuple[list[tuple[str, str]], bool]]


def _spec_tables() -> dict[str, Table]:
    text = (SPEC / "identifier.md").read_text("utf-8")
    section = text[text.index("### 2.4 Tokenisation") : text.index("## 3. Textual form")]
    tables: dict[str, Table] = {"identifier": {}, "pattern": {}}
    for row in re.findall(r"^\| `([ip]\d+)` \| [a-z]+ \| (.+) \| (yes|no) \|$", section, re.M):
        state, moves, end = row
        table = tables["identifier" if state[0] == "i" else "pattern"]
        table[state] = (re.findall(r"`([^`]+)` → `([ip]\d+)`", moves), end == "yes")
    return tables


TABLES = _spec_tables()


def _terminal_names() -> dict[str, str]:
    """Spec spelling (NAME or "x") -> lark terminal name (anonymous ones too)."""
    names = {}
    for term in _syntax.lark_parser().terminals:
        names[term.name] = term.name
        if isinstance(term.pattern, lark.lexer.PatternStr) and not term.pattern.flags:
            names[f'"{term.pattern.value}"'] = term.name
    return names


NAMES = _terminal_names()


def test_spec_tables_are_complete() -> None:
    for start, first in (("identifier", "i0"), ("pattern", "p0")):
        table = TABLES[start]
        assert first in table
        targets = {nxt for moves, _ in table.values() for _, nxt in moves}
        assert targets <= set(table), f"{start}: a move to an undefined state"
        assert targets | {first} == set(table), f"{start}: an unreachable state"
        assert all(term in NAMES for moves, _ in table.values() for term, _ in moves)


@pytest.mark.parametrize("start", ["identifier", "pattern"])
def test_spec_tables_are_the_grammars(start: str) -> None:
    """Walk the table and lark's LALR parser together: in every parser state
    reached, the terminals the contextual lexer tries are the table's, and the
    parser accepts exactly those (and the end of input where the table says)."""
    table = TABLES[start]
    parser = _syntax.lark_parser()
    begin = parser.parse_interactive("", start=start)
    todo = [("i0" if start == "identifier" else "p0", begin)]
    seen: set[tuple[str, tuple[int, ...]]] = set()
    while todo:
        state, ip = todo.pop()
        key = (state, tuple(ip.parser_state.state_stack))
        if key in seen or len(key[1]) > 12:
            continue
        seen.add(key)
        moves, may_end = table[state]
        listed = {NAMES[term] for term, _ in moves}
        # lark's interactive parser is untyped: choices() are the lexer's terminals
        terminals = {t.name for t in parser.terminals}
        lexer_tries = {t for t in ip.choices() if t in terminals}  # type: ignore[no-untyped-call]
        assert lexer_tries == listed, state
        accepted = set(ip.accepts())  # type: ignore[no-untyped-call]
        assert accepted == listed | ({"$END"} if may_end else set()), state
        for term, nxt in moves:
            step = ip.copy()  # type: ignore[no-untyped-call]
            step.feed_token(lark.Token(NAMES[term], "x"))
            todo.append((nxt, step))
    assert {s for s, _ in seen} == set(table)


def _longest(term: str, text: str, pos: int) -> int:
    """Length of the longest non-empty prefix of text[pos:] in the terminal's
    language (0 if none): the spec's rule, computed without leftmost-first."""
    regex = re.compile(_syntax.lark_parser().get_terminal(term).pattern.to_regexp(), re.ASCII)
    for end in range(len(text), pos, -1):
        if regex.fullmatch(text, pos, end):
            return end - pos
    return 0


def _by_the_table(text: str, start: str) -> tuple[list[tuple[str, str, int]], int | None]:
    """Spec §2.4 steps 1-4: the tokens, and the error position (None if valid)."""
    table = TABLES[start]
    state, pos, tokens = ("i0" if start == "identifier" else "p0"), 0, []
    while pos < len(text):
        moves, _ = table[state]
        for term, nxt in moves:
            length = _longest(NAMES[term], text, pos)
            if length:
                tokens.append((NAMES[term], text[pos : pos + length], pos))
                state, pos = nxt, pos + length
                break
        else:
            return tokens, pos
    return tokens, None if table[state][1] else len(text)


def _by_lark(text: str, start: str) -> tuple[list[tuple[str, str, int]], int | None]:
    try:
        tree = _syntax.lark_parser().parse(text, start=start)
    except lark.exceptions.LarkError as exc:
        return [], _syntax._lark_error(text, exc).position
    tokens = tree.scan_values(lambda v: isinstance(v, lark.Token))
    return [(t.type, str(t), t.start_pos or 0) for t in tokens], None


DEFINED = set(
    re.findall(r"^([A-Z_]+)(?:\.\d+)?:", (SPEC / "identifier.lark").read_text("utf-8"), re.M)
)


def _named(tokens: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    # lark's tree keeps the terminals defined by name, not anonymous literals.
    return [t for t in tokens if t[0] in DEFINED]


FRAGMENTS = [
    *["ucid:", "UCID:", "ucıd:", "acme", "ACME", "a", "Z", "0", "1", "9", "08", "512", "1.5"],
    *[".", "/", "+", ";", "=", "-", "--", "*", "!", "!=", ">=", "<=", ">", "<", "_"],
    *["cn", "gd", "sz1", "abcdefghi", "x86-64", "x86_64", "sm90", "xn--", "-*"],
    *["GiB", "gib", "B", "Bps", "bps", "kbps", "Hz", "GHz", "kB", "KB", "EiB"],
    *["ü", "中", "א", "\u212a", " ", "%", "?", "#", "\u0301"],
]
SPEC_EXAMPLES = [
    "ucid:acme/cn/x86-64/acc=08",
    "ucid:acme/cn/x86-64/mem=512gib",
    "ucid:acme/cn/x86-64/mem=512GiB",
    "ucid:acme/cn/x86-64/mem=00GiB",
    "ucid:acme/cn/x86-64/mem=1.5",
    "ucid:acme/cn/x86-64/net-bw=5Bps",
    "ucid:acme-.example/cn/x86-64",
    "ucid:acme/cn-gd-shenzhen1/x86-64",
    "ucid:*/cn-*",
    "ucid:*.a.b/cn-gd-*/*+sm90/!x;y;z>=1.5GiB;w!=h800",
]


def _agree(text: str, start: str) -> None:
    mine, where = _by_the_table(text, start)
    theirs, lark_where = _by_lark(text, start)
    assert where == lark_where, (text, start)
    if where is None:
        assert _named(mine) == theirs, (text, start)


@pytest.mark.parametrize("start", ["identifier", "pattern"])
@pytest.mark.parametrize("text", SPEC_EXAMPLES)
def test_table_tokenizer_on_spec_examples(text: str, start: str) -> None:
    _agree(text, start)


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from(["identifier", "pattern"]),
    st.sampled_from(["ucid:", "ucid:*/", "ucid:a/cn/x86-64/", "ucid:*/*/*/", ""]),
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join),
)
def test_table_tokenizer_is_the_reference_parser(start: str, head: str, tail: str) -> None:
    """A tokenizer written from §2.4 alone gives lark's tokens and error positions."""
    _agree(head + tail, start)
