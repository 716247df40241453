"""``cid zone build|export|check``, ``cid serve`` and ``cid demo init|serve``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import dns.exception
import dns.zone

from .._descriptor import Descriptor
from .._errors import CidError
from .._identifier import parse
from .._signed import decode_unverified
from ..atomic import write_atomic
from ..layout import TYPE_DESCRIPTOR
from ..registry import (
    DEMO_POOL_PATTERN,
    DEMO_ROOT,
    Registry,
    parse_tsig,
    push,
    write_demo,
    write_demo_statuses,
    zone_text,
)
from ..server import (
    LiveUpdates,
    LogThread,
    QueryLog,
    ServeStats,
    parse_listen,
    serve_registry,
    start_logging,
)
from . import _register as _cli_register
from . import _secondary as _cli_secondary
from ._descriptor import NOW_HELP, now_arg
from ._help import example
from ._output import Progress

__all__ = ["add_commands"]


def _now(args: argparse.Namespace) -> int:
    return int(args.now) if getattr(args, "now", None) is not None else int(time.time())


def _cmd_build(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    progress = Progress("zone build", quiet=args.quiet)
    checked = 0

    def report(event: str, path: Path) -> None:
        nonlocal checked
        if event == "checked":
            checked += 1
            progress(checked, note=f"records checked  {path.parent.parent.name}")
            return
        progress.done()  # each file as it goes, not all of them at the end
        print(f"{event:<7} {path.relative_to(registry.path)}", file=out, flush=True)

    try:
        written = registry.build(now=_now(args), report=report, workers=args.workers)
    finally:
        progress.done()
    print(f"{len(written)} file(s) written", file=out)
    return 0


def _cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    names = args.zone or sorted(registry.zones)
    if len(names) > 1 and not args.output:
        print("cid: several zones: give -o DIRECTORY", file=sys.stderr)
        return 2
    status = 0
    progress = Progress("zone export", quiet=args.quiet)
    for i, name in enumerate(names):
        if name not in registry.zones:
            print(f"cid: no zone {name} in the registry", file=sys.stderr)
            return 65
        progress(i, len(names), name)
        zone, problems = registry.assemble(name, now=_now(args))
        progress.done()
        for problem in problems:
            print(f"cid: left out: {problem}", file=sys.stderr)
            status = 1
        text = zone_text(zone)
        if args.output is None:
            out.write(text)
            continue
        target = Path(args.output)
        if len(names) > 1 or target.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            target = target / f"{name}.zone"
        write_atomic(target, text.encode("utf-8"))
        print(f"wrote {target}", file=out)
    return status


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.path)
    if path.is_file():
        problems = _check_zone_file(path, args.origin)
    else:
        problems = [str(p) for p in Registry.load(path).check(now=_now(args))]
    for problem in problems:
        print(problem, file=out)
    print(f"{len(problems)} problem(s)", file=out)
    return 1 if problems else 0


def _cmd_push(args: argparse.Namespace, out: TextIO) -> int:
    registry = Registry.load(args.registry)
    if args.zone not in registry.zones:
        print(f"cid: no zone {args.zone} in the registry", file=sys.stderr)
        return 65
    zone, problems = registry.assemble(args.zone, now=_now(args))
    for problem in problems:
        print(f"cid: left out: {problem}", file=sys.stderr)
    host, port = parse_listen(args.server)
    key = parse_tsig(args.tsig) if args.tsig else None
    result = push(zone, host, port, key=key, timeout=args.timeout)
    print(
        f"pushed {args.zone} to {host} port {port}: {result.updated} name(s) updated, "
        f"{result.removed} removed, {result.messages} UPDATE message(s)",
        file=out,
    )
    return 0


def _check_zone_file(path: Path, origin: str | None) -> list[str]:
    try:
        zone = dns.zone.from_file(str(path), origin=origin, relativize=False)
    except dns.exception.SyntaxError as exc:
        return [f"{path}: {exc}"]
    except (dns.exception.DNSException, OSError, UnicodeError) as exc:
        return [f"{path}: {type(exc).__name__}: {exc}"]
    problems = []
    for name, node in zone.nodes.items():
        rds = node.get_rdataset(dns.rdataclass.IN, TYPE_DESCRIPTOR)
        if rds is None:
            continue
        for rdata in rds:
            try:
                _, rec = decode_unverified(rdata.data)
                if not isinstance(rec, Descriptor):
                    raise CidError("not a descriptor")
                # The owner is the subject's name under some root: whole labels.
                owner = parse(rec.subject).to_dns_name("")
                if not name.to_text().startswith(owner):
                    raise CidError(f"holds {rec.subject}, whose name is not {name}")
            except CidError as exc:
                problems.append(f"{path}: {name} TYPE65280: {exc}")
    return problems


def _configure_logging(args: argparse.Namespace) -> LogThread:
    # Rate-limited, and written by a thread: a flood or a stuck log reader must not
    # set the log's volume or stall answers and shutdown.
    return start_logging(level=logging.DEBUG if args.verbose else logging.INFO)


def _cmd_compile(args: argparse.Namespace, out: TextIO) -> int:
    registry = Path(args.registry)
    progress = Progress(f"zone compile {args.registry}", quiet=args.quiet)

    def loading(step: str, done: int, total: int) -> None:
        progress(done or None, total or None, step)

    try:
        live = LiveUpdates(registry, args.zone or (), now=_now(args), progress=loading)
        progress(note="writing the images")
        written = live.write_images()
    finally:
        progress.done()
    for zone, image in sorted(live.from_images().items()):
        print(f"up to date {zone}: {image.relative_to(registry)}", file=out)
    for path in written:
        print(f"written    {path.relative_to(registry)}", file=out)
    return 0


def _cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    if args.workers < 1:
        raise CidError("--workers: at least 1")
    if args.workers > 1 and (args.metrics or args.query_log):
        # The workers' answers would be missing from both.
        raise CidError("--workers with --metrics or --query-log: not supported")
    logs = _configure_logging(args)
    listen = [parse_listen(x) for x in args.listen or ["127.0.0.1:5353"]]
    with contextlib.ExitStack() as service:
        service.callback(logs.stop)
        stats = None
        if args.metrics or args.query_log:
            query_log = None
            if args.query_log:
                query_log = QueryLog(args.query_log)
                service.callback(query_log.stop)
            stats = ServeStats(query_log)
        if args.metrics:
            from ..server import MetricsServer  # noqa: PLC0415 (prometheus_client: only here)

            assert stats is not None
            metrics = MetricsServer(stats, *parse_listen(args.metrics))
            service.enter_context(metrics)  # /healthz says 503 while the zones load
        return _serve(args, listen, stats, out)


def _serve(
    args: argparse.Namespace,
    listen: list[tuple[str, int]],
    stats: ServeStats | None,
    out: TextIO,
) -> int:
    progress = Progress(f"cid serve: loading {args.registry}", quiet=args.quiet)
    progress(note="assembling and indexing its zones")
    started = time.monotonic()

    def loading(step: str, done: int, total: int) -> None:
        # Reading and verifying is about half of a load: the time left is a guess from it.
        if step.startswith("reading") and done:
            left = (time.monotonic() - started) / done * (2 * total - done)
            progress(done, total, f"descriptors read ({step}), about {left:.0f} s left")
        else:
            progress(done or None, total or None, step)

    def ready(bound: list[tuple[str, int]]) -> None:
        progress.done()
        for host, port in bound:
            print(f"serving {args.registry} on {host} port {port}", file=out, flush=True)

    asyncio.run(
        serve_registry(
            Path(args.registry),
            listen,
            zones=args.zone or (),
            reload_interval=args.reload_interval,
            deep_interval=args.full_check_interval,
            ready=ready,
            stats=stats,
            workers=args.workers,
            progress=loading,
            images=not args.no_image,
        )
    )
    return 0


def _cmd_demo_init(args: argparse.Namespace, out: TextIO) -> int:
    registry = write_demo(Path(args.path), now=_now(args), address=args.address)
    print(f"wrote the demo registry ({len(registry.zones)} zones) to {registry.path}", file=out)
    return 0


def _cmd_demo_serve(args: argparse.Namespace, out: TextIO) -> int:
    with _configure_logging(args), tempfile.TemporaryDirectory(prefix="ucid-demo-") as tmp:
        host, port = parse_listen(args.listen)
        path = Path(args.path) if args.path else Path(tmp) / "registry"
        if not (path / "registry.json").exists():
            write_demo(path, now=int(time.time()), address=host)

        def ready(bound: list[tuple[str, int]]) -> None:
            h, p = bound[0]
            print(
                f"demo hierarchy under {DEMO_ROOT} on {h} port {p}; try:\n"
                f"  dig @{h} -p {p} +norec __enum.{DEMO_ROOT} PTR",
                file=out,
                flush=True,
            )

        asyncio.run(serve_registry(path, [(host, port)], reload_interval=2.0, ready=ready))
    return 0


def _cmd_demo_agent(args: argparse.Namespace, out: TextIO) -> int:
    """Sign new statuses for the demo's accelerator pools every ``--interval`` seconds and
    write them into the registry, where ``cid serve`` (or ``cid demo serve --path``)
    picks them up: free units, waits and prices wander as a busy provider's would."""
    registry = Registry.load(Path(args.registry))
    rng = random.Random(args.seed)
    try:
        while True:
            now = int(time.time())
            written = write_demo_statuses(registry, now, rng=rng)
            shown = ", ".join(
                f"{s.subject.split('/')[0][5:]}/{s.subject.split('/')[1]} "
                f"{s.units['acc'].free} free"
                for s in written
            )
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
            print(f"{when} signed {len(written)} statuses: {shown}", file=out, flush=True)
            if args.once:
                return 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0


