"""The JSON input of descriptors (spec/descriptor.md §13, spec/descriptor-input.schema.json).

The schema is valid JSON Schema; every example validates and is accepted;
whatever the schema rejects, descriptor_from_json rejects too; what it accepts
is accepted unless it breaks a rule of §13.5, which the schema cannot state.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from examples import descriptor_spec as cli_spec

from cid._descriptor import Descriptor, Endpoint, encode_payload
from cid._descriptor_json import descriptor_from_json, descriptor_json, loads
from cid._errors import CidError, EncodingError
from cid._keys import SigningKey
from cid._signed import sign
from cid._specfiles import spec_path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "spec" / "descriptor-input.schema.json"
SPEC = ROOT / "spec" / "descriptor.md"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
NOW = 1767225600
VALID_FOR = 86400
KEY = SigningKey(bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))


def _spec_example() -> dict[str, Any]:
    block = re.search(
        r"<!-- example-descriptor-input -->\n```json\n(.*?)```", SPEC.read_text(), re.S
    )
    assert block is not None
    value: dict[str, Any] = loads(block.group(1))
    return value


def _readme_examples() -> list[dict[str, Any]]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- descriptor-input -->\n```json\n(.*?)```", text, re.S)
    assert blocks
    return [loads(b) for b in blocks]


BASE: dict[str, Any] = {
    "issuer": "acme.example",
    "subject": "ucid:acme.example/cn-gd/x86-64",
    "version": 1,
    "endpoints": [{"transport": "tcp", "protocol": "https", "host": "a.example", "port": 443}],
}


def with_(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(BASE)
    for name, value in changes.items():
        if value is _ABSENT:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def ep(**changes: Any) -> dict[str, Any]:
    out = dict(BASE["endpoints"][0])
    for name, value in changes.items():
        if value is _ABSENT:
            out.pop(name, None)
        else:
            out[name] = value
    return with_(endpoints=[out])


_ABSENT = object()


def _valid(instance: Any) -> bool:
    return VALIDATOR.is_valid(instance)


# ------------------------------------------------------------------ the schema


def test_schema_is_valid_json_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert jsonschema.validators.validator_for(SCHEMA) is jsonschema.Draft202012Validator


def test_schema_is_installed_with_the_package() -> None:
    assert spec_path("descriptor-input.schema.json").read_bytes() == SCHEMA_PATH.read_bytes()


def test_schema_zone_pattern_is_the_cddl_one() -> None:
    """§6.3.1: one regular expression in the CDDL, the prose and the schema."""
    cddl = SPEC.with_name("descriptor.cddl").read_text()
    match = re.search(r'^zone-labels = tstr \.regexp "(.*)"', cddl, re.M)
    assert match is not None
    zone = SCHEMA["$defs"]["zone-name"]
    # XSD (the CDDL) escapes "-" in a class; the schema (ECMA-262) writes it last.
    assert zone["pattern"] == "^" + match.group(1).replace("\\-", "-") + "$"
    assert (zone["minLength"], zone["maxLength"]) == (1, 253)


# ---------------------------------------------------------------- examples


def _examples() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("spec §13.6", _spec_example()),
        *((f"README {i}", e) for i, e in enumerate(_readme_examples())),
        ("tests/helpers/examples.py descriptor_spec()", cli_spec()),
        ("minimal", BASE),
    ]


@pytest.mark.parametrize(("name", "example"), _examples(), ids=[n for n, _ in _examples()])
def test_examples_validate_and_are_accepted(name: str, example: dict[str, Any]) -> None:
    VALIDATOR.validate(example)
    assert isinstance(descriptor_from_json(example, NOW, VALID_FOR), Descriptor)


def test_spec_example_gives_appendix_a() -> None:
    """§13.6: the example input, signed at the given now, is Appendix A's record."""
    rec = descriptor_from_json(_spec_example(), NOW, VALID_FOR)
    block = re.search(r"<!-- example-descriptor -->\n```\n([0-9a-f\n]+)```", SPEC.read_text())
    assert block is not None
    assert sign(rec, KEY) == bytes.fromhex(block.group(1).replace("\n", ""))


