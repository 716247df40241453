"""Zone build: ``Registry.build`` (``cid zone build``) against bare Ed25519 signing.

    python tests/benchmarks/bench_build.py [--n 100000] [--rounds 3] [--dir DIR]
        [--quick] [--json]

A registry whose provider zone holds ``--n`` sources (the workload of
``bench_serve.py``: realistic identifiers, 1-3 endpoints each) is built from
scratch: every descriptor read, checked, signed and written atomically with
fsync, each folder fsync'd before ``build`` returns. The anchor, measured in
the same run: bare Ed25519 signing (PyNaCl) of the same COSE Sig_structure
bytes. Interleaved rounds, medians; rates in descriptors/s, ratios to the
anchor's rate. Also, for attribution: the build in-process (``workers=1``, no
worker processes), the build with fsync skipped, and ``Registry.assemble``
(read, verify, assemble: what ``cid zone export`` and ``cid serve`` do at load).

Each timed build writes into a registry of its own, made beforehand (its
sources hard links to one set, so making it allocates no inodes), and nothing
is deleted until every round is done: on ext4 without a journal, as on this
machine, a file created soon after many were deleted costs up to a millisecond
(the allocator skips recently deleted inodes one by one, ``recently_deleted``
in ``fs/ext4/ialloc.c``), which would time the benchmark's own clean-up.
Other processes deleting files on the same disk still affect the figures.

``--quick`` runs at tiny sizes (the smoke test in test_bench_build_runs.py);
its figures mean nothing. ``bench_serve.py --only build`` runs this too.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import inspect
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nacl.bindings

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_serve: the workload

from bench_serve import PROVIDER, _no_fsync, make_sources

import cid
from cid._cose import decode_sign1, sig_structure
from cid.registry import Registry

ANCHOR = "bare Ed25519 signing (PyNaCl)"
BUILD = "Registry.build (cid zone build)"
IN_PROCESS = "Registry.build, in-process (workers=1)"
NO_FSYNC = "Registry.build, fsync skipped (attribution only)"
ASSEMBLE = "Registry.assemble (read, verify, assemble)"


def copy_registry(template: Path, path: Path) -> Registry:
    """A fresh, unbuilt copy of ``template``: settings and keys copied, sources hard-linked."""
    path.mkdir(parents=True)
    for src in sorted(template.rglob("*")):
        dst = path / src.relative_to(template)
        if src.is_dir():
            dst.mkdir(parents=True)
        elif src.parent.name == "sources":
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)
    return Registry.load(path)


def _builds_with_workers() -> bool:
    # The code measured before worker processes had no ``workers`` argument.
    return "workers" in inspect.signature(Registry.build).parameters


def run_build(workdir: Path, n: int, rounds: int) -> dict[str, Any]:
    now = int(time.time())
    template = make_sources(workdir / "template", n, child_n=1).path
    with _no_fsync():  # untimed: the bytes the anchor signs
        first = copy_registry(template, workdir / "first")
        first.build(now=now)
    out_dir = first.path / "zones" / PROVIDER / "descriptors"
    tbs = []
    for f in sorted(out_dir.glob("*.cose")):
        sign1 = decode_sign1(f.read_bytes(), max_size=cid.MAX_SIGNED)
        tbs.append(sig_structure(sign1.protected, sign1.payload))
    assert len(tbs) == n
    secret = first.signing_key(PROVIDER)._secret
    serial = {"workers": 1} if _builds_with_workers() else None

    def bare() -> None:
        for m in tbs:
            nacl.bindings.crypto_sign(m, secret)

    fresh: list[Registry] = []

    def build(**options: Any) -> Callable[[], None]:
        def run() -> None:
            reg = fresh.pop()
            start = time.perf_counter()
            reg.build(now=now, **options)
            timings["_last"] = time.perf_counter() - start
            built.append(reg)

        return run

    def build_no_fsync() -> None:
        with _no_fsync():
            build()()

    def load() -> None:
        _, problems = Registry.load(built[-1].path).assemble(PROVIDER, now=now)
        assert not problems

    contenders: dict[str, Callable[[], None]] = {ANCHOR: bare, BUILD: build()}
    if serial is not None:
        contenders[IN_PROCESS] = build(**serial)
    contenders |= {NO_FSYNC: build_no_fsync, ASSEMBLE: load}
    builds = sum(1 for name in contenders if name.startswith("Registry.build"))
    # Every timed build gets a registry of its own, made now: no file is deleted
    # between them (see the module's docstring).
    for i in range(rounds * builds):
        fresh.append(copy_registry(template, workdir / f"round{i}"))
    built: list[Registry] = [first]
    timings: dict[str, float] = {}
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(rounds):
        names = list(contenders)
        names = names[r % len(names) :] + names[: r % len(names)]
        for name in names:
            gc.collect()
            start = time.perf_counter()
            contenders[name]()
            took = time.perf_counter() - start
            seconds[name].append(timings.pop("_last", took))
    reference = _digest(first.path)
    assert all(_digest(reg.path) == reference for reg in built), "builds differ"
    rates = {name: n / statistics.median(v) for name, v in seconds.items()}
    anchor = rates[ANCHOR]
    return {
        "descriptors": n,
        "rounds": rounds,
        "directory": str(workdir),
        "workers": os.cpu_count(),
        "rates": rates,
        "seconds": {name: statistics.median(v) for name, v in seconds.items()},
        "ratio_to_anchor": {name: rate / anchor for name, rate in rates.items()},
    }


def _digest(registry: Path) -> str:
    """The signed files of a registry, by name and content (every build writes the same)."""
    digest = hashlib.sha256()
    for path in sorted(registry.glob("zones/*/*/*.cose")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def sources_digest() -> str:
    """Which code was measured: a digest of cid/**/*.py (figures go stale when it changes)."""
    digest = hashlib.sha256()
    for path in sorted(Path(cid.__file__).parent.rglob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def print_build(b: dict[str, Any]) -> None:
    print(
        f"\nbuild: {b['descriptors']:,} descriptors, median of {b['rounds']} rounds, "
        f"in {b['directory']}"
    )
    for name, rate in b["rates"].items():
        print(
            f"  {name:<50} {rate:>9,.0f} /s {b['seconds'][name]:>8.2f} s "
            f"{b['ratio_to_anchor'][name]:6.3f} x anchor"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="descriptors built")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where registries are written (default: TMPDIR)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true", help="leave the registries (deleting costs)")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.rounds = 100, 1
    base = Path(tempfile.mkdtemp(prefix="cid-bench-build-", dir=args.dir))
    try:
        build = run_build(base, args.n, args.rounds)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    python, cores, code = sys.version.split()[0], os.cpu_count(), sources_digest()
    if args.json:
        out = {"python": python, "cores": cores, "cid_sources": code, "build": build}
        print(json.dumps(out, indent=2))
    else:
        print(f"Python {python}, {cores} cores, cid sources {code}")
        print_build(build)
    return 0


if __name__ == "__main__":
    sys.exit(main())
