"""The "cose" and "descriptor" areas: verify_descriptor and encode_descriptor
(spec/descriptor.md §4-§8, §13)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cid

from ._cbor_bytes import bstr, enc, head
from ._common import Area, Case
from ._records import (
    ANCHOR,
    DAY,
    DELEG,
    DESC,
    T0,
    claims,
    desc_json,
    endpoint,
    envelope,
    key,
    kid,
    protected,
    pub,
    record,
    sig_structure,
)

__all__ = ["cose_area", "descriptor_area"]

_EXTERNAL = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "external"

#: The time of verification of most cases: an hour into the base descriptor's validity.
NOW = T0 + 3600

FLAGS = {
    "valid-record": "rejecting a record that every rule allows",
    "cose-tag": "accepting a record that is not tagged 18 exactly once, in its one-byte head d2",
    "envelope-shape": "accepting a COSE_Sign1 array of another length, "
    "or parts of the wrong CBOR type",
    "detached-payload": "accepting a detached (nil) payload",
    "signature-length": "treating a signature of another length than 64 bytes as a signature "
    "failure, or selecting a key before checking its length",
    "non-deterministic-envelope": "accepting an envelope or header that is not deterministically "
    "encoded (non-minimal heads, unsorted or duplicate keys)",
    "unprotected-header": "accepting parameters in the unprotected header, which are not signed",
    "alg": "accepting an alg other than -8 and -19, or rejecting -19",
    "header-labels": "accepting protected header labels other than alg, kid "
    "and typ, or a header without one of them",
    "kid-form": "accepting a kid that is not a 32-byte byte string, or computing the "
    "thumbprint otherwise than RFC 9679 (e.g. raw key, truncated hash)",
    "typ-confusion": "accepting a record of another typ than the one expected (a "
    "delegation as a descriptor), or any typ",
    "cose-example": "a COSE working group example (tests/vectors/external): its signature is valid "
    "Ed25519; as a record it is valid COSE but not a UCID record",
    "oversize": "not checking the 880-byte limit first, or checking it off by one",
    "nesting-depth": "not counting nesting depth, counting it off by one, or from the wrong "
    "item (a byte string holding CBOR starts a new count)",
    "key-selection": "trying every trusted key (KeyTrap) instead of the one whose kid the "
    "header names, or trusting a kid without recomputing it",
    "unknown-key": "not rejecting a record whose kid no trusted key has",
    "bad-signature": "not verifying the signature, or verifying it over the wrong bytes",
    "malleable-signature": "accepting S + L (a signature whose S is not reduced)",
    "re-encoded-payload": "verifying the signature over a re-encoded payload "
    "instead of the bytes received, "
    "or accepting a correctly signed payload that is not deterministic",
    "check-order": "checking the steps of §8.2 in another order, so "
    "that another category is reported",
    "payload-before-signature": "interpreting the payload before the signature verified",
    "claims": "accepting claims that break a rule of §6 (missing, unknown, empty, out of range)",
    "endpoint": "accepting an endpoint that breaks a rule of §6.2",
    "host-spelling": "accepting a host in another spelling than the one §6.2.2 allows "
    "(case, leading zeros, IPv6 not in RFC 5952 form)",
    "zone-name": "accepting an iss that is not a zone name (§6.3), or rejecting one that is",
    "subject": "accepting a sub that is not a UCID in canonical form, or a "
    "descriptor whose sub is not the identifier asked",
    "capabilities": "accepting capabilities that are not canonical, "
    "sorted, or omit the subject's attributes",
    "ext-crit": "mishandling ext and crit: rejecting unknown non-critical extensions, "
    "accepting unknown critical ones, crit not naming ext keys",
    "time-rules": "not enforcing nbf < exp, iat < exp and the maximum "
    "validity as rules of the payload",
    "validity-boundary": "off-by-one at start - skew or exp + skew, ignoring skew, or "
    "taking nbf instead of max(nbf, iat) as the start",
    "clock": "reading the clock instead of the given now",
    "issuer": "not comparing iss with the expected issuer",
    "rollback": "not rejecting a lower version, or the same version with other payload "
    "bytes (equivocation), or rejecting the same payload re-signed",
    "integer-range": "mishandling 64-bit unsigned integers (signed overflow, doubles)",
    "producer": "a producer that builds other claims than §13 maps the "
    "input to, or signs input that §13 rejects",
    "json-input": "mishandling the JSON input of §13: defaults, null as "
    "absent, unknown members, numbers with fractions",
}


def _ok(c: Mapping[int, Any], signer: str = "acme") -> dict[str, Any]:
    out: dict[str, Any] = {"kid": kid(signer).hex()}
    shown = desc_json(c)
    if shown is not None:
        out["descriptor"] = shown
    return {"result": "valid", "output": out}


def _err(*codes: str) -> dict[str, Any]:
    return {"result": "invalid", "errors": list(codes)}


def vd(
    signed: bytes,
    expected: dict[str, Any],
    reqs: Sequence[str],
    flags: Sequence[str],
    comment: str,
    *,
    keys: Sequence[str] = ("acme",),
    now: int = NOW,
    source: str = "",
    **extra: Any,
) -> Case:
    """A verify_descriptor case; ``extra`` adds skew, issuer, extensions or seen."""
    inp: dict[str, Any] = {"signed": signed.hex(), "keys": [pub(k) for k in keys], "now": now}
    for name, value in extra.items():
        if value is not None:
            inp[name] = [v.hex() for v in value] if name == "seen" else value
    return Case(
        "verify_descriptor",
        inp,
        expected,
        list(reqs),
        list(flags),
        comment,
        profile="descriptor",
        source=source,
    )


# ----------------------------------------------------------------- cose


def _cose() -> list[Case]:
    c = claims()
    p = enc(c)
    good = record(c)
    prot = protected(kid("acme"))
    sig = key("acme").sign(sig_structure(prot, p))
    enc_err = _err("ENCODING")
    out = [
        vd(
            good,
            _ok(c),
            [
                "DS-4.1.1-1",
                "DS-4.1.1-2",
                "DS-4.1.1-3",
                "DS-4.1.1-4",
                "DS-4.1.1-5",
                "DS-4.1.2-1",
                "DS-4.2.1-1",
                "DS-4.2.1-2",
                "DS-4.2.1-3",
                "DS-4.2.1-4",
                "DS-4.5.1-1",
                "DS-4.5.1-2",
                "DS-4.5.2-1",
                "DS-3-1",
                "DS-8.2.1-1",
            ],
            ["valid-record"],
            "the base descriptor: a well-formed record",
        ),
        # tag (§4.1.2)
        vd(
            good[1:],
            enc_err,
            ["DS-4.1.2-1", "DS-4.1.2-2", "DS-8.2.1-3"],
            ["cose-tag"],
            "the record without its tag 18",
        ),
        vd(
            b"\xd8\x12" + good[1:],
            enc_err,
            ["DS-4.1.2-1", "DS-3.2.1-1"],
            ["cose-tag", "non-deterministic-envelope"],
            "tag 18 in a two-byte head (d8 12)",
        ),
        vd(b"\xd2" + good, enc_err, ["DS-4.1.2-2"], ["cose-tag"], "tag 18 twice"),
        vd(
            b"\xd8\x62" + good[1:],
            enc_err,
            ["DS-4.1.2-1", "DS-4.1.2-2"],
            ["cose-tag"],
            "tag 98 (COSE_Sign) around a COSE_Sign1 array",
        ),
        vd(
            b"\xd1" + good[1:],
            enc_err,
            ["DS-4.1.2-1", "DS-4.1.2-2"],
            ["cose-tag"],
            "tag 17 (COSE_Mac0)",
        ),
        vd(
            b"\xd9\xd9\xf7" + good,
            enc_err,
            ["DS-4.1.2-1", "DS-4.1.2-2"],
            ["cose-tag"],
            "the self-described CBOR tag 55799 before tag 18",
        ),
        # shape (§4.1.1)
        vd(
            b"\xd2\x83" + bstr(prot) + b"\xa0" + bstr(p),
            enc_err,
            ["DS-4.1.1-1", "DS-8.2.1-3"],
            ["envelope-shape"],
            "an array of three: no signature",
        ),
        vd(
            b"\xd2\x85" + bstr(prot) + b"\xa0" + bstr(p) + bstr(sig) + b"\x40",
            enc_err,
            ["DS-4.1.1-1", "DS-8.2.1-3"],
            ["envelope-shape"],
            "an array of five: an extra empty byte string after the signature",
        ),
        vd(
            b"\xd2\x98\x04" + good[2:],
            enc_err,
            ["DS-4.1.1-1", "DS-3.2.1-1", "DS-3-1"],
            ["non-deterministic-envelope"],
            "the array's count in a two-byte head (98 04)",
        ),
        vd(
            b"\xd2\x9f" + good[2:] + b"\xff",
            enc_err,
            ["DS-4.1.1-1", "DS-3.2.1-2", "DS-3-1"],
            ["non-deterministic-envelope"],
            "an indefinite-length COSE_Sign1 array",
        ),
        vd(
            b"\xd2\x84" + prot + b"\xa0" + bstr(p) + bstr(sig),
            enc_err,
            ["DS-4.1.1-2"],
            ["envelope-shape"],
            "the protected header as a map, not a byte string",
        ),
        vd(
            b"\xd2\x84"
            + b"\x59"
            + len(prot).to_bytes(2, "big")
            + prot
            + b"\xa0"
            + bstr(p)
            + bstr(sig),
            enc_err,
            ["DS-3-1", "DS-3.2.1-1", "DS-8.2.1-3"],
            ["non-deterministic-envelope"],
            (
                "the protected byte string's length in a three-byte head; "
                "the signature is over the header's bytes"
            ),
        ),
        vd(
            b"\xd2\x84" + bstr(prot) + b"\xa0" + b"\xf6" + bstr(sig),
            enc_err,
            ["DS-4.1.1-4"],
            ["detached-payload"],
            "payload nil (detached), signed over the payload",
        ),
        vd(
            b"\xd2\x84" + bstr(prot) + b"\xa0" + head(3, len(p)) + p + bstr(sig),
            enc_err,
            ["DS-4.1.1-4"],
            ["envelope-shape"],
            "the payload as a text string holding the claims bytes",
        ),
        vd(
            b"\xd2\x84"
            + bstr(prot)
            + b"\xa0"
            + b"\x59"
            + len(p).to_bytes(2, "big")
            + p
            + bstr(sig),
            enc_err,
            ["DS-3-1", "DS-3.2.1-1"],
            ["non-deterministic-envelope"],
            "the payload's length in a three-byte head though it is shorter than 256 bytes",
        ),
        vd(
            b"\xd2\x84" + bstr(prot) + b"\xa0" + b"\x5f" + bstr(p) + b"\xff" + bstr(sig),
            enc_err,
            ["DS-3-1", "DS-3.2.1-2"],
            ["non-deterministic-envelope"],
            "the payload as an indefinite-length byte string of one chunk",
        ),
        # signature length (§4.1.1): encoding, at step 2, before the key
        vd(
            envelope(prot, p, sig[:63]),
            enc_err,
            ["DS-4.1.1-5", "DS-4.1.1-6", "DS-8.2.1-3"],
            ["signature-length"],
            "a 63-byte signature (the last byte cut)",
        ),
        vd(
            envelope(prot, p, sig + b"\x00"),
            enc_err,
            ["DS-4.1.1-5", "DS-4.1.1-6", "DS-8.2.1-3"],
            ["signature-length"],
            "a 65-byte signature (a zero byte appended)",
        ),
        vd(
            envelope(prot, p, b""),
            enc_err,
            ["DS-4.1.1-5", "DS-4.1.1-6", "DS-8.2.1-3"],
            ["signature-length"],
            "an empty signature",
        ),
        vd(
            envelope(prot, p, sig[:32]),
            enc_err,
            ["DS-4.1.1-5", "DS-4.1.1-6"],
            ["signature-length"],
            "a 32-byte signature: R only",
        ),
        vd(
            envelope(prot, p, sig[:63]),
            enc_err,
            ["DS-4.1.1-6", "DS-8.2.1-1", "DS-8.2.1-3"],
            ["signature-length", "check-order"],
            (
                "a 63-byte signature and no trusted key has the kid: "
                "encoding (step 2) before unknown key (step 5)"
            ),
            keys=("other",),
        ),
        vd(
            b"\xd2\x84" + bstr(prot) + b"\xa0" + bstr(p) + head(3, 64) + sig,
            enc_err,
            ["DS-4.1.1-5"],
            ["envelope-shape"],
            "the signature as a text string",
        ),
        # unprotected header (§4.4)
        vd(
            envelope(prot, p, sig, enc({4: kid("acme")})),
            enc_err,
            ["DS-4.4.1-1", "DS-4.4.1-2", "DS-8.2.1-5", "DS-4.1.1-3"],
            ["unprotected-header"],
            "the kid repeated in the unprotected header",
        ),
        vd(
            envelope(prot, p, sig, enc({1: -8})),
            enc_err,
            ["DS-4.4.1-1", "DS-4.4.1-2", "DS-8.2.1-5"],
            ["unprotected-header"],
            "alg in the unprotected header",
        ),
        vd(
            envelope(prot, p, sig, enc({"x": 0})),
            enc_err,
            ["DS-4.4.1-1", "DS-4.4.1-2"],
            ["unprotected-header"],
            "a text-labelled parameter in the unprotected header",
        ),
        vd(
            envelope(prot, p, sig, b"\x40"),
            enc_err,
            ["DS-4.1.1-3"],
            ["envelope-shape"],
            "the unprotected header as an empty byte string",
        ),
        vd(
            envelope(prot, p, sig, b"\xbf\xff"),
            enc_err,
            ["DS-4.1.1-3", "DS-3.2.1-2"],
            ["non-deterministic-envelope"],
            "the unprotected header as an empty indefinite-length map",
        ),
        vd(
            envelope(prot, p, sig, b"\xa1\x00" + b"\x81" * 7 + b"\x80"),
            _err("OVERSIZE"),
            ["DS-8.2.1-3", "DS-3.3.2-1", "DS-3.3.2-3"],
            ["nesting-depth", "check-order"],
            (
                "the unprotected header holds arrays nested to depth 9 of the record: "
                "oversize at step 2, before its emptiness (step 4)"
            ),
        ),
        # trailing bytes
        vd(
            good + b"\x00",
            enc_err,
            ["DS-3.4.1-3", "DS-8.2.1-3"],
            ["envelope-shape"],
            "a zero byte after the record",
        ),
        vd(good + good, enc_err, ["DS-3.4.1-3"], ["envelope-shape"], "the record twice"),
        # protected header (§4.2, §4.3)
        vd(
            record(c, alg=-19),
            _ok(c),
            ["DS-4.2.2-2", "DS-4.2.1-2"],
            ["alg"],
            "alg -19 (Ed25519, RFC 9864): accepted",
        ),
        vd(record(c, alg=-7), enc_err, ["DS-4.2.2-3", "DS-8.2.1-4"], ["alg"], "alg -7 (ES256)"),
        vd(record(c, alg=-35), enc_err, ["DS-4.2.2-3"], ["alg"], "alg -35 (ES384)"),
        vd(
            record(c, alg=-9),
            enc_err,
            ["DS-4.2.2-3"],
            ["alg"],
            "alg -9 (ESP256, fully specified ECDSA)",
        ),
        vd(record(c, alg=8), enc_err, ["DS-4.2.2-3"], ["alg"], "alg 8 instead of -8"),
        vd(
            record(c, protected_bytes=enc({1: "EdDSA", 4: kid("acme"), 16: DESC})),
            enc_err,
            ["DS-4.2.2-3", "DS-4.2.1-2"],
            ["alg"],
            "alg as the text EdDSA",
        ),
        vd(
            record(
                c,
                protected_bytes=b"\xa3\x01\x38\x07"
                + enc(4)[0:1]
                + bstr(kid("acme"))
                + b"\x10"
                + enc(DESC),
            ),
            enc_err,
            ["DS-3.2.1-1", "DS-3-1", "DS-8.2.1-4"],
            ["non-deterministic-envelope"],
            "alg -8 written in two bytes (38 07)",
        ),
        vd(
            record(c, protected_bytes=enc({4: kid("acme"), 16: DESC})),
            enc_err,
            ["DS-4.2.1-1", "DS-4.2.1-2"],
            ["header-labels"],
            "no alg",
        ),
        vd(
            record(c, protected_bytes=enc({1: -8, 16: DESC})),
            enc_err,
            ["DS-4.2.1-1", "DS-4.2.1-3"],
            ["header-labels"],
            "no kid",
        ),
        vd(
            record(c, protected_bytes=enc({1: -8, 4: kid("acme")})),
            enc_err,
            ["DS-4.2.1-1", "DS-4.2.1-4"],
            ["header-labels", "typ-confusion"],
            "no typ",
        ),
        vd(
            record(c, protected_bytes=enc({1: -8, 3: 0, 4: kid("acme"), 16: DESC})),
            enc_err,
            ["DS-4.2.1-1", "DS-4.2.3-1"],
            ["header-labels"],
            "content type (3) as well",
        ),
        vd(
            record(c, protected_bytes=enc({1: -8, 2: [16], 4: kid("acme"), 16: DESC})),
            enc_err,
            ["DS-4.2.1-1", "DS-4.2.3-1"],
            ["header-labels"],
            "crit (2) naming typ",
        ),
        vd(
            record(c, protected_bytes=enc({1: -8, 4: kid("acme"), 5: b"\x00" * 12, 16: DESC})),
            enc_err,
            ["DS-4.2.1-1", "DS-4.2.3-1"],
            ["header-labels"],
            "an IV (5) as well",
        ),
        vd(
            record(
                c, protected_bytes=enc({1: -8, 4: kid("acme"), 15: {1: "acme.example"}, 16: DESC})
            ),
            enc_err,
            ["DS-4.2.1-1", "DS-4.2.3-1"],
            ["header-labels"],
            "CWT claims (15) in the header as well",
        ),
        vd(
            record(c, protected_bytes=b"\xa0"),
            enc_err,
            ["DS-4.2.1-1"],
            ["header-labels"],
            "an empty protected header map",
        ),
        vd(
            record(c, protected_bytes=b""),
            enc_err,
            ["DS-4.2.1-1", "DS-4.1.1-2"],
            ["header-labels"],
            "an empty protected byte string",
        ),
        vd(
            record(c, kid_bytes=kid("acme")[:16]),
            enc_err,
            ["DS-4.2.1-3", "DS-8.2.1-4"],
            ["kid-form"],
            "a kid truncated to 16 bytes (as some COSE libraries do)",
        ),
        vd(
            record(c, kid_bytes=kid("acme") + b"\x00"),
            enc_err,
            ["DS-4.2.1-3"],
            ["kid-form"],
            "a 33-byte kid",
        ),
        vd(
            record(c, protected_bytes=enc({1: -8, 4: kid("acme").hex(), 16: DESC})),
            enc_err,
            ["DS-4.2.1-3"],
            ["kid-form"],
            "the kid as hexadecimal text",
        ),
        vd(
            record(c, typ=DELEG),
            enc_err,
            ["DS-4.3.1-2", "DS-8.2.1-4"],
            ["typ-confusion"],
            "a descriptor payload under the delegation typ",
        ),
        vd(
            record(c, typ=ANCHOR),
            enc_err,
            ["DS-4.3.1-2"],
            ["typ-confusion"],
            "a descriptor payload under the anchor typ",
        ),
        vd(
            record(c, typ="application/cbor"),
            enc_err,
            ["DS-4.3.1-1", "DS-4.3.1-2"],
            ["typ-confusion"],
            "typ application/cbor",
        ),
        vd(
            record(c, typ="application/cwt"),
            enc_err,
            ["DS-4.3.1-1", "DS-4.3.1-2"],
            ["typ-confusion"],
            "typ application/cwt",
        ),
        vd(
            record(c, typ="Application/UCID-descriptor+cbor"),
            enc_err,
            ["DS-4.3.1-1", "DS-4.3.1-2"],
            ["typ-confusion"],
            "typ in other letter case (typ is compared as text, byte for byte)",
        ),
        vd(
            record(c, protected_bytes=enc({1: -8, 4: kid("acme"), 16: 61})),
            enc_err,
            ["DS-4.2.1-4"],
            ["typ-confusion"],
            "typ as a content-format number (61, application/cwt)",
        ),
        vd(
            record(
                c, protected_bytes=b"\xa3\x04" + bstr(kid("acme")) + b"\x01\x27\x10" + enc(DESC)
            ),
            enc_err,
            ["DS-3.2.1-3", "DS-3-1"],
            ["non-deterministic-envelope"],
            "protected header keys in the order 4, 1, 16",
        ),
        vd(
            record(
                c,
                protected_bytes=b"\xa4\x01\x27\x01\x27\x04"
                + bstr(kid("acme"))
                + b"\x10"
                + enc(DESC),
            ),
            enc_err,
            ["DS-3.2.1-4", "DS-3-1"],
            ["non-deterministic-envelope"],
            "alg twice in the protected header",
        ),
        vd(
            record(
                c,
                protected_bytes=b"\xa3\x01\x27\x04"
                + bstr(kid("acme"))
                + b"\x10\x79\x00\x20"
                + DESC.encode(),
            ),
            enc_err,
            ["DS-3.2.1-1", "DS-3-1"],
            ["non-deterministic-envelope"],
            "typ's length in a three-byte head",
        ),
        vd(
            record(
                c,
                protected_bytes=b"\xbf\x01\x27\x04"
                + bstr(kid("acme"))
                + b"\x10"
                + enc(DESC)
                + b"\xff",
            ),
            enc_err,
            ["DS-3.2.1-2", "DS-3-1"],
            ["non-deterministic-envelope"],
            "the protected header as an indefinite-length map",
        ),
        vd(
            record(c, protected_bytes=protected(kid("acme")) + b"\x00"),
            enc_err,
            ["DS-3.4.1-3", "DS-3-1"],
            ["non-deterministic-envelope"],
            "a byte after the protected header map, inside its byte string",
        ),
        # oversize (§3.3.1): before reading anything
        vd(
            b"\xff" * 881,
            _err("OVERSIZE"),
            ["DS-3.3.1-2", "DS-3.3.1-3", "DS-8.2.1-2", "DS-7.2-2"],
            ["oversize", "check-order"],
            "881 bytes of ff: oversize, before the first byte is read",
        ),
        vd(
            b"\xd2" * 2000,
            _err("OVERSIZE"),
            ["DS-3.3.1-2", "DS-3.3.1-3", "DS-8.2.1-2"],
            ["oversize"],
            "2000 bytes of d2 (tags without end)",
        ),
    ]
    # COSE working group examples (tests/vectors/external): valid COSE, not UCID records.
    sig01 = json.loads((_EXTERNAL / "cose-eddsa-sig-01.json").read_text())
    test1 = sig01["input"]["sign0"]["key"]["x_hex"]
    ex01 = json.loads((_EXTERNAL / "cose-eddsa-01.json").read_text())
    for data, name, why in (
        (
            sig01,
            "eddsa-sig-01.json",
            "COSE_Sign1 with protected {1: -8, 3: 0} and kid '11' unprotected",
        ),
        (ex01, "eddsa-01.json", "COSE_Sign (tag 98), not COSE_Sign1"),
    ):
        case = vd(
            bytes.fromhex(data["output"]["cbor"]),
            enc_err,
            ["DS-4.1.2-2", "DS-4.2.1-1", "DS-4.4.1-2"],
            ["cose-example"],
            f"COSE WG example {name}: {why}",
            source=f"cose-wg Examples eddsa-examples/{name} output.cbor",
        )
        case.input["keys"] = [test1]
        out.append(case)
    return out


def cose_area() -> Area:
    cases = _cose()
    used = {f for c in cases for f in c.flags}
    return Area(
        name="descriptor-cose",
        prefix="cose",
        description=(
            "verify_descriptor on malformed envelopes: tag, COSE_Sign1 shape, protected and "
            "unprotected headers, signature length, non-deterministic "
            "encodings (spec/descriptor.md §3, §4)."
        ),
        cases=cases,
        flags={k: v for k, v in FLAGS.items() if k in used},
    )


# ----------------------------------------------------------- descriptor: claims


def _claim_cases() -> list[Case]:
    out: list[Case] = []
    E = _err("ENCODING")

    def bad(
        c: Mapping[Any, Any], reqs: Sequence[str], flags: Sequence[str], comment: str, **kw: Any
    ) -> None:
        out.append(vd(record(c), E, ["DS-8.2.1-8", *reqs], flags, comment, **kw))

    def good(
        c: Mapping[int, Any], reqs: Sequence[str], flags: Sequence[str], comment: str, **kw: Any
    ) -> None:
        out.append(vd(record(c), _ok(c), reqs, ["valid-record", *flags], comment, **kw))

    cap_sub = "ucid:acme.example/cn-gd/x86-64/acc=8;mem=549755813888B"
    good(
        claims(),
        [f"DS-6.1.1-{i}" for i in range(1, 8)] + ["DS-6.3.1-1", "DS-6.4.1-1"],
        [],
        "the base descriptor: required claims only",
    )
    good(
        claims(sub=cap_sub, capabilities=["acc=8", "cpu=64", "mem=549755813888B"]),
        ["DS-6.1.1-8", "DS-6.4.2-1", "DS-6.4.2-2"],
        ["capabilities"],
        "capabilities adding cpu=64 to the subject's two attributes, in canonical order",
    )
    good(
        claims(sub=cap_sub, capabilities=["acc=8", "mem=549755813888B"]),
        ["DS-6.1.1-8", "DS-6.4.2-2"],
        ["capabilities"],
        "capabilities equal to the subject's attributes",
    )
    good(
        claims(capabilities=["cpu=64"]),
        ["DS-6.1.1-8", "DS-6.4.2-1"],
        ["capabilities"],
        "capabilities for a subject without attributes",
    )
    good(claims(version=0), ["DS-6.1.1-6"], ["integer-range"], "version 0")
    good(
        claims(version=2**64 - 1),
        ["DS-6.1.1-6"],
        ["integer-range"],
        "version 2^64-1, in a nine-byte head",
    )
    good(
        claims(iss="_cn-gd.acme.example", sub="ucid:acme.example/cn-gd/x86-64"),
        ["DS-6.3.1-2", "DS-6.3.1-4"],
        ["zone-name"],
        "iss an underscore label zone (a region's own zone)",
    )
    good(claims(iss="xn--bcher-kva.example"), ["DS-6.3.1-3"], ["zone-name"], "iss with an A-label")
    good(
        claims(iss="a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61),
        ["DS-6.3.1-4"],
        ["zone-name"],
        "iss of 253 characters, labels of 63",
    )
    good(
        claims(iss="_a-b_c.example"),
        ["DS-6.3.1-2"],
        ["zone-name"],
        "iss with - and _ inside an underscore label",
    )
    # missing and unknown claims (§6.1)
    for name, number in (
        ("iss", 1),
        ("sub", 2),
        ("exp", 3),
        ("nbf", 4),
        ("iat", 5),
        ("version", 6),
        ("endpoints", 7),
    ):
        bad(claims(**{name: None}), [f"DS-6.1.1-{number}"], ["claims"], f"no {name} claim")
    for name, value in (
        ("aud", "acme.example"),
        ("cti", b"\x01"),
        ("keys", [key("acme").verify_key.raw]),
    ):
        bad(claims(**{name: value}), ["DS-6.1.2-1"], ["claims"], f"an unknown claim: {name}")
    bad({**claims(), 0: 0}, ["DS-6.1.2-1"], ["claims"], "an unknown claim 0")
    bad({**claims(), 23: 0}, ["DS-6.1.2-1"], ["claims"], "an unknown claim 23")
    bad(
        {**claims(), "ext": {}},
        ["DS-6.1.2-1", "DS-3.2.2-1", "DS-3.2.2-3"],
        ["claims"],
        "a text key in the claims map (mixing key kinds)",
    )
    bad(
        claims(capabilities=[]),
        ["DS-6.1.2-2", "DS-6.1.1-8"],
        ["claims"],
        "capabilities as an empty array",
    )
    bad(claims(ext={}), ["DS-6.1.2-2", "DS-6.1.1-9"], ["claims", "ext-crit"], "ext as an empty map")
    bad(
        claims(crit=[]),
        ["DS-6.1.2-2", "DS-6.1.1-10"],
        ["claims", "ext-crit"],
        "crit as an empty array",
    )
    bad(
        claims(capabilities=None, ext=None, crit=None, endpoints=[]),
        ["DS-6.1.1-7"],
        ["claims"],
        "endpoints as an empty array",
    )
    bad(
        claims(endpoints=[endpoint(port=1000 + i) for i in range(17)]),
        ["DS-6.1.1-7"],
        ["claims"],
        "17 endpoints",
    )
    good(
        claims(endpoints=[endpoint(port=1000 + i) for i in range(16)]),
        ["DS-6.1.1-7"],
        ["claims"],
        "16 endpoints",
    )
    caps17 = [f"x{chr(97 + i)}=1" for i in range(17)]
    bad(
        claims(capabilities=caps17),
        ["DS-6.1.1-8", "DS-6.4.2-1"],
        ["capabilities"],
        "17 capabilities",
    )
    good(claims(capabilities=caps17[:16]), ["DS-6.1.1-8"], ["capabilities"], "16 capabilities")
    # types and ranges
    bad(claims(iss=b"acme.example"), ["DS-6.1.1-1"], ["claims"], "iss as a byte string")
    bad(
        claims(sub=b"ucid:acme.example/cn-gd/x86-64"),
        ["DS-6.1.1-2"],
        ["claims"],
        "sub as a byte string",
    )
    bad(claims(exp=-1), ["DS-6.1.1-3"], ["claims", "integer-range"], "exp negative")
    bad(claims(nbf=str(T0)), ["DS-6.1.1-4"], ["claims"], "nbf as text")
    bad(claims(iat=-1), ["DS-6.1.1-5"], ["claims", "integer-range"], "iat negative")
    bad(claims(version=-1), ["DS-6.1.1-6"], ["claims", "integer-range"], "version -1")
    bad(
        claims(endpoints=endpoint()),
        ["DS-6.1.1-7"],
        ["claims"],
        "endpoints as one map, not an array",
    )
    bad(
        claims(capabilities="cpu=64"),
        ["DS-6.1.1-8"],
        ["capabilities"],
        "capabilities as a text, not an array",
    )
    bad(claims(ext=[["x", 1]]), ["DS-6.1.1-9"], ["ext-crit"], "ext as an array")
    bad(claims(ext={1: 1}), ["DS-6.1.1-9", "DS-6.5.1-1"], ["ext-crit"], "ext with an integer key")
    bad(claims(ext={"": 1}), ["DS-6.5.1-1"], ["ext-crit"], "ext with an empty key")
    good(
        claims(ext={"k" * 64: 1}),
        ["DS-6.5.1-1", "DS-6.5.1-3"],
        ["ext-crit"],
        "an ext key of 64 bytes",
    )
    bad(claims(ext={"k" * 65: 1}), ["DS-6.5.1-1"], ["ext-crit"], "an ext key of 65 bytes")
    good(
        claims(ext={"é" * 32: 1}),
        ["DS-6.5.1-1"],
        ["ext-crit"],
        "an ext key of 32 characters, 64 bytes of UTF-8",
    )
    bad(
        claims(ext={"é" * 33: 1}),
        ["DS-6.5.1-1"],
        ["ext-crit"],
        "an ext key of 33 characters, 66 bytes of UTF-8",
    )
    ext16 = {f"x{i:02d}": i for i in range(16)}
    good(claims(ext=ext16), ["DS-6.1.1-9"], ["ext-crit"], "16 ext keys")
    bad(claims(ext={**ext16, "x16": 16}), ["DS-6.1.1-9"], ["ext-crit"], "17 ext keys")
    good(
        claims(ext={"b": b"\x00\x01", "i": {0: -1, 23: [True, None]}}),
        ["DS-6.5.1-1", "DS-3.2.2-3"],
        ["ext-crit"],
        (
            "ext values: a byte string and a map with integer keys "
            "(output: kid only, JSON cannot show them)"
        ),
    )
    good(
        claims(ext={"n": {"z": 1, "aa": {"b": 2}}}),
        ["DS-6.5.1-1", "DS-3.2.2-3"],
        ["ext-crit"],
        "ext with nested text-keyed maps",
    )
    bad(
        claims(ext={"m": {0: 1, "a": 2}}),
        ["DS-3.2.2-1", "DS-6.5.1-1"],
        ["ext-crit"],
        "a nested ext map mixing key kinds",
    )
    bad(
        claims(ext={"m": {24: 1}}),
        ["DS-3.2.2-1", "DS-6.5.1-1"],
        ["ext-crit"],
        "a nested ext map with integer key 24",
    )
    # crit (§6.5.2)
    bad(
        claims(ext={"a": 1}, crit=["b"]),
        ["DS-6.5.2-1"],
        ["ext-crit"],
        "crit names a key that is not in ext",
        extensions=["b"],
    )
    bad(claims(crit=["a"]), ["DS-6.5.2-1"], ["ext-crit"], "crit without ext", extensions=["a"])
    bad(
        claims(ext={"a": 1}, crit=["a", "a"]),
        ["DS-6.5.2-2"],
        ["ext-crit"],
        "crit names a key twice",
        extensions=["a"],
    )
    bad(claims(ext={"a": 1}, crit=[1]), ["DS-6.1.1-10"], ["ext-crit"], "crit holds an integer")
    # times (§6.1.3, §8.4)
    bad(
        claims(nbf=T0 + DAY, exp=T0 + DAY),
        ["DS-6.1.3-1", "DS-6.1.3-4"],
        ["time-rules"],
        "nbf = exp",
        now=T0 + DAY,
    )
    bad(
        claims(nbf=T0 + 2 * DAY, exp=T0 + DAY, iat=T0),
        ["DS-6.1.3-1", "DS-6.1.3-4"],
        ["time-rules"],
        "nbf after exp",
    )
    bad(claims(iat=T0 + 7 * DAY), ["DS-6.1.3-2", "DS-6.1.3-4"], ["time-rules"], "iat = exp")
    bad(claims(iat=T0 + 8 * DAY), ["DS-6.1.3-2", "DS-6.1.3-4"], ["time-rules"], "iat after exp")
    good(
        claims(exp=T0 + 31 * DAY),
        ["DS-6.1.3-3", "DS-8.4.1-1"],
        ["time-rules"],
        "exp - nbf = 31 days exactly",
    )
    bad(
        claims(exp=T0 + 31 * DAY + 1),
        ["DS-6.1.3-3", "DS-8.4.1-1"],
        ["time-rules"],
        "exp - nbf = 31 days + 1 s",
    )
    bad(
        claims(exp=T0 + 366 * DAY),
        ["DS-6.1.3-3", "DS-8.4.1-1"],
        ["time-rules"],
        "exp - nbf = 366 days: the delegation maximum does not apply to descriptors",
    )
    bad(
        claims(exp=T0 + 40 * DAY),
        ["DS-6.1.3-4", "DS-8.4.1-3", "DS-8.2.1-1"],
        ["time-rules", "check-order"],
        "exp - nbf = 40 days and now after exp: encoding (step 7), not expired",
        now=T0 + 50 * DAY,
    )
    good(
        claims(nbf=T0 - DAY, iat=T0), ["DS-6.1.3-5"], ["time-rules"], "nbf before iat (back-dated)"
    )
    good(
        claims(nbf=T0, iat=T0 - DAY),
        ["DS-6.1.3-5"],
        ["time-rules"],
        "nbf after iat (signed in advance)",
    )

    # endpoints (§6.2)
    def ep(
        comment: str, reqs: Sequence[str], ok: bool, flags: Sequence[str] = ("endpoint",), **e: Any
    ) -> None:
        (good if ok else bad)(claims(endpoints=[endpoint(**e)]), reqs, flags, comment)

    ep("transport udp", ["DS-6.2.1-1"], True, transport="udp")
    ep("transport quic", ["DS-6.2.1-1"], True, transport="quic")
    ep("transport sctp", ["DS-6.2.1-1", "DS-6.2.1-10"], False, transport="sctp")
    ep("transport TCP in capitals", ["DS-6.2.1-1", "DS-6.2.1-10"], False, transport="TCP")
    ep("no transport", ["DS-6.2.1-1"], False, transport=None)
    ep(
        "protocol grpc+web.v2-x (every allowed character)",
        ["DS-6.2.1-2"],
        True,
        protocol="grpc+web.v2-x",
    )
    ep("protocol of 32 characters", ["DS-6.2.1-2"], True, protocol="p" * 32)
    ep("protocol of 33 characters", ["DS-6.2.1-2"], False, protocol="p" * 33)
    ep("protocol HTTPS in capitals", ["DS-6.2.1-2"], False, protocol="HTTPS")
    ep("protocol starting with a digit", ["DS-6.2.1-2"], False, protocol="2http")
    ep("protocol empty", ["DS-6.2.1-2"], False, protocol="")
    ep("no protocol", ["DS-6.2.1-2"], False, protocol=None)
    ep("no host", ["DS-6.2.1-3"], False, host=None)
    ep("port 65535", ["DS-6.2.1-4"], True, port=65535)
    ep("port 1", ["DS-6.2.1-4"], True, port=1)
    ep("port 0", ["DS-6.2.1-4"], False, port=0)
    ep("port 65536", ["DS-6.2.1-4"], False, port=65536)
    ep("no port", ["DS-6.2.1-4"], False, port=None)
    ep("alpn h2, http/1.1", ["DS-6.2.1-5"], True, alpn=["h2", "http/1.1"])
    ep("alpn of 8 identifiers", ["DS-6.2.1-5"], True, alpn=[f"a{i}" for i in range(8)])
    ep("alpn of 9 identifiers", ["DS-6.2.1-5"], False, alpn=[f"a{i}" for i in range(9)])
    ep("alpn empty array", ["DS-6.2.1-5", "DS-6.1.2-2"], False, alpn=[])
    ep("alpn h2 twice", ["DS-6.2.1-5"], False, alpn=["h2", "h2"])
    ep("alpn identifier of 255 characters", ["DS-6.2.1-5"], True, alpn=["!" + "~" * 254])
    ep("alpn identifier of 256 characters", ["DS-6.2.1-5"], False, alpn=["a" * 256])
    ep("alpn identifier empty", ["DS-6.2.1-5"], False, alpn=[""])
    ep("alpn identifier with a space", ["DS-6.2.1-5"], False, alpn=["h 2"])
    ep("alpn as a text, not an array", ["DS-6.2.1-5"], False, alpn="h2")
    ep("priority 65535", ["DS-6.2.1-6"], True, priority=65535)
    ep("priority 0 (SVCB alias mode)", ["DS-6.2.1-6", "DS-6.2.3-3"], False, priority=0)
    ep("priority 65536", ["DS-6.2.1-6"], False, priority=65536)
    ep("no priority", ["DS-6.2.1-6"], False, priority=None)
    ep("weight 65535", ["DS-6.2.1-7"], True, weight=65535)
    ep("weight 65536", ["DS-6.2.1-7"], False, weight=65536)
    ep("no weight", ["DS-6.2.1-7"], False, weight=None)
    ep("region cn-gd-sz1-a", ["DS-6.2.1-8"], True, region="cn-gd-sz1-a")
    ep("region CN-GD in capitals", ["DS-6.2.1-8"], False, region="CN-GD")
    ep("region c (one letter)", ["DS-6.2.1-8"], False, region="c")
    bad(
        claims(endpoints=[{**endpoint(), 7: None}]),
        ["DS-6.2.1-8"],
        ["endpoint"],
        "region null (absent is written by leaving key 7 out)",
    )
    ep("an unknown endpoint key 8", ["DS-6.2.1-9"], False, extra="x")
    bad(
        claims(endpoints=[{**endpoint(), "x": 1}]),
        ["DS-6.2.1-9", "DS-3.2.2-1"],
        ["endpoint"],
        "a text key in an endpoint map",
    )
    bad(
        claims(endpoints=[endpoint(), endpoint(priority=2, weight=5)]),
        ["DS-6.2.4-1"],
        ["endpoint"],
        "two endpoints with equal transport, protocol, host and port (other priority)",
    )
    good(
        claims(endpoints=[endpoint(), endpoint(transport="udp")]),
        ["DS-6.2.4-1"],
        ["endpoint"],
        "two endpoints differing only in transport",
    )
    good(
        claims(endpoints=[endpoint(priority=2), endpoint(port=8443, priority=1)]),
        ["DS-6.2.3-3"],
        ["endpoint"],
        "endpoints not sorted by priority: the array's order carries no meaning",
    )
    # host (§6.2.2)
    for host, ok, req, what in (
        ("a", True, "DS-6.2.2-1", "a one-label host name"),
        ("a-b.c0.example", True, "DS-6.2.2-1", "a host name with - and digits"),
        ("API.acme.example", False, "DS-6.2.2-4", "a host name with capitals"),
        ("api.acme.example.", False, "DS-6.2.2-4", "a host name with a trailing dot"),
        ("-api.acme.example", False, "DS-6.2.2-1", "a label starting with -"),
        ("api_1.acme.example", False, "DS-6.2.2-1", "an underscore in a host name"),
        ("api..example", False, "DS-6.2.2-1", "an empty label"),
        ("a" * 64 + ".example", False, "DS-6.2.2-1", "a label of 64 characters"),
        ("host.123", False, "DS-6.2.2-1", "a last label all digits"),
        ("1.2.3", False, "DS-6.2.2-2", "1.2.3: neither an IPv4 address nor a host name"),
        ("123.example", True, "DS-6.2.2-1", "a first label all digits"),
        ("192.0.2.10", True, "DS-6.2.2-2", "IPv4 192.0.2.10"),
        ("192.0.2.010", False, "DS-6.2.2-2", "IPv4 with a leading zero"),
        ("192.0.2.256", False, "DS-6.2.2-2", "IPv4 with an octet of 256"),
        ("0.0.0.0", True, "DS-6.2.2-2", "IPv4 0.0.0.0"),
        ("2001:db8::1", True, "DS-6.2.2-3", "IPv6 2001:db8::1"),
        ("2001:DB8::1", False, "DS-6.2.2-3", "IPv6 with capitals"),
        ("2001:db8:0:0:0:0:0:1", False, "DS-6.2.2-3", "IPv6 without ::"),
        ("2001:0db8::1", False, "DS-6.2.2-3", "IPv6 with a leading zero in a group"),
        (
            "2001:db8::1:0:0:1",
            True,
            "DS-6.2.2-3",
            "IPv6 2001:db8::1:0:0:1 (the first of two equal runs)",
        ),
        ("2001:db8:0:0:1::1", False, "DS-6.2.2-3", "IPv6 with :: on the second of two equal runs"),
        ("2001:db8::1:0:0:0:1", False, "DS-6.2.2-3", "IPv6 with :: on the shorter run"),
        (
            "2001:db8:0:1:1:1:1:1",
            True,
            "DS-6.2.2-3",
            "IPv6 with one zero group, which :: may not replace",
        ),
        ("2001:db8::1:1:1:1:1", False, "DS-6.2.2-3", "IPv6 with :: for one zero group"),
        ("::ffff:c000:201", True, "DS-6.2.2-3", "IPv4-mapped IPv6 in hexadecimal"),
        ("::ffff:192.0.2.1", False, "DS-6.2.2-3", "IPv4-mapped IPv6 with a dotted-quad tail"),
        ("[2001:db8::1]", False, "DS-6.2.2-3", "IPv6 in brackets"),
        ("fe80::1%eth0", False, "DS-6.2.2-3", "IPv6 with a zone index"),
        ("::", True, "DS-6.2.2-3", "IPv6 ::"),
    ):
        ep(f"host {host!r}: {what}", [req, "DS-6.2.1-3"], ok, ("host-spelling",), host=host)
    # zone names (§6.3)
    for iss, what in (
        ("Acme.example", "capitals"),
        ("acme.example.", "a trailing dot"),
        ("a_b.example", "an underscore inside a host-name label"),
        ("_a_.example", "an underscore label ending with _"),
        ("__a.example", "an underscore label starting with __"),
        ("_.example", "an underscore alone"),
        ("acme..example", "an empty label"),
        ("acme.-x.example", "a label starting with -"),
        ("a" * 64 + ".example", "a label of 64 characters"),
        ("a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 62, "254 characters"),
        ("", "empty"),
        ("bücher.example", "a U-label instead of an A-label"),
    ):
        bad(
            claims(iss=iss),
            ["DS-6.3.2-1", "DS-6.3.2-3", "DS-6.3.1-3", "DS-6.3.1-4"],
            ["zone-name"],
            f"iss {iss!r}: {what}",
        )
    bad(
        claims(iss="Acme.example"),
        ["DS-6.3.2-3"],
        ["zone-name", "issuer"],
        (
            "iss with capitals and an expected issuer that matches it: "
            "encoding, whether or not an issuer is given"
        ),
        issuer="Acme.example",
    )
    # subject and capabilities (§6.4)
    for sub, what in (
        ("ucid:Acme.example/cn-gd/x86-64", "a capital in the provider"),
        ("ucid:acme.example/CN-GD/x86-64", "the region in capitals"),
        ("ucid:acme.example/cn-gd/x86-64/mem=512GiB", "a size not in its canonical unit"),
        (
            "ucid:acme.example/cn-gd/x86-64/mem=549755813888B;acc=8",
            "attributes out of canonical order",
        ),
        ("UCID:acme.example/cn-gd/x86-64", "the scheme in capitals"),
        ("acme.example/cn-gd/x86-64", "no scheme"),
        ("ucid:acme.example/cn-gd", "no architecture"),
        ("", "empty"),
    ):
        bad(claims(sub=sub), ["DS-6.4.1-1", "DS-6.4.1-2"], ["subject"], f"sub {sub!r}: {what}")
    for caps, what in (
        (["mem=549755813888B", "acc=8"], "out of canonical order"),
        (["acc=8"], "missing the subject's mem"),
        (["acc=8", "mem=512GiB"], "mem not in canonical form"),
        (["acc=8", "acc=8", "mem=549755813888B"], "acc twice"),
        (["acc=8;mem=549755813888B"], "two attributes in one element"),
        (["acc=08", "mem=549755813888B"], "acc with a leading zero"),
        (["acc=9", "mem=549755813888B"], "acc contradicting the subject"),
    ):
        req = "DS-6.4.2-2" if what.startswith(("missing", "acc contra")) else "DS-6.4.2-1"
        bad(
            claims(sub=cap_sub, capabilities=caps),
            [req],
            ["capabilities"],
            f"capabilities {caps}: {what}",
        )
    return out


# ------------------------------------------------- descriptor: verification


def _pad_to(size: int) -> dict[int, Any]:
    """Claims whose record (signed by acme) is exactly ``size`` bytes, padded in ext."""
    for n in range(size):
        c = claims(ext={"pad": "x" * n})
        if len(record(c)) == size:
            return c
    raise AssertionError(f"no padding gives {size} bytes")


def _verify_cases() -> list[Case]:
    out: list[Case] = []
    c = claims()
    good = record(c)
    ok = _ok(c)
    # validity (§8.3): start = max(nbf, iat), valid for start - skew <= now < exp + skew
    start, exp = T0, T0 + 7 * DAY
    V, NY, EX = (
        ["DS-8.3.1-1", "DS-8.2.1-11"],
        ["DS-8.3.1-1", "DS-8.3.1-2", "DS-8.2.1-11"],
        ["DS-8.3.1-1", "DS-8.3.1-2", "DS-8.2.1-11"],
    )
    vb = ["validity-boundary"]
    out += [
        vd(
            good,
            ok,
            [*V, "DS-8.1.1-1"],
            vb,
            "now = nbf - 300: the first valid second with the default skew",
            now=start - 300,
        ),
        vd(
            good,
            _err("NOT_YET_VALID"),
            [*NY, "DS-8.1.1-1"],
            vb,
            "now = nbf - 301: one second before, default skew",
            now=start - 301,
        ),
        vd(good, ok, V, vb, "now = nbf - 299", now=start - 299),
        vd(
            good,
            ok,
            V,
            vb,
            "now = exp + 299: the last valid second with the default skew",
            now=exp + 299,
        ),
        vd(good, _err("EXPIRED"), EX, vb, "now = exp + 300: expired, default skew", now=exp + 300),
        vd(good, _err("EXPIRED"), EX, vb, "now = exp + 301", now=exp + 301),
        vd(good, ok, V, vb, "now = exp + 299 with skew 300 given", now=exp + 299, skew=300),
        vd(good, ok, V, vb, "skew 0: now = nbf", now=start, skew=0),
        vd(good, _err("NOT_YET_VALID"), NY, vb, "skew 0: now = nbf - 1", now=start - 1, skew=0),
        vd(good, ok, V, vb, "skew 0: now = exp - 1", now=exp - 1, skew=0),
        vd(good, _err("EXPIRED"), EX, vb, "skew 0: now = exp", now=exp, skew=0),
        vd(
            good,
            ok,
            [*V, "DS-8.1.1-1"],
            vb,
            "skew 3600 (the most allowed): now = nbf - 3600",
            now=start - 3600,
            skew=3600,
        ),
        vd(
            good,
            _err("NOT_YET_VALID"),
            NY,
            vb,
            "skew 3600: now = nbf - 3601",
            now=start - 3601,
            skew=3600,
        ),
        vd(good, ok, V, vb, "skew 3600: now = exp + 3599", now=exp + 3599, skew=3600),
        vd(good, _err("EXPIRED"), EX, vb, "skew 3600: now = exp + 3600", now=exp + 3600, skew=3600),
        vd(good, _err("EXPIRED"), EX, vb, "now long after exp", now=exp + 365 * DAY),
        vd(good, _err("NOT_YET_VALID"), NY, vb, "now = 0", now=0),
    ]
    late = claims(nbf=T0, iat=T0 + 1000)  # signed after its nbf: start is iat
    late_r = record(late)
    out += [
        vd(
            late_r,
            _ok(late),
            [*V, "DS-6.1.3-5"],
            vb,
            "iat = nbf + 1000: now = iat - 300 is the first valid second",
            now=T0 + 700,
        ),
        vd(
            late_r,
            _err("NOT_YET_VALID"),
            [*NY, "DS-6.1.3-5"],
            vb,
            "iat = nbf + 1000: now = iat - 301 is not yet valid although nbf - skew has passed",
            now=T0 + 699,
        ),
        vd(late_r, _err("NOT_YET_VALID"), NY, vb, "iat = nbf + 1000: now = nbf", now=T0),
    ]
    early = claims(nbf=T0 + 1000, iat=T0)  # signed in advance: start is nbf
    early_r = record(early)
    out += [
        vd(
            early_r,
            _ok(early),
            [*V, "DS-6.1.3-5"],
            vb,
            "nbf = iat + 1000: now = nbf - 300",
            now=T0 + 700,
        ),
        vd(
            early_r,
            _err("NOT_YET_VALID"),
            [*NY, "DS-6.1.3-5"],
            vb,
            "nbf = iat + 1000: now = nbf - 301 (after iat)",
            now=T0 + 699,
        ),
    ]
    future = claims(nbf=2208988800, iat=2208988800, exp=2208988800 + DAY)  # 2040-01-01
    out.append(
        vd(
            record(future),
            _ok(future),
            ["DS-8.3.2-1", "DS-8.3.1-1"],
            ["clock"],
            "a record valid in 2040, verified at now in 2040: only the given now counts",
            now=2208988800 + 60,
        )
    )
    out.append(
        vd(
            good,
            _err("NOT_YET_VALID"),
            ["DS-8.3.2-1", "DS-8.3.1-2"],
            ["clock"],
            "a record of 2026 verified at now in 2025: only the given now counts",
            now=T0 - 200 * DAY,
        )
    )
    # keys (§5.2)
    out += [
        vd(
            good,
            ok,
            ["DS-5.2.2-1", "DS-5.2.2-2", "DS-5.2.1-1"],
            ["key-selection"],
            "two trusted keys; the kid names the second",
            keys=("other", "acme"),
        ),
        vd(
            good,
            _err("UNKNOWN_KEY"),
            ["DS-5.2.2-3", "DS-8.2.1-6"],
            ["unknown-key"],
            "no trusted key has the kid",
            keys=("other",),
        ),
        vd(
            good,
            _err("UNKNOWN_KEY"),
            ["DS-5.2.2-3"],
            ["unknown-key"],
            "no trusted keys at all",
            keys=(),
        ),
        vd(
            record(c, signer="acme", kid_of="other"),
            _err("UNKNOWN_KEY"),
            ["DS-5.2.2-3", "DS-5.2.2-4"],
            ["key-selection"],
            (
                "signed by a trusted key, but the kid names an untrusted one "
                "(a verifier that tries every key accepts)"
            ),
        ),
        vd(
            record(c, signer="other", kid_of="acme"),
            _err("SIGNATURE"),
            ["DS-5.2.2-2", "DS-5.2.2-4", "DS-8.2.1-7"],
            ["key-selection"],
            (
                "the kid names one trusted key, another trusted key signed "
                "(a verifier that tries every key accepts)"
            ),
            keys=("acme", "other"),
        ),
        vd(
            record(c, kid_bytes=key("acme").verify_key.raw),
            _err("UNKNOWN_KEY"),
            ["DS-5.2.1-1", "DS-5.2.2-5"],
            ["kid-form"],
            "the kid is the raw public key, not its RFC 9679 thumbprint",
        ),
        vd(
            record(c, kid_bytes=bytes(32)),
            _err("UNKNOWN_KEY"),
            ["DS-5.2.2-3"],
            ["unknown-key"],
            "a kid of 32 zero bytes",
        ),
        vd(
            record(c, kid_bytes=kid("acme")[:31] + bytes([kid("acme")[31] ^ 1])),
            _err("UNKNOWN_KEY"),
            ["DS-5.2.2-1"],
            ["kid-form"],
            "a kid equal to the thumbprint but in its last byte",
        ),
    ]
    # signature (§4.5)
    sig = good[-64:]
    flipped = good[:-64] + bytes([sig[0] ^ 1]) + sig[1:]
    s = int.from_bytes(sig[32:], "little") + 2**252 + 27742317777372353535851937790883648493
    malleable = good[:-64] + sig[:32] + s.to_bytes(32, "little")
    out += [
        vd(
            flipped,
            _err("SIGNATURE"),
            ["DS-4.5.3-1", "DS-4.5.3-5", "DS-8.2.1-7"],
            ["bad-signature"],
            "one bit of R flipped",
        ),
        vd(
            good[:-1] + bytes([good[-1] ^ 0x80]),
            _err("SIGNATURE"),
            ["DS-4.5.3-1", "DS-4.5.3-5"],
            ["bad-signature"],
            "the top bit of S flipped",
        ),
        vd(
            malleable,
            _err("SIGNATURE"),
            ["DS-4.5.3-2", "DS-4.5.3-5"],
            ["malleable-signature"],
            "S replaced by S + L",
        ),
        vd(
            good[:-64] + bytes(64),
            _err("SIGNATURE"),
            ["DS-4.5.3-1", "DS-4.5.3-5"],
            ["bad-signature"],
            "a signature of 64 zero bytes",
        ),
    ]
    p = enc(c)
    prot = protected(kid("acme"))
    other_payload = enc(claims(version=2))
    out.append(
        vd(
            envelope(prot, other_payload, key("acme").sign(sig_structure(prot, p))),
            _err("SIGNATURE"),
            ["DS-4.5.1-1", "DS-8.2.1-7"],
            ["bad-signature"],
            "the signature of version 1's payload on version 2's",
        )
    )
    out.append(
        vd(
            envelope(prot, p, key("acme").sign(enc(["Signature1", prot, p]))),
            _err("SIGNATURE"),
            ["DS-4.5.1-1"],
            ["bad-signature"],
            "signed over a Sig_structure without external_aad",
        )
    )
    out.append(
        vd(
            envelope(prot, p, key("acme").sign(p)),
            _err("SIGNATURE"),
            ["DS-4.5.1-1"],
            ["bad-signature"],
            "signed over the payload alone",
        )
    )
    out.append(
        vd(
            envelope(prot, p, key("acme").sign(enc(["Signature", prot, b"", p]))),
            _err("SIGNATURE"),
            ["DS-4.5.1-1"],
            ["bad-signature"],
            "signed over a Sig_structure with context Signature (COSE_Sign) instead of Signature1",
        )
    )
    # received bytes, not re-encoded (§3.4, §8.2 step 6 then 7)
    nd = p.replace(
        b"\x04\x1a" + (T0 + 7 * DAY).to_bytes(4, "big"),
        b"\x04\x1b" + (T0 + 7 * DAY).to_bytes(8, "big"),
    )
    assert nd != p
    unsorted = (
        b"\xa7"
        + enc(2)
        + enc(c[2])
        + enc(1)
        + enc(c[1])
        + b"".join(enc(k) + enc(c[k]) for k in (4, 5, 6, 8, 9))
    )
    dup = b"\xa8" + b"".join(enc(k) + enc(c[k]) for k in (1, 2, 4, 5, 6, 8, 8, 9))
    out += [
        vd(
            record(nd),
            _err("ENCODING"),
            ["DS-3.4.1-4", "DS-8.2.1-8", "DS-3.4.1-1"],
            ["re-encoded-payload"],
            "exp in a nine-byte head, correctly signed over those bytes: not deterministic",
        ),
        vd(
            record(nd, signed_payload=p),
            _err("SIGNATURE"),
            ["DS-4.5.1-1", "DS-8.2.1-7"],
            ["re-encoded-payload"],
            (
                "exp in a nine-byte head, signed over the deterministic "
                "re-encoding: the signature covers the bytes received"
            ),
        ),
        vd(
            record(unsorted),
            _err("ENCODING"),
            ["DS-3.4.1-8", "DS-8.2.1-8"],
            ["re-encoded-payload"],
            "claims sub before iss, correctly signed",
        ),
        vd(
            record(dup),
            _err("ENCODING"),
            ["DS-3.4.1-9", "DS-8.2.1-8"],
            ["re-encoded-payload"],
            "version twice, correctly signed",
        ),
        vd(
            record(p + b"\x00"),
            _err("ENCODING"),
            ["DS-3.4.1-3", "DS-8.2.1-8"],
            ["re-encoded-payload"],
            "a byte after the claims map inside the payload, correctly signed",
        ),
        vd(
            record(enc(claims(ext={"t": "e\u0301"}))),
            _err("ENCODING"),
            ["DS-3.4.1-6", "DS-3.1.1-4"],
            ["re-encoded-payload"],
            "an ext text not in NFC, correctly signed",
        ),
        vd(
            record(p.replace(b"\x01\x6cacme.example", b"\x01\x7f\x6cacme.example\xff")),
            _err("ENCODING"),
            ["DS-3.4.1-5", "DS-3.1.2-4"],
            ["re-encoded-payload"],
            "iss as an indefinite-length text, correctly signed",
        ),
        vd(
            record(enc(claims(ext={"f": 0})).replace(b"\x61f\x00", b"\x61f\xf9\x00\x00")),
            _err("ENCODING"),
            ["DS-3.4.1-5", "DS-3.1.2-2"],
            ["re-encoded-payload"],
            "an ext value half-float 0.0, correctly signed",
        ),
        vd(
            record(enc(claims(ext={"f": 0})).replace(b"\x61f\x00", b"\x61f\xc1\x00")),
            _err("ENCODING"),
            ["DS-3.4.1-5", "DS-3.1.2-1"],
            ["re-encoded-payload"],
            "an ext value with tag 1, correctly signed",
        ),
        vd(
            record(enc(claims(ext={"f": 0})).replace(b"\x61f\x00", b"\x61f\xf7")),
            _err("ENCODING"),
            ["DS-3.4.1-5", "DS-3.1.2-3"],
            ["re-encoded-payload"],
            "an ext value undefined, correctly signed",
        ),
        vd(
            record(enc(claims(exp=T0 + 7 * DAY)).replace(b"\x04\x1a", b"\x04\x3a")),
            _err("ENCODING"),
            ["DS-6.1.1-3"],
            ["claims"],
            "exp negative in a five-byte head, correctly signed",
        ),
    ]
    # §8.2.2 and the order of the steps
    broken = enc({k: v for k, v in c.items() if k != 1})
    bsig = record(broken)
    out += [
        vd(
            bsig[:-64] + bytes([bsig[-64] ^ 1]) + bsig[-63:],
            _err("SIGNATURE"),
            ["DS-8.2.2-1", "DS-8.2.1-1"],
            ["payload-before-signature", "check-order"],
            "no iss claim and a bad signature: signature (step 6) first",
        ),
        vd(
            record(b"\xff\xff"),
            _err("ENCODING"),
            ["DS-8.2.1-8"],
            ["re-encoded-payload"],
            "a payload of two break bytes, correctly signed",
        ),
        vd(
            record(b"\xff\xff")[:-64] + bytes(64),
            _err("SIGNATURE"),
            ["DS-8.2.2-1"],
            ["payload-before-signature"],
            "a payload of two break bytes and a bad signature",
        ),
        vd(
            flipped,
            _err("SIGNATURE"),
            ["DS-8.2.2-1", "DS-8.2.1-1"],
            ["payload-before-signature", "check-order"],
            "a bad signature on an expired record: signature (step 6) before validity (step 10)",
            now=exp + DAY,
        ),
        vd(
            record(broken, kid_of="other"),
            _err("UNKNOWN_KEY"),
            ["DS-8.2.1-1", "DS-8.2.1-6"],
            ["check-order"],
            "no iss claim and an unknown kid: unknown key (step 5) first",
        ),
        vd(
            record(c, typ=DELEG, kid_of="other"),
            _err("ENCODING"),
            ["DS-8.2.1-1", "DS-8.2.1-4"],
            ["check-order", "typ-confusion"],
            "a wrong typ and an unknown kid: encoding (step 3) first",
        ),
        vd(
            good,
            _err("DESCRIPTOR"),
            ["DS-8.2.1-1", "DS-8.2.1-9"],
            ["check-order", "issuer"],
            "another issuer expected and the record expired: descriptor (step 8) first",
            issuer="other.example",
            now=exp + DAY,
        ),
    ]
    # issuer (§8.2 step 8)
    out += [
        vd(
            good,
            ok,
            ["DS-8.2.1-9"],
            ["issuer"],
            "the expected issuer is iss",
            issuer="acme.example",
        ),
        vd(
            good,
            _err("DESCRIPTOR"),
            ["DS-8.2.1-9"],
            ["issuer"],
            "another issuer expected",
            issuer="other.example",
        ),
        vd(
            good,
            _err("DESCRIPTOR"),
            ["DS-8.2.1-9"],
            ["issuer"],
            "a parent of iss expected",
            issuer="example",
        ),
        vd(
            good,
            _err("DESCRIPTOR"),
            ["DS-8.2.1-9"],
            ["issuer"],
            "iss with another case expected",
            issuer="ACME.example",
        ),
        vd(
            good,
            _err("DESCRIPTOR"),
            ["DS-8.2.1-9"],
            ["issuer"],
            "iss with a trailing dot expected",
            issuer="acme.example.",
        ),
    ]
    # ext and crit (§6.5)
    ce = claims(ext={"a": 1, "b": "x"}, crit=["a"])
    cer = record(ce)
    out += [
        vd(
            record(claims(ext={"a": 1})),
            _ok(claims(ext={"a": 1})),
            ["DS-6.5.1-3"],
            ["ext-crit"],
            "an ext key not understood, not critical",
        ),
        vd(
            cer,
            _ok(ce),
            ["DS-6.5.2-3", "DS-6.1.1-10", "DS-6.5.2-1"],
            ["ext-crit"],
            "crit [a], a understood",
            extensions=["a"],
        ),
        vd(
            cer,
            _err("CRITICAL_EXTENSION"),
            ["DS-6.5.2-3", "DS-8.2.1-10"],
            ["ext-crit"],
            "crit [a], nothing understood",
        ),
        vd(
            cer,
            _err("CRITICAL_EXTENSION"),
            ["DS-6.5.2-3"],
            ["ext-crit"],
            "crit [a], only b understood",
            extensions=["b"],
        ),
        vd(
            cer,
            _err("CRITICAL_EXTENSION"),
            ["DS-6.5.2-3"],
            ["ext-crit"],
            "crit [a], A understood (keys are case-sensitive)",
            extensions=["A"],
        ),
        vd(
            cer,
            _err("CRITICAL_EXTENSION"),
            ["DS-8.2.1-1", "DS-8.2.1-10"],
            ["ext-crit", "check-order"],
            "crit not understood and expired: critical extension (step 9) first",
            now=exp + DAY,
        ),
    ]
    # size (§3.3.1, §7): 880 bytes at most
    c880 = _pad_to(880)
    c881 = _pad_to(881)
    out += [
        vd(
            record(c880),
            _ok(c880),
            ["DS-3.3.1-1", "DS-7.1-1", "DS-7.2-2"],
            ["oversize"],
            "a record of exactly 880 bytes",
        ),
        vd(
            record(c881),
            _err("OVERSIZE"),
            ["DS-3.3.1-1", "DS-3.3.1-3", "DS-7.1-1", "DS-7.2-2", "DS-8.2.1-2"],
            ["oversize"],
            "a correctly signed record of 881 bytes",
        ),
        vd(
            record(c881),
            _err("OVERSIZE"),
            ["DS-3.3.1-2", "DS-8.2.1-1"],
            ["oversize", "check-order"],
            "881 bytes and no trusted key has the kid: oversize first",
            keys=("other",),
        ),
    ]
    # nesting (§3.3.2, §6.5.1): the payload starts a new count; ext is depth 2
    deep8 = claims(ext={"d": [[[[[[0]]]]]]})
    deep9 = claims(ext={"d": [[[[[[[0]]]]]]]})
    out += [
        vd(
            record(deep8),
            _ok(deep8),
            ["DS-3.3.2-1", "DS-3.3.2-2", "DS-6.5.1-2"],
            ["nesting-depth"],
            (
                "ext value nested so that the payload reaches depth 8 "
                "(and depth 9 counted from the envelope)"
            ),
        ),
        vd(
            record(deep9),
            _err("OVERSIZE"),
            ["DS-3.3.2-1", "DS-3.3.2-3", "DS-6.5.1-2", "DS-8.2.1-8"],
            ["nesting-depth"],
            "ext value nested so that the payload reaches depth 9: oversize (step 7)",
        ),
    ]
    # rollback (§8.5)
    v1, v2, v3 = (claims(version=v) for v in (1, 2, 3))
    r1, r2, r3 = record(v1), record(v2), record(v3)
    v2b = claims(version=2, endpoints=[endpoint(port=8443)])
    R = ["DS-8.2.1-12"]
    out += [
        vd(r2, _ok(v2), ["DS-8.5.2-1"], ["rollback"], "version 2 after version 1", seen=[r1]),
        vd(
            r1,
            _err("ROLLBACK"),
            ["DS-8.5.2-1", *R],
            ["rollback"],
            "version 1 after version 2",
            seen=[r2],
        ),
        vd(
            record(v2b),
            _err("ROLLBACK"),
            ["DS-8.5.2-2", *R],
            ["rollback"],
            "version 2 with other claims than the version 2 seen",
            seen=[r2],
        ),
        vd(r2, _ok(v2), ["DS-8.5.2-3"], ["rollback"], "the same record again", seen=[r2]),
        vd(
            record(v2, signer="other"),
            _ok(v2, "other"),
            ["DS-8.5.2-3"],
            ["rollback"],
            "the same payload re-signed by the zone's second key (rollover)",
            seen=[r2],
            keys=("acme", "other"),
        ),
        vd(
            r2,
            _err("ROLLBACK"),
            ["DS-8.5.2-4", "DS-8.5.2-1"],
            ["rollback"],
            "version 2 after versions 2 then 3 were accepted: the verifier remembers the highest",
            seen=[r2, r3],
        ),
        vd(
            r1,
            _ok(v1),
            ["DS-8.5.2-1"],
            ["rollback"],
            "version 1 when only another subject's version 5 was seen",
            seen=[record(claims(version=5, sub="ucid:acme.example/cn-gd/x86-64-v2"))],
        ),
        vd(
            r1,
            _err("EXPIRED"),
            ["DS-8.2.1-1", "DS-8.2.1-11"],
            ["rollback", "check-order"],
            "version 1 after version 2, and expired: expired (step 10) first",
            seen=[r2],
            now=exp + DAY,
        ),
    ]
    return out


# ------------------------------------------------------ descriptor: producing

_SEED = "ucid-conformance key acme"
#: RFC 8032 §7.1 TEST 1, the key of spec/descriptor.md Appendix A.
TEST1_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"


def _spec(**over: Any) -> dict[str, Any]:
    """The JSON input (§13) of the base descriptor, with ``over``; None removes a member
    (use the string "null" for a JSON null)."""
    base: dict[str, Any] = {
        "issuer": "acme.example",
        "subject": "ucid:acme.example/cn-gd/x86-64",
        "version": 1,
        "issued_at": T0,
        "not_before": T0,
        "expires": T0 + 7 * DAY,
        "endpoints": [_ep_spec()],
    }
    base.update(over)
    return {k: (None if v == "null" else v) for k, v in base.items() if v is not None}


def _ep_spec(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "transport": "tcp",
        "protocol": "https",
        "host": "api.acme.example",
        "port": 443,
        "priority": 1,
        "weight": 0,
    }
    base.update(over)
    return {k: (None if v == "null" else v) for k, v in base.items() if v is not None}


def _produce(c: Mapping[int, Any], seed_hex: str) -> dict[str, Any]:
    signer = cid.SigningKey.from_seed(bytes.fromhex(seed_hex))
    payload = enc(c)
    prot = protected(signer.kid)
    signed = envelope(prot, payload, signer.sign(sig_structure(prot, payload)))
    return {
        "result": "valid",
        "output": {"payload": payload.hex(), "signed": signed.hex(), "kid": signer.kid.hex()},
    }


def _encode_cases() -> list[Case]:
    seed = hashlib.sha256(_SEED.encode()).hexdigest()
    out: list[Case] = []

    def enc_case(
        spec: dict[str, Any],
        expected: dict[str, Any],
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        seed_hex: str = seed,
    ) -> None:
        out.append(
            Case(
                "encode_descriptor",
                {"descriptor": spec, "seed": seed_hex},
                expected,
                list(reqs),
                list(flags),
                comment,
                profile="descriptor",
            )
        )

    def good(
        spec: dict[str, Any],
        c: Mapping[int, Any],
        reqs: Sequence[str],
        comment: str,
        flags: Sequence[str] = (),
    ) -> None:
        enc_case(spec, _produce(c, seed), reqs, ["producer", *flags], comment)

    def bad(
        spec: dict[str, Any],
        reqs: Sequence[str],
        comment: str,
        flags: Sequence[str] = ("json-input",),
        codes: tuple[str, ...] = ("ENCODING",),
    ) -> None:
        extra = (
            ["DS-13.1.1-2"] if "DS-13.5.1-1" in reqs else []
        )  # the schema accepts it; a rule of §13.5 does not
        enc_case(spec, _err(*codes), ["DS-11.2-2", *reqs, *extra], ["producer", *flags], comment)

    cap_sub = "ucid:acme.example/cn-gd/x86-64/acc=8;mem=549755813888B"
    good(
        _spec(),
        claims(),
        [
            "DS-13.2.1-1",
            "DS-13.2.1-2",
            "DS-13.2.1-3",
            "DS-13.2.1-7",
            "DS-13.3.1-1",
            "DS-13.3.1-2",
            "DS-13.3.1-3",
            "DS-13.3.1-4",
            "DS-13.3.1-5",
            "DS-13.3.1-6",
            "DS-4.2.2-1",
            "DS-7.2-1",
            "DS-6.3.2-2",
        ],
        "the base descriptor, every time given",
    )
    # spec/descriptor.md §13.6 and Appendix A, with issued_at given (its default is the
    # producer's clock)
    example = {
        "issuer": "acme.example",
        "subject": "ucid:acme.example/cn-gd/x86-64-v4+sm90/mem=512GiB;acc=8",
        "version": 1,
        "issued_at": T0,
        "expires": 1767830400,
        "capabilities": [],
        "endpoints": [
            {
                "transport": "quic",
                "protocol": "ucid-rpc",
                "host": "api.acme.example",
                "port": 443,
                "alpn": ["h3"],
                "priority": 1,
                "weight": 10,
                "region": "cn-gd",
            },
            {
                "transport": "tcp",
                "protocol": "https",
                "host": "192.0.2.10",
                "port": 8443,
                "alpn": ["h2"],
                "priority": 2,
            },
        ],
    }
    a2 = {
        1: "acme.example",
        2: "ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B",
        4: 1767830400,
        5: T0,
        6: T0,
        8: 1,
        9: [
            {
                0: "quic",
                1: "ucid-rpc",
                2: "api.acme.example",
                3: 443,
                4: ["h3"],
                5: 1,
                6: 10,
                7: "cn-gd",
            },
            {0: "tcp", 1: "https", 2: "192.0.2.10", 3: 8443, 4: ["h2"], 5: 2, 6: 0},
        ],
    }
    enc_case(
        example,
        _produce(a2, TEST1_SEED),
        [
            "DS-13.4.1-1",
            "DS-13.4.2-3",
            "DS-13.2.1-5",
            "DS-13.3.1-6",
            "DS-13.3.1-7",
            "DS-13.3.1-8",
            "DS-5.2.1-1",
        ],
        ["producer"],
        "spec/descriptor.md §13.6 with issued_at 1767225600: the record of Appendix A.3",
        seed_hex=TEST1_SEED,
    )
    good(
        _spec(subject="ucid:Acme.example/CN-GD/x86-64"),
        claims(),
        ["DS-13.4.1-1", "DS-13.2.1-2"],
        "a subject in another spelling becomes sub in canonical form",
    )
    good(
        _spec(not_before=None),
        claims(),
        ["DS-13.2.1-5"],
        "no not_before: nbf is iat",
        ["json-input"],
    )
    good(
        _spec(not_before="null"),
        claims(),
        ["DS-13.1.5-1", "DS-13.2.1-5"],
        "not_before null: as if absent",
        ["json-input"],
    )
    good(
        _spec(not_before=T0 - DAY),
        claims(nbf=T0 - DAY),
        ["DS-13.2.1-5"],
        "not_before before issued_at",
    )
    good(
        _spec(subject=cap_sub),
        claims(sub=cap_sub, capabilities=["acc=8", "mem=549755813888B"]),
        ["DS-13.4.2-2", "DS-13.2.1-8"],
        "no capabilities: the subject's attributes",
        ["json-input"],
    )
    good(
        _spec(subject=cap_sub, capabilities="null"),
        claims(sub=cap_sub, capabilities=["acc=8", "mem=549755813888B"]),
        ["DS-13.4.2-2", "DS-13.1.5-1"],
        "capabilities null: as if absent",
        ["json-input"],
    )
    good(
        _spec(subject=cap_sub, capabilities=[]),
        claims(sub=cap_sub),
        ["DS-13.4.2-3", "DS-13.2.1-8"],
        "capabilities []: no claim 10, although the subject has attributes",
        ["json-input"],
    )
    good(
        _spec(subject=cap_sub, capabilities=["acc=8", "cpu=64", "mem=549755813888B"]),
        claims(sub=cap_sub, capabilities=["acc=8", "cpu=64", "mem=549755813888B"]),
        ["DS-13.4.2-1"],
        "capabilities given, canonical: copied",
    )
    good(
        _spec(),
        claims(),
        ["DS-13.4.2-2"],
        "no capabilities and a subject without attributes: no claim 10",
    )
    good(
        _spec(endpoints=[_ep_spec(priority=None, weight=None)]),
        claims(),
        ["DS-13.3.1-5", "DS-13.3.1-6"],
        "no priority and no weight: 1 and 0",
        ["json-input"],
    )
    good(
        _spec(endpoints=[_ep_spec(priority="null", weight="null", alpn="null", region="null")]),
        claims(),
        ["DS-13.1.5-1", "DS-13.3.1-5", "DS-13.3.1-6"],
        "priority, weight, alpn and region null: as if absent",
        ["json-input"],
    )
    good(
        _spec(endpoints=[_ep_spec(alpn=[])]),
        claims(),
        ["DS-13.3.1-7"],
        "alpn []: no key 4",
        ["json-input"],
    )
    good(
        _spec(endpoints=[_ep_spec(alpn=["h3", "h2"], region="cn-gd")]),
        claims(endpoints=[endpoint(alpn=["h3", "h2"], region="cn-gd")]),
        ["DS-13.3.1-7", "DS-13.3.1-8"],
        "alpn h3, h2 in that order, and a region",
    )
    good(
        _spec(endpoints=[_ep_spec(priority=2), _ep_spec(port=8443)]),
        claims(endpoints=[endpoint(priority=2), endpoint(port=8443)]),
        ["DS-13.2.1-7"],
        "endpoints kept in their order",
    )
    good(
        _spec(endpoints=[_ep_spec(host="2001:db8::1", protocol="grpc+web.v2")]),
        claims(endpoints=[endpoint(host="2001:db8::1", protocol="grpc+web.v2")]),
        ["DS-13.3.2-1"],
        "host and protocol copied unchanged",
    )
    ext = {
        "s": "x",
        "i": -5,
        "u": 2**64 - 1,
        "n": -(2**64),
        "t": True,
        "f": False,
        "z": None,
        "a": [1, "b", [None]],
        "o": {"b": 1, "aa": {"c": []}},
    }
    good(
        _spec(ext=ext),
        claims(ext=ext),
        ["DS-13.4.3-1", "DS-13.4.3-2", "DS-13.2.1-9", "DS-13.4.4-1"],
        (
            "ext of every JSON type; integers at the 64-bit bounds; keys "
            "ordered as CBOR orders them, not as JSON text"
        ),
    )
    good(
        _spec(ext={"b": 1, "aa": 2}),
        claims(ext={"b": 1, "aa": 2}),
        ["DS-13.4.4-1"],
        "ext keys aa and b: the payload has b first (bytewise order of the encodings)",
    )
    good(_spec(ext={}), claims(), ["DS-13.2.1-9"], "ext {}: no claim 11", ["json-input"])
    good(
        _spec(ext="null", crit="null"),
        claims(),
        ["DS-13.1.5-1"],
        "ext and crit null",
        ["json-input"],
    )
    good(_spec(crit=[]), claims(), ["DS-13.2.1-10"], "crit []: no claim 12", ["json-input"])
    good(
        _spec(ext={"a": 1, "b": 2}, crit=["b", "a"]),
        claims(ext={"a": 1, "b": 2}, crit=["b", "a"]),
        ["DS-13.2.1-10"],
        "crit kept in its order",
    )
    good(
        _spec(ext={"é" * 32: 1}),
        claims(ext={"é" * 32: 1}),
        ["DS-13.2.1-9"],
        "an ext name of 64 bytes of UTF-8",
    )
    good(
        _spec(ext={"d": [[[[[[0]]]]]]}),
        claims(ext={"d": [[[[[[0]]]]]]}),
        ["DS-13.4.3-5"],
        "an ext value nested 6 deep",
    )
    good(
        _spec(version=2**64 - 1),
        claims(version=2**64 - 1),
        ["DS-13.1.3-2", "DS-13.2.1-3"],
        "version 2^64-1",
        ["integer-range"],
    )
    good(
        _spec(version=2**53 + 1),
        claims(version=2**53 + 1),
        ["DS-13.1.3-2"],
        "version 2^53+1 (not a double)",
        ["integer-range"],
    )
    # size: the padded claims of exactly 880 and 881 bytes, made from the input
    for size in (880, 881):
        c = _pad_to(size)
        spec = _spec(ext=c[11])
        if size == 880:
            good(
                spec, c, ["DS-7.2-1", "DS-13.5.1-1"], "a record of exactly 880 bytes", ["oversize"]
            )
        else:
            bad(
                spec,
                ["DS-7.2-1", "DS-13.5.1-1", "DS-6.3.2-2"],
                "a record of 881 bytes",
                ["oversize"],
                ("OVERSIZE",),
            )
    # rejections
    bad(_spec(foo=1), ["DS-13.1.5-3", "DS-13.1.1-1"], "an unknown member foo")
    bad(_spec(endpoints=[_ep_spec(target="x")]), ["DS-13.1.5-3"], "an unknown endpoint member")
    for name in ("issuer", "subject", "version", "endpoints"):
        bad(_spec(**{name: None}), ["DS-13.1.5-2", "DS-13.1.1-1"], f"no {name}")
        bad(_spec(**{name: "null"}), ["DS-13.1.5-2"], f"{name} null")
    bad(_spec(endpoints=[_ep_spec(host=None)]), ["DS-13.1.5-2"], "an endpoint without host")
    bad(
        _spec(issuer="Acme.example"),
        ["DS-13.1.1-1", "DS-6.3.2-2", "DS-13.2.1-1"],
        "issuer with a capital",
        ["zone-name"],
    )
    bad(
        _spec(issuer="a_b.example"),
        ["DS-13.1.1-1", "DS-6.3.2-2"],
        "issuer with an underscore inside a label",
        ["zone-name"],
    )
    bad(
        _spec(subject="acme.example"),
        ["DS-13.4.1-2", "DS-11.2-2"],
        "a subject that is not a UCID",
        ["subject"],
    )
    bad(_spec(version=1.0), ["DS-13.1.3-1"], "version 1.0", ["json-input", "integer-range"])
    bad(
        _spec(expires=float(T0 + 7 * DAY)),
        ["DS-13.1.3-1"],
        "expires with a fraction part (.0)",
        ["json-input"],
    )
    bad(_spec(version="1"), ["DS-13.1.1-1"], "version as a string")
    bad(
        _spec(version=-1),
        ["DS-13.1.1-1", "DS-13.2.1-3"],
        "version -1",
        ["json-input", "integer-range"],
    )
    bad(
        _spec(version=2**64),
        ["DS-13.1.1-1", "DS-13.1.3-2"],
        "version 2^64",
        ["json-input", "integer-range"],
    )
    bad(_spec(issued_at="2026-01-01T00:00:00Z"), ["DS-13.1.4-1"], "issued_at as an ISO 8601 text")
    bad(
        _spec(endpoints=[_ep_spec(host="192.0.2.010")]),
        ["DS-13.5.1-1", "DS-13.3.2-2"],
        "host 192.0.2.010",
        ["host-spelling"],
    )
    bad(
        _spec(endpoints=[_ep_spec(host="::FFFF:1")]),
        ["DS-13.5.1-1", "DS-13.3.2-2"],
        "host ::FFFF:1",
        ["host-spelling"],
    )
    bad(
        _spec(endpoints=[_ep_spec(host="API.acme.example")]),
        ["DS-13.3.2-1", "DS-13.3.2-2"],
        "host with capitals: rejected, not lowercased",
        ["host-spelling"],
    )
    bad(
        _spec(endpoints=[_ep_spec(protocol="HTTPS")]),
        ["DS-13.3.2-1", "DS-13.1.1-1"],
        "protocol with capitals: rejected, not lowercased",
    )
    bad(
        _spec(endpoints=[_ep_spec(region="CN-GD")]),
        ["DS-13.3.2-1"],
        "region with capitals: rejected, not lowercased",
    )
    bad(
        _spec(endpoints=[_ep_spec(transport="sctp")]),
        ["DS-13.1.1-1", "DS-13.3.2-2"],
        "transport sctp",
    )
    bad(_spec(endpoints=[_ep_spec(port=0)]), ["DS-13.1.1-1", "DS-13.3.2-2"], "port 0")
    bad(_spec(endpoints=[_ep_spec(priority=0)]), ["DS-13.1.1-1", "DS-13.3.2-2"], "priority 0")
    bad(
        _spec(endpoints=[_ep_spec(alpn=["h2", "h2"])]),
        ["DS-13.1.1-1", "DS-13.3.2-2"],
        "alpn h2 twice",
    )
    bad(
        _spec(endpoints=[_ep_spec(), _ep_spec(priority=2)]),
        ["DS-13.5.1-1"],
        "two endpoints with equal transport, protocol, host and port",
    )
    bad(
        _spec(endpoints=[_ep_spec(port=1000 + i) for i in range(17)]),
        ["DS-13.1.1-1"],
        "17 endpoints",
    )
    bad(_spec(endpoints=[]), ["DS-13.1.1-1"], "no endpoints")
    bad(
        _spec(subject=cap_sub, capabilities=["mem=549755813888B", "acc=8"]),
        ["DS-13.4.2-1", "DS-13.5.1-1"],
        "capabilities out of order: rejected, not sorted",
        ["capabilities"],
    )
    bad(
        _spec(subject=cap_sub, capabilities=["acc=8", "mem=512GiB"]),
        ["DS-13.4.2-1"],
        "capabilities not canonical: rejected, not canonicalised",
        ["capabilities"],
    )
    bad(
        _spec(subject=cap_sub, capabilities=["acc=8"]),
        ["DS-13.4.2-1", "DS-13.5.1-1"],
        "capabilities without the subject's mem",
        ["capabilities"],
    )
    bad(
        _spec(ext={"a": 1}, crit=["b"]),
        ["DS-13.5.1-1", "DS-6.5.2-1"],
        "crit names a member that ext lacks",
        ["ext-crit"],
    )
    bad(_spec(crit=["a"]), ["DS-13.5.1-1"], "crit without ext", ["ext-crit"])
    bad(
        _spec(ext={"a": 1}, crit=["a", "a"]),
        ["DS-13.1.1-1", "DS-6.5.2-2"],
        "crit names a member twice",
        ["ext-crit"],
    )
    bad(_spec(ext={"x": 1.5}), ["DS-13.4.3-3"], "an ext number with a fraction")
    bad(_spec(ext={"x": 1e3}), ["DS-13.4.3-3"], "an ext number written with an exponent (1000.0)")
    bad(_spec(ext={"x": 2**64}), ["DS-13.4.3-2"], "an ext integer of 2^64", ["integer-range"])
    bad(
        _spec(ext={"x": -(2**64) - 1}),
        ["DS-13.4.3-2"],
        "an ext integer of -2^64-1",
        ["integer-range"],
    )
    bad(
        _spec(ext={"é" * 33: 1}),
        ["DS-13.5.1-1", "DS-13.2.1-9"],
        "an ext name of 33 characters, 66 bytes: the schema counts characters",
    )
    bad(_spec(ext={"x": "e\u0301"}), ["DS-13.4.3-4"], "an ext text not in NFC")
    bad(_spec(ext={"e\u0301": 1}), ["DS-13.4.3-4"], "an ext name not in NFC")
    bad(_spec(ext={"d": [[[[[[[0]]]]]]]}), ["DS-13.4.3-5"], "an ext value nested 7 deep")
    bad(_spec(ext={f"x{i:02d}": i for i in range(17)}), ["DS-13.1.1-1"], "17 ext members")
    bad(
        _spec(not_before=T0 + 7 * DAY),
        ["DS-13.5.1-1", "DS-6.1.3-1"],
        "not_before = expires",
        ["time-rules"],
    )
    bad(
        _spec(issued_at=T0 + 7 * DAY, not_before=T0),
        ["DS-13.5.1-1", "DS-6.1.3-2"],
        "issued_at = expires",
        ["time-rules"],
    )
    bad(
        _spec(issued_at=T0 + 7 * DAY, not_before=None),
        ["DS-13.5.1-1", "DS-6.1.3-1"],
        "issued_at = expires and no not_before: checked after the default",
        ["time-rules"],
    )
    bad(
        _spec(expires=T0 + 31 * DAY + 1),
        ["DS-13.5.1-1", "DS-6.1.3-3"],
        "expires 31 days + 1 s after not_before",
        ["time-rules"],
    )
    return out


def descriptor_area() -> Area:
    cases = _claim_cases() + _verify_cases() + _encode_cases()
    used = {f for c in cases for f in c.flags}
    return Area(
        name="descriptor",
        prefix="ds",
        description="verify_descriptor and encode_descriptor: the claims of spec/descriptor.md §6, "
        "verification (§5, §8), validity and skew, rollback, critical extensions, the size limit, "
        "and the JSON input of §13.",
        cases=cases,
        flags={k: v for k, v in FLAGS.items() if k in used},
    )
