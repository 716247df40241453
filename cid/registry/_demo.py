"""The bundled demo hierarchy: a national root, regional and industry platforms,
providers (one with a Unicode name), a delegated region, CPU and accelerator
resources. ``cid demo init`` writes it as a registry; ``cid demo serve`` serves it.

Keys come from fixed seeds, so key ids are the same everywhere; records are
signed when the registry is written, so they are never stale. Demo keys are
public knowledge: never use them for anything real.
"""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from .._identifier import parse
from .._keys import SigningKey
from .._status import Capacity, Price, Status, sign_status
from ._store import Registry
from ._zone import NameServer

__all__ = [
    "DEMO_POOL_PATTERN",
    "DEMO_ROOT",
    "demo_key",
    "demo_statuses",
    "write_demo",
    "write_demo_statuses",
]

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


# Accelerator pools of several providers that one pattern matches, each with a status
# (spec/status.md): (zone, source, identifier, endpoints, free and total accelerators,
# accepting, queue wait in seconds, prices). One has no status at all.
DEMO_POOL_PATTERN: Final = "ucid:*/cn-*/x86-64-v4+sm90/acc>=8"
_GIB: Final = 1 << 30
_POOLS: Final[list[tuple[str, str, str, list[dict[str, Any]], tuple[int, int], bool, int,
                         tuple[Price, ...]]]] = [
    (
        f"xn--fiq02ib9d179b.east.{DEMO_ROOT}", "h800-pool", _RESOURCES[0][2], [],
        (24, 64), True, 90, (Price("CNY", "12.5", 1, 3600, unit="acc"),),
    ),
    (
        f"ctyun.east.{DEMO_ROOT}", "h800-gd",
        "ucid:ctyun.east/cn-gd/x86-64-v4+sm90/acc=8;acc-model=h800;mem=1TiB",
        [_ep("gpu-gd.ctyun.example", alpn=["h2"])],
        (16, 32), True, 600,
        (Price("CNY", "9.8", 1, 3600, unit="acc"), Price("CNY", "0.01", _GIB, 3600, unit="mem")),
    ),
    (
        f"sugon.hpc.{DEMO_ROOT}", "h800-tj",
        "ucid:sugon.hpc/cn-tj/x86-64-v4+sm90/acc=8;acc-model=h800;mem=1TiB",
        [_ep("gpu-tj.sugon.example", alpn=["h2"])],
        (64, 128), True, 30, (Price("CNY", "90", 1, 3600),),
    ),
    (
        f"acme.hpc.{DEMO_ROOT}", "h100-sh",
        "ucid:acme.hpc/cn-sh/x86-64-v4+sm90/acc=8;acc-model=h100;mem=2TiB",
        [_ep("h100-sh.acme.example", alpn=["h2"])],
        (4, 32), True, 0, (Price("CNY", "8", 1, 3600, unit="acc"),),
    ),
    (
        f"xn--fiq02ib9d179b.east.{DEMO_ROOT}", "h800-bj",
        "ucid:中国移动.east/cn-bj/x86-64-v4+sm90/acc=8;acc-model=h800;mem=2TiB",
        [_ep("gpu-bj.cmcc.example", alpn=["h2"])],
        (40, 64), False, 3600, (Price("CNY", "10", 1, 3600, unit="acc"),),
    ),
    (
        f"ctyun.east.{DEMO_ROOT}", "h800-js",
        "ucid:ctyun.east/cn-js/x86-64-v4+sm90/acc=8;acc-model=h800;mem=1TiB",
        [_ep("gpu-js.ctyun.example", alpn=["h2"])],
        (0, 0), True, 0, (),  # publishes no status
    ),
]  # fmt: skip
_RESOURCES.extend((zone, name, ident, eps) for zone, name, ident, eps, *_ in _POOLS if eps)
#: How long a demo status is valid: the most spec/status.md §5.3 allows.
DEMO_STATUS_VALIDITY: Final = 600


def demo_statuses(
    now: int, *, rng: random.Random | None = None, version: int | None = None
) -> list[tuple[str, Status]]:
    """The statuses of the demo's accelerator pools at ``now``: (zone, status) pairs,
    valid :data:`DEMO_STATUS_VALIDITY` seconds. With ``rng``, free units, wait and
    prices wander around their base values, as a busy provider's would (``cid demo
    agent``); ``version`` defaults to ``now`` in milliseconds."""
    out = []
    for zone, _, ident, _, (base_free, total), accepting, base_wait, base_prices in _POOLS:
        free, wait, prices = base_free, base_wait, base_prices
        if total == 0:
            continue
        subject = str(parse(ident))
        mem = next(c.value for c in parse(ident).capabilities if c.key == "mem")
        assert isinstance(mem, int)
        machines = total // 8
        if rng is not None:
            free = max(0, min(total, base_free + rng.randint(-8, 8)))
            wait = max(0, base_wait + rng.randint(-30, 30))
            prices = tuple(_wander(p, rng) for p in base_prices)
        mem_free = mem * machines * free // total
        status = Status(
            zone,
            subject,
            version=now * 1000 if version is None else version,
            descriptor_version=1,
            issued_at=now,
            expires=now + DEMO_STATUS_VALIDITY,
            accepting=accepting,
            units={"acc": Capacity(free, total), "mem": Capacity(mem_free, mem * machines)},
            utilisation=1000 * (total - free) // total,
            queue_wait=wait,
            prices=prices,
        )
        out.append((zone, status))
    return out


def _wander(price: Price, rng: random.Random) -> Price:
    # In hundredths, exactly: amounts are decimal texts, read as Decimal, never floats.
    cents = int(Decimal(price.amount) * 100)
    spread = max(1, cents // 10)  # about a tenth either way
    cents = max(1, cents + rng.randint(-spread, spread))
    text = format((Decimal(cents) / 100).normalize(), "f")
    return Price(price.currency, text, price.quantity, price.period, price.unit, price.terms)


def write_demo_statuses(
    registry: Registry, now: int, *, rng: random.Random | None = None
) -> list[Status]:
    """Sign the demo's statuses at ``now`` with each zone's demo key and write them into
    the registry (``zones/<zone>/status/``), where ``cid serve`` picks them up."""
    written = []
    for zone, status in demo_statuses(now, rng=rng):
        data = sign_status(status, demo_key(zone))
        written.append(registry.write_status(zone, data, now=now))
    return written


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
    write_demo_statuses(registry, now)
    return registry
