"""Signed descriptors, delegation records and anchor rotations (spec/descriptor.md).

A sans-IO core: every function takes bytes, keys and the time ``now`` and
returns values or raises a :class:`DescriptorError`. Nothing here reads a clock,
a file or the network.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn, TypeAlias, TypeVar, cast

import cbor2

from ._cbor import MAX_DEPTH, Value, check, decode, decode_at, encode_head, encode_ordered, freeze
from ._cose import (
    ALG_ED25519,
    ALG_EDDSA,
    HEADER_ALG,
    HEADER_KID,
    HEADER_TYP,
    decode_sign1,
    encode_sign1,
    sig_structure,
    verify_signature,
)
from ._errors import (
    CriticalExtensionError,
    DescriptorError,
    EncodingError,
    ExpiredError,
    IdentifierError,
    NotYetValidError,
    OversizeError,
    RollbackError,
    SignatureError,
    UnknownKeyError,
)
from ._identifier import parse
from ._keys import SigningKey, VerifyKey

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
    "Keys",
    "decode_unverified",
    "encode_payload",
    "sign",
    "sign_rotation",
    "verify",
    "verify_delegation",
    "verify_rotation",
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
_ISS: Final = 1
_SUB: Final = 2
_EXP: Final = 4
_NBF: Final = 5
_IAT: Final = 6
_VERSION: Final = 8
_ENDPOINTS: Final = 9
_CAPABILITIES: Final = 10
_EXT: Final = 11
_CRIT: Final = 12
_KEYS: Final = 13
_DESCRIPTOR_CLAIMS: Final = frozenset({_ISS, _SUB, _EXP, _NBF, _IAT, _VERSION, _ENDPOINTS})
_DESCRIPTOR_OPTIONAL: Final = frozenset({_CAPABILITIES, _EXT, _CRIT})
_DELEGATION_CLAIMS: Final = frozenset({_ISS, _SUB, _EXP, _NBF, _IAT, _VERSION, _KEYS})

# §6.2 endpoint keys.
_TRANSPORT: Final = 0
_PROTOCOL: Final = 1
_HOST: Final = 2
_PORT: Final = 3
_ALPN: Final = 4
_PRIORITY: Final = 5
_WEIGHT: Final = 6
_REGION: Final = 7
_ENDPOINT_REQUIRED: Final = frozenset({_TRANSPORT, _PROTOCOL, _HOST, _PORT, _PRIORITY, _WEIGHT})
_ENDPOINT_KEYS: Final = _ENDPOINT_REQUIRED | {_ALPN, _REGION}

_UINT64_MAX: Final = (1 << 64) - 1
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
_PROTOCOL_RE: Final = re.compile(r"[a-z][a-z0-9+.-]{0,31}").fullmatch
# The identifier grammar's REGION, in its canonical lowercase spelling.
_REGION_RE: Final = re.compile(r"[a-z]{2}(?:-[a-z0-9]{1,8}){0,3}").fullmatch
_ALPN_RE: Final = re.compile(r"[\x21-\x7e]{1,255}").fullmatch
_DIGITS_DOTS: Final = re.compile(r"[0-9.]+").fullmatch
# An IPv4 address exactly as ipaddress.IPv4Address would print it: four decimal
# octets 0-255, without leading zeros.
_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_CANONICAL: Final = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}").fullmatch
# The hosts that _host accepts without an IPv6 address, in one expression: a
# canonical IPv4 address, or a host name whose last label is not all digits.
_HOST_NAME_OR_IPV4: Final = re.compile(
    rf"{_OCTET}(?:\.{_OCTET}){{3}}|(?:{_HOST_LABEL}\.)*(?![0-9]+\Z){_HOST_LABEL}"
).fullmatch

# Texts that passed a check, and decoded payloads, by their exact text or bytes.
# Each depends on nothing but its key, so a hit changes no result (as in the
# identifier parser); they are bounded and cleared when full. Only str and
# bytes keys: 1 == True would let a memo confuse types.
_MEMO_LIMIT: Final = 4096
_good_hosts: dict[str, None] = {}
_good_subjects: dict[str, None] = {}
_good_caps: dict[tuple[str, str], None] = {}
_descriptors: dict[bytes, Descriptor] = {}
_delegations: dict[bytes, Delegation] = {}


def _remember(memo: dict[_K, _V], key: _K, value: _V) -> None:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value


# The protected header, {1: alg, 4: kid, 16: typ}, deterministically encoded;
# only the kid varies, so a well-formed header is matched by its bytes (§4.2).
_HEAD_EDDSA: Final = b"\xa3\x01\x27\x04\x58\x20"
_HEAD_ED25519: Final = b"\xa3\x01\x32\x04\x58\x20"
_KID_END: Final = len(_HEAD_EDDSA) + 32
_EMPTY_MAP: Final = b"\xa0"


def _typ_tail(typ: str) -> bytes:
    raw = typ.encode("ascii")
    return b"\x10" + encode_head(3, len(raw)) + raw


_TYP_TAILS: Final = {typ: _typ_tail(typ) for typ in (TYP_DESCRIPTOR, TYP_DELEGATION, TYP_ANCHOR)}

#: Trusted keys: a mapping from kid to key, or any iterable of keys.
Keys: TypeAlias = Mapping[bytes, VerifyKey] | Iterable[VerifyKey]

_R = TypeVar("_R", "Descriptor", "Delegation")
_K = TypeVar("_K")
_V = TypeVar("_V")


# ------------------------------------------------------------------ checks


def _fail(message: str) -> EncodingError:
    return EncodingError(message)


def _uint(value: object, name: str, top: int = _UINT64_MAX, bottom: int = 0) -> int:
    if type(value) is not int or not bottom <= value <= top:
        raise _fail(f"{name} must be an integer in {bottom}..{top}, not {value!r}")
    return value


def _text(value: object, name: str) -> str:
    if type(value) is not str:
        raise _fail(f"{name} must be text, not {type(value).__name__}")
    return value


def _zone(value: object, name: str) -> str:
    text = _text(value, name)
    if len(text) > 253 or not _ZONE(text):
        raise _fail(f"{name} {text!r} is not a lowercase DNS name without a trailing dot")
    return text


def _host(value: object) -> str:
    """§6.2.2 host: a DNS name (§6.3), or an IPv4 or IPv6 address in canonical text."""
    text = _text(value, "host")
    if text in _good_hosts:
        return text
    if ":" in text or len(text) > 253 or not _HOST_NAME_OR_IPV4(text):
        _check_host(text)  # the rules one at a time: as strict, and says which failed
    _remember(_good_hosts, text, None)
    return text


def _check_host(text: str) -> None:
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
    nbf = _uint(rec.not_before, "nbf")
    exp = _uint(rec.expires, "exp")
    iat = _uint(rec.issued_at, "iat")
    if not nbf < exp:
        raise _fail(f"nbf ({nbf}) must be before exp ({exp})")
    if exp - nbf > longest:
        raise _fail(f"the validity period, {exp - nbf} s, exceeds {longest} s")
    if not iat < exp:
        raise _fail(f"iat ({iat}) must be before exp ({exp})")


def _tuple(rec: object, name: str) -> tuple[object, ...]:
    value = getattr(rec, name)
    if type(value) is tuple:
        return value
    if isinstance(value, (list, tuple)):
        value = tuple(value)
        object.__setattr__(rec, name, value)
        return value
    raise _fail(f"{name} must be a sequence, not {type(value).__name__}")


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
        if not _PROTOCOL_RE(_text(self.protocol, "protocol")):
            raise _fail(f"protocol {self.protocol!r} is not a lowercase token of 1-32 characters")
        _host(self.host)
        _uint(self.port, "port", _UINT16_MAX, 1)
        _uint(self.priority, "priority", _UINT16_MAX, 1)
        _uint(self.weight, "weight", _UINT16_MAX)
        alpn = _tuple(self, "alpn")
        if len(alpn) > MAX_ALPN:
            raise _fail(f"at most {MAX_ALPN} alpn identifiers")
        for ident in alpn:
            if type(ident) is not str or not _ALPN_RE(ident):
                raise _fail(f"alpn {ident!r} is not 1-255 printable ASCII characters")
        if len(set(alpn)) != len(alpn):
            raise _fail("alpn identifiers must be distinct")
        if self.region is not None and not _REGION_RE(_text(self.region, "region")):
            raise _fail(f"region {self.region!r} is not a lowercase UCID region")

    def _claims(self) -> dict[int | str, Value]:
        # Keys inserted in ascending order: the encoding keeps this order (§3.2).
        out: dict[int | str, Value] = {
            _TRANSPORT: self.transport,
            _PROTOCOL: self.protocol,
            _HOST: self.host,
            _PORT: self.port,
        }
        if self.alpn:
            out[_ALPN] = list(self.alpn)
        out[_PRIORITY] = self.priority
        out[_WEIGHT] = self.weight
        if self.region is not None:
            out[_REGION] = self.region
        return out


def _empty_ext() -> Mapping[str, Value]:
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
    ext: Mapping[str, Value] = field(default_factory=_empty_ext)
    crit: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _zone(self.issuer, "iss")
        _subject(self.subject)
        _uint(self.version, "version")
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
            _capabilities(caps, self.subject)
        self._check_ext()

    def _check_ext(self) -> None:
        ext = self.ext
        crit = _tuple(self, "crit")
        if not ext and not crit and type(ext) is cbor2.frozendict:
            return
        if not isinstance(ext, Mapping):
            raise _fail(f"ext must be a map, not {type(ext).__name__}")
        if len(ext) > MAX_EXT:
            raise _fail(f"at most {MAX_EXT} extensions")
        for key in ext:
            if type(key) is not str or not 1 <= len(key.encode("utf-8")) <= MAX_EXT_KEY:
                raise _fail(f"an ext key is text of 1-{MAX_EXT_KEY} bytes, not {key!r}")
        # The claims map and ext take two of the MAX_DEPTH levels (§3.3).
        check(ext, depth=7)
        # Frozen, with keys in deterministic order (§3.2), whatever was given.
        object.__setattr__(self, "ext", freeze(cast(Value, dict(ext))))
        for name in crit:
            if type(name) is not str or name not in ext:
                raise _fail(f"crit names {name!r}, which is not an ext key")
        if len(set(crit)) != len(crit):
            raise _fail("crit keys must be distinct")

    def _claims(self) -> dict[int | str, Value]:
        # Keys inserted in ascending order: the encoding keeps this order (§3.2).
        out: dict[int | str, Value] = {
            _ISS: self.issuer,
            _SUB: self.subject,
            _EXP: self.expires,
            _NBF: self.not_before,
            _IAT: self.issued_at,
            _VERSION: self.version,
            _ENDPOINTS: [ep._claims() for ep in self.endpoints],
        }
        if self.capabilities:
            out[_CAPABILITIES] = list(self.capabilities)
        if self.ext:
            out[_EXT] = self.ext  # type: ignore[assignment]  # a frozendict is a map
        if self.crit:
            out[_CRIT] = list(self.crit)
        return out


def _subject(value: object) -> None:
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
    _remember(_good_subjects, text, None)


# Any provider, region and CPU: only the capability component is checked.
_CAPS_PREFIX: Final = "ucid:a/aa/a/"


def _capabilities(caps: tuple[object, ...], subject: str) -> None:
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
    _remember(_good_caps, (joined, subject), None)


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
        _zone(self.parent, "iss")
        child = _zone(self.child, "sub")
        if child != self.parent and not child.endswith("." + self.parent):
            raise _fail(f"{child!r} is not within the zone {self.parent!r}")
        keys = _tuple(self, "keys")
        if not 1 <= len(keys) <= 2:
            raise _fail("a delegation names one key, or two during a rollover")
        if any(type(k) is not VerifyKey for k in keys):
            raise _fail("keys must be VerifyKey values")
        if len(keys) == 2 and keys[0] == keys[1]:
            raise _fail("the two keys must differ")
        _uint(self.version, "version")
        _times(self, MAX_DELEGATION_VALIDITY)

    def _claims(self) -> dict[int | str, Value]:
        return {
            _ISS: self.parent,
            _SUB: self.child,
            _EXP: self.expires,
            _NBF: self.not_before,
            _IAT: self.issued_at,
            _VERSION: self.version,
            _KEYS: [k.raw for k in self.keys],
        }


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


def _descriptor(payload: bytes) -> Descriptor:
    c = _claim_map(payload, _DESCRIPTOR_CLAIMS, _DESCRIPTOR_OPTIONAL)
    endpoints = []
    for item in _list(c[_ENDPOINTS], "endpoints"):
        if type(item) is not dict or not item.keys() <= _ENDPOINT_KEYS:
            raise _fail("an endpoint must be a map with keys 0..7")
        if not item.keys() >= _ENDPOINT_REQUIRED:
            raise _fail(f"an endpoint lacks {sorted(_ENDPOINT_REQUIRED - item.keys())}")
        # "in", not get(): a null alpn or region is not an absent one (§6.1.2).
        alpn = tuple(_list(item[_ALPN], "alpn")) if _ALPN in item else ()
        region = _text(item[_REGION], "region") if _REGION in item else None
        endpoints.append(
            Endpoint(
                item[_TRANSPORT],  # type: ignore[arg-type]  # __post_init__ checks types
                item[_PROTOCOL],  # type: ignore[arg-type]
                item[_HOST],  # type: ignore[arg-type]
                item[_PORT],  # type: ignore[arg-type]
                item[_PRIORITY],  # type: ignore[arg-type]
                item[_WEIGHT],  # type: ignore[arg-type]
                alpn,  # type: ignore[arg-type]
                region,
            )
        )
    caps = tuple(_list(c[_CAPABILITIES], "capabilities")) if _CAPABILITIES in c else ()
    crit = tuple(_list(c[_CRIT], "crit")) if _CRIT in c else ()
    ext = c[_EXT] if _EXT in c else _empty_ext()
    if _EXT in c and (type(ext) is not dict or not ext):
        raise _fail("ext must be a non-empty map")
    return Descriptor(
        c[_ISS],  # type: ignore[arg-type]  # __post_init__ checks every type
        c[_SUB],  # type: ignore[arg-type]
        c[_VERSION],  # type: ignore[arg-type]
        c[_IAT],  # type: ignore[arg-type]
        c[_NBF],  # type: ignore[arg-type]
        c[_EXP],  # type: ignore[arg-type]
        tuple(endpoints),
        caps,  # type: ignore[arg-type]
        ext,  # type: ignore[arg-type]
        crit,  # type: ignore[arg-type]
    )


def _delegation(payload: bytes) -> Delegation:
    c = _claim_map(payload, _DELEGATION_CLAIMS, frozenset())
    keys = []
    for raw in _list(c[_KEYS], "keys"):
        if type(raw) is not bytes or len(raw) != 32:
            raise _fail("a key is a 32-byte Ed25519 public key")
        keys.append(VerifyKey(raw))
    return Delegation(
        c[_ISS],  # type: ignore[arg-type]  # __post_init__ checks every type
        c[_SUB],  # type: ignore[arg-type]
        tuple(keys),
        c[_VERSION],  # type: ignore[arg-type]
        c[_IAT],  # type: ignore[arg-type]
        c[_NBF],  # type: ignore[arg-type]
        c[_EXP],  # type: ignore[arg-type]
    )


# ------------------------------------------------------ payload fast path
# A descriptor payload read straight from its bytes, for the common case: the
# only key orders §6.1 and §6.2 allow, every head in its deterministic form
# (§3.2.1), every text ASCII. Anything else makes the reader decline, and
# _descriptor (the strict decoder, then the value checks) decides and says
# why. So the reader need not explain; it must only never accept what that
# path rejects, and build an equal Descriptor (tests/property checks both on
# mutated payloads). It skips no rule: each value is checked as __post_init__
# checks it, before the objects are built without running it again.
#
# Regular expressions split the bytes into parts. Each text runs up to the
# byte that must follow it (the next key, or for a region a map head or the
# capabilities' key, which no region holds), so the split is the only one
# possible; each text's length is then compared with the one its head
# declares, which makes the split the decoder's. The parts that repeat across
# descriptors (a zone, a subject, a host, the rest of an endpoint, a list of
# capabilities) are memoised by their bytes with their checked values, as the
# identifier parser memoises its components: a hit stands for the same bytes,
# checked the same way.


class _Decline(Exception):
    """Internal: the fast reader leaves this payload to the full decoder."""


# What a declining reader may raise: its own signal, a read past the end, a
# non-ASCII text, and a failed value check.
_DECLINE: Final = (_Decline, IndexError, UnicodeDecodeError, EncodingError, OversizeError)

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
_UINT_MASK: Final = (0, 0xFF, 0xFF, 0xFFFF, 0, 0xFFFFFFFF, 0, 0, 0, _UINT64_MAX)
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
_PART_MEMOS: Final = (_iss_parts, _sub_parts, _host_parts, _ep_parts, _caps_parts)


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
        raise _Decline
    return text.decode("ascii")


def _part_texts(raw: bytes) -> tuple[str, ...]:
    """An array, exactly: its head and its texts of 1 to 23 characters (heads
    "a" to "w"), as the patterns match them."""
    count = raw[0] - 0x80
    if not 0 < count < 24:
        raise _Decline
    out = []
    p = 1
    for _ in range(count):
        end = p + raw[p] - 0x5F
        if not p + 1 < end < p + 25:
            raise _Decline
        out.append(raw[p + 1 : end].decode("ascii"))
        p = end
    if p != len(raw):
        raise _Decline
    return tuple(out)


def _u16_at(raw: bytes, p: int) -> tuple[int, int]:
    """An integer as _U16 matches it, at ``raw[p]``, and where it ends."""
    b = raw[p]
    size = 1 if b < 0x18 else 2 if b == 0x18 else 3
    return int.from_bytes(raw[p : p + size], "big") & _UINT_MASK[size], p + size


def _iss_part(raw: bytes) -> str:
    issuer = _zone(_part_text(raw), "iss")
    _remember(_iss_parts, raw, issuer)
    return issuer


def _sub_part(raw: bytes) -> str:
    subject = _part_text(raw)
    _subject(subject)
    _remember(_sub_parts, raw, subject)
    return subject


def _host_part(raw: bytes) -> str:
    host = _host(_part_text(raw))
    _remember(_host_parts, raw, host)
    return host


def _ep_part(
    lead: bytes, rest: bytes
) -> tuple[str, str, int, tuple[str, ...], int, int, str | None]:
    """An endpoint but its host, checked as Endpoint.__post_init__ checks it."""
    cut = lead[2] - 0x5D  # key 1, after the transport
    if lead[cut] != _PROTOCOL:
        raise _Decline
    transport = lead[3:cut].decode("ascii")
    protocol = _part_text(lead[cut + 1 :])
    # The keys are where the pattern put them; checked again all the same.
    port, p = _u16_at(rest, 1)
    alpn: tuple[str, ...] = ()
    if rest[p] == _ALPN:
        end = rest.find(_PRIORITY, p)  # the pattern's alpn part holds no 5: this is key 5
        alpn = _part_texts(rest[p + 1 : end])
        if len(set(alpn)) != len(alpn) or not all(map(_ALPN_RE, alpn)):
            raise _Decline
        p = end
    if rest[p] != _PRIORITY:
        raise _Decline
    priority, p = _u16_at(rest, p + 1)
    if rest[p] != _WEIGHT:
        raise _Decline
    weight, p = _u16_at(rest, p + 1)
    region = None
    if p < len(rest):
        if rest[p] != _REGION:
            raise _Decline
        region = _part_text(rest[p + 1 :])
    if (
        transport not in TRANSPORTS
        or not _PROTOCOL_RE(protocol)
        or not port
        or not priority
        or (region is not None and not _REGION_RE(region))
        or lead[0] - 0xA6 != bool(alpn) + (region is not None)
    ):
        raise _Decline
    value = (transport, protocol, port, alpn, priority, weight, region)
    _remember(_ep_parts, (lead, rest), value)
    return value


def _caps_part(key: tuple[bytes, bytes], subject: str) -> tuple[str, ...]:
    caps = _part_texts(key[0])
    _capabilities(caps, subject)
    _remember(_caps_parts, key, caps)
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
        raise _Decline
    if end > len(d):
        raise _Decline
    return d[p:end].decode("ascii"), end


def _rd_texts(d: bytes, p: int) -> tuple[tuple[str, ...], int]:
    """A non-empty array of fewer than 24 ASCII texts at ``d[p]``, and its end."""
    count = d[p] - 0x80
    if not 0 < count < 24:
        raise _Decline
    p += 1
    out = []
    for _ in range(count):
        text, p = _rd_text(d, p)
        out.append(text)
    return tuple(out), p


# Values built without __post_init__, once the reader has checked them. A
# frozen dataclass refuses attribute assignment, and each slot's own setter
# is a slow call; so each value is filled in as a mutable twin with the very
# same slots, which then becomes the real class (same layout, so __class__
# may change): a third of the cost, and the result is an ordinary instance.
_EndpointDraft: Final = type("_EndpointDraft", (), {"__slots__": Endpoint.__slots__})
_DescriptorDraft: Final = type("_DescriptorDraft", (), {"__slots__": Descriptor.__slots__})
_new = object.__new__


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
        ep: Any = _new(_EndpointDraft)
        ep.transport = transport
        ep.protocol = protocol
        ep.host = host
        ep.port = port
        ep.priority = priority
        ep.weight = weight
        ep.alpn = alpn
        ep.region = region
        ep.__class__ = Endpoint
        endpoints.append(ep)
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
                raise _Decline
    return tuple(endpoints)


_NO_EXT: Final = _empty_ext()


def _read_descriptor(d: bytes) -> Descriptor:
    """A descriptor payload (§6.1), checked as Descriptor.__post_init__ checks
    it. Raises one of _DECLINE when it does not accept."""
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
            raise _Decline
        if caps_raw is not None:
            caps_key = (caps_raw, sub_raw)
            caps = _caps_parts.get(caps_key) or _caps_part(caps_key, subject)
        count = d[m.end(7) + 1] - 0x80  # the endpoints' array head, after version
        endpoints = _endpoints(g, count, _FIRST_ENDPOINT_GROUP[count])
    else:  # any other shape, a part at a time
        m = _CLAIMS_HEAD(d)
        if m is None:
            raise _Decline
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
                raise _Decline
            parts += e.groups()
            p = e.end()
        endpoints = _endpoints(parts, count, 0)
        last = _ENDPOINTS
        for _ in range(g[0][0] - 0xA7):  # the optional claims, in key order
            key = d[p]
            if not last < key <= _CRIT:
                raise _Decline
            last = key
            if key == _EXT:
                # The claims map is depth 1 of MAX_DEPTH (§3.3.2), as in decode().
                ext, p = decode_at(d, p + 1, MAX_DEPTH - 1)
                if type(ext) is not dict or not ext:
                    raise _Decline
            elif key == _CAPABILITIES:
                caps, p = _rd_texts(d, p + 1)
                _capabilities(caps, subject)
            else:
                crit, p = _rd_texts(d, p + 1)
        if p != len(d):
            raise _Decline
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
        raise _Decline
    draft: Any = _new(_DescriptorDraft)
    draft.issuer = issuer
    draft.subject = subject
    draft.version = int.from_bytes(version, "big") & _UINT_MASK[len(version)]
    draft.issued_at = issued_at
    draft.not_before = not_before
    draft.expires = expires
    draft.endpoints = endpoints
    draft.capabilities = caps
    draft.ext = _NO_EXT if ext is None else ext
    draft.crit = crit
    draft.__class__ = Descriptor
    desc: Descriptor = draft
    if ext is not None or crit:
        desc._check_ext()  # checks ext and crit, and freezes ext
    return desc


def _fast_descriptor(payload: bytes) -> Descriptor | None:
    """The payload's Descriptor by the fast reader, or None when it declines."""
    try:
        return _read_descriptor(payload)
    except _DECLINE:
        return None


