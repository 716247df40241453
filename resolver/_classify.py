"""Sorting a response (spec/resolution.md §12.4): the fast reader for the common
shapes, and the strict classifier, which decides and explains everything else."""

from __future__ import annotations

import struct

import dns.name

from ._messages import Fault, Response, classify_strict
from ._messages_fast import read_fast
from ._outcome import Outcome

__all__ = ["classify"]


def classify(
    wire: bytes,
    qid: int,
    qname: dns.name.Name,
    qtype: int,
    zone: dns.name.Name | None,
    *,
    tcp: bool,
    max_size: int,
) -> Response | Fault:
    """Sort a response to (``qname``, ``qtype``) sent with ``qid`` to a server of ``zone``.

    ``zone`` None means the server is a forwarder (a recursive resolver): then no
    answer needs AA and there are no referrals.

    The common shapes (an answer, a referral, NXDOMAIN, NODATA, in plain class IN
    records) are read by the fast reader (``_messages_fast``), which gives the same
    result as the strict path or None; everything else, and every fault, is decided
    and explained by the strict path (dnspython's parser), :func:`classify_strict`.
    """
    if len(wire) > max_size:
        return Fault(Outcome.LIMIT_EXCEEDED, f"response of {len(wire)} octets exceeds {max_size}")
    try:
        fast = read_fast(wire, qid, qname, qtype, zone)
    except (IndexError, struct.error):
        fast = None
    if fast is not None:
        return fast
    return classify_strict(wire, qid, qname, qtype, zone, tcp=tcp)
