"""The architecture and the capabilities of an identifier computed straight from
their text, with no tokens: what the fast path (``_identifier_fast``) computes
when its memos do not hold a component yet. Each gives exactly what
``_components`` gives for the same text, or None: for the architecture None
means invalid; for the capabilities it also means "not a shape handled here",
and the general rules decide (``tests/cid/test_components_fast.py`` holds them
together).

The registries are read through tables made on first use, not at import, so that
they see the registries as a program (or a conformance mutant) has set them up.
"""

from __future__ import annotations

from typing import Final

from ._capability import MAX_TOKEN, Capability
from ._components import MAX_ARCH_NAME, MAX_ARCH_TERMS, MAX_ARCH_TEXT
from ._syntax import FAST_ARCH, FAST_NAME
from ._tables import ARCH_ALIASES, ARCHITECTURES, CAPABILITY_TYPES
from ._units import CANONICAL_UNIT, MAX_VALUE, UNITS

__all__ = ["Arch", "arch", "registered_capabilities"]

#: (CPU, accelerators, the whole in canonical form): ``canonical_arch`` and its text.
Arch = tuple[str, tuple[str, ...], str]

_DIGITS: Final = "0123456789."


class _Unfrozen:
    """Capability's layout without its frozen ``__setattr__``: filled by plain
    stores, then made a Capability by ``__class__`` assignment (allowed between
    classes of the same slots). The frozen dataclass's ``__init__`` goes through
    ``object.__setattr__`` three times, which costs twice as much
    (``tests/cid/test_components_fast.py`` checks the layouts match)."""

    __slots__ = ("key", "type", "value")
    key: str
    type: str
    value: bool | int | str


# ------------------------------------------------------------------ tables
#: Registered architecture spellings (names and aliases, lowercase, of valid
#: syntax) -> (canonical name, is a CPU).
_ARCHS: Final[dict[str, tuple[str, bool]]] = {}
#: Registered capability keys (valid NAMEs) -> registered type.
_KEYS: Final[dict[str, str]] = {}
#: Registered flags -> their one capability (immutable, so shared).
_FLAGS: Final[dict[str, Capability]] = {}
#: The INTEGER spellings of 0-1023 -> their values: most counts and numbers of
#: units are below 1024, where binary units roll over, and a look-up here costs
#: less than checking the digits and int().
_SMALL: Final[dict[str, int]] = {}
#: Unit spellings -> (type, factor, the type's canonical unit).
_UNITS: Final[dict[str, tuple[str, int, str]]] = {}


def _fill() -> None:
    # Each table is made whole, then published by one dict.update (atomic under the
    # GIL), numbers, units and flags before keys: a thread that finds a table filled
    # finds it complete.
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
                flags[key] = Capability(key, "flag", True)
    _SMALL.update({str(i): i for i in range(1024)})
    _UNITS.update({u: (typ, factor, CANONICAL_UNIT[typ]) for u, (typ, factor) in UNITS.items()})
    _FLAGS.update(flags)
    _ARCHS.update(archs)
    _KEYS.update(keys)


# ---------------------------------------------------------------- components


def arch(text: str) -> Arch | None:
    """``canonical_arch`` of the ARCH terms of ``text``, with its canonical text;
    None where it faults or ``text`` is not ARCH ("+" ARCH)*."""
    if not _ARCHS:
        _fill()
    if not text.isascii():  # so that lower() is ASCII's
        return None
    names = text.lower().split("+")
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
        return cpu, (), cpu
    if len(names) == 2:  # the commonest shape after a CPU alone, without a list
        acc = names[1]
        entry = _ARCHS.get(acc)
        if entry is not None:
            if entry[1]:
                return None  # a CPU after the first place
            acc = entry[0]
        elif acc == cpu or not _unregistered(acc):
            return None
        canonical = f"{cpu}+{acc}"
        return None if len(canonical) > MAX_ARCH_TEXT else (cpu, (acc,), canonical)
    if len(names) > MAX_ARCH_TERMS:
        return None
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
    if cpu in accs:
        return None
    if len(accs) > 1:
        if len(set(accs)) != len(accs):
            return None
        accs.sort()
    canonical = "+".join([cpu, *accs])
    return None if len(canonical) > MAX_ARCH_TEXT else (cpu, tuple(accs), canonical)


