"""Running cases against an adapter and judging each reply (ADAPTER.md §2-§6)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from ._adapter import Adapter, AdapterFault, Hello, HelloError, Reply
from ._cases import Case

__all__ = ["CaseResult", "FixtureProvider", "Run", "judge", "run_cases"]

#: Restarts in a row, with no case passing between them, after which a run stops.
MAX_RESTARTS_IN_A_ROW: Final = 5
#: Codes that are never a rejection the spec defines (ADAPTER.md §3).
_ADAPTER_CODES: Final = frozenset({"BAD_REQUEST", "INTERNAL"})


class FixtureProvider(Protocol):
    """Serves the fixture hierarchies that resolve cases need (conformance._fixtures)."""

    def request_input(self, case: dict[str, Any], step: int | None = None) -> dict[str, Any]: ...

    def close(self) -> None: ...


@dataclass
class CaseResult:
    """How one case ended: ``pass``, ``fail``, ``skip`` (the adapter skipped it),
    ``xfail`` (an expected failure that failed), ``xpass`` (an expected failure that
    passed: a failure of the run), or ``error`` (protocol error, timeout, crash)."""

    case: Case
    outcome: str
    detail: str = ""
    got: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    duration: float = 0.0
    stderr: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome in ("fail", "xpass", "error")


@dataclass
class Run:
    """A whole run: the adapter's hello, every case's result, and whether it was cut short."""

    hello: Hello | None
    results: list[CaseResult] = field(default_factory=list)
    stopped: str = ""  # why the run stopped early, if it did
    selected: int = 0
    restarts: int = 0

    @property
    def partial(self) -> bool:
        return bool(self.stopped) or any(r.outcome == "error" for r in self.results)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def exit_status(self) -> int:
        if self.partial:
            return 2
        if any(r.failed for r in self.results):
            return 1
        return 0


# ------------------------------------------------------------------- judging


def _equal(want: Any, got: Any) -> bool:
    """Whether ``got`` gives what ``want`` says: every member of an expected object,
    with its value (other members of ``got`` are not compared); arrays of the same
    length, element by element; scalars equal and of the same JSON type (true is not
    1, and 1 is not 1.0)."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(
            name in got and _equal(value, got[name]) for name, value in want.items()
        )
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(map(_equal, want, got))
    return type(want) is type(got) and bool(want == got)


def _by_priority(items: Any) -> list[tuple[Any, list[str]]] | None:
    """Endpoints as runs of one priority, each run as a sorted list: within one
    priority the order is a weighted random choice (spec/resolution.md §16)."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return None
    runs: list[tuple[Any, list[str]]] = []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if runs and runs[-1][0] == item.get("priority"):
            runs[-1][1].append(key)
        else:
            runs.append((item.get("priority"), [key]))
    return [(prio, sorted(keys)) for prio, keys in runs]


def _same(want: Any, got: Any, order: str) -> bool:
    if order == "by-priority":
        runs = _by_priority(want)
        return runs is not None and runs == _by_priority(got)
    return _equal(want, got)


def _outputs(want: dict[str, Any], got: dict[str, Any], order: str) -> str:
    """What differs between the expected output and the result ('' when nothing)."""
    for name, value in want.items():
        if name not in got:
            return f"the result has no {name!r}"
        if not _same(value, got[name], order if name == "endpoints" else "exact"):
            return f"{name}: expected {json.dumps(value)}, got {json.dumps(got[name])}"
    return ""


def judge(expected: dict[str, Any], reply: Reply, capabilities: frozenset[str]) -> str:
    """Why ``reply`` does not give ``expected`` ('' when it does). Skips are not judged."""
    result = expected["result"]
    order = expected.get("order", "exact")
    if reply.status == "error" and reply.error.get("code") in _ADAPTER_CODES:
        return f"the adapter failed: {reply.error.get('code')}: {reply.error.get('message', '')}"
    if result == "valid":
        if reply.status != "ok":
            return f"expected a result, got the rejection {reply.error.get('code')}"
        return _outputs(expected["output"], reply.result, order)
    if result == "invalid":
        if reply.status != "error":
            return f"expected a rejection ({' or '.join(expected['errors'])}), got a result"
        code = reply.error.get("code")
        if code not in expected["errors"]:
            return f"expected {' or '.join(expected['errors'])}, got {code}"
        if "position" in expected and "error-positions" in capabilities:
            got = reply.error.get("position")
            if got != expected["position"]:
                return f"{code} at position {expected['position']} expected, reported at {got}"
        return ""
    # acceptable: either answer is allowed; what is given must be right.
    if reply.status == "ok" and "output" in expected:
        return _outputs(expected["output"], reply.result, order)
    if (
        reply.status == "error"
        and "errors" in expected
        and reply.error.get("code") not in (expected["errors"])
    ):
        return f"expected {' or '.join(expected['errors'])} if rejected, got {reply.error['code']}"
    return ""


# ------------------------------------------------------------------- running


def _requests(
    case: Case, fixtures: FixtureProvider | None
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(input to send, expected) per request of the case."""
    steps = case.steps
    if steps is None:
        inp = case.input
        if case.operation == "resolve" and fixtures is not None:
            inp = fixtures.request_input(_raw(case))
        return [(inp, case.expected)]
    expected_steps = case.expected.get("steps") or [case.expected] * len(steps)
    out = []
    for i, step in enumerate(steps):
        inp = step
        if case.operation == "resolve" and fixtures is not None:
            inp = fixtures.request_input(_raw(case), i)
        out.append((inp, expected_steps[i]))
    return out


