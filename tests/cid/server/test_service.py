"""``cid serve`` as a service: metrics, health, the query log, a quiet start,
and the systemd unit and Dockerfile that run it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from dnsservers import free_port


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def test_no_reload_at_start_on_an_untouched_registry(tmp_path: Path) -> None:
    """``cid demo serve`` writes the demo registry and serves it at once: its files
    are then younger than the watch's unsure window, which used to make the first
    check (2 s later) assemble every zone again, "a file changed", for nothing."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cid",
            "demo",
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--path",
            str(tmp_path / "registry"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert f"port {port}" in line
    time.sleep(5.0)  # two checks at the demo's 2 s interval
    _, err = _stop(proc)
    assert "serving" in err
    assert "reloaded" not in err, err
