"""Shared test configuration: hypothesis profiles, and the ``realdns`` marker kept true.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) runs more examples, derandomised so
that a CI failure reproduces.
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
