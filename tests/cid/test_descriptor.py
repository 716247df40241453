"""Signed descriptors, delegations and anchor rotations (spec/descriptor.md §6-§10).

Tables of valid and invalid records, built with the low-level COSE functions
so that each case breaks exactly one rule, then checked through verify().
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2
import pytest

from cid._cbor import ProfileError, Value, encode
from cid._cose import encode_sign1, sig_structure
from cid._descriptor import (
    DEFAULT_SKEW,
    MAX_DELEGATION_VALIDITY,
    MAX_DESCRIPTOR_VALIDITY,
    MAX_SIGNED,
    MAX_SKEW,
    TYP_ANCHOR,
    TYP_DELEGATION,
    TYP_DESCRIPTOR,
    Delegation,
    Descriptor,
    Endpoint,
    encode_payload,
)
from cid._descriptor_fast import PART_MEMOS as _PART_MEMOS
from cid._descriptor_fast import fast_descriptor as _fast_descriptor
from cid._errors import (
    CidError,
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
from cid._keys import SigningKey, VerifyKey
from cid._signed import (
    _descriptors,
    decode_unverified,
    sign,
    sign_rotation,
    verify,
    verify_delegation,
    verify_rotation,
)

SPEC = Path(__file__).resolve().parents[2] / "spec" / "descriptor.md"

KEY = SigningKey(bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
OTHER = SigningKey(bytes(range(32)))
THIRD = SigningKey(bytes(range(1, 33)))
KEYS = {KEY.kid: KEY.verify_key}
T0 = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400

BASE = Descriptor(
    issuer="acme.example",
    subject="ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B",
    version=1,
    issued_at=T0,
    not_before=T0,
    expires=T0 + 7 * DAY,
    endpoints=(
        Endpoint("quic", "ucid-rpc", "api.acme.example", 443, 1, 10, ("h3",), "cn-gd"),
        Endpoint("tcp", "https", "192.0.2.10", 8443, 2, 0, ("h2",)),
    ),
)


def desc(**changes: Any) -> Descriptor:
    return dataclasses.replace(BASE, **changes)


def endpoint(**changes: Any) -> Endpoint:
    return dataclasses.replace(BASE.endpoints[0], **changes)


def header(kid: bytes = KEY.kid, typ: str = TYP_DESCRIPTOR, alg: int = -8) -> bytes:
    return encode({1: alg, 4: kid, 16: typ})


def forge(
    payload: bytes,
    *,
    key: SigningKey = KEY,
    protected: bytes | None = None,
    unprotected: bytes = b"\xa0",
    typ: str = TYP_DESCRIPTOR,
) -> bytes:
    """A correctly signed COSE_Sign1 around whatever bytes it is given."""
    if protected is None:
        protected = header(key.kid, typ)
    signature = key.sign(sig_structure(protected, payload))
    return encode_sign1(protected, unprotected, payload, signature)


NULL = object()  # stands for CBOR null in claims(), where None removes a claim


def claims(record: Descriptor | Delegation = BASE, **changes: object) -> bytes:
    """The record's payload with claims replaced (by number: c4=...) or removed (None)."""
    out: dict[int | str, Value] = dict(record._claims())
    for name, value in changes.items():
        number = int(name[1:])
        if value is NULL:
            out[number] = None
        elif value is None:
            del out[number]
        else:
            out[number] = value  # type: ignore[assignment]  # may be outside the profile
    return cbor2.dumps(out, canonical=True)


# ----------------------------------------------------------------- round trip


def test_sign_verify_round_trip() -> None:
    signed = sign(BASE, KEY)
    assert verify(signed, KEYS, now=T0) == BASE
    assert len(signed) <= MAX_SIGNED


def test_spec_example_matches() -> None:
    """spec/descriptor.md Appendix A is what this implementation produces."""
    text = SPEC.read_text()
    block = re.search(r"<!-- example-descriptor -->\n```\n([0-9a-f\n]+)```", text)
    assert block is not None
    example = bytes.fromhex(block.group(1).replace("\n", ""))
    assert sign(BASE, KEY) == example
    assert f"{len(example)} bytes" in text
    assert KEY.kid.hex() in text
    assert verify(example, KEYS, now=T0 - DEFAULT_SKEW) == BASE


def test_emits_alg_minus_8_and_the_typ() -> None:
    signed = sign(BASE, KEY)
    assert signed.startswith(bytes.fromhex("d2845849a30127045820") + KEY.kid + b"\x10\x78\x20")
    assert TYP_DESCRIPTOR.encode() in signed


def test_accepts_alg_minus_19() -> None:
    signed = forge(encode_payload(BASE), protected=header(alg=-19))
    assert verify(signed, KEYS, now=T0) == BASE


def test_keys_argument_forms() -> None:
    signed = sign(BASE, KEY)
    for keys in (
        KEYS,
        [KEY.verify_key],
        (OTHER.verify_key, KEY.verify_key),
        {OTHER.verify_key, KEY.verify_key},
        (k for k in [KEY.verify_key]),
        {OTHER.kid: OTHER.verify_key, KEY.kid: KEY.verify_key},
    ):
        assert verify(signed, keys, now=T0) == BASE


def test_bytes_like_input() -> None:
    signed = sign(BASE, KEY)
    assert verify(bytearray(signed), KEYS, now=T0) == BASE  # type: ignore[arg-type]
    assert verify(memoryview(signed), KEYS, now=T0) == BASE  # type: ignore[arg-type]
    with pytest.raises(EncodingError):
        verify(signed.hex(), KEYS, now=T0)  # type: ignore[arg-type]


def test_no_clock_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_clock() -> float:
        raise AssertionError("verify read the clock")

    signed = sign(BASE, KEY)
    monkeypatch.setattr(time, "time", no_clock)
    monkeypatch.setattr(time, "monotonic", no_clock)
    assert verify(signed, KEYS, now=T0) == BASE


def test_signature_checked_every_time() -> None:
    """Decoded payloads are remembered; the signature is still checked each time."""
    signed = sign(BASE, KEY)
    assert verify(signed, KEYS, now=T0) == BASE
    tampered = signed[:-1] + bytes([signed[-1] ^ 1])
    with pytest.raises(SignatureError):
        verify(tampered, KEYS, now=T0)
    with pytest.raises(UnknownKeyError):
        verify(signed, [OTHER.verify_key], now=T0)


