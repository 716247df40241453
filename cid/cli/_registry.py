"""``cid registry init``, ``cid zone add``, ``cid source add|list|remove`` and
``cid key rollover``: starting and running a registry (spec/resolution.md §7.8).

Drivers: they read the clock once (``--now`` overrides it) and call the registry's
functions in :mod:`cid.registry`, which do the work and raise a ``CidError`` for
every misuse (exit status 65, as the other data errors).
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any, TextIO

from ..registry import (
    Registry,
    add_child_zone,
    add_source,
    init_registry,
    list_sources,
    remove_source,
    retire_wait,
    rollover,
)
from ._descriptor import NOW_HELP, iso_time, now_arg
from ._register import parse_endpoint

__all__ = ["add_commands"]

_NS_HELP = (
    "a name server of the zone and its address (repeatable; a name outside the zone "
    "may go without =ADDR; default ns1.<zone>=127.0.0.1)"
)


def _now(args: argparse.Namespace) -> int:
    # The driver reads the clock once; everything below gets this number.
    return int(args.now) if args.now is not None else int(dt.datetime.now(dt.UTC).timestamp())


def _when(seconds: int) -> str:
    return f"{seconds} ({iso_time(seconds)})"


def _cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    registry = init_registry(args.path, args.root, args.ns or (), now=_now(args))
    cfg = registry.zones[registry.root]
    print(f"created registry {registry.path} with root zone {registry.root}", file=out)
    print(f"  key      zones/{registry.root}/keys/{cfg.keys[0]}.key (mode 0600)", file=out)
    for ns in cfg.settings.nameservers:
        print(f"  server   {ns.name} {' '.join(ns.addresses)}".rstrip(), file=out)
    print(f"  anchor   {registry.path / 'anchor.json'}", file=out)
    return 0


def _cmd_zone_add(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    cfg = add_child_zone(registry, args.zone, args.ns or ())
    print(f"added zone {cfg.name} below {cfg.parent}, key {cfg.keys[0]}", file=out)
    print(f"now run: cid zone build {args.registry}  (the parent signs its delegation)", file=out)
    return 0


def _cmd_source_add(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    endpoints = [parse_endpoint(text) for text in args.endpoint]
    path = add_source(registry, args.identifier, endpoints, now=_now(args))
    print(f"wrote {path.relative_to(registry.path)}", file=out)
    print(f"now run: cid zone build {args.registry}  (signs it)", file=out)
    return 0


def _cmd_source_list(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    for entry in list_sources(registry):
        print(f"{entry.zone}  {entry.subject}  {entry.path.relative_to(registry.path)}", file=out)
    return 0


def _cmd_source_remove(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    for path in remove_source(registry, args.identifier):
        print(f"removed {path.relative_to(registry.path)}", file=out)
    return 0


def _cmd_rollover(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    now = _now(args)
    step = rollover(registry, args.zone, now=now, finish=True if args.finish else None)
    state = step.state
    for path in step.written:
        print(f"signed  {path.relative_to(registry.path)}", file=out)
    if step.rotation is not None:
        for path in step.rotation:
            print(f"wrote   {path.relative_to(registry.path)}  (anchor rotation)", file=out)
    if step.done == "started":
        wait = retire_wait(registry, step.zone)
        print(
            f"started the rollover of {step.zone}: new key {state.new} listed beside "
            f"{state.old}, which still signs\n"
            f"the new key signs from the first `cid zone build` at or after "
            f"{_when(state.sign_from)}\n"
            f"then run `cid key rollover {args.registry} {step.zone}` again {wait} s after "
            "that build to retire the old key",
            file=out,
        )
    else:
        print(f"retired key {state.old} of {step.zone}; {state.new} alone signs", file=out)
    return 0


def _subcommands(parser: argparse.ArgumentParser) -> Any:
    """The subcommands of an existing command (``zone``, ``key``), to add to them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError(f"{parser.prog} has no subcommands")  # pragma: no cover


def _parser(sub: Any, name: str, summary: str, example: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog="example:\n  " + example,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return p


def add_commands(commands: Any) -> None:
    """Add ``registry``, ``source``, ``zone add`` and ``key rollover`` to ``cid``."""
    reg = commands.add_parser("registry", help="start a registry of your own")
    sub = reg.add_subparsers(dest="registry_command", required=True, metavar="SUBCOMMAND")
    p = _parser(
        sub,
        "init",
        "create a registry with its root zone, the zone's key, name servers and anchor.json",
        "cid registry init reg --root ucid.example --ns ns1.ucid.example=192.0.2.53",
    )
    p.add_argument("path", metavar="DIR", help="a new or empty folder")
    p.add_argument("--root", required=True, metavar="NAME", help="the root zone R")
    p.add_argument("--ns", action="append", metavar="NAME=ADDR", help=_NS_HELP)
    p.add_argument("--now", type=now_arg, default=None, help=NOW_HELP)
    p.set_defaults(run=_cmd_init)

    p = _parser(
        _subcommands(commands.choices["zone"]),
        "add",
        "add a zone below the closest enclosing zone, with its own key and name servers; "
        "the parent signs its delegation at the next `cid zone build`",
        "cid zone add reg acme.ucid.example --ns ns1.acme.ucid.example=192.0.2.54",
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("zone", metavar="ZONE", help="the zone name, such as _cn-sh.acme.ucid.example")
    p.add_argument("--ns", action="append", metavar="NAME=ADDR", help=_NS_HELP)
    p.set_defaults(run=_cmd_zone_add)

    src = commands.add_parser("source", help="the descriptors a registry signs")
    sub = src.add_subparsers(dest="source_command", required=True, metavar="SUBCOMMAND")
    p = _parser(
        sub,
        "add",
        "write the source of an identifier into its zone (the deepest one it is under); "
        "`cid zone build` signs it",
        "cid source add reg 'ucid:acme/cn-sh/x86-64-v3/cpu=64' "
        "--endpoint 'https://api.acme.example:443?alpn=h2'",
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("identifier", metavar="IDENTIFIER")
    p.add_argument(
        "--endpoint",
        action="append",
        required=True,
        metavar="URL",
        help="[TRANSPORT+]PROTOCOL://HOST:PORT[?alpn=h2,h3&priority=1&weight=0&region=R] "
        "(repeatable), as cid register reads it",
    )
    p.add_argument("--now", type=now_arg, default=None, help=NOW_HELP)
    p.set_defaults(run=_cmd_source_add)
    p = _parser(sub, "list", "list every source: zone, subject, file", "cid source list reg")
    p.add_argument("registry", metavar="REGISTRY")
    p.set_defaults(run=_cmd_source_list)
    p = _parser(
        sub,
        "remove",
        "remove an identifier's source and its signed descriptor",
        "cid source remove reg 'ucid:acme/cn-sh/x86-64-v3/cpu=64'",
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("identifier", metavar="IDENTIFIER")
    p.set_defaults(run=_cmd_source_remove)

    p = _parser(
        _subcommands(commands.choices["key"]),
        "rollover",
        "replace a zone's key: the first run lists a new key beside the old one, a second "
        "run (or --finish) retires the old key once it is safe (spec/resolution.md §7.8)",
        "cid key rollover reg acme.ucid.example   # start; the same again later to finish",
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("zone", metavar="ZONE")
    p.add_argument(
        "--finish", action="store_true", help="only finish a rollover under way, never start one"
    )
    p.add_argument("--now", type=now_arg, default=None, help=NOW_HELP)
    p.set_defaults(run=_cmd_rollover)
