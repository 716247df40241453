"""Ed25519 keys and key files (spec/descriptor.md §5)."""

from __future__ import annotations

import base64
import copy
import json
import os
import pickle
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from cid._cose import okp_thumbprint
from cid._errors import CidError, KeyFileError
from cid._keys import SigningKey, VerifyKey

# Copies of public vectors, with their sources: tests/vectors/external/README.md.
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "external"

# RFC 8032 §7.1 TEST 1
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
KID = "866eefbd6718c8846cd7ddfe43fc74ab1daac4538ff8514ea2ec2d410a415743"

posix = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def test_rfc8032_test_1() -> None:
    key = SigningKey(SEED)
    assert key.verify_key.raw == PUBLIC
    assert key.sign(b"") == SIGNATURE
    assert key.to_seed() == SEED
    assert key.kid.hex() == KID
    assert key.verify_key.kid == okp_thumbprint(PUBLIC)
    assert bytes(key.verify_key) == PUBLIC


def test_generate() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    assert a.kid != b.kid
    assert len(a.to_seed()) == 32
    assert SigningKey.from_seed(a.to_seed()).kid == a.kid


def test_verify_key_value() -> None:
    a, b = VerifyKey(PUBLIC), VerifyKey.from_bytes(bytearray(PUBLIC))  # type: ignore[arg-type]
    assert a == b and hash(a) == hash(b)
    assert a != VerifyKey(bytes(32))
    assert repr(a) == f"VerifyKey(kid={KID})"
    with pytest.raises(AttributeError):
        a.raw = bytes(32)  # type: ignore[misc]


@pytest.mark.parametrize("raw", [b"", bytes(31), bytes(33), "x" * 32, None])
def test_verify_key_length(raw: object) -> None:
    with pytest.raises(KeyFileError):
        VerifyKey(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [b"", bytes(31), bytes(33), "x" * 32, None])
def test_signing_key_length(seed: object) -> None:
    with pytest.raises(KeyFileError):
        SigningKey(seed)  # type: ignore[arg-type]


def test_secret_never_shown() -> None:
    key = SigningKey(SEED)
    for text in (repr(key), str(key), f"{key!r}", repr([key]), repr(key.verify_key)):
        assert SEED.hex() not in text
        assert base64.b64encode(SEED).decode() not in text
    assert repr(key) == f"SigningKey(kid={KID})"
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        copy.deepcopy(key)
    with pytest.raises(AttributeError):
        key._secret = b""
    with pytest.raises(AttributeError):
        key.__dict__  # noqa: B018


# ----------------------------------------------------------------------- PEM

PRIVATE_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n"
)
PUBLIC_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n"
)


def test_pem_round_trip() -> None:
    key = SigningKey(SEED)
    assert key.to_pem() == PRIVATE_PEM
    assert key.verify_key.to_pem() == PUBLIC_PEM
    assert SigningKey.from_pem(PRIVATE_PEM).kid == key.kid
    assert VerifyKey.from_pem(PUBLIC_PEM) == key.verify_key
    # Surrounding whitespace and CRLF line ends are fine.
    assert VerifyKey.from_pem("\r\n  " + PUBLIC_PEM.replace("\n", "\r\n")) == key.verify_key


def test_pkcs8_v2_with_public_key() -> None:
    der = bytes.fromhex("3051020101300506032b657004220420") + SEED + bytes.fromhex("812100")
    good = base64.b64encode(der + PUBLIC).decode()
    pem = f"-----BEGIN PRIVATE KEY-----\n{good}\n-----END PRIVATE KEY-----\n"
    assert SigningKey.from_pem(pem).verify_key.raw == PUBLIC
    bad = base64.b64encode(der + bytes(32)).decode()
    with pytest.raises(KeyFileError, match="does not match"):
        SigningKey.from_pem(f"-----BEGIN PRIVATE KEY-----\n{bad}\n-----END PRIVATE KEY-----\n")


def test_wycheproof_public_key_encodings() -> None:
    """Wycheproof gives each key as raw bytes, DER and PEM: all three agree with ours."""
    path = VECTORS / "wycheproof-ed25519_test.json"
    groups = json.loads(path.read_text())["testGroups"]
    for group in groups:
        raw = bytes.fromhex(group["publicKey"]["pk"])
        key = VerifyKey.from_pem(group["publicKeyPem"])
        assert key.raw == raw
        pem_body = "".join(key.to_pem().splitlines()[1:-1])
        assert base64.b64decode(pem_body).hex() == group["publicKeyDer"]