def test_json_output_is_valid_input() -> None:
    """What --json shows of a descriptor (without byte strings) reads back to the same one."""
    rec = descriptor_from_json(
        with_(ext={"a": [1, {"b": None}]}, crit=["a"], capabilities=["x-f"]), NOW, VALID_FOR
    )
    shown = json.loads(json.dumps(descriptor_json(rec)))
    VALIDATOR.validate(shown)
    assert encode_payload(descriptor_from_json(shown, 0, 1)) == encode_payload(rec)


# ------------------------------------------------ defaults and the mapping


def test_defaults() -> None:
    rec = descriptor_from_json(
        with_(subject="ucid:Acme.example/CN-GD/x86-64/mem=1KiB;acc=8"), NOW, VALID_FOR
    )
    assert rec.subject == "ucid:acme.example/cn-gd/x86-64/acc=8;mem=1024B"
    assert (rec.issued_at, rec.not_before, rec.expires) == (NOW, NOW, NOW + VALID_FOR)
    assert rec.capabilities == ("acc=8", "mem=1024B")
    assert rec.endpoints == (Endpoint("tcp", "https", "a.example", 443, 1, 0),)
    assert not rec.ext and not rec.crit


def test_null_is_absent() -> None:
    """§13.1.5: an OPTIONAL member that is null is absent."""
    nulls = with_(
        issued_at=None, not_before=None, expires=None, capabilities=None, ext=None, crit=None
    )
    nulls["endpoints"][0].update(priority=None, weight=None, alpn=None, region=None)
    assert _valid(nulls)
    assert descriptor_from_json(nulls, NOW, VALID_FOR) == descriptor_from_json(BASE, NOW, VALID_FOR)


def test_times_chain_their_defaults() -> None:
    rec = descriptor_from_json(with_(issued_at=NOW + 5), NOW, VALID_FOR)
    assert (rec.issued_at, rec.not_before, rec.expires) == (NOW + 5, NOW + 5, NOW + 5 + VALID_FOR)
    rec = descriptor_from_json(with_(not_before=NOW + 9), NOW, VALID_FOR)
    assert (rec.issued_at, rec.not_before, rec.expires) == (NOW, NOW + 9, NOW + 9 + VALID_FOR)


def test_empty_optional_arrays_and_objects_omit_their_claims() -> None:
    rec = descriptor_from_json(
        with_(subject="ucid:acme.example/cn-gd/x86-64/acc=8", capabilities=[], ext={}, crit=[]),
        NOW,
        VALID_FOR,
    )
    assert rec.capabilities == () and not rec.ext and rec.crit == ()
    assert descriptor_from_json(ep(alpn=[]), NOW, VALID_FOR).endpoints[0].alpn == ()


# ------------------------------------------------------------------- tables
# Inputs the schema accepts, which descriptor_from_json must accept too.
VALID: list[tuple[str, dict[str, Any]]] = [
    ("minimal", BASE),
    (
        "all members",
        with_(
            issued_at=NOW,
            not_before=NOW - 60,
            expires=NOW + 3600,
            capabilities=["sriov"],
            ext={"k" * 64: {"n": [-(2**64), 2**64 - 1, True, None, "t"]}},
            crit=["k" * 64],
        ),
    ),
    ("version 0", with_(version=0)),
    ("version 2^64-1", with_(version=2**64 - 1)),
    ("region issuer", with_(issuer="_cn-sh.ctyun.east.ucid.example")),
    (
        "16 endpoints",
        with_(
            endpoints=[
                {"transport": "udp", "protocol": "dns", "host": "a.example", "port": p}
                for p in range(1, 17)
            ]
        ),
    ),
    (
        "endpoint all members",
        ep(transport="quic", alpn=["h3", "h3-29"], priority=65535, weight=65535, region="cn-gd"),
    ),
    ("ipv4 host", ep(host="192.0.2.10")),
    ("ipv6 host", ep(host="2001:db8::1")),
    ("ext 6 deep", with_(ext={"a": [[[[[[0]]]]]]})),
    ("ext object value", with_(ext={"a": {"b": {"c": "d"}}})),
    ("16 capabilities", with_(capabilities=[f"x-f{i:02}" for i in range(16)])),
    ("alpn 8", ep(alpn=[f"p{i}" for i in range(8)])),
    ("protocol 32", ep(protocol="a" * 32)),
    ("zone 253", with_(issuer=".".join(["a" * 63] * 3 + ["a" * 61]))),
]

