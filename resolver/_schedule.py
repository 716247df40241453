"""Choosing among providers by their statuses (spec/status.md §12): the sans-IO ranking.

Discovery (``_discovery``) finds and verifies the descriptors that match a pattern;
:meth:`Resolution.for_status` fetches and verifies each one's status; this module
drops the candidates that cannot take the need and ranks the rest by a stated
:class:`Policy`. Pure: no clock (``now`` is given), no I/O. Money is exact: amounts
are read with :class:`decimal.Decimal` and computed as fractions, never as floats.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Final

from cid import Capability, CidError, Endpoint, Pattern, Price, Status, parse

from ._outcome import ResolutionError
from ._resolution import Resolved, StatusCheck

__all__ = [
    "POLICIES",
    "Candidate",
    "Dropped",
    "Need",
    "NeedError",
    "Policy",
    "Schedule",
    "rank",
]

#: The policies a user states (§12.4).
POLICIES: Final = ("cheapest", "shortest-wait", "nearest", "weighted")
#: The criteria a weighted policy combines.
CRITERIA: Final = ("price", "wait", "region")
#: Why a candidate was dropped (§12.3), in the order the tests are applied.
REASONS: Final = ("NO_STATUS", "EXPIRED", "NOT_ACCEPTING", "UNITS_UNKNOWN", "TOO_FEW_UNITS")
#: Tiers (§12.5): a fresh status, a stale one, none.
TIERS: Final = ("fresh", "stale", "none")
_NUMERIC: Final = frozenset({"count", "size", "rate", "frequency"})
# A placeholder identifier whose capabilities are the need: the identifier's rules.
_CARRIER: Final = "ucid:need.invalid/us/x86-64/"


@dataclass(frozen=True, slots=True)
class Need:
    """What a job needs (§12.2): amounts of capabilities, written as an identifier's
    capability terms (``acc=8;mem=512GiB``) and read by the same rules, so sizes, rates
    and frequencies are in their canonical units. Only counts, sizes, rates and
    frequencies are needs; each key at most once."""

    terms: tuple[Capability, ...]

    @classmethod
    def parse(cls, text: str) -> Need:
        """A :class:`Need` from text; ``ValueError`` (a :class:`CidError`) if it is not
        one. An empty text needs nothing."""
        if not isinstance(text, str):
            raise TypeError("a need is text: acc=8;mem=512GiB")
        if not text.strip():
            return cls(())
        try:
            ident = parse(_CARRIER + text)
        except CidError as exc:
            reason = getattr(exc, "reason", str(exc))
            raise NeedError(
                f"not a need ({reason}): {text!r}; write it as acc=8;mem=512GiB"
            ) from None
        for cap in ident.capabilities:
            if cap.type not in _NUMERIC:
                raise NeedError(
                    f"{cap.key} is a {cap.type}: a need is an amount (a count, size, rate "
                    "or frequency)"
                )
        return cls(tuple(ident.capabilities))

    def amounts(self) -> dict[str, int]:
        return {c.key: int(c.value) for c in self.terms}

    def __str__(self) -> str:
        return ";".join(str(c) for c in self.terms)


class NeedError(CidError, ValueError):
    """A need or a policy that cannot be read."""


@dataclass(frozen=True, slots=True)
class Policy:
    """How to rank (§12.4): ``kind`` is one of :data:`POLICIES`.

    ``period`` (seconds) is how long the need is priced for (cheapest, weighted);
    ``currency`` the currency compared (None: the one most candidates quote in);
    ``region`` the region to be near (nearest, weighted with a region weight);
    ``weights`` maps ``price``, ``wait`` and ``region`` to non-negative decimals
    (weighted); ``fresh`` is the age (seconds since iat) beyond which a status is
    stale; ``missing`` is ``"last"`` (rank candidates without a status after all
    others) or ``"drop"`` (drop them).
    """

    kind: str = "cheapest"
    period: int = 3600
    currency: str | None = None
    region: str | None = None
    weights: tuple[tuple[str, Decimal], ...] = ()
    fresh: int = 120
    missing: str = "last"

    def __post_init__(self) -> None:
        if self.kind not in POLICIES:
            raise NeedError(f"unknown policy {self.kind!r}: one of {', '.join(POLICIES)}")
        if type(self.period) is not int or not 1 <= self.period <= 366 * 86400:
            raise NeedError("the period is 1 to 31622400 seconds")
        if type(self.fresh) is not int or not 0 <= self.fresh <= 600:
            raise NeedError("fresh is 0 to 600 seconds (a status lives ten minutes at most)")
        if self.missing not in ("last", "drop"):
            raise NeedError("missing is 'last' or 'drop'")
        if self.currency is not None:
            Price(self.currency, "1", 1, 1)  # the form of a currency code (spec/status.md §5.5)
        if self.region is not None:
            try:
                parse(f"ucid:x.invalid/{self.region}/x86-64")
            except CidError:
                raise NeedError(f"not a region: {self.region!r}") from None
            object.__setattr__(self, "region", self.region.lower())
        for name, weight in self.weights:
            if name not in CRITERIA or not isinstance(weight, Decimal) or weight < 0:
                raise NeedError(f"a weight is price, wait or region = a decimal >= 0: {name}")
        if self.kind == "weighted" and not any(w for _, w in self.weights):
            raise NeedError("a weighted policy needs a positive weight: price=2,wait=1,region=1")
        if self.region is None and (
            self.kind == "nearest" or (self.weight("region") and self.kind == "weighted")
        ):
            raise NeedError("nearest needs a region to be near (--region cn-gd)")

    @classmethod
    def parse(cls, text: str, **settings: object) -> Policy:
        """``cheapest``, ``shortest-wait``, ``nearest`` or ``weighted:price=2,wait=1,region=1``;
        ``settings`` are the other fields (``region="cn-gd"``, ``period=3600``)."""
        kind, _, rest = text.strip().partition(":")
        weights: list[tuple[str, Decimal]] = []
        if rest:
            if kind != "weighted":
                raise NeedError(f"only a weighted policy takes weights, not {kind!r}")
            for item in rest.split(","):
                name, eq, value = item.partition("=")
                try:
                    weight = Decimal(value.strip())
                except ArithmeticError:
                    raise NeedError(f"a weight is a decimal: {item!r}") from None
                if not eq or not weight.is_finite():
                    raise NeedError(f"a weight is NAME=DECIMAL: {item!r}")
                weights.append((name.strip(), weight))
        elif kind == "weighted":
            weights = [("price", Decimal(1)), ("wait", Decimal(1))]
            if settings.get("region") is not None:
                weights.append(("region", Decimal(1)))
        return cls(kind, weights=tuple(weights), **settings)  # type: ignore[arg-type]

    def weight(self, name: str) -> Decimal:
        return sum((w for n, w in self.weights if n == name), Decimal(0))

    def __str__(self) -> str:
        if self.kind != "weighted":
            return self.kind
        return "weighted:" + ",".join(f"{n}={w}" for n, w in self.weights)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ranked candidate (§12.5): its verified descriptor, its verified status (None:
    none usable, see ``problem``), what it was ranked by, and why, in words."""

    rank: int
    resolved: Resolved
    status: Status | None
    tier: str
    age: int | None
    cost: Fraction | None
    currency: str | None
    wait: int | None
    distance: int | None
    score: Fraction | None
    why: str
    problem: str | None = None

    @property
    def identifier(self) -> str:
        return str(self.resolved.identifier)

    def ordered(self) -> list[Endpoint]:
        """The verified endpoints in the order to try them (spec/resolution.md §16)."""
        return self.resolved.ordered()

    def free(self, key: str) -> int | None:
        if self.status is None or key not in self.status.units:
            return None
        return self.status.units[key].free


