"""Identifier components computed straight from their text, with no tokens and no
IDNA: what the fast path (``_identifier_fast``) computes when its memos do not
hold a component yet. Each gives exactly what ``_components`` gives for the same
text, or None: for the architecture None means invalid; for the provider and the
capabilities it also means "not a shape handled here", and the general rules
decide (``tests/cid/test_components_fast.py`` holds them together).

The registries are read through tables made on first use, not at import, so that
they see the registries as a program (or a conformance mutant) has set them up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ._capability import MAX_TOKEN, Capability
from ._components import MAX_ARCH_NAME, MAX_ARCH_TERMS, MAX_ARCH_TEXT, MAX_PROVIDER_LABELS
from ._syntax import FAST_ARCH, FAST_NAME, FAST_PROVIDER
from ._tables import ARCH_ALIASES, ARCHITECTURES, CAPABILITY_TYPES
from ._units import CANONICAL_UNIT, MAX_VALUE, UNITS

__all__ = ["Attribute", "arch", "plain_provider", "registered_capabilities"]

#: (key, canonical text, capability), as the fast path sorts them.
Attribute = tuple[str, str, Capability]

_DIGITS: Final = "0123456789."
_new = object.__new__
# Capability is a frozen dataclass: its __init__ goes through object.__setattr__
# three times; setting the slots directly gives the same value for less.
_set_key: Callable[[Capability, str], None] = Capability.__dict__["key"].__set__
_set_type: Callable[[Capability, str], None] = Capability.__dict__["type"].__set__
_set_value: Callable[[Capability, object], None] = Capability.__dict__["value"].__set__


# ------------------------------------------------------------------ tables
#: Registered architecture spellings (names and aliases, lowercase, of valid
#: syntax) -> (canonical name, is a CPU).
_ARCHS: Final[dict[str, tuple[str, bool]]] = {}
#: Registered capability keys (valid NAMEs) -> registered type.
_KEYS: Final[dict[str, str]] = {}
#: Registered flags -> their one capability (immutable, so shared).
_FLAGS: Final[dict[str, Attribute]] = {}


def _fill() -> None:
    # Each table is made whole, then published by one dict.update (atomic under the
    # GIL), flags before keys: a thread that finds a table filled finds it complete.
    archs, keys, flags = {}, {}, {}
    for spelling, name in [*((n, n) for n in ARCHITECTURES), *ARCH_ALIASES.items()]:
        if (
            FAST_ARCH(spelling)
            and "+" not in spelling
            and spelling == spelling.lower()
            and "_" not in name
            and len(name) <= MAX_ARCH_NAME
        ):
            archs[spelling] = (name, ARCHITECTURES[name].kind == "cpu")
    for key, typ in CAPABILITY_TYPES.items():
        if FAST_NAME(key) and key == key.lower() and len(key) <= 32:
            keys[key] = typ
            if typ == "flag":
                flags[key] = (key, key, Capability(key, "flag", True))
    _FLAGS.update(flags)
    _ARCHS.update(archs)
    _KEYS.update(keys)


# ---------------------------------------------------------------- components


def plain_provider(text: str) -> str | None:
    """An ASCII provider of letters, digits and hyphens with no reserved label
    ("--" in positions 3-4, so no A-label), at most 63 characters in all: it is
    its own lowercase. None for any other (``canonical_provider`` decides)."""
    if (
        len(text) <= 63
        and "--" not in text
        and text.count(".") < MAX_PROVIDER_LABELS
        and FAST_PROVIDER(text)
    ):
        return text.lower()
    return None


def arch(text: str) -> tuple[str, tuple[str, ...]] | None:
    """``canonical_arch`` of the ARCH terms of ``text``; None where it faults or
    ``text`` is not ARCH ("+" ARCH)*."""
    if not _ARCHS:
        _fill()
    if not text.isascii():  # so that lower() is ASCII's
        return None
    names = text.lower().split("+")
    if len(names) > MAX_ARCH_TERMS:
        return None
    cpu = names[0]
    entry = _ARCHS.get(cpu)
    if entry is None:
        if not _unregistered(cpu):
            return None
    elif entry[1]:
        cpu = entry[0]
    else:
        return None  # an accelerator first
    if len(names) == 1:
        return cpu, ()
    accs = []
    for name in names[1:]:
        entry = _ARCHS.get(name)
        if entry is None:
            if not _unregistered(name):
                return None
            accs.append(name)
        elif entry[1]:
            return None  # a CPU after the first place
        else:
            accs.append(entry[0])
    if cpu in accs or sum(map(len, accs)) + len(accs) + len(cpu) > MAX_ARCH_TEXT:
        return None
    if len(accs) > 1:
        if len(set(accs)) != len(accs):
            return None
        accs.sort()
    return cpu, tuple(accs)


def _unregistered(name: str) -> bool:
    """An unregistered name (lowercase) that is valid in either place."""
    return "_" not in name and len(name) <= MAX_ARCH_NAME and bool(FAST_ARCH(name))


def registered_capabilities(text: str) -> list[Attribute] | None:
    """``attribute`` of each of the ";"-separated attributes of ``text``, when
    every key is registered and spelled as the grammar has it, with a value of
    its registered type; None for anything else."""
    if not _KEYS:
        _fill()
    if not text.isascii():  # so that lower() and isdigit() are ASCII's
        return None
    out = []
    for item in text.split(";"):
        key, eq, value = item.partition("=")
        typ = _KEYS.get(key)
        if typ is None:
            key = key.lower()
            typ = _KEYS.get(key)
            if typ is None:
                return None
        if not eq:
            if typ != "flag":
                return None
            out.append(_FLAGS[key])
            continue
        cap: Capability = _new(Capability)
        if typ == "count":
            # INTEGER: digits, no leading zero.
            if not value.isdigit() or (value[0] == "0" and len(value) > 1):
                return None
            number = int(value)
            if number > MAX_VALUE:
                return None
            canonical = f"{key}={value}"
            _set_value(cap, number)
        elif typ == "token":
            # NAME: a letter, then letters, digits and hyphens.
            if (
                not value[:1].isalpha()
                or not value.replace("-", "").isalnum()
                or len(value) > MAX_TOKEN
            ):
                return None
            token = value.lower()
            canonical = f"{key}={token}"
            _set_value(cap, token)
        elif typ in CANONICAL_UNIT:
            amount = _quantity(value, typ)
            if amount is None:
                return None
            canonical = f"{key}={amount}{CANONICAL_UNIT[typ]}"
            _set_value(cap, amount)
        else:
            return None
        if len(canonical) > 62:
            return None
        _set_key(cap, key)
        _set_type(cap, typ)
        out.append((key, canonical, cap))
    return out


def _quantity(value: str, typ: str) -> int | None:
    """``quantity`` of a QUANTITY (ASCII) of type ``typ``; None otherwise."""
    unit = value.lstrip(_DIGITS)
    spec = UNITS.get(unit)
    if spec is None or spec[0] != typ:
        return None
    number = value[: len(value) - len(unit)]
    if number.isdigit():
        if number[0] == "0" and len(number) > 1:
            return None
        scaled: int = int(number) * spec[1]
    else:
        whole, _, fraction = number.partition(".")
        if not whole.isdigit() or (whole[0] == "0" and len(whole) > 1) or not fraction.isdigit():
            return None
        scaled, rest = divmod(int(whole + fraction) * spec[1], 10 ** len(fraction))
        if rest:
            return None
    return scaled if scaled <= MAX_VALUE else None