def _unregistered(name: str) -> bool:
    """An unregistered name (lowercase) that is valid in either place."""
    return "_" not in name and len(name) <= MAX_ARCH_NAME and bool(FAST_ARCH(name))


def registered_capabilities(text: str) -> tuple[tuple[Capability, ...], str] | None:
    """``canonical_capabilities`` of the ";"-separated attributes of ``text`` and
    their canonical text, when every key is registered and spelled as the grammar
    has it, with a value of its registered type, and no key appears twice; None
    for anything else (the limit on their number is the caller's)."""
    if not _KEYS:
        _fill()
    if not text.isascii() or "\0" in text:  # ASCII: so that lower() and isdigit() are ASCII's
        return None
    # With each "=" as "\0", below every character of a key, the attributes sort
    # by key as plain text, and a repeated key ends up next to itself.
    items = text.replace("=", "\0").split(";")
    items.sort()
    caps: list[Capability] = []
    texts = []
    last = ""
    for item in items:
        key, eq, spelled = item.partition("\0")
        typ = _KEYS.get(key)
        if typ is None or key == last:
            if typ is None and key.lower() in _KEYS:
                return registered_capabilities(_lower_keys(text))  # rare: re-sort
            return None
        last = key
        if not eq:
            if typ != "flag":
                return None
            caps.append(_FLAGS[key])
            texts.append(key)
            continue
        value: int | str
        if typ == "count":
            count = _SMALL.get(spelled)
            if count is None:
                count = _integer(spelled)
                if count is None:
                    return None
            value = count
            canonical = f"{key}={spelled}"
        elif typ == "token":
            # NAME: a letter, then letters, digits and hyphens.
            if (
                not spelled[:1].isalpha()
                or not spelled.replace("-", "").isalnum()
                or len(spelled) > MAX_TOKEN
            ):
                return None
            value = spelled.lower()
            canonical = f"{key}={value}"
            if len(canonical) > 62:  # its DNS label is one longer (spec §9.1)
                return None
        else:
            # QUANTITY: a number, then a unit of the registered type.
            unit = spelled.lstrip(_DIGITS)
            spec = _UNITS.get(unit)
            if spec is None or spec[0] != typ:
                return None
            number = spelled[: len(spelled) - len(unit)]
            whole = _SMALL.get(number)
            if whole is None:
                whole = _integer(number)
            if whole is not None:
                value = whole * spec[1]
            else:
                scaled = _fraction(number, spec[1])
                if scaled is None:
                    return None
                value = scaled
            if value > MAX_VALUE:
                return None
            canonical = f"{key}={value}{spec[2]}"
        # A count or quantity is at most 19 digits, a key 32 characters: within
        # the 62 of an attribute.
        cap = _Unfrozen()
        cap.key = key
        cap.type = typ
        cap.value = value
        cap.__class__ = Capability  # type: ignore[assignment]
        caps.append(cap)  # type: ignore[arg-type]
        texts.append(canonical)
    return tuple(caps), ";".join(texts)


def _lower_keys(text: str) -> str:
    return ";".join(k.lower() + eq + v for k, eq, v in (i.partition("=") for i in text.split(";")))


def _integer(spelled: str) -> int | None:
    """An INTEGER (ASCII: digits, no leading zero) of at most MAX_VALUE, or None."""
    if not spelled.isdigit() or (spelled[0] == "0" and len(spelled) > 1):
        return None
    value = int(spelled)
    return value if value <= MAX_VALUE else None


def _fraction(number: str, factor: int) -> int | None:
    """A decimal fraction (ASCII) times ``factor``, when that is a whole number."""
    whole, _, fraction = number.partition(".")
    if not whole.isdigit() or (whole[0] == "0" and len(whole) > 1) or not fraction.isdigit():
        return None
    scaled, rest = divmod(int(whole + fraction) * factor, 10 ** len(fraction))
    return None if rest else scaled
