"""``cid key`` and ``cid descriptor``: every failure has its own exit status."""

from __future__ import annotations

import io
import json
import stat
import sys
from pathlib import Path

import pytest
from examples import descriptor_spec

from cid.cli._main import main

NOW = 1_795_000_000
CANON = "ucid:acme.east/cn-gd/x86-64-v4+sm90/acc=8;mem=1099511627776B"


spec = descriptor_spec


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    status, out, _ = run(capsys, "key", "gen", str(tmp_path / "zone.key"))
    assert status == 0 and "key id" in out
    return tmp_path / "zone.key"


def signed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: Path, name: str = "d", **over: object
) -> Path:
    src = tmp_path / f"{name}.json"
    src.write_text(json.dumps(spec(**over)))
    out = tmp_path / f"{name}.cose"
    status, _, err = run(
        capsys, "descriptor", "sign", str(src), "--key", str(key), "-o", str(out), "--now", str(NOW)
    )
    assert status == 0, err
    return out


def test_key_gen_modes_and_refusal(keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert keys.with_name("zone.key.pub").exists()
    status, _, err = run(capsys, "key", "gen", str(keys))
    assert status == 78 and "exists" in err
    # The refusal names the command's flag, not the library's argument.
    assert "--force" in err and "overwrite" not in err
    keys.unlink()  # only the public key left: still refused, and no private key written
    status, _, err = run(capsys, "key", "gen", str(keys))
    assert status == 78 and "zone.key.pub exists" in err and "--force" in err
    assert not keys.exists()
    status, _, _ = run(capsys, "key", "gen", str(keys), "--force")
    assert status == 0 and keys.exists()
    status, out, _ = run(capsys, "key", "show", str(keys), "--json")
    pub = json.loads(out)
    status2, out2, _ = run(capsys, "key", "show", str(keys) + ".pub", "--json")
    assert status == status2 == 0 and json.loads(out2) == pub
    assert len(bytes.fromhex(pub["kid"])) == 32


def test_sign_verify_show(tmp_path: Path, keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = signed(tmp_path, capsys, keys)
    status, out, _ = run(
        capsys,
        "descriptor",
        "verify",
        str(record),
        "--key",
        f"{keys}.pub",
        "--now",
        str(NOW + 60),
        "--json",
    )
    assert status == 0
    data = json.loads(out)
    assert data["verified"] is True and data["subject"] == CANON
    assert data["capabilities"] == ["acc=8", "mem=1099511627776B"]
    assert data["expires"] == NOW + 86400  # --valid-for default
    status, out, _ = run(
        capsys,
        "descriptor",
        "verify",
        str(record),
        "--key",
        f"{keys}.pub",
        "--now",
        "2026-11-18T11:07:40Z",
    )
    assert status == 0 and out.startswith("status        VERIFIED")
    status, out, _ = run(capsys, "descriptor", "show", str(record))
    assert status == 0 and "NOT VERIFIED" in out and "gw.acme.example port 443" in out


def test_base64_through_stdin(
    tmp_path: Path, keys: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "d.json"
    src.write_text(json.dumps(spec()))
    status, out, _ = run(
        capsys, "descriptor", "sign", str(src), "--key", str(keys), "--now", str(NOW)
    )
    assert status == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(out.encode())))
    status, out, _ = run(capsys, "descriptor", "verify", "-", "--key", str(keys), "--now", str(NOW))
    assert status == 0


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        ("signature", 10, "bad signature"),
        ("payload", 10, "bad signature"),
        ("other-key", 11, "unknown key id"),
        ("expired", 12, "expired"),
        ("early", 13, "not yet valid"),
        ("rollback", 14, "rollback"),
        ("critical", 15, "unknown critical extension"),
        ("oversize", 16, "oversize"),
        ("garbage", 65, "bad encoding"),
        ("issuer", 17, "not trusted"),
        ("missing", 66, "no such file"),
    ],
)
def test_failures(
    case: str,
    code: int,
    message: str,
    tmp_path: Path,
    keys: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record = signed(tmp_path, capsys, keys)
    key, now, extra = f"{keys}.pub", NOW + 10, []
    if case == "signature":
        _flip(record, -1)
    elif case == "payload":
        _flip(record, 80)
    elif case == "other-key":
        run(capsys, "key", "gen", str(tmp_path / "other.key"))
        key = str(tmp_path / "other.key.pub")
    elif case == "expired":
        now = NOW + 86400 + 301
    elif case == "early":
        now = NOW - 301
    elif case == "rollback":
        newer = signed(tmp_path, capsys, keys, name="newer", version=4)
        extra = ["--seen", str(newer)]
    elif case == "critical":
        record = signed(tmp_path, capsys, keys, name="crit", ext={"x-new": 1}, crit=["x-new"])
    elif case == "oversize":
        record.write_bytes(record.read_bytes() + b"\x00" * 1000)
    elif case == "garbage":
        record.write_bytes(b"\xd2\x84garbage")
    elif case == "issuer":
        extra = ["--issuer", "other.ucid.example"]
    elif case == "missing":
        record = tmp_path / "absent.cose"
    status, _, err = run(
        capsys, "descriptor", "verify", str(record), "--key", key, "--now", str(now), *extra
    )
    assert status == code, err
    assert message in err


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps(spec(subject="ucid:acme/cn")), "unexpected end"),
        (json.dumps(spec(colour="blue")), "unknown descriptor fields: colour"),
        (json.dumps({"issuer": "a"}), "needs 'subject'"),
        (json.dumps(spec(endpoints=[{"transport": "carrier-pigeon"}])), "endpoint"),
        (json.dumps(spec(version=-1)), "version"),
        (json.dumps(spec())[:-1] + ', "version": 2}', "'version' appears twice"),
        (json.dumps(spec(ext={"a": 1}))[:-1] + ', "crit": "a"}', "crit must be a JSON array"),
    ],
)
def test_sign_rejects_bad_specs(
    bad: str, message: str, tmp_path: Path, keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "bad.json"
    src.write_text(bad)
    status, _, err = run(
        capsys,
        "descriptor",
        "sign",
        str(src),
        "--key",
        str(keys),
        "-o",
        str(tmp_path / "out.cose"),
        "--now",
        str(NOW),
    )
    assert status == 65, err
    assert message in err
    assert not (tmp_path / "out.cose").exists()


def test_bad_time_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["descriptor", "verify", "x", "--key", "k", "--now", "yesterday"])
    assert info.value.code == 2
