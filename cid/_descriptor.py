"""The records a zone signs (spec/descriptor.md §6, §9, §10): :class:`Descriptor`,
:class:`Endpoint` and :class:`Delegation`, every rule of their claims, and the
strict reference codec of their payloads (deterministic CBOR claims maps).

Values check every rule when constructed, so an invalid record cannot be
signed. Signing and verifying are in ``_signed``; the fast reader of payloads,
which must agree with :func:`decode_descriptor`, in ``_descriptor_fast``.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar, cast

import cbor2

from ._cbor import Value, check, decode, encode_ordered, freeze
from ._errors import EncodingError, IdentifierError
from ._identifier import parse
from ._keys import VerifyKey
from ._time import iso_time

__all__ = [
    "DEFAULT_SKEW",
    "MAX_DELEGATION_VALIDITY",
    "MAX_DESCRIPTOR_VALIDITY",
    "MAX_SIGNED",
    "MAX_SKEW",
    "TYP_ANCHOR",
    "TYP_DELEGATION",
    "TYP_DESCRIPTOR",
    "Delegation",
    "Descriptor",
    "Endpoint",
    "decode_delegation",
    "decode_descriptor",
    "encode_payload",
]

# §7: one signed record fits one DNS record in a 1232-byte UDP response.
MAX_SIGNED: Final = 880
# §8.4: "exp - nbf MUST NOT exceed 2678400 seconds (31 days) for a descriptor
# and 31622400 seconds (366 days) for a delegation or an anchor rotation".
MAX_DESCRIPTOR_VALIDITY: Final = 31 * 86400
MAX_DELEGATION_VALIDITY: Final = 366 * 86400
# §8.1: clock skew allowed by default, and the most a verifier may allow.
DEFAULT_SKEW: Final = 300
MAX_SKEW: Final = 3600

TYP_DESCRIPTOR: Final = "application/ucid-descriptor+cbor"
TYP_DELEGATION: Final = "application/ucid-delegation+cbor"
TYP_ANCHOR: Final = "application/ucid-anchor+cbor"

# §6.1 claim keys: CWT (RFC 8392 §3.1) numbers where they overlap, then ours.
CLAIM_ISS: Final = 1
CLAIM_SUB: Final = 2
CLAIM_EXP: Final = 4
CLAIM_NBF: Final = 5
CLAIM_IAT: Final = 6
CLAIM_VERSION: Final = 8
CLAIM_ENDPOINTS: Final = 9
CLAIM_CAPABILITIES: Final = 10
CLAIM_EXT: Final = 11
CLAIM_CRIT: Final = 12
CLAIM_KEYS: Final = 13
_DESCRIPTOR_CLAIMS: Final = frozenset(
    {CLAIM_ISS, CLAIM_SUB, CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_VERSION, CLAIM_ENDPOINTS}
)
_DESCRIPTOR_OPTIONAL: Final = frozenset({CLAIM_CAPABILITIES, CLAIM_EXT, CLAIM_CRIT})
_DELEGATION_CLAIMS: Final = frozenset(
    {CLAIM_ISS, CLAIM_SUB, CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_VERSION, CLAIM_KEYS}
)

# §6.2 endpoint keys.
EP_TRANSPORT: Final = 0
EP_PROTOCOL: Final = 1
EP_HOST: Final = 2
EP_PORT: Final = 3
EP_ALPN: Final = 4
EP_PRIORITY: Final = 5
EP_WEIGHT: Final = 6
EP_REGION: Final = 7
_ENDPOINT_REQUIRED: Final = frozenset(
    {EP_TRANSPORT, EP_PROTOCOL, EP_HOST, EP_PORT, EP_PRIORITY, EP_WEIGHT}
)
_ENDPOINT_KEYS: Final = _ENDPOINT_REQUIRED | {EP_ALPN, EP_REGION}

UINT64_MAX: Final = (1 << 64) - 1
_UINT16_MAX: Final = 0xFFFF
MAX_ENDPOINTS: Final = 16
MAX_ALPN: Final = 8
MAX_CAPABILITIES: Final = 16
MAX_EXT: Final = 16
MAX_EXT_KEY: Final = 64
TRANSPORTS: Final = frozenset({"udp", "tcp", "quic"})

# §6.3.1: a zone label is a host-name (LDH) label, with no "_", or a UCID region or
# architecture label: "_", a letter or digit, then letters, digits, "-" and "_",
# not ending in "-" or "_". Either is 1 to 63 characters.
_LABEL: Final = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|_[a-z0-9](?:[a-z0-9_-]{0,60}[a-z0-9])?)"
# §6.3: a zone is a lowercase DNS name of 1 to 253 characters, no trailing dot.
_ZONE: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*").fullmatch
# A host name is LDH only (RFC 1123 §2.1): no underscore labels.
_HOST_LABEL: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME: Final = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*").fullmatch
PROTOCOL_TEXT: Final = re.compile(r"[a-z][a-z0-9+.-]{0,31}").fullmatch
# The identifier grammar's REGION, in its canonical lowercase spelling.
REGION_TEXT: Final = re.compile(r"[a-z]{2}(?:-[a-z0-9]{1,8}){0,3}").fullmatch
ALPN_TEXT: Final = re.compile(r"[\x21-\x7e]{1,255}").fullmatch
_DIGITS_DOTS: Final = re.compile(r"[0-9.]+").fullmatch
# An IPv4 address exactly as ipaddress.IPv4Address would print it: four decimal
# octets 0-255, without leading zeros.
_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_CANONICAL: Final = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}").fullmatch
# The hosts that check_host accepts without an IPv6 address, in one expression: a
# canonical IPv4 address, or a host name whose last label is not all digits.
_HOST_NAME_OR_IPV4: Final = re.compile(
    rf"{_OCTET}(?:\.{_OCTET}){{3}}|(?:{_HOST_LABEL}\.)*(?![0-9]+\Z){_HOST_LABEL}"
).fullmatch

# Texts that passed a check, and decoded payloads, by their exact text or bytes.
# Each depends on nothing but its key, so a hit changes no result (as in the
# identifier parser); they are bounded and cleared when full. Only str and
# bytes keys: 1 == True would let a memo confuse types.
MEMO_LIMIT: Final = 4096
_good_hosts: dict[str, None] = {}
_good_subjects: dict[str, None] = {}
_good_caps: dict[tuple[str, str], None] = {}


def remember(memo: dict[_K, _V], key: _K, value: _V) -> None:
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value


_R = TypeVar("_R", "Descriptor", "Delegation")
_K = TypeVar("_K")
_V = TypeVar("_V")


# ------------------------------------------------------------------ checks


def _fail(message: str) -> EncodingError:
    return EncodingError(message)


def check_uint(value: object, name: str, top: int = UINT64_MAX, bottom: int = 0) -> int:
    if type(value) is not int or not bottom <= value <= top:
        raise _fail(f"{name} must be an integer in {bottom}..{top}, not {value!r}")
    return value


def _text(value: object, name: str) -> str:
    if type(value) is not str:
        raise _fail(f"{name} must be text, not {type(value).__name__}")
    return value


def check_zone(value: object, name: str) -> str:
    text = _text(value, name)
    if len(text) > 253 or not _ZONE(text):
        raise _fail(f"{name} {text!r} is not a lowercase DNS name without a trailing dot")
    return text


def check_host(value: object) -> str:
    """§6.2.2 host: a DNS name (§6.3), or an IPv4 or IPv6 address in canonical text."""
    text = _text(value, "host")
    if text in _good_hosts:
        return text
    if ":" in text or len(text) > 253 or not _HOST_NAME_OR_IPV4(text):
        _explain_host(text)  # the rules one at a time: as strict, and says which failed
    remember(_good_hosts, text, None)
    return text


def _explain_host(text: str) -> None:
    if ":" in text:
        if _ipv6_text(text) != text:
            raise _fail(f"host {text!r} is not an IPv6 address in RFC 5952 §4 form")
    elif _DIGITS_DOTS(text):
        if not _IPV4_CANONICAL(text):
            raise _fail(f"host {text!r} is not an IPv4 address in dotted-decimal form")
    elif len(text) > 253 or not _HOSTNAME(text):
        raise _fail(f"host {text!r} is not a lowercase host name without a trailing dot")
    elif text.rsplit(".", 1)[-1].isdigit():  # RFC 1123 §2.1: a top label is not all digits
        raise _fail(f"host {text!r} ends in an all-numeric label")


def _ipv6_text(text: str) -> str | None:
    """The RFC 5952 form of the IPv6 address ``text`` spells, or None if it spells none.

    ``text`` is in that form exactly when the result equals it; a canonical
    form is read the same way by every IPv6 parser, so libc's fast one will do.
    """
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):  # ValueError: NUL or non-ASCII characters
        return None
    # "%x" writes each group in lowercase without leading zeros, so ":0:" is
    # exactly a zero group; the longest run (the first, on a tie; at least
    # two groups) becomes "::".
    full = _GROUPS % struct.unpack(">8H", packed)
    for run in _ZERO_RUNS:
        at = full.find(run)
        if at >= 0:
            return full[1:at] + "::" + full[at + len(run) : -1]
    return full[1:-1]


_GROUPS: Final = ":%x:%x:%x:%x:%x:%x:%x:%x:"
_ZERO_RUNS: Final = tuple(":0" * n + ":" for n in range(8, 1, -1))


def _rfc5952(address: int) -> str:
    """RFC 5952 §4: lowercase hex without leading zeros; "::" replaces the
    longest run of two or more zero groups, the first such run on a tie. No
    dotted-quad tail (§5), so the form does not depend on the address range."""
    groups = [(address >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    best, best_len, run_start = -1, 1, -1
    for i, group in enumerate([*groups, 1]):
        if group == 0 and run_start < 0:
            run_start = i
        elif group != 0 and run_start >= 0:
            if i - run_start > best_len:
                best, best_len = run_start, i - run_start
            run_start = -1
    hexes = [f"{g:x}" for g in groups]
    if best < 0:
        return ":".join(hexes)
    return ":".join(hexes[:best]) + "::" + ":".join(hexes[best + best_len :])


def _times(rec: Descriptor | Delegation, longest: int) -> None:
    nbf = check_uint(rec.not_before, "nbf")
    exp = check_uint(rec.expires, "exp")
    iat = check_uint(rec.issued_at, "iat")
    if not nbf < exp:
        raise _fail(f"nbf ({iso_time(nbf)}) must be before exp ({iso_time(exp)})")
    if exp - nbf > longest:
        raise _fail(f"the validity period, {exp - nbf} s, exceeds {longest} s")
    if not iat < exp:
        raise _fail(f"iat ({iso_time(iat)}) must be before exp ({iso_time(exp)})")


def _tuple(rec: object, name: str) -> tuple[object, ...]:
    value = getattr(rec, name)
    if type(value) is tuple:
        return value
    if isinstance(value, (list, tuple)):
        value = tuple(value)
        object.__setattr__(rec, name, value)
        return value
    raise _fail(f"{name} must be a sequence, not {type(value).__name__}")


def checked_ext(ext: object, crit: tuple[object, ...]) -> Mapping[str, Value]:
    """§6.5: ``ext`` and ``crit`` checked (statuses follow the same rules); ``ext``
    returned frozen, with keys in deterministic order (§3.2), whatever was given."""
    if not isinstance(ext, Mapping):
        raise _fail(f"ext must be a map, not {type(ext).__name__}")
    if len(ext) > MAX_EXT:
        raise _fail(f"at most {MAX_EXT} extensions")
    for key in ext:
        if type(key) is not str or not 1 <= len(key.encode("utf-8")) <= MAX_EXT_KEY:
            raise _fail(f"an ext key is text of 1-{MAX_EXT_KEY} bytes, not {key!r}")
    # The claims map and ext take two of the MAX_DEPTH levels (§3.3).
    check(ext, depth=7)
    frozen = freeze(cast(Value, dict(ext)))
    for name in crit:
        if type(name) is not str or name not in ext:
            raise _fail(f"crit names {name!r}, which is not an ext key")
    if len(set(crit)) != len(crit):
        raise _fail("crit keys must be distinct")
    return frozen  # type: ignore[return-value]  # a frozendict of a dict is a map


# ------------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One way to reach the subject (§6.2).

    ``priority`` and ``weight`` have their SVCB/SRV meaning: a lower priority
    is preferred (0, alias mode, is not allowed); within one priority, an
    endpoint is chosen with probability proportional to its weight (RFC 2782).
    """

    transport: str
    protocol: str
    host: str
    port: int
    priority: int = 1
    weight: int = 0
    alpn: tuple[str, ...] = ()
    region: str | None = None

    def __post_init__(self) -> None:
        if type(self.transport) is not str or self.transport not in TRANSPORTS:
            raise _fail(f"transport must be one of {sorted(TRANSPORTS)}, not {self.transport!r}")
        if not PROTOCOL_TEXT(_text(self.protocol, "protocol")):
            raise _fail(f"protocol {self.protocol!r} is not a lowercase token of 1-32 characters")
        check_host(self.host)
        check_uint(self.port, "port", _UINT16_MAX, 1)
        check_uint(self.priority, "priority", _UINT16_MAX, 1)
        check_uint(self.weight, "weight", _UINT16_MAX)
        alpn = _tuple(self, "alpn")
        if len(alpn) > MAX_ALPN:
            raise _fail(f"at most {MAX_ALPN} alpn identifiers")
        for ident in alpn:
            if type(ident) is not str or not ALPN_TEXT(ident):
                raise _fail(f"alpn {ident!r} is not 1-255 printable ASCII characters")
        if len(set(alpn)) != len(alpn):
            raise _fail("alpn identifiers must be distinct")
        if self.region is not None and not REGION_TEXT(_text(self.region, "region")):
            raise _fail(f"region {self.region!r} is not a lowercase UCID region")

    def _claims(self) -> dict[int | str, Value]:
        # Keys inserted in ascending order: the encoding keeps this order (§3.2).
        out: dict[int | str, Value] = {
            EP_TRANSPORT: self.transport,
            EP_PROTOCOL: self.protocol,
            EP_HOST: self.host,
            EP_PORT: self.port,
        }
        if self.alpn:
            out[EP_ALPN] = list(self.alpn)
        out[EP_PRIORITY] = self.priority
        out[EP_WEIGHT] = self.weight
        if self.region is not None:
            out[EP_REGION] = self.region
        return out


