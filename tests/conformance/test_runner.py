"""``cid-conformance run``: judging, reports, expected failures, exit statuses, and what
it does with adapters that misbehave (ADAPTER.md §6, §7)."""

from __future__ import annotations

import io
import json
import shlex
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance._adapter import Reply
from conformance._cli import main
from conformance._runner import judge
from conformance.generate._common import Area, Case

HERE = Path(__file__).resolve().parent
PY = shlex.quote(sys.executable)


def vectors(tmp_path: Path) -> Path:
    """A small vector set of its own: the runner's behaviour, not the suite's content."""
    area = Area("smoke", "sm", "runner tests")
    area.add(
        Case(
            "canonicalize",
            {"text": "ucid:Acme.example/CN-GD/x86-64"},
            {"result": "valid", "output": {"canonical": "ucid:acme.example/cn-gd/x86-64"}},
            ["ID-3-1"],
            comment="canonical form",
        ),
        Case(
            "parse",
            {"text": "ucid:acme.example/cn/x86-64/acc=08"},
            {"result": "invalid", "errors": ["INVALID_IDENTIFIER"], "position": 33},
            ["ID-12-1"],
            comment="a leading zero",
        ),
        Case(
            "match",
            {"pattern": "ucid:*/*/x86-64-v3", "text": "ucid:a.b/cn/x86-64-v4"},
            {"result": "valid", "output": {"matches": True}},
            ["ID-10-1"],
            comment="compat",
        ),
    )
    folder = tmp_path / "vectors"
    folder.mkdir()
    (folder / "smoke.json").write_text(json.dumps(area.to_json()))
    return folder


def run(folder: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["--vectors", str(folder), "run", "-q", *argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def ids(folder: Path) -> list[str]:
    return [c["id"] for c in json.loads((folder / "smoke.json").read_text())["cases"]]


def test_the_reference_passes_and_reports(tmp_path: Path) -> None:
    folder = vectors(tmp_path)
    reports = {k: tmp_path / f"r.{k}" for k in ("json", "xml", "md")}
    status, out, _ = run(
        folder,
        "--json",
        str(reports["json"]),
        "--junit",
        str(reports["xml"]),
        "--markdown",
        str(reports["md"]),
    )
    assert status == 0, out
    assert "3 pass" in out and "PASSED" in out
    data = json.loads(reports["json"].read_text())
    assert data["counts"]["pass"] == 3 and data["exit_status"] == 0
    assert data["implementation"]["name"] == "ucid-reference"
    assert len(data["vectors_sha256"]) == 64
    root = ET.fromstring(reports["xml"].read_bytes())
    assert root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "0"
    assert "passed" in reports["md"].read_text()


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("early-output", "no valid hello reply"),
        ("bad-protocol", "speaks protocol '2.0'"),
        ("crash", "crash: the adapter exited with status 3"),
        ("hang", "timeout: no reply within 1 s"),
        ("malformed", "protocol: not a JSON line"),
        ("wrong-seq", "protocol: reply with seq"),
        ("split", "protocol: not a JSON line"),
        ("bad-status", "protocol: unknown status 'maybe'"),
    ],
)
def test_a_misbehaving_adapter_gives_exit_status_2(tmp_path: Path, mode: str, message: str) -> None:
    folder = vectors(tmp_path)
    adapter = f"{PY} {HERE / 'harness_mutant.py'} {mode}"
    status, out, err = run(folder, "--adapter", adapter, "--timeout", "1")
    assert status == 2, out + err
    assert message in out + err
    if mode not in ("early-output", "bad-protocol"):
        assert "PARTIAL" in out


def test_a_crash_restarts_the_adapter_and_the_run_goes_on(tmp_path: Path) -> None:
    folder = vectors(tmp_path)
    adapter = f"{PY} {HERE / 'harness_mutant.py'} crash-once {tmp_path / 'crashed'}"
    status, out, _ = run(folder, "--adapter", adapter)
    assert status == 2  # partial: one case crashed
    assert "2 pass" in out and "1 error" in out and "restarted 1 times" in out


def test_expected_failures(tmp_path: Path) -> None:
    folder = vectors(tmp_path)
    first = ids(folder)[0]
    xfail = tmp_path / "xfail.txt"
    # An expected failure that passes fails the run.
    xfail.write_text(f"# known\n{first}  not implemented yet\n")
    status, out, _ = run(folder, "--expected-failures", str(xfail))
    assert status == 1 and "XPASS" in out and "not implemented yet" in out
    # An unknown id, or an id without a reason, is a usage error.
    xfail.write_text("sm-0000000000 no such case\n")
    assert run(folder, "--expected-failures", str(xfail))[0] == 3
    xfail.write_text(f"{first}\n")
    assert run(folder, "--expected-failures", str(xfail))[0] == 3


