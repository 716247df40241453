"""Server mode: ask an authoritative server the questions of the ``server`` cases and
check its answers (``cid-conformance server --server HOST:PORT``).

The server under test is loaded with the zones that each case's fixture lists as
``server_mode`` (``conformance/fixtures/<fixture>/fixture.json``). A case's input
``query`` has ``name``, ``type``, and optionally ``tcp`` (default false), ``edns``
(the EDNS version, or null for a query without EDNS; default 0) and ``payload``
(default 1232); RD is clear. Its expected ``output`` may hold:

- ``rcode`` (mnemonic, extended RCODEs included), ``aa``, ``tc`` (booleans),
  ``edns`` (the version of the response's OPT record, or null for none);
- ``answer`` and ``authority``: the section's records exactly, each in presentation
  form ``OWNER TTL IN TYPE RDATA`` (private types in RFC 3597 form, compared byte for
  byte), in any order;
- ``additional``: records that must be there; ``additional_may``: records that may
  be there besides (the OPT record is never listed). No other record may be.

Members that are absent are not compared.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

__all__ = ["TIMEOUT", "ask", "check_response", "run_server_mode"]

#: Seconds to wait for each response.
TIMEOUT = 3.0

Record = tuple[str, int, int, int, bytes]


def _record(text: str) -> Record:
    owner, ttl, rdclass, rdtype, rdata = text.split(None, 4)
    klass = dns.rdataclass.from_text(rdclass)
    kind = dns.rdatatype.from_text(rdtype)
    rd = dns.rdata.from_text(klass, kind, rdata)
    name = dns.name.from_text(owner)
    return (name.to_text().lower(), int(ttl), klass, kind, rd.to_digestable(dns.name.root))


def _records(section: Iterable[dns.rrset.RRset]) -> list[Record]:
    out = []
    for rrset in section:
        if rrset.rdtype == dns.rdatatype.OPT:
            continue
        for rd in rrset:
            out.append(
                (
                    rrset.name.to_text().lower(),
                    rrset.ttl,
                    rrset.rdclass,
                    rrset.rdtype,
                    rd.to_digestable(dns.name.root),
                )
            )
    return sorted(out)


def _show(records: Iterable[Record]) -> str:
    return "; ".join(
        f"{n} {t} {dns.rdatatype.RdataType.make(k).name} {d.hex()[:24]}{'…' if len(d) > 12 else ''}"
        for n, t, _, k, d in records
    )


def ask(host: str, port: int, query: dict[str, Any]) -> dns.message.Message:
    """Send a case's ``query`` to ``host``:``port`` and return the response."""
    edns = query.get("edns", 0)
    msg = dns.message.make_query(
        query["name"],
        dns.rdatatype.from_text(query["type"]),
        use_edns=False if edns is None else int(edns),
        payload=int(query.get("payload", 1232)),
    )
    msg.flags &= ~dns.flags.RD
    if query.get("tcp"):
        return dns.query.tcp(msg, host, port=port, timeout=TIMEOUT)
    return dns.query.udp(msg, host, port=port, timeout=TIMEOUT, ignore_trailing=False)


def check_response(response: dns.message.Message, expected: dict[str, Any]) -> str | None:
    """Why ``response`` is not what ``expected`` (a case's expected output) says, or None."""
    problems: list[str] = []
    if "rcode" in expected and dns.rcode.to_text(response.rcode()) != expected["rcode"]:
        problems.append(
            f"rcode {dns.rcode.to_text(response.rcode())}, expected {expected['rcode']}"
        )
    for flag, name in ((dns.flags.AA, "aa"), (dns.flags.TC, "tc")):
        if name in expected and bool(response.flags & flag) != expected[name]:
            problems.append(f"{name} {not expected[name]}, expected {expected[name]}")
    if "edns" in expected:
        got = None if response.edns < 0 else response.edns
        if got != expected["edns"]:
            problems.append(f"EDNS {got}, expected {expected['edns']}")
    for section, name in ((response.answer, "answer"), (response.authority, "authority")):
        if name in expected:
            got_records = _records(section)
            want = sorted(_record(t) for t in expected[name])
            if got_records != want:
                problems.append(f"{name}: got [{_show(got_records)}], expected [{_show(want)}]")
    if "additional" in expected or "additional_may" in expected:
        got_set = set(_records(response.additional))
        must = {_record(t) for t in expected.get("additional", ())}
        may = {_record(t) for t in expected.get("additional_may", ())}
        if must - got_set:
            problems.append(f"additional lacks [{_show(sorted(must - got_set))}]")
        if got_set - must - may:
            problems.append(f"additional has unexpected [{_show(sorted(got_set - must - may))}]")
    return "; ".join(problems) or None


def run_server_mode(
    host: str, port: int, cases: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], bool, str]]:
    """Run each server case against ``host``:``port``: (case, passed, detail)."""
    results: list[tuple[dict[str, Any], bool, str]] = []
    for case in cases:
        try:
            response = ask(host, port, case["input"]["query"])
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            results.append((case, False, f"no usable response: {type(exc).__name__}: {exc}"))
            continue
        problem = check_response(response, case["expected"].get("output", {}))
        results.append((case, problem is None, problem or "ok"))
    return results
