"""The reference adapter: this project's library behind the adapter protocol
(conformance/ADAPTER.md), using only its public API.

Run it as ``python -m conformance.adapters.reference``; ``cid-conformance run``
uses it when no ``--adapter`` is given. It is also the model for an adapter in
any language: read a line, dispatch on ``op``, answer one line, flush.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

import cid
import resolver
from resolver import Outcome, ResolutionError

__all__ = ["OPERATIONS", "handle", "main"]

PROTOCOL = "1.0"


class BadRequest(Exception):
    """The request does not have the members its operation needs (BAD_REQUEST)."""


# -------------------------------------------------------------------- inputs


def _text(inp: Mapping[str, Any], name: str) -> str:
    value = inp.get(name)
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value


def _int(inp: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = inp.get(name, default)
    if type(value) is not int:
        raise BadRequest(f"{name} must be an integer")
    return value


def _hex(inp: Mapping[str, Any], name: str) -> bytes:
    try:
        return bytes.fromhex(_text(inp, name))
    except ValueError:
        raise BadRequest(f"{name} must be hexadecimal") from None


def _keys(inp: Mapping[str, Any], name: str = "keys") -> list[cid.VerifyKey]:
    raw = inp.get(name)
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise BadRequest(f"{name} must be an array of hex strings")
    keys = []
    for text in raw:
        try:
            keys.append(cid.VerifyKey(bytes.fromhex(text)))
        except ValueError:
            raise BadRequest(f"{name}: {text!r} is not hexadecimal") from None
    return keys


# ------------------------------------------------------------------- outputs


def _descriptor(desc: cid.Descriptor) -> dict[str, Any]:
    """The record in the JSON of spec/descriptor.md §13: the members it holds, no other."""
    out = cid.descriptor_json(desc)
    for name in ("capabilities", "ext", "crit"):
        if not out[name]:
            del out[name]
    return out


def _delegation(record: cid.Delegation) -> dict[str, Any]:
    return {
        "parent": record.parent,
        "child": record.child,
        "keys": [bytes(k).hex() for k in record.keys],
        "version": record.version,
        "issued_at": record.issued_at,
        "not_before": record.not_before,
        "expires": record.expires,
    }


# ---------------------------------------------------------------- identifier


def op_parse(inp: Mapping[str, Any]) -> dict[str, Any]:
    ident = cid.parse(_text(inp, "text"))
    return {
        "canonical": str(ident),
        "provider": ident.provider,
        "region": ident.region,
        "cpu": ident.cpu,
        "accelerators": list(ident.accelerators),
        "capabilities": [str(c) for c in ident.capabilities],
    }


def op_canonicalize(inp: Mapping[str, Any]) -> dict[str, Any]:
    return {"canonical": str(cid.parse(_text(inp, "text")))}


def op_to_dns_name(inp: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": cid.parse(_text(inp, "text")).to_dns_name(_text(inp, "root"))}


def op_from_dns_name(inp: Mapping[str, Any]) -> dict[str, Any]:
    ident = cid.Identifier.from_dns_name(_text(inp, "name"), _text(inp, "root"))
    return {"canonical": str(ident)}


def op_parse_pattern(inp: Mapping[str, Any]) -> dict[str, Any]:
    return {"canonical": str(cid.parse_pattern(_text(inp, "pattern")))}


def op_match(inp: Mapping[str, Any]) -> dict[str, Any]:
    pattern = cid.parse_pattern(_text(inp, "pattern"))
    return {"matches": pattern.matches(cid.parse(_text(inp, "text")))}


# ---------------------------------------------------------------- descriptor


def op_decode_cbor(inp: Mapping[str, Any]) -> dict[str, Any]:
    data = _hex(inp, "data")
    # §3 limits the size of a signed record, not of a data item alone.
    cid.decode_cbor(data, max_size=len(data))
    return {}


def op_verify_signature(inp: Mapping[str, Any]) -> dict[str, Any]:
    public = _hex(inp, "public_key")
    message = _hex(inp, "message")
    signature = _hex(inp, "signature")
    if len(public) != 32:
        raise cid.SignatureError(f"an Ed25519 public key is 32 bytes, not {len(public)}")
    cid.VerifyKey(public).verify(message, signature)
    return {}


def op_encode_descriptor(inp: Mapping[str, Any]) -> dict[str, Any]:
    key = cid.SigningKey.from_seed(_hex(inp, "seed"))
    try:
        desc = cid.descriptor_from_json(
            inp.get("descriptor"), _int(inp, "now", 0), _int(inp, "valid_for", 7 * 86400)
        )
    except cid.IdentifierError as exc:
        # A producer's refusals are OVERSIZE or ENCODING (spec/descriptor.md §11.2).
        raise cid.EncodingError(f"subject: {exc}") from None
    signed = cid.sign(desc, key)
    return {"payload": cid.encode_payload(desc).hex(), "signed": signed.hex(), "kid": key.kid.hex()}


def _seen(inp: Mapping[str, Any]) -> list[bytes]:
    raw = inp.get("seen", [])
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise BadRequest("seen must be an array of hex strings")
    try:
        return [bytes.fromhex(x) for x in raw]
    except ValueError:
        raise BadRequest("seen must be an array of hex strings") from None


def _start(data: bytes) -> int:
    """When a record starts to be valid: max(nbf, iat) (spec/descriptor.md §8.3.1)."""
    record = cid.decode_unverified(data)[1]
    return max(record.not_before, record.issued_at)


def op_verify_descriptor(inp: Mapping[str, Any]) -> dict[str, Any]:
    keys, now, skew = _keys(inp), _int(inp, "now"), _int(inp, "skew", cid.DEFAULT_SKEW)
    extensions = inp.get("extensions", [])
    issuer = inp.get("issuer")

    def check(data: bytes, seen: Mapping[str, cid.Descriptor] | None = None) -> cid.Descriptor:
        return cid.verify(
            data,
            keys,
            now=now,
            skew=skew,
            issuer=issuer,
            extensions=extensions,
            seen_versions=seen,
        )

    seen: dict[str, cid.Descriptor] = {}
    for data in _seen(inp):
        # Each was accepted when it was valid: verify it at the start of its validity.
        record = cid.verify(
            data,
            keys,
            now=_start(data),
            skew=skew,
            issuer=issuer,
            extensions=extensions,
            seen_versions=seen,
        )
        seen[record.subject] = record
    desc = check(_hex(inp, "signed"), seen)
    header = cid.decode_unverified(_hex(inp, "signed"))[0]
    return {"descriptor": _descriptor(desc), "kid": bytes(header.get(4, b"")).hex()}


def op_verify_delegation(inp: Mapping[str, Any]) -> dict[str, Any]:
    keys, now, skew = _keys(inp), _int(inp, "now"), _int(inp, "skew", cid.DEFAULT_SKEW)
    issuer = inp.get("issuer")
    seen: dict[str, cid.Delegation] = {}
    for data in (bytes.fromhex(t) for t in inp.get("seen", [])):
        record = cid.verify_delegation(
            data, keys, now=now, skew=skew, issuer=issuer, seen_versions=seen
        )
        seen[record.child] = record
    record = cid.verify_delegation(
        _hex(inp, "signed"), keys, now=now, skew=skew, issuer=issuer, seen_versions=seen
    )
    return _delegation(record)


def op_verify_rotation(inp: Mapping[str, Any]) -> dict[str, Any]:
    record = cid.verify_rotation(
        _hex(inp, "by_old"),
        _hex(inp, "by_new"),
        _keys(inp),
        now=_int(inp, "now"),
        skew=_int(inp, "skew", cid.DEFAULT_SKEW),
    )
    return _delegation(record)


def _under(name: str, zone: str) -> bool:
    """Whether DNS name ``name`` is ``zone`` or below it, label by label."""
    return name == zone or name.endswith("." + zone)


def op_verify_chain(inp: Mapping[str, Any]) -> dict[str, Any]:
    """Spec/resolution.md §12.5-§12.5.1 and spec/descriptor.md §9.3: from the anchor's
    zone down, each delegation record verified with the keys of the zone above it,
    then the descriptor with the keys of its issuer; failures are outcomes of §13."""
    anchor = inp.get("anchor")
    if not isinstance(anchor, Mapping):
        raise BadRequest("anchor must be an object")
    records = inp.get("delegations", [])
    if not isinstance(records, list) or not all(isinstance(r, str) for r in records):
        raise BadRequest("delegations must be an array of hex strings")
    ident = cid.parse(_text(inp, "identifier"))
    zone, keys, now = _text(anchor, "zone"), _keys(anchor), _int(inp, "now")
    max_depth = resolver.Limits().max_depth
    chain = [zone]

    def fail(outcome: Outcome, detail: str) -> ResolutionError:
        return ResolutionError(outcome, str(ident), "verify the chain", detail)

    try:
        for depth, text in enumerate(records, start=1):
            if depth > max_depth:
                raise fail(Outcome.LIMIT_EXCEEDED, f"more than {max_depth} delegations")
            record = cid.verify_delegation(bytes.fromhex(text), keys, now=now, issuer=zone)
            zone, keys = record.child, list(record.keys)
            chain.append(zone)
        desc = cid.verify(_hex(inp, "descriptor"), keys, now=now, issuer=zone)
    except (cid.ExpiredError, cid.NotYetValidError) as exc:
        raise fail(Outcome.EXPIRED, str(exc)) from None
    except cid.RollbackError as exc:
        raise fail(Outcome.ROLLBACK, str(exc)) from None
    except cid.DescriptorError as exc:
        raise fail(Outcome.BOGUS, str(exc)) from None
    name = ident.to_dns_name(_text(inp, "root")).rstrip(".")
    if not _under(name, zone):
        raise fail(Outcome.BOGUS, f"{name} is not at or below the issuer {zone}")
    if desc.subject != str(ident):
        raise fail(Outcome.BOGUS, f"it describes {desc.subject}")
    return {"descriptor": _descriptor(desc), "chain": chain}


# -------------------------------------------------------------------- status


class _Described:
    """The descriptor a status must describe, as verify_status's input gives it."""

    def __init__(self, issuer: str, subject: str, version: int) -> None:
        self.issuer, self.subject, self.version = issuer, subject, version