# ----------------------------------------------------------------- signing


def _sign1(payload: bytes, typ: str, key: SigningKey) -> bytes:
    if not isinstance(key, SigningKey):
        raise TypeError(f"key must be a SigningKey, not {type(key).__name__}")
    protected = _HEAD_EDDSA + key.kid + _TYP_TAILS[typ]
    # §7: check the size before spending a signature on it.
    size = 2 + 2 + len(protected) + 1 + len(encode_head(2, len(payload))) + len(payload) + 66
    if size > MAX_SIGNED:
        raise OversizeError(f"the signed record would be {size} bytes; the limit is {MAX_SIGNED}")
    signature = key.sign(sig_structure(protected, payload))
    return encode_sign1(protected, _EMPTY_MAP, payload, signature)


def sign(record: Descriptor | Delegation, key: SigningKey) -> bytes:
    """The signed record: a tagged COSE_Sign1 of at most :data:`MAX_SIGNED` bytes.

    A :class:`Delegation` must name a child below its parent; an anchor
    rotation (parent == child) is made with :func:`sign_rotation`.
    """
    if type(record) is Descriptor:
        return _sign1(encode_payload(record), TYP_DESCRIPTOR, key)
    if type(record) is Delegation:
        if record.child == record.parent:
            raise _fail("a delegation's child must be below its parent; see sign_rotation")
        return _sign1(encode_payload(record), TYP_DELEGATION, key)
    raise TypeError(f"cannot sign a {type(record).__name__}")


