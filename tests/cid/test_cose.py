"""COSE_Sign1, Ed25519 and key thumbprints against published vectors (spec §4-§5).

- cose-wg/Examples eddsa-sig-01 (COSE_Sign1) and eddsa-01 (COSE_Sign);
- Wycheproof ed25519_test.json, through the signature check that verify() uses;
- RFC 9679 §6, the thumbprint example (an EC2 P-256 key).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

import cid._signed
from cid import _cose
from cid._cbor import ProfileError
from cid._cose import (
    Sign1,
    cose_key_thumbprint,
    decode_sign1,
    encode_sign1,
    okp_thumbprint,
    sig_structure,
    sign_signature,
    thumbprint_input,
    verify_signature,
)
from cid._errors import EncodingError, OversizeError, SignatureError
from cid._keys import SigningKey

# Copies of public vectors, with their sources: tests/vectors/external/README.md.
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "external"


def _vector(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


def test_external_vectors_unchanged() -> None:
    """Every copied vector file is listed in the README, with the SHA-256 it has."""
    readme = (VECTORS / "README.md").read_text()
    listed = dict(re.findall(r"^\| `([^`]+)` \|[^\n]*?\| `([0-9a-f]{64})` \|", readme, re.M))
    files = {p.name for p in VECTORS.iterdir() if p.name != "README.md"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((VECTORS / name).read_bytes()).hexdigest() == digest, name


# ------------------------------------------------------------ cose-wg examples


def test_eddsa_sig_01_reproduced_exactly() -> None:
    """COSE_Sign1 with EdDSA: rebuild ToBeSign and the message from the inputs."""
    v = _vector("cose-eddsa-sig-01.json")
    sign0 = v["input"]["sign0"]
    assert sign0["protected"] == {"alg": "EdDSA", "ctyp": 0}
    assert sign0["unprotected"] == {"kid": "11"}
    key = SigningKey(bytes.fromhex(sign0["key"]["d_hex"]))
    assert key.verify_key.raw.hex() == sign0["key"]["x_hex"]

    protected = bytes.fromhex("a201270300")  # {1: -8, 3: 0}: alg EdDSA, content type 0
    unprotected = bytes.fromhex("a104423131")  # {4: h'3131'}: kid "11"
    payload = v["input"]["plaintext"].encode()
    to_be_signed = sig_structure(protected, payload)
    assert to_be_signed.hex() == v["intermediates"]["ToBeSign_hex"].lower()

    signature = key.sign(to_be_signed)  # Ed25519 is deterministic (RFC 8032 §5.1.6)
    message = encode_sign1(protected, unprotected, payload, signature)
    assert message.hex() == v["output"]["cbor"].lower()


def test_eddsa_sig_01_decodes_and_verifies() -> None:
    v = _vector("cose-eddsa-sig-01.json")
    message = bytes.fromhex(v["output"]["cbor"])
    msg = decode_sign1(message, max_size=4096)
    assert msg == Sign1(
        protected=bytes.fromhex("a201270300"),
        unprotected={4: b"11"},
        payload=b"This is the content.",
        signature=msg.signature,
    )
    public = bytes.fromhex(v["input"]["sign0"]["key"]["x_hex"])
    verify_signature(public, sig_structure(msg.protected, msg.payload), msg.signature)
    with pytest.raises(SignatureError):
        verify_signature(
            public, sig_structure(msg.protected, b"This is the content!"), msg.signature
        )


def test_eddsa_01_cose_sign_signature_verifies() -> None:
    """COSE_Sign (tag 98): the same Ed25519 primitive, with its own ToBeSign.

    Our records are only COSE_Sign1, so decode_sign1 refuses the message.
    """
    v = _vector("cose-eddsa-01.json")
    signer = v["input"]["sign"]["signers"][0]
    public = bytes.fromhex(signer["key"]["x_hex"])
    to_be_signed = bytes.fromhex(v["intermediates"]["signers"][0]["ToBeSign_hex"])
    message = bytes.fromhex(v["output"]["cbor"])
    signature = message[-64:]
    verify_signature(public, to_be_signed, signature)
    key = SigningKey(bytes.fromhex(signer["key"]["d_hex"]))
    assert key.sign(to_be_signed) == signature
    with pytest.raises(EncodingError):
        decode_sign1(message, max_size=4096)


# ----------------------------------------------------------------- Wycheproof
# Wycheproof marks some cases "acceptable": either result is allowed. This file
# (ed25519_test.json @ dac1dd47) has none. Should a later copy add some, record
# here the result we give and why: tcId -> "valid" | "invalid".
ACCEPTABLE: dict[int, str] = {}


def _wycheproof() -> list[tuple[int, str, bytes, bytes, bytes, str]]:
    data = _vector("wycheproof-ed25519_test.json")
    cases = []
    for group in data["testGroups"]:
        public = bytes.fromhex(group["publicKey"]["pk"])
        for t in group["tests"]:
            cases.append(
                (
                    t["tcId"],
                    t["result"],
                    public,
                    bytes.fromhex(t["msg"]),
                    bytes.fromhex(t["sig"]),
                    t["comment"] + " " + ",".join(t["flags"]),
                )
            )
    return cases


def test_wycheproof_file() -> None:
    cases = _wycheproof()
    assert len(cases) == 151
    results = [c[1] for c in cases]
    assert results.count("valid") == 88
    assert results.count("invalid") == 63
    for tc_id, result, *_ in cases:
        assert result != "acceptable" or tc_id in ACCEPTABLE, f"tcId {tc_id}: decide and document"


def test_wycheproof_all_cases() -> None:
    """Every case gives its expected result through verify()'s signature check."""
    wrong = []
    for tc_id, result, public, msg, sig, why in _wycheproof():
        expected = ACCEPTABLE.get(tc_id, result)
        try:
            verify_signature(public, msg, sig)
            got = "valid"
        except SignatureError:
            got = "invalid"
        if got != expected:
            wrong.append((tc_id, expected, got, why))
    assert wrong == []


