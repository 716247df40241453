"""The second adapter, in JavaScript (conformance/adapters/node), written from spec/ and
ADAPTER.md alone: the protocol is language-neutral, and the identifier profile passes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance._cases import load_cases
from conformance._cli import main

NODE_DIR = Path(__file__).resolve().parents[2] / "conformance" / "adapters" / "node"
NODE = shutil.which("node") or shutil.which("nodejs")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def test_the_node_adapter_passes_the_identifier_profile(tmp_path: Path) -> None:
    assert NODE is not None
    report = tmp_path / "report.json"
    out, err = io.StringIO(), io.StringIO()
    adapter = f"{NODE} {NODE_DIR / 'adapter.mjs'}"
    status = main(["run", "-q", "--adapter", adapter, "--json", str(report)], out=out, err=err)
    data = json.loads(report.read_text())
    assert status == 0, out.getvalue()[-3000:]
    assert data["implementation"]["language"] == "JavaScript"
    assert data["counts"]["fail"] == data["counts"]["error"] == 0
    identifier_cases = [c for c in load_cases() if c.active and c.profile == "identifier"]
    assert len(data["cases"]) == len(identifier_cases)
    # It skips only what plain Node cannot decide: IDNA2008 of non-ASCII or xn-- labels.
    by_id = {c.id: c for c in identifier_cases}
    skipped = [c["id"] for c in data["cases"] if c["outcome"] == "skip"]
    for case_id in skipped:
        text = json.dumps(by_id[case_id].input, ensure_ascii=False)
        assert not text.isascii() or "xn--" in text.lower(), case_id
    assert data["counts"]["pass"] >= 800


def test_the_node_selftest_passes() -> None:
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(NODE_DIR / "selftest.mjs")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
