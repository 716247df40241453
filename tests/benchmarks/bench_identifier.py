"""Identifier parsing rate, side by side with its anchors, in one run.

    python tests/benchmarks/bench_identifier.py [--n 20000] [--rounds 7] [--json]

Measured on the same strings, interleaved round by round (so that machine noise
hits all of them alike), single-threaded:

- ``cid.parse``: the library (fast path, memos warm as in a long-running process);
- ``cid.parse, memos cleared``: the same with every component memo emptied before
  each call, the worst case;
- ``urlsplit (uncached)``: ``urllib.parse.urlsplit`` with its lru_cache bypassed,
  the anchor: a URI split that validates almost nothing;
- ``lark LALR``: the grammar's parser alone, tree only, no semantics.

and, in the same rounds, one identifier parsed over and over with its provider
spelled with U-labels (``中国移动.cn``) and with A-labels (``xn--fiq02ib9d179b.cn``):
IDNA is the dearest step, and a repeated provider should not pay it again.

Reports the median rate of each and the ratio of cid.parse to the anchor.
Targets: >= 150,000 identifiers/s, >= 0.6 x urlsplit (issue 2); memos cleared
>= 0.25 x urlsplit, U-labels >= 0.5 x A-labels (issue "Scale").
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable

import cid
from cid import _identifier_fast
from cid._syntax import lark_parser

CPUS = ["x86-64-v4", "x86-64-v3", "x86_64", "aarch64", "neoverse-v2", "kunpeng-920", "riscv64"]
ACCS = ["", "+sm90", "+sm80", "+gfx942", "+ascend910b", "+sm90+gfx942"]
REGIONS = ["cn", "cn-gd", "cn-bj-az1", "cn-sh-a2", "de-by", "us-ca-z9", "sg"]
MODELS = ["h800", "a800", "mi300x", "ascend910b", "h20", "l40s"]
#: The same identifier, its provider spelled with U-labels and with A-labels.
ULABEL = "ucid:中国移动.cn/CN-BJ/neoverse-v2+sm90/acc=8;mem=1TiB"
ALABEL = "ucid:xn--fiq02ib9d179b.cn/CN-BJ/neoverse-v2+sm90/acc=8;mem=1TiB"


def workload(n: int, seed: int = 2026) -> list[str]:
    """n distinct, realistic identifiers (fixed seed): 500 providers, varied attributes.

    Components repeat as they do in a real catalogue; whole identifiers do not.
    """
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        provider = f"p{rng.randrange(500)}.{rng.choice(['cmcc', 'ctyun', 'acme', 'hpc'])}.cn"
        text = f"ucid:{provider}/{rng.choice(REGIONS)}/{rng.choice(CPUS)}{rng.choice(ACCS)}"
        attrs = [
            f"cpu={rng.choice([32, 64, 96, 128, 192])}",
            f"mem={rng.choice([256, 512, 1024])}GiB",
        ]
        if rng.random() < 0.6:
            attrs += [f"acc={rng.choice([1, 4, 8])}", f"acc-model={rng.choice(MODELS)}"]
        if rng.random() < 0.3:
            attrs.append(f"net-bw={rng.choice([100, 200, 400])}Gbps")
        if rng.random() < 0.2:
            attrs.append("sriov")
        rng.shuffle(attrs)
        out[f"{text}/{';'.join(attrs)}"] = None
    return list(out)


ULABEL_NAME = "cid.parse, U-label provider"
ALABEL_NAME = "cid.parse, A-label provider"


def _clear_memos() -> None:
    for memo in _identifier_fast.FAST_MEMOS:
        memo.clear()


def _parse_cold(text: str) -> object:
    _clear_memos()
    return cid.parse(text)


def _rate(fn: Callable[[str], object], strings: list[str]) -> float:
    start = time.perf_counter()
    for s in strings:
        fn(s)
    return len(strings) / (time.perf_counter() - start)


def run(n: int, rounds: int) -> dict[str, object]:
    strings = workload(n)
    parser = lark_parser()
    contenders: dict[str, Callable[[str], object]] = {
        "cid.parse": cid.parse,
        "cid.parse, memos cleared": _parse_cold,
        "urlsplit (uncached)": urllib.parse.urlsplit.__wrapped__,  # type: ignore[attr-defined]
        "lark LALR": lambda s: parser.parse(s, start="identifier"),
        ULABEL_NAME: cid.parse,
        ALABEL_NAME: cid.parse,
    }
    # Every contender must accept every string, or the comparison is void.
    if cid.parse(ULABEL) != cid.parse(ALABEL):
        raise AssertionError("the U-label and A-label identifiers differ")
    for fn in contenders.values():
        for s in strings[:200]:
            fn(s)
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    subsets = {name: strings for name in contenders}
    subsets["lark LALR"] = strings[: max(1, n // 10)]  # lark is slow; a tenth keeps rounds short
    subsets[ULABEL_NAME] = [ULABEL] * n
    subsets[ALABEL_NAME] = [ALABEL] * n
    for r in range(rounds):
        names = list(contenders)
        names = names[r % len(names) :] + names[: r % len(names)]  # rotate the order
        for name in names:
            if name in ("cid.parse", ULABEL_NAME, ALABEL_NAME):
                # "warm" is the state after one pass, as in a long-running process;
                # the cold contender empties the memos, so warm them again first.
                _rate(cid.parse, subsets[name][: len(strings)])
            rates[name].append(_rate(contenders[name], subsets[name]))
    medians = {name: statistics.median(v) for name, v in rates.items()}
    anchor = medians["urlsplit (uncached)"]
    provider = {name: medians.pop(name) for name in (ULABEL_NAME, ALABEL_NAME)}
    u_to_a = provider[ULABEL_NAME] / provider[ALABEL_NAME]
    return {
        "n": n,
        "rounds": rounds,
        "python": sys.version.split()[0],
        "rates": medians,
        "ratio_to_anchor": {name: rate / anchor for name, rate in medians.items()},
        "targets": {
            "cid.parse >= 150000/s": medians["cid.parse"] >= 150_000,
            "cid.parse >= 0.6 x urlsplit": medians["cid.parse"] >= 0.6 * anchor,
            "memos cleared >= 0.25 x urlsplit": medians["cid.parse, memos cleared"]
            >= 0.25 * anchor,
            "U-labels >= 0.5 x A-labels": u_to_a >= 0.5,
        },
        "provider_spelling": {
            "rates": provider,
            "ratio_to_anchor": {name: rate / anchor for name, rate in provider.items()},
            "ulabel_to_alabel": u_to_a,
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20_000, help="distinct identifiers")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = run(args.n, args.rounds)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"identifier parsing, {args.n} distinct identifiers, median of {args.rounds} rounds, "
        f"Python {result['python']}"
    )
    rates = result["rates"]
    ratios = result["ratio_to_anchor"]
    assert isinstance(rates, dict) and isinstance(ratios, dict)
    for name, rate in rates.items():
        print(f"  {name:<29} {rate:>11,.0f} /s   {ratios[name]:5.2f} x anchor")
    spelling = result["provider_spelling"]
    assert isinstance(spelling, dict)
    print("  one identifier, repeated:")
    for name, rate in spelling["rates"].items():
        print(f"  {name:<29} {rate:>11,.0f} /s   {spelling['ratio_to_anchor'][name]:5.2f} x anchor")
    print(f"  U-label / A-label: {spelling['ulabel_to_alabel']:.2f}")
    targets = result["targets"]
    assert isinstance(targets, dict)
    for target, ok in targets.items():
        print(f"  target {target}: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
