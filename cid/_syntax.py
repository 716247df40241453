"""Syntax of identifiers and patterns: the lark parser of ``spec/identifier.lark``.

Both parsers here return the same *raw* structures (token texts with their
positions). Everything decided after syntax (IDNA, registries, units, limits)
lives in ``_identifier`` and ``_pattern`` and is shared by both, so the fast path
and the grammar can only disagree on syntax, which the tests check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, NamedTuple

import lark

from ._errors import IdentifierError
from ._specfiles import spec_path

__all__ = [
    "FAST_ARCH",
    "FAST_ATTRIBUTE",
    "FAST_LABELS",
    "FAST_NAME",
    "FAST_REGION",
    "LOWER_PROVIDER",
    "LOWER_REGION",
    "MAX_INPUT",
    "RawAttribute",
    "RawIdentifier",
    "RawPattern",
    "Tok",
    "lark_identifier",
    "lark_parser",
    "lark_pattern",
]

#: Longest accepted input, checked before any parsing (spec §8).
MAX_INPUT: Final = 512


class Tok(NamedTuple):
    text: str
    pos: int


class RawAttribute(NamedTuple):
    key: Tok
    value: Tok | None
    kind: str | None  # the value's terminal: QUANTITY, INTEGER, NAME; None for a flag
    op: str | None = None  # patterns only: the CMP text, or "!" for an absence test


@dataclass(slots=True)
class RawIdentifier:
    provider: list[Tok]
    region: Tok
    arch: list[Tok]
    attributes: list[RawAttribute]


@dataclass(slots=True)
class RawPattern:
    provider_any: bool = True  # "*" alone, or "*." before a suffix
    provider: list[Tok] = field(default_factory=list)
    region: Tok | None = None
    region_prefix: bool = False  # REGION "-" ANY
    arch: list[Tok] = field(default_factory=list)  # first may be "*" (any CPU)
    constraints: list[RawAttribute] = field(default_factory=list)


# ------------------------------------------------------------------ lark path

_parser: lark.Lark | None = None


def lark_parser() -> lark.Lark:
    """The LALR parser built from ``spec/identifier.lark`` (loaded on first use)."""
    global _parser
    if _parser is None:
        _parser = lark.Lark(
            spec_path("identifier.lark").read_text("utf-8"),
            parser="lalr",
            lexer="contextual",
            start=["identifier", "pattern"],
            maybe_placeholders=True,
            # Case-insensitive means ASCII only: without this, "ı" would match
            # "i" in ucid: and the Kelvin sign "K" would match "k".
            g_regex_flags=re.ASCII,
        )
    return _parser


_DESCRIBE: Final = {
    "SCHEME": "'ucid:'",
    "LABEL": "a provider label",
    "REGION": "a region code (such as cn-gd)",
    "ARCH": "an architecture name",
    "NAME": "a name",
    "INTEGER": "an integer without leading zeros",
    "QUANTITY": "a number with a unit (such as 512GiB)",
    "CMP": "a comparison (= != < <= > >=)",
    "ANY": "'*'",
    "NOT": "'!'",
    "SLASH": "'/'",
    "DOT": "'.'",
    "PLUS": "'+'",
    "SEMICOLON": "';'",
    "EQUAL": "'='",
    "MINUS": "'-'",
    "$END": "the end",
}


def _expected(names: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(_DESCRIBE.get(n, n) for n in names))


_UNITS_HINT: Final = (
    "unknown unit; units are case-sensitive: B kB MB GB TB PB EB KiB MiB GiB TiB PiB EiB,"
    " bps kbps Mbps Gbps Tbps Pbps, Hz kHz MHz GHz"
)


def _after_number(text: str, pos: int) -> bool:
    # A letter right after a digit in a value: almost always a mistyped unit.
    return 0 < pos < len(text) and text[pos].isalpha() and text[pos - 1].isdigit()


def _lark_error(text: str, exc: lark.exceptions.LarkError) -> IdentifierError:
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        if _after_number(text, pos) and "QUANTITY" in exc.allowed:
            return IdentifierError(_UNITS_HINT, text, pos)
        return IdentifierError(
            f"unexpected character {text[pos]!r}; expected {_expected(exc.allowed)}", text, pos
        )
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        pos = exc.token.start_pos or 0
        if exc.token.type != "$END" and _after_number(text, pos) and "=" in text[:pos]:
            return IdentifierError(_UNITS_HINT, text, pos)
        if exc.token.type == "$END":
            return IdentifierError(
                f"unexpected end of input; expected {_expected(exc.expected)}", text, len(text)
            )
        return IdentifierError(
            f"unexpected {exc.token.value!r}; expected {_expected(exc.expected)}",
            text,
            pos,
        )
    if isinstance(exc, lark.exceptions.UnexpectedEOF):
        return IdentifierError("unexpected end of input", text, len(text))
    return IdentifierError(f"not a valid UCID: {exc}", text, None)


def _parse_tree(text: str, start: str) -> lark.Tree[lark.Token]:
    if len(text) > MAX_INPUT:
        raise IdentifierError(f"longer than {MAX_INPUT} characters", text, MAX_INPUT)
    try:
        return lark_parser().parse(text, start=start)
    except lark.exceptions.LarkError as exc:
        raise _lark_error(text, exc) from None


def _tok(token: lark.Token) -> Tok:
    return Tok(str(token), token.start_pos or 0)


def _tokens(tree: lark.Tree[lark.Token]) -> list[Tok]:
    return [_tok(t) for t in tree.children if isinstance(t, lark.Token)]


def _attribute(tree: lark.Tree[lark.Token]) -> RawAttribute:
    # attribute: NAME ["=" value]
    # constraint: NAME | NOT NAME | NAME CMP value
    first, *rest = tree.children
    assert isinstance(first, lark.Token)
    if first.type == "NOT":
        name = rest[0]
        assert isinstance(name, lark.Token)
        return RawAttribute(_tok(name), None, None, "!")
    op: str | None = None
    if rest and isinstance(rest[0], lark.Token):  # CMP
        op = str(rest.pop(0))
    value = rest[0] if rest else None
    if value is None:
        return RawAttribute(_tok(first), None, None, op)
    assert isinstance(value, lark.Tree)
    (token,) = value.children
    assert isinstance(token, lark.Token)
    return RawAttribute(_tok(first), _tok(token), token.type, op if op else "=")


def lark_identifier(text: str) -> RawIdentifier:
    """Parse ``text`` with the grammar's ``identifier`` rule."""
    # identifier: SCHEME provider "/" region "/" arch ["/" capabilities]
    _, provider, region, arch, caps = _parse_tree(text, "identifier").children
    assert isinstance(provider, lark.Tree) and isinstance(region, lark.Tree)
    assert isinstance(arch, lark.Tree)
    attributes = []
    if isinstance(caps, lark.Tree):
        attributes = [_attribute(a) for a in caps.children if isinstance(a, lark.Tree)]
    # The "=" of an identifier attribute is implied by a value; keep op None there.
    attributes = [a._replace(op=None) for a in attributes]
    return RawIdentifier(_tokens(provider), _tokens(region)[0], _tokens(arch), attributes)


