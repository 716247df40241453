"""Loading a large registry: ``cid serve``'s start, full reload and memory, against Knot.

    python tests/benchmarks/bench_load.py [--n 100000] [--dir DIR] [--quick] [--json]

A registry whose provider zone holds ``--n`` descriptors (the workload of
bench_serve.py: realistic identifiers, 1-3 endpoints, one delegated region) is
built once (untimed, fsync skipped), then:

- **cid serve**, as shipped (``python -m cid serve REGISTRY --zone PROVIDER``):
  seconds from the process's start to its first answer (it reads and verifies
  every file, assembles and indexes the zone, then listens); its RSS once
  serving and its peak (``VmHWM``), each less those of ``cid serve`` of the same
  registry with no descriptors; then a full reload (``zone.json`` touched, the
  reload interval 0.2 s): seconds from the touch until an answer carries the
  new SOA serial, and the peak after it. The previous zone is served meanwhile.
- **Knot (anchor)**, in the same run: ``knotd`` loading the same zone exported as
  a file (``Registry.assemble`` + ``zone_text``, untimed): seconds from start to
  first answer, RSS and peak, less an empty zone's.

Ratios are to Knot's load time (start and reload alike: the target is at most
2.0 x) and to Knot's steady RSS (targets: steady at most 1.0 x, peak 1.3 x).
One round: at 1,000,000 descriptors a round takes tens of minutes. ``--quick``
runs 200 descriptors (the smoke test in test_benchmarks_run.py); its figures
mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rdatatype

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_serve
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))  # dnsservers

import dnsservers
from bench_serve import NX_ARCH, PROVIDER, REGIONS, _knot_pid, _status_kib, make_registry, spec
from dnsservers import KnotServer, free_port

import cid
from cid._descriptor_json import descriptor_from_json
from cid.atomic import write_atomic
from cid.registry._build import file_name
from cid.registry._store import Registry
from cid.registry._zone import zone_text

_START_LIMIT = 3 * 3600.0  # seconds: a bound, far above any expected load


def _serial(port: int) -> int | None:
    query = dns.message.make_query(PROVIDER, dns.rdatatype.SOA)
    with contextlib.suppress(OSError, dns.exception.DNSException):
        response = dns.query.udp(query, "127.0.0.1", port=port, timeout=0.5)
        for rrset in response.answer:
            return int(rrset[0].serial)
    return None


class _Serve:
    """``cid serve`` of one zone on a free loopback port, started and timed."""

    def __init__(self, registry: Path, log: Path) -> None:
        self.port = free_port()
        argv = [sys.executable, "-m", "cid", "serve", str(registry), "--zone", PROVIDER,
                "--listen", f"127.0.0.1:{self.port}", "--reload-interval", "0.2"]  # fmt: skip
        start = time.perf_counter()
        with log.open("wb") as err:
            self.proc = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], _START_LIMIT)
        line = self.proc.stdout.readline().decode() if ready else ""
        if f"port {self.port}" not in line:
            self.stop()
            raise RuntimeError(f"cid serve did not start: {line!r}\n{log.read_text()}")
        first = _serial(self.port)
        self.start_s = time.perf_counter() - start  # to the first answer
        if first is None:
            self.stop()
            raise RuntimeError(f"cid serve does not answer\n{log.read_text()}")
        self.serial = first

    def memory(self) -> tuple[int, int]:
        """(RSS, peak RSS) in KiB."""
        return _status_kib(self.proc.pid, "VmRSS"), _status_kib(self.proc.pid, "VmHWM")

    def reload(self, registry: Path, change: Callable[[Path], None] | None = None) -> float:
        """Write zone.json again (a full reload, spec §8.7), or make ``change``; seconds
        to the new serial."""
        time.sleep(1.1)  # the new SOA serial (the time of assembly) must differ
        config = registry / "zones" / PROVIDER / "zone.json"
        start = time.perf_counter()
        if change is None:
            config.write_bytes(config.read_bytes())
        else:
            change(registry)
        while time.perf_counter() - start < _START_LIMIT:
            serial = _serial(self.port)
            if serial is not None and serial != self.serial:
                self.serial = serial
                return time.perf_counter() - start
            time.sleep(0.05)
        raise RuntimeError("cid serve did not reload")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _add_descriptor(registry: Path) -> None:
    """One more descriptor file in the provider zone, signed with its key, as an
    operator's build or copy adds one."""
    reg = Registry.load(registry)
    subject = f"ucid:acme.hpc/{REGIONS[0]}/{NX_ARCH}/cpu=999;mem=1GiB"
    now = int(time.time())
    record = descriptor_from_json({**spec(subject, 1), "issuer": PROVIDER}, now - 60, 86400)
    data = cid.sign(record, reg.signing_key(PROVIDER))
    write_atomic(registry / "zones" / PROVIDER / "descriptors" / f"{file_name(subject)}.cose", data)


