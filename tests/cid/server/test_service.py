"""``cid serve`` as a service: metrics, health, the query log, a quiet start,
and the systemd unit and Dockerfile that run it."""

from __future__ import annotations

import argparse
import datetime
import io
import json
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from dnsservers import free_port
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

import cid
from cid.atomic import write_atomic
from cid.cli._main import build_parser
from cid.layout import TYPE_DESCRIPTOR
from cid.registry._demo import DEMO_ROOT, write_demo
from cid.registry._entries import LivePolicy
from cid.registry._push import parse_tsig
from cid.registry._store import Registry
from cid.server import (
    Authority,
    MetricsServer,
    QueryLog,
    ServerThread,
    ServeStats,
    _querylog,
    _stats,
    parse_listen,
    registry_zones,
)

SERVE = [sys.executable, "-m", "cid", "serve"]


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def test_no_reload_at_start_on_an_untouched_registry(tmp_path: Path) -> None:
    """``cid demo serve`` writes the demo registry and serves it at once: its files
    are then younger than the watch's unsure window, which used to make the first
    check (2 s later) assemble every zone again, "a file changed", for nothing."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cid",
            "demo",
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--path",
            str(tmp_path / "registry"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert f"port {port}" in line
    time.sleep(5.0)  # two checks at the demo's 2 s interval
    _, err = _stop(proc)
    assert "serving" in err
    assert "reloaded" not in err, err


# ------------------------------------------------------------------ metrics, health, query log

ZONE = "acme.hpc.ucid.example"
GH = cid.parse(
    "ucid:acme.hpc/de-by/neoverse-v2+sm90/acc=4;acc-model=gh200;acc-mem=96GiB;ic=nvlink4;mem=480GiB"
).to_dns_name(DEMO_ROOT)
IDENT = "ucid:acme.hpc/de-by/x86-64-v4/cpu=8"
EP = cid.Endpoint("tcp", "https", "h8.acme.example", 443, alpn=("h2",), weight=5)
LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<client>127\.0\.0\.1#\d+) "
    r"(?P<qname>\S+) (?P<qtype>\S+) (?P<rcode>[A-Z]+) (?P<size>\d+) (?P<transport>udp|tcp)$"
)


def http_get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``: (name, sorted labels) -> value."""
    status, text = http_get(port, "/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def queries(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> dict[str, float]:
    return {
        "{transport} {qtype} {rcode}".format(**dict(labels)): value
        for (name, labels), value in samples.items()
        if name == "cid_serve_queries_total"
    }


def ask(port: int, name: str, rdtype: object, *, tcp: bool = False) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)  # type: ignore[arg-type]
    send = dns.query.tcp if tcp else dns.query.udp
    return send(q, "127.0.0.1", port=port, timeout=3)


@pytest.fixture
def live_registry(tmp_path: Path) -> Registry:
    """The demo, with acme.hpc open to live registration by TSIG."""
    reg = write_demo(tmp_path / "registry", now=int(time.time()))
    reg.enable_live(ZONE, LivePolicy(max_lease=3600), new_tsig=["agent1"])
    reg.build(now=int(time.time()))
    return reg


