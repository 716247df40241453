"""The descriptor vectors (conformance/vectors/descriptor-*.json): well-formed, traced to
spec/descriptor.md's requirement ids, and what the reference library gives.

Each operation of conformance/ADAPTER.md §4.6-§4.9 is mirrored here by a small
function over the library (the reference adapter, written apart, does the same
over the same API), and every case is run through it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import cid
from cid import _cbor, _cose  # no public CBOR decoder or Ed25519 primitive (tests may reach in)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "conformance" / "vectors"
SPEC = ROOT / "spec" / "descriptor.md"
AREAS = (
    "descriptor-cbor",
    "descriptor-ed25519",
    "descriptor-cose",
    "descriptor",
    "descriptor-delegation",
    "descriptor-chain",
)
MAX_DEPTH = 16  # spec/resolution.md §15 max_depth: zones below the anchor's on a chain


class Rejected(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code


_CODES: tuple[tuple[type[cid.CidError], str], ...] = (
    (cid.OversizeError, "OVERSIZE"),
    (cid.EncodingError, "ENCODING"),
    (cid.UnknownKeyError, "UNKNOWN_KEY"),
    (cid.SignatureError, "SIGNATURE"),
    (cid.CriticalExtensionError, "CRITICAL_EXTENSION"),
    (cid.NotYetValidError, "NOT_YET_VALID"),
    (cid.ExpiredError, "EXPIRED"),
    (cid.RollbackError, "ROLLBACK"),
    (cid.DescriptorError, "DESCRIPTOR"),
    (cid.IdentifierError, "ENCODING"),  # spec/descriptor.md §11.2: a producer's refusals
)


def _code(exc: cid.CidError) -> str:
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return code
    raise exc


def _rejects(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return fn()
    except cid.CidError as exc:
        raise Rejected(_code(exc), str(exc)) from exc


def _keys(hexes: list[str]) -> list[cid.VerifyKey]:
    return [cid.VerifyKey.from_bytes(bytes.fromhex(h)) for h in hexes]


def _desc_out(rec: cid.Descriptor) -> dict[str, Any]:
    """ADAPTER.md §4.8: the record in the JSON of §13, every member it holds and no other."""
    full = cid.descriptor_json(rec)
    for name in ("capabilities", "ext", "crit"):
        if not full[name]:
            del full[name]
    return full


def _deleg_out(rec: cid.Delegation) -> dict[str, Any]:
    return {
        "parent": rec.parent,
        "child": rec.child,
        "keys": [k.raw.hex() for k in rec.keys],
        "version": rec.version,
        "issued_at": rec.issued_at,
        "not_before": rec.not_before,
        "expires": rec.expires,
    }


# ---------------------------------------------------------------- the operations


def op_decode_cbor(inp: dict[str, Any]) -> dict[str, Any]:
    data = bytes.fromhex(inp["data"])
    return _rejects(lambda: (_cbor.decode(data, max_size=len(data)), {})[1])


def op_verify_signature(inp: dict[str, Any]) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        _cose.verify_signature(
            bytes.fromhex(inp["public_key"]),
            bytes.fromhex(inp["message"]),
            bytes.fromhex(inp["signature"]),
        )
        return {}

    return _rejects(run)


def op_encode_descriptor(inp: dict[str, Any]) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        spec = cid._descriptor_json.loads(json.dumps(inp["descriptor"]))
        # §13.2.1: issued_at defaults to the producer's time; the vectors always give it
        # (or expect a rejection before it matters), so `now` here never shows.
        rec = cid.descriptor_from_json(spec, now=0, valid_for=86400)
        key = cid.SigningKey.from_seed(bytes.fromhex(inp["seed"]))
        signed = cid.sign(rec, key)
        return {
            "payload": cid.encode_payload(rec).hex(),
            "signed": signed.hex(),
            "kid": key.kid.hex(),
        }

    return _rejects(run)


def _verify_kw(inp: dict[str, Any]) -> dict[str, Any]:
    kw: dict[str, Any] = {"now": inp["now"]}
    if "skew" in inp:
        kw["skew"] = inp["skew"]
    if "issuer" in inp:
        kw["issuer"] = inp["issuer"]
    return kw


def _when_valid(signed: bytes, kw: dict[str, Any]) -> dict[str, Any]:
    """``kw`` with ``now`` at the start of the record's validity (ADAPTER.md §4.8 seen)."""
    rec = cid.decode_unverified(signed)[1]
    return {**kw, "now": max(rec.not_before, rec.issued_at)}


