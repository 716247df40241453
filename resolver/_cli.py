"""``cid-resolve``: resolve an identifier (or find by pattern) to verified endpoints."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn, TextIO

from cid import Capability, CidError, Endpoint, status_json
from cid.streams import guarded_streams

from ._anchor import TrustAnchor
from ._cache import VersionStore
from ._config import ENVIRONMENT, ConfigError, Settings, default_config_path, settings
from ._demo import DemoHierarchy
from ._discovery import Discovery
from ._outcome import Outcome, ResolutionError
from ._resolution import Limits, Resolved, identifier_or_fail, iso_time
from ._resolver import Resolver
from ._schedule import POLICIES, Candidate, NeedError, Policy, Schedule, money

__all__ = ["main"]

EXIT_USAGE = 64
EXIT_CONFIG = 78


def _exit_table() -> str:
    rows = [f"  {o.exit_status:>3}  {o.code:<19} {o.meaning}" for o in Outcome]
    rows.append(f"  {EXIT_USAGE:>3}  {'usage':<19} bad command-line arguments")
    rows.append(f"  {EXIT_CONFIG:>3}  {'configuration':<19} unusable setting or trust anchor")
    return "\n".join(rows)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    env = ", ".join(f"{var} ({key})" for key, var in ENVIRONMENT.items())
    p = _Parser(
        prog="cid-resolve",
        description=(
            "Resolve a UCID to live endpoints, verifying every signed record from the trust "
            "anchor down. With no trust anchor configured, resolve against the bundled demo "
            "hierarchy, served in-process over DNS on 127.0.0.1."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            f"Settings come from flags, then the environment ({env}, UCID_CONFIG), then the "
            f"TOML file {default_config_path()} (same keys as the flags).\n\n"
            f"Exit status:\n{_exit_table()}\n\n"
            "example:\n"
            "  cid-resolve 'ucid:ctyun.east/cn-sh/neoverse-n2/cpu=128;mem=512GiB'   # the demo\n"
            "  cid-resolve --anchor /tmp/demo/anchor.json --port 5353 --short "
            "'ucid:acme.hpc/cn-sh/x86-64-v4+sm90/acc=8;acc-model=h100;mem=2TiB'"
        ),
    )
    p.add_argument("identifier", nargs="?", help="the identifier to resolve")
    p.add_argument("--find", metavar="PATTERN", help="discover identifiers matching PATTERN")
    p.add_argument(
        "--schedule",
        metavar="PATTERN",
        help="choose among the providers matching PATTERN by their signed statuses",
    )
    sched = p.add_argument_group("choosing (with --schedule; spec/status.md §12)")
    sched.add_argument(
        "--need", default="", metavar="TERMS", help="what the job needs: acc=8;mem=512GiB"
    )
    sched.add_argument(
        "--policy",
        default="cheapest",
        metavar="POLICY",
        help=f"{', '.join(POLICIES[:-1])}, or weighted:price=W,wait=W,region=W (default cheapest)",
    )
    sched.add_argument("--region", help="the region to be near (nearest, weighted)")
    sched.add_argument(
        "--period",
        type=int,
        default=3600,
        metavar="S",
        help="seconds the need is priced for (default 3600)",
    )
    sched.add_argument("--currency", help="the currency compared (default: the most quoted)")
    sched.add_argument(
        "--fresh",
        type=int,
        default=120,
        metavar="S",
        help="a status older than this is stale (default 120)",
    )
    sched.add_argument(
        "--missing",
        choices=("last", "drop"),
        default="last",
        help="candidates without a status: rank them last (default) or drop them",
    )
    sched.add_argument(
        "--pick",
        action="store_true",
        help="only the best candidate's endpoints, as --short prints them",
    )
    form = p.add_mutually_exclusive_group()
    form.add_argument(
        "--json",
        action="store_true",
        help="machine-readable output; times are ISO 8601 strings in UTC",
    )
    form.add_argument(
        "--short",
        action="store_true",
        help=(
            "only the endpoints, one a line, in the order to try them, as "
            "TRANSPORT+PROTOCOL://HOST:PORT (an IPv6 host in brackets: "
            "quic+https://[2001:db8::8]:4433), the form cid register --endpoint takes; "
            "with --find, only the identifiers found, one a line"
        ),
    )
    p.add_argument("--trace", action="store_true", help="show every query and verification")
    p.add_argument("--anchor", metavar="FILE", help="trust anchor (anchor.json of a registry)")
    p.add_argument(
        "--server", dest="servers", metavar="ADDR[:PORT]", action="append",
        help="root server address, instead of the anchor's (repeatable)",
    )  # fmt: skip
    p.add_argument("--port", metavar="N", help="port of every server (default 53)")
    p.add_argument("--forward", metavar="ADDR[:PORT]", help="send queries through this resolver")
    p.add_argument("--timeout", metavar="S", help="seconds per query (default 1)")
    p.add_argument("--deadline", metavar="S", help="seconds per resolution (default 5)")
    p.add_argument("--state", metavar="FILE", help="version store for rollback protection")
    p.add_argument("--config", metavar="FILE", help="TOML configuration file")
    p.add_argument("--no-cache", action="store_true", help="bypass the cache")
    p.add_argument("--max-results", type=int, default=100, help="bound for --find (100)")
    return p


@contextlib.contextmanager
def _anchor(conf: Settings, err: TextIO) -> Iterator[tuple[TrustAnchor, bool]]:
    """The configured anchor, or the demo hierarchy served for the duration."""
    if conf.anchor is not None:
        anchor = TrustAnchor.load(conf.anchor, port=conf.port)
        if conf.servers:
            anchor = anchor.with_servers(conf.servers)
        yield anchor, False
        return
    with DemoHierarchy() as demo:  # the demo's trust anchor
        print(
            f"(no trust anchor configured: using the bundled demo hierarchy, "
            f"served on 127.0.0.1 port {demo.port})",
            file=err,
        )
        yield demo, True


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    # A reader that goes away (cid-resolve ... | head -1) silences the output; the
    # command still exits with its own status, and no traceback.
    with guarded_streams(out) as (stdout, stderr):
        return _main(argv, stdout, stderr)


def _main(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    args = _parser().parse_args(argv)
    if sum(x is not None for x in (args.identifier, args.find, args.schedule)) != 1:
        _parser().error("give an IDENTIFIER, --find PATTERN or --schedule PATTERN (one of them)")
    if args.short and args.trace:
        _parser().error("--short shows the endpoints alone: not with --trace")
    if args.pick and (args.schedule is None or args.json):
        _parser().error("--pick goes with --schedule, without --json")
    policy = None
    if args.schedule is not None:
        try:
            policy = Policy.parse(
                args.policy, region=args.region, period=args.period, currency=args.currency,
                fresh=args.fresh, missing=args.missing,
            )  # fmt: skip
        except NeedError as exc:
            _parser().error(str(exc))
    try:
        if args.identifier is not None:
            identifier_or_fail(args.identifier)  # before any server starts
        conf = settings(args)
        with _anchor(conf, err) as (anchor, demo):
            resolver = Resolver(
                anchor,
                forwarder=conf.forward,
                limits=Limits(query_timeout=conf.timeout, deadline=conf.deadline),
                # The demo is re-signed on each run: its versions are not worth keeping.
                versions=VersionStore(None if demo else conf.state),
                use_cache=not args.no_cache,
            )
            if args.find is not None:
                return _find(resolver, args, out)
            if policy is not None:
                return _schedule(resolver, args, policy, out, err)
            return _resolve(resolver, args, out)
    except ResolutionError as exc:  # a bad identifier or pattern
        return _failed(exc, args, out, err)
    except ConfigError as exc:
        print(f"cid-resolve: configuration: {exc}", file=err)
        return EXIT_CONFIG
    except CidError as exc:  # the anchor, the version store
        print(f"cid-resolve: {exc}", file=err)
        return EXIT_CONFIG


def _resolve(resolver: Resolver, args: argparse.Namespace, out: TextIO) -> int:
    try:
        found = resolver.resolve(args.identifier, trace=args.trace)
    except ResolutionError as exc:
        if args.trace and not args.json:
            print("\n".join(resolver.last_trace), file=out)
        return _failed(exc, args, out, sys.stderr)  # the guarded stderr
    if args.json:
        body = _result_json(found)
        if args.trace:
            body["trace"] = resolver.last_trace
        json.dump(body, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    if args.short:
        for ep in found.ordered():
            print(endpoint_url(ep), file=out)
        return 0
    if args.trace:
        print("\n".join(resolver.last_trace) + "\n", file=out)
    _table(found, out)
    return 0


def endpoint_url(ep: Endpoint) -> str:
    """``--short``'s form of an endpoint: ``TRANSPORT+PROTOCOL://HOST:PORT``."""
    host = f"[{ep.host}]" if ":" in ep.host else ep.host
    return f"{ep.transport}+{ep.protocol}://{host}:{ep.port}"