def sign_rotation(
    record: Delegation, old_key: SigningKey, new_key: SigningKey
) -> tuple[bytes, bytes]:
    """The two signed copies of an anchor rotation (§10): by an old key, by a new one."""
    if type(record) is not Delegation:
        raise TypeError(f"an anchor rotation is a Delegation, not {type(record).__name__}")
    if record.child != record.parent:
        raise _fail("an anchor rotation names the same zone as parent and child")
    if new_key.verify_key not in record.keys:
        raise _fail("the new key must be one of the record's keys")
    if old_key.kid == new_key.kid:
        raise _fail("the old and the new key must differ")
    payload = encode_payload(record)
    return _sign1(payload, TYP_ANCHOR, old_key), _sign1(payload, TYP_ANCHOR, new_key)


# --------------------------------------------------------------- verifying


def _open(data: bytes, keys: Keys, typ: str) -> tuple[bytes, bytes]:
    """§8.2 steps 1-6: size, envelope, headers, key, signature. Returns (payload, kid)."""
    if type(data) is not bytes:
        if not isinstance(data, (bytearray, memoryview)):
            raise EncodingError(f"a signed record is bytes, not {type(data).__name__}")
        data = bytes(data)
    n = len(data)
    if n > MAX_SIGNED:
        raise OversizeError(f"{n} bytes exceed the limit of {MAX_SIGNED}")
    lead, tail = _SHAPES[typ]
    q = 4 + lead[3]  # where the unprotected header is, in the one shape
    start = _payload_start(data, lead)
    if start and data[4:10] in (_HEAD_EDDSA, _HEAD_ED25519) and data[4 + _KID_END : q] == tail:
        # The one shape with its one protected header (§4.2.3). The
        # Sig_structure (§4.5.1) reuses the record's byte-string heads, with
        # "40" (the empty external_aad) where the record has "a0".
        kid = data[10 : 4 + _KID_END]
        key = keys.get(kid) if type(keys) is dict else None  # _select's first case, inline
        if key is None or key.kid != kid:
            key = _select(keys, kid)
        to_sign = _SIG1 + data[2:q] + b"\x40" + data[q + 1 : n - 66]
        verify_signature(key.raw, to_sign, data[n - 64 :])
        return data[start : n - 66], kid
    parts = _envelope(data, len(tail))
    unprotected = False
    if parts is None:  # not the one expected shape: decode it all, to say why
        msg = decode_sign1(data, max_size=MAX_SIGNED)
        if len(msg.signature) != 64:
            raise _fail(f"the signature must be 64 bytes, not {len(msg.signature)}")
        parts = msg.protected, msg.payload, msg.signature
        unprotected = bool(msg.unprotected)
    protected, payload, signature = parts
    head = protected[: len(_HEAD_EDDSA)]
    if head in (_HEAD_EDDSA, _HEAD_ED25519) and protected[_KID_END:] == tail:
        kid = protected[len(_HEAD_EDDSA) : _KID_END]
    else:
        _bad_header(protected, typ)  # always raises, saying what is wrong
    if unprotected:
        raise _fail("the unprotected header must be empty")
    key = _select(keys, kid)
    verify_signature(key.raw, sig_structure(protected, payload), signature)
    return payload, kid


