"""``cid-resolve --schedule``: the table, JSON, --pick, --short, exit statuses
(spec/status.md §12.6), usage errors, and the README's sample against the command."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cid.registry import DEMO_POOL_PATTERN
from resolver import Outcome, TrustAnchor
from resolver._cli import EXIT_USAGE, main
from resolver._demo import DemoHierarchy

NEED = "acc=8;mem=512GiB"


@pytest.fixture(scope="module")
def demo() -> Iterator[list[str]]:
    hierarchy = DemoHierarchy()
    anchor: TrustAnchor = hierarchy.start()
    try:
        yield ["--anchor", str(hierarchy.path / "anchor.json"), "--port", str(anchor.port)]
    finally:
        hierarchy.stop()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for var in ("UCID_ANCHOR", "UCID_SERVERS", "UCID_PORT", "UCID_FORWARD", "UCID_CONFIG"):
        monkeypatch.delenv(var, raising=False)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        status = main(list(argv), out=out)
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, out.getvalue()


def test_table(demo: list[str]) -> None:
    status, out = run("--schedule", DEMO_POOL_PATTERN, "--need", NEED, *demo)
    assert status == 0
    head = next(line for line in out.splitlines() if "RANK" in line).split()
    assert head == ["RANK", "PROVIDER", "REGION", "FREE", "WAIT", "PRICE", "AGE", "STATUS"]
    rows = [line.split() for line in out.splitlines() if re.match(r"  [1-9] {4}", line)]
    assert [r[1] for r in rows] == ["ctyun.east", "sugon.hpc", "中国移动.east", "ctyun.east"]
    assert "83.52 CNY/h" in out and "tcp+https://gpu-gd.ctyun.example:443" in out
    assert "4 ranked, dropped: 1 NOT_ACCEPTING, 1 TOO_FEW_UNITS" in out


def test_json_pick_short(demo: list[str]) -> None:
    status, out = run("--schedule", DEMO_POOL_PATTERN, "--need", NEED, "--json", *demo)
    body = json.loads(out)
    assert status == 0
    assert [c["cost"] for c in body["ranked"]] == ["83.52", "90", "100", None]
    assert body["dropped_by_reason"] == {"NOT_ACCEPTING": 1, "TOO_FEW_UNITS": 1}
    assert body["ranked"][0]["status"]["units"]["acc"] == {"free": 16, "total": 32}
    assert body["policy"] == "cheapest" and body["currency"] == "CNY"
    status, out = run("--schedule", DEMO_POOL_PATTERN, "--need", NEED, "--pick", *demo)
    assert (status, out) == (0, "tcp+https://gpu-gd.ctyun.example:443\n")
    status, out = run(
        "--schedule", DEMO_POOL_PATTERN, "--need", NEED, "--policy", "nearest",
        "--region", "cn-tj", "--short", *demo,
    )  # fmt: skip
    assert status == 0 and out.splitlines()[0].startswith("ucid:sugon.hpc/cn-tj/")
    status, out = run(
        "--schedule", DEMO_POOL_PATTERN, "--need", NEED, "--policy", "weighted:price=1,wait=3",
        "--short", *demo,
    )  # fmt: skip
    assert status == 0 and out.splitlines()[0].startswith("ucid:sugon.hpc/cn-tj/")


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["--need", "acc=1000", "--missing", "drop"], Outcome.NOT_FOUND.exit_status),
        (["--need", "acc=1000", "--missing", "drop", "--pick"], Outcome.NOT_FOUND.exit_status),
        (["--need", "acc"], Outcome.INVALID_IDENTIFIER.exit_status),
        (["--policy", "nearest"], EXIT_USAGE),
        (["--policy", "fastest"], EXIT_USAGE),
        (["--pick", "--json"], EXIT_USAGE),
    ],
)
def test_exit_statuses(demo: list[str], argv: list[str], status: int) -> None:
    got, out = run("--schedule", DEMO_POOL_PATTERN, *argv, *demo)
    assert got == status
    if "--pick" in argv and status == Outcome.NOT_FOUND.exit_status:
        assert out == ""


def test_no_match_is_not_found(demo: list[str]) -> None:
    status, out = run("--schedule", "ucid:*/us-*/x86-64-v4+sm90", *demo)
    assert status == Outcome.NOT_FOUND.exit_status and "nothing can take the need" in out
    status, _ = run("--schedule", "ucid:***", *demo)
    assert status == Outcome.INVALID_IDENTIFIER.exit_status


def test_readme_sample_is_what_the_command_prints() -> None:
    """The README's sample, but for the port, the ages of the statuses and ISO times."""
    script = Path(sys.executable).parent / "cid-resolve"
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    command = readme.split("<!-- schedule-command -->\n```sh\n", 1)[1].split("\n```", 1)[0]
    argv = re.findall(r"'[^']*'|\S+", command.split("cid-resolve ", 1)[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCID_")}
    done = subprocess.run(
        [str(script), *(a.strip("'") for a in argv)],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = readme.split("<!-- schedule-output -->\n```\n", 1)[1].split("```", 1)[0]

    def general(text: str) -> str:
        text = re.sub(r"port \d+\)", "port N)", text)
        text = re.sub(r"\(\d+ s old\)", "(N s old)", text)
        return re.sub(r"  \d+ s  ", "  N s  ", text)

    assert general(shown) == general(done.stderr + done.stdout)