@dataclass(frozen=True, slots=True)
class Dropped:
    """A candidate that cannot take the need (§12.3): ``reason`` is one of
    :data:`REASONS`; ``detail`` says what was seen."""

    resolved: Resolved
    reason: str
    detail: str
    status: Status | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """What :meth:`Resolver.schedule` found: the candidates ranked best first, those
    dropped with their reasons, the statuses rejected by category (they count as
    absent, spec/status.md §7.6), and the discovery's own report."""

    pattern: Pattern
    need: Need
    policy: Policy
    now: int
    ranked: tuple[Candidate, ...]
    dropped: tuple[Dropped, ...]
    rejected: Mapping[str, int]
    failures: tuple[ResolutionError, ...] = ()
    nodes: int = 0
    bound: str | None = None
    queries: int = 0
    currency: str | None = None
    unavailable: int = field(default=0)

    @property
    def dropped_by_reason(self) -> dict[str, int]:
        counts = Counter(d.reason for d in self.dropped)
        return {r: counts[r] for r in REASONS if counts[r]}

    @property
    def best(self) -> Candidate | None:
        return self.ranked[0] if self.ranked else None


# ------------------------------------------------------------------ the rules


def region_distance(region: str, near: str) -> int:
    """§12.4: 0 in ``near`` itself (or a region below it), 1 in the same country,
    2 elsewhere."""
    if region == near or region.startswith(near + "-"):
        return 0
    return 1 if region.split("-", maxsplit=1)[0] == near.split("-", maxsplit=1)[0] else 2


