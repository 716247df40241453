"""The real-server fixtures (tests/dnsservers.py) serve what UCID publishes, unchanged.

One hand-written zone in RFC 1035 presentation format holds every kind of
record the project will publish: private-use types in RFC 3597 generic syntax,
SVCB with parameters, multi-string TXT, PTR at ``__``-labels, and a delegation
with glue.  Knot and NSD each load that file as is; dnspython, ``kdig`` and
``dig`` check the answers, referrals and negative answers byte for byte.
Knot also accepts a TSIG-signed RFC 2136 UPDATE and refuses an unsigned or
wrongly signed one.

The tests skip when a server binary is not installed, and fail instead when
``CID_REQUIRE_REAL_DNS`` is set.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.svcbbase
import dns.rrset
import dns.tsig
import dns.update
import dnsservers
import pytest
from dnsservers import (
    REQUIRE_ENV,
    DnsServer,
    KnotServer,
    NsdServer,
    ServerStartError,
    TsigKey,
    dig,
    free_port,
    kdig,
    require_binary,
)

pytestmark = pytest.mark.realdns

ZONE = "acme.ucid.example."

# Exactly the record kinds UCID publishes.  Names starting with "_" and "__"
# are deliberate: both servers must accept them as ordinary labels.
ZONE_TEXT = r"""$ORIGIN acme.ucid.example.
$TTL 300
@                  IN SOA   ns1.acme.ucid.example. hostmaster.acme.ucid.example. (
                            2024010101 ; serial
                            3600 600 604800 300 )
@                  IN NS    ns1.acme.ucid.example.
ns1                IN A     127.0.0.1

; A private-use type (RFC 6895 section 3.1) in RFC 3597 generic syntax.
_x86-64._cn        IN TYPE65280 \# 4 d2840000

; A service binding with parameters (RFC 9460).
svc                IN SVCB  1 gw.example.net. alpn=h2 port=8443 ipv4hint=192.0.2.1

; A long value split into base64 chunks, one character-string each.
_desc._x86-64._cn  IN TXT   "cmVhbGx5IGxvbmcgYmFzZTY0" "IGNodW5rcyBvZiBhIGRlc2Ny" "aXB0b3I="

; An enumeration at a name starting with two underscores.
__enum             IN PTR   _cn.acme.ucid.example.
__enum             IN PTR   _cn-gd.acme.ucid.example.

; A delegated child zone with in-bailiwick glue ...
_cn-gd             IN NS    ns._cn-gd.acme.ucid.example.
ns._cn-gd          IN A     192.0.2.53