def _status_iat(data: bytes) -> int:
    """When a status starts to be valid, its iat (spec/status.md §7.3), read unverified."""
    envelope = cid.decode_cbor(data, max_size=cid.MAX_STATUS, start=1)
    if not isinstance(envelope, list) or len(envelope) != 4 or type(envelope[2]) is not bytes:
        raise cid.EncodingError("not a COSE_Sign1 array")
    return cid.decode_status(envelope[2]).issued_at


def op_verify_status(inp: Mapping[str, Any]) -> dict[str, Any]:
    keys, now = _keys(inp), _int(inp, "now")
    skew = _int(inp, "skew", cid.STATUS_SKEW)
    extensions = inp.get("extensions", [])
    if not isinstance(extensions, list) or not all(isinstance(e, str) for e in extensions):
        raise BadRequest("extensions must be an array of strings")
    described = None
    if (raw := inp.get("descriptor")) is not None:
        if not isinstance(raw, Mapping):
            raise BadRequest("descriptor must be an object")
        described = _Described(_text(raw, "issuer"), _text(raw, "subject"), _int(raw, "version"))
    seen: dict[str, cid.Status] = {}
    for data in _seen(inp):
        # Each was accepted when it was valid: verify it at its iat, in order.
        earlier = cid.verify_status(
            data, keys, now=_status_iat(data), skew=skew, extensions=extensions, seen=seen
        )
        seen[earlier.subject] = earlier
    signed = _hex(inp, "signed")
    status = cid.verify_status(
        signed, keys, now=now, descriptor=described, seen=seen, skew=skew, extensions=extensions
    )
    # Verified, so the envelope is the one shape: the kid is at bytes 10..42 (§4.2.3).
    return {"status": cid.status_json(status), "kid": signed[10:42].hex()}


