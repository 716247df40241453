"""Endpoints in SVCB (RFC 9460) and the records of live registration (spec/resolution.md
§3.5, §8.8.4): the published mirror of an endpoint, and the private-use SvcParamKeys
an agent adds so that one SVCB record says everything a descriptor's endpoint holds.

Shared by the zone assembly (``cid.registry``), the server's UPDATE core
(``cid.server``) and the registering client (:func:`cid.register`); public through
:mod:`cid.layout`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any, Final

import dns.edns
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.svcbbase

from ._descriptor import Endpoint
from ._errors import CidError

__all__ = [
    "KEY_PROTOCOL",
    "KEY_REGION",
    "KEY_TRANSPORT",
    "KEY_WEIGHT",
    "UPDATE_LEASE",
    "SvcbError",
    "endpoint_from_svcb",
    "endpoint_svcb",
    "lease_option",
    "record_rdata",
    "svcb_rdata",
]

_IN: Final = dns.rdataclass.IN
#: EDNS(0) Update Lease option (RFC 9664): LEASE, and optionally KEY-LEASE, 32 bits each.
UPDATE_LEASE: Final = 2
#: Private-use SvcParamKeys (RFC 9460 §14.3) for what SVCB cannot say about an endpoint.
KEY_TRANSPORT: Final = 65280
KEY_PROTOCOL: Final = 65281
KEY_WEIGHT: Final = 65282
KEY_REGION: Final = 65283
_KNOWN_PARAMS: Final = frozenset({1, 3, 4, 6, KEY_TRANSPORT, KEY_PROTOCOL, KEY_WEIGHT, KEY_REGION})


class SvcbError(CidError):
    """An SVCB record that stands for no endpoint (spec §8.8.4); a server answers REFUSED."""


def record_rdata(rdtype: int, data: bytes) -> dns.rdata.Rdata:
    """The rdata of a private-use record type (TYPE_DESCRIPTOR, TYPE_DELEGATION) holding
    a signed record's bytes as they are (RFC 3597 generic rdata)."""
    return dns.rdata.from_wire(_IN, dns.rdatatype.RdataType.make(rdtype), data, 0, len(data))


def svcb_rdata(endpoint: Endpoint) -> dns.rdata.Rdata | None:
    """The SVCB rdata (RFC 9460 ServiceMode) that mirrors one endpoint for plain DNS
    clients (spec §3.5), or None for an endpoint whose host is an IP address.

    SVCB cannot name an address as its target: TargetName ``.`` means the owner
    name, which has no address records, so a client that does not use the hint
    would connect nowhere. Such an endpoint is in the signed descriptor only.
    Built in wire form, so that any ALPN the descriptor allows (printable
    ASCII, commas and quotes included) needs no presentation escaping. SVCB
    has no weight and no transport: the descriptor stays the authority.
    """
    if _address(endpoint.host) is not None:
        return None
    return _service_rdata(endpoint, ())


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _service_rdata(endpoint: Endpoint, extra: Iterable[tuple[int, bytes]]) -> dns.rdata.Rdata:
    """ServiceMode SVCB for ``endpoint`` with the SvcParams ``extra`` (key, value) added;
    an address host as TargetName ``.`` with the address as a hint (the form of a
    registration, spec §8.8.4, which only a ``cid serve`` reads)."""
    params: list[tuple[int, bytes]] = list(extra)
    if endpoint.alpn:  # key 1: alpn, length-prefixed ids
        params.append((1, b"".join(bytes((len(a),)) + a.encode("ascii") for a in endpoint.alpn)))
    params.append((3, endpoint.port.to_bytes(2)))  # key 3: port
    ip = _address(endpoint.host)
    if ip is None:
        target = dns.name.from_text(endpoint.host.rstrip(".") + ".")
    else:  # an address: the owner is the target, the address a hint (RFC 9460 §7.3)
        target = dns.name.root
        params.append((4 if ip.version == 4 else 6, ip.packed))  # ipv4hint / ipv6hint
    wire = endpoint.priority.to_bytes(2) + target.to_digestable()
    for key, value in sorted(params):
        wire += key.to_bytes(2) + len(value).to_bytes(2) + value
    return dns.rdata.from_wire(_IN, dns.rdatatype.SVCB, wire, 0, len(wire))


