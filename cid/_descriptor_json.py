"""Descriptors as JSON: what ``cid descriptor sign`` and registry sources read, and what
``--json`` output shows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._descriptor import Delegation, Descriptor, Endpoint
from ._errors import EncodingError
from ._identifier import parse

__all__ = ["delegation_json", "descriptor_from_json", "descriptor_json", "loads"]


def kid_text(kid: object) -> str:
    return kid.hex() if isinstance(kid, bytes) else repr(kid)


_ENDPOINT_MEMBERS = frozenset(
    {"transport", "protocol", "host", "port", "priority", "weight", "alpn", "region"}
)
_MEMBERS = frozenset(
    {
        "issuer",
        "subject",
        "version",
        "issued_at",
        "not_before",
        "expires",
        "endpoints",
        "capabilities",
        "ext",
        "crit",
    }
)


def _array(value: Any, name: str) -> list[Any]:
    # A text or an object is not a list of its characters or keys.
    if type(value) is not list:
        raise EncodingError(f"{name} must be a JSON array, not {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _endpoint(obj: Any) -> Endpoint:
    if type(obj) is not dict:
        raise EncodingError(f"an endpoint is a JSON object, not {_json_type(obj)}")
    if unknown := set(obj) - _ENDPOINT_MEMBERS:
        raise EncodingError(f"unknown endpoint fields: {', '.join(sorted(unknown))}")
    # An OPTIONAL member that is null is absent (spec/descriptor.md §13.2).
    fields = {k: v for k, v in obj.items() if v is not None}
    if "alpn" in fields:
        fields["alpn"] = tuple(_array(fields["alpn"], "alpn"))
    for name in ("transport", "protocol", "host", "port"):
        if name not in fields:
            raise EncodingError(f"an endpoint needs {name!r}")
    return Endpoint(**fields)


def descriptor_from_json(spec: Any, now: int, valid_for: int) -> Descriptor:
    """Build a :class:`Descriptor` from the JSON ``cid descriptor sign`` reads
    (spec/descriptor.md §13; spec/descriptor-input.schema.json).

    Missing times default to ``now`` (iat), iat (nbf) and ``nbf + valid_for``
    (exp); missing capabilities default to the subject's own attributes. An
    OPTIONAL member that is null counts as absent. Every fault is a
    :class:`~cid.CidError`: :class:`EncodingError`, or :class:`IdentifierError`
    for a subject that is not a UCID.
    """
    if type(spec) is not dict:
        raise EncodingError("a descriptor specification is a JSON object")
    if unknown := set(spec) - _MEMBERS:
        raise EncodingError(f"unknown descriptor fields: {', '.join(sorted(unknown))}")
    for name in ("issuer", "subject", "version", "endpoints"):
        if spec.get(name) is None:
            raise EncodingError(f"the descriptor specification needs {name!r}")
    if type(spec["subject"]) is not str:
        raise EncodingError(f"subject must be a string, not {_json_type(spec['subject'])}")
    subject = str(parse(spec["subject"]))  # canonicalise what people write
    issued_at: Any = spec.get("issued_at")
    if issued_at is None:
        issued_at = now
    not_before: Any = spec.get("not_before")
    if not_before is None:
        not_before = issued_at
    expires: Any = spec.get("expires")
    if expires is None:
        if type(not_before) is not int:
            raise EncodingError(f"not_before must be an integer, not {not_before!r}")
        expires = not_before + valid_for
    caps = spec.get("capabilities")
    if caps is None:
        caps = [str(c) for c in parse(subject).capabilities]
    ext = spec.get("ext")
    if ext is None:
        ext = {}
    elif type(ext) is not dict:
        raise EncodingError(f"ext must be a JSON object, not {_json_type(ext)}")
    crit = spec.get("crit")
    return Descriptor(
        issuer=spec["issuer"],
        subject=subject,
        version=spec["version"],
        issued_at=issued_at,
        not_before=not_before,
        expires=expires,
        endpoints=tuple(_endpoint(e) for e in _array(spec["endpoints"], "endpoints")),
        capabilities=tuple(_array(caps, "capabilities")),
        ext=ext,
        crit=tuple(_array(crit, "crit")) if crit is not None else (),
    )


def loads(text: str) -> Any:
    """Parse JSON text as §13.1 requires: RFC 8259 JSON, with no member name
    twice in one object and no NaN or Infinity; faults are :class:`EncodingError`."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in pairs:
            if name in out:
                raise EncodingError(f"the member {name!r} appears twice in one object")
            out[name] = value
        return out

    def constant(name: str) -> Any:
        raise EncodingError(f"{name} is not JSON")

    try:
        return json.loads(text, object_pairs_hook=unique, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise EncodingError(f"not JSON: {exc}") from None


def descriptor_json(rec: Descriptor) -> dict[str, Any]:
    return {
        "issuer": rec.issuer,
        "subject": rec.subject,
        "version": rec.version,
        "issued_at": rec.issued_at,
        "not_before": rec.not_before,
        "expires": rec.expires,
        "endpoints": [
            {
                k: v
                for k, v in {
                    "transport": e.transport,
                    "protocol": e.protocol,
                    "host": e.host,
                    "port": e.port,
                    "priority": e.priority,
                    "weight": e.weight,
                    "alpn": list(e.alpn) or None,
                    "region": e.region,
                }.items()
                if v is not None
            }
            for e in rec.endpoints
        ],
        "capabilities": list(rec.capabilities),
        "ext": jsonable(dict(rec.ext)),
        "crit": list(rec.crit),
    }


def delegation_json(rec: Delegation) -> dict[str, Any]:
    return {
        "parent": rec.parent,
        "child": rec.child,
        "keys": [kid_text(k.kid) for k in rec.keys],
        "version": rec.version,
        "issued_at": rec.issued_at,
        "not_before": rec.not_before,
        "expires": rec.expires,
    }


def jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, Mapping):  # nested ext maps are frozen (cbor2.frozendict)
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
