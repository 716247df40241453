"""A hostile DNS hierarchy for resolver tests: real authorities, and servers that lie.

Two halves share one vocabulary of *behaviours* (a behaviour turns a query into
the datagrams or TCP messages sent back, given the honest :class:`Authority`):

- :class:`HostileServers` serves the hierarchy on loopback over real UDP and TCP,
  one server (one address, one shared port) per zone, so that real referrals
  happen; each server's behaviour is switched per test.
- :class:`Network` and :func:`drive` run the same authorities and behaviours
  without sockets, for the sans-IO core.

The hierarchy (:func:`build_hierarchy`) is a registry written to disk with the
publishing code, signed with fixed keys::

    ucid.example             root, the anchor        ROOT_ADDR
    hpc.ucid.example         platform                HPC_ADDR
    acme.hpc.ucid.example    provider: GH (v2), MI   ACME_ADDR
    east.ucid.example        platform            }   EAST_ADDR: one server for two
    ctyun.east.ucid.example  provider: JS        }   zones, cuts found via __deleg

Every server learnt from glue is reached at the anchor's port, so all servers
share one port on their own 127.53.0.x address. Lies are told at the message
level with dnspython, after the honest answer is made, as an attacker on the
path or at a compromised server would.

Typical use::

    servers.acme.behaviour = rewrite(not_authoritative)
    with pytest.raises(ResolutionError) as info:
        Resolver(servers.anchor).resolve(GH)
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Final, cast

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

import cid
from cid import Delegation, Descriptor, SigningKey
from cid.layout import TYPE_DELEGATION, TYPE_DESCRIPTOR
from cid.registry._store import Registry
from cid.registry._zone import NameServer, txt_strings
from cid.server._authority import Authority
from resolver import Lookup, Query, Resolution, TrustAnchor
from resolver._transport import answers

__all__ = [
    "ACME",
    "ACME_ADDR",
    "ATTACKER",
    "CTYUN",
    "DELEGATION",
    "DESCRIPTOR",
    "EAST",
    "EAST_ADDR",
    "FORWARDER_ADDR",
    "GH",
    "HPC",
    "HPC_ADDR",
    "JS",
    "MI",
    "ROOT",
    "ROOT_ADDR",
    "Behaviour",
    "Change",
    "Hierarchy",
    "HostileServer",
    "HostileServers",
    "Make",
    "Network",
    "answer_with",
    "build_hierarchy",
    "by_type",
    "drive",
    "extra_additional",
    "flip_signature",
    "honest",
    "malformed",
    "mutate_record",
    "mutate_txt",
    "not_authoritative",
    "nxdomain",
    "only",
    "padded",
    "redirect_glue",
    "refer_to",
    "refused",
    "replace_record",
    "rewrite",
    "serve_delegation",
    "serve_descriptor",
    "servfail",
    "silent",
    "swap_kid",
    "truncated",
    "unasked_answer",
    "validity",
    "wrong_id",
    "wrong_id_then_right",
    "zone_key",
]

ROOT: Final = "ucid.example"
HPC: Final = f"hpc.{ROOT}"
ACME: Final = f"acme.{HPC}"
EAST: Final = f"east.{ROOT}"
CTYUN: Final = f"ctyun.{EAST}"

ROOT_ADDR: Final = "127.53.0.1"
HPC_ADDR: Final = "127.53.0.2"
ACME_ADDR: Final = "127.53.0.3"
EAST_ADDR: Final = "127.53.0.4"
FORWARDER_ADDR: Final = "127.53.0.5"  # holds every zone, answers like a recursive resolver

# zone -> (parent, server address)
_ZONES: Final[dict[str, tuple[str | None, str]]] = {
    ROOT: (None, ROOT_ADDR),
    HPC: (ROOT, HPC_ADDR),
    ACME: (HPC, ACME_ADDR),
    EAST: (ROOT, EAST_ADDR),
    CTYUN: (EAST, EAST_ADDR),
}

GH: Final = str(cid.parse("ucid:acme.hpc/de-by/neoverse-v2+sm90/acc=4;mem=480GiB"))
MI: Final = str(cid.parse("ucid:acme.hpc/us-ca/x86-64-v4/cpu=64"))
JS: Final = str(cid.parse("ucid:ctyun.east/cn-js/x86-64-v3/cpu=64;mem=256GiB"))


def _ep(host: str, port: int = 443, protocol: str = "https", **more: object) -> dict[str, object]:
    return {"transport": "tcp", "protocol": protocol, "host": host, "port": port, **more}


# (zone, source name, identifier, version, endpoints)
_SOURCES: Final = [
    (
        ACME,
        "gh",
        GH,
        2,
        [
            _ep("gh1.acme.example", priority=1, weight=70),
            _ep("gh2.acme.example", priority=1, weight=30),
            _ep("192.0.2.44", 4433, "quic", priority=2, weight=1),
        ],
    ),
    (ACME, "mi", MI, 1, [_ep("mi.acme.example")]),
    (CTYUN, "js", JS, 1, [_ep("js.ctyun.example")]),
]


def zone_key(zone: str) -> SigningKey:
    """The fixed signing key of a zone of the hierarchy."""
    return SigningKey.from_seed(hashlib.sha256(f"ucid-hostile:{zone}".encode()).digest())


#: A key no zone trusts.
ATTACKER: Final = SigningKey.from_seed(hashlib.sha256(b"ucid-hostile:attacker").digest())


def _zone_of(identifier: str) -> str:
    provider = cid.parse(identifier).provider
    return f"{provider}.{ROOT}"


def _file_name(identifier: str) -> str:
    return cid.parse(identifier).to_dns_name("").rstrip(".") + ".cose"


# ---------------------------------------------------------------- the hierarchy


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """The signed hierarchy at time ``now``: its registry and one authority per address."""

    registry: Registry
    now: int
    authorities: Mapping[str, Authority]

    def anchor(self, port: int = 53) -> TrustAnchor:
        return TrustAnchor.from_json(self.registry.anchor(), port=port)

    def signed(self, identifier: str) -> bytes:
        """The descriptor of ``identifier`` as published."""
        zone = _zone_of(identifier)
        return (
            self.registry.path / "zones" / zone / "descriptors" / _file_name(identifier)
        ).read_bytes()

    def descriptor(self, identifier: str) -> Descriptor:
        zone = _zone_of(identifier)
        return cid.verify(self.signed(identifier), [zone_key(zone).verify_key], now=self.now)

    def forge(self, identifier: str, key: SigningKey | None = None, /, **changes: object) -> bytes:
        """The descriptor of ``identifier`` with ``changes``, signed by ``key`` (by default
        its zone's own key: what a thief of that key, or a replay, could serve)."""
        record = dataclasses.replace(self.descriptor(identifier), **changes)  # type: ignore[arg-type]
        return cid.sign(record, key or zone_key(_zone_of(identifier)))

    def delegation_signed(self, child: str) -> bytes:
        parent = _ZONES[child][0]
        assert parent is not None
        return (
            self.registry.path / "zones" / parent / "delegations" / f"{child}.cose"
        ).read_bytes()

    def delegation(self, child: str) -> Delegation:
        parent = _ZONES[child][0]
        assert parent is not None
        keys = [zone_key(parent).verify_key]
        return cid.verify_delegation(self.delegation_signed(child), keys, now=self.now)

    def forge_delegation(
        self, child: str, key: SigningKey | None = None, /, **changes: object
    ) -> bytes:
        parent = _ZONES[child][0]
        assert parent is not None
        record = dataclasses.replace(self.delegation(child), **changes)  # type: ignore[arg-type]
        return cid.sign(record, key or zone_key(parent))


def build_hierarchy(path: Path, now: int) -> Hierarchy:
    """Write, sign and assemble the hierarchy under ``path`` at ``now``."""
    registry = Registry.create(path, ROOT)
    for zone, (parent, address) in _ZONES.items():
        registry.add_zone(zone, parent, [NameServer(f"ns1.{zone}", (address,))], zone_key(zone))
    for zone, name, identifier, version, endpoints in _SOURCES:
        registry.add_source(
            zone, name, {"subject": identifier, "version": version, "endpoints": endpoints}
        )
    registry.build(now=now)
    zones = {zone: registry.assemble(zone, now=now)[0] for zone in _ZONES}
    by_address: dict[str, list[str]] = {}
    for zone, (_, address) in _ZONES.items():
        by_address.setdefault(address, []).append(zone)
    authorities = {a: Authority([zones[z] for z in names]) for a, names in by_address.items()}
    authorities[FORWARDER_ADDR] = Authority(zones.values())
    return Hierarchy(registry, now, authorities)


# ---------------------------------------------------------------- behaviours

#: (query wire, over TCP, the honest authority) -> what is sent back, in order.
Behaviour = Callable[[bytes, bool, Authority], list[bytes]]
#: A change made in place to a response (and whether it goes over TCP), for rewrite().
Change = Callable[[dns.message.Message, bool], None]


def honest(wire: bytes, tcp: bool, authority: Authority) -> list[bytes]:
    response = authority.answer(wire, tcp=tcp)
    return [] if response is None else [response]


def silent(wire: bytes, tcp: bool, authority: Authority) -> list[bytes]:
    return []


def _other_id(response: bytes) -> bytes:
    return bytes((response[0] ^ 0x5A, response[1] ^ 0xA5)) + response[2:]


def wrong_id(wire: bytes, tcp: bool, authority: Authority) -> list[bytes]:
    """The honest answer with another query id, and never the right one."""
    return [_other_id(r) for r in honest(wire, tcp, authority)]


def wrong_id_then_right(wire: bytes, tcp: bool, authority: Authority) -> list[bytes]:
    """A forgery racing the answer: the same data with a wrong id first, then the answer."""
    return [sent for r in honest(wire, tcp, authority) for sent in (_other_id(r), r)]


def malformed(wire: bytes, tcp: bool, authority: Authority) -> list[bytes]:
    """A response to the question (same id and question, QR set) whose answer section
    is junk: it gets past the transport and must be rejected by the parser."""
    end = 12
    while wire[end]:
        end += wire[end] + 1
    question = wire[12 : end + 5]
    return [wire[:2] + b"\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00" + question + b"\xc0\x0cjunk"]


def only(qtype: int, behaviour: Behaviour) -> Behaviour:
    """``behaviour`` for questions of type ``qtype``; honest for every other one."""
    return by_type({dns.rdatatype.RdataType.make(qtype): behaviour})


def by_type(behaviours: Mapping[dns.rdatatype.RdataType, Behaviour]) -> Behaviour:
    """The behaviour for the question's type; honest for types not in ``behaviours``."""

    def chosen(wire: bytes, tcp: bool, authority: Authority) -> list[bytes]:
        question = dns.message.from_wire(wire).question
        behaviour = behaviours.get(question[0].rdtype, honest) if question else honest
        return behaviour(wire, tcp, authority)

    return chosen


def rewrite(*changes: Change) -> Behaviour:
    """The honest response, parsed, changed in place by each of ``changes``, re-encoded
    with the records in the order the changes left them (dnspython would shuffle)."""

    def lying(wire: bytes, tcp: bool, authority: Authority) -> list[bytes]:
        out = []
        for response in honest(wire, tcp, authority):
            msg = dns.message.from_wire(response)
            for change in changes:
                change(msg, tcp)
            out.append(msg.to_wire(want_shuffle=False))
        return out

    return lying


def _rrset(name: str | dns.name.Name, ttl: int, rdtype: int, *rdatas: str) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(
        name, ttl, dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype), list(rdatas)
    )