def _image_written(log: Path, count: int) -> float:
    """Wait until ``cid serve`` has logged ``count`` images written for PROVIDER; the
    seconds the last one took, as it logged them."""
    start = time.perf_counter()
    marker = f"zone {PROVIDER}: image written in "
    while time.perf_counter() - start < _START_LIMIT:
        lines = [x for x in log.read_text().splitlines() if marker in x]
        if len(lines) >= count:
            return float(lines[count - 1].split(marker)[1].split(" s")[0])
        if "no image written" in log.read_text():
            raise RuntimeError(f"cid serve wrote no image\n{log.read_text()}")
        time.sleep(0.2)
    raise RuntimeError("cid serve did not write its image")


def _knot(zone_file: Path) -> dict[str, float]:
    start = time.perf_counter()
    with KnotServer({PROVIDER: zone_file}) as srv:
        load = time.perf_counter() - start
        pid = _knot_pid(srv)
        return {
            "load_s": load,
            "rss_kib": _status_kib(pid, "VmRSS"),
            "peak_kib": _status_kib(pid, "VmHWM"),
        }


def _registry(path: Path, n: int, now: int) -> Registry:
    """The registry built in ``path`` before (``--dir``: the same inputs for runs of two
    versions of the code), or a new one."""
    if (path / "registry.json").exists():
        return Registry.load(path)
    return make_registry(path, n, now=now, child_n=1)