# Per typ: the first four bytes of a record in the one shape (tag 18, an array
# of four, the protected header's byte-string head), and the header's tail.
_SHAPES: Final = {
    typ: (b"\xd2\x84\x58" + bytes((_KID_END + len(tail),)), tail)
    for typ, tail in _TYP_TAILS.items()
}
# RFC 9052 §4.4: the Sig_structure's array head and context text.
_SIG1: Final = b"\x84\x6aSignature1"


def _envelope(data: bytes, tail: int) -> tuple[bytes, bytes, bytes] | None:
    """The parts of a record in the only shape §4 allows, read by position, or None.

    18([ bstr(protected), {}, bstr(payload), bstr(64-byte signature) ]): the
    protected header has a fixed length per typ, the unprotected map is
    empty, so only the payload's head varies. None sends the caller to the
    full decoder, which accepts the same records and explains any other.
    """
    size = _KID_END + tail
    start = _payload_start(data, b"\xd2\x84\x58" + bytes((size,)))
    if not start:
        return None
    n = len(data)
    return data[4 : 4 + size], data[start : n - 66], data[n - 64 :]


def _payload_start(data: bytes, lead: bytes) -> int:
    """Where the payload starts in a record of the one shape that begins with
    ``lead`` (whose last byte is the protected header's length), or 0."""
    n = len(data)
    q = 4 + lead[3]
    if n < q + 68 or not data.startswith(lead):
        return 0
    if data[q] != 0xA0 or data[n - 66] != 0x58 or data[n - 65] != 0x40:
        return 0
    b = data[q + 1]
    if 0x40 <= b < 0x58:
        start, length = q + 2, b - 0x40
    elif b == 0x58 and data[q + 2] >= 24:
        start, length = q + 3, data[q + 2]
    elif b == 0x59 and data[q + 2] != 0:  # RFC 8949 §4.2.1: shortest head, so >= 256
        start, length = q + 4, (data[q + 2] << 8) | data[q + 3]
    else:
        return 0
    return start if start + length == n - 66 else 0