def test_metrics_and_query_log_of_a_running_server(live_registry: Registry, tmp_path: Path) -> None:
    port, metrics = free_port(), free_port()
    query_log = tmp_path / "queries.log"
    started = time.time()
    proc = subprocess.Popen(
        [
            *SERVE,
            str(live_registry.path),
            "--listen",
            f"127.0.0.1:{port}",
            "--metrics",
            f"127.0.0.1:{metrics}",
            "--query-log",
            str(query_log),
            "--reload-interval",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert f"port {port}" in proc.stdout.readline()
        # A live registration and its removal, by TSIG.
        key = parse_tsig((live_registry.path / "zones" / ZONE / "tsig" / "agent1.key").read_text())
        cid.register(("127.0.0.1", port), IDENT, [EP], root=DEMO_ROOT, lease=600, tsig=key)
        before = scrape(metrics)
        assert before[("cid_serve_live_entries", (("zone", f"{ZONE}."),))] == 1
        cid.deregister(("127.0.0.1", port), IDENT, root=DEMO_ROOT, tsig=key)
        before = scrape(metrics)
        assert (
            before[("cid_serve_updates_total", (("action", "register"), ("rcode", "NOERROR")))] == 1
        )
        assert (
            before[("cid_serve_updates_total", (("action", "remove"), ("rcode", "NOERROR")))] == 1
        )

        # Queries of each kind: answered, from the cache, negative, refused; UDP and TCP.
        for _ in range(3):
            assert ask(port, "east.ucid.example.", "SOA").rcode() == dns.rcode.NOERROR
        assert ask(port, "nope.ucid.example.", "TXT").rcode() == dns.rcode.NXDOMAIN
        assert ask(port, GH, TYPE_DESCRIPTOR).answer
        assert ask(port, GH, "SVCB", tcp=True).answer
        assert ask(port, "example.com.", "A", tcp=True).rcode() == dns.rcode.REFUSED
        after = scrape(metrics)
        added = {
            k: v - queries(before).get(k, 0)
            for k, v in queries(after).items()
            if v != queries(before).get(k, 0)
        }
        assert added == {
            "udp SOA NOERROR": 3,
            "udp TXT NXDOMAIN": 1,
            "udp TYPE65280 NOERROR": 1,
            "tcp SVCB NOERROR": 1,
            "tcp A REFUSED": 1,
        }
        hits = ("cid_serve_answer_cache_hits_total", ())
        misses = ("cid_serve_answer_cache_misses_total", ())
        assert after[hits] - before[hits] == 2  # the second and third SOA
        assert after[misses] - before[misses] == 3  # SOA, TYPE65280, SVCB; not NXDOMAIN
        assert after[("cid_serve_up", ())] == 1
        assert after[("cid_serve_zones", ())] == 8

        # Each zone's serial, as served.
        serials = {
            dict(labels)["zone"]: value
            for (name, labels), value in after.items()
            if name == "cid_serve_zone_serial"
        }
        assert len(serials) == 8
        for zone, serial in serials.items():
            assert ask(port, zone, "SOA").answer[0][0].serial == serial

        # Load time and reloads: an edit is one reload, with its reason.
        load = after[("cid_serve_load_seconds", ())]
        assert 0 < load < 60
        assert started <= after[("cid_serve_last_load_timestamp_seconds", ())] <= time.time()
        reload = ("cid_serve_reloads_total", (("reason", "file_changed"),))
        assert after[reload] == 0
        anchor = live_registry.path / "anchor.json"
        write_atomic(anchor, anchor.read_bytes())  # a new file by rename: its folder changed
        deadline = time.monotonic() + 10
        while scrape(metrics)[reload] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        final = scrape(metrics)
        assert final[reload] == 1
        assert final[("cid_serve_reload_failures_total", ())] == 0
        assert (
            final[("cid_serve_last_load_timestamp_seconds", ())]
            > after[("cid_serve_last_load_timestamp_seconds", ())]
        )

        status, body = http_get(metrics, "/healthz")
        assert (status, body) == (
            200,
            f"ok: 8 zone(s) served on 127.0.0.1 port {port} (udp, tcp)\n",
        )
        assert http_get(metrics, "/nothing")[0] == 404
    finally:
        _, err = _stop(proc)
    assert "Traceback" not in err, err

    lines = query_log.read_text().splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    seen = [(m["qname"], m["qtype"], m["rcode"], m["transport"]) for m in parsed if m]
    for want in [
        ("east.ucid.example.", "SOA", "NOERROR", "udp"),
        ("nope.ucid.example.", "TXT", "NXDOMAIN", "udp"),
        (GH, "TYPE65280", "NOERROR", "udp"),
        (GH, "SVCB", "NOERROR", "tcp"),
        ("example.com.", "A", "REFUSED", "tcp"),
    ]:
        assert want in seen, (want, lines)
    assert seen.count(("east.ucid.example.", "SOA", "NOERROR", "udp")) == 3 + 1  # + the serials

    nx = next(m for m in parsed if m and m["qname"] == "nope.ucid.example.")
    assert int(nx["size"]) > 12 and started - 1 <= _epoch(nx["time"]) <= time.time()
    # The health check's own queries (the first zone's SOA, UDP then TCP) are logged too.
    assert ("ucid.example.", "SOA", "NOERROR", "tcp") in seen
    # One line per query: as many as the metrics counted, and the health check's two since.
    assert len(lines) == sum(queries(final).values()) + 2


def _epoch(stamp: str) -> float:
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_query_log_to_standard_error(tmp_path: Path) -> None:
    demo = write_demo(tmp_path / "registry", now=int(time.time()))
    port = free_port()
    proc = subprocess.Popen(
        [*SERVE, str(demo.path), "--listen", f"127.0.0.1:{port}", "--query-log", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert f"port {port}" in proc.stdout.readline()
    ask(port, "hpc.ucid.example.", "NS")
    time.sleep(0.5)
    _, err = _stop(proc)
    assert any(
        (m := LINE.match(line)) and m["qname"] == "hpc.ucid.example." and m["qtype"] == "NS"
        for line in err.splitlines()
    ), err


def test_healthz_says_why_it_is_unhealthy(tmp_path: Path) -> None:
    now = int(time.time())
    demo = write_demo(tmp_path / "registry", now=now)
    authority = Authority(registry_zones(demo.path, now))
    stats = ServeStats()
    with MetricsServer(stats, "127.0.0.1", 0) as http:
        port = http.bound[1]
        assert http_get(port, "/healthz") == (503, "loading zones\n")
        assert scrape(port)[("cid_serve_up", ())] == 0
        dead = free_port()  # nothing listens there
        stats.serving(authority, [("127.0.0.1", dead)], None, 0.5)
        status, body = http_get(port, "/healthz")
        assert status == 503
        assert body.startswith(f"no answer over udp from 127.0.0.1 port {dead}: ")
        with ServerThread(authority) as server:
            stats.serving(authority, server.bound, None, 0.5)
            assert http_get(port, "/healthz")[0] == 200
            stats.serving(Authority(), server.bound, None, 0.5)
            assert http_get(port, "/healthz") == (503, "no zone loaded\n")
            stats.serving(authority, server.bound, None, 0.5)
            stats.stopping()
            assert http_get(port, "/healthz") == (503, "stopping\n")
        assert scrape(port)[("cid_serve_up", ())] == 0


def test_metrics_address_in_use_is_an_error_before_serving(tmp_path: Path) -> None:
    demo = write_demo(tmp_path / "registry", now=int(time.time()))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        done = subprocess.run(
            [
                *SERVE,
                str(demo.path),
                "--listen",
                f"127.0.0.1:{free_port()}",
                "--metrics",
                f"127.0.0.1:{busy}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode != 0
    assert f"metrics on 127.0.0.1 port {busy}: Address already in use" in done.stderr
    assert "serving" not in done.stdout


def _query(name: bytes, qtype: int, *, edns: bool = False) -> bytes:
    head = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00" + (b"\x00\x01" if edns else b"\x00\x00")
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00" if edns else b""
    return head + name + qtype.to_bytes(2) + b"\x00\x01" + opt


def test_the_tap_counts_by_type_and_rcode_from_the_wire() -> None:
    stats = ServeStats()
    name = b"\x03www\x07example\x00"
    noerror, nxdomain = b"\x12\x34\x84\x00", b"\x12\x34\x84\x03"
    stats.udp(_query(name, 65280), noerror, ("127.0.0.1", 1))
    stats.udp(_query(name, 65280, edns=True), noerror + b"\x00" * 8, ("127.0.0.1", 1))
    stats.udp(_query(name, 64), nxdomain + b"\x00" * 8, ("127.0.0.1", 1))
    stats.tcp(_query(name, 1), b"\x12\x34\x80\x05", ("127.0.0.1", 1))
    stats.tcp(_query(name, 4242), b"\x12\x34\x80\x05", ("127.0.0.1", 1))  # no label of its own
    stats.udp(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00", b"\x12\x34\x80\x01", None)
    assert stats.queries() == {
        ("udp", "TYPE65280", "NOERROR"): 2,
        ("udp", "SVCB", "NXDOMAIN"): 1,
        ("udp", "other", "FORMERR"): 1,  # too short to hold a type
        ("tcp", "A", "REFUSED"): 1,
        ("tcp", "other", "REFUSED"): 1,
    }
    # A flood of distinct types keeps a bounded number of counts, and loses none.
    flood = ServeStats()
    for qtype in range(5000):
        flood.udp(_query(name, qtype), noerror, None)
    assert len(flood.udp_counts) <= _stats._MAX_KEYS + 1
    assert sum(flood.queries().values()) == 5000


class _Blocked(io.StringIO):
    """A sink that blocks until released: a pipe its reader stopped draining."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.release.wait(10)
        return super().write(text)


def test_query_log_never_waits_drops_and_counts_when_full() -> None:
    sink = _Blocked()
    qlog = QueryLog("test", capacity=5, stream=sink)
    query, response = _query(b"\x01a\x00", 1), b"\x12\x34\x84\x00"
    start = time.perf_counter()
    for _ in range(100):
        qlog.put(time.time(), ("127.0.0.1", 53), query, response, "udp")
    assert time.perf_counter() - start < 0.5  # never waited for the sink
    assert qlog.dropped >= 100 - 5 - 1000  # all but what the queue (and one batch) took
    assert qlog.dropped >= 90
    sink.release.set()
    assert qlog.stop(timeout=5)
    assert qlog.written + qlog.dropped == 100
    assert len(sink.getvalue().splitlines()) == qlog.written


# ------------------------------------------------------------------ the unit and the container

REPO = Path(__file__).resolve().parents[3]
UNIT = REPO / "contrib" / "systemd" / "cid-serve.service"
DOCKERFILE = REPO / "Dockerfile"


def unit_settings(text: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file: section -> key -> every value given (keys may repeat)."""
    out: dict[str, dict[str, list[str]]] = {}
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = out.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert section is not None and sep, f"not a setting: {raw!r}"
        section.setdefault(key.strip(), []).append(value.strip())
    return out


def cid_args(argv: list[str]) -> argparse.Namespace:
    """``argv`` (after ``cid``) as the ``cid`` command reads it: bad flags fail here."""
    return build_parser().parse_args(argv)


def test_systemd_unit_runs_cid_serve_sandboxed() -> None:
    unit = unit_settings(UNIT.read_text())
    service = unit["Service"]
    env = dict(e.split("=", 1) for e in service.get("Environment", []))
    (exec_start,) = service["ExecStart"]
    argv = [env.get(a[2:-1], a) if a.startswith("${") else a for a in shlex.split(exec_start)]
    assert Path(argv[0]).name == "cid"
    args = cid_args(argv[1:])
    assert args.run.__name__ == "_cmd_serve"
    assert {parse_listen(a)[1] for a in args.listen} == {53}
    assert parse_listen(args.metrics)[0] == "127.0.0.1"
    # Not root: a user of its own (or a dynamic one), port 53 by one capability alone.
    assert service.get("DynamicUser") == ["yes"] or service["User"][0] not in ("root", "0")
    assert service["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]
    assert service["CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]
    assert service["NoNewPrivileges"] == ["yes"]
    # Everything read-only but the registry, which it writes (live registrations).
    assert service["ProtectSystem"] == ["strict"]
    assert args.registry in service["ReadWritePaths"][0].split()
    assert service["Restart"] == ["on-failure"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    # systemd-analyze checks that ExecStart's program exists: point it at this one.
    cid_bin = Path(sys.executable).with_name("cid")
    text = UNIT.read_text().replace("/usr/local/bin/cid", str(cid_bin))
    unit = tmp_path / "cid-serve.service"
    unit.write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown" not in done.stderr and "Ignoring" not in done.stderr, done.stderr


def dockerfile(text: str) -> list[tuple[str, str]]:
    """A Dockerfile's instructions in order: (INSTRUCTION, arguments), continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "a continued instruction runs off the end"
    return out


def test_dockerfile_builds_the_server_image() -> None:
    steps = dockerfile(DOCKERFILE.read_text())
    kinds = [k for k, _ in steps]
    assert set(kinds) <= {
        "FROM", "ENV", "WORKDIR", "COPY", "RUN", "VOLUME", "USER", "EXPOSE",
        "HEALTHCHECK", "STOPSIGNAL", "ENTRYPOINT", "CMD", "LABEL", "ARG",
    }  # fmt: skip
    assert steps[0] == ("FROM", "python:3.12-slim")
    assert kinds.count("FROM") == 1
    # Every file it copies is in the repository, and what pip needs is copied.
    copied = set()
    for kind, rest in steps:
        if kind == "COPY":
            *sources, _ = rest.split()
            for source in sources:
                assert (REPO / source).exists(), source
                copied.add(source)
    assert {"pyproject.toml", "README.md", "cid", "resolver", "conformance", "spec"} <= copied
    assert any(k == "RUN" and "pip install ." in r for k, r in steps)
    assert ("VOLUME", "/registry") in steps
    exposed = {p for k, r in steps if k == "EXPOSE" for p in r.split()}
    assert {"53/udp", "53/tcp"} <= exposed
    # Runs as a user made for it, never root, from before the server starts.
    user = [r for k, r in steps if k == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert any(k == "RUN" and "useradd" in r and user[-1] in r for k, r in steps)
    assert kinds.index("USER") < kinds.index("ENTRYPOINT")
    # ENTRYPOINT and CMD (JSON form: signals reach the server) make a valid cid command line.
    entrypoint = json.loads(next(r for k, r in steps if k == "ENTRYPOINT"))
    cmd = json.loads(next(r for k, r in steps if k == "CMD"))
    assert entrypoint[0] == "cid"
    args = cid_args(entrypoint[1:] + cmd)
    assert args.run.__name__ == "_cmd_serve" and args.registry == "/registry"
    assert {parse_listen(a)[1] for a in args.listen} == {53}
    metrics_port = parse_listen(args.metrics)[1]
    assert f"{metrics_port}/tcp" in exposed
    # The health check asks /healthz on that port.
    check = next(r for k, r in steps if k == "HEALTHCHECK")
    assert f"http://127.0.0.1:{metrics_port}/healthz" in check
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv"} <= set(ignored)


def test_dockerfile_health_check_command(tmp_path: Path) -> None:
    """The HEALTHCHECK's command itself: exit 0 on 200, not on 503 or no answer."""
    steps = dockerfile(DOCKERFILE.read_text())
    check = next(r for k, r in steps if k == "HEALTHCHECK")
    argv = json.loads(check[check.index("CMD") + 3 :])
    now = int(time.time())
    demo = write_demo(tmp_path / "registry", now=now)
    authority = Authority(registry_zones(demo.path, now))
    stats = ServeStats()

    def run(port: int) -> int:
        command = [a.replace(":9553/", f":{port}/") for a in argv]
        assert command[0] == "python"
        command[0] = sys.executable
        return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode

    with MetricsServer(stats, "127.0.0.1", 0) as http, ServerThread(authority) as server:
        port = http.bound[1]
        assert run(port) != 0  # loading: 503
        stats.serving(authority, server.bound, None, 0.1)
        assert run(port) == 0
    assert run(port) != 0  # nothing listens any more


@given(
    st.lists(st.binary(min_size=1, max_size=20), max_size=6),
    st.integers(0, 65535),
)
def test_query_log_names_as_dnspython_prints_them(labels: list[bytes], qtype: int) -> None:
    name = dns.name.Name([*labels, b""])
    owner = name.to_wire()
    assert owner is not None
    wire = _query(owner, qtype)
    assert _querylog._question(wire) == (
        name.to_text(),
        dns.rdatatype.to_text(dns.rdatatype.RdataType(qtype)),
    )
    assert "\n" not in _querylog.format_line(time.time(), ("::1", 53), wire, wire, "udp")
