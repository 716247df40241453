"""Where things live in DNS (spec/resolution.md part 1): record types, owner names,
and how an endpoint is written as SVCB. Public, as dnspython makes ``dns.rdatatype``
public: zone assembly, the server, the registering client, the resolver and other
implementations' tests all name the same records the same way.

Names starting with two underscores can never be identifier labels (those are
provider labels, which start with a letter or digit, or "_" followed by one),
so the hierarchy's own records cannot collide with any identifier.
"""

from __future__ import annotations

from typing import Final

import dns.name
import dns.rdatatype

from ._svcb import (
    KEY_PROTOCOL,
    KEY_REGION,
    KEY_TRANSPORT,
    KEY_WEIGHT,
    UPDATE_LEASE,
    SvcbError,
    endpoint_from_svcb,
    endpoint_svcb,
    lease_option,
    record_rdata,
    svcb_rdata,
)

__all__ = [
    "DELEGATION_LABEL",
    "ENUM_LABEL",
    "KEY_PROTOCOL",
    "KEY_REGION",
    "KEY_TRANSPORT",
    "KEY_WEIGHT",
    "TXT_TAG",
    "TYPE_DELEGATION",
    "TYPE_DESCRIPTOR",
    "TYPE_STATUS",
    "UDP_PAYLOAD",
    "UPDATE_LEASE",
    "SvcbError",
    "delegation_owner",
    "endpoint_from_svcb",
    "endpoint_svcb",
    "enum_owner",
    "lease_option",
    "record_rdata",
    "svcb_rdata",
]

#: Private-use RR types (RFC 6895 §3.1: 65280-65534) carrying signed records as raw bytes.
TYPE_DESCRIPTOR: Final = dns.rdatatype.RdataType.make(65280)
TYPE_DELEGATION: Final = dns.rdatatype.RdataType.make(65281)
#: A signed status record (spec/status.md §8), at the identifier's name, beside its descriptor.
TYPE_STATUS: Final = dns.rdatatype.RdataType.make(65282)
#: First TXT string of the base64 fallback copy of a descriptor.
TXT_TAG: Final = b"ucid1"
#: Reserved labels.
ENUM_LABEL: Final = b"__enum"
DELEGATION_LABEL: Final = b"__deleg"
#: Every answer fits this UDP payload (EDNS(0), RFC 6891; DNS flag day 2020) or sets TC.
UDP_PAYLOAD: Final = 1232


def delegation_owner(child: dns.name.Name, parent: dns.name.Name) -> dns.name.Name:
    """``<child labels relative to parent>.__deleg.<parent>``: in the parent zone, beside
    the cut but not at it, because a parent may hold only NS and glue at a cut
    (RFC 1034 §4.2.1), so a server would answer a query there with a referral."""
    relative = child.relativize(parent)
    return relative.concatenate(dns.name.Name((DELEGATION_LABEL,)).concatenate(parent))


def enum_owner(node: dns.name.Name) -> dns.name.Name:
    """``__enum.<node>``: PTR records naming the nodes directly below ``node``."""
    return dns.name.Name((ENUM_LABEL, *node.labels))