# ------------------------------------------------------------------ resolver


class _State:
    """What a resolver keeps within one case (ADAPTER.md §4.11)."""

    def __init__(self) -> None:
        self.case: object = None
        self.cache = resolver.Cache()
        self.versions = resolver.VersionStore()


def op_resolve(inp: Mapping[str, Any], state: _State) -> dict[str, Any]:
    anchor_json = inp.get("anchor")
    if not isinstance(anchor_json, Mapping):
        raise BadRequest("anchor must be an object")
    port = _int(inp, "port", 53)
    anchor = resolver.TrustAnchor.from_json(dict(anchor_json), port=port)
    now = _int(inp, "now")
    forwarder = inp.get("forwarder")
    fwd = None
    if isinstance(forwarder, Mapping):
        fwd = (_text(forwarder, "address"), _int(forwarder, "port"))
    timeout = inp.get("timeout", 5)
    r = resolver.Resolver(
        anchor,
        forwarder=fwd,
        cache=state.cache,
        versions=state.versions,
        wallclock=lambda: float(now),
        limits=resolver.Limits(deadline=float(timeout)),
    )
    found = r.resolve(_text(inp, "identifier"))
    descriptor = _descriptor(found.descriptor)
    # Spec/resolution.md §16: by priority; the runner compares no finer than that.
    endpoints = sorted(descriptor["endpoints"], key=lambda e: e["priority"])
    return {"descriptor": descriptor, "chain": list(found.chain), "endpoints": endpoints}