def _bad_header(protected: bytes, typ: str) -> NoReturn:
    header = decode(protected, max_size=MAX_SIGNED)
    if type(header) is not dict or header.keys() != {HEADER_ALG, HEADER_KID, HEADER_TYP}:
        raise _fail("the protected header must hold exactly alg (1), kid (4) and typ (16)")
    alg = header[HEADER_ALG]
    if alg not in (ALG_EDDSA, ALG_ED25519) or type(alg) is not int:
        raise _fail(f"alg {alg!r} is not accepted; only -8 (EdDSA) and -19 (Ed25519)")
    kid = header[HEADER_KID]
    if type(kid) is not bytes or len(kid) != 32:
        raise _fail("kid must be a 32-byte RFC 9679 thumbprint")
    if header[HEADER_TYP] != typ:
        raise _fail(f"typ is {header[HEADER_TYP]!r}, expected {typ!r}")
    raise _fail("the protected header is not in its deterministic form")  # pragma: no cover


def _select(keys: Keys, kid: bytes) -> VerifyKey:
    """§5.2: the key whose thumbprint is kid, and no other is tried."""
    if type(keys) is dict or isinstance(keys, Mapping):
        key = keys.get(kid)
        if key is not None and key.kid == kid:
            return key
    else:
        for key in keys:
            if key.kid == kid:
                return key
    raise UnknownKeyError(f"no trusted key has kid {kid.hex()}")


