"""The fast reader of descriptor payloads: an accelerator of the strict decoder
(``_descriptor.decode_descriptor``) for the common shape, which it must agree with.

A descriptor payload is read straight from its bytes when it has the only key
orders §6.1 and §6.2 allow, every head in its deterministic form (§3.2.1) and
every text ASCII. Anything else makes the reader decline (:class:`Decline`),
and the strict decoder then decides and says why. So the reader need not
explain; it must only never accept what that path rejects, and build an equal
:class:`Descriptor`. ``tests/cid/test_descriptor_fast.py`` holds the two
together (differential tests over mutated payloads). It skips no rule: each
value is checked as ``__post_init__`` checks it, and the values are then built
by ``checked_endpoint`` and ``checked_descriptor``, which do not check again.

Regular expressions split the bytes into parts. Each text runs up to the byte
that must follow it (the next key, or for a region a map head or the
capabilities' key, which no region holds), so the split is the only one
possible; each text's length is then compared with the one its head declares,
which makes the split the decoder's. The parts that repeat across descriptors
(a zone, a subject, a host, the rest of an endpoint, a list of capabilities)
are memoised by their bytes with their checked values, as the identifier parser
memoises its components: a hit stands for the same bytes, checked the same way.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ._cbor import MAX_DEPTH, Value, decode_at
from ._descriptor import (
    ALPN_TEXT,
    CLAIM_CAPABILITIES,
    CLAIM_CRIT,
    CLAIM_ENDPOINTS,
    CLAIM_EXT,
    EP_ALPN,
    EP_PRIORITY,
    EP_PROTOCOL,
    EP_REGION,
    EP_WEIGHT,
    MAX_DESCRIPTOR_VALIDITY,
    PROTOCOL_TEXT,
    REGION_TEXT,
    TRANSPORTS,
    UINT64_MAX,
    Descriptor,
    Endpoint,
    check_capabilities,
    check_host,
    check_subject,
    check_zone,
    checked_descriptor,
    checked_endpoint,
    remember,
)
from ._errors import EncodingError, OversizeError

__all__ = ["DECLINE", "PART_MEMOS", "Decline", "fast_descriptor", "read_descriptor"]


class Decline(Exception):
    """Internal: the fast reader leaves this payload to the full decoder."""


# What a declining reader may raise: its own signal, a read past the end, a
# non-ASCII text, and a failed value check.
DECLINE: Final = (Decline, IndexError, UnicodeDecodeError, EncodingError, OversizeError)

# Minimal heads (§3.2.1) only. A text head: 1 to 23 (one byte), 24 to 255
# (0x78 and one byte) or 256 to 767 (0x79 and two bytes) bytes follow.
_TEXT_HEAD: Final = rb"(?:[\x61-\x77]|\x78[\x18-\xff]|\x79[\x01\x02][\x00-\xff])"
# An unsigned integer below 2^16, and one below 2^64.
_U16: Final = rb"(?:[\x00-\x17]|\x18[\x18-\xff]|\x19[\x01-\xff][\x00-\xff])"
_U64: Final = (
    rb"([\x00-\x17]|\x18[\x18-\xff]|\x19[\x01-\xff][\x00-\xff]"
    rb"|\x1a(?!\x00\x00)[\x00-\xff]{4}|\x1b(?!\x00{4})[\x00-\xff]{8})"
)
# The value of a matched unsigned integer, whatever its head: the bytes as
# one big-endian number, masked by their count.
_UINT_MASK: Final = (0, 0xFF, 0xFF, 0xFFFF, 0, 0xFFFFFFFF, 0, 0, 0, UINT64_MAX)
# §6.1 up to the endpoints: a map of 7 to 10 claims {1: iss, 2: sub, 4: exp,
# 5: nbf, 6: iat, 8: version, 9: [1 to 16 endpoints ... A text runs up to the
# key after it ([^k]+, also the fastest run to match); what it holds is
# checked, with its length, when its part is first seen.
_CLAIMS_PATTERN: Final = (
    rb"\x01(" + _TEXT_HEAD + rb"[^\x02]+)\x02(" + _TEXT_HEAD + rb"[^\x04]+)"
    rb"\x04" + _U64 + rb"\x05" + _U64 + rb"\x06" + _U64 + rb"\x08" + _U64
)
_CLAIMS_HEAD: Final = re.compile(rb"([\xa7-\xaa])" + _CLAIMS_PATTERN + rb"\x09([\x81-\x90])").match
# §6.2: a map of 6 to 8 entries {0: transport, 1: protocol, 2: host, 3: port,
# ?4: [alpn ...], 5: priority, 6: weight, ?7: region}, in three parts: the
# map's head, transport and protocol; host; and port to the end.
_ENDPOINT_PATTERN: Final = (
    rb"([\xa6-\xa8]\x00[\x63\x64][^\x01]+\x01[\x61-\x77][^\x02]+)"
    rb"\x02((?:[\x61-\x77]|\x78[\x18-\xff])[^\x03]+)"
    rb"(\x03" + _U16 + rb"(?:\x04[\x81-\x88][^\x05]+)?"
    rb"\x05" + _U16 + rb"\x06" + _U16 + rb"(?:\x07[\x62-\x77][a-z0-9\-]+)?)"
)
_ENDPOINT: Final = re.compile(_ENDPOINT_PATTERN).match
# The common case in one match: the claims, 1 to 4 endpoints, and
# capabilities or nothing (as the only optional claim, they run to the end).
# The endpoints' groups start at _FIRST_ENDPOINT_GROUP[count].
_COMMON: Final = re.compile(
    rb"([\xa7\xa8])"
    + _CLAIMS_PATTERN
    + rb"\x09(?:"
    + rb"|".join(bytes((0x80 + k,)) + _ENDPOINT_PATTERN * k for k in range(1, 5))
    + rb")(?:\x0a((?s:.+)))?\Z"
).match
_FIRST_ENDPOINT_GROUP: Final = {k: 7 + 3 * (k * (k - 1) // 2) for k in range(1, 5)}

# The memoised parts, by their bytes, to their checked values: an endpoint
# but its host by its first and last parts, capabilities with the subject's
# bytes (they must agree with it).
_iss_parts: dict[bytes, str] = {}
_sub_parts: dict[bytes, str] = {}
_host_parts: dict[bytes, str] = {}
_ep_parts: dict[
    tuple[bytes, bytes], tuple[str, str, int, tuple[str, ...], int, int, str | None]
] = {}
_caps_parts: dict[tuple[bytes, bytes], tuple[str, ...]] = {}
PART_MEMOS: Final = (_iss_parts, _sub_parts, _host_parts, _ep_parts, _caps_parts)


def _part_text(raw: bytes) -> str:
    """A text from its head and characters as the patterns match them, if the
    head declares exactly that many."""
    b = raw[0]
    if b < 0x78:
        size, text = b - 0x60, raw[1:]
    elif b == 0x78:
        size, text = raw[1], raw[2:]
    else:
        size, text = raw[1] << 8 | raw[2], raw[3:]
    if size != len(text):
        raise Decline
    return text.decode("ascii")


def _part_texts(raw: bytes) -> tuple[str, ...]:
    """An array, exactly: its head and its texts of 1 to 23 characters (heads
    "a" to "w"), as the patterns match them."""
    count = raw[0] - 0x80
    if not 0 < count < 24:
        raise Decline
    out = []
    p = 1
    for _ in range(count):
        end = p + raw[p] - 0x5F
        if not p + 1 < end < p + 25:
            raise Decline
        out.append(raw[p + 1 : end].decode("ascii"))
        p = end
    if p != len(raw):
        raise Decline
    return tuple(out)


def _u16_at(raw: bytes, p: int) -> tuple[int, int]:
    """An integer as _U16 matches it, at ``raw[p]``, and where it ends."""
    b = raw[p]
    size = 1 if b < 0x18 else 2 if b == 0x18 else 3
    return int.from_bytes(raw[p : p + size], "big") & _UINT_MASK[size], p + size


def _iss_part(raw: bytes) -> str:
    issuer = check_zone(_part_text(raw), "iss")
    remember(_iss_parts, raw, issuer)
    return issuer


def _sub_part(raw: bytes) -> str:
    subject = _part_text(raw)
    check_subject(subject)
    remember(_sub_parts, raw, subject)
    return subject


def _host_part(raw: bytes) -> str:
    host = check_host(_part_text(raw))
    remember(_host_parts, raw, host)
    return host


def _ep_part(
    lead: bytes, rest: bytes
) -> tuple[str, str, int, tuple[str, ...], int, int, str | None]:
    """An endpoint but its host, checked as Endpoint.__post_init__ checks it."""
    cut = lead[2] - 0x5D  # key 1, after the transport
    if lead[cut] != EP_PROTOCOL:
        raise Decline
    transport = lead[3:cut].decode("ascii")
    protocol = _part_text(lead[cut + 1 :])
    # The keys are where the pattern put them; checked again all the same.
    port, p = _u16_at(rest, 1)
    alpn: tuple[str, ...] = ()
    if rest[p] == EP_ALPN:
        end = rest.find(EP_PRIORITY, p)  # the pattern's alpn part holds no 5: this is key 5
        alpn = _part_texts(rest[p + 1 : end])
        if len(set(alpn)) != len(alpn) or not all(map(ALPN_TEXT, alpn)):
            raise Decline
        p = end
    if rest[p] != EP_PRIORITY:
        raise Decline
    priority, p = _u16_at(rest, p + 1)
    if rest[p] != EP_WEIGHT:
        raise Decline
    weight, p = _u16_at(rest, p + 1)
    region = None
    if p < len(rest):
        if rest[p] != EP_REGION:
            raise Decline
        region = _part_text(rest[p + 1 :])
    if (
        transport not in TRANSPORTS
        or not PROTOCOL_TEXT(protocol)
        or not port
        or not priority
        or (region is not None and not REGION_TEXT(region))
        or lead[0] - 0xA6 != bool(alpn) + (region is not None)
    ):
        raise Decline
    value = (transport, protocol, port, alpn, priority, weight, region)
    remember(_ep_parts, (lead, rest), value)
    return value


def _caps_part(key: tuple[bytes, bytes], subject: str) -> tuple[str, ...]:
    caps = _part_texts(key[0])
    check_capabilities(caps, subject)
    remember(_caps_parts, key, caps)
    return caps


def _rd_text(d: bytes, p: int) -> tuple[str, int]:
    """An ASCII text string in deterministic encoding at ``d[p]``, and its end."""
    b = d[p]
    if 0x60 <= b < 0x78:
        p += 1
        end = p + b - 0x60
    elif b == 0x78 and d[p + 1] >= 24:
        end = p + 2 + d[p + 1]
        p += 2
    elif b == 0x79 and d[p + 1]:  # a 3-byte head holds 256 or more
        end = p + 3 + (d[p + 1] << 8 | d[p + 2])
        p += 3
    else:
        raise Decline
    if end > len(d):
        raise Decline
    return d[p:end].decode("ascii"), end


def _rd_texts(d: bytes, p: int) -> tuple[tuple[str, ...], int]:
    """A non-empty array of fewer than 24 ASCII texts at ``d[p]``, and its end."""
    count = d[p] - 0x80
    if not 0 < count < 24:
        raise Decline
    p += 1
    out = []
    for _ in range(count):
        text, p = _rd_text(d, p)
        out.append(text)
    return tuple(out), p


def _endpoints(groups: tuple[Any, ...], count: int, first: int) -> tuple[Endpoint, ...]:
    """The ``count`` endpoints (§6.2) whose parts _ENDPOINT matched, three
    groups each from ``groups[first]``, each checked as Endpoint.__post_init__
    checks it, none twice (§6.2.4)."""
    endpoints = []
    for i in range(first, first + 3 * count, 3):
        lead = groups[i]
        host_raw = groups[i + 1]
        rest = groups[i + 2]
        transport, protocol, port, alpn, priority, weight, region = _ep_parts.get(
            (lead, rest)
        ) or _ep_part(lead, rest)
        host = _host_parts.get(host_raw) or _host_part(host_raw)
        endpoints.append(
            checked_endpoint(transport, protocol, host, port, priority, weight, alpn, region)
        )
    for i in range(1, count):  # pairs: fewer objects than a set, for the few there are
        a = endpoints[i]
        for j in range(i):
            b = endpoints[j]
            if (
                a.host == b.host
                and a.port == b.port
                and a.transport == b.transport
                and a.protocol == b.protocol
            ):
                raise Decline
    return tuple(endpoints)


def read_descriptor(d: bytes) -> Descriptor:
    """A descriptor payload (§6.1), checked as Descriptor.__post_init__ checks
    it. Raises one of DECLINE when it does not accept."""
    caps: tuple[str, ...] = ()
    crit: tuple[str, ...] = ()
    ext: Value = None
    m = _COMMON(d)
    if m is not None:
        g = m.groups()
        iss_raw = g[1]
        sub_raw = g[2]
        subject = _sub_parts.get(sub_raw) or _sub_part(sub_raw)
        caps_raw = g[-1]
        if (caps_raw is not None) != g[0][0] - 0xA7:  # the map's size: 7, or 8 with them
            raise Decline
        if caps_raw is not None:
            caps_key = (caps_raw, sub_raw)
            caps = _caps_parts.get(caps_key) or _caps_part(caps_key, subject)
        count = d[m.end(7) + 1] - 0x80  # the endpoints' array head, after version
        endpoints = _endpoints(g, count, _FIRST_ENDPOINT_GROUP[count])
    else:  # any other shape, a part at a time
        m = _CLAIMS_HEAD(d)
        if m is None:
            raise Decline
        g = m.groups()
        iss_raw = g[1]
        sub_raw = g[2]
        subject = _sub_parts.get(sub_raw) or _sub_part(sub_raw)
        p = m.end()
        count = g[7][0] - 0x80
        parts: tuple[Any, ...] = ()
        for _ in range(count):
            e = _ENDPOINT(d, p)
            if e is None:
                raise Decline
            parts += e.groups()
            p = e.end()
        endpoints = _endpoints(parts, count, 0)
        last = CLAIM_ENDPOINTS
        for _ in range(g[0][0] - 0xA7):  # the optional claims, in key order
            key = d[p]
            if not last < key <= CLAIM_CRIT:
                raise Decline
            last = key
            if key == CLAIM_EXT:
                # The claims map is depth 1 of MAX_DEPTH (§3.3.2), as in decode().
                ext, p = decode_at(d, p + 1, MAX_DEPTH - 1)
                if type(ext) is not dict or not ext:
                    raise Decline
            elif key == CLAIM_CAPABILITIES:
                caps, p = _rd_texts(d, p + 1)
                check_capabilities(caps, subject)
            else:
                crit, p = _rd_texts(d, p + 1)
        if p != len(d):
            raise Decline
    issuer = _iss_parts.get(iss_raw) or _iss_part(iss_raw)
    exp = g[3]
    nbf = g[4]
    iat = g[5]
    version = g[6]
    expires = int.from_bytes(exp, "big") & _UINT_MASK[len(exp)]
    not_before = int.from_bytes(nbf, "big") & _UINT_MASK[len(nbf)]
    issued_at = int.from_bytes(iat, "big") & _UINT_MASK[len(iat)]
    if (
        not not_before < expires
        or expires - not_before > MAX_DESCRIPTOR_VALIDITY
        or not issued_at < expires
    ):
        raise Decline
    return checked_descriptor(
        issuer,
        subject,
        int.from_bytes(version, "big") & _UINT_MASK[len(version)],
        issued_at,
        not_before,
        expires,
        endpoints,
        caps,
        None if ext is None else ext,  # type: ignore[arg-type]  # a dict, checked then
        crit,
    )


def fast_descriptor(payload: bytes) -> Descriptor | None:
    """The payload's Descriptor by the fast reader, or None when it declines."""
    try:
        return read_descriptor(payload)
    except DECLINE:
        return None