def _price_cost(price: Price, amount: int, period: int) -> Fraction:
    # Decimal reads the text exactly; Fraction keeps every step exact (no float).
    return Fraction(Decimal(price.amount)) * amount * period / (price.quantity * price.period)


def cost(status: Status, subject: Mapping[str, int], need: Need, period: int, currency: str) -> (
    Fraction | None
):
    """§12.4 cheapest: what the need costs for ``period`` seconds in ``currency``.

    The sum, over the need's keys that have a price per unit in that currency, of the
    cheapest such price for the amount needed; when no key has one, the cheapest
    price per instance for the instances needed (for each key, the amount needed over
    what one instance has, per the subject's attributes, rounded up; at least one);
    None when neither exists.
    """
    prices = [p for p in status.prices if p.currency == currency]
    amounts = need.amounts()
    total: Fraction | None = None
    for key, amount in amounts.items():
        options = [_price_cost(p, amount, period) for p in prices if p.unit == key]
        if options:
            total = min(options) + (total or Fraction(0))
    if total is not None:
        return total
    instances = 1
    for key, amount in amounts.items():
        each = subject.get(key)
        if each:
            instances = max(instances, math.ceil(Fraction(amount, each)))
    options = [_price_cost(p, instances, period) for p in prices if p.unit is None]
    return min(options) if options else None


def _common_currency(statuses: Sequence[Status]) -> str | None:
    """The currency the most statuses quote a price in; ties go to the first in
    alphabetical order."""
    counts = Counter(c for st in statuses for c in {p.currency for p in st.prices})
    if not counts:
        return None
    return min(counts, key=lambda c: (-counts[c], c))


def _subject_amounts(resolved: Resolved) -> dict[str, int]:
    return {
        c.key: c.value
        for c in resolved.identifier.capabilities
        if c.type in _NUMERIC and isinstance(c.value, int)
    }


def _drop_reason(check: StatusCheck, need: Need, policy: Policy) -> tuple[str, str] | None:
    status = check.status
    if status is None:
        if policy.missing == "last":
            return None
        if check.problem == "EXPIRED":
            return "EXPIRED", check.detail
        return "NO_STATUS", f"{check.problem}: {check.detail}"
    if not status.accepting:
        return "NOT_ACCEPTING", "the status says new work is not accepted"
    for key, amount in need.amounts().items():
        held = status.units.get(key)
        if held is None:
            return "UNITS_UNKNOWN", f"the status gives no free units of {key}"
        if held.free < amount:
            return "TOO_FEW_UNITS", f"{held.free} {key} free, {amount} needed"
    return None


def _normalised(values: Sequence[Fraction | None]) -> list[Fraction]:
    """§12.4 weighted: each value as a share of the range over the candidates, 0 the
    best, 1 the worst; an unknown value is 1; all equal, 0."""
    known = [v for v in values if v is not None]
    if not known:
        return [Fraction(1)] * len(values)
    low, high = min(known), max(known)
    span = high - low
    return [
        Fraction(1) if v is None else (Fraction(0) if span == 0 else (v - low) / span)
        for v in values
    ]


