"""Every command of ``cid``, ``cid-resolve`` and ``cid-conformance`` with its standard
output going to a pipe that nobody reads (``... | head -1``): no traceback, and the
command's own exit status, as if the output had been read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dnsservers
import pytest
from dnsservers import free_port
from examples import descriptor_spec

from cid.registry._demo import write_demo

PY = sys.executable
TIMEOUT = 120
REGION = "ucid:ctyun.east/cn-sh/neoverse-n2/cpu=128;mem=512GiB"
LIVE_ZONE = "acme.hpc.ucid.example"
LIVE_ID = "ucid:acme.hpc/de-by/x86-64-v4/cpu=8"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo registry open to live registration, a key, and a signed descriptor."""
    base = tmp_path_factory.mktemp("pipes")
    write_demo(base / "reg", now=int(time.time()))
    for argv in (
        ["key", "gen", str(base / "k.key")],
        ["zone", "live", str(base / "reg"), "--zone", LIVE_ZONE, "--tsig-key", "agent1"],
    ):
        subprocess.run([PY, "-m", "cid", *argv], check=True, capture_output=True)
    (base / "spec.json").write_text(json.dumps(descriptor_spec()))
    subprocess.run(
        [PY, "-m", "cid", "descriptor", "sign", str(base / "spec.json"), "--key",
         str(base / "k.key"), "-o", str(base / "d.cose")],
        check=True, capture_output=True,
    )  # fmt: skip
    return base


def _commands(w: Path) -> list[tuple[list[str], int]]:
    cid, resolve, conf = [PY, "-m", "cid"], [PY, "-m", "resolver"], [PY, "-m", "conformance"]
    reg = str(w / "reg")
    return [
        ([*cid, "--help"], 0),
        ([*cid, "id", "parse", REGION, REGION], 0),
        ([*cid, "id", "parse", "--json", REGION], 0),
        ([*cid, "id", "canon", REGION, "ucid:a/cn/x86-64"], 0),
        ([*cid, "id", "dns", REGION], 0),
        ([*cid, "id", "match", "ucid:*", REGION], 0),
        ([*cid, "key", "gen", str(w / "new.key")], 0),
        ([*cid, "key", "show", str(w / "k.key")], 0),
        ([*cid, "descriptor", "sign", str(w / "spec.json"), "--key", str(w / "k.key")], 0),
        ([*cid, "descriptor", "verify", str(w / "d.cose"), "--key", str(w / "k.key.pub")], 0),
        ([*cid, "descriptor", "show", str(w / "d.cose")], 0),
        ([*cid, "demo", "init", str(w / "demo2")], 0),
        ([*cid, "zone", "build", reg], 0),
        ([*cid, "zone", "export", reg, "--zone", "ucid.example"], 0),
        ([*cid, "zone", "export", reg, "-o", str(w / "zones")], 0),
        ([*cid, "zone", "check", reg], 0),
        ([*cid, "zone", "compile", reg], 0),
        ([*cid, "zone", "live", reg, "--zone", LIVE_ZONE, "--tsig-key", "agent2"], 0),
        ([*resolve, "--help"], 0),
        ([*resolve, REGION], 0),
        ([*resolve, REGION, "--trace"], 0),
        ([*resolve, REGION, "--json"], 0),
        ([*resolve, "--find", "ucid:*"], 0),
        ([*resolve, "ucid:ctyun.east/cn-sh/neoverse-n2/cpu=129"], 3),
        ([*conf, "--help"], 0),
        ([*conf, "list"], 0),
        ([*conf, "coverage"], 0),
        ([*conf, "run", "--profile", "identifier", "--area", "identifier-canonical"], 0),
        ([*conf, "fixtures", "export", str(w / "fixtures")], 0),
    ]


def _closed_pipe() -> int:
    """The write end of a pipe whose reader has already gone: every write is EPIPE."""
    r, w = os.pipe()
    os.close(r)
    return w


def test_every_command_to_a_closed_pipe(work: Path) -> None:
    failures = []
    for argv, status in _commands(work):
        out = _closed_pipe()
        try:
            done = subprocess.run(
                argv, stdout=out, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT,
                check=False, cwd=work,
            )  # fmt: skip
        finally:
            os.close(out)
        if "Traceback" in done.stderr or "Exception ignored" in done.stderr:
            failures.append(f"{argv[2:]}: traceback\n{done.stderr}")
        elif done.returncode != status:
            failures.append(f"{argv[2:]}: exit {done.returncode}, not {status}\n{done.stderr}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "cid", "zone", "export", "{reg}", "--zone", "ucid.example"],
        ["-m", "resolver", REGION, "--trace"],
        ["-m", "conformance", "list"],
    ],
)
def test_reader_goes_after_the_first_line(work: Path, argv: list[str]) -> None:
    """``... | head -1``: the pipe closes while the command writes."""
    argv = [a.format(reg=work / "reg") for a in argv]
    proc = subprocess.Popen(
        [PY, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()
    status = proc.wait(TIMEOUT)
    err = proc.stderr.read()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert status == 0, err


@pytest.fixture
def serving(work: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``cid serve`` with its standard output to a closed pipe."""
    port = free_port()
    out = _closed_pipe()
    proc = subprocess.Popen(
        [PY, "-m", "cid", "serve", str(work / "reg"), "--listen", f"127.0.0.1:{port}"],
        stdout=out, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.close(out)
    deadline = time.monotonic() + 30
    while True:
        try:
            dnsservers.query(port, "ucid.example.", "SOA", timeout=0.5)
            break
        except Exception:
            assert proc.poll() is None and time.monotonic() < deadline, "cid serve died"
            time.sleep(0.1)
    yield proc, port
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)


def test_serve_and_register_to_a_closed_pipe(
    work: Path, serving: tuple[subprocess.Popen[str], int]
) -> None:
    proc, port = serving
    tsig = work / "reg" / "zones" / LIVE_ZONE / "tsig" / "agent1.key"
    for verb in ("add", "remove"):
        extra = ["--endpoint", "https://h8.acme.example:443"] if verb == "add" else []
        out = _closed_pipe()
        done = subprocess.run(
            [PY, "-m", "cid", "register", verb, LIVE_ID, "--server", f"127.0.0.1:{port}",
             "--tsig-file", str(tsig), *extra],
            stdout=out, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
        os.close(out)
        assert (done.returncode, done.stderr) == (0, "")
    assert proc.poll() is None  # still serving, though no one reads what it prints
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert proc.stderr is not None
    assert "Traceback" not in proc.stderr.read()
