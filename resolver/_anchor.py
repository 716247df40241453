"""The trust anchor a resolver starts from (spec/resolution.md §7.2, §12.1)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.name

from cid import CidError, VerifyKey

__all__ = ["AnchorError", "TrustAnchor"]

Server = tuple[str, int]


class AnchorError(CidError):
    """A trust anchor (``anchor.json``) that cannot be read or is not valid."""


@dataclass(frozen=True, slots=True)
class TrustAnchor:
    """The national root zone ``zone`` (the root suffix R), its keys, and its servers.

    ``servers`` are (address, port) pairs; ``port`` is the port used for every
    other server the resolver learns of, since referrals carry no ports.
    """

    zone: str
    keys: tuple[VerifyKey, ...]
    servers: tuple[Server, ...] = ()
    port: int = 53

    def __post_init__(self) -> None:
        if not 1 <= len(self.keys) <= 2:
            raise AnchorError("a trust anchor has one key, or two during a rollover")
        try:
            name = dns.name.from_text(self.zone)
        except dns.exception.DNSException as exc:
            raise AnchorError(f"zone {self.zone!r} is not a DNS name: {exc}") from None
        object.__setattr__(self, "zone", name.to_text(omit_final_dot=True).lower())
        if not 1 <= self.port <= 65535:
            raise AnchorError(f"port {self.port} is not 1-65535")

    @property
    def origin(self) -> dns.name.Name:
        return dns.name.from_text(self.zone)

    @classmethod
    def from_json(cls, data: Any, *, port: int = 53) -> TrustAnchor:
        """From the content of ``anchor.json``: ``{"zone", "keys": [hex], "servers":
        [{"name", "addresses": [...]}]}``."""
        if not isinstance(data, Mapping):
            raise AnchorError("a trust anchor is a JSON object")
        zone, keys, servers = data.get("zone"), data.get("keys"), data.get("servers", [])
        if not isinstance(zone, str):
            raise AnchorError("anchor: 'zone' must be a string")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise AnchorError("anchor: 'keys' must be a list of hexadecimal strings")
        try:
            parsed = tuple(VerifyKey.from_bytes(bytes.fromhex(k)) for k in keys)
        except (ValueError, CidError) as exc:
            raise AnchorError(f"anchor: a key is not 32 octets of hexadecimal: {exc}") from None
        if not isinstance(servers, list):
            raise AnchorError("anchor: 'servers' must be a list")
        addresses: list[Server] = []
        for entry in servers:
            found = entry.get("addresses") if isinstance(entry, Mapping) else None
            if not isinstance(found, list):
                raise AnchorError("anchor: each server is {'name': ..., 'addresses': [...]}")
            for address in found:
                addresses.append((_address(address), port))
        return cls(zone, parsed, tuple(addresses), port)

    @classmethod
    def load(cls, path: str | Path, *, port: int = 53) -> TrustAnchor:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise AnchorError(f"{path}: cannot read the trust anchor: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise AnchorError(f"{path}: not JSON: {exc}") from None
        try:
            return cls.from_json(data, port=port)
        except AnchorError as exc:
            raise AnchorError(f"{path}: {exc}") from None

    def with_servers(self, servers: tuple[Server, ...]) -> TrustAnchor:
        return TrustAnchor(self.zone, self.keys, servers, self.port)


def _address(text: object) -> str:
    if not isinstance(text, str):
        raise AnchorError(f"anchor: address {text!r} is not a string")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise AnchorError(f"anchor: {text!r} is not an IP address") from None