def _generic(rdtype: int, data: bytes) -> dns.rdata.Rdata:
    return dns.rdata.from_wire(
        dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype), data, 0, len(data)
    )


def _empty(msg: dns.message.Message) -> None:
    msg.answer.clear()
    msg.authority.clear()
    msg.additional.clear()


# Message changes, for rewrite().


def refused(msg: dns.message.Message, tcp: bool) -> None:
    _empty(msg)
    msg.flags &= ~dns.flags.AA
    msg.set_rcode(dns.rcode.REFUSED)


def servfail(msg: dns.message.Message, tcp: bool) -> None:
    _empty(msg)
    msg.set_rcode(dns.rcode.SERVFAIL)


def not_authoritative(msg: dns.message.Message, tcp: bool) -> None:
    msg.flags &= ~dns.flags.AA


def unasked_answer(msg: dns.message.Message, tcp: bool) -> None:
    """An address for a name nobody asked about, beside whatever was asked."""
    msg.answer.append(_rrset("www.bank.example.", 86400, dns.rdatatype.A, "203.0.113.66"))


def nxdomain(zone: str, ttl: int = 300) -> Change:
    """A denial with the SOA of ``zone`` (negative TTL ``ttl``); AA stays as it was."""
    soa = _rrset(
        zone + ".", ttl, dns.rdatatype.SOA, f"ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 {ttl}"
    )

    def deny(msg: dns.message.Message, tcp: bool) -> None:
        _empty(msg)
        msg.set_rcode(dns.rcode.NXDOMAIN)
        msg.authority.append(soa)

    return deny


