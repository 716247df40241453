"""The whole conformance suite against the reference adapter, on one core, and the
cost of the adapter protocol per case.

    python tests/benchmarks/bench_conformance.py [--rounds 3] [--profile P] [--json]

- ``suite``: ``cid-conformance run`` (the runner in this process, the reference
  adapter as a child process speaking JSON lines), every active case but the
  server-mode ones, wall-clock time, both processes pinned to one CPU
  (``sched_setaffinity``, inherited by the child). Target (issue 12): under 60 s.
- anchor ``in-process``: the same requests (the fixtures' servers running, the
  same inputs) given straight to the reference adapter's ``handle`` in this
  process: the implementation's own work, without the protocol.
- ``protocol overhead per case``: (suite - in-process) / cases: JSON encoding,
  the pipe, the child's decoding and the judging, per case.

The median of ``--rounds`` rounds; the two contenders alternate within a round.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from conformance._cases import load_cases, select
from conformance._cli import main as conformance_main
from conformance.adapters.reference import _State, handle


def _pin() -> tuple[str, set[int] | None]:
    """Pin this process (and the adapters it starts) to one CPU; the CPUs it had."""
    if hasattr(os, "sched_setaffinity"):
        before = set(os.sched_getaffinity(0))
        cpu = min(before)
        os.sched_setaffinity(0, {cpu})
        return f"cpu {cpu}", before
    return "not pinned", None


def _suite(profiles: list[str]) -> tuple[float, int, int]:
    out, err = io.StringIO(), io.StringIO()
    report = Path(f"/tmp/ucid-bench-conformance-{os.getpid()}.json")
    argv = ["run", "-q", "--json", str(report)] + [a for p in profiles for a in ("--profile", p)]
    started = time.perf_counter()
    status = conformance_main(argv, out=out, err=err)
    elapsed = time.perf_counter() - started
    data = json.loads(report.read_text())
    report.unlink()
    if status != 0:
        raise SystemExit(f"the reference did not pass: {out.getvalue()[-2000:]}")
    return elapsed, len(data["cases"]), data["counts"]["pass"]


def _in_process(profiles: list[str]) -> tuple[float, int]:
    cases = [c for c in select(load_cases(), profiles=profiles) if c.profile != "server"]
    fixtures: Any = None
    if any(c.operation == "resolve" for c in cases):
        fixtures = importlib.import_module("conformance._fixtures").FixtureSet(
            Path(__file__).resolve().parents[2] / "conformance"
        )
    state = _State()
    try:
        started = time.perf_counter()
        for seq, case in enumerate(cases, 1):
            raw = {
                "id": case.id,
                "operation": case.operation,
                "input": case.input,
                "expected": case.expected,
            }
            steps = case.steps
            inputs = steps if steps is not None else [case.input]
            for i, given in enumerate(inputs):
                inp = given
                if case.operation == "resolve" and fixtures is not None:
                    inp = fixtures.request_input(raw, i if steps is not None else None)
                handle({"seq": seq, "op": case.operation, "case": case.id, "input": inp}, state)
        return time.perf_counter() - started, len(cases)
    finally:
        if fixtures is not None:
            fixtures.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="The conformance suite against the reference adapter, on one core.",
        epilog="example: python tests/benchmarks/bench_conformance.py --rounds 3",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--profile", action="append", default=[], help="only this profile (default: all but server)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    pinned, before = _pin()
    suite_times, direct_times = [], []
    cases = passed = 0
    try:
        for _ in range(args.rounds):
            elapsed, cases, passed = _suite(args.profile)
            suite_times.append(elapsed)
            direct, _n = _in_process(args.profile)
            direct_times.append(direct)
    finally:
        if before is not None:  # a caller in the same process (a test) gets its CPUs back
            os.sched_setaffinity(0, before)
    suite, direct = statistics.median(suite_times), statistics.median(direct_times)
    result = {
        "cases": cases,
        "passed": passed,
        "pinned": pinned,
        "suite_seconds": round(suite, 3),
        "in_process_seconds": round(direct, 3),
        "ratio_suite_to_in_process": round(suite / direct, 3) if direct else None,
        "protocol_overhead_per_case_ms": round(1000 * (suite - direct) / max(cases, 1), 3),
        "target_under_60s": suite < 60,
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"conformance suite, {cases} cases ({passed} passed), {pinned}, "
            f"median of {args.rounds} rounds"
        )
        print(f"  cid-conformance run (reference adapter)  {suite:8.2f} s")
        print(f"  in-process handle() (anchor)             {direct:8.2f} s")
        print(f"  ratio                                    {result['ratio_suite_to_in_process']}")
        print(
            f"  protocol overhead per case               "
            f"{result['protocol_overhead_per_case_ms']} ms"
        )
        print(f"  target whole suite < 60 s: {'met' if suite < 60 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
