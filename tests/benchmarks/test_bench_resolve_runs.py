"""The resolution benchmark runs (tiny sizes): a broken benchmark is found here, not at
measuring time. No timing is asserted; figures live in BENCHMARKS.md.

It starts four ``cid serve`` processes on 127.0.0.2-127.0.0.5 (one per zone, so that
referrals are real) and is skipped where those addresses cannot be bound.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

BENCH = Path(__file__).parent / "bench_resolve.py"


def test_resolve_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_resolve", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_resolve"] = bench
    spec.loader.exec_module(bench)
    if not bench.loopback_usable():
        pytest.skip("127.0.0.2-127.0.0.5 cannot be bound here")
    assert bench.main(["--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["levels"] == 3
    assert result["queries_per_resolution"] == 4  # root, platform, provider, region
    assert len(set(result["zones"].values())) == 4  # one server address per zone
    cold = result["cold"]
    contenders = {bench.OURS, bench.ANCHOR_COLD, bench.PREBUILT}
    assert set(cold["median_ms"]) == set(cold["p90_ms"]) == set(cold["client_cpu_ms"]) == contenders
    assert all(ms > 0 for ms in cold["median_ms"].values())
    assert len(cold["per_round"]) == cold["rounds"] == 2
    assert cold["ratio"] > 0 and cold["ratio_to_prebuilt"] > 0
    warm = result["warm"]
    assert set(warm["rates"]) == set(warm["per_round"]) == {bench.OURS, bench.ANCHOR_WARM}
    assert all(rate > 0 for rate in warm["rates"].values())
    assert warm["ratio"] > 0
    assert set(result["targets"]) == {
        "cold <= 1.0 x dnspython",
        "cold median <= 3 ms",
        "warm >= 100,000/s",
    }
