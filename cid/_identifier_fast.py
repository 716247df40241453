"""The fast path of identifier parsing: an accelerator of the strict parser
(``_identifier.parse_slow``, the lark grammar), which it must agree with
(``tests/cid/test_identifier_props.py`` holds the two together).

It splits on the separators ("/" and ";" occur in no terminal) and checks each
component, memoised by its text. A component not in its memo is computed
straight from its text (here for the provider and region, ``_components_fast``
for the architecture and capabilities: no tokens, registries read in place, no
IDNA for plain ASCII names), or by the general rules (``_components``) for the
rare shapes, A-labels and U-labels among them. It returns the identifier's value
(its canonical form and components), or None when it cannot decide; the caller
then takes the lark path, which gives the same answer or the fault with its
position.
"""

from __future__ import annotations

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
from ._components_fast import Arch, arch, registered_capabilities
from ._syntax import (
    FAST_ATTRIBUTE,
    FAST_LABELS,
    LOWER_PROVIDER,
    LOWER_REGION,
    RawAttribute,
    Tok,
)

__all__ = ["FAST_MEMOS", "Value", "fast_value"]

_SCHEME: Final = "ucid:"
#: An identifier's value: (canonical form, provider, region, cpu, accelerators,
#: capabilities), what ``Identifier`` holds.
Value = tuple[str, str, str, str, tuple[str, ...], tuple[Capability, ...]]
#: (key, canonical text, capability), as the fast path sorts them.
Attribute = tuple[str, str, Capability]

# The fast path keeps each component it computed in a memo, by its text: the
# result depends on nothing else, and real workloads repeat providers, regions,
# architectures and attribute sets. A memo is a plain dict, emptied when full:
# a hit is one dict look-up in ``fast_value``, with none of an LRU's bookkeeping,
# and each ``_fast_*`` function below, called on a miss, computes the component
# and keeps it. Faults and None (the component functions' "not decided here":
# the lark path then decides) are never kept.
_PROVIDERS: Final[dict[str, str]] = {}
_REGIONS: Final[dict[str, str]] = {}
_ARCHES: Final[dict[str, Arch]] = {}
_ATTRIBUTES: Final[dict[str, Attribute]] = {}
#: Capability sets vary more than any component: sized for a catalogue of ~10^4
#: distinct sets (a few MB when full).
_CAPABILITIES: Final[dict[str, tuple[tuple[Capability, ...], str]]] = {}

#: Every memo of the fast path (tests and benchmarks empty them).
FAST_MEMOS: Final = (_PROVIDERS, _REGIONS, _ARCHES, _ATTRIBUTES, _CAPABILITIES)


def _fast_provider(text: str) -> str | None:
    # ASCII letters, digits and hyphens, no two hyphens in a row (so no reserved
    # label, no A-label), at most 63 characters and MAX_PROVIDER_LABELS labels:
    # its own lowercase.
    provider = text.lower()
    if len(text) > 63 or not text.isascii() or not LOWER_PROVIDER(provider):
        if not FAST_LABELS(text):
            return None
        # IDNA (RFC 5891) for A-labels and U-labels: by far the dearest component,
        # which the memo makes as cheap as any other when the provider repeats.
        provider = canonical_provider(tokens(text, "."))
    if len(_PROVIDERS) >= 4096:
        _PROVIDERS.clear()
    _PROVIDERS[text] = provider
    return provider


def _fast_region(text: str) -> str | None:
    region = text.lower()
    if not text.isascii() or not LOWER_REGION(region):  # ASCII: so that lower() is ASCII's
        return None
    if len(_REGIONS) >= 1024:
        _REGIONS.clear()
    _REGIONS[text] = region
    return region


def _fast_arch(text: str) -> Arch | None:
    found = arch(text)
    if found is not None:
        if len(_ARCHES) >= 1024:
            _ARCHES.clear()
        _ARCHES[text] = found
    return found


def _fast_attribute(item: str) -> Attribute | None:
    if not FAST_ATTRIBUTE(item):
        return None
    key, eq, value = item.partition("=")
    if eq:
        kind = "NAME" if value[0].isalpha() else "QUANTITY" if value[-1].isalpha() else "INTEGER"
        cap = attribute(RawAttribute(Tok(key, 0), Tok(value, 0), kind))
    else:
        cap = attribute(RawAttribute(Tok(key, 0), None, None))
    if len(_ATTRIBUTES) >= 4096:
        _ATTRIBUTES.clear()
    found = _ATTRIBUTES[item] = cap.key, str(cap), cap
    return found


def _fast_capabilities(text: str) -> tuple[tuple[Capability, ...], str] | None:
    found = registered_capabilities(text)
    if found is None:
        # Some key is not registered, or some attribute is not valid: the general rules.
        attrs = [_ATTRIBUTES.get(item) or _fast_attribute(item) for item in text.split(";")]
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
    if len(_CAPABILITIES) >= 16384:
        _CAPABILITIES.clear()
    _CAPABILITIES[text] = found
    return found


def fast_value(text: str) -> Value | None:
    """The value of the identifier ``text``, or None when the fast path cannot decide."""
    if not text.startswith("ucid:") and text[:5].lower() != "ucid:":
        return None
    parts = text[5:].split("/")
    if not text.isascii() and not (text[:5].isascii() and text[text.find("/") :].isascii()):
        return None  # the grammar has non-ASCII in provider labels only
    try:
        if len(parts) == 4:
            found = _CAPABILITIES.get(parts[3]) or _fast_capabilities(parts[3])
            if found is None:
                return None
            caps, caps_text = found
        elif len(parts) == 3:
            caps, caps_text = (), ""
        else:
            return None
        provider = _PROVIDERS.get(parts[0]) or _fast_provider(parts[0])
        region = _REGIONS.get(parts[1]) or _fast_region(parts[1])
        arch_ = _ARCHES.get(parts[2]) or _fast_arch(parts[2])
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
