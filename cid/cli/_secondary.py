"""``cid zone secondary``: list a secondary server of zones (``cid serve`` as hidden primary)."""

from __future__ import annotations

import argparse
import secrets
from typing import Any, TextIO

import dns.tsig

from .._errors import CidError
from ..registry import Registry, RegistryError, Secondary
from ..server import parse_listen
from ._help import example

__all__ = ["add_zone_command"]


def _cmd_secondary(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    zones = args.zone or sorted(registry.zones)
    for zone in zones:
        if zone not in registry.zones:
            raise CidError(f"no zone {zone} in the registry")
    host, port = parse_listen(args.address) if ":" in args.address else (args.address, 53)
    try:
        secondary = Secondary(host, args.tsig_key, port)
    except ValueError as exc:
        raise CidError(f"bad secondary: {exc}") from None
    key = None  # the key as some zone holds it already, or a new one for all
    for zone in sorted(registry.zones):
        try:
            key = registry.tsig_key(zone, args.tsig_key)
            break
        except RegistryError:
            continue
    if key is None:
        key = dns.tsig.Key(args.tsig_key, secrets.token_bytes(32), "hmac-sha256")
    for zone in zones:
        for path in registry.add_secondary(zone, secondary, key):
            print(f"wrote {path.relative_to(registry.path)}", file=out)
    return 0


def add_zone_command(sub: Any) -> None:
    p = sub.add_parser(
        "secondary",
        help="list a secondary server (NOTIFY, AXFR/IXFR with TSIG) of zones",
        **example(
            "cid zone secondary /tmp/demo --address 127.0.0.1:5300 --tsig-key xfr.ucid.example"
        ),
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("--zone", action="append", help="this zone (repeatable; default: every zone)")
    p.add_argument("--address", required=True, metavar="ADDR[:PORT]", help="port default 53")
    p.add_argument(
        "--tsig-key", required=True, metavar="NAME", help="its TSIG key; created if no zone has it"
    )
    p.set_defaults(run=_cmd_secondary)
