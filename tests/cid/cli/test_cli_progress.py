"""Long commands (``cid zone build``, ``cid zone export``, ``cid serve`` loading) show a
progress line on standard error when it is a terminal, never otherwise, and not with
``--quiet``; ``zone build`` prints each file as it goes."""

from __future__ import annotations

import inspect
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cid.cli import _zone as cli_zone
from cid.cli._main import main
from cid.cli._output import Progress
from cid.registry._demo import write_demo

NOW = 1_795_000_000


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    reg = write_demo(tmp_path / "reg", now=NOW)
    return reg.path


def test_progress_only_on_a_terminal() -> None:
    tty, pipe = Terminal(), io.StringIO()
    for stream in (tty, pipe):
        p = Progress("zone build", stream=stream)
        p(3, 10, "acme")
        p.done()
    assert "\rzone build: 3/10 acme" in tty.getvalue() and tty.getvalue().endswith("\r\033[K")
    assert pipe.getvalue() == ""
    quiet = Terminal()
    Progress("x", quiet=True, stream=quiet)(1)
    assert quiet.getvalue() == ""


def _rebuild(registry: Path) -> None:
    """Make every source need signing again at NOW + 1."""
    for source in registry.glob("zones/*/sources/*.json"):
        spec = json.loads(source.read_text())
        spec["endpoints"][0]["port"] = 8443
        source.write_text(json.dumps(spec))


@pytest.mark.parametrize("quiet", [False, True])
def test_zone_build_on_a_terminal(
    registry: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    quiet: bool,
) -> None:  # fmt: skip
    _rebuild(registry)
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    argv = ["zone", "build", str(registry), "--now", str(NOW + 1)]
    assert main(argv + (["--quiet"] if quiet else [])) == 0
    out = capsys.readouterr().out
    assert out.count("signed  zones/") >= 8
    assert ("zone build: 1 records checked" in tty.getvalue()) != quiet
    # Without a terminal: no progress at all, whatever the flag.
    _rebuild(registry)
    assert main(["zone", "build", str(registry), "--now", str(NOW + 2)]) == 0
    assert "zone build:" not in capsys.readouterr().err


def test_zone_build_prints_each_file_as_it_goes(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line is written while the build is still running, not at its end."""
    _rebuild(registry)
    during: list[bool] = []

    class Watch(io.StringIO):
        def write(self, text: str) -> int:
            if text.startswith("signed"):
                during.append(any(f.function == "build" for f in inspect.stack()))
            return super().write(text)

    monkeypatch.setattr(sys, "stdout", Watch())
    assert main(["zone", "build", str(registry), "--now", str(NOW + 1)]) == 0
    assert during and all(during)


def test_zone_export_on_a_terminal(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    argv = ["zone", "export", str(registry), "-o", str(tmp_path / "z"), "--now", str(NOW)]
    assert main(argv) == 0
    assert "zone export: 0/" in tty.getvalue()
    tty.truncate(0)
    assert main([*argv, "-q"]) == 0
    assert tty.getvalue().strip("\x00") == ""


def test_serve_loading_on_a_terminal(
    registry: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[str] = []

    async def fake_serve(path: Path, listen: Any, *, ready: Callable[..., None], **kw: Any) -> None:
        seen.append(tty.getvalue())  # what the terminal shows while the zones load
        kw["progress"]("reading acme.hpc.ucid.example", 4096, 10000)
        seen.append(tty.getvalue())
        ready([("127.0.0.1", 5353)])

    monkeypatch.setattr(cli_zone, "serve_registry", fake_serve)
    monkeypatch.setattr(cli_zone, "_configure_logging", lambda args: _NoLog())
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["serve", str(registry)]) == 0
    assert f"cid serve: loading {registry}" in seen[0]
    assert "4096/10000 descriptors read (reading acme.hpc.ucid.example), about" in seen[1]
    assert tty.getvalue().endswith("\r\033[K")  # cleared once serving
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["serve", str(registry), "--quiet"]) == 0
    assert seen[2] == seen[3] == "" and tty.getvalue() == ""
    assert "serving" in capsys.readouterr().out


class _NoLog:
    def stop(self) -> None:
        pass
