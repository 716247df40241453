"""The discovery benchmark runs (tiny sizes): a broken benchmark is found here, not at
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

BENCH = Path(__file__).parent / "bench_discovery.py"


def test_discovery_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_discovery", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_discovery"] = bench
    spec.loader.exec_module(bench)
    if not bench.loopback_usable():
        pytest.skip("127.0.0.2-127.0.0.5 cannot be bound here")
    assert bench.main(["--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["descriptors"] == 500
    assert [p["pattern"] for p in result["patterns"]] == list(bench.PATTERNS.values())
    contenders = {bench.OURS, bench.OURS_ASYNC, bench.OURS_ASYNC_1, bench.ANCHOR}
    for p in result["patterns"]:
        assert p["matches"] > 0
        assert set(p["queries"]) == set(p["seconds"]) == contenders
        ideal = p["ideal"]
        assert ideal["queries"] == ideal["listings"] + ideal["descriptors"] + ideal["referrals"]
        assert ideal["referrals"] == 3  # every pattern reaches the delegated region
        assert ideal["oracle_queries"] <= ideal["queries"] <= ideal["queries_with_tcp_retries"]
        assert p["queries"][bench.ANCHOR] == ideal["queries_with_tcp_retries"]
        assert p["ratio_queries"] > 0 and p["ratio_time"] > 0
    assert isinstance(result["target_met"], bool)
