"""COSE_Sign1 with EdDSA over Ed25519, and COSE Key Thumbprints (spec/descriptor.md §4-§5).

The building blocks, with no policy: the descriptor module decides which
headers, types and keys are acceptable. Every libsodium call is here, so that
no ``nacl`` exception can escape the package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import nacl.bindings
import nacl.exceptions

from ._cbor import Value, decode, encode_head
from ._errors import EncodingError, OversizeError, SignatureError

__all__ = [
    "ALG_ED25519",
    "ALG_EDDSA",
    "HEADER_ALG",
    "HEADER_KID",
    "HEADER_TYP",
    "TAG_SIGN1",
    "Sign1",
    "cose_key_thumbprint",
    "decode_sign1",
    "encode_sign1",
    "okp_thumbprint",
    "sig_structure",
    "sign_signature",
    "thumbprint_input",
    "verify_signature",
]

#: RFC 9053 §2.2 "EdDSA" (deprecated by RFC 9864 but still what most peers send).
ALG_EDDSA: Final = -8
#: RFC 9864 §2.2 "Ed25519": EdDSA fully specified with curve Ed25519.
ALG_ED25519: Final = -19
#: RFC 9052 §2: "COSE_Sign1_Tagged = #6.18(COSE_Sign1)".
TAG_SIGN1: Final = 18
HEADER_ALG: Final = 1
HEADER_KID: Final = 4
#: RFC 9596 §2: the "typ" (type) header parameter.
HEADER_TYP: Final = 16

_SIGNATURE1: Final = b"\x6aSignature1"
_ED25519_SIG: Final = 64
_ED25519_KEY: Final = 32
# RFC 9679 §4: the required parameters of each key type, in a COSE_Key map.
_REQUIRED: Final[Mapping[int, tuple[int, ...]]] = {
    1: (1, -1, -2),  # OKP: kty, crv, x
    2: (1, -1, -2, -3),  # EC2: kty, crv, x, y
    3: (1, -1, -2),  # RSA: kty, n, e
    4: (1, -1),  # Symmetric: kty, k
}
# {1: 1 (OKP), -1: 6 (Ed25519), -2: h'<32 bytes>'}, deterministically encoded.
_OKP_ED25519_PREFIX: Final = b"\xa3\x01\x01\x20\x06\x21\x58\x20"


def _bstr(data: bytes) -> bytes:
    return encode_head(2, len(data)) + data


def sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """The bytes to be signed (RFC 9052 §4.4).

    Sig_structure = [ context : "Signature1", body_protected : empty_or_serialized_map,
                      external_aad : bstr, payload : bstr ]
    """
    return b"\x84" + _SIGNATURE1 + _bstr(protected) + _bstr(external_aad) + _bstr(payload)


def encode_sign1(protected: bytes, unprotected: bytes, payload: bytes, signature: bytes) -> bytes:
    """A tagged COSE_Sign1; ``unprotected`` is an already encoded header map.

    COSE_Sign1 = [ Headers, payload : bstr / nil, signature : bstr ]  (RFC 9052 §4.2)
    """
    return b"\xd2\x84" + _bstr(protected) + unprotected + _bstr(payload) + _bstr(signature)


@dataclass(frozen=True, slots=True)
class Sign1:
    """A decoded COSE_Sign1; ``protected`` stays serialised, as it is signed."""

    protected: bytes
    unprotected: Mapping[int | str, Value]
    payload: bytes
    signature: bytes


def decode_sign1(data: bytes, *, max_size: int) -> Sign1:
    """Decode a tagged COSE_Sign1 whose contents are inside the CBOR profile.

    The one tag the profile allows is this outermost 18 (one-byte head ``0xd2``).
    The signature must be an Ed25519 one, 64 bytes: any other length is an
    :class:`EncodingError` (spec/descriptor.md §4.1.1), not a SignatureError.
    """
    if len(data) > max_size:
        raise OversizeError(f"{len(data)} bytes exceed the limit of {max_size}")
    if data[:1] != b"\xd2":
        raise EncodingError("not a tagged COSE_Sign1 (it must start with tag 18, byte 0xd2)")
    value = decode(data, max_size=max_size, start=1)
    if type(value) is not list or len(value) != 4:
        raise EncodingError("a COSE_Sign1 is an array of four elements")
    protected, unprotected, payload, signature = value
    if type(protected) is not bytes:
        raise EncodingError("the protected header must be a byte string")
    if type(unprotected) is not dict:
        raise EncodingError("the unprotected header must be a map")
    if type(payload) is not bytes:
        raise EncodingError("the payload must be attached, as a byte string")
    if type(signature) is not bytes:
        raise EncodingError("the signature must be a byte string")
    # spec/descriptor.md §4.1.1: a signature of another length is a malformed
    # envelope (encoding, §8.2 step 2), found before any key is selected.
    if len(signature) != _ED25519_SIG:
        raise EncodingError(f"the signature must be 64 bytes, not {len(signature)}")
    return Sign1(protected, unprotected, payload, signature)


def sign_signature(secret: bytes, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature (RFC 8032 §5.1.6) of ``message``.

    ``secret`` is libsodium's 64-byte form (seed followed by public key).
    """
    # PyNaCl's binding does not check the length: a short key would be over-read.
    if type(secret) is not bytes or len(secret) != 2 * _ED25519_KEY:
        raise SignatureError("an Ed25519 secret key is 64 bytes in libsodium's form")
    try:
        return nacl.bindings.crypto_sign(message, secret)[:_ED25519_SIG]
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise SignatureError(f"cannot sign: {exc}") from exc


