"""Hidden primary: from a registration's acknowledgement to its answer at a Knot secondary.

    python tests/benchmarks/bench_xfr.py [--n 1000] [--updates 30] [--rounds 3]
        [--dir DIR] [--quick] [--json]

A provider zone holds ``--n`` descriptors from its registry, is open to live
registration, and lists a ``knotd`` secondary (spec/resolution.md §9.1). An
agent registers ``--updates`` new identifiers one after another with
``cid.register`` (TSIG, over TCP); after each acknowledgement the secondary is
asked (UDP, every ~0.2 ms) until it answers the new SVCB record. The figure is
the median time from the acknowledgement to that answer: ``cid serve``'s NOTIFY,
Knot's SOA query, the IXFR from the journal, Knot applying it. The anchor, in
the same run: a ``knotd`` primary serving the same zone (exported with
``zone_text``) takes the same change as an RFC 2136 UPDATE with TSIG and
notifies a second ``knotd`` secondary, timed the same way. Rounds interleave
the two.

The registry is built and signed first (about 0.7 ms a descriptor: 100,000
take a few minutes), then each secondary's first AXFR of the whole zone is
timed too. Loopback only, every wait bounded. Needs ``knotd``. ``--quick``
runs at tiny sizes (the smoke test in tests/benchmarks/test_benchmarks_run.py);
its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.update

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_serve
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))  # dnsservers

import dnsservers
from bench_serve import PROVIDER, ROOT, CidServe, make_registry
from dnsservers import KnotServer, Primary, TsigKey, free_port, require_binary

import cid
from cid._svcb import endpoint_svcb
from cid._svcb import record_rdata as _generic
from cid.layout import TYPE_DESCRIPTOR
from cid.registry import LivePolicy, Secondary, parse_tsig, txt_strings, zone_text

AGENT = "agent1"
XFR_KEY = "xfr.bench"
WAIT = 30.0  # seconds at most for one change to reach a secondary


def _subject(i: int, tag: str) -> str:
    # A region and architecture the registry does not use: every name is new.
    return str(cid.parse(f"ucid:acme.hpc/de-by/riscv64/cpu={i + 1};mem=64GiB;{tag}"))


def _endpoint(i: int) -> cid.Endpoint:
    return cid.Endpoint("tcp", "https", f"live{i}.acme.example", 443, alpn=("h2",))


def _owner(subject: str) -> str:
    return cid.parse(subject).to_dns_name(ROOT)


def _answered(port: int, name: str) -> float:
    """Ask the secondary at ``port`` for ``name``'s SVCB until it answers; when it did."""
    query = dns.message.make_query(name, dns.rdatatype.SVCB).to_wire()
    deadline = time.perf_counter() + WAIT
    while time.perf_counter() < deadline:
        try:
            wire = dns.query.udp(dns.message.from_wire(query), "127.0.0.1", port=port, timeout=1)
        except dns.exception.Timeout:
            continue
        if wire.answer:
            return time.perf_counter()
        time.sleep(0.0002)
    raise RuntimeError(f"{name} not answered at port {port} within {WAIT} s")


def _cid_round(
    port: int, secondary: int, tsig: dns.tsig.Key, first: int, count: int
) -> tuple[list[float], list[float]]:
    acks, lags = [], []
    for i in range(first, first + count):
        subject = _subject(i, "sriov")
        t0 = time.perf_counter()
        cid.register(
            ("127.0.0.1", port),
            subject,
            [_endpoint(i)],
            root=ROOT,
            zone=PROVIDER,
            tsig=tsig,
            lease=3600,
        )
        t1 = time.perf_counter()
        acks.append(t1 - t0)
        lags.append(_answered(secondary, _owner(subject)) - t1)
    return acks, lags


def _knot_round(
    port: int, secondary: int, key: TsigKey, signer: cid.SigningKey, first: int, count: int
) -> tuple[list[float], list[float]]:
    """The same change as a registration, as a plain UPDATE: the descriptor signed here."""
    now = int(time.time())
    updates = []
    for i in range(first, first + count):
        subject = _subject(i, "confidential")
        rec = cid.Descriptor(
            subject=subject,
            issuer=PROVIDER,
            version=1,
            issued_at=now,
            not_before=now,
            expires=now + 3600,
            endpoints=(_endpoint(i),),
        )
        data = cid.sign(rec, signer)
        name = dns.name.from_text(_owner(subject))
        update = dns.update.UpdateMessage(PROVIDER + ".")
        update.delete(name)
        update.add(name, 3600, _generic(dns.rdatatype.RdataType.make(TYPE_DESCRIPTOR), data))
        update.add(name, 3600, endpoint_svcb(_endpoint(i)))
        update.add(
            name,
            3600,
            dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, txt_strings(data)),
        )
        update.use_tsig(key.dnspython_key())
        updates.append((name.to_text(), update))
    acks, lags = [], []
    for owner, update in updates:
        t0 = time.perf_counter()
        response = dns.query.tcp(update, "127.0.0.1", port=port, timeout=10)
        t1 = time.perf_counter()
        if response.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"knot refused an update: {dns.rcode.to_text(response.rcode())}")
        acks.append(t1 - t0)
        lags.append(_answered(secondary, owner) - t1)
    return acks, lags


