"""Serving the resolution fixtures (conformance/fixtures/) to a resolver under test.

:class:`FixtureSet` starts, on first use, one loopback server per address that
any fixture names, all on one port, and before each resolve request loads the
zones and behaviours of the request's fixture into them (servers a fixture does
not use hold nothing and never answer). :func:`export` writes the fixtures as
plain zone files with a manifest and a README, for a vendor's own servers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import dns.zone

from cid.server import Authority

from ._hostile import Network, ServerState

__all__ = ["FixtureSet", "export"]


class FixtureSet:
    """The fixtures under ``conformance_dir/fixtures``, served on demand."""

    def __init__(self, conformance_dir: Path) -> None:
        self.root = Path(conformance_dir) / "fixtures"
        self._manifests: dict[str, dict[str, Any]] = {}
        self._zones: dict[str, dns.zone.Zone] = {}  # by file path under fixtures/
        self._network: Network | None = None
        self._serving: str | None = None

    def manifest(self, name: str) -> dict[str, Any]:
        if name not in self._manifests:
            path = self.root / name / "fixture.json"
            self._manifests[name] = json.loads(path.read_text(encoding="utf-8"))
        return self._manifests[name]

    def names(self) -> list[str]:
        return sorted(p.parent.name for p in self.root.glob("*/fixture.json"))

    def zone(self, relative: str, origin: str) -> dns.zone.Zone:
        if relative not in self._zones:
            path = self.root / relative
            self._zones[relative] = dns.zone.from_file(
                str(path), origin=origin.rstrip(".") + ".", relativize=False
            )
        return self._zones[relative]

    def _authority(self, manifest: dict[str, Any], zones: list[str]) -> Authority:
        return Authority([self.zone(manifest["zones"][z], z) for z in zones])

    @property
    def port(self) -> int:
        return self._start().port

    def _start(self) -> Network:
        if self._network is None:
            addresses: list[str] = []
            for name in self.names():
                m = self.manifest(name)
                addresses += [s["address"] for s in m["servers"]]
                addresses.append(m["forwarder"]["address"])
            self._network = Network(addresses).start()
        return self._network

    def serve(self, name: str) -> Network:
        """Make the servers serve fixture ``name`` (and nothing else)."""
        network = self._start()
        if self._serving == name:
            return network
        m = self.manifest(name)
        states = {a: ServerState() for a in network.states}
        for server in m["servers"]:
            states[server["address"]] = ServerState(
                self._authority(m, server["zones"]), server["behaviour"]
            )
        fwd = m["forwarder"]
        states[fwd["address"]] = ServerState(
            self._authority(m, fwd["zones"]), fwd["behaviour"], recursive=True
        )
        for address, state in states.items():
            network.set(address, state)
        self._serving = name
        return network

    def request_input(self, case: dict[str, Any], step: int | None = None) -> dict[str, Any]:
        """Start (or reuse) the loopback servers the case (or its step) needs and return
        the input to send to the adapter: the case's (or step's) input plus ``anchor``
        (anchor.json content), ``port`` and, for forwarding cases, ``forwarder``."""
        given = case["input"] if step is None else case["input"]["steps"][step]
        network = self.serve(given["fixture"])
        m = self.manifest(given["fixture"])
        out = dict(given)
        out["anchor"] = m["anchor"]
        out["port"] = network.port
        if given.get("forwarding"):
            out["forwarder"] = {"address": m["forwarder"]["address"], "port": network.port}
        return out

    def errors(self) -> list[BaseException]:
        """What a fixture's behaviour raised (a broken fixture), since the last call."""
        if self._network is None:
            return []
        errors = list(self._network.errors)
        self._network.errors.clear()
        return errors

    def close(self) -> None:
        if self._network is not None:
            self._network.stop()
            self._network = None
            self._serving = None

    def __enter__(self) -> FixtureSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def export(conformance_dir: Path, out: Path) -> list[Path]:
    """``cid-conformance fixtures export DIR``: each fixture as ``DIR/<fixture>/`` with its
    zone files (``<zone>.zone``, RFC 1035, loadable by Knot DNS and NSD), ``anchor.json``
    and ``fixture.json`` (the manifest, with ``zones`` naming the local files), and
    ``DIR/README.md``. Returns the paths written."""
    root = Path(conformance_dir) / "fixtures"
    out = Path(out)
    written: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    for manifest_path in sorted(root.glob("*/fixture.json")):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        folder = out / manifest["name"]
        folder.mkdir(exist_ok=True)
        local: dict[str, str] = {}
        for zone, relative in manifest["zones"].items():
            target = folder / f"{zone}.zone"
            shutil.copyfile(root / relative, target)
            written.append(target)
            local[zone] = target.name
        manifest["zones"] = local
        for name, value in (("fixture.json", manifest), ("anchor.json", manifest["anchor"])):
            path = folder / name
            path.write_text(json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
            written.append(path)
    readme = root / "README.md"
    if readme.exists():
        shutil.copyfile(readme, out / "README.md")
        written.append(out / "README.md")
    return written
