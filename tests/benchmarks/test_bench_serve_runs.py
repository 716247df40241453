"""The publishing benchmark runs (tiny sizes): a broken benchmark is found here, not at
measuring time. No timing is asserted; figures live in BENCHMARKS.md.

It drives real servers (``cid serve``, ``knotd``) and ``dnsperf`` on loopback: it is
skipped when they are missing, or fails then if ``CID_REQUIRE_REAL_DNS`` is set.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from dnsservers import require_binary

pytestmark = [pytest.mark.benchmark, pytest.mark.realdns]

BENCH = Path(__file__).parent / "bench_serve.py"


def test_serve_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    require_binary("dnsperf")
    require_binary("knotd")
    spec = importlib.util.spec_from_file_location("bench_serve", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_serve"] = bench
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    qps = result["qps"]
    assert set(qps["contenders"]) == {
        "cid serve | mix",
        "knot | mix",
        "cid serve | nx-unique",
        "knot | nx-unique",
    }
    assert all(c["qps"] > 0 and c["sent"] > 0 for c in qps["contenders"].values())
    assert qps["knot_udp_workers"] == 1
    assert set(result["memory"]["bytes_per_descriptor"]) >= {"cid serve (zone + Authority)", "knot"}
    assert result["memory"]["cid"]["nodes"] > result["memory"]["descriptors"]
    build = result["build"]  # its contenders: test_bench_build_runs.py
    assert build["rates"]["Registry.build (cid zone build)"] > 0


def test_serve_benchmark_metrics_part_runs(capsys: pytest.CaptureFixture[str]) -> None:
    require_binary("dnsperf")
    spec = importlib.util.spec_from_file_location("bench_serve", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_serve"] = bench
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--json", "--only", "metrics"]) == 0
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    contenders = metrics["contenders"]
    assert set(contenders) == {"plain", "--metrics", "--metrics --query-log"}
    assert all(c["qps"] > 0 and c["lost"] == 0 for c in contenders.values())
    # Every query the runs sent was counted, and logged or counted as dropped.
    assert contenders["--metrics"]["queries_counted"] > 0
    assert contenders["plain"]["qps_ratio_to_plain"] == 1.0
    assert set(metrics["in_process_drain"]) == {
        "no tap",
        "--metrics (ServeStats)",
        "--metrics --query-log /dev/null",
    }
