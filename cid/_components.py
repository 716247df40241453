"""The rules of each component of an identifier (spec §4-§8), shared by the strict
parser (``_identifier``), its fast path (``_identifier_fast``) and patterns
(``_pattern``): each takes tokens as the grammar gave them and returns the
canonical text, or raises :class:`Fault` at the token that breaks a rule.
"""

from __future__ import annotations

import unicodedata
from typing import Final

import idna

from ._capability import Capability, ValueFault, typed_value
from ._syntax import RawAttribute, Tok
from ._tables import ARCH_ALIASES, ARCHITECTURES

__all__ = [
    "MAX_ARCH_NAME",
    "MAX_ARCH_TERMS",
    "MAX_ARCH_TEXT",
    "MAX_ATTRIBUTES",
    "MAX_PROVIDER_LABELS",
    "MAX_RELATIVE_DNS",
    "UNICODE_VERSION",
    "Fault",
    "arch_name",
    "attribute",
    "canonical_arch",
    "canonical_capabilities",
    "canonical_provider",
    "tokens",
]

MAX_ATTRIBUTES: Final = 16
MAX_ARCH_TERMS: Final = 8
MAX_PROVIDER_LABELS: Final = 8
MAX_ARCH_NAME: Final = 32
MAX_ARCH_TEXT: Final = 62
#: Longest relative DNS name (presentation form, no trailing dot) of an identifier,
#: so that any root suffix of up to 63 characters fits in 253 (spec §8).
MAX_RELATIVE_DNS: Final = 189
#: The Unicode version of spec §4.1: the IDNA2008 tables the reference uses.
UNICODE_VERSION: Final = "18.0.0"