def _skew(skew: int) -> int:
    if type(skew) is not int or not 0 <= skew <= MAX_SKEW:
        raise ValueError(f"skew must be an int in 0..{MAX_SKEW} seconds")
    return skew


def _validity(rec: Descriptor | Delegation, now: int, skew: int) -> None:
    """§8.3.1: valid exactly when ``start - skew <= now < exp + skew``, start = max(nbf, iat)."""
    if type(now) is not int:
        raise TypeError("now must be an int of seconds since the epoch")
    start = rec.not_before if rec.not_before > rec.issued_at else rec.issued_at  # the max
    if now < start - skew:
        raise NotYetValidError(
            f"valid from {start} (less {skew} s of skew); now is {now}", start - skew
        )
    if now >= rec.expires + skew:
        raise ExpiredError(f"expired at {rec.expires} (plus {skew} s of skew); now is {now}")


def _rollback(rec: _R, seen: Mapping[str, _R] | None, name: str, payload: bytes) -> None:
    """§8.5.2: lower versions are rejected, and so is version N with other payload bytes."""
    if not seen:
        return
    before = seen.get(name)
    if before is None:
        return
    if rec.version < before.version:
        raise RollbackError(f"version {rec.version} of {name} is older than {before.version}")
    if rec.version == before.version and before is not rec and encode_payload(before) != payload:
        raise RollbackError(f"version {rec.version} of {name} was seen with other claims")