def empty_ext() -> Mapping[str, Value]:
    return cbor2.frozendict()


@dataclass(frozen=True, slots=True)
class Descriptor:
    """What a zone signs about one identifier (§6.1): where and how to reach it.

    Fields map to claims: ``issuer`` iss (1), ``subject`` sub (2, canonical
    UCID text), ``expires`` exp (4), ``not_before`` nbf (5), ``issued_at`` iat
    (6), ``version`` (8), ``endpoints`` (9), ``capabilities`` (10, canonical
    attribute strings, sorted as in an identifier), ``ext`` (11) and ``crit`` (12).
    Constructing one checks every rule of §6, so an invalid descriptor cannot
    be signed; the error is :class:`EncodingError`.
    """

    issuer: str
    subject: str
    version: int
    issued_at: int
    not_before: int
    expires: int
    endpoints: tuple[Endpoint, ...]
    capabilities: tuple[str, ...] = ()
    ext: Mapping[str, Value] = field(default_factory=empty_ext)
    crit: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_zone(self.issuer, "iss")
        check_subject(self.subject)
        check_uint(self.version, "version")
        _times(self, MAX_DESCRIPTOR_VALIDITY)
        endpoints = _tuple(self, "endpoints")
        if not 1 <= len(endpoints) <= MAX_ENDPOINTS:
            raise _fail(f"a descriptor has 1 to {MAX_ENDPOINTS} endpoints")
        seen = set()
        for ep in endpoints:
            if type(ep) is not Endpoint:
                raise _fail(f"endpoints must be Endpoint values, not {type(ep).__name__}")
            ident = (ep.transport, ep.protocol, ep.host, ep.port)
            if ident in seen:
                raise _fail(f"endpoint {ident} appears twice")
            seen.add(ident)
        caps = _tuple(self, "capabilities")
        if caps:
            check_capabilities(caps, self.subject)
        self._check_ext()

    def _check_ext(self) -> None:
        ext = self.ext
        crit = _tuple(self, "crit")
        if not ext and not crit and type(ext) is cbor2.frozendict:
            return
        object.__setattr__(self, "ext", checked_ext(ext, crit))

    def _claims(self) -> dict[int | str, Value]:
        # Keys inserted in ascending order: the encoding keeps this order (§3.2).
        out: dict[int | str, Value] = {
            CLAIM_ISS: self.issuer,
            CLAIM_SUB: self.subject,
            CLAIM_EXP: self.expires,
            CLAIM_NBF: self.not_before,
            CLAIM_IAT: self.issued_at,
            CLAIM_VERSION: self.version,
            CLAIM_ENDPOINTS: [ep._claims() for ep in self.endpoints],
        }
        if self.capabilities:
            out[CLAIM_CAPABILITIES] = list(self.capabilities)
        if self.ext:
            out[CLAIM_EXT] = self.ext  # type: ignore[assignment]  # a frozendict is a map
        if self.crit:
            out[CLAIM_CRIT] = list(self.crit)
        return out