def extra_additional(rrset: dns.rrset.RRset) -> Change:
    """Unasked data riding in the additional section."""

    def add(msg: dns.message.Message, tcp: bool) -> None:
        msg.additional.append(rrset)

    return add


def refer_to(cut: str, host: str, address: str) -> Change:
    """Replace the response by a referral to ``cut`` at ``host`` (glue ``address``)."""

    def refer(msg: dns.message.Message, tcp: bool) -> None:
        _empty(msg)
        msg.flags &= ~dns.flags.AA
        msg.set_rcode(dns.rcode.NOERROR)
        msg.authority.append(_rrset(cut + ".", 3600, dns.rdatatype.NS, host + "."))
        msg.additional.append(_rrset(host + ".", 3600, dns.rdatatype.A, address))

    return refer


def answer_with(rdtype: int, data: bytes) -> Change:
    """Replace the response by an authoritative answer: one ``rdtype`` record, ``data``."""

    def answer(msg: dns.message.Message, tcp: bool) -> None:
        _empty(msg)
        msg.flags |= dns.flags.AA
        msg.set_rcode(dns.rcode.NOERROR)
        msg.answer.append(dns.rrset.from_rdata(msg.question[0].name, 3600, _generic(rdtype, data)))

    return answer


def redirect_glue(address: str) -> Change:
    """Every A record of the additional section now points at ``address``."""

    def redirect(msg: dns.message.Message, tcp: bool) -> None:
        for i, rrset in enumerate(msg.additional):
            if rrset.rdtype == dns.rdatatype.A:
                msg.additional[i] = _rrset(rrset.name, rrset.ttl, dns.rdatatype.A, address)

    return redirect


