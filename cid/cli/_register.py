"""``cid register add|renew|remove|status`` (the agent's side) and ``cid zone live`` (the
operator's).

Drivers: they read key files and the clock, then call ``_register`` and ``Registry``.
"""

from __future__ import annotations

import argparse
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any, Final, TextIO

from .._descriptor import Endpoint
from .._errors import CidError
from .._keys import SigningKey, VerifyKey
from .._register import deregister, register, register_status
from .._status import MAX_STATUS_VALIDITY, status_json
from .._units import quantity
from ..registry import LivePolicy, Registry, parse_tsig
from ..server import parse_listen
from ._descriptor import NOW_HELP, duration, iso_time, now_arg
from ._help import example

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


_UNITS_FORM: Final = "KEY=FREE/TOTAL[;KEY=FREE/TOTAL]..."
_PRICE_FORM: Final = "CURRENCY AMOUNT per [QUANTITY] UNIT|instance per PERIOD [terms URL]"
_PRICE: Final = re.compile(
    r"(?P<currency>\S+) (?P<amount>\S+) per (?:(?P<quantity>[0-9]\S*) )?(?P<unit>\S+)"
    r" per (?P<period>\S+)(?: terms (?P<terms>\S+))?"
)


def _amount(text: str) -> int:
    """A count (``8``) or a quantity with its unit (``256GiB``, ``10Gbps``), canonical."""
    if text.isdigit():
        return int(text)
    try:
        return quantity(text)[1]
    except (KeyError, ValueError, IndexError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a count nor a quantity such as 256GiB"
        ) from None


def units_arg(text: str) -> dict[str, dict[str, int]]:
    """``acc=3/8;mem=256GiB/1TiB``: free and total of each capability key, in the JSON form
    of spec/status.md §9 (the units in canonical form)."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, eq, pair = part.partition("=")
        free, slash, total = pair.partition("/")
        if not (eq and slash and key):
            raise argparse.ArgumentTypeError(f"{part!r} is not {_UNITS_FORM}")
        out[key.strip()] = {"free": _amount(free.strip()), "total": _amount(total.strip())}
    if not out:
        raise argparse.ArgumentTypeError(f"units are written {_UNITS_FORM}")
    return out


def price_arg(text: str) -> dict[str, Any]:
    """``CNY 12.5 per acc per 3600s``, ``EUR 0.004 per 1GiB mem per 1h terms https://...``,
    ``USD 2 per instance per 60s``: one price, in the JSON form of spec/status.md §9."""
    m = _PRICE.fullmatch(" ".join(text.split()))
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not {_PRICE_FORM}")
    price: dict[str, Any] = {
        "currency": m["currency"],
        "amount": m["amount"],
        "quantity": _amount(m["quantity"]) if m["quantity"] else 1,
        "period": duration(m["period"]),
    }
    if m["unit"] != "instance":
        price["unit"] = m["unit"]
    if m["terms"]:
        price["terms"] = m["terms"]
    return price


def _permille(text: str) -> int:
    """``650`` (permille) or ``65%``."""
    try:
        return int(text[:-1]) * 10 if text.endswith("%") else int(text)
    except ValueError:
        why = f"{text!r} is not a permille (650) or a percentage (65%)"
        raise argparse.ArgumentTypeError(why) from None


def _yes_no(text: str) -> bool:
    if text.lower() in ("yes", "true", "1"):
        return True
    if text.lower() in ("no", "false", "0"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r}: say yes or no")


def _cmd_status(args: argparse.Namespace, out: TextIO) -> int:
    if not 1 <= args.valid_for <= MAX_STATUS_VALIDITY:
        args.parser.error(f"--valid-for is 1 s to {MAX_STATUS_VALIDITY} s")
    fields: dict[str, Any] = {"subject": args.identifier, "accepting": args.accepting}
    optional = {
        "units": args.units,
        "utilisation": args.utilisation,
        "queue_wait": args.wait,
        "prices": args.price,
        "version": args.version,
    }
    fields.update({k: v for k, v in optional.items() if v is not None})
    status = register_status(
        parse_listen(args.server),
        fields,
        root=args.root,
        signing_key=SigningKey.load(args.key),
        zone=args.zone,
        valid_for=args.valid_for,
        now=args.now,
        tcp=not args.udp,
        timeout=args.timeout,
    )
    if args.json:
        print(json.dumps(status_json(status), indent=2), file=out)
    else:
        print(
            f"published the status of {status.subject} (descriptor version "
            f"{status.descriptor_version}): version {status.version}, "
            f"until {iso_time(status.expires)}",
            file=out,
        )
    return 0


#: The demo identifier (cid demo init) the examples register.
_DE_BY: Final = "'ucid:acme.hpc/de-by/x86-64-v4/cpu=8'"

_STATUS_EPILOG: Final = """\
examples:
  cid register status ucid:acme.hpc/de-by/x86-64-v4/cpu=8 --server 192.0.2.1:53 \\
      --key agent.key --units 'cpu=3/8;mem=256GiB/1TiB' --utilisation 62% --wait 90
  cid register status ... --accepting no --valid-for 5m
  cid register status ... --price 'CNY 12.5 per acc per 3600s' \\
      --price 'EUR 0.004 per 1GiB mem per 1h terms https://acme.example/terms'