def run(workdir: Path, n: int) -> dict[str, Any]:
    now = int(time.time())
    t0 = time.perf_counter()
    full = _registry(workdir / "registry", n, now)
    empty = _registry(workdir / "empty-registry", 0, now)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    files = {}
    for label, reg in (("full", full), ("empty", empty)):
        zone, _ = Registry.load(reg.path).assemble(PROVIDER, now=now)
        files[label] = workdir / f"{label}.zone"
        files[label].write_text(zone_text(zone))
        del zone
    export_s = time.perf_counter() - t0

    cid: dict[str, Any] = {}
    base = _Serve(empty.path, workdir / "serve-empty.log")
    try:
        cid["empty_rss_kib"], cid["empty_peak_kib"] = base.memory()
    finally:
        base.stop()
    log = workdir / "serve.log"
    srv = _Serve(full.path, log)
    try:
        cid["start_s"] = srv.start_s
        cid["rss_kib"], cid["peak_kib"] = srv.memory()
        cid["image_write_s"] = _image_written(log, 1)
        cid["reload_s"] = srv.reload(full.path)
        cid["rss_after_reload_kib"], cid["peak_after_reload_kib"] = srv.memory()
        cid["reload_one_s"] = srv.reload(full.path, change=_add_descriptor)
        # A reload that assembled writes an image too: the next start maps the newest.
        assembled = log.read_text().count(f"zone {PROVIDER}: assembled, not from its image")
        cid["reload_from_image"] = assembled < 2
        _image_written(log, assembled)
    finally:
        srv.stop()
    # The next start: from the image the last assembly wrote.
    log = workdir / "serve-image.log"
    srv = _Serve(full.path, log)
    try:
        if "from its image" not in log.read_text():
            raise RuntimeError(f"cid serve did not start from its image\n{log.read_text()}")
        cid["image_start_s"] = srv.start_s
        cid["image_rss_kib"], cid["image_peak_kib"] = srv.memory()
    finally:
        srv.stop()

    saved = dnsservers.START_TIMEOUT
    dnsservers.START_TIMEOUT = max(saved, _START_LIMIT)  # a big zone loads for minutes
    try:
        knot_empty, knot = _knot(files["empty"]), _knot(files["full"])
    finally:
        dnsservers.START_TIMEOUT = saved
    knot_rss = knot["rss_kib"] - knot_empty["rss_kib"]
    figures = {
        "cid serve: start to first answer, from its image (s)": cid["image_start_s"],
        "cid serve: start to first answer, no image (s)": cid["start_s"],
        "cid serve: image written, after answering (s)": cid["image_write_s"],
        "cid serve: full reload, zone.json rewritten, to new serial (s)": cid["reload_s"],
        "cid serve: reload, one descriptor file added, to new serial (s)": cid["reload_one_s"],
        "knot: start to first answer (s)": knot["load_s"],
        "cid serve from its image: RSS added (KiB)": cid["image_rss_kib"] - cid["empty_rss_kib"],
        "cid serve from its image: peak over empty RSS (KiB)": cid["image_peak_kib"]
        - cid["empty_rss_kib"],
        "cid serve: RSS added (KiB)": cid["rss_kib"] - cid["empty_rss_kib"],
        "cid serve: peak over empty RSS, start (KiB)": cid["peak_kib"] - cid["empty_rss_kib"],
        "cid serve: peak over empty RSS, with reload (KiB)": cid["peak_after_reload_kib"]
        - cid["empty_rss_kib"],
        "knot: RSS added (KiB)": knot_rss,
        "knot: peak over empty RSS (KiB)": knot["peak_kib"] - knot_empty["rss_kib"],
    }
    ratios = {
        "start from image / knot load (target <= 2.0)": cid["image_start_s"] / knot["load_s"],
        "start, no image / knot load": cid["start_s"] / knot["load_s"],
        "steady RSS from image / knot (target <= 1.0)": figures[
            "cid serve from its image: RSS added (KiB)"
        ]
        / knot_rss,
        "peak from image / knot RSS (target <= 1.3)": figures[
            "cid serve from its image: peak over empty RSS (KiB)"
        ]
        / knot_rss,
        "reload / knot load (target <= 2.0)": cid["reload_s"] / knot["load_s"],
        "reload, one file added / knot load (target <= 2.0)": cid["reload_one_s"] / knot["load_s"],
        "steady RSS, no image / knot": figures["cid serve: RSS added (KiB)"] / knot_rss,
        "peak at start, no image / knot RSS": figures["cid serve: peak over empty RSS, start (KiB)"]
        / knot_rss,
        "peak with reload / knot RSS": figures["cid serve: peak over empty RSS, with reload (KiB)"]
        / knot_rss,
        "knot peak / knot RSS": figures["knot: peak over empty RSS (KiB)"] / knot_rss,
    }
    return {
        "descriptors": n,
        "zone_file_bytes": files["full"].stat().st_size,
        "figures": figures,
        "bytes_per_descriptor": {
            k.replace(" (KiB)", ""): 1024 * v / max(n, 1) for k, v in figures.items() if "KiB" in k
        },
        "ratios": ratios,
        "untimed_setup_s": {"registry build": build_s, "export for knot": export_s},
        "cid": cid,
        "knot": knot,
        "knot_empty": knot_empty,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dir", help="work folder, kept (a registry built there is reused)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: the smoke test")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    n = 200 if args.quick else args.n
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="bench-load-"))
    base.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        result = run(base, n)
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)
    result["took_s"] = time.perf_counter() - started
    result["load_average"] = os.getloadavg()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"registry of {n:,} descriptors (zone file {result['zone_file_bytes']:,} bytes)")
    for k, v in result["figures"].items():
        print(f"  {k:55} {v:>14,.1f}")
    for k, v in result["bytes_per_descriptor"].items():
        print(f"  {k + ', bytes per descriptor':55} {v:>14,.0f}")
    for k, v in result["ratios"].items():
        print(f"  {k:55} {v:>14.2f}")
    print(f"took {result['took_s']:.0f} s; load average {result['load_average']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
