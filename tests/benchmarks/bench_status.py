"""Statuses: how many status UPDATEs a second ``cid serve`` accepts into a large zone.

    python tests/benchmarks/bench_status.py [--n 100000] [--updates 20000] [--rounds 3]
        [--secondaries] [--dir DIR] [--quick] [--json]

A provider zone holds ``--n`` descriptors from its registry and is open to live
registration. ``--updates`` signed statuses (spec/status.md), one for each of as
many of its identifiers, signed beforehand, are handed one after another to the
server's UPDATE path (``LiveUpdates.handle``: parse, TSIG-less checks, the
descriptor served at the name, ``verify_status`` with replay, the table of
statuses, the response), in process: no sockets, which would measure the
client. The figure is statuses accepted a second; each round sends a new
version of every status. With ``--secondaries`` the zone lists a secondary, so
the once-a-second tick that copies the statuses into the zone (one new version,
IXFR journal, NOTIFY) runs between rounds and is timed too.

Anchors, in the same run and process: the bare ``cid.verify_status`` of the same
records (the cryptographic floor of the path), and registrations by the same
UPDATE path (signed descriptors, each written with fsync and patched into the
zone), which is what publishing statuses as registrations would cost.

``--quick`` runs at tiny sizes (the smoke test in tests/benchmarks/); its figures
mean nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dns.name
import dns.rcode
import dns.update

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_serve

from bench_serve import PROVIDER, ROOT, identifiers, make_registry

import cid
from cid._svcb import record_rdata
from cid.layout import TYPE_DESCRIPTOR, TYPE_STATUS
from cid.registry import LivePolicy, Registry, Secondary
from cid.server._live import LiveUpdates

ORIGIN = dns.name.from_text(PROVIDER)


def _status(record: Any, version: int, now: int) -> cid.Status:
    return cid.Status(
        issuer=PROVIDER,
        subject=record.subject,
        version=version,
        descriptor_version=record.version,
        issued_at=now,
        expires=now + 300,
        accepting=True,
        utilisation=version % 1001,
        queue_wait=90,
        prices=(cid.Price("CNY", "12.5", 1, 3600),),
    )


def _wire(name: dns.name.Name, data: bytes, rdtype: Any = TYPE_STATUS) -> bytes:
    msg = dns.update.UpdateMessage(ORIGIN)
    msg.delete(name, rdtype)
    msg.add(name, 300, record_rdata(rdtype, data))
    msg.use_edns(0, 0, 1232)
    return msg.to_wire()


async def _send(live: LiveUpdates, wires: list[bytes]) -> tuple[float, int]:
    accepted = 0
    t0 = time.perf_counter()
    for wire in wires:
        response = await live.handle(wire, "bench")
        assert response is not None
        accepted += (response[3] & 0xF) == dns.rcode.NOERROR
    return time.perf_counter() - t0, accepted


def run(args: argparse.Namespace) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="cid-bench-status-", dir=args.dir))
    now = int(time.time())
    t0 = time.perf_counter()
    reg = make_registry(base / "registry", args.n, now=now, child_n=10)
    reg.enable_live(
        PROVIDER, LivePolicy(max_lease=86400, max_registrations=100000), new_tsig=["xfr"]
    )
    if args.secondaries:
        reg.add_secondary(PROVIDER, Secondary("127.0.0.1", "xfr", 9))  # the discard port
    reg = Registry.load(reg.path)
    built = time.perf_counter() - t0
    signer = reg.signing_key(PROVIDER)
    keys = reg.verify_keys(PROVIDER)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    live = LiveUpdates(reg.path, now=now)
    names = [dns.name.from_text(cid.parse(s).to_dns_name(ROOT)) for s in identifiers(args.n)][
        : args.updates
    ]
    described = {name: live.statuses.served(ORIGIN, name) for name in names}
    rates, verify_rates, ticks = [], [], []
    for r in range(args.rounds):
        version = r + 1
        now = int(time.time())  # building a large registry takes minutes
        signed = [(n, cid.sign_status(_status(d.record, version, now), signer))
                  for n, d in described.items() if d is not None]  # fmt: skip
        wires = [_wire(n, data) for n, data in signed]
        took, accepted = loop.run_until_complete(_send(live, wires))
        if accepted != len(wires):
            raise RuntimeError(f"{len(wires) - accepted} statuses refused")
        rates.append(accepted / took)
        # The anchor: the bare verification of the same records.
        seen: dict[str, cid.Status] = {}
        t1 = time.perf_counter()
        for name, data in signed:
            d = described[name]
            assert d is not None
            st = cid.verify_status(data, keys, now=now, descriptor=d.record, seen=seen)
            seen[st.subject] = st
        verify_rates.append(len(signed) / (time.perf_counter() - t1))
        t2 = time.perf_counter()
        loop.run_until_complete(live.tick_statuses(int(time.time())))
        ticks.append(time.perf_counter() - t2)
    # The other anchor: registrations through the same path (fsync'd, patched in). Static
    # names are refused (published from files): fresh ones are registered instead, signed
    # (untimed) in batches just before they are sent, so that none is stale (FRESH) when
    # the machine is slow.
    took = 0.0
    for first in range(0, args.registrations, 10):
        now = int(time.time())
        reg_wires = []
        for i in range(first, min(first + 10, args.registrations)):
            ident = f"ucid:acme.hpc/de-by/riscv64/cpu={i + 1}"
            rec = cid.Descriptor(PROVIDER, ident, now, now, now, now + 3600,
                                 (cid.Endpoint("tcp", "https", "h.example", 443),),
                                 capabilities=(f"cpu={i + 1}",))  # fmt: skip
            name = dns.name.from_text(cid.parse(ident).to_dns_name(ROOT))
            reg_wires.append(_wire(name, cid.sign(rec, signer), TYPE_DESCRIPTOR))
        batch, accepted = loop.run_until_complete(_send(live, reg_wires))
        if accepted != len(reg_wires):
            raise RuntimeError(f"{len(reg_wires) - accepted} registrations refused")
        took += batch
    loop.run_until_complete(live.primary.stop())
    loop.close()
    rate = statistics.median(rates)
    verify = statistics.median(verify_rates)
    return {
        "descriptors": args.n,
        "updates": len(names),
        "rounds": args.rounds,
        "secondaries": args.secondaries,
        "registry_seconds": round(built, 1),
        "statuses_per_second": round(rate),
        "statuses_per_second_rounds": [round(x) for x in rates],
        "verify_status_per_second": round(verify),
        "ratio_to_verify": round(rate / verify, 3),
        "tick_ms_median": round(1000 * statistics.median(ticks), 1),
        "registrations_per_second": round(args.registrations / took, 1),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 1) for x in os.getloadavg()],  # the machine is shared
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000, help="descriptors in the zone")
    p.add_argument("--updates", type=int, default=20_000, help="statuses a round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--registrations", type=int, default=200, help="the anchor's count")
    p.add_argument("--secondaries", action="store_true", help="the zone lists a secondary")
    p.add_argument("--dir", default=None, help="where the registry goes (default: /tmp)")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.updates, args.rounds, args.registrations = 50, 40, 2, 5
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
