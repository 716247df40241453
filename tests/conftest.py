"""Shared test configuration: hypothesis profiles, the ``realdns`` marker kept true,
and no skips when CI forbids them.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) runs more examples, derandomised so
that a CI failure reproduces.

``CID_FORBID_SKIPS=1`` (set by .ci/run) makes a session in which any test was
skipped fail (exit status 1, the skipped tests listed at the end), so that a
test that cannot run where it must (a missing vector file, server or tool)
does not pass unseen. Expected failures (xfail) are not skips.
"""

from __future__ import annotations

import os

import dnsservers
import pytest
from hypothesis import HealthCheck, settings


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: module-scoped ones start servers too.
    dnsservers.CURRENT_TEST_IS_REALDNS = item.get_closest_marker("realdns") is not None


settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "ci",
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: Environment variable that turns any skipped test into a failed session.
FORBID_SKIPS_ENV = "CID_FORBID_SKIPS"

_skipped: list[str] = []


def _forbid_skips() -> bool:
    return os.environ.get(FORBID_SKIPS_ENV) == "1"


def _note_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        # A skip's longrepr is (file, line, "Skipped: reason").
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _forbid_skips() and _skipped and exitstatus in (0, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _forbid_skips() and _skipped:
        terminalreporter.section(f"{FORBID_SKIPS_ENV}=1: skipped tests fail the run", red=True)
        for line in _skipped:
            terminalreporter.write_line(f"SKIPPED {line}")
        terminalreporter.write_line(f"{len(_skipped)} skipped; {FORBID_SKIPS_ENV}=1 forbids skips")
