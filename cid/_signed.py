"""Signing and verifying: the COSE_Sign1 envelope around a record's payload
(spec/descriptor.md §4, §5, §8-§10).

A sans-IO core: every function takes bytes, keys and the time ``now`` and
returns values or raises a :class:`DescriptorError`. Nothing here reads a clock,
a file or the network. Payloads are read by the fast reader
(``_descriptor_fast``) and, when it declines, by the strict decoder
(``_descriptor``), which decides and explains.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final, NoReturn, TypeAlias, TypeVar

from ._cbor import decode, encode_head
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
from ._descriptor import (
    DEFAULT_SKEW,
    MAX_SIGNED,
    MAX_SKEW,
    MEMO_LIMIT,
    TYP_ANCHOR,
    TYP_DELEGATION,
    TYP_DESCRIPTOR,
    Delegation,
    Descriptor,
    decode_delegation,
    decode_descriptor,
    encode_payload,
    remember,
)
from ._descriptor_fast import DECLINE, read_descriptor
from ._errors import (
    CriticalExtensionError,
    DescriptorError,
    EncodingError,
    ExpiredError,
    NotYetValidError,
    OversizeError,
    RollbackError,
    SignatureError,
    UnknownKeyError,
)
from ._keys import SigningKey, VerifyKey
from ._time import iso_time

__all__ = [
    "Keys",
    "decode_unverified",
    "open_signed",
    "sign",
    "sign_payload",
    "sign_rotation",
    "verify",
    "verify_delegation",
    "verify_rotation",
]

#: Trusted keys: a mapping from kid to key, or any iterable of keys.
Keys: TypeAlias = Mapping[bytes, VerifyKey] | Iterable[VerifyKey]

_R = TypeVar("_R", Descriptor, Delegation)

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


_descriptors: dict[bytes, Descriptor] = {}
_delegations: dict[bytes, Delegation] = {}

# ----------------------------------------------------------------- signing


def _tail(typ: str) -> bytes:
    tail = _TYP_TAILS.get(typ)
    return tail if tail is not None else _typ_tail(typ)


def sign_payload(payload: bytes, typ: str, key: SigningKey) -> bytes:
    """A COSE_Sign1 record (§4) of an already encoded payload under the media type
    ``typ``: for record types beside this module's (status records, ``_status``)."""
    return _sign1(payload, typ, key)


def _sign1(payload: bytes, typ: str, key: SigningKey) -> bytes:
    if not isinstance(key, SigningKey):
        raise TypeError(f"key must be a SigningKey, not {type(key).__name__}")
    protected = _HEAD_EDDSA + key.kid + _tail(typ)
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
            raise EncodingError("a delegation's child must be below its parent; see sign_rotation")
        return _sign1(encode_payload(record), TYP_DELEGATION, key)
    raise TypeError(f"cannot sign a {type(record).__name__}")


def sign_rotation(
    record: Delegation, old_key: SigningKey, new_key: SigningKey
) -> tuple[bytes, bytes]:
    """The two signed copies of an anchor rotation (§10): by an old key, by a new one."""
    if type(record) is not Delegation:
        raise TypeError(f"an anchor rotation is a Delegation, not {type(record).__name__}")
    if record.child != record.parent:
        raise EncodingError("an anchor rotation names the same zone as parent and child")
    if new_key.verify_key not in record.keys:
        raise EncodingError("the new key must be one of the record's keys")
    if old_key.kid == new_key.kid:
        raise EncodingError("the old and the new key must differ")
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
    shape = _SHAPES.get(typ)
    if shape is None:
        tail = _tail(typ)
        shape = (b"\xd2\x84\x58" + bytes((_KID_END + len(tail),)), tail)
    lead, tail = shape
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
            raise EncodingError(f"the signature must be 64 bytes, not {len(msg.signature)}")
        parts = msg.protected, msg.payload, msg.signature
        unprotected = bool(msg.unprotected)
    protected, payload, signature = parts
    head = protected[: len(_HEAD_EDDSA)]
    if head in (_HEAD_EDDSA, _HEAD_ED25519) and protected[_KID_END:] == tail:
        kid = protected[len(_HEAD_EDDSA) : _KID_END]
    else:
        _bad_header(protected, typ)  # always raises, saying what is wrong
    if unprotected:
        raise EncodingError("the unprotected header must be empty")
    key = _select(keys, kid)
    verify_signature(key.raw, sig_structure(protected, payload), signature)
    return payload, kid


def open_signed(data: bytes, keys: Keys, typ: str) -> tuple[bytes, bytes]:
    """§8.2 steps 1-6 for a record of media type ``typ``: size, envelope, headers, key
    and signature. Returns the payload, not yet interpreted, and the kid."""
    return _open(data, keys, typ)


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
        raise EncodingError("the protected header must hold exactly alg (1), kid (4) and typ (16)")
    alg = header[HEADER_ALG]
    if alg not in (ALG_EDDSA, ALG_ED25519) or type(alg) is not int:
        raise EncodingError(f"alg {alg!r} is not accepted; only -8 (EdDSA) and -19 (Ed25519)")
    kid = header[HEADER_KID]
    if type(kid) is not bytes or len(kid) != 32:
        raise EncodingError("kid must be a 32-byte RFC 9679 thumbprint")
    if header[HEADER_TYP] != typ:
        raise EncodingError(f"typ is {header[HEADER_TYP]!r}, expected {typ!r}")
    raise EncodingError("the protected header is not in its deterministic form")  # pragma: no cover


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
            f"valid from {iso_time(start)} (less {skew} s of skew); now is {iso_time(now)}",
            start - skew,
        )
    if now >= rec.expires + skew:
        raise ExpiredError(
            f"expired at {iso_time(rec.expires)} (plus {skew} s of skew); now is {iso_time(now)}"
        )


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
            desc = read_descriptor(payload)
        except DECLINE:
            desc = None
        if desc is None:  # the fast reader declined: decode strictly, and say why
            desc = decode_descriptor(payload)
        if len(_descriptors) >= MEMO_LIMIT:  # as remember does
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
        record = decode_delegation(payload)
        remember(_delegations, payload, record)
    if record.child == record.parent:
        raise EncodingError("a delegation's child must be below its parent")
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
    record = decode_delegation(payload)
    if record.child != record.parent:
        raise EncodingError("an anchor rotation names the same zone as parent and child")
    # §10.3: the second signature is a new key's. §10.4: a rotation that only retires
    # anchors (its keys a proper subset of them) has none; a key it keeps signs instead.
    new_keys = {k.kid: k for k in record.keys if k.kid not in index}
    if not new_keys and {k.kid for k in record.keys} < index.keys():
        new_keys = {k.kid: k for k in record.keys}
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
        return header, decode_descriptor(msg.payload)
    if typ in (TYP_DELEGATION, TYP_ANCHOR):
        return header, decode_delegation(msg.payload)
    raise EncodingError(f"unknown typ {typ!r}")
