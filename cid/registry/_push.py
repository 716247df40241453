"""``cid zone push``: bring a running primary in line with the registry (RFC 2136 UPDATE, TSIG).

Only the records this project manages are touched; the server keeps its own
SOA serial and apex NS. Names to remove are found by walking the server's own
enumeration records (``__enum``), so no zone transfer is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataset
import dns.rdatatype
import dns.tsig
import dns.update
import dns.zone

from .._errors import CidError
from ..layout import TYPE_DELEGATION, TYPE_DESCRIPTOR, delegation_owner, enum_owner

__all__ = ["PushError", "PushResult", "push"]

MANAGED: Final = (
    TYPE_DESCRIPTOR,
    TYPE_DELEGATION,
    dns.rdatatype.SVCB,
    dns.rdatatype.TXT,
    dns.rdatatype.PTR,
    dns.rdatatype.NS,
    dns.rdatatype.A,
    dns.rdatatype.AAAA,
)
_BATCH: Final = 40  # names per UPDATE message, well inside 64 KiB over TCP


class PushError(CidError):
    """The server refused or failed an update, or could not be reached."""


@dataclass(frozen=True, slots=True)
class PushResult:
    updated: int  # names whose records were replaced
    removed: int  # names removed because the registry no longer has them
    messages: int


def _ask(
    name: dns.name.Name, rdtype: dns.rdatatype.RdataType, server: str, port: int, timeout: float
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    try:
        return dns.query.tcp(query, server, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError) as exc:
        raise PushError(f"{server} port {port}: {exc}") from None


def published_names(
    origin: dns.name.Name, server: str, port: int, timeout: float = 5.0, limit: int = 1_000_000
) -> set[dns.name.Name]:
    """Names the server publishes under ``origin``, found through ``__enum`` records."""
    found: set[dns.name.Name] = set()
    todo = [origin]
    while todo and len(found) < limit:
        node = todo.pop()
        owner = enum_owner(node)
        response = _ask(owner, dns.rdatatype.PTR, server, port, timeout)
        for rrset in response.answer:
            if rrset.rdtype != dns.rdatatype.PTR:
                continue
            found.add(owner)
            for ptr in rrset:
                child = ptr.target
                if child in found or not child.is_subdomain(origin):
                    continue
                found.add(child)
                todo.append(child)
                if child.parent() == origin:  # a cut's delegation record, if it has one
                    deleg = delegation_owner(child, origin)
                    if _ask(deleg, TYPE_DELEGATION, server, port, timeout).answer:
                        found.add(deleg)
    return found


def push(
    zone: dns.zone.Zone, server: str, port: int, *, key: dns.tsig.Key | None, timeout: float = 5.0
) -> PushResult:
    """Replace the managed records of ``zone`` on the primary at ``server``."""
    origin = zone.origin
    assert origin is not None
    desired: dict[dns.name.Name, dict[dns.rdatatype.RdataType, dns.rdataset.Rdataset]] = {}
    for rel, node in zone.nodes.items():
        name = rel.derelativize(origin)
        sets = {r.rdtype: r for r in node.rdatasets if r.rdtype in MANAGED}
        if name == origin:
            sets.pop(dns.rdatatype.NS, None)  # the server's own apex NS stay
        if sets:
            desired[name] = sets
    keep = set(desired)
    for owner in desired:  # empty non-terminals above a kept name are not "removed"
        above = owner
        while above != origin:
            above = above.parent()
            keep.add(above)
    stale = published_names(origin, server, port, timeout) - keep
    changes: list[tuple[dns.name.Name, dict[dns.rdatatype.RdataType, dns.rdataset.Rdataset]]]
    changes = sorted(desired.items()) + [(name, {}) for name in sorted(stale)]
    messages = 0
    for start in range(0, len(changes), _BATCH):
        update = dns.update.UpdateMessage(origin)
        if key is not None:
            update.use_tsig(key)
        for name, sets in changes[start : start + _BATCH]:
            for rdtype in MANAGED:
                if name == origin and rdtype == dns.rdatatype.NS:
                    continue
                if rdtype in sets:
                    update.replace(name, sets[rdtype])
                else:
                    update.delete(name, rdtype)
        _send(update, server, port, timeout)
        messages += 1
    return PushResult(len(desired), len(stale), messages)


def _send(update: dns.update.UpdateMessage, server: str, port: int, timeout: float) -> None:
    try:
        response = dns.query.tcp(update, server, port=port, timeout=timeout)
    except dns.tsig.PeerError as exc:
        raise PushError(f"{server} refused the TSIG signature: {exc}") from None
    except (dns.exception.DNSException, OSError) as exc:
        raise PushError(f"{server} port {port}: {exc}") from None
    if response.rcode() != dns.rcode.NOERROR:
        raise PushError(f"{server} answered {dns.rcode.to_text(response.rcode())} to the update")


def parse_tsig(text: str) -> dns.tsig.Key:
    """``NAME:SECRET`` or ``ALGORITHM:NAME:SECRET`` (secret in base64), as dig's -y."""
    parts = text.split(":")
    if len(parts) == 2:
        algorithm, (name, secret) = "hmac-sha256", parts
    elif len(parts) == 3:
        algorithm, name, secret = parts
    else:
        raise PushError("a TSIG key is [ALGORITHM:]NAME:SECRET")
    try:
        return dns.tsig.Key(name, secret, algorithm)
    except Exception as exc:  # dnspython raises several kinds for a bad key
        raise PushError(f"bad TSIG key: {exc}") from None
