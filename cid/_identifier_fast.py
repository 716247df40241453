"""The fast path of identifier parsing: an accelerator of the strict parser
(``_identifier.parse_slow``, the lark grammar), which it must agree with
(``tests/cid/test_identifier_props.py`` holds the two together).

It splits on the separators ("/" and ";" occur in no terminal) and checks each
component, memoised by its text. A component not in its memo is computed
straight from its text (``_components_fast``: no tokens, registries read in
place, no IDNA for plain ASCII names), or by the general rules (``_components``)
for the rare shapes, A-labels and U-labels among them. It returns the
identifier's value (its canonical form and components), or None when it cannot
decide; the caller then takes the lark path,
which gives the same answer or the fault with its position.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final, cast

from ._capability import Capability
from ._components import (
    MAX_ATTRIBUTES,
    MAX_RELATIVE_DNS,
    Fault,
    attribute,
    canonical_provider,
    tokens,
)
from ._components_fast import arch, plain_provider, registered_capabilities
from ._syntax import FAST_ATTRIBUTE, FAST_LABELS, FAST_REGION, RawAttribute, Tok

__all__ = ["FAST_MEMOS", "Value", "fast_value"]

_SCHEME: Final = "ucid:"
#: An identifier's value: (canonical form, provider, region, cpu, accelerators,
#: capabilities), what ``Identifier`` holds.
Value = tuple[str, str, str, str, tuple[str, ...], tuple[Capability, ...]]
#: (key, canonical text, capability), as the fast path sorts them.
Attribute = tuple[str, str, Capability]

# The fast path's component functions are memoised by their input text: the
# result depends on nothing else, real workloads repeat providers,
# architectures and attributes, and lru_cache never stores a raised Fault.
# Each returns None when its expression (the grammar's terminals) does not
# match, and the lark path then decides.


@lru_cache(maxsize=4096)
def _fast_provider(text: str) -> str | None:
    plain = plain_provider(text)
    if plain is not None:
        return plain
    # IDNA (RFC 5891) for A-labels and U-labels: by far the dearest component,
    # which this memo makes as cheap as any other when the provider repeats.
    return canonical_provider(tokens(text, ".")) if FAST_LABELS(text) else None


@lru_cache(maxsize=1024)
def _fast_region(text: str) -> str | None:
    return text.lower() if FAST_REGION(text) else None


_fast_arch: Final = lru_cache(maxsize=1024)(arch)


@lru_cache(maxsize=4096)
def _fast_attribute(item: str) -> Attribute | None:
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
    found = registered_capabilities(text)
    if found is None:
        # Some key is not registered, or some attribute is not valid: the general rules.
        attrs = [_fast_attribute(item) for item in text.split(";")]
        if None in attrs:
            return None
        entries = cast(list[Attribute], attrs)
        entries.sort()
        keys, texts, caps = zip(*entries, strict=True)
        if len(set(keys)) != len(keys):
            return None  # the lark path reports the duplicate with its position
        found = caps, ";".join(texts)
    if len(found[0]) > MAX_ATTRIBUTES:
        return None  # the lark path reports the excess with its position
    return found


FAST_MEMOS: Final = (_fast_provider, _fast_region, _fast_arch, _fast_attribute, _fast_capabilities)


def fast_value(text: str) -> Value | None:
    """The value of the identifier ``text``, or None when the fast path cannot decide."""
    if not text.startswith("ucid:") and text[:5].lower() != "ucid:":
        return None
    parts = text[5:].split("/")
    if not text.isascii() and not (text[:5].isascii() and text[text.find("/") :].isascii()):
        return None  # the grammar has non-ASCII in provider labels only
    try:
        if len(parts) == 4:
            found = _fast_capabilities(parts[3])
            if found is None:
                return None
            caps, caps_text = found
        elif len(parts) == 3:
            caps, caps_text = (), ""
        else:
            return None
        provider = _fast_provider(parts[0])
        region = _fast_region(parts[1])
        arch_ = _fast_arch(parts[2])
        if provider is None or region is None or arch_ is None:
            return None
    except Fault:
        return None
    if caps:
        canonical = f"ucid:{provider}/{region}/{arch_[2]}/{caps_text}"
        # Every separator maps to one DNS separator; region, arch and each attribute
        # gain a leading underscore (spec §9.1), so the length is known from the text.
        if len(canonical) + len(caps) > _MAX_CANONICAL:
            return None  # the lark path reports it
    else:
        canonical = f"ucid:{provider}/{region}/{arch_[2]}"
        if len(canonical) > _MAX_CANONICAL:
            return None
    return canonical, provider, region, arch_[0], arch_[1], caps


#: The longest canonical form (less one per attribute) within MAX_RELATIVE_DNS.
_MAX_CANONICAL: Final = MAX_RELATIVE_DNS + len(_SCHEME) - 2
