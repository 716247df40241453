"""tests/conftest.py: with CID_FORBID_SKIPS=1 a skipped test fails the session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

SAMPLE = """
import pytest

def test_runs():
    pass

def test_skips():
    pytest.skip("no such server here")

@pytest.mark.skipif(True, reason="marked")
def test_marked():
    pass

@pytest.mark.xfail(strict=True)
def test_expected_failure():
    assert False
"""

PASSING = """
import pytest

def test_runs():
    pass

@pytest.mark.xfail(strict=True)
def test_expected_failure():
    assert False
"""


def _run(tmp_path: Path, source: str, forbid: str | None) -> subprocess.CompletedProcess[str]:
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if k != "CID_FORBID_SKIPS"}
    if forbid is not None:
        env["CID_FORBID_SKIPS"] = forbid
    env["PYTHONPATH"] = str(CONFTEST.parent / "helpers")  # the conftest imports dnsservers
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_skips_fail_the_session_when_forbidden(tmp_path: Path) -> None:
    run = _run(tmp_path, SAMPLE, "1")
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout
    assert "CID_FORBID_SKIPS=1" in run.stdout
    assert "test_sample.py::test_skips: Skipped: no such server here" in run.stdout
    assert "test_sample.py::test_marked: Skipped: marked" in run.stdout
    assert "test_expected_failure" not in run.stdout.split("CID_FORBID_SKIPS=1", 1)[1]


@pytest.mark.parametrize("forbid", [None, "0", ""])
def test_skips_allowed_otherwise(tmp_path: Path, forbid: str | None) -> None:
    run = _run(tmp_path, SAMPLE, forbid)
    assert run.returncode == pytest.ExitCode.OK, run.stdout
    assert "2 skipped" in run.stdout


def test_no_skips_pass_when_forbidden(tmp_path: Path) -> None:
    run = _run(tmp_path, PASSING, "1")
    assert run.returncode == pytest.ExitCode.OK, run.stdout


def test_module_level_skip_is_counted(tmp_path: Path) -> None:
    source = 'import pytest\npytest.skip("whole module", allow_module_level=True)\n'
    run = _run(tmp_path, source + PASSING, "1")
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout
    assert "whole module" in run.stdout