def _find(resolver: Resolver, args: argparse.Namespace, out: TextIO) -> int:
    found = resolver.find(args.find, max_results=args.max_results)
    if args.json:
        json.dump(_discovery_json(found), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif args.short:
        for result in found.results:
            print(result.identifier, file=out)
    else:
        for result in found.results:
            first = result.ordered()[0]
            print(f"{result.identifier}  ->  {_where(first)}", file=out)
        print(
            f"{len(found.results)} found, {found.nodes} nodes visited"
            + ("" if found.bound is None else f" (stopped at a bound: {found.bound})")
            + (f", {len(found.failures)} failed" if found.failures else ""),
            file=out,
        )
        for failure in found.failures:
            print(f"  {failure}", file=out)
    if found.results:
        return 0
    if found.failures:
        return found.failures[0].outcome.exit_status
    if found.bound is not None:  # nothing found, but the walk did not end: not NOT_FOUND
        bound = Outcome.TIMEOUT if found.bound == "deadline" else Outcome.LIMIT_EXCEEDED
        return bound.exit_status
    return Outcome.NOT_FOUND.exit_status


def _schedule(
    resolver: Resolver, args: argparse.Namespace, policy: Policy, out: TextIO, err: TextIO
) -> int:
    try:
        found = resolver.schedule(args.schedule, args.need, policy, max_results=args.max_results)
    except NeedError as exc:
        print(f"cid-resolve: {exc}", file=err)
        return Outcome.INVALID_IDENTIFIER.exit_status
    if args.json:
        json.dump(schedule_json(found), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif args.pick:
        if found.ranked:
            for ep in found.ranked[0].ordered():
                print(endpoint_url(ep), file=out)
        else:
            print(f"cid-resolve: nothing matching {args.schedule} can take the need", file=err)
    elif args.short:
        for cand in found.ranked:
            print(cand.identifier, file=out)
    else:
        _schedule_table(found, out)
    if found.ranked:
        return 0
    if found.failures:
        return found.failures[0].outcome.exit_status
    if found.bound is not None:
        bound = Outcome.TIMEOUT if found.bound == "deadline" else Outcome.LIMIT_EXCEEDED
        return bound.exit_status
    return Outcome.NOT_FOUND.exit_status


def _free(cand: Candidate, keys: list[str]) -> str:
    if cand.status is None:
        return "-"
    shown = keys or list(cand.status.units)[:1]
    parts = []
    for key in shown:
        units = cand.status.units.get(key)
        if units is not None:
            free, total = _amount(cand, key, units.free), _amount(cand, key, units.total)
            parts.append(f"{key} {free}/{total}")
    return ", ".join(parts) or "-"


def _amount(cand: Candidate, key: str, value: int) -> str:
    for cap in cand.resolved.identifier.capabilities:
        if cap.key == key and cap.type != "count":
            return Capability(key, cap.type, value).display().replace(" ", "")
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _price(cand: Candidate, period: int) -> str:
    if cand.cost is None:
        return "-"
    per = "h" if period == 3600 else f"{period} s"
    return f"{money(cand.cost)} {cand.currency}/{per}"


def _schedule_table(found: Schedule, out: TextIO) -> None:
    keys = [c.key for c in found.need.terms]
    head = ("RANK", "PROVIDER", "REGION", "FREE", "WAIT", "PRICE", "AGE", "STATUS")
    rows = [head]
    for cand in found.ranked:
        ident = cand.resolved.identifier
        rows.append(
            (
                str(cand.rank),
                ident.provider_unicode,
                ident.region,
                _free(cand, keys),
                "-" if cand.wait is None else f"{cand.wait} s",
                _price(cand, found.policy.period),
                "-" if cand.age is None else f"{cand.age} s",
                cand.tier if cand.problem in (None, "MISSING") else f"none ({cand.problem})",
            )
        )
    need = str(found.need) or "nothing"
    print(f"{found.pattern}  need {need}  policy {found.policy}"
          + (f" near {found.policy.region}" if found.policy.region else ""), file=out)  # fmt: skip
    print(file=out)
    if found.ranked:
        widths = [max(_width(row[i]) for row in rows) for i in range(len(head))]
        for row in rows:
            cells = (c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True))
            print("  " + "  ".join(cells).rstrip(), file=out)
        print(file=out)
        for cand in found.ranked:
            # The preferred endpoint, the same every run (lowest priority, then the
            # heaviest weight); --pick gives them in the weighted order to try them.
            first = min(cand.resolved.descriptor.endpoints, key=lambda e: (e.priority, -e.weight))
            print(f"  {cand.rank}  {cand.identifier}", file=out)
            print(f"     {endpoint_url(first)}  {cand.why}", file=out)
    else:
        print("  nothing can take the need", file=out)
    dropped = found.dropped_by_reason
    summary = f"{len(found.ranked)} ranked"
    if dropped:
        summary += ", dropped: " + ", ".join(f"{n} {r}" for r, n in dropped.items())
    if found.rejected:
        summary += "; statuses rejected: " + ", ".join(
            f"{n} {c}" for c, n in found.rejected.items()
        )
    if found.bound is not None:
        summary += f" (stopped at a bound: {found.bound})"
    if found.failures:
        summary += f", {len(found.failures)} failed"
    print(file=out)
    print(summary, file=out)
    for drop in found.dropped:
        print(f"  dropped {drop.resolved.identifier}: {drop.reason}: {drop.detail}", file=out)
    for failure in found.failures:
        print(f"  {failure}", file=out)


def schedule_json(found: Schedule) -> dict[str, Any]:
    """``--schedule --json``: the ranking, the drops and why (costs as decimal text)."""
    return {
        "pattern": str(found.pattern),
        "need": str(found.need),
        "policy": str(found.policy),
        "region": found.policy.region,
        "period": found.policy.period,
        "currency": found.currency,
        "now": iso_time(found.now),
        "complete": found.bound is None,
        "bound": found.bound,
        "queries": found.queries,
        "ranked": [
            {
                "rank": c.rank,
                "identifier": c.identifier,
                "provider": c.resolved.identifier.provider_unicode,
                "region": c.resolved.identifier.region,
                "tier": c.tier,
                "age": c.age,
                "cost": None if c.cost is None else money(c.cost),
                "currency": c.currency,
                "wait": c.wait,
                "distance": c.distance,
                "score": None if c.score is None else money(c.score),
                "why": c.why,
                "problem": c.problem,
                "status": None if c.status is None else status_json(c.status),
                "endpoints": [_endpoint_json(ep) for ep in c.resolved.endpoints],
            }
            for c in found.ranked
        ],
        "dropped": [
            {"identifier": str(d.resolved.identifier), "reason": d.reason, "detail": d.detail}
            for d in found.dropped
        ],
        "dropped_by_reason": found.dropped_by_reason,
        "rejected": dict(found.rejected),
        "failures": [
            {"outcome": f.outcome.code, "name": f.name, "step": f.step, "detail": f.detail}
            for f in found.failures
        ],
    }


def _failed(exc: ResolutionError, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.json:
        body = {
            "outcome": exc.outcome.code,
            "meaning": exc.outcome.meaning,
            "name": exc.name,
            "step": exc.step,
            "detail": exc.detail,
        }
        json.dump(body, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        print(f"cid-resolve: {exc}", file=err)
    return exc.outcome.exit_status


def _where(ep: Endpoint) -> str:
    host = f"[{ep.host}]" if ":" in ep.host else ep.host
    return f"{ep.protocol}://{host}:{ep.port} ({ep.transport})"


def _endpoint_json(ep: Endpoint) -> dict[str, Any]:
    return {
        "priority": ep.priority,
        "weight": ep.weight,
        "transport": ep.transport,
        "protocol": ep.protocol,
        "host": ep.host,
        "port": ep.port,
        "alpn": list(ep.alpn),
        "region": ep.region,
    }


def _result_json(found: Resolved) -> dict[str, Any]:
    desc = found.descriptor
    return {
        "outcome": Outcome.OK.code,
        "identifier": str(found.identifier),
        "name": found.name,
        "zone": found.zone,
        "chain": list(found.chain),
        "version": desc.version,
        "expires": iso_time(desc.expires),  # ISO 8601, as every time shown (README)
        "stale": found.stale,
        "capabilities": list(desc.capabilities),
        "endpoints": [_endpoint_json(ep) for ep in found.endpoints],
    }


def _discovery_json(found: Discovery) -> dict[str, Any]:
    return {
        "pattern": str(found.pattern),
        "complete": found.complete,
        "bound": found.bound,
        "nodes": found.nodes,
        "results": [_result_json(r) for r in found.results],
        "failures": [
            {"outcome": f.outcome.code, "name": f.name, "step": f.step, "detail": f.detail}
            for f in found.failures
        ],
    }


def _table(found: Resolved, out: TextIO) -> None:
    desc = found.descriptor
    until = iso_time(desc.expires)
    print(str(found.identifier), file=out)
    if found.identifier.provider_unicode != found.identifier.provider:
        print(f"  provider   {found.identifier.provider_unicode}", file=out)
    print(f"  signed by  {found.zone} (version {desc.version}, valid until {until})", file=out)
    print(f"  chain      {' > '.join(found.chain)}", file=out)
    if found.stale:
        print("  STALE      the servers failed; this is the cached answer", file=out)
    head = ("PRIO", "WEIGHT", "TRANSPORT", "PROTOCOL", "HOST", "PORT", "ALPN", "REGION")
    rows = [head] + [
        (
            str(ep.priority),
            str(ep.weight),
            ep.transport,
            ep.protocol,
            ep.host,
            str(ep.port),
            ",".join(ep.alpn) or "-",
            ep.region or "-",
        )
        for ep in found.endpoints
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    print(file=out)
    for row in rows:
        cells = (c.ljust(w) for c, w in zip(row, widths, strict=True))
        print("  " + "  ".join(cells).rstrip(), file=out)
