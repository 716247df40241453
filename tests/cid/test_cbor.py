"""The deterministic CBOR profile (spec/descriptor.md §3): RFC 8949 Appendix A and tables."""

from __future__ import annotations

import base64
import json
import math
import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2
import pytest

from cid._cbor import (
    MAX_DEPTH,
    ProfileError,
    Value,
    check,
    decode,
    decode_at,
    encode,
    encode_head,
    encode_ordered,
    freeze,
)
from cid._errors import CidError, EncodingError, OversizeError

# Copies of public vectors, with their sources: tests/vectors/external/README.md.
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "external"
APPENDIX_A = VECTORS / "cbor-appendix_a.json"
BIG = 1 << 20


def _appendix_a() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(APPENDIX_A.read_text())
    return vectors


# --------------------------------------------------------- RFC 8949 Appendix A
# What the strict decoder must say about each Appendix A encoding it rejects
# (spec §3.4.3). Every other vector is inside the profile and must be accepted.
REJECTED = {
    "c249010000000000000000": "tag",  # 2(h'010000000000000000'), bignum
    "c349010000000000000000": "tag",
    "f90000": "float",
    "f98000": "float",
    "f93c00": "float",
    "fb3ff199999999999a": "float",
    "f93e00": "float",
    "f97bff": "float",
    "fa47c35000": "float",
    "fa7f7fffff": "float",
    "fb7e37e43c8800759c": "float",
    "f90001": "float",
    "f90400": "float",
    "f9c400": "float",
    "fbc010666666666666": "float",
    "f97c00": "float",
    "f97e00": "float",
    "f9fc00": "float",
    "fa7f800000": "float",
    "fa7fc00000": "float",
    "faff800000": "float",
    "fb7ff0000000000000": "float",
    "fb7ff8000000000000": "float",
    "fbfff0000000000000": "float",
    "f7": "simple",  # undefined
    "f0": "simple",  # simple(16)
    "f818": "ill-formed",  # RFC 8949 §3.3: simple(24) in two bytes is not well-formed
    "f8ff": "simple",
    "c074323031332d30332d32315432303a30343a30305a": "tag",
    "c11a514b67b0": "tag",
    "c1fb41d452d9ec200000": "tag",
    "d74401020304": "tag",
    "d818456449455446": "tag",
    "d82076687474703a2f2f7777772e6578616d706c652e636f6d": "tag",
    "5f42010243030405ff": "indefinite",
    "7f657374726561646d696e67ff": "indefinite",
    "9fff": "indefinite",
    "9f018202039f0405ffff": "indefinite",
    "9f01820203820405ff": "indefinite",
    "83018202039f0405ff": "indefinite",
    "83019f0203ff820405": "indefinite",
    "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff": "indefinite",
    "bf61610161629f0203ffff": "indefinite",
    "826161bf61626163ff": "indefinite",
    "bf6346756ef563416d7421ff": "indefinite",
}

# Appendix A gives no JSON "decoded" for these; their RFC 8949 values.
NOT_IN_JSON: dict[str, object] = {
    "40": b"",
    "4401020304": b"\x01\x02\x03\x04",
    "a201020304": {1: 2, 3: 4},
    "f97c00": math.inf,
    "fa7f800000": math.inf,
    "fb7ff0000000000000": math.inf,
    "f9fc00": -math.inf,
    "faff800000": -math.inf,
    "fbfff0000000000000": -math.inf,
    "f7": cbor2.undefined,
    "f0": cbor2.CBORSimpleValue(16),
    "f8ff": cbor2.CBORSimpleValue(255),
    "c11a514b67b0": 1363896240,  # a timestamp: compared as one below
    "c1fb41d452d9ec200000": 1363896240.5,
    "d74401020304": cbor2.CBORTag(23, b"\x01\x02\x03\x04"),
    "d818456449455446": cbor2.CBORTag(24, b"dIETF"),
    "5f42010243030405ff": b"\x01\x02\x03\x04\x05",
    "c074323031332d30332d32315432303a30343a30305a": datetime(2013, 3, 21, 20, 4, tzinfo=UTC),
    "d82076687474703a2f2f7777772e6578616d706c652e636f6d": cbor2.CBORTag(
        32, "http://www.example.com"
    ),
}


