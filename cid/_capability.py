"""Capability attributes: typed values with one canonical spelling (identifier spec §7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ._tables import CAPABILITY_TYPES
from ._units import CANONICAL_UNIT, MAX_VALUE, humanize, quantity

__all__ = ["NUMERIC_TYPES", "Capability", "ValueFault", "typed_value"]

NUMERIC_TYPES: Final = frozenset({"count", "size", "rate", "frequency"})
MAX_TOKEN: Final = 32


class ValueFault(Exception):
    """Internal: a value that is syntactically fine but semantically wrong."""

    def __init__(self, reason: str, at_value: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.at_value = at_value  # False: the fault is the key itself


@dataclass(frozen=True, slots=True)
class Capability:
    """One capability attribute.

    ``type`` is ``flag``, ``count``, ``size`` (bytes), ``rate`` (bits per second),
    ``frequency`` (hertz) or ``token``; ``value`` is ``True``, an ``int`` in the
    canonical unit, or a lowercase ``str``. ``str()`` is the canonical form.
    """

    key: str
    type: str
    value: bool | int | str

    def __str__(self) -> str:
        if self.type == "flag":
            return self.key
        return f"{self.key}={self.value_text()}"

    def value_text(self) -> str:
        """The canonical spelling of the value (``549755813888B``)."""
        if self.type in CANONICAL_UNIT:
            return f"{self.value}{CANONICAL_UNIT[self.type]}"
        return str(self.value)

    def display(self) -> str:
        """A readable value for people (``512 GiB``); not canonical."""
        if self.type == "flag":
            return "yes"
        if self.type in CANONICAL_UNIT:
            assert isinstance(self.value, int)
            return humanize(self.type, self.value)
        return str(self.value)


def typed_value(key: str, kind: str | None, text: str | None) -> tuple[str, bool | int | str]:
    """Type and canonical value of one attribute, checked against the registry.

    ``kind`` is the grammar terminal of the value (QUANTITY, INTEGER, NAME), or
    None for a flag. Raises :class:`ValueFault`.
    """
    registered = CAPABILITY_TYPES.get(key)
    value: bool | int | str
    if kind is None or text is None:
        typ, value = "flag", True
    elif kind == "INTEGER":
        typ, value = "count", int(text)
        if value > MAX_VALUE:
            raise ValueFault(f"{text} exceeds the largest value, {MAX_VALUE}")
    elif kind == "QUANTITY":
        try:
            typ, value = quantity(text)
        except ValueError as exc:
            raise ValueFault(str(exc)) from None
    else:
        typ, value = "token", text.lower()
        if len(text) > MAX_TOKEN:
            raise ValueFault(f"a token is at most {MAX_TOKEN} characters")
    if registered is not None and registered != typ:
        raise ValueFault(_mismatch(key, registered, typ), at_value=typ != "flag")
    return typ, value


_EXAMPLES: Final = {
    "flag": "a flag, written as the name alone",
    "count": "an integer, such as {k}=8",
    "size": "a size with a unit, such as {k}=512GiB",
    "rate": "a rate with a unit, such as {k}=400Gbps",
    "frequency": "a frequency with a unit, such as {k}=2600MHz",
    "token": "a name, such as {k}=h800",
}


def _mismatch(key: str, registered: str, got: str) -> str:
    want = _EXAMPLES[registered].format(k=key)
    if got == "flag":
        return f"{key} needs a value: {want}"
    return f"{key} takes {want}, not a {got}"
