"""Units of capability quantities and their canonical forms (identifier spec §7.2).

Every quantity is held as an integer count of its dimension's canonical unit:
bytes (``B``), bits per second (``bps``) or hertz (``Hz``).
"""

from __future__ import annotations

from typing import Final

__all__ = ["CANONICAL_UNIT", "MAX_VALUE", "UNITS", "humanize", "quantity"]

MAX_VALUE: Final = 2**63 - 1

#: unit spelling -> (type, factor in canonical units); spellings are case-sensitive.
UNITS: Final[dict[str, tuple[str, int]]] = {
    "B": ("size", 1),
    "kB": ("size", 10**3),
    "MB": ("size", 10**6),
    "GB": ("size", 10**9),
    "TB": ("size", 10**12),
    "PB": ("size", 10**15),
    "EB": ("size", 10**18),
    "KiB": ("size", 2**10),
    "MiB": ("size", 2**20),
    "GiB": ("size", 2**30),
    "TiB": ("size", 2**40),
    "PiB": ("size", 2**50),
    "EiB": ("size", 2**60),
    "bps": ("rate", 1),
    "kbps": ("rate", 10**3),
    "Mbps": ("rate", 10**6),
    "Gbps": ("rate", 10**9),
    "Tbps": ("rate", 10**12),
    "Pbps": ("rate", 10**15),
    "Hz": ("frequency", 1),
    "kHz": ("frequency", 10**3),
    "MHz": ("frequency", 10**6),
    "GHz": ("frequency", 10**9),
}

CANONICAL_UNIT: Final[dict[str, str]] = {"size": "B", "rate": "bps", "frequency": "Hz"}

# Largest unit first, so that 512 GiB is not shown as 524288 MiB.
_HUMAN: Final[dict[str, list[tuple[str, int]]]] = {
    kind: sorted(
        ((u, f) for u, (k, f) in UNITS.items() if k == kind and f > 1), key=lambda uf: -uf[1]
    )
    for kind in CANONICAL_UNIT
}


def quantity(text: str) -> tuple[str, int]:
    """Split a QUANTITY token into (type, value in canonical units).

    Raises ``ValueError`` (with a reason) when the value is not a whole number of
    canonical units or exceeds :data:`MAX_VALUE`.
    """
    split = len(text)
    while not text[split - 1].isdigit():
        split -= 1
    number, unit = text[:split], text[split:]
    kind, factor = UNITS[unit]
    whole, _, fraction = number.partition(".")
    scaled = int(whole + fraction) * factor
    divisor = 10 ** len(fraction)
    if scaled % divisor:
        raise ValueError(f"{text} is not a whole number of {CANONICAL_UNIT[kind]}")
    value = scaled // divisor
    if value > MAX_VALUE:
        raise ValueError(f"{text} exceeds the largest value, {MAX_VALUE} {CANONICAL_UNIT[kind]}")
    return kind, value


def humanize(kind: str, value: int) -> str:
    """A readable rendering for people (not canonical): ``549755813888 B`` -> ``512 GiB``."""
    for unit, factor in _HUMAN.get(kind, ()):
        if value >= factor and value % factor == 0:
            return f"{value // factor} {unit}"
    return f"{value} {CANONICAL_UNIT[kind]}"