def test_appendix_a_is_the_expected_file() -> None:
    vectors = _appendix_a()
    assert len(vectors) == 82
    assert set(REJECTED) <= {v["hex"] for v in vectors}
    for v in vectors:  # the base64 and hex fields agree
        assert base64.b64decode(v["cbor"]) == bytes.fromhex(v["hex"])


def test_appendix_a_general_decoder() -> None:
    """cbor2 (a general decoder) reads every vector as RFC 8949 says."""
    for v in _appendix_a():
        data = bytes.fromhex(v["hex"])
        if v["hex"] == "f818":
            # Appendix A lists simple(24) as f818, but RFC 8949 §3.3 made it
            # not well-formed; cbor2 rejects it, as it should.
            with pytest.raises(cbor2.CBORDecodeError):
                cbor2.loads(data)
            continue
        got = cbor2.loads(data)
        if "decoded" in v:
            want = v["decoded"]
            assert got == want and type(got) is type(want), v["hex"]
        elif v["hex"] in NOT_IN_JSON:
            want = NOT_IN_JSON[v["hex"]]
            if v["hex"].startswith("c1"):
                got = got.timestamp()
            assert got == want, v["hex"]
        else:
            assert v["diagnostic"] == "NaN", v["hex"]
            assert math.isnan(got)


@pytest.mark.parametrize("index", range(82))
def test_appendix_a_strict_decoder(index: int) -> None:
    """The strict decoder accepts exactly the deterministic in-profile vectors."""
    vectors = _appendix_a()
    v = vectors[index]
    data = bytes.fromhex(v["hex"])
    if v["hex"] in REJECTED:
        with pytest.raises(ProfileError) as info:
            decode(data, max_size=BIG)
        assert info.value.reason == REJECTED[v["hex"]]
        return
    got = decode(data, max_size=BIG)
    want = v["decoded"] if "decoded" in v else NOT_IN_JSON[v["hex"]]
    assert got == want
    # Deterministic: encoding what was decoded gives the same bytes back.
    assert encode(got) == data


# ------------------------------------------------------------- profile tables
# hex -> reason: each breaks exactly one rule of spec §3.
INVALID = [
    # non-minimal heads (RFC 8949 §4.2.1 rule 1)
    ("1817", "non-minimal"),
    ("190017", "non-minimal"),
    ("1900ff", "non-minimal"),
    ("1a0000ffff", "non-minimal"),
    ("1b00000000ffffffff", "non-minimal"),
    ("3817", "non-minimal"),
    ("5800", "non-minimal"),
    ("780161", "non-minimal"),
    ("98020102", "non-minimal"),
    ("b8010000", "non-minimal"),
    # indefinite lengths
    ("5fff", "indefinite"),
    ("7fff", "indefinite"),
    ("9fff", "indefinite"),
    ("bfff", "indefinite"),
    # not well-formed
    ("", "ill-formed"),
    ("18", "ill-formed"),
    ("19", "ill-formed"),
    ("1900", "ill-formed"),
    ("6261", "ill-formed"),
    ("4201", "ill-formed"),
    ("8201", "ill-formed"),
    ("a101", "ill-formed"),
    ("1c", "ill-formed"),
    ("1d", "ill-formed"),
    ("1e", "ill-formed"),
    ("1f", "ill-formed"),
    ("3f", "ill-formed"),
    ("df", "ill-formed"),
    ("fc", "ill-formed"),
    ("ff", "ill-formed"),
    ("f800", "ill-formed"),
    ("f81f", "ill-formed"),
    ("f8", "ill-formed"),
    ("9affffffff00", "ill-formed"),
    ("bb000000010000000000", "ill-formed"),
    # other major type 7
    ("e0", "simple"),
    ("f3", "simple"),
    ("f7", "simple"),
    ("f820", "simple"),
    ("f93c00", "float"),
    ("fa3f800000", "float"),
    ("fb3ff0000000000000", "float"),
    # tags
    ("c000", "tag"),
    ("d81800", "tag"),
    ("d9d9f700", "tag"),  # self-described CBOR is a tag too
    # text
    ("62c328", "utf8"),
    ("61ff", "utf8"),
    ("63eda080", "utf8"),  # a UTF-16 surrogate
    ("6365cc81", "nfc"),  # "e" + COMBINING ACUTE ACCENT; NFC is "\u00e9"
    ("63e284ab", "nfc"),  # U+212B ANGSTROM SIGN; NFC is U+00C5
    # map keys (spec §3.2.2)
    ("a2020001 00", "key-order"),
    ("a2010001 00", "duplicate-key"),
    ("a2010061 6100", "map-key"),
    ("a2616100 0100", "map-key"),
    ("a1181800", "map-key"),
    ("a12000", "map-key"),
    ("a14000", "map-key"),
    ("a1f400", "map-key"),
    ("a18000", "map-key"),
    ("a2626161 00616200", "key-order"),  # shorter text keys sort first
    ("a2616200 616100", "key-order"),
    ("a2616100 616100", "duplicate-key"),
    ("a1 6365cc81 00", "nfc"),
    # trailing bytes
    ("0000", "trailing"),
    ("80ff", "trailing"),
    ("a0a0", "trailing"),
]


