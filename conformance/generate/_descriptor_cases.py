"""The "cose" and "descriptor" areas: verify_descriptor and encode_descriptor
(spec/descriptor.md §4-§8, §13)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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
    "tag": "accepting a record that is not tagged 18 exactly once, in its one-byte head d2",
    "envelope-shape": "accepting a COSE_Sign1 array of another length, or parts of the wrong CBOR type",
    "detached-payload": "accepting a detached (nil) payload",
    "signature-length": "treating a signature of another length than 64 bytes as a signature failure, or selecting a key before checking its length",
    "non-deterministic-envelope": "accepting an envelope or header that is not deterministically encoded (non-minimal heads, unsorted or duplicate keys)",
    "unprotected-header": "accepting parameters in the unprotected header, which are not signed",
    "alg": "accepting an alg other than -8 and -19, or rejecting -19",
    "header-labels": "accepting protected header labels other than alg, kid and typ, or a header without one of them",
    "kid-form": "accepting a kid that is not a 32-byte byte string, or computing the thumbprint otherwise than RFC 9679 (e.g. raw key, truncated hash)",
    "typ-confusion": "accepting a record of another typ than the one expected (a delegation as a descriptor), or any typ",
    "cose-example": "a COSE working group example, which is valid COSE but not a UCID record",
    "oversize": "not checking the 880-byte limit first, or checking it off by one",
    "nesting-depth": "not counting nesting depth, or counting it from the wrong item (the payload starts a new count)",
    "key-selection": "trying every trusted key (KeyTrap) instead of the one whose kid the header names, or trusting a kid without recomputing it",
    "unknown-key": "not rejecting a record whose kid no trusted key has",
    "bad-signature": "not verifying the signature, or verifying it over the wrong bytes",
    "malleable-signature": "accepting S + L (a signature whose S is not reduced)",
    "re-encoded-payload": "verifying the signature over a re-encoded payload instead of the bytes received, or accepting a correctly signed payload that is not deterministic",
    "check-order": "checking the steps of §8.2 in another order, so that another category is reported",
    "payload-before-signature": "interpreting the payload before the signature verified",
    "claims": "accepting claims that break a rule of §6 (missing, unknown, empty, out of range)",
    "endpoint": "accepting an endpoint that breaks a rule of §6.2",
    "host-spelling": "accepting a host in another spelling than the one §6.2.2 allows (case, leading zeros, IPv6 not in RFC 5952 form)",
    "zone-name": "accepting an iss that is not a zone name (§6.3), or rejecting one that is",
    "subject": "accepting a sub that is not a UCID in canonical form",
    "capabilities": "accepting capabilities that are not canonical, sorted, or omit the subject's attributes",
    "ext-crit": "mishandling ext and crit: rejecting unknown non-critical extensions, accepting unknown critical ones, crit not naming ext keys",
    "time-rules": "not enforcing nbf < exp, iat < exp and the maximum validity as rules of the payload",
    "validity-boundary": "off-by-one at start - skew or exp + skew, ignoring skew, or taking nbf instead of max(nbf, iat) as the start",
    "clock": "reading the clock instead of the given now",
    "issuer": "not comparing iss with the expected issuer",
    "rollback": "not rejecting a lower version, or the same version with other payload bytes (equivocation), or rejecting the same payload re-signed",
    "integer-range": "mishandling 64-bit unsigned integers (signed overflow, doubles)",
    "producer": "a producer that builds other claims than §13 maps the input to, or signs input that §13 rejects",
    "json-input": "mishandling the JSON input of §13: defaults, null as absent, unknown members, numbers with fractions",
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
    return Case("verify_descriptor", inp, expected, list(reqs), list(flags), comment, profile="descriptor", source=source)


# ----------------------------------------------------------------- cose


def _cose() -> list[Case]:
    c = claims()
    p = enc(c)
    good = record(c)
    prot = protected(kid("acme"))
    sig = key("acme").sign(sig_structure(prot, p))
    enc_err = _err("ENCODING")
    out = [
        vd(good, _ok(c), ["DS-4.1.1-1", "DS-4.1.1-2", "DS-4.1.1-3", "DS-4.1.1-4", "DS-4.1.1-5", "DS-4.1.2-1",
                          "DS-4.2.1-1", "DS-4.2.1-2", "DS-4.2.1-3", "DS-4.2.1-4", "DS-4.5.1-1", "DS-4.5.1-2",
                          "DS-4.5.2-1", "DS-3-1", "DS-8.2.1-1"], ["valid-record"],
           "the base descriptor: a well-formed record"),
        # tag (§4.1.2)
        vd(good[1:], enc_err, ["DS-4.1.2-1", "DS-4.1.2-2", "DS-8.2.1-3"], ["tag"], "the record without its tag 18"),
        vd(b"\xd8\x12" + good[1:], enc_err, ["DS-4.1.2-1", "DS-3.2.1-1"], ["tag", "non-deterministic-envelope"],
           "tag 18 in a two-byte head (d8 12)"),
        vd(b"\xd2" + good, enc_err, ["DS-4.1.2-2"], ["tag"], "tag 18 twice"),
        vd(b"\xd8\x62" + good[1:], enc_err, ["DS-4.1.2-1", "DS-4.1.2-2"], ["tag"], "tag 98 (COSE_Sign) around a COSE_Sign1 array"),
        vd(b"\xd1" + good[1:], enc_err, ["DS-4.1.2-1", "DS-4.1.2-2"], ["tag"], "tag 17 (COSE_Mac0)"),
        vd(b"\xd9\xd9\xf7" + good, enc_err, ["DS-4.1.2-1", "DS-4.1.2-2"], ["tag"], "the self-described CBOR tag 55799 before tag 18"),
        # shape (§4.1.1)
        vd(b"\xd2\x83" + bstr(prot) + b"\xa0" + bstr(p), enc_err, ["DS-4.1.1-1", "DS-8.2.1-3"], ["envelope-shape"],
           "an array of three: no signature"),
        vd(b"\xd2\x85" + bstr(prot) + b"\xa0" + bstr(p) + bstr(sig) + b"\x40", enc_err, ["DS-4.1.1-1", "DS-8.2.1-3"],
           ["envelope-shape"], "an array of five: an extra empty byte string after the signature"),
        vd(b"\xd2\x98\x04" + good[2:], enc_err, ["DS-4.1.1-1", "DS-3.2.1-1", "DS-3-1"], ["non-deterministic-envelope"],
           "the array's count in a two-byte head (98 04)"),
        vd(b"\xd2\x9f" + good[2:] + b"\xff", enc_err, ["DS-4.1.1-1", "DS-3.2.1-2", "DS-3-1"], ["non-deterministic-envelope"],
           "an indefinite-length COSE_Sign1 array"),
        vd(b"\xd2\x84" + prot + b"\xa0" + bstr(p) + bstr(sig), enc_err, ["DS-4.1.1-2"], ["envelope-shape"],
           "the protected header as a map, not a byte string"),
        vd(b"\xd2\x84" + b"\x59" + len(prot).to_bytes(2, "big") + prot + b"\xa0" + bstr(p) + bstr(sig), enc_err,
           ["DS-3-1", "DS-3.2.1-1", "DS-8.2.1-3"], ["non-deterministic-envelope"],
           "the protected byte string's length in a three-byte head; the signature is over the header's bytes"),
        vd(b"\xd2\x84" + bstr(prot) + b"\xa0" + b"\xf6" + bstr(sig), enc_err, ["DS-4.1.1-4"], ["detached-payload"],
           "payload nil (detached), signed over the payload"),
        vd(b"\xd2\x84" + bstr(prot) + b"\xa0" + head(3, len(p)) + p + bstr(sig), enc_err, ["DS-4.1.1-4"], ["envelope-shape"],
           "the payload as a text string holding the claims bytes"),
        vd(b"\xd2\x84" + bstr(prot) + b"\xa0" + b"\x59" + len(p).to_bytes(2, "big") + p + bstr(sig), enc_err,
           ["DS-3-1", "DS-3.2.1-1"], ["non-deterministic-envelope"],
           "the payload's length in a three-byte head though it is shorter than 256 bytes"),
        vd(b"\xd2\x84" + bstr(prot) + b"\xa0" + b"\x5f" + bstr(p) + b"\xff" + bstr(sig), enc_err,
           ["DS-3-1", "DS-3.2.1-2"], ["non-deterministic-envelope"], "the payload as an indefinite-length byte string of one chunk"),
        # signature length (§4.1.1): encoding, at step 2, before the key
        vd(envelope(prot, p, sig[:63]), enc_err, ["DS-4.1.1-5", "DS-4.1.1-6", "DS-8.2.1-3"], ["signature-length"],
           "a 63-byte signature (the last byte cut)"),
        vd(envelope(prot, p, sig + b"\x00"), enc_err, ["DS-4.1.1-5", "DS-4.1.1-6", "DS-8.2.1-3"], ["signature-length"],
           "a 65-byte signature (a zero byte appended)"),
        vd(envelope(prot, p, b""), enc_err, ["DS-4.1.1-5", "DS-4.1.1-6", "DS-8.2.1-3"], ["signature-length"],
           "an empty signature"),
        vd(envelope(prot, p, sig[:32]), enc_err, ["DS-4.1.1-5", "DS-4.1.1-6"], ["signature-length"],
           "a 32-byte signature: R only"),
        vd(envelope(prot, p, sig[:63]), enc_err, ["DS-4.1.1-6", "DS-8.2.1-1", "DS-8.2.1-3"], ["signature-length", "check-order"],
           "a 63-byte signature and no trusted key has the kid: encoding (step 2) before unknown key (step 5)",
           keys=("other",)),
        vd(b"\xd2\x84" + bstr(prot) + b"\xa0" + bstr(p) + head(3, 64) + sig, enc_err, ["DS-4.1.1-5"], ["envelope-shape"],
           "the signature as a text string"),
        # unprotected header (§4.4)
        vd(envelope(prot, p, sig, enc({4: kid("acme")})), enc_err, ["DS-4.4.1-1", "DS-4.4.1-2", "DS-8.2.1-5", "DS-4.1.1-3"],
           ["unprotected-header"], "the kid repeated in the unprotected header"),
        vd(envelope(prot, p, sig, enc({1: -8})), enc_err, ["DS-4.4.1-1", "DS-4.4.1-2", "DS-8.2.1-5"], ["unprotected-header"],
           "alg in the unprotected header"),
        vd(envelope(prot, p, sig, enc({"x": 0})), enc_err, ["DS-4.4.1-1", "DS-4.4.1-2"], ["unprotected-header"],
           "a text-labelled parameter in the unprotected header"),
        vd(envelope(prot, p, sig, b"\x40"), enc_err, ["DS-4.1.1-3"], ["envelope-shape"],
           "the unprotected header as an empty byte string"),
        vd(envelope(prot, p, sig, b"\xbf\xff"), enc_err, ["DS-4.1.1-3", "DS-3.2.1-2"], ["non-deterministic-envelope"],
           "the unprotected header as an empty indefinite-length map"),
        vd(envelope(prot, p, sig, b"\xa1\x00" + b"\x81" * 7 + b"\x80"), _err("OVERSIZE"),
           ["DS-8.2.1-3", "DS-3.3.2-1", "DS-3.3.2-3"], ["nesting-depth", "check-order"],
           "the unprotected header holds arrays nested to depth 9 of the record: oversize at step 2, before its emptiness (step 4)"),
        # trailing bytes
        vd(good + b"\x00", enc_err, ["DS-3.4.1-3", "DS-8.2.1-3"], ["envelope-shape"], "a zero byte after the record"),
        vd(good + good, enc_err, ["DS-3.4.1-3"], ["envelope-shape"], "the record twice"),
        # protected header (§4.2, §4.3)
        vd(record(c, alg=-19), _ok(c), ["DS-4.2.2-2", "DS-4.2.1-2"], ["alg"], "alg -19 (Ed25519, RFC 9864): accepted"),
        vd(record(c, alg=-7), enc_err, ["DS-4.2.2-3", "DS-8.2.1-4"], ["alg"], "alg -7 (ES256)"),
        vd(record(c, alg=-35), enc_err, ["DS-4.2.2-3"], ["alg"], "alg -35 (ES384)"),
        vd(record(c, alg=-9), enc_err, ["DS-4.2.2-3"], ["alg"], "alg -9 (ESP256, fully specified ECDSA)"),
        vd(record(c, alg=8), enc_err, ["DS-4.2.2-3"], ["alg"], "alg 8 instead of -8"),
        vd(record(c, protected_bytes=enc({1: "EdDSA", 4: kid("acme"), 16: DESC})), enc_err, ["DS-4.2.2-3", "DS-4.2.1-2"], ["alg"],
           "alg as the text EdDSA"),
        vd(record(c, protected_bytes=b"\xa3\x01\x38\x07" + enc(4)[0:1] + bstr(kid("acme")) + b"\x10" + enc(DESC)), enc_err,
           ["DS-3.2.1-1", "DS-3-1", "DS-8.2.1-4"], ["non-deterministic-envelope"], "alg -8 written in two bytes (38 07)"),
        vd(record(c, protected_bytes=enc({4: kid("acme"), 16: DESC})), enc_err, ["DS-4.2.1-1", "DS-4.2.1-2"], ["header-labels"],
           "no alg"),
        vd(record(c, protected_bytes=enc({1: -8, 16: DESC})), enc_err, ["DS-4.2.1-1", "DS-4.2.1-3"], ["header-labels"], "no kid"),
        vd(record(c, protected_bytes=enc({1: -8, 4: kid("acme")})), enc_err, ["DS-4.2.1-1", "DS-4.2.1-4"], ["header-labels", "typ-confusion"],
           "no typ"),
        vd(record(c, protected_bytes=enc({1: -8, 3: 0, 4: kid("acme"), 16: DESC})), enc_err, ["DS-4.2.1-1", "DS-4.2.3-1"],
           ["header-labels"], "content type (3) as well"),
        vd(record(c, protected_bytes=enc({1: -8, 2: [16], 4: kid("acme"), 16: DESC})), enc_err, ["DS-4.2.1-1", "DS-4.2.3-1"],
           ["header-labels"], "crit (2) naming typ"),
        vd(record(c, protected_bytes=enc({1: -8, 4: kid("acme"), 5: b"\x00" * 12, 16: DESC})), enc_err, ["DS-4.2.1-1", "DS-4.2.3-1"],
           ["header-labels"], "an IV (5) as well"),
        vd(record(c, protected_bytes=enc({1: -8, 4: kid("acme"), 15: {1: "acme.example"}, 16: DESC})), enc_err,
           ["DS-4.2.1-1", "DS-4.2.3-1"], ["header-labels"], "CWT claims (15) in the header as well"),
        vd(record(c, protected_bytes=b"\xa0"), enc_err, ["DS-4.2.1-1"], ["header-labels"], "an empty protected header map"),
        vd(record(c, protected_bytes=b""), enc_err, ["DS-4.2.1-1", "DS-4.1.1-2"], ["header-labels"],
           "an empty protected byte string"),
        vd(record(c, kid_bytes=kid("acme")[:16]), enc_err, ["DS-4.2.1-3", "DS-8.2.1-4"], ["kid-form"],
           "a kid truncated to 16 bytes (as some COSE libraries do)"),
        vd(record(c, kid_bytes=kid("acme") + b"\x00"), enc_err, ["DS-4.2.1-3"], ["kid-form"], "a 33-byte kid"),
        vd(record(c, protected_bytes=enc({1: -8, 4: kid("acme").hex(), 16: DESC})), enc_err, ["DS-4.2.1-3"], ["kid-form"],
           "the kid as hexadecimal text"),
        vd(record(c, typ=DELEG), enc_err, ["DS-4.3.1-2", "DS-8.2.1-4"], ["typ-confusion"],
           "a descriptor payload under the delegation typ"),
        vd(record(c, typ=ANCHOR), enc_err, ["DS-4.3.1-2"], ["typ-confusion"], "a descriptor payload under the anchor typ"),
        vd(record(c, typ="application/cbor"), enc_err, ["DS-4.3.1-1", "DS-4.3.1-2"], ["typ-confusion"], "typ application/cbor"),
        vd(record(c, typ="application/cwt"), enc_err, ["DS-4.3.1-1", "DS-4.3.1-2"], ["typ-confusion"], "typ application/cwt"),
        vd(record(c, typ="Application/UCID-descriptor+cbor"), enc_err, ["DS-4.3.1-1", "DS-4.3.1-2"], ["typ-confusion"],
           "typ in other letter case (typ is compared as text, byte for byte)"),
        vd(record(c, protected_bytes=enc({1: -8, 4: kid("acme"), 16: 61})), enc_err, ["DS-4.2.1-4"], ["typ-confusion"],
           "typ as a content-format number (61, application/cwt)"),
        vd(record(c, protected_bytes=b"\xa3\x04" + bstr(kid("acme")) + b"\x01\x27\x10" + enc(DESC)), enc_err,
           ["DS-3.2.1-3", "DS-3-1"], ["non-deterministic-envelope"], "protected header keys in the order 4, 1, 16"),
        vd(record(c, protected_bytes=b"\xa4\x01\x27\x01\x27\x04" + bstr(kid("acme")) + b"\x10" + enc(DESC)), enc_err,
           ["DS-3.2.1-4", "DS-3-1"], ["non-deterministic-envelope"], "alg twice in the protected header"),
        vd(record(c, protected_bytes=b"\xa3\x01\x27\x04" + bstr(kid("acme")) + b"\x10\x79\x00\x20" + DESC.encode()), enc_err,
           ["DS-3.2.1-1", "DS-3-1"], ["non-deterministic-envelope"], "typ's length in a three-byte head"),
        vd(record(c, protected_bytes=b"\xbf\x01\x27\x04" + bstr(kid("acme")) + b"\x10" + enc(DESC) + b"\xff"), enc_err,
           ["DS-3.2.1-2", "DS-3-1"], ["non-deterministic-envelope"], "the protected header as an indefinite-length map"),
        vd(record(c, protected_bytes=protected(kid("acme")) + b"\x00"), enc_err, ["DS-3.4.1-3", "DS-3-1"],
           ["non-deterministic-envelope"], "a byte after the protected header map, inside its byte string"),
        # oversize (§3.3.1): before reading anything
        vd(b"\xff" * 881, _err("OVERSIZE"), ["DS-3.3.1-2", "DS-3.3.1-3", "DS-8.2.1-2", "DS-7.2-2"], ["oversize", "check-order"],
           "881 bytes of ff: oversize, before the first byte is read"),
        vd(b"\xd2" * 2000, _err("OVERSIZE"), ["DS-3.3.1-2", "DS-3.3.1-3", "DS-8.2.1-2"], ["oversize"],
           "2000 bytes of d2 (tags without end)"),
    ]
    # COSE working group examples (tests/vectors/external): valid COSE, not UCID records.
    sig01 = json.loads((_EXTERNAL / "cose-eddsa-sig-01.json").read_text())
    test1 = sig01["input"]["sign0"]["key"]["x_hex"]
    ex01 = json.loads((_EXTERNAL / "cose-eddsa-01.json").read_text())
    for data, name, why in (
        (sig01, "eddsa-sig-01.json", "COSE_Sign1 with protected {1: -8, 3: 0} and kid '11' unprotected"),
        (ex01, "eddsa-01.json", "COSE_Sign (tag 98), not COSE_Sign1"),
    ):
        case = vd(bytes.fromhex(data["output"]["cbor"]), enc_err, ["DS-4.1.2-2", "DS-4.2.1-1", "DS-4.4.1-2"], ["cose-example"],
                  f"COSE WG example {name}: {why}", source=f"cose-wg Examples eddsa-examples/{name} output.cbor")
        case.input["keys"] = [test1]
        out.append(case)
    return out


def cose_area() -> Area:
    cases = _cose()
    used = {f for c in cases for f in c.flags}
    return Area(
        name="descriptor-cose",
        prefix="cose",
        description="verify_descriptor on malformed envelopes: tag, COSE_Sign1 shape, protected and "
        "unprotected headers, signature length, non-deterministic encodings (spec/descriptor.md §3, §4).",
        cases=cases,
        flags={k: v for k, v in FLAGS.items() if k in used},
    )
