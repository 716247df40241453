"""The benchmarks run (tiny sizes): a broken benchmark is found here, not at measuring time.

No timing is asserted; figures live in BENCHMARKS.md.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from dnsservers import require_binary

pytestmark = pytest.mark.benchmark

BENCH = Path(__file__).parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_identifier_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load("bench_identifier")
    strings = bench.workload(300)
    assert len(set(strings)) == 300
    assert bench.main(["--n", "300", "--rounds", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["rates"]) == {
        "cid.parse",
        "cid.parse, memos cleared",
        "urlsplit (uncached)",
        "lark LALR",
    }
    assert result["ratio_to_anchor"]["urlsplit (uncached)"] == 1.0


def test_descriptor_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(BENCH))
    bench = _load("bench_descriptor")
    assert bench.main(["--n", "20", "--rounds", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["ratios"]) == {
        "verify new / nacl verify",
        "verify again / nacl verify",
        "sign / nacl sign",
    }


@pytest.mark.realdns
def test_live_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # Real servers on loopback (cid serve, knotd): skipped without Knot unless required.
    require_binary("knotd")
    assert _load("bench_live").main(["--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["updates"] == 5 and result["descriptors"] == 50
    assert result["cid_serve_median_ms"] > 0 and result["knot_median_ms"] > 0


def test_conformance_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load("bench_conformance")
    assert bench.main(["--rounds", "1", "--profile", "identifier", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["cases"] == result["passed"] > 0
    assert {"suite_seconds", "in_process_seconds", "protocol_overhead_per_case_ms"} <= set(result)


@pytest.mark.realdns
def test_xfr_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # cid serve as the hidden primary of a knotd secondary, against knotd to knotd.
    require_binary("knotd")
    assert _load("bench_xfr").main(["--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["updates"] == 3 and result["descriptors"] == 50
    assert result["cid_to_secondary_median_ms"] > 0 and result["knot_to_secondary_median_ms"] > 0


def test_schedule_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load("bench_schedule")
    assert bench.main(["--candidates", "10", "--descriptors", "30", "--rounds", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["candidates"], result["descriptors"], result["ranked"]) == (10, 30, 9)
    assert result["schedule_queries"] > result["one_by_one_queries"] > 0


def test_status_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(BENCH))
    assert _load("bench_status").main(["--quick", "--json", "--secondaries"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["descriptors"] == 50 and result["updates"] == 40
    assert result["statuses_per_second"] > 0 and result["verify_status_per_second"] > 0
    assert result["registrations_per_second"] > 0


@pytest.mark.realdns
def test_workers_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    require_binary("dnsperf")
    require_binary("knotd")
    sys.path.insert(0, str(BENCH))  # bench_workers imports bench_serve
    assert _load("bench_workers").main(["--quick", "--workers", "1,2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["ratio_cid_to_knot"]) == {
        f"{label}, N={n}" for label in ("mix", "nx-unique") for n in (1, 2)
    }
    assert all(c["qps"] > 0 for c in result["contenders"].values())


@pytest.mark.realdns
def test_load_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # cid serve's start, reload and memory against knotd loading the same zone file.
    require_binary("knotd")
    assert _load("bench_load").main(["--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["descriptors"] == 200
    assert all(v > 0 for k, v in result["ratios"].items() if "peak" not in k)
    assert result["cid"]["reload_s"] > 0 and result["knot"]["load_s"] > 0