def verify(
    data: bytes,
    keys: Keys,
    *,
    now: int,
    seen_versions: Mapping[str, Descriptor] | None = None,
    skew: int = DEFAULT_SKEW,
    issuer: str | None = None,
    extensions: Collection[str] = (),
) -> Descriptor:
    """Verify a signed descriptor at time ``now`` and return it (§8).

    ``keys`` are the issuing zone's trusted keys; the one whose kid is in the
    header is used and no other. ``seen_versions`` maps a subject to the last
    descriptor accepted for it. ``issuer``, when given, must equal iss.
    ``extensions`` are the ext keys this caller understands, for crit.

    Raises, in the order of §8.2: :class:`OversizeError`, :class:`EncodingError`
    (``ProfileError`` for CBOR faults), :class:`UnknownKeyError`,
    :class:`SignatureError`, :class:`DescriptorError` (issuer),
    :class:`CriticalExtensionError`, :class:`NotYetValidError`,
    :class:`ExpiredError`, :class:`RollbackError`. A ``skew`` outside
    0..:data:`MAX_SKEW` is a ValueError and a non-int ``now`` a TypeError:
    faults of the caller, not of the record.
    """
    if skew is not DEFAULT_SKEW:  # the default is in range; any other value is checked
        skew = _skew(skew)
    if isinstance(extensions, str):  # "x-a" would otherwise "contain" "x"
        raise TypeError("extensions is a collection of ext keys, not one str")
    payload, _ = _open(data, keys, TYP_DESCRIPTOR)
    desc = _descriptors.get(payload)
    if desc is None:  # decoded only after the signature verified
        try:
            desc = _read_descriptor(payload)
        except _DECLINE:
            desc = None
        if desc is None:  # the fast reader declined: decode strictly, and say why
            desc = _descriptor(payload)
        if len(_descriptors) >= _MEMO_LIMIT:  # as _remember does
            _descriptors.clear()
        _descriptors[payload] = desc
    if issuer is not None and desc.issuer != issuer:
        raise DescriptorError(f"iss is {desc.issuer!r}, expected {issuer!r}")
    if desc.crit:
        for key in desc.crit:
            if key not in extensions:
                raise CriticalExtensionError(f"critical extension {key!r} is not understood")
    _validity(desc, now, skew)
    if seen_versions:
        _rollback(desc, seen_versions, desc.subject, payload)
    return desc


