"""The "cbor" area: decode_cbor over the deterministic CBOR profile (spec/descriptor.md §3).

Every case's expected result is :func:`_cbor_bytes.judge`'s, a decoder written
from §3's rules alone; RFC 8949 Appendix A (``tests/vectors/external/cbor-appendix_a.json``)
gives the first cases, hand-made items the rest, one each way per rule.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._cbor_bytes import enc, head, judge
from ._common import Area, Case

__all__ = ["cbor_area"]

_EXTERNAL = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "external"

FLAGS = {
    "rfc8949-appendix-a": "an example of RFC 8949 Appendix A, judged by the profile's rules",
    "boundary": "a value at the edge of a head width or a limit, which is accepted",
    "non-minimal-head": "accepting a head that is not in its shortest (preferred) form",
    "indefinite-length": "accepting indefinite-length strings, arrays or maps",
    "tag": "accepting CBOR tags inside the profile",
    "float": "accepting floating-point numbers",
    "simple-value": "accepting simple values other than false, true and null",
    "ill-formed": "accepting bytes that are not well-formed CBOR (reserved additional "
    "information, a stray break, a two-byte simple value below 32)",
    "truncated": "accepting input that ends inside a data item, or reading past its end",
    "trailing-bytes": "accepting bytes after the one top-level data item",
    "declared-length": "trusting a declared length or count larger than the "
    "input (allocation before checking)",
    "invalid-utf8": "accepting text strings that are not valid UTF-8",
    "not-nfc": "accepting text strings that are not in Unicode NFC",
    "map-key-type": "accepting map keys other than integers 0..23 or "
    "text, or maps that mix the two",
    "map-key-order": "sorting map keys in another order than the bytewise "
    "order of their encodings (e.g. text order)",
    "duplicate-key": "accepting a map with two equal keys (last or first one wins)",
    "nesting-depth": "not counting nesting depth, counting it off by one, or from the wrong "
    "item (a byte string holding CBOR starts a new count)",
}

ACCEPTED = {
    0: "DS-3.1.1-1",
    1: "DS-3.1.1-2",
    2: "DS-3.1.1-3",
    3: "DS-3.1.1-4",
    4: "DS-3.1.1-5",
    5: "DS-3.1.1-6",
    7: "DS-3.1.1-7",
}
REASONS: dict[str, tuple[list[str], str]] = {
    "non-minimal": (["DS-3.2.1-1", "DS-3.4.1-4"], "non-minimal-head"),
    "indefinite": (["DS-3.1.2-4", "DS-3.2.1-2", "DS-3.4.1-5"], "indefinite-length"),
    "tag": (["DS-3.1.2-1", "DS-3.4.1-5"], "tag"),
    "float": (["DS-3.1.2-2", "DS-3.4.1-5"], "float"),
    "simple": (["DS-3.1.2-3", "DS-3.4.1-5"], "simple-value"),
    "ill-formed": (["DS-3.4.1-1"], "ill-formed"),
    "utf8": (["DS-3.1.1-4", "DS-3.4.1-6"], "invalid-utf8"),
    "nfc": (["DS-3.1.1-4", "DS-3.4.1-6"], "not-nfc"),
    "map-key": (["DS-3.2.2-1", "DS-3.4.1-7"], "map-key-type"),
    "key-order": (["DS-3.2.1-3", "DS-3.4.1-8"], "map-key-order"),
    "duplicate-key": (["DS-3.2.1-4", "DS-3.4.1-9"], "duplicate-key"),
    "trailing": (["DS-3.4.1-3"], "trailing-bytes"),
    "depth": (["DS-3.3.2-1", "DS-3.3.2-3"], "nesting-depth"),
}


def _case(
    data: bytes,
    comment: str,
    *,
    flags: tuple[str, ...] = (),
    reqs: tuple[str, ...] = (),
    source: str = "",
) -> Case:
    reason = judge(data)
    if reason is None:
        kinds = {ACCEPTED[data[0] >> 5]} if data and data[0] >> 5 in ACCEPTED else set()
        expected = {"result": "valid", "output": {}}
        requirements = ["DS-3.4.1-1", *kinds, *reqs]
    else:
        rq, flag = REASONS[reason]
        errors = ["OVERSIZE"] if reason == "depth" else ["ENCODING"]
        expected = {"result": "invalid", "errors": errors}
        requirements = [*rq, *reqs]
        flags = (flag, *flags)
    return Case(
        operation="decode_cbor",
        input={"data": data.hex()},
        expected=expected,
        requirements=requirements,
        flags=flags,
        comment=comment,
        profile="descriptor",
        source=source,
    )


def _appendix_a() -> list[Case]:
    items = json.loads((_EXTERNAL / "cbor-appendix_a.json").read_text())
    out = []
    for n, item in enumerate(items):
        shown = item.get("diagnostic", json.dumps(item.get("decoded"), ensure_ascii=False))
        data = bytes.fromhex(item["hex"])
        verdict = judge(data)
        comment = f"RFC 8949 Appendix A {shown}: " + (
            "in the profile" if verdict is None else f"rejected ({verdict})"
        )
        out.append(
            _case(
                data,
                comment,
                flags=("rfc8949-appendix-a",),
                source=f"cbor-appendix_a.json entry {n} (hex {item['hex']})",
            )
        )
    return out


def _nest(depth: int, inner: bytes = b"\x80") -> bytes:
    """``depth`` arrays, one inside the other (the innermost is ``inner``, an empty array)."""
    return b"\x81" * (depth - 1) + inner


def _hand() -> list[Case]:
    c = _case
    bd = ("boundary",)
    return [
        # shortest heads, each way, at every width boundary (§3.2.1)
        c(head(0, 23), "23: the largest one-byte head", flags=bd),
        c(head(0, 24), "24: the smallest argument of a two-byte head", flags=bd),
        c(head(0, 23, 1), "23 in a two-byte head (18 17): not shortest"),
        c(head(0, 255), "255 in a two-byte head", flags=bd),
        c(head(0, 255, 2), "255 in a three-byte head (19 00 ff)"),
        c(head(0, 256), "256: the smallest argument of a three-byte head", flags=bd),
        c(head(0, 65535, 4), "65535 in a five-byte head"),
        c(head(0, 65536), "65536 in a five-byte head", flags=bd),
        c(head(0, 2**32 - 1, 8), "2^32-1 in a nine-byte head"),
        c(head(0, 2**32), "2^32 in a nine-byte head", flags=bd),
        c(head(0, 2**64 - 1), "2^64-1: the largest unsigned integer", flags=bd),
        c(head(1, 2**64 - 1), "-2^64: the smallest negative integer", flags=bd),
        c(head(1, 23, 1), "-24 in a two-byte head (38 17): not shortest"),
        c(head(1, 0, 8), "-1 in a nine-byte head"),
        c(head(2, 1, 1) + b"\x00", "a one-byte byte string with a two-byte length head (58 01)"),
        c(head(3, 1, 2) + b"a", "a one-character text with a three-byte length head (79 00 01)"),
        c(head(4, 1, 1) + b"\x00", "an array of one with a two-byte count head (98 01)"),
        c(head(5, 1, 4) + b"\x00\x00", "a map of one with a five-byte count head (ba 00 00 00 01)"),
        c(head(3, 24) + b"a" * 24, "a text of 24 bytes, with its two-byte head", flags=bd),
        c(head(3, 23, 1) + b"a" * 23, "a text of 23 bytes with a two-byte head"),
        # indefinite lengths and break (§3.1.2)
        c(b"\x5f\x41\x00\xff", "an indefinite-length byte string"),
        c(b"\x7f\x61a\xff", "an indefinite-length text string"),
        c(b"\x9f\x01\xff", "an indefinite-length array"),
        c(b"\xbf\x01\x02\xff", "an indefinite-length map"),
        c(b"\x9f\xff", "an empty indefinite-length array"),
        c(b"\xff", "a lone break byte", reqs=("DS-3.1.2-5",)),
        c(b"\x82\x01\xff", "a break inside a definite-length array", reqs=("DS-3.1.2-5",)),
        # tags (§3.1.2): any tag inside an item, including 18 and 24 (embedded CBOR)
        c(b"\xc1\x1a\x51\x4b\x67\xb0", "tag 1 (epoch time) around an integer"),
        c(
            b"\x81\xd2\x80",
            "tag 18 nested inside an array: only the outermost tag of a signed record is allowed",
        ),
        c(b"\xd8\x18\x41\x00", "tag 24 (embedded CBOR)"),
        c(b"\xc2\x41\x01", "tag 2 (bignum)"),
        # floats (§3.1.2)
        c(b"\xf9\x00\x00", "half-precision 0.0"),
        c(b"\xfa\x3f\x80\x00\x00", "single-precision 1.0: integral, still a float"),
        c(b"\xfb\x3f\xf0\x00\x00\x00\x00\x00\x00", "double-precision 1.0"),
        # simple values (§3.1.2)
        c(b"\xf4", "false", flags=bd),
        c(b"\xf5", "true", flags=bd),
        c(b"\xf6", "null", flags=bd),
        c(b"\xf7", "undefined"),
        c(b"\xe0", "simple(0)"),
        c(b"\xf3", "simple(19)"),
        c(b"\xf8\x20", "simple(32), the smallest two-byte simple value"),
        c(b"\xf8\xff", "simple(255)"),
        c(b"\xf8\x14", "false written in two bytes (f8 14): not well-formed"),
        # reserved additional information (RFC 8949 §3)
        c(b"\x1c", "additional information 28 (reserved)"),
        c(b"\x3d", "additional information 29 (reserved), negative integer"),
        c(b"\x5e", "additional information 30 (reserved), byte string"),
        c(b"\x1f", "additional information 31 with major type 0"),
        c(b"\xdf", "additional information 31 with major type 6"),
        # truncation (§3.4.1)
        c(b"", "empty input", reqs=("DS-3.4.1-2",)),
        c(b"\x18", "ends inside a head", flags=("truncated",), reqs=("DS-3.4.1-2",)),
        c(
            b"\x1b\x00\x00\x00\x00\x00\x00\x01",
            "ends inside a nine-byte head",
            flags=("truncated",),
            reqs=("DS-3.4.1-2",),
        ),
        c(b"\x62a", "ends inside a text string", flags=("truncated",), reqs=("DS-3.4.1-2",)),
        c(
            b"\x44\x01\x02\x03",
            "ends inside a byte string",
            flags=("truncated",),
            reqs=("DS-3.4.1-2",),
        ),
        c(b"\x83\x01\x02", "ends inside an array", flags=("truncated",), reqs=("DS-3.4.1-2",)),
        c(
            b"\xa1\x01",
            "a map whose one key has no value",
            flags=("truncated",),
            reqs=("DS-3.4.1-2",),
        ),
        # declared lengths beyond the input (§3.3.3)
        c(
            b"\x5a\xff\xff\xff\xff\x00",
            "a byte string declaring 2^32-1 bytes, one present",
            flags=("declared-length",),
            reqs=("DS-3.3.3-1",),
        ),
        c(
            b"\x7b\x00\x00\x00\x01\x00\x00\x00\x00",
            "a text declaring 2^32 bytes, none present",
            flags=("declared-length",),
            reqs=("DS-3.3.3-1",),
        ),
        c(
            b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff\x00",
            "an array declaring 2^64-1 elements",
            flags=("declared-length",),
            reqs=("DS-3.3.3-1",),
        ),
        c(
            b"\xba\x7f\xff\xff\xff\x00",
            "a map declaring 2^31-1 entries",
            flags=("declared-length",),
            reqs=("DS-3.3.3-1",),
        ),
        c(
            b"\x84\x01\x02\x03",
            "an array declaring 4 elements, 3 present",
            flags=("declared-length",),
            reqs=("DS-3.3.3-1", "DS-3.4.1-2"),
        ),
        # trailing bytes (§3.4.1)
        c(b"\x00\x00", "two items: 0 then 0"),
        c(b"\x80\x00", "an empty array followed by a byte"),
        c(b"\xa0\xa0", "two empty maps"),
        c(b"\x61a\x00", "a text followed by a zero byte"),
        # text (§3.1.1): UTF-8 and NFC
        c(enc("é"), "é as one code point (NFC)", flags=bd),
        c(b"\x63e\xcc\x81", "é as e + U+0301 COMBINING ACUTE ACCENT: valid UTF-8, not NFC"),
        c(b"\x63\xe2\x84\xab", "U+212B ANGSTROM SIGN: its NFC is U+00C5"),
        c(b"\x61\xff", "byte ff in text"),
        c(b"\x62\xc3\x28", "a bad continuation byte"),
        c(b"\x63\xed\xa0\x80", "an encoded surrogate U+D800"),
        c(b"\x62\xc0\xaf", "an overlong encoding of /"),
        c(b"\x64\xf4\x90\x80\x80", "a code point above U+10FFFF"),
        c(b"\x62\xe2\x82", "a three-byte sequence cut short inside the text"),
        c(b"\x41\xff", "byte ff in a byte string: bytes are not text", flags=bd),
        # map keys (§3.2.2)
        c(b"\xa0", "the empty map", flags=bd, reqs=("DS-3.2.2-2",)),
        c(enc({0: 0, 23: 1}), "integer keys 0 and 23", flags=bd),
        c(b"\xa1\x18\x18\x00", "integer key 24"),
        c(b"\xa1\x20\x00", "integer key -1"),
        c(b"\xa1\x41\x00\x00", "a byte-string key"),
        c(b"\xa1\x80\x00", "an array key"),
        c(b"\xa1\xf4\x00", "a false key"),
        c(b"\xa1\xf6\x00", "a null key"),
        c(b"\xa2\x01\x00\x61a\x00", "an integer key, then a text key"),
        c(b"\xa2\x61a\x00\x01\x00", "a text key, then an integer key"),
        c(enc({"a": 1, "b": 2}), "text keys a, b", flags=bd),
        c(
            b"\xa2\x61b\x01\x62aa\x02",
            "text keys b then aa: bytewise order of their encodings (61 62 < 62 61 61)",
            flags=bd,
        ),
        c(
            b"\xa2\x62aa\x02\x61b\x01",
            "text keys aa then b: text order, not bytewise order of the encodings",
        ),
        c(b"\xa2\x02\x00\x01\x00", "integer keys 2 then 1"),
        c(b"\xa2\x61b\x00\x61a\x00", "text keys b then a"),
        c(b"\xa2\x01\x00\x01\x01", "integer key 1 twice"),
        c(b"\xa2\x61a\x00\x61a\x01", "text key a twice"),
        c(
            b"\xa3\x01\x00\x02\x00\x01\x00",
            "integer key 1 again after 2: out of order and a duplicate",
        ),
        c(b"\xa1\x01\xa2\x01\x00\x00\x00", "a nested map with keys out of order"),
        c(enc({"é": 1, "z": 2}), "text keys z, é: é's encoding (62 c3 a9) is longer", flags=bd),
        # nesting depth (§3.3.2)
        c(
            _nest(8),
            "arrays nested 8 deep",
            flags=("boundary", "nesting-depth"),
            reqs=("DS-3.3.2-1",),
        ),
        c(_nest(9), "arrays nested 9 deep"),
        c(
            b"\xa1\x00" * 7 + b"\xa0",
            "maps nested 8 deep",
            flags=("boundary", "nesting-depth"),
            reqs=("DS-3.3.2-1",),
        ),
        c(b"\xa1\x00" * 8 + b"\xa0", "maps nested 9 deep"),
        c(
            b"\x81" * 8 + b"\x00",
            "arrays nested 8 deep around an integer",
            flags=("boundary", "nesting-depth"),
            reqs=("DS-3.3.2-1",),
        ),
        c(b"\x81" * 9 + b"\x00", "arrays nested 9 deep around an integer"),
        c(
            b"\x81" * 9 + b"\xff",
            "arrays nested 9 deep: rejected at depth 9 before the ill-formed byte inside",
        ),
        c(
            b"\x82" + _nest(7) + _nest(8),
            "an array holding 7 and 8 deep arrays (depth 9 in its second element)",
        ),
        c(
            b"\x41" + b"\x80",
            "a byte string holding bytes that would be an array: not decoded",
            flags=bd,
        ),
        # integers of every major type in containers
        c(enc([0, -1, b"", "", [], {}, False, True, None]), "one of each kind of item", flags=bd),
    ]


def cbor_area() -> Area:
    cases: list[Case] = []
    seen: dict[str, Case] = {}
    for case in _appendix_a() + _hand():
        first = seen.get(case.input["data"])
        if first is None:
            seen[case.input["data"]] = case
            cases.append(case)
        else:  # an item Appendix A has already: its requirements and flags join the first
            first.requirements = sorted({*first.requirements, *case.requirements})
            first.flags = sorted({*first.flags, *case.flags})
    used = {f for c in cases for f in c.flags}
    return Area(
        name="descriptor-cbor",
        prefix="cbor",
        description="decode_cbor: the deterministic CBOR profile of spec/descriptor.md §3, "
        "each rule accepted and rejected; RFC 8949 Appendix A judged by it.",
        cases=cases,
        flags={k: v for k, v in FLAGS.items() if k in used},
    )
