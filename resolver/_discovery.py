"""Discovery: which nodes of the enumeration tree a pattern can match below
(spec/resolution.md §4.3, §17). Pure: the drivers run the resolutions it asks for.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import dns.name

from cid import CidError, Identifier, Pattern, satisfies

from ._outcome import Outcome, ResolutionError
from ._resolution import Children, Resolution, Resolved

__all__ = ["Discovery", "Walk", "node_may_match"]

# Outcomes that only mean "nothing here", not a failure of the walk.
_EMPTY = (Outcome.NOT_FOUND, Outcome.NO_LIVE_ENDPOINTS)


@dataclass(frozen=True, slots=True)
class Discovery:
    """What :meth:`Resolver.find` found: verified results (ordered by identifier), the
    resolutions that failed, the listings begun, and the bound that cut the walk
    short (``"max_nodes"``, ``"max_results"`` or ``"deadline"``), if one did."""

    pattern: Pattern
    results: tuple[Resolved, ...]
    failures: tuple[ResolutionError, ...]
    nodes: int
    bound: str | None = None

    @property
    def complete(self) -> bool:
        """Whether the walk went to its end (the results are still "at least these")."""
        return self.bound is None


def _provider_may_match(pattern: Pattern, suffix: str) -> bool:
    """A provider name ``suffix`` (relative to R) is worth following for ``pattern``."""
    want = pattern.provider
    if want is None:
        return True
    on_path = want == suffix or want.endswith("." + suffix)
    if pattern.provider_below:
        return on_path or suffix.endswith("." + want)
    return on_path


def _provider_matches(pattern: Pattern, provider: str) -> bool:
    want = pattern.provider
    if want is None:
        return True
    if pattern.provider_below:
        return provider.endswith("." + want)
    return provider == want


def _region_matches(pattern: Pattern, region: str) -> bool:
    if pattern.region is None:
        return True
    if pattern.region_below:
        return region.startswith(pattern.region + "-")
    return region == pattern.region


def _arch_matches(pattern: Pattern, label: str) -> bool:
    parts = label.split("_")
    cpu, accs = parts[0], parts[1:]
    if pattern.cpu is not None and not satisfies(cpu, pattern.cpu):
        return False
    return all(any(satisfies(have, want) for have in accs) for want in pattern.accelerators)


def node_may_match(pattern: Pattern, labels: tuple[str, ...]) -> bool:
    """Whether a node (its labels relative to R, leftmost first) can lead to a match:
    the label-only tests of spec §4.3."""
    marked = 0
    for label in labels:
        if not label.startswith("_"):
            break
        marked += 1
    provider = ".".join(labels[marked:])
    if marked == 0:
        return _provider_may_match(pattern, provider)
    if not _provider_matches(pattern, provider):
        return False
    if not _region_matches(pattern, labels[marked - 1][1:]):
        return False
    return marked < 2 or _arch_matches(pattern, labels[marked - 2][1:])


class Walk:
    """A breadth-first walk of the enumeration tree for ``pattern``.

    ``make_children`` and ``make_identifier`` build a :class:`Resolution` for a
    node's children (a DNS name) or for an identifier; the driver gives each the
    walk's ``until`` (a monotonic time), so that none outlasts the walk. The
    driver loops: ``res = walk.next(clock)``, runs it, then ``walk.done(res)``,
    until ``next`` returns None; then :meth:`discovery`.

    A driver may also run several at once: it starts resolutions while ``next``
    gives them, and when ``next`` returns None while :attr:`running` is not 0, it
    waits for one to end, reports it with ``done`` and asks again. The walk then
    keeps the bounds (never more than ``max_results`` candidates resolving or
    resolved), and of the candidates one node listed it starts the first alone:
    the others start when it has ended, so that they find the zones it verified in
    the cache instead of verifying them each again.
    """

    def __init__(
        self,
        pattern: Pattern,
        root: dns.name.Name,
        make_children: Callable[[dns.name.Name], Resolution],
        make_identifier: Callable[[Identifier], Resolution],
        *,
        max_nodes: int = 1000,
        max_results: int = 1000,
        until: float = math.inf,
    ) -> None:
        self.pattern = pattern
        self.root = root
        self._children = make_children
        self._identifier = make_identifier
        self.max_nodes = max_nodes
        self.max_results = max_results
        self.until = until
        self._nodes: deque[dns.name.Name] = deque([root])
        self._seen: set[dns.name.Name] = {root}
        # Candidates ready to resolve, each with the node that listed it.
        self._matches: deque[tuple[dns.name.Name, Identifier]] = deque()
        self._found: set[Identifier] = set()
        # Per listing node: its candidates held until its first one has been resolved.
        self._held: dict[dns.name.Name, list[Identifier]] = {}
        self._running: dict[Resolution, dns.name.Name | None] = {}  # listing node of candidates
        self._candidates = 0  # of those running
        self.results: list[Resolved] = []
        self.failures: list[ResolutionError] = []
        self.visited = 0
        self.bound: str | None = None

    @property
    def running(self) -> int:
        """Resolutions given by :meth:`next` and not yet reported to :meth:`done`."""
        return len(self._running)

    def next(self, clock: float) -> Resolution | None:
        """The next resolution to run, or None when there is none to start now: the
        walk has ended if :attr:`running` is 0. ``clock`` is the monotonic time now."""
        if self.bound is not None or not (self._matches or self._nodes):
            return None
        if clock >= self.until:
            self.bound = "deadline"
            return None
        if self._matches:
            if len(self.results) + self._candidates >= self.max_results:
                if self._candidates == 0:
                    self.bound = "max_results"
                return None  # else the running ones decide
            node, ident = self._matches.popleft()
            res = self._identifier(ident)
            self._running[res] = node
            self._candidates += 1
            return res
        if self.visited >= self.max_nodes:
            self.bound = "max_nodes"
            return None
        self.visited += 1
        res = self._children(self._nodes.popleft())
        self._running[res] = None
        return res

    def done(self, resolution: Resolution) -> None:
        """Report a resolution given by :meth:`next` that has ended."""
        node = self._running.pop(resolution, None)
        if node is not None:
            self._candidates -= 1
            # Its zones are verified now (or failed): the node's other candidates may go.
            self._matches.extend((node, ident) for ident in self._held.pop(node, ()))
        error = resolution.error
        if error is not None:
            if error.outcome is Outcome.TIMEOUT and resolution.clock >= self.until:
                # Cut short by the walk's own deadline: no statement about the servers.
                self.bound = "deadline"
            elif error.outcome not in _EMPTY:
                self.failures.append(error)
            return
        result = resolution.result
        if isinstance(result, Resolved):
            self.results.append(result)
        elif isinstance(result, Children):
            for child in result.names:
                self._consider(result.node, child)

    def _consider(self, node: dns.name.Name, child: dns.name.Name) -> None:
        relative = child.relativize(self.root).labels
        labels = tuple(x.decode("ascii", "replace").lower() for x in relative)
        marked = sum(1 for x in labels if x.startswith("_"))
        leading = next((i for i, x in enumerate(labels) if not x.startswith("_")), len(labels))
        if leading != marked:
            return  # '_' labels only at the left (spec §2.1): no node has this shape
        parent_marked = sum(1 for x in node.relativize(self.root).labels if x.startswith(b"_"))
        if marked > 2 and parent_marked != 2:
            return  # identifier names are listed by their architecture node only
        if marked > 2 or (marked == 2 and child == node):
            # Deeper names are identifiers; an architecture node lists itself when an
            # identifier without capabilities is published there (spec §4.1).
            self._candidate(node, child)
        follow = marked <= 2 and child != node and child not in self._seen
        if follow and node_may_match(self.pattern, labels):
            self._seen.add(child)
            self._nodes.append(child)

    def _candidate(self, node: dns.name.Name, name: dns.name.Name) -> None:
        try:
            ident = Identifier.from_dns_name(name.to_text(), self.root.to_text())
        except CidError:
            return  # an architecture node, or a name that is no identifier
        if ident not in self._found and self.pattern.matches(ident):
            self._found.add(ident)
            held = self._held.get(node)
            if held is None:
                self._held[node] = []  # this one goes first; the node's next ones wait
                self._matches.append((node, ident))
            else:
                held.append(ident)

    def discovery(self) -> Discovery:
        results = tuple(sorted(self.results, key=lambda r: r.identifier))
        return Discovery(self.pattern, results, tuple(self.failures), self.visited, self.bound)