# Inputs the schema rejects, which descriptor_from_json must reject too.
INVALID: list[tuple[str, Any]] = [
    ("not an object", [BASE]),
    ("string", "acme"),
    ("null", None),
    ("unknown member", with_(colour="blue")),
    ("no issuer", with_(issuer=_ABSENT)),
    ("no subject", with_(subject=_ABSENT)),
    ("no version", with_(version=_ABSENT)),
    ("no endpoints", with_(endpoints=_ABSENT)),
    ("issuer null", with_(issuer=None)),
    ("version null", with_(version=None)),
    ("endpoints null", with_(endpoints=None)),
    ("issuer upper", with_(issuer="Acme.example")),
    ("issuer underscore inside", with_(issuer="a_b.example")),
    ("issuer trailing dot", with_(issuer="acme.example.")),
    ("issuer 254", with_(issuer=".".join(["a" * 63] * 3 + ["a" * 62]))),
    ("issuer number", with_(issuer=1)),
    ("subject number", with_(subject=5)),
    ("subject array", with_(subject=["ucid:acme.example/cn-gd/x86-64"])),
    ("subject empty", with_(subject="")),
    ("version negative", with_(version=-1)),
    ("version 2^64", with_(version=2**64)),
    ("version string", with_(version="1")),
    ("version bool", with_(version=True)),
    ("version fraction", with_(version=1.5)),
    ("time string", with_(issued_at="2026-01-01T00:00:00Z")),
    ("time negative", with_(not_before=-1)),
    ("time bool", with_(expires=True)),
    ("time fraction", with_(expires=NOW + 0.5)),
    ("endpoints empty", with_(endpoints=[])),
    ("endpoints object", with_(endpoints={"transport": "tcp"})),
    ("endpoints number", with_(endpoints=1)),
    ("endpoints string", with_(endpoints="tcp")),
    (
        "17 endpoints",
        with_(
            endpoints=[
                {"transport": "udp", "protocol": "dns", "host": "a.example", "port": p}
                for p in range(1, 18)
            ]
        ),
    ),
    ("endpoint not an object", with_(endpoints=["tcp"])),
    ("endpoint unknown member", ep(colour="blue")),
    ("endpoint no transport", ep(transport=_ABSENT)),
    ("endpoint no port", ep(port=_ABSENT)),
    ("endpoint transport null", ep(transport=None)),
    ("endpoint transport sctp", ep(transport="sctp")),
    ("endpoint protocol upper", ep(protocol="HTTPS")),
    ("endpoint protocol 33", ep(protocol="a" * 33)),
    ("endpoint host upper", ep(host="A.example")),
    ("endpoint host underscore", ep(host="a_b.example")),
    ("endpoint host bracketed", ep(host="[2001:db8::1]")),
    ("endpoint host number", ep(host=1)),
    ("endpoint host ipv6 upper", ep(host="2001:DB8::1")),
    ("endpoint port 0", ep(port=0)),
    ("endpoint port 65536", ep(port=65536)),
    ("endpoint port string", ep(port="443")),
    ("endpoint priority 0", ep(priority=0)),
    ("endpoint weight -1", ep(weight=-1)),
    ("endpoint alpn string", ep(alpn="h2")),
    ("endpoint alpn number", ep(alpn=2)),
    ("endpoint alpn object", ep(alpn={"h2": 1})),
    ("endpoint alpn 9", ep(alpn=[f"p{i}" for i in range(9)])),
    ("endpoint alpn duplicate", ep(alpn=["h2", "h2"])),
    ("endpoint alpn space", ep(alpn=["h 2"])),
    ("endpoint alpn empty text", ep(alpn=[""])),
    ("endpoint region upper", ep(region="CN-GD")),
    ("endpoint region number", ep(region=7)),
    ("capabilities string", with_(capabilities="acc=8")),
    ("capabilities number", with_(capabilities=8)),
    ("capabilities object", with_(capabilities={"acc": 8})),
    ("capabilities empty text", with_(capabilities=[""])),
    ("capabilities 17", with_(capabilities=[f"x-f{i:02}" for i in range(17)])),
    ("ext array", with_(ext=[["a", 1]])),
    ("ext string", with_(ext="a")),
    ("ext zero", with_(ext=0)),
    ("ext false", with_(ext=False)),
    ("ext empty name", with_(ext={"": 1})),
    ("ext name 65", with_(ext={"k" * 65: 1})),
    ("ext 17", with_(ext={f"k{i}": i for i in range(17)})),
    ("ext fraction", with_(ext={"a": 1.5})),
    ("ext 7 deep", with_(ext={"a": [[[[[[[0]]]]]]]})),
    ("ext integer too big", with_(ext={"a": 2**64})),
    ("ext integer too small", with_(ext={"a": -(2**64) - 1})),
    ("crit string", with_(ext={"a": 1}, crit="a")),
    ("crit zero", with_(crit=0)),
    ("crit duplicate", with_(ext={"a": 1}, crit=["a", "a"])),
    ("crit number", with_(ext={"a": 1}, crit=[1])),
]

