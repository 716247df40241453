"""The operator's registry (spec/resolution.md §2-§7): a folder of zones, keys and
sources, signed into descriptors and delegation records, assembled into zones.

    >>> from cid.registry import Registry
    >>> registry = Registry.open("registry")                        # doctest: +SKIP
    >>> registry.build(now=1767225600)                              # doctest: +SKIP

Storage (:class:`Registry`), the sans-IO zone assembly (:func:`assemble`) and
patching (:func:`patch`), pushing to a primary (:func:`push`), the live
registrations the registry keeps (:class:`Registration`, :class:`Withdrawal`),
the bundled demo hierarchy (:func:`write_demo`), and running a registry: a new one
(:func:`init_registry`), zones, sources, key rollover (:func:`rollover`). Nothing here answers DNS:
that is :mod:`cid.server`.
"""

from __future__ import annotations

from ._admin import (
    AdminError,
    RolloverStep,
    RolloverTooEarly,
    SourceEntry,
    add_child_zone,
    add_source,
    check_zone_name,
    init_registry,
    list_sources,
    parse_nameservers,
    remove_source,
    retire_wait,
    rollover,
    source_zone,
)
from ._compiled import (
    CACHE,
    Compiled,
    StaticDescriptors,
    StaticOwners,
    open_compiled,
    save_compiled,
    zone_listing,
)
from ._demo import (
    DEMO_POOL_PATTERN,
    DEMO_ROOT,
    demo_key,
    demo_statuses,
    write_demo,
    write_demo_statuses,
)
from ._entries import (
    Entry,
    LivePolicy,
    Registration,
    Withdrawal,
    entry_bytes,
    published,
    read_entry,
)
from ._fingerprint import Listing
from ._image import Image, ImageError, ImageNodes, changed_nodes, copy_nodes
from ._patch import Patched, patch, patch_statuses
from ._push import PushError, PushResult, parse_tsig, push
from ._rollover import RolloverState
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
    "CACHE",
    "DEMO_POOL_PATTERN",
    "DEMO_ROOT",
    "MAX_TXT_COPY",
    "AdminError",
    "Compiled",
    "Entry",
    "Image",
    "ImageError",
    "ImageNodes",
    "Listing",
    "LivePolicy",
    "NameServer",
    "Patched",
    "Problem",
    "PushError",
    "PushResult",
    "Registration",
    "Registry",
    "RegistryError",
    "RolloverState",
    "RolloverStep",
    "RolloverTooEarly",
    "Secondary",
    "SignedDelegation",
    "SignedDescriptor",
    "SourceEntry",
    "StaticDescriptors",
    "StaticOwners",
    "Withdrawal",
    "ZoneConfig",
    "ZoneError",
    "ZoneInputs",
    "ZoneSettings",
    "add_child_zone",
    "add_source",
    "assemble",
    "changed_nodes",
    "check_zone_name",
    "copy_nodes",
    "demo_key",
    "demo_statuses",
    "entry_bytes",
    "init_registry",
    "list_sources",
    "open_compiled",
    "parse_nameservers",
    "parse_tsig",
    "patch",
    "patch_statuses",
    "published",
    "push",
    "read_entry",
    "remove_source",
    "retire_wait",
    "rollover",
    "save_compiled",
    "source_zone",
    "txt_strings",
    "write_demo",
    "write_demo_statuses",
    "zone_listing",
    "zone_text",
]


def __dir__() -> list[str]:
    return list(__all__)
