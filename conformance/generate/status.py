"""Vectors of the status profile (spec/status.md): one area, ``status`` (prefix ``st``),
operation ``verify_status`` (conformance/ADAPTER.md §4.12), and one ``verify_descriptor``
case (a status is not a descriptor).

Records are built by hand as the descriptor vectors are (``_records``, ``_cbor_bytes``):
claims are plain dicts, encoded by :func:`_cbor_bytes.enc`, signed with fixed keys, so
the expected results come from the specification's rules and not from the reference
library; ``tests/conformance/test_suite.py`` runs every case through the reference
adapter. The requirements no case can test are in :data:`UNTESTABLE`, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ._cbor_bytes import bstr, enc
from ._common import Area, Case
from ._records import DESC, T0, claims, kid, protected, pub, record

__all__ = ["UNTESTABLE", "build"]

STATUS = "application/ucid-status+cbor"
SUB = "ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B"
#: The base status is measured and signed an hour after T0, valid five minutes.
IAT = T0 + 3600
EXP = IAT + 300
#: The time of verification of most cases: a minute into the base status's validity.
NOW = IAT + 60
U63 = (1 << 63) - 1

_NO_CHOOSING = (
    "the adapter protocol has no choosing operation (ADAPTER.md §4), whose input would be "
    "a hierarchy of providers; tests/resolver/test_schedule.py tests the reference"
)

#: Requirements of spec/status.md that no case can test, and why.
#: Server behaviour (spec/status.md §8), which the reference tests check end to end.
SERVER: Final = (
    "a server's behaviour: the suite has no server profile for statuses; tested end to end "
    "by tests/cid/test_register_status.py against cid serve"
)

UNTESTABLE: dict[str, str] = {
    "ST-4.2-2": (
        "a producer's refusal to sign a record over 880 bytes: the status profile has no "
        "producing operation (tests/cid/test_status.py checks the reference's sign_status)"
    ),
    "ST-5.4-5": (
        "the unit a quantity is counted in is its meaning: a verifier cannot tell 64 bytes "
        "from 64 gibibytes, only that the key has a numeric type (ST-5.4-2)"
    ),
    "ST-5.4-6": (
        "what total counts (the whole pool behind the endpoints, not one instance) is the "
        "producer's meaning, which no verification can observe"
    ),
    "ST-5.6-2": (
        "how a reader converts a decimal to a number is internal: verify_status outputs the "
        "decimal text as the record holds it"
    ),
    "ST-5.8-1": (
        "a client's choice among providers (no new work to one not accepting, §12.3): "
        + _NO_CHOOSING
    ),
    "ST-6.1-1": (
        "a producer's refusal to sign a status that breaks §5: the status profile has no "
        "producing operation (tests/cid/test_status.py checks Status and sign_status)"
    ),
    "ST-6.2-1": (
        "a producer's duty across statuses over time (a greater version for changed claims); "
        "a verifier sees one status at a time"
    ),
    "ST-6.3-1": (
        "that dver is the version published when the status is signed is a duty of the "
        "producer toward the zone's state, which no single record shows"
    ),
    "ST-6.4-1": "when the values were measured is known only to the producer",
    "ST-7.1-2": (
        "a client's duty to pass the descriptor it chooses among (verify_status with a "
        "descriptor is tested under ST-7.2-9): " + _NO_CHOOSING
    ),
    "ST-7.6-1": "what a client does when a status fails (ignores it): " + _NO_CHOOSING,
    "ST-7.6-2": (
        "that a failed status leaves the descriptor's resolution and endpoint order alone: "
        + _NO_CHOOSING
    ),
    "ST-8.1-1": SERVER,
    "ST-8.1-2": SERVER,
    "ST-8.1-3": SERVER,
    "ST-8.1-4": SERVER,
    "ST-8.2-1": SERVER,
    "ST-8.2-2": SERVER,
    "ST-8.2-3": SERVER,
    "ST-8.3-1": SERVER,
    "ST-8.3-2": (
        "serving stale is a resolver's cache behaviour over time (the reference never caches "
        "a status): " + _NO_CHOOSING
    ),
    "ST-8.4-1": "how a client reads a missing status (§12.3 step 1): " + _NO_CHOOSING,
    **{
        rid: "choosing among providers (§12) over a hierarchy of verified descriptors: "
        + _NO_CHOOSING
        for rid in (
            "ST-12.1-1",
            "ST-12.1-2",
            "ST-12.1-3",
            "ST-12.2-1",
            "ST-12.3-1",
            "ST-12.3-2",
            "ST-12.3-3",
            "ST-12.3-4",
            "ST-12.3-5",
            "ST-12.4-1",
            "ST-12.4-2",
            "ST-12.4-3",
            "ST-12.4-4",
            "ST-12.4-5",
            "ST-12.4-6",
            "ST-12.4-7",
            "ST-12.5-1",
            "ST-12.5-2",
            "ST-12.5-3",
        )
    },
    "ST-12.6-1": (
        "the exit status of cid-resolve --schedule is the reference command's "
        "(tests/resolver/test_cli_schedule.py); " + _NO_CHOOSING
    ),
    "ST-8.4-2": "an agent's duty over time (when to publish again), shown by no record",
    "ST-8.5-1": SERVER,
    "ST-8.5-2": "what an agent sends: the suite tests verifiers and servers, not agents",
    "ST-8.6-1": SERVER,
    "ST-8.6-2": SERVER,
    "ST-8.6-3": SERVER,
    "ST-8.6-4": SERVER,
    "ST-8.6-5": SERVER,
    "ST-8.6-6": SERVER,
    "ST-8.6-7": SERVER,
    "ST-8.6-8": SERVER,
    "ST-8.6-9": SERVER,
    "ST-8.7-1": (
        "versions transferred to secondaries: the suite has no transfer profile; tested by "
        "tests/cid/test_register_status.py (IXFR from cid serve)"
    ),
}

FLAGS = {
    "valid-status": "rejecting a status that every rule allows",
    "status-typ": "accepting a record of another typ as a status, or a status as a descriptor",
    "status-envelope": "accepting a status whose COSE envelope breaks spec/descriptor.md §4",
    "status-size": "not checking the 880-byte limit of a status first, or off by one",
    "status-key": "selecting a key other than by kid, or not verifying the signature",
    "status-claims": "accepting claims that break spec/status.md §5 (missing, unknown, "
    "empty, null, out of range)",
    "status-times": "not enforcing iat < exp and the 600-second maximum as rules of the payload",
    "status-units": "accepting units whose key is not a numeric capability of the registry "
    "or of sub, or whose free exceeds total, or that are not [free, total]",
    "status-price": "accepting a price that breaks §5.5: currency form, decimal spelling, "
    "quantity, period, terms URL, duplicates",
    "decimal-spelling": "accepting a decimal in a second spelling (leading or trailing zeros, "
    "sign, exponent), or rejecting a canonical one",
    "status-ext": "mishandling ext and crit in a status as spec/descriptor.md §6.5 says",
    "status-validity": "applying the skew after exp, not before iat, off by one at either end, "
    "or reading the clock",
    "status-mismatch": "not comparing iss, sub and dver with the descriptor given",
    "status-replay": "not rejecting an older status, or one of the same version with other "
    "bytes, or rejecting the same status seen again",
    "status-order": "checking the steps of spec/status.md §7.2 in another order, so that "
    "another category is reported",
    "status-determinism": "accepting a correctly signed payload that is not deterministic CBOR",
}

_NUMBERS = {
    "iss": 1,
    "sub": 2,
    "aud": 3,
    "exp": 4,
    "nbf": 5,
    "iat": 6,
    "version": 8,
    "endpoints": 9,
    "ext": 11,
    "crit": 12,
    "dver": 14,
    "accepting": 15,
    "units": 16,
    "util": 17,
    "wait": 18,
    "prices": 19,
    "x20": 20,
}
_MISSING = object()


def sclaims(**over: Any) -> dict[int, Any]:
    """The claims of the base status (spec/status.md §5.1), with ``over`` by claim name;
    a value of ``_MISSING`` removes the claim (None is the CBOR null)."""
    base: dict[str, Any] = {
        "iss": "acme.example",
        "sub": SUB,
        "exp": EXP,
        "iat": IAT,
        "version": 7,
        "dver": 1,
        "accepting": True,
    }
    base.update(over)
    return {_NUMBERS[k]: v for k, v in base.items() if v is not _MISSING}


def price(**over: Any) -> dict[int, Any]:
    base: dict[str, Any] = {
        "currency": "CNY",
        "amount": "12.5",
        "unit": "acc",
        "quantity": 1,
        "period": 3600,
    }
    base.update(over)
    numbers = {"currency": 0, "amount": 1, "unit": 2, "quantity": 3, "period": 4, "terms": 5}
    numbers["x6"] = 6
    return {numbers[k]: v for k, v in base.items() if v is not _MISSING}


def srec(c: Mapping[int, Any] | bytes, signer: str = "acme", **kw: Any) -> bytes:
    return record(c, signer, typ=kw.pop("typ", STATUS), **kw)


def status_json(c: Mapping[int, Any]) -> dict[str, Any]:
    """spec/status.md §9: the JSON form of valid claims, written here from the rules."""
    out: dict[str, Any] = {
        "issuer": c[1],
        "subject": c[2],
        "version": c[8],
        "descriptor_version": c[14],
        "issued_at": c[6],
        "expires": c[4],
        "accepting": c[15],
    }
    if 16 in c:
        out["units"] = {k: {"free": v[0], "total": v[1]} for k, v in c[16].items()}
    if 17 in c:
        out["utilisation"] = c[17]
    if 18 in c:
        out["queue_wait"] = c[18]
    if 19 in c:
        names = {0: "currency", 1: "amount", 2: "unit", 3: "quantity", 4: "period", 5: "terms"}
        out["prices"] = [{names[k]: v for k, v in p.items()} for p in c[19]]
    if 11 in c:
        out["ext"] = c[11]
    if 12 in c:
        out["crit"] = c[12]
    return out


def _ok(c: Mapping[int, Any], signer: str = "acme") -> dict[str, Any]:
    return {"result": "valid", "output": {"status": status_json(c), "kid": kid(signer).hex()}}


def _err(*codes: str) -> dict[str, Any]:
    return {"result": "invalid", "errors": list(codes)}


ENC = _err("ENCODING")


def vs(
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
    """A verify_status case; ``extra`` adds skew, descriptor, extensions or seen."""
    inp: dict[str, Any] = {"signed": signed.hex(), "keys": [pub(k) for k in keys], "now": now}
    for name, value in extra.items():
        if value is not None:
            inp[name] = [v.hex() for v in value] if name == "seen" else value
    return Case("verify_status", inp, expected, list(reqs), list(flags), comment, profile="status")


def bad(c: Mapping[int, Any], reqs: Sequence[str], flags: Sequence[str], comment: str) -> Case:
    """A correctly signed status whose claims break a rule of §5: ENCODING at step 7."""
    return vs(srec(c), ENC, [*reqs, "ST-7.2-8"], flags, comment)


def good(
    c: Mapping[int, Any], reqs: Sequence[str], flags: Sequence[str], comment: str, **kw: Any
) -> Case:
    return vs(srec(c), _ok(c), reqs, ["valid-status", *flags], comment, **kw)


DESCRIBED = {"issuer": "acme.example", "subject": SUB, "version": 1}


# ------------------------------------------------------------------ cases


def _valid() -> list[Case]:
    full = sclaims(
        units={"acc": [24, 64], "mem": [0, 4398046511104]},
        util=625,
        wait=90,
        prices=[price(terms="https://acme.example/terms")],
        ext={"x-note": "hello"},
    )
    return [
        good(
            sclaims(),
            [
                "ST-3.1-1",
                "ST-4.1-1",
                "ST-4.1-2",
                "ST-4.3-1",
                "ST-5.1-1",
                "ST-5.1-2",
                "ST-5.1-3",
                "ST-5.1-4",
                "ST-5.1-5",
                "ST-5.1-8",
                "ST-5.1-9",
                "ST-7.2-1",
                "ST-7.3-1",
                "ST-7.3-4",
                "ST-9.1-1",
                "ST-9.1-2",
                "ST-9.1-3",
                "ST-9.1-4",
                "ST-9.1-5",
                "ST-9.1-6",
                "ST-9.1-7",
                "ST-9.1-8",
            ],
            [],
            "the base status: only the required claims",
        ),
        good(
            full,
            [
                "ST-5.1-6",
                "ST-5.1-10",
                "ST-5.1-11",
                "ST-5.1-12",
                "ST-5.1-13",
                "ST-5.4-3",
                "ST-5.5-1",
                "ST-5.5-2",
                "ST-5.5-3",
                "ST-5.5-4",
                "ST-5.5-5",
                "ST-5.5-6",
                "ST-5.7-1",
                "ST-5.7-3",
                "ST-9.1-9",
                "ST-9.1-10",
                "ST-9.1-11",
                "ST-9.1-12",
                "ST-9.1-13",
            ],
            [],
            "every optional claim: units, utilisation, wait, a price with terms, and an "
            "extension the verifier does not know (not critical: ignored)",
        ),
        good(
            sclaims(ext={"x-gpu-temp": 61}, crit=["x-gpu-temp"]),
            ["ST-5.1-7", "ST-5.7-2", "ST-5.7-4", "ST-9.1-14"],
            ["status-ext"],
            "a critical extension the verifier understands",
            extensions=["x-gpu-temp"],
        ),
        good(
            sclaims(accepting=False, util=1000, wait=4294967295),
            ["ST-5.1-9", "ST-5.1-11", "ST-5.1-12"],
            ["status-claims"],
            "accepting false, utilisation 1000 permille, the longest wait",
        ),
        good(
            sclaims(util=0, wait=0, units={"acc": [0, 0]}),
            ["ST-5.1-11", "ST-5.1-12", "ST-5.4-4"],
            ["status-claims"],
            "utilisation 0, wait 0, units [0, 0]",
        ),
        vs(
            srec(sclaims(), alg=-19),
            _ok(sclaims()),
            ["ST-4.1-1"],
            ["valid-status"],
            "alg -19 (Ed25519, RFC 9864), which a verifier accepts as -8",
        ),
        vs(
            srec(sclaims(), "acme-agent"),
            _ok(sclaims(), "acme-agent"),
            ["ST-4.3-1", "ST-4.3-2"],
            ["valid-status", "status-key"],
            "signed by an agent key that the zone lists beside its own key",
            keys=("acme", "acme-agent"),
        ),
        good(
            sclaims(),
            ["ST-7.2-9"],
            ["status-mismatch"],
            "with the descriptor it describes: same issuer, subject and version",
            descriptor=DESCRIBED,
        ),
    ]


def _envelope() -> list[Case]:
    c = sclaims()
    payload = enc(c)
    signed = srec(c)
    prot = protected(kid("acme"), STATUS)
    desc = record(claims())
    return [
        vs(
            srec(c, typ=DESC),
            ENC,
            ["ST-4.1-2", "ST-4.1-3", "ST-7.2-4"],
            ["status-typ"],
            "status claims under the descriptor typ",
        ),
        vs(desc, ENC, ["ST-4.1-3", "ST-7.2-4"], ["status-typ"], "a descriptor as a status"),
        vs(
            srec(c, typ="application/ucid-anchor+cbor"),
            ENC,
            ["ST-4.1-3", "ST-7.2-4"],
            ["status-typ"],
            "status claims under the anchor typ, the same length as the status typ",
        ),
        Case(
            "verify_descriptor",
            {"signed": signed.hex(), "keys": [pub("acme")], "now": NOW},
            ENC,
            ["ST-4.1-3", "DS-4.3.1-2", "DS-8.2.1-4"],
            ["status-typ"],
            "a status as a descriptor",
            profile="descriptor",
        ),
        vs(signed[1:], ENC, ["ST-4.1-1", "ST-7.2-3"], ["status-envelope"], "no tag 18"),
        vs(
            b"\xd2\x84" + bstr(prot) + b"\xa1\x04\x40" + bstr(payload) + signed[-66:],
            ENC,
            ["ST-4.1-1", "ST-7.2-5"],
            ["status-envelope"],
            "an unprotected header with a kid (not signed)",
        ),
        vs(
            signed[:-66] + b"\x58\x3f" + signed[-64:-1],
            ENC,
            ["ST-4.1-1", "ST-7.2-3"],
            ["status-envelope"],
            "a signature of 63 bytes: a malformed envelope, not a signature failure",
        ),
        vs(
            signed,
            _err("UNKNOWN_KEY"),
            ["ST-4.3-1", "ST-7.2-6"],
            ["status-key"],
            "signed by the zone's key, verified with another zone's keys only",
            keys=("other",),
        ),
        vs(
            srec(c, "acme-agent"),
            _err("UNKNOWN_KEY"),
            ["ST-4.3-2", "ST-7.2-6"],
            ["status-key"],
            "signed by an agent key the zone does not list",
        ),
        vs(
            srec(c, "other", kid_of="acme"),
            _err("SIGNATURE"),
            ["ST-4.3-1", "ST-7.2-7"],
            ["status-key"],
            "the header names the zone's key, another key signed",
        ),
        vs(
            signed[:-1] + bytes([signed[-1] ^ 1]),
            _err("SIGNATURE"),
            ["ST-7.2-7"],
            ["status-key"],
            "one bit of the signature flipped",
        ),
        vs(
            srec(c, signed_payload=enc(sclaims(accepting=False))),
            _err("SIGNATURE"),
            ["ST-7.2-7"],
            ["status-key"],
            "the signature covers other claims (accepting false) than the payload sent",
        ),
    ]


def _size() -> list[Case]:
    out = []
    # An ext text whose length brings the record to exactly 880 and 881 bytes.
    base = len(srec(sclaims(ext={"pad": ""})))
    for total in (880, 881):
        n = total - base
        while len(srec(sclaims(ext={"pad": "x" * n}))) < total:
            n += 1
        while len(srec(sclaims(ext={"pad": "x" * n}))) > total:
            n -= 1
        c = sclaims(ext={"pad": "x" * n})
        data = srec(c)
        assert len(data) == total, (total, len(data))
        if total == 880:
            out.append(good(c, ["ST-4.2-1"], ["status-size"], "a status of exactly 880 bytes"))
        else:
            out.append(
                vs(
                    data,
                    _err("OVERSIZE"),
                    ["ST-4.2-1", "ST-4.2-3", "ST-7.2-2"],
                    ["status-size"],
                    "a status of 881 bytes",
                )
            )
    nested: Any = []
    for _ in range(5):  # six arrays: depths 3 to 8 under the claims map and ext
        nested = [nested]
    out.append(
        good(
            sclaims(ext={"deep": nested}),
            ["ST-5.7-1"],
            ["status-ext"],
            "an ext value nested to depth 8 with the claims map and ext",
        )
    )
    out.append(
        vs(
            srec(sclaims(ext={"deep": [nested]})),
            _err("OVERSIZE"),
            ["ST-5.7-1", "ST-7.2-8"],
            ["status-ext"],
            "an ext value nested to depth 9: oversize, as nesting is (step 7)",
        )
    )
    return out


def _claims() -> list[Case]:
    cases = [
        bad(sclaims(x20=1), ["ST-5.2-1"], ["status-claims"], "an unknown claim, 20"),
        bad(sclaims(nbf=IAT), ["ST-5.2-1"], ["status-claims"], "nbf (5), which a status has not"),
        bad(
            sclaims(endpoints=[]),
            ["ST-5.2-1"],
            ["status-claims"],
            "the descriptor's endpoints claim (9)",
        ),
        bad(sclaims(iss=_MISSING), ["ST-5.1-1"], ["status-claims"], "no iss"),
        bad(sclaims(sub=_MISSING), ["ST-5.1-2"], ["status-claims"], "no sub"),
        bad(sclaims(version=_MISSING), ["ST-5.1-5"], ["status-claims"], "no version"),
        bad(sclaims(dver=_MISSING), ["ST-5.1-8"], ["status-claims"], "no dver"),
        bad(sclaims(accepting=_MISSING), ["ST-5.1-9"], ["status-claims"], "no accepting"),
        bad(
            sclaims(iss="Acme.example"),
            ["ST-5.1-1"],
            ["status-claims"],
            "iss not a zone name (uppercase)",
        ),
        bad(
            sclaims(sub="ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=512GiB"),
            ["ST-5.1-2"],
            ["status-claims"],
            "sub not in canonical form (512GiB)",
        ),
        bad(sclaims(version=-1), ["ST-5.1-5"], ["status-claims"], "a negative version"),
        bad(sclaims(dver="1"), ["ST-5.1-8"], ["status-claims"], "dver as text"),
        bad(sclaims(accepting=1), ["ST-5.1-9"], ["status-claims"], "accepting as the integer 1"),
        bad(sclaims(accepting=None), ["ST-5.2-3"], ["status-claims"], "accepting null"),
        bad(sclaims(util=1001), ["ST-5.1-11"], ["status-claims"], "utilisation 1001 permille"),
        bad(sclaims(util=None), ["ST-5.2-3"], ["status-claims"], "utilisation null (not absent)"),
        bad(sclaims(wait=1 << 32), ["ST-5.1-12"], ["status-claims"], "a wait of 2^32 seconds"),
        bad(sclaims(units={}), ["ST-5.2-2"], ["status-claims"], "an empty units map"),
        bad(sclaims(prices=[]), ["ST-5.2-2"], ["status-claims"], "an empty prices array"),
        bad(sclaims(ext={}), ["ST-5.2-2"], ["status-ext"], "an empty ext map"),
        bad(sclaims(units=None), ["ST-5.2-3"], ["status-claims"], "units null"),
    ]
    # A float where utilisation's permille is: the profile has no floats (§3.1).
    float_claims = enc(sclaims(util=999)).replace(
        b"\x11\x19\x03\xe7", b"\x11\xfb" + bytes.fromhex("3fe4000000000000"), 1
    )
    cases.append(
        vs(
            srec(float_claims),
            ENC,
            ["ST-3.1-1", "ST-3.1-2", "ST-7.2-8"],
            ["status-claims"],
            "utilisation as the float 0.625 (fb): the profile has no floats",
        )
    )
    # Deterministic CBOR (§3.1): correctly signed payloads that are not.
    det = enc(sclaims())
    non_minimal = det.replace(b"\x08\x07", b"\x08\x18\x07", 1)
    cases.append(
        vs(
            srec(non_minimal),
            ENC,
            ["ST-3.1-1", "ST-7.2-8"],
            ["status-determinism"],
            "version 7 in a two-byte head (18 07), correctly signed",
        )
    )
    swapped = det.replace(b"\x0e\x01\x0f\xf5", b"\x0f\xf5\x0e\x01", 1)
    assert swapped != det
    cases.append(
        vs(
            srec(swapped),
            ENC,
            ["ST-3.1-1", "ST-7.2-8"],
            ["status-determinism"],
            "claims 15 before 14 (keys out of order), correctly signed",
        )
    )
    # Times (§5.3).
    cases += [
        good(
            sclaims(exp=IAT + 600),
            ["ST-5.3-2"],
            ["status-times"],
            "valid for exactly 600 seconds",
        ),
        bad(
            sclaims(exp=IAT + 601),
            ["ST-5.3-2", "ST-5.3-3"],
            ["status-times"],
            "valid for 601 seconds, verified inside them",
        ),
        bad(sclaims(exp=IAT), ["ST-5.3-1", "ST-5.3-3"], ["status-times"], "iat equal to exp"),
        bad(
            sclaims(exp=IAT - 10),
            ["ST-5.3-1", "ST-5.3-3"],
            ["status-times"],
            "iat after exp",
        ),
    ]
    return cases


def _units() -> list[Case]:
    slots_sub = "ucid:acme.example/cn-gd/x86-64/cpu=64;slots=16;tier=gold"
    many_sub = "ucid:acme.example/cn-gd/x86-64/" + ";".join(f"k{i}=1" for i in range(1, 9))
    registered = ["cpu", "mem", "mem-bw", "freq", "acc", "acc-mem", "ic-bw", "net-bw", "disk"]
    sixteen = {k: [1, 2] for k in registered} | {f"k{i}": [0, 1] for i in range(1, 8)}
    seventeen = sixteen | {"k8": [0, 1]}
    return [
        good(
            sclaims(sub=slots_sub, units={"slots": [3, 16]}),
            ["ST-5.4-1", "ST-5.4-2"],
            ["status-units"],
            "an unregistered key that is a count attribute of sub",
        ),
        good(
            sclaims(units={"cpu": [40, 512], "net-bw": [0, 400000000000]}),
            ["ST-5.4-2"],
            ["status-units"],
            "registered numeric keys that sub does not name",
        ),
        good(
            sclaims(units={"mem": [U63, U63]}),
            ["ST-5.4-3"],
            ["status-units"],
            "free and total 2^63-1",
        ),
        bad(
            sclaims(units={"mem": [0, U63 + 1]}),
            ["ST-5.4-3"],
            ["status-units"],
            "a total of 2^63",
        ),
        bad(
            sclaims(sub=slots_sub, units={"widgets": [1, 2]}),
            ["ST-5.4-2"],
            ["status-units"],
            "a key neither registered nor of sub",
        ),
        bad(
            sclaims(sub=slots_sub, units={"tier": [1, 2]}),
            ["ST-5.4-2"],
            ["status-units"],
            "an unregistered key of sub whose type is token",
        ),
        bad(
            sclaims(units={"acc-model": [1, 2]}),
            ["ST-5.4-2"],
            ["status-units"],
            "a registered token key (acc-model)",
        ),
        bad(sclaims(units={"sriov": [1, 1]}), ["ST-5.4-2"], ["status-units"], "a flag key"),
        bad(sclaims(units={"ACC": [1, 2]}), ["ST-5.4-1"], ["status-units"], "an uppercase key"),
        bad(
            sclaims(units={"a" * 33: [1, 2]}),
            ["ST-5.4-1"],
            ["status-units"],
            "a key of 33 characters",
        ),
        bad(sclaims(units={0: [1, 2]}), ["ST-5.4-1"], ["status-units"], "an integer key"),
        bad(sclaims(units={"acc": [9, 8]}), ["ST-5.4-4"], ["status-units"], "free above total"),
        bad(
            sclaims(units={"acc": [1, 2, 3]}),
            ["ST-5.4-3"],
            ["status-units"],
            "a value of three integers",
        ),
        bad(sclaims(units={"acc": [-1, 8]}), ["ST-5.4-3"], ["status-units"], "a negative free"),
        bad(
            sclaims(units={"acc": {"free": 1, "total": 2}}),
            ["ST-5.4-3"],
            ["status-units"],
            "a value as a map, not [free, total]",
        ),
        good(
            sclaims(sub=many_sub, units=sixteen),
            ["ST-5.1-10"],
            ["status-units"],
            "sixteen units",
        ),
        bad(
            sclaims(sub=many_sub, units=seventeen),
            ["ST-5.1-10"],
            ["status-units"],
            "seventeen units",
        ),
    ]


def _prices() -> list[Case]:
    out = [
        good(
            sclaims(prices=[price(unit=_MISSING, currency="USD", amount="2", period=60)]),
            ["ST-5.5-3"],
            ["status-price"],
            "a price per instance (no unit)",
        ),
        good(
            sclaims(prices=[price(unit="mem", quantity=1073741824, amount="0.004")]),
            ["ST-5.5-4"],
            ["status-price"],
            "a price per GiB of memory (quantity 2^30)",
        ),
        good(
            sclaims(prices=[price(), price(period=86400, amount="250")]),
            ["ST-5.5-8"],
            ["status-price"],
            "two prices that differ in period only",
        ),
        good(
            sclaims(prices=[price(terms="https://a")]),
            ["ST-5.5-6"],
            ["status-price"],
            "the shortest terms URL, https://a (9 characters)",
        ),
        good(
            sclaims(prices=[price(terms="https://acme.example/" + "t" * 235)]),
            ["ST-5.5-6"],
            ["status-price"],
            "a terms URL of 256 characters",
        ),
        bad(
            sclaims(prices=[price(terms="https://acme.example/" + "t" * 236)]),
            ["ST-5.5-6"],
            ["status-price"],
            "a terms URL of 257 characters",
        ),
        bad(
            sclaims(prices=[price(terms="http://acme.example/terms")]),
            ["ST-5.5-6"],
            ["status-price"],
            "terms over http",
        ),
        bad(
            sclaims(prices=[price(terms="https://acme.example/our terms")]),
            ["ST-5.5-6"],
            ["status-price"],
            "terms with a space",
        ),
        bad(
            sclaims(prices=[price(currency="cny")]),
            ["ST-5.5-1"],
            ["status-price"],
            "a lowercase currency",
        ),
        bad(
            sclaims(prices=[price(currency="CNYX")]),
            ["ST-5.5-1"],
            ["status-price"],
            "a currency of four letters",
        ),
        bad(
            sclaims(prices=[price(currency=_MISSING)]),
            ["ST-5.5-1"],
            ["status-price"],
            "a price without a currency",
        ),
        bad(
            sclaims(prices=[price(unit="widgets")]),
            ["ST-5.5-3"],
            ["status-price"],
            "a unit neither registered nor of sub",
        ),
        bad(
            sclaims(prices=[price(unit="acc-model")]),
            ["ST-5.5-3"],
            ["status-price"],
            "a unit of token type",
        ),
        bad(
            sclaims(prices=[price(unit=None)]),
            ["ST-5.2-3"],
            ["status-price"],
            "unit null (absent is left out)",
        ),
        bad(sclaims(prices=[price(quantity=0)]), ["ST-5.5-4"], ["status-price"], "quantity 0"),
        bad(sclaims(prices=[price(period=0)]), ["ST-5.5-5"], ["status-price"], "period 0"),
        bad(
            sclaims(prices=[price(period=31622401)]),
            ["ST-5.5-5"],
            ["status-price"],
            "a period of 366 days and a second",
        ),
        bad(
            sclaims(prices=[price(x6=1)]),
            ["ST-5.5-7"],
            ["status-price"],
            "a price with an unknown key, 6",
        ),
        bad(
            sclaims(prices=[price(), price(amount="11")]),
            ["ST-5.5-8"],
            ["status-price"],
            "two prices for the same currency, unit, quantity and period",
        ),
        bad(
            sclaims(prices=[price(period=p) for p in range(1, 10)]),
            ["ST-5.1-13"],
            ["status-price"],
            "nine prices",
        ),
        good(
            sclaims(prices=[price(period=p) for p in range(1, 9)]),
            ["ST-5.1-13"],
            ["status-price"],
            "eight prices",
        ),
    ]
    for amount in ("0", "100", "0.02", "123456789012345678.123456789012345678"):
        out.append(
            good(
                sclaims(prices=[price(amount=amount)]),
                ["ST-5.6-1", "ST-5.5-2"],
                ["decimal-spelling"],
                f"the decimal {amount}",
            )
        )
    for amount in (
        "012",
        "12.50",
        "12.",
        ".5",
        "+1",
        "-1",
        "1e3",
        "1,5",
        "0.0",
        "1234567890123456789",
    ):
        out.append(
            bad(
                sclaims(prices=[price(amount=amount)]),
                ["ST-5.6-1", "ST-5.5-2"],
                ["decimal-spelling"],
                f"not a decimal: {amount}",
            )
        )
    out.append(
        bad(
            sclaims(prices=[price(amount=125)]),
            ["ST-5.5-2", "ST-3.1-2"],
            ["decimal-spelling"],
            "an amount as an integer, not a decimal text",
        )
    )
    return out


def _ext() -> list[Case]:
    return [
        vs(
            srec(sclaims(ext={"x-gpu-temp": 61}, crit=["x-gpu-temp"])),
            _err("CRITICAL_EXTENSION"),
            ["ST-5.7-4", "ST-7.2-10"],
            ["status-ext"],
            "a critical extension the verifier does not understand",
        ),
        bad(
            sclaims(ext={"x-a": 1}, crit=["x-b"]),
            ["ST-5.7-2"],
            ["status-ext"],
            "crit names a key that ext has not",
        ),
        bad(
            sclaims(ext={"x-a": 1}, crit=["x-a", "x-a"]),
            ["ST-5.7-2"],
            ["status-ext"],
            "crit names a key twice",
        ),
        bad(
            sclaims(ext={"k" * 65: 1}),
            ["ST-5.7-1"],
            ["status-ext"],
            "an ext key of 65 bytes",
        ),
        bad(
            sclaims(ext={f"x{i:02}": i for i in range(17)}),
            ["ST-5.7-1"],
            ["status-ext"],
            "seventeen ext keys",
        ),
    ]


def _validity() -> list[Case]:
    c = sclaims()
    data = srec(c)
    ok = _ok(c)
    flag = ["status-validity"]
    return [
        vs(data, ok, ["ST-7.3-1", "ST-7.1-1"], flag, "at iat - 30, the default skew", now=IAT - 30),
        vs(
            data,
            _err("NOT_YET_VALID"),
            ["ST-7.3-2", "ST-7.2-11", "ST-7.1-1"],
            flag,
            "at iat - 31, the default skew",
            now=IAT - 31,
        ),
        vs(data, ok, ["ST-7.3-1", "ST-7.1-1"], flag, "at iat - 60, skew 60", now=IAT - 60, skew=60),
        vs(
            data,
            _err("NOT_YET_VALID"),
            ["ST-7.3-2", "ST-7.1-1"],
            flag,
            "at iat - 1, skew 0",
            now=IAT - 1,
            skew=0,
        ),
        vs(data, ok, ["ST-7.3-1"], flag, "at iat, skew 0", now=IAT, skew=0),
        vs(data, ok, ["ST-7.3-1"], flag, "at exp - 1", now=EXP - 1),
        vs(data, _err("EXPIRED"), ["ST-7.3-2", "ST-7.2-11"], flag, "at exp", now=EXP),
        vs(
            data,
            _err("EXPIRED"),
            ["ST-7.3-3", "ST-7.3-2"],
            flag,
            "at exp + 10 with skew 60: no skew after exp",
            now=EXP + 10,
            skew=60,
        ),
        vs(
            data,
            _err("EXPIRED"),
            ["ST-7.3-3", "ST-7.3-4"],
            flag,
            "a day later",
            now=EXP + 86400,
        ),
    ]


def _mismatch() -> list[Case]:
    data = srec(sclaims())
    err = _err("MISMATCH")
    flag = ["status-mismatch"]
    reqs = ["ST-7.2-9", "ST-7.5-1"]
    return [
        vs(
            data,
            err,
            reqs,
            flag,
            "the descriptor given has another subject",
            descriptor=DESCRIBED | {"subject": "ucid:acme.example/cn-gd/x86-64"},
        ),
        vs(
            data,
            err,
            reqs,
            flag,
            "the descriptor given has version 2: the status describes version 1",
            descriptor=DESCRIBED | {"version": 2},
        ),
        vs(
            data,
            err,
            reqs,
            flag,
            "the descriptor given has another issuer",
            descriptor=DESCRIBED | {"issuer": "example"},
        ),
    ]


def _order() -> list[Case]:
    flag = ["status-order"]
    expired_bad_crit = srec(sclaims(ext={"x-a": 1}, crit=["x-a"]))
    payload_bad = enc(sclaims(util=5000))
    return [
        vs(
            srec(sclaims(util=5000), "other", kid_of="acme"),
            _err("SIGNATURE"),
            ["ST-7.2-1", "ST-7.2-13"],
            flag,
            "a bad signature over bad claims: the payload is not read before the signature",
        ),
        vs(
            srec(payload_bad, "other"),
            _err("UNKNOWN_KEY"),
            ["ST-7.2-1", "ST-7.2-13"],
            flag,
            "an unknown key and bad claims: the key is step 5",
        ),
        vs(
            srec(sclaims(version=6)),
            _err("MISMATCH"),
            ["ST-7.2-1"],
            flag,
            "other version of the descriptor and expired: the descriptor is step 8",
            now=EXP + 100,
            descriptor=DESCRIBED | {"version": 3},
        ),
        vs(
            expired_bad_crit,
            _err("MISMATCH"),
            ["ST-7.2-1"],
            flag,
            "another descriptor and an unknown critical extension: step 8 before 9",
            descriptor=DESCRIBED | {"version": 3},
        ),
        vs(
            expired_bad_crit,
            _err("CRITICAL_EXTENSION"),
            ["ST-7.2-1"],
            flag,
            "an unknown critical extension and expired: step 9 before 10",
            now=EXP,
        ),
        vs(
            srec(sclaims(exp=IAT + 601), "other"),
            _err("UNKNOWN_KEY"),
            ["ST-7.2-1"],
            flag,
            "an unknown key and a validity of 601 s: step 5 before 7",
        ),
    ]


def _replay() -> list[Case]:
    flag = ["status-replay"]

    def at(version: int, dt: int = 0, **over: Any) -> dict[int, Any]:
        return sclaims(version=version, iat=IAT + dt, exp=EXP + dt, **over)

    v5, v6, v7, v8, v9 = (at(v, (v - 7) * 60) for v in (5, 6, 7, 8, 9))
    v7_other = at(7, 0, accepting=False)
    other_sub = "ucid:acme.example/cn-gd/x86-64"
    return [
        vs(
            srec(v7),
            _ok(v7),
            ["ST-7.4-3", "ST-7.2-12"],
            flag,
            "the same status seen again",
            seen=[srec(v7)],
        ),
        vs(
            srec(v7),
            _ok(v7),
            ["ST-7.4-3"],
            flag,
            "the same claims re-signed by an agent key",
            keys=("acme", "acme-agent"),
            seen=[srec(v7, "acme-agent")],
        ),
        vs(
            srec(v8),
            _ok(v8),
            ["ST-7.4-1"],
            flag,
            "version 8 after 7",
            now=IAT + 90,
            seen=[srec(v7)],
        ),
        vs(
            srec(v7),
            _err("ROLLBACK"),
            ["ST-7.4-1", "ST-7.2-12"],
            flag,
            "version 7 after 8 (both still valid)",
            seen=[srec(v8)],
        ),
        vs(
            srec(v7_other),
            _err("ROLLBACK"),
            ["ST-7.4-2", "ST-7.2-12"],
            flag,
            "version 7 with other claims (accepting false) after version 7",
            seen=[srec(v7)],
        ),
        vs(
            srec(v8),
            _err("ROLLBACK"),
            ["ST-7.4-4", "ST-7.4-1"],
            flag,
            "version 8 after 5 then 9: the verifier keeps the later one",
            now=IAT + 120,
            seen=[srec(v5), srec(v9)],
        ),
        vs(
            srec(v6),
            _ok(v6),
            ["ST-7.4-1"],
            flag,
            "version 6 after 9 for another subject: replay is per subject",
            now=IAT,
            seen=[srec(at(9, 0, sub=other_sub))],
        ),
    ]


def status_area() -> Area:
    area = Area(
        "status",
        "st",
        "Status records (spec/status.md): verify_status (ADAPTER.md §4.12), every step of §7 "
        "and every rule of the claims of §5.",
    )
    for part in (_valid, _envelope, _size, _claims, _units, _prices, _ext, _validity):
        area.extend(part())
    for part in (_mismatch, _order, _replay):
        area.extend(part())
    area.flags = dict(FLAGS)
    area.untestable = dict(UNTESTABLE)
    for case in area.cases:
        if case.expected["result"] == "invalid" and case.operation == "verify_status":
            # §7.5: every rejection is reported in one category, by its code.
            case.requirements = [*case.requirements, "ST-7.5-2"]
    return area


def build() -> list[Area]:
    return [status_area()]
