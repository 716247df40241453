"""Publishing statuses (spec/status.md §8) at a running ``cid serve``: a signed status sent by
DNS UPDATE, verified, kept in memory only, answered with the TTL of the moment, replaced,
refused with the reason, gone at its exp, copied to secondaries by IXFR a version a second."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.tsig
import dns.update
import pytest
from dnsservers import free_port

import cid
from cid._svcb import record_rdata
from cid.cli._main import main
from cid.layout import TYPE_DESCRIPTOR, TYPE_STATUS
from cid.registry import CACHE
from cid.registry._demo import DEMO_ROOT, demo_key, write_demo
from cid.registry._entries import LivePolicy
from cid.registry._store import Registry
from cid.server import _update
from cid.server._live import LiveUpdates
from cid.server._serve import DnsServer

ZONE = "acme.hpc.ucid.example"
Z = dns.name.from_text(ZONE)
# A descriptor published from the registry's files (descriptors/), signed by the zone's key.
IDENT = (
    "ucid:acme.hpc/us-ca/x86-64-v4+gfx942/acc=8;acc-mem=206158430208B;acc-model=mi300x;"
    "confidential;ic=xgmi;mem=2199023255552B"
)
NAME = cid.parse(IDENT).to_dns_name(DEMO_ROOT)
AGENT = cid.SigningKey.from_seed(b"agent-of-acme-hpc-for-tests-0001")
STRANGER = cid.SigningKey.from_seed(b"s" * 32)
XFR = "xfr.ucid.example"


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """The demo, with acme.hpc open to live registration and an agent key (which the
    parent's delegation lists) that signs statuses."""
    reg = write_demo(tmp_path / "registry", now=int(time.time()))
    reg.enable_live(ZONE, LivePolicy(max_lease=3600), agent_keys=[AGENT.verify_key])
    reg.build(now=int(time.time()))
    return reg


class InProcess:
    """``cid serve``'s server and live updates on a thread of this process."""

    def __init__(self, path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.live = LiveUpdates(path, now=int(time.time()))
        self.server = DnsServer(self.live.authority, [("127.0.0.1", 0)], self.live, None, None)
        self.server.xfr = self.live.primary
        self.loop.run_until_complete(self.server.start())
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.address = self.server.bound[0]

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def close(self) -> None:
        self.run(self.live.primary.stop())
        self.run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def srv(registry: Registry) -> Iterator[InProcess]:
    server = InProcess(registry.path)
    try:
        yield server
    finally:
        server.close()


def ask(address: tuple[str, int], name: str, rdtype: Any) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    return dns.query.udp(q, address[0], port=address[1], timeout=3)


def descriptor(address: tuple[str, int], name: str = NAME) -> cid.Descriptor:
    r = ask(address, name, TYPE_DESCRIPTOR)
    return cid.verify(r.answer[0][0].data, [demo_key(ZONE).verify_key, AGENT.verify_key],
                      now=int(time.time()), issuer=ZONE)  # fmt: skip


def make(dver: int, *, version: int = 10, now: int | None = None, **over: Any) -> cid.Status:
    now = int(time.time()) if now is None else now
    fields: dict[str, Any] = {
        "issuer": ZONE,
        "subject": str(cid.parse(IDENT)),
        "version": version,
        "descriptor_version": dver,
        "issued_at": now,
        "expires": now + 120,
        "accepting": True,
        "units": {"acc": cid.Capacity(3, 8)},
        "utilisation": 625,
    }
    return cid.Status(**(fields | over))


def served_status(address: tuple[str, int], name: str = NAME) -> tuple[cid.Status, int] | None:
    """The status answered at ``name``, verified with the descriptor served there, and
    its TTL; None when there is none."""
    r = ask(address, name, TYPE_STATUS)
    assert r.rcode() == dns.rcode.NOERROR
    if not r.answer:
        return None
    rrset = r.answer[0]
    assert len(rrset) == 1
    keys = [demo_key(ZONE).verify_key, AGENT.verify_key]
    st = cid.verify_status(rrset[0].data, keys, now=int(time.time()),
                           descriptor=descriptor(address, name))  # fmt: skip
    return st, rrset.ttl


def refused(address: tuple[str, int], status: cid.Status | bytes, key: Any = AGENT) -> str:
    with pytest.raises(cid.RegisterRefused) as caught:
        cid.register_status(address, status, root=DEMO_ROOT, signing_key=key)
    return str(caught.value)


def test_publish_answer_replace_and_refusals(srv: InProcess) -> None:
    addr = srv.address
    dver = descriptor(addr).version
    assert served_status(addr) is None
    first = make(dver, version=10)
    assert cid.register_status(addr, first, root=DEMO_ROOT, signing_key=AGENT) == first
    got = served_status(addr)
    assert got is not None and got[0] == first
    assert 118 <= got[1] <= 120  # min(zone TTL 3600, exp - now)
    # The TTL is that of the moment of the answer, not of the publication.
    clock = srv.live.authority.clock
    srv.live.authority.clock = lambda: clock() + 50
    got = served_status(addr)
    assert got is not None and 68 <= got[1] <= 70
    srv.live.authority.clock = clock
    # The same status again: accepted, nothing changes.
    cid.register_status(addr, first, root=DEMO_ROOT, signing_key=AGENT)
    # A newer one replaces it.
    newer = make(dver, version=11, accepting=False)
    cid.register_status(addr, newer, root=DEMO_ROOT, signing_key=AGENT)
    got = served_status(addr)
    assert got is not None and got[0] == newer
    # Refusals, each with its reason.
    now = int(time.time())
    cases: list[tuple[cid.Status | bytes, Any, str]] = [
        (make(dver, version=10), AGENT, "ROLLBACK"),  # an older one: a replay
        (make(dver, version=11, accepting=True), AGENT, "ROLLBACK"),  # same version, other claims
        (make(dver, version=12), STRANGER, "UNKNOWN_KEY"),  # a key the zone does not trust
        (make(dver + 1, version=12), AGENT, "MISMATCH"),  # another descriptor version
        (make(dver, version=12, issued_at=now - 300, expires=now - 10), AGENT, "EXPIRED"),
        (make(dver, version=12, issued_at=now + 100, expires=now + 200), AGENT, "NOT_YET_VALID"),
        (make(dver, version=12, ext={"x-hold": True}, crit=("x-hold",)), AGENT,
         "CRITICAL_EXTENSION"),
    ]  # fmt: skip
    for status, key, why in cases:
        assert why in refused(addr, status, key), why
    got = served_status(addr)
    assert got is not None and got[0] == newer  # none of them changed what is served


def raw_update(address: tuple[str, int], build: Any, name: str = NAME) -> dns.message.Message:
    msg = dns.update.UpdateMessage(ZONE)
    build(msg, dns.name.from_text(name))
    msg.use_edns(0, 0, 1232)
    return dns.query.tcp(msg, address[0], port=address[1], timeout=3)


def reason(response: dns.message.Message) -> str:
    return " ".join(e.text or "" for e in response.extended_errors())


def test_refusals_of_the_message(srv: InProcess) -> None:
    addr = srv.address
    dver = descriptor(addr).version
    good = cid.sign_status(make(dver), AGENT)

    def add(data: bytes, count: int = 1) -> Any:
        def build(msg: dns.update.UpdateMessage, name: dns.name.Name) -> None:
            for i in range(count):
                msg.add(name, 60, record_rdata(TYPE_STATUS, data + bytes(i)))

        return build

    # Oversized: refused before anything is read.
    r = raw_update(addr, add(good + bytes(900 - len(good))))
    assert r.rcode() == dns.rcode.REFUSED and "OVERSIZE" in reason(r)
    r = raw_update(addr, add(good, 2))
    assert r.rcode() == dns.rcode.REFUSED and "one status per identifier" in reason(r)
    r = raw_update(addr, lambda m, n: m.delete(n, TYPE_STATUS))
    assert r.rcode() == dns.rcode.REFUSED and "lapses at its exp" in reason(r)

    def mixed(msg: dns.update.UpdateMessage, name: dns.name.Name) -> None:
        add(good)(msg, name)
        msg.add(name, 60, dns.rdata.from_text("IN", "SVCB", '1 h.example. port="443"'))

    r = raw_update(addr, mixed)
    assert r.rcode() == dns.rcode.REFUSED and "sent alone" in reason(r)
    # A name that publishes no descriptor.
    other = cid.parse("ucid:acme.hpc/de-by/x86-64-v4/cpu=8").to_dns_name(DEMO_ROOT)
    r = raw_update(addr, add(good), other)
    assert r.rcode() == dns.rcode.REFUSED and "no descriptor is published" in reason(r)
    # Garbage in the record, a flipped signature: refused, never a crash.
    r = raw_update(addr, add(b"\xd2\x84" + bytes(40)))
    assert r.rcode() == dns.rcode.REFUSED and "ENCODING" in reason(r)
    r = raw_update(addr, add(good[:-1] + bytes([good[-1] ^ 1])))
    assert r.rcode() == dns.rcode.NOTAUTH and "SIGNATURE" in reason(r)
    # A zone not open to live registration takes no statuses either.
    msg = dns.update.UpdateMessage(f"hpc.{DEMO_ROOT}")
    msg.add(f"__x.hpc.{DEMO_ROOT}.", 60, record_rdata(TYPE_STATUS, good))
    assert dns.query.tcp(msg, addr[0], port=addr[1], timeout=3).rcode() == dns.rcode.REFUSED
    assert served_status(addr) is None


def test_hostile_updates_do_not_crash(srv: InProcess) -> None:
    addr = srv.address
    dver = descriptor(addr).version
    good = cid.sign_status(make(dver), AGENT)
    rng = random.Random(7)
    base = dns.update.UpdateMessage(ZONE)
    base.add(NAME, 60, record_rdata(TYPE_STATUS, good))
    wire = base.to_wire()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        for i in range(300):
            data = bytearray(wire)
            if i % 3 == 0:  # flip bytes anywhere
                for _ in range(rng.randint(1, 8)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            elif i % 3 == 1:  # cut short
                data = data[: rng.randrange(12, len(data))]
            else:  # random record bytes of any length
                junk = rng.randbytes(rng.randrange(0, 1200))
                m = dns.update.UpdateMessage(ZONE)
                m.add(NAME, 60, record_rdata(TYPE_STATUS, junk))
                data = bytearray(m.to_wire())
            sock.sendto(bytes(data), addr)
            with contextlib.suppress(TimeoutError):  # dropped: allowed
                sock.recv(65535)
    # Still answering, still taking statuses.
    cid.register_status(addr, make(dver, version=20), root=DEMO_ROOT, signing_key=AGENT)
    got = served_status(addr)
    assert got is not None and got[0].version == 20


def test_gone_at_its_exp_and_with_its_descriptor(srv: InProcess) -> None:
    addr = srv.address
    dver = descriptor(addr).version
    now = int(time.time())
    short = make(dver, issued_at=now, expires=now + 2)
    cid.register_status(addr, short, root=DEMO_ROOT, signing_key=AGENT)
    got = served_status(addr)
    assert got is not None and got[1] <= 2
    time.sleep(max(0.0, now + 2 - time.time()) + 0.05)
    assert served_status(addr) is None  # at exp, whatever timer runs
    srv.run(srv.live.tick_statuses(int(time.time())))
    assert NAME not in {n.to_text() for n in srv.live.authority.statuses}  # and forgotten
    # A status goes with the descriptor it describes: a new registration replaces both.
    live = cid.parse("ucid:acme.hpc/de-by/x86-64-v4/cpu=8")
    ep = cid.Endpoint("tcp", "https", "h.acme.example", 443)
    cid.register(addr, live, [ep], root=DEMO_ROOT, lease=600, signing_key=AGENT)
    name = live.to_dns_name(DEMO_ROOT)
    first = descriptor(addr, name)
    st = replace(make(first.version), subject=str(live), units={})
    cid.register_status(addr, st, root=DEMO_ROOT, signing_key=AGENT)
    assert served_status(addr, name) is not None
    cid.register(addr, live, [ep], root=DEMO_ROOT, lease=600, signing_key=AGENT)
    assert descriptor(addr, name).version > first.version
    assert served_status(addr, name) is None


def test_fields_filled_in_by_the_client_and_the_command(
    srv: InProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    addr = srv.address
    st = cid.register_status(
        addr, {"subject": IDENT, "accepting": True}, root=DEMO_ROOT, signing_key=AGENT
    )
    assert st.descriptor_version == descriptor(addr).version and st.issuer == ZONE
    assert st.expires - st.issued_at == 120
    got = served_status(addr)
    assert got is not None and got[0] == st
    key = tmp_path / "agent.key"
    AGENT.save(key)
    args = ["register", "status", IDENT, "--server", f"{addr[0]}:{addr[1]}", "--key", str(key)]
    more = [
        "--units", "acc=3/8;mem=256GiB/1TiB", "--utilisation", "65%", "--wait", "2m",
        "--price", "CNY 12.5 per acc per 3600s",
        "--price", "EUR 0.004 per 1GiB mem per 1h terms https://acme.example/terms",
        "--valid-for", "5m", "--accepting", "no",
    ]  # fmt: skip
    assert main([*args, *more]) == 0
    assert "published the status of" in capsys.readouterr().out
    got = served_status(addr)
    assert got is not None
    new = got[0]
    assert new.version > st.version and not new.accepting
    assert new.units["mem"] == cid.Capacity(256 << 30, 1 << 40)
    assert (new.utilisation, new.queue_wait, new.expires - new.issued_at) == (650, 120, 300)
    assert new.prices == (
        cid.Price("CNY", "12.5", 1, 3600, "acc"),
        cid.Price("EUR", "0.004", 1 << 30, 3600, "mem", "https://acme.example/terms"),
    )
    # Refused: exit status 77 with the reason; a bad syntax: usage.
    assert main([*args, "--version", "1"]) == 77
    assert "ROLLBACK" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*args, "--units", "acc=3"])
    with pytest.raises(SystemExit):
        main([*args, "--price", "12.5 CNY an hour"])
    with pytest.raises(SystemExit):
        main([*args, "--valid-for", "11m"])


def test_copied_to_secondaries_by_ixfr_once_a_second(registry: Registry) -> None:
    """A zone with secondaries gets its statuses in the zone: one version per tick,
    however many statuses came, with the TTL of the tick; out again at exp."""
    port = free_port()
    assert main(["zone", "secondary", str(registry.path), "--tsig-key", XFR, "--zone", ZONE,
                 "--address", f"127.0.0.1:{port}"]) == 0  # fmt: skip
    srv = InProcess(registry.path)
    try:
        addr = srv.address
        dver = descriptor(addr).version
        key = Registry.load(registry.path).transfer_keys(ZONE)[dns.name.from_text(XFR)]
        before = srv.live.primary.core.serial(Z)
        assert before is not None
        now = int(time.time())
        for v in range(1, 6):  # five statuses within one tick
            status = make(dver, version=v, issued_at=now, expires=now + 3)
            cid.register_status(addr, status, root=DEMO_ROOT, signing_key=AGENT)
        assert srv.live.primary.core.serial(Z) == before  # nothing yet for the secondaries
        srv.run(srv.live.tick_statuses(now))
        after = srv.live.primary.core.serial(Z)
        assert after is not None and after != before
        journal = srv.live.primary.core.journal(Z)
        assert journal is not None and len(journal.since(before) or []) == 1  # one version
        # IXFR from the serial before: the status added, with its TTL.
        records = [
            rrset
            for m in dns.query.xfr(addr[0], ZONE, port=addr[1], rdtype=dns.rdatatype.IXFR,
                                   serial=before, keyring={key.name: key}, keyname=key.name)
            for rrset in m.answer
        ]  # fmt: skip
        st = [r for r in records if r.rdtype == TYPE_STATUS]
        assert len(st) == 1 and st[0][0].data == cid.sign_status(
            make(dver, version=5, issued_at=now, expires=now + 3), AGENT
        )
        assert st[0].ttl <= 3
        # An idle tick makes no version; the tick after exp takes the status out.
        srv.run(srv.live.tick_statuses(now + 1))
        assert srv.live.primary.core.serial(Z) == after
        srv.run(srv.live.tick_statuses(now + 3))
        zone = srv.live.authority.zone(Z)
        assert zone is not None
        assert zone.get_rdataset(NAME, TYPE_STATUS) is None
        assert srv.live.primary.core.serial(Z) != after
    finally:
        srv.close()


def test_soft_state_not_on_disk_and_lost_on_restart(registry: Registry) -> None:
    """Nothing is written for a status; a restart loses it until the agent publishes again."""
    port = free_port()
    cmd = [sys.executable, "-m", "cid", "serve", str(registry.path), "--listen",
           f"127.0.0.1:{port}"]  # fmt: skip

    def start() -> subprocess.Popen[str]:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None and f"port {port}" in proc.stdout.readline()
        return proc

    def files() -> dict[Path, float]:
        # Not the compiled images of .cache, written once the zones are served (of the
        # zones as loaded: never a status).
        return {
            p: p.stat().st_mtime
            for p in registry.path.rglob("*")
            if p.is_file() and CACHE not in p.relative_to(registry.path).parts
        }

    proc = start()
    try:
        addr = ("127.0.0.1", port)
        before = files()
        dver = descriptor(addr).version
        cid.register_status(addr, make(dver), root=DEMO_ROOT, signing_key=AGENT)
        assert served_status(addr) is not None
        assert files() == before  # not written anywhere in the registry
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        proc = start()
        assert served_status(addr) is None  # lost: soft state
        cid.register_status(addr, make(dver, version=11), root=DEMO_ROOT, signing_key=AGENT)
        assert served_status(addr) is not None
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        assert proc.stderr is not None
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_status_is_sent_unchanged_and_as_bytes(srv: InProcess) -> None:
    data = cid.sign_status(make(descriptor(srv.address).version), AGENT)
    st = cid.register_status(srv.address, data, root=DEMO_ROOT)
    r = ask(srv.address, NAME, TYPE_STATUS)
    assert r.answer[0][0].data == data and st == cid.verify_status(
        data, [AGENT.verify_key], now=int(time.time())
    )
    with pytest.raises(ValueError, match="signing key"):
        cid.register_status(srv.address, make(1), root=DEMO_ROOT)
    # ANY answers one RRset, never the status (whose TTL is of the moment).
    r = ask(srv.address, NAME, dns.rdatatype.ANY)
    assert all(rrset.rdtype != TYPE_STATUS for rrset in r.answer)


@pytest.mark.parametrize("edns", [True, False])
@pytest.mark.parametrize("rcode", [dns.rcode.NOERROR, dns.rcode.REFUSED, dns.rcode.NOTAUTH])
def test_the_short_rendering_of_a_response_is_dnspythons(edns: bool, rcode: int) -> None:
    reply = _update._Reply(0x1234, edns, Z)
    msg = dns.update.UpdateMessage(Z, id=0x1234)
    msg.flags |= dns.flags.QR
    if edns:
        msg.use_edns(0, 0, 1232)
    msg.set_rcode(dns.rcode.Rcode(rcode))
    assert _update._render(reply, dns.rcode.Rcode(rcode), None, 0) == msg.to_wire()
