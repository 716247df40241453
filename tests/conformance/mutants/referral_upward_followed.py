"""Mutant: a referral that points back up (to the zone asked, or above it) followed
instead of being a LOOP (spec/resolution.md §12.4.1: every referral goes strictly
down)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import _mutate
import dns.name

import resolver._messages
import resolver._messages_fast
from resolver._messages import Fault, Response

_referral = resolver._messages.referral


def referral(
    qname: dns.name.Name,
    zone: dns.name.Name,
    cut: dns.name.Name,
    ttl: int,
    names: tuple[dns.name.Name, ...],
    additional: Iterable[tuple[dns.name.Name, int, int, Sequence[str] | Sequence[bytes]]],
) -> Response | Fault:
    if zone.is_subdomain(cut) and qname.is_subdomain(cut):
        # Judged as if it came from above the cut: in bailiwick, and followed.
        return _referral(
            qname, cut.parent() if cut != dns.name.root else cut, cut, ttl, names, additional
        )
    return _referral(qname, zone, cut, ttl, names, additional)


_mutate.replace((resolver._messages, resolver._messages_fast), "referral", referral)

if __name__ == "__main__":
    _mutate.run()
