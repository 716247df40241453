"""The mapping between identifiers and DNS names (identifier spec §9).

::

    ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;sriov
      <-> _acc_8._sriov._x86-64-v4_sm90._cn-gd.acme.example.<root>.

Provider labels keep their A-label form and never start with "_"; region,
architecture and each attribute become one label with a leading "_", so the
rightmost "_" label is the region and the split is unambiguous.

Text in, text out: :class:`cid.Identifier` builds on these (``to_dns_name``,
``from_dns_name``), and this module knows nothing of it.
"""

from __future__ import annotations

import re
from typing import Final

from ._errors import IdentifierError

__all__ = ["MAX_ROOT", "dns_name", "normalise_root", "reverse"]

#: Longest root suffix (presentation form, no trailing dot).
MAX_ROOT: Final = 63
_ROOT_LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII).fullmatch
_DNS_LABEL: Final = re.compile(r"[a-z0-9_-]{1,63}", re.ASCII).fullmatch
# Canonical quantity values end in a unit; DNS lowercases it (spec §9.2).
_UNIT_BACK: Final = {"b": "B", "bps": "bps", "hz": "Hz"}
_QUANTITY: Final = re.compile(r"([0-9]+)(b|bps|hz)", re.ASCII).fullmatch
_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalise_root(root: str) -> str:
    """Check a root suffix and return it lowercase, without a trailing dot.

    ``""`` and ``"."`` name the DNS root itself.
    """
    text = root[:-1] if root.endswith(".") else root
    if not text:
        return ""
    # Spec §12: the length is a fault of the whole root (no position); any other
    # fault, including a non-ASCII code point, is at the label that has it.
    if len(text) > MAX_ROOT:
        raise IdentifierError(
            f"a root suffix is at most {MAX_ROOT} ASCII characters (letters, digits, hyphens)",
            root,
            None,
        )
    text = text.translate(_ASCII_LOWER)
    pos = 0
    for label in text.split("."):
        if not _ROOT_LABEL(label):
            raise IdentifierError(
                "a root suffix label is 1-63 ASCII letters, digits or inner hyphens", root, pos
            )
        pos += len(label) + 1
    return text


def dns_name(attributes: list[str], arch: str, region: str, provider: str, root: str) -> str:
    """The absolute DNS name (lowercase, trailing dot) of the identifier with these
    canonical components (attributes in canonical order) under ``root`` (spec §9.1)."""
    suffix = normalise_root(root)
    labels = [f"_{cap}".replace("=", "_").lower() for cap in attributes]
    labels.append("_" + arch.replace("+", "_"))
    labels.append("_" + region)
    labels.append(provider)
    if suffix:
        labels.append(suffix)
    return ".".join(labels) + "."


def reverse(name: str, root: str) -> tuple[str, str]:
    """Spec §9.3 up to step 6: the identifier text that ``name`` (any case, dot
    optional) spells under ``root``, and ``name`` lowercase without the trailing dot.

    The caller parses the text and accepts it only when the identifier's canonical
    name is that lowercase name, so that the mapping is a bijection.
    """
    if not isinstance(name, str):
        raise IdentifierError(f"a DNS name is text, not {type(name).__name__}", repr(name))
    suffix = normalise_root(root)
    text = name[:-1] if name.endswith(".") else name
    # Spec §9.3 steps 2-4 in order, positions as in §12: the length is a fault of
    # the whole name; a non-ASCII code point is at fault in the label that has it.
    if len(text) > 253:
        raise IdentifierError("a DNS name is at most 253 ASCII characters", name, None)
    labels = text.split(".")
    starts = [0]
    for label in labels[:-1]:
        starts.append(starts[-1] + len(label) + 1)
    for label, start in zip(labels, starts, strict=True):
        if not label.isascii():
            raise IdentifierError(
                "a DNS name is ASCII: letters, digits, hyphens or underscores", name, start
            )
    lowered = text.lower()
    if suffix:
        if not lowered.endswith("." + suffix):
            raise IdentifierError(f"not under the root suffix {suffix!r}", name, None)
        lowered = lowered[: -len(suffix) - 1]
    labels = lowered.split(".")
    for label, start in zip(labels, starts, strict=False):
        if not _DNS_LABEL(label):
            raise IdentifierError(
                "a label is 1-63 ASCII letters, digits, hyphens or underscores", name, start
            )
    marked = [i for i, label in enumerate(labels) if label.startswith("_")]
    if len(marked) < 2 or marked[-1] == len(labels) - 1:
        raise IdentifierError(
            "expected _attribute..._arch._region.provider labels before the root",
            name,
            None,
        )
    region_at = marked[-1]
    for i in range(region_at):
        if not labels[i].startswith("_"):
            raise IdentifierError("a provider label may not precede the region", name, starts[i])
    for i in range(region_at + 1, len(labels)):
        if labels[i].startswith("_"):  # pragma: no cover - region_at is the last
            raise IdentifierError("a provider label does not start with '_'", name, starts[i])
    provider = ".".join(labels[region_at + 1 :])
    region = labels[region_at][1:]
    arch = labels[region_at - 1][1:].replace("_", "+")
    attrs = [_attribute(label[1:]) for label in labels[: region_at - 1]]
    candidate = f"ucid:{provider}/{region}/{arch}" + ("/" + ";".join(attrs) if attrs else "")
    return candidate, (lowered + "." + suffix if suffix else lowered)


def _attribute(label: str) -> str:
    key, sep, value = label.partition("_")
    if not sep:
        return key
    m = _QUANTITY(value)
    if m:
        value = m.group(1) + _UNIT_BACK[m.group(2)]
    return f"{key}={value}"
