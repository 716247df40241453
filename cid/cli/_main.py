"""The ``cid`` command: ``cid id parse|canon|dns|match`` (more subcommands join later).

Exit status (sysexits.h where one fits): 0 success, 1 ``match`` found no match,
2 usage error, 65 invalid input (the message shows the input with a caret).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TextIO

from .. import __version__
from .._errors import CidError, IdentifierError
from .._identifier import Identifier, parse
from .._pattern import parse_pattern
from .._tables import ARCHITECTURES
from ..streams import guarded_streams
from . import _descriptor as _cli_descriptor
from . import _register as _cli_register
from . import _registry as _cli_registry
from . import _zone as _cli_zone
from ._help import example

__all__ = ["EXIT_DATAERR", "EXIT_NO_MATCH", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK: Final = 0
EXIT_NO_MATCH: Final = 1
EXIT_USAGE: Final = 2
EXIT_DATAERR: Final = 65
#: A demo identifier (cid demo init), for the examples.
_H100: Final = "'ucid:acme.hpc/cn-sh/x86-64-v4+sm90/acc=8;acc-model=h100;mem=2TiB'"
#: Root suffix used when neither --root nor CID_ROOT is given.
DEFAULT_ROOT: Final = "ucid.example"


def identifier_json(ident: Identifier, root: str | None = None) -> dict[str, Any]:
    """The JSON object ``cid id parse --json`` prints for one identifier."""
    out: dict[str, Any] = {
        "canonical": str(ident),
        "provider": ident.provider,
        "provider_unicode": ident.provider_unicode,
        "region": ident.region,
        "cpu": ident.cpu,
        "accelerators": list(ident.accelerators),
        "capabilities": [
            {"key": c.key, "type": c.type, "value": c.value, "text": str(c), "display": c.display()}
            for c in ident.capabilities
        ],
        # The registry's notes the text output shows: each architecture's description,
        # or that it is not registered (spec/registries/architectures.json).
        "architectures": [_architecture_json(name) for name in (ident.cpu, *ident.accelerators)],
    }
    if root is not None:
        out["dns_name"] = ident.to_dns_name(root)
    return out


def _architecture_json(name: str) -> dict[str, Any]:
    entry = ARCHITECTURES.get(name)
    return {
        "name": name,
        "registered": entry is not None,
        "kind": entry.kind if entry else None,
        "description": entry.description if entry else None,
    }


def _error_json(exc: IdentifierError) -> dict[str, Any]:
    return {"error": {"reason": exc.reason, "position": exc.position, "input": exc.text}}


def _describe(ident: Identifier, root: str) -> str:
    rows = [("canonical", str(ident))]
    provider = ident.provider
    if ident.provider_unicode != provider:
        provider += f"  ({ident.provider_unicode})"
    rows += [("provider", provider), ("region", ident.region)]
    for label, names in (("cpu", [ident.cpu]), ("accelerators", list(ident.accelerators))):
        for i, name in enumerate(names or ["-"]):
            entry = ARCHITECTURES.get(name)
            note = f"  {entry.description}" if entry else ("  (not registered)" if names else "")
            rows.append((label if i == 0 else "", name + note))
    for i, cap in enumerate(ident.capabilities or ()):
        shown = f"{cap.key} = {cap.display()}"
        if cap.display() != cap.value_text() and cap.type != "flag":
            shown += f"  ({cap.value_text()})"
        rows.append(("capabilities" if i == 0 else "", shown))
    rows.append(("dns name", ident.to_dns_name(root)))
    return "\n".join(f"{k:<13} {v}".rstrip() for k, v in rows)


def _each(
    inputs: Sequence[str],
    handle: Callable[[str], str | dict[str, Any]],
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    status = EXIT_OK
    for text in _expand(inputs):
        if getattr(out, "gone", False):  # `cid id canon - | head`: no one reads on
            break
        try:
            result = handle(text)
        except IdentifierError as exc:
            status = EXIT_DATAERR
            if as_json:
                print(json.dumps(_error_json(exc), ensure_ascii=False), file=out)
            print(f"cid: {exc}", file=err)
            continue
        if isinstance(result, dict):
            print(json.dumps(result, ensure_ascii=False), file=out)
        else:
            print(result, file=out)
    return status


def _expand(inputs: Sequence[str]) -> Iterable[str]:
    # "-" reads one input per line from standard input, for batches.
    for text in inputs:
        if text == "-":
            yield from (line.rstrip("\r\n") for line in sys.stdin if line.strip())
        else:
            yield text


def _cmd_parse(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    def handle(text: str) -> str | dict[str, Any]:
        ident = parse(text)
        if args.json:
            return identifier_json(ident, args.root)
        return _describe(ident, args.root)

    return _each(args.identifiers, handle, args.json, out, err)


def _cmd_canon(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    def handle(text: str) -> str | dict[str, Any]:
        canonical = str(parse(text))
        return {"input": text, "canonical": canonical} if args.json else canonical

    return _each(args.identifiers, handle, args.json, out, err)


def _cmd_dns(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    def handle(text: str) -> str | dict[str, Any]:
        if args.reverse:
            ident = Identifier.from_dns_name(text, args.root)
            name = ident.to_dns_name(args.root)
        else:
            ident = parse(text)
            name = ident.to_dns_name(args.root)
        if args.json:
            return {"identifier": str(ident), "dns_name": name, "root": args.root}
        return str(ident) if args.reverse else name

    return _each(args.inputs, handle, args.json, out, err)


def _cmd_match(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        pattern = parse_pattern(args.pattern)
    except IdentifierError as exc:
        if args.json:
            print(json.dumps(_error_json(exc), ensure_ascii=False), file=out)
        print(f"cid: {exc}", file=err)
        return EXIT_DATAERR
    matched = 0

    def handle(text: str) -> str | dict[str, Any]:
        nonlocal matched
        ident = parse(text)
        ok = pattern.matches(ident)
        matched += ok
        if args.json:
            return {"pattern": str(pattern), "identifier": str(ident), "matches": ok}
        return f"{'match' if ok else 'no match'}  {ident}"

    status = _each(args.identifiers, handle, args.json, out, err)
    if status == EXIT_OK and not matched:
        return EXIT_NO_MATCH
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cid",
        description="Unified Compute Identifiers: parse, canonicalise, map to DNS, match.",
        epilog="Exit status: 0 ok, 1 no match (cid id match), 2 usage error, 65 invalid input.",
    )
    parser.add_argument("--version", action="version", version=f"cid {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ids = commands.add_parser("id", help="identifiers and patterns")
    sub = ids.add_subparsers(dest="id_command", required=True, metavar="SUBCOMMAND")
    root_help = f"DNS root suffix (default: $CID_ROOT or {DEFAULT_ROOT})"
    root_default = os.environ.get("CID_ROOT", DEFAULT_ROOT)

    p = sub.add_parser(
        "parse",
        help="parse identifiers and show their components",
        **example(f"cid id parse {_H100}"),
    )
    p.add_argument("identifiers", nargs="+", metavar="IDENTIFIER", help="'-' reads stdin lines")
    p.add_argument("--root", default=root_default, help=root_help)
    p.set_defaults(run=_cmd_parse)

    p = sub.add_parser(
        "canon",
        help="print the canonical form",
        **example("cid id canon 'ucid:ACME.hpc/cn-sh/x86-64-v4+sm90/mem=2048GiB;acc=8'"),
    )
    p.add_argument("identifiers", nargs="+", metavar="IDENTIFIER", help="'-' reads stdin lines")
    p.set_defaults(run=_cmd_canon)

    p = sub.add_parser(
        "dns",
        help="map identifiers to DNS names (or back with --reverse)",
        **example(
            f"cid id dns {_H100}",
            "cid id dns --reverse "
            "_acc_8._acc-model_h100._mem_2199023255552b._x86-64-v4_sm90._cn-sh.acme.hpc.ucid.example.",
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="IDENTIFIER|NAME", help="'-' reads stdin lines")
    p.add_argument("--root", default=root_default, help=root_help)
    p.add_argument("--reverse", action="store_true", help="map DNS names to identifiers")
    p.set_defaults(run=_cmd_dns)

    p = sub.add_parser(
        "match",
        help="test identifiers against a discovery pattern",
        **example(f"cid id match 'ucid:*/cn-*/x86-64-v4+sm90/acc>=8' {_H100}"),
    )
    p.add_argument("pattern", metavar="PATTERN")
    p.add_argument("identifiers", nargs="+", metavar="IDENTIFIER", help="'-' reads stdin lines")
    p.set_defaults(run=_cmd_match)

    for action in sub.choices.values():
        action.add_argument("--json", action="store_true", help="JSON lines for machines")

    _cli_descriptor.add_commands(commands)
    _cli_zone.add_commands(commands)
    _cli_register.add_commands(commands, root_default)
    _cli_registry.add_commands(commands)
    return parser


def _run_reporting(args: argparse.Namespace) -> int:
    """Run a command, turning each failure into its exit status (see ``EXIT_CODES``)."""
    try:
        status: int = args.run(args, sys.stdout)
    except (CidError, OSError) as exc:
        what = next((m for cls, _, m in _cli_descriptor.EXIT_CODES if isinstance(exc, cls)), "")
        print(f"cid: {what}: {exc}", file=sys.stderr)
        return _cli_descriptor.exit_code(exc)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    # A reader that goes away (`cid zone export R | head -1`) silences the output; the
    # command still ends its work and exits with its own status, with no traceback.
    with guarded_streams():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "id":
        return _run_reporting(args)
    try:
        status: int = args.run(args, sys.stdout, sys.stderr)
    except CidError as exc:  # e.g. a bad --root
        print(f"cid: {exc}", file=sys.stderr)
        return EXIT_DATAERR
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