def _raw(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "operation": case.operation,
        "input": case.input,
        "expected": case.expected,
    }


def run_cases(
    cases: Sequence[Case],
    adapter: Adapter,
    *,
    timeout: float,
    expected_failures: dict[str, str],
    fixtures: FixtureProvider | None = None,
    progress: Callable[[CaseResult, int, int], None] | None = None,
) -> Run:
    """Run ``cases`` (already selected) through ``adapter``, started or not."""
    run = Run(hello=adapter.hello, selected=len(cases))
    restarts_in_a_row = 0
    for index, case in enumerate(cases, 1):
        started = time.monotonic()
        result = CaseResult(case, "pass")
        try:
            if adapter.hello is None or not adapter.alive:
                run.hello = adapter.restart() if adapter.hello else adapter.start()
            for inp, expected in _requests(case, fixtures):
                result.sent.append(inp)
                reply = adapter.request(case.operation, case.id, inp, timeout)
                result.got.append(reply.as_json())
                if reply.status == "skip":
                    result.outcome, result.detail = "skip", reply.reason
                    break
                why = judge(
                    expected, reply, adapter.hello.capabilities if adapter.hello else frozenset()
                )
                if why:
                    result.outcome, result.detail = "fail", why
                    break
        except AdapterFault as fault:
            result.outcome, result.detail = "error", f"{fault.kind}: {fault.detail}"
            result.stderr = adapter.stderr_tail()
        except HelloError as exc:
            result.outcome, result.detail = "error", f"restart failed: {exc}"
            result.stderr = adapter.stderr_tail()
            run.stopped = f"the adapter could not be restarted: {exc}"
        result.duration = time.monotonic() - started
        if case.id in expected_failures:
            if result.outcome == "fail":
                result.outcome = "xfail"
                result.detail = f"expected failure ({expected_failures[case.id]}): {result.detail}"
            elif result.outcome == "pass":
                result.outcome = "xpass"
                result.detail = (
                    f"listed as an expected failure ({expected_failures[case.id]}) but passed"
                )
        if result.outcome == "fail" and not result.stderr:
            result.stderr = adapter.stderr_tail(2000)
        run.results.append(result)
        if progress is not None:
            progress(result, index, len(cases))
        if result.outcome == "error":
            restarts_in_a_row += 1
            if restarts_in_a_row > MAX_RESTARTS_IN_A_ROW and not run.stopped:
                run.stopped = f"{restarts_in_a_row} adapter failures in a row"
        elif result.outcome in ("pass", "xfail"):
            restarts_in_a_row = 0
        if run.stopped:
            break
    run.restarts = adapter.restarts
    return run
