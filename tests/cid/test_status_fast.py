"""The fast status reader (``cid/_status_fast.py`` with ``_status._decode_fast``) agrees
with the strict decoder (``decode_status``): on every payload it reads, the same
:class:`Status`; on every payload the strict decoder refuses, it declines.

Payloads are random statuses (every claim, units, prices, ext, crit), their
encodings mutated (bytes changed, cut, inserted, removed), and a table of odd
ones; each is read with and without the subject given as checked.
"""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from status_examples import SUB, status, statuses

import cid
from cid._cbor import encode
from cid._status import _decode_fast, decode_status


def _agree(payload: bytes, subject: str | None = None) -> cid.Status | None:
    fast = _decode_fast(payload, subject)
    try:
        strict = decode_status(payload)
    except cid.CidError:
        assert fast is None, payload.hex()
        return None
    if fast is not None:
        assert fast == strict, payload.hex()
        assert type(fast.units) is type(strict.units)
        assert type(fast.prices) is tuple and type(fast.ext) is type(strict.ext)
        assert cid.encode_status(fast) == payload
    return fast


@given(statuses())
def test_every_status_read_alike(value: cid.Status) -> None:
    payload = cid.encode_status(value)
    fast = _agree(payload)
    _agree(payload, value.subject)
    if not value.ext and not value.crit:
        assert fast == value  # the common shape is read fast
    _agree(payload)  # again: units and prices remembered now


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    good = bytearray(cid.encode_status(draw(statuses().filter(lambda s: not s.ext))))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(good) - 1))
        how = draw(st.sampled_from(["set", "cut", "insert", "remove"]))
        if how == "set":
            good[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del good[at:]
            if not good:
                good.append(0xA0)
        elif how == "insert":
            good.insert(at, draw(st.integers(0, 255)))
        elif len(good) > 1:
            del good[at]
    return bytes(good)


@settings(max_examples=500)
@given(mutated())
def test_mutated_payloads_read_alike(payload: bytes) -> None:
    _agree(payload)
    _agree(payload, SUB)


def _claims(**over: object) -> bytes:
    claims: dict[int, object] = {
        1: "acme.example",
        2: SUB,
        4: 1767229500,
        6: 1767229200,
        8: 3,
        14: 7,
        15: True,
        17: 5,
        19: [{0: "CNY", 1: "12.5", 3: 1, 4: 3600}],
    }
    for key, value in over.items():
        k = int(key[1:])
        if value is None:
            del claims[k]
        else:
            claims[k] = value
    return encode(claims)  # type: ignore[arg-type]


ODD = [
    _claims(),
    _claims(k19=None),
    _claims(k16={"acc": [1, 8]}),
    _claims(k16={"zzz": [1, 8]}),  # not a unit of this subject
    _claims(k16={"acc": [9, 8]}),  # free above total
    _claims(k16={}),  # an empty map: left out instead
    _claims(k19=[]),
    _claims(k19=[{0: "CNY", 1: "12.5", 3: 1, 4: 3600}] * 2),  # the same price twice
    _claims(k19=[{0: "CNY", 1: "12.50", 3: 1, 4: 3600}]),  # not canonical
    _claims(k19=[{0: "CNY", 1: "1", 2: "zzz", 3: 1, 4: 3600}]),  # unit not the subject's
    _claims(k17=1001),
    _claims(k17=None, k18=(1 << 32)),
    _claims(k18=(1 << 32) - 1),
    _claims(k4=1767229200),  # exp = iat
    _claims(k4=1767229801),  # 601 s
    _claims(k4=(1 << 64) - 1, k6=(1 << 64) - 600),
    _claims(k1="ACME.example"),
    _claims(k1="acme.example."),
    _claims(k2=SUB.replace("mem=549755813888B", "mem=512GiB")),  # not canonical
    _claims(k2="ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B;é"),
    _claims(k15=1),
    _claims(k8=-1),
    _claims(k14="7"),
    _claims(k3=1),
    _claims(k11={"x": 1}),
    _claims(k11={"x": 1}, k12=["x"]),
    _claims(k1=None),
    cbor2.dumps({1: "acme.example"}),
    b"\xa7" + _claims()[1:],  # one claim too few announced
    _claims()[:-1],
    _claims() + b"\x00",
    b"\xa0",
    b"",
    bytes.fromhex("a9") + _claims()[1:].replace(b"\x08\x03", b"\x08\x18\x03"),  # non-minimal
]


@pytest.mark.parametrize("payload", ODD, ids=range(len(ODD)))
def test_odd_payloads_read_alike(payload: bytes) -> None:
    _agree(payload)
    _agree(payload, SUB)
    _agree(payload)


def test_the_common_shape_is_read_fast() -> None:
    value = status(units={"acc": cid.Capacity(1, 8)}, utilisation=7, queue_wait=3)
    payload = cid.encode_status(value)
    assert _agree(payload) == value
    assert _agree(payload, SUB) == value
