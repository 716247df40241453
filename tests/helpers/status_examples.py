"""Statuses for the tests of ``cid._status`` and its fast reader: one to change field by
field, and a hypothesis strategy of every claim."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import cid
from cid._status import MAX_QUANTITY

SUB = "ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B"
IAT = 1767229200
EXP = IAT + 300


def status(**over: Any) -> cid.Status:
    fields: dict[str, Any] = {
        "issuer": "acme.example",
        "subject": SUB,
        "version": 7,
        "descriptor_version": 1,
        "issued_at": IAT,
        "expires": EXP,
        "accepting": True,
    }
    fields.update(over)
    return cid.Status(**fields)


KEYS_ = st.sampled_from(["acc", "cpu", "mem", "disk", "net-bw", "freq", "acc-mem"])


@st.composite
def statuses(draw: st.DrawFn) -> cid.Status:
    iat = draw(st.integers(0, 1 << 40))
    units = {}
    for key in draw(st.lists(KEYS_, max_size=4, unique=True)):
        total = draw(st.integers(0, MAX_QUANTITY))
        units[key] = cid.Capacity(draw(st.integers(0, total)), total)
    amounts = st.from_regex(r"(0|[1-9][0-9]{0,5})(\.[0-9]{0,3}[1-9])?", fullmatch=True)
    prices = draw(
        st.lists(
            st.builds(
                cid.Price,
                currency=st.sampled_from(["CNY", "EUR", "USD"]),
                amount=amounts,
                quantity=st.integers(1, MAX_QUANTITY),
                period=st.integers(1, 366 * 86400),
                unit=st.none() | KEYS_,
                terms=st.none() | st.just("https://acme.example/t"),
            ),
            max_size=3,
            unique_by=lambda p: (p.currency, p.unit, p.quantity, p.period),
        )
    )
    ext = draw(
        st.dictionaries(
            st.text("xyz-", min_size=1, max_size=5),
            st.integers(-(1 << 64), (1 << 64) - 1),
            max_size=2,
        )
    )
    crit = draw(st.lists(st.sampled_from(sorted(ext)), unique=True)) if ext else []
    return cid.Status(
        "acme.example",
        SUB,
        draw(st.integers(0, (1 << 64) - 1)),
        draw(st.integers(0, (1 << 64) - 1)),
        iat,
        iat + draw(st.integers(1, 600)),
        draw(st.booleans()),
        units,
        draw(st.none() | st.integers(0, 1000)),
        draw(st.none() | st.integers(0, (1 << 32) - 1)),
        tuple(prices),
        ext,
        tuple(crit),
    )