def test_every_single_bit_flip_is_rejected() -> None:
    signed = sign(BASE, KEY)
    for i in range(len(signed) * 8):
        flipped = bytearray(signed)
        flipped[i // 8] ^= 1 << (i % 8)
        with pytest.raises(DescriptorError):
            verify(bytes(flipped), KEYS, now=T0)


def test_descriptor_value() -> None:
    ext_desc = desc(ext={"b": [1, {"y": 2, "x": 1}], "a": None}, crit=["a"])
    assert isinstance(ext_desc.ext, cbor2.frozendict)
    assert list(ext_desc.ext) == ["a", "b"]
    assert ext_desc.crit == ("a",)
    assert hash(ext_desc) == hash(desc(ext={"a": None, "b": ((1, {"x": 1, "y": 2}))}, crit=("a",)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        BASE.version = 2  # type: ignore[misc]
    assert desc(endpoints=[BASE.endpoints[0]]).endpoints == (BASE.endpoints[0],)
    signed = sign(ext_desc, KEY)
    assert verify(signed, KEYS, now=T0, extensions={"a"}) == ext_desc


def test_decoded_values_are_ordinary_values() -> None:
    """verify() builds them without __post_init__ (the checks ran on the bytes):
    they must still be exactly the dataclasses, equal, hashable and frozen."""
    for record in (BASE, desc(capabilities=("acc=8", "mem=549755813888B")), desc(ext={"a": 1})):
        _descriptors.clear()
        for memo in _PART_MEMOS:
            memo.clear()
        got = verify(sign(record, KEY), KEYS, now=T0)
        assert got == record and hash(got) == hash(record) and repr(got) == repr(record)
        assert type(got) is Descriptor and {type(ep) for ep in got.endpoints} == {Endpoint}
        with pytest.raises(dataclasses.FrozenInstanceError):
            got.version = 2  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            got.endpoints[0].port = 1  # type: ignore[misc]
        assert dataclasses.replace(got, version=2).version == 2
        assert encode_payload(got) == encode_payload(record)


def test_common_payloads_take_the_fast_path() -> None:
    """Not a rule of the spec: a guard that the fast reader is not silently off."""
    for record in (BASE, desc(capabilities=("acc=8", "mem=549755813888B")), desc(ext={"a": 1})):
        assert _fast_descriptor(encode_payload(record)) == record
    # Anything unusual is left to the strict decoder, which says what is wrong.
    payload = bytearray(encode_payload(BASE))
    payload[payload.index(b"quic") - 1] = 0x78  # a text head that is not minimal
    assert _fast_descriptor(bytes(payload)) is None


def test_endpoint_defaults() -> None:
    ep = Endpoint("udp", "dns", "2001:db8::1", 53)
    assert (ep.priority, ep.weight, ep.alpn, ep.region) == (1, 0, (), None)
    assert verify(sign(desc(endpoints=(ep,)), KEY), KEYS, now=T0).endpoints == (ep,)


def test_capabilities_round_trip() -> None:
    d = desc(capabilities=("acc=8", "mem=549755813888B", "sriov"))
    assert verify(sign(d, KEY), KEYS, now=T0) == d


# ------------------------------------------------------------ validity (§8.3)
START = T0  # max(nbf, iat)
END = T0 + 7 * DAY

VALIDITY = [
    # (now, skew, expected)
    (START - DEFAULT_SKEW - 1, DEFAULT_SKEW, NotYetValidError),
    (START - DEFAULT_SKEW, DEFAULT_SKEW, None),
    (START, DEFAULT_SKEW, None),
    (END - 1, DEFAULT_SKEW, None),
    (END, DEFAULT_SKEW, None),
    (END + DEFAULT_SKEW - 1, DEFAULT_SKEW, None),
    (END + DEFAULT_SKEW, DEFAULT_SKEW, ExpiredError),
    (START - 1, 0, NotYetValidError),
    (START, 0, None),
    (END - 1, 0, None),
    (END, 0, ExpiredError),
    (START - MAX_SKEW, MAX_SKEW, None),
    (START - MAX_SKEW - 1, MAX_SKEW, NotYetValidError),
    (END + MAX_SKEW - 1, MAX_SKEW, None),
    (END + MAX_SKEW, MAX_SKEW, ExpiredError),
    (0, DEFAULT_SKEW, NotYetValidError),
    (2**70, DEFAULT_SKEW, ExpiredError),
    (-1, DEFAULT_SKEW, NotYetValidError),
]


@pytest.mark.parametrize(("now", "skew", "expected"), VALIDITY)
def test_validity(now: int, skew: int, expected: type[Exception] | None) -> None:
    signed = sign(BASE, KEY)
    if expected is None:
        assert verify(signed, KEYS, now=now, skew=skew) == BASE
    else:
        with pytest.raises(expected):
            verify(signed, KEYS, now=now, skew=skew)


@pytest.mark.parametrize(
    ("nbf", "iat", "now", "expected"),
    [
        (T0, T0 + 100, T0 + 100 - DEFAULT_SKEW, None),  # start is iat when later
        (T0, T0 + 100, T0 + 99 - DEFAULT_SKEW, NotYetValidError),
        (T0 + 100, T0, T0 + 100 - DEFAULT_SKEW, None),  # pre-signed: start is nbf
        (T0 + 100, T0, T0 + 99 - DEFAULT_SKEW, NotYetValidError),
    ],
)
def test_validity_start_is_max_of_nbf_and_iat(
    nbf: int, iat: int, now: int, expected: type[Exception] | None
) -> None:
    d = desc(not_before=nbf, issued_at=iat)
    signed = sign(d, KEY)
    if expected is None:
        assert verify(signed, KEYS, now=now) == d
    else:
        with pytest.raises(expected):
            verify(signed, KEYS, now=now)


@pytest.mark.parametrize("skew", [-1, MAX_SKEW + 1, 1.5, True, "300"])
def test_skew_bounds(skew: Any) -> None:
    with pytest.raises(ValueError, match="skew"):
        verify(sign(BASE, KEY), KEYS, now=T0, skew=skew)


@pytest.mark.parametrize("now", [float(T0), None, str(T0)])
def test_now_must_be_int(now: Any) -> None:
    with pytest.raises(TypeError):
        verify(sign(BASE, KEY), KEYS, now=now)


def test_maximum_validity() -> None:
    desc(expires=T0 + MAX_DESCRIPTOR_VALIDITY)
    with pytest.raises(EncodingError, match="validity period"):
        desc(expires=T0 + MAX_DESCRIPTOR_VALIDITY + 1)
    payload = claims(c4=T0 + MAX_DESCRIPTOR_VALIDITY + 1)
    with pytest.raises(EncodingError, match="validity period"):
        verify(forge(payload), KEYS, now=T0)


# ------------------------------------------------------------ rollback (§8.5)


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        ({}, None),
        ({"ucid:other/cn/x86-64": desc(version=9, subject="ucid:other/cn/x86-64")}, None),
        ({BASE.subject: desc(version=0)}, None),
        ({BASE.subject: BASE}, None),  # same version, same payload
        ({BASE.subject: desc(version=1, issued_at=T0 - 1)}, RollbackError),  # equivocation
        ({BASE.subject: desc(version=1, endpoints=BASE.endpoints[:1])}, RollbackError),
        ({BASE.subject: desc(version=2)}, RollbackError),
        ({BASE.subject: desc(version=2**64 - 1)}, RollbackError),
    ],
)
def test_rollback(seen: dict[str, Descriptor], expected: type[Exception] | None) -> None:
    signed = sign(BASE, KEY)
    if expected is None:
        assert verify(signed, KEYS, now=T0, seen_versions=seen) == BASE
    else:
        with pytest.raises(expected):
            verify(signed, KEYS, now=T0, seen_versions=seen)


def test_same_payload_other_key_is_not_rollback() -> None:
    """§8.5.1: a re-signature of unchanged claims (key rollover) keeps its version."""
    seen = {BASE.subject: verify(sign(BASE, KEY), KEYS, now=T0)}
    resigned = sign(BASE, OTHER)
    assert verify(resigned, [OTHER.verify_key], now=T0, seen_versions=seen) == BASE


def test_equivocation_with_equal_values() -> None:
    """ext True and 1 compare equal in Python but are different claims."""
    one, true = desc(ext={"x": 1}), desc(ext={"x": True})
    assert one == true  # Python equality cannot tell them apart
    with pytest.raises(RollbackError):
        verify(sign(true, KEY), KEYS, now=T0, seen_versions={BASE.subject: one})


# ------------------------------------------------------------ rejection tables
def _payload() -> bytes:
    return encode_payload(BASE)


# (id, record builder, verify keyword arguments, expected error)
REJECT: list[tuple[str, Callable[[], bytes], dict[str, Any], type[Exception]]] = [
    # §5.2 key selection
    ("unknown kid", lambda: sign(BASE, OTHER), {}, UnknownKeyError),
    ("no keys", lambda: sign(BASE, KEY), {"keys": []}, UnknownKeyError),
    (
        "mapping under a wrong kid",
        lambda: sign(BASE, KEY),
        {"keys": {KEY.kid: OTHER.verify_key}},
        UnknownKeyError,
    ),
    (
        "kid of another trusted key, signed by this one",
        lambda: forge(_payload(), protected=header(kid=OTHER.kid)),
        {"keys": [KEY.verify_key, OTHER.verify_key]},
        SignatureError,
    ),
    # §4.5 signature
    ("wrong signature", lambda: sign(BASE, KEY)[:-64] + OTHER.sign(b"x"), {}, SignatureError),
    ("zero signature", lambda: sign(BASE, KEY)[:-64] + bytes(64), {}, SignatureError),
    (
        "signature over other payload",
        lambda: sign(BASE, KEY)[:-64] + sign(desc(version=2), KEY)[-64:],
        {},
        SignatureError,
    ),
    (
        "short signature",
        lambda: encode_sign1(header(), b"\xa0", _payload(), bytes(63)),
        {},
        EncodingError,
    ),
    (
        "long signature",
        lambda: encode_sign1(header(), b"\xa0", _payload(), KEY.sign(b"x") + b"\x00"),
        {},
        EncodingError,
    ),
    # §4.2 protected header
    ("alg ES256", lambda: forge(_payload(), protected=header(alg=-7)), {}, EncodingError),
    ("alg EdDSA448", lambda: forge(_payload(), protected=header(alg=-53)), {}, EncodingError),
    ("alg 8", lambda: forge(_payload(), protected=header(alg=8)), {}, EncodingError),
    (
        "alg as text",
        lambda: forge(_payload(), protected=encode({1: "EdDSA", 4: KEY.kid, 16: TYP_DESCRIPTOR})),
        {},
        EncodingError,
    ),
    (
        "extra header: content type",
        lambda: forge(_payload(), protected=encode({1: -8, 3: 0, 4: KEY.kid, 16: TYP_DESCRIPTOR})),
        {},
        EncodingError,
    ),
    (
        "extra header: crit",
        lambda: forge(
            _payload(), protected=encode({1: -8, 2: [16], 4: KEY.kid, 16: TYP_DESCRIPTOR})
        ),
        {},
        EncodingError,
    ),
    (
        "no typ",
        lambda: forge(_payload(), protected=encode({1: -8, 4: KEY.kid})),
        {},
        EncodingError,
    ),
    (
        "no kid",
        lambda: forge(_payload(), protected=encode({1: -8, 16: TYP_DESCRIPTOR})),
        {},
        EncodingError,
    ),
    ("empty protected", lambda: forge(_payload(), protected=b""), {}, EncodingError),
    ("protected empty map", lambda: forge(_payload(), protected=b"\xa0"), {}, EncodingError),
    (
        "truncated kid",
        lambda: forge(_payload(), protected=header(kid=KEY.kid[:16])),
        {},
        EncodingError,
    ),
    (
        "kid as text",
        lambda: forge(_payload(), protected=encode({1: -8, 4: "k", 16: TYP_DESCRIPTOR})),
        {},
        EncodingError,
    ),
    (
        "unsorted protected header",
        lambda: forge(
            _payload(),
            protected=bytes.fromhex("a3 04 5820".replace(" ", ""))
            + KEY.kid
            + bytes.fromhex("0127")
            + encode({16: TYP_DESCRIPTOR})[1:],
        ),
        {},
        ProfileError,
    ),
    # §4.3 typ
    ("typ delegation", lambda: forge(_payload(), typ=TYP_DELEGATION), {}, EncodingError),
    ("typ anchor", lambda: forge(_payload(), typ=TYP_ANCHOR), {}, EncodingError),
    (
        "typ generic",
        lambda: forge(_payload(), protected=encode({1: -8, 4: KEY.kid, 16: "application/cbor"})),
        {},
        EncodingError,
    ),
    (
        "typ as a CoAP content format",
        lambda: forge(_payload(), protected=encode({1: -8, 4: KEY.kid, 16: 60})),
        {},
        EncodingError,
    ),
    # §4.4 unprotected header
    (
        "unprotected kid",
        lambda: forge(_payload(), unprotected=encode({4: KEY.kid})),
        {},
        EncodingError,
    ),
    (
        "unprotected text key",
        lambda: forge(_payload(), unprotected=encode({"a": 1})),
        {},
        EncodingError,
    ),
    ("unprotected not a map", lambda: forge(_payload(), unprotected=b"\x80"), {}, EncodingError),
    # §4.1 envelope
    ("untagged", lambda: sign(BASE, KEY)[1:], {}, EncodingError),
    ("tag 98", lambda: b"\xd8\x62" + sign(BASE, KEY)[1:], {}, EncodingError),
    ("tag twice", lambda: b"\xd2" + sign(BASE, KEY), {}, ProfileError),
    ("trailing byte", lambda: sign(BASE, KEY) + b"\x00", {}, ProfileError),
    ("trailing record", lambda: sign(BASE, KEY) * 2, {}, ProfileError),
    ("truncated", lambda: sign(BASE, KEY)[:-1], {}, ProfileError),
    ("empty", lambda: b"", {}, EncodingError),
    (
        "detached payload",
        lambda: b"\xd2\x84" + encode(header()) + b"\xa0\xf6" + encode(KEY.sign(b"x")),
        {},
        EncodingError,
    ),
    (
        "indefinite array",
        lambda: b"\xd2\x9f" + sign(BASE, KEY)[2:] + b"\xff",
        {},
        ProfileError,
    ),
    (
        "non-minimal payload head",
        lambda: (
            b"\xd2\x84"
            + encode(header())
            + b"\xa0\x59\x00"
            + bytes([len(_payload())])
            + _payload()
            + encode(KEY.sign(b"x"))
        ),
        {},
        ProfileError,
    ),
    # §7 size
    ("oversize", lambda: sign(BASE, KEY) + bytes(MAX_SIGNED), {}, OversizeError),
    ("881 bytes", lambda: bytes(MAX_SIGNED + 1), {}, OversizeError),
    # §6.5 crit
    (
        "unknown critical extension",
        lambda: sign(desc(ext={"x-new": 1}, crit=("x-new",)), KEY),
        {},
        CriticalExtensionError,
    ),
    (
        "one of two critical extensions unknown",
        lambda: sign(desc(ext={"a": 1, "b": 2}, crit=("a", "b")), KEY),
        {"extensions": {"a"}},
        CriticalExtensionError,
    ),
    # issuer
    ("other issuer", lambda: sign(BASE, KEY), {"issuer": "other.example"}, DescriptorError),
    # payload: the profile (§3)
    ("payload trailing", lambda: forge(_payload() + b"\x00"), {}, ProfileError),
    ("payload float", lambda: forge(claims(c8=1.0)), {}, ProfileError),
    ("payload tag", lambda: forge(claims(c4=cbor2.CBORTag(1, T0))), {}, ProfileError),
    (
        "payload unsorted",
        lambda: forge(b"\xa7\x02" + _payload()[1:]),  # a claims map of 7 starting with key 2
        {},
        ProfileError,
    ),
    ("payload not a map", lambda: forge(encode([1, 2])), {}, EncodingError),
    ("payload empty", lambda: forge(b""), {}, ProfileError),
    # payload: claims (§6.1)
    ("missing iss", lambda: forge(claims(c1=None)), {}, EncodingError),
    ("missing sub", lambda: forge(claims(c2=None)), {}, EncodingError),
    ("missing exp", lambda: forge(claims(c4=None)), {}, EncodingError),
    ("missing nbf", lambda: forge(claims(c5=None)), {}, EncodingError),
    ("missing iat", lambda: forge(claims(c6=None)), {}, EncodingError),
    ("missing version", lambda: forge(claims(c8=None)), {}, EncodingError),
    ("missing endpoints", lambda: forge(claims(c9=None)), {}, EncodingError),
    ("claim aud (3)", lambda: forge(claims(c3="x")), {}, EncodingError),
    ("claim cti (7)", lambda: forge(claims(c7=b"x")), {}, EncodingError),
    ("claim 13 (keys)", lambda: forge(claims(c13=[KEY.verify_key.raw])), {}, EncodingError),
    ("claim 23", lambda: forge(claims(c23=0)), {}, EncodingError),
    ("claims with text keys", lambda: forge(encode({"iss": "acme.example"})), {}, EncodingError),
    ("empty claims", lambda: forge(b"\xa0"), {}, EncodingError),
    ("iss not text", lambda: forge(claims(c1=b"acme.example")), {}, EncodingError),
    ("iss uppercase", lambda: forge(claims(c1="ACME.example")), {}, EncodingError),
    (
        "sub not canonical",
        lambda: forge(claims(c2="UCID:acme.example/cn-gd/x86-64")),
        {},
        EncodingError,
    ),
    ("sub not a UCID", lambda: forge(claims(c2="acme.example")), {}, EncodingError),
    ("sub not text", lambda: forge(claims(c2=1)), {}, EncodingError),
    ("exp negative", lambda: forge(claims(c4=-1)), {}, EncodingError),
    ("exp bool", lambda: forge(claims(c4=True)), {}, EncodingError),
    ("exp before nbf", lambda: forge(claims(c4=T0 - 1)), {}, EncodingError),
    ("exp equals nbf", lambda: forge(claims(c4=T0, c6=T0 - 1)), {}, EncodingError),
    ("iat at exp", lambda: forge(claims(c6=T0 + 7 * DAY)), {}, EncodingError),
    ("nbf text", lambda: forge(claims(c5=str(T0))), {}, EncodingError),
    ("version negative", lambda: forge(claims(c8=-1)), {}, EncodingError),
    ("version false", lambda: forge(claims(c8=False)), {}, EncodingError),
    ("endpoints empty", lambda: forge(claims(c9=[])), {}, EncodingError),
    ("endpoints a map", lambda: forge(claims(c9={})), {}, EncodingError),
    ("capabilities empty", lambda: forge(claims(c10=[])), {}, EncodingError),
    ("capabilities null", lambda: forge(claims(c10=NULL)), {}, EncodingError),
    ("ext null", lambda: forge(claims(c11=NULL)), {}, EncodingError),
    ("crit null", lambda: forge(claims(c12=NULL)), {}, EncodingError),
    ("iss null", lambda: forge(claims(c1=NULL)), {}, EncodingError),
    ("version null", lambda: forge(claims(c8=NULL)), {}, EncodingError),
    ("capabilities text", lambda: forge(claims(c10="acc=8")), {}, EncodingError),
    ("ext empty", lambda: forge(claims(c11={})), {}, EncodingError),
    ("ext int keys", lambda: forge(claims(c11={1: 1})), {}, EncodingError),
    ("crit empty", lambda: forge(claims(c11={"a": 1}, c12=[])), {}, EncodingError),
    ("crit without ext", lambda: forge(claims(c12=["a"])), {}, EncodingError),
    ("crit not in ext", lambda: forge(claims(c11={"a": 1}, c12=["b"])), {}, EncodingError),
    ("crit twice", lambda: forge(claims(c11={"a": 1}, c12=["a", "a"])), {}, EncodingError),
    # payload: endpoints (§6.2)
    ("endpoint not a map", lambda: forge(claims(c9=["tcp"])), {}, EncodingError),
    (
        "endpoint unknown key",
        lambda: forge(claims(c9=[{**BASE.endpoints[1]._claims(), 8: 0}])),
        {},
        EncodingError,
    ),
    (
        "endpoint without weight",
        lambda: forge(
            claims(c9=[{k: v for k, v in BASE.endpoints[1]._claims().items() if k != 6}])
        ),
        {},
        EncodingError,
    ),
    (
        "endpoint with empty alpn",
        lambda: forge(claims(c9=[{**BASE.endpoints[1]._claims(), 4: []}])),
        {},
        EncodingError,
    ),
    (
        "endpoint priority 0",
        lambda: forge(claims(c9=[{**BASE.endpoints[1]._claims(), 5: 0}])),
        {},
        EncodingError,
    ),
    (
        "endpoint alpn null",
        lambda: forge(claims(c9=[{**BASE.endpoints[1]._claims(), 4: None}])),
        {},
        EncodingError,
    ),
    (
        "endpoint region null",
        lambda: forge(claims(c9=[{**BASE.endpoints[1]._claims(), 7: None}])),
        {},
        EncodingError,
    ),
    (
        "endpoint text keys",
        lambda: forge(claims(c9=[{"transport": "tcp"}])),
        {},
        EncodingError,
    ),
]


@pytest.mark.parametrize(
    ("build", "kwargs", "expected"), [c[1:] for c in REJECT], ids=[c[0] for c in REJECT]
)
def test_reject(
    build: Callable[[], bytes], kwargs: dict[str, Any], expected: type[Exception]
) -> None:
    data = build()
    keys = kwargs.pop("keys", KEYS)
    with pytest.raises(expected) as info:
        verify(data, keys, now=T0, **kwargs)
    assert isinstance(info.value, DescriptorError)


def test_reject_ids_are_unique() -> None:
    ids = [c[0] for c in REJECT]
    assert len(ids) == len(set(ids))


def test_size_limit_is_exact() -> None:
    """A record of exactly MAX_SIGNED bytes verifies; sign() refuses one byte more."""
    n = 0
    while len(sign(desc(ext={"pad": b"x" * n}), KEY)) < MAX_SIGNED:
        n += 1
    fits = desc(ext={"pad": b"x" * n})
    signed = sign(fits, KEY)
    assert len(signed) == MAX_SIGNED
    assert len(encode_payload(fits)) == 733  # spec §7.2
    assert verify(signed, KEYS, now=T0) == fits
    with pytest.raises(OversizeError):
        sign(desc(ext={"pad": b"x" * (n + 1)}), KEY)
    with pytest.raises(OversizeError):
        verify(signed + b"\x00", KEYS, now=T0)


def test_accepted_critical_extension() -> None:
    d = desc(ext={"x-new": 1, "x-other": [1, 2]}, crit=("x-new",))
    assert verify(sign(d, KEY), KEYS, now=T0, extensions={"x-new"}) == d
    # Non-critical extensions need no understanding.
    d = desc(ext={"x-new": 1})
    assert verify(sign(d, KEY), KEYS, now=T0) == d


def test_extensions_must_not_be_one_str() -> None:
    signed = sign(desc(ext={"x": 1}, crit=("x",)), KEY)
    with pytest.raises(TypeError):
        verify(signed, KEYS, now=T0, extensions="x-y")


def test_issuer_match() -> None:
    assert verify(sign(BASE, KEY), KEYS, now=T0, issuer="acme.example") == BASE


# --------------------------------------------------------- construction rules

BAD_ENDPOINTS: list[tuple[str, dict[str, Any]]] = [
    ("transport sctp", {"transport": "sctp"}),
    ("transport upper", {"transport": "TCP"}),
    ("transport list", {"transport": ["tcp"]}),
    ("protocol upper", {"protocol": "HTTPS"}),
    ("protocol empty", {"protocol": ""}),
    ("protocol long", {"protocol": "a" * 33}),
    ("protocol digit", {"protocol": "1rpc"}),
    ("host upper", {"host": "API.acme.example"}),
    ("host trailing dot", {"host": "api.acme.example."}),
    ("host empty", {"host": ""}),
    ("host underscore", {"host": "_svc.acme.example"}),
    ("host label hyphen", {"host": "-api.acme.example"}),
    ("host numeric tld", {"host": "api.123"}),
    ("host short ipv4", {"host": "192.0.2"}),
    ("host ipv4 leading zero", {"host": "192.0.2.010"}),
    ("host ipv4 range", {"host": "256.0.2.1"}),
    ("host ipv6 brackets", {"host": "[2001:db8::1]"}),
    ("host ipv6 upper", {"host": "2001:DB8::1"}),
    ("host ipv6 uncompressed", {"host": "2001:db8:0:0:0:0:0:1"}),
    ("host ipv6 zone", {"host": "fe80::1%eth0"}),
    ("host ipv6 dotted quad", {"host": "::ffff:192.0.2.1"}),
    ("host ipv6 one zero compressed", {"host": "2001:db8::1:1:1:1:1"}),
    ("host ipv6 shorter run compressed", {"host": "1::2:0:0:0:3"}),
    ("host ipv6 later tie compressed", {"host": "1:0:0:2::3:4"}),
    ("host ipv6 leading zeros", {"host": "2001:0db8::1"}),
    ("host long", {"host": ("a" * 63 + ".") * 4 + "a"}),
    ("host bytes", {"host": b"acme.example"}),
    ("port 0", {"port": 0}),
    ("port 65536", {"port": 65536}),
    ("port bool", {"port": True}),
    ("port text", {"port": "443"}),
    ("priority 0", {"priority": 0}),
    ("priority 65536", {"priority": 65536}),
    ("weight -1", {"weight": -1}),
    ("weight 65536", {"weight": 65536}),
    ("alpn empty id", {"alpn": ("",)}),
    ("alpn space", {"alpn": ("h 2",)}),
    ("alpn non-ascii", {"alpn": ("h\u00e9",)}),
    ("alpn long", {"alpn": ("a" * 256,)}),
    ("alpn twice", {"alpn": ("h2", "h2")}),
    ("alpn nine", {"alpn": tuple(f"p{i}" for i in range(9))}),
    ("alpn text", {"alpn": "h2"}),
    ("region upper", {"region": "CN-GD"}),
    ("region bad", {"region": "c"}),
    ("region empty", {"region": ""}),
]


@pytest.mark.parametrize(
    "changes", [c[1] for c in BAD_ENDPOINTS], ids=[c[0] for c in BAD_ENDPOINTS]
)
def test_bad_endpoint(changes: dict[str, Any]) -> None:
    with pytest.raises(EncodingError):
        endpoint(**changes)


GOOD_ENDPOINTS: list[dict[str, Any]] = [
    {"host": "192.0.2.1"},
    {"host": "0.0.0.0"},
    {"host": "::1"},
    {"host": "2001:db8::8:800:200c:417a"},
    {"host": "::ffff:c000:201"},
    {"host": "2001:db8:0:1:1:1:1:1"},
    {"host": "2001:0:0:1::1"},
    {"host": "::"},
    {"host": "1::"},
    {"host": "1:0:0:2::"},
    {"host": "1::2:0:0:3"},
    {"host": "1::2:0:0:3:4"},
    {"host": "1:0:0:2::3"},
    {"host": "a"},
    {"host": "xn--bcher-kva.example"},
    {"host": "123.example"},
    {"host": ("a" * 63 + ".") * 3 + "a" * 61},
    {"port": 1, "priority": 65535, "weight": 65535},
    {"alpn": ("http/1.1", "h2", "h3-29", "~!")},
    {"alpn": tuple(f"p{i}" for i in range(8))},
    {"alpn": ["h2"]},
    {"region": None},
    {"region": "us-ca-12345678-x"},
    {"protocol": "a.b+c-d"},
    {"transport": "udp"},
]


@pytest.mark.parametrize("changes", GOOD_ENDPOINTS)
def test_good_endpoint(changes: dict[str, Any]) -> None:
    ep = endpoint(**changes)
    d = desc(endpoints=(ep,))
    assert verify(sign(d, KEY), KEYS, now=T0) == d


BAD_DESCRIPTORS: list[tuple[str, dict[str, Any]]] = [
    ("issuer empty", {"issuer": ""}),
    ("issuer upper", {"issuer": "Acme.example"}),
    ("issuer trailing dot", {"issuer": "acme.example."}),
    ("issuer unicode", {"issuer": "bücher.example"}),
    ("issuer too long", {"issuer": ("a" * 63 + ".") * 4}),
    ("issuer not text", {"issuer": None}),
    ("subject upper", {"subject": "ucid:ACME.example/cn-gd/x86-64"}),
    ("subject alias", {"subject": "ucid:acme.example/cn-gd/amd64"}),
    ("subject unsorted", {"subject": "ucid:acme.example/cn-gd/x86-64/mem=1B;acc=8"}),
    ("subject unit", {"subject": "ucid:acme.example/cn-gd/x86-64/mem=1KiB"}),
    ("subject invalid", {"subject": "ucid:acme.example"}),
    ("subject empty", {"subject": ""}),
    ("subject not text", {"subject": 1}),
    ("version negative", {"version": -1}),
    ("version too big", {"version": 2**64}),
    ("version bool", {"version": True}),
    ("version float", {"version": 1.0}),
    ("nbf after exp", {"not_before": T0 + 8 * DAY}),
    ("nbf equals exp", {"not_before": T0 + 7 * DAY}),
    ("iat equals exp", {"issued_at": T0 + 7 * DAY}),
    ("exp negative", {"expires": -1}),
    ("window too long", {"expires": T0 + 32 * DAY}),
    ("no endpoints", {"endpoints": ()}),
    ("17 endpoints", {"endpoints": tuple(endpoint(port=p) for p in range(1, 18))}),
    ("duplicate endpoint", {"endpoints": (BASE.endpoints[0], endpoint(weight=99))}),
    ("endpoint not an Endpoint", {"endpoints": ({"transport": "tcp"},)}),
    ("endpoints a generator", {"endpoints": iter(BASE.endpoints)}),
    ("capabilities unsorted", {"capabilities": ("mem=549755813888B", "acc=8")}),
    ("capabilities not canonical", {"capabilities": ("acc=8", "mem=512GiB")}),
    ("capabilities missing subject's", {"capabilities": ("acc=8",)}),
    ("capabilities contradict subject", {"capabilities": ("acc=4", "mem=549755813888B")}),
    ("capabilities duplicate", {"capabilities": ("acc=8", "acc=8", "mem=549755813888B")}),
    ("capabilities joined", {"capabilities": ("acc=8;mem=549755813888B",)}),
    ("capabilities empty text", {"capabilities": ("",)}),
    ("capabilities not text", {"capabilities": (8,)}),
    ("capabilities too many", {"capabilities": tuple(f"x-f{i:02}" for i in range(17))}),
    ("ext not a map", {"ext": [("a", 1)]}),
    ("ext empty key", {"ext": {"": 1}}),
    ("ext long key", {"ext": {"k" * 65: 1}}),
    ("ext int key", {"ext": {1: 1}}),
    ("ext float", {"ext": {"a": 1.5}}),
    ("ext set", {"ext": {"a": {1}}}),
    ("ext too deep", {"ext": {"a": [[[[[[[0]]]]]]]}}),
    ("ext not NFC", {"ext": {"a": "e\u0301"}}),
    ("ext mixed keys", {"ext": {"a": {1: 0, "b": 0}}}),
    ("ext 17 keys", {"ext": {f"k{i}": i for i in range(17)}}),
    ("crit not in ext", {"ext": {"a": 1}, "crit": ("b",)}),
    ("crit twice", {"ext": {"a": 1}, "crit": ("a", "a")}),
    ("crit text", {"ext": {"a": 1}, "crit": "a"}),
]


@pytest.mark.parametrize(
    "changes", [c[1] for c in BAD_DESCRIPTORS], ids=[c[0] for c in BAD_DESCRIPTORS]
)
def test_bad_descriptor(changes: dict[str, Any]) -> None:
    with pytest.raises(EncodingError):
        desc(**changes)


def test_good_descriptors() -> None:
    for d in (
        desc(capabilities=("acc=8", "mem=549755813888B")),
        desc(capabilities=("acc=8", "mem=549755813888B", "x-extra=blue")),
        desc(subject="ucid:acme.example/cn-gd/x86-64", capabilities=("sriov",)),
        desc(ext={"a": [[[[[[0]]]]]]}),  # depth 8 with the claims map and ext
        desc(ext={"k" * 64: {0: None, 23: b""}, "b": -(2**64), "c": 2**64 - 1}),
        desc(ext={"caf\u00e9": "\u00e9"}),
        desc(endpoints=tuple(Endpoint("tcp", "h", "a.b", p) for p in range(1, 17))),
        desc(version=2**64 - 1, issued_at=0, not_before=0, expires=1),
        desc(expires=T0 + MAX_DESCRIPTOR_VALIDITY),
    ):
        signed = sign(d, KEY)
        assert verify(signed, KEYS, now=d.not_before, extensions=d.crit) == d


def test_sign_type_errors() -> None:
    with pytest.raises(TypeError):
        sign("not a record", KEY)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sign(BASE, KEY.verify_key)  # type: ignore[arg-type]


# ------------------------------------------------------------ delegation (§9)

DELEGATION = Delegation(
    parent="example",
    child="acme.example",
    keys=(KEY.verify_key,),
    version=3,
    issued_at=T0,
    not_before=T0,
    expires=T0 + 90 * DAY,
)
PARENT = OTHER
PARENT_KEYS = [PARENT.verify_key]


def test_delegation_round_trip() -> None:
    signed = sign(DELEGATION, PARENT)
    assert TYP_DELEGATION.encode() in signed
    got = verify_delegation(signed, PARENT_KEYS, now=T0, issuer="example")
    assert got == DELEGATION
    # ... and the child's keys then verify the child's descriptors.
    assert verify(sign(BASE, KEY), got.keys, now=T0, issuer=got.child) == BASE


def test_delegation_rollover_two_keys() -> None:
    d = dataclasses.replace(DELEGATION, keys=(KEY.verify_key, THIRD.verify_key))
    got = verify_delegation(sign(d, PARENT), PARENT_KEYS, now=T0)
    assert verify(sign(BASE, THIRD), got.keys, now=T0) == BASE


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"child": "example"}, None),  # allowed as a value: that is an anchor rotation
        ({"child": "acme.other"}, EncodingError),
        ({"child": "xexample"}, EncodingError),
        ({"child": "Acme.example"}, EncodingError),
        ({"parent": ""}, EncodingError),
        ({"keys": ()}, EncodingError),
        ({"keys": (KEY.verify_key,) * 2}, EncodingError),
        ({"keys": (KEY.verify_key, OTHER.verify_key, THIRD.verify_key)}, EncodingError),
        ({"keys": (KEY.verify_key.raw,)}, EncodingError),
        ({"expires": T0 + MAX_DELEGATION_VALIDITY}, None),
        ({"expires": T0 + MAX_DELEGATION_VALIDITY + 1}, EncodingError),
        ({"version": -1}, EncodingError),
    ],
)
def test_delegation_values(changes: dict[str, Any], expected: type[Exception] | None) -> None:
    if expected is None:
        dataclasses.replace(DELEGATION, **changes)
    else:
        with pytest.raises(expected):
            dataclasses.replace(DELEGATION, **changes)