def add_commands(commands: Any) -> None:
    zone = commands.add_parser("zone", help="the registry and its zones")
    sub = zone.add_subparsers(dest="zone_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser(
        "build",
        help="sign sources and delegations that need it",
        **example("cid zone build /tmp/demo"),
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes signing a zone of 1000 sources or more (default: one per core; 1: none)",
    )
    p.set_defaults(run=_cmd_build)
    p = sub.add_parser(
        "compile",
        help="write the compiled image of each zone, so that cid serve starts in seconds",
        description="Read, verify and assemble each zone of REGISTRY and write its compiled "
        "image to REGISTRY/.cache/, as cid serve does after a start that had none "
        "(spec/resolution.md 8.7.1). A zone whose image already stands in is left as it is.",
        **example("cid zone compile /srv/ucid/registry && cid serve /srv/ucid/registry"),
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("--zone", action="append", help="only this zone (repeatable)")
    p.set_defaults(run=_cmd_compile)
    p = sub.add_parser(
        "export",
        help="write RFC 1035 zone files",
        **example(
            "cid zone export /tmp/demo -o /tmp/demo-zones   # every zone, one file each",
            "cid zone export /tmp/demo --zone acme.hpc.ucid.example",
        ),
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("--zone", action="append", help="only this zone (repeatable)")
    p.add_argument("-o", "--output", help="file, or folder for several zones (default stdout)")
    p.set_defaults(run=_cmd_export)
    p = sub.add_parser(
        "check",
        help="check a registry or a zone file; report every problem",
        **example(
            "cid zone check /tmp/demo",
            "cid zone check /tmp/demo-zones/acme.hpc.ucid.example.zone",
        ),
    )
    p.add_argument("path", metavar="REGISTRY|ZONEFILE")
    p.add_argument("--origin", help="the zone file's origin, if it has no $ORIGIN")
    p.set_defaults(run=_cmd_check)
    p = sub.add_parser(
        "push",
        help="update a running primary (RFC 2136 UPDATE with TSIG)",
        **example(
            "cid zone push /tmp/demo --zone acme.hpc.ucid.example --server 127.0.0.1:5300 "
            "--tsig hmac-sha256:push:cJNY+U7vkiiuVRa0zNu0u0cr0dreUZR0WsUwkDDkWPs="
        ),
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("--zone", required=True)
    p.add_argument("--server", required=True, metavar="ADDR:PORT")
    p.add_argument("--tsig", metavar="[ALG:]NAME:SECRET", help="TSIG key, as dig -y")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(run=_cmd_push)
    for name in ("build", "export", "compile"):
        sub.choices[name].add_argument(
            "-q", "--quiet", action="store_true", help="no progress line on a terminal"
        )
    for parser in sub.choices.values():
        parser.add_argument("--now", type=now_arg, default=None, help=NOW_HELP)
    _cli_register.add_zone_command(sub)
    _cli_secondary.add_zone_command(sub)

    p = commands.add_parser(
        "serve",
        help="serve a registry over DNS (UDP and TCP)",
        **example(
            "cid serve /tmp/demo --listen 127.0.0.1:5353",
            "cid serve /tmp/demo --listen 127.0.0.1:5353 --metrics 127.0.0.1:9153",
        ),
    )
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument(
        "--listen",
        action="append",
        metavar="ADDR:PORT",
        help="address and port (repeatable; default 127.0.0.1:5353)",
    )
    p.add_argument("--zone", action="append", help="serve only this zone (repeatable)")
    p.add_argument(
        "--reload-interval",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="check folders and small files for a change this often (default 2)",
    )
    p.add_argument(
        "--full-check-interval",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="check every record file for a change in place this often (default 60)",
    )
    p.add_argument(
        "--metrics",
        metavar="ADDR:PORT",
        help="serve /metrics (Prometheus) and /healthz over HTTP here (off by default)",
    )
    p.add_argument(
        "--query-log",
        metavar="FILE",
        help="write one line per query to FILE (appended; - for standard error)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="answer UDP from N processes (this one and N-1 forked once loaded; default 1)",
    )
    p.add_argument(
        "--no-image",
        action="store_true",
        help="always read and assemble the zones; do not read or write the compiled zone "
        "images in REGISTRY/.cache (by default a start whose registry has not changed "
        "maps the image the last assembly wrote, and answers within seconds)",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress line on a terminal while loading"
    )
    p.set_defaults(run=_cmd_serve)

    demo = commands.add_parser("demo", help="the bundled demo hierarchy")
    sub = demo.add_subparsers(dest="demo_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser(
        "init", help="write the demo registry to a folder", **example("cid demo init /tmp/demo")
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("--address", default="127.0.0.1", help="address of every name server")
    p.add_argument("--now", type=now_arg, default=None, help=NOW_HELP)
    p.set_defaults(run=_cmd_demo_init)
    p = sub.add_parser(
        "serve",
        help="serve the demo hierarchy on loopback",
        **example(
            "cid demo serve --listen 127.0.0.1:5353",
            "cid demo serve --listen 127.0.0.1:5353 --path /tmp/demo   # keep the registry",
        ),
    )
    p.add_argument("--listen", default="127.0.0.1:5353", metavar="ADDR:PORT")
    p.add_argument("--path", help="use (or create) the demo registry here")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(run=_cmd_demo_serve)
    p = sub.add_parser(
        "agent",
        help="keep the demo's statuses changing (sign new ones every few seconds)",
        # Broken into lines here: the example's raw formatter shows the text as written.
        description=(
            "Sign new statuses for the demo's accelerator pools every few seconds and write\n"
            "them into the demo registry (zones/<zone>/status/), which cid serve reloads.\n"
            f"Then: cid-resolve --anchor REGISTRY/anchor.json --port PORT\n"
            f"  --schedule '{DEMO_POOL_PATTERN}' --need 'acc=8;mem=512GiB'"
        ),
        **example("cid demo agent /tmp/demo --interval 5"),
    )
    p.add_argument("registry", metavar="REGISTRY", help="the demo registry (cid demo init)")
    p.add_argument("--interval", type=float, default=5.0, metavar="SECONDS", help="default 5")
    p.add_argument("--once", action="store_true", help="sign and write once, then exit")
    p.add_argument("--seed", type=int, help="seed of the changes (repeatable runs)")
    p.set_defaults(run=_cmd_demo_agent)