; ... and a record about it published in the parent, beside (not below) the cut.
_cn-gd.__deleg     IN TYPE65281 \# 6 0102030405ff
"""

PRIVATE = "_x86-64._cn.acme.ucid.example."
PRIVATE_WIRE = bytes.fromhex("d2840000")
DELEG = "_cn-gd.__deleg.acme.ucid.example."
DELEG_WIRE = bytes.fromhex("0102030405ff")
SVC = "svc.acme.ucid.example."
DESC = "_desc._x86-64._cn.acme.ucid.example."
DESC_STRINGS = (b"cmVhbGx5IGxvbmcgYmFzZTY0", b"IGNodW5rcyBvZiBhIGRlc2Ny", b"aXB0b3I=")
ENUM = "__enum.acme.ucid.example."
CHILD = "_cn-gd.acme.ucid.example."
CHILD_NS = "ns._cn-gd.acme.ucid.example."

TIMEOUT = 2.0


def _in(rdtype: str | int, text: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype), text)


def ask(
    server: DnsServer, name: str, rdtype: str | int, *, tcp: bool = False
) -> dns.message.Message:
    """One query with EDNS (payload 1232, the DNS Flag Day 2020 size), over UDP or TCP."""
    query = dns.message.make_query(
        name, dns.rdatatype.RdataType.make(rdtype), use_edns=0, payload=1232
    )
    if tcp:
        return dns.query.tcp(query, server.address, port=server.port, timeout=TIMEOUT)
    reply = dns.query.udp(query, server.address, port=server.port, timeout=TIMEOUT)
    assert not reply.flags & dns.flags.TC
    return reply


def answer(reply: dns.message.Message, name: str, rdtype: str | int) -> dns.rrset.RRset:
    assert reply.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(reply.rcode())
    assert reply.flags & dns.flags.AA
    return reply.find_rrset(
        reply.answer,
        dns.name.from_text(name),
        dns.rdataclass.IN,
        dns.rdatatype.RdataType.make(rdtype),
    )


def assert_soa_only_authority(reply: dns.message.Message) -> None:
    assert reply.flags & dns.flags.AA
    assert reply.answer == []
    [soa] = reply.authority
    assert soa.rdtype == dns.rdatatype.SOA
    assert soa.name == dns.name.from_text(ZONE)


@pytest.fixture
def zone_file(tmp_path: Path) -> Path:
    path = tmp_path / "acme.ucid.example.zone"
    path.write_text(ZONE_TEXT)
    return path


@pytest.fixture(params=[KnotServer, NsdServer], ids=["knot", "nsd"])
def server(request: pytest.FixtureRequest, zone_file: Path) -> Iterator[DnsServer]:
    cls: type[DnsServer] = request.param
    with cls({ZONE: zone_file}) as srv:
        yield srv


# ---------------------------------------------------------------------------
# Both servers
# ---------------------------------------------------------------------------


def test_free_port_is_free_for_udp_and_tcp() -> None:

    port = free_port()
    assert 1024 <= port <= 65535
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
    ):
        tcp.bind(("127.0.0.1", port))
        udp.bind(("127.0.0.1", port))


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_private_type_bytes_unchanged(server: DnsServer, tcp: bool) -> None:
    rrset = answer(ask(server, PRIVATE, 65280, tcp=tcp), PRIVATE, 65280)
    assert rrset.ttl == 300
    assert [rd.to_digestable() for rd in rrset] == [PRIVATE_WIRE]

    rrset = answer(ask(server, DELEG, 65281, tcp=tcp), DELEG, 65281)
    assert [rd.to_digestable() for rd in rrset] == [DELEG_WIRE]


def test_svcb(server: DnsServer) -> None:
    rrset = answer(ask(server, SVC, "SVCB"), SVC, "SVCB")
    assert list(rrset) == [_in("SVCB", "1 gw.example.net. alpn=h2 port=8443 ipv4hint=192.0.2.1")]
    [rd] = rrset
    key = dns.rdtypes.svcbbase.ParamKey
    assert rd.priority == 1
    assert rd.target == dns.name.from_text("gw.example.net.")
    assert rd.params[key.ALPN].ids == (b"h2",)
    assert rd.params[key.PORT].port == 8443
    assert [str(a) for a in rd.params[key.IPV4HINT].addresses] == ["192.0.2.1"]


def test_txt_keeps_its_strings(server: DnsServer) -> None:
    [rd] = answer(ask(server, DESC, "TXT"), DESC, "TXT")
    assert rd.strings == DESC_STRINGS


def test_ptr_at_double_underscore(server: DnsServer) -> None:
    rrset = answer(ask(server, ENUM, "PTR"), ENUM, "PTR")
    assert sorted(rd.target.to_text() for rd in rrset) == [CHILD, "_cn.acme.ucid.example."]


def test_referral_below_zone_cut(server: DnsServer) -> None:
    for qname in (CHILD, "_x86-64." + CHILD):
        reply = ask(server, qname, "A")
        assert reply.rcode() == dns.rcode.NOERROR
        assert not reply.flags & dns.flags.AA
        assert reply.answer == []
        [ns] = reply.authority
        assert ns.rdtype == dns.rdatatype.NS
        assert ns.name == dns.name.from_text(CHILD)
        assert [rd.target.to_text() for rd in ns] == [CHILD_NS]
        glue = reply.find_rrset(
            reply.additional, dns.name.from_text(CHILD_NS), dns.rdataclass.IN, dns.rdatatype.A
        )
        assert [rd.address for rd in glue] == ["192.0.2.53"]


def test_nxdomain_has_soa(server: DnsServer) -> None:
    reply = ask(server, "_arm64._cn.acme.ucid.example.", 65280)
    assert reply.rcode() == dns.rcode.NXDOMAIN
    assert_soa_only_authority(reply)


def test_nodata_has_soa(server: DnsServer) -> None:
    for name, rdtype in ((PRIVATE, "TXT"), (SVC, 65280), (ENUM, "A")):
        reply = ask(server, name, rdtype)
        assert reply.rcode() == dns.rcode.NOERROR, (name, rdtype)
        assert_soa_only_authority(reply)


def test_empty_non_terminal_is_nodata(server: DnsServer) -> None:
    # "_cn" exists only as an ancestor of "_x86-64._cn": NOERROR, not NXDOMAIN.
    reply = ask(server, "_cn.acme.ucid.example.", 65280)
    assert reply.rcode() == dns.rcode.NOERROR
    assert_soa_only_authority(reply)


def test_out_of_zone_is_refused(server: DnsServer) -> None:
    reply = ask(server, "ucid.example.", "SOA")
    assert reply.rcode() == dns.rcode.REFUSED
    assert reply.answer == []


def test_kdig_shows_private_type(server: DnsServer) -> None:
    out = kdig(
        [
            "@" + server.address,
            "-p",
            str(server.port),
            "+short",
            "+retry=0",
            "+time=2",
            PRIVATE,
            "TYPE65280",
        ]
    )
    assert out.split() == ["\\#", "4", "D2840000"]


def test_dig_shows_private_type(server: DnsServer) -> None:
    out = dig(
        [
            "@" + server.address,
            "-p",
            str(server.port),
            "+short",
            "+tries=1",
            "+time=2",
            DELEG,
            "TYPE65281",
        ]
    )
    assert out.split() == ["\\#", "6", "0102030405FF"]


def test_zone_file_not_rewritten(server: DnsServer, zone_file: Path) -> None:
    answer(ask(server, ZONE, "SOA"), ZONE, "SOA")
    assert zone_file.read_text() == ZONE_TEXT


# ---------------------------------------------------------------------------
# Knot: RFC 2136 dynamic update with TSIG
# ---------------------------------------------------------------------------

NEW_PRIVATE = "_aarch64._cn.acme.ucid.example."
NEW_SVC = "gw._aarch64._cn.acme.ucid.example."


@pytest.fixture
def tsig() -> TsigKey:
    return TsigKey.random()


@pytest.fixture
def knot_update(zone_file: Path, tsig: TsigKey) -> Iterator[KnotServer]:
    with KnotServer({ZONE: zone_file}, tsig=tsig, allow_update=True) as srv:
        yield srv


def _update(keyring: dict[dns.name.Name, dns.tsig.Key] | None) -> dns.update.UpdateMessage:
    msg = dns.update.UpdateMessage(ZONE, keyring=keyring)
    msg.add(NEW_PRIVATE, 300, _in(65280, r"\# 3 010203"))
    msg.add(NEW_SVC, 300, _in("SVCB", "1 . alpn=h2,h3 port=8443"))
    return msg


def _serial(server: DnsServer) -> int:
    [soa] = answer(ask(server, ZONE, "SOA"), ZONE, "SOA")
    serial: int = soa.serial
    return serial


def test_knot_signed_update_is_served(
    knot_update: KnotServer, tsig: TsigKey, zone_file: Path
) -> None:
    before = _serial(knot_update)
    reply = dns.query.tcp(
        _update(tsig.dnspython_keyring()),
        knot_update.address,
        port=knot_update.port,
        timeout=TIMEOUT,
    )
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.had_tsig

    rrset = answer(ask(knot_update, NEW_PRIVATE, 65280), NEW_PRIVATE, 65280)
    assert [rd.to_digestable() for rd in rrset] == [bytes.fromhex("010203")]
    rrset = answer(ask(knot_update, NEW_SVC, "SVCB", tcp=True), NEW_SVC, "SVCB")
    assert list(rrset) == [_in("SVCB", "1 . alpn=h2,h3 port=8443")]
    # Knot bumps the serial itself; the zone file on disk is left alone.
    assert _serial(knot_update) > before
    assert zone_file.read_bytes() == ZONE_TEXT.encode()


def _assert_unchanged(server: DnsServer, serial: int) -> None:
    assert ask(server, NEW_PRIVATE, 65280).rcode() == dns.rcode.NXDOMAIN
    assert ask(server, NEW_SVC, "SVCB").rcode() == dns.rcode.NXDOMAIN
    assert _serial(server) == serial


def test_knot_unsigned_update_is_refused(knot_update: KnotServer) -> None:
    before = _serial(knot_update)
    reply = dns.query.udp(
        _update(None), knot_update.address, port=knot_update.port, timeout=TIMEOUT
    )
    assert reply.rcode() in (dns.rcode.NOTAUTH, dns.rcode.REFUSED)
    _assert_unchanged(knot_update, before)


@pytest.mark.parametrize(
    ("wrong", "error"),
    [
        # The right key name with another secret: the signature does not verify.
        (TsigKey.random(), dns.tsig.PeerBadSignature),
        # A key name the server does not know.
        (TsigKey.random(name="intruder."), dns.tsig.PeerBadKey),
    ],
    ids=["bad-secret", "unknown-key"],
)
def test_knot_wrongly_signed_update_is_refused(
    knot_update: KnotServer, wrong: TsigKey, error: type[dns.tsig.PeerError]
) -> None:
    before = _serial(knot_update)
    # The server answers NOTAUTH with a TSIG error (RFC 8945 section 5.2), which
    # dnspython raises as the matching PeerError.
    with pytest.raises(error):
        dns.query.udp(
            _update(wrong.dnspython_keyring()),
            knot_update.address,
            port=knot_update.port,
            timeout=TIMEOUT,
        )
    _assert_unchanged(knot_update, before)


def test_knot_without_update_acl_refuses_signed_update(zone_file: Path, tsig: TsigKey) -> None:
    with KnotServer({ZONE: zone_file}, tsig=tsig) as srv:
        before = _serial(srv)
        # A key that no ACL of the zone names counts as unknown: NOTAUTH/BADKEY.
        with pytest.raises(dns.tsig.PeerBadKey):
            dns.query.udp(
                _update(tsig.dnspython_keyring()), srv.address, port=srv.port, timeout=TIMEOUT
            )
        _assert_unchanged(srv, before)


# ---------------------------------------------------------------------------
# The helper itself
# ---------------------------------------------------------------------------


def test_server_stops_and_cleans_up(zone_file: Path) -> None:
    srv = NsdServer({ZONE: zone_file})
    with srv:
        assert srv.running
        workdir = srv.workdir
        assert workdir is not None
        assert workdir.is_dir()
        assert "zone acme.ucid.example. read with success" in srv.stderr_text()
    assert not srv.running
    assert not workdir.exists()


def test_knot_bad_zone_fails_fast_with_its_log(tmp_path: Path) -> None:
    # A generic-syntax length that disagrees with the data.  knotd keeps running
    # (answering SERVFAIL); the helper spots the log line instead of waiting.
    bad = tmp_path / "bad.zone"
    bad.write_text(ZONE_TEXT.replace(r"\# 4 d2840000", r"\# 5 d2840000"))
    with (
        pytest.raises(ServerStartError, match="rdata length statement is incorrect"),
        KnotServer({ZONE: bad}),
    ):
        pass


def test_nsd_bad_zone_surfaces_checkzone_message(tmp_path: Path) -> None:
    # NSD 4.6 accepts the wrong generic length above (and serves the data as
    # written), so break the zone in a way nsd-checkzone does catch.
    bad = tmp_path / "bad.zone"
    bad.write_text(ZONE_TEXT.replace("alpn=h2 port=8443", "alpn=h2 bogus=1 port=8443"))
    with (
        pytest.raises(ServerStartError, match=r"(?s)nsd-checkzone rejected.*SvcParamKey"),
        NsdServer({ZONE: bad}),
    ):
        pass


@pytest.mark.parametrize("value", ["", "0"])
def test_missing_binary_skips(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(REQUIRE_ENV, value)
    with pytest.raises(pytest.skip.Exception, match="cid-no-such-server not installed"):
        require_binary("cid-no-such-server")


def test_missing_binary_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="cid-no-such-server not installed"):
        require_binary("cid-no-such-server")


def test_sbin_is_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    found = require_binary("knotd")
    if str(Path(found).parent) not in ("/usr/local/sbin", "/usr/sbin", "/sbin"):
        pytest.skip(f"knotd is at {found}, outside the sbin directories")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert require_binary("knotd") == found


def test_an_unmarked_test_cannot_start_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    # The realdns marker stays true: a test without it that needs a server fails.
    monkeypatch.setattr(dnsservers, "CURRENT_TEST_IS_REALDNS", False)
    with pytest.raises(pytest.fail.Exception, match=r"mark it @pytest.mark.realdns"):
        require_binary("knotd")