@pytest.mark.parametrize(("hexdata", "reason"), INVALID)
def test_invalid(hexdata: str, reason: str) -> None:
    with pytest.raises(ProfileError) as info:
        decode(bytes.fromhex(hexdata.replace(" ", "")), max_size=BIG)
    assert info.value.reason == reason
    assert isinstance(info.value, EncodingError)
    assert reason in str(info.value)


VALID: list[tuple[str, Value]] = [
    ("00", 0),
    ("17", 23),
    ("1818", 24),
    ("18ff", 255),
    ("190100", 256),
    ("19ffff", 65535),
    ("1a00010000", 65536),
    ("1b0000000100000000", 1 << 32),
    ("1bffffffffffffffff", (1 << 64) - 1),
    ("20", -1),
    ("37", -24),
    ("3818", -25),
    ("3bffffffffffffffff", -(1 << 64)),
    ("f4", False),
    ("f5", True),
    ("f6", None),
    ("40", b""),
    ("5818" + "00" * 24, bytes(24)),
    ("60", ""),
    ("62c3a9", "\u00e9"),
    ("7818" + "61" * 24, "a" * 24),
    ("80", []),
    ("a0", {}),
    ("a3000001011702", {0: 0, 1: 1, 23: 2}),
    ("a3616100616201626161f6", {"a": 0, "b": 1, "aa": None}),
    ("a2 6161 a1 00 80 6162 a0", {"a": {0: []}, "b": {}}),
    ("8" + "8" * 0 + "1" + "81" * 7 + "00", [[[[[[[[0]]]]]]]]),  # depth 8
]


@pytest.mark.parametrize(("hexdata", "value"), VALID)
def test_valid(hexdata: str, value: Value) -> None:
    data = bytes.fromhex(hexdata.replace(" ", ""))
    got = decode(data, max_size=BIG)
    assert got == value
    assert type(got) is type(value)
    assert encode(got) == data
    assert encode_ordered(freeze(got)) == data


def test_depth_limit() -> None:
    deep = bytes.fromhex("81" * MAX_DEPTH + "00")
    decode(deep, max_size=BIG)
    with pytest.raises(OversizeError):
        decode(b"\x81" + deep, max_size=BIG)
    with pytest.raises(OversizeError):
        decode(bytes.fromhex("a101" * 9 + "00"), max_size=BIG)
    assert decode(deep, max_size=BIG, max_depth=MAX_DEPTH) is not None
    with pytest.raises(OversizeError):
        decode(deep, max_size=BIG, max_depth=MAX_DEPTH - 1)


def test_depth_limit_stops_early() -> None:
    # 100000 nested arrays: rejected at depth 9 without recursing further.
    with pytest.raises(OversizeError):
        decode(b"\x81" * 100000 + b"\x00", max_size=200000)


def test_size_limit_is_checked_before_decoding() -> None:
    # Not CBOR at all, but longer than the limit: the size is what is reported.
    with pytest.raises(OversizeError):
        decode(b"\xff" * 11, max_size=10)
    assert decode(b"\x4a" + bytes(10), max_size=11) == bytes(10)


def test_lying_counts_are_rejected_before_decoding_elements() -> None:
    for head in ("9a7fffffff", "bb7fffffffffffffff", "5b7fffffffffffffff", "7a00100000"):
        with pytest.raises(ProfileError) as info:
            decode(bytes.fromhex(head) + b"\x00", max_size=BIG)
        assert info.value.reason == "ill-formed"


