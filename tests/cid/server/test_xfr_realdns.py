"""``cid serve`` as the hidden primary of Knot and NSD (spec/resolution.md §9.1), for real.

The demo registry's every zone lists a Knot and an NSD secondary; both transfer
every zone from ``cid serve`` with TSIG. A registration made at ``cid serve``
is answered by both within 2 s (NOTIFY, then IXFR); a registration whose
lease lapses, and a removal, leave both as soon; the reference resolver,
anchored at either secondary, verifies through it; anyone else is refused.
"""

from __future__ import annotations

import functools
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.xfr
import dns.zone
import dnsservers
import pytest
from dnsservers import KnotServer, NsdServer, Primary, TsigKey, free_port

import cid
import resolver
from cid.registry import LivePolicy, Registry, Secondary, write_demo

pytestmark = pytest.mark.realdns

ZONE = "acme.hpc.ucid.example"
AGENT = "agent1.acme.hpc.ucid.example"
XFR = TsigKey.random("xfr.ucid.example.")
DEADLINE = 2.0  # seconds from a registration's acknowledgement to both secondaries' answers


@dataclass
class Fleet:
    registry: Registry
    cid_port: int
    knot: KnotServer
    nsd: NsdServer
    agent: dns.tsig.Key
    log: Path

    def secondaries(self) -> list[tuple[str, int]]:
        return [("knot", self.knot.port), ("nsd", self.nsd.port)]


def _svcb(port: int, name: str) -> set[str]:
    r = dnsservers.query(port, name, dns.rdatatype.SVCB, timeout=1.0)
    return {rd.target.to_text() for rrset in r.answer for rd in rrset}


def _shows(port: int, name: str, hosts: set[str]) -> bool:
    return _svcb(port, name) == hosts


def _has(port: int, name: str) -> bool:
    return bool(_svcb(port, name))


