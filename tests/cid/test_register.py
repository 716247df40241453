"""Live endpoints (spec/resolution.md §8.8) against a real ``cid serve`` process: register,
renew and remove over DNS UPDATE, leases that lapse, refusals, and registrations that
outlive a restart and a kill -9."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.tsig
import dns.update
import pytest
from dnsservers import free_port, require_binary

import cid
from cid._svcb import endpoint_svcb
from cid._svcb import record_rdata as _generic
from cid.cli._main import main
from cid.layout import TYPE_DELEGATION, TYPE_DESCRIPTOR
from cid.registry._demo import DEMO_ROOT, demo_key, write_demo
from cid.registry._entries import LivePolicy, Registration, entry_bytes
from cid.registry._push import parse_tsig
from cid.registry._store import Registry
from cid.server._live import LiveUpdates
from cid.server._serve import DnsServer

ZONE = "acme.hpc.ucid.example"
IDENT = "ucid:acme.hpc/de-by/x86-64-v4/cpu=8"
NAME = cid.parse(IDENT).to_dns_name(DEMO_ROOT)
AGENT = cid.SigningKey.from_seed(b"agent-of-acme-hpc-for-tests-0001")
EP = cid.Endpoint("tcp", "https", "h8.acme.example", 443, alpn=("h2",), weight=5)
EP2 = cid.Endpoint("quic", "https", "2001:db8::8", 4433, alpn=("h3",))


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """The demo, with acme.hpc open to live registration: a TSIG key and an agent key."""
    reg = write_demo(tmp_path / "registry", now=int(time.time()))
    reg.enable_live(
        ZONE, LivePolicy(max_lease=3600), new_tsig=["agent1"], agent_keys=[AGENT.verify_key]
    )
    reg.build(now=int(time.time()))  # the parent's delegation now lists the agent key
    return reg


def tsig_file(reg: Registry) -> Path:
    return reg.path / "zones" / ZONE / "tsig" / "agent1.key"


def tsig_key(reg: Registry) -> dns.tsig.Key:
    return parse_tsig(tsig_file(reg).read_text().strip())


SERVE = [sys.executable, "-m", "cid", "serve", "--reload-interval", "0.2"]


class Server:
    """``cid serve`` as a child process on a loopback port, restartable on the same port."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.logs: list[str] = []
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [*SERVE, str(self.path), "--listen", f"127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once listening
        assert f"port {self.port}" in line, proc.stderr.read() if proc.stderr else ""
        return proc

    def stop(self, sig: int = signal.SIGTERM) -> str:
        self.proc.send_signal(sig)
        self.proc.wait(10)
        assert self.proc.stderr is not None
        log = self.proc.stderr.read()
        self.logs.append(log)
        return log

    def restart(self) -> None:
        self.proc = self._start()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


@pytest.fixture
def server(registry: Registry) -> Iterator[Server]:
    srv = Server(registry.path)
    yield srv
    if srv.proc.poll() is None:
        srv.proc.kill()
        srv.proc.wait(5)


def ask(srv: Server, name: str, rdtype: object, *, tcp: bool = True) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)  # type: ignore[arg-type]
    send = dns.query.tcp if tcp else dns.query.udp
    return send(q, "127.0.0.1", port=srv.port, timeout=3)


def served(srv: Server, name: str = NAME) -> cid.Descriptor | None:
    """The descriptor served at ``name``, verified with the zone's keys, or None."""
    r = ask(srv, name, TYPE_DESCRIPTOR)
    if r.rcode() == dns.rcode.NXDOMAIN:
        return None
    keys = [demo_key(ZONE).verify_key, AGENT.verify_key]
    return cid.verify(r.answer[0][0].data, keys, now=int(time.time()), issuer=ZONE)


def svcb(srv: Server, name: str = NAME) -> set[str]:
    return {rr.to_text() for rrset in ask(srv, name, "SVCB").answer for rr in rrset}


def cli(*args: str) -> int:
    return main(list(args))


