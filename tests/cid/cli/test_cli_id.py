"""The ``cid id`` command line: output, --json, exit codes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest

from cid.cli._main import EXIT_DATAERR, EXIT_NO_MATCH, EXIT_OK, EXIT_USAGE, main

GOOD = "ucid:中国移动.cn/CN-BJ/neoverse-v2+sm90/acc=8;mem=1TiB"
CANON = "ucid:xn--fiq02ib9d179b.cn/cn-bj/neoverse-v2+sm90/acc=8;mem=1099511627776B"
BAD = "ucid:acme/cn/x86-64/cpu=08"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_parse_human(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "id", "parse", GOOD, "--root", "ucid.example")
    assert status == EXIT_OK
    assert f"canonical     {CANON}" in out
    assert "(中国移动.cn)" in out
    assert "mem = 1 TiB  (1099511627776B)" in out
    assert "Neoverse V2" in out
    assert (
        "_acc_8._mem_1099511627776b._neoverse-v2_sm90._cn-bj.xn--fiq02ib9d179b.cn.ucid.example."
        in out
    )


def test_parse_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "id", "parse", "--json", GOOD, "--root", "r")
    assert status == EXIT_OK
    data = json.loads(out)
    assert data["canonical"] == CANON
    assert data["provider_unicode"] == "中国移动.cn"
    assert data["accelerators"] == ["sm90"]
    assert data["capabilities"][1] == {
        "key": "mem",
        "type": "size",
        "value": 2**40,
        "text": "mem=1099511627776B",
        "display": "1 TiB",
    }
    assert data["dns_name"].endswith(".r.")
    # The registry notes of the text output are kept.
    cpu = data["architectures"][0]
    assert (cpu["name"], cpu["registered"], cpu["kind"]) == ("neoverse-v2", True, "cpu")
    assert "Neoverse V2" in cpu["description"]
    assert data["architectures"][1]["name"] == "sm90"
    assert data["architectures"][1]["kind"] == "accelerator"
    status, out, _ = run(capsys, "id", "parse", "--json", "ucid:a/cn/x86-64+zz99")
    unknown = json.loads(out)["architectures"][1]
    assert unknown == {"name": "zz99", "registered": False, "kind": None, "description": None}
    status, text, _ = run(capsys, "id", "parse", "ucid:a/cn/x86-64+zz99")
    assert "zz99  (not registered)" in text


def test_bad_input_exits_65_with_caret(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "id", "canon", GOOD, BAD)
    assert status == EXIT_DATAERR
    assert out == CANON + "\n"  # the good one is still printed
    assert "at position 25" in err and err.rstrip().endswith("^")


def test_bad_input_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "id", "canon", "--json", BAD)
    assert status == EXIT_DATAERR
    assert json.loads(out)["error"]["position"] == 25


def test_dns_both_ways(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "id", "dns", "--root", "ucid.example", GOOD)
    assert status == EXIT_OK
    name = out.strip()
    status, out, _ = run(capsys, "id", "dns", "--reverse", "--root", "ucid.example", name)
    assert (status, out.strip()) == (EXIT_OK, CANON)
    status, _, err = run(capsys, "id", "dns", "--reverse", "--root", "other", name)
    assert status == EXIT_DATAERR and "not under the root" in err


def test_bad_root(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "id", "dns", "--root", "a..b", GOOD)
    assert status == EXIT_DATAERR and "root suffix" in err


def test_match(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "id", "match", "ucid:*.cn/cn-*/aarch64+sm80", GOOD, "ucid:a/us/x86-64"
    )
    assert status == EXIT_OK
    assert out.splitlines() == [f"match  {CANON}", "no match  ucid:a/us/x86-64"]
    status, out, _ = run(capsys, "id", "match", "--json", "ucid:*/us", GOOD)
    assert status == EXIT_NO_MATCH
    assert json.loads(out)["matches"] is False
    status, _, err = run(capsys, "id", "match", "ucid:*/*/sm90", GOOD)
    assert status == EXIT_DATAERR and "write *+sm90" in err


def test_stdin_batch(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{GOOD}\n\nUCID:A/CN/AMD64\n"))
    status, out, _ = run(capsys, "id", "canon", "-")
    assert status == EXIT_OK
    assert out.splitlines() == [CANON, "ucid:a/cn/x86-64"]


def test_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["id", "frobnicate"])
    assert info.value.code == EXIT_USAGE


def test_console_script_installed() -> None:
    exe = shutil.which("cid") or str(__import__("pathlib").Path(sys.executable).with_name("cid"))
    done = subprocess.run(
        [exe, "id", "canon", BAD], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == EXIT_DATAERR
    assert "^" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "cid", "id", "canon", "UCID:A/CN/AMD64"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (EXIT_OK, "ucid:a/cn/x86-64\n")