def check_subject(value: object) -> None:
    text = _text(value, "sub")
    if text in _good_subjects:
        return
    try:
        canonical = str(parse(text))
    except IdentifierError as exc:
        raise _fail(f"sub is not a UCID: {exc.reason}") from exc
    # §6.4.1: "the canonical form of the result MUST equal sub character for character".
    if canonical != text:
        raise _fail(f"sub is not in canonical form; it would be {canonical!r}")
    remember(_good_subjects, text, None)


# Any provider, region and CPU: only the capability component is checked.
_CAPS_PREFIX: Final = "ucid:a/aa/a/"


def check_capabilities(caps: tuple[object, ...], subject: str) -> None:
    """§6.4.2: canonical attributes, in canonical order, containing the subject's."""
    if len(caps) > MAX_CAPABILITIES:
        raise _fail(f"at most {MAX_CAPABILITIES} capabilities")
    if any(type(c) is not str or not c or "/" in c or ";" in c for c in caps):
        raise _fail("capabilities must be attribute texts")
    joined = ";".join(caps)  # type: ignore[arg-type]  # all str, checked above
    if (joined, subject) in _good_caps:
        return
    try:
        canonical = str(parse(_CAPS_PREFIX + joined))[len(_CAPS_PREFIX) :]
    except IdentifierError as exc:
        raise _fail(f"capabilities are not valid attributes: {exc.reason}") from exc
    if canonical != joined:
        raise _fail(f"capabilities must be canonical and sorted: {canonical!r}")
    have = set(caps)
    for cap in parse(subject).capabilities:
        if str(cap) not in have:
            raise _fail(f"capabilities omit the subject's attribute {str(cap)!r}")
    remember(_good_caps, (joined, subject), None)


