"""Status records (spec/status.md): the value and its rules, the strict codec, signing,
every step of verification with its category, the JSON form, the spec's example and
requirement ids, and properties (round trips; no input crashes the verifier)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from status_examples import EXP, IAT, SUB, status, statuses

import cid
from cid._cbor import encode
from cid._cose import encode_sign1, sig_structure
from cid._status import CLAIM_UTIL, MAX_QUANTITY, unit_type

SPEC = Path(__file__).resolve().parents[2] / "spec" / "status.md"
ZONE = cid.SigningKey.from_seed(bytes(range(32)))
AGENT = cid.SigningKey.from_seed(bytes(range(1, 33)))
OTHER = cid.SigningKey.from_seed(bytes(range(2, 34)))
KEYS = [ZONE.verify_key, AGENT.verify_key]
NOW = IAT + 60


def price(**over: Any) -> cid.Price:
    fields: dict[str, Any] = {"currency": "CNY", "amount": "12.5", "quantity": 1, "period": 3600}
    fields.update(over)
    return cid.Price(**fields)


def descriptor(**over: Any) -> cid.Descriptor:
    fields: dict[str, Any] = {
        "issuer": "acme.example",
        "subject": SUB,
        "version": 1,
        "issued_at": IAT - 86400,
        "not_before": IAT - 86400,
        "expires": IAT + 86400,
        "endpoints": (cid.Endpoint("tcp", "https", "api.acme.example", 443),),
    }
    fields.update(over)
    return cid.Descriptor(**fields)


def claims(**over: Any) -> Any:
    """The claims of the base status, by number; None removes one."""
    base = {1: "acme.example", 2: SUB, 4: EXP, 6: IAT, 8: 7, 14: 1, 15: True}
    for k, v in over.items():
        base[int(k[1:])] = v
    return {k: v for k, v in base.items() if v is not None}


def signed_payload(payload: bytes, key: cid.SigningKey = ZONE, typ: str = cid.TYP_STATUS) -> bytes:
    """A record of any payload bytes, correctly signed (deterministic or not)."""
    raw = typ.encode()
    protected = b"\xa3\x01\x27\x04\x58\x20" + key.kid + b"\x10" + bytes((0x78, len(raw))) + raw
    return encode_sign1(protected, b"\xa0", payload, key.sign(sig_structure(protected, payload)))


# ------------------------------------------------------------ construction

VALID: list[tuple[str, Callable[[], cid.Status]]] = [
    ("minimal", status),
    ("not accepting", lambda: status(accepting=False)),
    ("units", lambda: status(units={"mem": cid.Capacity(0, 1 << 40), "acc": cid.Capacity(3, 8)})),
    (
        "unregistered count of sub",
        lambda: status(
            subject="ucid:acme.example/cn/x86-64/slots=4", units={"slots": cid.Capacity(1, 4)}
        ),
    ),
    ("registered key not in sub", lambda: status(units={"cpu": cid.Capacity(1, 2)})),
    ("largest quantities", lambda: status(units={"acc": cid.Capacity(MAX_QUANTITY, MAX_QUANTITY)})),
    ("utilisation bounds", lambda: status(utilisation=1000, queue_wait=(1 << 32) - 1)),
    ("zeroes", lambda: status(utilisation=0, queue_wait=0)),
    ("600 s", lambda: status(expires=IAT + 600)),
    ("one second", lambda: status(expires=IAT + 1)),
    (
        "prices",
        lambda: status(
            prices=(
                price(unit="acc", terms="https://acme.example/terms?x=1#a"),
                price(currency="EUR", amount="0.004", unit="mem", quantity=1 << 30),
                price(currency="USD", amount="2", period=60),
            )
        ),
    ),
    ("decimals", lambda: status(prices=(price(amount="0"), price(amount="100", period=1)))),
    ("ext and crit", lambda: status(ext={"x-a": [1, {"b": b"\x00"}]}, crit=["x-a"])),
    ("lists become tuples", lambda: status(prices=[price()], crit=[])),
]

INVALID: list[tuple[str, dict[str, Any]]] = [
    ("iss uppercase", {"issuer": "Acme.example"}),
    ("sub not canonical", {"subject": "ucid:acme.example/cn-gd/x86-64/mem=1GiB"}),
    ("sub not a UCID", {"subject": "acme"}),
    ("version negative", {"version": -1}),
    ("version bool", {"version": True}),
    ("dver too large", {"descriptor_version": 1 << 64}),
    ("iat == exp", {"expires": IAT}),
    ("iat > exp", {"expires": IAT - 1}),
    ("601 s", {"expires": IAT + 601}),
    ("accepting int", {"accepting": 1}),
    ("accepting None", {"accepting": None}),
    ("utilisation 1001", {"utilisation": 1001}),
    ("utilisation float", {"utilisation": 0.5}),
    ("wait 2^32", {"queue_wait": 1 << 32}),
    ("wait negative", {"queue_wait": -1}),
    ("units not a map", {"units": [("acc", cid.Capacity(1, 2))]}),
    ("units tuple value", {"units": {"acc": (1, 2)}}),
    ("units unknown key", {"units": {"widgets": cid.Capacity(1, 2)}}),
    ("units token key", {"units": {"acc-model": cid.Capacity(1, 2)}}),
    ("units flag key", {"units": {"sriov": cid.Capacity(1, 1)}}),
    ("units uppercase", {"units": {"ACC": cid.Capacity(1, 2)}}),
    ("units 17", {"units": {f"k{i}": cid.Capacity(0, 1) for i in range(17)}}),
    ("prices 9", {"prices": tuple(price(period=p) for p in range(1, 10))}),
    ("prices duplicate", {"prices": (price(), price(amount="1"))}),
    ("prices not Price", {"prices": ({"currency": "CNY"},)}),
    ("price unit token", {"prices": (price(unit="acc-model"),)}),
    ("price unit unknown", {"prices": (price(unit="widgets"),)}),
    ("ext too many", {"ext": {f"x{i}": i for i in range(17)}}),
    ("ext key too long", {"ext": {"k" * 65: 1}}),
    ("ext float", {"ext": {"x": 1.5}}),
    ("ext not NFC", {"ext": {"x": "e\u0301"}}),
    ("crit not in ext", {"ext": {"x": 1}, "crit": ("y",)}),
    ("crit twice", {"ext": {"x": 1}, "crit": ("x", "x")}),
]

BAD_PRICES: list[tuple[str, dict[str, Any]]] = [
    ("currency lowercase", {"currency": "cny"}),
    ("currency 4", {"currency": "CNYX"}),
    *[
        (f"amount {a!r}", {"amount": a})
        for a in (
            "012",
            "12.50",
            "12.",
            ".5",
            "+1",
            "-1",
            "1e3",
            "1,5",
            "0.0",
            " 1",
            "1" * 19,
            "1." + "1" * 19,
            12,
            1.5,
            None,
        )
    ],
    ("quantity 0", {"quantity": 0}),
    ("quantity 2^63", {"quantity": MAX_QUANTITY + 1}),
    ("period 0", {"period": 0}),
    ("period too long", {"period": 366 * 86400 + 1}),
    ("unit uppercase", {"unit": "Acc"}),
    ("terms http", {"terms": "http://acme.example"}),
    ("terms space", {"terms": "https://acme.example/a b"}),
    ("terms empty authority", {"terms": "https://"}),
    ("terms 257", {"terms": "https://a/" + "t" * 247}),
]


@pytest.mark.parametrize(("name", "make"), VALID, ids=[v[0] for v in VALID])
def test_valid_statuses_construct_and_round_trip(name: str, make: Callable[[], cid.Status]) -> None:
    st_ = make()
    payload = cid.encode_status(st_)
    assert cid.decode_status(payload) == st_
    assert cid.decode_cbor(payload, max_size=880) is not None  # deterministic
    assert cid.status_from_json(json.loads(json.dumps(cid.status_json(st_)))) == st_ or (
        name == "ext and crit"  # a byte string in ext has no JSON form to read back
    )
    data = cid.sign_status(st_, ZONE)
    assert cid.verify_status(data, KEYS, now=IAT, extensions=["x-a"]) == st_


@pytest.mark.parametrize(("name", "over"), INVALID, ids=[v[0] for v in INVALID])
def test_invalid_statuses_do_not_construct(name: str, over: dict[str, Any]) -> None:
    with pytest.raises(cid.EncodingError):
        status(**over)


@pytest.mark.parametrize(("name", "over"), BAD_PRICES, ids=[v[0] for v in BAD_PRICES])
def test_invalid_prices_do_not_construct(name: str, over: dict[str, Any]) -> None:
    with pytest.raises(cid.EncodingError):
        status(prices=(price(**over),))


def test_capacity_rules() -> None:
    assert cid.Capacity(0, 0) == cid.Capacity(0, 0)
    for free, total in ((2, 1), (-1, 1), (0, MAX_QUANTITY + 1), (True, 1), (0, "1")):
        with pytest.raises(cid.EncodingError):
            cid.Capacity(free, total)  # type: ignore[arg-type]


def test_units_are_kept_in_deterministic_order() -> None:
    st_ = status(units={"mem": cid.Capacity(1, 2), "acc": cid.Capacity(1, 2)})
    assert list(st_.units) == ["acc", "mem"]
    assert hash(st_) == hash(status(units={"acc": cid.Capacity(1, 2), "mem": cid.Capacity(1, 2)}))


def test_unit_types() -> None:
    assert unit_type("mem", SUB) == "size"
    assert unit_type("net-bw", SUB) == "rate"
    assert unit_type("slots", "ucid:a/aa/a/slots=3") == "count"
    assert unit_type("clk", "ucid:a/aa/a/clk=2GHz") == "frequency"
    with pytest.raises(cid.EncodingError):
        unit_type("tier", "ucid:a/aa/a/tier=gold")


# ------------------------------------------------------------ strict decoding

BAD_PAYLOADS: list[tuple[str, Any]] = [
    ("unknown claim", claims(c20=1)),
    ("nbf", claims(c5=IAT)),
    ("no iss", claims(c1=None)),
    ("no dver", claims(c14=None)),
    ("no accepting", claims(c15=None)),
    ("accepting null", claims(c15=None) | {15: None}),
    ("utilisation null", claims() | {17: None}),
    ("wait null", claims() | {18: None}),
    ("empty units", claims(c16={})),
    ("units null", claims() | {16: None}),
    ("units int key", claims(c16={0: [1, 2]})),
    ("units pair of 3", claims(c16={"acc": [1, 2, 3]})),
    ("units map value", claims(c16={"acc": {0: 1}})),
    ("units free > total", claims(c16={"acc": [3, 2]})),
    ("empty prices", claims(c19=[])),
    ("price not a map", claims(c19=["CNY"])),
    ("price unknown key", claims(c19=[{0: "CNY", 1: "1", 3: 1, 4: 1, 6: 0}])),
    ("price no period", claims(c19=[{0: "CNY", 1: "1", 3: 1}])),
    ("price unit null", claims(c19=[{0: "CNY", 1: "1", 2: None, 3: 1, 4: 1}])),
    ("price terms null", claims(c19=[{0: "CNY", 1: "1", 3: 1, 4: 1, 5: None}])),
    ("empty ext", claims(c11={})),
    ("empty crit", claims(c11={"x": 1}, c12=[])),
    ("crit not array", claims(c11={"x": 1}, c12="x")),
    ("600+1", claims(c4=IAT + 601)),
]


@pytest.mark.parametrize(("name", "c"), BAD_PAYLOADS, ids=[v[0] for v in BAD_PAYLOADS])
def test_invalid_payloads_are_rejected(name: str, c: Any) -> None:
    payload = encode(c)
    with pytest.raises(cid.EncodingError):
        cid.decode_status(payload)
    with pytest.raises(cid.EncodingError):
        cid.verify_status(signed_payload(payload), KEYS, now=NOW)


def test_decoding_rejects_non_deterministic_payloads() -> None:
    good = cid.encode_status(status())
    for bad in (
        good.replace(b"\x08\x07", b"\x08\x18\x07", 1),  # a non-minimal head
        good.replace(b"\x0e\x01\x0f\xf5", b"\x0f\xf5\x0e\x01", 1),  # keys out of order
        good + b"\x00",  # trailing
    ):
        assert bad != good
        with pytest.raises(cid.ProfileError):
            cid.decode_status(bad)
        # Correctly signed, still rejected: encoding, at step 7 (§7.2).
        with pytest.raises(cid.ProfileError):
            cid.verify_status(signed_payload(bad), KEYS, now=NOW)
    floats = encode(claims(c17=999)).replace(b"\x11\x19\x03\xe7", b"\x11\xfb" + bytes(8), 1)
    with pytest.raises(cid.ProfileError, match="float"):
        cid.decode_status(floats)
    assert CLAIM_UTIL == 0x11


def test_encode_status_takes_only_statuses() -> None:
    with pytest.raises(TypeError):
        cid.encode_status(descriptor())  # type: ignore[arg-type]


# ------------------------------------------------------------ verification


def test_every_step_of_verification_fails_with_its_category() -> None:
    good = cid.sign_status(status(), ZONE)
    desc = descriptor()
    # 1: size.
    padded = status(ext={"pad": "x" * 400})
    assert len(cid.sign_status(padded, ZONE)) <= 880
    with pytest.raises(cid.OversizeError):
        cid.sign_status(status(ext={"pad": "x" * 700}), ZONE)
    oversized = signed_payload(cid.encode_status(status(ext={"pad": "x" * 700})))
    assert len(oversized) > 880
    with pytest.raises(cid.OversizeError):
        cid.verify_status(oversized, KEYS, now=NOW)
    # 2-4: envelope, header (a descriptor's typ), unprotected header.
    with pytest.raises(cid.EncodingError):
        cid.verify_status(good[1:], KEYS, now=NOW)
    with pytest.raises(cid.EncodingError, match="typ"):
        cid.verify_status(cid.sign(desc, ZONE), KEYS, now=NOW)
    with pytest.raises(cid.EncodingError, match="typ"):
        cid.verify(good, KEYS, now=NOW)
    with pytest.raises(cid.EncodingError, match="typ"):
        cid.verify_status(
            signed_payload(cid.encode_status(status()), typ=cid.TYP_DESCRIPTOR), KEYS, now=NOW
        )
    # 5: a key the zone does not trust; 6: a signature by another key than the kid's.
    with pytest.raises(cid.UnknownKeyError):
        cid.verify_status(cid.sign_status(status(), OTHER), KEYS, now=NOW)
    with pytest.raises(cid.UnknownKeyError):
        cid.verify_status(good, [OTHER.verify_key], now=NOW)
    forged = good[:-64] + OTHER.sign(b"x")
    with pytest.raises(cid.SignatureError):
        cid.verify_status(forged, KEYS, now=NOW)
    # 8: another descriptor: subject, version or issuer.
    assert cid.verify_status(good, KEYS, now=NOW, descriptor=desc) == status()
    for other in (
        descriptor(version=2),
        descriptor(subject="ucid:acme.example/cn-gd/x86-64"),
        descriptor(issuer="example"),
    ):
        with pytest.raises(cid.StatusMismatchError):
            cid.verify_status(good, KEYS, now=NOW, descriptor=other)
    # 9: an unknown critical extension.
    critical = cid.sign_status(status(ext={"x-a": 1}, crit=("x-a",)), ZONE)
    with pytest.raises(cid.CriticalExtensionError):
        cid.verify_status(critical, KEYS, now=NOW)
    assert cid.verify_status(critical, KEYS, now=NOW, extensions={"x-a"}).crit == ("x-a",)
    # 10: validity, skew before iat only.
    with pytest.raises(cid.NotYetValidError) as early:
        cid.verify_status(good, KEYS, now=IAT - cid.STATUS_SKEW - 1)
    assert early.value.valid_from == IAT - cid.STATUS_SKEW
    cid.verify_status(good, KEYS, now=IAT - cid.STATUS_SKEW)
    cid.verify_status(good, KEYS, now=EXP - 1)
    for skew in (0, 30, 60):
        with pytest.raises(cid.ExpiredError):
            cid.verify_status(good, KEYS, now=EXP, skew=skew)
    # 11: replay: older, and the same version with other claims.
    newer = status(version=8)
    with pytest.raises(cid.RollbackError):
        cid.verify_status(good, KEYS, now=NOW, seen={SUB: newer})
    with pytest.raises(cid.RollbackError):
        cid.verify_status(good, KEYS, now=NOW, seen={SUB: status(accepting=False)})
    assert cid.verify_status(good, KEYS, now=NOW, seen={SUB: status()}) == status()
    assert cid.verify_status(good, KEYS, now=NOW, seen={"ucid:a/aa/a": newer}) == status()


def test_agent_keys_sign_for_the_zone() -> None:
    data = cid.sign_status(status(), AGENT)
    assert cid.verify_status(data, KEYS, now=NOW, descriptor=descriptor()) == status()
    assert cid.verify_status(data, {AGENT.kid: AGENT.verify_key}, now=NOW) == status()


def test_steps_are_taken_in_order() -> None:
    bad_claims = encode(claims(c17=5000))
    # The payload is not read before the signature verifies (§7.2 step 6 before 7).
    with pytest.raises(cid.SignatureError):
        cid.verify_status(signed_payload(bad_claims)[:-64] + OTHER.sign(b"x"), KEYS, now=NOW)
    with pytest.raises(cid.UnknownKeyError):
        cid.verify_status(signed_payload(bad_claims, OTHER), KEYS, now=NOW)
    critical = cid.sign_status(status(ext={"x-a": 1}, crit=("x-a",)), ZONE)
    # 8 before 9 before 10.
    with pytest.raises(cid.StatusMismatchError):
        cid.verify_status(critical, KEYS, now=EXP, descriptor=descriptor(version=3))
    with pytest.raises(cid.CriticalExtensionError):
        cid.verify_status(critical, KEYS, now=EXP)
    # 10 before 11.
    with pytest.raises(cid.ExpiredError):
        cid.verify_status(
            critical, KEYS, now=EXP, extensions=["x-a"], seen={SUB: status(version=9)}
        )


def test_caller_faults_are_not_record_faults() -> None:
    good = cid.sign_status(status(), ZONE)
    with pytest.raises(ValueError, match="skew"):
        cid.verify_status(good, KEYS, now=NOW, skew=61)
    with pytest.raises(ValueError, match="skew"):
        cid.verify_status(good, KEYS, now=NOW, skew=-1)
    with pytest.raises(TypeError):
        cid.verify_status(good, KEYS, now=float(NOW))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cid.verify_status(good, KEYS, now=NOW, extensions="x-a")


# ------------------------------------------------------------ JSON


def test_json_form() -> None:
    st_ = status(
        units={"acc": cid.Capacity(24, 64)},
        utilisation=625,
        queue_wait=90,
        prices=(price(unit="acc", terms="https://acme.example/terms"),),
    )
    out = cid.status_json(st_)
    assert out["units"] == {"acc": {"free": 24, "total": 64}}
    assert out["prices"] == [
        {
            "currency": "CNY",
            "amount": "12.5",
            "unit": "acc",
            "quantity": 1,
            "period": 3600,
            "terms": "https://acme.example/terms",
        }
    ]
    assert "ext" not in out and "crit" not in out
    assert cid.status_json(status()).keys() == {
        "issuer",
        "subject",
        "version",
        "descriptor_version",
        "issued_at",
        "expires",
        "accepting",
    }
    assert cid.status_from_json(out) == st_
    # null is absent; any spelling of the subject is read to its canonical form.
    spelled = dict(out, utilisation=None, subject=SUB.replace("549755813888B", "512GiB"))
    assert cid.status_from_json(spelled) == dataclasses.replace(st_, utilisation=None)


@pytest.mark.parametrize(
    "change",
    [
        {"colour": "red"},
        {"version": 1.0},
        {"issuer": None},
        {"subject": "acme"},
        {"subject": 5},
        {"units": []},
        {"units": {"acc": {"free": 1}}},
        {"units": {"acc": {"free": 1, "total": 2, "used": 1}}},
        {"prices": {}},
        {"prices": [{"currency": "CNY", "amount": 12.5, "quantity": 1, "period": 1}]},
        {"prices": [{"currency": "CNY", "amount": "1", "quantity": 1, "period": 1, "x": 1}]},
        {"crit": "x"},
        {"ext": []},
        {"ext": {"x": 0.5}},
    ],
)
def test_json_input_faults(change: dict[str, Any]) -> None:
    with pytest.raises(cid.EncodingError):
        cid.status_from_json(cid.status_json(status()) | change)


# ------------------------------------------------------------ the spec


def test_spec_example_matches() -> None:
    text = SPEC.read_text(encoding="utf-8")
    block = re.search(r"<!-- example-status -->\n```\n(.*?)```", text, re.S)
    assert block
    expected = bytes.fromhex("".join(block.group(1).split()))
    key = cid.SigningKey.from_seed(
        bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    example = status(
        version=42,
        units={"acc": cid.Capacity(24, 64)},
        utilisation=625,
        queue_wait=90,
        prices=(price(unit="acc", terms="https://acme.example/terms"),),
    )
    assert cid.sign_status(example, key) == expected
    assert len(expected) == 313
    assert cid.verify_status(expected, [key.verify_key], now=IAT - 30) == example
    shown = re.search(r"<!-- example-status-json -->\n```json\n(.*?)```", text, re.S)
    assert shown
    assert json.loads(shown.group(1)) == cid.status_json(example)


def _spec_ids() -> list[str]:
    return re.findall(r"\[(ST-[0-9.]+-[0-9]+)\]", SPEC.read_text(encoding="utf-8"))


def test_spec_ids_are_unique_and_in_order() -> None:
    ids = _spec_ids()
    assert len(ids) == len(set(ids))
    last: dict[str, int] = {}
    for ident in ids:
        section, n = ident[3:].rsplit("-", 1)
        assert int(n) == last.get(section, 0) + 1, ident
        last[section] = int(n)


def test_cddl_states_the_decimal_of_the_prose() -> None:
    cddl = SPEC.with_name("status.cddl").read_text(encoding="utf-8")
    rule = re.search(r'^decimal = tstr \.regexp "(.*)"$', cddl, re.M)
    assert rule
    assert f"`{rule.group(1)}`" in SPEC.read_text(encoding="utf-8")


def test_layout_names_the_record_type() -> None:
    assert int(cid.layout.TYPE_STATUS) == 65282


# ------------------------------------------------------------ properties


@given(statuses())
def test_sign_then_verify_gives_the_status_back(value: cid.Status) -> None:
    data = cid.sign_status(value, AGENT)
    back = cid.verify_status(data, KEYS, now=value.issued_at, extensions=list(value.ext))
    assert back == value
    assert cid.encode_status(back) == cid.encode_status(value)
    assert cid.status_from_json(json.loads(json.dumps(cid.status_json(value)))) == value


def _only_cid_errors(data: bytes) -> None:
    with contextlib.suppress(cid.CidError):
        cid.verify_status(data, KEYS, now=NOW)
    with contextlib.suppress(cid.CidError):
        cid.decode_status(data)


@given(st.binary(max_size=1000))
def test_random_bytes_raise_only_cid_errors(data: bytes) -> None:
    _only_cid_errors(data)
    _only_cid_errors(b"\xd2" + data)


@given(st.data())
def test_mutated_records_raise_only_cid_errors(data: st.DataObject) -> None:
    good = bytearray(cid.sign_status(status(units={"acc": cid.Capacity(1, 8)}), ZONE))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(good) - 1))
        good[at] = data.draw(st.integers(0, 255))
    _only_cid_errors(bytes(good))


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(1 << 64), (1 << 64) - 1)
        | st.text(max_size=5)
        | st.binary(max_size=5),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.integers(0, 23), children, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_random_claims_signed_correctly_raise_only_cid_errors(value: Any) -> None:
    payload = cbor2.dumps(value, canonical=True)
    _only_cid_errors(signed_payload(payload))
