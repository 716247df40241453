"""Discovery patterns and what they match (identifier spec §10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ._capability import NUMERIC_TYPES, Capability, ValueFault, typed_value
from ._components import Fault, arch_name, canonical_provider
from ._errors import IdentifierError
from ._identifier import Identifier
from ._syntax import RawAttribute, lark_pattern
from ._tables import ARCHITECTURES, satisfies

__all__ = ["MAX_CONSTRAINTS", "Constraint", "Pattern", "parse_pattern"]

MAX_CONSTRAINTS: Final = 32
# Canonical order of operators for one key (spec §10.4).
_OPS: Final = ("present", "absent", "=", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class Constraint:
    """One capability test: ``key``, ``!key`` or ``key OP value``.

    ``op`` is ``present``, ``absent``, ``=``, ``!=``, ``<``, ``<=``, ``>`` or ``>=``.
    """

    key: str
    op: str
    type: str | None = None
    value: bool | int | str | None = None

    def __str__(self) -> str:
        if self.op == "present":
            return self.key
        if self.op == "absent":
            return "!" + self.key
        assert self.type is not None and self.value is not None
        return f"{self.key}{self.op}{Capability(self.key, self.type, self.value).value_text()}"

    def test(self, ident: Identifier) -> bool:
        """True when ``ident`` passes this test."""
        cap = ident.capability(self.key)
        if self.op == "absent":
            return cap is None
        if cap is None:
            return False
        if self.op == "present":
            return True
        if cap.type != self.type:
            return False  # values of different types are never comparable
        have, want = cap.value, self.value
        if self.op == "=":
            return have == want
        if self.op == "!=":
            return have != want
        assert isinstance(have, int) and isinstance(want, int)
        if self.op == "<":
            return have < want
        if self.op == "<=":
            return have <= want
        if self.op == ">":
            return have > want
        return have >= want

    def _order(self) -> tuple[str, int, str]:
        return (self.key, _OPS.index(self.op), str(self))


@dataclass(frozen=True, slots=True)
class Pattern:
    """A discovery pattern; ``str()`` is its canonical form.

    ``None`` in ``provider``, ``region`` or ``cpu`` means any.
    """

    provider: str | None = None
    provider_below: bool = False  # "*.suffix": strictly below the suffix
    region: str | None = None
    region_below: bool = False  # "cn-*": strictly below the region
    cpu: str | None = None
    accelerators: tuple[str, ...] = ()
    constraints: tuple[Constraint, ...] = ()

    def __str__(self) -> str:
        parts = [
            "*" if self.provider is None else ("*." if self.provider_below else "") + self.provider,
            "*" if self.region is None else self.region + ("-*" if self.region_below else ""),
            "+".join((self.cpu or "*", *self.accelerators)),
            ";".join(map(str, self.constraints)),
        ]
        while len(parts) > 1 and parts[-1] in ("*", ""):
            parts.pop()
        return "ucid:" + "/".join(parts)

    def __repr__(self) -> str:
        return f"Pattern({str(self)!r})"

    def matches(self, ident: Identifier) -> bool:
        """True when ``ident`` is in the set this pattern names (spec §10.3)."""
        if self.provider is not None:
            if self.provider_below:
                if not ident.provider.endswith("." + self.provider):
                    return False
            elif ident.provider != self.provider:
                return False
        if self.region is not None:
            if self.region_below:
                if not ident.region.startswith(self.region + "-"):
                    return False
            elif ident.region != self.region:
                return False
        if self.cpu is not None and not satisfies(ident.cpu, self.cpu):
            return False
        for want in self.accelerators:
            if not any(satisfies(have, want) for have in ident.accelerators):
                return False
        return all(c.test(ident) for c in self.constraints)


def _constraint(raw: RawAttribute) -> Constraint:
    # No length limit on the key (spec §10.2): a longer key is in no identifier,
    # so the test simply never holds (or, for !key, always does).
    key = raw.key.text.lower()
    if raw.op == "!":
        return Constraint(key, "absent")
    if raw.value is None:
        return Constraint(key, "present")
    assert raw.op is not None
    try:
        typ, value = typed_value(key, raw.kind, raw.value.text)
    except ValueFault as fault:
        raise Fault(fault.reason, raw.value) from None
    if raw.op not in ("=", "!=") and typ not in NUMERIC_TYPES:
        raise Fault(f"{raw.op} compares numbers; {raw.value.text} is a {typ}", raw.value)
    return Constraint(key, raw.op, typ, value)


def parse_pattern(text: str) -> Pattern:
    """Parse a discovery pattern (``ucid:*.example/cn-*/x86-64-v3/acc>=8``)."""
    if not isinstance(text, str):
        raise IdentifierError(f"a pattern is text, not {type(text).__name__}", repr(text))
    raw = lark_pattern(text)
    try:
        provider = canonical_provider(raw.provider) if raw.provider else None
        cpu: str | None = None
        accs: list[str] = []
        for i, tok in enumerate(raw.arch):
            if i == 0 and tok.text == "*":
                continue
            name = arch_name(tok)
            entry = ARCHITECTURES.get(name)
            if i == 0:
                if entry is not None and entry.kind != "cpu":
                    raise Fault(f"{name} is an accelerator; write *+{name} for any CPU", tok)
                cpu = name
            else:
                if entry is not None and entry.kind == "cpu":
                    raise Fault(f"{name} is a CPU; only the first architecture may be a CPU", tok)
                if name not in accs:
                    accs.append(name)
        if len(raw.constraints) > MAX_CONSTRAINTS:
            raise Fault(
                f"at most {MAX_CONSTRAINTS} constraints", raw.constraints[MAX_CONSTRAINTS].key
            )
        constraints = sorted({_constraint(c) for c in raw.constraints}, key=Constraint._order)
    except Fault as fault:
        raise IdentifierError(fault.reason, text, fault.at.pos if fault.at else None) from None
    return Pattern(
        provider=provider,
        provider_below=raw.provider_any and provider is not None,
        region=raw.region.text.lower() if raw.region else None,
        region_below=raw.region_prefix,
        cpu=cpu,
        accelerators=tuple(sorted(accs)),
        constraints=tuple(constraints),
    )