def rank(
    checks: Sequence[StatusCheck], need: Need, policy: Policy, *, now: int
) -> tuple[tuple[Candidate, ...], tuple[Dropped, ...], dict[str, int], str | None]:
    """The ranking of §12.3-§12.5: the candidates kept, best first; those dropped; the
    statuses rejected, counted by category; the currency compared."""
    rejected = Counter(
        c.problem for c in checks if c.status is None and c.problem not in (None, "MISSING")
    )
    rejected.pop("UNAVAILABLE", None)
    kept: list[StatusCheck] = []
    dropped: list[Dropped] = []
    for check in checks:
        why = _drop_reason(check, need, policy)
        if why is None:
            kept.append(check)
        else:
            dropped.append(Dropped(check.resolved, why[0], why[1], check.status))
    statuses = [c.status for c in kept if c.status is not None]
    currency = policy.currency or _common_currency(statuses)
    rows = []
    for check in kept:
        st = check.status
        age = None if st is None else max(0, now - st.issued_at)
        tier = 2 if st is None or age is None else (0 if age <= policy.fresh else 1)
        price = None
        if st is not None and currency is not None:
            price = cost(st, _subject_amounts(check.resolved), need, policy.period, currency)
        wait = None if st is None else st.queue_wait
        distance = None
        if policy.region is not None:
            distance = region_distance(check.resolved.identifier.region, policy.region)
        rows.append((check, tier, age, price, wait, distance))
    scores: list[Fraction | None] = [None] * len(rows)
    if policy.kind == "weighted":
        parts = {
            "price": _normalised([r[3] for r in rows]),
            "wait": _normalised([None if r[4] is None else Fraction(r[4]) for r in rows]),
            "region": _normalised([None if r[5] is None else Fraction(r[5]) for r in rows]),
        }
        for i in range(len(rows)):
            scores[i] = sum(
                (Fraction(policy.weight(n)) * parts[n][i] for n in CRITERIA), Fraction(0)
            )

    def key(i: int) -> tuple[object, ...]:
        check, tier, _, price, wait, distance = rows[i]
        criterion: tuple[object, ...]
        if policy.kind == "cheapest":
            criterion = (price is None, price or 0)
        elif policy.kind == "shortest-wait":
            criterion = (wait is None, wait or 0)
        elif policy.kind == "nearest":
            criterion = (distance,)
        else:
            criterion = (scores[i],)
        return (tier, *criterion, str(check.resolved.identifier))

    order = sorted(range(len(rows)), key=key)
    ranked = []
    for place, i in enumerate(order, 1):
        check, tier, age, price, wait, distance = rows[i]
        ranked.append(
            Candidate(
                rank=place,
                resolved=check.resolved,
                status=check.status,
                tier=TIERS[tier],
                age=age,
                cost=price,
                currency=currency if price is not None else None,
                wait=wait,
                distance=distance,
                score=scores[i],
                why=_why(policy, TIERS[tier], age, price, currency, wait, distance, scores[i],
                         check),
                problem=check.problem,
            )
        )  # fmt: skip
    return tuple(ranked), tuple(dropped), dict(sorted(rejected.items())), currency


def money(value: Fraction) -> str:
    """A cost as people read it: a decimal, rounded to six places (exact below that)."""
    shown = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.000001"))
    text = format(shown.normalize(), "f")
    return text


def _why(
    policy: Policy,
    tier: str,
    age: int | None,
    price: Fraction | None,
    currency: str | None,
    wait: int | None,
    distance: int | None,
    score: Fraction | None,
    check: StatusCheck,
) -> str:
    if tier == "none":
        seen = "no status" if check.problem in (None, "MISSING") else f"status {check.problem}"
        first = f"{seen}: ranked after every candidate with a status"
    else:
        first = f"{tier} status ({age} s old)"
        if tier == "stale":
            first += f": after every fresh status (older than {policy.fresh} s)"
    parts = [first]
    if policy.kind in ("cheapest", "weighted") and tier != "none":
        parts.append(
            f"costs {money(price)} {currency} per {policy.period} s"
            if price is not None
            else "no price for the need: after the priced"
        )
    if policy.kind in ("shortest-wait", "weighted") and tier != "none":
        parts.append(f"waits {wait} s" if wait is not None else "no wait given: after the rest")
    if distance is not None and policy.kind in ("nearest", "weighted"):
        words = ("in the region", "in the same country", "in another country")[distance]
        parts.append(f"{words} ({policy.region})")
    if score is not None:
        parts.append(f"score {money(score)}")
    return "; ".join(parts)