OPERATIONS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "parse": op_parse,
    "canonicalize": op_canonicalize,
    "to_dns_name": op_to_dns_name,
    "from_dns_name": op_from_dns_name,
    "parse_pattern": op_parse_pattern,
    "match": op_match,
    "decode_cbor": op_decode_cbor,
    "verify_signature": op_verify_signature,
    "encode_descriptor": op_encode_descriptor,
    "verify_descriptor": op_verify_descriptor,
    "verify_delegation": op_verify_delegation,
    "verify_rotation": op_verify_rotation,
    "verify_chain": op_verify_chain,
    "verify_status": op_verify_status,
}

# Subclasses first: the first class that matches names the code.
_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (cid.IdentifierError, "INVALID_IDENTIFIER"),
    (cid.OversizeError, "OVERSIZE"),
    (cid.EncodingError, "ENCODING"),
    (cid.UnknownKeyError, "UNKNOWN_KEY"),
    (cid.SignatureError, "SIGNATURE"),
    (cid.CriticalExtensionError, "CRITICAL_EXTENSION"),
    (cid.NotYetValidError, "NOT_YET_VALID"),
    (cid.ExpiredError, "EXPIRED"),
    (cid.RollbackError, "ROLLBACK"),
    (cid.StatusMismatchError, "MISMATCH"),
    (cid.DescriptorError, "DESCRIPTOR"),
    (cid.KeyFileError, "ENCODING"),
)


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ResolutionError):
        return {"code": exc.outcome.code, "message": str(exc)}
    for cls, code in _CODES:
        if isinstance(exc, cls):
            out: dict[str, Any] = {"code": code, "message": str(exc)}
            if isinstance(exc, cid.IdentifierError):
                out["position"] = exc.position
            return out
    return {"code": "INTERNAL", "message": f"{type(exc).__name__}: {exc}"}


def hello() -> dict[str, Any]:
    return {
        "protocol": PROTOCOL,
        "implementation": {
            "name": "ucid-reference",
            "version": cid.__version__,
            "language": f"Python {sys.version_info.major}.{sys.version_info.minor}",
        },
        "profiles": ["identifier", "descriptor", "resolver", "status"],
        "operations": [*OPERATIONS, "resolve"],
        "capabilities": ["error-positions"],
    }


def handle(request: Mapping[str, Any], state: _State | None = None) -> dict[str, Any]:
    """The reply to one request (a parsed JSON object)."""
    seq = request.get("seq")
    op = request.get("op")
    if op == "hello":
        return {"seq": seq, "status": "ok", "result": hello()}
    state = state or _State()
    if request.get("case") != state.case:  # a new case starts from nothing (§4.11)
        state.__init__()  # type: ignore[misc]
        state.case = request.get("case")
    inp = request.get("input")
    if not isinstance(inp, Mapping):
        return {
            "seq": seq,
            "status": "error",
            "error": {"code": "BAD_REQUEST", "message": "no input"},
        }
    try:
        if op == "resolve":
            result = op_resolve(inp, state)
        elif isinstance(op, str) and op in OPERATIONS:
            result = OPERATIONS[op](inp)
        else:
            return {"seq": seq, "status": "skip", "reason": f"operation {op!r} is not implemented"}
    except BadRequest as exc:
        return {
            "seq": seq,
            "status": "error",
            "error": {"code": "BAD_REQUEST", "message": str(exc)},
        }
    except (cid.CidError, ValueError, TypeError) as exc:
        return {"seq": seq, "status": "error", "error": _error(exc)}
    except Exception as exc:
        return {
            "seq": seq,
            "status": "error",
            "error": {"code": "INTERNAL", "message": f"{type(exc).__name__}: {exc}"},
        }
    return {"seq": seq, "status": "ok", "result": result}


def serve(lines: Iterable[str], out: IO[str]) -> None:
    state = _State()
    for line in lines:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as exc:
            reply = {
                "seq": None,
                "status": "error",
                "error": {"code": "BAD_REQUEST", "message": f"not JSON: {exc}"},
            }
        else:
            reply = (
                handle(request, state)
                if isinstance(request, dict)
                else {
                    "seq": None,
                    "status": "error",
                    "error": {"code": "BAD_REQUEST", "message": "not a JSON object"},
                }
            )
        out.write(json.dumps(reply, ensure_ascii=False, separators=(",", ":")) + "\n")
        out.flush()


def main() -> int:
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
