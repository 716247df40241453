"""``cid register add|renew|remove`` (the agent's side) and ``cid zone live`` (the operator's).

Drivers: they read key files and the clock, then call ``_register`` and ``Registry``.
"""

from __future__ import annotations

import argparse
import urllib.parse
from pathlib import Path
from typing import Any, TextIO

from .._descriptor import Endpoint
from .._errors import CidError
from .._keys import SigningKey, VerifyKey
from .._register import deregister, register
from ..registry import LivePolicy, Registry, parse_tsig
from ..server import parse_listen
from ._descriptor import NOW_HELP, duration, iso_time, now_arg

__all__ = ["add_commands", "add_zone_command", "parse_endpoint"]

_ENDPOINT_FORM = "[TRANSPORT+]PROTOCOL://HOST:PORT[?alpn=h2,h3&priority=1&weight=0&region=R]"


def parse_endpoint(text: str) -> Endpoint:
    """An endpoint written as a URL: ``quic+https://[2001:db8::1]:443?alpn=h3&weight=10``.

    The transport defaults to tcp; priority, weight and region as in the descriptor.
    """
    try:
        url = urllib.parse.urlsplit(text)
        port = url.port
        query = urllib.parse.parse_qs(url.query, strict_parsing=True) if url.query else {}
    except ValueError as exc:
        raise CidError(f"endpoint {text!r}: {exc}") from None
    if not url.scheme or url.hostname is None or port is None:
        raise CidError(f"endpoint {text!r} is not {_ENDPOINT_FORM}")
    if url.path not in ("", "/") or url.fragment or url.username is not None:
        raise CidError(f"endpoint {text!r}: no path, fragment or user belongs in an endpoint")
    if unknown := set(query) - {"alpn", "priority", "weight", "region"}:
        raise CidError(f"endpoint {text!r}: unknown {', '.join(sorted(unknown))}")
    transport, _, protocol = url.scheme.rpartition("+")
    one = {k: v[-1] for k, v in query.items()}
    try:
        return Endpoint(
            transport=transport or "tcp",
            protocol=protocol,
            host=url.hostname,
            port=port,
            priority=int(one.get("priority", "1")),
            weight=int(one.get("weight", "0")),
            alpn=tuple(one["alpn"].split(",")) if "alpn" in one else (),
            region=one.get("region"),
        )
    except ValueError as exc:
        raise CidError(f"endpoint {text!r}: {exc}") from None


def _endpoint_arg(text: str) -> Endpoint:
    try:
        return parse_endpoint(text)
    except CidError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _credentials(args: argparse.Namespace) -> dict[str, Any]:
    if not (args.tsig or args.tsig_file or args.key):
        args.parser.error("give --tsig, --tsig-file or --key")
    tsig = args.tsig
    if args.tsig_file:
        tsig = Path(args.tsig_file).read_text("ascii").strip()
    return {
        "tsig": parse_tsig(tsig) if tsig else None,
        "signing_key": SigningKey.load(args.key) if args.key else None,
    }


def _cmd_register(args: argparse.Namespace, out: TextIO) -> int:
    lease = register(
        parse_listen(args.server),
        args.identifier,
        args.endpoint,
        root=args.root,
        lease=args.lease,
        zone=args.zone,
        now=args.now,
        tcp=not args.udp,
        timeout=args.timeout,
        **_credentials(args),
    )
    print(
        f"registered {args.identifier} in {lease.zone}: lease {lease.lease} s, "
        f"until {iso_time(lease.expires)}",
        file=out,
    )
    return 0


def _cmd_remove(args: argparse.Namespace, out: TextIO) -> int:
    deregister(
        parse_listen(args.server),
        args.identifier,
        root=args.root,
        zone=args.zone,
        now=args.now,
        tcp=not args.udp,
        timeout=args.timeout,
        **_credentials(args),
    )
    print(f"removed {args.identifier}", file=out)
    return 0


def add_commands(commands: Any, root_default: str) -> None:
    reg = commands.add_parser(
        "register", help="add, renew or remove live endpoints at a running cid serve"
    )
    sub = reg.add_subparsers(dest="register_command", required=True, metavar="SUBCOMMAND")
    add = sub.add_parser("add", help="register endpoints for a lease")
    renew = sub.add_parser("renew", help="the same as add: a registration replaces the last")
    remove = sub.add_parser("remove", help="remove a registration")
    for p in (add, renew):
        p.add_argument(
            "--endpoint",
            action="append",
            required=True,
            type=_endpoint_arg,
            metavar="URL",
            help=f"{_ENDPOINT_FORM} (repeatable)",
        )
        p.add_argument("--lease", type=duration, default=3600, help="seconds, or 90m, 12h, 1d")
        p.set_defaults(run=_cmd_register)
    remove.set_defaults(run=_cmd_remove)
    for p in (add, renew, remove):
        p.add_argument("identifier", metavar="IDENTIFIER")
        p.add_argument("--server", required=True, metavar="ADDR:PORT")
        who = p.add_mutually_exclusive_group()
        who.add_argument("--tsig", metavar="[ALG:]NAME:SECRET", help="TSIG key, as dig -y")
        who.add_argument("--tsig-file", metavar="FILE", help="a file holding ALG:NAME:SECRET")
        p.add_argument("--key", metavar="KEYFILE", help="sign the descriptor with this key")
        p.add_argument("--zone", help="the zone (default: the one the server names)")
        p.add_argument("--root", default=root_default, help="DNS root suffix")
        p.add_argument("--udp", action="store_true", help="send over UDP (default TCP)")
        p.add_argument("--timeout", type=float, default=5.0)
        p.add_argument("--now", type=now_arg, default=None, help=NOW_HELP)
        p.set_defaults(parser=p)


def _cmd_live(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    if args.zone not in registry.zones:
        raise CidError(f"no zone {args.zone} in the registry")
    old = registry.zones[args.zone].live or LivePolicy()
    policy = LivePolicy(
        tsig_keys=old.tsig_keys,
        max_lease=args.max_lease or old.max_lease,
        default_lease=min(args.default_lease or old.default_lease, args.max_lease or old.max_lease),
        max_registrations=args.max_registrations or old.max_registrations,
    )
    agents = [VerifyKey.load(path) for path in args.agent_key or ()]
    for path in registry.enable_live(
        args.zone, policy, new_tsig=args.tsig_key or (), agent_keys=agents
    ):
        print(f"wrote {path.relative_to(registry.path)}", file=out)
    if agents:
        print(f"now run: cid zone build {args.registry}  (the parent lists the keys)", file=out)
    return 0


def add_zone_command(sub: Any) -> None:
    p = sub.add_parser("live", help="open a zone to live registration (cid register)")
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("--zone", required=True)
    p.add_argument("--tsig-key", action="append", metavar="NAME", help="create a TSIG key")
    p.add_argument("--agent-key", action="append", metavar="PUB", help="trust this public key")
    p.add_argument("--max-lease", type=duration, default=None, metavar="DURATION")
    p.add_argument("--default-lease", type=duration, default=None, metavar="DURATION")
    p.add_argument("--max-registrations", type=int, default=None, metavar="N")
    p.set_defaults(run=_cmd_live)
