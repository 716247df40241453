"""``cid zone push``: RFC 2136 UPDATE with TSIG to a running Knot."""

from __future__ import annotations

import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest
from dnsservers import KnotServer, TsigKey, require_binary

import cid
from cid.cli._main import main
from cid.layout import TYPE_DESCRIPTOR
from cid.registry._demo import DEMO_ROOT, write_demo
from cid.registry._zone import zone_text

pytestmark = pytest.mark.realdns

ZONE = "acme.hpc.ucid.example"
NEW = "ucid:acme.hpc/de-by/x86-64-v4+sm100/acc=8;acc-model=b200"
GONE = (
    "ucid:acme.hpc/us-ca/x86-64-v4+gfx942/acc=8;acc-model=mi300x;acc-mem=192GiB;ic=xgmi;"
    "mem=2TiB;confidential"
)


def ask(port: int, name: str, rdtype: object) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)  # type: ignore[arg-type]
    return dns.query.tcp(q, "127.0.0.1", port=port, timeout=3)


def test_push_updates_knot_and_needs_tsig(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_binary("knotd")
    now = int(time.time())
    registry = write_demo(tmp_path / "reg", now=now)
    zone_file = tmp_path / f"{ZONE}.zone"
    zone_file.write_text(zone_text(registry.assemble(ZONE, now=now)[0]))
    key = TsigKey.random()
    secret = f"{key.algorithm}:{key.name}:{key.secret_b64}"
    new_name = cid.parse(NEW).to_dns_name(DEMO_ROOT)
    gone_name = cid.parse(GONE).to_dns_name(DEMO_ROOT)
    with KnotServer({ZONE + ".": zone_file}, tsig=key, allow_update=True) as knot:
        assert ask(knot.port, gone_name, TYPE_DESCRIPTOR).answer
        # the registry changes: one resource added, one withdrawn
        registry.add_source(
            ZONE,
            "b200",
            {
                "subject": NEW,
                "version": 1,
                "endpoints": [
                    {
                        "transport": "tcp",
                        "protocol": "https",
                        "host": "b200.acme.example",
                        "port": 443,
                    }
                ],
            },
        )
        folder = registry.path / "zones" / ZONE
        (folder / "sources" / "mi300x.json").unlink()
        next(p for p in (folder / "descriptors").glob("*.cose") if "gfx942" in p.name).unlink()
        registry.build(now=now)
        server = f"127.0.0.1:{knot.port}"

        # without TSIG: refused, nothing changes
        assert main(["zone", "push", str(registry.path), "--zone", ZONE, "--server", server]) == 65
        assert "NOTAUTH" in capsys.readouterr().err
        assert ask(knot.port, new_name, TYPE_DESCRIPTOR).rcode() == dns.rcode.NXDOMAIN

        assert (
            main(
                [
                    "zone",
                    "push",
                    str(registry.path),
                    "--zone",
                    ZONE,
                    "--server",
                    server,
                    "--tsig",
                    secret,
                ]
            )
            == 0
        )
        assert " 0 removed" not in capsys.readouterr().out
        r = ask(knot.port, new_name, TYPE_DESCRIPTOR)
        data = r.answer[0][0].data
        assert cid.verify(data, registry.verify_keys(ZONE), now=now).subject == str(cid.parse(NEW))
        assert (
            ask(knot.port, new_name, "SVCB").answer[0][0].to_text()
            == '1 b200.acme.example. port="443"'
        )
        assert ask(knot.port, gone_name, TYPE_DESCRIPTOR).rcode() == dns.rcode.NXDOMAIN
        enum = ask(knot.port, f"__enum._de-by.{ZONE}.", "PTR")
        assert {r.target.to_text() for r in enum.answer[0]} == {
            f"_neoverse-v2_sm90._de-by.{ZONE}.",
            f"_x86-64-v4_sm100._de-by.{ZONE}.",
        }
        assert ask(knot.port, f"_us-ca.{ZONE}.", "A").rcode() == dns.rcode.NXDOMAIN

        # pushing again changes nothing that matters and still succeeds
        assert (
            main(
                [
                    "zone",
                    "push",
                    str(registry.path),
                    "--zone",
                    ZONE,
                    "--server",
                    server,
                    "--tsig",
                    secret,
                ]
            )
            == 0
        )
        assert "0 removed" in capsys.readouterr().out
        assert ask(knot.port, ZONE + ".", "SOA").rcode() == dns.rcode.NOERROR


def test_bad_tsig_spelling(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    registry = write_demo(tmp_path / "reg", now=int(time.time()))
    assert (
        main(
            [
                "zone",
                "push",
                str(registry.path),
                "--zone",
                ZONE,
                "--server",
                "127.0.0.1:9",
                "--tsig",
                "just-one-part",
            ]
        )
        == 65
    )
    assert "[ALGORITHM:]NAME:SECRET" in capsys.readouterr().err
