"""The zone build benchmark runs (tiny sizes): a broken benchmark is found here, not at
measuring time. No timing is asserted; figures live in BENCHMARKS.md."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

BENCH = Path(__file__).parent / "bench_build.py"


def test_build_benchmark_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_build", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_build"] = bench
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--json", "--dir", str(tmp_path)]) == 0
    build = json.loads(capsys.readouterr().out)["build"]
    assert build["ratio_to_anchor"]["bare Ed25519 signing (PyNaCl)"] == 1.0
    assert set(build["rates"]) == {
        "bare Ed25519 signing (PyNaCl)",
        "Registry.build (cid zone build)",
        "Registry.build, in-process (workers=1)",
        "Registry.build, fsync skipped (attribution only)",
        "Registry.assemble (read, verify, assemble)",
    }
    assert all(rate > 0 for rate in build["rates"].values())
    assert not list(tmp_path.iterdir())  # every registry removed
