"""The "ed25519" area: verify_signature, the Ed25519 check of spec/descriptor.md §4.5.

Every case of Wycheproof's ``ed25519_test.json`` (the copy in
``tests/vectors/external``, read when the vectors are generated, never when they
are run), then a few the file lacks: small-order and non-canonical public keys
(§4.5.3), and the Sig_structure of the COSE working group's EdDSA example.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ._common import Area, Case

__all__ = ["ed25519_area"]

_EXTERNAL = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "external"

# Wycheproof flag -> the requirements its cases test besides §4.5.3's "every case".
_FLAG_REQS = {
    "SignatureMalleability": ("DS-4.5.3-2",),
    "InvalidEncoding": ("DS-4.5.3-3",),
    "InvalidSignature": ("DS-4.5.3-2", "DS-4.5.3-4"),
    "SignatureWithGarbage": ("DS-4.5.2-1",),
    "CompressedSignature": ("DS-4.5.2-1",),
    "TruncatedSignature": ("DS-4.5.2-1",),
}

OWN_FLAGS = {
    "small-order-key": "accepting a public key of small order (the "
    "identity, or another point of order "
    "8), for which any message verifies under the cofactored equation",
    "non-canonical-key": "accepting a public key whose y coordinate is "
    "encoded as p or more (not reduced)",
    "cose-example": "a COSE working group example (tests/vectors/external): its signature is valid "
    "Ed25519; as a record it is valid COSE but not a UCID record",
}


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _wycheproof() -> tuple[list[Case], dict[str, str]]:
    data = json.loads((_EXTERNAL / "wycheproof-ed25519_test.json").read_text())
    notes = data["notes"]
    cases, flags = [], {}
    for group in data["testGroups"]:
        pk = group["publicKey"]["pk"]
        for t in group["tests"]:
            sig = bytes.fromhex(t["sig"])
            wflags = [_kebab(f) for f in t["flags"]]
            for f in t["flags"]:
                flags[_kebab(f)] = f"Wycheproof {f}: {notes[f]['description']}"
            reqs = ["DS-4.5.3-6", "DS-4.5.3-1"]
            for f in t["flags"]:
                reqs.extend(_FLAG_REQS.get(f, ()))
            if t["result"] == "valid":
                expected = {"result": "valid", "output": {}}
            else:
                assert t["result"] == "invalid", t
                reqs.append("DS-4.5.3-5")
                # §4.5.3: a signature of another length than 64 bytes is invalid; inside a
                # record it is an encoding fault (§4.1.1), so either category will do here.
                codes = ["SIGNATURE"] if len(sig) == 64 else ["ENCODING", "SIGNATURE"]
                expected = {"result": "invalid", "errors": codes}
            comment = t["comment"] or f"Wycheproof tcId {t['tcId']}: {t['flags'][0]}"
            cases.append(
                Case(
                    operation="verify_signature",
                    input={"public_key": pk, "message": t["msg"], "signature": t["sig"]},
                    expected=expected,
                    requirements=reqs,
                    flags=wflags,
                    comment=comment,
                    profile="descriptor",
                    source=f"wycheproof ed25519_test.json tcId {t['tcId']}",
                )
            )
    return cases, flags


_IDENTITY = bytes([1]) + bytes(31)  # y = 1: the neutral element, of order 1
_ORDER_8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
_P_PLUS_1 = bytes([0xEE]) + b"\xff" * 30 + b"\x7f"  # y = p + 1, not reduced: the identity again


def _own() -> list[Case]:
    cases = []
    msg = b"ucid conformance"

    def add(pk: bytes, sig: bytes, flag: str, reqs: tuple[str, ...], comment: str) -> None:
        cases.append(
            Case(
                operation="verify_signature",
                input={"public_key": pk.hex(), "message": msg.hex(), "signature": sig.hex()},
                expected={"result": "invalid", "errors": ["SIGNATURE"]},
                requirements=("DS-4.5.3-1", "DS-4.5.3-5", *reqs),
                flags=(flag,),
                comment=comment,
                profile="descriptor",
            )
        )

    # R = identity, S = 0: [S]B = R + [k]A holds for A of small order whatever k is.
    add(
        _IDENTITY,
        _IDENTITY + bytes(32),
        "small-order-key",
        ("DS-4.5.3-4",),
        (
            "public key and R the identity, S = 0: verifies under "
            "the cofactored equation for any message"
        ),
    )
    add(
        _ORDER_8,
        _IDENTITY + bytes(32),
        "small-order-key",
        ("DS-4.5.3-4",),
        "public key a point of order 8, R the identity, S = 0",
    )
    add(
        _P_PLUS_1,
        _IDENTITY + bytes(32),
        "non-canonical-key",
        ("DS-4.5.3-3", "DS-4.5.3-4"),
        "public key y = p + 1 (the identity, not reduced), R the identity, S = 0",
    )

    sig01 = json.loads((_EXTERNAL / "cose-eddsa-sig-01.json").read_text())
    key = sig01["input"]["sign0"]["key"]["x_hex"]
    cbor = bytes.fromhex(sig01["output"]["cbor"])
    to_be_signed = bytes.fromhex(sig01["intermediates"]["ToBeSign_hex"])
    signature = cbor[-64:]
    cases.append(
        Case(
            operation="verify_signature",
            input={"public_key": key, "message": to_be_signed.hex(), "signature": signature.hex()},
            expected={"result": "valid", "output": {}},
            requirements=("DS-4.5.1-1", "DS-4.5.2-1", "DS-4.5.3-1"),
            flags=("cose-example",),
            comment=(
                "the Sig_structure and signature of the COSE example "
                "eddsa-sig-01 (RFC 8032 TEST 1 key)"
            ),
            profile="descriptor",
            source=(
                "cose-wg Examples eddsa-examples/eddsa-sig-01.json "
                "(intermediates.ToBeSign_hex, the signature of output.cbor)"
            ),
        )
    )
    return cases


def ed25519_area() -> Area:
    cases, flags = _wycheproof()
    cases.extend(_own())
    flags.update(OWN_FLAGS)
    return Area(
        name="descriptor-ed25519",
        prefix="ed",
        description="verify_signature: Ed25519 as spec/descriptor.md §4.5 verifies it; every case "
        "of Wycheproof ed25519_test.json, small-order and non-canonical keys, a COSE example.",
        cases=cases,
        flags=flags,
    )
