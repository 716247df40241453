"""Choosing among providers: ``Resolver.schedule`` over N matching candidates, against
resolving the same N identifiers one by one.

    python tests/benchmarks/bench_schedule.py [--candidates 100] [--descriptors 100000]
        [--rounds 5] [--json]

Set-up (timed apart, reported): a registry of two zones, the root ``ucid.example`` and
the provider ``pool.ucid.example`` (one cut), signed in memory and assembled with the
sans-IO zone assembly (the registry's own code: ``assemble`` with signed descriptors
and statuses), served by ``cid.server``'s in-process server on loopback (UDP and TCP,
one thread). The provider holds ``--descriptors`` descriptors: ``--candidates`` accelerator
pools that the pattern ``ucid:pool/cn-*/x86-64-v4+sm90/acc>=8`` matches, spread over
four regions, each with a signed status (free units, wait and price differ; a tenth
publish none, a tenth do not accept), and the rest CPU machines in the same and other
regions (``x86-64-v3``), which discovery prunes at their architecture nodes.

- **schedule**: ``Resolver(anchor).schedule(pattern, "acc=8;mem=512GiB", "cheapest")``
  with a fresh resolver each round (cold cache): discovery (listings, each candidate
  resolved and verified from the anchor down), each candidate's status fetched and
  verified, the ranking.
- **one by one**: a fresh ``Resolver(anchor)`` resolving the same identifiers in a loop
  (``resolve``: cold, but zone entries cached between them, as schedule's are). No
  statuses, no ranking: the floor schedule is measured against.

Each figure: the median over ``--rounds`` rounds of the wall time, and the queries sent
(from the resolutions' own counts). Also: the time of the status step and the ranking
alone (``rank`` on the checks), and the set-up times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cid
from cid.registry import Registry
from cid.registry._zone import NameServer, SignedDescriptor, SignedStatus, assemble
from cid.server import Authority, ServerThread
from resolver import Need, Policy, Resolver, StatusCheck, TrustAnchor, rank

PATTERN = "ucid:pool/cn-*/x86-64-v4+sm90/acc>=8"
NEED = "acc=8;mem=512GiB"
ROOT = "ucid.example"
ZONE = f"pool.{ROOT}"
POOL_REGIONS = ("cn-gd", "cn-sh", "cn-tj", "cn-bj")
OTHER_REGIONS = (*POOL_REGIONS, "cn-js", "cn-zj", "de-by", "us-ca", "jp-13", "sg")


def identifiers(candidates: int, descriptors: int) -> tuple[list[str], list[str]]:
    pools = [
        f"ucid:pool/{POOL_REGIONS[i % 4]}/x86-64-v4+sm90/acc=8;mem=1TiB;rack={i}"
        for i in range(candidates)
    ]
    rest = [
        f"ucid:pool/{OTHER_REGIONS[i % len(OTHER_REGIONS)]}/x86-64-v3/cpu=64;mem=256GiB;rack={i}"
        for i in range(max(0, descriptors - candidates))
    ]
    return pools, rest


def build(
    candidates: int, descriptors: int, now: int, folder: Path
) -> tuple[Any, dict[str, float]]:
    times: dict[str, float] = {}
    t = time.perf_counter()
    registry = Registry.create(folder, ROOT)
    registry.add_zone(ROOT, None, [NameServer(f"ns1.{ROOT}", ("127.0.0.1",))])
    registry.add_zone(ZONE, ROOT, [NameServer(f"ns1.{ZONE}", ("127.0.0.1",))])
    registry.build(now=now)
    key = registry.signing_key(ZONE)
    pools, rest = identifiers(candidates, descriptors)
    signed: list[SignedDescriptor] = []
    for i, text in enumerate(pools + rest):
        desc = cid.Descriptor(
            issuer=ZONE,
            subject=str(cid.parse(text)),
            version=1,
            issued_at=now,
            not_before=now,
            expires=now + 7 * 86400,
            endpoints=(cid.Endpoint("tcp", "https", f"h{i}.pool.example", 443),),
        )
        signed.append(SignedDescriptor(cid.sign(desc, key), desc))
    times["sign descriptors"] = time.perf_counter() - t
    t = time.perf_counter()
    statuses = []
    for i, sd in enumerate(signed[:candidates]):
        if i % 10 == 9:
            continue  # publishes no status
        st = cid.Status(
            ZONE, sd.record.subject, version=now * 1000, descriptor_version=1,
            issued_at=now, expires=now + 600, accepting=i % 10 != 8,
            units={"acc": cid.Capacity(8 + i % 24, 64), "mem": cid.Capacity(1 << 42, 1 << 43)},
            queue_wait=(i * 37) % 900,
            prices=(cid.Price("CNY", f"{9 + i % 7}.{i % 10}5", 1, 3600, unit="acc"),),
        )  # fmt: skip
        statuses.append(SignedStatus(cid.sign_status(st, key), st))
    times["sign statuses"] = time.perf_counter() - t
    t = time.perf_counter()
    zones = []
    for name in (ROOT, ZONE):
        inputs = registry.inputs(name, now=now)
        mine = signed if name == ZONE else []
        settings = registry.zones[name].settings
        zones.append(
            assemble(settings, mine, inputs.delegations, root=ROOT, now=now, statuses=statuses)
        )
    times["assemble zones"] = time.perf_counter() - t
    t = time.perf_counter()
    server = ServerThread(Authority(zones)).start()
    times["start server"] = time.perf_counter() - t
    anchor = TrustAnchor.from_json(registry.anchor(), port=server.bound[0][1])
    return (server, anchor, pools), times


class Counting(Resolver):
    """A resolver that counts the queries of every resolution it runs."""

    sent = 0

    def run(self, res: Any) -> None:
        super().run(res)
        self.sent += res.queries


def measure(anchor: TrustAnchor, pools: list[str], rounds: int) -> dict[str, Any]:
    sched_t, one_t, status_t, rank_t = [], [], [], []
    sched_q = one_q = 0
    found = None
    for _ in range(rounds):
        r = Resolver(anchor)
        t = time.perf_counter()
        found = r.schedule(PATTERN, NEED, "cheapest")
        sched_t.append(time.perf_counter() - t)
        sched_q = found.queries
        # The status step alone, over the descriptors the schedule verified.
        results = [c.resolved for c in found.ranked] + [d.resolved for d in found.dropped]
        t = time.perf_counter()
        checks = []
        for resolved in results:
            res = r._status_resolution(resolved)
            r.run(res)
            assert isinstance(res.result, StatusCheck)
            checks.append(res.result)
        status_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        rank(checks, Need.parse(NEED), Policy("cheapest"), now=int(time.time()))
        rank_t.append(time.perf_counter() - t)
        c = Counting(anchor)
        t = time.perf_counter()
        for ident in pools:
            c.resolve(ident)
        one_t.append(time.perf_counter() - t)
        one_q = c.sent
    assert found is not None
    med = statistics.median
    return {
        "candidates": len(pools),
        "ranked": len(found.ranked),
        "dropped": found.dropped_by_reason,
        "schedule_s": med(sched_t),
        "schedule_queries": sched_q,
        "one_by_one_s": med(one_t),
        "one_by_one_queries": one_q,
        "ratio_time": med(sched_t) / med(one_t),
        "status_step_s": med(status_t),
        "rank_s": med(rank_t),
        "nodes": found.nodes,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--candidates", type=int, default=100)
    p.add_argument("--descriptors", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    now = int(time.time())
    with tempfile.TemporaryDirectory(prefix="bench-schedule-") as tmp:
        (server, anchor, pools), setup = build(
            args.candidates, max(args.descriptors, args.candidates), now, Path(tmp) / "r"
        )
        try:
            result = measure(anchor, pools, args.rounds)
        finally:
            server.stop()
    result["descriptors"] = max(args.descriptors, args.candidates)
    result["setup_s"] = setup
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(
        f"{result['descriptors']:,} descriptors, {result['candidates']} candidates "
        f"({result['ranked']} ranked, dropped {result['dropped']}), {args.rounds} rounds"
    )
    print(
        f"  schedule     {result['schedule_s'] * 1000:8.1f} ms  "
        f"{result['schedule_queries']} queries ({result['nodes']} listings)"
    )
    print(
        f"  one by one   {result['one_by_one_s'] * 1000:8.1f} ms  "
        f"{result['one_by_one_queries']} queries"
    )
    print(f"  ratio        {result['ratio_time']:8.2f} x")
    print(
        f"  status step  {result['status_step_s'] * 1000:8.1f} ms; ranking "
        f"{result['rank_s'] * 1000:.2f} ms"
    )
    print("  set-up: " + ", ".join(f"{k} {v:.1f} s" for k, v in setup.items()))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