@dataclass(frozen=True, slots=True)
class Delegation:
    """A parent zone's statement of its child zone's keys (§9).

    With ``parent == child`` it is an anchor rotation record (§10): the zone's
    own new keys, signed by an old and a new key.
    """

    parent: str
    child: str
    keys: tuple[VerifyKey, ...]
    version: int
    issued_at: int
    not_before: int
    expires: int

    def __post_init__(self) -> None:
        check_zone(self.parent, "iss")
        child = check_zone(self.child, "sub")
        if child != self.parent and not child.endswith("." + self.parent):
            raise _fail(f"{child!r} is not within the zone {self.parent!r}")
        keys = _tuple(self, "keys")
        if not 1 <= len(keys) <= 2:
            raise _fail("a delegation names one key, or two during a rollover")
        if any(type(k) is not VerifyKey for k in keys):
            raise _fail("keys must be VerifyKey values")
        if len(keys) == 2 and keys[0] == keys[1]:
            raise _fail("the two keys must differ")
        check_uint(self.version, "version")
        _times(self, MAX_DELEGATION_VALIDITY)

    def _claims(self) -> dict[int | str, Value]:
        return {
            CLAIM_ISS: self.parent,
            CLAIM_SUB: self.child,
            CLAIM_EXP: self.expires,
            CLAIM_NBF: self.not_before,
            CLAIM_IAT: self.issued_at,
            CLAIM_VERSION: self.version,
            CLAIM_KEYS: [k.raw for k in self.keys],
        }


