"""The bundled demo hierarchy: a national root, regional and industry platforms,
providers (one with a Unicode name), a delegated region, CPU and accelerator
resources. ``cid demo init`` writes it as a registry; ``cid demo serve`` serves it.

Keys come from fixed seeds, so key ids are the same everywhere; records are
signed when the registry is written, so they are never stale. Demo keys are
public knowledge: never use them for anything real.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final

from .._keys import SigningKey
from ._store import Registry
from ._zone import NameServer

__all__ = ["DEMO_ROOT", "demo_key", "write_demo"]

DEMO_ROOT: Final = "ucid.example"

# zone -> parent (None: the national root)
_ZONES: Final[dict[str, str | None]] = {
    DEMO_ROOT: None,
    f"east.{DEMO_ROOT}": DEMO_ROOT,  # regional platform: East China
    f"hpc.{DEMO_ROOT}": DEMO_ROOT,  # industry platform: HPC and AI
    f"xn--fiq02ib9d179b.east.{DEMO_ROOT}": f"east.{DEMO_ROOT}",  # 中国移动
    f"ctyun.east.{DEMO_ROOT}": f"east.{DEMO_ROOT}",
    f"_cn-sh.ctyun.east.{DEMO_ROOT}": f"ctyun.east.{DEMO_ROOT}",  # a delegated region
    f"acme.hpc.{DEMO_ROOT}": f"hpc.{DEMO_ROOT}",
    f"sugon.hpc.{DEMO_ROOT}": f"hpc.{DEMO_ROOT}",
}


def _ep(host: str, port: int = 443, protocol: str = "https", **more: Any) -> dict[str, Any]:
    return {"transport": "tcp", "protocol": protocol, "host": host, "port": port, **more}


# (zone, source name, identifier, endpoints)
_RESOURCES: Final[list[tuple[str, str, str, list[dict[str, Any]]]]] = [
    (
        f"xn--fiq02ib9d179b.east.{DEMO_ROOT}",
        "h800-pool",
        "ucid:中国移动.east/cn-gd/x86-64-v4+sm90/acc=8;acc-model=h800;acc-mem=80GiB;ic=nvlink4;"
        "mem=2TiB;net=ib-ndr;net-bw=400Gbps",
        [
            _ep("gpu-gz.cmcc.example", alpn=["h2"], priority=1, weight=70),
            _ep("gpu-gz2.cmcc.example", alpn=["h2"], priority=1, weight=30),
            _ep("198.51.100.10", 8443, "grpc", priority=2, weight=1, alpn=["h2"]),
        ],
    ),
    (
        f"xn--fiq02ib9d179b.east.{DEMO_ROOT}",
        "ascend-pool",
        "ucid:中国移动.east/cn-bj/kunpeng-920+ascend910b/acc=8;acc-model=ascend910b;cpu=192;mem=1TiB",
        [_ep("npu-bj.cmcc.example", priority=1, weight=1)],
    ),
    (
        f"ctyun.east.{DEMO_ROOT}",
        "general",
        "ucid:ctyun.east/cn-js/x86-64-v3/cpu=64;mem=256GiB;net-bw=25Gbps",
        [_ep("js.ctyun.example"), _ep("js-backup.ctyun.example", priority=2)],
    ),
    (
        f"_cn-sh.ctyun.east.{DEMO_ROOT}",
        "arm",
        "ucid:ctyun.east/cn-sh/neoverse-n2/cpu=128;mem=512GiB",
        [_ep("sh.ctyun.example", alpn=["h2", "http/1.1"], region="cn-sh")],
    ),
    (
        f"_cn-sh.ctyun.east.{DEMO_ROOT}",
        "riscv",
        "ucid:ctyun.east/cn-sh/rva23u64/cpu=64;mem=128GiB",
        [_ep("riscv.sh.ctyun.example")],
    ),
    (
        f"acme.hpc.{DEMO_ROOT}",
        "grace-hopper",
        "ucid:acme.hpc/de-by/neoverse-v2+sm90/acc=4;acc-model=gh200;acc-mem=96GiB;ic=nvlink4;"
        "mem=480GiB",
        [_ep("gh.acme.example", alpn=["h2"]), _ep("192.0.2.44", 4433, "quic", alpn=["h3"])],
    ),
    (
        f"acme.hpc.{DEMO_ROOT}",
        "mi300x",
        "ucid:acme.hpc/us-ca/x86-64-v4+gfx942/acc=8;acc-model=mi300x;acc-mem=192GiB;ic=xgmi;"
        "mem=2TiB;confidential",
        [_ep("mi300.acme.example", alpn=["h2"])],
    ),
    (
        f"sugon.hpc.{DEMO_ROOT}",
        "hygon",
        "ucid:sugon.hpc/cn-tj/x86-64-v3/cpu=128;mem=512GiB;net=roce2;sriov",
        [_ep("tj.sugon.example")],
    ),
]


def demo_key(zone: str) -> SigningKey:
    """The demo's key for ``zone`` (from a fixed seed: public, for demos only)."""
    return SigningKey.from_seed(hashlib.sha256(f"ucid-demo-key:{zone}".encode()).digest())


def write_demo(path: Path, *, now: int, address: str = "127.0.0.1") -> Registry:
    """Write and build the demo registry at ``path``; every name server is ``address``."""
    registry = Registry.create(path, DEMO_ROOT)
    for zone, parent in _ZONES.items():
        registry.add_zone(zone, parent, [NameServer(f"ns1.{zone}", (address,))], demo_key(zone))
    for zone, name, identifier, endpoints in _RESOURCES:
        registry.add_source(
            zone, name, {"subject": identifier, "version": 1, "endpoints": endpoints}
        )
    registry.build(now=now)
    return registry
