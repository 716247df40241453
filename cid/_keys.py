"""Ed25519 keys for signed descriptors, and their files (spec/descriptor.md §5).

Files are PEM (RFC 7468) holding the RFC 8410 structures that OpenSSL reads and
writes: ``PRIVATE KEY`` (PKCS #8) and ``PUBLIC KEY`` (SubjectPublicKeyInfo).
The only I/O of the signed-descriptor code is here, in ``save`` and ``load``.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, NoReturn

import nacl.bindings
import nacl.exceptions

from ._cose import okp_thumbprint, sign_signature, verify_signature
from ._errors import KeyFileError
from .atomic import write_atomic

__all__ = ["SigningKey", "VerifyKey"]

_SEED: Final = 32
# RFC 8410 §7: OneAsymmetricKey v1 (no public key), algorithm id-Ed25519 (1.3.101.112),
# privateKey = OCTET STRING wrapping the 32-byte seed. OpenSSL writes this form.
_PKCS8_V1: Final = bytes.fromhex("302e020100300506032b657004220420")
# The same with version 2 and the [1] publicKey field after the seed (RFC 8410 §10.3).
_PKCS8_V2: Final = bytes.fromhex("3051020101300506032b657004220420")
_PKCS8_V2_PUB: Final = bytes.fromhex("812100")
# RFC 8410 §4: SubjectPublicKeyInfo with id-Ed25519 and a 32-byte BIT STRING.
_SPKI: Final = bytes.fromhex("302a300506032b6570032100")
_MAX_FILE: Final = 4096


@dataclass(frozen=True, slots=True, repr=False)
class VerifyKey:
    """An Ed25519 public key. ``kid`` is its RFC 9679 thumbprint (all 32 bytes)."""

    raw: bytes
    kid: bytes = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if type(self.raw) is not bytes or len(self.raw) != _SEED:
            raise KeyFileError("an Ed25519 public key is 32 bytes")
        object.__setattr__(self, "kid", okp_thumbprint(self.raw))

    def __repr__(self) -> str:
        return f"VerifyKey(kid={self.kid.hex()})"

    def __bytes__(self) -> bytes:
        return self.raw

    @classmethod
    def from_bytes(cls, raw: bytes) -> VerifyKey:
        """The key with these 32 bytes (RFC 8032 §5.1.5 encoding)."""
        return cls(bytes(raw))

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise :class:`SignatureError` unless ``signature`` is a valid Ed25519
        signature of ``message`` by this key, as spec/descriptor.md §4.5 verifies."""
        verify_signature(self.raw, message, signature)

    def to_pem(self) -> str:
        """``PUBLIC KEY`` PEM (RFC 8410 §4)."""
        return _pem_encode("PUBLIC KEY", _SPKI + self.raw)

    @classmethod
    def from_pem(cls, text: str) -> VerifyKey:
        """Read ``PUBLIC KEY`` PEM; anything but an Ed25519 key is refused."""
        der = _pem_decode(text, "PUBLIC KEY")
        if len(der) != len(_SPKI) + _SEED or not der.startswith(_SPKI):
            raise KeyFileError("not an Ed25519 SubjectPublicKeyInfo (RFC 8410)")
        return cls(der[len(_SPKI) :])

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write the PEM file atomically, mode 0644."""
        _write_atomic(Path(path), self.to_pem().encode("ascii"), 0o644, overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> VerifyKey:
        """Read a file written by :meth:`save` (or ``openssl pkey -pubout``)."""
        return cls.from_pem(_read(Path(path), private=False))


class SigningKey:
    """An Ed25519 private key.

    Its secret never appears in ``repr``, ``str`` or an exception message, and
    it cannot be pickled; :meth:`to_seed`, :meth:`to_pem` and :meth:`save` are
    the only ways out.
    """

    __slots__ = ("_secret", "_verify_key")
    _secret: bytes  # libsodium form: seed followed by public key
    _verify_key: VerifyKey

    def __init__(self, seed: bytes) -> None:
        """The key derived from a 32-byte seed (RFC 8032 §5.1.5)."""
        if type(seed) is not bytes or len(seed) != _SEED:
            raise KeyFileError("an Ed25519 private key seed is 32 bytes")
        try:
            public, secret = nacl.bindings.crypto_sign_seed_keypair(seed)
        except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
            raise KeyFileError("cannot derive an Ed25519 key from the seed") from exc
        object.__setattr__(self, "_secret", secret)
        object.__setattr__(self, "_verify_key", VerifyKey(public))

    @classmethod
    def generate(cls) -> SigningKey:
        """A new key from the operating system's random source."""
        return cls(os.urandom(_SEED))

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        return cls(bytes(seed))

    def to_seed(self) -> bytes:
        """The 32-byte seed: the secret itself. Handle with care."""
        return self._secret[:_SEED]

    @property
    def verify_key(self) -> VerifyKey:
        return self._verify_key

    @property
    def kid(self) -> bytes:
        return self._verify_key.kid

    def sign(self, message: bytes) -> bytes:
        """The raw 64-byte Ed25519 signature of ``message``."""
        return sign_signature(self._secret, message)

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid.hex()})"

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("SigningKey is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a SigningKey is not picklable; use to_pem() or save()")

    def to_pem(self) -> str:
        """``PRIVATE KEY`` PEM (PKCS #8 v1, RFC 8410 §7), as OpenSSL writes it."""
        return _pem_encode("PRIVATE KEY", _PKCS8_V1 + self.to_seed())

    @classmethod
    def from_pem(cls, text: str) -> SigningKey:
        """Read ``PRIVATE KEY`` PEM, PKCS #8 v1 or v2; anything but Ed25519 is refused."""
        der = _pem_decode(text, "PRIVATE KEY")
        n = len(_PKCS8_V1)
        if len(der) == n + _SEED and der.startswith(_PKCS8_V1):
            return cls(der[n:])
        v2_len = n + _SEED + len(_PKCS8_V2_PUB) + _SEED
        if (
            len(der) == v2_len
            and der.startswith(_PKCS8_V2)
            and der[n + _SEED : -_SEED] == (_PKCS8_V2_PUB)
        ):
            key = cls(der[n : n + _SEED])
            if key.verify_key.raw != der[-_SEED:]:
                raise KeyFileError("the public key in the file does not match its private key")
            return key
        raise KeyFileError("not an Ed25519 private key in PKCS #8 form (RFC 8410)")

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write the PEM file atomically with mode 0600.

        A temporary file in the same directory is written, flushed to disk and
        then linked (or, with ``overwrite``, renamed) into place, so ``path``
        never holds a partial key and is never readable by others.
        """
        _write_atomic(Path(path), self.to_pem().encode("ascii"), 0o600, overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SigningKey:
        """Read a file written by :meth:`save` (or ``openssl genpkey -algorithm ed25519``).

        On POSIX the file must not be accessible by group or others (like ssh).
        """
        return cls.from_pem(_read(Path(path), private=True))


# --------------------------------------------------------------------- PEM


def _pem_encode(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


def _pem_decode(text: str, label: str) -> bytes:
    """RFC 7468 §3 strict form: one block, the given label, base64 lines."""
    if not isinstance(text, str):
        raise KeyFileError("PEM text must be a str")
    lines = text.strip().splitlines()
    if (
        len(lines) < 3
        or lines[0].strip() != f"-----BEGIN {label}-----"
        or lines[-1].strip() != f"-----END {label}-----"
    ):
        raise KeyFileError(f"not a single PEM block labelled {label!r}")
    try:
        return base64.b64decode("".join(line.strip() for line in lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError("the PEM body is not valid base64") from None


# -------------------------------------------------------------------- files


def _read(path: Path, *, private: bool) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise KeyFileError(f"cannot open key file {str(path)!r}: {exc.strerror}") from exc
    try:
        # fstat on the open file, so the checked file is the one read.
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"key file {str(path)!r} is not a regular file")
        if private and os.name == "posix" and info.st_mode & 0o077:
            raise KeyFileError(
                f"private key file {str(path)!r} is accessible by group or others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); chmod 600 it"
            )
        data = os.read(fd, _MAX_FILE + 1)
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {str(path)!r}: {exc.strerror}") from exc
    finally:
        os.close(fd)
    if len(data) > _MAX_FILE:
        raise KeyFileError(f"key file {str(path)!r} is larger than {_MAX_FILE} bytes")
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError(f"key file {str(path)!r} is not ASCII PEM") from None


def _write_atomic(path: Path, data: bytes, mode: int, overwrite: bool) -> None:
    try:
        write_atomic(path, data, mode, overwrite=overwrite)
    except FileExistsError as exc:
        raise KeyFileError(f"{str(path)!r} exists; pass overwrite=True to replace it") from exc
    except OSError as exc:
        raise KeyFileError(f"cannot write key file {str(path)!r}: {exc.strerror}") from exc
