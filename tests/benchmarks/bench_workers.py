"""Benchmark: ``cid serve --workers N`` against Knot with N UDP workers, N = 1, 2, ...

    python tests/benchmarks/bench_workers.py [--workers 1,2] [--rounds 5] [--seconds 5]
        [--n 2000] [--quick] [--json]

The registry, zone and query files of bench_serve.py's qps part (``--n`` descriptors
plus a delegated region; the query mix; every query a fresh non-existent name).
For each N: ``cid serve --workers N`` and ``knotd`` with ``udp-workers: N`` on the
same exported zone, dnsperf at its maximum rate (UDP, EDNS, 4 clients, at most 100
queries in flight), the two servers and N alternated round by round, medians of
``--rounds``. CPU time of a server is that of all its processes (cid serve: the
main process and its workers; Knot: its threads). Everything shares the machine's
cores with dnsperf: the scaling it shows is bounded by them. ``--quick`` runs tiny
sizes (tests/benchmarks/test_benchmarks_run.py); its figures mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_serve

import bench_serve as bs
from dnsservers import KnotServer

from cid.registry._zone import zone_text


def _tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its child processes (their threads included)."""
    total = bs._cpu_seconds(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        with contextlib.suppress(OSError):  # gone meanwhile
            total += bs._cpu_seconds(int(child))
    return total


def run(workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    now = int(time.time())
    child_n = max(10, args.n // 10)
    reg = bs.make_registry(workdir / "registry", args.n, now=now, child_n=child_n)
    zone, problems = reg.assemble(bs.PROVIDER, now=now)
    assert not problems, problems
    zfile = workdir / f"{bs.PROVIDER}.zone"
    zfile.write_text(zone_text(zone))
    mix = workdir / "queries.txt"
    bs.query_file(mix, args.n, child_n, args.query_lines)
    nx = [workdir / f"nx-{r}.txt" for r in range(args.rounds)]
    for r, path in enumerate(nx):
        bs.nx_unique_file(path, args.nx_lines, 10_000_000 * (r + 1))
    counts = [int(x) for x in args.workers.split(",")]
    servers: dict[str, tuple[int, int]] = {}  # contender -> (port, pid)
    stops = []
    try:
        for n in counts:
            ours = bs.CidServe(
                reg.path, workdir, extra=["--workers", str(n)], log=workdir / f"cid-{n}.log"
            )
            stops.append(ours.stop)
            servers[f"cid serve --workers {n}"] = (ours.port, ours.pid)
            knot = KnotServer({bs.PROVIDER: zfile}, udp_workers=n)
            knot.start()
            stops.append(knot.stop)
            servers[f"knot udp-workers {n}"] = (knot.port, bs._knot_pid(knot))
        for port, _ in servers.values():  # warm: answer caches as a running server has them
            bs.dnsperf(
                port, mix, seconds=None, clients=args.clients, timeout=args.timeout, once=True
            )
        runs: dict[str, list[dict[str, Any]]] = {}
        names = list(servers)
        for label in ("mix", "nx-unique"):
            for r in range(args.rounds):
                for name in names if r % 2 == 0 else names[::-1]:
                    port, pid = servers[name]
                    cpu = _tree_cpu(pid)
                    out = bs.dnsperf(
                        port,
                        mix if label == "mix" else nx[r],
                        seconds=args.seconds,
                        clients=args.clients,
                        timeout=args.timeout,
                    )
                    out["server_cpu_s"] = _tree_cpu(pid) - cpu
                    runs.setdefault(f"{name} | {label}", []).append(out)
    finally:
        for stop in reversed(stops):
            stop()
    contenders = {
        key: {
            "qps": statistics.median(x["qps"] for x in xs),
            "qps_per_round": [round(x["qps"]) for x in xs],
            "lost": sum(int(x["lost"]) for x in xs),
            "server_cpu_us_per_query": 1e6
            * statistics.median(x["server_cpu_s"] / max(1.0, x["completed"]) for x in xs),
            "other_cpu_share": statistics.median(x["other_cpu_s"] / args.seconds for x in xs),
        }
        for key, xs in runs.items()
    }
    ratios = {
        f"{label}, N={n}": contenders[f"cid serve --workers {n} | {label}"]["qps"]
        / contenders[f"knot udp-workers {n} | {label}"]["qps"]
        for label in ("mix", "nx-unique")
        for n in counts
    }
    return {
        "descriptors": args.n,
        "workers": counts,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "contenders": contenders,
        "ratio_cid_to_knot": ratios,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workers", default="1,2", help="values of N, comma-separated")
    ap.add_argument("--n", type=int, default=2000, help="descriptors served")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=5.0, help="length of one dnsperf run")
    ap.add_argument("--clients", type=int, default=4, help="dnsperf -c")
    ap.add_argument("--timeout", type=float, default=2.0, help="dnsperf -t: lost after this")
    ap.add_argument("--nx-lines", type=int, default=bs.NX_UNIQUE_LINES, help=argparse.SUPPRESS)
    ap.add_argument("--query-lines", type=int, default=bs.QUERY_LINES, help=argparse.SUPPRESS)
    ap.add_argument("--dir", default=None, help="where the registry is written (default: TMPDIR)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.rounds, args.seconds, args.timeout = 100, 1, 1.0, 1.0
        args.nx_lines, args.query_lines = 5000, 2000
    bs._binary("dnsperf")
    bs._binary("knotd")
    base = Path(tempfile.mkdtemp(prefix="cid-bench-workers-", dir=args.dir))
    try:
        result = {"cid_sources": bs._sources_digest(), **run(base, args)}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"cid sources {result['cid_sources']}; {result['descriptors']} descriptors; "
        f"{result['rounds']} rounds of {result['seconds']} s; load average "
        + " ".join(f"{x:.1f}" for x in result["load_average"])
    )
    for name, c in result["contenders"].items():
        print(
            f"  {name:<40} {c['qps']:>9,.0f} qps  lost {c['lost']:>4}  "
            f"{c['server_cpu_us_per_query']:5.1f} us CPU/query  other cpu "
            f"{100 * c['other_cpu_share']:.0f}%"
        )
    for label, ratio in result["ratio_cid_to_knot"].items():
        print(f"  cid serve / knot, {label}: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