def endpoint_svcb(endpoint: Endpoint) -> dns.rdata.Rdata:
    """The SVCB record that registers ``endpoint`` (spec §8.8.4): the published mirror
    (§3.5) plus private-use keys for its transport, protocol, weight and region; an
    address host as TargetName ``.`` and a hint, which only the server reads."""
    extra = [
        (KEY_TRANSPORT, endpoint.transport.encode("ascii")),
        (KEY_PROTOCOL, endpoint.protocol.encode("ascii")),
    ]
    if endpoint.weight:
        extra.append((KEY_WEIGHT, endpoint.weight.to_bytes(2)))
    if endpoint.region is not None:
        extra.append((KEY_REGION, endpoint.region.encode("ascii")))
    return _service_rdata(endpoint, extra)


def endpoint_from_svcb(rdata: dns.rdata.Rdata) -> Endpoint:
    """The endpoint one registered SVCB record stands for (spec §8.8.4): the inverse
    of :func:`endpoint_svcb`. Raises :class:`SvcbError` saying why there is none."""
    params: Mapping[int, Any] = rdata.params  # type: ignore[attr-defined]
    unknown = sorted(set(params) - _KNOWN_PARAMS)
    if unknown:
        keys = ", ".join(
            dns.rdtypes.svcbbase.ParamKey.to_text(k).lower().replace("_", "-") for k in unknown
        )
        raise SvcbError(f"SVCB parameters a descriptor cannot hold: {keys}")
    priority: int = rdata.priority  # type: ignore[attr-defined]
    if priority == 0:
        raise SvcbError("an SVCB record in AliasMode is not an endpoint")
    if 3 not in params:
        raise SvcbError("an SVCB record without a port")
    hints = [*_hint(params, 4), *_hint(params, 6)]
    target: dns.name.Name = rdata.target  # type: ignore[attr-defined]
    if target == dns.name.root:
        if len(hints) != 1:
            raise SvcbError("TargetName '.' needs exactly one address hint")
        host = str(ipaddress.ip_address(hints[0]))
    elif hints:
        raise SvcbError("address hints are kept only with TargetName '.'")
    else:
        host = target.to_text(omit_final_dot=True).lower()
    alpn = params.get(1)
    try:
        return Endpoint(
            transport=_text_param(params, KEY_TRANSPORT, "tcp"),
            protocol=_text_param(params, KEY_PROTOCOL, "https"),
            host=host,
            port=params[3].port,
            priority=priority,
            weight=int.from_bytes(_raw_param(params, KEY_WEIGHT, b"\0\0")),
            alpn=tuple(a.decode("ascii") for a in alpn.ids) if alpn is not None else (),
            region=_text_param(params, KEY_REGION, None),
        )
    except SvcbError:
        raise
    except (CidError, UnicodeError) as exc:
        raise SvcbError(f"SVCB {rdata}: {exc}") from None


def _hint(params: Mapping[int, Any], key: int) -> tuple[str, ...]:
    found = params.get(key)
    return tuple(found.addresses) if found is not None else ()


def _raw_param(params: Mapping[int, Any], key: int, default: bytes) -> bytes:
    found = params.get(key)
    value = found.value if found is not None else default
    if key == KEY_WEIGHT and len(value) != 2:
        raise SvcbError("an SVCB weight (key65282) is 2 octets")
    return bytes(value)


def _text_param(params: Mapping[int, Any], key: int, default: str | None) -> Any:
    found = params.get(key)
    if found is None:
        return default
    try:
        return bytes(found.value).decode("ascii")
    except UnicodeError:
        raise SvcbError(f"SVCB key{key} is not ASCII") from None


def lease_option(seconds: int) -> dns.edns.Option:
    """An Update Lease option (RFC 9664) holding LEASE only."""
    return dns.edns.GenericOption(dns.edns.OptionType.make(UPDATE_LEASE), seconds.to_bytes(4))
