"""The :class:`Identifier` value and the semantic rules shared by both parsers (spec §4-§8)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Final, NoReturn

import idna

from ._capability import Capability, ValueFault, typed_value
from ._errors import IdentifierError
from ._syntax import (
    FAST_ARCH,
    FAST_ATTRIBUTE,
    FAST_PROVIDER,
    FAST_REGION,
    MAX_INPUT,
    RawAttribute,
    Tok,
    lark_identifier,
)
from ._tables import ARCH_ALIASES, ARCHITECTURES, satisfies

__all__ = ["MAX_ATTRIBUTES", "MAX_RELATIVE_DNS", "UNICODE_VERSION", "Identifier", "parse"]

MAX_ATTRIBUTES: Final = 16
MAX_ARCH_TERMS: Final = 8
MAX_PROVIDER_LABELS: Final = 8
MAX_ARCH_NAME: Final = 32
MAX_ARCH_TEXT: Final = 62
#: Longest relative DNS name (presentation form, no trailing dot) of an identifier,
#: so that any root suffix of up to 63 characters fits in 253 (spec §8).
MAX_RELATIVE_DNS: Final = 189
_SCHEME: Final = "ucid:"
#: The Unicode version of spec §4.1: the IDNA2008 tables the reference uses.
UNICODE_VERSION: Final = "18.0.0"

_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _Fault(Exception):
    """Internal: a semantic fault at a token (``at``), before positions are known."""

    def __init__(self, reason: str, at: Tok | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.at = at


class Identifier:
    """A Unified Compute Identifier: provider, region, architecture, capabilities.

    Immutable. ``str()`` is the canonical form, and two identifiers are equal
    exactly when their canonical forms are. Build one with :func:`cid.parse` or
    :meth:`from_dns_name`.
    """

    # One slot holding (canonical, provider, region, cpu, accelerators,
    # capabilities): a single store per identifier keeps parsing fast.
    __slots__ = ("_v",)
    _v: tuple[str, str, str, str, tuple[str, ...], tuple[Capability, ...]]

    @property
    def provider(self) -> str:
        """Provider name in A-label form (``xn--...`` for Unicode labels), lowercase."""
        return self._v[1]

    @property
    def region(self) -> str:
        """Region code, lowercase (``cn-gd``)."""
        return self._v[2]

    @property
    def cpu(self) -> str:
        """The CPU architecture (canonical registry name when registered)."""
        return self._v[3]

    @property
    def accelerators(self) -> tuple[str, ...]:
        """Accelerator architectures, sorted, without duplicates."""
        return self._v[4]

    @property
    def capabilities(self) -> tuple[Capability, ...]:
        """Capability attributes, sorted by key."""
        return self._v[5]

    def __init__(self) -> None:  # pragma: no cover - guarded
        raise TypeError("use cid.parse() or Identifier.from_dns_name() to make an Identifier")

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Identifier is immutable; cannot set {name}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Identifier is immutable; cannot delete {name}")

    def __str__(self) -> str:
        return self._v[0]

    def __repr__(self) -> str:
        return f"Identifier({self._v[0]!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Identifier):
            return self._v[0] == other._v[0]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._v[0])

    def __lt__(self, other: Identifier) -> bool:
        if isinstance(other, Identifier):
            return self._v[0] < other._v[0]
        return NotImplemented

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (parse, (self._v[0],))

    @property
    def arch(self) -> str:
        """The architecture component in canonical form (``x86-64-v4+sm90``)."""
        return "+".join((self.cpu, *self.accelerators))

    @property
    def provider_unicode(self) -> str:
        """The provider with A-labels decoded to Unicode, for display."""
        if "xn--" not in self.provider:
            return self.provider
        return ".".join(
            idna.ulabel(label) if label.startswith("xn--") else label
            for label in self.provider.split(".")
        )

    def capability(self, key: str) -> Capability | None:
        """The attribute named ``key``, or None."""
        for cap in self.capabilities:
            if cap.key == key:
                return cap
        return None

    def satisfies_arch(self, want: str) -> bool:
        """True when this resource runs code built for architecture ``want``."""
        return satisfies(self.cpu, want) or any(satisfies(a, want) for a in self.accelerators)

    def to_dns_name(self, root: str) -> str:
        """The DNS name of this identifier under ``root`` (spec §9), absolute, lowercase."""
        from ._dnsname import to_dns_name  # noqa: PLC0415 - _dnsname imports this module

        return to_dns_name(self, root)

    @classmethod
    def from_dns_name(cls, name: str, root: str) -> Identifier:
        """The identifier whose DNS name under ``root`` is ``name`` (spec §9.3)."""
        from ._dnsname import from_dns_name  # noqa: PLC0415 - _dnsname imports this module

        return from_dns_name(name, root)


_new = object.__new__
_store: Callable[[Identifier, object], None] = Identifier.__dict__["_v"].__set__


def _make(
    provider: str,
    region: str,
    cpu: str,
    accs: tuple[str, ...],
    caps: tuple[Capability, ...],
    caps_text: str,
) -> Identifier:
    canonical = f"{_SCHEME}{provider}/{region}/{cpu}"
    if accs:
        canonical += "+" + "+".join(accs)
    if caps:
        canonical += "/" + caps_text
    # Every separator maps to one DNS separator; region, arch and each attribute
    # gain a leading underscore (spec §9.1), so the length is known from the text.
    if len(canonical) - len(_SCHEME) + 2 + len(caps) > MAX_RELATIVE_DNS:
        raise _Fault(f"the identifier's DNS name would exceed {MAX_RELATIVE_DNS} characters", None)
    ident: Identifier = _new(Identifier)
    _store(ident, (canonical, provider, region, cpu, accs, caps))
    return ident


# ---------------------------------------------------------------- components


def _provider(labels: list[Tok]) -> str:
    """provider: LABEL ("." LABEL)*  -- IDNA2008 (RFC 5891), no UTS #46 mapping."""
    if len(labels) > MAX_PROVIDER_LABELS:
        raise _Fault(f"a provider has at most {MAX_PROVIDER_LABELS} labels", labels[0])
    out = []
    for tok in labels:
        label = tok.text.translate(_ASCII_LOWER)
        try:
            if label.isascii():
                if label[2:4] == "--":
                    if not label.startswith("xn--"):
                        raise _Fault("labels with '--' in positions 3-4 are reserved", tok)
                    # An A-label must decode to a valid U-label and encode back to itself.
                    _assigned(label[4:].encode("ascii").decode("punycode"), tok)
                    if idna.alabel(idna.ulabel(label)).decode("ascii") != label:
                        raise _Fault("not the canonical A-label of its U-label", tok)
                elif len(label) > 63:
                    raise _Fault("a label is at most 63 characters", tok)
            else:
                _assigned(label, tok)
                label = idna.alabel(label).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise _Fault(f"invalid internationalised label: {exc}", tok) from None
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
            raise _Fault(
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
            raise _Fault(f"violates the Bidi rule of RFC 5893: {exc}", tok) from None


def _arch(terms: list[Tok]) -> tuple[str, tuple[str, ...]]:
    """arch: ARCH ("+" ARCH)*  -- first a CPU, then accelerators (spec §6)."""
    if len(terms) > MAX_ARCH_TERMS:
        raise _Fault(f"at most {MAX_ARCH_TERMS} architecture names", terms[MAX_ARCH_TERMS])
    names = [arch_name(t) for t in terms]
    cpu = names[0]
    if ARCHITECTURES.get(cpu, None) is not None and ARCHITECTURES[cpu].kind != "cpu":
        raise _Fault(f"{cpu} is an accelerator; the first architecture must be a CPU", terms[0])
    seen = {cpu}
    for tok, name in zip(terms[1:], names[1:], strict=True):
        entry = ARCHITECTURES.get(name)
        if entry is not None and entry.kind == "cpu":
            raise _Fault(f"{name} is a CPU; only the first architecture may be a CPU", tok)
        if name in seen:
            raise _Fault(f"{name} appears twice", tok)
        seen.add(name)
    if sum(map(len, names)) + len(names) - 1 > MAX_ARCH_TEXT:
        # Sorting does not change the length, so the fault is the first term, as
        # written, at which the running canonical length passes the limit (§6.1).
        length = -1
        for tok, name in zip(terms, names, strict=True):
            length += 1 + len(name)
            if length > MAX_ARCH_TEXT:
                raise _Fault(
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
        raise _Fault(f"unknown architecture {name!r} ('_' only appears in aliases)", tok)
    if len(name) > MAX_ARCH_NAME:
        raise _Fault(f"an architecture name is at most {MAX_ARCH_NAME} characters", tok)
    return name


def attribute(raw: RawAttribute) -> Capability:
    """attribute: NAME ["=" value]  -- typed, checked against the registry (spec §7)."""
    key = raw.key.text.lower()
    if len(key) > 32:
        raise _Fault("a capability name is at most 32 characters", raw.key)
    try:
        typ, value = typed_value(key, raw.kind, raw.value.text if raw.value else None)
    except ValueFault as fault:
        raise _Fault(fault.reason, raw.value if fault.at_value else raw.key) from None
    cap = Capability(key, typ, value)
    if len(str(cap)) > 62:  # its DNS label is one longer (spec §9.1)
        raise _Fault("an attribute is at most 62 characters in canonical form", raw.key)
    return cap


def _capabilities(attrs: list[RawAttribute]) -> tuple[Capability, ...]:
    if len(attrs) > MAX_ATTRIBUTES:
        raise _Fault(f"at most {MAX_ATTRIBUTES} capability attributes", attrs[MAX_ATTRIBUTES].key)
    caps = []
    seen: set[str] = set()
    for raw in attrs:
        cap = attribute(raw)
        if cap.key in seen:
            raise _Fault(f"{cap.key} appears twice", raw.key)
        seen.add(cap.key)
        caps.append(cap)
    caps.sort(key=lambda c: c.key)
    return tuple(caps)


# ------------------------------------------------------------------- parsing


def _split(text: str, sep: str) -> list[Tok]:
    toks, start = [], 0
    for part in text.split(sep):
        toks.append(Tok(part, start))
        start += len(part) + 1
    return toks


# The fast path's component functions are memoised by their input text: the
# result depends on nothing else, real workloads repeat providers,
# architectures and attributes, and lru_cache never stores a raised _Fault.
# Each returns None when its expression (the grammar's terminals, ASCII only)
# does not match, and the lark path then decides.


@lru_cache(maxsize=4096)
def _fast_provider(text: str) -> str | None:
    return _provider(_split(text, ".")) if FAST_PROVIDER(text) else None


@lru_cache(maxsize=1024)
def _fast_region(text: str) -> str | None:
    return text.lower() if FAST_REGION(text) else None


@lru_cache(maxsize=1024)
def _fast_arch(text: str) -> tuple[str, tuple[str, ...]] | None:
    return _arch(_split(text, "+")) if FAST_ARCH(text) else None


@lru_cache(maxsize=4096)
def _fast_attribute(item: str) -> tuple[str, str, Capability] | None:
    if not FAST_ATTRIBUTE(item):
        return None
    key, eq, value = item.partition("=")
    if eq:
        kind = "NAME" if value[0].isalpha() else "QUANTITY" if value[-1].isalpha() else "INTEGER"
        cap = attribute(RawAttribute(Tok(key, 0), Tok(value, 0), kind))
    else:
        cap = attribute(RawAttribute(Tok(key, 0), None, None))
    return cap.key, str(cap), cap


# Capability sets vary more than any component: sized for a catalogue of ~10^4
# distinct sets (a few MB when full).
@lru_cache(maxsize=16384)
def _fast_capabilities(text: str) -> tuple[tuple[Capability, ...], str] | None:
    found = [_fast_attribute(item) for item in text.split(";")]
    if None in found:
        return None
    entries: list[tuple[str, str, Capability]] = found  # type: ignore[assignment]
    entries.sort()
    if len({e[0] for e in entries}) != len(entries) or len(entries) > MAX_ATTRIBUTES:
        return None  # the lark path reports the duplicate or the excess with its position
    return tuple([e[2] for e in entries]), ";".join([e[1] for e in entries])


FAST_MEMOS: Final = (_fast_provider, _fast_region, _fast_arch, _fast_attribute, _fast_capabilities)


def _fast(text: str) -> Identifier | None:
    """The fast path: split on the separators ("/" and ";" occur in no
    terminal), then memoised components. Returns None when it cannot decide;
    the caller then takes the lark path, which gives the same answer or the
    fault with its position."""
    if text[:5].lower() != _SCHEME:
        return None
    parts = text[5:].split("/")
    try:
        if len(parts) == 4:
            caps = _fast_capabilities(parts[3])
            if caps is None:
                return None
        elif len(parts) == 3:
            caps = _NO_CAPS
        else:
            return None
        provider = _fast_provider(parts[0])
        region = _fast_region(parts[1])
        arch = _fast_arch(parts[2])
        if provider is None or region is None or arch is None:
            return None
        return _make(provider, region, arch[0], arch[1], caps[0], caps[1])
    except _Fault:
        return None


_NO_CAPS: Final[tuple[tuple[Capability, ...], str]] = ((), "")


def parse_slow(text: str) -> Identifier:
    """Parse with the lark grammar only (the oracle); faults carry positions."""
    raw = lark_identifier(text)
    try:
        caps = _capabilities(raw.attributes)
        return _make(
            _provider(raw.provider),
            raw.region.text.lower(),
            *_arch(raw.arch),
            caps,
            ";".join(map(str, caps)),
        )
    except _Fault as fault:
        raise IdentifierError(fault.reason, text, fault.at.pos if fault.at else None) from None


def parse(text: str) -> Identifier:
    """Parse a UCID in any valid spelling and return it as an :class:`Identifier`.

    Raises :class:`cid.IdentifierError` (a ``ValueError``) with the position of
    the fault for anything that is not a valid identifier.
    """
    if not isinstance(text, str):
        raise IdentifierError(f"an identifier is text, not {type(text).__name__}", repr(text))
    if len(text) <= MAX_INPUT and text.isascii():
        ident = _fast(text)
        if ident is not None:
            return ident
    return parse_slow(text)


Fault = _Fault
