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

from conformance._cases import VECTORS, Case, load_cases
from conformance._cli import main

HERE = Path(__file__).resolve().parent
MUTANT_DIR = HERE / "mutants"
PY = shlex.quote(sys.executable)
#: Runs at a time: each keeps one adapter process busy.
WORKERS = 2


#: Cases left out of the scored selections: they wait out timeouts (seconds each),
#: and no mutant here changes what a silent server does.
SLOW_FLAGS = frozenset({"slow"})


@dataclass(frozen=True)
class Mutant:
    """A mutant adapter, ``mutants/<name>.py``.

    ``kills``: the ids of cases that must each fail against it. ``profile`` and
    ``areas`` (all of the profile's when empty): the selection it is scored on, less
    the cases flagged in :data:`SLOW_FLAGS`.
    """

    name: str
    kills: tuple[str, ...]
    profile: str
    areas: tuple[str, ...] = ()

    @property
    def adapter(self) -> str:
        return f"{PY} {shlex.quote(str(MUTANT_DIR / f'{self.name}.py'))}"

    def selection(self) -> tuple[str, ...]:
        """The ids of the cases it is scored on."""
        return tuple(
            c.id
            for c in all_cases()
            if c.active
            and c.profile == self.profile
            and (not self.areas or c.area in self.areas)
            and not SLOW_FLAGS & set(c.flags)
        )


@functools.cache
def all_cases() -> tuple[Case, ...]:
    return tuple(load_cases(VECTORS))


def _mutant(name: str, profile: str, *kills: str, areas: tuple[str, ...] = ()) -> Mutant:
    return Mutant(name, kills, profile, areas)


MUTANTS: tuple[Mutant, ...] = (
    # ---- identifier (spec/identifier.md)
    _mutant(
        "region_case_kept",  # §3.4: the canonical form keeps the region's upper case
        "identifier",
        "idc-0a1ca8f45c",  # CN-GD-SZ1 lowercased, subtags too
        "idc-e74a19120c",  # the §3.4 example
        "dns-7489cce92c",  # the DNS name of a spelling with upper case
    ),
    _mutant(
        "unregistered_arch_registered",  # §6.1-§6.3: x86-64-v5, sm120, armv8 registered
        "identifier",
        "reg-ea8e08fc9a",  # x86-64-v5 (unregistered) gains no compatibility
        "reg-9dce2a12ab",  # not even with the baseline
    ),
    _mutant(
        "compat_order_symmetric",  # §6.2: the order read both ways
        "identifier",
        "reg-f39a971985",  # x86-64-v3 does not satisfy x86-64-v4
        "reg-bafdfd4b70",  # x86-64 does not satisfy x86-64-v2
        "pat-ba868e22ee",  # §10.5: x86-64-v3 against C (x86-64-v2)
    ),
    _mutant(
        "binary_units_decimal",  # §7.2: KiB ... EiB as powers of 1000
        "identifier",
        "cap-5f4d3f9e65",  # 3GiB is 3 x 1073741824 B
        "cap-c882ca2d0d",  # 3KiB is 3 x 1024 B
    ),
    _mutant(
        "idna_uts46_mapping",  # §4: UTS #46 mapping before IDNA2008
        "identifier",
        "idna-e08f11e6c7",  # U+00C4 is not PVALID; not lowercased
        "idna-3e23a833aa",  # uppercase Ü is not mapped to ü
        "idna-becf7a8989",  # U+FF0E is not a label separator
    ),
    _mutant(
        "attribute_limit_17",  # §8: 17 attributes accepted
        "identifier",
        "lim-3ff535bc8c",  # 17 attributes: the seventeenth key
    ),
    _mutant(
        "pattern_key_length_limited",  # §10.2: a pattern's key held to 32 characters
        "identifier",
        "pat-7902edbd3b",  # a key of 33 is valid in a pattern
        "pat-3011804ce0",  # a key of 40 with a value
    ),
    _mutant(
        "dns_unit_uppercase",  # §9.1-§9.2: B and Hz kept upper case in the DNS name
        "identifier",
        "dns-90acc717db",  # §9.4 example
        "dns-94d71c7232",  # §9.4 example, reversed
    ),
    _mutant(
        "dns_reverse_not_bijective",  # §9.3 step 8 skipped: non-canonical names accepted
        "identifier",
        "dns-c4012c8eb9",  # attributes not in canonical order
        "dns-0f12da9195",  # an alias
        "dns-850b3281a5",  # accelerators not sorted
    ),
)


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
    control: Outcome  # the reference on every case a mutant is scored on


@functools.cache
def results() -> Results:
    """Every run the tests judge, made once, ``WORKERS`` at a time."""
    selections = {m.name: m.selection() for m in MUTANTS}
    everything = sorted({i for ids in selections.values() for i in ids})
    with ThreadPoolExecutor(WORKERS) as pool:
        # The longest runs first, so that the two workers end together.
        control = pool.submit(run, None, cases(everything))
        scored = {m.name: pool.submit(run, m.adapter, cases(selections[m.name])) for m in MUTANTS}
        named = {m.name: pool.submit(run, m.adapter, cases(m.kills)) for m in MUTANTS}
        return Results(
            {k: f.result() for k, f in named.items()},
            {k: f.result() for k, f in scored.items()},
            control.result(),
        )


def cases(ids: Sequence[str]) -> list[str]:
    """The arguments that select these cases."""
    return [a for i in ids for a in ("--case", i)]


# ---------------------------------------------------------------------- tests


def test_the_table_names_every_mutant_once() -> None:
    files = {p.stem for p in MUTANT_DIR.glob("*.py") if not p.stem.startswith("_")}
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names))
    assert not files - set(names), f"mutants not in MUTANTS: {sorted(files - set(names))}"
    assert not set(names) - files, f"no file in mutants/ for {sorted(set(names) - files)}"


def test_the_killing_cases_are_active_cases_of_the_selection() -> None:
    cases = {c.id: c for c in all_cases()}
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


def test_the_reference_passes_every_case_the_mutants_run() -> None:
    got = results().control
    assert got.status == 0, got.text[-3000:]
    assert got.report["counts"]["pass"] == len({i for m in MUTANTS for i in m.selection()})
