"""``cid key ...`` and ``cid descriptor ...``: keys and signed descriptors on the command line.

This is a driver: it reads files and the clock, then calls the sans-IO core in
``_descriptor`` with the time passed in.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from .. import _cose
from .._descriptor import DEFAULT_SKEW, TYP_DELEGATION, Delegation, Descriptor
from .._descriptor_json import (
    delegation_json,
    descriptor_from_json,
    descriptor_json,
    kid_text,
    loads,
)
from .._errors import (
    CidError,
    CriticalExtensionError,
    DescriptorError,
    EncodingError,
    ExpiredError,
    IdentifierError,
    KeyFileError,
    NotYetValidError,
    OversizeError,
    RollbackError,
    SignatureError,
    UnknownKeyError,
)
from .._keys import SigningKey, VerifyKey
from .._register import RegisterError, RegisterRefused
from .._signed import decode_unverified, sign, verify, verify_delegation
from .._time import iso_time, parse_time
from ..atomic import write_atomic
from ._help import example

__all__ = ["EXIT_CODES", "NOW_HELP", "add_commands", "exit_code", "iso_time", "now_arg"]

#: Exit status for each failure, most specific class first (README, `cid --help`).
EXIT_CODES: Final[tuple[tuple[type[BaseException], int, str], ...]] = (
    (SignatureError, 10, "bad signature"),
    (UnknownKeyError, 11, "unknown key id"),
    (ExpiredError, 12, "expired"),
    (NotYetValidError, 13, "not yet valid"),
    (RollbackError, 14, "rollback: lower version than one seen"),
    (CriticalExtensionError, 15, "unknown critical extension"),
    (OversizeError, 16, "oversize"),
    (EncodingError, 65, "bad encoding"),
    (IdentifierError, 65, "invalid identifier"),
    (DescriptorError, 17, "not trusted"),
    (KeyFileError, 78, "unusable key file"),
    (RegisterRefused, 77, "refused"),
    (RegisterError, 69, "no answer"),
    (CidError, 65, "error"),
    (FileNotFoundError, 66, "no such file"),
    (OSError, 74, "input/output error"),
)


def exit_code(exc: BaseException) -> int:
    for cls, code, _ in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


# ------------------------------------------------------------------- helpers

_DURATION: Final = re.compile(r"([0-9]+)([smhd]?)")
_SECONDS: Final = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> int:
    m = _DURATION.fullmatch(text.strip())
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 3600, 90m, 12h, 7d")
    return int(m.group(1)) * _SECONDS[m.group(2)]


def now_arg(text: str) -> int:
    """A ``--now`` value: seconds since the epoch, or ISO 8601 with a zone
    (``2026-12-06T00:00:00Z``)."""
    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


#: The help of every --now option.
NOW_HELP: Final = (
    "the time to act at: ISO 8601 (2026-12-06T00:00:00Z) or epoch seconds (default: the clock)"
)


def _now(args: argparse.Namespace) -> int:
    # The driver reads the clock once; the core only ever sees this number.
    return int(args.now) if args.now is not None else int(dt.datetime.now(dt.UTC).timestamp())


def _read_record(path: str) -> bytes:
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    stripped = data.strip()
    # Accept base64 too, as `cid descriptor sign --base64` prints it.
    if stripped and stripped[:1] != b"\xd2" and re.fullmatch(rb"[A-Za-z0-9+/=_-]+", stripped):
        try:
            return base64.urlsafe_b64decode(stripped + b"=" * (-len(stripped) % 4))
        except ValueError:
            pass
    return data


def _load_verify_keys(paths: Sequence[str]) -> list[VerifyKey]:
    keys = []
    for path in paths:
        text = Path(path).read_text("ascii", errors="replace")
        if "PRIVATE KEY" in text:
            keys.append(SigningKey.load(path).verify_key)
        else:
            keys.append(VerifyKey.load(path))
    return keys


def _human(rec: Descriptor | Delegation, kid: bytes | None, verified: bool) -> str:
    rows: list[tuple[str, str]] = [
        ("status", "VERIFIED" if verified else "NOT VERIFIED (signature not checked)"),
    ]
    if kid is not None:
        rows.append(("key id", kid_text(kid)))
    if isinstance(rec, Descriptor):
        rows += [("issuer", rec.issuer), ("subject", rec.subject), ("version", str(rec.version))]
    else:
        rows += [("parent", rec.parent), ("child", rec.child), ("version", str(rec.version))]
        rows += [("key", kid_text(k.kid)) for k in rec.keys]
    rows += [
        ("issued at", iso_time(rec.issued_at)),
        ("valid", f"{iso_time(rec.not_before)} .. {iso_time(rec.expires)}"),
    ]
    if isinstance(rec, Descriptor):
        for i, e in enumerate(rec.endpoints):
            where = f"{e.transport}/{e.protocol} {e.host} port {e.port}"
            extra = f"priority {e.priority} weight {e.weight}"
            if e.alpn:
                extra += f" alpn {','.join(e.alpn)}"
            if e.region:
                extra += f" region {e.region}"
            rows.append(("endpoints" if i == 0 else "", f"{where}  ({extra})"))
        for i, cap in enumerate(rec.capabilities):
            rows.append(("capabilities" if i == 0 else "", cap))
        if rec.crit:
            rows.append(("critical ext", ", ".join(rec.crit)))
    return "\n".join(f"{k:<13} {v}".rstrip() for k, v in rows)


# ------------------------------------------------------------------ commands


def _cmd_key_gen(args: argparse.Namespace, out: TextIO) -> int:
    key = SigningKey.generate()
    path = Path(args.path)
    public = path.with_name(path.name + ".pub")
    if not args.force and (there := [str(p) for p in (path, public) if p.exists()]):
        # Before writing either file: never a new private key beside an old public one.
        raise KeyFileError(f"{there[0]} exists; give --force to replace it")
    try:
        key.save(path, overwrite=args.force)
        key.verify_key.save(public, overwrite=args.force)
    except KeyFileError as exc:
        cause = exc.__cause__
        if isinstance(cause, FileExistsError):  # created meanwhile
            where = cause.filename2 or path
            raise KeyFileError(f"{where} exists; give --force to replace it") from None
        raise
    if args.json:
        print(
            json.dumps({"private": str(path), "public": f"{path}.pub", "kid": kid_text(key.kid)}),
            file=out,
        )
    else:
        print(
            f"private key  {path}  (mode 0600)\npublic key   {path}.pub\nkey id       "
            f"{kid_text(key.kid)}",
            file=out,
        )
    return 0


def _cmd_key_show(args: argparse.Namespace, out: TextIO) -> int:
    (key,) = _load_verify_keys([args.path])
    if args.json:
        print(json.dumps({"kid": kid_text(key.kid), "public": bytes(key).hex()}), file=out)
    else:
        print(f"key id       {kid_text(key.kid)}\npublic key   {bytes(key).hex()}", file=out)
    return 0


def _cmd_sign(args: argparse.Namespace, out: TextIO) -> int:
    text = sys.stdin.read() if args.spec == "-" else Path(args.spec).read_text("utf-8")
    try:
        spec = loads(text)
    except EncodingError as exc:
        raise EncodingError(f"{args.spec}: {exc}") from None
    rec = descriptor_from_json(spec, _now(args), args.valid_for)
    signed = sign(rec, SigningKey.load(args.key))
    if args.output:
        write_atomic(Path(args.output), signed)
        print(
            f"signed {rec.subject} version {rec.version}: {len(signed)} bytes -> {args.output}",
            file=out,
        )
    else:
        print(base64.urlsafe_b64encode(signed).decode("ascii").rstrip("="), file=out)
    return 0


_DELEGATION_TYP: Final = TYP_DELEGATION.encode("ascii")


def _cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    data = _read_record(args.record)
    keys = _load_verify_keys(args.key)
    now = _now(args)
    seen: dict[str, Any] = {}
    for path in args.seen or ():
        _, old = decode_unverified(_read_record(path))  # local state, trusted as accepted before
        seen[old.subject if isinstance(old, Descriptor) else old.child] = old
    rec: Descriptor | Delegation
    if _DELEGATION_TYP in data[:120]:  # the typ is in the protected header, near the start
        rec = verify_delegation(
            data, keys, now=now, seen_versions=seen, skew=args.skew, issuer=args.issuer
        )
    else:  # verify() is the judge of everything else, tampered records included
        rec = verify(
            data,
            keys,
            now=now,
            seen_versions=seen,
            skew=args.skew,
            issuer=args.issuer,
            extensions=args.extension or (),
        )
    header, _ = decode_unverified(data)
    kid = header.get(_cose.HEADER_KID)
    if args.json:
        body = descriptor_json(rec) if isinstance(rec, Descriptor) else delegation_json(rec)
        # The record's own fields in the input form of spec/descriptor.md §13 (integer
        # seconds: it can be signed again); the time it was judged at, in ISO 8601.
        print(
            json.dumps({"verified": True, "kid": kid_text(kid), "now": iso_time(now), **body}),
            file=out,
        )
    else:
        print(_human(rec, kid, verified=True), file=out)
    return 0


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    data = _read_record(args.record)
    header, rec = decode_unverified(data)
    kid = header.get(_cose.HEADER_KID)
    if args.json:
        body = descriptor_json(rec) if isinstance(rec, Descriptor) else delegation_json(rec)
        print(
            json.dumps(
                {
                    "verified": False,
                    "header": {
                        "alg": header.get(_cose.HEADER_ALG),
                        "kid": kid_text(kid),
                        "typ": header.get(_cose.HEADER_TYP),
                    },
                    "size": len(data),
                    **body,
                },
                ensure_ascii=False,
            ),
            file=out,
        )
    else:
        print(_human(rec, kid, verified=False), file=out)
    return 0


def add_commands(commands: Any) -> None:
    """Add ``key`` and ``descriptor`` to the ``cid`` command's subparsers."""
    key = commands.add_parser("key", help="Ed25519 signing keys")
    sub = key.add_subparsers(dest="key_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser(
        "gen",
        help="generate a key pair: PATH (private, mode 0600), PATH.pub",
        **example("cid key gen agent.key"),
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(run=_cmd_key_gen)
    p = sub.add_parser(
        "show",
        help="key id (RFC 9679 thumbprint) and public key",
        **example("cid key show agent.key.pub"),
    )
    p.add_argument("path", metavar="PATH", help="a private or public key file")
    p.set_defaults(run=_cmd_key_show)
    for parser in sub.choices.values():
        parser.add_argument("--json", action="store_true", help="JSON for machines")

    desc = commands.add_parser(
        "descriptor",
        help="signed descriptors",
        epilog="Exit status: " + ", ".join(f"{c} {m}" for _, c, m in EXIT_CODES) + ".",
    )
    sub = desc.add_subparsers(dest="descriptor_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser(
        "sign",
        help="sign a descriptor described in JSON",
        **example(
            "cid descriptor sign /tmp/demo/zones/acme.hpc.ucid.example/sources/h100-sh.json "
            "--key agent.key -o h100.cose"
        ),
    )
    p.add_argument("spec", metavar="SPEC.json", help="'-' reads standard input")
    p.add_argument("--key", required=True, help="private key file")
    p.add_argument(
        "-o",
        "--output",
        help="write the signed record here (atomically); without it, print it in base64url",
    )
    p.add_argument(
        "--valid-for",
        type=duration,
        default=86400,
        help="when SPEC has no expires: validity after not_before (default 1d)",
    )
    p.set_defaults(run=_cmd_sign)
    p = sub.add_parser(
        "verify",
        help="verify a signed descriptor or delegation record",
        **example("cid descriptor verify h100.cose --key agent.key.pub"),
    )
    p.add_argument("record", metavar="RECORD", help="binary or base64; '-' reads stdin")
    p.add_argument(
        "--key",
        action="append",
        required=True,
        help="trusted key file (repeatable); selected by key id, never tried in turn",
    )
    p.add_argument(
        "--skew",
        type=int,
        default=DEFAULT_SKEW,
        help=f"clock skew allowed in seconds (default {DEFAULT_SKEW})",
    )
    p.add_argument("--issuer", help="require this issuing zone")
    p.add_argument(
        "--seen",
        action="append",
        metavar="RECORD",
        help="a record accepted earlier: lower versions are a rollback",
    )
    p.add_argument(
        "--extension",
        action="append",
        metavar="NAME",
        help="a critical extension this verifier understands",
    )
    p.set_defaults(run=_cmd_verify)
    p = sub.add_parser(
        "show",
        help="decode and show a record WITHOUT verifying it",
        **example("cid descriptor show h100.cose --json"),
    )
    p.add_argument("record", metavar="RECORD", help="binary or base64; '-' reads stdin")
    p.set_defaults(run=_cmd_show)
    for name, parser in sub.choices.items():
        parser.add_argument("--json", action="store_true", help="JSON for machines")
        if name in ("sign", "verify"):
            parser.add_argument("--now", type=now_arg, default=None, help=NOW_HELP)
