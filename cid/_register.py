"""``cid.register`` and ``cid.deregister``: keep an identifier's endpoints live at a running
``cid serve`` (spec/resolution.md §8.8) with RFC 2136 UPDATE messages; and
``cid.register_status``: publish a signed status beside them (spec/status.md §8.5).

The client side of ``_live``: it builds the UPDATE, authenticated by TSIG
(the server signs the descriptor) or by a descriptor signed here with a key the
zone trusts, sends it, and reports the lease the server granted.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update

from ._cose import decode_sign1
from ._descriptor import Descriptor, Endpoint
from ._errors import CidError, EncodingError
from ._identifier import Identifier, parse
from ._keys import SigningKey
from ._signed import decode_unverified, sign
from ._status import (
    MAX_STATUS,
    MAX_STATUS_VALIDITY,
    Status,
    decode_status,
    sign_status,
    status_from_json,
)
from ._svcb import UPDATE_LEASE, endpoint_svcb, lease_option, record_rdata
from .layout import TYPE_DESCRIPTOR, TYPE_STATUS, UDP_PAYLOAD

__all__ = [
    "Lease",
    "RegisterError",
    "RegisterRefused",
    "deregister",
    "register",
    "register_status",
]

#: Lifetime of a signed withdrawal: it is never published, only checked once.
_WITHDRAWAL_VALID: Final = 60


class RegisterError(CidError):
    """The server could not be reached, or did not answer as a DNS server does."""


class RegisterRefused(RegisterError):
    """The server answered the update with an error ``rcode`` (NOTAUTH, REFUSED, ...)."""

    def __init__(self, rcode: dns.rcode.Rcode, message: str) -> None:
        super().__init__(message)
        self.rcode = rcode


@dataclass(frozen=True, slots=True)
class Lease:
    """A registration the server acknowledged: it is served until ``expires``."""

    zone: str
    name: str  # the identifier's DNS name
    lease: int  # seconds granted
    expires: int


def register(
    server: tuple[str, int],
    identifier: Identifier | str,
    endpoints: Sequence[Endpoint],
    *,
    root: str,
    lease: int = 3600,
    tsig: dns.tsig.Key | None = None,
    signing_key: SigningKey | None = None,
    zone: str | None = None,
    now: int | None = None,
    tcp: bool = True,
    timeout: float = 5.0,
) -> Lease:
    """Add or renew the endpoints of ``identifier`` at ``server`` (address, port) for
    ``lease`` seconds.

    With ``signing_key`` (a key the zone trusts) a descriptor is signed here
    and sent; with ``tsig`` alone the endpoints go as SVCB records and the
    server signs. ``zone`` defaults to the one the server says holds the name.
    Raises :class:`RegisterRefused` or :class:`RegisterError`.
    """
    ident, name, origin = _target(server, identifier, root, zone, timeout, tsig or signing_key)
    now = int(time.time()) if now is None else now
    update = dns.update.UpdateMessage(origin)
    update.delete(name)  # a registration replaces whatever the name held
    if signing_key is not None:
        record = Descriptor(
            issuer=origin.to_text(omit_final_dot=True),
            subject=str(ident),
            version=_next_version(server, name, now, timeout),
            issued_at=now,
            not_before=now,
            expires=now + lease,
            endpoints=tuple(endpoints),
            capabilities=tuple(str(c) for c in ident.capabilities),
        )
        update.add(name, lease, record_rdata(TYPE_DESCRIPTOR, sign(record, signing_key)))
    else:
        for endpoint in endpoints:
            update.add(name, lease, endpoint_svcb(endpoint))
    update.use_edns(0, 0, UDP_PAYLOAD, options=[lease_option(lease)])
    if tsig is not None:
        update.use_tsig(tsig)
    response = _send(update, server, tcp, timeout)
    granted = _granted(response, lease)
    return Lease(origin.to_text(omit_final_dot=True), name.to_text(), granted, now + granted)


def deregister(
    server: tuple[str, int],
    identifier: Identifier | str,
    *,
    root: str,
    tsig: dns.tsig.Key | None = None,
    signing_key: SigningKey | None = None,
    zone: str | None = None,
    now: int | None = None,
    tcp: bool = True,
    timeout: float = 5.0,
) -> None:
    """Remove the live registration of ``identifier`` at ``server``.

    With ``tsig`` the name's records are deleted. With ``signing_key`` alone a
    withdrawal is sent: a fresh descriptor of a higher version than the one
    served, deleted by value, which proves the key (spec §8.8.5). Removing what
    is not registered succeeds.
    """
    ident, name, origin = _target(server, identifier, root, zone, timeout, tsig or signing_key)
    now = int(time.time()) if now is None else now
    update = dns.update.UpdateMessage(origin)
    if tsig is not None:
        update.delete(name)
        update.use_tsig(tsig)
    else:
        assert signing_key is not None
        current = _current(server, name, timeout)
        if current is None:
            return  # nothing served: nothing to withdraw
        record = Descriptor(
            issuer=origin.to_text(omit_final_dot=True),
            subject=str(ident),
            version=max(current.version + 1, now),
            issued_at=now,
            not_before=now,
            expires=now + _WITHDRAWAL_VALID,
            endpoints=current.endpoints,
            capabilities=current.capabilities,
        )
        update.delete(name, record_rdata(TYPE_DESCRIPTOR, sign(record, signing_key)))
    _send(update, server, tcp, timeout)


def register_status(
    server: tuple[str, int],
    status: Status | bytes | Mapping[str, Any],
    *,
    root: str,
    signing_key: SigningKey | None = None,
    zone: str | None = None,
    valid_for: int = 120,
    now: int | None = None,
    tcp: bool = True,
    timeout: float = 5.0,
) -> Status:
    """Publish a status (spec/status.md) at ``server`` (address, port), beside the
    descriptor it describes, and return it.

    ``status`` is a signed status (bytes, sent as they are), a :class:`Status` (signed
    here with ``signing_key``, a key the zone trusts), or the JSON form of one
    (spec/status.md §9) in which only ``subject`` and ``accepting`` are needed: the
    rest are filled in, ``issuer`` the zone, ``descriptor_version`` the version of the
    descriptor the server publishes (read from it, unverified), ``issued_at`` ``now``,
    ``expires`` ``now + valid_for`` (at most 600 s), ``version`` the time in
    milliseconds (so each status of a subject has a higher one than the last). The
    server keeps it in memory only (spec/status.md §8.4): publish again before it
    expires, and after a restart of the server. Raises :class:`RegisterRefused` (with
    the server's reason) or :class:`RegisterError`.
    """
    now = int(time.time()) if now is None else now
    if isinstance(status, bytes):
        data = status
        record = _status_of(data)
    else:
        if signing_key is None:
            raise ValueError("give a signing key, or a signed status")
        if isinstance(status, Status):
            record = status
        else:
            record = _fill(server, dict(status), root, zone, valid_for, now, timeout)
        data = sign_status(record, signing_key)
    ident = parse(record.subject)
    name = dns.name.from_text(ident.to_dns_name(root))
    origin = _zone(server, name, zone or record.issuer, timeout)
    update = dns.update.UpdateMessage(origin)
    update.delete(name, TYPE_STATUS)  # RFC 2136: replace the status RRset
    ttl = max(0, min(record.expires - now, MAX_STATUS_VALIDITY))
    update.add(name, ttl, record_rdata(TYPE_STATUS, data))
    update.use_edns(0, 0, UDP_PAYLOAD)
    _send(update, server, tcp, timeout)
    return record


def _status_of(data: bytes) -> Status:
    """What a signed status says, unverified (the server verifies it)."""
    if len(data) > MAX_STATUS:
        raise EncodingError(f"a signed status is at most {MAX_STATUS} bytes, not {len(data)}")
    return decode_status(decode_sign1(data, max_size=MAX_STATUS).payload)


def _fill(
    server: tuple[str, int],
    fields: dict[str, Any],
    root: str,
    zone: str | None,
    valid_for: int,
    now: int,
    timeout: float,
) -> Status:
    subject = fields.get("subject")
    if not isinstance(subject, str):
        raise EncodingError("a status needs a subject")
    name = dns.name.from_text(parse(subject).to_dns_name(root))
    if fields.get("descriptor_version") is None:
        current = _current(server, name, timeout)
        if current is None:
            raise RegisterRefused(dns.rcode.NXDOMAIN, f"no descriptor is published at {name}")
        fields["descriptor_version"] = current.version
        fields.setdefault("issuer", current.issuer)
    if fields.get("issuer") is None:
        fields["issuer"] = _zone(server, name, zone, timeout).to_text(omit_final_dot=True)
    fields.setdefault("issued_at", now)
    fields.setdefault("expires", now + valid_for)
    fields.setdefault("version", max(time.time_ns() // 1_000_000, now * 1000))
    return status_from_json(fields)


def _target(
    server: tuple[str, int],
    identifier: Identifier | str,
    root: str,
    zone: str | None,
    timeout: float,
    credential: object,
) -> tuple[Identifier, dns.name.Name, dns.name.Name]:
    """The identifier, its DNS name and its zone; a credential is needed for anything."""
    if credential is None:
        raise ValueError("give a TSIG key or a signing key")
    ident = parse(identifier) if isinstance(identifier, str) else identifier
    name = dns.name.from_text(ident.to_dns_name(root))
    return ident, name, _zone(server, name, zone, timeout)


def _ask(
    server: tuple[str, int], name: dns.name.Name, rdtype: dns.rdatatype.RdataType, timeout: float
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=0, payload=UDP_PAYLOAD)
    try:
        return dns.query.tcp(query, server[0], port=server[1], timeout=timeout)
    except (dns.exception.DNSException, OSError) as exc:
        raise RegisterError(f"{server[0]} port {server[1]}: {exc}") from None


def _zone(
    server: tuple[str, int], name: dns.name.Name, zone: str | None, timeout: float
) -> dns.name.Name:
    """The zone that holds ``name``: as given, or the owner of the SOA the server shows."""
    if zone is not None:
        return dns.name.from_text(zone)
    response = _ask(server, name, dns.rdatatype.SOA, timeout)
    if response.rcode() == dns.rcode.REFUSED:
        raise RegisterRefused(response.rcode(), f"{server[0]} serves no zone holding {name}")
    for rrset in (*response.answer, *response.authority):
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset.name
    raise RegisterError(f"{server[0]} shows no zone for {name} (a child zone elsewhere?)")


def _current(server: tuple[str, int], name: dns.name.Name, timeout: float) -> Descriptor | None:
    """The descriptor the server publishes at ``name``, unverified: only its version and
    endpoints are used, to sign the next one."""
    for rrset in _ask(server, name, TYPE_DESCRIPTOR, timeout).answer:
        if rrset.rdtype == TYPE_DESCRIPTOR:
            try:
                record = decode_unverified(rrset[0].to_digestable())[1]
            except CidError:
                return None
            return record if isinstance(record, Descriptor) else None
    return None


def _next_version(server: tuple[str, int], name: dns.name.Name, now: int, timeout: float) -> int:
    # Above the one served, and the time otherwise, which grows across restarts.
    current = _current(server, name, timeout)
    return max(current.version + 1, now) if current is not None else now


def _send(
    update: dns.update.UpdateMessage, server: tuple[str, int], tcp: bool, timeout: float
) -> dns.message.Message:
    host, port = server
    try:
        wire = update.to_wire()
        data = _exchange(wire, server, tcp, timeout)
    except (dns.exception.DNSException, OSError) as exc:
        raise RegisterError(f"{host} port {port}: {exc or type(exc).__name__}") from None
    try:
        response = dns.message.from_wire(data, keyring=update.keyring, request_mac=update.mac)
    except dns.tsig.PeerError as exc:
        # An answer that refuses the TSIG is unsigned (BADKEY, BADSIG): read it, unchecked,
        # for the reason only.
        raise RegisterRefused(
            dns.rcode.NOTAUTH, f"{host} refused the TSIG: {exc}{_why(_unchecked(data))}"
        ) from None
    except dns.exception.DNSException as exc:
        raise RegisterError(f"{host} port {port}: {exc}") from None
    if not update.is_response(response):
        raise RegisterError(f"{host} port {port}: the answer is not to this UPDATE")
    if response.rcode() != dns.rcode.NOERROR:
        raise RegisterRefused(
            response.rcode(),
            f"{host} answered {dns.rcode.to_text(response.rcode())}{_why(response)}",
        )
    return response


def _exchange(wire: bytes, server: tuple[str, int], tcp: bool, timeout: float) -> bytes:
    """Send ``wire`` and return the answer's bytes, unparsed: a refusal's reason is read
    even from an answer whose TSIG does not check (which dns.query would only raise on)."""
    host, port = server
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
    with socket.socket(family, kind) as sock:
        sock.settimeout(timeout)
        sock.connect((host, port))
        if not tcp:
            sock.send(wire)
            return sock.recv(65535)
        sock.sendall(len(wire).to_bytes(2) + wire)
        return _read(sock, int.from_bytes(_read(sock, 2)))


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = sock.recv(size - len(data))
        if not more:
            raise ConnectionError("the server closed the connection")
        data += more
    return data


def _unchecked(data: bytes) -> dns.message.Message | None:
    try:
        return dns.message.from_wire(data, keyring=False)
    except dns.exception.DNSException:
        return None


def _why(response: dns.message.Message | None) -> str:
    """The server's reason (RFC 8914 EXTRA-TEXT), as ``: reason``, or nothing."""
    if response is None:
        return ""
    texts = [ede.text for ede in response.extended_errors() if ede.text]
    return "".join(f": {text}" for text in texts)


def _granted(response: dns.message.Message, asked: int) -> int:
    for option in response.options:
        if option.otype == UPDATE_LEASE:
            data = option.to_wire()
            if data is not None and len(data) >= 4:
                return int.from_bytes(data[:4])
    return asked
