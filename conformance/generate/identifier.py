# ruff: noqa: E501
# (the tables of cases read best one case per line)
"""Vectors of the identifier profile (spec/identifier.md).

The inputs are chosen from the text of the specification: each rule, each
boundary on both sides, and the spellings that an implementation written from
scratch (in Go, Rust, JavaScript, ...) is likely to get wrong. The expected
results are computed with the reference library's public API; where the
specification itself states a result (its examples, its tables of canonical
forms, DNS names, matches and error positions), the generator asserts that the
reference agrees and fails loudly if it does not.

Every case names the requirement ids it tests (``[ID-<section>-<n>]`` in
spec/identifier.md) and the flags (bug classes) it catches; ``UNTESTABLE`` lists
the requirements that no case can test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import cid

from ._common import Area, Case, dumps

__all__ = ["FLAGS", "SPEC", "UNTESTABLE", "build", "spec_requirements"]

#: The specification whose requirement ids the cases cite.
SPEC = Path(__file__).resolve().parents[2] / "spec" / "identifier.md"

_TAG = re.compile(r"\[(ID-[0-9]+(?:\.[0-9]+)*-[0-9]+)\]")


def spec_requirements() -> list[str]:
    """The requirement ids of spec/identifier.md, in order of appearance."""
    return _TAG.findall(SPEC.read_text(encoding="utf-8"))


INVALID = "INVALID_IDENTIFIER"

#: Every flag (bug class) the identifier cases use, with what it catches.
FLAGS: dict[str, str] = {
    "alias-not-resolved": "an architecture alias kept as written, or resolved after sorting, comparing or measuring",
    "bidi": "the Bidi Rule of RFC 5893 not applied, applied to one label only, or applied to a name that is not a Bidi domain name",
    "binary-vs-decimal-unit": "kB/MB/... taken as powers of 1024 or KiB/MiB/... as powers of 1000",
    "bits-vs-bytes": "a rate unit accepted for a size (or the reverse), or bytes and bits confused",
    "case-folding": "letters not ASCII-lowercased where the spec says so, or lowercased where it does not (units)",
    "compat-order": "the architecture compatibility order reversed, not transitive, not reflexive, or crossing families",
    "constraint-order": "pattern constraints not sorted by key, then operator, then canonical text",
    "context-rule": "the CONTEXTJ/CONTEXTO rules of RFC 5892 Appendix A not applied, or applied wrongly",
    "dns-case": "the DNS mapping not lowercase, or its inverse not ASCII case-insensitive, or units not restored",
    "dns-non-canonical-accepted": "a DNS name that is not the forward mapping of its identifier accepted by the reverse mapping",
    "duplicate-not-merged": "duplicate pattern terms or constraints kept, or merged before alias resolution or canonicalisation",
    "duplicate-accepted": "a repeated architecture name or capability key accepted",
    "error-position": "the position of a fault other than the one section 12 defines",
    "float-arithmetic": "quantities converted with binary floating point instead of exact decimal arithmetic",
    "idna-a-label": "an xn-- label accepted without decoding and re-encoding it, or a reserved ?? -- label accepted",
    "idna-disallowed": "a code point that IDNA2008 does not make PVALID accepted (IDNA2003 or UTS #46 tables)",
    "idna-uts46-mapping": "UTS #46 mapping applied (uppercase, fullwidth, ideographic full stop, sharp s folded) instead of rejecting",
    "kind-not-checked": "an accelerator accepted as the CPU, or a CPU as an accelerator",
    "leading-zeros": "a count or quantity with leading zeros accepted",
    "limit-applied-to-pattern": "a limit that section 10.2 lifts for patterns enforced on them",
    "limit-not-applied-to-pattern": "a limit that applies to patterns not enforced on them",
    "limit-on-written-form": "a limit measured on the text as written instead of the canonical form (or the reverse)",
    "long-key-pattern": "a pattern constraint on a key longer than 32 characters rejected, or evaluated as if it could hold",
    "match-semantics": "a pattern test evaluated wrongly (absent keys, != on absent keys, types, strict subdomains or subregions)",
    "missing-check": "an invalid identifier accepted because a rule of sections 4 to 8 is not checked",
    "mixed-script-rejected": "a rule that the spec does not have (script mixing, confusables) enforced",
    "nfc": "input that is not in Unicode Normalization Form C normalised instead of rejected",
    "non-canonical-accepted": "a non-canonical spelling returned as canonical, or a canonical form not idempotent",
    "numeric-overflow": "a value above 2^63-1 accepted, or wrapped, or the maximum itself rejected",
    "off-by-one-limit": "a limit enforced one too early or one too late",
    "percent-decoding": "percent-encoded text decoded before parsing",
    "prefix-not-label-boundary": "a provider or region suffix/prefix test that does not stop at a label or subtag boundary",
    "regex-unicode-folding": "a case-insensitive regular expression that also folds non-ASCII letters (U+212A, U+017F, U+0130, U+0131)",
    "registered-type-not-checked": "a registered capability key accepted with a value of another type",
    "root-suffix": "root suffixes not checked, not lowercased, or a trailing dot not removed",
    "sort-order": "components sorted by text instead of key, numerically instead of by code point, or before lowercasing",
    "syntax": "a text accepted that the grammar rejects, or rejected that it accepts",
    "token-boundary": "a token shortened or extended, or a terminal tried that is not acceptable in the state",
    "unassigned-code-point": "a code point unassigned in Unicode 18.0.0 accepted, as a U-label or inside an A-label",
    "unregistered-arch-accepted": "an unregistered architecture name given compatibility it does not have",
    "unregistered-arch-rejected": "an unregistered architecture name or capability key rejected instead of accepted",
    "utf16-positions": "positions or lengths counted in UTF-16 code units or UTF-8 octets instead of code points",
    "whitespace": "white space or control characters skipped or trimmed",
}

#: The requirements that no case can test, each with why.
UNTESTABLE: dict[str, str] = {
    "ID-2.2-1": "the adapter protocol carries JSON text, which cannot hold ill-formed UTF-8",
    "ID-3.3-2": "about which spelling other protocols carry; no operation of the adapter protocol observes it",
    "ID-3.4-9": "a permission (ordering identifiers); the adapter protocol has no ordering operation",
    "ID-4-1": "a SHOULD about which provider names operators choose",
    "ID-4.1-3": "what an implementation with older Unicode data rejects depends on its data; the vectors use only "
    "code points assigned in Unicode 14.0.0 or unassigned in 18.0.0, on which every version agrees",
    "ID-4.1-5": "constrains later versions of this specification, not implementations",
    "ID-5-2": "a SHOULD about which country code operators choose",
    "ID-5-3": "a SHOULD about which country code operators choose",
    "ID-5-4": "a SHOULD about which subdivision code operators choose",
    "ID-5-7": "a permission for registries and policies built on UCIDs, not for identifier processing",
    "ID-6.2-4": "a rule on the registry file (no cycle); checked by the reference implementation's tests of the registry",
    "ID-6.2-8": "a SHOULD about what consumers ask for",
    "ID-6.3-1": "the registration policy of the architecture registry (designated experts)",
    "ID-6.3-2": "a rule on registry changes, checked on the registry file, not on implementations",
    "ID-6.3-3": "a rule on registry changes, checked on the registry file, not on implementations",
    "ID-6.3-4": "a rule on registry changes, checked on the registry file, not on implementations",
    "ID-6.3-5": "a rule on registry changes, checked on the registry file, not on implementations",
    "ID-6.3-6": "a rule on registry changes, checked on the registry file, not on implementations",
    "ID-6.3-7": "a SHOULD for the registry's designated experts",
    "ID-7.3-3": "the registration policy and rules of the capability registry, not implementation behaviour",
    "ID-7.3-4": "a SHOULD NOT for the registry's designated experts",
    "ID-11-1": "constrains later versions of this specification, not implementations",
    "ID-12-2": "the reason is free text and not specified; it is shown, never compared",
    "ID-12-31": "a freedom: which of several faults is reported is unspecified, so a case can only check the rejection "
    "(ID-12-1); the vectors give every positioned case exactly one fault",
    "ID-13.1-1": "a SHOULD for registries and resolvers that accept provider names (script restrictions)",
    "ID-13.1-2": "a SHOULD about user interfaces",
    "ID-13.1-3": "a SHOULD about user interfaces",
    "ID-13.1-4": "a SHOULD about what parties exchange",
    "ID-13.2-1": "about what implementations compare or sign; the adapter protocol has no comparing or signing "
    "operation for identifiers (equality through canonical forms is tested under ID-3.4-7)",
    "ID-13.3-1": "a bound on internal caches, not observable through the adapter protocol",
    "ID-13.5-2": "a SHOULD about displays",
}


# --------------------------------------------------------------------------
# Computing expected results with the reference


def _fault(fn: Callable[[], object], what: str) -> int | None:
    try:
        fn()
    except cid.IdentifierError as e:
        return e.position
    raise AssertionError(f"the reference accepts {what!r}, which the vectors expect to be rejected")


def _parse_output(text: str) -> dict[str, Any]:
    ident = cid.parse(text)
    return {
        "canonical": str(ident),
        "provider": ident.provider,
        "region": ident.region,
        "cpu": ident.cpu,
        "accelerators": list(ident.accelerators),
        "capabilities": [str(c) for c in ident.capabilities],
    }


_UNSET: Any = object()


def _invalid(
    position: int | None, spec_position: Any, keep_position: bool, what: str
) -> dict[str, Any]:
    if spec_position is not _UNSET and spec_position != position:
        raise AssertionError(
            f"the spec gives position {spec_position} for {what!r}; the reference gives {position}"
        )
    expected: dict[str, Any] = {"result": "invalid", "errors": [INVALID]}
    if keep_position:
        expected["position"] = position
    return expected


class _Builder:
    """Collects the cases of one area."""

    def __init__(self, area: Area) -> None:
        self.area = area
        self.seen: dict[str, Case] = {}

    def _add(
        self,
        operation: str,
        input: dict[str, Any],
        expected: dict[str, Any],
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
    ) -> None:
        for flag in flags:
            if flag not in FLAGS:
                raise AssertionError(f"undocumented flag {flag}")
        if "position" in expected:
            reqs = [*reqs, "ID-12-3"]  # the position is reported
        key = dumps([operation, input])
        if key in self.seen:  # the same input twice: one case, testing both
            case = self.seen[key]
            if case.expected != expected:
                raise AssertionError(f"{key}: two expectations")
            case.requirements = sorted({*case.requirements, *reqs})
            case.flags = sorted({*case.flags, *flags})
            return
        case = Case(operation, input, expected, list(reqs), list(flags), comment)
        self.seen[key] = case
        self.area.add(case)

    # identifiers -----------------------------------------------------------

    def parse(
        self,
        text: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        canonical: str | None = None,
    ) -> None:
        out = _parse_output(text)
        if canonical is not None and out["canonical"] != canonical:
            raise AssertionError(
                f"spec: {text!r} -> {canonical!r}; reference: {out['canonical']!r}"
            )
        self._add("parse", {"text": text}, {"result": "valid", "output": out}, reqs, flags, comment)

    def canon(
        self,
        text: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        canonical: str | None = None,
    ) -> None:
        got = str(cid.parse(text))
        if canonical is not None and got != canonical:
            raise AssertionError(f"spec: {text!r} -> {canonical!r}; reference: {got!r}")
        self._add(
            "canonicalize",
            {"text": text},
            {"result": "valid", "output": {"canonical": got}},
            reqs,
            flags,
            comment,
        )

    def bad(
        self,
        text: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        position: Any = _UNSET,
        operation: str = "parse",
        keep_position: bool = True,
    ) -> None:
        pos = _fault(lambda: cid.parse(text), text)
        expected = _invalid(pos, position, keep_position, text)
        self._add(operation, {"text": text}, expected, reqs, flags, comment)

    # DNS -------------------------------------------------------------------

    def to_dns(
        self,
        text: str,
        root: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        name: str | None = None,
    ) -> None:
        got = cid.parse(text).to_dns_name(root)
        if name is not None and got != name:
            raise AssertionError(f"spec: {text!r} under {root!r} -> {name!r}; reference: {got!r}")
        self._add(
            "to_dns_name",
            {"text": text, "root": root},
            {"result": "valid", "output": {"name": got}},
            reqs,
            flags,
            comment,
        )

    def to_dns_bad(
        self,
        text: str,
        root: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        position: Any = _UNSET,
        keep_position: bool = True,
    ) -> None:
        pos = _fault(lambda: cid.parse(text).to_dns_name(root), f"{text} under {root}")
        expected = _invalid(pos, position, keep_position, f"{text} under {root}")
        self._add("to_dns_name", {"text": text, "root": root}, expected, reqs, flags, comment)

    def from_dns(
        self,
        name: str,
        root: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        canonical: str | None = None,
    ) -> None:
        got = str(cid.Identifier.from_dns_name(name, root))
        if canonical is not None and got != canonical:
            raise AssertionError(
                f"spec: {name!r} under {root!r} -> {canonical!r}; reference: {got!r}"
            )
        self._add(
            "from_dns_name",
            {"name": name, "root": root},
            {"result": "valid", "output": {"canonical": got}},
            reqs,
            flags,
            comment,
        )

    def from_dns_bad(
        self,
        name: str,
        root: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        position: Any = _UNSET,
        keep_position: bool = True,
    ) -> None:
        pos = _fault(lambda: cid.Identifier.from_dns_name(name, root), f"{name} under {root}")
        expected = _invalid(pos, position, keep_position, f"{name} under {root}")
        self._add("from_dns_name", {"name": name, "root": root}, expected, reqs, flags, comment)

    # patterns ----------------------------------------------------------------

    def pattern(
        self,
        text: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        canonical: str | None = None,
    ) -> None:
        got = str(cid.parse_pattern(text))
        if canonical is not None and got != canonical:
            raise AssertionError(f"spec: pattern {text!r} -> {canonical!r}; reference: {got!r}")
        self._add(
            "parse_pattern",
            {"pattern": text},
            {"result": "valid", "output": {"canonical": got}},
            reqs,
            flags,
            comment,
        )

    def pattern_bad(
        self,
        text: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        position: Any = _UNSET,
        keep_position: bool = True,
    ) -> None:
        pos = _fault(lambda: cid.parse_pattern(text), text)
        expected = _invalid(pos, position, keep_position, text)
        self._add("parse_pattern", {"pattern": text}, expected, reqs, flags, comment)

    def match(
        self,
        pattern: str,
        text: str,
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        matches: bool | None = None,
    ) -> None:
        got = cid.parse_pattern(pattern).matches(cid.parse(text))
        if matches is not None and got != matches:
            raise AssertionError(f"spec: {pattern!r} matches {text!r}: {matches}; reference: {got}")
        self._add(
            "match",
            {"pattern": pattern, "text": text},
            {"result": "valid", "output": {"matches": got}},
            reqs,
            flags,
            comment,
        )

    def match_bad(
        self, pattern: str, text: str, reqs: Sequence[str], flags: Sequence[str], comment: str
    ) -> None:
        def run() -> None:
            cid.parse_pattern(pattern).matches(cid.parse(text))

        _fault(run, f"{pattern} against {text}")
        # Which input a position would index is not defined for match: none is given.
        self._add(
            "match",
            {"pattern": pattern, "text": text},
            {"result": "invalid", "errors": [INVALID]},
            reqs,
            flags,
            comment,
        )


def _area(name: str, prefix: str, description: str) -> tuple[Area, _Builder]:
    area = Area(name=name, prefix=prefix, description=description)
    return area, _Builder(area)


A = "ucid:acme.example/cn/x86-64"  # a plain valid identifier to extend


# --------------------------------------------------------------------------
# identifier-grammar: §2.3, §2.4, §3.1-§3.3, the syntax rows of §12


def _grammar() -> Area:
    area, b = _area(
        "identifier-grammar",
        "id",
        "The syntax of identifiers (spec/identifier.md §2.3, §2.4 Table 1, §3.1-§3.3): every state of "
        "the tokeniser, tokens taken longest-first, no skipped code points, ASCII-only case folding, "
        "and the syntax error positions of §12.",
    )
    syn = ["ID-2.4-3", "ID-2.4-4", "ID-12-1", "ID-12-4", "ID-12-29"]
    end = ["ID-2.4-2", "ID-2.4-4", "ID-12-1", "ID-12-4", "ID-12-29"]
    # i0: the scheme
    b.parse(
        "ucid:acme.example/cn/x86-64",
        ["ID-2.4-5", "ID-2.4-11", "ID-3.1-1"],
        [],
        "the smallest form: no capabilities",
    )
    b.parse(
        "UCID:acme.example/cn/x86-64",
        ["ID-2.4-5", "ID-3.1-1", "ID-3.4-1"],
        ["case-folding"],
        "scheme in capitals; canonical ucid:",
    )
    b.parse(
        "uCiD:acme.example/cn/x86-64",
        ["ID-3.1-1", "ID-3.4-1"],
        ["case-folding"],
        "scheme in mixed case",
    )
    b.bad(
        "cid:acme.example/cn/x86-64",
        [*syn, "ID-2.4-5"],
        ["syntax"],
        "cid: is the Content-ID scheme, not UCID",
        position=0,
    )
    b.bad(
        "ucid;acme.example/cn/x86-64",
        [*syn, "ID-2.4-5"],
        ["syntax"],
        "scheme without its colon",
        position=0,
    )
    b.bad(
        "ucid//acme.example/cn/x86-64",
        [*syn, "ID-2.4-5"],
        ["syntax"],
        "scheme with // instead of :",
    )
    b.bad("", [*end, "ID-2.4-5"], ["syntax"], "empty input: state i0 may not end", position=0)
    b.bad("ucid", [*syn, "ID-2.4-5"], ["syntax"], "the scheme name without its colon, at end")
    b.bad(
        " ucid:acme.example/cn/x86-64",
        [*syn, "ID-2.3-1", "ID-2.4-5"],
        ["whitespace"],
        "leading space is not skipped",
        position=0,
    )
    b.bad(
        "ucıd:acme.example/cn/x86-64",
        [*syn, "ID-2.3-2", "ID-2.4-5"],
        ["regex-unicode-folding"],
        "U+0131 DOTLESS I in the scheme (Unicode case folding matches it)",
        position=0,
    )
    b.bad(
        "ucİd:acme.example/cn/x86-64",
        [*syn, "ID-2.3-2", "ID-2.4-5"],
        ["regex-unicode-folding"],
        "U+0130 I WITH DOT ABOVE in the scheme",
        position=0,
    )
    b.bad(
        "urn:ucid:acme.example/cn/x86-64",
        [*syn, "ID-2.4-5"],
        ["syntax"],
        "no URN wrapper",
        position=0,
    )
    # i1, i2: the provider
    b.bad("ucid:/cn/x86-64", [*syn, "ID-2.4-6"], ["syntax"], "empty provider", position=5)
    b.bad(
        "ucid:.acme.example/cn/x86-64",
        [*syn, "ID-2.4-6"],
        ["syntax"],
        "provider starting with a dot",
        position=5,
    )
    b.bad(
        "ucid:acme..example/cn/x86-64",
        [*syn, "ID-2.4-6"],
        ["syntax"],
        "empty label between dots",
        position=10,
    )
    b.bad(
        "ucid:acme./cn/x86-64",
        [*syn, "ID-2.4-6"],
        ["syntax"],
        "provider with a trailing dot (no root label in identifiers)",
        position=10,
    )
    b.bad(
        "ucid:-acme.example/cn/x86-64",
        [*syn, "ID-2.4-6"],
        ["syntax"],
        "label with a leading hyphen",
        position=5,
    )
    b.bad(
        "ucid:acme-.example/cn/x86-64",
        [*syn, "ID-2.4-7"],
        ["syntax", "token-boundary"],
        "§12: LABEL acme, then - after it",
        position=9,
    )
    b.bad(
        "ucid:acme",
        [*end, "ID-2.4-7"],
        ["syntax"],
        "end after the provider: i2 may not end",
        position=9,
    )
    b.bad(
        "ucid:acme.example",
        [*end, "ID-2.4-7"],
        ["syntax"],
        "no region or architecture",
        position=17,
    )
    b.bad(
        "ucid:acme example/cn/x86-64",
        [*syn, "ID-2.3-1", "ID-2.4-7"],
        ["whitespace"],
        "space inside the provider",
        position=9,
    )
    b.bad(
        "ucid:acme_corp.example/cn/x86-64",
        [*syn, "ID-2.4-7"],
        ["syntax"],
        "_ is in no provider label",
        position=9,
    )
    b.bad(
        "ucid:acme.example:443/cn/x86-64",
        [*syn, "ID-2.4-7"],
        ["syntax"],
        "no port: a provider is not an authority",
        position=17,
    )
    b.bad(
        "ucid:user@acme.example/cn/x86-64",
        [*syn, "ID-2.4-7"],
        ["syntax"],
        "no userinfo",
        position=9,
    )
    b.parse(
        "ucid:a-b--c.example/cn/x86-64",
        ["ID-2.4-6", "ID-4-3"],
        ["syntax"],
        "inner and doubled hyphens outside positions 3-4 are allowed",
    )
    # i3, i4: the region
    b.bad(
        "ucid:acme.example/c/x86-64",
        [*syn, "ID-2.4-8"],
        ["syntax"],
        "§12: a one-letter region",
        position=18,
    )
    b.bad("ucid:acme.example//x86-64", [*syn, "ID-2.4-8"], ["syntax"], "empty region", position=18)
    b.bad(
        "ucid:acme.example/1n/x86-64",
        [*syn, "ID-2.4-8"],
        ["syntax"],
        "a digit in the country code",
        position=18,
    )
    b.bad(
        "ucid:acme.example/\u212ar/x86-64",
        [*syn, "ID-2.3-2", "ID-2.4-8"],
        ["regex-unicode-folding"],
        "U+212A KELVIN SIGN in the region",
        position=18,
    )
    b.bad(
        "ucid:acme.example/cn-/x86-64",
        [*syn, "ID-2.4-9"],
        ["syntax", "token-boundary"],
        "a hyphen without a subtag: REGION is cn, then -",
        position=20,
    )
    b.bad(
        "ucid:acme.example/cn", [*end, "ID-2.4-9"], ["syntax"], "end after the region", position=20
    )
    b.bad(
        "ucid:acme.example/cnx/x86-64",
        [*syn, "ID-2.4-9"],
        ["syntax", "token-boundary"],
        "three-letter country code: REGION cn, then x",
        position=20,
    )
    b.bad(
        "ucid:acme.example/cn-gd-shenzhen1/x86-64",
        [*syn, "ID-2.4-9", "ID-8-5"],
        ["syntax", "off-by-one-limit"],
        "§12: the ninth character of a subtag",
        position=32,
    )
    b.bad(
        "ucid:acme.example/cn-gd_sz/x86-64",
        [*syn, "ID-2.4-9"],
        ["syntax"],
        "_ in a region",
        position=23,
    )
    b.parse(
        "ucid:acme.example/cn/gd/x86-64",
        ["ID-2.4-10", "ID-2.4-12", "ID-6.1-9"],
        ["syntax"],
        "a subdivision written as a component: CPU gd (unregistered) and the flag x86-64",
    )
    # i5, i6: the architecture
    b.bad(
        "ucid:acme.example/cn/",
        [*end, "ID-2.4-10"],
        ["syntax"],
        "end where an architecture is required",
        position=21,
    )
    b.bad(
        "ucid:acme.example/cn//acc=8",
        [*syn, "ID-2.4-10"],
        ["syntax"],
        "empty architecture",
        position=21,
    )
    b.bad(
        "ucid:acme.example/cn/-x86",
        [*syn, "ID-2.4-10"],
        ["syntax"],
        "architecture starting with a hyphen",
        position=21,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64+", [*end, "ID-2.4-10"], ["syntax"], "end after +", position=28
    )
    b.bad(
        "ucid:acme.example/cn/x86-64++sm90",
        [*syn, "ID-2.4-10"],
        ["syntax"],
        "empty accelerator term",
        position=28,
    )
    b.bad(
        "ucid:acme.example/cn/\u017fm90",
        [*syn, "ID-2.3-2", "ID-2.4-10"],
        ["regex-unicode-folding"],
        "U+017F LONG S in an architecture name",
        position=21,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64?x=1",
        [*syn, "ID-2.4-11", "ID-3.3-1"],
        ["syntax"],
        "§12: no query",
        position=27,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64#top",
        [*syn, "ID-2.4-11"],
        ["syntax"],
        "no fragment",
        position=27,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64-",
        [*syn, "ID-2.4-11"],
        ["syntax", "token-boundary"],
        "ARCH does not end with a hyphen: x86-64 then -",
        position=27,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64_",
        [*syn, "ID-2.4-11"],
        ["syntax", "token-boundary"],
        "ARCH does not end with _",
        position=27,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64 ",
        [*syn, "ID-2.3-1", "ID-2.4-11"],
        ["whitespace"],
        "trailing space is not trimmed",
        position=27,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64\n",
        [*syn, "ID-2.3-1", "ID-2.4-11"],
        ["whitespace"],
        "trailing newline is not trimmed",
        position=27,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64\u0000",
        [*syn, "ID-2.3-1", "ID-2.4-11"],
        ["whitespace"],
        "a trailing NUL is not ignored",
        position=27,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64,sm90",
        [*syn, "ID-2.4-11"],
        ["syntax"],
        "accelerators are joined by +, not ,",
        position=27,
    )
    # i7, i8: capabilities
    b.bad(
        "ucid:acme.example/cn/x86-64/",
        [*end, "ID-2.4-12", "ID-3.2-1"],
        ["syntax"],
        "§12: a trailing / needs an attribute",
        position=28,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/;acc=8",
        [*syn, "ID-2.4-12"],
        ["syntax"],
        "empty first attribute",
        position=28,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=8;",
        [*end, "ID-2.4-12"],
        ["syntax"],
        "a trailing ; needs an attribute",
        position=34,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=8;;mem=1B",
        [*syn, "ID-2.4-12"],
        ["syntax"],
        "empty attribute between ;;",
        position=34,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/8acc",
        [*syn, "ID-2.4-12"],
        ["syntax"],
        "a key starts with a letter",
        position=28,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/-acc",
        [*syn, "ID-2.4-12"],
        ["syntax"],
        "a key does not start with a hyphen",
        position=28,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/\u212aey=1",
        [*syn, "ID-2.3-2", "ID-2.4-12"],
        ["regex-unicode-folding"],
        "U+212A in a key",
        position=28,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc:8",
        [*syn, "ID-2.4-13"],
        ["syntax"],
        "attribute values follow =, not :",
        position=31,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc>=8",
        [*syn, "ID-2.4-13"],
        ["syntax", "token-boundary"],
        "comparisons are pattern syntax (CMP is not acceptable in i8)",
        position=31,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=8/mem=1B",
        [*syn, "ID-2.4-15"],
        ["syntax"],
        "attributes are separated by ;, not /",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=8&mem=1B",
        [*syn, "ID-2.4-15"],
        ["syntax"],
        "attributes are separated by ;, not &",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=8,mem=1B",
        [*syn, "ID-2.4-15"],
        ["syntax"],
        "attributes are separated by ;, not ,",
        position=33,
    )
    b.parse(
        "ucid:acme.example/cn/x86-64/sriov",
        ["ID-2.4-12", "ID-2.4-13"],
        [],
        "a flag ends the input in state i8",
    )
    b.parse(
        "ucid:acme.example/cn/x86-64/sriov;acc=8",
        ["ID-2.4-13", "ID-2.4-14", "ID-2.4-15"],
        [],
        "flag, then a counted attribute",
    )
    # i9, i10: values
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=",
        [*end, "ID-2.4-14"],
        ["syntax"],
        "end where a value is required",
        position=32,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=-1",
        [*syn, "ID-2.4-14"],
        ["syntax"],
        "no negative numbers",
        position=32,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc==8",
        [*syn, "ID-2.4-14"],
        ["syntax"],
        "doubled =",
        position=32,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc= 8",
        [*syn, "ID-2.3-1", "ID-2.4-14"],
        ["whitespace"],
        "space before a value",
        position=32,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=+8",
        [*syn, "ID-2.4-14"],
        ["syntax"],
        "no sign",
        position=32,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/mem=.5GiB",
        [*syn, "ID-2.4-14"],
        ["syntax"],
        "a fraction needs an integer part",
        position=32,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=08",
        [*syn, "ID-2.4-15"],
        ["leading-zeros", "token-boundary"],
        "§12: INTEGER 0, then 8",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/mem=512gib",
        [*syn, "ID-2.4-15", "ID-7.2-1"],
        ["case-folding", "token-boundary"],
        "§12: units are case-sensitive",
        position=35,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/mem=1.5",
        [*syn, "ID-2.4-15"],
        ["token-boundary"],
        "§12: a fraction needs a unit",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/net-bw=5Bps",
        [*syn, "ID-2.4-15"],
        ["token-boundary", "bits-vs-bytes"],
        "§12: QUANTITY 5B, then ps",
        position=37,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/mem=00GiB",
        [*syn, "ID-2.4-15"],
        ["leading-zeros", "token-boundary"],
        "§2.4: INTEGER 0, then 0GiB",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/mem=1.5.5GiB",
        [*syn, "ID-2.4-15"],
        ["syntax"],
        "one fraction only",
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/mem=1e3B",
        [*syn, "ID-2.4-15"],
        ["syntax"],
        "no exponent",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/mem=1,5GiB",
        [*syn, "ID-2.4-15"],
        ["syntax"],
        "no decimal comma",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/mem=1 GiB",
        [*syn, "ID-2.3-1", "ID-2.4-15"],
        ["whitespace"],
        "no space before a unit",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc-model=h\u212a",
        [*syn, "ID-2.3-2", "ID-2.4-15"],
        ["regex-unicode-folding"],
        "U+212A in a token",
        position=39,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/mem=1\u212aiB",
        [*syn, "ID-2.3-2", "ID-2.4-15"],
        ["regex-unicode-folding"],
        "U+212A in a unit",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64/acc-model=8x",
        [*syn, "ID-2.4-15", "ID-7.1-9"],
        ["token-boundary"],
        "a token starts with a letter: INTEGER 8, then x",
        position=39,
    )
    b.parse(
        "ucid:acme.example/cn/x86-64/mem=512GiB",
        ["ID-2.4-3", "ID-2.4-14"],
        ["token-boundary"],
        "QUANTITY 512GiB, never INTEGER 512 then a unit",
    )
    b.parse("ucid:acme.example/cn/x86-64/acc-model=h800", ["ID-2.4-14"], [], "a NAME value (token)")
    b.parse(
        "ucid:acme.example/cn/x86-64/acc=0",
        ["ID-2.4-14", "ID-7.1-3"],
        ["leading-zeros"],
        "0 is a count without leading zeros",
    )
    # §3.3: percent-encoding
    b.bad(
        "ucid:acme%2Eexample/cn/x86-64",
        [*syn, "ID-3.3-1"],
        ["percent-decoding"],
        "§12: % is never decoded",
        position=9,
    )
    b.bad(
        "ucid:acme.example/cn/x86%2D64",
        [*syn, "ID-3.3-1"],
        ["percent-decoding"],
        "no percent-decoding in the architecture",
        position=24,
    )
    b.bad(
        "ucid:acme.example%2Fcn%2Fx86-64",
        [*syn, "ID-3.3-1"],
        ["percent-decoding"],
        "encoded separators are not separators",
        position=17,
    )
    b.bad(
        "ucid:%61cme.example/cn/x86-64",
        [*syn, "ID-3.3-1"],
        ["percent-decoding"],
        "encoded letter",
        position=5,
    )
    # positions count code points
    b.bad(
        "ucid:中国移动.cn/cn/x86-64/acc=08",
        [*syn, "ID-2.2-2"],
        ["utf16-positions"],
        "§12: positions count code points",
        position=28,
    )
    b.bad(
        "ucid:\U00020000.cn/cn/x86-64/acc=08",
        [*syn, "ID-2.2-2"],
        ["utf16-positions"],
        "U+20000 (outside the BMP) counts as one position, not two UTF-16 units",
        position=25,
    )
    b.bad(
        "ucid:é.example/cn/x86-64/acc=08",
        [*syn, "ID-2.2-2"],
        ["utf16-positions"],
        "é counts as one position, not two UTF-8 octets",
        position=30,
    )
    # §3.2 structure
    b.bad(
        "ucid:acme.example/cn/x86-64/acc=8/",
        [*syn, "ID-2.4-15", "ID-3.2-1"],
        ["syntax"],
        "nothing follows the capabilities",
        position=33,
    )
    b.bad(
        "ucid:acme.example/x86-64",
        [*syn, "ID-2.4-8"],
        ["syntax"],
        "region missing: x8 is not a region code (REGION needs two letters)",
        position=18,
    )
    return area


# --------------------------------------------------------------------------
# identifier-canonical: §3.4, §7.4 and equality


def _canonical() -> Area:
    area, b = _area(
        "identifier-canonical",
        "idc",
        "The canonical form and equality of identifiers (spec/identifier.md §3.4, §7.4): the spec's "
        "examples, lowercasing, the order of accelerators and attributes, idempotence.",
    )
    table = [
        (
            "UCID:Acme.Example/CN-GD/X86-64-V4+SM_90/mem=512GiB;ACC=8",
            "ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B",
        ),
        (
            "ucid:中国移动.cn/CN-BJ/neoverse-v2+sm90/acc=8;mem=1TiB;acc-mem=96GiB;ic=NVLink4",
            "ucid:xn--fiq02ib9d179b.cn/cn-bj/neoverse-v2+sm90/acc=8;acc-mem=103079215104B;ic=nvlink4;mem=1099511627776B",
        ),
        (
            "ucid:Example.org/de-by/arm64+sm_80+gfx942/net-bw=0.4Tbps;freq=2.6GHz;sriov",
            "ucid:example.org/de-by/aarch64+gfx942+sm80/freq=2600000000Hz;net-bw=400000000000bps;sriov",
        ),
        (
            "ucid:acme.example/cn-gd-sz1/kunpeng920+ascend910b/acc=8;acc-model=Ascend910B;net=RoCE2",
            "ucid:acme.example/cn-gd-sz1/kunpeng-920+ascend910b/acc=8;acc-model=ascend910b;net=roce2",
        ),
        ("ucid:hpc.example/zz/riscv64", "ucid:hpc.example/zz/riscv64"),
    ]
    all_steps = ["ID-3.4-1", "ID-3.4-2", "ID-3.4-3", "ID-3.4-4", "ID-3.4-5"]
    for text, canonical in table:
        b.parse(
            text,
            all_steps,
            ["case-folding", "non-canonical-accepted"],
            "§3.4 example",
            canonical=canonical,
        )
        b.canon(
            canonical,
            ["ID-3.4-8"],
            ["non-canonical-accepted"],
            "§3.4: a canonical form is its own canonical form",
            canonical=canonical,
        )
    b.canon(
        "ucid:ACME.EXAMPLE/cn/x86-64", ["ID-3.4-2"], ["case-folding"], "provider ASCII-lowercased"
    )
    b.canon(
        "ucid:acme.example/CN-GD-SZ1/x86-64",
        ["ID-3.4-3", "ID-5-1"],
        ["case-folding"],
        "region ASCII-lowercased, subtags too",
    )
    b.canon(
        "ucid:acme.example/cn/X86-64-V4",
        ["ID-3.4-4"],
        ["case-folding"],
        "CPU name ASCII-lowercased",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64+sm90+gfx942+ascend910b",
        ["ID-3.4-4"],
        ["sort-order"],
        "accelerators in code-point order",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64+sm90+sm100",
        ["ID-3.4-4"],
        ["sort-order"],
        "sm100 before sm90: code points, not numbers",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64+SM90+gfx942",
        ["ID-3.4-4"],
        ["sort-order", "case-folding"],
        "lowercase before sorting (S < g, s > g)",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64+sm_90+gfx942",
        ["ID-3.4-4", "ID-6.1-2"],
        ["sort-order", "alias-not-resolved"],
        "aliases resolved before sorting",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64+zz9+a10+a9",
        ["ID-3.4-4", "ID-6.1-9"],
        ["sort-order"],
        "unregistered accelerators sorted too: a10 < a9 < zz9",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64+gfx942+sm80",
        ["ID-3.4-4", "ID-3.4-8"],
        ["non-canonical-accepted"],
        "already sorted: unchanged",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/mem=1GiB;acc=8",
        ["ID-3.4-5", "ID-7.4-1"],
        ["sort-order"],
        "attributes sorted by key",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/acc-mem=64GiB;acc=8",
        ["ID-3.4-5", "ID-3.4-6", "ID-7.4-1"],
        ["sort-order"],
        "§3.4: acc=8 precedes acc-mem=..., sorted by key not text",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/net-bw=100Gbps;net=ib",
        ["ID-3.4-6", "ID-7.4-1"],
        ["sort-order"],
        "net before net-bw although - sorts before =",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/a-b;a",
        ["ID-3.4-6", "ID-7.4-1"],
        ["sort-order"],
        "flags: a before a-b",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/Mem=1GiB;acc=8",
        ["ID-3.4-5", "ID-7.1-1"],
        ["sort-order", "case-folding"],
        "keys lowercased before sorting (M < a, m > a)",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/z=1;y=b;x=1B;w=1bps;v=1Hz;u",
        ["ID-3.4-5", "ID-7.4-1"],
        ["sort-order"],
        "every type in reverse key order",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/acc-model=H800",
        ["ID-3.4-5", "ID-7.1-7"],
        ["case-folding"],
        "tokens ASCII-lowercased",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/mem=512GiB",
        ["ID-3.4-5", "ID-7.1-4"],
        ["non-canonical-accepted"],
        "size in canonical unit B",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/mem=549755813888B",
        ["ID-3.4-8"],
        ["non-canonical-accepted"],
        "already canonical quantity",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64",
        ["ID-3.4-5"],
        ["non-canonical-accepted"],
        "no attributes: nothing follows the architecture",
    )
    b.canon(
        "ucid:xn--fiq02ib9d179b.cn/cn/x86-64",
        ["ID-3.4-7", "ID-3.4-8"],
        ["non-canonical-accepted"],
        "the A-label spelling has the same canonical form as the U-label one",
    )
    b.canon(
        "ucid:中国移动.cn/cn/x86-64",
        ["ID-3.4-2", "ID-3.4-7"],
        ["non-canonical-accepted"],
        "the U-label spelling: equal to the A-label spelling",
    )
    b.canon(
        "ucid:XN--FIQ02IB9D179B.CN/cn/x86-64",
        ["ID-3.4-2", "ID-3.4-7"],
        ["case-folding"],
        "an A-label in capitals",
    )
    b.canon(
        "ucid:acme.example/cn/amd64",
        ["ID-3.4-4", "ID-3.4-7"],
        ["alias-not-resolved"],
        "an alias spelling equals the registered name's",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/mem=1024MiB",
        ["ID-3.4-5", "ID-3.4-7"],
        ["non-canonical-accepted"],
        "1024MiB equals 1GiB: both 1073741824B",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/mem=1GiB",
        ["ID-3.4-5", "ID-3.4-7"],
        ["non-canonical-accepted"],
        "1GiB equals 1024MiB",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/mem=1.00GiB",
        ["ID-3.4-5", "ID-3.4-7"],
        ["non-canonical-accepted"],
        "trailing fraction zeros do not change the value",
    )
    b.canon(
        "ucid:acme.example/cn/x86-64/freq=2600MHz",
        ["ID-3.4-5", "ID-3.4-7"],
        ["non-canonical-accepted"],
        "2600MHz equals 2.6GHz",
    )
    b.parse(
        "ucid:acme.example/cn/x86-64+sm90/sriov;acc=8;acc-model=H800;mem=1.5GiB",
        ["ID-3.4-4", "ID-3.4-5", "ID-7.4-1"],
        [],
        "the parts of a mixed identifier",
    )
    b.parse(
        "ucid:a/zz/x",
        ["ID-3.4-1", "ID-4-10", "ID-5-5"],
        [],
        "single-label provider, zz, an unregistered one-letter CPU",
    )
    return area


# --------------------------------------------------------------------------
# idna: §4, §4.1, §13.1, §13.2


def _punycode(u_label: str) -> str:
    return "xn--" + u_label.encode("punycode").decode("ascii")


def _idna() -> Area:
    area, b = _area(
        "idna",
        "idna",
        "Provider labels (spec/identifier.md §4, §4.1): LDH labels, A-labels, IDNA2008 U-labels (NFC, "
        "PVALID, CONTEXTJ/CONTEXTO, Bidi across labels), no UTS #46 mapping, unassigned code points of "
        "Unicode 18.0.0, and the positions of their faults.",
    )
    lab = ["ID-4-7", "ID-12-1", "ID-12-6", "ID-12-8", "ID-12-29"]
    tail = "/cn/x86-64"
    for text, provider in [
        ("中国移动.cn", "xn--fiq02ib9d179b.cn"),
        ("faß.de", "xn--fa-hia.de"),
        ("XN--FIQ02IB9D179B.CN", "xn--fiq02ib9d179b.cn"),
        ("Acme.Example", "acme.example"),
    ]:
        b.parse(
            f"ucid:{text}{tail}",
            ["ID-3.4-2", "ID-4-7", "ID-4-5", "ID-4.1-1"],
            ["idna-uts46-mapping", "case-folding"],
            "§4 example",
            canonical=f"ucid:{provider}{tail}",
        )
    b.parse(
        "ucid:straße.example/cn/x86-64",
        ["ID-4-7", "ID-4-11"],
        ["idna-uts46-mapping"],
        "ß is PVALID in IDNA2008; not mapped to ss (IDNA2003/transitional)",
    )
    b.parse(
        "ucid:Straße.example/cn/x86-64",
        ["ID-2.2-3", "ID-4-7"],
        ["idna-uts46-mapping", "case-folding"],
        "ASCII S lowercased, ß kept",
    )
    b.parse("ucid:bücher.example/cn/x86-64", ["ID-4-7", "ID-4.1-1"], [], "a Latin U-label")
    b.parse("ucid:xn--bcher-kva.example/cn/x86-64", ["ID-4-5"], [], "its A-label")
    b.parse(
        "ucid:é.example/cn/x86-64", ["ID-4-7", "ID-13.2-2"], ["nfc"], "precomposed é (NFC) is valid"
    )
    b.parse("ucid:пример.example/cn/x86-64", ["ID-4-7"], [], "a Cyrillic U-label")
    b.parse(
        "ucid:аcme.example/cn/x86-64",
        ["ID-4-7", "ID-3.4-7"],
        ["mixed-script-rejected"],
        "Cyrillic а (U+0430) with Latin: the spec has no script rule; differs from acme.example",
    )
    b.parse(
        "ucid:аpple.example/cn/x86-64",
        ["ID-4-7", "ID-3.4-7"],
        ["mixed-script-rejected"],
        "a whole-script confusable of apple: valid, its own A-label",
    )
    b.parse("ucid:123.example/cn/x86-64", ["ID-4-3"], ["syntax"], "an all-digit label")
    b.parse(
        "ucid:123/cn/x86-64",
        ["ID-4-3", "ID-4-10"],
        ["syntax"],
        "an all-digit single-label provider",
    )
    b.parse(
        "ucid:0.example/cn/x86-64",
        ["ID-4-3", "ID-4-9"],
        ["bidi"],
        "a digit label in a name that is not a Bidi domain name: no Bidi Rule",
    )
    b.parse("ucid:xn--9ca.example/cn/x86-64", ["ID-4-5"], [], "A-label of é")
    b.bad(
        "ucid:Ä.example/cn/x86-64",
        [*lab, "ID-4-11", "ID-2.2-3"],
        ["idna-uts46-mapping", "case-folding"],
        "§12: U+00C4 is not PVALID; not lowercased",
        position=5,
    )
    b.bad(
        "ucid:BÜCHER.example/cn/x86-64",
        [*lab, "ID-4-11", "ID-2.2-3"],
        ["idna-uts46-mapping"],
        "uppercase Ü is not mapped to ü",
        position=5,
    )
    b.bad(
        "ucid:a．example/cn/x86-64",
        [*lab, "ID-4-11"],
        ["idna-uts46-mapping"],
        "§12: U+FF0E is not a label separator",
        position=5,
    )
    b.bad(
        "ucid:a。example/cn/x86-64",
        [*lab, "ID-4-11"],
        ["idna-uts46-mapping"],
        "U+3002 ideographic full stop is not a separator",
        position=5,
    )
    b.bad(
        "ucid:ａcme.example/cn/x86-64",
        [*lab, "ID-4-11"],
        ["idna-uts46-mapping"],
        "fullwidth a (U+FF41) is not mapped",
        position=5,
    )
    b.bad(
        "ucid:\u212acme.example/cn/x86-64",
        [*lab, "ID-4-11", "ID-2.3-2"],
        ["idna-uts46-mapping", "regex-unicode-folding"],
        "U+212A KELVIN SIGN is not k",
        position=5,
    )
    b.bad(
        "ucid:acme.\u212a.example/cn/x86-64",
        [*lab, "ID-4-11"],
        ["idna-uts46-mapping", "error-position"],
        "a fault in the second label: at that label",
        position=10,
    )
    b.bad(
        "ucid:e\u0301.example/cn/x86-64",
        [*lab, "ID-13.2-2"],
        ["nfc"],
        "§12: e + U+0301 is not NFC",
        position=5,
    )
    b.bad(
        "ucid:acme.e\u0301xample/cn/x86-64",
        [*lab, "ID-13.2-2"],
        ["nfc", "error-position"],
        "not NFC, second label",
        position=10,
    )
    b.bad(
        "ucid:\u0301a.example/cn/x86-64",
        lab,
        ["idna-disallowed"],
        "a leading combining mark",
        position=5,
    )
    b.bad(
        "ucid:ab--ü.example/cn/x86-64",
        lab,
        ["idna-a-label"],
        "a U-label with -- in positions 3 and 4",
        position=5,
    )
    b.bad(
        "ucid:☃.example/cn/x86-64",
        lab,
        ["idna-disallowed"],
        "U+2603 SNOWMAN: valid in IDNA2003, DISALLOWED in IDNA2008",
        position=5,
    )
    b.bad("ucid:😀.example/cn/x86-64", lab, ["idna-disallowed"], "emoji are DISALLOWED", position=5)
    b.bad(
        "ucid:a\u00a0b.example/cn/x86-64",
        lab,
        ["idna-disallowed", "whitespace"],
        "NO-BREAK SPACE is DISALLOWED",
        position=5,
    )
    b.bad(
        "ucid:a\u00adb.example/cn/x86-64",
        lab,
        ["idna-uts46-mapping"],
        "SOFT HYPHEN is DISALLOWED (UTS #46 deletes it)",
        position=5,
    )
    b.bad(
        "ucid:ﬁ.example/cn/x86-64",
        lab,
        ["idna-uts46-mapping"],
        "the ligature U+FB01 is not mapped to fi",
        position=5,
    )
    b.bad(
        "ucid:①.example/cn/x86-64",
        lab,
        ["idna-uts46-mapping"],
        "circled digit U+2460 is not mapped to 1",
        position=5,
    )
    b.parse(
        "ucid:acme.exampl\u0435\u0301/cn/x86-64",
        ["ID-4-7", "ID-13.2-2"],
        ["nfc", "mixed-script-rejected"],
        "Cyrillic е + combining acute has no precomposed form, so it is NFC: valid",
    )
    # CONTEXTJ / CONTEXTO (RFC 5892 Appendix A)
    b.parse(
        "ucid:क्\u200cष.example/cn/x86-64",
        ["ID-4-7"],
        ["context-rule"],
        "ZWNJ after a virama (CONTEXTJ) is valid",
    )
    b.bad(
        "ucid:a\u200cb.example/cn/x86-64",
        lab,
        ["context-rule"],
        "ZWNJ between Latin letters is not",
        position=5,
    )
    b.parse(
        "ucid:क्\u200dष.example/cn/x86-64",
        ["ID-4-7"],
        ["context-rule"],
        "ZWJ after a virama (CONTEXTJ) is valid",
    )
    b.bad(
        "ucid:a\u200db.example/cn/x86-64",
        lab,
        ["context-rule"],
        "ZWJ without a virama is not",
        position=5,
    )
    b.parse(
        "ucid:l·l.example/cn/x86-64",
        ["ID-4-7"],
        ["context-rule"],
        "MIDDLE DOT between two l (CONTEXTO)",
    )
    b.bad("ucid:a·b.example/cn/x86-64", lab, ["context-rule"], "MIDDLE DOT elsewhere", position=5)
    b.parse(
        "ucid:ア・カ.example/cn/x86-64",
        ["ID-4-7"],
        ["context-rule"],
        "KATAKANA MIDDLE DOT with Katakana",
    )
    b.bad(
        "ucid:a・b.example/cn/x86-64",
        lab,
        ["context-rule"],
        "KATAKANA MIDDLE DOT without Hiragana, Katakana or Han",
        position=5,
    )
    b.parse(
        "ucid:\u0375α.example/cn/x86-64",
        ["ID-4-7"],
        ["context-rule"],
        "GREEK KERAIA followed by Greek",
    )
    b.bad(
        "ucid:\u0375a.example/cn/x86-64",
        lab,
        ["context-rule"],
        "GREEK KERAIA followed by Latin",
        position=5,
    )
    b.parse(
        "ucid:א\u05f3.example/cn/x86-64",
        ["ID-4-7", "ID-4-9"],
        ["context-rule", "bidi"],
        "HEBREW GERESH after Hebrew",
    )
    b.bad(
        "ucid:a\u05f3.example/cn/x86-64",
        lab,
        ["context-rule"],
        "HEBREW GERESH after Latin",
        position=5,
    )
    b.bad(
        "ucid:\u0628\u0660\u06f0.example/cn/x86-64",
        lab,
        ["context-rule"],
        "Arabic-Indic and extended Arabic-Indic digits mixed",
        position=5,
    )
    # Bidi
    bidi = ["ID-4-9", "ID-12-1", "ID-12-9", "ID-12-29"]
    b.bad(
        "ucid:אב.0/cn/x86-64",
        bidi,
        ["bidi", "error-position"],
        "§12: the label 0 breaks the Bidi Rule in a Bidi domain name",
        position=8,
    )
    b.bad(
        "ucid:0.אב/cn/x86-64",
        bidi,
        ["bidi", "error-position"],
        "the first label as written that breaks the rule",
        position=5,
    )
    b.bad(
        "ucid:ok.0.אב/cn/x86-64",
        bidi,
        ["bidi", "error-position"],
        "ok satisfies the rule; 0 is the first that does not",
        position=8,
    )
    b.bad(
        "ucid:1a.אב/cn/x86-64",
        bidi,
        ["bidi"],
        "an LTR label must not start with a digit in a Bidi domain name",
        position=5,
    )
    b.parse(
        "ucid:אב.example/cn/x86-64",
        ["ID-4-9", "ID-4-7"],
        ["bidi"],
        "RTL label with an LTR label that satisfies the rule",
    )
    b.parse(
        "ucid:אב1.example/cn/x86-64",
        ["ID-4-9"],
        ["bidi"],
        "an RTL label may end with a European digit",
    )
    b.bad(
        "ucid:אבa.example/cn/x86-64",
        [*lab, "ID-4-9"],
        ["bidi"],
        "an RTL label with an L character",
        position=5,
    )
    b.bad(
        "ucid:1אב.example/cn/x86-64",
        [*lab, "ID-4-9"],
        ["bidi"],
        "an RTL label starting with a digit",
        position=5,
    )
    b.parse("ucid:مثال.example/cn/x86-64", ["ID-4-9"], ["bidi"], "an Arabic (AL) label")
    b.bad(
        "ucid:a-.אב/cn/x86-64",
        ["ID-12-1", "ID-12-4"],
        ["syntax"],
        "a syntax error comes first (§12)",
        position=6,
    )
    # A-labels
    alab = ["ID-4-5", "ID-12-1", "ID-12-6", "ID-12-8", "ID-12-29"]
    b.bad(
        "ucid:ab--c.example/cn/x86-64",
        ["ID-4-4", "ID-12-1", "ID-12-8"],
        ["idna-a-label"],
        "§12: reserved -- in positions 3 and 4",
        position=5,
    )
    b.bad(
        "ucid:XY--abc.example/cn/x86-64",
        ["ID-4-4", "ID-12-1", "ID-12-8"],
        ["idna-a-label"],
        "reserved, in capitals",
        position=5,
    )
    b.bad(
        "ucid:acme.r2--d2.example/cn/x86-64",
        ["ID-4-4", "ID-12-1", "ID-12-8"],
        ["idna-a-label", "error-position"],
        "reserved label second",
        position=10,
    )
    b.parse(
        "ucid:abc--d.example/cn/x86-64",
        ["ID-4-2"],
        ["idna-a-label"],
        "-- in positions 4 and 5 is an ordinary LDH label",
    )
    b.bad(
        "ucid:xn---bbk.example/cn/x86-64",
        alab,
        ["idna-a-label"],
        "§12: not the canonical Punycode of its U-label",
        position=5,
    )
    b.bad(
        f"ucid:{_punycode('Ä')}.example/cn/x86-64",
        alab,
        ["idna-a-label", "idna-uts46-mapping"],
        "an A-label that decodes to uppercase Ä",
        position=5,
    )
    b.bad(
        f"ucid:{_punycode('☃')}.example/cn/x86-64",
        alab,
        ["idna-a-label", "idna-disallowed"],
        "xn--n3h: the A-label of a DISALLOWED snowman",
        position=5,
    )
    b.bad(
        f"ucid:{_punycode('e' + chr(0x301))}.example/cn/x86-64",
        alab,
        ["idna-a-label", "nfc"],
        "an A-label that decodes to text not in NFC",
        position=5,
    )
    b.bad(
        f"ucid:{_punycode('a' + chr(0x200C) + 'b')}.example/cn/x86-64",
        alab,
        ["idna-a-label", "context-rule"],
        "an A-label that breaks CONTEXTJ",
        position=5,
    )
    b.bad(
        f"ucid:acme.{_punycode('ab--ü')}/cn/x86-64",
        alab,
        ["idna-a-label"],
        "an A-label whose U-label has -- in positions 3 and 4",
        position=10,
    )
    b.bad(
        "ucid:xn--acme-/cn/x86-64",
        ["ID-12-1", "ID-12-4"],
        ["idna-a-label", "syntax"],
        "§4: an A-label of ASCII-only text ends with -, a syntax error there",
        position=13,
    )
    b.bad(
        "ucid:xn--/cn/x86-64",
        ["ID-12-1", "ID-12-4"],
        ["syntax"],
        "xn-- alone: LABEL xn, then -",
        position=7,
    )
    b.bad(
        "ucid:xn--zz.example/cn/x86-64",
        [*alab, "ID-4-4"],
        ["idna-a-label"],
        "Punycode that decodes to no valid U-label",
        position=5,
    )
    # Unicode version (§4.1): U+0378 is unassigned in every version, including 18.0.0
    un = ["ID-4.1-2", "ID-4.1-4", "ID-12-1", "ID-12-8", "ID-12-29"]
    b.bad(
        "ucid:a\u0378.example/cn/x86-64",
        un,
        ["unassigned-code-point"],
        "U+0378 is unassigned (Cn) in Unicode 18.0.0",
        position=5,
    )
    b.bad(
        "ucid:acme.\u0379b/cn/x86-64",
        un,
        ["unassigned-code-point", "error-position"],
        "U+0379 unassigned, in the second label",
        position=10,
    )
    b.bad(
        f"ucid:{_punycode('a' + chr(0x378))}.example/cn/x86-64",
        [*un, "ID-4-5"],
        ["unassigned-code-point", "idna-a-label"],
        "an A-label that decodes to an unassigned code point",
        position=5,
    )
    b.bad(
        "ucid:a\U000e0080.example/cn/x86-64",
        un,
        ["unassigned-code-point"],
        "U+E0080 (unassigned, outside the BMP)",
        position=5,
    )
    return area


# --------------------------------------------------------------------------
# registries: §6


_CLOSURE = {  # §6.2, registry version 1: name -> names it satisfies, itself excluded
    "x86-64": set(),
    "x86-64-v2": {"x86-64"},
    "x86-64-v3": {"x86-64", "x86-64-v2"},
    "x86-64-v4": {"x86-64", "x86-64-v2", "x86-64-v3"},
    "aarch64": set(),
    "neoverse-n1": {"aarch64"},
    "kunpeng-920": {"aarch64"},
    "neoverse-v1": {"aarch64", "neoverse-n1"},
    "neoverse-n2": {"aarch64", "neoverse-n1"},
    "neoverse-v2": {"aarch64", "neoverse-n1", "neoverse-n2", "neoverse-v1"},
    "riscv64": set(),
    "rva22u64": {"riscv64"},
    "rva23u64": {"riscv64", "rva22u64"},
    "loongarch64": set(),
    "sm70": set(),
    "sm75": {"sm70"},
    "sm80": {"sm70", "sm75"},
    "sm86": {"sm70", "sm75", "sm80"},
    "sm89": {"sm70", "sm75", "sm80", "sm86"},
    "sm90": {"sm70", "sm75", "sm80", "sm86", "sm89"},
    "sm100": {"sm70", "sm75", "sm80", "sm86", "sm89", "sm90"},
    "gfx908": set(),
    "gfx90a": set(),
    "gfx942": set(),
    "ascend910": set(),
    "ascend910b": set(),
    "mlu370": set(),
}
_FAMILIES = [
    ["x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4"],
    ["aarch64", "neoverse-n1", "kunpeng-920", "neoverse-v1", "neoverse-n2", "neoverse-v2"],
    ["riscv64", "rva22u64", "rva23u64"],
    ["sm70", "sm75", "sm80", "sm86", "sm89", "sm90", "sm100"],
    ["gfx908", "gfx90a", "gfx942"],
    ["ascend910", "ascend910b"],
]
_FAMILY_REQ = {
    0: "ID-6.2-5",
    1: "ID-6.2-6",
    2: "ID-6.2-6",
    3: "ID-6.2-7",
    4: "ID-6.2-9",
    5: "ID-6.2-1",
}
_ALIASES = {
    "x86_64": "x86-64",
    "amd64": "x86-64",
    "x64": "x86-64",
    "arm64": "aarch64",
    "kunpeng920": "kunpeng-920",
    "sm_70": "sm70",
    "sm_75": "sm75",
    "sm_80": "sm80",
    "sm_86": "sm86",
    "sm_89": "sm89",
    "sm_90": "sm90",
    "sm_100": "sm100",
}


def _registries() -> Area:
    area, b = _area(
        "registries",
        "reg",
        "Architecture names (spec/identifier.md §6): registered names and aliases, kinds, repetition, "
        "unregistered names, and the compatibility order as patterns match it (§6.2, §10.3, §13.5).",
    )
    for have, closure in _CLOSURE.items():
        for want in closure | {have}:
            if not cid.satisfies(have, want):
                raise AssertionError(f"§6.2: {have} satisfies {want}; the reference disagrees")
    for text, canonical in [
        ("X86_64+SM_90+Gfx942", "x86-64+gfx942+sm90"),
        ("amd64+mygpu", "x86-64+mygpu"),
        ("mycpu+sm90", "mycpu+sm90"),
        ("kunpeng920+ascend910b", "kunpeng-920+ascend910b"),
    ]:
        b.parse(
            f"ucid:acme.example/cn/{text}",
            ["ID-6.1-2", "ID-6.1-9", "ID-3.4-4"],
            ["alias-not-resolved", "unregistered-arch-rejected"],
            "§6.1 example",
            canonical=f"ucid:acme.example/cn/{canonical}",
        )
    for alias, name in _ALIASES.items():
        text = (
            f"ucid:acme.example/cn/{alias}"
            if not alias.startswith("sm")
            else f"ucid:acme.example/cn/x86-64+{alias}"
        )
        want = (
            f"ucid:acme.example/cn/{name}"
            if not alias.startswith("sm")
            else f"ucid:acme.example/cn/x86-64+{name}"
        )
        b.parse(
            text, ["ID-6.1-2"], ["alias-not-resolved"], f"alias {alias} is {name}", canonical=want
        )
    b.parse(
        "ucid:acme.example/cn/AMD64+SM_100",
        ["ID-6.1-2"],
        ["alias-not-resolved", "case-folding"],
        "aliases match after ASCII-lowercasing",
    )
    b.parse(
        "ucid:acme.example/cn/x86-64-v5",
        ["ID-6.1-9"],
        ["unregistered-arch-rejected"],
        "an unregistered CPU name is accepted",
    )
    b.parse(
        "ucid:acme.example/cn/sm91",
        ["ID-6.1-9"],
        ["unregistered-arch-rejected"],
        "an unregistered name first is a CPU, however it looks",
    )
    b.parse(
        "ucid:acme.example/cn/riscv64+sm9o+sm90-pro",
        ["ID-6.1-9"],
        ["unregistered-arch-rejected"],
        "unregistered accelerators are accepted",
    )
    b.parse(
        "ucid:acme.example/cn/x86-64+sm90+gfx942+ascend910b+mlu370",
        ["ID-6.1-4", "ID-6.1-5"],
        [],
        "several registered accelerators",
    )
    kind = ["ID-12-1", "ID-12-6", "ID-12-11", "ID-12-29"]
    b.bad(
        "ucid:acme.example/cn/sm90",
        [*kind, "ID-6.1-4"],
        ["kind-not-checked"],
        "§12: an accelerator as the CPU",
        position=21,
    )
    b.bad(
        "ucid:acme.example/cn/sm_90",
        [*kind, "ID-6.1-4", "ID-6.1-2"],
        ["kind-not-checked", "alias-not-resolved"],
        "an accelerator's alias as the CPU",
        position=21,
    )
    b.bad(
        "ucid:acme.example/cn/gfx942+x86-64",
        [*kind, "ID-6.1-4"],
        ["kind-not-checked"],
        "accelerator first, CPU later",
    )
    b.bad(
        "ucid:acme.example/cn/x86-64+aarch64",
        [*kind, "ID-6.1-5"],
        ["kind-not-checked"],
        "§12: a CPU after the first term",
        position=28,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64+sm90+arm64",
        [*kind, "ID-6.1-5", "ID-6.1-2"],
        ["kind-not-checked", "alias-not-resolved"],
        "a CPU's alias as an accelerator",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64+x86-64",
        [*kind, "ID-6.1-5"],
        ["kind-not-checked"],
        "the CPU again as an accelerator",
        position=28,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64+sm_90+sm90",
        [*kind, "ID-6.1-6"],
        ["duplicate-accepted", "alias-not-resolved"],
        "§12: sm90 twice (alias and name); the later one",
        position=34,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64+sm90+SM90",
        [*kind, "ID-6.1-6"],
        ["duplicate-accepted", "case-folding"],
        "sm90 twice, in two cases",
        position=33,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64+mygpu+mygpu",
        [*kind, "ID-6.1-6"],
        ["duplicate-accepted"],
        "an unregistered accelerator twice",
        position=34,
    )
    b.bad(
        "ucid:acme.example/cn/mycpu+MYCPU",
        [*kind, "ID-6.1-6"],
        ["duplicate-accepted"],
        "an unregistered CPU name repeated as accelerator",
        position=27,
    )
    b.bad(
        "ucid:acme.example/cn/my_cpu",
        [*kind, "ID-6.1-3"],
        ["syntax"],
        "§12: _ outside an alias",
        position=21,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64+sm_91",
        [*kind, "ID-6.1-3"],
        ["alias-not-resolved"],
        "sm_91 is no alias: _ is not allowed",
        position=28,
    )
    b.bad(
        "ucid:acme.example/cn/x86-64-V4+Sm_9",
        [*kind, "ID-6.1-3"],
        ["alias-not-resolved"],
        "sm_9 is no alias",
        position=31,
    )
    b.bad(
        "ucid:acme.example/cn/x86_64_v4",
        [*kind, "ID-6.1-3"],
        ["alias-not-resolved"],
        "x86_64_v4 is no alias of x86-64-v4",
        position=21,
    )
    # §6.2 compatibility through match
    for fi, family in enumerate(_FAMILIES):
        req = _FAMILY_REQ[fi]
        for have in family:
            for want in family:
                if family[0].startswith(("sm", "gfx", "ascend")):
                    pattern, text = f"ucid:*/*/*+{want}", f"ucid:acme.example/cn/x86-64+{have}"
                else:
                    pattern, text = f"ucid:*/*/{want}", f"ucid:acme.example/cn/{have}"
                expect = want == have or want in _CLOSURE[have]
                b.match(
                    pattern,
                    text,
                    [
                        "ID-6.2-1",
                        "ID-6.2-2",
                        req,
                        "ID-10.3-3" if "+" not in pattern else "ID-10.3-4",
                    ],
                    ["compat-order"],
                    f"{have} {'satisfies' if expect else 'does not satisfy'} {want}",
                    matches=expect,
                )
    b.match(
        "ucid:*/*/x86-64",
        "ucid:acme.example/cn/aarch64",
        ["ID-6.2-1", "ID-10.3-3"],
        ["compat-order"],
        "no edge across families",
        matches=False,
    )
    b.match(
        "ucid:*/*/loongarch64",
        "ucid:acme.example/cn/loongarch64",
        ["ID-6.2-2", "ID-10.3-3"],
        ["compat-order"],
        "a name with no edges satisfies itself",
        matches=True,
    )
    b.match(
        "ucid:*/*/*+sm90",
        "ucid:acme.example/cn/x86-64+gfx942",
        ["ID-6.2-1", "ID-10.3-4"],
        ["compat-order"],
        "no edge from AMD to NVIDIA",
        matches=False,
    )
    b.match(
        "ucid:*/*/amd64",
        "ucid:acme.example/cn/x86-64-v2",
        ["ID-6.2-3", "ID-10.2-3"],
        ["alias-not-resolved"],
        "aliases in patterns resolved before the relation",
        matches=True,
    )
    b.match(
        "ucid:*/*/*+sm_80",
        "ucid:acme.example/cn/x86-64+sm_90",
        ["ID-6.2-3", "ID-10.2-3"],
        ["alias-not-resolved"],
        "aliases on both sides",
        matches=True,
    )
    b.match(
        "ucid:*/*/kunpeng920",
        "ucid:acme.example/cn/kunpeng-920",
        ["ID-6.2-3"],
        ["alias-not-resolved"],
        "alias in the pattern, name in the identifier",
        matches=True,
    )
    b.match(
        "ucid:*/*/x86-64-v4",
        "ucid:acme.example/cn/x86-64-v5",
        ["ID-6.2-2", "ID-13.5-1", "ID-6.1-9"],
        ["unregistered-arch-accepted"],
        "x86-64-v5 (unregistered) gains no compatibility",
        matches=False,
    )
    b.match(
        "ucid:*/*/x86-64",
        "ucid:acme.example/cn/x86-64-v5",
        ["ID-6.2-2", "ID-13.5-1"],
        ["unregistered-arch-accepted"],
        "not even with the baseline",
        matches=False,
    )
    b.match(
        "ucid:*/*/x86-64-v5",
        "ucid:acme.example/cn/x86-64-v5",
        ["ID-6.2-2", "ID-6.1-9"],
        ["unregistered-arch-rejected"],
        "an unregistered name satisfies itself",
        matches=True,
    )
    b.match(
        "ucid:*/*/x86-64-v5",
        "ucid:acme.example/cn/x86-64-v4",
        ["ID-6.2-2"],
        ["unregistered-arch-accepted"],
        "nothing else satisfies an unregistered name",
        matches=False,
    )
    b.match(
        "ucid:*/*/*+sm90",
        "ucid:acme.example/cn/x86-64+sm9o",
        ["ID-13.5-1", "ID-6.2-2"],
        ["unregistered-arch-accepted"],
        "sm9o (letter o) is not sm90",
        matches=False,
    )
    b.match(
        "ucid:*/*/*+sm90",
        "ucid:acme.example/cn/x86-64+sm90-pro",
        ["ID-13.5-1", "ID-6.2-2"],
        ["unregistered-arch-accepted"],
        "sm90-pro gains nothing from sm90",
        matches=False,
    )
    b.match(
        "ucid:*/*/*+sm80",
        "ucid:acme.example/cn/x86-64+sm91",
        ["ID-13.5-1", "ID-6.2-2"],
        ["unregistered-arch-accepted"],
        "sm91 (unregistered) does not satisfy sm80",
        matches=False,
    )
    return area


# --------------------------------------------------------------------------
# capabilities: §7


_UNITS = [  # (unit, type, factor, key, req)
    ("B", "size", 1, "mem", "ID-7.2-2"),
    ("kB", "size", 10**3, "mem", "ID-7.2-3"),
    ("MB", "size", 10**6, "mem", "ID-7.2-4"),
    ("GB", "size", 10**9, "mem", "ID-7.2-5"),
    ("TB", "size", 10**12, "mem", "ID-7.2-6"),
    ("PB", "size", 10**15, "mem", "ID-7.2-7"),
    ("EB", "size", 10**18, "mem", "ID-7.2-8"),
    ("KiB", "size", 2**10, "mem", "ID-7.2-9"),
    ("MiB", "size", 2**20, "mem", "ID-7.2-10"),
    ("GiB", "size", 2**30, "mem", "ID-7.2-11"),
    ("TiB", "size", 2**40, "mem", "ID-7.2-12"),
    ("PiB", "size", 2**50, "mem", "ID-7.2-13"),
    ("EiB", "size", 2**60, "mem", "ID-7.2-14"),
    ("bps", "rate", 1, "net-bw", "ID-7.2-15"),
    ("kbps", "rate", 10**3, "net-bw", "ID-7.2-16"),
    ("Mbps", "rate", 10**6, "net-bw", "ID-7.2-17"),
    ("Gbps", "rate", 10**9, "net-bw", "ID-7.2-18"),
    ("Tbps", "rate", 10**12, "net-bw", "ID-7.2-19"),
    ("Pbps", "rate", 10**15, "net-bw", "ID-7.2-20"),
    ("Hz", "frequency", 1, "freq", "ID-7.2-21"),
    ("kHz", "frequency", 10**3, "freq", "ID-7.2-22"),
    ("MHz", "frequency", 10**6, "freq", "ID-7.2-23"),
    ("GHz", "frequency", 10**9, "freq", "ID-7.2-24"),
]
_CANON_UNIT = {"size": "B", "rate": "bps", "frequency": "Hz"}
_TYPE_REQ = {"size": "ID-7.1-4", "rate": "ID-7.1-5", "frequency": "ID-7.1-6"}


def _capabilities() -> Area:
    area, b = _area(
        "capabilities",
        "cap",
        "Capability attributes (spec/identifier.md §7): the six types, every unit and its factor, exact "
        "conversion to canonical units, registered types, repeated keys, and the value positions of §12.",
    )
    val = ["ID-12-1", "ID-12-6", "ID-12-15", "ID-12-29"]
    keyf = ["ID-12-1", "ID-12-6", "ID-12-14", "ID-12-29"]
    for unit, kind, factor, key, req in _UNITS:
        expect = f"{A}/{key}={3 * factor}{_CANON_UNIT[kind]}"
        b.parse(
            f"{A}/{key}=3{unit}",
            [req, "ID-7.2-1", _TYPE_REQ[kind], "ID-7.2-26"],
            ["binary-vs-decimal-unit"],
            f"3{unit} is 3 x {factor} {_CANON_UNIT[kind]}",
            canonical=expect,
        )
    for text, canonical in [
        ("mem=1.5GiB", "mem=1610612736B"),
        ("freq=2.6GHz", "freq=2600000000Hz"),
        ("net-bw=0.4Tbps", "net-bw=400000000000bps"),
        ("disk=3.84TB", "disk=3840000000000B"),
        ("l3=0.5MiB", "l3=524288B"),
    ]:
        b.parse(
            f"{A}/{text}",
            ["ID-7.2-26"],
            ["float-arithmetic"],
            "§7.2 example",
            canonical=f"{A}/{canonical}",
        )
    for text, canonical in [
        ("disk=3.84TB;mem=192GiB;cpu=96", "cpu=96;disk=3840000000000B;mem=206158430208B"),
        ("gpu-arch=hopper;numa=2;l3=0.5MiB;boost", "boost;gpu-arch=hopper;l3=524288B;numa=2"),
    ]:
        b.parse(
            f"{A}/{text}",
            ["ID-7.4-1", "ID-7.3-2"],
            ["sort-order"],
            "§7.4 example",
            canonical=f"{A}/{canonical}",
        )
    # exact arithmetic
    for text, note in [
        ("net-bw=0.3Gbps", "0.3 x 10^9 is not an integer in binary floating point"),
        ("mem=4.1GB", "4.1 x 10^9 in doubles is 4099999999.9999995"),
        ("mem=1.1EB", "1.1 x 10^18 in doubles is 1100000000000000128"),
        ("mem=0.001kB", "1 byte"),
        ("freq=0.000000001GHz", "1 hertz"),
        ("mem=7.5EiB", "8646911284551352320 bytes, near the maximum"),
        ("mem=0.0B", "zero written with a fraction"),
        ("mem=0B", "zero"),
        ("mem=1.0000000000000000000000000000000000000000GiB", "a long fraction of zeros"),
        ("net-bw=2.5bps", "not whole: rejected"),
    ]:
        if "not whole" in note:
            b.bad(f"{A}/{text}", [*val, "ID-7.2-27"], ["float-arithmetic"], note)
        else:
            b.parse(f"{A}/{text}", ["ID-7.2-26"], ["float-arithmetic"], note)
    b.bad(
        f"{A}/mem=0.1B",
        [*val, "ID-7.2-27"],
        ["float-arithmetic"],
        "§12: not a whole number of bytes",
        position=32,
    )
    b.bad(
        f"{A}/freq=2.6000000001GHz",
        [*val, "ID-7.2-27"],
        ["float-arithmetic"],
        "§7.2: not a whole number of hertz",
        position=33,
    )
    b.bad(
        f"{A}/mem=1.0000000001KiB",
        [*val, "ID-7.2-27"],
        ["float-arithmetic"],
        "1024.0000001024 bytes",
        position=32,
    )
    b.bad(f"{A}/mem=0.5B", [*val, "ID-7.2-27"], ["float-arithmetic"], "half a byte", position=32)
    b.bad(
        f"{A}/mem=8EiB",
        [*val, "ID-7.2-28", "ID-8-12"],
        ["numeric-overflow"],
        "§12: 2^63, above the maximum",
        position=32,
    )
    b.bad(
        f"{A}/acc=9223372036854775808",
        [*val, "ID-7.1-11", "ID-8-12"],
        ["numeric-overflow"],
        "§12: 2^63, above the maximum count",
        position=32,
    )
    b.parse(
        f"{A}/acc=9223372036854775807",
        ["ID-7.1-11", "ID-7.1-3", "ID-8-12"],
        ["numeric-overflow"],
        "2^63-1: the maximum count",
    )
    b.parse(
        f"{A}/mem=9223372036854775807B",
        ["ID-7.2-28", "ID-7.1-4", "ID-8-12"],
        ["numeric-overflow"],
        "2^63-1 bytes",
    )
    b.bad(
        f"{A}/mem=9223372036854775808B",
        [*val, "ID-7.2-28", "ID-8-12"],
        ["numeric-overflow"],
        "2^63 bytes",
        position=32,
    )
    b.parse(
        f"{A}/net-bw=9223372036854775807bps",
        ["ID-7.2-28", "ID-7.1-5", "ID-8-12"],
        ["numeric-overflow"],
        "2^63-1 bits per second",
    )
    b.bad(
        f"{A}/net-bw=9223372036854775808bps",
        [*val, "ID-7.2-28", "ID-8-12"],
        ["numeric-overflow"],
        "2^63 bits per second",
        position=35,
    )
    b.parse(
        f"{A}/freq=9223372036854775807Hz",
        ["ID-7.2-28", "ID-7.1-6", "ID-8-12"],
        ["numeric-overflow"],
        "2^63-1 hertz",
    )
    b.bad(
        f"{A}/freq=9223372036854775808Hz",
        [*val, "ID-7.2-28", "ID-8-12"],
        ["numeric-overflow"],
        "2^63 hertz",
        position=33,
    )
    b.bad(
        f"{A}/acc=18446744073709551616",
        [*val, "ID-7.1-11", "ID-8-12"],
        ["numeric-overflow"],
        "2^64 wraps to 0 in 64-bit arithmetic",
        position=32,
    )
    b.bad(
        f"{A}/mem=9.223372036854775808EB",
        [*val, "ID-7.2-28", "ID-8-12"],
        ["numeric-overflow"],
        "2^63 bytes written with a decimal prefix",
        position=32,
    )
    b.parse(
        f"{A}/mem=9.223372036854775807EB",
        ["ID-7.2-28", "ID-8-12"],
        ["numeric-overflow"],
        "2^63-1 bytes written with a decimal prefix",
    )
    # units are case-sensitive and exactly those listed
    for text, note in [
        ("mem=1KB", "KB is not a unit (kB or KiB)"),
        ("mem=1kiB", "kiB is not a unit"),
        ("mem=1Gb", "Gb is not a unit"),
        ("mem=1GBps", "GBps is not a unit"),
        ("mem=1gb", "gb is not a unit"),
        ("freq=1ghz", "ghz is not a unit"),
        ("freq=1KHz", "KHz is not a unit (kHz)"),
        ("net-bw=1Kbps", "Kbps is not a unit"),
        ("net-bw=1GBPS", "GBPS is not a unit"),
        ("mem=1b", "b is not a unit (B)"),
        ("mem=1byte", "byte is not a unit"),
        ("net-bw=1Gibps", "no binary rate prefixes"),
        ("freq=1THz", "THz is not a unit"),
    ]:
        b.bad(
            f"{A}/{text}",
            ["ID-7.2-1", "ID-7.2-25", "ID-12-1", "ID-12-4"],
            ["case-folding", "binary-vs-decimal-unit"],
            note,
        )
    # types (§7.1) and registered types (§7.3)
    b.parse(f"{A}/sriov", ["ID-7.1-2", "ID-7.3-1"], [], "a registered flag")
    b.parse(
        f"{A}/foo", ["ID-7.1-2", "ID-7.3-2"], ["unregistered-arch-rejected"], "an unregistered flag"
    )
    b.parse(f"{A}/foo=1", ["ID-7.1-3", "ID-7.3-2"], [], "an unregistered count")
    b.parse(f"{A}/foo=1KiB", ["ID-7.1-4", "ID-7.3-2"], [], "an unregistered size")
    b.parse(f"{A}/foo=1kbps", ["ID-7.1-5", "ID-7.3-2"], [], "an unregistered rate")
    b.parse(f"{A}/foo=1kHz", ["ID-7.1-6", "ID-7.3-2"], [], "an unregistered frequency")
    b.parse(f"{A}/foo=Bar", ["ID-7.1-7", "ID-7.3-2"], ["case-folding"], "an unregistered token")
    b.parse(f"{A}/foo=b", ["ID-7.1-7"], ["dns-case"], "a token b (not a unit)")
    b.parse(
        f"{A}/ACC-Model=H800",
        ["ID-7.1-1", "ID-7.1-7", "ID-7.3-1"],
        ["case-folding"],
        "key and token lowercased; the registered key found",
    )
    b.parse(
        f"{A}/foo--bar-=a--b-",
        ["ID-7.1-10"],
        ["syntax"],
        "consecutive and trailing hyphens in keys and tokens",
    )
    b.parse(f"{A}/confidential;sriov", ["ID-7.1-2", "ID-7.3-1"], [], "both registered flags")
    b.parse(
        f"{A}/cpu=96;mem-bw=3200Gbps;ic-bw=900Gbps", ["ID-7.3-1"], [], "registered counts and rates"
    )
    b.bad(
        f"{A}/mem",
        [*keyf, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "§12: mem needs a size",
        position=28,
    )
    b.bad(
        f"{A}/acc",
        [*keyf, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "a registered count without a value",
        position=28,
    )
    b.bad(
        f"{A}/acc-model",
        [*keyf, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "a registered token without a value",
        position=28,
    )
    b.bad(
        f"{A}/sriov=1",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "§12: sriov is a flag",
        position=34,
    )
    b.bad(
        f"{A}/confidential=yes",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "confidential is a flag",
        position=41,
    )
    b.bad(
        f"{A}/acc=8kB",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "§12: acc is a count",
        position=32,
    )
    b.bad(
        f"{A}/mem=8",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "mem is a size, not a count",
        position=32,
    )
    b.bad(
        f"{A}/mem=big",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "mem is a size, not a token",
        position=32,
    )
    b.bad(
        f"{A}/net-bw=100GB",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked", "bits-vs-bytes"],
        "net-bw is a rate, not a size",
        position=35,
    )
    b.bad(
        f"{A}/mem-bw=100GB",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked", "bits-vs-bytes"],
        "mem-bw is a rate (bits per second)",
        position=35,
    )
    b.bad(
        f"{A}/mem=1Gbps",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked", "bits-vs-bytes"],
        "mem is a size, not a rate",
        position=32,
    )
    b.bad(
        f"{A}/freq=1GB",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "freq is a frequency",
        position=33,
    )
    b.bad(
        f"{A}/acc-model=8",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "acc-model is a token",
        position=38,
    )
    b.bad(
        f"{A}/ic=1Gbps",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "ic is a token",
        position=31,
    )
    b.bad(
        f"{A}/cpu=2GHz",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "cpu is a count",
        position=32,
    )
    b.bad(
        f"{A}/disk=1",
        [*val, "ID-7.3-1"],
        ["registered-type-not-checked"],
        "disk is a size",
        position=33,
    )
    # repeated keys
    rep = ["ID-7.1-13", "ID-12-1", "ID-12-14", "ID-12-29"]
    b.bad(
        f"{A}/acc-model=h800;acc=8;ACC=4",
        rep,
        ["duplicate-accepted", "case-folding"],
        "§12: acc twice; the later key",
        position=49,
    )
    b.bad(f"{A}/acc=8;acc=8", rep, ["duplicate-accepted"], "the same attribute twice", position=34)
    b.bad(f"{A}/sriov;SRIOV", rep, ["duplicate-accepted"], "a flag twice", position=34)
    b.bad(f"{A}/foo=1;foo=bar", rep, ["duplicate-accepted"], "one key with two types", position=34)
    b.bad(
        f"{A}/mem=1GiB;mem=1024MiB",
        rep,
        ["duplicate-accepted"],
        "equal values are still a repeated key",
        position=37,
    )
    return area


# --------------------------------------------------------------------------
# limits: §8


def _labels(n: int, width: int = 1) -> str:
    return ".".join(chr(ord("a") + i) * width for i in range(n))


def _limits() -> Area:
    area, b = _area(
        "limits",
        "lim",
        "Every limit of spec/identifier.md §8, at the limit (valid) and one over (invalid), measured "
        "as §8 says (code points, octets of A-labels, canonical forms), with the positions of §12.",
    )
    lim = ["ID-8-1", "ID-12-1", "ID-12-29"]
    # input length: 512 code points, checked first
    long_zero = "ucid:a/cn/x86-64/mem=1." + "0" * 10 + "GiB"
    pad = 512 - len(long_zero)
    t512 = "ucid:a/cn/x86-64/mem=1." + "0" * (10 + pad) + "GiB"
    assert len(t512) == 512
    b.parse(
        t512,
        ["ID-8-2", "ID-8-17"],
        ["off-by-one-limit", "limit-on-written-form"],
        "512 code points: valid (canonical form is short)",
    )
    t513 = "ucid:a/cn/x86-64/mem=1." + "0" * (11 + pad) + "GiB"
    b.bad(
        t513,
        [*lim, "ID-8-2", "ID-12-5"],
        ["off-by-one-limit"],
        "513 code points: position 512",
        position=512,
    )
    b.bad(
        "x" * 513,
        [*lim, "ID-8-2", "ID-12-5", "ID-2.4-1", "ID-12-30"],
        ["off-by-one-limit", "error-position"],
        "length is checked before parsing: 512, not 0",
        position=512,
    )
    b.bad(
        "x" * 512,
        ["ID-12-1", "ID-12-4", "ID-2.4-5"],
        ["off-by-one-limit"],
        "512 code points of junk: a syntax error at 0",
        position=0,
    )
    u512 = (
        "ucid:中国移动.cn/cn/x86-64/mem=1."
        + "0" * (512 - len("ucid:中国移动.cn/cn/x86-64/mem=1.GiB"))
        + "GiB"
    )
    assert len(u512) == 512
    b.parse(
        u512,
        ["ID-8-2", "ID-2.2-2"],
        ["utf16-positions"],
        "512 code points, more than 512 UTF-8 octets: valid",
    )
    u513 = u512[:-3] + "0GiB"
    b.bad(
        u513,
        [*lim, "ID-8-2", "ID-12-5", "ID-2.2-2"],
        ["utf16-positions"],
        "513 code points with non-ASCII",
        position=512,
    )
    astral = "ucid:\U00020000.cn/cn/x86-64/mem=1."
    a512 = astral + "0" * (512 - len(astral) - 3) + "GiB"
    assert len(a512) == 512
    b.parse(
        a512,
        ["ID-8-2", "ID-2.2-2"],
        ["utf16-positions"],
        "512 code points, 513 UTF-16 units: valid",
    )
    # provider labels: 8
    b.parse(f"ucid:{_labels(8)}/cn/x86-64", ["ID-4-10", "ID-8-3"], ["off-by-one-limit"], "8 labels")
    b.bad(
        f"ucid:{_labels(9)}/cn/x86-64",
        [*lim, "ID-4-10", "ID-8-3", "ID-12-6", "ID-12-7"],
        ["off-by-one-limit"],
        "§12: 9 labels, at the first label",
        position=5,
    )
    b.bad(
        f"ucid:{_labels(9, 3)}/cn/x86-64",
        [*lim, "ID-4-10", "ID-8-3", "ID-12-7"],
        ["off-by-one-limit"],
        "9 labels of 3 letters",
        position=5,
    )
    # provider label: 63 octets
    b.parse(
        f"ucid:{'a' * 63}.example/cn/x86-64",
        ["ID-4-2", "ID-8-4"],
        ["off-by-one-limit"],
        "an LDH label of 63",
    )
    b.bad(
        f"ucid:{'a' * 64}.example/cn/x86-64",
        [*lim, "ID-4-2", "ID-8-4", "ID-12-8"],
        ["off-by-one-limit"],
        "§12: an LDH label of 64",
        position=5,
    )
    b.bad(
        f"ucid:acme.{'b' * 64}/cn/x86-64",
        [*lim, "ID-4-2", "ID-8-4", "ID-12-8"],
        ["off-by-one-limit", "error-position"],
        "the second label too long",
        position=10,
    )
    b.parse(
        f"ucid:{'A' * 63}/cn/x86-64",
        ["ID-4-2", "ID-8-4"],
        ["off-by-one-limit", "case-folding"],
        "63 capitals",
    )
    # U-labels whose A-label is 63 / 64 octets
    base63 = None
    for prefix in range(70):
        for n in range(1, 40):
            u = "a" * prefix + "ä" * n
            if len(_punycode(u)) == 63:
                base63 = u
                break
        if base63:
            break
    assert base63 is not None
    b.parse(
        f"ucid:{base63}.example/cn/x86-64",
        ["ID-4-8", "ID-8-4"],
        ["off-by-one-limit", "utf16-positions"],
        "a U-label whose A-label has 63 octets",
    )
    over = None
    for extra in ("a", "ä"):
        if len(_punycode(base63 + extra)) == 64:
            over = base63 + extra
    assert over is not None
    b.bad(
        f"ucid:{over}.example/cn/x86-64",
        [*lim, "ID-4-8", "ID-8-4", "ID-12-8"],
        ["off-by-one-limit"],
        "a U-label of fewer than 63 code points whose A-label has 64 octets",
        position=5,
    )
    b.parse(
        f"ucid:{_punycode(base63)}.example/cn/x86-64",
        ["ID-4-6", "ID-8-4"],
        ["off-by-one-limit"],
        "the 63-octet A-label itself",
    )
    # region
    b.parse("ucid:a/cn-a-b-c/x86-64", ["ID-8-5", "ID-5-1"], ["off-by-one-limit"], "three subtags")
    b.bad(
        "ucid:a/cn-a-b-c-d/x86-64",
        ["ID-8-5", "ID-12-1", "ID-12-4"],
        ["off-by-one-limit"],
        "four subtags: REGION stops after three",
        position=15,
    )
    b.parse("ucid:a/cn-abcdefgh/x86-64", ["ID-8-5"], ["off-by-one-limit"], "a subtag of 8")
    b.bad(
        "ucid:a/cn-abcdefghi/x86-64",
        ["ID-8-5", "ID-12-1", "ID-12-4"],
        ["off-by-one-limit"],
        "a subtag of 9",
        position=18,
    )
    b.parse("ucid:a/cn-12345678-a1-0/x86-64", ["ID-8-5", "ID-5-1"], [], "digit subtags")
    b.parse(
        "ucid:a/qq/x86-64",
        ["ID-5-6"],
        ["missing-check"],
        "qq is not assigned in ISO 3166: syntax only",
    )
    b.parse(
        "ucid:a/uk-xx-yy/x86-64",
        ["ID-5-6"],
        ["missing-check"],
        "uk (not gb) and made-up subdivisions: syntax only",
    )
    b.bad(
        "ucid:a/chn/x86-64",
        ["ID-8-5", "ID-12-1", "ID-12-4"],
        ["off-by-one-limit"],
        "a three-letter country code",
        position=9,
    )
    b.bad(
        "ucid:a/cn--gd/x86-64",
        ["ID-8-5", "ID-12-1", "ID-12-4"],
        ["syntax"],
        "an empty subtag",
        position=9,
    )
    # architecture terms: 8
    eight = "x86-64+" + "+".join(f"a{i}" for i in range(1, 8))
    b.parse(
        f"ucid:acme.example/cn/{eight}", ["ID-6.1-1", "ID-8-6"], ["off-by-one-limit"], "8 terms"
    )
    b.bad(
        "ucid:acme.example/cn/x86-64+a1+a2+a3+a4+a5+a6+a7+a8",
        [*lim, "ID-6.1-1", "ID-8-6", "ID-12-10"],
        ["off-by-one-limit"],
        "§12: the ninth term",
        position=49,
    )
    # architecture name: 32
    b.parse(
        f"ucid:a/cn/{'c' * 32}", ["ID-6.1-3", "ID-8-7"], ["off-by-one-limit"], "a CPU name of 32"
    )
    b.bad(
        f"ucid:a/cn/{'c' * 33}",
        [*lim, "ID-6.1-3", "ID-8-7", "ID-12-11"],
        ["off-by-one-limit"],
        "a CPU name of 33",
        position=10,
    )
    b.parse(
        f"ucid:a/cn/x86-64+{'g' * 32}",
        ["ID-6.1-3", "ID-8-7"],
        ["off-by-one-limit"],
        "an accelerator name of 32",
    )
    b.bad(
        f"ucid:a/cn/x86-64+{'g' * 33}",
        [*lim, "ID-6.1-3", "ID-8-7", "ID-12-11"],
        ["off-by-one-limit"],
        "an accelerator name of 33",
        position=17,
    )
    # architecture component: 62, canonical
    b.parse(
        f"ucid:a/cn/x86-64+{'z' * 30}+{'b' * 24}",
        ["ID-6.1-7", "ID-8-8"],
        ["off-by-one-limit"],
        "an architecture of 62",
    )
    b.bad(
        f"ucid:a/cn/x86-64+{'z' * 30}+{'b' * 25}",
        [*lim, "ID-6.1-7", "ID-6.1-8", "ID-8-8", "ID-12-12"],
        ["off-by-one-limit", "error-position"],
        "63: the fault is at the term as written (b...), although it sorts first",
        position=48,
    )
    b.bad(
        "ucid:a/cn/x86-64-v4+" + "a" * 26 + "+" + "b" * 26,
        [*lim, "ID-6.1-8", "ID-8-8", "ID-12-12"],
        ["off-by-one-limit", "error-position"],
        "§12: the b term takes the architecture past 62",
        position=47,
    )
    b.bad(
        f"ucid:a/cn/kunpeng920+{'a' * 32}+{'b' * 18}",
        [*lim, "ID-6.1-7", "ID-6.1-8", "ID-8-8", "ID-12-12"],
        ["limit-on-written-form", "alias-not-resolved"],
        "62 as written, 63 after the alias kunpeng920 -> kunpeng-920",
        position=54,
    )
    b.parse(
        f"ucid:a/cn/kunpeng920+{'a' * 32}+{'b' * 17}",
        ["ID-6.1-7", "ID-8-8"],
        ["limit-on-written-form"],
        "62 after alias resolution",
    )
    # attributes: 16
    sixteen = ";".join(f"k{chr(ord('a') + i)}" for i in range(16))
    b.parse(f"{A}/{sixteen}", ["ID-7.1-12", "ID-8-9"], ["off-by-one-limit"], "16 attributes")
    seventeen = sixteen + ";kq"
    b.bad(
        f"{A}/{seventeen}",
        [*lim, "ID-7.1-12", "ID-8-9", "ID-12-13"],
        ["off-by-one-limit"],
        "17 attributes: the seventeenth key",
        position=28 + 16 * 3,
    )
    # key: 32
    b.parse(f"{A}/{'k' * 32}=1", ["ID-7.1-8", "ID-8-10"], ["off-by-one-limit"], "a key of 32")
    b.bad(
        f"{A}/{'k' * 33}=1",
        [*lim, "ID-7.1-8", "ID-8-10", "ID-12-14"],
        ["off-by-one-limit"],
        "a key of 33: at the key",
        position=28,
    )
    b.bad(
        f"{A}/{'k' * 33}",
        [*lim, "ID-7.1-8", "ID-8-10", "ID-12-14"],
        ["off-by-one-limit"],
        "a flag of 33",
        position=28,
    )
    # token: 32
    b.parse(f"{A}/t={'v' * 32}", ["ID-7.1-9", "ID-8-11"], ["off-by-one-limit"], "a token of 32")
    b.bad(
        f"{A}/t={'v' * 33}",
        [*lim, "ID-7.1-9", "ID-8-11", "ID-12-15"],
        ["off-by-one-limit"],
        "a token of 33: at the value",
        position=30,
    )
    b.bad(
        f"{A}/acc-model={'V' * 33}",
        [*lim, "ID-7.1-9", "ID-8-11", "ID-12-15"],
        ["off-by-one-limit"],
        "a registered token of 33",
        position=38,
    )
    # attribute: 62 canonical
    b.parse(
        f"{A}/{'k' * 29}={'v' * 32}",
        ["ID-7.1-14", "ID-8-13"],
        ["off-by-one-limit"],
        "an attribute of 62",
    )
    b.bad(
        f"{A}/{'k' * 30}={'v' * 32}",
        [*lim, "ID-7.1-14", "ID-8-13", "ID-12-14"],
        ["off-by-one-limit"],
        "an attribute of 63: at the key",
        position=28,
    )
    b.parse(
        f"{A}/{'k' * 32}=1.0000000000000000000000000000000000GiB",
        ["ID-7.1-14", "ID-8-13"],
        ["limit-on-written-form"],
        "written 71, canonical 44: valid",
    )
    b.parse(
        f"{A}/{'k' * 32}=7EiB",
        ["ID-7.1-14", "ID-8-13"],
        ["limit-on-written-form"],
        "written 37, canonical 53",
    )
    # relative DNS name: 189
    p177 = "a" * 63 + "." + "b" * 63 + "." + "c" * 49
    b.parse(
        f"ucid:{p177}/cn/x86-64",
        ["ID-8-14", "ID-8-17"],
        ["off-by-one-limit"],
        "relative DNS name of 189",
    )
    b.bad(
        f"ucid:{p177}c/cn/x86-64",
        [*lim, "ID-8-14", "ID-12-18"],
        ["off-by-one-limit"],
        "relative DNS name of 190: no position",
        position=None,
    )
    key = "m" * 10
    # canonical = "ucid:" + P + "/cn/x86-64/" + key=1152921504606846976B; relative = len - 5 + 2 + 1
    prov_len = 189 + 5 - 2 - 1 - len("ucid:/cn/x86-64/") - len(key) - len("=1152921504606846976B")
    p160 = "a" * 63 + "." + "b" * 63 + "." + "c" * (prov_len - 128)
    b.parse(
        f"ucid:{p160}/cn/x86-64/{key}=1EiB",
        ["ID-8-14", "ID-8-17"],
        ["limit-on-written-form"],
        "189 only after 1EiB expands",
    )
    b.bad(
        f"ucid:{p160}/cn/x86-64/{key}m=1EiB",
        [*lim, "ID-8-14", "ID-8-17", "ID-12-18"],
        ["limit-on-written-form"],
        "190 only after 1EiB expands: the written form is short",
        position=None,
    )
    b.parse(
        f"ucid:{p160}/cn/x86-64/{key}=1.0000000000000000000000000000000000000000000000EiB",
        ["ID-8-14", "ID-8-17"],
        ["limit-on-written-form"],
        "written long, 189 canonical",
    )
    return area


# --------------------------------------------------------------------------
# dns-mapping: §9


def _dns() -> Area:
    area, b = _area(
        "dns-mapping",
        "dns",
        "The DNS mapping (spec/identifier.md §9): to_dns_name and from_dns_name, root suffixes, case and "
        "units, the rejection of every name that is not the forward mapping of its identifier, and the "
        "positions of §12.",
    )
    fwd = ["ID-9.1-2", "ID-9.1-3", "ID-9.1-4", "ID-9.1-5", "ID-9.1-6", "ID-9.1-7"]
    rev = [
        "ID-9-1",
        "ID-9.3-1",
        "ID-9.3-2",
        "ID-9.3-3",
        "ID-9.3-4",
        "ID-9.3-5",
        "ID-9.3-6",
        "ID-9.3-7",
        "ID-9.3-8",
    ]
    examples = [
        (
            "ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B",
            "_acc_8._mem_549755813888b._x86-64-v4_sm90._cn-gd.acme.example.ucid.example.",
        ),
        (
            "ucid:xn--fiq02ib9d179b.cn/cn-bj/neoverse-v2+sm90/acc=8;acc-mem=103079215104B;ic=nvlink4;mem=1099511627776B",
            "_acc_8._acc-mem_103079215104b._ic_nvlink4._mem_1099511627776b._neoverse-v2_sm90._cn-bj.xn--fiq02ib9d179b.cn.ucid.example.",
        ),
        (
            "ucid:example.org/de-by/aarch64+gfx942+sm80/freq=2600000000Hz;net-bw=400000000000bps;sriov",
            "_freq_2600000000hz._net-bw_400000000000bps._sriov._aarch64_gfx942_sm80._de-by.example.org.ucid.example.",
        ),
        ("ucid:hpc.example/zz/riscv64", "_riscv64._zz.hpc.example.ucid.example."),
    ]
    for text, name in examples:
        b.to_dns(text, "ucid.example", [*fwd, "ID-9.2-1"], ["dns-case"], "§9.4 example", name=name)
        b.from_dns(
            name,
            "ucid.example",
            [*rev, "ID-9.2-2"],
            ["dns-case"],
            "§9.4 example, reversed",
            canonical=text,
        )
    b.to_dns(
        "ucid:hpc.example/zz/riscv64",
        "",
        ["ID-9.1-1", "ID-9.1-7"],
        ["root-suffix"],
        "§9.4: the empty root",
        name="_riscv64._zz.hpc.example.",
    )
    b.to_dns(
        "ucid:hpc.example/zz/riscv64",
        ".",
        ["ID-9.1-1"],
        ["root-suffix"],
        "§9.4: the root written as .",
        name="_riscv64._zz.hpc.example.",
    )
    b.from_dns(
        "_riscv64._zz.hpc.example.",
        "",
        ["ID-9.3-1", "ID-9.3-2"],
        ["root-suffix"],
        "reverse under the empty root",
        canonical="ucid:hpc.example/zz/riscv64",
    )
    b.from_dns(
        "_riscv64._zz.hpc.example",
        ".",
        ["ID-9.3-1", "ID-9.3-2"],
        ["root-suffix"],
        "reverse under . without the trailing dot",
        canonical="ucid:hpc.example/zz/riscv64",
    )
    # §9.4 reverse table
    b.from_dns(
        "_ACC_8._MEM_549755813888B._X86-64-V4_SM90._CN-GD.ACME.EXAMPLE.UCID.EXAMPLE",
        "ucid.example",
        [*rev, "ID-9.2-2"],
        ["dns-case"],
        "§9.4: capitals, no trailing dot",
        canonical="ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B",
    )
    b.from_dns(
        "_freq_2600000000hz._x86-64._cn-gd.a.example.ucid.example.",
        "ucid.example",
        [*rev, "ID-9.2-2"],
        ["dns-case"],
        "§9.4: hz restored as Hz",
        canonical="ucid:a.example/cn-gd/x86-64/freq=2600000000Hz",
    )
    nc = ["ID-9.3-8", "ID-12-1", "ID-12-28", "ID-12-29"]
    b.from_dns_bad(
        "_mem_549755813888b._acc_8._x86-64-v4_sm90._cn-gd.acme.example.ucid.example.",
        "ucid.example",
        nc,
        ["dns-non-canonical-accepted"],
        "§9.4: attributes not in canonical order",
        position=None,
    )
    b.from_dns_bad(
        "_amd64._cn-gd.a.example.ucid.example.",
        "ucid.example",
        nc,
        ["dns-non-canonical-accepted", "alias-not-resolved"],
        "§9.4: an alias",
        position=None,
    )
    b.from_dns_bad(
        "_acc_8._mem_512gib._x86-64-v4_sm90._cn-gd.acme.example.ucid.example.",
        "ucid.example",
        ["ID-9.3-7", "ID-12-1", "ID-12-28"],
        ["dns-case"],
        "§9.4: 512gib is not a value",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64.acme.example.ucid.example.",
        "ucid.example",
        ["ID-9.3-5", "ID-12-1", "ID-12-26"],
        ["missing-check"],
        "§9.4: no region label",
        position=None,
    )
    # forward details
    b.to_dns(
        "ucid:a.example/cn/x86-64/mem=1B;net-bw=1bps;freq=1Hz",
        "ucid.example",
        ["ID-9.2-1", "ID-9.1-2"],
        ["dns-case"],
        "B -> b, Hz -> hz, bps unchanged",
    )
    b.to_dns(
        "ucid:a.example/cn/x86-64/acc-model=h800;sriov",
        "ucid.example",
        ["ID-9.1-2"],
        [],
        "a token and a flag",
    )
    b.to_dns(
        "ucid:a.example/cn-gd-sz1/x86-64",
        "UCID.Example",
        ["ID-9.1-1"],
        ["root-suffix", "dns-case"],
        "the root suffix is lowercased",
    )
    b.to_dns(
        "ucid:a.example/cn/x86-64",
        "ucid.example.",
        ["ID-9.1-1"],
        ["root-suffix"],
        "one trailing dot removed from the root",
    )
    b.to_dns(
        "UCID:A.Example/CN/AMD64+SM_90/MEM=1GiB",
        "ucid.example",
        [*fwd, "ID-9.2-1"],
        ["dns-case", "non-canonical-accepted"],
        "the name of a non-canonical spelling is that of its canonical form",
    )
    b.to_dns(
        "ucid:中国移动.cn/cn/x86-64", "ucid.example", ["ID-9.1-5"], [], "A-labels in the DNS name"
    )
    b.to_dns(
        "ucid:a/cn/x86-64",
        "r" * 63,
        ["ID-9.1-1", "ID-8-16"],
        ["off-by-one-limit", "root-suffix"],
        "a root suffix of 63",
    )
    b.to_dns(
        "ucid:a/cn/x86-64",
        "a.b.c-d.e1",
        ["ID-9.1-1", "ID-9.1-6"],
        ["root-suffix"],
        "a root of several labels",
    )
    b.to_dns(
        "ucid:a/cn/x86-64", "0.example", ["ID-9.1-1"], ["root-suffix"], "a digit label in the root"
    )
    rootbad = ["ID-9.1-1", "ID-12-1", "ID-12-19", "ID-12-29"]
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "r" * 64,
        [*rootbad, "ID-8-16", "ID-12-20"],
        ["off-by-one-limit", "root-suffix"],
        "a root suffix of 64: no position",
        position=None,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "-ucid.example",
        [*rootbad, "ID-12-21"],
        ["root-suffix"],
        "a root label with a leading hyphen",
        position=0,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "ucid.example-",
        [*rootbad, "ID-12-21"],
        ["root-suffix"],
        "a root label with a trailing hyphen",
        position=5,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "_ucid.example",
        [*rootbad, "ID-12-21"],
        ["root-suffix"],
        "_ in a root label",
        position=0,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "ucid..example",
        [*rootbad, "ID-12-21"],
        ["root-suffix"],
        "an empty root label (at its place)",
        position=5,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "ucid.example..",
        [*rootbad, "ID-12-21"],
        ["root-suffix"],
        "only one trailing dot is removed",
        position=13,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "ücid.example",
        [*rootbad, "ID-12-21"],
        ["root-suffix"],
        "a non-ASCII root label",
        position=0,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "ucid.exämple",
        [*rootbad, "ID-12-21"],
        ["root-suffix", "error-position"],
        "a non-ASCII second root label",
        position=5,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "ucid example",
        [*rootbad, "ID-12-21"],
        ["root-suffix", "whitespace"],
        "a space in the root",
        position=0,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64",
        "ucid.ex*mple",
        [*rootbad, "ID-12-21"],
        ["root-suffix"],
        "* in the root",
        position=5,
    )
    b.to_dns_bad(
        "ucid:a/cn/x86-64/acc=08",
        "ucid.example",
        ["ID-12-1", "ID-12-4"],
        ["syntax"],
        "an identifier that is not one",
        position=22,
    )
    b.to_dns("ucid:a/cn/x86-64", "", ["ID-9.1-1"], ["root-suffix"], "the DNS root")
    # reverse details
    b.from_dns(
        "_mem_1024b._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.2-2"],
        ["dns-case"],
        "b restored as B",
    )
    b.from_dns(
        "_net-bw_1000bps._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.2-2"],
        ["dns-case"],
        "bps kept",
    )
    b.from_dns(
        "_freq_2600000000HZ._x86-64._CN.A.UCID.EXAMPLE.",
        "ucid.example",
        ["ID-9.2-2", "ID-9-1"],
        ["dns-case"],
        "HZ restored as Hz",
    )
    b.from_dns(
        "_foo_8b._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.2-2", "ID-7.3-2"],
        ["dns-case"],
        "an unregistered key: 8b is the size 8B",
    )
    b.from_dns(
        "_foo_b._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.2-2"],
        ["dns-case"],
        "b alone is a token, not a unit",
    )
    b.from_dns(
        "_sriov._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-6"],
        [],
        "a label without a second _ is a flag",
    )
    b.from_dns(
        "_acc-model_h800._x86-64_sm90._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-6"],
        [],
        "the first _ after the leading one separates key and value",
    )
    b.from_dns(
        "_x86-64_90_sm._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-6"],
        [],
        "unregistered accelerators 90 and sm, in canonical order",
    )
    b.from_dns(
        "_x86-64._cn.a.ucid.example",
        "UCID.EXAMPLE.",
        ["ID-9.3-1", "ID-9-1"],
        ["root-suffix", "dns-case"],
        "the root in capitals with a trailing dot",
    )
    b.from_dns(
        "_x86-64._cn.a.b.c.ucid.example.", "ucid.example", ["ID-9.3-5"], [], "three provider labels"
    )
    b.from_dns(
        "_x86-64._cn.xn--fiq02ib9d179b.cn.ucid.example.",
        "ucid.example",
        ["ID-9.3-5"],
        [],
        "A-labels in the provider",
    )
    b.from_dns(
        "_x86-64._cn.a.ucid.example.ucid.example.",
        "ucid.example",
        ["ID-9.3-3"],
        ["root-suffix"],
        "only one root suffix is removed: the provider is a.ucid.example",
    )
    b.from_dns_bad(
        "_x86-64_sm_90._cn.a.ucid.example.",
        "ucid.example",
        nc,
        ["dns-non-canonical-accepted"],
        "sm_90 splits into sm and 90, not in canonical order",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64_sm90_gfx942._cn.a.ucid.example.",
        "ucid.example",
        nc,
        ["dns-non-canonical-accepted", "sort-order"],
        "accelerators not sorted",
        position=None,
    )
    b.from_dns_bad(
        "_mem_01024b._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-7", "ID-12-1", "ID-12-28"],
        ["dns-non-canonical-accepted", "leading-zeros"],
        "leading zero in a value",
        position=None,
    )
    b.from_dns(
        "_acc-model_H800._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-2", "ID-9-1"],
        ["dns-case"],
        "capitals in a token label: the name is lowercased first",
    )
    b.from_dns_bad(
        "_mem_1gib._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-7", "ID-12-1", "ID-12-28"],
        ["dns-case", "dns-non-canonical-accepted"],
        "1gib is no value: units are not restored beyond b, bps, hz",
        position=None,
    )
    b.from_dns_bad(
        "_mem_512._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-7", "ID-12-1", "ID-12-28"],
        ["registered-type-not-checked"],
        "mem without a unit is a count: invalid",
        position=None,
    )
    b.from_dns_bad(
        "_acc._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-7", "ID-12-1", "ID-12-28"],
        ["registered-type-not-checked"],
        "acc as a flag: invalid",
        position=None,
    )
    b.from_dns_bad(
        "_acc_8_9._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-7", "ID-12-1", "ID-12-28"],
        ["missing-check"],
        "a value with _ is no value",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64._cn.a_b.ucid.example.",
        "ucid.example",
        ["ID-9.3-7", "ID-12-1", "ID-12-28"],
        ["missing-check"],
        "_ inside a provider label: not an identifier",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64._c.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-7", "ID-12-1", "ID-12-28"],
        ["missing-check"],
        "a one-letter region",
        position=None,
    )
    b.from_dns_bad(
        "_sm90._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-7", "ID-12-1", "ID-12-28"],
        ["kind-not-checked"],
        "an accelerator as the CPU",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64._cn.ucid.example.",
        "ucid.example",
        ["ID-9.3-5", "ID-12-1", "ID-12-26"],
        ["missing-check"],
        "no provider: the region label is the last label",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64._cn",
        "",
        ["ID-9.3-5", "ID-12-1", "ID-12-26"],
        ["missing-check"],
        "no provider under the empty root",
        position=None,
    )
    b.from_dns_bad(
        "_acc_8.foo._x86-64._cn.a.ucid.example.",
        "ucid.example",
        ["ID-9.3-5", "ID-12-1", "ID-12-27"],
        ["missing-check", "error-position"],
        "a label without _ before the region label",
        position=7,
    )
    b.from_dns_bad(
        "a._acc_8._x86-64._cn.b.ucid.example.",
        "ucid.example",
        ["ID-9.3-5", "ID-12-1", "ID-12-27"],
        ["missing-check"],
        "a label without _ first",
        position=0,
    )
    b.from_dns_bad(
        "_x86-64._cn.acmé.ucid.example",
        "ucid.example",
        ["ID-9.3-2", "ID-12-1", "ID-12-19", "ID-12-23"],
        ["error-position"],
        "§12: the label acmé is not ASCII",
        position=12,
    )
    b.from_dns_bad(
        "_x86-64._cn.a.ücid.example",
        "ucid.example",
        ["ID-9.3-2", "ID-12-1", "ID-12-23"],
        ["error-position"],
        "not ASCII is found before the root suffix",
        position=14,
    )
    b.from_dns_bad(
        "_" + "x" * 250 + "._cn.a",
        "",
        ["ID-9.3-2", "ID-12-1", "ID-12-22"],
        ["off-by-one-limit"],
        "§12: longer than 253 characters",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64._cn.a.other.example.",
        "ucid.example",
        ["ID-9.3-3", "ID-12-1", "ID-12-24"],
        ["root-suffix"],
        "not under the root suffix",
        position=None,
    )
    b.from_dns_bad(
        "ucid.example.",
        "ucid.example",
        ["ID-9.3-3", "ID-12-1", "ID-12-24"],
        ["root-suffix"],
        "the root itself",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64._cn.a.xucid.example.",
        "ucid.example",
        ["ID-9.3-3", "ID-12-1", "ID-12-24"],
        ["root-suffix", "prefix-not-label-boundary"],
        "the root suffix must follow a dot",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64.._cn.a",
        "",
        ["ID-9.3-4", "ID-12-1", "ID-12-25"],
        ["missing-check"],
        "an empty label (at its place)",
        position=8,
    )
    b.from_dns_bad(
        "_x86-64._cn.a*b.ucid.example.",
        "ucid.example",
        ["ID-9.3-4", "ID-12-1", "ID-12-25"],
        ["missing-check"],
        "* in a label",
        position=12,
    )
    b.from_dns_bad(
        f"_x86-64._cn.{'a' * 64}",
        "",
        ["ID-9.3-4", "ID-12-1", "ID-12-25"],
        ["off-by-one-limit"],
        "a label of 64",
        position=12,
    )
    b.from_dns_bad(
        "_x86-64._cn.a",
        "r" * 64,
        ["ID-9.3-1", "ID-12-1", "ID-12-20"],
        ["root-suffix", "off-by-one-limit"],
        "a root suffix of 64",
        position=None,
    )
    b.from_dns_bad(
        "_x86-64._cn.a.-r",
        "-r",
        ["ID-9.3-1", "ID-12-1", "ID-12-21"],
        ["root-suffix"],
        "a bad root label: position in the root suffix",
        position=0,
    )
    # the 253 boundary
    p177 = "a" * 63 + "." + "b" * 63 + "." + "c" * 49
    long_text = f"ucid:{p177}/cn/x86-64"
    root63 = "r" * 63
    name = cid.parse(long_text).to_dns_name(root63)
    assert len(name) == 254
    b.to_dns(
        long_text,
        root63,
        ["ID-8-14", "ID-8-16", "ID-9.1-7"],
        ["off-by-one-limit"],
        "189 + 1 + 63 = 253 characters (254 with the dot)",
    )
    b.from_dns(name, root63, ["ID-9.3-2", "ID-9-1"], ["off-by-one-limit"], "253 characters: valid")
    b.from_dns(
        name[:-1],
        root63,
        ["ID-9.3-2"],
        ["off-by-one-limit"],
        "253 characters without the trailing dot",
    )
    return area


# --------------------------------------------------------------------------
# patterns: §10


_IDENTS = {
    "A": "ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B",
    "B": "ucid:gpu.acme.example/cn-gd-sz1/neoverse-v2+sm90/acc=4;acc-model=h20;confidential",
    "C": "ucid:example/cn/x86-64-v2",
    "D": "ucid:b.example/us/mycpu+gfx942/acc=8",
    "E": "ucid:c.example/cn-sh/x86-64-v3+gfx90a+sm80/acc=16;acc-model=a800",
}
_TABLE_10_5 = [
    ("UCID:*/*/*", "ucid:*", "YYYYY"),
    ("ucid:*.Example", "ucid:*.example", "YYNYY"),
    ("ucid:*.acme.example", "ucid:*.acme.example", "NYNNN"),
    ("ucid:acme.example", "ucid:acme.example", "YNNNN"),
    ("ucid:*/CN-*", "ucid:*/cn-*", "YYNNY"),
    ("ucid:*/cn-gd", "ucid:*/cn-gd", "YNNNN"),
    ("ucid:*/cn-gd-*", "ucid:*/cn-gd-*", "NYNNN"),
    ("ucid:*/*/x86-64-v3", "ucid:*/*/x86-64-v3", "YNNNY"),
    ("ucid:*/*/x86_64", "ucid:*/*/x86-64", "YNYNY"),
    ("ucid:*/*/neoverse-n1+sm_80", "ucid:*/*/neoverse-n1+sm80", "NYNNN"),
    ("ucid:*/*/*+sm80", "ucid:*/*/*+sm80", "YYNNY"),
    ("ucid:*/*/*+sm90+sm80", "ucid:*/*/*+sm80+sm90", "YYNNN"),
    ("ucid:*/*/*+gfx908", "ucid:*/*/*+gfx908", "NNNNN"),
    ("ucid:*/*/mycpu", "ucid:*/*/mycpu", "NNNYN"),
    ("ucid:*/*/*/acc>=8", "ucid:*/*/*/acc>=8", "YNNYY"),
    ("ucid:*/*/*/ACC>=8;acc>=8;mem>=256GiB", "ucid:*/*/*/acc>=8;mem>=274877906944B", "YNNNN"),
    ("ucid:*/*/*/!confidential", "ucid:*/*/*/!confidential", "YNYYY"),
    ("ucid:*/*/*/acc-model", "ucid:*/*/*/acc-model", "NYNNY"),
    ("ucid:*/*/*/acc-model!=h20", "ucid:*/*/*/acc-model!=h20", "NNNNY"),
    ("ucid:*/cn-*/*/acc<16;!acc-model;acc", "ucid:*/cn-*/*/acc;acc<16;!acc-model", "YNNNN"),
]


def _reqs_for_pattern(text: str) -> list[str]:
    """The §10.3 tests a pattern exercises, from its written form."""
    reqs = ["ID-10.3-1"]
    parts = text.split("/", 3)
    if len(parts) > 1:
        reqs.append("ID-10.3-2")
    if len(parts) > 2:
        reqs += ["ID-10.3-3"] + (["ID-10.3-4"] if "+" in parts[2] else [])
    if len(parts) > 3:
        c = parts[3]
        if re.search(r"(^|;)!", c):
            reqs.append("ID-10.3-6")
        if re.search(r"[<>=]", c):
            reqs.append("ID-10.3-7")
        if any(re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", x) for x in c.split(";")):
            reqs.append("ID-10.3-5")
    return reqs


def _patterns() -> Area:
    area, b = _area(
        "patterns",
        "pat",
        "Discovery patterns (spec/identifier.md §10): the syntax of Table 2, the checks and "
        "normalisation of §10.2 (long keys, duplicates after alias resolution and canonicalisation, the "
        "limits that do and do not apply), what a pattern matches (§10.3), canonical forms (§10.4) and "
        "the spec's examples (§10.5).",
    )
    canon_all = ["ID-10.4-1", "ID-10.4-2", "ID-10.4-3", "ID-10.4-4", "ID-10.4-5", "ID-10.4-6"]
    for text, canonical, row in _TABLE_10_5:
        b.pattern(
            text,
            [*canon_all, "ID-10.1-1"],
            ["non-canonical-accepted", "case-folding"],
            "§10.5 example",
            canonical=canonical,
        )
        for (label, ident), yes in zip(_IDENTS.items(), row, strict=True):
            b.match(
                text,
                ident,
                _reqs_for_pattern(text),
                ["match-semantics"],
                f"§10.5: against {label}",
                matches=yes == "Y",
            )
    pbad = ["ID-12-1", "ID-12-29"]
    b.pattern_bad(
        "ucid:*/*/sm90",
        [*pbad, "ID-10.2-4", "ID-12-11"],
        ["kind-not-checked"],
        "§12: an accelerator as the CPU",
        position=9,
    )
    b.pattern_bad(
        "ucid:*/*/*/acc-model>h800",
        [*pbad, "ID-10.2-11", "ID-12-17"],
        ["registered-type-not-checked"],
        "§12: ordering a token",
        position=21,
    )
    b.pattern_bad(
        "ucid:*/*/*/mem>=8",
        [*pbad, "ID-10.2-10", "ID-12-15"],
        ["registered-type-not-checked"],
        "§12: mem is a size",
        position=16,
    )
    b.pattern_bad(
        "ucid:*/*/*/!acc=8",
        [*pbad, "ID-2.4-31", "ID-12-4"],
        ["syntax"],
        "§12: an absence test has no value",
        position=15,
    )
    b.pattern_bad(
        "ucid:*.*/cn",
        [*pbad, "ID-2.4-19", "ID-12-4"],
        ["syntax"],
        "§12: * only as the whole provider or its first label",
        position=7,
    )
    b.pattern_bad(
        "ucid:*/*-*", [*pbad, "ID-2.4-23", "ID-12-4"], ["syntax"], "§10.5: *-* is no region pattern"
    )
    # Table 2 states
    syn = [*pbad, "ID-2.4-3", "ID-2.4-4", "ID-12-4"]
    b.pattern_bad("cid:*", [*syn, "ID-2.4-16"], ["syntax"], "p0: the scheme", position=0)
    b.pattern_bad(
        "ucid:",
        [*syn, "ID-2.4-2", "ID-2.4-17"],
        ["syntax"],
        "p1: a provider part is required",
        position=5,
    )
    b.pattern_bad("ucid:/cn", [*syn, "ID-2.4-17"], ["syntax"], "p1: empty provider", position=5)
    b.pattern("ucid:*", ["ID-2.4-18", "ID-10.4-6"], [], "p2: * alone")
    b.pattern_bad("ucid:*x", [*syn, "ID-2.4-18"], ["syntax"], "p2: * is a whole label", position=6)
    b.pattern_bad("ucid:*.", [*syn, "ID-2.4-19"], ["syntax"], "p3: a label after *.", position=7)
    b.pattern_bad("ucid:a.*", [*syn, "ID-2.4-19"], ["syntax"], "p3: * only first", position=7)
    b.pattern("ucid:acme.example", ["ID-2.4-20", "ID-10.4-2"], [], "p4: a provider alone")
    b.pattern_bad(
        "ucid:acme.example?", [*syn, "ID-2.4-20"], ["syntax"], "p4: no query", position=17
    )
    b.pattern_bad(
        "ucid:*/", [*syn, "ID-2.4-21"], ["syntax"], "p5: a region part after /", position=7
    )
    b.pattern_bad(
        "ucid:*/c", [*syn, "ID-2.4-21"], ["syntax"], "p5: a one-letter region", position=7
    )
    b.pattern(
        "ucid:*/CN",
        ["ID-2.4-22", "ID-10.2-2", "ID-10.4-3"],
        ["case-folding"],
        "p6: a region, lowercased",
    )
    b.pattern_bad(
        "ucid:*/cn-",
        [*syn, "ID-2.4-22", "ID-2.4-24"],
        ["syntax"],
        "p8: * required after R-",
        position=10,
    )
    b.pattern(
        "ucid:*/cn-gd-sz1-zz-*",
        ["ID-2.4-22", "ID-2.4-24", "ID-10.4-3"],
        [],
        "a region of three subtags, then -*",
    )
    b.pattern_bad(
        "ucid:*/cn-gd-sz1-zz-a",
        [*syn, "ID-2.4-24"],
        ["syntax", "token-boundary"],
        "p8: after a full region only * follows -",
        position=20,
    )
    b.pattern_bad(
        "ucid:*/cn-*-*", [*syn, "ID-2.4-23"], ["syntax"], "p7: one * per region", position=11
    )
    b.pattern_bad(
        "ucid:*/*/", [*syn, "ID-2.4-25"], ["syntax"], "p9: an architecture part after /", position=9
    )
    b.pattern_bad(
        "ucid:*/*/+sm90", [*syn, "ID-2.4-25"], ["syntax"], "p9: empty first term", position=9
    )
    b.pattern(
        "ucid:*/*/*+sm90",
        ["ID-2.4-26", "ID-2.4-27", "ID-10.4-4"],
        [],
        "p10, p11: * then an accelerator",
    )
    b.pattern_bad(
        "ucid:*/*/*+*",
        [*syn, "ID-2.4-27"],
        ["syntax"],
        "p11: * only as the first term",
        position=11,
    )
    b.pattern_bad(
        "ucid:*/*/x86-64+", [*syn, "ID-2.4-27"], ["syntax"], "p11: a term after +", position=16
    )
    b.pattern_bad(
        "ucid:*/*/*/", [*syn, "ID-2.4-28"], ["syntax"], "p12: a constraint after /", position=11
    )
    b.pattern_bad(
        "ucid:*/*/*/;acc", [*syn, "ID-2.4-28"], ["syntax"], "p12: empty constraint", position=11
    )
    b.pattern_bad(
        "ucid:*/*/*/!", [*syn, "ID-2.4-29"], ["syntax"], "p13: a key after !", position=12
    )
    b.pattern_bad("ucid:*/*/*/!!acc", [*syn, "ID-2.4-29"], ["syntax"], "p13: one !", position=12)
    b.pattern(
        "ucid:*/*/*/!acc;sriov", ["ID-2.4-29", "ID-2.4-31"], [], "p13, p15: absence then presence"
    )
    b.pattern_bad(
        "ucid:*/*/*/acc=>8",
        [*syn, "ID-2.4-30", "ID-2.4-32"],
        ["token-boundary"],
        "p14: CMP is =, then > is no value",
        position=15,
    )
    b.pattern_bad(
        "ucid:*/*/*/acc<>8",
        [*syn, "ID-2.4-32"],
        ["token-boundary"],
        "<> is no operator",
        position=15,
    )
    b.pattern_bad(
        "ucid:*/*/*/acc==8",
        [*syn, "ID-2.4-32"],
        ["token-boundary"],
        "== is no operator",
        position=15,
    )
    b.pattern_bad(
        "ucid:*/*/*/acc>=",
        [*syn, "ID-2.4-32"],
        ["syntax"],
        "p16: a value after the operator",
        position=16,
    )
    b.pattern_bad(
        "ucid:*/*/*/acc>=8x",
        [*syn, "ID-2.4-33"],
        ["token-boundary"],
        "p17: INTEGER 8, then x",
        position=17,
    )
    b.pattern_bad(
        "ucid:*/*/*/acc>=08",
        [*syn, "ID-2.4-33"],
        ["leading-zeros"],
        "p17: leading zero",
        position=17,
    )
    b.pattern_bad(
        "ucid:*/*/*/acc>=8;", [*syn, "ID-2.4-28"], ["syntax"], "p12: a trailing ;", position=18
    )
    b.pattern(
        "ucid:*/*/*/acc!=8;acc<=9;acc<9;acc>1;acc=3",
        ["ID-2.4-30", "ID-2.4-32", "ID-10.4-5"],
        ["constraint-order"],
        "every operator",
    )
    # provider and region parts
    b.pattern("ucid:*.中国移动.cn", ["ID-10.2-1", "ID-10.4-2"], [], "*.P with a U-label: A-labels")
    b.pattern_bad(
        "ucid:Ä.example",
        [*pbad, "ID-10.2-1", "ID-12-8"],
        ["idna-uts46-mapping"],
        "IDNA applies to pattern providers",
        position=5,
    )
    b.pattern_bad(
        "ucid:*.Ä.example",
        [*pbad, "ID-10.2-1", "ID-12-8"],
        ["idna-uts46-mapping"],
        "IDNA in *.P, at the label",
        position=7,
    )
    b.pattern_bad(
        "ucid:ab--c",
        [*pbad, "ID-10.2-1", "ID-12-8"],
        ["idna-a-label"],
        "reserved hyphens in a pattern provider",
        position=5,
    )
    b.pattern(
        f"ucid:*.{_labels(8)}",
        ["ID-10.2-1", "ID-8-3", "ID-10.2-15"],
        ["off-by-one-limit"],
        "*.P with P of 8 labels",
    )
    b.pattern_bad(
        f"ucid:*.{_labels(9)}",
        [*pbad, "ID-10.2-1", "ID-8-3", "ID-10.2-15", "ID-12-7"],
        ["limit-not-applied-to-pattern"],
        "*.P with P of 9 labels",
        position=7,
    )
    b.pattern_bad(
        f"ucid:{'a' * 64}",
        [*pbad, "ID-8-4", "ID-10.2-15", "ID-12-8"],
        ["limit-not-applied-to-pattern"],
        "a provider label of 64",
        position=5,
    )
    b.match(
        "ucid:*.example",
        "ucid:myexample/cn/x86-64",
        ["ID-10.3-1"],
        ["prefix-not-label-boundary"],
        "*.example does not match myexample",
        matches=False,
    )
    b.match(
        "ucid:*.example",
        "ucid:example/cn/x86-64",
        ["ID-10.3-1"],
        ["match-semantics"],
        "*.example does not match example",
        matches=False,
    )
    b.match(
        "ucid:*.example",
        "ucid:a.b.example/cn/x86-64",
        ["ID-10.3-1"],
        ["match-semantics"],
        "*.example matches two levels down",
        matches=True,
    )
    b.match(
        "ucid:*.中国移动.cn",
        "ucid:a.xn--fiq02ib9d179b.cn/cn/x86-64",
        ["ID-10.3-1", "ID-10.2-1"],
        [],
        "U-label pattern against A-label identifier",
        matches=True,
    )
    b.match(
        "ucid:ACME.example",
        "ucid:acme.example/cn/x86-64",
        ["ID-10.3-1", "ID-10.2-1"],
        ["case-folding"],
        "P lowercased",
        matches=True,
    )
    b.match(
        "ucid:*/cn-g-*",
        "ucid:a/cn-gd/x86-64",
        ["ID-10.3-2"],
        ["prefix-not-label-boundary"],
        "cn-g-* does not match cn-gd",
        matches=False,
    )
    b.match(
        "ucid:*/cn-*",
        "ucid:a/cn/x86-64",
        ["ID-10.3-2"],
        ["match-semantics"],
        "cn-* does not match cn",
        matches=False,
    )
    b.match(
        "ucid:*/cn-*",
        "ucid:a/cn-gd-sz1/x86-64",
        ["ID-10.3-2"],
        ["match-semantics"],
        "cn-* matches two levels down",
        matches=True,
    )
    b.match(
        "ucid:*/cn",
        "ucid:a/cn-gd/x86-64",
        ["ID-10.3-2"],
        ["match-semantics"],
        "cn matches cn only",
        matches=False,
    )
    b.match(
        "ucid:*/CN-GD",
        "ucid:a/cn-gd/x86-64",
        ["ID-10.3-2", "ID-10.2-2"],
        ["case-folding"],
        "R lowercased",
        matches=True,
    )
    # architecture part
    b.pattern(
        "ucid:*/*/*+sm_90+SM90",
        ["ID-10.2-6", "ID-10.2-3"],
        ["duplicate-not-merged", "alias-not-resolved"],
        "§10.2: duplicates removed after alias resolution",
        canonical="ucid:*/*/*+sm90",
    )
    b.pattern(
        "ucid:*/*/x86-64+sm90+sm90",
        ["ID-10.2-6", "ID-10.4-4"],
        ["duplicate-not-merged"],
        "a repeated accelerator is removed, not an error",
    )
    b.pattern(
        "ucid:*/*/AMD64+Gfx942+SM_80",
        ["ID-10.2-3", "ID-10.4-4"],
        ["alias-not-resolved", "sort-order"],
        "names lowercased, aliases resolved, accelerators sorted",
    )
    b.pattern("ucid:*/*/x86-64", ["ID-10.4-4"], [], "a CPU alone")
    b.pattern(
        "ucid:*/*/mygpu",
        ["ID-10.2-3"],
        ["unregistered-arch-rejected"],
        "an unregistered name first is a CPU name",
    )
    b.pattern(
        "ucid:*/*/*+" + "+".join(f"a{i}" for i in range(1, 10)),
        ["ID-10.2-7", "ID-10.2-14"],
        ["limit-applied-to-pattern"],
        "9 terms: no term limit in patterns",
    )
    b.pattern(
        f"ucid:*/*/x86-64+{'a' * 32}+{'b' * 32}",
        ["ID-10.2-7", "ID-10.2-14"],
        ["limit-applied-to-pattern"],
        "an architecture part of 72: no component limit",
    )
    b.pattern_bad(
        f"ucid:*/*/*+{'a' * 33}",
        [*pbad, "ID-10.2-3", "ID-8-7", "ID-12-11"],
        ["limit-not-applied-to-pattern"],
        "an architecture name of 33",
        position=11,
    )
    b.pattern_bad(
        "ucid:*/*/*+my_gpu",
        [*pbad, "ID-10.2-3", "ID-12-11"],
        ["syntax"],
        "_ outside an alias",
        position=11,
    )
    b.pattern_bad(
        "ucid:*/*/*+x86-64",
        [*pbad, "ID-10.2-5", "ID-12-11"],
        ["kind-not-checked"],
        "a CPU as a later term",
        position=11,
    )
    b.pattern_bad(
        "ucid:*/*/sm_90",
        [*pbad, "ID-10.2-4", "ID-12-11"],
        ["kind-not-checked", "alias-not-resolved"],
        "an accelerator alias first",
        position=9,
    )
    b.match(
        "ucid:*/*/mything",
        "ucid:a/cn/aarch64+mything",
        ["ID-10.3-3"],
        ["match-semantics"],
        "accelerators are not considered for the CPU test",
        matches=False,
    )
    b.match(
        "ucid:*/*/*+sm80+sm89",
        "ucid:a/cn/x86-64+sm90",
        ["ID-10.3-4"],
        ["match-semantics", "compat-order"],
        "one accelerator may satisfy several",
        matches=True,
    )
    b.match(
        "ucid:*/*/*+sm90+gfx942",
        "ucid:a/cn/x86-64+sm90",
        ["ID-10.3-4"],
        ["match-semantics"],
        "each accelerator of the pattern needs one",
        matches=False,
    )
    b.match(
        "ucid:*/*/x86-64",
        "ucid:a/cn/x86-64+sm90",
        ["ID-10.3-4", "ID-10.1-1"],
        ["match-semantics"],
        "no accelerator in the pattern: any accelerators",
        matches=True,
    )
    b.match(
        "ucid:*/*/*",
        "ucid:a/cn/loongarch64",
        ["ID-10.2-7"],
        ["match-semantics"],
        "* matches any architecture",
        matches=True,
    )
    # constraints
    b.pattern(
        "ucid:*/*/*/mem>=1GiB;MEM>=1024MiB",
        ["ID-10.2-13", "ID-10.4-5"],
        ["duplicate-not-merged"],
        "§10.2: duplicates after canonicalisation",
        canonical="ucid:*/*/*/mem>=1073741824B",
    )
    b.pattern(
        "ucid:*/*/*/acc>=8;acc>=8", ["ID-10.2-13"], ["duplicate-not-merged"], "an exact duplicate"
    )
    b.pattern(
        "ucid:*/*/*/sriov;SRIOV;!x;!X",
        ["ID-10.2-13", "ID-10.4-5"],
        ["duplicate-not-merged"],
        "duplicate presence and absence tests",
    )
    b.pattern(
        "ucid:*/*/*/foo=1;foo=1B;foo=b",
        ["ID-10.2-13", "ID-10.4-5"],
        ["duplicate-not-merged", "constraint-order"],
        "same key and operator, different types: all kept",
    )
    b.pattern(
        "ucid:*/*/*/acc>=8;acc<=16;acc;!acc;acc=4;acc!=3;acc<20;acc>1",
        ["ID-10.4-5"],
        ["constraint-order"],
        "operators in the order presence, absence, =, !=, <, <=, >, >=",
    )
    b.pattern(
        "ucid:*/*/*/acc=8;acc=16",
        ["ID-10.4-5"],
        ["constraint-order"],
        "same operator: canonical text in code-point order (acc=16 first)",
    )
    b.pattern(
        "ucid:*/*/*/mem>=1GiB;mem>=512MiB",
        ["ID-10.4-5"],
        ["constraint-order"],
        "text order of canonical values: 1073741824B before 536870912B",
    )
    b.pattern(
        "ucid:*/*/*/net-bw>=1Gbps;net=ib;acc-mem>=1GiB;acc>=1",
        ["ID-10.4-5"],
        ["constraint-order"],
        "sorted by key: acc, acc-mem, net, net-bw",
    )
    b.pattern("ucid:*/cn/*/acc>=8", ["ID-10.4-6"], [], "a middle * is kept")
    b.pattern(
        "ucid:acme.example/*/*",
        ["ID-10.4-6"],
        [],
        "trailing * removed down to the provider",
        canonical="ucid:acme.example",
    )
    b.pattern(
        "ucid:*/cn-*/*",
        ["ID-10.4-6", "ID-10.4-3"],
        [],
        "trailing * removed, R-* kept",
        canonical="ucid:*/cn-*",
    )
    b.pattern(
        f"ucid:*/*/*/{'k' * 33}",
        ["ID-10.2-9", "ID-10.2-14"],
        ["long-key-pattern"],
        "a key of 33 is valid in a pattern",
    )
    b.pattern(
        f"ucid:*/*/*/{'K' * 40}>=1",
        ["ID-10.2-9", "ID-10.2-14"],
        ["long-key-pattern", "case-folding"],
        "a key of 40 with a value",
    )
    b.pattern(
        f"ucid:*/*/*/{'k' * 32}={'v' * 32}",
        ["ID-10.2-12"],
        ["limit-applied-to-pattern"],
        "a constraint of 65 characters: no attribute limit",
    )
    b.pattern_bad(
        f"ucid:*/*/*/t={'v' * 33}",
        [*pbad, "ID-10.2-10", "ID-8-11", "ID-12-15"],
        ["limit-not-applied-to-pattern"],
        "a token of 33",
        position=13,
    )
    b.pattern_bad(
        "ucid:*/*/*/acc>=9223372036854775808",
        [*pbad, "ID-10.2-10", "ID-8-12", "ID-12-15"],
        ["limit-not-applied-to-pattern", "numeric-overflow"],
        "a count of 2^63",
        position=16,
    )
    b.pattern_bad(
        "ucid:*/*/*/mem<8EiB",
        [*pbad, "ID-10.2-10", "ID-8-12", "ID-12-15"],
        ["limit-not-applied-to-pattern", "numeric-overflow"],
        "a size of 2^63",
        position=15,
    )
    b.pattern(
        "ucid:*/*/*/acc<=9223372036854775807",
        ["ID-10.2-10", "ID-8-12"],
        ["numeric-overflow"],
        "the maximum count",
    )
    b.pattern_bad(
        "ucid:*/*/*/mem>=0.1B",
        [*pbad, "ID-10.2-10", "ID-12-15"],
        ["float-arithmetic"],
        "not a whole number of bytes",
        position=16,
    )
    b.pattern_bad(
        "ucid:*/*/*/sriov=1",
        [*pbad, "ID-10.2-10", "ID-12-15"],
        ["registered-type-not-checked"],
        "a flag with a value",
        position=17,
    )
    b.pattern_bad(
        "ucid:*/*/*/acc=8kB",
        [*pbad, "ID-10.2-10", "ID-12-15"],
        ["registered-type-not-checked"],
        "acc is a count",
        position=15,
    )
    b.pattern_bad(
        "ucid:*/*/*/foo<bar",
        [*pbad, "ID-10.2-11", "ID-12-17"],
        ["registered-type-not-checked"],
        "ordering an unregistered token",
        position=15,
    )
    b.pattern(
        "ucid:*/*/*/mem",
        ["ID-10.2-10", "ID-10.3-5"],
        ["registered-type-not-checked"],
        "a presence test on a registered non-flag key",
    )
    b.pattern(
        "ucid:*/*/*/foo<1GiB;foo>=1Gbps", ["ID-10.2-11"], [], "ordering unregistered numeric values"
    )
    b.pattern(
        "ucid:*/*/*/ACC-MODEL=H800",
        ["ID-10.2-8", "ID-10.4-5"],
        ["case-folding"],
        "key and token lowercased",
    )
    b.pattern(
        "ucid:*/*/*/"
        + ";".join(
            f"k{i:02d}".replace("0", "a").replace("1", "b").replace("2", "c").replace("3", "d")
            for i in range(32)
        ),
        ["ID-10.2-8", "ID-8-15", "ID-10.2-14"],
        ["off-by-one-limit", "limit-applied-to-pattern"],
        "32 constraints",
    )
    b.pattern_bad(
        "ucid:*/*/*/" + ";".join(["acc>=1"] * 33),
        [*pbad, "ID-10.2-8", "ID-8-15", "ID-12-16"],
        ["off-by-one-limit", "duplicate-not-merged"],
        "33 constraints as written, 1 after duplicates are removed: the 33rd key",
        position=11 + 32 * 7,
    )
    b.pattern(
        "ucid:*/*/*/" + ";".join(["acc>=1"] * 32),
        ["ID-10.2-8", "ID-10.2-13"],
        ["off-by-one-limit"],
        "32 duplicates: one constraint",
        canonical="ucid:*/*/*/acc>=1",
    )
    # input length in patterns
    p512 = "ucid:*/*/*/mem>=1." + "0" * (512 - len("ucid:*/*/*/mem>=1.GiB")) + "GiB"
    b.pattern(p512, ["ID-10.1-2", "ID-8-2"], ["off-by-one-limit"], "a pattern of 512 code points")
    b.pattern_bad(
        p512[:-3] + "0GiB",
        [*pbad, "ID-10.1-2", "ID-8-2", "ID-12-5"],
        ["off-by-one-limit"],
        "a pattern of 513",
        position=512,
    )
    # match semantics of constraints
    I1 = "ucid:a/cn/x86-64/acc=4;acc-model=h20;foo=1B;mem=1099511627776B"
    long_key = "k" * 33
    m = [
        (
            f"ucid:*/*/*/{long_key}",
            False,
            ["ID-10.2-9", "ID-10.3-5"],
            ["long-key-pattern"],
            "a key of 33 is never present",
        ),
        (
            f"ucid:*/*/*/!{long_key}",
            True,
            ["ID-10.2-9", "ID-10.3-6"],
            ["long-key-pattern"],
            "!key on a key of 33 always holds",
        ),
        (
            f"ucid:*/*/*/{long_key}!=1",
            False,
            ["ID-10.2-9", "ID-10.3-8"],
            ["long-key-pattern"],
            "key != value on a key of 33 never holds",
        ),
        ("ucid:*/*/*/acc", True, ["ID-10.3-5"], [], "presence: any value"),
        ("ucid:*/*/*/mem", True, ["ID-10.3-5"], [], "presence of a size"),
        ("ucid:*/*/*/!acc", False, ["ID-10.3-6"], [], "absence of a present key"),
        ("ucid:*/*/*/!sriov", True, ["ID-10.3-6"], [], "absence of an absent key"),
        ("ucid:*/*/*/acc!=8", True, ["ID-10.3-7"], [], "4 != 8"),
        (
            "ucid:*/*/*/net!=ib",
            False,
            ["ID-10.3-8"],
            ["match-semantics"],
            "!= on an absent key fails",
        ),
        (
            "ucid:*/*/*/foo=1",
            False,
            ["ID-10.3-8"],
            ["match-semantics"],
            "foo=1 (count) against foo=1B (size): types differ",
        ),
        (
            "ucid:*/*/*/foo!=1",
            False,
            ["ID-10.3-8"],
            ["match-semantics"],
            "!= with another type fails too",
        ),
        ("ucid:*/*/*/foo=1B", True, ["ID-10.3-7"], [], "same type and value"),
        (
            "ucid:*/*/*/foo>=1bps",
            False,
            ["ID-10.3-8"],
            ["match-semantics", "bits-vs-bytes"],
            "a rate against a size",
        ),
        ("ucid:*/*/*/mem>=1TB", True, ["ID-10.3-7"], ["binary-vs-decimal-unit"], "1TiB >= 1TB"),
        ("ucid:*/*/*/mem<=1TB", False, ["ID-10.3-7"], ["binary-vs-decimal-unit"], "1TiB > 1TB"),
        ("ucid:*/*/*/mem>=1TiB", True, ["ID-10.3-7"], [], "equal values: >= holds"),
        ("ucid:*/*/*/mem>1TiB", False, ["ID-10.3-7"], [], "equal values: > fails"),
        ("ucid:*/*/*/mem=1024GiB", True, ["ID-10.3-7"], [], "= compares canonical values"),
        ("ucid:*/*/*/acc<16", True, ["ID-10.3-7"], [], "4 < 16 as integers, not text"),
        ("ucid:*/*/*/acc>16", False, ["ID-10.3-7"], [], "4 > 16 is false (as text '4' > '16')"),
        (
            "ucid:*/*/*/acc-model=H20",
            True,
            ["ID-10.3-7"],
            ["case-folding"],
            "tokens compared lowercase",
        ),
        ("ucid:*/*/*/acc-model!=h20", False, ["ID-10.3-7"], [], "token != on an equal token"),
        (
            "ucid:*/*/*/foo=1;foo=bar",
            False,
            ["ID-10.3-9"],
            [],
            "constraints that cannot hold together: valid, match nothing",
        ),
        (
            "ucid:*/*/*/acc>=1;acc<=8;!sriov;mem",
            True,
            ["ID-10.3-5", "ID-10.3-6", "ID-10.3-7"],
            [],
            "every constraint must hold",
        ),
    ]
    for pat, expect, reqs, flags, comment in m:
        b.match(pat, I1, reqs, flags or ["match-semantics"], comment, matches=expect)
    b.pattern("ucid:*/*/*/foo=1;foo=bar", ["ID-10.3-9"], [], "an unsatisfiable pattern is valid")
    b.match_bad(
        "ucid:*/*/sm90",
        I1,
        ["ID-12-1", "ID-12-29", "ID-10.2-4"],
        ["kind-not-checked"],
        "match with an invalid pattern",
    )
    b.match_bad(
        "ucid:*",
        "ucid:a/cn/x86-64/acc=08",
        ["ID-12-1", "ID-12-29"],
        ["syntax"],
        "match with an invalid identifier",
    )
    b.match_bad(
        "ucid:*",
        "ucid:*/cn/x86-64",
        ["ID-12-1", "ID-12-29"],
        ["syntax"],
        "a pattern is not an identifier",
    )
    return area


def _check(areas: Iterable[Area]) -> None:
    known = set(spec_requirements())
    for area in areas:
        for case in area.cases:
            for req in case.requirements:
                if req not in known:
                    raise AssertionError(
                        f"{area.name}: {case.comment!r} cites {req}, which is not in the spec"
                    )
    for req in UNTESTABLE:
        if req not in known:
            raise AssertionError(f"untestable {req} is not in the spec")


def build() -> list[Area]:
    areas = [
        _grammar(),
        _canonical(),
        _idna(),
        _registries(),
        _capabilities(),
        _limits(),
        _dns(),
        _patterns(),
    ]
    _check(areas)
    for area in areas:
        used = {f for c in area.cases for f in c.flags}
        area.flags = {f: FLAGS[f] for f in sorted(used)}
    areas[0].untestable = dict(UNTESTABLE)
    return areas
