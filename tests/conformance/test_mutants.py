"""Mutation testing of the conformance suite: do the vectors catch the faults that
implementations plausibly have?

Each mutant in ``mutants/`` is the reference adapter with one deliberate fault (its
docstring says which). For each, :data:`MUTANTS` names the cases that must kill it
(fail when run against it), and the selection it is scored on (its profile, or the
areas it touches). The tests:

1. run each mutant on its killing cases alone (``cid-conformance run --case ...``):
   exit status 1, and every one of those cases failed;
2. run each mutant on its whole selection: it must be killed (exit status 1), and
   the mutation score is printed ("mutation score: 27/27 killed"); a survivor is a
   gap in the vectors, and the test names it;
3. run the reference adapter on everything the mutants are run on: it passes (the
   control, without which a "kill" could be a wrong vector).

The runs are made in-process (``conformance._cli.main``), two at a time: each
starts its adapter as a process of its own.
"""

from __future__ import annotations

import functools
import io
import json
import shlex
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance._cases import VECTORS, load_cases
from conformance._cli import main

HERE = Path(__file__).resolve().parent
MUTANT_DIR = HERE / "mutants"
PY = shlex.quote(sys.executable)
#: Runs at a time: each keeps one adapter process busy.
WORKERS = 2


@dataclass(frozen=True)
class Mutant:
    """A mutant adapter, ``mutants/<name>.py``.

    ``kills``: the ids of the cases that must each fail against it. ``profile`` and
    ``areas``: the selection it is scored on (``--profile``, and ``--area`` when
    given, to keep the slow areas out of mutants that cannot reach them).
    """

    name: str
    kills: tuple[str, ...]
    profile: str
    areas: tuple[str, ...] = ()

    @property
    def adapter(self) -> str:
        return f"{PY} {shlex.quote(str(MUTANT_DIR / f'{self.name}.py'))}"

    @property
    def selection(self) -> tuple[str, ...]:
        return ("--profile", self.profile, *(a for area in self.areas for a in ("--area", area)))


MUTANTS: tuple[Mutant, ...] = ()


# -------------------------------------------------------------------- running


@dataclass(frozen=True)
class Outcome:
    """One ``cid-conformance run``: its exit status, JSON report and printed summary."""

    status: int
    report: dict[str, Any]
    text: str

    def failed(self) -> set[str]:
        return {c["id"] for c in self.report.get("cases", []) if c["outcome"] in ("fail", "xpass")}

    def outcomes(self) -> dict[str, str]:
        return {c["id"]: c["outcome"] for c in self.report.get("cases", [])}


def run(adapter: str | None, argv: Sequence[str]) -> Outcome:
    """``cid-conformance run`` with this adapter (None: the reference) and selection."""
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        args = ["--vectors", str(VECTORS), "run", "-q", "--json", str(report), *argv]
        if adapter is not None:
            args += ["--adapter", adapter]
        status = main(args, out=out, err=err)
        data = json.loads(report.read_text()) if report.exists() else {}
    return Outcome(status, data, out.getvalue() + err.getvalue())


@dataclass(frozen=True)
class Results:
    named: dict[str, Outcome]  # each mutant on its killing cases
    scored: dict[str, Outcome]  # each mutant on its selection
    control: dict[tuple[str, ...], Outcome]  # the reference on each selection


@functools.cache
def results() -> Results:
    """Every run the tests judge, made once, ``WORKERS`` at a time."""
    selections = sorted({m.selection for m in MUTANTS})
    with ThreadPoolExecutor(WORKERS) as pool:
        named = {
            m.name: pool.submit(run, m.adapter, [a for i in m.kills for a in ("--case", i)])
            for m in MUTANTS
        }
        scored = {m.name: pool.submit(run, m.adapter, m.selection) for m in MUTANTS}
        control = {s: pool.submit(run, None, s) for s in selections}
        return Results(
            {k: f.result() for k, f in named.items()},
            {k: f.result() for k, f in scored.items()},
            {k: f.result() for k, f in control.items()},
        )


# ---------------------------------------------------------------------- tests


def test_the_table_names_every_mutant_once() -> None:
    files = {p.stem for p in MUTANT_DIR.glob("*.py") if not p.stem.startswith("_")}
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names))
    assert set(names) == files


def test_the_killing_cases_are_active_cases_of_the_selection() -> None:
    cases = {c.id: c for c in load_cases(VECTORS)}
    for m in MUTANTS:
        assert m.kills, f"{m.name}: no case is named to kill it"
        for case_id in m.kills:
            assert case_id in cases, f"{m.name}: no case {case_id} in {VECTORS}"
            case = cases[case_id]
            assert case.active, f"{m.name}: {case_id} is withdrawn"
            assert case.profile == m.profile, f"{m.name}: {case_id} is not in {m.profile}"
            if m.areas:
                assert case.area in m.areas, f"{m.name}: {case_id} is outside {m.areas}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_the_named_cases_kill_the_mutant(mutant: Mutant) -> None:
    got = results().named[mutant.name]
    assert got.status == 1, f"{mutant.name}: exit status {got.status}\n{got.text[-3000:]}"
    outcomes = got.outcomes()
    survived = sorted(i for i in mutant.kills if outcomes.get(i) != "fail")
    assert not survived, f"{mutant.name} passes {', '.join(survived)}"


def test_mutation_score() -> None:
    res = results()
    killed, survivors, broken = [], [], []
    for m in MUTANTS:
        got = res.scored[m.name]
        if got.status == 1 and not got.report.get("partial"):
            killed.append(m.name)
        elif got.status == 0:
            survivors.append(m.name)
        else:  # a mutant that crashes or hangs shows nothing of the vectors
            broken.append(f"{m.name} (exit status {got.status}: {got.text[-500:]})")
    line = f"mutation score: {len(killed)}/{len(MUTANTS)} killed"
    print(line)
    for m in MUTANTS:
        if m.name in killed:
            print(f"  {m.name}: killed by {len(res.scored[m.name].failed())} cases")
    assert not broken, "mutants that did not run cleanly: " + "; ".join(broken)
    assert not survivors, f"{line}; surviving: {', '.join(survivors)}"


def test_the_reference_passes_every_selection() -> None:
    for selection, got in results().control.items():
        assert got.status == 0, f"reference on {' '.join(selection)}:\n{got.text[-3000:]}"