def _dclaims(**changes: object) -> bytes:
    return claims(DELEGATION, **changes)


DELEGATION_REJECT: list[tuple[str, Callable[[], bytes], dict[str, Any], type[Exception]]] = [
    ("signed by the child", lambda: sign(DELEGATION, KEY), {}, UnknownKeyError),
    ("descriptor typ", lambda: forge(_dclaims(), key=PARENT), {}, EncodingError),
    ("anchor typ", lambda: forge(_dclaims(), key=PARENT, typ=TYP_ANCHOR), {}, EncodingError),
    (
        "self delegation",
        lambda: forge(_dclaims(c2="example"), key=PARENT, typ=TYP_DELEGATION),
        {},
        EncodingError,
    ),
    (
        "missing keys",
        lambda: forge(_dclaims(c13=None), key=PARENT, typ=TYP_DELEGATION),
        {},
        EncodingError,
    ),
    (
        "empty keys",
        lambda: forge(_dclaims(c13=[]), key=PARENT, typ=TYP_DELEGATION),
        {},
        EncodingError,
    ),
    (
        "short key",
        lambda: forge(_dclaims(c13=[bytes(31)]), key=PARENT, typ=TYP_DELEGATION),
        {},
        EncodingError,
    ),
    (
        "key as text",
        lambda: forge(_dclaims(c13=["k" * 32]), key=PARENT, typ=TYP_DELEGATION),
        {},
        EncodingError,
    ),
    (
        "endpoints claim",
        lambda: forge(_dclaims(c9=[]), key=PARENT, typ=TYP_DELEGATION),
        {},
        EncodingError,
    ),
    ("expired", lambda: sign(DELEGATION, PARENT), {"now": T0 + 91 * DAY}, ExpiredError),
    ("not yet valid", lambda: sign(DELEGATION, PARENT), {"now": T0 - DAY}, NotYetValidError),
    ("other issuer", lambda: sign(DELEGATION, PARENT), {"issuer": "other"}, DescriptorError),
    (
        "rollback",
        lambda: sign(DELEGATION, PARENT),
        {"seen_versions": {"acme.example": dataclasses.replace(DELEGATION, version=4)}},
        RollbackError,
    ),
    (
        "equivocation",
        lambda: sign(DELEGATION, PARENT),
        {
            "seen_versions": {
                "acme.example": dataclasses.replace(DELEGATION, keys=(THIRD.verify_key,))
            }
        },
        RollbackError,
    ),
]