def truncated(*, over_tcp: bool) -> Change:
    """TC with nothing but the question, over UDP (and over TCP too when ``over_tcp``)."""

    def truncate(msg: dns.message.Message, tcp: bool) -> None:
        if over_tcp or not tcp:
            _empty(msg)
            msg.flags |= dns.flags.TC

    return truncate


def padded(size: int, *, over_tcp: bool) -> Change:
    """At least ``size`` octets (TXT junk in the additional section), over UDP, or TCP."""

    def pad(msg: dns.message.Message, tcp: bool) -> None:
        if tcp != over_tcp:
            return
        owner = dns.name.from_text("pad.invalid.")
        strings = [b"x" * 255] * (size // 256 + 1)
        txt = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, strings)
        msg.additional.append(dns.rrset.from_rdata(owner, 0, txt))

    return pad


def replace_record(rdtype: int, data: bytes) -> Change:
    """Every ``rdtype`` record (answer or additional) now holds ``data``."""
    return mutate_record(rdtype, lambda _: data)


def mutate_record(rdtype: int, mutation: Callable[[bytes], bytes]) -> Change:
    """Every ``rdtype`` record (answer or additional) passed through ``mutation``."""

    def mutate(msg: dns.message.Message, tcp: bool) -> None:
        for section in (msg.answer, msg.additional):
            for i, rrset in enumerate(section):
                if rrset.rdtype == rdtype:
                    rdatas = [_generic(rdtype, mutation(rd.to_digestable())) for rd in rrset]
                    section[i] = dns.rrset.from_rdata_list(rrset.name, rrset.ttl, rdatas)

    return mutate