def _until(condition: Callable[[], bool], seconds: float) -> float | None:
    """Seconds until ``condition`` held (polled every 10 ms), or None."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.01)
    return None


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    base = tmp_path_factory.mktemp("fleet")
    now = int(time.time())
    reg = write_demo(base / "registry", now=now)
    reg.enable_live(ZONE, LivePolicy(max_lease=3600), new_tsig=[AGENT])
    key = dns.tsig.Key(XFR.name, XFR.secret_b64, XFR.algorithm)
    knot_port, nsd_port = free_port(), free_port()
    for zone in reg.zones:
        for port in (knot_port, nsd_port):
            reg.add_secondary(zone, Secondary("127.0.0.1", XFR.name.rstrip("."), port), key)
    agent = reg.tsig_keys(ZONE)[0]
    cid_port = free_port()
    log = base / "cid-serve.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cid",
                "serve",
                str(reg.path),
                "--listen",
                f"127.0.0.1:{cid_port}",
                "--reload-interval",
                "0.2",
            ],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        assert proc.stdout is not None
        assert f"port {cid_port}" in proc.stdout.readline(), log.read_text()
        primary = Primary("127.0.0.1", cid_port, XFR)
        zones: dict[str, Path | Primary] = {z: primary for z in reg.zones}
        with KnotServer(zones, port=knot_port) as knot, NsdServer(zones, port=nsd_port) as nsd:
            yield Fleet(reg, cid_port, knot, nsd, agent, log)
    finally:
        proc.terminate()
        proc.wait(10)


def _register(fleet: Fleet, ident: str, host: str, lease: int = 600) -> None:
    cid.register(
        ("127.0.0.1", fleet.cid_port),
        ident,
        [cid.Endpoint("tcp", "https", host, 443)],
        root=fleet.registry.root,
        tsig=fleet.agent,
        lease=lease,
    )


def test_a_registration_reaches_both_secondaries_within_2_s(fleet: Fleet) -> None:
    ident = "ucid:acme.hpc/de-by/riscv64/cpu=8"
    name = cid.parse(ident).to_dns_name(fleet.registry.root)
    _register(fleet, ident, "r8.acme.example")
    for server, port in fleet.secondaries():
        took = _until(functools.partial(_shows, port, name, {"r8.acme.example."}), DEADLINE)
        assert took is not None, f"{server} did not answer within {DEADLINE} s"
    # Removed: gone from both as soon.
    cid.deregister(("127.0.0.1", fleet.cid_port), ident, root=fleet.registry.root, tsig=fleet.agent)
    for server, port in fleet.secondaries():
        took = _until(functools.partial(_shows, port, name, set()), DEADLINE)
        assert took is not None, f"{server} still answers a removed registration"


def test_a_lapsed_registration_leaves_both_secondaries(fleet: Fleet) -> None:
    ident = "ucid:acme.hpc/de-by/riscv64/cpu=16"
    name = cid.parse(ident).to_dns_name(fleet.registry.root)
    _register(fleet, ident, "r16.acme.example", lease=3)
    expires = time.time() + 3
    for server, port in fleet.secondaries():
        assert _until(functools.partial(_has, port, name), DEADLINE), server
    for server, port in fleet.secondaries():
        gone = _until(
            functools.partial(_shows, port, name, set()), expires - time.time() + DEADLINE
        )
        assert gone is not None, f"{server} still answers a lapsed registration"
        assert time.time() >= expires - 1  # gone because it lapsed, not sooner


def test_the_resolver_verifies_through_each_secondary(fleet: Fleet, tmp_path: Path) -> None:
    ident = str(cid.parse("ucid:acme.hpc/de-by/riscv64/cpu=32"))
    name = cid.parse(ident).to_dns_name(fleet.registry.root)
    _register(fleet, ident, "r32.acme.example")
    for server, port in fleet.secondaries():
        assert _until(functools.partial(_has, port, name), DEADLINE), server
        anchor = resolver.TrustAnchor.load(fleet.registry.path / "anchor.json", port=port)
        r = resolver.Resolver(anchor, versions=tmp_path / f"{server}.json")
        found = r.resolve(ident)
        assert [e.host for e in found.ordered()] == ["r32.acme.example"], server
        assert str(found.descriptor.subject) == ident


def test_transfers_are_refused_to_anyone_else(fleet: Fleet) -> None:
    stranger = TsigKey.random("xfr.ucid.example.")  # the right name, another secret
    for keyring in (None, stranger.dnspython_keyring()):
        q = dns.message.make_query(ZONE, dns.rdatatype.AXFR)
        if keyring is not None:
            q.use_tsig(keyring[stranger.dns_name])
        r = dns.message.from_wire(_raw_tcp(q.to_wire(), fleet.cid_port), keyring=False)
        want = dns.rcode.REFUSED if keyring is None else dns.rcode.NOTAUTH
        assert r.rcode() == want and not r.answer
    # The listed key works from the listed address (what Knot and NSD do).
    q = dns.message.make_query(ZONE, dns.rdatatype.AXFR)
    q.use_tsig(XFR.dnspython_key())
    zone = dns.zone.Zone(ZONE)
    dns.query.inbound_xfr("127.0.0.1", zone, q, port=fleet.cid_port, timeout=5)
    assert zone.get_rdataset("@", "SOA") is not None


def _raw_tcp(wire: bytes, port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(len(wire).to_bytes(2) + wire)
        head = s.recv(2, socket.MSG_WAITALL)
        return s.recv(int.from_bytes(head), socket.MSG_WAITALL)


def test_a_built_record_past_its_exp_leaves_both_secondaries(fleet: Fleet) -> None:
    """A descriptor file of the registry (not a live registration) with a short validity:
    it comes with the reload that sees its file, and goes at its ``exp`` (spec §8.7)."""
    zone = "sugon.hpc.ucid.example"
    subject = str(cid.parse("ucid:sugon.hpc/cn-tj/x86-64-v4/cpu=4"))
    name = cid.parse(subject).to_dns_name(fleet.registry.root)
    now = int(time.time())
    record = cid.Descriptor(
        subject=subject,
        issuer=zone,
        version=1,
        issued_at=now,
        not_before=now,
        expires=now + 4,
        endpoints=(cid.Endpoint("tcp", "https", "short.example", 443),),
    )
    path = fleet.registry.path / "zones" / zone / "descriptors" / f"{name.rstrip('.')}.cose"
    path = path.with_name(path.name.replace(f".{fleet.registry.root}", ""))
    path.write_bytes(cid.sign(record, fleet.registry.signing_key(zone)))
    for server, port in fleet.secondaries():
        assert _until(functools.partial(_has, port, name), 4.0), server
    for server, port in fleet.secondaries():
        gone = _until(
            functools.partial(_shows, port, name, set()), now + 4 - time.time() + DEADLINE
        )
        assert gone is not None, f"{server} still answers an expired record"