def verify_delegation(
    data: bytes,
    keys: Keys,
    *,
    now: int,
    seen_versions: Mapping[str, Delegation] | None = None,
    skew: int = DEFAULT_SKEW,
    issuer: str | None = None,
) -> Delegation:
    """Verify a delegation record with its parent zone's ``keys`` (§9).

    ``seen_versions`` maps a child zone to the last delegation accepted for it.
    """
    skew = _skew(skew)
    payload, _ = _open(data, keys, TYP_DELEGATION)
    record = _delegations.get(payload)
    if record is None:
        record = _delegation(payload)
        _remember(_delegations, payload, record)
    if record.child == record.parent:
        raise _fail("a delegation's child must be below its parent")
    if issuer is not None and record.parent != issuer:
        raise DescriptorError(f"iss is {record.parent!r}, expected {issuer!r}")
    _validity(record, now, skew)
    _rollback(record, seen_versions, record.child, payload)
    return record


def verify_rotation(
    by_old: bytes,
    by_new: bytes,
    anchors: Keys,
    *,
    now: int,
    seen_versions: Mapping[str, Delegation] | None = None,
    skew: int = DEFAULT_SKEW,
) -> Delegation:
    """Verify an anchor rotation (§10) against the current ``anchors``.

    ``by_old`` must verify with a current anchor; ``by_new`` must carry the
    same payload and verify with one of the record's keys that is not a
    current anchor. On success the record's keys are the zone's new anchors.
    """
    skew = _skew(skew)
    # §5.2: kids computed from the keys themselves, whatever a mapping says.
    current = anchors.values() if isinstance(anchors, Mapping) else anchors
    index = {k.kid: k for k in current}
    payload, _ = _open(by_old, index, TYP_ANCHOR)
    record = _delegation(payload)
    if record.child != record.parent:
        raise _fail("an anchor rotation names the same zone as parent and child")
    new_keys = {k.kid: k for k in record.keys if k.kid not in index}
    new_payload, _ = _open(by_new, new_keys, TYP_ANCHOR)
    if new_payload != payload:
        raise SignatureError("the two signatures of an anchor rotation cover different payloads")
    _validity(record, now, skew)
    _rollback(record, seen_versions, record.child, payload)
    return record


def decode_unverified(data: bytes) -> tuple[dict[Any, Any], Descriptor | Delegation]:
    """Decode a signed record WITHOUT verifying it: (protected header, record).

    For showing a record to people and for reading local state; never trust
    the result as if :func:`verify` had returned it.
    """
    msg = decode_sign1(data, max_size=MAX_SIGNED)
    header = decode(msg.protected, max_size=len(msg.protected))
    if not isinstance(header, dict):
        raise EncodingError("the protected header must be a map")
    typ = header.get(HEADER_TYP)
    if typ == TYP_DESCRIPTOR:
        return header, _descriptor(msg.payload)
    if typ in (TYP_DELEGATION, TYP_ANCHOR):
        return header, _delegation(msg.payload)
    raise EncodingError(f"unknown typ {typ!r}")