def mutate_txt(mutation: Callable[[bytes], bytes]) -> Change:
    """Every TXT copy of a descriptor in the answer (§3.6): its signed bytes passed
    through ``mutation``, and encoded again."""

    def mutate(msg: dns.message.Message, tcp: bool) -> None:
        for i, rrset in enumerate(msg.answer):
            if rrset.rdtype == dns.rdatatype.TXT:
                signed = [base64.b64decode(b"".join(rd.strings[1:])) for rd in rrset]
                rdatas = [
                    dns.rdtypes.ANY.TXT.TXT(rrset.rdclass, rrset.rdtype, txt_strings(mutation(d)))
                    for d in signed
                ]
                msg.answer[i] = dns.rrset.from_rdata_list(rrset.name, rrset.ttl, rdatas)

    return mutate


#: A behaviour made for a hierarchy (forged records need its keys and records).
Make = Callable[[Hierarchy], Behaviour]


def serve_descriptor(data: Callable[[Hierarchy], bytes]) -> Make:
    """Every descriptor record served is ``data(hierarchy)``."""
    return lambda h: rewrite(replace_record(TYPE_DESCRIPTOR, data(h)))


def serve_delegation(data: Callable[[Hierarchy], bytes]) -> Make:
    """Every delegation record served (referral or answer) is ``data(hierarchy)``."""
    return lambda h: rewrite(replace_record(TYPE_DELEGATION, data(h)))


def validity(start: int, end: int) -> dict[str, int]:
    """The times of a record valid from ``start`` to ``end``, for ``Hierarchy.forge``."""
    return {"issued_at": start, "not_before": start, "expires": end}


def flip_signature(data: bytes) -> bytes:
    """One byte of the Ed25519 signature (the record's last 64 octets) changed."""
    return data[:-20] + bytes((data[-20] ^ 0x01,)) + data[-19:]


def swap_kid(data: bytes, kid: bytes) -> bytes:
    """The record with ``kid`` in its protected header instead of the signer's."""
    # 18([ bstr .cbor {1: alg, 4: kid, 16: typ}, ... ]): the kid is octets 10-41.
    assert len(kid) == 32
    return data[:10] + kid + data[42:]


DESCRIPTOR: Final = TYPE_DESCRIPTOR
DELEGATION: Final = TYPE_DELEGATION


# ---------------------------------------------------------------- sans-IO


@dataclass
class Network:
    """The hierarchy without sockets: an authority and a behaviour per address."""

    hierarchy: Hierarchy
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    #: For Lookup: a host's addresses, or None for a lookup that does not end in time.
    hosts: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    sent: list[Query] = field(default_factory=list)
    looked_up: list[str] = field(default_factory=list)

    def lookup(self, lookup: Lookup) -> tuple[str, ...] | None:
        self.looked_up.append(lookup.host)
        return self.hosts.get(lookup.host, ())

    def exchange(self, query: Query) -> bytes | None:
        """What the drivers' transport hands the core: over UDP the first datagram that
        answers the query (others are dropped), over TCP the first message; None on timeout."""
        self.sent.append(query)
        authority = self.hierarchy.authorities.get(query.server[0])
        if authority is None:
            return None
        behaviour = self.behaviours.get(query.server[0], honest)
        for response in behaviour(query.wire, query.tcp, authority):
            if query.tcp or answers(response, query.wire):
                return response
        return None


def drive(res: Resolution, network: Network, *, step: float = 0.01) -> Resolution:
    """Run ``res`` to its end over ``network``, the clock advancing ``step`` per action,
    or as long as the driver waits (``timeout_for``) for a lookup that does not end."""
    while (action := res.action()) is not None:
        clock = res.clock + step
        if isinstance(action, Lookup):
            found = network.lookup(action)
            if found is None:
                res.timed_out(clock=res.clock + res.timeout_for(res.clock))
            else:
                res.looked_up(found, clock=clock)
            continue
        wire = network.exchange(action)
        if wire is None:
            res.timed_out(clock=clock)
        else:
            res.receive(wire, clock=clock)
    return res


# ---------------------------------------------------------------- real servers