def test_offset_points_at_the_fault() -> None:
    with pytest.raises(ProfileError) as info:
        decode(bytes.fromhex("83 01 02 f93c00".replace(" ", "")), max_size=BIG)
    assert info.value.offset == 3


def test_start_offset() -> None:
    assert decode(b"\xd2\x80", max_size=BIG, start=1) == []


def test_decode_at_reads_one_item_and_says_where_it_ends() -> None:
    data = bytes.fromhex("0b a2 61 61 01 61 62 82 f5 f6 0c".replace(" ", ""))
    assert decode_at(data, 1, MAX_DEPTH) == ({"a": 1, "b": [True, None]}, 10)
    assert decode_at(data, 10, MAX_DEPTH) == (12, 11)
    with pytest.raises(ProfileError) as info:
        decode_at(data[:8], 1, MAX_DEPTH)
    assert info.value.reason == "ill-formed"
    with pytest.raises(OversizeError):
        decode_at(data, 1, 1)  # the map's array is a second level
    with pytest.raises(ProfileError) as info:
        decode_at(bytes.fromhex("a2616201616101"), 0, MAX_DEPTH)
    assert info.value.reason == "key-order"


# ---------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    ("major", "arg", "hexdata"),
    [
        (0, 0, "00"),
        (0, 23, "17"),
        (0, 24, "1818"),
        (0, 255, "18ff"),
        (0, 256, "190100"),
        (0, 65536, "1a00010000"),
        (0, 1 << 32, "1b0000000100000000"),
        (2, 64, "5840"),
        (3, 32, "7820"),
        (5, 3, "a3"),
    ],
)
def test_encode_head(major: int, arg: int, hexdata: str) -> None:
    assert encode_head(major, arg).hex() == hexdata


def test_encode_head_too_big() -> None:
    with pytest.raises(EncodingError):
        encode_head(0, 1 << 64)


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        {1.5: 0},
        {24: 0},
        {-1: 0},
        {1: 0, "a": 0},
        {b"k": 0},
        [set()],
        1 << 64,
        -(1 << 64) - 1,
        "e\u0301",
        {"e\u0301": 0},
        cbor2.CBORTag(1, 0),
        cbor2.undefined,
        [[[[[[[[[0]]]]]]]]],
    ],
)
def test_check_rejects(value: object) -> None:
    with pytest.raises(EncodingError):
        check(value)


def test_freeze_sorts_and_is_hashable() -> None:
    frozen = freeze({"bb": [1, {"y": 2, "x": 1}], "a": 0, "c": b""})
    assert isinstance(frozen, cbor2.frozendict)
    assert list(frozen) == ["a", "c", "bb"]  # §3.2: shorter text keys first
    hash(frozen)
    assert encode_ordered(frozen) == encode({"bb": [1, {"y": 2, "x": 1}], "a": 0, "c": b""})


def test_encode_wraps_cbor2_errors() -> None:
    with pytest.raises(EncodingError) as info:
        encode(object())  # type: ignore[arg-type]
    assert isinstance(info.value.__cause__, Exception)
    with pytest.raises(EncodingError):
        encode_ordered(object())  # type: ignore[arg-type]


def test_length_first_differs_outside_the_profile() -> None:
    """Why spec §3.2.2 restricts map keys: RFC 8949 §4.2.1 and §4.2.3 disagree otherwise."""
    length_first = cbor2.dumps({100: 0, -1: 0}, canonical=True)
    assert length_first.hex() == "a220001864" + "00"
    bytewise = bytes.fromhex("a2186400" + "2000")
    assert length_first != bytewise
    with pytest.raises(ProfileError):
        decode(length_first, max_size=BIG)
    with pytest.raises(ProfileError):
        decode(bytewise, max_size=BIG)


def test_profile_error_pickles() -> None:
    with pytest.raises(ProfileError) as info:
        decode(b"\x18\x01", max_size=BIG)
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.reason, copy.offset, str(copy)) == ("non-minimal", 0, str(info.value))


def test_errors_are_cid_errors() -> None:
    assert issubclass(ProfileError, CidError)
    assert issubclass(ProfileError, EncodingError)