def test_verify_uses_this_signature_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check Wycheproof exercises above is the one descriptor verify() calls."""
    assert getattr(cid._signed, "verify_signature") is _cose.verify_signature  # noqa: B009
    calls: list[tuple[bytes, bytes, bytes]] = []

    def spy(public: bytes, message: bytes, signature: bytes) -> None:
        calls.append((public, message, signature))
        _cose.verify_signature(public, message, signature)

    monkeypatch.setattr(cid._signed, "verify_signature", spy)
    key = SigningKey(bytes(32))
    record = cid.Descriptor(
        issuer="acme.example",
        subject="ucid:acme.example/cn-gd/x86-64",
        version=1,
        issued_at=0,
        not_before=0,
        expires=100,
        endpoints=(cid.Endpoint("tcp", "https", "acme.example", 443),),
    )
    signed = cid._signed.sign(record, key)
    cid._signed.verify(signed, [key.verify_key], now=50)
    assert len(calls) == 1
    public, message, signature = calls[0]
    assert public == key.verify_key.raw
    assert message.startswith(bytes.fromhex("846a5369676e617475726531"))
    assert signature == signed[-64:]


@pytest.mark.parametrize("length", [0, 32, 63, 65, 128])
def test_signature_length(length: int) -> None:
    key = SigningKey(bytes(32))
    sig = key.sign(b"m")
    with pytest.raises(SignatureError):
        verify_signature(key.verify_key.raw, b"m", (sig * 3)[:length])


@pytest.mark.parametrize("length", [0, 31, 33])
def test_public_key_length(length: int) -> None:
    key = SigningKey(bytes(32))
    with pytest.raises(SignatureError):
        verify_signature(bytes(length), b"m", key.sign(b"m"))


def test_sign_signature_wraps_errors() -> None:
    with pytest.raises(SignatureError):
        sign_signature(b"short", b"m")


# ----------------------------------------------------------------- thumbprints
# RFC 9679 §6: an EC2 P-256 key (the RFC has no Ed25519 example). Its kid is
# the thumbprint; the kid parameter itself does not take part.
RFC9679_X = bytes.fromhex("65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d")
RFC9679_Y = bytes.fromhex("1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c")
RFC9679_INPUT = (
    "a40102200121582065eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de"
    "108de439c08551d2258201e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0"
    "ca7ca7e9eecd0084d19c"
)
RFC9679_THUMBPRINT = "496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec"


def test_rfc9679_example() -> None:
    key: dict[int, int | bytes | str] = {
        1: 2,  # kty: EC2
        -1: 1,  # crv: P-256
        -2: RFC9679_X,
        -3: RFC9679_Y,
        2: bytes.fromhex(RFC9679_THUMBPRINT),  # kid: not part of the thumbprint
    }
    assert thumbprint_input(key).hex() == RFC9679_INPUT
    assert cose_key_thumbprint(key).hex() == RFC9679_THUMBPRINT
    # Map order in the input does not matter; optional parameters are dropped.
    shuffled: dict[int, int | bytes | str] = {
        2: b"other",
        -3: RFC9679_Y,
        3: -7,
        -2: RFC9679_X,
        -1: 1,
        1: 2,
    }
    assert cose_key_thumbprint(shuffled).hex() == RFC9679_THUMBPRINT


def test_okp_thumbprint_is_the_generic_one() -> None:
    for seed in (bytes(32), bytes(range(32)), b"\xff" * 32):
        x = SigningKey(seed).verify_key.raw
        generic = cose_key_thumbprint({1: 1, -1: 6, -2: x, 2: b"kid", 3: -8})
        assert okp_thumbprint(x) == generic
        assert thumbprint_input({1: 1, -1: 6, -2: x}) == bytes.fromhex("a301012006215820") + x


def test_thumbprint_key_types() -> None:
    assert thumbprint_input({1: 4, -1: b"k", 2: b"x"}).hex() == "a201042041" + "6b"
    assert thumbprint_input({1: 3, -1: b"\x01", -2: b"\x03"}).hex() == "a3010320410121" + "4103"
    with pytest.raises(EncodingError):
        thumbprint_input({1: 2, -1: 1, -2: RFC9679_X})  # EC2 without y
    with pytest.raises(EncodingError):
        thumbprint_input({1: 99})
    with pytest.raises(EncodingError):
        thumbprint_input({-1: 1})
    with pytest.raises(EncodingError):
        thumbprint_input({1: 1, -1: 6, -2: 1.5})  # type: ignore[dict-item]


# ---------------------------------------------------------------- envelope


def test_sig_structure_bytes() -> None:
    assert sig_structure(b"\xa0", b"p").hex() == "846a5369676e617475726531" + "41a0" + "40" + "4170"
    assert (
        sig_structure(b"", b"", b"aad").hex()
        == "846a5369676e617475726531" + "40" + "43616164" + "40"
    )


@pytest.mark.parametrize(
    ("hexdata", "error"),
    [
        ("", EncodingError),
        ("84404040 40", EncodingError),  # untagged
        ("d1 84 40 a0 40 40", EncodingError),  # tag 17
        ("d862 84 40 a0 40 40", EncodingError),  # tag 98
        ("d2 83 40 a0 40", EncodingError),
        ("d2 85 40 a0 40 40 40", EncodingError),
        ("d2 84 a0 a0 40 40", EncodingError),  # protected not a bstr
        ("d2 84 40 80 40 40", EncodingError),  # unprotected not a map
        ("d2 84 40 a0 f6 40", EncodingError),  # detached payload
        ("d2 84 40 a0 40 60", EncodingError),  # signature not a bstr
        ("d2 d2 84 40 a0 40 40", ProfileError),  # a second tag
        ("d2 84 40 a0 40 40 00", ProfileError),  # trailing
        ("d2 9f 40 a0 40 40 ff", ProfileError),  # indefinite
    ],
)
def test_decode_sign1_rejects(hexdata: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode_sign1(bytes.fromhex(hexdata.replace(" ", "")), max_size=4096)


def test_decode_sign1_size_first() -> None:
    with pytest.raises(OversizeError):
        decode_sign1(b"\xff" * 100, max_size=99)


# ------------------------------------------------- signature length (§4.1.1)
# A signature that is not 64 bytes is a malformed envelope (encoding), found by
# decoding, before any key is selected; only verify_signature, the Ed25519
# primitive, calls it an invalid signature (Wycheproof's truncated cases).


@pytest.mark.parametrize("length", [0, 1, 63, 65, 128])
def test_decode_sign1_signature_length(length: int) -> None:
    message = encode_sign1(b"\xa0", b"\xa0", b"p", bytes(length))
    with pytest.raises(EncodingError, match="64 bytes"):
        decode_sign1(message, max_size=4096)


def test_decode_sign1_signature_of_64_bytes() -> None:
    message = encode_sign1(b"\xa0", b"\xa0", b"p", bytes(64))
    assert decode_sign1(message, max_size=4096).signature == bytes(64)
