"""Descriptors as JSON: what ``cid descriptor sign`` and registry sources read, and what
``--json`` output shows."""

from __future__ import annotations

from typing import Any

from ._descriptor import Delegation, Descriptor, Endpoint
from ._errors import EncodingError
from ._identifier import parse

__all__ = ["delegation_json", "descriptor_from_json", "descriptor_json"]


def _kid(kid: object) -> str:
    return kid.hex() if isinstance(kid, bytes) else repr(kid)


def _endpoint(obj: Any) -> Endpoint:
    if not isinstance(obj, dict):
        raise EncodingError(f"an endpoint is a JSON object, not {type(obj).__name__}")
    known = {"transport", "protocol", "host", "port", "priority", "weight", "alpn", "region"}
    if unknown := set(obj) - known:
        raise EncodingError(f"unknown endpoint fields: {', '.join(sorted(unknown))}")
    fields = dict(obj)
    if "alpn" in fields:
        fields["alpn"] = tuple(fields["alpn"])
    try:
        return Endpoint(**fields)
    except TypeError as exc:
        raise EncodingError(f"endpoint: {exc}") from None


def descriptor_from_json(spec: Any, now: int, valid_for: int) -> Descriptor:
    """Build a :class:`Descriptor` from the JSON ``cid descriptor sign`` reads.

    Missing times default to ``now`` (iat, nbf) and ``nbf + valid_for`` (exp);
    missing capabilities default to the subject's own attributes.
    """
    if not isinstance(spec, dict):
        raise EncodingError("a descriptor specification is a JSON object")
    known = {
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
    if unknown := set(spec) - known:
        raise EncodingError(f"unknown descriptor fields: {', '.join(sorted(unknown))}")
    for name in ("issuer", "subject", "version", "endpoints"):
        if name not in spec:
            raise EncodingError(f"the descriptor specification needs {name!r}")
    subject = str(parse(str(spec["subject"])))  # canonicalise what people write
    issued_at: Any = spec.get("issued_at", now)
    not_before: Any = spec.get("not_before", issued_at)
    expires: Any = spec.get("expires")
    if expires is None:
        if type(not_before) is not int:
            raise EncodingError(f"not_before must be an integer, not {not_before!r}")
        expires = not_before + valid_for
    caps = spec.get("capabilities")
    if caps is None:
        caps = [str(c) for c in parse(subject).capabilities]
    try:
        return Descriptor(
            issuer=spec["issuer"],
            subject=subject,
            version=spec["version"],
            issued_at=issued_at,
            not_before=not_before,
            expires=expires,
            endpoints=tuple(_endpoint(e) for e in spec["endpoints"] or ()),
            capabilities=tuple(caps),
            ext=spec.get("ext") or {},
            crit=tuple(spec.get("crit") or ()),
        )
    except TypeError as exc:
        raise EncodingError(f"descriptor: {exc}") from None


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
        "ext": _jsonable(dict(rec.ext)),
        "crit": list(rec.crit),
    }


def delegation_json(rec: Delegation) -> dict[str, Any]:
    return {
        "parent": rec.parent,
        "child": rec.child,
        "keys": [_kid(k.kid) for k in rec.keys],
        "version": rec.version,
        "issued_at": rec.issued_at,
        "not_before": rec.not_before,
        "expires": rec.expires,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