The status is signed with --key (a key the zone trusts: its own or an agent key) for
the descriptor the server publishes now (its version is read from the server), and
valid from now for --valid-for. The server keeps it in memory only: publish again
before it expires, after each new descriptor, and after the server restarts
(spec/status.md §8.5).
"""


def add_commands(commands: Any, root_default: str) -> None:
    reg = commands.add_parser(
        "register",
        help="add, renew or remove live endpoints, or publish a status, at a running cid serve",
    )
    sub = reg.add_subparsers(dest="register_command", required=True, metavar="SUBCOMMAND")
    add = sub.add_parser(
        "add",
        help="register endpoints for a lease",
        **example(
            f"cid register add {_DE_BY} --server 127.0.0.1:5353 \\\n"
            "      --endpoint 'https://h8.acme.example:443' --lease 10m \\\n"
            "      --tsig-file /tmp/demo/zones/acme.hpc.ucid.example/tsig/agent1.key"
        ),
    )
    renew = sub.add_parser(
        "renew",
        help="the same as add: a registration replaces the last",
        **example(
            f"cid register renew {_DE_BY} --server 127.0.0.1:5353 \\\n"
            "      --key agent.key --endpoint 'https://h8.acme.example:443' --lease 10m"
        ),
    )
    remove = sub.add_parser(
        "remove",
        help="remove a registration",
        **example(f"cid register remove {_DE_BY} --server 127.0.0.1:5353 --key agent.key"),
    )
    status = sub.add_parser(
        "status",
        help="publish a signed status (free units, load, wait, prices) beside a descriptor",
        epilog=_STATUS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument(
        "--accepting", type=_yes_no, default=True, metavar="yes|no", help="new work taken now"
    )
    status.add_argument(
        "--units",
        type=units_arg,
        metavar="UNITS",
        help=f"{_UNITS_FORM}: free and total units, counts or quantities (mem=256GiB/1TiB)",
    )
    status.add_argument("--wait", type=duration, metavar="D", help="estimated queue wait")
    status.add_argument(
        "--utilisation", type=_permille, metavar="N", help="capacity in use: permille or N%%"
    )
    status.add_argument(
        "--price", action="append", type=price_arg, metavar="PRICE", help=f"{_PRICE_FORM}"
    )
    status.add_argument(
        "--valid-for", type=duration, default=120, metavar="D", help="validity (max 10m)"
    )
    status.add_argument("--version", type=int, help="the status's version (default: clock, ms)")
    status.add_argument("--json", action="store_true", help="show the status published")
    status.set_defaults(run=_cmd_status)
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
    for p in (add, renew, remove, status):
        p.add_argument("identifier", metavar="IDENTIFIER")
        p.add_argument("--server", required=True, metavar="ADDR:PORT")
        if p is status:
            p.add_argument("--key", required=True, metavar="KEYFILE", help="sign with this key")
        else:
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
    p = sub.add_parser(
        "live",
        help="open a zone to live registration (cid register)",
        **example(
            "cid zone live /tmp/demo --zone acme.hpc.ucid.example --tsig-key agent1 "
            "--agent-key agent.key.pub"
        ),
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("--zone", required=True)
    p.add_argument("--tsig-key", action="append", metavar="NAME", help="create a TSIG key")
    p.add_argument("--agent-key", action="append", metavar="PUB", help="trust this public key")
    p.add_argument("--max-lease", type=duration, default=None, metavar="DURATION")
    p.add_argument("--default-lease", type=duration, default=None, metavar="DURATION")
    p.add_argument("--max-registrations", type=int, default=None, metavar="N")
    p.set_defaults(run=_cmd_live)
