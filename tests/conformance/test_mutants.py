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

    ``kills``: the ids of cases that must each fail against it. ``profiles`` and
    ``areas`` (all of the profiles' when empty): the selection it is scored on, the
    parts of the suite its fault can reach, less the cases flagged in
    :data:`SLOW_FLAGS`.
    """

    name: str
    kills: tuple[str, ...]
    profiles: tuple[str, ...]
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
            and c.profile in self.profiles
            and (not self.areas or c.area in self.areas)
            and not SLOW_FLAGS & set(c.flags)
        )


@functools.cache
def all_cases() -> tuple[Case, ...]:
    return tuple(load_cases(VECTORS))


ID, DS, RS, ST = ("identifier",), ("descriptor",), ("resolver",), ("status",)
DS_RS = DS + RS  # faults of the verifier that the resolver reaches too


def _mutant(name: str, profiles: tuple[str, ...], *kills: str) -> Mutant:
    return Mutant(name, kills, profiles)


MUTANTS: tuple[Mutant, ...] = (
    # ---- status (spec/status.md)
    _mutant(
        "status_skew_after_exp",  # §7.3: the skew extends exp, as for descriptors
        ST,
        "st-d1f73c7fb7",  # at exp
        "st-3bff5f9103",  # at exp + 10 with skew 60
    ),
    _mutant(
        "status_descriptor_unchecked",  # §7.2 step 8: iss, sub and dver not compared
        ST,
        "st-69ecc84f85",  # another subject
        "st-1cf8a34ead",  # another descriptor version
        "st-99f3b0a39d",  # another issuer
    ),
    # ---- identifier (spec/identifier.md)
    _mutant(
        "region_case_kept",  # §3.4: the canonical form keeps the region's upper case
        ID,
        "idc-0a1ca8f45c",  # CN-GD-SZ1 lowercased, subtags too
        "idc-e74a19120c",  # the §3.4 example
        "dns-7489cce92c",  # the DNS name of a spelling with upper case
    ),
    _mutant(
        "unregistered_arch_registered",  # §6.1-§6.3: x86-64-v5, sm120, armv8 registered
        ID,
        "reg-ea8e08fc9a",  # x86-64-v5 (unregistered) gains no compatibility
        "reg-9dce2a12ab",  # not even with the baseline
    ),
    _mutant(
        "compat_order_symmetric",  # §6.2: the order read both ways
        ID,
        "reg-f39a971985",  # x86-64-v3 does not satisfy x86-64-v4
        "reg-bafdfd4b70",  # x86-64 does not satisfy x86-64-v2
        "pat-ba868e22ee",  # §10.5: x86-64-v3 against C (x86-64-v2)
    ),
    _mutant(
        "binary_units_decimal",  # §7.2: KiB ... EiB as powers of 1000
        ID,
        "cap-5f4d3f9e65",  # 3GiB is 3 x 1073741824 B
        "cap-c882ca2d0d",  # 3KiB is 3 x 1024 B
    ),
    _mutant(
        "idna_uts46_mapping",  # §4: UTS #46 mapping before IDNA2008
        ID,
        "idna-e08f11e6c7",  # U+00C4 is not PVALID; not lowercased
        "idna-3e23a833aa",  # uppercase Ü is not mapped to ü
        "idna-becf7a8989",  # U+FF0E is not a label separator
    ),
    _mutant(
        "attribute_limit_17",  # §8: 17 attributes accepted
        ID,
        "lim-3ff535bc8c",  # 17 attributes: the seventeenth key
    ),
    _mutant(
        "pattern_key_length_limited",  # §10.2: a pattern's key held to 32 characters
        ID,
        "pat-7902edbd3b",  # a key of 33 is valid in a pattern
        "pat-3011804ce0",  # a key of 40 with a value
    ),
    _mutant(
        "dns_unit_uppercase",  # §9.1-§9.2: B and Hz kept upper case in the DNS name
        ID,
        "dns-90acc717db",  # §9.4 example
        "dns-94d71c7232",  # §9.4 example, reversed
    ),
    _mutant(
        "dns_reverse_not_bijective",  # §9.3 step 8 skipped: non-canonical names accepted
        ID,
        "dns-c4012c8eb9",  # attributes not in canonical order
        "dns-0f12da9195",  # an alias
        "dns-850b3281a5",  # accelerators not sorted
    ),
    # ---- descriptor: CBOR, COSE, Ed25519, records, delegation, chains (spec/descriptor.md)
    _mutant(
        "cbor_nondeterministic",  # §3: long heads, indefinite lengths, unsorted keys
        DS,
        "cbor-c312762363",  # RFC 8949 Appendix A (_ h'0102', h'030405'): indefinite
        "cbor-06a645a39e",  # RFC 8949 Appendix A []: indefinite
        "ds-19df5e4d73",  # exp in a nine-byte head, correctly signed over those bytes
        "ds-2151ed1fbe",  # claims sub before iss, correctly signed
    ),
    _mutant(
        "cbor_trailing_bytes",  # §3: bytes after the data item ignored
        DS,
        "cbor-0ee42d3a32",  # two items: 0 then 0
        "cbor-7b283eb60c",  # an empty array followed by a byte
        "cose-31922ef951",  # a zero byte after the record
    ),
    _mutant(
        "verifies_reencoded_payload",  # §4.5, §8.2: the signature over a re-encoding
        DS,
        "ds-19df5e4d73",  # exp in a nine-byte head, signed over those bytes: ENCODING
        "ds-9c8459c1c7",  # the same, signed over the deterministic re-encoding
    ),
    _mutant(
        "unknown_typ_accepted",  # §4.2: typ not checked
        DS_RS,
        "cose-c806464ed9",  # a descriptor payload under the delegation typ
        "cose-46d45b3396",  # a descriptor payload under the anchor typ
        "ch-fc25e754d6",  # a delegation under the descriptor typ, in a chain
        "rs-157a2efe04",  # resolve: TYPE65280 holds a descriptor under the delegation typ
        "rs-6c839e17fa",  # resolve: ... under the anchor typ
        "rs-72ef016b51",  # resolve: ... under application/cbor
        "rs-28579d0fb8",  # resolve: a delegation record under the descriptor typ
    ),
    _mutant(
        "signature_not_checked",  # §8.2 step 6 skipped
        DS_RS,
        "dg-4faf23d0ed",  # a delegation record with a bad signature
        "ch-170d9ee7e3",  # a chain: the descriptor's signature is bad
        "ch-086764b353",  # a chain: a delegation's signature is bad
        "rs-b81cb00dcf",  # resolve: the descriptor's signature does not verify
    ),
    _mutant(
        "signature_malleable",  # §4.5.3: S >= L accepted (reduced mod L)
        DS,
        "ed-4acd8c2d9e",  # Wycheproof: s replaced by s + L
        "ed-4fe746ec8f",  # Wycheproof: s replaced by s + 2L
    ),
    _mutant(
        "signature_length_unchecked",  # §4.5: a signature longer than 64 bytes sliced
        DS,
        "ed-bd7d72dcec",  # Wycheproof: signature too long
        "ed-8f6b3b0e0d",  # Wycheproof: the public key appended to the signature
    ),
    _mutant(
        "wrong_key",  # §5.2: a kid that names no trusted key: the first key used
        DS_RS,
        "dg-0d6d009709",  # a delegation signed by the child's own key: UNKNOWN_KEY
        "dg-5db4d7e655",  # verified with the child's key instead of the parent's
        "rs-736789458a",  # resolve: a descriptor's kid names neither of its zone's two keys
        "rs-5db2450f1c",  # resolve: a descriptor's kid names no key of a one-key zone
        "rs-4b789721ad",  # resolve: a delegation record's kid names neither parent key
        "rs-e8ce3b51fa",  # resolve: a delegation record's kid names not the parent's one key
    ),
    _mutant(
        "keytrap_all_keys",  # §5.2: every trusted key tried (KeyTrap)
        DS_RS,
        "dg-0d6d009709",  # a delegation signed by the child's own key: UNKNOWN_KEY
        "dg-5db4d7e655",  # verified with the child's key instead of the parent's
        "rs-944f588250",  # resolve: a descriptor's kid names key A, key B of its zone signed
        "rs-dfdea2fa19",  # resolve: kid names key B, key A signed
        "rs-bab1c7ea70",  # resolve: a delegation record's kid names A, B signed
        "rs-736789458a",  # resolve: a descriptor's kid names neither of its zone's two keys
        "rs-e8ce3b51fa",  # resolve: a delegation record's kid names not the parent's one key
    ),
    _mutant(
        "delegation_unverified",  # §9: a delegation followed without its parent's signature
        DS_RS,
        "ch-8ea0881810",  # acme.east's delegation signed by the root's key, not east's
        "ch-b8506fa6eb",  # the anchor's key did not sign the first delegation
        "ch-086764b353",  # a delegation's signature is bad
        "rs-5bb604f8c3",  # resolve: a delegation record signed by an attacker's key
    ),
    _mutant(
        "expiry_ignored",  # §8.3: exp ignored
        DS_RS,
        "ds-3535f5a149",  # now long after exp
        "dg-b088283bd9",  # a delegation at now = exp + 300
        "ch-45e2d8fc22",  # a chain whose delegation expired
        "rs-51fd9043a4",  # resolve: the descriptor expired a day ago
    ),
    _mutant(
        "expiry_off_by_one",  # §8.3.1: still valid at now = exp + skew
        DS_RS,
        "ds-910b813328",  # now = exp + 300: expired, default skew
        "ds-3144fdd951",  # skew 0: now = exp
        "dg-b088283bd9",  # a delegation at now = exp + 300
        "rs-62948f1571",  # resolve: the descriptor at exp + 300
        "rs-f9b5e1aa94",  # resolve: a delegation record at exp + 300
    ),
    _mutant(
        "not_before_off_by_one",  # §8.3.1: not yet valid at now = nbf - skew
        DS_RS,
        "ds-8d7fdb2701",  # now = nbf - 300: the first valid second
        "ds-9b4a446901",  # skew 0: now = nbf
        "dg-f72c4d4638",  # a delegation at now = nbf - 300
        "rs-c14eb5ef08",  # resolve: descriptor and delegations at start - 300
        "rs-b985b920ea",  # resolve: a descriptor valid from T0 + 1 day, at start - 300
        "rs-5b9a7e590e",  # resolve: a delegation record valid from T0 + 1 day, at start - 300
    ),
    _mutant(
        "rollback_accepted",  # §8.5: lower versions accepted
        DS_RS,
        "ds-5e67e58353",  # a descriptor: version 1 after version 2
        "dg-bb49af2a3b",  # a delegation record: version 1 after version 2
        "rs-510cd7780b",  # resolve: version 2 accepted, then version 1 served
        "rs-35ebf5ac0d",  # resolve: a delegation record's version 2, then version 1
    ),
    _mutant(
        "critical_extension_ignored",  # §6.3: crit not honoured
        DS_RS,
        "ds-e4babfc91f",  # crit [a], nothing understood
        "ds-707cc9491e",  # crit [a], only b understood
        "rs-2971fd9c1a",  # resolve: the descriptor names an unknown critical extension
    ),
    _mutant(
        "delegation_depth_unlimited",  # resolution §15: no bound on the chain's depth
        DS,
        "ch-b4adfc681f",  # 17 delegations, each valid: more than 16 below the anchor
    ),
    # ---- resolution (spec/resolution.md part 2)
    _mutant(
        "cache_past_ttl",  # §14: answers cached as fresh forever
        RS,
        "rs-682e09167e",  # asked again after the descriptor's exp: EXPIRED, never the cache
        "rs-661b48897b",  # past its TTL the zone publishes version 3: the new endpoints
        "rs-cee8dd5279",  # past its TTL the name is gone: NOT_FOUND
    ),
    _mutant(
        "referral_upward_followed",  # §12.4.1: a referral back up followed, not LOOP
        RS,
        "rs-fa672307d5",  # a platform refers back to the root
        "rs-529860584d",  # ... on the way to a provider
        "rs-4b4f74429f",  # a zone refers to itself
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
            assert case.profile in m.profiles, f"{m.name}: {case_id} is not in {m.profiles}"
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
