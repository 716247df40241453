"""``cid-resolve``: outcomes and exit statuses, JSON, trace, discovery, configuration."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import cid
from cid.registry._demo import _RESOURCES
from resolver import Discovery, Outcome, ResolutionError, TrustAnchor
from resolver._cli import EXIT_CONFIG, EXIT_USAGE, _find, endpoint_url, main
from resolver._config import ConfigError, settings
from resolver._demo import DemoHierarchy

DEMO = [(cid.parse(ident), [e["host"] for e in eps]) for _, _, ident, eps in _RESOURCES]
REGION_ZONE = "ucid:ctyun.east/cn-sh/neoverse-n2/cpu=128;mem=512GiB"


def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    saved = dict(os.environ)
    try:
        if env is not None:
            os.environ.update(env)
        status = main(list(argv), out=out)
    except SystemExit as exc:  # argparse
        status = int(exc.code or 0)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return status, out.getvalue()


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[TrustAnchor, Path]]:
    hierarchy = DemoHierarchy()
    anchor = hierarchy.start()
    try:
        yield anchor, hierarchy.path / "anchor.json"
    finally:
        hierarchy.stop()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No user configuration or state leaks in or out.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for var in ("UCID_ANCHOR", "UCID_SERVERS", "UCID_PORT", "UCID_FORWARD", "UCID_CONFIG"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize(("ident", "hosts"), DEMO, ids=[str(i) for i, _ in DEMO])
def test_every_demo_identifier_resolves(
    demo: tuple[TrustAnchor, Path], ident: cid.Identifier, hosts: list[str]
) -> None:
    anchor, path = demo
    status, out = run(str(ident), "--json", "--anchor", str(path), "--port", str(anchor.port))
    assert status == 0
    body = json.loads(out)
    assert body["outcome"] == "OK"
    assert body["identifier"] == str(ident)
    assert sorted(e["host"] for e in body["endpoints"]) == sorted(hosts)
    assert body["chain"][0] == "ucid.example"
    assert body["zone"] == body["chain"][-1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["expires"])  # ISO 8601


@pytest.mark.parametrize(
    ("ident", "outcome"),
    [
        ("ucid:ctyun.east/cn-sh/neoverse-n2/cpu=129", Outcome.NOT_FOUND),
        ("ucid:nowhere.example/cn/x86-64", Outcome.NOT_FOUND),
        ("ucid:ctyun.east/cn-sh/neoverse-n2", Outcome.NO_LIVE_ENDPOINTS),
        ("ucid:acme.hpc/de-by/neoverse-v2+sm90", Outcome.NO_LIVE_ENDPOINTS),
        ("ucid:acme.hpc/de-by/x86-64+", Outcome.INVALID_IDENTIFIER),
        ("not an identifier", Outcome.INVALID_IDENTIFIER),
    ],
)
def test_outcomes_have_their_exit_status(
    demo: tuple[TrustAnchor, Path], ident: str, outcome: Outcome
) -> None:
    anchor, path = demo
    status, out = run(ident, "--json", "--anchor", str(path), "--port", str(anchor.port))
    assert status == outcome.exit_status
    body = json.loads(out)
    assert body["outcome"] == outcome.code
    assert body["name"] == ident or outcome is not Outcome.INVALID_IDENTIFIER
    assert body["step"]


def test_exit_statuses_are_distinct() -> None:
    statuses = [o.exit_status for o in Outcome] + [EXIT_USAGE, EXIT_CONFIG]
    assert len(set(statuses)) == len(statuses)


def test_table_and_trace(demo: tuple[TrustAnchor, Path]) -> None:
    anchor, path = demo
    status, out = run(REGION_ZONE, "--trace", "--anchor", str(path), "--port", str(anchor.port))
    assert status == 0
    assert "verified" in out and "TYPE65281" in out and "TYPE65280" in out
    # The private types are named by what they hold, beside the number dig needs.
    assert "TYPE65281 (delegation)" in out and "TYPE65280 (descriptor)" in out
    assert "TYPE65280:" not in out and "TYPE65281:" not in out
    assert re.search(r"expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)", out)
    assert not re.search(r"\b1[0-9]{9}\b", out)  # no epoch seconds shown
    assert "sh.ctyun.example" in out
    assert "_cn-sh.ctyun.east.ucid.example" in out.split("chain")[1]


@pytest.mark.parametrize(
    "pattern", ["ucid:*", "ucid:*.hpc", "ucid:*/cn-*", "ucid:*/*/x86-64-v3", "ucid:*/*/*+sm80"]
)
def test_find(demo: tuple[TrustAnchor, Path], pattern: str) -> None:
    anchor, path = demo
    where = ("--anchor", str(path), "--port", str(anchor.port))
    status, out = run("--find", pattern, "--json", *where)
    expected = {str(i) for i, _ in DEMO if cid.parse_pattern(pattern).matches(i)}
    assert status == (0 if expected else Outcome.NOT_FOUND.exit_status)
    body = json.loads(out)
    assert {r["identifier"] for r in body["results"]} == expected
    assert (body["complete"], body["bound"]) == (True, None)


def test_find_stopped_at_a_bound(demo: tuple[TrustAnchor, Path]) -> None:
    anchor, path = demo
    where = ("--anchor", str(path), "--port", str(anchor.port))
    status, out = run("--find", "ucid:*", "--max-results", "1", *where)
    assert status == 0
    assert out.splitlines()[-1].endswith("(stopped at a bound: max_results)")
    status, out = run("--find", "ucid:*", "--max-results", "1", "--json", *where)
    body = json.loads(out)
    assert (body["complete"], body["bound"], len(body["results"])) == (False, "max_results", 1)
    status, _ = run("--find", "ucid:*", "--max-results", "0", *where)
    assert status == Outcome.LIMIT_EXCEEDED.exit_status  # nothing kept, but not NOT_FOUND


_CUT = ResolutionError(Outcome.SERVFAIL, "ucid:x.y/a/b", "list", "")


@pytest.mark.parametrize(
    ("failures", "bound", "status"),
    [
        ((), None, Outcome.NOT_FOUND),
        ((), "deadline", Outcome.TIMEOUT),
        ((), "max_nodes", Outcome.LIMIT_EXCEEDED),
        ((), "max_results", Outcome.LIMIT_EXCEEDED),
        ((_CUT,), "deadline", Outcome.SERVFAIL),  # the first failure comes first
    ],
    ids=["nothing", "deadline", "max-nodes", "max-results", "failure-first"],
)
def test_find_exit_status_without_results(
    failures: tuple[ResolutionError, ...], bound: str | None, status: Outcome
) -> None:
    found = Discovery(cid.parse_pattern("ucid:*"), (), failures, 3, bound)

    class Stub:
        def find(self, pattern: str, **options: object) -> Discovery:
            return found

    args = argparse.Namespace(find="ucid:*", max_results=100, json=False, short=False)
    out = io.StringIO()
    assert _find(Stub(), args, out) == status.exit_status  # type: ignore[arg-type]
    assert out.getvalue().startswith("0 found, 3 nodes visited")


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        ((), EXIT_USAGE),
        ((REGION_ZONE, "--find", "ucid:*"), EXIT_USAGE),
        ((REGION_ZONE, "--anchor", "/nonexistent/anchor.json"), EXIT_CONFIG),
        ((REGION_ZONE, "--anchor", "x.json", "--port", "0"), EXIT_CONFIG),
        ((REGION_ZONE, "--anchor", "x.json", "--timeout", "soon"), EXIT_CONFIG),
        ((REGION_ZONE, "--anchor", "x.json", "--forward", "resolver.example"), EXIT_CONFIG),
        (("--find", "ucid:*/cn-*/x86-64+"), Outcome.INVALID_IDENTIFIER.exit_status),
    ],
)
def test_bad_invocations(argv: tuple[str, ...], status: int) -> None:
    assert run(*argv)[0] == status


def test_bad_config_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("anchor = [unclosed\n")
    assert run(REGION_ZONE, "--config", str(bad))[0] == EXIT_CONFIG
    bad.write_text('colour = "blue"\n')
    assert run(REGION_ZONE, "--config", str(bad))[0] == EXIT_CONFIG


def test_bad_anchor_file(tmp_path: Path) -> None:
    for text in ("{", '{"zone": "x"}', '{"zone": "x", "keys": ["00"]}', "[]"):
        path = tmp_path / "anchor.json"
        path.write_text(text)
        assert run(REGION_ZONE, "--anchor", str(path))[0] == EXIT_CONFIG


def _args(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = dict.fromkeys(
        ("anchor", "servers", "port", "forward", "timeout", "deadline", "state", "config")
    )
    base.update(kw)
    return argparse.Namespace(**base)


def test_settings_precedence(tmp_path: Path) -> None:
    conf = tmp_path / "resolve.toml"
    conf.write_text(
        'anchor = "from-file.json"\nport = 5300\ntimeout = 2\nservers = ["192.0.2.1"]\n'
        'forward = "[2001:db8::1]:5353"\nstate = "none"\n'
    )
    s = settings(_args(config=str(conf)), {})
    assert s.anchor == Path("from-file.json")
    assert s.port == 5300 and s.timeout == 2.0 and s.deadline == 5.0
    assert s.servers == (("192.0.2.1", 5300),)
    assert s.forward == ("2001:db8::1", 5353)
    assert s.state is None
    env = {"UCID_ANCHOR": "from-env.json", "UCID_PORT": "5301", "UCID_SERVERS": "192.0.2.2:99"}
    s = settings(_args(config=str(conf)), env)
    assert s.anchor == Path("from-env.json") and s.port == 5301
    assert s.servers == (("192.0.2.2", 99),)
    s = settings(_args(config=str(conf), anchor="flag.json", port="5302"), env)
    assert s.anchor == Path("flag.json") and s.port == 5302
    # An absent default file is fine; an absent named file is an error.
    assert settings(_args(), {}).anchor is None
    with pytest.raises(ConfigError, match="cannot read"):
        settings(_args(config=str(tmp_path / "missing.toml")), {})


def test_readme_command_runs_against_the_demo() -> None:
    """The README's first command, as a user types it (the console script), prints what
    the README shows, but for the port and the time the demo is valid until."""
    script = Path(sys.executable).parent / "cid-resolve"
    done = subprocess.run(
        [str(script), REGION_ZONE], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- quick-start-output -->\n```\n", 1)[1].split("```", 1)[0]

    def general(text: str) -> str:
        text = re.sub(r"port \d+\)", "port N)", text)
        return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME", text)

    assert general(shown) == general(done.stderr + done.stdout)
    assert "bundled demo hierarchy" in done.stderr
    assert "sh.ctyun.example" in done.stdout
    assert "ucid.example > east.ucid.example > ctyun.east.ucid.example" in done.stdout


def test_python_m_resolver(demo: tuple[TrustAnchor, Path]) -> None:
    """``python -m resolver`` is ``cid-resolve``, as ``python -m cid`` is ``cid``."""
    anchor, path = demo
    done = subprocess.run(
        [sys.executable, "-m", "resolver", REGION_ZONE, "--json", "--anchor", str(path),
         "--port", str(anchor.port)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcome"] == "OK"
    done = subprocess.run(
        [sys.executable, "-m", "resolver"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == EXIT_USAGE and "cid-resolve" in done.stderr


CTYUN_JS = "ucid:ctyun.east/cn-js/x86-64-v3/cpu=64;mem=256GiB;net-bw=25Gbps"
GH200 = (
    "ucid:acme.hpc/de-by/neoverse-v2+sm90/acc=4;acc-model=gh200;acc-mem=96GiB;ic=nvlink4;mem=480GiB"
)


def test_short(demo: tuple[TrustAnchor, Path]) -> None:
    """``--short``, like ``dig +short``: the endpoints, one a line, in the order to try."""
    anchor, path = demo
    where = ("--anchor", str(path), "--port", str(anchor.port))
    assert run(REGION_ZONE, "--short", *where) == (0, "tcp+https://sh.ctyun.example:443\n")
    status, out = run(CTYUN_JS, "--short", *where)  # priority 1 before priority 2
    assert (status, out.splitlines()) == (
        0,
        ["tcp+https://js.ctyun.example:443", "tcp+https://js-backup.ctyun.example:443"],
    )
    status, out = run(GH200, "--short", *where)
    assert sorted(out.splitlines()) == [
        "tcp+https://gh.acme.example:443",
        "tcp+quic://192.0.2.44:4433",
    ]
    # The form cid register --endpoint takes.
    from cid.cli._register import parse_endpoint  # noqa: PLC0415

    for line in out.splitlines():
        assert endpoint_url(parse_endpoint(line)) == line
    assert endpoint_url(parse_endpoint("quic+https://[2001:db8::8]:4433")) == (
        "quic+https://[2001:db8::8]:4433"
    )
    status, out = run("--find", "ucid:*/cn-sh", "--short", *where)
    assert status == 0
    assert sorted(out.splitlines()) == sorted(
        str(i) for i, _ in DEMO if cid.parse_pattern("ucid:*/cn-sh").matches(i)
    )
    # A failure is said on stderr, as without --short: nothing on stdout.
    assert run("ucid:ctyun.east/cn-sh/neoverse-n2/cpu=129", "--short", *where) == (
        Outcome.NOT_FOUND.exit_status,
        "",
    )
    assert run(REGION_ZONE, "--short", "--json", *where)[0] == EXIT_USAGE
    assert run(REGION_ZONE, "--short", "--trace", *where)[0] == EXIT_USAGE