@pytest.mark.parametrize(
    ("build", "kwargs", "expected"),
    [c[1:] for c in DELEGATION_REJECT],
    ids=[c[0] for c in DELEGATION_REJECT],
)
def test_delegation_reject(
    build: Callable[[], bytes], kwargs: dict[str, Any], expected: type[Exception]
) -> None:
    kwargs = {"now": T0, **kwargs}
    with pytest.raises(expected):
        verify_delegation(build(), PARENT_KEYS, **kwargs)


def test_delegation_is_not_a_descriptor() -> None:
    with pytest.raises(EncodingError, match="typ"):
        verify(sign(DELEGATION, PARENT), PARENT_KEYS, now=T0)
    with pytest.raises(EncodingError, match="typ"):
        verify_delegation(sign(BASE, KEY), KEYS, now=T0)


def test_sign_refuses_self_delegation() -> None:
    with pytest.raises(EncodingError, match="sign_rotation"):
        sign(dataclasses.replace(DELEGATION, child="example"), PARENT)


def test_delegation_same_version_resigned() -> None:
    seen = {"acme.example": DELEGATION}
    got = verify_delegation(sign(DELEGATION, PARENT), PARENT_KEYS, now=T0, seen_versions=seen)
    assert got == DELEGATION


# -------------------------------------------------------- anchor rotation (§10)
OLD, NEW = OTHER, THIRD
ROTATION = Delegation(
    parent="example",
    child="example",
    keys=(NEW.verify_key,),
    version=2,
    issued_at=T0,
    not_before=T0,
    expires=T0 + 365 * DAY,
)
ANCHORS = [OLD.verify_key]