# ------------------------------------------------------- checked values
# For the fast reader (_descriptor_fast), which checks each value as
# __post_init__ does before building: the values are stored without checking
# again. Each slot's own setter, bound once; a frozen dataclass refuses plain
# attribute assignment.
_ENDPOINT_SLOTS: Final = tuple(Endpoint.__dict__[n].__set__ for n in Endpoint.__slots__)
_DESCRIPTOR_SLOTS: Final = tuple(Descriptor.__dict__[n].__set__ for n in Descriptor.__slots__)
_NO_EXT: Final = empty_ext()
if Endpoint.__slots__ != (
    "transport",
    "protocol",
    "host",
    "port",
    "priority",
    "weight",
    "alpn",
    "region",
) or Descriptor.__slots__ != (
    "issuer",
    "subject",
    "version",
    "issued_at",
    "not_before",
    "expires",
    "endpoints",
    "capabilities",
    "ext",
    "crit",
):  # pragma: no cover - the setters below are bound by position
    raise AssertionError("Endpoint or Descriptor fields changed: update checked_*")


def checked_endpoint(
    transport: str,
    protocol: str,
    host: str,
    port: int,
    priority: int,
    weight: int,
    alpn: tuple[str, ...],
    region: str | None,
) -> Endpoint:
    """An :class:`Endpoint` of values already checked as its ``__post_init__`` checks them."""
    ep = object.__new__(Endpoint)
    s = _ENDPOINT_SLOTS
    s[0](ep, transport)
    s[1](ep, protocol)
    s[2](ep, host)
    s[3](ep, port)
    s[4](ep, priority)
    s[5](ep, weight)
    s[6](ep, alpn)
    s[7](ep, region)
    return ep