class HostileServer:
    """One server on (``address``, the shared port), UDP and TCP: ``behaviour`` decides."""

    def __init__(self, address: str, authority: Authority) -> None:
        self.address = address
        self.authority = authority
        self.behaviour: Behaviour = honest
        #: (question name, type, over TCP) of each query received.
        self.queries: list[tuple[str, int, bool]] = []
        #: Exceptions raised by a behaviour (a broken test, never a resolver fault).
        self.errors: list[BaseException] = []

    def respond(self, wire: bytes, tcp: bool) -> list[bytes]:
        try:
            question = dns.message.from_wire(wire).question[0]
            self.queries.append((question.name.to_text().lower(), question.rdtype, tcp))
            return self.behaviour(wire, tcp, self.authority)
        except Exception as exc:
            self.errors.append(exc)
            return []

    def asked(self, qtype: int, *, tcp: bool | None = None) -> int:
        """How many queries of ``qtype`` came (over TCP only, or UDP only, if said)."""
        return sum(1 for _, t, over in self.queries if t == qtype and tcp in (None, over))


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: HostileServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        for response in self.server.respond(data, False):
            if self.transport is not None:
                self.transport.sendto(response, addr)


class HostileServers:
    """Every server of the hierarchy on loopback, one shared port; a context manager."""

    def __init__(self, hierarchy: Hierarchy) -> None:
        self.hierarchy = hierarchy
        self.by_address = {a: HostileServer(a, auth) for a, auth in hierarchy.authorities.items()}
        self.root = self.by_address[ROOT_ADDR]
        self.hpc = self.by_address[HPC_ADDR]
        self.acme = self.by_address[ACME_ADDR]
        self.east = self.by_address[EAST_ADDR]
        self.forwarder = self.by_address[FORWARDER_ADDR]
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._closers: list[Callable[[], None]] = []

    @property
    def anchor(self) -> TrustAnchor:
        return self.hierarchy.anchor(self.port)

    def reset(self) -> None:
        """Make every server honest again and forget the queries it saw."""
        for server in self.by_address.values():
            server.behaviour = honest
            server.queries.clear()

    def take_errors(self) -> list[BaseException]:
        """What the behaviours raised since the last call (a broken test, if anything)."""
        errors: list[BaseException] = []
        for server in self.by_address.values():
            errors += server.errors
            server.errors.clear()
        return errors

    def _bind(self) -> list[tuple[HostileServer, socket.socket, socket.socket]]:
        for _ in range(20):
            bound: list[tuple[HostileServer, socket.socket, socket.socket]] = []
            port = 0
            try:
                for server in self.by_address.values():
                    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    bound.append((server, tcp, udp))
                    tcp.bind((server.address, port))
                    port = tcp.getsockname()[1]
                    udp.bind((server.address, port))
                    tcp.listen(64)
            except OSError:
                for _, tcp, udp in bound:
                    tcp.close()
                    udp.close()
                continue
            self.port = port
            return bound
        raise OSError("no port free on every 127.53.0.x address")

    async def _start(
        self, bound: Iterable[tuple[HostileServer, socket.socket, socket.socket]]
    ) -> None:
        loop = asyncio.get_running_loop()
        for server, tcp, udp in bound:
            transport, _ = await loop.create_datagram_endpoint(partial(_Udp, server), sock=udp)
            listener = await asyncio.start_server(partial(self._tcp_client, server), sock=tcp)
            self._closers += [transport.close, listener.close]

    @staticmethod
    async def _tcp_client(
        server: HostileServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                head = await reader.readexactly(2)
                wire = await reader.readexactly(int.from_bytes(head))
                for response in server.respond(wire, True):
                    writer.write(len(response).to_bytes(2) + response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def start(self) -> HostileServers:
        self._loop.run_until_complete(self._start(self._bind()))
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        return self

    async def _shutdown(self) -> None:
        for close in self._closers:
            close()
        me = asyncio.current_task()
        for task in asyncio.all_tasks():
            if task is not me:
                task.cancel()

    def stop(self) -> None:
        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._thread = None
        self._loop.close()

    def __enter__(self) -> HostileServers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
