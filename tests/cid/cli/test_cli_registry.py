"""``cid registry init``, ``cid zone add``, ``cid source ...``, ``cid key rollover``
(spec/resolution.md §7.8), and the README's "A registry from nothing", run as written."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from dnsservers import free_port

import cid
from cid.cli import main
from cid.server import Authority, ServerThread, registry_zones
from resolver import Resolver, TrustAnchor

NOW = 1_795_000_000
ROOT = "ucid.test"
IDENT = "ucid:acme.east/cn-sh/x86-64-v3/cpu=64"
REPO = Path(__file__).resolve().parents[3]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def build_hierarchy(capsys: pytest.CaptureFixture[str], reg: str, now: int = NOW) -> None:
    t = str(now)
    for argv in (
        ("registry", "init", reg, "--root", ROOT, "--ns", f"ns1.{ROOT}=127.0.0.1", "--now", t),
        ("zone", "add", reg, f"east.{ROOT}"),
        ("zone", "add", reg, f"acme.east.{ROOT}", "--ns", f"ns1.acme.east.{ROOT}=127.0.0.1"),
        ("zone", "add", reg, f"_cn-sh.acme.east.{ROOT}"),
        (
            "source",
            "add",
            reg,
            IDENT,
            "--endpoint",
            "https://api.acme.example:443?alpn=h2",
            "--endpoint",
            "quic+https://[2001:db8::7]:4433?alpn=h3&priority=2",
            "--now",
            t,
        ),
        ("zone", "build", reg, "--now", t),
    ):
        status, _out, err = run(capsys, *argv)
        assert status == 0, (argv, err)


def resolve(path: Path, now: int) -> tuple[str, ...]:
    anchor = json.loads((path / "anchor.json").read_text())
    with ServerThread(Authority(registry_zones(path, now))) as server:
        trust = TrustAnchor.from_json(anchor, port=server.bound[0][1])
        found = Resolver(trust, wallclock=lambda: now).resolve(IDENT)
    assert [e.host for e in found.endpoints] == ["api.acme.example", "2001:db8::7"]
    return found.chain


def test_a_hierarchy_from_nothing_resolves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = str(tmp_path / "reg")
    build_hierarchy(capsys, reg)
    assert resolve(Path(reg), NOW) == (
        ROOT,
        f"east.{ROOT}",
        f"acme.east.{ROOT}",
        f"_cn-sh.acme.east.{ROOT}",
    )
    status, out, _ = run(capsys, "source", "list", reg)
    assert status == 0 and out.startswith(f"_cn-sh.acme.east.{ROOT}  {IDENT}  zones/")


def test_rollover_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = str(tmp_path / "reg")
    build_hierarchy(capsys, reg)
    zone = f"acme.east.{ROOT}"
    status, out, _ = run(capsys, "key", "rollover", reg, zone, "--now", str(NOW))
    assert status == 0 and "started the rollover" in out
    state = json.loads((Path(reg) / "zones" / zone / "rollover.json").read_text())
    status, _, err = run(capsys, "key", "rollover", reg, zone, "--now", str(NOW + 1))
    assert status == 65 and f"at or after {state['sign_from']}" in err
    status, _, _ = run(capsys, "zone", "build", reg, "--now", str(state["sign_from"]))
    assert status == 0
    assert resolve(Path(reg), state["sign_from"])[-2] == zone
    status, _, err = run(capsys, "key", "rollover", reg, zone, "--now", str(state["sign_from"]))
    assert status == 65 and "too early to retire" in err
    retire = int(re.search(r"not before ([0-9]+)", err).group(1))  # type: ignore[union-attr]
    status, out, _ = run(capsys, "key", "rollover", reg, zone, "--finish", "--now", str(retire))
    assert status == 0 and f"retired key {state['old']}" in out
    assert resolve(Path(reg), retire)[-2] == zone


MISUSE: list[tuple[str, list[str], str]] = [
    ("init: non-empty folder", ["registry", "init", "{reg}", "--root", ROOT], "not an empty"),
    ("init: bad root", ["registry", "init", "{tmp}/n", "--root", "a_b.test"], "root 'a_b.test'"),
    ("init: bad --ns", ["registry", "init", "{tmp}/n", "--root", ROOT, "--ns", "x=1.2.3"], "IP"),
    ("zone: exists", ["zone", "add", "{reg}", f"east.{ROOT}"], "exists already"),
    ("zone: outside", ["zone", "add", "{reg}", "acme.example"], "not under the registry's root"),
    ("zone: bad name", ["zone", "add", "{reg}", f"a_b.{ROOT}"], "not a zone name"),
    ("zone: no registry", ["zone", "add", "{tmp}/none", f"x.{ROOT}"], "registry.json: missing"),
    ("source: exists", ["source", "add", "{reg}", IDENT, "--endpoint", "https://a.b:1"], "already"),
    ("source: bad endpoint", ["source", "add", "{reg}", IDENT, "--endpoint", "a.b"], "endpoint"),
    (
        "source: bad host",
        ["source", "add", "{reg}", "ucid:x.east/cn-sh/x86-64", "--endpoint", "https://A_B:1"],
        "host",
    ),
    (
        "source: bad identifier",
        ["source", "add", "{reg}", "ucid:x", "--endpoint", "https://a.b:1"],
        "invalid identifier",
    ),
    ("source: remove none", ["source", "remove", "{reg}", "ucid:x.east/cn-sh/x86-64"], "no source"),
    ("rollover: no zone", ["key", "rollover", "{reg}", "nope.example"], "no zone nope.example"),
    ("rollover: nothing to finish", ["key", "rollover", "{reg}", ROOT, "--finish"], "no key roll"),
]


@pytest.mark.parametrize(("case", "argv", "message"), MISUSE, ids=[m[0] for m in MISUSE])
def test_misuse_exits_65_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, argv: list[str], message: str
) -> None:
    reg = str(tmp_path / "reg")
    build_hierarchy(capsys, reg)
    args = [a.format(reg=reg, tmp=tmp_path) for a in argv]
    status, _out, err = run(capsys, *args)
    assert status == 65, (status, err)
    assert err.startswith("cid: ") and message in err and "Traceback" not in err


def _readme_block() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- registry-from-nothing -->\n```sh\n(.*?)```", text, re.S)
    assert found, "README.md has no registry-from-nothing block"
    return found.group(1)


def test_the_readme_walk_through_runs_as_written(tmp_path: Path) -> None:
    """The README's commands, run by bash in an empty folder with this venv's commands
    first on PATH: every one succeeds, and cid-resolve prints the verified endpoints."""
    script = tmp_path / "walk.sh"
    script.write_text("set -e\n" + _readme_block())
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PORT": str(free_port()),
        "HOME": str(tmp_path),  # cid-resolve's version store
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    for name in [n for n in env if n.startswith("UCID_")]:
        del env[name]
    proc = subprocess.Popen(
        ["bash", str(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the server goes with it
    )
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
    assert proc.returncode == 0, err
    assert (
        "chain      ucid.example > east.ucid.example > acme.east.ucid.example > "
        "_cn-sh.acme.east.ucid.example" in out
    )
    assert "api.acme.example" in out and "bj.acme.example" in out
    assert "started the rollover of acme.east.ucid.example" in out
    anchor = json.loads((tmp_path / "reg" / "anchor.json").read_text())
    assert anchor["zone"] == "ucid.example" and len(anchor["keys"]) == 1
    assert cid.parse(IDENT)  # the identifier of these tests parses, as the README's does


def test_zone_compile_writes_the_images_a_start_maps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reg = str(tmp_path / "reg")
    status, _, _ = run(capsys, "demo", "init", reg, "--now", str(NOW))
    assert status == 0
    status, out, _ = run(capsys, "zone", "compile", reg, "--zone", "acme.hpc.ucid.example",
                         "--now", str(NOW))  # fmt: skip
    assert status == 0
    assert re.fullmatch(r"written    \.cache/acme\.hpc\.ucid\.example\.[0-9a-f]{16}\.image\n", out)
    status, again, _ = run(capsys, "zone", "compile", reg, "--zone", "acme.hpc.ucid.example",
                           "--now", str(NOW + 1))  # fmt: skip
    assert status == 0 and again == "up to date acme.hpc.ucid.example: " + out.split()[1] + "\n"
