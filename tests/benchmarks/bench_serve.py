"""Publishing: ``cid serve`` against Knot on the same zone, memory, and zone build time.

    python tests/benchmarks/bench_serve.py [--n 2000] [--rounds 5] [--seconds 5]
        [--memory-n 1000000] [--build-n 100000] [--build-rounds 3]
        [--only qps,memory,build,metrics] [--dir DIR] [--quick] [--json]

Three parts, each against an anchor measured in the same run (issue text:
"``cid serve`` against Knot serving the same exported zone, both measured with
dnsperf in the same run, same query mix; memory per descriptor with a zone of
1,000,000 descriptors; zone build time for 100,000 descriptors against bare
signing time"):

- **qps**: a registry whose provider zone holds ``--n`` descriptors and delegates
  a region to a child zone is served by ``cid serve`` (one process, one asyncio
  loop, as shipped) and, exported with ``zone_text``, by ``knotd`` (the anchor,
  configured by ``tests/dnsservers.py``: one UDP worker thread). dnsperf sends the
  same query file to each (descriptors as TYPE65280, SVCB, referrals into the
  child zone, NXDOMAIN) over UDP with EDNS(0) at its maximum rate, in interleaved
  rounds after one untimed pass (answer caches warm); medians of queries/s, every
  lost query counted (dnsperf keeps at most 100 queries in flight). Also: each
  server's CPU time per query, a second mix where every query is a fresh
  non-existent name (no answer cache helps), one run per server asking for 0.6 x
  Knot's median rate (``dnsperf -Q``: the target), and the answering core
  (``Authority.answer``) alone in-process, to show where the time goes.
- **memory**: a subprocess assembles a zone of ``--memory-n`` descriptors as
  ``cid serve`` holds it (dnspython zone plus ``Authority``) and reports the RSS
  it added per descriptor; the anchor is ``knotd`` loading the same zone
  exported as a file (RSS over an empty zone's, per descriptor). Load times too.
- **metrics** (only when asked for): ``cid serve`` as shipped against itself with
  ``--metrics`` (``/metrics`` scraped every second during the run) and with
  ``--metrics --query-log FILE``, same registry and query mix as the qps part,
  interleaved rounds; queries per second and server CPU per query, each as a
  ratio to the plain server's.
- **build**: ``bench_build.py`` (run there on its own): ``Registry.build``
  (``cid zone build``: sources to signed files, each written atomically with
  fsync) and ``Registry.assemble`` (read, verify, assemble: what ``cid zone
  export`` and ``cid serve`` do at load) for ``--build-n`` descriptors, against
  the anchor: bare Ed25519 signing (PyNaCl) of the same COSE Sig_structure
  bytes. Rates are descriptors/s; ratios are to the anchor's rate.

Loopback only, every run bounded in time. Needs ``dnsperf`` and ``knotd`` for
the qps and memory parts. ``--quick`` runs everything at tiny sizes (the smoke
test in tests/test_bench_serve_runs.py); its figures mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final
from unittest import mock

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))  # dnsservers
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_build: the build part

import dnsservers
from dnsservers import KnotServer, free_port

import cid
from cid._descriptor_json import descriptor_from_json
from cid._keys import SigningKey
from cid.layout import TYPE_DESCRIPTOR
from cid.registry._store import Registry
from cid.registry._zone import (
    NameServer,
    SignedDelegation,
    SignedDescriptor,
    ZoneSettings,
    assemble,
    zone_text,
)
from cid.server import QueryLog, ServeStats
from cid.server._authority import Authority
from cid.server._serve import _UDP_BATCH, _fingerprint, _Udp, _udp_socket

ROOT: Final = "ucid.example"
PLATFORM: Final = f"hpc.{ROOT}"
PROVIDER: Final = f"acme.{PLATFORM}"  # identifiers ucid:acme.hpc/...
CHILD_REGION: Final = "cn-sh"
CHILD: Final = f"_{CHILD_REGION}.{PROVIDER}"  # a delegated region: referrals
REGIONS: Final = ["cn-gd", "cn-bj", "cn-js", "de-by", "us-ca", "sg", "cn-tj"]
CPUS: Final = ["x86-64-v4", "x86-64-v3", "aarch64", "neoverse-v2", "kunpeng-920"]
ACCS: Final = ["", "+sm90", "+sm80", "+gfx942", "+ascend910b"]
MODELS: Final = ["h800", "a800", "mi300x", "ascend910b", "h20", "l40s"]
NX_ARCH: Final = "riscv64"  # never registered: its names are NXDOMAIN, not empty non-terminals
#: Query mix (share of the query file): what a resolver population asks an authority.
MIX: Final = {"descriptor": 0.40, "svcb": 0.30, "referral": 0.15, "nxdomain": 0.15}
QUERY_LINES: Final = 20_000
NX_UNIQUE_LINES: Final = 200_000
KNOT_UDP_WORKERS: Final = 1  # tests/dnsservers.py writes "udp-workers: 1"
BASELINE: Final = "cid serve (baseline)"  # --baseline: other sources, same rounds
_CLK_TCK: Final = os.sysconf("SC_CLK_TCK")


def _key(zone: str) -> SigningKey:
    return SigningKey.from_seed(zone.encode().ljust(32, b"\0")[:32])


def _ns(zone: str) -> list[NameServer]:
    return [NameServer(f"ns1.{zone}", ("127.0.0.1",))]


# --------------------------------------------------------------- workload


def identifiers(n: int, seed: int = 2026, region: str | None = None) -> list[str]:
    """n distinct canonical identifiers of the provider acme.hpc (fixed seed).

    Without ``region``, any region but the delegated one; realistic attributes,
    1-3 endpoints each (see :func:`spec`).
    """
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        reg = region or rng.choice(REGIONS)
        text = f"ucid:acme.hpc/{reg}/{rng.choice(CPUS)}{rng.choice(ACCS)}"
        attrs = [
            f"cpu={rng.choice([32, 64, 96, 128, 192, 256])}",
            f"mem={rng.choice([256, 512, 1024, 2048])}GiB",
            f"net-bw={rng.randrange(1, 4000)}Gbps",  # many values: keeps names distinct
        ]
        if rng.random() < 0.6:
            attrs += [f"acc={rng.choice([1, 4, 8])}", f"acc-model={rng.choice(MODELS)}"]
        if rng.random() < 0.2:
            attrs.append("sriov")
        out[str(cid.parse(f"{text}/{';'.join(attrs)}"))] = None
    return list(out)


def spec(subject: str, i: int) -> dict[str, Any]:
    """A registry source for ``subject``: 1-3 endpoints (SVCB answers of 1-3 records)."""
    endpoints: list[dict[str, Any]] = [
        {
            "transport": "tcp",
            "protocol": "https",
            "host": f"gpu{i % 97}.acme.example",
            "port": 443,
            "alpn": ["h2"],
            "priority": 1,
            "weight": 70,
        },
    ]
    if i % 3:
        endpoints.append(
            {
                "transport": "tcp",
                "protocol": "https",
                "priority": 2,
                "host": f"gpu{i % 89}b.acme.example",
                "port": 443,
                "weight": 30,
            }
        )
    if i % 3 == 2:
        endpoints.append(
            {
                "transport": "udp",
                "protocol": "quic",
                "host": "192.0.2.44",
                "port": 4433,
                "alpn": ["h3"],
                "priority": 3,
                "weight": 1,
            }
        )
    return {"subject": subject, "version": 1, "endpoints": endpoints}


def _owner(subject: str) -> str:
    return cid.parse(subject).to_dns_name(ROOT)


@contextlib.contextmanager
def _no_fsync() -> Iterator[None]:
    """Untimed set-up only (and one labelled attribution contender): skip fsync."""
    with mock.patch("os.fsync", return_value=None):
        yield


def make_sources(path: Path, n: int, *, child_n: int) -> Registry:
    """Root, platform, the provider (n sources) and its delegated region (child_n); unbuilt."""
    reg = Registry.create(path, ROOT)
    for zone, parent in [(ROOT, None), (PLATFORM, ROOT), (PROVIDER, PLATFORM), (CHILD, PROVIDER)]:
        reg.add_zone(zone, parent, _ns(zone), _key(zone))
    with _no_fsync():
        for i, subject in enumerate(identifiers(n)):
            reg.add_source(PROVIDER, f"d{i:07d}", spec(subject, i))
        for i, subject in enumerate(identifiers(child_n, seed=7, region=CHILD_REGION)):
            reg.add_source(CHILD, f"d{i:07d}", spec(subject, i))
    return reg


def make_registry(path: Path, n: int, *, now: int, child_n: int) -> Registry:
    """:func:`make_sources`, built."""
    reg = make_sources(path, n, child_n=child_n)
    with _no_fsync():
        reg.build(now=now)
    return reg


def query_file(path: Path, n: int, child_n: int, lines: int, seed: int = 11) -> dict[str, int]:
    """The dnsperf query file (``name TYPE`` lines, shuffled); returns lines per kind."""
    rng = random.Random(seed)
    owners = [_owner(s) for s in identifiers(n)]
    child_owners = [_owner(s) for s in identifiers(child_n, seed=7, region=CHILD_REGION)]
    counts = {kind: round(share * lines) for kind, share in MIX.items()}
    out = [f"{rng.choice(owners)} TYPE65280" for _ in range(counts["descriptor"])]
    out += [f"{rng.choice(owners)} SVCB" for _ in range(counts["svcb"])]
    out += [f"{rng.choice(child_owners)} TYPE65280" for _ in range(counts["referral"])]
    out += [f"{_nx_owner(i)} TYPE65280" for i in range(counts["nxdomain"])]
    rng.shuffle(out)
    path.write_text("\n".join(out) + "\n")
    return counts


_NX_SENTINEL: Final = 987654321


def _nx_templates() -> list[str]:
    return [
        _owner(f"ucid:acme.hpc/{region}/{NX_ARCH}/cpu={_NX_SENTINEL};mem=256GiB")
        for region in REGIONS
    ]


_NX_TEMPLATES: Final = _nx_templates()


def _nx_owner(i: int) -> str:
    """A name that does not exist (NXDOMAIN), distinct for each i (a valid identifier's)."""
    template = _NX_TEMPLATES[i % len(_NX_TEMPLATES)]
    return template.replace(f"_cpu_{_NX_SENTINEL}.", f"_cpu_{i + 1}.")


def nx_unique_file(path: Path, lines: int, first: int) -> None:
    """Every line a different non-existent name (a random-subdomain load)."""
    path.write_text("".join(f"{_nx_owner(i)} TYPE65280\n" for i in range(first, first + lines)))


# ---------------------------------------------------------------- servers


def _binary(name: str) -> str:
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/local/sbin", "/usr/sbin"])
    found = shutil.which(name, path=search)
    if found is None:
        raise SystemExit(f"bench_serve: {name} not installed (needed for this part)")
    return found


class CidServe:
    """``python -m cid serve REGISTRY --zone ZONE --listen ADDRESS:PORT`` (a free
    loopback port by default), started and ready, or RuntimeError with its log."""

    def __init__(
        self,
        registry: Path,
        workdir: Path,
        zone: str = PROVIDER,
        *,
        address: str = "127.0.0.1",
        port: int | None = None,
        extra: Sequence[str] = (),
        log: Path | None = None,
        source: Path | None = None,
    ) -> None:
        self.port = free_port() if port is None else port
        # Another tree of cid sources to run (--baseline), or the one installed.
        env = None if source is None else {**os.environ, "PYTHONPATH": str(source)}
        self.log = log or workdir / "cid-serve.log"
        argv = [
            sys.executable,
            "-m",
            "cid",
            "serve",
            str(Path(registry).resolve()),
            "--zone",
            zone,
            "--listen",
            f"{address}:{self.port}",
            *extra,
        ]
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
                # Not the caller's folder: "python -m" puts it first on sys.path, and
                # from the project's root that would run its cid, not the --baseline's.
                cwd=workdir,
            )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 120)  # bounded start-up
        line = self.proc.stdout.readline().decode() if ready else ""
        if f"port {self.port}" not in line:
            self.stop()
            raise RuntimeError(f"cid serve {zone} did not start: {line!r}\n{self.log.read_text()}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _knot_pid(srv: KnotServer) -> int:
    assert srv.workdir is not None
    with contextlib.suppress(OSError, ValueError):
        return int((srv.workdir / "knot.pid").read_text().split()[0])
    proc = srv._proc  # knotd in the foreground writes its PID file; this is a fallback
    assert proc is not None
    return proc.pid


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime + stime, all threads


def _busy_cpu_seconds() -> float:
    """CPU time the whole machine spent busy (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


def _status_kib(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


_DNSPERF_FIELDS: Final = {
    "sent": r"Queries sent:\s+(\d+)",
    "completed": r"Queries completed:\s+(\d+)",
    "lost": r"Queries lost:\s+(\d+)",
    "qps": r"Queries per second:\s+([\d.]+)",
    "latency": r"Average Latency \(s\):\s+([\d.]+)",
}


def dnsperf(
    port: int,
    data: Path,
    *,
    seconds: float | None,
    clients: int,
    timeout: float,
    max_qps: float | None = None,
    outstanding: int = 100,
    once: bool = False,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """One bounded dnsperf run over UDP with EDNS(0); its figures, rcodes and CPU times."""
    argv = [
        _binary("dnsperf"),
        "-s",
        "127.0.0.1",
        "-p",
        str(port),
        "-d",
        str(data),
        "-e",
        "-c",
        str(clients),
        "-t",
        str(timeout),
        "-q",
        str(outstanding),
    ]
    argv += ["-n", "1"] if once else ["-l", str(seconds)]
    if max_qps is not None:
        argv += ["-Q", str(int(max_qps))]
    cpu0 = _cpu_seconds(server_pid) if server_pid else 0.0
    busy0 = _busy_cpu_seconds()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    limit = (seconds or 120) + timeout + 60
    done = subprocess.run(argv, capture_output=True, text=True, timeout=limit, check=False)
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1 = _busy_cpu_seconds()
    cpu1 = _cpu_seconds(server_pid) if server_pid else 0.0
    if done.returncode != 0:
        raise RuntimeError(f"dnsperf failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    out: dict[str, Any] = {}
    for name, pattern in _DNSPERF_FIELDS.items():
        m = re.search(pattern, done.stdout)
        if m is None:
            raise RuntimeError(f"dnsperf output without {name}:\n{done.stdout}")
        out[name] = float(m.group(1))
    codes = re.search(r"Response codes:\s+(.*)", done.stdout)
    out["rcodes"] = dict(
        (c, int(k)) for c, k in re.findall(r"([A-Z]+) (\d+) \(", codes.group(1) if codes else "")
    )
    out["server_cpu_s"] = cpu1 - cpu0
    out["client_cpu_s"] = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    # Whatever else ran meanwhile (other processes on a shared machine; loopback
    # softirq time not charged to either process shows up here too).
    out["other_cpu_s"] = max(0.0, busy1 - busy0 - out["server_cpu_s"] - out["client_cpu_s"])
    return out


def _ask(port: int, name: str, rdtype: Any) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=4096)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=2)


def _same_answers(ports: dict[str, int], samples: list[tuple[str, Any]]) -> None:
    """Both servers give the same answer to each kind of question, or the run is void."""
    for name, rdtype in samples:
        seen = {}
        for server, port in ports.items():
            r = _ask(port, name, rdtype)
            seen[server] = (
                dns.rcode.to_text(r.rcode()),
                bool(r.flags & dns.flags.AA),
                sorted(sorted(x.to_text() for x in rr) for rr in r.answer),
                sorted(rr.rdtype for rr in r.authority),
            )
        if len(set(map(repr, seen.values()))) != 1:
            raise RuntimeError(f"servers disagree on {name} {rdtype}: {seen}")


# ------------------------------------------------------------------ qps part


def run_qps(
    workdir: Path,
    n: int,
    rounds: int,
    seconds: float,
    clients: int,
    timeout: float,
    nx_lines: int = NX_UNIQUE_LINES,
    query_lines: int = QUERY_LINES,
    sample: int = 2000,
    baseline: Path | None = None,
) -> dict[str, Any]:
    now = int(time.time())
    child_n = max(10, n // 10)
    reg = make_registry(workdir / "registry", n, now=now, child_n=child_n)
    zone, problems = reg.assemble(PROVIDER, now=now)
    assert not problems, problems
    zfile = workdir / f"{PROVIDER}.zone"
    zfile.write_text(zone_text(zone))
    mix_file = workdir / "queries.txt"
    counts = query_file(mix_file, n, child_n, query_lines)
    # One file per round, names never asked before: no answer cache can help.
    nx_files = [workdir / f"nx-unique-{r}.txt" for r in range(rounds)]
    for r, path in enumerate(nx_files):
        nx_unique_file(path, nx_lines, 10_000_000 * (r + 1))

    ours = CidServe(reg.path, workdir)
    before = None
    if baseline is not None:  # the same, from other sources, in the same rounds
        before = CidServe(reg.path, workdir, log=workdir / "baseline.log", source=baseline)
    try:
        with KnotServer({PROVIDER: zfile}) as knot:
            ports = {"cid serve": ours.port, "knot": knot.port}
            pids = {"cid serve": ours.pid, "knot": _knot_pid(knot)}
            if before is not None:
                ports[BASELINE], pids[BASELINE] = before.port, before.pid
            first = identifiers(1)[0]
            child_first = identifiers(1, seed=7, region=CHILD_REGION)[0]
            _same_answers(
                ports,
                [
                    (_owner(first), TYPE_DESCRIPTOR),
                    (_owner(first), dns.rdatatype.SVCB),
                    (_owner(child_first), TYPE_DESCRIPTOR),
                    (_nx_owner(0), TYPE_DESCRIPTOR),
                    (f"__enum.{PROVIDER}.", dns.rdatatype.PTR),
                ],
            )
            # One untimed pass each: answer caches warm, as in a long-running server;
            # its rcodes check that the mix is what it claims to be.
            warm = {
                s: dnsperf(p, mix_file, seconds=None, clients=clients, timeout=timeout, once=True)
                for s, p in ports.items()
            }
            want = {"NOERROR": query_lines - counts["nxdomain"], "NXDOMAIN": counts["nxdomain"]}
            for server, w in warm.items():
                if w["rcodes"] != want or w["lost"]:
                    raise RuntimeError(f"{server}: warm-up pass got {w['rcodes']}, want {want}")
            runs: dict[str, list[dict[str, Any]]] = {}
            for label in ("mix", "nx-unique"):
                for r in range(rounds):
                    data = mix_file if label == "mix" else nx_files[r]
                    order = list(ports) if r % 2 == 0 else list(ports)[::-1]
                    for server in order:
                        runs.setdefault(f"{server} | {label}", []).append(
                            dnsperf(
                                ports[server],
                                data,
                                seconds=seconds,
                                clients=clients,
                                timeout=timeout,
                                server_pid=pids[server],
                            )
                        )
            knot_qps = statistics.median(x["qps"] for x in runs["knot | mix"])
            # The target's own test: ask for 0.6 x Knot's rate (dnsperf -Q; still at most
            # 100 queries in flight: more overflow a single-threaded server's socket buffer
            # at saturation, Knot's too). Met when that rate is answered with nothing lost.
            target_runs = {
                server: dnsperf(
                    port,
                    mix_file,
                    seconds=seconds,
                    clients=clients,
                    timeout=timeout,
                    max_qps=0.6 * knot_qps,
                    server_pid=pids[server],
                )
                for server, port in ports.items()
            }
    finally:
        ours.stop()
        if before is not None:
            before.stop()
    contenders = {}
    for name, xs in runs.items():
        contenders[name] = {
            "qps": statistics.median(x["qps"] for x in xs),
            "qps_per_round": [round(x["qps"]) for x in xs],
            "lost": sum(int(x["lost"]) for x in xs),
            "sent": sum(int(x["sent"]) for x in xs),
            "latency_ms": 1000 * statistics.median(x["latency"] for x in xs),
            "server_cpu_us_per_query": 1e6
            * statistics.median(x["server_cpu_s"] / max(1.0, x["completed"]) for x in xs),
            "server_cpu_share": statistics.median(x["server_cpu_s"] / seconds for x in xs),
            "client_cpu_share": statistics.median(x["client_cpu_s"] / seconds for x in xs),
            "other_cpu_share": statistics.median(x["other_cpu_s"] / seconds for x in xs),
        }
    ratio = {
        label: contenders[f"cid serve | {label}"]["qps"] / contenders[f"knot | {label}"]["qps"]
        for label in ("mix", "nx-unique")
    }
    if before is not None:
        for label in ("mix", "nx-unique"):
            ratio[f"{label}, baseline"] = (
                contenders[f"{BASELINE} | {label}"]["qps"] / contenders[f"knot | {label}"]["qps"]
            )
    return {
        "descriptors": n,
        "child_descriptors": child_n,
        "zone_nodes": len(zone.nodes),
        "rounds": rounds,
        "seconds": seconds,
        "clients": clients,
        "knot_udp_workers": KNOT_UDP_WORKERS,
        "cid_serve_processes": 1,
        "cores": os.cpu_count(),
        "mix_lines": counts,
        "contenders": contenders,
        "ratio_cid_to_knot": ratio,
        "target_run": {
            server: {
                "asked_qps": 0.6 * knot_qps,
                "qps": x["qps"],
                "sent": int(x["sent"]),
                "lost": int(x["lost"]),
            }
            for server, x in target_runs.items()
        },
        "in_process": in_process(reg, now, mix_file, sample),
        "targets": {
            "cid serve >= 0.6 x knot (mix)": ratio["mix"] >= 0.6,
            "no lost queries (max-rate runs)": all(
                c["lost"] == 0 for k, c in contenders.items() if k.startswith("cid")
            ),
            "0.6 x knot's rate answered, none lost": target_runs["cid serve"]["lost"] == 0
            and target_runs["cid serve"]["qps"] >= 0.6 * knot_qps * 0.97,
        },
    }


# ---------------------------------------------------------- metrics part


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return str(r.read().decode())


def _sample(text: str, name: str) -> float:
    """The sum of every sample of ``name`` in a Prometheus text exposition."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + " ", name + "{"))
    )


class _Scraper:
    """Scrapes ``/metrics`` every ``interval`` seconds on a thread, as Prometheus would
    (more often: its default is every 15 s or more), while a contender is measured."""

    def __init__(self, port: int | None, interval: float = 1.0) -> None:
        self.port, self.interval, self.scrapes = port, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Scraper:
        if self.port is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        assert self.port is not None
        while not self._stop.wait(self.interval):
            _scrape(self.port)
            self.scrapes += 1


def drain_cost(reg: Registry, now: int, mix_file: Path, trials: int) -> dict[str, Any]:
    """The UDP answering path in-process, without dnsperf: CPU time (every thread of
    this process) per query of ``_Udp.drain`` (recvfrom, ``Authority.answer``, sendto)
    with no tap, with ``ServeStats`` (``--metrics``), and with a query log to
    /dev/null too; batches of 200 queries queued on loopback, the three interleaved."""
    zone, _ = reg.assemble(PROVIDER, now=now)
    authority = Authority([zone])
    wires = _wires(mix_file.read_text().splitlines())
    for w in wires:
        authority.answer(w)  # warm
    server = _udp_socket("127.0.0.1", 0)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.setblocking(False)
    address = server.getsockname()
    devnull = QueryLog(os.devnull)
    taps: dict[str, ServeStats | None] = {
        "no tap": None,
        "--metrics (ServeStats)": ServeStats(),
        "--metrics --query-log /dev/null": ServeStats(devnull),
    }
    drains = {name: _Udp(server, lambda: authority, None, tap) for name, tap in taps.items()}
    batch = 200
    per_query: dict[str, list[float]] = {name: [] for name in taps}
    at = logged = 0
    try:
        for _ in range(trials):
            for name, udp in drains.items():
                for _ in range(batch):
                    client.sendto(wires[at % len(wires)], address)
                    at += 1
                time.sleep(0.001)  # all queued (loopback delivers at once; be sure)
                cpu = time.process_time()
                for _ in range(batch // _UDP_BATCH + 1):
                    udp.drain()
                if name.endswith("/dev/null"):
                    logged += batch
                    while devnull.written + devnull.dropped < logged:  # its lines out too
                        time.sleep(0.002)  # not CPU time
                per_query[name].append((time.process_time() - cpu) / batch)
                with contextlib.suppress(BlockingIOError):
                    while True:
                        client.recv(65535)
    finally:
        devnull.stop()
        server.close()
        client.close()
    plain = statistics.median(per_query["no tap"])
    out: dict[str, Any] = {}
    for name, xs in per_query.items():
        out[name] = {
            "cpu_us_per_query": 1e6 * statistics.median(xs),
            "ratio_to_no_tap": statistics.median(xs) / plain,
        }
    return out


def run_metrics(
    workdir: Path,
    n: int,
    rounds: int,
    seconds: float,
    clients: int,
    timeout: float,
    query_lines: int = QUERY_LINES,
) -> dict[str, Any]:
    """``cid serve``'s queries per second as shipped, with ``--metrics`` (scraped every
    second) and with ``--metrics --query-log FILE``: same registry, same query mix
    as the qps part, dnsperf at its maximum rate, interleaved rounds; no Knot."""
    now = int(time.time())
    child_n = max(10, n // 10)
    reg = make_registry(workdir / "registry", n, now=now, child_n=child_n)
    mix_file = workdir / "queries.txt"
    counts = query_file(mix_file, n, child_n, query_lines)
    metrics_ports = {"plain": None, "--metrics": free_port(), "--metrics --query-log": free_port()}
    extra: dict[str, list[str]] = {
        "plain": [],
        "--metrics": ["--metrics", f"127.0.0.1:{metrics_ports['--metrics']}"],
        "--metrics --query-log": [
            "--metrics",
            f"127.0.0.1:{metrics_ports['--metrics --query-log']}",
            "--query-log",
            str(workdir / "queries.log"),
        ],
    }
    servers: dict[str, CidServe] = {}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in extra}
    final: dict[str, str] = {}
    try:
        for name, flags in extra.items():
            servers[name] = CidServe(
                reg.path, workdir, extra=flags, log=workdir / f"serve-{len(servers)}.log"
            )
        want = {"NOERROR": query_lines - counts["nxdomain"], "NXDOMAIN": counts["nxdomain"]}
        for name, srv in servers.items():  # answer caches warm, the mix as it claims
            warm = dnsperf(srv.port, mix_file, seconds=None, clients=clients, timeout=timeout,
                           once=True)  # fmt: skip
            if warm["rcodes"] != want or warm["lost"]:
                raise RuntimeError(f"{name}: warm-up pass got {warm['rcodes']}, want {want}")
        names = list(servers)
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                with _Scraper(metrics_ports[name]):
                    runs[name].append(
                        dnsperf(
                            servers[name].port,
                            mix_file,
                            seconds=seconds,
                            clients=clients,
                            timeout=timeout,
                            server_pid=servers[name].pid,
                        )
                    )
        for name, port in metrics_ports.items():
            if port is not None:
                final[name] = _scrape(port)
    finally:
        for srv in servers.values():
            srv.stop()
    drain = drain_cost(reg, now, mix_file, trials=max(5, rounds * 20))
    out: dict[str, Any] = {}
    for name, xs in runs.items():
        out[name] = {
            "qps": statistics.median(x["qps"] for x in xs),
            "qps_per_round": [round(x["qps"]) for x in xs],
            "lost": sum(int(x["lost"]) for x in xs),
            "server_cpu_us_per_query": 1e6
            * statistics.median(x["server_cpu_s"] / max(1.0, x["completed"]) for x in xs),
        }
    plain = out["plain"]
    for c in out.values():
        c["qps_ratio_to_plain"] = c["qps"] / plain["qps"]
        c["cpu_ratio_to_plain"] = c["server_cpu_us_per_query"] / plain["server_cpu_us_per_query"]
    for name, text in final.items():
        out[name]["queries_counted"] = _sample(text, "cid_serve_queries_total")
        out[name]["query_log_dropped"] = _sample(text, "cid_serve_query_log_dropped_total")
    return {
        "descriptors": n,
        "rounds": rounds,
        "seconds": seconds,
        "clients": clients,
        "cores": os.cpu_count(),
        "contenders": out,
        "in_process_drain": drain,
    }


def _wires(lines: list[str]) -> list[bytes]:
    out = []
    for line in lines:
        name, rdtype = line.split()
        q = dns.message.make_query(name, dns.rdatatype.from_text(rdtype), use_edns=0, payload=4096)
        out.append(q.to_wire())
    return out


def _rate(fn: Callable[[bytes], object], wires: Sequence[bytes], budget: float = 2.0) -> float:
    """Calls per second over ``wires`` (cycled, at least one pass), for about ``budget`` s."""
    start, done = time.perf_counter(), 0
    while True:
        for w in wires:
            fn(w)
        done += len(wires)
        elapsed = time.perf_counter() - start
        if elapsed > budget or done >= 200_000:
            return done / elapsed


def _kind(line: str) -> str:
    name, rdtype = line.split()
    if name.endswith(f".{CHILD}."):
        return "referral"
    if f"._{NX_ARCH}." in name:
        return "nxdomain"
    return "svcb" if rdtype == "SVCB" else "descriptor"


def in_process(reg: Registry, now: int, mix_file: Path, sample: int) -> dict[str, Any]:
    """The answering core without sockets: how much of a query's time it takes."""
    zone, _ = reg.assemble(PROVIDER, now=now)
    authority = Authority([zone])
    mix = mix_file.read_text().splitlines()
    kinds: dict[str, list[str]] = {kind: [] for kind in MIX}
    for line in mix:
        kinds[_kind(line)].append(line)
    all_wires = _wires(mix)
    for w in all_wires:
        authority.answer(w)  # warm

    def cold(w: bytes) -> object:
        authority._cache.clear()  # every answer computed afresh
        return authority.answer(w)

    budget = 2.0 if sample >= 2000 else 0.1
    out: dict[str, Any] = {
        "Authority.answer, cache warm (mix)": _rate(authority.answer, all_wires, budget)
    }
    for kind, lines in kinds.items():
        out[f"Authority.answer, cache cold ({kind})"] = _rate(cold, _wires(lines[:sample]), budget)
    nx_wires = _wires([f"{_nx_owner(i)} TYPE65280" for i in range(5_000_000, 5_000_000 + sample)])
    out["Authority.answer, fresh NXDOMAIN names"] = _rate(cold, nx_wires, budget)
    start = time.perf_counter()
    _fingerprint(reg.path)
    out["registry watch (_fingerprint), s per call"] = time.perf_counter() - start
    out["_unit"] = "calls/s unless stated"
    return out


# --------------------------------------------------------------- memory part


def signed_zone_inputs(n: int, now: int) -> tuple[list[SignedDescriptor], list[SignedDelegation]]:
    """n signed descriptors for the provider zone, and its one delegation (in memory)."""
    key = _key(PROVIDER)
    descs = []
    for i, subject in enumerate(identifiers(n)):
        # What Registry.build signs for a source, without the files.
        rec = descriptor_from_json({"issuer": PROVIDER, **spec(subject, i)}, now, 7 * 86400)
        descs.append(SignedDescriptor(cid.sign(rec, key), rec))
    drec = cid.Delegation(
        parent=PROVIDER,
        child=CHILD,
        keys=(_key(CHILD).verify_key,),
        version=1,
        issued_at=now,
        not_before=now,
        expires=now + 86400,
    )
    deleg = SignedDelegation(cid.sign(drec, key), drec, tuple(_ns(CHILD)))
    return descs, [deleg]


def memory_child(n: int, zone_out: str) -> dict[str, Any]:
    """Run in a fresh interpreter: RSS that the served zone adds, per descriptor."""
    now = int(time.time())
    base = _status_kib("self", "VmRSS")
    t0 = time.perf_counter()
    descs, delegs = signed_zone_inputs(n, now)
    t1 = time.perf_counter()
    gc.collect()
    before = _status_kib("self", "VmRSS")
    settings = ZoneSettings(PROVIDER, tuple(_ns(PROVIDER)))
    zone = assemble(settings, descs, delegs, root=ROOT, now=now)
    authority = Authority([zone])
    t2 = time.perf_counter()
    gc.collect()
    after = _status_kib("self", "VmRSS")
    peak = _status_kib("self", "VmHWM")
    out = {
        "n": n,
        "nodes": len(zone.nodes),
        "sign_s": t1 - t0,
        "load_s": t2 - t1,  # assemble + Authority: cid serve's load, files aside
        "rss_inputs_kib": before - base,
        "rss_zone_kib": after - before,  # inputs still held: only what the zone added
        "peak_over_base_kib": peak - base,
        "origins": [str(o) for o in authority.origins],
    }
    if zone_out:
        t3 = time.perf_counter()
        Path(zone_out).write_text(zone_text(zone))
        out["zone_text_s"] = time.perf_counter() - t3
        out["zone_file_bytes"] = Path(zone_out).stat().st_size
    return out


def run_memory(workdir: Path, n: int) -> dict[str, Any]:
    zfile, empty = workdir / "mem.zone", workdir / "empty.zone"
    done = subprocess.run(
        [sys.executable, __file__, "--_memory-child", str(n), str(zfile)],
        capture_output=True,
        text=True,
        timeout=3 * 3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{done.stderr}")
    ours = json.loads(done.stdout)
    settings = ZoneSettings(PROVIDER, tuple(_ns(PROVIDER)))
    empty.write_text(zone_text(assemble(settings, [], [], root=ROOT, now=int(time.time()))))
    knot: dict[str, Any] = {}
    saved = dnsservers.START_TIMEOUT
    dnsservers.START_TIMEOUT = max(saved, 3600.0)  # a big zone loads for minutes
    try:
        for label, path in [("empty", empty), ("full", zfile)]:
            start = time.perf_counter()
            with KnotServer({PROVIDER: path}) as srv:
                knot[f"{label}_load_s"] = time.perf_counter() - start
                pid = _knot_pid(srv)
                knot[f"{label}_rss_kib"] = _status_kib(pid, "VmRSS")
                knot[f"{label}_peak_kib"] = _status_kib(pid, "VmHWM")
    finally:
        dnsservers.START_TIMEOUT = saved
    with contextlib.suppress(OSError):
        zfile.unlink()
    per = {
        "cid serve (zone + Authority)": 1024 * ours["rss_zone_kib"] / n,
        "cid serve, peak while loading": 1024 * ours["peak_over_base_kib"] / n,
        "knot": 1024 * (knot["full_rss_kib"] - knot["empty_rss_kib"]) / n,
        "knot, peak while loading": 1024 * (knot["full_peak_kib"] - knot["empty_rss_kib"]) / n,
    }
    return {
        "descriptors": n,
        "bytes_per_descriptor": per,
        "ratio_to_knot": {k: v / per["knot"] for k, v in per.items()},
        "cid": ours,
        "knot": knot,
        "load_s": {
            "cid serve (assemble + Authority)": ours["load_s"],
            "knot (file to first answer)": knot["full_load_s"],
        },
    }


# ---------------------------------------------------------------------- main


def _sources_digest() -> str:
    """Which code was measured: a digest of cid/**/*.py (figures go stale when it changes)."""
    digest = hashlib.sha256()
    for path in sorted(Path(cid.__file__).parent.rglob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def run(args: argparse.Namespace) -> dict[str, Any]:
    parts = set(args.only.split(","))
    result: dict[str, Any] = {
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
        "cid_sources": _sources_digest(),
    }
    base = Path(tempfile.mkdtemp(prefix="cid-bench-serve-", dir=args.dir))
    try:
        if "qps" in parts:
            _binary("dnsperf")
            _binary("knotd")
            result["qps"] = run_qps(
                base / "qps",
                args.n,
                args.rounds,
                args.seconds,
                args.clients,
                args.timeout,
                args.nx_lines,
                args.query_lines,
                args.sample,
                Path(args.baseline) if args.baseline else None,
            )
            shutil.rmtree(base / "qps", ignore_errors=True)
        if "metrics" in parts:
            _binary("dnsperf")
            (base / "metrics").mkdir()
            result["metrics"] = run_metrics(
                base / "metrics",
                args.n,
                args.rounds,
                args.seconds,
                args.clients,
                args.timeout,
                args.query_lines,
            )
        if "memory" in parts:
            _binary("knotd")
            (base / "memory").mkdir()
            result["memory"] = run_memory(base / "memory", args.memory_n)
        if "build" in parts:
            from bench_build import run_build  # noqa: PLC0415 - it imports this module

            (base / "build").mkdir()
            result["build"] = run_build(base / "build", args.build_n, args.build_rounds)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return result


def _print(result: dict[str, Any]) -> None:
    print(
        f"Python {result['python']}, {result['cores']} cores, "
        f"cid sources {result.get('cid_sources', '?')}"
    )
    if "qps" in result:
        q = result["qps"]
        print(
            f"\nqps: {q['descriptors']} descriptors ({q['zone_nodes']} nodes) + a delegated "
            f"region; dnsperf UDP+EDNS, {q['clients']} clients, median of {q['rounds']} "
            f"rounds of {q['seconds']} s; knot: {q['knot_udp_workers']} UDP worker, "
            f"cid serve: 1 process"
        )
        print(f"  mix lines: {q['mix_lines']}")
        print(
            f"  {'contender':<34} {'qps':>9} {'lost':>5} {'lat ms':>7} "
            f"{'srv us/q':>8} {'srv cpu':>7} {'dnsperf cpu':>11} {'other cpu':>9}"
        )
        for name, c in q["contenders"].items():
            print(
                f"  {name:<34} {c['qps']:>9,.0f} {c['lost']:>5} {c['latency_ms']:>7.2f} "
                f"{c['server_cpu_us_per_query']:>8.1f} {c['server_cpu_share']:>7.0%} "
                f"{c['client_cpu_share']:>11.0%} {c['other_cpu_share']:>9.0%}"
            )
        for label, ratio in q["ratio_cid_to_knot"].items():
            print(f"  ratio cid serve / knot ({label}): {ratio:.2f}")
        for server, t in q["target_run"].items():
            print(
                f"  asked for 0.6 x knot = {t['asked_qps']:,.0f} qps from {server}: got "
                f"{t['qps']:,.0f} qps, lost {t['lost']:,} of {t['sent']:,}"
            )
        print("  in-process (no sockets):")
        for name, v in q["in_process"].items():
            if not name.startswith("_"):
                print(f"    {name:<46} {v:>12,.4g}")
        for target, ok in q["targets"].items():
            print(f"  target {target}: {'met' if ok else 'NOT met'}")
    if "metrics" in result:
        m = result["metrics"]
        print(
            f"\nmetrics: cid serve as shipped, with --metrics (scraped every second), and with "
            f"a query log too; {m['descriptors']} descriptors, median of {m['rounds']} rounds "
            f"of {m['seconds']} s"
        )
        for name, c in m["contenders"].items():
            extra = (
                f", {c['query_log_dropped']:,.0f} log lines dropped"
                if "query_log_dropped" in c and "query-log" in name
                else ""
            )
            print(
                f"  {name:<24} {c['qps']:>9,.0f} qps ({c['qps_ratio_to_plain']:.3f} x plain) "
                f"{c['server_cpu_us_per_query']:>6.2f} us/q ({c['cpu_ratio_to_plain']:.3f} x) "
                f"lost {c['lost']}{extra}  rounds {c['qps_per_round']}"
            )
        print("  in-process UDP path (_Udp.drain: recvfrom, answer, sendto), CPU per query:")
        for name, d in m["in_process_drain"].items():
            print(f"    {name:<34} {d['cpu_us_per_query']:>6.2f} us ({d['ratio_to_no_tap']:.3f} x)")
    if "memory" in result:
        m = result["memory"]
        print(
            f"\nmemory: zone of {m['descriptors']:,} descriptors "
            f"({m['cid']['nodes']:,} nodes, zone file {m['cid'].get('zone_file_bytes', 0):,} B)"
        )
        for name, v in m["bytes_per_descriptor"].items():
            print(f"  {name:<32} {v:>9,.0f} B/descriptor  {m['ratio_to_knot'][name]:5.2f} x knot")
        for name, v in m["load_s"].items():
            print(f"  load time, {name}: {v:,.1f} s")
    if "build" in result:
        from bench_build import print_build  # noqa: PLC0415 - it imports this module

        print_build(result["build"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="descriptors served (qps part)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=5.0, help="length of one dnsperf run")
    ap.add_argument("--clients", type=int, default=4, help="dnsperf -c")
    ap.add_argument("--timeout", type=float, default=2.0, help="dnsperf -t: lost after this")
    ap.add_argument("--nx-lines", type=int, default=NX_UNIQUE_LINES, help=argparse.SUPPRESS)
    ap.add_argument("--query-lines", type=int, default=QUERY_LINES, help=argparse.SUPPRESS)
    ap.add_argument("--sample", type=int, default=2000, help=argparse.SUPPRESS)
    ap.add_argument("--memory-n", type=int, default=1_000_000)
    ap.add_argument("--build-n", type=int, default=100_000)
    ap.add_argument("--build-rounds", type=int, default=3)
    ap.add_argument(
        "--only", default="qps,memory,build", help="comma-separated parts (also: metrics)"
    )
    ap.add_argument("--dir", default=None, help="where registries are written (default: TMPDIR)")
    ap.add_argument(
        "--baseline",
        metavar="DIR",
        help="qps: also serve from the cid sources in DIR (git archive COMMIT | tar -x -C DIR), "
        "in the same rounds",
    )
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--_memory-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._memory_child:
        print(json.dumps(memory_child(int(args._memory_child[0]), args._memory_child[1])))
        return 0
    if args.quick:
        args.n, args.rounds, args.seconds, args.timeout = 100, 1, 1.0, 1.0
        args.memory_n, args.build_n, args.build_rounds, args.nx_lines = 300, 100, 1, 5000
        args.query_lines, args.sample = 2000, 50
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