def checked_descriptor(
    issuer: str,
    subject: str,
    version: int,
    issued_at: int,
    not_before: int,
    expires: int,
    endpoints: tuple[Endpoint, ...],
    capabilities: tuple[str, ...],
    ext: Mapping[str, Value] | None,
    crit: tuple[str, ...],
) -> Descriptor:
    """A :class:`Descriptor` of values already checked as its ``__post_init__`` checks
    them, but ``ext`` and ``crit``, which are checked here (and ``ext`` frozen)."""
    desc = object.__new__(Descriptor)
    s = _DESCRIPTOR_SLOTS
    s[0](desc, issuer)
    s[1](desc, subject)
    s[2](desc, version)
    s[3](desc, issued_at)
    s[4](desc, not_before)
    s[5](desc, expires)
    s[6](desc, endpoints)
    s[7](desc, capabilities)
    s[8](desc, _NO_EXT if ext is None else ext)
    s[9](desc, crit)
    if ext is not None or crit:
        desc._check_ext()
    return desc


# ---------------------------------------------------------------- payloads


def encode_payload(record: Descriptor | Delegation) -> bytes:
    """The deterministic CBOR claims map of a record: the COSE payload (§6)."""
    return encode_ordered(record._claims())


def _claim_map(
    payload: bytes, required: frozenset[int], optional: frozenset[int]
) -> dict[int, Value]:
    claims = decode(payload, max_size=MAX_SIGNED)
    if type(claims) is not dict:
        raise _fail("the payload must be a map of claims")
    keys = claims.keys()
    if not keys >= required or not keys <= required | optional:
        missing = sorted(required - keys)
        extra = sorted(keys - required - optional, key=str)
        raise _fail(f"claims missing {missing} or not allowed {extra}")
    return claims  # type: ignore[return-value]  # keys checked above: all int


