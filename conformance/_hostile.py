"""Loopback DNS servers for the resolution fixtures: honest answers, and lies on cue.

Each server listens on one loopback address (UDP and TCP), all on one shared
port (referrals carry no ports). A server answers from an
:class:`cid.server.Authority` (the reference server's answering core), then
applies the first of its behaviour rules that matches the query (documented in
``conformance/fixtures/README.md``). Everything is deterministic: the same query
gets the same bytes back, except for the query's own id.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from cid.server import Authority

__all__ = ["ACTIONS", "Network", "ServerState", "respond"]

_AA = 0x04  # in the third octet of the header
_RA = 0x80  # in the fourth


def _honest(wire: bytes, tcp: bool, state: ServerState) -> list[bytes]:
    if state.authority is None:
        return []
    response = state.authority.answer(wire, tcp=tcp)
    if response is None:
        return []
    if state.recursive:  # as a recursive resolver: AA clear, RA set
        response = (
            response[:2] + bytes((response[2] & ~_AA & 0xFF, response[3] | _RA)) + response[4:]
        )
    return [response]


def _parsed(responses: list[bytes], change: Callable[[dns.message.Message], None]) -> list[bytes]:
    out = []
    for response in responses:
        msg = dns.message.from_wire(response)
        change(msg)
        out.append(msg.to_wire(want_shuffle=False))
    return out


def _empty_response(query: dns.message.Message, rcode: int, aa: bool) -> dns.message.Message:
    msg = dns.message.make_response(query)
    msg.flags &= ~dns.flags.AA
    if aa:
        msg.flags |= dns.flags.AA
    msg.set_rcode(rcode)  # type: ignore[arg-type]
    return msg


def _rrset(name: str | dns.name.Name, ttl: int, rdtype: str, *texts: str) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(name, ttl, "IN", rdtype, list(texts))


def _soa(zone: str) -> dns.rrset.RRset:
    return _rrset(
        zone.rstrip(".") + ".", 300, "SOA", f"ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 300"
    )


Action = Callable[[dns.message.Message, bytes, bool, "ServerState", Mapping[str, Any]], list[bytes]]


def _silent(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    return []


def _truncate(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    if tcp and not a.get("tcp", False):
        return _honest(wire, tcp, s)
    msg = dns.message.make_response(q)
    msg.flags |= dns.flags.TC
    return [msg.to_wire()]


def _other_id(response: bytes) -> bytes:
    return bytes((response[0] ^ 0x5A, response[1] ^ 0xA5)) + response[2:]


def _wrong_id(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    return [_other_id(r) for r in _honest(wire, tcp, s)]


def _wrong_id_then_right(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    return [sent for r in _honest(wire, tcp, s) for sent in (_other_id(r), r)]


def _rcode(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    return [_empty_response(q, dns.rcode.from_text(a["rcode"]), False).to_wire()]


def _clear_aa(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    return [r[:2] + bytes((r[2] & ~_AA & 0xFF,)) + r[3:] for r in _honest(wire, tcp, s)]


def _unasked(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    def change(msg: dns.message.Message) -> None:
        msg.answer.append(_rrset("www.bank.example.", 86400, "A", "203.0.113.66"))

    return _parsed(_honest(wire, tcp, s), change)


def _wrong_question(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    def change(msg: dns.message.Message) -> None:
        old = msg.question[0]
        msg.question[0] = dns.rrset.RRset(
            dns.name.from_text("other", old.name), old.rdclass, old.rdtype
        )

    return _parsed(_honest(wire, tcp, s), change)


def _malformed(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    end = 12
    while wire[end]:
        end += wire[end] + 1
    question = wire[12 : end + 5]
    return [wire[:2] + b"\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00" + question + b"\xc0\x0cjunk"]


def _negative(rcode: int) -> Action:
    def deny(
        q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
    ) -> list[bytes]:
        msg = _empty_response(q, rcode, bool(a.get("aa", True)))
        if a.get("soa"):
            msg.authority.append(_soa(a["soa"]))
        return [msg.to_wire()]

    return deny


def _refer(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    msg = _empty_response(q, dns.rcode.NOERROR, False)
    cut, host = a["cut"].rstrip(".") + ".", a["ns"].rstrip(".") + "."
    msg.authority.append(_rrset(cut, 3600, "NS", host))
    msg.additional.append(_rrset(host, 3600, "A", a["glue"]))
    return [msg.to_wire()]


def _redirect_glue(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    def change(msg: dns.message.Message) -> None:
        for i, rrset in enumerate(msg.additional):
            if rrset.rdtype == dns.rdatatype.A:
                msg.additional[i] = _rrset(rrset.name, rrset.ttl, "A", a["address"])

    return _parsed(_honest(wire, tcp, s), change)


def _pad(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    honest = _honest(wire, tcp, s)
    if tcp and not a.get("tcp", False):
        return honest
    size = int(a["size"])

    def change(msg: dns.message.Message) -> None:
        filler = '"' + "x" * 200 + '"'
        while len(msg.to_wire()) < size:
            msg.additional.append(_rrset(f"pad{len(msg.additional)}.invalid.", 60, "TXT", filler))

    return _parsed(honest, change)


def _generic(rdtype: str, data: bytes) -> dns.rdata.Rdata:
    kind = dns.rdatatype.from_text(rdtype)
    return dns.rdata.GenericRdata(dns.rdataclass.IN, kind, data)


def _answer(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    msg = _empty_response(q, dns.rcode.NOERROR, not s.recursive)
    rrset = dns.rrset.RRset(
        q.question[0].name, dns.rdataclass.IN, dns.rdatatype.from_text(a["type"])
    )
    for data in a["data"]:
        rrset.add(_generic(a["type"], bytes.fromhex(data)), 3600)
    msg.answer.append(rrset)
    return [msg.to_wire()]


def _strip_delegation(
    q: dns.message.Message, wire: bytes, tcp: bool, s: ServerState, a: Mapping[str, Any]
) -> list[bytes]:
    """Referrals without the TYPE65281 record the reference server adds, or with
    ``data`` at ``owner`` in its place."""

    def change(msg: dns.message.Message) -> None:
        msg.additional = [r for r in msg.additional if r.rdtype != 65281]
        referral = any(r.rdtype == dns.rdatatype.NS for r in msg.authority)
        if a.get("data") and referral and not msg.answer:
            rrset = dns.rrset.RRset(
                dns.name.from_text(a["owner"]),
                dns.rdataclass.IN,
                dns.rdatatype.RdataType.make(65281),
            )
            rrset.add(_generic("TYPE65281", bytes.fromhex(a["data"])), 3600)
            msg.additional.append(rrset)

    return _parsed(_honest(wire, tcp, s), change)


#: Every action a behaviour rule may name (fixtures/README.md says what each does).
ACTIONS: dict[str, Action] = {
    "silent": _silent,
    "truncate": _truncate,
    "wrong-id": _wrong_id,
    "wrong-id-then-right": _wrong_id_then_right,
    "rcode": _rcode,
    "clear-aa": _clear_aa,
    "unasked": _unasked,
    "wrong-question": _wrong_question,
    "malformed": _malformed,
    "nxdomain": _negative(dns.rcode.NXDOMAIN),
    "nodata": _negative(dns.rcode.NOERROR),
    "refer": _refer,
    "redirect-glue": _redirect_glue,
    "pad": _pad,
    "answer": _answer,
    "strip-delegation": _strip_delegation,
}


@dataclass
class ServerState:
    """What one server does: answer from ``authority`` (None: nothing), as a recursive
    resolver when ``recursive``, changed by the first matching rule of ``rules``."""

    authority: Authority | None = None
    rules: Sequence[Mapping[str, Any]] = ()
    recursive: bool = False


def _matches(when: Mapping[str, Any], question: dns.rrset.RRset, tcp: bool) -> bool:
    if "qtype" in when and dns.rdatatype.to_text(question.rdtype) != when["qtype"]:
        return False
    if "qname" in when and question.name != dns.name.from_text(when["qname"]):
        return False
    return not ("tcp" in when and bool(when["tcp"]) != tcp)


def respond(wire: bytes, tcp: bool, state: ServerState) -> list[bytes]:
    """What a server in ``state`` sends back for the query ``wire``."""
    try:
        query = dns.message.from_wire(wire)
    except (dns.exception.DNSException, ValueError):
        return _honest(wire, tcp, state)
    if not query.question or query.flags & dns.flags.QR:
        return _honest(wire, tcp, state)
    question = query.question[0]
    for rule in state.rules:
        if _matches(rule.get("when", {}), question, tcp):
            if state.authority is None:
                return []
            return ACTIONS[rule["do"]](query, wire, tcp, state, rule)
    return _honest(wire, tcp, state)


# ------------------------------------------------------------------ the sockets


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, network: Network, address: str) -> None:
        self.network = network
        self.address = address
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        for response in self.network.answer(self.address, data, False):
            if self.transport is not None:
                self.transport.sendto(response, addr)


@dataclass
class Network:
    """Servers on ``addresses`` (loopback), one shared port, each with a swappable
    :class:`ServerState`; runs on a thread of its own. Use as a context manager."""

    addresses: Iterable[str]
    port: int = 0
    states: dict[str, ServerState] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.addresses = tuple(dict.fromkeys(self.addresses))
        self.states = {a: ServerState() for a in self.addresses}
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._closers: list[Callable[[], None]] = []

    def set(self, address: str, state: ServerState) -> None:
        self.states[address] = state

    def answer(self, address: str, wire: bytes, tcp: bool) -> list[bytes]:
        try:
            return respond(wire, tcp, self.states[address])
        except Exception as exc:  # a broken fixture, never the resolver's fault
            self.errors.append(exc)
            return []

    def _bind(self) -> list[tuple[str, socket.socket, socket.socket]]:
        for _ in range(50):
            bound: list[tuple[str, socket.socket, socket.socket]] = []
            port = self.port
            try:
                for address in self.addresses:
                    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    bound.append((address, tcp, udp))
                    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    tcp.bind((address, port))
                    port = tcp.getsockname()[1]
                    udp.bind((address, port))
                    tcp.listen(64)
            except OSError:
                for _, tcp, udp in bound:
                    tcp.close()
                    udp.close()
                if self.port:
                    raise
                continue
            self.port = port
            return bound
        raise OSError("no port free on every loopback address of the fixtures")

    async def _start(self, bound: Iterable[tuple[str, socket.socket, socket.socket]]) -> None:
        loop = asyncio.get_running_loop()
        for address, tcp, udp in bound:
            transport, _ = await loop.create_datagram_endpoint(
                partial(_Udp, self, address), sock=udp
            )
            listener = await asyncio.start_server(partial(self._tcp_client, address), sock=tcp)
            self._closers += [transport.close, listener.close]

    async def _tcp_client(
        self, address: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                head = await asyncio.wait_for(reader.readexactly(2), 10)
                wire = await asyncio.wait_for(reader.readexactly(int.from_bytes(head)), 10)
                for response in self.answer(address, wire, True):
                    writer.write(len(response).to_bytes(2) + response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass
        finally:
            writer.close()

    def start(self) -> Network:
        self._loop.run_until_complete(self._start(self._bind()))
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="ucid-fixtures", daemon=True
        )
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
        if not self._loop.is_closed():
            self._loop.close()

    def __enter__(self) -> Network:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