_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class Fault(Exception):
    """Internal: a semantic fault at a token (``at``), before positions are known."""

    def __init__(self, reason: str, at: Tok | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.at = at


def canonical_provider(labels: list[Tok]) -> str:
    """provider: LABEL ("." LABEL)*  -- IDNA2008 (RFC 5891), no UTS #46 mapping."""
    if len(labels) > MAX_PROVIDER_LABELS:
        raise Fault(f"a provider has at most {MAX_PROVIDER_LABELS} labels", labels[0])
    out = []
    for tok in labels:
        label = tok.text.translate(_ASCII_LOWER)
        try:
            if label.isascii():
                if label[2:4] == "--":
                    if not label.startswith("xn--"):
                        raise Fault("labels with '--' in positions 3-4 are reserved", tok)
                    # An A-label must decode to a valid U-label and encode back to itself.
                    _assigned(label[4:].encode("ascii").decode("punycode"), tok)
                    if idna.alabel(idna.ulabel(label)).decode("ascii") != label:
                        raise Fault("not the canonical A-label of its U-label", tok)
                elif len(label) > 63:
                    raise Fault("a label is at most 63 characters", tok)
            else:
                _assigned(label, tok)
                label = idna.alabel(label).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise Fault(f"invalid internationalised label: {exc}", tok) from None
        out.append(label)
    if any(not t.text.isascii() or t.text[2:4] == "--" for t in labels):
        _bidi_domain(labels, out)
    return ".".join(out)


def _assigned(ulabel: str, tok: Tok) -> None:
    """Spec §4.1: Unicode data older than UNICODE_VERSION does not know the
    properties of newer code points, so they are rejected. (Code points newer
    than UNICODE_VERSION are UNASSIGNED in the IDNA tables, which reject them.)"""
    for ch in ulabel:
        if unicodedata.category(ch) == "Cn":
            raise Fault(
                f"U+{ord(ch):04X} is not assigned in Unicode {unicodedata.unidata_version},"
                " the newest version this implementation's data covers",
                tok,
            )


def _bidi_domain(labels: list[Tok], alabels: list[str]) -> None:
    """RFC 5893 section 2: in a name with any right-to-left label, every label
    (ASCII ones too) must satisfy the Bidi rule."""
    ulabels = [idna.ulabel(a) if a.startswith("xn--") else a for a in alabels]
    if not any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") for u in ulabels for ch in u):
        return
    for tok, ulabel in zip(labels, ulabels, strict=True):
        try:
            idna.check_bidi(ulabel, check_ltr=True)
        except (idna.IDNAError, UnicodeError) as exc:
            raise Fault(f"violates the Bidi rule of RFC 5893: {exc}", tok) from None


def canonical_arch(terms: list[Tok]) -> tuple[str, tuple[str, ...]]:
    """arch: ARCH ("+" ARCH)*  -- first a CPU, then accelerators (spec §6)."""
    if len(terms) > MAX_ARCH_TERMS:
        raise Fault(f"at most {MAX_ARCH_TERMS} architecture names", terms[MAX_ARCH_TERMS])
    names = [arch_name(t) for t in terms]
    cpu = names[0]
    if ARCHITECTURES.get(cpu, None) is not None and ARCHITECTURES[cpu].kind != "cpu":
        raise Fault(f"{cpu} is an accelerator; the first architecture must be a CPU", terms[0])
    seen = {cpu}
    for tok, name in zip(terms[1:], names[1:], strict=True):
        entry = ARCHITECTURES.get(name)
        if entry is not None and entry.kind == "cpu":
            raise Fault(f"{name} is a CPU; only the first architecture may be a CPU", tok)
        if name in seen:
            raise Fault(f"{name} appears twice", tok)
        seen.add(name)
    if sum(map(len, names)) + len(names) - 1 > MAX_ARCH_TEXT:
        # Sorting does not change the length, so the fault is the first term, as
        # written, at which the running canonical length passes the limit (§6.1).
        length = -1
        for tok, name in zip(terms, names, strict=True):
            length += 1 + len(name)
            if length > MAX_ARCH_TEXT:
                raise Fault(
                    f"the architecture is at most {MAX_ARCH_TEXT} characters"
                    " (its DNS label is one more)",
                    tok,
                )
    return cpu, tuple(sorted(names[1:]))


def arch_name(tok: Tok) -> str:
    """One ARCH token to its canonical name: lowercase, aliases resolved."""
    name = tok.text.lower()
    name = ARCH_ALIASES.get(name, name)
    if "_" in name:
        raise Fault(f"unknown architecture {name!r} ('_' only appears in aliases)", tok)
    if len(name) > MAX_ARCH_NAME:
        raise Fault(f"an architecture name is at most {MAX_ARCH_NAME} characters", tok)
    return name


def attribute(raw: RawAttribute) -> Capability:
    """attribute: NAME ["=" value]  -- typed, checked against the registry (spec §7)."""
    key = raw.key.text.lower()
    if len(key) > 32:
        raise Fault("a capability name is at most 32 characters", raw.key)
    try:
        typ, value = typed_value(key, raw.kind, raw.value.text if raw.value else None)
    except ValueFault as fault:
        raise Fault(fault.reason, raw.value if fault.at_value else raw.key) from None
    cap = Capability(key, typ, value)
    if len(str(cap)) > 62:  # its DNS label is one longer (spec §9.1)
        raise Fault("an attribute is at most 62 characters in canonical form", raw.key)
    return cap


def canonical_capabilities(attrs: list[RawAttribute]) -> tuple[Capability, ...]:
    if len(attrs) > MAX_ATTRIBUTES:
        raise Fault(f"at most {MAX_ATTRIBUTES} capability attributes", attrs[MAX_ATTRIBUTES].key)
    caps = []
    seen: set[str] = set()
    for raw in attrs:
        cap = attribute(raw)
        if cap.key in seen:
            raise Fault(f"{cap.key} appears twice", raw.key)
        seen.add(cap.key)
        caps.append(cap)
    caps.sort(key=lambda c: c.key)
    return tuple(caps)


def tokens(text: str, sep: str) -> list[Tok]:
    toks, start = [], 0
    for part in text.split(sep):
        toks.append(Tok(part, start))
        start += len(part) + 1
    return toks
