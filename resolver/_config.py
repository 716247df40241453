"""``cid-resolve`` configuration: flags, then environment, then a TOML file, then defaults.

With no trust anchor configured anywhere, the command resolves against the
bundled demo hierarchy, served in-process on loopback.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cid import CidError

__all__ = ["ConfigError", "Settings", "default_config_path", "settings"]

# setting -> (environment variable, type)
ENVIRONMENT: Final = {
    "anchor": "UCID_ANCHOR",
    "servers": "UCID_SERVERS",
    "port": "UCID_PORT",
    "forward": "UCID_FORWARD",
    "timeout": "UCID_TIMEOUT",
    "deadline": "UCID_DEADLINE",
    "state": "UCID_STATE",
}
_KEYS: Final = frozenset(ENVIRONMENT)


class ConfigError(CidError):
    """A setting that cannot be used: it names the setting and where it came from."""


@dataclass(frozen=True, slots=True)
class Settings:
    anchor: Path | None
    servers: tuple[tuple[str, int], ...]
    port: int
    forward: tuple[str, int] | None
    timeout: float
    deadline: float
    state: Path | None


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ucid" / "resolve.toml"


def _default_state() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ucid" / "versions.json"


def _server(text: str, port: int, where: str) -> tuple[str, int]:
    """``ADDR``, ``ADDR:PORT``, ``[V6]:PORT`` or a bare IPv6 address."""
    text = text.strip()
    host, at = text, port
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            at = _port(rest[1:], where)
    elif text.count(":") == 1:
        host, _, rest = text.partition(":")
        at = _port(rest, where)
    try:
        return str(ipaddress.ip_address(host)), at
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not an IP address (and optional port)") from None


def _port(text: object, where: str) -> int:
    try:
        value = int(str(text))
    except ValueError:
        raise ConfigError(f"{where}: port {text!r} is not a number") from None
    if not 1 <= value <= 65535:
        raise ConfigError(f"{where}: port {value} is not 1-65535")
    return value


def _seconds(text: object, where: str) -> float:
    try:
        value = float(str(text))
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise ConfigError(f"{where}: {value} is not between 0 and 3600 seconds")
    return value


def _file(path: Path | None, explicit: bool) -> dict[str, Any]:
    if path is None or (not explicit and not path.exists()):
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not TOML: {exc}") from None
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r}; known: {sorted(_KEYS)}")
    return {key: (value, f"{path}: {key}") for key, value in data.items()}


def settings(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """Merge the sources: flags, then ``UCID_*`` variables, then the config file."""
    env = os.environ if environ is None else environ
    explicit = args.config is not None or "UCID_CONFIG" in env
    path = Path(args.config or env.get("UCID_CONFIG") or default_config_path())
    found: dict[str, tuple[Any, str]] = _file(path, explicit)
    for key, var in ENVIRONMENT.items():
        if env.get(var):
            found[key] = (env[var], f"environment {var}")
    for key in _KEYS:
        value = getattr(args, key, None)
        if value not in (None, []):
            found[key] = (value, f"--{key}")
    port = _port(*found["port"]) if "port" in found else 53
    servers: tuple[tuple[str, int], ...] = ()
    if "servers" in found:
        value, where = found["servers"]
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise ConfigError(f"{where}: a list of addresses")
        servers = tuple(_server(s, port, where) for s in items if s.strip())
    forward = None
    if "forward" in found:
        forward = _server(str(found["forward"][0]), 53, found["forward"][1])
    state: Path | None = _default_state()
    if "state" in found:
        value = str(found["state"][0])
        state = None if value in ("", "none") else Path(value)
    return Settings(
        anchor=Path(str(found["anchor"][0])) if "anchor" in found else None,
        servers=servers,
        port=port,
        forward=forward,
        timeout=_seconds(*found["timeout"]) if "timeout" in found else 1.0,
        deadline=_seconds(*found["deadline"]) if "deadline" in found else 5.0,
        state=state,
    )