def run(args: argparse.Namespace) -> dict[str, Any]:
    require_binary("knotd")
    dnsservers.START_TIMEOUT = max(dnsservers.START_TIMEOUT, 1800.0)  # a first AXFR of 100,000
    base = Path(tempfile.mkdtemp(prefix="cid-bench-xfr-", dir=args.dir))
    now = int(time.time())
    t0 = time.perf_counter()
    reg = make_registry(base / "registry", args.n, now=now, child_n=10)
    build_s = time.perf_counter() - t0
    reg.enable_live(
        PROVIDER, LivePolicy(max_lease=86400, max_registrations=100000), new_tsig=[AGENT]
    )
    key = TsigKey.random(XFR_KEY + ".")
    cid_secondary, knot_secondary = free_port(), free_port()
    reg.add_secondary(
        PROVIDER,
        Secondary("127.0.0.1", XFR_KEY, cid_secondary),
        dns.tsig.Key(key.name, key.secret_b64, key.algorithm),
    )
    tsig = parse_tsig(
        (base / "registry" / "zones" / PROVIDER / "tsig" / f"{AGENT}.key").read_text().strip()
    )
    zone, _ = reg.assemble(PROVIDER, now=now)
    zone_file = base / "provider.zone"
    zone_file.write_text(zone_text(zone))
    del zone
    signer = reg.signing_key(PROVIDER)
    cid_acks: list[float] = []
    cid_lags: list[float] = []
    knot_acks: list[float] = []
    knot_lags: list[float] = []
    serve = CidServe(base / "registry", base)
    try:
        t0 = time.perf_counter()
        with KnotServer({PROVIDER: Primary("127.0.0.1", serve.port, key)}, port=cid_secondary):
            cid_axfr_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            with (
                KnotServer(
                    {PROVIDER: zone_file},
                    tsig=key,
                    allow_update=True,
                    secondaries=[("127.0.0.1", knot_secondary)],
                ) as knot,
                KnotServer({PROVIDER: Primary("127.0.0.1", knot.port, key)}, port=knot_secondary),
            ):
                knot_axfr_s = time.perf_counter() - t0
                first = 0
                for _ in range(args.rounds):
                    a, lag = _cid_round(serve.port, cid_secondary, tsig, first, args.updates)
                    cid_acks += a
                    cid_lags += lag
                    a, lag = _knot_round(
                        knot.port, knot_secondary, key, signer, first, args.updates
                    )
                    knot_acks += a
                    knot_lags += lag
                    first += args.updates
    finally:
        serve.stop()
    cid_ms, knot_ms = statistics.median(cid_lags) * 1e3, statistics.median(knot_lags) * 1e3

    def p90(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=10)[-1] * 1e3 if len(xs) > 1 else xs[0] * 1e3

    return {
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
        "descriptors": args.n,
        "updates": len(cid_lags),
        "registry_build_s": build_s,
        "cid_first_axfr_s": cid_axfr_s,
        "knot_first_axfr_s": knot_axfr_s,
        "cid_ack_median_ms": statistics.median(cid_acks) * 1e3,
        "cid_to_secondary_median_ms": cid_ms,
        "cid_to_secondary_p90_ms": p90(cid_lags),
        "knot_ack_median_ms": statistics.median(knot_acks) * 1e3,
        "knot_to_secondary_median_ms": knot_ms,
        "knot_to_secondary_p90_ms": p90(knot_lags),
        "ratio_cid_to_knot": cid_ms / knot_ms,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="descriptors in the provider zone")
    ap.add_argument("--updates", type=int, default=30, help="registrations per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", help="where the registry is written (default: TMPDIR)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.updates, args.rounds = 50, 3, 1
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Python {result['python']}, {result['cores']} cores")
    print(
        f"hidden primary, zone of {result['descriptors']:,} descriptors (built in "
        f"{result['registry_build_s']:.0f} s), {result['updates']} registrations each:"
    )
    print(
        f"  first AXFR to a knot secondary: from cid serve {result['cid_first_axfr_s']:.1f} s, "
        f"from knot {result['knot_first_axfr_s']:.1f} s"
    )
    print(
        f"  cid serve -> knot secondary: acknowledged in {result['cid_ack_median_ms']:.2f} ms, "
        f"then answered after median {result['cid_to_secondary_median_ms']:.2f} ms, "
        f"p90 {result['cid_to_secondary_p90_ms']:.2f} ms"
    )
    print(
        f"  knot -> knot secondary:      acknowledged in {result['knot_ack_median_ms']:.2f} ms, "
        f"then answered after median {result['knot_to_secondary_median_ms']:.2f} ms, "
        f"p90 {result['knot_to_secondary_p90_ms']:.2f} ms"
    )
    print(f"  ratio cid serve / knot (ack to answer): {result['ratio_cid_to_knot']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
