"""Reports of a run: a progress line and a summary for people, JSON for machines,
JUnit XML for CI tools, Markdown for a CI job's page."""

from __future__ import annotations

import json
import shlex
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any, Final, TextIO

from ._runner import CaseResult, Run

__all__ = ["Progress", "junit", "markdown", "report_json", "requirement_place", "summary"]

_SPECS: Final = {
    "ID": "spec/identifier.md",
    "DS": "spec/descriptor.md",
    "RS": "spec/resolution.md",
    "ST": "spec/status.md",
}


def requirement_place(requirement: str) -> str:
    """``ID-9.1-3`` -> ``ID-9.1-3 (spec/identifier.md §9.1)``."""
    prefix, _, rest = requirement.partition("-")
    section = rest.rpartition("-")[0]
    return f"{requirement} ({_SPECS.get(prefix, '?')} §{section})"


class Progress:
    """One line, rewritten after each case, on a terminal; nothing otherwise."""

    def __init__(self, stream: TextIO = sys.stderr, *, enabled: bool | None = None) -> None:
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.counts: Counter[str] = Counter()

    def __call__(self, result: CaseResult, index: int, total: int) -> None:
        self.counts[result.outcome] += 1
        if not self.enabled:
            return
        parts = ", ".join(f"{n} {o}" for o, n in sorted(self.counts.items()))
        width = 30
        done = width * index // max(total, 1)
        bar = "#" * done + "." * (width - done)
        self.stream.write(f"\r[{bar}] {index}/{total} {parts}\033[K")
        if index == total:
            self.stream.write("\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _reproduce(result: CaseResult, adapter: str) -> str:
    return f"cid-conformance run --adapter {shlex.quote(adapter)} --case {result.case.id}"


def _failure_text(result: CaseResult, adapter: str) -> str:
    case = result.case
    lines = [
        f"{result.outcome.upper()} {case.id} ({case.area}, {case.operation}): {case.comment}",
        "  requirements: " + ", ".join(requirement_place(r) for r in case.requirements),
    ]
    if case.flags:
        lines.append("  flags: " + ", ".join(case.flags))
    lines.append(f"  why: {result.detail}")
    for sent, got in zip(result.sent, result.got, strict=False):
        lines.append("  sent: " + json.dumps(sent, ensure_ascii=False)[:600])
        lines.append("  got: " + json.dumps(got, ensure_ascii=False)[:600])
    lines.append("  expected: " + json.dumps(case.expected, ensure_ascii=False)[:600])
    if result.stderr.strip():
        tail = result.stderr.strip().splitlines()[-5:]
        lines.append("  adapter stderr (last lines): " + " | ".join(tail))
    lines.append(f"  reproduce: {_reproduce(result, adapter)}")
    return "\n".join(lines)


def summary(run: Run, adapter: str, out: TextIO) -> None:
    """The human report: each failure in full, then the counts and the verdict."""
    for result in run.results:
        if result.failed:
            print(_failure_text(result, adapter), file=out)
            print(file=out)
    hello = run.hello
    who = f"{hello.name} {hello.version} ({hello.language})" if hello else "the adapter"
    counts = ", ".join(
        f"{run.count(o)} {o}"
        for o in ("pass", "fail", "skip", "xfail", "xpass", "error")
        if run.count(o)
    )
    print(
        f"{who}: {len(run.results)} of {run.selected} selected cases run: {counts or 'none'}",
        file=out,
    )
    if run.restarts:
        print(f"the adapter was restarted {run.restarts} times", file=out)
    if run.stopped:
        print(f"PARTIAL RUN: stopped early: {run.stopped}", file=out)
    elif run.partial:
        print(
            "PARTIAL RUN: the adapter misbehaved (protocol errors, timeouts or crashes)", file=out
        )
    verdict = {0: "PASSED", 1: "FAILED", 2: "PARTIAL"}[run.exit_status]
    print(verdict, file=out)


def report_json(run: Run, *, suite: str, digest: str, adapter: str) -> dict[str, Any]:
    return {
        "suite_version": suite,
        "vectors_sha256": digest,
        "adapter": adapter,
        "implementation": run.hello.as_json() if run.hello else None,
        "selected": run.selected,
        "partial": run.partial,
        "stopped": run.stopped or None,
        "exit_status": run.exit_status,
        "counts": {o: run.count(o) for o in ("pass", "fail", "skip", "xfail", "xpass", "error")},
        "cases": [
            {
                "id": r.case.id,
                "area": r.case.area,
                "operation": r.case.operation,
                "requirements": list(r.case.requirements),
                "outcome": r.outcome,
                "detail": r.detail,
                "duration": round(r.duration, 6),
            }
            for r in run.results
        ],
    }


def junit(run: Run, *, adapter: str) -> bytes:
    """One ``testsuites`` root, a ``testsuite`` per area, a ``testcase`` per case."""
    root = ET.Element("testsuites", name="ucid-conformance")
    by_area: dict[str, list[CaseResult]] = {}
    for result in run.results:
        by_area.setdefault(result.case.area, []).append(result)
    total = Counter[str]()
    for area, results in by_area.items():
        counts = Counter(r.outcome for r in results)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=area,
            tests=str(len(results)),
            failures=str(counts["fail"] + counts["xpass"]),
            errors=str(counts["error"]),
            skipped=str(counts["skip"] + counts["xfail"]),
            time=f"{sum(r.duration for r in results):.3f}",
        )
        total.update(counts)
        for r in results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{area}.{r.case.operation}",
                name=r.case.id,
                time=f"{r.duration:.3f}",
            )
            if r.outcome in ("fail", "xpass"):
                node = ET.SubElement(case, "failure", message=r.detail[:500])
                node.text = _failure_text(r, adapter)
            elif r.outcome == "error":
                node = ET.SubElement(case, "error", message=r.detail[:500])
                node.text = _failure_text(r, adapter)
            elif r.outcome in ("skip", "xfail"):
                ET.SubElement(case, "skipped", message=r.detail[:500])
    root.set("tests", str(len(run.results)))
    root.set("failures", str(total["fail"] + total["xpass"]))
    root.set("errors", str(total["error"]))
    root.set("skipped", str(total["skip"] + total["xfail"]))
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def markdown(run: Run, *, suite: str, adapter: str) -> str:
    hello = run.hello
    who = f"{hello.name} {hello.version} ({hello.language})" if hello else "(no hello)"
    verdict = {0: "passed", 1: "failed", 2: "partial run"}[run.exit_status]
    lines = [
        f"## UCID conformance {suite}: {verdict}",
        "",
        f"Implementation: {who}  ",
        f"Adapter: `{adapter}`",
        "",
        "| area | pass | fail | skip | expected failures | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_area: dict[str, Counter[str]] = {}
    for r in run.results:
        by_area.setdefault(r.case.area, Counter())[r.outcome] += 1
    for area, c in sorted(by_area.items()):
        lines.append(
            f"| {area} | {c['pass']} | {c['fail'] + c['xpass']} | {c['skip']} | {c['xfail']} "
            f"| {c['error']} |"
        )
    failed = [r for r in run.results if r.failed]
    if failed:
        lines += ["", "### Failures", ""]
        for r in failed[:200]:
            reqs = ", ".join(requirement_place(q) for q in r.case.requirements)
            lines.append(f"- `{r.case.id}` ({reqs}): {r.detail}")
        if len(failed) > 200:
            lines.append(f"- ... and {len(failed) - 200} more (see the JSON report)")
    if run.stopped:
        lines += ["", f"**Stopped early:** {run.stopped}"]
    return "\n".join(lines) + "\n"
