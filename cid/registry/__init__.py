"""The operator's registry (spec/resolution.md §2-§7): a folder of zones, keys and
sources, signed into descriptors and delegation records, assembled into zones.

    >>> from cid.registry import Registry
    >>> registry = Registry.open("registry")                        # doctest: +SKIP
    >>> registry.build(now=1767225600)                              # doctest: +SKIP

Storage (:class:`Registry`), the sans-IO zone assembly (:func:`assemble`) and
patching (:func:`patch`), pushing to a primary (:func:`push`), the live
registrations the registry keeps (:class:`Registration`, :class:`Withdrawal`),
and the bundled demo hierarchy (:func:`write_demo`). Nothing here answers DNS:
that is :mod:`cid.server`.
"""

from __future__ import annotations

from ._demo import DEMO_ROOT, demo_key, write_demo
from ._entries import (
    Entry,
    LivePolicy,
    Registration,
    Withdrawal,
    entry_bytes,
    published,
    read_entry,
)
from ._patch import Patched, patch
from ._push import PushError, PushResult, parse_tsig, push
from ._store import Problem, Registry, RegistryError, Secondary, ZoneConfig, ZoneInputs
from ._zone import (
    MAX_TXT_COPY,
    NameServer,
    SignedDelegation,
    SignedDescriptor,
    ZoneError,
    ZoneSettings,
    assemble,
    txt_strings,
    zone_text,
)

__all__ = [
    "DEMO_ROOT",
    "MAX_TXT_COPY",
    "Entry",
    "LivePolicy",
    "NameServer",
    "Patched",
    "Problem",
    "PushError",
    "PushResult",
    "Registration",
    "Registry",
    "RegistryError",
    "Secondary",
    "SignedDelegation",
    "SignedDescriptor",
    "Withdrawal",
    "ZoneConfig",
    "ZoneError",
    "ZoneInputs",
    "ZoneSettings",
    "assemble",
    "demo_key",
    "entry_bytes",
    "parse_tsig",
    "patch",
    "published",
    "push",
    "read_entry",
    "txt_strings",
    "write_demo",
    "zone_text",
]


def __dir__() -> list[str]:
    return list(__all__)
