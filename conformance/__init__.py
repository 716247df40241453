"""The UCID conformance suite: language-neutral vectors traced to the spec's
requirements, the adapter protocol (``ADAPTER.md``) and the runner, ``cid-conformance``.

    >>> import conformance
    >>> cases = conformance.load_cases()                            # doctest: +SKIP
    >>> conformance.main(["run", "--adapter", "node adapter.mjs"])  # doctest: +SKIP

Vendors use the command (``conformance/README.md``); these names are for tools that
embed the runner.
"""

from __future__ import annotations

from ._adapter import PROTOCOL, Adapter, AdapterFault, Hello, HelloError, Reply
from ._cases import (
    SUITE_VERSION,
    VECTORS,
    Case,
    load_cases,
    read_expected_failures,
    select,
    vectors_digest,
)
from ._cli import main
from ._coverage import Coverage, coverage, requirements_in_spec
from ._runner import CaseResult, Run, judge, run_cases

__all__ = [
    "PROTOCOL",
    "SUITE_VERSION",
    "VECTORS",
    "Adapter",
    "AdapterFault",
    "Case",
    "CaseResult",
    "Coverage",
    "Hello",
    "HelloError",
    "Reply",
    "Run",
    "coverage",
    "judge",
    "load_cases",
    "main",
    "read_expected_failures",
    "requirements_in_spec",
    "run_cases",
    "select",
    "vectors_digest",
]
