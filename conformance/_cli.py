"""``cid-conformance``: run the conformance suite against an implementation's adapter,
show requirement coverage, check an authoritative server, export the fixtures."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, NoReturn, TextIO

from cid.streams import guarded_streams

from ._adapter import Adapter, HelloError
from ._cases import (
    SUITE_VERSION,
    VECTORS,
    Case,
    ExpectedFailuresError,
    load_cases,
    read_expected_failures,
    select,
    vectors_digest,
)
from ._coverage import coverage
from ._report import Progress, junit, markdown, report_json, requirement_place, summary
from ._runner import run_cases

__all__ = ["EXIT_ADAPTER", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_ADAPTER: Final = 2
EXIT_USAGE: Final = 3


def reference_adapter() -> str:
    """The command of the reference adapter, with this Python."""
    return f"{shlex.quote(sys.executable)} -m conformance.adapters.reference"


class UsageError(Exception):
    """A usage error (exit status 3) with its message."""


def _cases(args: argparse.Namespace) -> list[Case]:
    try:
        return load_cases(Path(args.vectors))
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read the vectors in {args.vectors}: {exc}") from None


def _write(path: str | None, data: bytes | str) -> None:
    if path is None:
        return
    target = Path(path)
    try:
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


# ------------------------------------------------------------------- commands


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cases = _cases(args)
    command = args.adapter or reference_adapter()
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UsageError(f"--adapter: {exc}") from None
    if not argv:
        raise UsageError("--adapter is empty")
    expected: dict[str, str] = {}
    if args.expected_failures:
        try:
            expected = read_expected_failures(Path(args.expected_failures), (c.id for c in cases))
        except ExpectedFailuresError as exc:
            raise UsageError(str(exc)) from None
    wanted = select(cases, profiles=args.profile, ids=args.case, areas=args.area)
    if args.case and len(wanted) < len(set(args.case)):
        missing = sorted(set(args.case) - {c.id for c in wanted})
        raise UsageError(f"no active case has the id {', '.join(missing)}")
    adapter = Adapter(argv, suite=SUITE_VERSION)
    try:
        hello = adapter.start()
    except HelloError as exc:
        print(f"cid-conformance: adapter error: {exc}", file=err)
        tail = adapter.stderr_tail().strip()
        if tail:
            print(f"adapter stderr:\n{tail}", file=err)
        return EXIT_ADAPTER
    # Only what the adapter claims: its profiles and operations (ADAPTER.md §4.1).
    chosen = [c for c in wanted if c.profile in hello.profiles and c.operation in hello.operations]
    if not chosen:
        adapter.stop(graceful=True)
        claimed = ", ".join(sorted(hello.profiles)) or "none"
        print(
            f"cid-conformance: no case selected (the adapter claims profiles: {claimed})", file=err
        )
        return EXIT_USAGE
    fixtures = None
    if any(c.operation == "resolve" for c in chosen):
        # Only resolver runs serve DNS: the fixtures' servers are imported for them alone.
        fixtures = importlib.import_module("conformance._fixtures").FixtureSet(
            Path(__file__).resolve().parent
        )
    progress = Progress(err, enabled=None if not args.quiet else False)
    try:
        run = run_cases(
            chosen,
            adapter,
            timeout=args.timeout,
            expected_failures=expected,
            fixtures=fixtures,
            progress=progress,
        )
    finally:
        adapter.stop(graceful=True)
        if fixtures is not None:
            fixtures.close()
    run.selected = len(chosen)
    progress.finish()
    summary(run, command, out)
    data = report_json(
        run, suite=SUITE_VERSION, digest=vectors_digest(Path(args.vectors)), adapter=command
    )
    if args.json:
        _write(args.json, json.dumps(data, indent=1) + "\n")
    _write(args.junit, junit(run, adapter=command))
    _write(args.markdown, markdown(run, suite=SUITE_VERSION, adapter=command))
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file and args.github_summary:
        with open(summary_file, "a", encoding="utf-8") as f:
            f.write(markdown(run, suite=SUITE_VERSION, adapter=command))
    return run.exit_status


def _cmd_coverage(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cov = coverage(_cases(args))
    if args.json:
        print(
            json.dumps(
                {
                    "requirements": {
                        r: {
                            "spec": f,
                            "cases": cov.tested_by[r],
                            "untestable": cov.untestable.get(r),
                        }
                        for r, f in cov.requirements.items()
                    },
                    "uncovered": cov.uncovered,
                    "unknown": cov.unknown,
                },
                indent=1,
            ),
            file=out,
        )
    else:
        for req in cov.requirements:
            tested = cov.tested_by[req]
            if tested:
                shown = ", ".join(tested[:6]) + (
                    f", ... ({len(tested)} cases)" if len(tested) > 6 else ""
                )
                print(f"{requirement_place(req)}: {shown}", file=out)
            elif req in cov.untestable:
                print(f"{requirement_place(req)}: untestable: {cov.untestable[req]}", file=out)
            else:
                print(f"{requirement_place(req)}: NOT TESTED", file=out)
        covered = sum(1 for r in cov.requirements if cov.tested_by[r])
        print(
            f"{len(cov.requirements)} requirements: {covered} tested, "
            f"{len(cov.requirements) - covered - len(cov.uncovered)} untestable, "
            f"{len(cov.uncovered)} not tested",
            file=out,
        )
        for req, ids in sorted(cov.unknown.items()):
            print(f"cases name {req}, which the spec does not have: {', '.join(ids)}", file=err)
    return EXIT_OK if cov.ok else EXIT_FAILED


def _cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cases = select(_cases(args), profiles=args.profile, areas=args.area, ids=args.case)
    for c in cases:
        print(f"{c.id}\t{c.area}\t{c.operation}\t{','.join(c.requirements)}\t{c.comment}", file=out)
    return EXIT_OK if cases else EXIT_USAGE


def _cmd_server(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    run_server_mode = importlib.import_module("conformance._server_check").run_server_mode

    host, _, port_text = args.server.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"--server {args.server!r}: expected HOST:PORT")
    cases = select(_cases(args), profiles=["server"], ids=args.case, areas=args.area)
    if not cases:
        print("cid-conformance: no server case selected", file=err)
        return EXIT_USAGE
    raw: list[dict[str, Any]] = [
        {
            "id": c.id,
            "area": c.area,
            "operation": c.operation,
            "input": c.input,
            "expected": c.expected,
            "requirements": list(c.requirements),
            "comment": c.comment,
        }
        for c in cases
    ]
    results = run_server_mode(host.strip("[]"), int(port_text), raw)
    failed = 0
    for case, passed, detail in results:
        if not passed:
            failed += 1
            reqs = ", ".join(requirement_place(r) for r in case["requirements"])
            print(
                f"FAIL {case['id']}: {case['comment']}\n  requirements: {reqs}\n"
                f"  why: {detail}\n  reproduce: cid-conformance server --server "
                f"{args.server} --case {case['id']}",
                file=out,
            )
    print(f"{len(results) - failed} of {len(results)} server cases passed", file=out)
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_fixtures_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    export = importlib.import_module("conformance._fixtures").export

    written = export(Path(__file__).resolve().parent, Path(args.dir))
    print(f"wrote {len(written)} files to {args.dir}", file=out)
    return EXIT_OK


# --------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cid-conformance",
        description="The UCID conformance suite: vectors traced to the spec's requirements, "
        "run against an implementation through its adapter (conformance/ADAPTER.md).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  cid-conformance run --adapter 'node adapter.mjs' --junit report.xml\n"
        "  cid-conformance run --profile identifier --expected-failures xfail.txt\n"
        "  cid-conformance coverage\n"
        "  cid-conformance fixtures export zones/\n"
        "  cid-conformance server --server 127.0.0.1:5353",
    )
    parser.add_argument("--vectors", default=str(VECTORS), help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="run the suite against an adapter",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  cid-conformance run --adapter './my-adapter --json' "
        "--json report.json --junit report.xml --markdown report.md\n\n"
        "exit status: 0 passed, 1 conformance failures, 2 adapter or protocol error or "
        "partial run, 3 usage error or nothing selected",
    )
    run.add_argument(
        "--adapter",
        help="the adapter's command line (default: the reference adapter, this project's library)",
    )
    run.add_argument(
        "--profile",
        action="append",
        default=[],
        help="run only this profile (identifier, descriptor, resolver, status); repeatable",
    )
    run.add_argument("--area", action="append", default=[], help="run only this area; repeatable")
    run.add_argument("--case", action="append", default=[], help="run only this case; repeatable")
    run.add_argument(
        "--expected-failures",
        metavar="FILE",
        help="lines of 'CASE-ID reason': failures expected (one that passes fails)",
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds per request before the adapter is restarted (default 10)",
    )
    run.add_argument("--json", metavar="FILE", help="write the JSON report")
    run.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    run.add_argument("--markdown", metavar="FILE", help="write a Markdown summary")
    run.add_argument(
        "--github-summary",
        action="store_true",
        help="append the Markdown summary to $GITHUB_STEP_SUMMARY",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    run.set_defaults(func=_cmd_run)

    cov = sub.add_parser(
        "coverage",
        help="each requirement and the cases that test it",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  cid-conformance coverage --json > coverage.json",
    )
    cov.add_argument("--json", action="store_true", help="as JSON")
    cov.set_defaults(func=_cmd_coverage)

    lst = sub.add_parser(
        "list",
        help="list the cases",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  cid-conformance list --area dns-mapping",
    )
    lst.add_argument("--profile", action="append", default=[])
    lst.add_argument("--area", action="append", default=[])
    lst.add_argument("--case", action="append", default=[])
    lst.set_defaults(func=_cmd_list)

    srv = sub.add_parser(
        "server",
        help="check an authoritative server loaded with the fixture zones",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  cid-conformance server --server 127.0.0.1:5353   "
        "# a server loaded with the zones of: cid-conformance fixtures export /tmp/zones",
    )
    srv.add_argument("--server", required=True, metavar="HOST:PORT")
    srv.add_argument("--case", action="append", default=[])
    srv.add_argument("--area", action="append", default=[])
    srv.set_defaults(func=_cmd_server)

    fx = sub.add_parser("fixtures", help="the fixture hierarchies")
    fxs = fx.add_subparsers(dest="fixtures_command", required=True, parser_class=_Parser)
    exp = fxs.add_parser(
        "export",
        help="write the fixture zones for a server to load",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  cid-conformance fixtures export /tmp/zones",
    )
    exp.add_argument("dir")
    exp.set_defaults(func=_cmd_fixtures_export)
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    # A reader that goes away (cid-conformance list | head) silences the output; the run
    # still ends (its reports are written) with its own status, and no traceback.
    with guarded_streams(out, err) as (stdout, stderr):
        return _main(argv, stdout, stderr)


def _main(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args, out, err)
        out.flush()
        return status
    except UsageError as exc:
        print(f"cid-conformance: {exc}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("cid-conformance: interrupted", file=err)
        return EXIT_ADAPTER
