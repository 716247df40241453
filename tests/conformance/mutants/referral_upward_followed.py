"""Mutant: a referral that points back up (to the zone asked, or above it) followed
instead of ending the resolution with LOOP (spec/resolution.md §12.4.1: every
referral goes strictly down): the resolver goes back to the zone it names, as far
as it has verified it, and asks again, until a limit stops it."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from typing import Any

import _mutate
import dns.name

import resolver._messages
import resolver._messages_fast
import resolver._resolution
from resolver._cache import ZoneEntry
from resolver._messages import Fault, Response
from resolver._resolution import Resolution

_referral = resolver._messages.referral
_follow = Resolution._follow


def referral(
    qname: dns.name.Name,
    zone: dns.name.Name,
    cut: dns.name.Name,
    ttl: int,
    names: tuple[dns.name.Name, ...],
    additional: Iterable[tuple[dns.name.Name, int, int, Sequence[str] | Sequence[bytes]]],
) -> Response | Fault:
    if zone.is_subdomain(cut) and qname.is_subdomain(cut) and cut != dns.name.root:
        # Judged as if it came from the zone above the cut: in bailiwick, so followed.
        return _referral(qname, cut.parent(), cut, ttl, names, additional)
    return _referral(qname, zone, cut, ttl, names, additional)


def follow(self: Resolution, zone: ZoneEntry, response: Response) -> Generator[Any, Any, ZoneEntry]:
    assert response.cut is not None
    if dns.name.from_text(zone.zone).is_subdomain(response.cut):  # upward: go back
        cut = response.cut.to_text(omit_final_dot=True).lower()
        known = self.cache.zone(cut) if cut != self.anchor.zone else None
        if known is None:
            known = self._anchor_entry()
        servers = yield from self._servers(response, cut)
        return ZoneEntry(known.zone, known.keys, servers, known.expires, known.chain)
    return (yield from _follow(self, zone, response))


_mutate.replace((resolver._messages, resolver._messages_fast), "referral", referral)
_mutate.replace(Resolution, "_follow", follow)

if __name__ == "__main__":
    _mutate.run()