def test_register_renew_remove_with_tsig(
    server: Server, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    at = f"127.0.0.1:{server.port}"
    creds = ["--server", at, "--tsig-file", str(tsig_file(registry))]
    url = "https://h8.acme.example:443?alpn=h2&weight=5"
    assert cli("register", "add", IDENT, *creds, "--endpoint", url, "--lease", "10m") == 0
    assert f"registered {IDENT} in {ZONE}: lease 600 s" in capsys.readouterr().out
    first = served(server)  # answered at once: the ack comes after the swap
    assert first is not None and first.endpoints == (EP,) and first.issuer == ZONE
    assert svcb(server) == {'1 h8.acme.example. alpn="h2" port="443"'}
    assert ask(server, NAME, "TXT").answer  # the fallback copy too
    enum = ask(server, f"__enum._de-by.{ZONE}.", "PTR")
    assert f"_x86-64-v4._de-by.{ZONE}." in {r.target.to_text() for r in enum.answer[0]}
    # cid zone export shows what is served
    assert cli("zone", "export", str(registry.path), "--zone", ZONE) == 0
    assert 'IN SVCB 1 h8.acme.example. alpn="h2" port="443"' in capsys.readouterr().out

    quic = "quic+https://[2001:db8::8]:4433?alpn=h3"
    assert cli("register", "renew", IDENT, *creds, "--endpoint", quic, "--udp") == 0
    renewed = served(server)
    assert renewed is not None and renewed.endpoints == (EP2,)
    assert renewed.version > first.version
    assert svcb(server) == set()  # an address has no SVCB mirror (spec §3.5)

    assert cli("register", "remove", IDENT, *creds) == 0
    assert served(server) is None
    assert ask(server, f"__enum._de-by.{ZONE}.", "PTR").answer[0].to_text().count("x86-64-v4") == 0
    log = server.stop()
    assert "registered by tsig agent1." in log and "renewed by tsig agent1." in log
    assert "removed by tsig agent1." in log and "Traceback" not in log


def test_register_a_signed_descriptor_and_withdraw_it(server: Server, registry: Registry) -> None:
    lease = cid.register(
        server.address, IDENT, [EP], root=DEMO_ROOT, lease=120, signing_key=AGENT, tcp=False
    )
    assert (lease.zone, lease.name) == (ZONE, NAME)
    # The server grants what is left of the signed record's validity at its own clock:
    # 120 s, or 119 when a second boundary falls between signing and receipt.
    assert lease.lease in (119, 120)
    record = served(server)
    assert record is not None and record.expires == lease.expires
    # A resolver accepts it: the parent's delegation lists the agent's key.
    deleg = ask(server, f"acme.__deleg.hpc.{DEMO_ROOT}.", TYPE_DELEGATION).answer[0][0].data
    parent = demo_key(f"hpc.{DEMO_ROOT}").verify_key
    keys = cid.verify_delegation(deleg, [parent], now=int(time.time())).keys
    assert AGENT.verify_key in keys

    # The registration as anyone can copy it from DNS, to replay later.
    published = ask(server, NAME, TYPE_DESCRIPTOR).answer[0][0].data
    update = dns.update.UpdateMessage(ZONE)
    update.add(NAME, 60, _generic(TYPE_DESCRIPTOR, published))
    cid.deregister(server.address, IDENT, root=DEMO_ROOT, signing_key=AGENT)
    assert served(server) is None
    replay = dns.query.tcp(update, "127.0.0.1", port=server.port, timeout=3)
    assert replay.rcode() == dns.rcode.REFUSED  # a withdrawn descriptor stays withdrawn
    assert served(server) is None


def test_a_lapsed_lease_leaves_the_answers(server: Server, registry: Registry) -> None:
    cid.register(server.address, IDENT, [EP], root=DEMO_ROOT, lease=2, tsig=tsig_key(registry))
    r = ask(server, NAME, "SVCB")
    assert r.answer and r.answer[0].ttl <= 2  # no cache keeps it past the lease
    live = registry.path / "zones" / ZONE / "live"
    assert len(list(live.glob("*.json"))) == 1
    deadline = time.monotonic() + 10
    while served(server) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert served(server) is None
    assert time.monotonic() < deadline - 6  # promptly: a timer, not the hourly re-assembly
    assert ask(server, f"__enum._de-by.{ZONE}.", "PTR").answer[0].to_text().count("x86") == 0
    time.sleep(0.3)
    assert not list(live.glob("*.json"))  # the lapsed file is gone
    assert "lease lapsed" in server.stop()


@pytest.mark.parametrize("tcp", [True, False], ids=["tcp", "udp"])
def test_refusals(server: Server, registry: Registry, tcp: bool) -> None:
    good = tsig_key(registry)
    stranger = cid.SigningKey.from_seed(b"s" * 32)
    sugon = "ucid:sugon.hpc/cn-tj/x86-64-v4"
    cases: list[tuple[str, dict[str, Any], int]] = [
        (IDENT, {"tsig": dns.tsig.Key(good.name, "d3Jvbmd3cm9uZ3dyb25n")}, dns.rcode.NOTAUTH),
        (IDENT, {"tsig": dns.tsig.Key("nobody.", good.secret)}, dns.rcode.NOTAUTH),
        (IDENT, {"signing_key": stranger}, dns.rcode.NOTAUTH),
        (IDENT, {"tsig": good, "zone": "example.org"}, dns.rcode.NOTAUTH),
        (IDENT, {"tsig": good, "zone": f"hpc.{DEMO_ROOT}"}, dns.rcode.REFUSED),  # not live
        (sugon, {"tsig": good, "zone": ZONE}, dns.rcode.NOTZONE),
    ]
    for ident, how, rcode in cases:
        with pytest.raises(cid.RegisterRefused) as caught:
            cid.register(server.address, ident, [EP], root=DEMO_ROOT, tcp=tcp, **how)
        assert caught.value.rcode == rcode, (how, caught.value)
    # No credential at all: the UPDATE a plain client sends.
    bare = dns.update.UpdateMessage(ZONE)
    bare.add(NAME, 60, endpoint_svcb(EP))
    send = dns.query.tcp if tcp else dns.query.udp
    assert send(bare, "127.0.0.1", port=server.port, timeout=3).rcode() == dns.rcode.REFUSED
    assert served(server) is None
    log = server.stop()
    for word in ("NOTAUTH", "NOTZONE", "REFUSED", "bad MAC", "unknown", "no live registrations"):
        assert word in log, word
    assert "Traceback" not in log


@pytest.mark.realdns
@pytest.mark.parametrize("tool", ["nsupdate", "knsupdate"])
def test_standard_update_clients(server: Server, registry: Registry, tool: str) -> None:
    """BIND's and Knot's UPDATE clients register and remove, TSIG checked both ways."""
    binary = require_binary(tool)
    key = tsig_file(registry).read_text().strip()
    head = f"server 127.0.0.1 {server.port}\nzone {ZONE}\nupdate delete {NAME}\n"

    def run(script: str, secret: str = key) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [binary, "-y", secret], input=script + "send\n", text=True,
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip

    add = f"update add {NAME} 600 SVCB 1 h8.acme.example. alpn=h2 port=443 key65282=\\000\\005\n"
    done = run(head + add)
    assert done.returncode == 0, done.stderr
    record = served(server)  # no Update Lease option: the zone's default lease
    assert record is not None and record.endpoints == (EP,)
    assert record.expires - record.issued_at == 3600
    bad = run(head + add, "hmac-sha256:agent1.:d3Jvbmd3cm9uZw==")
    assert bad.returncode != 0 and "BADSIG" in bad.stdout + bad.stderr
    assert run(head).returncode == 0
    assert served(server) is None


def test_cli_exit_status_when_refused(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["register", "add", IDENT, "--server", f"127.0.0.1:{server.port}"]
    assert cli(*args, "--tsig", "agent1:d3Jvbmd3cm9uZw==", "--endpoint", "https://h:1") == 77
    assert "refused" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # usage: a credential is needed
        cli(*args, "--endpoint", "https://h:1")
    with pytest.raises(SystemExit):
        cli(*args, "--tsig", "a:b", "--endpoint", "https://h")  # no port
    dead = ["register", "remove", IDENT, "--server", f"127.0.0.1:{free_port()}", "--timeout", "0.5"]
    assert cli(*dead, "--tsig", "agent1:d3Jvbmd3cm9uZw==", "--zone", ZONE) == 69


def test_acknowledged_registrations_survive_kill_9_and_restart(
    server: Server, registry: Registry
) -> None:
    key = tsig_key(registry)
    other = "ucid:acme.hpc/de-by/x86-64-v4/cpu=16"
    cid.register(server.address, IDENT, [EP], root=DEMO_ROOT, lease=600, tsig=key)
    cid.register(server.address, other, [EP2], root=DEMO_ROOT, lease=600, signing_key=AGENT)
    server.stop(signal.SIGKILL)  # right after the acknowledgements
    server.restart()
    assert served(server) is not None
    kept = served(server, cid.parse(other).to_dns_name(DEMO_ROOT))
    assert kept is not None and kept.endpoints == (EP2,)
    cid.deregister(server.address, other, root=DEMO_ROOT, tsig=key)
    server.stop()  # a clean stop and start keep the state too
    server.restart()
    assert served(server) is not None
    assert served(server, cid.parse(other).to_dns_name(DEMO_ROOT)) is None


def test_leases_that_lapse_while_the_server_is_down(server: Server, registry: Registry) -> None:
    cid.register(server.address, IDENT, [EP], root=DEMO_ROOT, lease=1, tsig=tsig_key(registry))
    server.stop(signal.SIGKILL)
    time.sleep(1.5)
    server.restart()
    assert served(server) is None
    assert not list((registry.path / "zones" / ZONE / "live").glob("*.json"))
    assert "lease lapsed" in server.stop()


def test_zone_live_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = write_demo(tmp_path / "reg", now=int(time.time()))
    pub = tmp_path / "agent.pub"
    AGENT.verify_key.save(pub)
    args = ["zone", "live", str(reg.path), "--zone", ZONE, "--tsig-key", "a1.acme"]
    assert cli(*args, "--agent-key", str(pub), "--max-lease", "2h") == 0
    out = capsys.readouterr().out
    assert "tsig/a1.acme.key" in out and "cid zone build" in out
    loaded = Registry.load(reg.path)
    live = loaded.zones[ZONE].live
    assert live is not None and live.tsig_keys == ("a1.acme",) and live.max_lease == 7200
    assert AGENT.verify_key in loaded.verify_keys(ZONE)
    assert loaded.verify_keys(ZONE)[0] == demo_key(ZONE).verify_key  # the zone key still signs
    key_file = reg.path / "zones" / ZONE / "tsig" / "a1.acme.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [k.name.to_text() for k in loaded.tsig_keys(ZONE)] == ["a1.acme."]
    assert cli(*args) == 65  # a TSIG key is never overwritten
    assert cli("zone", "check", str(reg.path)) == 0


def test_registry_reports_damaged_and_shadowed_live_files(registry: Registry) -> None:
    now = int(time.time())
    live = registry.path / "zones" / ZONE / "live"
    live.mkdir(exist_ok=True)
    (live / "_cpu_8._x86-64-v4._de-by.acme.hpc.json").write_text("{}")
    gh = next((registry.path / "zones" / ZONE / "descriptors").glob("*neoverse*.cose"))
    subject = cid.verify(gh.read_bytes(), registry.verify_keys(ZONE), now=now).subject
    record = cid.Descriptor(ZONE, subject, 99, now, now, now + 60, (EP,))
    twin = live / gh.name.replace(".cose", ".json")
    twin.write_bytes(entry_bytes(Registration(cid.sign(record, AGENT), record, "x")))
    problems = [str(p) for p in registry.check(now=now)]
    assert any("_cpu_8" in p and "not a live entry" in p for p in problems), problems
    assert any(gh.stem in p and "in descriptors/ too" in p for p in problems), problems
    zone, _ = registry.assemble(ZONE, now=now)
    node = zone.get_node(dns.name.from_text(cid.parse(subject).to_dns_name(DEMO_ROOT)))
    assert node is not None
    rds = node.get_rdataset(dns.rdataclass.IN, TYPE_DESCRIPTOR)
    assert rds is not None and rds[0].data == gh.read_bytes()  # the file wins


def test_unknown_zone_settings_are_rejected(registry: Registry) -> None:
    path = registry.path / "zones" / ZONE / "zone.json"
    path.write_text(path.read_text().replace('"max_lease"', '"max_leese"'))
    with pytest.raises(cid.CidError, match="max_leese"):
        Registry.load(registry.path)


@pytest.fixture
def in_process(registry: Registry) -> Iterator[tuple[str, int]]:
    """The server of ``cid serve`` (live registration included) on a thread of this process."""
    loop = asyncio.new_event_loop()
    live = LiveUpdates(registry.path, now=int(time.time()))
    server = DnsServer(live.authority, [("127.0.0.1", 0)], live)
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield server.bound[0]
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


@pytest.mark.parametrize("tcp", [True, False], ids=["tcp", "udp"])
def test_refusals_say_why(in_process: tuple[str, int], registry: Registry, tcp: bool) -> None:
    """The server's reason travels in the response as an Extended DNS Error (RFC 8914):
    RegisterRefused says which check failed."""
    good = tsig_key(registry)
    stranger = cid.SigningKey.from_seed(b"s" * 32)
    late = int(time.time()) - 1000
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (IDENT, {"tsig": dns.tsig.Key(good.name, "d3Jvbmd3cm9uZ3dyb25n")}, dns.rcode.NOTAUTH,
         "bad MAC"),
        (IDENT, {"tsig": dns.tsig.Key("nobody.", good.secret)}, dns.rcode.NOTAUTH,
         "TSIG key nobody. (hmac-sha256.) unknown"),
        (IDENT, {"signing_key": stranger}, dns.rcode.NOTAUTH, "UnknownKeyError"),
        (IDENT, {"tsig": good, "zone": "example.org"}, dns.rcode.NOTAUTH,
         "not a zone served here"),
        (IDENT, {"tsig": good, "zone": f"hpc.{DEMO_ROOT}"}, dns.rcode.REFUSED,
         "the zone takes no live registrations"),
        ("ucid:sugon.hpc/cn-tj/x86-64-v4", {"tsig": good, "zone": ZONE}, dns.rcode.NOTZONE,
         "is outside the zone"),
        (IDENT, {"signing_key": AGENT, "now": late, "lease": 3600}, dns.rcode.REFUSED,
         "sign afresh"),
    ]  # fmt: skip
    for ident, how, rcode, why in cases:
        with pytest.raises(cid.RegisterRefused) as caught:
            cid.register(in_process, ident, [EP], root=DEMO_ROOT, tcp=tcp, **how)
        assert caught.value.rcode == rcode, (how, caught.value)
        assert why in str(caught.value), (how, caught.value)
    # Times in the reason are ISO 8601.
    assert re.search(r"issued at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(caught.value))
    # Accepted registrations are unchanged: a lease, no reason.
    lease = cid.register(in_process, IDENT, [EP], root=DEMO_ROOT, tcp=tcp, tsig=good)
    assert lease.lease == 3600


def test_cli_shows_why(
    in_process: tuple[str, int], registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    host, port = in_process
    argv = ["register", "add", IDENT, "--server", f"{host}:{port}", "--endpoint", "https://h:1"]
    assert cli(*argv, "--tsig", "agent1:d3Jvbmd3cm9uZw==") == 77
    err = capsys.readouterr().err
    assert "NOTAUTH" in err or "refused the TSIG" in err
    assert "TSIG agent1.: bad MAC" in err, err
    assert cli(*argv, "--tsig-file", str(tsig_file(registry)), "--zone", "hpc.ucid.example") == 77
    assert "REFUSED: the zone takes no live registrations" in capsys.readouterr().err