def test_rotation_round_trip() -> None:
    by_old, by_new = sign_rotation(ROTATION, OLD, NEW)
    assert TYP_ANCHOR.encode() in by_old
    got = verify_rotation(by_old, by_new, ANCHORS, now=T0)
    assert got == ROTATION
    # The new anchors now sign delegations.
    assert verify_delegation(sign(DELEGATION, NEW), got.keys, now=T0) == DELEGATION


def test_rotation_with_overlap() -> None:
    overlap = dataclasses.replace(ROTATION, keys=(OLD.verify_key, NEW.verify_key))
    by_old, by_new = sign_rotation(overlap, OLD, NEW)
    assert verify_rotation(by_old, by_new, {OLD.kid: OLD.verify_key}, now=T0) == overlap


def _flip_last(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def _rotation_payload(record: Delegation = ROTATION) -> bytes:
    return encode_payload(record)


ROTATION_REJECT: list[tuple[str, Callable[[], tuple[bytes, bytes]], type[Exception]]] = [
    ("swapped", lambda: sign_rotation(ROTATION, OLD, NEW)[::-1], UnknownKeyError),
    (
        "both by old",
        lambda: (sign_rotation(ROTATION, OLD, NEW)[0],) * 2,
        UnknownKeyError,
    ),
    (
        "first by a stranger",
        lambda: sign_rotation(ROTATION, KEY, NEW),
        UnknownKeyError,
    ),
    (
        "second by a key not in the record",
        lambda: (
            sign_rotation(ROTATION, OLD, NEW)[0],
            forge(_rotation_payload(), key=KEY, typ=TYP_ANCHOR),
        ),
        UnknownKeyError,
    ),
    (
        "second by an old anchor listed in the record",
        lambda: (
            (
                forge(
                    _rotation_payload(dataclasses.replace(ROTATION, keys=(OLD.verify_key,))),
                    key=OLD,
                    typ=TYP_ANCHOR,
                ),
            )
            * 2
        ),
        UnknownKeyError,
    ),
    (
        "different payloads",
        lambda: (
            sign_rotation(ROTATION, OLD, NEW)[0],
            sign_rotation(dataclasses.replace(ROTATION, version=3), OLD, NEW)[1],
        ),
        SignatureError,
    ),
    (
        "second signature broken",
        lambda: (
            sign_rotation(ROTATION, OLD, NEW)[0],
            _flip_last(sign_rotation(ROTATION, OLD, NEW)[1]),
        ),
        SignatureError,
    ),
    (
        "a delegation, not a rotation",
        lambda: (
            forge(_rotation_payload(DELEGATION), key=OLD, typ=TYP_ANCHOR),
            forge(_rotation_payload(DELEGATION), key=KEY, typ=TYP_ANCHOR),
        ),
        EncodingError,
    ),
    (
        "delegation typ",
        lambda: (
            forge(_rotation_payload(), key=OLD, typ=TYP_DELEGATION),
            forge(_rotation_payload(), key=NEW, typ=TYP_DELEGATION),
        ),
        EncodingError,
    ),
    (
        "expired",
        lambda: sign_rotation(
            dataclasses.replace(ROTATION, not_before=0, issued_at=0, expires=DAY), OLD, NEW
        ),
        ExpiredError,
    ),
]


@pytest.mark.parametrize(
    ("build", "expected"), [c[1:] for c in ROTATION_REJECT], ids=[c[0] for c in ROTATION_REJECT]
)
def test_rotation_reject(
    build: Callable[[], tuple[bytes, bytes]], expected: type[Exception]
) -> None:
    by_old, by_new = build()
    with pytest.raises(expected):
        verify_rotation(by_old, by_new, ANCHORS, now=T0)


def test_rotation_anchor_mapping_labels_are_not_trusted() -> None:
    """§5.2: an anchor filed under another kid is still known by its own."""
    by_old, by_new = sign_rotation(ROTATION, OLD, NEW)
    assert verify_rotation(by_old, by_new, {b"label": OLD.verify_key}, now=T0) == ROTATION


def test_rotation_rollback() -> None:
    by_old, by_new = sign_rotation(ROTATION, OLD, NEW)
    seen = {"example": dataclasses.replace(ROTATION, version=5)}
    with pytest.raises(RollbackError):
        verify_rotation(by_old, by_new, ANCHORS, now=T0, seen_versions=seen)


def test_sign_rotation_rules() -> None:
    with pytest.raises(EncodingError):
        sign_rotation(DELEGATION, OLD, NEW)  # not parent == child
    with pytest.raises(EncodingError):
        sign_rotation(ROTATION, OLD, KEY)  # new key not in the record
    with pytest.raises(EncodingError):
        sign_rotation(dataclasses.replace(ROTATION, keys=(OLD.verify_key,)), OLD, OLD)
    with pytest.raises(TypeError):
        sign_rotation(BASE, OLD, NEW)  # type: ignore[arg-type]


# ------------------------------------------------------------------- errors


def test_every_error_is_a_cid_error() -> None:
    for error in (
        OversizeError,
        EncodingError,
        ProfileError,
        UnknownKeyError,
        SignatureError,
        CriticalExtensionError,
        NotYetValidError,
        ExpiredError,
        RollbackError,
    ):
        assert issubclass(error, DescriptorError)
        assert issubclass(error, CidError)


def test_verify_key_type_in_mapping() -> None:
    """A mapping's values are used as given; only a matching kid selects one."""
    signed = sign(BASE, KEY)
    assert verify(signed, {KEY.kid: VerifyKey(KEY.verify_key.raw)}, now=T0) == BASE


# ------------------------------------------------------- zone names (§6.3.1)
# One table for iss, a delegation's iss and sub, and the CDDL's zone-name.

ZONE_GOOD = [
    "example",
    "acme.example",
    "a",
    "0",
    "123.example",
    "a-b.c",
    "a--b.c",
    "xn--bcher-kva.example",
    "_cn-sh.ctyun.east.ucid.example",
    "_x86-64-v4_sm90._cn-gd.acme.example",
    "api._cn-sh.ctyun.east.ucid.example",
    "_a.example",
    "_0.example",
    "_a_b.example",
    "_a__b.example",
    "_a-b.example",
    "a" * 63 + ".example",
    "_" + "a" * 62 + ".example",
    ".".join(["a" * 63] * 3 + ["a" * 61]),  # 253 characters
]
ZONE_BAD = [
    "a_b.example",
    "a-_b.c",
    "a__b.c",
    "a_.example",
    "_a.b_c",
    "x.ab_",
    "_.example",
    "__a.example",
    "_-a.example",
    "_a-.example",
    "_a_.example",
    "_" + "a" * 63 + ".example",  # a 64-character label
    "a" * 64 + ".example",
    "-a.example",
    "a-.example",
    "A.example",
    "_CN-sh.example",
    "acme.example.",
    ".example",
    "a..b",
    "",
    "ex ample",
    "bücher.example",
    "*.example",
    "a/b",
    ".".join(["a" * 63] * 3 + ["a" * 62]),  # 254 characters
]


@pytest.mark.parametrize("zone", ZONE_GOOD)
def test_zone_good(zone: str) -> None:
    d = desc(issuer=zone)
    assert verify(sign(d, KEY), KEYS, now=T0, issuer=zone) == d
    if len(zone) <= 251:
        child = Delegation(zone, "a." + zone, (KEY.verify_key,), 1, T0, T0, T0 + DAY)
        assert verify_delegation(sign(child, PARENT), PARENT_KEYS, now=T0) == child
    if len(f"{zone}.example") <= 253:
        below = dataclasses.replace(DELEGATION, parent="example", child=f"{zone}.example")
        assert verify_delegation(sign(below, PARENT), PARENT_KEYS, now=T0) == below


@pytest.mark.parametrize("zone", ZONE_BAD)
def test_zone_bad_is_not_signed(zone: str) -> None:
    with pytest.raises(EncodingError):
        desc(issuer=zone)
    with pytest.raises(EncodingError):
        dataclasses.replace(DELEGATION, parent=zone, child="a." + zone)
    with pytest.raises(EncodingError):
        dataclasses.replace(DELEGATION, parent="example", child=f"{zone}.example")


@pytest.mark.parametrize("zone", ZONE_BAD)
def test_zone_bad_is_not_verified(zone: str) -> None:
    with pytest.raises(EncodingError):
        verify(forge(claims(c1=zone)), KEYS, now=T0)
    with pytest.raises(EncodingError):
        verify(forge(claims(c1=zone)), KEYS, now=T0, issuer=zone)
    for c1, c2 in ((zone, "a." + zone), ("example", f"{zone}.example")):
        signed = forge(_dclaims(c1=c1, c2=c2), key=PARENT, typ=TYP_DELEGATION)
        with pytest.raises(EncodingError):
            verify_delegation(signed, PARENT_KEYS, now=T0)


def test_zone_region_issuer_chain() -> None:
    """§6.3.1: a region is a zone of its own; its subjects' DNS names lie below it."""
    region = "_cn-sh.ctyun.east.ucid.example"
    d = desc(
        issuer=region,
        subject="ucid:ctyun.east/cn-sh/x86-64",
        endpoints=(Endpoint("tcp", "https", "api.ctyun.example", 443),),
    )
    deleg = Delegation("ctyun.east.ucid.example", region, (KEY.verify_key,), 1, T0, T0, T0 + DAY)
    got = verify_delegation(sign(deleg, PARENT), PARENT_KEYS, now=T0)
    assert verify(sign(d, KEY), got.keys, now=T0, issuer=got.child) == d


CDDL = SPEC.with_name("descriptor.cddl")


def _cddl_rule(name: str) -> str:
    match = re.search(rf"^{re.escape(name)} = (.*)$", CDDL.read_text(), re.MULTILINE)
    assert match is not None, name
    return match.group(1).split(";")[0].strip()


def _cddl_zone_name() -> Callable[[str], bool]:
    """The CDDL's zone-name as a predicate: its length control and its regexp.

    The regexp is XSD (RFC 8610 §3.8.3), implicitly anchored; this one uses
    only syntax that means the same in Python's re (classes, groups,
    quantifiers, the escapes \\- and \\.).
    """
    assert _cddl_rule("zone-name") == "zone-length .and zone-labels"
    length = re.fullmatch(r"tstr \.size \((\d+)\.\.(\d+)\)", _cddl_rule("zone-length"))
    assert length is not None
    lo, hi = int(length.group(1)), int(length.group(2))
    pattern = re.fullmatch(r'tstr \.regexp "(.*)"', _cddl_rule("zone-labels"))
    assert pattern is not None
    assert "(?" not in pattern.group(1)  # XSD has no such groups
    matcher = re.compile(pattern.group(1)).fullmatch
    return lambda zone: lo <= len(zone.encode()) <= hi and matcher(zone) is not None


def test_zone_cddl_agrees() -> None:
    matches = _cddl_zone_name()
    assert [z for z in ZONE_GOOD if not matches(z)] == []
    assert [z for z in ZONE_BAD if matches(z)] == []


def test_zone_prose_states_the_cddl_regexp() -> None:
    """§6.3.1 writes the same regular expression as the CDDL, character for character."""
    pattern = re.fullmatch(r'tstr \.regexp "(.*)"', _cddl_rule("zone-labels"))
    assert pattern is not None
    section = SPEC.read_text().split("### 6.3 Zones", 1)[1].split("### 6.4", 1)[0]
    assert f"`{pattern.group(1)}`" in section


# ------------------------------------------------- signature length (§4.1.1)


def _resigned(signed: bytes, length: int) -> bytes:
    """The record with its 64-byte signature replaced by ``length`` bytes of it."""
    sign1 = cbor2.loads(signed)
    protected, _, payload, signature = sign1.value
    return encode_sign1(protected, b"\xa0", payload, (signature * 3)[:length])


@pytest.mark.parametrize("length", [0, 63, 65])
def test_signature_length_is_an_encoding_error(length: int) -> None:
    """Step 2 (encoding), not step 6 (signature): before the key is even selected."""
    record = _resigned(sign(BASE, KEY), length)
    for keys in (KEYS, {}, [OTHER.verify_key]):
        with pytest.raises(EncodingError, match="64 bytes"):
            verify(record, keys, now=T0)
    with pytest.raises(EncodingError, match="64 bytes"):
        decode_unverified(record)
    delegation = _resigned(sign(DELEGATION, PARENT), length)
    with pytest.raises(EncodingError, match="64 bytes"):
        verify_delegation(delegation, PARENT_KEYS, now=T0)
    old, new = sign_rotation(ROTATION, OLD, NEW)
    for by_old, by_new in ((_resigned(old, length), new), (old, _resigned(new, length))):
        with pytest.raises(EncodingError, match="64 bytes"):
            verify_rotation(by_old, by_new, [OLD.verify_key], now=T0)


def test_signature_of_64_bytes_that_fails_is_a_signature_error() -> None:
    with pytest.raises(SignatureError):
        verify(_resigned(sign(BASE, KEY), 64)[:-64] + bytes(64), KEYS, now=T0)
