"""Vectors of the resolution area: ``resolve`` cases (profile ``resolver``) against the
fixtures of ``conformance/fixtures/``, and ``server`` cases (profile ``server``) that
an authoritative server loaded with a fixture's zones must pass.

The fixtures (zones, keys, servers, behaviours) are built in
``_resolution_fixtures.py`` from the hierarchies of ``_resolution_world.py`` at the
fixed time T0 with fixed keys; every expected result here is computed from the
records those modules sign, never by running a resolver.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import dns.rdatatype
import dns.zone

import cid

from ._common import Area, Case
from ._descriptor_cases import FLAGS as DESCRIPTOR_FLAGS
from ._records import ANCHOR as TYP_ANCHOR
from ._records import DELEG as TYP_DELEG
from ._records import DESC as TYP_DESC
from ._records import envelope, protected, sig_structure
from ._resolution_fixtures import (
    ACME,
    ARCH,
    CMCC,
    CNSH,
    CTYUN,
    DEBY,
    EAST,
    HONEST_IDS,
    HPC,
    SUGON,
    honest_world,
    mi_v3,
    render,
)
from ._resolution_world import (
    ATTACKER,
    DAY,
    ROOT,
    T0,
    DescriptorDef,
    World,
    Zones,
    delegation_owner,
    descriptor_owner,
    zone_key,
)

__all__ = ["build"]

SPEC: Final = Path(__file__).resolve().parents[2] / "spec" / "resolution.md"
DESCRIPTOR_SPEC: Final = SPEC.with_name("descriptor.md")
IDS: Final = HONEST_IDS

# Requirement ids used below, by what they say (spec/resolution.md).
PARSE, CACHE, DESCEND, ONE_RECORD, ISSUER, VERIFY, OK = (
    "RS-12-1",
    "RS-12-2",
    "RS-12-5",
    "RS-12-6",
    "RS-12-7",
    "RS-12-8",
    "RS-12-9",
)
ANCHOR, PORT = "RS-12.1-1", "RS-12.1-4"
NO_EDNS_RETRY, SOURCE_PORT, WRONG_ID, WRONG_Q, TC_TCP = (
    "RS-12.2-1",
    "RS-12.2-2",
    "RS-12.2-3",
    "RS-12.2-4",
    "RS-12.2-5",
)
LIMIT_CHECK, FIRST_USABLE, ROUNDS, SEVERITY = "RS-12.3-2", "RS-12.3-3", "RS-12.3-4", "RS-12.3-5"
(
    C_SIZE,
    C_FORM,
    C_ID,
    C_QUESTION,
    C_TC,
    C_REFUSED,
    C_RCODE,
    C_NX,
    C_UNASKED,
    C_ANSWER,
    C_REFERRAL,
    C_NODATA,
    C_DISCARD,
) = (f"RS-12.4-{i}" for i in range(1, 14))
NEG = "RS-12.4.1-1"
R_ONE_NS, R_DOWN, R_BAILIWICK, R_APEX, R_GLUE, R_DELEG, R_IGNORE = (
    f"RS-12.4.2-{i}" for i in range(1, 8)
)
F_DEPTH, F_KEYS, F_SERVERS, F_ENTRY = (f"RS-12.5-{i}" for i in range(1, 5))
D_ONE, D_VERIFY, D_SUB, D_ROLLBACK, D_KEYS = (f"RS-12.5.1-{i}" for i in range(1, 6))
P_FALLBACK, P_NOSERVERS, P_ABOVE_CUT = "RS-12.6-1", "RS-12.6-2", "RS-12.6-3"
FW_ASK, FW_NEG, FW_ISSUER, FW_VERIFY = (f"RS-12.7-{i}" for i in range(1, 5))
TXT_RULES, TXT_WHEN, TXT_ASK, TXT_READ, TXT_USE, TXT_OTHERWISE = (
    f"RS-12.7.1-{i}" for i in range(1, 7)
)
V_ONE, V_VERIFY, V_SUB, V_ROLLBACK, V_RESULT, V_SVCB = (f"RS-12.8-{i}" for i in range(1, 7))
(
    O_OK,
    O_INVALID,
    O_NOT_FOUND,
    O_NO_LIVE,
    O_BOGUS,
    O_EXPIRED,
    O_ROLLBACK,
    O_TIMEOUT,
    O_SERVFAIL,
    O_LAME,
    O_LOOP,
    O_LIMIT,
) = (f"RS-13.1-{i}" for i in range(1, 13))
STALE_ONLY = "RS-13.3-1"
CACHE_ONLY = "RS-14.1-1"
ENDPOINTS_ONLY, PRIORITY = "RS-16-1", "RS-16-3"
DEFAULTS, L_QUERIES, L_DEADLINE, L_QTIMEOUT, L_ROUNDS, L_RESPONSE, L_LIVE = (
    "RS-15-1",
    "RS-15-3",
    "RS-15-4",
    "RS-15-5",
    "RS-15-6",
    "RS-15-7",
    "RS-15-9",
)
SEC_UNAUTH, SEC_REPLAY, SEC_LIMITS = "RS-18.1-1", "RS-18.3-1", "RS-18.6-1"
VERSION_CHECK = "RS-14.8-1"
# spec/descriptor.md, which §12.5.1 and §12.8 apply: the kid's key and no other (§5.2.2),
# the typ expected (§4.3.1), the validity window (§8.3.1), a rollover's two keys (§9).
KID_KEY, KID_ONLY, KID_UNKNOWN, KID_NO_OTHER = (f"DS-5.2.2-{i}" for i in range(1, 5))
TYP_EXPECTED, STEP_HEADER, STEP_KEY, STEP_SIGNATURE = (
    "DS-4.3.1-2",
    "DS-8.2.1-4",
    "DS-8.2.1-6",
    "DS-8.2.1-7",
)
WINDOW, WINDOW_EDGES = "DS-8.3.1-1", "DS-8.3.1-2"
TWO_KEYS, PARENT_KEYS, CHILD_KEYS = "DS-9.1-5", "DS-9.2-1", "DS-9.2-2"

OUTCOME_REQ: Final = {
    "NOT_FOUND": O_NOT_FOUND,
    "NO_LIVE_ENDPOINTS": O_NO_LIVE,
    "BOGUS": O_BOGUS,
    "EXPIRED": O_EXPIRED,
    "ROLLBACK": O_ROLLBACK,
    "TIMEOUT": O_TIMEOUT,
    "SERVFAIL": O_SERVFAIL,
    "LAME_DELEGATION": O_LAME,
    "LOOP": O_LOOP,
    "LIMIT_EXCEEDED": O_LIMIT,
    "INVALID_IDENTIFIER": O_INVALID,
}

FLAGS: Final = {
    "forwarding": "resolves through a forwarder (spec/resolution.md §12.7, OPTIONAL): "
    "catches a forwarding mode that trusts the forwarder or mishandles its answers",
    "probing": "the chain is found by probing for delegation records (§12.6), not by "
    "referrals: catches resolvers that need a referral at every cut",
    "multi-step": "several requests in one case, sharing the resolver's state (cache, "
    "version store): catches caches that outlive their TTL and missing rollback checks",
    "default-limits": "the expected outcome depends on the RECOMMENDED default limits of "
    "§15 (48 queries, 1 s per query, 2 rounds); a resolver with other limits may differ",
    "txt-fallback": "whether the OPTIONAL TXT fallback of §12.7.1 is implemented decides "
    "the answer; both outcomes listed are acceptable",
    "hostile": "a server that lies, fails or misbehaves on the wire (§12.2-§12.4): catches "
    "resolvers that trust unverified data or misclassify faults",
    "broken-zone": "the zones hold records that fail verification (§12.5.1, §12.8): catches "
    "resolvers that skip a check",
    "unicode": "an identifier with a Unicode provider (IDNA A-labels in DNS)",
    "noncanonical-input": "the identifier is given in a non-canonical spelling; the "
    "descriptor's sub is the canonical form",
    "slow": "the case waits for timeouts (a few seconds)",
    "server-referral": "a referral: NS at the cut, glue in the additional section (the "
    "delegation record there is optional, §8.2)",
    "server-negative": "an NXDOMAIN or NODATA answer with the zone's SOA (§8.1, §8.3)",
    "server-size": "message size: TC over UDP when the answer does not fit, the whole "
    "answer over TCP (§6.1)",
    "server-edns": "EDNS behaviour (§6.1, §8.4)",
    "server-private-types": "TYPE65280 and TYPE65281 returned byte for byte (§9)",
    # The verifier's faults that a resolver can have too: the descriptor area's words.
    **{
        flag: DESCRIPTOR_FLAGS[flag]
        for flag in ("key-selection", "unknown-key", "typ-confusion", "validity-boundary")
    },
}


# ------------------------------------------------------------------ expected results


def _chain(world: World, zone: str) -> list[str]:
    out = [zone]
    while (parent := world.zone(out[-1]).parent) is not None:
        out.append(parent)
    return out[::-1]


def _output(world: World, subject: str) -> dict[str, Any]:
    rec = world.descriptor(subject)
    desc = cid.descriptor_json(rec)
    for name in ("capabilities", "ext", "crit"):  # ADAPTER.md §4.8: the members it holds
        if not desc[name]:
            del desc[name]
    endpoints = sorted(desc["endpoints"], key=lambda e: e["priority"])
    return {"descriptor": desc, "chain": _chain(world, rec.issuer), "endpoints": endpoints}


def valid(world: World, subject: str) -> dict[str, Any]:
    return {"result": "valid", "output": _output(world, subject), "order": "by-priority"}


def invalid(*codes: str) -> dict[str, Any]:
    return {"result": "invalid", "errors": list(codes)}


def _input(
    fixture: str,
    identifier: str,
    now: int = T0,
    *,
    forwarding: bool = False,
    timeout: float | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"fixture": fixture, "identifier": identifier, "now": now}
    if forwarding:
        out["forwarding"] = True
    if timeout is not None:
        out["timeout"] = timeout
    return out


def resolve(
    fixture: str,
    identifier: str,
    expected: dict[str, Any],
    reqs: Iterable[str],
    comment: str,
    *,
    now: int = T0,
    forwarding: bool = False,
    timeout: float | None = None,
    flags: Sequence[str] = (),
) -> Case:
    reqs = list(reqs)
    if expected["result"] == "invalid":
        reqs += [OUTCOME_REQ[c] for c in expected["errors"]]
    else:
        reqs += [O_OK, OK]
    flags = list(flags)
    if forwarding:
        flags.append("forwarding")
        reqs += [FW_ASK, "RS-12-3"]
    return Case(
        "resolve",
        _input(fixture, identifier, now, forwarding=forwarding, timeout=timeout),
        expected,
        reqs,
        flags,
        comment,
        profile="resolver",
    )


def steps(
    items: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    reqs: Iterable[str],
    comment: str,
    flags: Sequence[str] = (),
) -> Case:
    """A multi-step case: (input, expected) per step; the last step's expected is the case's."""
    expected = dict(items[-1][1])
    expected["steps"] = [e for _, e in items]
    reqs = list(reqs)
    for _, e in items:
        if e["result"] == "invalid":
            reqs += [OUTCOME_REQ[c] for c in e["errors"]]
    flags = ["multi-step", *flags]
    if any(i.get("forwarding") for i, _ in items):
        flags.append("forwarding")
    return Case(
        "resolve",
        {"steps": [i for i, _ in items]},
        expected,
        reqs,
        flags,
        comment,
        profile="resolver",
    )


# ------------------------------------------------------------------ resolve cases


def _honest_cases(world: World) -> list[Case]:
    out: list[Case] = []
    depth = {
        ROOT: 0,
        HPC: 1,
        ACME: 2,
        SUGON: 2,
        EAST: 1,
        CTYUN: 2,
        CMCC: 2,
        DEBY: 3,
        ARCH: 4,
        CNSH: 3,
    }
    probed = {CTYUN, CNSH}
    for key, subject in IDS.items():
        issuer = world.descriptor(subject).issuer
        flags = ["probing"] if issuer in probed else []
        if key == "cmcc":
            flags.append("unicode")
        reqs = [
            PARSE,
            DESCEND,
            ONE_RECORD,
            ISSUER,
            VERIFY,
            V_ONE,
            V_VERIFY,
            V_SUB,
            V_RESULT,
            ANCHOR,
            PORT,
            ENDPOINTS_ONLY,
            PRIORITY,
            SEC_UNAUTH,
        ]
        if depth[issuer]:
            reqs += [
                C_REFERRAL,
                F_KEYS,
                F_SERVERS,
                F_ENTRY,
                D_VERIFY,
                D_SUB,
                D_KEYS,
                R_GLUE,
                R_DELEG,
            ]
        if issuer in probed:
            reqs += [P_FALLBACK]
        out.append(
            resolve(
                "honest",
                subject,
                valid(world, subject),
                [*reqs, C_ANSWER],
                f"honest hierarchy: {key}, issued by {issuer} at depth {depth[issuer]}",
                flags=flags,
            )
        )
        out.append(
            resolve(
                "honest",
                subject,
                valid(world, subject),
                [FW_ISSUER, FW_VERIFY, P_FALLBACK, V_VERIFY, V_SUB, C_ANSWER, ANCHOR],
                f"honest hierarchy through a forwarder: {key}",
                forwarding=True,
                flags=[f for f in flags if f != "probing"],
            )
        )
        out.append(
            resolve(
                "one-server",
                subject,
                valid(world, subject),
                [PARSE, ISSUER, P_FALLBACK, P_NOSERVERS, P_ABOVE_CUT, V_VERIFY, C_ANSWER, NEG],
                f"every zone on one server: {key} answered at once, chain by probing",
                flags=["probing", *(["unicode"] if key == "cmcc" else [])],
            )
        )
    # Spellings: the same identifiers, written otherwise.
    spellings = [
        ("mi", "ucid:ACME.hpc/US-CA/x86-64-v4+gfx942/mem=2TiB;acc=8", "case and attribute order"),
        ("mi", "ucid:acme.hpc/us-ca/x86-64-v4+gfx942/acc=8;mem=2048GiB", "another unit"),
        ("tiny", "ucid:tiny.hpc/FR/arm64/cpu=4", "an architecture alias"),
        (
            "cmcc",
            "ucid:xn--fiq02ib9d179b.east/cn-gd/x86-64-v4+sm90/acc-model=h800;acc=8",
            "A-labels",
        ),
        ("sh", "ucid:CTYUN.EAST/CN-SH/neoverse-n2/mem=512GiB;cpu=128", "upper case"),
        ("gh", "ucid:acme.hpc/de-by/neoverse-v2+sm90/mem=491520MiB;acc=4", "another unit"),
    ]
    for key, text, what in spellings:
        for fwd in (False, True):
            out.append(
                resolve(
                    "honest",
                    text,
                    valid(world, IDS[key]),
                    [PARSE, V_SUB, C_ANSWER],
                    f"{key} spelt with {what}: resolved as its canonical form",
                    forwarding=fwd,
                    flags=["noncanonical-input"],
                )
            )
    # Times: the records are valid from T0 - 1 h to T0 + 7 d (descriptors).
    for now, what in (
        (T0 - 3000, "50 minutes after the records were signed"),
        (T0 + 6 * DAY, "six days later, before the descriptors expire"),
    ):
        for key in ("mi", "sh", "arch"):
            out.append(
                resolve(
                    "honest",
                    IDS[key],
                    valid(world, IDS[key]),
                    [VERIFY, V_VERIFY, D_VERIFY],
                    f"{key} at {what}",
                    now=now,
                )
            )
    for key in ("mi", "sh"):
        out.append(
            resolve(
                "honest",
                IDS[key],
                invalid("EXPIRED"),
                [V_VERIFY],
                f"{key} a day after its descriptor expired (the zones were never "
                "re-assembled: the records are still served)",
                now=T0 + 8 * DAY,
            )
        )
        out.append(
            resolve(
                "honest",
                IDS[key],
                invalid("EXPIRED"),
                [V_VERIFY, D_VERIFY],
                f"{key} an hour before its records were signed (not yet valid)",
                now=T0 - 2 * 3600 - 301,
            )
        )
    return out


def _invalid_identifiers() -> list[Case]:
    texts = [
        ("", "empty"),
        ("acme.hpc/us-ca/x86-64", "no scheme"),
        ("ucid:acme.hpc/us-ca", "no architecture"),
        ("ucid:acme.hpc/us-ca/x86-64/mem=512gb", "unknown unit"),
        ("ucid:acme.hpc/u/x86-64", "a one-letter region"),
        ("ucid:acme.hpc/us-ca/sm90", "an accelerator where the CPU belongs"),
        ("ucid:acme..hpc/us/x86-64", "an empty label"),
        ("ucid:acme.hpc/us-ca/x86-64/", "a trailing slash"),
        ("ucid:acme.hpc/us-ca/x86-64/acc=08", "leading zero"),
        ("ucid:-acme.hpc/us-ca/x86-64", "label starts with a hyphen"),
        ("ucid:acme.hpc/us-ca/x86-64/cpu=4;cpu=4", "an attribute twice"),
        ("ucid:a.b.c.d.e.f.g.h.i/us/x86-64", "a provider of nine labels"),
    ]
    out = []
    for text, what in texts:
        out.append(
            resolve(
                "honest",
                text,
                invalid("INVALID_IDENTIFIER"),
                [PARSE],
                f"not an identifier ({what}): no query is sent",
            )
        )
    for text, what in texts[:3]:
        out.append(
            resolve(
                "honest",
                text,
                invalid("INVALID_IDENTIFIER"),
                [PARSE],
                f"not an identifier ({what}), in forwarding mode",
                forwarding=True,
            )
        )
    return out


def _negative_cases() -> list[Case]:
    out = []
    missing = [
        ("ucid:nobody/us/x86-64", f"a provider the root does not hold ({ROOT})"),
        ("ucid:nobody.hpc/us/x86-64", f"a provider {HPC} does not hold"),
        ("ucid:acme.hpc/zz/x86-64", f"a region {ACME} does not hold"),
        ("ucid:acme.hpc/us-ca/x86-64-v4+gfx942/acc=8;mem=1TiB", "another capability value"),
        ("ucid:acme.hpc/de-by/aarch64", f"an architecture the region zone {DEBY} does not hold"),
        ("ucid:acme.hpc/de-by/x86-64-v4/cpu=64", f"a name in the architecture zone {ARCH}"),
        ("ucid:ctyun.east/cn-js/x86-64-v3/cpu=32", f"a name in {CTYUN} (found without a referral)"),
        (
            "ucid:ctyun.east/cn-sh/neoverse-n2/cpu=64",
            f"a name in {CNSH} (two zones below the server's)",
        ),
        ("ucid:中国移动.east/cn-bj/x86-64", f"a name in the Unicode provider {CMCC}"),
    ]
    for text, what in missing:
        for fwd in (False, True):
            out.append(
                resolve(
                    "honest",
                    text,
                    invalid("NOT_FOUND"),
                    [DESCEND, C_NX, NEG, FW_NEG if fwd else DESCEND],
                    f"NXDOMAIN: {what}",
                    forwarding=fwd,
                )
            )
    exists = [
        ("ucid:acme.hpc/us-ca/x86-64-v4+gfx942", "an architecture node without a descriptor"),
        (
            "ucid:acme.hpc/us-ca/x86-64-v4+gfx942/mem=2TiB",
            "an empty non-terminal between an identifier name and its architecture node",
        ),
        ("ucid:acme.hpc/de-by/neoverse-v2+sm90", f"an architecture node in {DEBY}"),
        ("ucid:sugon.hpc/cn-tj/x86-64-v3/net=roce2;sriov", f"an empty non-terminal in {SUGON}"),
        (
            "ucid:ctyun.east/cn-sh/neoverse-n2/mem=512GiB",
            f"an empty non-terminal in {CNSH}, found without a referral",
        ),
    ]
    for text, what in exists:
        for fwd in (False, True):
            out.append(
                resolve(
                    "honest",
                    text,
                    invalid("NO_LIVE_ENDPOINTS"),
                    [DESCEND, C_NODATA, NEG, FW_NEG if fwd else DESCEND],
                    f"NODATA: {what}",
                    forwarding=fwd,
                )
            )
    for fwd in (False, True):
        out.append(
            resolve(
                "descriptor-only-mirrors",
                IDS["mi"],
                invalid("NO_LIVE_ENDPOINTS"),
                [DESCEND, C_NODATA, V_SVCB, ENDPOINTS_ONLY],
                "the name holds SVCB and TXT but no TYPE65280: no descriptor (the "
                "mirrors are not used)",
                forwarding=fwd,
                flags=["broken-zone"],
            )
        )
    return out


BROKEN: Final[list[tuple[str, str, str, list[str], str, bool]]] = [
    # fixture, identifier key, outcome, requirements, comment, forwarding too
    ("expired-descriptor", "mi", "EXPIRED", [V_VERIFY], "the descriptor expired a day ago", True),
    (
        "future-descriptor",
        "mi",
        "EXPIRED",
        [V_VERIFY],
        "the descriptor is valid from tomorrow",
        True,
    ),
    (
        "expired-delegation",
        "mi",
        "EXPIRED",
        [D_VERIFY, R_DELEG],
        f"the delegation record of {ACME} expired",
        True,
    ),
    (
        "expired-delegation",
        "gh",
        "EXPIRED",
        [D_VERIFY],
        f"below {ACME}, whose delegation record expired",
        True,
    ),
    (
        "future-delegation",
        "gh",
        "EXPIRED",
        [D_VERIFY],
        f"the delegation record of {DEBY} is valid from tomorrow",
        True,
    ),
    (
        "future-delegation",
        "arch",
        "EXPIRED",
        [D_VERIFY],
        f"below {DEBY}, whose delegation record is not yet valid",
        True,
    ),
    (
        "delegation-wrong-key",
        "mi",
        "BOGUS",
        [D_VERIFY],
        f"the delegation record of {ACME} is signed by another key",
        True,
    ),
    (
        "delegation-wrong-key",
        "arch",
        "BOGUS",
        [D_VERIFY],
        "two zones below a delegation record signed by another key",
        True,
    ),
    (
        "delegation-lists-attacker",
        "mi",
        "BOGUS",
        [D_KEYS, V_VERIFY],
        f"{ACME}'s delegation record lists a key that did not sign its descriptors",
        True,
    ),
    (
        "delegation-wrong-child",
        "mi",
        "BOGUS",
        [D_SUB],
        f"the delegation record at {ACME}'s owner delegates {SUGON}",
        True,
    ),
    ("delegation-two-records", "mi", "BOGUS", [D_ONE], "two delegation records in the RRset", True),
    (
        "delegation-corrupt",
        "mi",
        "BOGUS",
        [D_VERIFY],
        "the delegation record's signature does not verify",
        True,
    ),
    (
        "missing-delegation",
        "mi",
        "BOGUS",
        [F_KEYS, P_FALLBACK],
        f"a referral to {ACME} without a delegation record, and none found by probing: "
        "no unsigned delegations",
        True,
    ),
    ("missing-delegation", "gh", "BOGUS", [F_KEYS], f"below the unsigned cut {ACME}", False),
    (
        "missing-delegation-shared",
        "js",
        "BOGUS",
        [P_FALLBACK],
        f"probing finds no delegation record for {CTYUN}",
        True,
    ),
    (
        "missing-delegation-shared",
        "sh",
        "BOGUS",
        [P_FALLBACK],
        f"probing finds no delegation record for {CTYUN} on the way to {CNSH}",
        False,
    ),
    (
        "issuer-outside-chain",
        "mi",
        "BOGUS",
        [ISSUER, FW_ISSUER],
        f"the descriptor is issued by the sibling zone {SUGON}",
        True,
    ),
    (
        "issuer-above-zone",
        "mi",
        "BOGUS",
        [ISSUER, V_VERIFY],
        f"the descriptor is issued by {HPC}, above the zone that answered",
        False,
    ),
    (
        "descriptor-wrong-key",
        "mi",
        "BOGUS",
        [V_VERIFY],
        "the descriptor is signed by a key the zone does not have",
        True,
    ),
    (
        "descriptor-corrupt",
        "mi",
        "BOGUS",
        [V_VERIFY],
        "the descriptor's signature does not verify",
        True,
    ),
    (
        "descriptor-wrong-subject",
        "mi",
        "BOGUS",
        [V_SUB],
        "the descriptor at the name is another identifier's",
        True,
    ),
    (
        "descriptor-two-records",
        "mi",
        "BOGUS",
        [V_ONE, ONE_RECORD],
        "two descriptors in the RRset",
        True,
    ),
    (
        "descriptor-critical",
        "mi",
        "BOGUS",
        [V_VERIFY],
        "the descriptor names an unknown critical extension",
        True,
    ),
    (
        "descriptor-garbage",
        "mi",
        "BOGUS",
        [ONE_RECORD, V_VERIFY],
        "the TYPE65280 record is not a descriptor",
        True,
    ),
    (
        "descriptor-above-cut",
        "gh",
        "BOGUS",
        [P_ABOVE_CUT],
        f"a descriptor signed by {ACME} below its cut {DEBY}, found without a referral",
        False,
    ),
]

CONTROLS: Final = [
    ("delegation-wrong-key", "sugon"),
    ("missing-delegation", "sh"),
    ("descriptor-corrupt", "mi-cpu"),
    ("expired-delegation", "tiny"),
    ("issuer-outside-chain", "sugon"),
    ("descriptor-above-cut", "mi"),
]


def _broken_cases(world: World) -> list[Case]:
    out = []
    for fixture, key, code, reqs, comment, fwd in BROKEN:
        flags = ["broken-zone"] + (
            ["probing"] if fixture in ("missing-delegation-shared", "descriptor-above-cut") else []
        )
        out.append(resolve(fixture, IDS[key], invalid(code), reqs, comment, flags=flags))
        if fwd:
            out.append(
                resolve(
                    fixture,
                    IDS[key],
                    invalid(code),
                    [*reqs, FW_VERIFY],
                    f"{comment} (through a forwarder)",
                    forwarding=True,
                    flags=["broken-zone"],
                )
            )
    for fixture, key in CONTROLS:
        out.append(
            resolve(
                fixture,
                IDS[key],
                valid(world, IDS[key]),
                [VERIFY],
                f"{key} is not affected by what is broken in {fixture}",
                flags=["broken-zone"],
            )
        )
    return out


HOSTILE: Final[list[tuple[str, str, Any, list[str], str, float | None]]] = [
    # fixture, identifier key, outcome codes (or "valid"), requirements, comment, timeout
    (
        "silent-acme",
        "mi",
        ["TIMEOUT"],
        [ROUNDS, L_ROUNDS, L_QTIMEOUT, L_DEADLINE],
        "no server of the zone answers",
        2,
    ),
    ("silent-acme", "gh", ["TIMEOUT"], [ROUNDS], "the zone above the issuer does not answer", 2),
    (
        "silent-root",
        "solo",
        ["TIMEOUT"],
        [ROUNDS, L_DEADLINE],
        "the anchor's server does not answer",
        2,
    ),
    (
        "silent-one-acme",
        "mi",
        "valid",
        [FIRST_USABLE, ROUNDS],
        "one of two servers does not answer; the other does",
        None,
    ),
    (
        "silent-delegation",
        "mi",
        ["TIMEOUT"],
        [F_KEYS, P_FALLBACK],
        "a referral without its delegation record, and the probe for it goes unanswered",
        2,
    ),
    (
        "truncate-acme",
        "mi",
        "valid",
        [C_TC, TC_TCP],
        "truncated over UDP: the same question over TCP gets the answer",
        None,
    ),
    (
        "truncate-acme",
        "gh",
        "valid",
        [C_TC, TC_TCP],
        "a referral truncated over UDP, complete over TCP",
        None,
    ),
    ("truncate-acme-tcp", "mi", ["SERVFAIL"], [C_TC], "TC over TCP too", None),
    (
        "wrong-id-acme",
        "mi",
        ["TIMEOUT"],
        [WRONG_ID, C_ID],
        "only responses with the wrong id: discarded, the query times out",
        2,
    ),
    (
        "wrong-id-race-acme",
        "mi",
        "valid",
        [WRONG_ID, C_ID, SOURCE_PORT],
        "a forged copy with a wrong id races the answer: discarded, the answer is used",
        None,
    ),
    (
        "refused-acme",
        "mi",
        ["LAME_DELEGATION"],
        [C_REFUSED],
        "REFUSED from every server of the zone",
        None,
    ),
    ("refused-acme", "arch", ["LAME_DELEGATION"], [C_REFUSED], "REFUSED on the way down", None),
    ("notauth-hpc", "tiny", ["LAME_DELEGATION"], [C_REFUSED], "NOTAUTH", None),
    (
        "notauth-hpc",
        "mi",
        ["LAME_DELEGATION"],
        [C_REFUSED],
        "NOTAUTH from a platform above the provider",
        None,
    ),
    ("servfail-acme", "mi", ["SERVFAIL"], [C_RCODE], "SERVFAIL from every server", None),
    ("formerr-acme", "mi", ["SERVFAIL"], [C_RCODE], "FORMERR from every server", None),
    ("servfail-root", "js", ["SERVFAIL"], [C_RCODE], "SERVFAIL from the anchor's server", None),
    (
        "refused-and-servfail",
        "mi",
        ["LAME_DELEGATION"],
        [SEVERITY, C_REFUSED, C_RCODE],
        "REFUSED and SERVFAIL: the more severe, LAME_DELEGATION, is reported",
        None,
    ),
    (
        "loop-and-silent",
        "mi",
        ["LOOP"],
        [SEVERITY, R_DOWN, ROUNDS],
        "one server refers back up, the other times out: LOOP is reported",
        None,
    ),
    ("not-authoritative-acme", "mi", ["LAME_DELEGATION"], [C_ANSWER], "an answer without AA", None),
    (
        "not-authoritative-acme",
        "gh",
        "valid",
        [C_REFERRAL, R_ONE_NS],
        "AA cleared changes nothing in a referral, which has AA clear",
        None,
    ),
    (
        "unasked-acme",
        "mi",
        ["LAME_DELEGATION"],
        [C_UNASKED],
        "an RRset nobody asked for in the answer section",
        None,
    ),
    (
        "wrong-question-acme",
        "mi",
        ["LAME_DELEGATION", "TIMEOUT"],
        [WRONG_Q, C_QUESTION, C_DISCARD],
        "responses to another question: discarded (TIMEOUT) or lame",
        2,
    ),
    ("malformed-acme", "mi", ["SERVFAIL"], [C_FORM], "a response that does not parse", None),
    ("nxdomain-no-aa", "mi", ["LAME_DELEGATION"], [C_NX, NEG], "NXDOMAIN without AA", None),
    ("nxdomain-no-soa", "mi", ["LAME_DELEGATION"], [C_NX, NEG], "NXDOMAIN without an SOA", None),
    (
        "nxdomain-wrong-soa",
        "mi",
        ["LAME_DELEGATION"],
        [C_NX, NEG],
        "NXDOMAIN with another zone's SOA",
        None,
    ),
    (
        "nxdomain-forged",
        "mi",
        ["NOT_FOUND"],
        [C_NX, NEG, SEC_UNAUTH],
        "a forged denial with the zone's SOA and AA is believed: negative answers are not "
        "authenticated",
        None,
    ),
    (
        "nodata-forged",
        "mi",
        ["NO_LIVE_ENDPOINTS"],
        [C_NODATA, NEG, SEC_UNAUTH],
        "a forged NODATA with the zone's SOA and AA is believed",
        None,
    ),
    ("refer-up-root", "tiny", ["LOOP"], [R_DOWN], "a platform refers back to the root", None),
    (
        "refer-up-root",
        "mi",
        ["LOOP"],
        [R_DOWN],
        "a platform refers back to the root on the way to a provider",
        None,
    ),
    ("refer-self", "mi", ["LOOP"], [R_DOWN, F_DEPTH], "a zone refers to itself", None),
    (
        "refer-sideways",
        "tiny",
        ["LAME_DELEGATION"],
        [R_DOWN, R_BAILIWICK],
        "the root refers hpc names to east (out of bailiwick)",
        None,
    ),
    (
        "refer-impossible-cut",
        "mi",
        ["LAME_DELEGATION"],
        [R_APEX],
        "a referral to a cut below an architecture node",
        None,
    ),
    (
        "refer-attacker-glue",
        "mi",
        ["TIMEOUT"],
        [R_GLUE, SEC_UNAUTH],
        "glue that points at a server that holds nothing",
        2,
    ),
    (
        "oversize-udp",
        "mi",
        ["LIMIT_EXCEEDED"],
        [C_SIZE, L_RESPONSE],
        "UDP responses longer than the 1232 octets advertised",
        None,
    ),
    (
        "forged-descriptor",
        "mi",
        ["BOGUS"],
        [V_VERIFY, SEC_UNAUTH],
        "a descriptor signed by an attacker's key",
        None,
    ),
    (
        "forged-delegation",
        "mi",
        ["BOGUS"],
        [D_VERIFY, R_DELEG],
        "a delegation record signed by an attacker's key, in the referral and as an answer",
        None,
    ),
    (
        "replayed-expired",
        "mi",
        ["EXPIRED"],
        [V_VERIFY, SEC_REPLAY],
        "a replayed descriptor that has expired",
        None,
    ),
    (
        "many-servers",
        "ucid:many/us/x86-64",
        ["LIMIT_EXCEEDED"],
        [L_QUERIES, LIMIT_CHECK, DEFAULTS, SEC_LIMITS],
        "fifty servers, each REFUSED: the query budget (48) runs out before they do",
        None,
    ),
    (
        "many-servers",
        "solo",
        "valid",
        [FIRST_USABLE],
        "the same root, another name: unaffected",
        None,
    ),
]


def _hostile_cases(world: World) -> list[Case]:
    out = []
    for fixture, key, expected, reqs, comment, timeout in HOSTILE:
        subject = IDS.get(key, key)
        flags = ["hostile"]
        if timeout is not None or fixture in ("loop-and-silent", "silent-one-acme"):
            flags.append("slow")
        if fixture in ("loop-and-silent", "many-servers") and expected != "valid":
            flags.append("default-limits")
        if fixture.startswith("silent-delegation"):
            flags.append("probing")
        exp = valid(world, subject) if expected == "valid" else invalid(*expected)
        out.append(resolve(fixture, subject, exp, reqs, comment, timeout=timeout, flags=flags))
    v1 = honest_world()
    v1.descriptors = [
        d if str(cid.parse(d.subject)) != IDS["mi"] else type(d)(**{**d.__dict__, "version": 1})
        for d in v1.descriptors
    ]
    out.append(
        resolve(
            "replayed-old-version",
            IDS["mi"],
            valid(v1, IDS["mi"]),
            [SEC_REPLAY, V_ROLLBACK],
            "a replayed older version, never seen a newer one: it verifies (a "
            "stateless resolver cannot tell)",
            flags=["hostile"],
        )
    )
    out.append(
        resolve(
            "mi-v1-replay",
            IDS["mi"],
            valid(v1, IDS["mi"]),
            [SEC_REPLAY],
            "an older version in the zone, never seen a newer one: it verifies",
            flags=["broken-zone"],
        )
    )
    # Through a forwarder.
    fwd: list[tuple[str, str, dict[str, Any], list[str], str, float | None, list[str]]] = [
        (
            "forwarder-servfail",
            "mi",
            invalid("SERVFAIL"),
            [C_RCODE, TXT_WHEN, TXT_OTHERWISE],
            "the forwarder fails every question (the TXT fallback fails too)",
            None,
            [],
        ),
        (
            "forwarder-silent",
            "mi",
            invalid("TIMEOUT"),
            [ROUNDS],
            "the forwarder never answers",
            2,
            ["slow"],
        ),
        (
            "forwarder-refers",
            "mi",
            invalid("LAME_DELEGATION"),
            [NEG],
            "a forwarder that refers is lame",
            None,
            [],
        ),
        (
            "forwarder-forged",
            "mi",
            invalid("BOGUS"),
            [FW_VERIFY, V_VERIFY],
            "a forwarder that forges the descriptor",
            None,
            [],
        ),
        (
            "nxdomain-forged",
            "mi",
            valid(world, IDS["mi"]),
            [FW_ASK],
            "the authoritative servers lie, the forwarder does not",
            None,
            [],
        ),
    ]
    for fixture, key, exp, reqs, comment, timeout, flags in fwd:
        out.append(
            resolve(
                fixture,
                IDS[key],
                exp,
                reqs,
                comment,
                forwarding=True,
                timeout=timeout,
                flags=["hostile", *flags],
            )
        )
    for key in ("mi", "sh", "cmcc"):
        out.append(
            Case(
                "resolve",
                _input("forwarder-refuses-private", IDS[key], forwarding=True),
                {
                    "result": "acceptable",
                    "flag": "txt-fallback",
                    "output": _output(world, IDS[key]),
                    "errors": ["LAME_DELEGATION"],
                    "order": "by-priority",
                },
                [FW_ASK, TXT_RULES, TXT_WHEN, TXT_ASK, TXT_READ, TXT_USE],
                ["forwarding", "hostile", "txt-fallback"],
                f"the forwarder REFUSES TYPE65280 but passes TXT and TYPE65281: {key} from the TXT "
                "copy (with the fallback) or LAME_DELEGATION (without)",
                profile="resolver",
            )
        )
    return out


def _step_cases(world: World) -> list[Case]:
    later = T0 + 7200  # past every TTL (3600) and live_ttl; the records are still valid
    mi, v3 = IDS["mi"], mi_v3()
    out = []
    for fwd in (False, True):
        f = {"forwarding": True} if fwd else {}
        out.append(
            steps(
                [
                    ({**_input("honest", mi), **f}, valid(world, mi)),
                    ({**_input("mi-v1-replay", mi, later), **f}, invalid("ROLLBACK")),
                ],
                [V_ROLLBACK, VERSION_CHECK, SEC_REPLAY],
                "version 2 accepted, then version 1 served: ROLLBACK",
            )
        )
        out.append(
            steps(
                [
                    ({**_input("honest", mi), **f}, valid(world, mi)),
                    ({**_input("mi-v2-other", mi, later), **f}, invalid("ROLLBACK")),
                ],
                [V_ROLLBACK, VERSION_CHECK],
                "version 2 accepted, then another version 2 with other claims: ROLLBACK",
            )
        )
        out.append(
            steps(
                [
                    (
                        {**_input("mi-v1-replay", mi), **f},
                        valid(honest_world(), mi) | {"output": _v1_output()},
                    ),
                    ({**_input("honest", mi, later), **f}, valid(world, mi)),
                ],
                [V_ROLLBACK, VERSION_CHECK],
                "version 1, then version 2: a higher version is accepted",
            )
        )
        out.append(
            steps(
                [
                    ({**_input("acme-delegation-v2", mi), **f}, valid(world, mi)),
                    ({**_input("acme-delegation-v1-replay", mi, later), **f}, invalid("ROLLBACK")),
                ],
                [D_ROLLBACK, VERSION_CHECK, SEC_REPLAY],
                f"delegation record of {ACME} version 2 accepted, then version 1 served: ROLLBACK",
            )
        )
        out.append(
            steps(
                [
                    (
                        {**_input("acme-delegation-v2", IDS["mi-cpu"]), **f},
                        valid(world, IDS["mi-cpu"]),
                    ),
                    (
                        {**_input("acme-delegation-v1-replay", IDS["gh"], later), **f},
                        invalid("ROLLBACK"),
                    ),
                ],
                [D_ROLLBACK],
                f"the rollback of {ACME}'s delegation record is caught when resolving another "
                "identifier below it",
            )
        )
        out.append(
            steps(
                [
                    ({**_input("honest", mi), **f}, valid(world, mi)),
                    ({**_input("mi-v3", mi, later), **f}, valid(v3, mi)),
                ],
                [CACHE, L_LIVE, CACHE_ONLY],
                "cached, then past its TTL the zone publishes version 3: the new endpoints",
            )
        )
        out.append(
            steps(
                [
                    ({**_input("honest", mi), **f}, valid(world, mi)),
                    ({**_input("mi-gone", mi, later), **f}, invalid("NOT_FOUND")),
                ],
                [CACHE, L_LIVE],
                "cached, then past its TTL the name is gone: NOT_FOUND, not the cached descriptor",
            )
        )
        out.append(
            steps(
                [
                    ({**_input("honest", mi), **f}, valid(world, mi)),
                    ({**_input("honest", mi, T0 + 8 * DAY), **f}, invalid("EXPIRED")),
                ],
                [CACHE, "RS-14.5-1"],
                "resolved, then asked again after the descriptor's exp (the zone still serves "
                "it): EXPIRED; never the cached copy",
            )
        )
        out.append(
            steps(
                [
                    ({**_input("honest", mi), **f}, valid(world, mi)),
                    ({**_input("descriptor-corrupt", mi, later), **f}, invalid("BOGUS")),
                ],
                [CACHE_ONLY, V_VERIFY],
                "resolved, then past its TTL the record is corrupt: BOGUS; a verification "
                "failure is never replaced by a cached or stale result",
            )
        )
        out.append(
            steps(
                [
                    ({**_input("honest", IDS["sh"]), **f}, valid(world, IDS["sh"])),
                    ({**_input("honest", IDS["js"], later), **f}, valid(world, IDS["js"])),
                ],
                [P_FALLBACK, F_ENTRY],
                "two identifiers below one server, one after the other",
            )
        )
    out.append(
        steps(
            [
                (_input("deby-glue-loops", IDS["gh"]), invalid("LOOP")),
                (_input("honest", IDS["gh"], T0 + 10), valid(world, IDS["gh"])),
            ],
            ["RS-14.2-2", CACHE_ONLY, R_DOWN, "RS-12-4"],
            f"forged glue sends {DEBY} to a server that refers back up (LOOP); a zone entry "
            "learnt with it must not keep the zone unreachable: with honest servers the next "
            "resolution descends from the anchor again",
        )
    )
    return out


def _v1_output() -> dict[str, Any]:
    v1 = honest_world()
    v1.descriptors = [
        d if str(cid.parse(d.subject)) != IDS["mi"] else type(d)(**{**d.__dict__, "version": 1})
        for d in v1.descriptors
    ]
    return _output(v1, IDS["mi"])


# ------------------------------------------------------------------ keys, typ, validity
#
# Faults of a verifier that a resolver can have as well (spec/descriptor.md §4.3, §5.2,
# §8.3.1, which §12.5.1 and §12.8 apply): the key named by kid and no other, the typ
# expected, the edges of the validity window. Their fixtures are made here and served
# by the honest servers (no behaviours): only records in the zones change.


def second_key(zone: str) -> cid.SigningKey:
    """``zone``'s second key: a delegation record lists one or two keys, and during a
    rollover the child signs with either (spec/descriptor.md §9.1)."""
    return cid.SigningKey.from_seed(
        hashlib.sha256(f"ucid-conformance:{zone}:second".encode()).digest()
    )


def _resigned(
    data: bytes, signer: cid.SigningKey, *, kid: bytes | None = None, typ: str | None = None
) -> bytes:
    """The record ``data`` signed again by ``signer``, its header naming ``kid`` (by
    default the signer's) and ``typ`` (by default its own): a signature that verifies
    under ``signer``'s key, over a header that may name another key or kind of record."""
    header, record = cid.decode_unverified(data)
    payload = cid.encode_payload(record)
    head = protected(signer.kid if kid is None else kid, typ or header[16])
    return envelope(head, payload, signer.sign(sig_structure(head, payload)))


#: Zones whose delegation records list a second key (fixtures two-keys, kid-*).
ROLLOVER: Final = (HPC, ACME)


def two_keys_world() -> World:
    """The honest world, but the delegation records of HPC and ACME list two keys each:
    the zone's own key (which signs everything), then its second key."""
    return honest_world(
        delegation_changes={
            z: {"keys": (zone_key(z).verify_key, second_key(z).verify_key)} for z in ROLLOVER
        }
    )


def _future_mi() -> World:
    """The honest world with the descriptor of mi that fixture future-descriptor serves."""
    world = honest_world()
    world.descriptors = [
        (
            DescriptorDef(**{**d.__dict__, "issued_at": T0 + DAY, "expires": T0 + 3 * DAY})
            if str(cid.parse(d.subject)) == IDS["mi"]
            else d
        )
        for d in world.descriptors
    ]
    return world


def _two_keys(w: World, z: Zones) -> None:
    # mi-bare: signed by ACME's second key, which its kid names.
    z.put_descriptor(IDS["mi-bare"], w.signed(IDS["mi-bare"], second_key(ACME)))


def _kid_other_key(w: World, z: Zones) -> None:
    _two_keys(w, z)
    first, second = zone_key(ACME), second_key(ACME)
    z.put_descriptor(IDS["mi"], _resigned(w.signed(IDS["mi"]), second, kid=first.kid))
    z.put_delegation(DEBY, ACME, _resigned(w.signed_delegation(DEBY), second, kid=first.kid))
    hpc = _resigned(w.signed(IDS["tiny"]), zone_key(HPC), kid=second_key(HPC).kid)
    z.put_descriptor(IDS["tiny"], hpc)


def _kid_no_key(w: World, z: Zones) -> None:
    _two_keys(w, z)
    for key, zone in (("mi", ACME), ("sugon", SUGON)):
        z.put_descriptor(IDS[key], _resigned(w.signed(IDS[key]), zone_key(zone), kid=ATTACKER.kid))
    for child, parent in ((DEBY, ACME), (CMCC, EAST)):
        record = _resigned(w.signed_delegation(child), zone_key(parent), kid=ATTACKER.kid)
        z.put_delegation(child, parent, record)


def _typ_confusion(w: World, z: Zones) -> None:
    for key, typ in (("mi", TYP_DELEG), ("mi-cpu", TYP_ANCHOR), ("tiny", "application/cbor")):
        z.put_descriptor(
            IDS[key],
            _resigned(w.signed(IDS[key]), zone_key(w.descriptor(IDS[key]).issuer), typ=typ),
        )
    z.put_delegation(DEBY, ACME, _resigned(w.signed_delegation(DEBY), zone_key(ACME), typ=TYP_DESC))


def _made(edit: Callable[[World, Zones], None], world: Callable[[], World]) -> Callable[[], Zones]:
    def make() -> Zones:
        w = world()
        zones = w.assemble()
        edit(w, zones)
        return zones

    return make


def _more_fixtures() -> list[tuple[str, str, Callable[[], Zones]]]:
    """The fixtures of this section: (name, description, the zones)."""
    two = f"The delegation records of {HPC} and {ACME} list two keys each (a rollover)"
    return [
        (
            "two-keys",
            f"{two}; every record is signed by the first key, except {IDS['mi-bare']}, "
            f"signed by {ACME}'s second key (which its kid names).",
            _made(_two_keys, two_keys_world),
        ),
        (
            "kid-other-key",
            f"As two-keys, but the descriptor of {IDS['mi']} and the delegation record of "
            f"{DEBY} name {ACME}'s first key as kid and are signed by its second; the "
            f"descriptor of {IDS['tiny']} names {HPC}'s second key and is signed by its first.",
            _made(_kid_other_key, two_keys_world),
        ),
        (
            "kid-no-key",
            f"As two-keys, but the descriptors of {IDS['mi']} and {IDS['sugon']} and the "
            f"delegation records of {DEBY} and {CMCC} name as kid a key their issuer does not "
            "have; each is signed by its issuer's (first) key.",
            _made(_kid_no_key, two_keys_world),
        ),
        (
            "typ-confusion",
            f"Records under another typ, each signed by its issuer's key: the descriptors of "
            f"{IDS['mi']} (the delegation typ), {IDS['mi-cpu']} (the anchor typ) and "
            f"{IDS['tiny']} (application/cbor), and the delegation record of {DEBY} (the "
            "descriptor typ).",
            _made(_typ_confusion, honest_world),
        ),
        (
            "short-delegation",
            f"{ACME} serves a delegation record of {DEBY} that expires at T0 plus a day, "
            "before the descriptors below it.",
            lambda: honest_world(delegation_changes={DEBY: {"expires": T0 + DAY}}).assemble(),
        ),
    ]


def _render_more(files: dict[str, str], manifests: dict[str, dict[str, Any]]) -> None:
    """Add the fixtures of :func:`_more_fixtures` as ``render`` writes the others: the
    honest fixture's servers and anchor, and a zone file written once for its text."""
    written: dict[str, str] = {}
    for path, text in files.items():
        if path.endswith(".zone"):
            written.setdefault(text, path.removeprefix("fixtures/"))
    honest = manifests["honest"]
    for name, description, make in _more_fixtures():
        zone_files: dict[str, str] = {}
        for zone, text in make().texts().items():
            if text not in written:
                written[text] = f"{name}/{zone}.zone"
                files[f"fixtures/{written[text]}"] = text
            zone_files[zone] = written[text]
        manifest = {k: v for k, v in honest.items() if k != "server_mode"}
        manifest.update(name=name, description=description, zones=zone_files)
        manifests[name] = manifest
        text = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        files[f"fixtures/{name}/fixture.json"] = text
        files[f"fixtures/{name}/anchor.json"] = files["fixtures/honest/anchor.json"]


# fixture, identifier key, "BOGUS" or "valid", requirements, flag, comment
KEY_AND_TYP: Final[list[tuple[str, str, str, list[str], str, str]]] = [
    (
        "two-keys",
        "mi",
        "valid",
        [D_KEYS, V_VERIFY, KID_KEY, TWO_KEYS],
        "key-selection",
        f"{ACME}'s delegation record lists two keys; the descriptor is signed by the first",
    ),
    (
        "two-keys",
        "mi-bare",
        "valid",
        [D_KEYS, V_VERIFY, KID_KEY, TWO_KEYS, CHILD_KEYS],
        "key-selection",
        f"signed by {ACME}'s second listed key, which its kid names: it verifies",
    ),
    (
        "two-keys",
        "gh",
        "valid",
        [D_VERIFY, D_KEYS, KID_KEY, PARENT_KEYS],
        "key-selection",
        f"the delegation record of {DEBY}, signed by the first of {ACME}'s two keys",
    ),
    (
        "kid-other-key",
        "mi",
        "BOGUS",
        [V_VERIFY, KID_ONLY, KID_NO_OTHER, STEP_SIGNATURE],
        "key-selection",
        f"the descriptor's kid names {ACME}'s first key; its second key (listed too) signed "
        "it: no other key than the kid's is tried (KeyTrap)",
    ),
    (
        "kid-other-key",
        "tiny",
        "BOGUS",
        [V_VERIFY, KID_ONLY, KID_NO_OTHER, STEP_SIGNATURE],
        "key-selection",
        f"the descriptor's kid names {HPC}'s second key; its first key signed it",
    ),
    (
        "kid-other-key",
        "gh",
        "BOGUS",
        [D_VERIFY, PARENT_KEYS, KID_ONLY, KID_NO_OTHER, STEP_SIGNATURE],
        "key-selection",
        f"the delegation record of {DEBY} names {ACME}'s first key as kid and is signed by "
        "its second",
    ),
    (
        "kid-other-key",
        "mi-bare",
        "valid",
        [D_KEYS, V_VERIFY, KID_KEY],
        "key-selection",
        "signed by the second key and naming it: unaffected by the records beside it",
    ),
    (
        "kid-no-key",
        "mi",
        "BOGUS",
        [V_VERIFY, KID_UNKNOWN, KID_NO_OTHER, STEP_KEY],
        "unknown-key",
        f"the descriptor's kid names neither of {ACME}'s two keys; the first signed it: "
        "unknown key, no fallback to a trusted key",
    ),
    (
        "kid-no-key",
        "sugon",
        "BOGUS",
        [V_VERIFY, KID_UNKNOWN, KID_NO_OTHER, STEP_KEY],
        "unknown-key",
        f"the descriptor's kid names no key of {SUGON}; its one key signed it",
    ),
    (
        "kid-no-key",
        "gh",
        "BOGUS",
        [D_VERIFY, PARENT_KEYS, KID_UNKNOWN, KID_NO_OTHER, STEP_KEY],
        "unknown-key",
        f"the delegation record of {DEBY}: its kid names no key of {ACME}, whose first key "
        "signed it",
    ),
    (
        "kid-no-key",
        "cmcc",
        "BOGUS",
        [D_VERIFY, PARENT_KEYS, KID_UNKNOWN, KID_NO_OTHER, STEP_KEY],
        "unknown-key",
        f"the delegation record of {CMCC}: its kid names no key of {EAST}, whose one key signed it",
    ),
    (
        "kid-no-key",
        "js",
        "valid",
        [V_VERIFY, KID_KEY],
        "unknown-key",
        "js is not affected by the records of kid-no-key",
    ),
    (
        "typ-confusion",
        "mi",
        "BOGUS",
        [V_VERIFY, TYP_EXPECTED, STEP_HEADER],
        "typ-confusion",
        "a descriptor payload served as TYPE65280 under the delegation typ",
    ),
    (
        "typ-confusion",
        "mi-cpu",
        "BOGUS",
        [V_VERIFY, TYP_EXPECTED, STEP_HEADER],
        "typ-confusion",
        "a descriptor payload served as TYPE65280 under the anchor typ",
    ),
    (
        "typ-confusion",
        "tiny",
        "BOGUS",
        [V_VERIFY, TYP_EXPECTED, STEP_HEADER],
        "typ-confusion",
        "a descriptor payload under a typ UCID does not define (application/cbor)",
    ),
    (
        "typ-confusion",
        "gh",
        "BOGUS",
        [D_VERIFY, TYP_EXPECTED, STEP_HEADER],
        "typ-confusion",
        f"the delegation record of {DEBY} served under the descriptor typ",
    ),
    (
        "typ-confusion",
        "mi-bare",
        "valid",
        [V_VERIFY],
        "typ-confusion",
        "mi-bare is not affected by the records of typ-confusion",
    ),
]


def _key_and_typ_cases(world: World) -> list[Case]:
    out = []
    for fixture, key, code, reqs, flag, comment in KEY_AND_TYP:
        if code == "valid":
            w = (
                two_keys_world()
                if fixture in ("two-keys", "kid-other-key", "kid-no-key")
                else world
            )
            out.append(resolve(fixture, IDS[key], valid(w, IDS[key]), reqs, comment, flags=[flag]))
            continue
        for fwd in (False, True):
            out.append(
                resolve(
                    fixture,
                    IDS[key],
                    invalid(code),
                    [*reqs, FW_VERIFY] if fwd else reqs,
                    f"{comment} (through a forwarder)" if fwd else comment,
                    forwarding=fwd,
                    flags=["broken-zone", flag],
                )
            )
    return out


def _validity_cases(world: World) -> list[Case]:
    """now one second either side of each edge of a record's validity window, with the
    default skew of 300 s (spec/descriptor.md §8.3.1): valid exactly when
    ``start - 300 <= now < exp + 300``, start = max(nbf, iat); outside it EXPIRED
    (§12.5.1 step 2, §12.8 step 2: a record not yet valid gives EXPIRED too)."""
    skew = 300
    mi, future = world.descriptor(IDS["mi"]), _future_mi()
    later = future.descriptor(IDS["mi"])
    # The descriptor future-descriptor serves is the one the world signs.
    assert future.signed(IDS["mi"]) == world.signed(
        IDS["mi"], issued_at=T0 + DAY, not_before=T0 + DAY, expires=T0 + 3 * DAY
    )
    acme = world.delegation(ACME)
    assert max(acme.not_before, acme.issued_at) == max(mi.not_before, mi.issued_at)
    start, exp = max(mi.not_before, mi.issued_at), mi.expires
    edges: list[tuple[str, str, int, World | None, list[str], str]] = [
        (
            "honest",
            "mi",
            exp + skew - 1,
            world,
            [V_VERIFY],
            "the descriptor's last second: exp + 299",
        ),
        ("honest", "mi", exp + skew, None, [V_VERIFY], "the descriptor at exp + 300: expired"),
        (
            "honest",
            "mi",
            start - skew,
            world,
            [V_VERIFY, D_VERIFY],
            "the first second of the descriptor and of every delegation record above it "
            "(all start at once): start - 300",
        ),
        (
            "honest",
            "mi",
            start - skew - 1,
            None,
            [V_VERIFY, D_VERIFY],
            "one second before the descriptor and the delegation records start, less the "
            "skew: not yet valid",
        ),
        (
            "future-descriptor",
            "mi",
            max(later.not_before, later.issued_at) - skew,
            future,
            [V_VERIFY],
            "the descriptor valid from T0 + 1 day, at its first second: start - 300",
        ),
        (
            "future-descriptor",
            "mi",
            max(later.not_before, later.issued_at) - skew - 1,
            None,
            [V_VERIFY],
            "the descriptor valid from T0 + 1 day, at start - 301: not yet valid",
        ),
        (
            "future-delegation",
            "gh",
            T0 + DAY - skew,
            world,
            [D_VERIFY],
            f"the delegation record of {DEBY}, valid from T0 + 1 day, at its first second",
        ),
        (
            "future-delegation",
            "gh",
            T0 + DAY - skew - 1,
            None,
            [D_VERIFY],
            f"the delegation record of {DEBY}, valid from T0 + 1 day, one second earlier: "
            "not yet valid",
        ),
        (
            "short-delegation",
            "gh",
            T0 + DAY + skew - 1,
            world,
            [D_VERIFY],
            f"the delegation record of {DEBY}, which expires at T0 + 1 day, at its last "
            "second: exp + 299",
        ),
        (
            "short-delegation",
            "gh",
            T0 + DAY + skew,
            None,
            [D_VERIFY],
            f"the delegation record of {DEBY} at exp + 300: expired (its descriptors are not)",
        ),
    ]
    out = []
    for fixture, key, now, w, reqs, comment in edges:
        exp_ = valid(w, IDS[key]) if w is not None else invalid("EXPIRED")
        out.append(
            resolve(
                fixture,
                IDS[key],
                exp_,
                [*reqs, WINDOW, WINDOW_EDGES],
                comment,
                now=now,
                flags=["validity-boundary"],
            )
        )
    return out


# ------------------------------------------------------------------ server cases


def _zones(manifest: dict[str, Any], files: dict[str, str]) -> dict[str, dns.zone.Zone]:
    return {
        z: dns.zone.from_text(
            files[f"fixtures/{manifest['zones'][z]}"], origin=z + ".", relativize=False
        )
        for z in manifest["zones"]
    }


def _rrs(zone: dns.zone.Zone, owner: str, rdtype: str, ttl: int | None = None) -> list[str]:
    rds = zone.get_rdataset(owner, rdtype)
    assert rds is not None, (owner, rdtype)
    return [f"{owner} {rds.ttl if ttl is None else ttl} IN {rdtype} {rd.to_text()}" for rd in rds]


def server(
    fixture: str,
    query: dict[str, Any],
    expected: dict[str, Any],
    reqs: Iterable[str],
    comment: str,
    flags: Sequence[str] = (),
) -> Case:
    out = {"result": "valid", "output": expected}
    return Case(
        "server",
        {"fixture": fixture, "query": query},
        out,
        list(reqs),
        list(flags),
        comment,
        profile="server",
    )


def _server_cases(manifests: dict[str, dict[str, Any]], files: dict[str, str]) -> list[Case]:
    m = manifests["honest"]
    zones = _zones(m, files)
    loaded = m["server_mode"]
    assert ACME in loaded and ROOT in loaded and HPC not in loaded and DEBY not in loaded
    root, acme, ctyun, cnsh, sugon = (zones[z] for z in (ROOT, ACME, CTYUN, CNSH, SUGON))

    def soa(zone: dns.zone.Zone, name: str) -> list[str]:
        return _rrs(zone, name + ".", "SOA", ttl=300)

    mi, mi_cpu = descriptor_owner(IDS["mi"]), descriptor_owner(IDS["mi-cpu"])
    out: list[Case] = []
    answers = [
        (
            acme,
            mi,
            "TYPE65280",
            ["RS-9-1", "RS-8.1-4", "RS-3.1-6"],
            "the descriptor, byte for byte",
        ),
        (
            acme,
            mi,
            "SVCB",
            ["RS-3.5-1", "RS-3.5-2", "RS-3.5-3", "RS-3.5-4", "RS-8.1-4"],
            "the SVCB mirror",
        ),
        (acme, mi, "TXT", ["RS-3.6-1", "RS-3.6-2", "RS-8.1-4"], "the TXT copy"),
        (
            acme,
            descriptor_owner(IDS["mi-bare"]),
            "TYPE65280",
            ["RS-2.1-4", "RS-9-1"],
            "a descriptor at an architecture node",
        ),
        (
            acme,
            f"__enum.{ACME}.",
            "PTR",
            ["RS-3.1-7", "RS-4.1-4"],
            "the enumeration of a provider zone's apex",
        ),
        (
            acme,
            f"__enum._us-ca.{ACME}.",
            "PTR",
            ["RS-4.1-3", "RS-4.1-4"],
            "the enumeration of a region node",
        ),
        (acme, f"{ACME}.", "SOA", ["RS-3.1-1"], "the apex SOA"),
        (
            acme,
            delegation_owner(DEBY, ACME),
            "TYPE65281",
            ["RS-3.1-5", "RS-9-1", "RS-2.2-1"],
            "a delegation record, asked for, byte for byte",
        ),
        (
            root,
            descriptor_owner(IDS["solo"]),
            "TYPE65280",
            ["RS-9-1"],
            "a descriptor published by the root",
        ),
        (
            cnsh,
            descriptor_owner(IDS["sh"]),
            "TYPE65280",
            ["RS-8.1-4", "RS-9-1"],
            f"from {CNSH}, loaded beside its parent {CTYUN}: the deepest zone answers",
        ),
        (
            ctyun,
            delegation_owner(CNSH, CTYUN),
            "TYPE65281",
            ["RS-9-1"],
            f"the delegation record of {CNSH} from {CTYUN}, on the same server",
        ),
        (
            sugon,
            descriptor_owner(IDS["sugon"]),
            "SVCB",
            ["RS-3.5-2", "RS-3.5-7"],
            "the SVCB mirror leaves out the endpoint at an IP address (the descriptor has it)",
        ),
    ]
    for zone, owner, rdtype, reqs, comment in answers:
        for tcp in (False, True):
            out.append(
                server(
                    "honest",
                    {"name": owner, "type": rdtype, **({"tcp": True} if tcp else {})},
                    {
                        "rcode": "NOERROR",
                        "aa": True,
                        "tc": False,
                        "answer": _rrs(zone, owner, rdtype),
                    },
                    [*reqs, "RS-8.5-1"],
                    f"answer: {comment}" + (" (TCP)" if tcp else ""),
                    ["server-private-types"] if "TYPE652" in rdtype else [],
                )
            )
    # Upper case in the question.
    out.append(
        server(
            "honest",
            {"name": mi.upper(), "type": "TYPE65280"},
            {
                "rcode": "NOERROR",
                "aa": True,
                "tc": False,
                "answer": _rrs(acme, mi, "TYPE65280"),
            },
            ["RS-8.1-4", "RS-9-1"],
            "the question in upper case: the same answer",
        )
    )
    # Referrals.
    referrals = [
        (root, IDS["tiny"], HPC, f"the root refers names of {HPC} (not loaded)"),
        (root, IDS["cmcc"], EAST, f"the root refers names of {EAST} (not loaded)"),
        (acme, IDS["gh"], DEBY, f"{ACME} refers names of its region zone {DEBY}"),
        (acme, IDS["arch"], DEBY, f"{ACME} refers names two zones below it to {DEBY}"),
    ]
    for parent, subject, cut, comment in referrals:
        owner = descriptor_owner(subject)
        parent_name = str(parent.origin).rstrip(".")
        ns = _rrs(parent, cut + ".", "NS")
        glue = []
        for rr in ns:
            host = rr.split()[-1]
            if dns.name.from_text(host).is_subdomain(parent.origin):  # type: ignore[arg-type]
                glue += _rrs(parent, host, "A")
        deleg = _rrs(parent, delegation_owner(cut, parent_name), "TYPE65281")
        for rdtype in ("TYPE65280", "A", "TYPE65281"):
            for tcp in (False, True):
                out.append(
                    server(
                        "honest",
                        {"name": owner, "type": rdtype, **({"tcp": True} if tcp else {})},
                        {
                            "rcode": "NOERROR",
                            "aa": False,
                            "tc": False,
                            "answer": [],
                            "authority": ns,
                            "additional": glue,
                            "additional_may": deleg,
                        },
                        ["RS-8.1-3", "RS-8.2-1", "RS-3.1-3", "RS-3.1-4", "RS-8.5-1"],
                        f"referral, {rdtype}: {comment}" + (" (TCP)" if tcp else ""),
                        ["server-referral"],
                    )
                )
    # Negative answers.
    negatives = [
        (acme, f"_us-ca.{ACME}.", "A", "NOERROR", "a region node (an empty non-terminal)"),
        (acme, mi, "A", "NOERROR", "an identifier name, another type"),
        (
            acme,
            f"_x86-64-v4_gfx942._us-ca.{ACME}.",
            "TYPE65280",
            "NOERROR",
            "an architecture node without a descriptor",
        ),
        (acme, f"__deleg.{ACME}.", "TYPE65281", "NOERROR", "__deleg itself: an empty non-terminal"),
        (root, f"__deleg.{ROOT}.", "TXT", "NOERROR", "the root's __deleg"),
        (acme, f"nothing.{ACME}.", "A", "NXDOMAIN", "a name that does not exist"),
        (
            acme,
            descriptor_owner("ucid:acme.hpc/us-ca/x86-64-v4+gfx942/acc=8;mem=1TiB"),
            "TYPE65280",
            "NXDOMAIN",
            "an identifier that is not published",
        ),
        (
            root,
            descriptor_owner("ucid:nobody/us/x86-64"),
            "TYPE65280",
            "NXDOMAIN",
            "a provider the root does not hold",
        ),
        (
            cnsh,
            descriptor_owner("ucid:ctyun.east/cn-sh/x86-64"),
            "TYPE65280",
            "NXDOMAIN",
            f"a name in {CNSH}",
        ),
        (ctyun, f"__enum._cn-js.{CTYUN}.", "TXT", "NOERROR", "an enumeration name, another type"),
    ]
    for zone, owner, rdtype, rcode, comment in negatives:
        origin = str(zone.origin).rstrip(".")
        for tcp in (False, True):
            out.append(
                server(
                    "honest",
                    {"name": owner, "type": rdtype, **({"tcp": True} if tcp else {})},
                    {
                        "rcode": rcode,
                        "aa": True,
                        "tc": False,
                        "answer": [],
                        "authority": soa(zone, origin),
                        "additional": [],
                    },
                    ["RS-8.1-4", "RS-8.5-1"],
                    f"{'NODATA' if rcode == 'NOERROR' else 'NXDOMAIN'}: {comment}"
                    + (" (TCP)" if tcp else ""),
                    ["server-negative"],
                )
            )
    # Outside every zone.
    for name in ("example.org.", "ucid.test."):
        out.append(
            server(
                "honest",
                {"name": name, "type": "A"},
                {"rcode": "REFUSED", "aa": False, "answer": []},
                ["RS-8.1-2"],
                f"{name} is in no served zone: REFUSED, no data",
            )
        )
    # Size: a 16-endpoint descriptor (about 870 octets) does not fit 512.
    big = descriptor_owner(IDS["sugon-16"])
    big_rrs = _rrs(sugon, big, "TYPE65280")
    full = {
        "rcode": "NOERROR",
        "aa": True,
        "tc": False,
        "answer": big_rrs,
    }
    size_cases: list[tuple[dict[str, Any], dict[str, Any], str, list[str]]] = [
        (
            {"edns": None},
            {"rcode": "NOERROR", "tc": True, "answer": []},
            "without EDNS over UDP: 512 octets, TC",
            ["RS-6.1-1", "RS-6.1-2"],
        ),
        (
            {"edns": None, "tcp": True},
            full,
            "without EDNS over TCP: complete",
            ["RS-6.1-2", "RS-8.5-1"],
        ),
        (
            {"payload": 512},
            {"rcode": "NOERROR", "tc": True, "answer": []},
            "EDNS payload 512 over UDP: TC",
            ["RS-6.1-1", "RS-6.1-2"],
        ),
        (
            {"payload": 1232},
            full,
            "EDNS payload 1232 over UDP: a TYPE65280 answer always fits",
            ["RS-6.1-1"],
        ),
        ({"payload": 4096}, full, "EDNS payload 4096 over UDP: complete", ["RS-6.1-1"]),
    ]
    for extra, exp, comment, reqs in size_cases:
        out.append(
            server(
                "honest",
                {"name": big, "type": "TYPE65280", **extra},
                exp,
                reqs,
                f"size: {comment}",
                ["server-size"],
            )
        )
    sixteen = _rrs(sugon, big, "SVCB")
    out.append(
        server(
            "honest",
            {"name": big, "type": "SVCB", "edns": None},
            {"rcode": "NOERROR", "tc": True, "answer": []},
            ["RS-6.1-2"],
            "size: sixteen SVCB records without EDNS over UDP: TC",
            ["server-size"],
        )
    )
    out.append(
        server(
            "honest",
            {"name": big, "type": "SVCB", "tcp": True},
            {
                "rcode": "NOERROR",
                "aa": True,
                "tc": False,
                "answer": sixteen,
            },
            ["RS-6.1-2"],
            "size: sixteen SVCB records over TCP: complete",
            ["server-size"],
        )
    )
    # EDNS.
    out.append(
        server(
            "honest",
            {"name": mi_cpu, "type": "TYPE65280", "edns": 0},
            {"rcode": "NOERROR", "aa": True, "edns": 0, "answer": _rrs(acme, mi_cpu, "TYPE65280")},
            ["RS-6.1-1"],
            "EDNS(0) query: the response has an OPT record",
            ["server-edns"],
        )
    )
    out.append(
        server(
            "honest",
            {"name": mi_cpu, "type": "TYPE65280", "edns": None},
            {
                "rcode": "NOERROR",
                "aa": True,
                "edns": None,
                "answer": _rrs(acme, mi_cpu, "TYPE65280"),
            },
            ["RS-6.1-1"],
            "query without EDNS: no OPT record in the response",
            ["server-edns"],
        )
    )
    out.append(
        server(
            "honest",
            {"name": mi_cpu, "type": "TYPE65280", "edns": 1},
            {"rcode": "BADVERS", "edns": 0, "answer": []},
            ["RS-8.4-5"],
            "EDNS version 1: BADVERS with an OPT record of version 0",
            ["server-edns"],
        )
    )
    return out


# ------------------------------------------------------------------ untestable


def spec_ids() -> list[str]:
    """Every requirement id of spec/resolution.md, in document order."""
    return re.findall(r"\[(RS-[0-9.]+-[0-9]+)\]", SPEC.read_text(encoding="utf-8"))


SPECIFIC: Final = {
    "RS-8.4-8": "removed (zone transfers were not part of publishing); the id is kept, "
    "unused, so that it is never reused (RS-8.4-10 replaces it)",
    "RS-3.5-5": "removed (the address hints of an IP endpoint's SVCB mirror); the id is "
    "kept, unused, so that it is never reused (RS-3.5-7 replaces it)",
    "RS-8.1-6": "a MAY: both answers are right, so the server cases do not compare the "
    "authority and additional sections of positive answers (tests/conformance/"
    "test_server_mode.py pins what the reference server, Knot and NSD each do)",
    "RS-15-2": "max_depth (16) exceeds the deepest chain that §2.2 allows (R, eight "
    "provider-name zones, a region and an architecture node: ten), as §15 says; a "
    "referral to a deeper cut is already lame (§12.4.2 rule 4), so no fixture reaches it",
    "RS-15-8": "glueless referrals are resolved with the operating system's stub "
    "resolver, which the runner does not control",
    "RS-15-10": "serving stale is OPTIONAL (§13.3, MAY); its window cannot be required",
    "RS-15-11": "how long a negative answer is cached cannot be seen in a result: a fresh "
    "query and the cached answer give the same outcome",
    "RS-15-12": "how long a zone entry is cached cannot be seen in a result: re-fetching "
    "the keys gives the same result",
    "RS-13.3-1": "serving stale is OPTIONAL (MAY); a case cannot require it, and the cases "
    "where it is forbidden (BOGUS after a cached result) cover the rest",
    "RS-12.4.2-7": "what a resolver ignores and does not cache from a referral cannot be "
    "seen in one result; the hostile cases check that such data never leads to OK",
    "RS-12.1-2": "the runner always sends a valid anchor; rejecting a bad one is a "
    "configuration error that happens before any request could report it",
    "RS-12.1-3": "the runner always sends an anchor with addresses",
}


def _reason(rid: str) -> str:
    if rid in SPECIFIC:
        return SPECIFIC[rid]
    section = rid.split("-")[1]
    major = int(section.split(".")[0])
    if section.startswith("8.8"):
        return (
            "live registration by DNS UPDATE (§8.8): a server option with its own state and "
            "keys; the resolver and server profiles send no UPDATE (tests/cid/server/)"
        )
    if section in ("7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "7.7") or major == 7:
        return (
            "the reference registry on disk (§7 binds only it): files, build and "
            "verification on load are not visible on the wire (tests/cid/registry/)"
        )
    if major in (2, 3, 4, 5):
        return (
            "how a publisher assembles zones: the server cases load zones already "
            "assembled, so only what is served can be checked, and these rules are about "
            "assembly (tests/cid/registry/ check them against the reference)"
        )
    if major == 6:
        return "a publisher's choice of sizes, not observable in one server's answers"
    if section in ("8.4",) or major == 8:
        return (
            "server behaviour the server cases do not exercise: malformed messages, "
            "opcodes, transfers, reload and connection handling (tests/cid/server/)"
        )
    if section == "9.1":
        return (
            "a hidden primary's transfers, NOTIFY and serials (§9.1): the server profile "
            "sends queries only (tests/cid/server/test_xfr.py, and test_xfr_realdns.py "
            "with Knot and NSD as secondaries)"
        )
    if major == 9:
        return "operating other servers (re-export intervals): an operator's duty, not on the wire"
    if major == 10:
        return "operational security of publishers (key files, rate limiting): not on the wire"
    if major == 12 and section in ("12.9",):
        return (
            "discovery listings (§12.9, §17): the adapter protocol has no discovery operation yet"
        )
    if major == 17 or rid in ("RS-15-13", "RS-15-14", "RS-15-15"):
        return "discovery (§17): the adapter protocol has no discovery operation yet"
    if section == "12.1":
        return (
            "configuration: the runner always gives a valid anchor and port; rejecting "
            "bad anchors happens before any request could report it"
        )
    if section == "12.2":
        return (
            "on-the-wire properties of the queries (random ids and ports, EDNS flags) that "
            "a result cannot show; the fixtures' servers do not inspect queries"
        )
    if section == "12.3":
        return (
            "server order and retries at other servers after a verification failure: "
            "OPTIONAL or random, not visible in one result"
        )
    if section == "12.5.2":
        return (
            "glueless referrals are resolved with the operating system's stub resolver, "
            "which the runner does not control"
        )
    if section == "12.6":
        return "an optimisation a resolver MAY use; the result is the same either way"
    if section in ("13.3", "14.2", "14.5", "14.6", "14.7", "14.8", "14.1") or major == 14:
        return (
            "cache internals, bounds, bypassing and the persistence of the version store "
            "across runs: the adapter protocol keeps state only within one case and has "
            "no cache controls"
        )
    if major == 15:
        return (
            "a limit whose effect no fixture can reach under the defaults (max_depth "
            "exceeds the deepest valid chain, §15) or that a resolver configures freely"
        )
    if major == 16:
        return (
            "the client's connection order among endpoints of one priority is random; "
            "the runner compares endpoints only by priority"
        )
    if major == 18:
        return "security guidance for operators and callers; not observable in one result"
    if major == 13:
        return "how a command line or a caller presents outcomes, not the outcome itself"
    return "not observable through the resolve or server operations"


# ------------------------------------------------------------------ the area


def build() -> list[Area]:
    files, manifests = render()
    _render_more(files, manifests)
    world = honest_world()
    cases: list[Case] = []
    cases += _honest_cases(world)
    cases += _invalid_identifiers()
    cases += _negative_cases()
    cases += _broken_cases(world)
    cases += _hostile_cases(world)
    cases += _step_cases(world)
    cases += _key_and_typ_cases(world)
    cases += _validity_cases(world)
    cases += _server_cases(manifests, files)
    files["fixtures/README.md"] = _readme(manifests)
    ids = spec_ids()
    if len(ids) != len(set(ids)):
        raise ValueError("spec/resolution.md: a requirement id appears twice")
    # A resolve case may name the rules of spec/descriptor.md that §12.5.1 and §12.8 apply.
    known = set(ids) | set(
        re.findall(r"\[(DS-[0-9.]+-[0-9]+)\]", DESCRIPTOR_SPEC.read_text(encoding="utf-8"))
    )
    covered: set[str] = set()
    for case in cases:
        unknown = set(case.requirements) - known
        if unknown:
            raise ValueError(f"{case.comment}: unknown requirement ids {sorted(unknown)}")
        covered |= set(case.requirements)
        for flag in case.flags:
            if flag not in FLAGS:
                raise ValueError(f"flag {flag} is not documented")
    untestable = {rid: _reason(rid) for rid in ids if rid not in covered}
    area = Area(
        name="resolution",
        prefix="rs",
        description=(
            "spec/resolution.md part 2 (profile resolver, operation resolve) against the "
            "fixtures of conformance/fixtures/ served on loopback by the runner, and part 1 "
            "§6 and §8 (profile server, operation server): what an authoritative server "
            "loaded with a fixture's server_mode zones must answer. Resolve inputs: fixture, "
            "identifier, now, optional timeout and forwarding, or steps; the runner adds "
            "anchor, port and forwarder. Server inputs: fixture and query (name, type, tcp, "
            "edns: version or null, payload); expected output: rcode, aa, tc, edns, and the "
            "sections as RRs in presentation form (answer and authority exactly, additional "
            "at least, additional_may allowed besides); members absent are not compared "
            "(positive answers do not compare authority and additional: spec §8.1 does not "
            "constrain them, and NSD adds the zone's NS RRset and glue)."
        ),
        cases=cases,
        flags=dict(FLAGS),
        untestable=untestable,
        files=files,
    )
    return [area]


def _readme(manifests: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# Resolution fixtures",
        "",
        "Generated by `python -m conformance.generate` (conformance/generate/resolution.py);",
        "do not edit. Each folder is one fixture: `fixture.json` (the manifest), `anchor.json`",
        "(the trust anchor, spec/resolution.md §7.2) and the zone files that differ from an",
        "earlier fixture's; the manifest names every zone's file by its path under `fixtures/`.",
        f"Every fixture is built for the time {T0} (2026-01-01T00:00:00Z) with fixed Ed25519",
        "keys; the zone files are RFC 1035 master files that Knot DNS and NSD load unchanged.",
        "",
        "## Manifest",
        "",
        "| member | meaning |",
        "|---|---|",
        "| `root`, `anchor` | the root suffix and the trust anchor |",
        "| `zones` | zone name -> its zone file under `fixtures/` |",
        "| `servers` | `address` (127.53.x.y), the `zones` it serves, its `behaviour` |",
        "| `forwarder` | a server that holds every zone and answers as a recursive resolver "
        "(AA clear, RA set) |",
        "| `server_mode` | the zones a server under test loads for the `server` cases |",
        "",
        "All servers of a fixture listen on one port, each on its own loopback address:",
        "referrals carry no ports (spec/resolution.md §12.1). On Linux every 127/8 address",
        "is local; elsewhere add the addresses to the loopback interface first.",
        "",
        "## Behaviours",
        "",
        'A behaviour is a list of rules `{"when": {...}, "do": ACTION, ...}`. The first rule',
        "whose `when` matches the query (`qtype` as a mnemonic such as `TYPE65280`, `qname`,",
        "`tcp`) decides; no match, or an empty list, answers honestly from the zones.",
        "",
        "| action | what the server does |",
        "|---|---|",
        "| `silent` | sends nothing |",
        "| `truncate` | over UDP: TC set, the question only; over TCP honest, unless `tcp` "
        "is true |",
        "| `wrong-id` | the honest response with another id |",
        "| `wrong-id-then-right` | a copy with another id, then the honest response |",
        "| `rcode` | an empty response with RCODE `rcode`, AA clear |",
        "| `clear-aa` | the honest response with AA clear |",
        "| `unasked` | the honest response plus an unasked A RRset in the answer section |",
        "| `wrong-question` | the honest response with `other.` prepended to the question name |",
        "| `malformed` | a response whose answer section is junk |",
        "| `nxdomain`, `nodata` | a negative answer, AA as `aa`, with a made-up SOA of zone "
        "`soa` (or none) |",
        "| `refer` | a referral to `cut` at name server `ns` with glue `glue` |",
        "| `redirect-glue` | the honest response with every A record's address replaced by "
        "`address` |",
        "| `pad` | the honest response padded to at least `size` octets (over UDP; TCP too "
        "if `tcp`) |",
        "| `answer` | an answer (AA set) with one RRset of type `type` holding `data` (hex) |",
        "| `strip-delegation` | the honest response without TYPE65281 in the additional "
        "section; with `owner` and `data`, that record instead in referrals |",
        "",
        "## Fixtures",
        "",
    ]
    for name, m in manifests.items():
        lines.append(f"- `{name}`: {m['description']}")
    return "\n".join(lines) + "\n"