# Inputs the schema accepts but a rule of §13.5 rejects.
BEYOND: list[tuple[str, dict[str, Any]]] = [
    ("subject not a UCID", with_(subject="ucid:acme")),
    ("capabilities not canonical", with_(capabilities=["mem=1KiB"])),
    ("capabilities unsorted", with_(capabilities=["x-b", "x-a"])),
    (
        "capabilities omit the subject's",
        with_(subject="ucid:acme.example/cn-gd/x86-64/acc=8", capabilities=["sriov"]),
    ),
    ("host numeric top label", ep(host="1.2.3")),
    ("host ipv4 leading zero", ep(host="192.0.2.010")),
    ("host ipv6 not shortest", ep(host="2001:db8:0:0:0:0:0:1")),
    ("duplicate endpoint", with_(endpoints=BASE["endpoints"] * 2)),
    ("nbf equals exp", with_(not_before=NOW, expires=NOW)),
    ("iat after exp", with_(issued_at=NOW + 10, not_before=NOW, expires=NOW + 5)),
    ("window over 31 days", with_(not_before=NOW, expires=NOW + 31 * 86400 + 1)),
    ("crit not in ext", with_(crit=["a"])),
    ("ext name 64 characters, 65 bytes", with_(ext={"é" + "k" * 63: 1})),
    ("ext text not NFC", with_(ext={"a": "e\u0301"})),
    ("version 1.0", with_(version=1.0)),
    ("time 1.0", with_(expires=float(NOW + 60))),
    ("ext integer 1.0", with_(ext={"a": 1.0})),
]


@pytest.mark.parametrize(("name", "value"), VALID, ids=[n for n, _ in VALID])
def test_valid(name: str, value: dict[str, Any]) -> None:
    VALIDATOR.validate(value)
    rec = descriptor_from_json(value, NOW, VALID_FOR)
    assert len(sign(rec, KEY)) <= 880


@pytest.mark.parametrize(("name", "value"), INVALID, ids=[n for n, _ in INVALID])
def test_invalid(name: str, value: Any) -> None:
    assert not _valid(value)
    with pytest.raises(CidError):
        descriptor_from_json(value, NOW, VALID_FOR)


@pytest.mark.parametrize(("name", "value"), BEYOND, ids=[n for n, _ in BEYOND])
def test_beyond_the_schema(name: str, value: dict[str, Any]) -> None:
    assert _valid(value)
    with pytest.raises(CidError):
        descriptor_from_json(value, NOW, VALID_FOR)


def test_table_ids_are_unique() -> None:
    for table in (VALID, INVALID, BEYOND):
        names = [n for n, _ in table]
        assert len(names) == len(set(names))


# ------------------------------------------------------------------ loads


@pytest.mark.parametrize(
    "text",
    [
        '{"version": 1, "version": 2}',
        '{"endpoints": [{"port": 1, "port": 2}]}',
        '{"ext": {"a": NaN}}',
        '{"ext": {"a": Infinity}}',
        '{"ext": {"a": -Infinity}}',
        "{not json",
        "",
    ],
)
def test_loads_rejects(text: str) -> None:
    """§13.1.2: no member name twice in one object, no NaN or Infinity."""
    with pytest.raises(EncodingError):
        loads(text)


def test_loads_reads_json() -> None:
    assert loads('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