def op_verify_descriptor(inp: dict[str, Any]) -> dict[str, Any]:
    keys = _keys(inp["keys"])
    kw = _verify_kw(inp)
    extensions = inp.get("extensions", [])
    seen: dict[str, cid.Descriptor] = {}
    for old in map(bytes.fromhex, inp.get("seen", [])):
        # Accepted before, oldest first, each when it was valid: keep the last per subject.
        rec = cid.verify(
            old, keys, seen_versions=seen, extensions=extensions, **_when_valid(old, kw)
        )
        seen[rec.subject] = rec

    def run() -> dict[str, Any]:
        signed = bytes.fromhex(inp["signed"])
        rec = cid.verify(signed, keys, seen_versions=seen, extensions=extensions, **kw)
        return {"descriptor": _desc_out(rec), "kid": cid.decode_unverified(signed)[0][4].hex()}

    return _rejects(run)


def op_verify_delegation(inp: dict[str, Any]) -> dict[str, Any]:
    keys = _keys(inp["keys"])
    kw = _verify_kw(inp)
    seen: dict[str, cid.Delegation] = {}
    for old in map(bytes.fromhex, inp.get("seen", [])):
        rec = cid.verify_delegation(old, keys, seen_versions=seen, **_when_valid(old, kw))
        seen[rec.child] = rec
    return _rejects(
        lambda: _deleg_out(
            cid.verify_delegation(bytes.fromhex(inp["signed"]), keys, seen_versions=seen, **kw)
        )
    )


def op_verify_rotation(inp: dict[str, Any]) -> dict[str, Any]:
    kw = _verify_kw(inp)
    kw.pop("issuer", None)
    return _rejects(
        lambda: _deleg_out(
            cid.verify_rotation(
                bytes.fromhex(inp["by_old"]), bytes.fromhex(inp["by_new"]), _keys(inp["keys"]), **kw
            )
        )
    )


_CHAIN_CODES = {"NOT_YET_VALID": "EXPIRED", "EXPIRED": "EXPIRED", "ROLLBACK": "ROLLBACK"}


def op_verify_chain(inp: dict[str, Any]) -> dict[str, Any]:
    """ADAPTER.md §4.9, spec/resolution.md §12.5-§12.5.1 and spec/descriptor.md §9.3."""
    try:
        ident = cid.parse(inp["identifier"])
    except cid.IdentifierError as exc:
        raise Rejected("INVALID_IDENTIFIER") from exc
    zone: str = inp["anchor"]["zone"]
    keys = _keys(inp["anchor"]["keys"])
    now = inp["now"]
    chain = [zone]
    try:
        for depth, raw in enumerate(inp["delegations"], start=1):
            if depth > MAX_DEPTH:
                raise Rejected("LIMIT_EXCEEDED")
            rec = cid.verify_delegation(bytes.fromhex(raw), keys, now=now, issuer=zone)
            zone, keys = rec.child, list(rec.keys)
            chain.append(zone)
        desc = cid.verify(bytes.fromhex(inp["descriptor"]), keys, now=now, issuer=zone)
    except cid.DescriptorError as exc:
        raise Rejected(_CHAIN_CODES.get(_code(exc), "BOGUS"), str(exc)) from exc
    name = ident.to_dns_name(inp["root"]).rstrip(".")
    if not (name == zone or name.endswith("." + zone)):
        raise Rejected("BOGUS", f"{name} is not at or below the issuer {zone}")
    if desc.subject != str(ident):
        raise Rejected("BOGUS", f"sub {desc.subject} is not the identifier asked")
    return {"descriptor": _desc_out(desc), "chain": chain}


OPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "decode_cbor": op_decode_cbor,
    "verify_signature": op_verify_signature,
    "encode_descriptor": op_encode_descriptor,
    "verify_descriptor": op_verify_descriptor,
    "verify_delegation": op_verify_delegation,
    "verify_rotation": op_verify_rotation,
    "verify_chain": op_verify_chain,
}


def run_case(case: dict[str, Any]) -> tuple[str, Any]:
    """("ok", result) or ("error", code), as an adapter would reply."""
    try:
        return "ok", OPS[case["operation"]](case["input"])
    except Rejected as exc:
        return "error", exc.code


def _subset(expected: Any, got: Any) -> bool:
    """The runner's comparison: every member of ``expected`` is in ``got`` with that value."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(
            k in got and _subset(v, got[k]) for k, v in expected.items()
        )
    return bool(expected == got)


# ---------------------------------------------------------------- the tests


def _load(area: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / f"{area}.json").read_text())
    return data


def _cases() -> list[dict[str, Any]]:
    return [c for area in AREAS for c in _load(area)["cases"]]


def _spec_ids() -> list[str]:
    return re.findall(r"\[(DS-[0-9.]+-[0-9]+)\]", SPEC.read_text())


@pytest.mark.parametrize("area", AREAS)
def test_schema(area: str) -> None:
    schema = json.loads((ROOT / "conformance" / "schema" / "vectors.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(_load(area))


def test_spec_ids_unique() -> None:
    ids = _spec_ids()
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_spec_ids_numbered_in_order() -> None:
    """§1.5: n counts from 1 within its section, in order of appearance (none removed yet)."""
    last: dict[str, int] = {}
    for ident in _spec_ids():
        section, n = ident[3:].rsplit("-", 1)
        assert int(n) == last.get(section, 0) + 1, ident
        last[section] = int(n)


def test_requirements_exist() -> None:
    known = set(_spec_ids())
    for case in _cases():
        for req in case["requirements"]:
            if req.startswith("DS-"):
                assert req in known, (case["id"], req)


def test_every_requirement_covered_or_untestable() -> None:
    untestable = json.loads((ROOT / "conformance" / "untestable.json").read_text())
    covered = {r for c in _cases() if c["status"] == "active" for r in c["requirements"]}
    ds = set(_spec_ids())
    missing = sorted(ds - covered - set(untestable))
    assert not missing, missing
    both = sorted(ds & covered & set(untestable))
    assert not both, f"covered and listed untestable: {both}"
    assert all(untestable[i] for i in ds & set(untestable))


def test_flags_documented() -> None:
    flags = json.loads((ROOT / "conformance" / "flags.json").read_text())
    for case in _cases():
        for flag in case["flags"]:
            assert flag in flags, (case["id"], flag)


def test_every_code_reached() -> None:
    codes = {
        e for c in _cases() if c["expected"]["result"] == "invalid" for e in c["expected"]["errors"]
    }
    assert codes >= {
        "OVERSIZE",
        "ENCODING",
        "UNKNOWN_KEY",
        "SIGNATURE",
        "CRITICAL_EXTENSION",
        "NOT_YET_VALID",
        "EXPIRED",
        "ROLLBACK",
        "DESCRIPTOR",
    }


def test_enough_cases() -> None:
    assert sum(c["status"] == "active" for c in _cases()) >= 300


@pytest.mark.parametrize("area", AREAS)
def test_reference_gives_expected(area: str) -> None:
    failures = []
    for case in _load(area)["cases"]:
        if case["status"] != "active":
            continue
        status, got = run_case(case)
        exp = case["expected"]
        if exp["result"] == "acceptable":
            continue
        if exp["result"] == "valid":
            ok = status == "ok" and _subset(exp["output"], got)
        else:
            ok = status == "error" and got in exp["errors"]
        if not ok:
            failures.append(f"{case['id']} {case['comment']}: expected {exp}, got {status} {got}")
    assert not failures, "\n".join(failures)