def test_an_expected_failure_that_fails_passes_the_run(tmp_path: Path) -> None:
    folder = vectors(tmp_path)
    data = json.loads((folder / "smoke.json").read_text())
    data["cases"][0]["expected"]["output"]["canonical"] = "wrong"
    (folder / "smoke.json").write_text(json.dumps(data))
    assert run(folder)[0] == 1
    xfail = tmp_path / "xfail.txt"
    xfail.write_text(f"{data['cases'][0]['id']} the vector is wrong on purpose\n")
    status, out, _ = run(folder, "--expected-failures", str(xfail))
    assert status == 0 and "1 xfail" in out


def test_nothing_selected_and_usage_errors(tmp_path: Path) -> None:
    folder = vectors(tmp_path)
    assert run(folder, "--profile", "resolver")[0] == 3
    assert run(folder, "--case", "sm-0000000000")[0] == 3
    assert run(folder, "--adapter", "/no/such/adapter")[0] == 2
    assert run(folder, "--adapter", "'unbalanced")[0] == 3


def test_a_failure_names_requirement_expected_got_and_reproduction(tmp_path: Path) -> None:
    folder = vectors(tmp_path)
    data = json.loads((folder / "smoke.json").read_text())
    data["cases"][2]["expected"]["output"]["matches"] = False
    (folder / "smoke.json").write_text(json.dumps(data))
    status, out, _ = run(folder)
    assert status == 1
    assert "ID-10-1 (spec/identifier.md §10)" in out
    assert "expected false, got true" in out
    assert f"--case {data['cases'][2]['id']}" in out


@pytest.mark.parametrize(
    ("expected", "reply", "caps", "fails"),
    [
        ({"result": "valid", "output": {"a": 1}}, Reply("ok", result={"a": 1, "b": 2}), (), False),
        ({"result": "valid", "output": {"a": 1}}, Reply("ok", result={"a": True}), (), True),
        ({"result": "valid", "output": {"a": 1}}, Reply("ok", result={"a": 1.0}), (), True),
        ({"result": "valid", "output": {"a": 1}}, Reply("error", error={"code": "X"}), (), True),
        ({"result": "invalid", "errors": ["X"]}, Reply("ok", result={}), (), True),
        ({"result": "invalid", "errors": ["X"]}, Reply("error", error={"code": "Y"}), (), True),
        (
            {"result": "invalid", "errors": ["X"], "position": 3},
            Reply("error", error={"code": "X", "position": 4}),
            (),
            False,
        ),
        (
            {"result": "invalid", "errors": ["X"], "position": 3},
            Reply("error", error={"code": "X", "position": 4}),
            ("error-positions",),
            True,
        ),
        (
            {"result": "invalid", "errors": ["X"], "position": None},
            Reply("error", error={"code": "X"}),
            ("error-positions",),
            False,
        ),
        ({"result": "acceptable", "flag": "f"}, Reply("ok", result={}), (), False),
        (
            {"result": "acceptable", "flag": "f", "errors": ["X"]},
            Reply("error", error={"code": "Y"}),
            (),
            True,
        ),
        (
            {"result": "invalid", "errors": ["INTERNAL"]},
            Reply("error", error={"code": "INTERNAL"}),
            (),
            True,
        ),
        (
            {
                "result": "valid",
                "output": {"endpoints": [{"priority": 1, "h": "a"}, {"priority": 1, "h": "b"}]},
                "order": "by-priority",
            },
            Reply(
                "ok", result={"endpoints": [{"priority": 1, "h": "b"}, {"priority": 1, "h": "a"}]}
            ),
            (),
            False,
        ),
        (
            {
                "result": "valid",
                "output": {"endpoints": [{"priority": 1, "h": "a"}, {"priority": 2, "h": "b"}]},
                "order": "by-priority",
            },
            Reply(
                "ok", result={"endpoints": [{"priority": 2, "h": "b"}, {"priority": 1, "h": "a"}]}
            ),
            (),
            True,
        ),
    ],
)
def test_judge(
    expected: dict[str, object], reply: Reply, caps: tuple[str, ...], fails: bool
) -> None:
    assert bool(judge(expected, reply, frozenset(caps))) is fails
