"""Live registration: how long a provider's agent waits for ``cid serve`` to acknowledge.

    python tests/benchmarks/bench_live.py [--n 20000] [--updates 40] [--rounds 3]
        [--dir DIR] [--quick] [--json]

A provider zone holds ``--n`` descriptors from its registry and is open to live
registration (spec/resolution.md §8.8). An agent registers ``--updates`` new
identifiers one after another with ``cid.register`` (TSIG, over TCP), each
acknowledged only once it is on disk (fsync) and served; the figure is the
median time from sending to the acknowledgement. The anchor, in the same run:
``knotd`` serving the same zone (exported with ``zone_text``) takes the same
changes as RFC 2136 UPDATEs with TSIG over TCP (the same records: TYPE65280,
SVCB, TXT), acknowledged once in its journal. Rounds interleave the two
servers. Also measured in-process: assembling the zone and indexing it whole,
which is what each registration cost before the served zone was patched
instead (``cid._zone_patch``).

Loopback only, every run bounded in time. Needs ``knotd``. ``--quick`` runs at
tiny sizes (the smoke test in tests/test_benchmarks_run.py); its figures mean
nothing.
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

import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.update

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_serve
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))  # dnsservers

from bench_serve import PROVIDER, ROOT, CidServe, make_registry
from dnsservers import KnotServer, TsigKey, require_binary

import cid
from cid._svcb import endpoint_svcb
from cid._svcb import record_rdata as _generic
from cid.layout import TYPE_DESCRIPTOR
from cid.registry._entries import LivePolicy
from cid.registry._push import parse_tsig
from cid.registry._zone import txt_strings, zone_text
from cid.server._authority import Authority

AGENT = "agent1"


def _subject(i: int) -> str:
    # A region and architecture the registry does not use: every name is new.
    return str(cid.parse(f"ucid:acme.hpc/de-by/riscv64/cpu={i + 1};mem=64GiB"))


def _endpoint(i: int) -> cid.Endpoint:
    return cid.Endpoint("tcp", "https", f"live{i}.acme.example", 443, alpn=("h2",))


def _cid_round(port: int, tsig: Any, first: int, count: int) -> list[float]:
    out = []
    for i in range(first, first + count):
        t0 = time.perf_counter()
        cid.register(
            ("127.0.0.1", port),
            _subject(i),
            [_endpoint(i)],
            root=ROOT,
            zone=PROVIDER,
            tsig=tsig,
            lease=3600,
        )
        out.append(time.perf_counter() - t0)
    return out


def _knot_round(
    port: int, key: TsigKey, signer: cid.SigningKey, first: int, count: int
) -> list[float]:
    """The same change as a registration, as a plain UPDATE: the descriptor signed here."""
    now = int(time.time())
    updates = []
    for i in range(first, first + count):
        rec = cid.Descriptor(
            subject=_subject(i),
            issuer=PROVIDER,
            version=1,
            issued_at=now,
            not_before=now,
            expires=now + 3600,
            endpoints=(_endpoint(i),),
        )
        data = cid.sign(rec, signer)
        name = dns.name.from_text(cid.parse(_subject(i)).to_dns_name(ROOT))
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
        updates.append(update)
    out = []
    for update in updates:
        t0 = time.perf_counter()
        response = dns.query.tcp(update, "127.0.0.1", port=port, timeout=10)
        out.append(time.perf_counter() - t0)
        if response.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"knot refused an update: {dns.rcode.to_text(response.rcode())}")
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    require_binary("knotd")
    base = Path(tempfile.mkdtemp(prefix="cid-bench-live-", dir=args.dir))
    now = int(time.time())
    reg = make_registry(base / "registry", args.n, now=now, child_n=10)
    reg.enable_live(
        PROVIDER, LivePolicy(max_lease=86400, max_registrations=100000), new_tsig=[AGENT]
    )
    reg.build(now=now)
    tsig = parse_tsig(
        (base / "registry" / "zones" / PROVIDER / "tsig" / f"{AGENT}.key").read_text().strip()
    )
    zone, _ = reg.assemble(PROVIDER, now=now)
    zone_file = base / "provider.zone"
    zone_file.write_text(zone_text(zone))
    # What each registration cost when the zone was assembled and indexed whole.
    t0 = time.perf_counter()
    full, _ = reg.assemble(PROVIDER, now=now)
    Authority([full])
    whole = time.perf_counter() - t0
    key = TsigKey.random()
    signer = reg.signing_key(PROVIDER)
    cid_times: list[float] = []
    knot_times: list[float] = []
    serve = CidServe(base / "registry", base)
    try:
        with KnotServer({PROVIDER + ".": zone_file}, tsig=key, allow_update=True) as knot:
            first = 0
            for _ in range(args.rounds):
                cid_times += _cid_round(serve.port, tsig, first, args.updates)
                knot_times += _knot_round(knot.port, key, signer, first, args.updates)
                first += args.updates
    finally:
        serve.stop()
    cid_ms, knot_ms = statistics.median(cid_times) * 1e3, statistics.median(knot_times) * 1e3
    return {
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
        "descriptors": args.n,
        "updates": len(cid_times),
        "cid_serve_median_ms": cid_ms,
        "cid_serve_p90_ms": statistics.quantiles(cid_times, n=10)[-1] * 1e3,
        "knot_median_ms": knot_ms,
        "knot_p90_ms": statistics.quantiles(knot_times, n=10)[-1] * 1e3,
        "ratio_cid_to_knot": cid_ms / knot_ms,
        "whole_zone_assembly_ms": whole * 1e3,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="descriptors in the provider zone")
    ap.add_argument("--updates", type=int, default=40, help="registrations per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", help="where the registry is written (default: TMPDIR)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.updates, args.rounds = 50, 5, 1
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Python {result['python']}, {result['cores']} cores")
    print(
        f"live registration, zone of {result['descriptors']:,} descriptors, "
        f"{result['updates']} registrations each, TSIG over TCP, one after another:"
    )
    print(
        f"  cid serve: median {result['cid_serve_median_ms']:.2f} ms, "
        f"p90 {result['cid_serve_p90_ms']:.2f} ms (on disk, fsync'd, served)"
    )
    print(
        f"  knot:      median {result['knot_median_ms']:.2f} ms, p90 {result['knot_p90_ms']:.2f} ms"
    )
    print(f"  ratio cid serve / knot: {result['ratio_cid_to_knot']:.2f}")
    print(
        f"  assembling and indexing the zone whole (each registration's cost before): "
        f"{result['whole_zone_assembly_ms']:,.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