def _list(value: Value, name: str) -> list[Value]:
    if type(value) is not list or not value:
        # §6.1: an empty array or map is omitted, so each value has one encoding.
        raise _fail(f"{name} must be a non-empty array")
    return value


def decode_descriptor(payload: bytes) -> Descriptor:
    c = _claim_map(payload, _DESCRIPTOR_CLAIMS, _DESCRIPTOR_OPTIONAL)
    endpoints = []
    for item in _list(c[CLAIM_ENDPOINTS], "endpoints"):
        if type(item) is not dict or not item.keys() <= _ENDPOINT_KEYS:
            raise _fail("an endpoint must be a map with keys 0..7")
        if not item.keys() >= _ENDPOINT_REQUIRED:
            raise _fail(f"an endpoint lacks {sorted(_ENDPOINT_REQUIRED - item.keys())}")
        # "in", not get(): a null alpn or region is not an absent one (§6.1.2).
        alpn = tuple(_list(item[EP_ALPN], "alpn")) if EP_ALPN in item else ()
        region = _text(item[EP_REGION], "region") if EP_REGION in item else None
        endpoints.append(
            Endpoint(
                item[EP_TRANSPORT],  # type: ignore[arg-type]  # __post_init__ checks types
                item[EP_PROTOCOL],  # type: ignore[arg-type]
                item[EP_HOST],  # type: ignore[arg-type]
                item[EP_PORT],  # type: ignore[arg-type]
                item[EP_PRIORITY],  # type: ignore[arg-type]
                item[EP_WEIGHT],  # type: ignore[arg-type]
                alpn,  # type: ignore[arg-type]
                region,
            )
        )
    caps = tuple(_list(c[CLAIM_CAPABILITIES], "capabilities")) if CLAIM_CAPABILITIES in c else ()
    crit = tuple(_list(c[CLAIM_CRIT], "crit")) if CLAIM_CRIT in c else ()
    ext = c[CLAIM_EXT] if CLAIM_EXT in c else empty_ext()
    if CLAIM_EXT in c and (type(ext) is not dict or not ext):
        raise _fail("ext must be a non-empty map")
    return Descriptor(
        c[CLAIM_ISS],  # type: ignore[arg-type]  # __post_init__ checks every type
        c[CLAIM_SUB],  # type: ignore[arg-type]
        c[CLAIM_VERSION],  # type: ignore[arg-type]
        c[CLAIM_IAT],  # type: ignore[arg-type]
        c[CLAIM_NBF],  # type: ignore[arg-type]
        c[CLAIM_EXP],  # type: ignore[arg-type]
        tuple(endpoints),
        caps,  # type: ignore[arg-type]
        ext,  # type: ignore[arg-type]
        crit,  # type: ignore[arg-type]
    )


def decode_delegation(payload: bytes) -> Delegation:
    c = _claim_map(payload, _DELEGATION_CLAIMS, frozenset())
    keys = []
    for raw in _list(c[CLAIM_KEYS], "keys"):
        if type(raw) is not bytes or len(raw) != 32:
            raise _fail("a key is a 32-byte Ed25519 public key")
        keys.append(VerifyKey(raw))
    return Delegation(
        c[CLAIM_ISS],  # type: ignore[arg-type]  # __post_init__ checks every type
        c[CLAIM_SUB],  # type: ignore[arg-type]
        tuple(keys),
        c[CLAIM_VERSION],  # type: ignore[arg-type]
        c[CLAIM_IAT],  # type: ignore[arg-type]
        c[CLAIM_NBF],  # type: ignore[arg-type]
        c[CLAIM_EXP],  # type: ignore[arg-type]
    )
