"""Times are ISO 8601 in every message and JSON output, and every ``--now`` takes ISO 8601
as well as epoch seconds."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from examples import descriptor_spec

from cid.cli._main import build_parser, main

NOW = 1_795_000_000  # 2026-11-18T11:06:40Z
ISO = "2026-12-06T00:00:00Z"
ISO_EPOCH = 1_796_515_200
EPOCH_LIKE = re.compile(r"\b1[0-9]{9}\b")  # ten digits: seconds since the epoch, not ISO


def _now_options(parser: argparse.ArgumentParser, path: str = "cid") -> Iterator[tuple[str, Any]]:
    for action in parser._actions:
        if "--now" in action.option_strings:
            yield path, action
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _now_options(sub, f"{path} {name}")


def test_every_now_option_takes_iso_8601() -> None:
    found = dict(_now_options(build_parser()))
    # Every command that acts at a time: none is missed by the walk.
    assert {
        "cid descriptor sign",
        "cid descriptor verify",
        "cid zone build",
        "cid zone export",
        "cid zone check",
        "cid zone push",
        "cid demo init",
        "cid register add",
        "cid register renew",
        "cid register remove",
    } <= set(found)
    for path, action in found.items():
        assert action.type(ISO) == ISO_EPOCH, path
        assert action.type("2026-12-06T08:00:00+08:00") == ISO_EPOCH, path
        assert action.type(str(NOW)) == NOW, path
        assert "ISO 8601" in (action.help or ""), path
        for bad in ("2026-12-06T00:00:00", "tomorrow"):
            with pytest.raises(argparse.ArgumentTypeError):
                action.type(bad)


def test_zone_build_and_export_at_an_iso_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = str(tmp_path / "reg")
    assert main(["demo", "init", reg, "--now", ISO]) == 0
    assert main(["zone", "build", reg, "--now", ISO]) == 0
    assert main(["zone", "export", reg, "--zone", "ucid.example", "--now", ISO]) == 0
    out = capsys.readouterr().out
    assert f"SOA ns1.ucid.example. hostmaster.ucid.example. {ISO_EPOCH} " in out  # the serial


def test_validity_messages_are_iso_8601(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "k.key"
    assert main(["key", "gen", str(key)]) == 0
    spec = tmp_path / "d.json"
    spec.write_text(json.dumps(descriptor_spec()))
    record = tmp_path / "d.cose"
    argv = ["descriptor", "sign", str(spec), "--key", str(key), "-o", str(record)]
    assert main([*argv, "--now", str(NOW)]) == 0
    capsys.readouterr()
    verify = ["descriptor", "verify", str(record), "--key", f"{key}.pub"]
    assert main([*verify, "--now", "2026-12-30T00:00:00Z"]) == 12
    err = capsys.readouterr().err
    assert "expired at 2026-11-19T11:06:40Z" in err and "now is 2026-12-30T00:00:00Z" in err
    assert not EPOCH_LIKE.search(err), err
    assert main([*verify, "--now", "2026-01-01T00:00:00Z"]) == 13
    err = capsys.readouterr().err
    assert "valid from 2026-11-18T11:06:40Z" in err and not EPOCH_LIKE.search(err), err
    assert main([*verify, "--now", str(NOW + 10), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["now"] == "2026-11-18T11:06:50Z"
