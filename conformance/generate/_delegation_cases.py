"""The "delegation" and "chain" areas: verify_delegation, verify_rotation and verify_chain
(spec/descriptor.md §8-§10; spec/resolution.md §12.5, §15 for chains)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cid

from ._common import Area, Case
from ._records import (
    ANCHOR,
    DAY,
    DELEG,
    DESC,
    T0,
    claims,
    deleg_claims,
    deleg_json,
    desc_json,
    key,
    pub,
    record,
)

__all__ = ["chain_area", "delegation_area"]

NOW = T0 + 3600
ROOT = "ucid.example"
MAX_DEPTH = 16  # spec/resolution.md §15

FLAGS = {
    "valid-record": "rejecting a record that every rule allows",
    "delegation-claims": (
        "accepting delegation claims that break §9.1 (missing, unknown, keys not one or two "
        "distinct 32-byte keys)"
    ),
    "child-below-parent": (
        "accepting a child that is not strictly below its parent, by whole labels"
    ),
    "zone-name": "accepting an iss that is not a zone name (§6.3), or rejecting one that is",
    "typ-confusion": (
        "accepting a record of another typ than the one expected (a delegation as a descriptor), "
        "or any typ"
    ),
    "time-rules": (
        "not enforcing nbf < exp, iat < exp and the maximum validity as rules of the payload"
    ),
    "validity-boundary": (
        "off-by-one at start - skew or exp + skew, ignoring skew, or taking nbf instead of "
        "max(nbf, iat) as the start"
    ),
    "unknown-key": "not rejecting a record whose kid no trusted key has",
    "bad-signature": "not verifying the signature, or verifying it over the wrong bytes",
    "issuer": "not comparing iss with the expected issuer",
    "rollback": (
        "not rejecting a lower version, or the same version with other payload bytes "
        "(equivocation), or rejecting the same payload re-signed"
    ),
    "integer-range": "mishandling 64-bit unsigned integers (signed overflow, doubles)",
    "rotation": (
        "an anchor rotation verified otherwise than §10.3: by the old key only, by a current "
        "anchor twice, or over two different payloads"
    ),
    "chain": (
        "a chain of delegations verified otherwise than from the anchor down, each with its "
        "parent's keys"
    ),
    "wrong-parent-key": "accepting a delegation signed by a key other than its parent zone's",
    "zone-scope": (
        "using a zone's keys for records outside it (a sibling, a descriptor for a name outside "
        "the issuer)"
    ),
    "issuer-end-of-chain": (
        "accepting a descriptor issued by a zone other than the last of the chain"
    ),
    "subject": (
        "accepting a sub that is not a UCID in canonical form, or a descriptor whose sub is not "
        "the identifier asked"
    ),
    "depth-limit": "following more delegations than max_depth (16 zones below the anchor's)",
    "expired-delegation": "not applying validity to every delegation of the chain",
}


def _ok(c: Mapping[int, Any]) -> dict[str, Any]:
    return {"result": "valid", "output": deleg_json(c)}


def _err(*codes: str) -> dict[str, Any]:
    return {"result": "invalid", "errors": list(codes)}


def _case(
    op: str,
    inp: dict[str, Any],
    expected: dict[str, Any],
    reqs: Sequence[str],
    flags: Sequence[str],
    comment: str,
) -> Case:
    return Case(op, inp, expected, list(reqs), list(flags), comment, profile="descriptor")


# ------------------------------------------------------------- delegation


def _vdel(
    signed: bytes,
    expected: dict[str, Any],
    reqs: Sequence[str],
    flags: Sequence[str],
    comment: str,
    *,
    keys: Sequence[str] = ("acme",),
    now: int = NOW,
    **extra: Any,
) -> Case:
    inp: dict[str, Any] = {"signed": signed.hex(), "keys": [pub(k) for k in keys], "now": now}
    for name, value in extra.items():
        inp[name] = [v.hex() for v in value] if name == "seen" else value
    return _case("verify_delegation", inp, expected, reqs, flags, comment)


def _delegations() -> list[Case]:
    P, C = "acme.example", "_cn-gd.acme.example"
    out: list[Case] = []
    E = _err("ENCODING")

    def dc(**over: Any) -> dict[int, Any]:
        return deleg_claims(P, C, ["child"], **over)

    def good(
        c: dict[int, Any], reqs: Sequence[str], flags: Sequence[str], comment: str, **kw: Any
    ) -> None:
        out.append(
            _vdel(record(c, typ=DELEG), _ok(c), reqs, ["valid-record", *flags], comment, **kw)
        )

    def bad(
        c: dict[int, Any], reqs: Sequence[str], flags: Sequence[str], comment: str, **kw: Any
    ) -> None:
        out.append(_vdel(record(c, typ=DELEG), E, ["DS-8.2.1-8", *reqs], flags, comment, **kw))

    good(
        dc(),
        ["DS-9.1-1", "DS-9.1-2", "DS-9.1-3", "DS-9.1-4", "DS-9.1-5", "DS-9.2-1", "DS-4.3.1-1"],
        [],
        "a delegation from acme.example to its region zone _cn-gd.acme.example, one key",
    )
    good(deleg_claims(P, C, ["child", "child2"]), ["DS-9.1-5"], [], "two keys (a rollover)")
    good(
        deleg_claims(P, "a.b.acme.example", ["child"]),
        ["DS-9.1-2"],
        ["child-below-parent"],
        "a child two labels below",
    )
    good(dc(version=2**64 - 1), ["DS-9.1-4"], ["integer-range"], "version 2^64-1")
    good(dc(exp=T0 + 366 * DAY), ["DS-9.1-3", "DS-8.4.1-2"], ["time-rules"], "exp - nbf = 366 days")
    good(dc(), ["DS-8.2.1-9"], ["issuer"], "the expected issuer is the parent", issuer=P)
    good(dc(nbf=T0 - DAY), ["DS-9.1-3", "DS-6.1.3-5"], ["time-rules"], "nbf before iat")
    bad(
        dc(exp=T0 + 366 * DAY + 1),
        ["DS-9.1-3", "DS-8.4.1-2"],
        ["time-rules"],
        "exp - nbf = 366 days + 1 s",
    )
    bad(dc(nbf=T0 + DAY, exp=T0 + DAY), ["DS-9.1-3", "DS-6.1.3-1"], ["time-rules"], "nbf = exp")
    bad(dc(iat=T0 + 100 * DAY), ["DS-9.1-3", "DS-6.1.3-2"], ["time-rules"], "iat after exp")
    bad(dc(version=-1), ["DS-9.1-4"], ["integer-range"], "version -1")
    for name, req in (
        ("iss", "DS-9.1-1"),
        ("sub", "DS-9.1-2"),
        ("exp", "DS-9.1-3"),
        ("nbf", "DS-9.1-3"),
        ("iat", "DS-9.1-3"),
        ("version", "DS-9.1-4"),
        ("keys", "DS-9.1-5"),
    ):
        bad(dc(**{name: None}), [req, "DS-9.1-6"], ["delegation-claims"], f"no {name} claim")
    bad(
        {**dc(), 9: [{0: "tcp"}]},
        ["DS-9.1-6"],
        ["delegation-claims"],
        "an endpoints claim (9) in a delegation",
    )
    bad(
        {**dc(), 12: ["x"]},
        ["DS-9.1-6"],
        ["delegation-claims"],
        "a crit claim (12) in a delegation",
    )
    bad({**dc(), 3: "x"}, ["DS-9.1-6"], ["delegation-claims"], "an aud claim (3)")
    bad(dc(keys=[]), ["DS-9.1-5", "DS-6.1.2-2"], ["delegation-claims"], "keys empty")
    bad(
        deleg_claims(P, C, ["child", "child2", "child3"]),
        ["DS-9.1-5"],
        ["delegation-claims"],
        "three keys",
    )
    bad(
        deleg_claims(P, C, ["child", "child"]),
        ["DS-9.1-5"],
        ["delegation-claims"],
        "the same key twice",
    )
    bad(
        dc(keys=[key("child").verify_key.raw[:31]]),
        ["DS-9.1-5", "DS-5.1.1-1"],
        ["delegation-claims"],
        "a 31-byte key",
    )
    bad(
        dc(keys=[key("child").verify_key.raw + b"\x00"]),
        ["DS-9.1-5", "DS-5.1.1-1"],
        ["delegation-claims"],
        "a 33-byte key",
    )
    bad(
        dc(keys=key("child").verify_key.raw),
        ["DS-9.1-5"],
        ["delegation-claims"],
        "keys as one byte string, not an array",
    )
    bad(dc(keys=[pub("child")]), ["DS-9.1-5"], ["delegation-claims"], "a key as hexadecimal text")
    for child, what in (
        (P, "the parent itself"),
        ("other.example", "a sibling of the parent"),
        ("xacme.example", "a name ending in the parent's text but not below it"),
        ("example", "the parent's parent"),
        ("acme.example.evil", "the parent as a prefix"),
    ):
        bad(
            deleg_claims(P, child, ["child"]),
            ["DS-9.1-2"],
            ["child-below-parent"],
            f"child {child}: {what}",
        )
    for zone, what in (
        ("Cn.acme.example", "a capital"),
        ("a_b.acme.example", "an underscore inside a label"),
        ("_cn-gd_.acme.example", "an underscore label ending with _"),
    ):
        bad(
            deleg_claims(P, zone, ["child"]),
            ["DS-6.3.2-1", "DS-6.3.2-3"],
            ["zone-name"],
            f"child {zone!r}: {what}",
        )
    bad(
        deleg_claims("Acme.example", "x.Acme.example", ["child"]),
        ["DS-6.3.2-1", "DS-6.3.2-3"],
        ["zone-name"],
        "parent with a capital",
    )
    c = dc()
    rec = record(c, typ=DELEG)
    out += [
        _vdel(
            record(c, typ=DESC),
            E,
            ["DS-4.3.1-2", "DS-8.2.1-4"],
            ["typ-confusion"],
            "a delegation payload under the descriptor typ",
        ),
        _vdel(
            record(c, typ=ANCHOR),
            E,
            ["DS-4.3.1-2"],
            ["typ-confusion"],
            "a delegation payload under the anchor typ",
        ),
        _vdel(
            record(claims()),
            E,
            ["DS-4.3.1-2"],
            ["typ-confusion"],
            "a descriptor given as a delegation",
        ),
        _vdel(
            record(c, typ=DELEG, signer="child"),
            _err("UNKNOWN_KEY"),
            ["DS-9.2-1", "DS-8.2.1-6"],
            ["unknown-key"],
            "signed by the child's own key",
        ),
        _vdel(
            rec,
            _err("UNKNOWN_KEY"),
            ["DS-9.2-1", "DS-5.2.2-3"],
            ["unknown-key"],
            "verified with the child's key instead of the parent's",
            keys=("child",),
        ),
        _vdel(
            rec[:-1] + bytes([rec[-1] ^ 1]),
            _err("SIGNATURE"),
            ["DS-8.2.1-7"],
            ["bad-signature"],
            "a bad signature",
        ),
        _vdel(
            rec,
            _err("DESCRIPTOR"),
            ["DS-8.2.1-9"],
            ["issuer"],
            "another parent expected",
            issuer="other.example",
        ),
        _vdel(
            rec,
            _err("EXPIRED"),
            ["DS-8.3.1-2", "DS-8.2.1-11"],
            ["validity-boundary"],
            "now = exp + 300",
            now=T0 + 90 * DAY + 300,
        ),
        _vdel(
            rec,
            _deleg_ok(c),
            ["DS-8.3.1-1"],
            ["validity-boundary"],
            "now = exp + 299",
            now=T0 + 90 * DAY + 299,
        ),
        _vdel(
            rec,
            _err("NOT_YET_VALID"),
            ["DS-8.3.1-2"],
            ["validity-boundary"],
            "now = nbf - 301",
            now=T0 - 301,
        ),
        _vdel(
            rec,
            _deleg_ok(c),
            ["DS-8.3.1-1"],
            ["validity-boundary"],
            "now = nbf - 300",
            now=T0 - 300,
        ),
    ]
    v1, v2 = dc(version=1), dc(version=2)
    v2b = deleg_claims(P, C, ["child2"], version=2)
    r1, r2 = record(v1, typ=DELEG), record(v2, typ=DELEG)
    out += [
        _vdel(
            r2, _deleg_ok(v2), ["DS-8.5.2-1"], ["rollback"], "version 2 after version 1", seen=[r1]
        ),
        _vdel(
            r1,
            _err("ROLLBACK"),
            ["DS-8.5.2-1", "DS-8.2.1-12"],
            ["rollback"],
            "version 1 after version 2",
            seen=[r2],
        ),
        _vdel(
            record(v2b, typ=DELEG),
            _err("ROLLBACK"),
            ["DS-8.5.2-2"],
            ["rollback"],
            "version 2 listing another key than the version 2 seen (equivocation)",
            seen=[r2],
        ),
        _vdel(
            r2, _deleg_ok(v2), ["DS-8.5.2-3"], ["rollback"], "the same delegation again", seen=[r2]
        ),
        _vdel(
            record(v2, typ=DELEG, signer="acme2"),
            _deleg_ok(v2),
            ["DS-8.5.2-3"],
            ["rollback"],
            "the same payload re-signed by the parent's second key",
            seen=[r2],
            keys=("acme", "acme2"),
        ),
        _vdel(
            r1,
            _deleg_ok(v1),
            ["DS-8.5.2-1"],
            ["rollback"],
            "version 1 when only another child's version 2 was seen",
            seen=[record(deleg_claims(P, "_de-by.acme.example", ["child"], version=2), typ=DELEG)],
        ),
    ]
    return out


def _deleg_ok(c: Mapping[int, Any]) -> dict[str, Any]:
    return _ok(c)


def _rotations() -> list[Case]:
    Z = ROOT
    out: list[Case] = []

    def rot(
        by_old: bytes,
        by_new: bytes,
        expected: dict[str, Any],
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
        *,
        anchors: Sequence[str] = ("root",),
        now: int = NOW,
    ) -> None:
        inp = {
            "by_old": by_old.hex(),
            "by_new": by_new.hex(),
            "keys": [pub(k) for k in anchors],
            "now": now,
        }
        out.append(_case("verify_rotation", inp, expected, reqs, ["rotation", *flags], comment))

    c = deleg_claims(Z, Z, ["root2"])
    old, new = record(c, "root", typ=ANCHOR), record(c, "root2", typ=ANCHOR)
    rot(
        old,
        new,
        _ok(c),
        ["DS-10.1-1", "DS-10.1-2", "DS-10.2-1", "DS-10.3-1", "DS-10.3-3", "DS-10.3-4", "DS-10.3-5"],
        ["valid-record"],
        "root's anchor root replaced by root2: signed by both",
    )
    co = deleg_claims(Z, Z, ["root", "root2"])
    rot(
        record(co, "root", typ=ANCHOR),
        record(co, "root2", typ=ANCHOR),
        _ok(co),
        ["DS-10.2-1", "DS-10.3-3"],
        ["valid-record"],
        "an overlap: the next anchors are root and root2",
    )
    rot(
        record(co, "root", typ=ANCHOR),
        record(co, "root", typ=ANCHOR),
        _err("UNKNOWN_KEY"),
        ["DS-10.2-1", "DS-10.3-3"],
        [],
        "an overlap signed twice by the current anchor: the second signature must be a new key's",
    )
    rot(old, old, _err("UNKNOWN_KEY"), ["DS-10.3-3"], [], "the old key's record given twice")
    # §10.4: after an overlap, the old anchor retired: every key of the payload is an anchor.
    cr = deleg_claims(Z, Z, ["root2"], version=3)
    rot(
        record(cr, "root", typ=ANCHOR),
        record(cr, "root2", typ=ANCHOR),
        _ok(cr),
        ["DS-10.4-1", "DS-10.3-1"],
        ["valid-record"],
        "the overlap ends: root retired, root2 kept, the second signed by root2",
        anchors=("root", "root2"),
    )
    rot(
        record(cr, "root", typ=ANCHOR),
        record(cr, "root", typ=ANCHOR),
        _err("UNKNOWN_KEY"),
        ["DS-10.4-1"],
        ["unknown-key"],
        "the overlap ends, but the second is signed by the retired key, which the payload drops",
        anchors=("root", "root2"),
    )
    rot(
        new,
        new,
        _err("UNKNOWN_KEY"),
        ["DS-10.3-1"],
        [],
        "the new key's record given twice: the first must verify with a current anchor",
    )
    rot(new, old, _err("UNKNOWN_KEY"), ["DS-10.3-1"], [], "the two records swapped")
    rot(
        record(c, "rootb", typ=ANCHOR),
        new,
        _ok(c),
        ["DS-10.3-1"],
        ["valid-record"],
        "two current anchors; the second signed",
        anchors=("root", "rootb"),
    )
    rot(
        record(c, "stranger", typ=ANCHOR),
        new,
        _err("UNKNOWN_KEY"),
        ["DS-10.3-1"],
        ["unknown-key"],
        "the first signed by a key that is no anchor",
    )
    rot(
        old,
        record(c, "stranger", typ=ANCHOR),
        _err("UNKNOWN_KEY"),
        ["DS-10.3-3"],
        ["unknown-key"],
        "the second signed by a key that the payload does not list",
    )
    rot(
        old,
        record(c, "stranger", typ=ANCHOR, kid_of="root2"),
        _err("SIGNATURE"),
        ["DS-10.3-3", "DS-5.2.2-4"],
        ["bad-signature"],
        "the second names root2's kid but another key signed",
    )
    c2 = deleg_claims(Z, Z, ["root2"], version=2)
    rot(
        old,
        record(c2, "root2", typ=ANCHOR),
        _err("SIGNATURE"),
        ["DS-10.3-4"],
        [],
        "the two records carry different payloads (version 1 and 2)",
    )
    rot(
        old[:-1] + bytes([old[-1] ^ 1]),
        new,
        _err("SIGNATURE"),
        ["DS-10.3-1"],
        ["bad-signature"],
        "a bad first signature",
    )
    rot(
        old,
        new[:-1] + bytes([new[-1] ^ 1]),
        _err("SIGNATURE"),
        ["DS-10.3-3"],
        ["bad-signature"],
        "a bad second signature",
    )
    cx = deleg_claims(Z, "x." + Z, ["root2"])
    rot(
        record(cx, "root", typ=ANCHOR),
        record(cx, "root2", typ=ANCHOR),
        _err("ENCODING"),
        ["DS-10.1-1", "DS-10.3-2"],
        [],
        "iss is not sub: a delegation's payload under the anchor typ",
    )
    rot(
        record(c, "root", typ=DELEG),
        record(c, "root2", typ=DELEG),
        _err("ENCODING"),
        ["DS-10.1-2", "DS-4.3.1-2"],
        ["typ-confusion"],
        "both records under the delegation typ",
    )
    rot(
        old,
        record(c, "root2", typ=DELEG),
        _err("ENCODING"),
        ["DS-10.1-2", "DS-4.3.1-2"],
        ["typ-confusion"],
        "the second record under the delegation typ",
    )
    rot(
        old,
        new,
        _err("EXPIRED"),
        ["DS-10.3-5", "DS-8.3.1-2"],
        ["validity-boundary"],
        "now = exp + 300",
        now=T0 + 90 * DAY + 300,
    )
    rot(
        old,
        new,
        _ok(c),
        ["DS-10.3-5", "DS-8.3.1-1"],
        ["validity-boundary"],
        "now = exp + 299",
        now=T0 + 90 * DAY + 299,
    )
    rot(
        old,
        new,
        _err("NOT_YET_VALID"),
        ["DS-10.3-5", "DS-8.3.1-2"],
        ["validity-boundary"],
        "now = nbf - 301",
        now=T0 - 301,
    )
    cl = deleg_claims(Z, Z, ["root2"], exp=T0 + 366 * DAY)
    rot(
        record(cl, "root", typ=ANCHOR),
        record(cl, "root2", typ=ANCHOR),
        _ok(cl),
        ["DS-8.4.1-2"],
        ["time-rules"],
        "exp - nbf = 366 days",
    )
    cl = deleg_claims(Z, Z, ["root2"], exp=T0 + 366 * DAY + 1)
    rot(
        record(cl, "root", typ=ANCHOR),
        record(cl, "root2", typ=ANCHOR),
        _err("ENCODING"),
        ["DS-8.4.1-2"],
        ["time-rules"],
        "exp - nbf = 366 days + 1 s",
    )
    return out


def delegation_area() -> Area:
    cases = _delegations() + _rotations()
    used = {f for c in cases for f in c.flags}
    return Area(
        name="descriptor-delegation",
        prefix="dg",
        description=(
            "verify_delegation and verify_rotation: delegation records (spec/descriptor.md §9) "
            "and anchor rotations (§10), each rule both ways."
        ),
        cases=cases,
        flags={k: v for k, v in FLAGS.items() if k in used},
    )


# ------------------------------------------------------------------- chains


def _zk(zone: str) -> str:
    return "zone " + zone


def _zones(identifier: str, depth: int) -> list[str]:
    """The anchor's zone and the ``depth`` zones below it on the way to the identifier's name."""
    name = cid.parse(identifier).to_dns_name(ROOT).rstrip(".")
    labels = name[: -len(ROOT) - 1].split(".")
    zones = [ROOT]
    for i in range(1, depth + 1):
        zones.append(".".join(labels[-i:]) + "." + ROOT)
    return zones


def _delegation(parent: str, child: str, signer: str | None = None, **over: Any) -> bytes:
    return record(
        deleg_claims(parent, child, [_zk(child)], **over), signer or _zk(parent), typ=DELEG
    )


def _chain_input(
    zones: Sequence[str],
    identifier: str,
    descriptor: bytes,
    delegations: Sequence[bytes] | None = None,
    now: int = NOW,
    anchor_key: str | None = None,
) -> dict[str, Any]:
    if delegations is None:
        delegations = [_delegation(zones[i - 1], zones[i]) for i in range(1, len(zones))]
    return {
        "anchor": {"zone": ROOT, "keys": [pub(anchor_key or _zk(ROOT))]},
        "delegations": [d.hex() for d in delegations],
        "descriptor": descriptor.hex(),
        "identifier": identifier,
        "root": ROOT,
        "now": now,
    }


def _chains() -> list[Case]:
    out: list[Case] = []

    def case(
        inp: dict[str, Any],
        expected: dict[str, Any],
        reqs: Sequence[str],
        flags: Sequence[str],
        comment: str,
    ) -> None:
        out.append(_case("verify_chain", inp, expected, reqs, flags, comment))

    def desc(
        zone: str, sub: str, signer: str | None = None, **over: Any
    ) -> tuple[bytes, dict[int, Any]]:
        c = claims(iss=zone, sub=str(cid.parse(sub)), **over)
        return record(c, signer or _zk(zone)), c

    def ok(c: Mapping[int, Any], zones: Sequence[str]) -> dict[str, Any]:
        return {"result": "valid", "output": {"descriptor": desc_json(c), "chain": list(zones)}}

    honest = {
        0: "ucid:acme/cn-gd/x86-64",
        1: "ucid:acme/cn-gd/x86-64",
        2: "ucid:acme.east/cn-gd/x86-64",
        3: "ucid:acme.east/cn-gd/x86-64",
        4: "ucid:acme.east/cn-gd/x86-64",
        10: "ucid:a.b.c.d.e.f.g.h/cn-gd/x86-64",
    }
    for depth, ident in honest.items():
        zones = _zones(ident, depth)
        d, c = desc(zones[-1], ident)
        case(
            _chain_input(zones, ident, d),
            ok(c, zones),
            ["DS-9.2-1", "DS-9.3-1", "DS-9.3-2", "DS-8.2.1-9"],
            ["chain", "valid-record"],
            f"an honest chain of {depth} delegation(s): {' > '.join(zones)}",
        )
    # the capability form of an identifier, with a zone at its architecture node
    capid = "ucid:acme.east/cn-gd/x86-64/acc=8;mem=512GiB"
    zones = _zones(capid, 4)
    d, c = desc(zones[-1], capid)
    case(
        _chain_input(zones, capid, d),
        ok(c, zones),
        ["DS-9.3-2"],
        ["chain", "valid-record"],
        "an identifier with capabilities, below the architecture node's zone",
    )
    case(
        _chain_input(zones, "ucid:ACME.east/CN-GD/x86-64/mem=512GiB;acc=8", d),
        ok(c, zones),
        ["DS-9.3-2"],
        ["chain", "valid-record"],
        "the identifier asked in another spelling: compared in canonical form",
    )
    ident = honest[2]
    zones = _zones(ident, 2)
    d, c = desc(zones[-1], ident)
    # the root delegates acme.east directly (east is no zone)
    skip = [ROOT, zones[2]]
    case(
        _chain_input(skip, ident, d),
        ok(c, skip),
        ["DS-9.1-2", "DS-9.2-1"],
        ["chain", "valid-record"],
        "the anchor's zone delegates acme.east.ucid.example directly, two labels below it",
    )
    # rollover: the child's two keys, descriptor signed by the second
    two = [
        _delegation(ROOT, zones[1]),
        record(
            deleg_claims(
                zones[1],
                zones[2],
                [],
                keys=[key("old " + zones[2]).verify_key.raw, key(_zk(zones[2])).verify_key.raw],
            ),
            _zk(zones[1]),
            typ=DELEG,
        ),
    ]
    case(
        _chain_input(zones, ident, d, two),
        ok(c, zones),
        ["DS-9.1-5", "DS-9.2-1"],
        ["chain", "valid-record"],
        "a delegation listing two keys; the descriptor signed by the second",
    )
    B = _err("BOGUS")
    # wrong parent key
    wrong = [_delegation(ROOT, zones[1]), _delegation(zones[1], zones[2], signer=_zk(ROOT))]
    case(
        _chain_input(zones, ident, d, wrong),
        B,
        ["DS-9.2-1"],
        ["wrong-parent-key"],
        "acme.east's delegation signed by the root's key instead of east's",
    )
    wrong_iss = [
        _delegation(ROOT, zones[1]),
        record(deleg_claims(ROOT, zones[2], [_zk(zones[2])]), _zk(zones[1]), typ=DELEG),
    ]
    case(
        _chain_input(zones, ident, d, wrong_iss),
        B,
        ["DS-9.2-1", "DS-8.2.1-9"],
        ["wrong-parent-key", "issuer"],
        "acme.east's delegation signed by east's key but naming the root as parent",
    )
    case(
        _chain_input(zones, ident, d, anchor_key="stranger"),
        B,
        ["DS-9.2-1", "DS-5.2.2-3"],
        ["chain"],
        "the anchor's key is not the one that signed the first delegation",
    )
    outside = [
        _delegation(ROOT, zones[1]),
        record(
            deleg_claims(zones[1], "acme.west." + ROOT, [_zk(zones[2])]), _zk(zones[1]), typ=DELEG
        ),
    ]
    case(
        _chain_input(zones, ident, d, outside),
        B,
        ["DS-9.1-2", "DS-9.2-2"],
        ["zone-scope", "child-below-parent"],
        "east's delegation for a child outside it (acme.west)",
    )
    sib = [
        _delegation(ROOT, zones[1]),
        _delegation(zones[1], zones[2]),
        record(
            deleg_claims(zones[1], "other." + zones[1], [_zk("other." + zones[1])]),
            _zk(zones[2]),
            typ=DELEG,
        ),
    ]
    ds, _cs = desc("other." + zones[1], "ucid:other.east/cn-gd/x86-64")
    case(
        _chain_input([*zones, "other." + zones[1]], "ucid:other.east/cn-gd/x86-64", ds, sib),
        B,
        ["DS-9.2-2"],
        ["zone-scope"],
        (
            "acme.east's key signs a delegation of its sibling other.east: keys are for the child"
            " zone only"
        ),
    )
    case(
        _chain_input(
            zones,
            ident,
            d,
            list(reversed([_delegation(ROOT, zones[1]), _delegation(zones[1], zones[2])])),
        ),
        B,
        ["DS-9.2-1"],
        ["chain"],
        "the delegations in reverse order",
    )
    # the issuer must be the end of the chain
    d_up, _ = desc(zones[1], ident)
    case(
        _chain_input(zones, ident, d_up),
        B,
        ["DS-9.3-1"],
        ["issuer-end-of-chain"],
        "the descriptor issued and signed by east, though the chain goes on to acme.east",
    )
    d_mix, _ = desc(zones[1], ident, signer=_zk(zones[2]))
    case(
        _chain_input(zones, ident, d_mix),
        B,
        ["DS-9.3-1", "DS-8.2.1-9"],
        ["issuer-end-of-chain", "issuer"],
        "the descriptor signed by acme.east's key but naming east as iss",
    )
    d_short, c_short = desc(zones[1], ident)
    case(
        _chain_input(zones[:2], ident, d_short),
        ok(c_short, zones[:2]),
        ["DS-9.3-1", "DS-9.3-2"],
        ["chain", "valid-record"],
        (
            "the same descriptor by east with the chain ending at east: east may speak for names "
            "below it"
        ),
    )
    # the identifier must be at or below iss, and be sub
    xid = "ucid:xacme.east/cn-gd/x86-64"
    dx, _ = desc(zones[2], xid)
    case(
        _chain_input(zones, xid, dx),
        B,
        ["DS-9.3-2"],
        ["zone-scope"],
        "acme.east signs for xacme.east (a suffix of the text, not of the labels)",
    )
    dother, _ = desc(zones[2], "ucid:acme.east/cn-gd/x86-64-v2")
    case(
        _chain_input(zones, ident, dother),
        B,
        ["DS-9.3-1"],
        ["subject"],
        "the descriptor's sub is another identifier than the one asked",
    )
    dsub, _ = desc(zones[2], "ucid:acme.east/cn-gd/x86-64/acc=8")
    case(
        _chain_input(zones, ident, dsub),
        B,
        ["DS-9.3-1"],
        ["subject"],
        "the descriptor is for an identifier with an attribute more than the one asked",
    )
    case(
        _chain_input(zones, "ucid:acme.east", d),
        _err("INVALID_IDENTIFIER"),
        ["DS-6.4.1-1"],
        ["subject"],
        "the identifier asked is not an identifier",
    )
    # signatures and validity
    bad_desc = d[:-1] + bytes([d[-1] ^ 1])
    case(
        _chain_input(zones, ident, bad_desc),
        B,
        ["DS-8.2.1-7"],
        ["bad-signature"],
        "the descriptor's signature is bad",
    )
    dl = _delegation(zones[1], zones[2])
    case(
        _chain_input(zones, ident, d, [_delegation(ROOT, zones[1]), dl[:-1] + bytes([dl[-1] ^ 1])]),
        B,
        ["DS-8.2.1-7", "DS-9.2-1"],
        ["bad-signature"],
        "a delegation's signature is bad",
    )
    case(
        _chain_input(
            zones,
            ident,
            d,
            [
                _delegation(ROOT, zones[1]),
                record(deleg_claims(zones[1], zones[2], [_zk(zones[2])]), _zk(zones[1]), typ=DESC),
            ],
        ),
        B,
        ["DS-4.3.1-2"],
        ["typ-confusion"],
        "a delegation under the descriptor typ",
    )
    exp_del = [
        _delegation(ROOT, zones[1]),
        _delegation(zones[1], zones[2], exp=T0 + 1800, nbf=T0 - DAY, iat=T0 - DAY),
    ]
    case(
        _chain_input(zones, ident, d, exp_del, now=T0 + 2100),
        _err("EXPIRED"),
        ["DS-9.2-2", "DS-8.3.1-2"],
        ["expired-delegation"],
        "acme.east's delegation expired (now = exp + 300) while the descriptor is valid",
    )
    case(
        _chain_input(zones, ident, d, exp_del, now=T0 + 2099),
        ok(c, zones),
        ["DS-9.2-2", "DS-8.3.1-1"],
        ["expired-delegation", "valid-record"],
        "acme.east's delegation at now = exp + 299",
    )
    late_del = [
        _delegation(ROOT, zones[1], nbf=T0 + DAY, iat=T0 + DAY),
        _delegation(zones[1], zones[2]),
    ]
    case(
        _chain_input(zones, ident, d, late_del),
        _err("EXPIRED"),
        ["DS-8.3.1-2"],
        ["expired-delegation"],
        "east's delegation not yet valid (EXPIRED in spec/resolution.md §13)",
    )
    dexp, _ = desc(zones[2], ident)
    case(
        _chain_input(zones, ident, dexp, now=T0 + 7 * DAY + 300),
        _err("EXPIRED"),
        ["DS-8.3.1-2"],
        ["expired-delegation"],
        "the descriptor expired",
    )
    # depth limit: 17 zones below the anchor's (the deepest identifier name has 17 labels
    # below the root)
    deep = (
        "ucid:a.b.c.d.e.f.g.h/cn-gd/x86-64/"
        "acc=8;cpu=128;disk=1TiB;gpu-mem=80GiB;mem=512GiB;net=roce2;sriov"
    )
    zones17 = _zones(deep, MAX_DEPTH + 1)
    d17, _ = desc(zones17[-1], deep)
    case(
        _chain_input(zones17, deep, d17),
        _err("LIMIT_EXCEEDED"),
        ["DS-9.2-1"],
        ["depth-limit"],
        "17 delegations, each valid: more than max_depth (16) zones below the anchor's",
    )
    return out


def chain_area() -> Area:
    cases = _chains()
    used = {f for c in cases for f in c.flags}
    return Area(
        name="descriptor-chain",
        prefix="ch",
        description="verify_chain: a descriptor verified through delegations from a trust anchor "
        "(spec/descriptor.md §9.2-§9.3, spec/resolution.md §12.5.1 and max_depth of §15).",
        cases=cases,
        flags={k: v for k, v in FLAGS.items() if k in used},
    )
