"""Descriptor sign and verify against bare Ed25519 (PyNaCl) on the same bytes, in one run.

    python tests/benchmarks/bench_descriptor.py [--n 2000] [--rounds 7] [--json]

Ed25519 itself is the physical floor, so each figure is a ratio to PyNaCl doing
only the signature operation on exactly the bytes our code signs or verifies:

- ``verify, new records``: ``cid.verify`` (size check, envelope, headers, key
  selection by kid, signature, strict deterministic decode, every schema and
  validity check) on records it has never seen: every round verifies freshly
  signed records (new versions, new bytes). Subjects come from a catalogue of
  500 identifiers, as republished resources do.
- ``verify, same records again``: the same bytes a second time.
- anchor ``nacl verify``: ``crypto_sign_open`` of the same signature over the same
  Sig_structure (RFC 9052 §4.4) bytes.
- ``sign``: ``cid.sign`` (deterministic CBOR encoding, Sig_structure, signature,
  envelope) of a built Descriptor; anchor ``nacl sign``: ``crypto_sign`` of the
  same Sig_structure bytes.

Targets (issue 3): verify >= 0.8 x bare verify, sign >= 0.5 x bare sign.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nacl.bindings

import cid
from cid import _cose

sys.path.insert(0, str(Path(__file__).parent))
from bench_identifier import workload

NOW = 1_795_000_000
HOSTS = [f"gw{i}.provider{i % 7}.example" for i in range(50)]


def _records(
    key: cid.SigningKey, subjects: list[str], n: int, round_no: int, rng: random.Random
) -> list[cid.Descriptor]:
    out = []
    for i in range(n):
        subject = subjects[(i * 7 + round_no) % len(subjects)]
        endpoints = tuple(
            cid.Endpoint(
                "tcp", "https", host, 443, priority=1 + j, weight=rng.randrange(100), alpn=("h2",)
            )
            for j, host in enumerate(rng.sample(HOSTS, rng.randint(1, 3)))
        )
        out.append(
            cid.Descriptor(
                issuer="provider.ucid.example",
                subject=subject,
                version=round_no * n + i + 1,
                issued_at=NOW,
                not_before=NOW,
                expires=NOW + 86400,
                endpoints=endpoints,
                capabilities=tuple(str(c) for c in cid.parse(subject).capabilities),
            )
        )
    return out


def _parts(data: bytes) -> tuple[bytes, bytes]:
    """(Sig_structure, signature) of a signed record: what bare Ed25519 sees."""
    msg = _cose.decode_sign1(data, max_size=cid.MAX_SIGNED)
    return _cose.sig_structure(msg.protected, msg.payload), msg.signature


def _rate(fn: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def run(n: int, rounds: int) -> dict[str, object]:
    rng = random.Random(2026)
    key = cid.SigningKey.from_seed(bytes(range(32)))
    vk = key.verify_key
    keys = {vk.kid: vk}
    pk = bytes(vk)
    sk = nacl.bindings.crypto_sign_seed_keypair(bytes(range(32)))[1]
    subjects = sorted({str(cid.parse(s)) for s in workload(500)})
    for s in subjects:  # identifiers in circulation are parsed already: warm, as in use
        cid.parse(s)
    # Every round has its own records, signed up front (not timed).
    batches = []
    for r in range(rounds):
        recs = _records(key, subjects, n, r, rng)
        signed = [cid.sign(rec, key) for rec in recs]
        batches.append((recs, signed, [_parts(d) for d in signed], [_parts(d)[0] for d in signed]))
    rates: dict[str, list[float]] = {
        k: []
        for k in (
            "verify, new records",
            "verify, same records again",
            "nacl verify (anchor)",
            "sign",
            "nacl sign (anchor)",
        )
    }

    def verify_all(signed: list[bytes]) -> Callable[[], None]:
        def go() -> None:
            for data in signed:
                cid.verify(data, keys, now=NOW)

        return go

    for r, (recs, signed, parts, messages) in enumerate(batches):

        def bare_verify(parts: list[tuple[bytes, bytes]] = parts) -> None:
            for msg, sig in parts:
                nacl.bindings.crypto_sign_open(sig + msg, pk)

        def full_sign(recs: list[cid.Descriptor] = recs) -> None:
            for rec in recs:
                cid.sign(rec, key)

        def bare_sign(messages: list[bytes] = messages) -> None:
            for msg in messages:
                nacl.bindings.crypto_sign(msg, sk)

        order = [
            ("verify, new records", verify_all(signed)),
            ("nacl verify (anchor)", bare_verify),
            ("verify, same records again", verify_all(signed)),
            ("sign", full_sign),
            ("nacl sign (anchor)", bare_sign),
        ]
        if r % 2:  # alternate which of a pair runs first; "new" must come before "again"
            order = [order[1], order[0], order[2], order[4], order[3]]
        for name, fn in order:
            rates[name].append(_rate(fn, n))
    med = {k: statistics.median(v) for k, v in rates.items()}
    verify_ratio = med["verify, new records"] / med["nacl verify (anchor)"]
    again_ratio = med["verify, same records again"] / med["nacl verify (anchor)"]
    sign_ratio = med["sign"] / med["nacl sign (anchor)"]
    return {
        "n": n,
        "rounds": rounds,
        "python": sys.version.split()[0],
        "record_bytes": statistics.median(len(d) for d in batches[0][1]),
        "rates": med,
        "ratios": {
            "verify new / nacl verify": verify_ratio,
            "verify again / nacl verify": again_ratio,
            "sign / nacl sign": sign_ratio,
        },
        "targets": {
            "verify >= 0.8 x nacl": verify_ratio >= 0.8,
            "sign >= 0.5 x nacl": sign_ratio >= 0.5,
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="records per round")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = run(args.n, args.rounds)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"descriptor sign/verify, {args.n} records x {args.rounds} rounds (median), "
        f"{result['record_bytes']} bytes each, Python {result['python']}"
    )
    rates = result["rates"]
    assert isinstance(rates, dict)
    for name, rate in rates.items():
        print(f"  {name:<28} {rate:>9,.0f} /s")
    for name, ratio in result["ratios"].items():  # type: ignore[attr-defined]
        print(f"  {name:<28} {ratio:9.2f}")
    for name, ok in result["targets"].items():  # type: ignore[attr-defined]
        print(f"  target {name}: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