def lark_pattern(text: str) -> RawPattern:
    """Parse ``text`` with the grammar's ``pattern`` rule."""
    # pattern: SCHEME provider_pattern ["/" region_pattern ["/" arch_pattern ["/" constraints]]]
    _, provider, region, arch, constraints = _parse_tree(text, "pattern").children
    raw = RawPattern()
    assert isinstance(provider, lark.Tree)
    # provider_pattern: ANY | ANY "." provider | provider
    for child in provider.children:
        if isinstance(child, lark.Tree):
            raw.provider = _tokens(child)
    raw.provider_any = any(isinstance(c, lark.Token) and c.type == "ANY" for c in provider.children)
    if isinstance(region, lark.Tree):
        # region_pattern: ANY | REGION | REGION "-" ANY
        toks = [c for c in region.children if isinstance(c, lark.Token)]
        if toks[0].type == "REGION":
            raw.region = _tok(toks[0])
            raw.region_prefix = len(toks) > 1
    if isinstance(arch, lark.Tree):
        # arch_pattern: (ANY | ARCH) ("+" ARCH)*   -- "*" alone means any
        raw.arch = _tokens(arch)
        if len(raw.arch) == 1 and raw.arch[0].text == "*":
            raw.arch = []
    if isinstance(constraints, lark.Tree):
        raw.constraints = [_attribute(c) for c in constraints.children if isinstance(c, lark.Tree)]
    return raw


# ------------------------------------------------------------------ fast path
# The same terminals as spec/identifier.lark, restricted to ASCII input and
# joined into one expression. It must never accept what the grammar rejects;
# anything it does not match goes to the lark parser (tests/property/).

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
#: _LABEL without two hyphens in a row (so neither reserved nor an A-label).
_PLAIN_LABEL = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_ULABEL = (  # the grammar's LABEL itself, Unicode included
    r"[a-z0-9\u0080-\U0010ffff](?:[a-z0-9\u0080-\U0010ffff-]*[a-z0-9\u0080-\U0010ffff])?"
)
_REGION = r"[a-z]{2}(?:-[a-z0-9]{1,8}){0,3}"
_ARCH = r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?"
_NAME = r"[a-z][a-z0-9-]*"
_INTEGER = r"(?:0|[1-9][0-9]*)"
_QUANTITY = (
    r"(?-i:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?"
    r"(?:KiB|MiB|GiB|TiB|PiB|EiB|kB|MB|GB|TB|PB|EB|B|kbps|Mbps|Gbps|Tbps|Pbps|bps|kHz|MHz|GHz|Hz))"
)
# The lexer tries QUANTITY before INTEGER and NAME (priority 2); a value must
# then end at ";" or the end of input.
_ATTR = rf"{_NAME}(?:=(?:{_QUANTITY}(?=;|$)|{_INTEGER}(?=;|$)|{_NAME}))?"

#: identifier: SCHEME provider "/" region "/" arch ["/" capabilities], split on
#: its separators ("/" and ";" occur in no terminal); each part has its own test.
#: A plain provider, lowercase ASCII: at most 8 (MAX_PROVIDER_LABELS) plain labels.
#: The LOWER_ expressions take text already lowercased, without IGNORECASE, which
#: makes a match about twice as dear.
LOWER_PROVIDER: Final = re.compile(rf"{_PLAIN_LABEL}(?:\.{_PLAIN_LABEL}){{0,7}}").fullmatch
LOWER_REGION: Final = re.compile(_REGION).fullmatch
#: The provider as the grammar has it, U-labels included: the fast path's test of
#: a provider that is not plain ASCII (IDNA then decides).
FAST_LABELS: Final = re.compile(rf"(?i){_ULABEL}(?:\.{_ULABEL})*", re.ASCII).fullmatch
FAST_REGION: Final = re.compile(rf"(?i){_REGION}", re.ASCII).fullmatch
FAST_ARCH: Final = re.compile(rf"(?i){_ARCH}(?:\+{_ARCH})*", re.ASCII).fullmatch
FAST_ATTRIBUTE: Final = re.compile(rf"(?i){_ATTR}", re.ASCII).fullmatch
FAST_NAME: Final = re.compile(rf"(?i){_NAME}", re.ASCII).fullmatch
