"""The :class:`Identifier` value, and parsing: the strict parser (the lark grammar,
``parse_slow``) and :func:`parse`, which tries the fast path (``_identifier_fast``)
first (spec §3-§9)."""

from __future__ import annotations

from typing import Final, NoReturn

import idna

from ._capability import Capability
from ._components import (
    MAX_ATTRIBUTES,
    MAX_RELATIVE_DNS,
    UNICODE_VERSION,
    Fault,
    canonical_arch,
    canonical_capabilities,
    canonical_provider,
)
from ._dnsname import dns_name, reverse
from ._errors import IdentifierError
from ._identifier_fast import Value, fast_value
from ._syntax import MAX_INPUT, lark_identifier
from ._tables import satisfies

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_RELATIVE_DNS",
    "UNICODE_VERSION",
    "Identifier",
    "parse",
    "parse_slow",
]

_SCHEME: Final = "ucid:"


class Identifier:
    """A Unified Compute Identifier: provider, region, architecture, capabilities.

    Immutable. ``str()`` is the canonical form, and two identifiers are equal
    exactly when their canonical forms are. Build one with :func:`cid.parse` or
    :meth:`from_dns_name`.
    """

    # One slot holding (canonical, provider, region, cpu, accelerators,
    # capabilities): a single store per identifier keeps parsing fast.
    __slots__ = ("_v",)
    _v: Value

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
        return dns_name(
            [str(cap) for cap in self.capabilities], self.arch, self.region, self.provider, root
        )

    @classmethod
    def from_dns_name(cls, name: str, root: str) -> Identifier:
        """The identifier whose DNS name under ``root`` is ``name`` (spec §9.3)."""
        candidate, lowered = reverse(name, root)
        try:
            ident = parse(candidate)
        except IdentifierError as exc:
            raise IdentifierError(
                f"decodes to {candidate!r}, which is not an identifier: {exc.reason}", name, None
            ) from None
        # Only an identifier's canonical name maps back: the mapping is a bijection.
        expected = ident.to_dns_name(root)
        if expected[:-1] != lowered:
            raise IdentifierError(f"not the canonical DNS name of {ident} ({expected})", name, None)
        return ident


class _Unfrozen:
    """Identifier's layout without its ``__setattr__``: its slot filled by a plain
    store, then made an Identifier by ``__class__`` assignment (allowed between
    classes of the same slots), for less than ``object.__new__`` and the slot's
    ``__set__`` (``tests/cid/test_identifier.py`` checks the layouts match)."""

    __slots__ = ("_v",)
    _v: Value


def _identifier(value: Value) -> Identifier:
    ident = _Unfrozen()
    ident._v = value
    ident.__class__ = Identifier  # type: ignore[assignment]
    return ident  # type: ignore[return-value]


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
    # gain a leading underscore (spec §9.1), so the length is known from the text
    # (the fast path checks the same).
    if len(canonical) - len(_SCHEME) + 2 + len(caps) > MAX_RELATIVE_DNS:
        raise Fault(f"the identifier's DNS name would exceed {MAX_RELATIVE_DNS} characters", None)
    return _identifier((canonical, provider, region, cpu, accs, caps))


# ------------------------------------------------------------------- parsing


def parse_slow(text: str) -> Identifier:
    """Parse with the lark grammar only (the oracle); faults carry positions."""
    raw = lark_identifier(text)
    try:
        caps = canonical_capabilities(raw.attributes)
        return _make(
            canonical_provider(raw.provider),
            raw.region.text.lower(),
            *canonical_arch(raw.arch),
            caps,
            ";".join(map(str, caps)),
        )
    except Fault as fault:
        raise IdentifierError(fault.reason, text, fault.at.pos if fault.at else None) from None


def parse(text: str) -> Identifier:
    """Parse a UCID in any valid spelling and return it as an :class:`Identifier`.

    Raises :class:`cid.IdentifierError` (a ``ValueError``) with the position of
    the fault for anything that is not a valid identifier.
    """
    if not isinstance(text, str):
        raise IdentifierError(f"an identifier is text, not {type(text).__name__}", repr(text))
    if len(text) <= MAX_INPUT:
        value = fast_value(text)
        if value is not None:
            ident = _Unfrozen()
            ident._v = value
            ident.__class__ = Identifier  # type: ignore[assignment]
            return ident  # type: ignore[return-value]
    return parse_slow(text)