def _pem(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode()
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        PUBLIC_PEM,  # wrong label
        PRIVATE_PEM.replace("MC4C", "MC4C!"),  # not base64
        PRIVATE_PEM + PRIVATE_PEM,  # two blocks
        PRIVATE_PEM.replace("BEGIN PRIVATE KEY", "BEGIN ENCRYPTED PRIVATE KEY"),
        _pem("PRIVATE KEY", bytes.fromhex("302e020100300506032b657104220420") + SEED),  # X448 oid
        _pem("PRIVATE KEY", bytes.fromhex("302e020100300506032b657004220420") + SEED[:31]),
        _pem("PRIVATE KEY", bytes(48)),
    ],
)
def test_bad_private_pem(text: str) -> None:
    with pytest.raises(KeyFileError) as info:
        SigningKey.from_pem(text)
    assert SEED.hex() not in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        PRIVATE_PEM,
        _pem("PUBLIC KEY", bytes.fromhex("302a300506032b656e032100") + PUBLIC),  # X25519 oid
        _pem("PUBLIC KEY", bytes.fromhex("302a300506032b6570032100") + PUBLIC[:31]),
        _pem("PUBLIC KEY", bytes.fromhex("302a300506032b6570032100") + PUBLIC + b"\x00"),
    ],
)
def test_bad_public_pem(text: str) -> None:
    with pytest.raises(KeyFileError):
        VerifyKey.from_pem(text)


def test_pem_must_be_text() -> None:
    with pytest.raises(KeyFileError):
        VerifyKey.from_pem(PUBLIC_PEM.encode())  # type: ignore[arg-type]


# --------------------------------------------------------------------- files


@posix
def test_save_private_key(tmp_path: Path) -> None:
    key = SigningKey(SEED)
    path = tmp_path / "zone.key"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == PRIVATE_PEM
    assert SigningKey.load(path).kid == key.kid
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zone.key"]  # no temporary left


@posix
def test_save_private_key_ignores_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        SigningKey(SEED).save(tmp_path / "k")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600


@posix
def test_save_public_key(tmp_path: Path) -> None:
    key = SigningKey(SEED).verify_key
    key.save(str(tmp_path / "zone.pub"))
    assert stat.S_IMODE((tmp_path / "zone.pub").stat().st_mode) == 0o644
    assert VerifyKey.load(tmp_path / "zone.pub") == key


def test_no_overwrite_by_default(tmp_path: Path) -> None:
    path = tmp_path / "k"
    SigningKey(SEED).save(path)
    other = SigningKey.generate()
    with pytest.raises(KeyFileError, match="exists"):
        other.save(path)
    assert SigningKey.load(path).kid.hex() == KID
    other.save(path, overwrite=True)
    assert SigningKey.load(path).kid == other.kid
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k"]


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(KeyFileError, match="Input/output error"):
        SigningKey(SEED).save(tmp_path / "k")
    assert list(tmp_path.iterdir()) == []


def test_save_into_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError):
        SigningKey(SEED).save(tmp_path / "missing" / "k")


@posix
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o666])
def test_load_refuses_open_private_key(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "k"
    SigningKey(SEED).save(path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match="chmod 600") as info:
        SigningKey.load(path)
    assert SEED.hex() not in str(info.value)


@posix
def test_load_accepts_read_only(tmp_path: Path) -> None:
    path = tmp_path / "k"
    SigningKey(SEED).save(path)
    path.chmod(0o400)
    assert SigningKey.load(path).kid.hex() == KID


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError):
        SigningKey.load(tmp_path / "missing")
    with pytest.raises(KeyFileError):
        VerifyKey.load(tmp_path)  # a directory
    big = tmp_path / "big"
    big.write_text(PUBLIC_PEM + " " * 5000)
    with pytest.raises(KeyFileError, match="larger"):
        VerifyKey.load(big)
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff" * 10)
    with pytest.raises(KeyFileError, match="ASCII"):
        VerifyKey.load(binary)


def test_key_file_error_is_a_cid_error() -> None:
    assert issubclass(KeyFileError, CidError)


# ------------------------------------------------------------------- OpenSSL

openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@posix
@openssl
def test_openssl_reads_our_files(tmp_path: Path) -> None:
    key = SigningKey(SEED)
    key.save(tmp_path / "k")
    out = subprocess.run(
        ["openssl", "pkey", "-in", str(tmp_path / "k"), "-pubout"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out == PUBLIC_PEM


@posix
@openssl
def test_we_read_openssl_files(tmp_path: Path) -> None:
    path = tmp_path / "k"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(path)],
        check=True,
        capture_output=True,
    )
    path.chmod(0o600)
    key = SigningKey.load(path)
    public = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-pubout"], check=True, capture_output=True, text=True
    ).stdout
    assert VerifyKey.from_pem(public) == key.verify_key