def verify_signature(public: bytes, message: bytes, signature: bytes) -> None:
    """Raise :class:`SignatureError` unless ``signature`` is a valid Ed25519
    signature of ``message`` by ``public`` (RFC 8032 §5.1.7).

    libsodium rejects S >= L, non-canonical and small-order points; a
    signature of any length but 64 bytes fails before it is looked at. (This
    is the primitive, for which such a signature is simply invalid, as in
    Wycheproof; in a signed record :func:`decode_sign1` has already rejected
    it as an :class:`EncodingError`, spec/descriptor.md §4.1.1.)
    """
    if len(signature) != _ED25519_SIG:
        raise SignatureError(f"an Ed25519 signature is 64 bytes, not {len(signature)}")
    if len(public) != _ED25519_KEY:
        raise SignatureError(f"an Ed25519 public key is 32 bytes, not {len(public)}")
    # bytes() of bytes is the same object, but not a free call: skip it then.
    if type(signature) is not bytes:
        signature = bytes(signature)
    if type(message) is not bytes:
        message = bytes(message)
    if type(public) is not bytes:
        public = bytes(public)
    try:
        nacl.bindings.crypto_sign_open(signature + message, public)
    except nacl.exceptions.BadSignatureError:
        raise SignatureError("the signature does not verify") from None
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise SignatureError(f"the signature does not verify: {exc}") from exc


def okp_thumbprint(x: bytes) -> bytes:
    """The RFC 9679 thumbprint (SHA-256, all 32 bytes) of an Ed25519 public key."""
    return hashlib.sha256(_OKP_ED25519_PREFIX + x).digest()


def cose_key_thumbprint(cose_key: Mapping[int, int | bytes | str]) -> bytes:
    """The RFC 9679 §3 thumbprint (SHA-256, not truncated) of any COSE_Key."""
    return hashlib.sha256(thumbprint_input(cose_key)).digest()


def thumbprint_input(cose_key: Mapping[int, int | bytes | str]) -> bytes:
    """The bytes RFC 9679 §3 hashes: the key type's required parameters (§4)
    only, in RFC 8949 §4.2.1 deterministic encoding, that is with keys sorted
    by their encoded bytes (so label -1, ``0x20``, sorts after 23 and before 24).
    """
    kty = cose_key.get(1)
    if type(kty) is not int or kty not in _REQUIRED:
        raise EncodingError(f"no thumbprint rule for key type {kty!r}")
    pairs = []
    for label in _REQUIRED[kty]:
        if label not in cose_key:
            raise EncodingError(f"key type {kty} requires parameter {label}")
        pairs.append((_scalar(label), _scalar(cose_key[label])))
    pairs.sort()
    return encode_head(5, len(pairs)) + b"".join(k + v for k, v in pairs)


def _scalar(value: int | bytes | str) -> bytes:
    if type(value) is int:
        return encode_head(0, value) if value >= 0 else encode_head(1, -1 - value)
    if type(value) is bytes:
        return _bstr(value)
    if type(value) is str:
        raw = value.encode("utf-8")
        return encode_head(3, len(raw)) + raw
    raise EncodingError(f"a key parameter cannot be {type(value).__name__}")
