"""The verifying hierarchical resolver for UCIDs (spec/resolution.md part 2).

    >>> import resolver
    >>> r = resolver.Resolver(resolver.TrustAnchor.load("registry/anchor.json", port=5353))
    >>> found = r.resolve("ucid:sugon.hpc/cn-tj/x86-64-v3/cpu=128;mem=512GiB;net=roce2;sriov")
    >>> [e.host for e in found.ordered()]                                # doctest: +SKIP
    ['tj.sugon.example']

The core, :class:`Resolution`, is sans-IO: it says which query to send where and
takes the responses; :class:`Resolver` and :class:`AsyncResolver` drive it over
UDP and TCP. Every record is verified from the trust anchor down; failures are
:class:`ResolutionError` with a stable :class:`Outcome`.
"""

from __future__ import annotations

from ._anchor import AnchorError, TrustAnchor
from ._cache import Cache, NegativeEntry, StatusStore, VersionStore, ZoneEntry
from ._discovery import Discovery, node_may_match
from ._outcome import Outcome, ResolutionError
from ._resolution import (
    Children,
    Limits,
    Lookup,
    Query,
    Resolution,
    Resolved,
    StatusCheck,
    Step,
)
from ._resolver import AsyncResolver, Resolver
from ._schedule import POLICIES, Candidate, Dropped, Need, NeedError, Policy, Schedule, rank
from ._select import order_endpoints

__all__ = [
    "POLICIES",
    "AnchorError",
    "AsyncResolver",
    "Cache",
    "Candidate",
    "Children",
    "Discovery",
    "Dropped",
    "Limits",
    "Lookup",
    "Need",
    "NeedError",
    "NegativeEntry",
    "Outcome",
    "Policy",
    "Query",
    "Resolution",
    "ResolutionError",
    "Resolved",
    "Resolver",
    "Schedule",
    "StatusCheck",
    "StatusStore",
    "Step",
    "TrustAnchor",
    "VersionStore",
    "ZoneEntry",
    "node_may_match",
    "order_endpoints",
    "rank",
]
