"""Status records (spec/status.md): a provider's signed, short-lived statement of the
live state of the resource one descriptor names: capacity free and total, utilisation,
queue wait, whether it accepts new work, and prices.

The same COSE_Sign1 envelope and deterministic CBOR profile as descriptors
(spec/descriptor.md §3-§5), with its own typ, claims and verification (§4-§7 of
spec/status.md). :class:`Status` checks every rule of its claims when constructed;
:func:`encode_status` and the strict :func:`decode_status` are the payload codec;
:func:`sign_status` and :func:`verify_status` the envelope. Sans-IO: time is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

import cbor2

from ._cbor import Value, decode, encode_ordered
from ._descriptor import (
    MAX_SIGNED,
    Descriptor,
    check_subject,
    check_uint,
    check_zone,
    checked_ext,
    empty_ext,
    remember,
)
from ._descriptor_json import jsonable
from ._errors import (
    CriticalExtensionError,
    EncodingError,
    ExpiredError,
    IdentifierError,
    NotYetValidError,
    RollbackError,
    StatusMismatchError,
)
from ._identifier import parse
from ._keys import SigningKey
from ._signed import Keys, open_signed, sign_payload
from ._status_fast import read_claims
from ._tables import CAPABILITY_TYPES

__all__ = [
    "MAX_STATUS",
    "MAX_STATUS_SKEW",
    "MAX_STATUS_VALIDITY",
    "STATUS_SKEW",
    "TYP_STATUS",
    "Capacity",
    "Described",
    "Price",
    "Status",
    "decode_status",
    "encode_status",
    "sign_status",
    "status_from_json",
    "status_json",
    "verify_status",
]

#: §4.1: the media type of the protected header's typ.
TYP_STATUS: Final = "application/ucid-status+cbor"
#: §4.2: a signed status record is at most this long (the budget of spec/descriptor.md §7).
MAX_STATUS: Final = MAX_SIGNED
#: §5.3: ``exp - iat`` is at most ten minutes.
MAX_STATUS_VALIDITY: Final = 600
#: §7.1: clock skew allowed on the start of validity by default, and at most.
STATUS_SKEW: Final = 30
MAX_STATUS_SKEW: Final = 60

# §5.1 claim keys. 1-8, 11 and 12 mean what they mean in descriptors; the rest are new.
CLAIM_ISS: Final = 1
CLAIM_SUB: Final = 2
CLAIM_EXP: Final = 4
CLAIM_IAT: Final = 6
CLAIM_VERSION: Final = 8
CLAIM_EXT: Final = 11
CLAIM_CRIT: Final = 12
CLAIM_DVER: Final = 14
CLAIM_ACCEPTING: Final = 15
CLAIM_UNITS: Final = 16
CLAIM_UTIL: Final = 17
CLAIM_WAIT: Final = 18
CLAIM_PRICES: Final = 19
_REQUIRED: Final = frozenset(
    {CLAIM_ISS, CLAIM_SUB, CLAIM_EXP, CLAIM_IAT, CLAIM_VERSION, CLAIM_DVER, CLAIM_ACCEPTING}
)
_OPTIONAL: Final = frozenset(
    {CLAIM_EXT, CLAIM_CRIT, CLAIM_UNITS, CLAIM_UTIL, CLAIM_WAIT, CLAIM_PRICES}
)

# §5.5 price keys.
PRICE_CURRENCY: Final = 0
PRICE_AMOUNT: Final = 1
PRICE_UNIT: Final = 2
PRICE_QUANTITY: Final = 3
PRICE_PERIOD: Final = 4
PRICE_TERMS: Final = 5
_PRICE_REQUIRED: Final = frozenset({PRICE_CURRENCY, PRICE_AMOUNT, PRICE_QUANTITY, PRICE_PERIOD})
_PRICE_KEYS: Final = _PRICE_REQUIRED | {PRICE_UNIT, PRICE_TERMS}

#: spec/identifier.md §7.1: counts, sizes, rates and frequencies are at most 2^63-1.
MAX_QUANTITY: Final = (1 << 63) - 1
MAX_UNITS: Final = 16
MAX_PRICES: Final = 8
PERMILLE: Final = 1000
MAX_WAIT: Final = (1 << 32) - 1
MAX_PERIOD: Final = 366 * 86400
MAX_TERMS: Final = 256
NUMERIC_TYPES: Final = frozenset({"count", "size", "rate", "frequency"})

# spec/identifier.md §7.1: a capability key, lowercase, at most 32 characters.
_KEY: Final = re.compile(r"[a-z][a-z0-9-]{0,31}").fullmatch
# §5.5: ISO 4217 alphabetic code, by form.
_CURRENCY: Final = re.compile(r"[A-Z]{3}").fullmatch
# §5.6: a canonical decimal: no sign, no leading zeros, a fraction only when it is
# not zero, and then without trailing zeros; at most 18 digits on either side.
_DECIMAL: Final = re.compile(r"(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{0,17}[1-9])?").fullmatch
# §5.5: an https URI of RFC 3986 characters, with a non-empty authority.
_URI_CHARS: Final = r"A-Za-z0-9._~!$&'()*+,;=:@%\[\]\-"
_TERMS: Final = re.compile(rf"https://[{_URI_CHARS}]+(?:[/?#][{_URI_CHARS}/?#]*)?").fullmatch


def _fail(message: str) -> EncodingError:
    return EncodingError(message)


def unit_type(key: object, subject: str) -> str:
    """§5.4: the numeric type of a capability key in a status about ``subject``: its
    registered type, or for an unregistered key, the type of sub's attribute."""
    if type(key) is not str or not _KEY(key):
        raise _fail(f"a unit is a capability key (lowercase, 1-32 characters), not {key!r}")
    kind = CAPABILITY_TYPES.get(key)
    if kind is None:
        for cap in parse(subject).capabilities:
            if cap.key == key:
                kind = cap.type
    if kind is None:
        raise _fail(f"{key!r} is neither a registered capability key nor one of the subject's")
    if kind not in NUMERIC_TYPES:
        raise _fail(
            f"{key!r} is a {kind} capability; only counts, sizes, rates and frequencies are units"
        )
    return kind


# ------------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class Capacity:
    """Units of one capability (§5.4): ``free`` of ``total``, in its canonical unit
    (spec/identifier.md §7: items, bytes, bits per second or hertz)."""

    free: int
    total: int

    def __post_init__(self) -> None:
        check_uint(self.free, "free", MAX_QUANTITY)
        check_uint(self.total, "total", MAX_QUANTITY)
        if self.free > self.total:
            raise _fail(f"free ({self.free}) exceeds total ({self.total})")


@dataclass(frozen=True, slots=True)
class Price:
    """One price (§5.5): ``amount`` ``currency`` for ``quantity`` units of ``unit`` (a
    capability key; None: instances of what the subject names) per ``period`` seconds,
    under the ``terms`` at an https URL (None: none referenced).

    ``amount`` is a canonical decimal text (§5.6), ``"12.5"``, never a float.
    """

    currency: str
    amount: str
    quantity: int
    period: int
    unit: str | None = None
    terms: str | None = None

    def __post_init__(self) -> None:
        if type(self.currency) is not str or not _CURRENCY(self.currency):
            raise _fail(
                f"currency must be an ISO 4217 code of 3 capital letters, not {self.currency!r}"
            )
        if type(self.amount) is not str or not _DECIMAL(self.amount):
            raise _fail(f"amount must be a canonical decimal text, not {self.amount!r}")
        check_uint(self.quantity, "quantity", MAX_QUANTITY, 1)
        check_uint(self.period, "period", MAX_PERIOD, 1)
        if self.unit is not None and (type(self.unit) is not str or not _KEY(self.unit)):
            raise _fail(f"unit must be a capability key, not {self.unit!r}")
        if self.terms is not None and (
            type(self.terms) is not str or len(self.terms) > MAX_TERMS or not _TERMS(self.terms)
        ):
            raise _fail(f"terms must be an https URL of at most {MAX_TERMS} characters")

    def _claims(self) -> dict[int | str, Value]:
        out: dict[int | str, Value] = {PRICE_CURRENCY: self.currency, PRICE_AMOUNT: self.amount}
        if self.unit is not None:
            out[PRICE_UNIT] = self.unit
        out[PRICE_QUANTITY] = self.quantity
        out[PRICE_PERIOD] = self.period
        if self.terms is not None:
            out[PRICE_TERMS] = self.terms
        return out


def _no_units() -> Mapping[str, Capacity]:
    return cbor2.frozendict()


@dataclass(frozen=True, slots=True)
class Status:
    """A provider's signed statement of the live state of one descriptor's resource (§5).

    Fields map to claims: ``issuer`` iss (1), ``subject`` sub (2), ``expires`` exp (4),
    ``issued_at`` iat (6), ``version`` (8: this status's own sequence), ``ext`` (11),
    ``crit`` (12), ``descriptor_version`` dver (14: the version of the descriptor it
    describes), ``accepting`` (15), ``units`` (16: capability key -> :class:`Capacity`),
    ``utilisation`` (17, permille), ``queue_wait`` (18, seconds), ``prices`` (19).
    Constructing one checks every rule of §5; the error is :class:`EncodingError`.
    """

    issuer: str
    subject: str
    version: int
    descriptor_version: int
    issued_at: int
    expires: int
    accepting: bool
    units: Mapping[str, Capacity] = field(default_factory=_no_units)
    utilisation: int | None = None
    queue_wait: int | None = None
    prices: tuple[Price, ...] = ()
    ext: Mapping[str, Value] = field(default_factory=empty_ext)
    crit: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_zone(self.issuer, "iss")
        check_subject(self.subject)
        check_uint(self.version, "version")
        check_uint(self.descriptor_version, "dver")
        iat = check_uint(self.issued_at, "iat")
        exp = check_uint(self.expires, "exp")
        if not iat < exp:
            raise _fail(f"iat ({iat}) must be before exp ({exp})")
        if exp - iat > MAX_STATUS_VALIDITY:
            raise _fail(f"the validity, {exp - iat} s, exceeds {MAX_STATUS_VALIDITY} s")
        if type(self.accepting) is not bool:
            raise _fail(f"accepting must be true or false, not {self.accepting!r}")
        self._check_units()
        if self.utilisation is not None:
            check_uint(self.utilisation, "utilisation (permille)", PERMILLE)
        if self.queue_wait is not None:
            check_uint(self.queue_wait, "queue wait (seconds)", MAX_WAIT)
        self._check_prices()
        _check_ext(self)

    def _check_units(self) -> None:
        units = self.units
        if not isinstance(units, Mapping):
            raise _fail(f"units must be a map, not {type(units).__name__}")
        if len(units) > MAX_UNITS:
            raise _fail(f"at most {MAX_UNITS} units")
        for key, value in units.items():
            unit_type(key, self.subject)
            if type(value) is not Capacity:
                raise _fail(f"units values are Capacity values, not {type(value).__name__}")
        # Keys in deterministic order (§3.2 of spec/descriptor.md): for text keys of
        # ASCII, shorter first, then bytewise.
        ordered = sorted(units.items(), key=lambda kv: (len(kv[0]), kv[0]))
        object.__setattr__(self, "units", cbor2.frozendict(ordered))

    def _check_prices(self) -> None:
        prices = self.prices
        if type(prices) is not tuple:
            if not isinstance(prices, list):
                raise _fail(f"prices must be a sequence, not {type(prices).__name__}")
            prices = tuple(prices)
            object.__setattr__(self, "prices", prices)
        if len(prices) > MAX_PRICES:
            raise _fail(f"at most {MAX_PRICES} prices")
        seen = set()
        for price in prices:
            if type(price) is not Price:
                raise _fail(f"prices are Price values, not {type(price).__name__}")
            if price.unit is not None:
                unit_type(price.unit, self.subject)
            ident = (price.currency, price.unit, price.quantity, price.period)
            if ident in seen:
                raise _fail(
                    f"two prices in {price.currency} per {price.quantity} "
                    f"{price.unit or 'instance'} per {price.period} s"
                )
            seen.add(ident)

    def _claims(self) -> dict[int | str, Value]:
        # Keys inserted in ascending order: the encoding keeps this order.
        out: dict[int | str, Value] = {
            CLAIM_ISS: self.issuer,
            CLAIM_SUB: self.subject,
            CLAIM_EXP: self.expires,
            CLAIM_IAT: self.issued_at,
            CLAIM_VERSION: self.version,
        }
        if self.ext:
            out[CLAIM_EXT] = self.ext  # type: ignore[assignment]  # a frozendict is a map
        if self.crit:
            out[CLAIM_CRIT] = list(self.crit)
        out[CLAIM_DVER] = self.descriptor_version
        out[CLAIM_ACCEPTING] = self.accepting
        if self.units:
            out[CLAIM_UNITS] = {k: [c.free, c.total] for k, c in self.units.items()}
        if self.utilisation is not None:
            out[CLAIM_UTIL] = self.utilisation
        if self.queue_wait is not None:
            out[CLAIM_WAIT] = self.queue_wait
        if self.prices:
            out[CLAIM_PRICES] = [p._claims() for p in self.prices]
        return out


def _check_ext(st: Status) -> None:
    """§5.7: ext and crit as in descriptors (spec/descriptor.md §6.5)."""
    ext, crit = st.ext, st.crit
    if type(crit) is not tuple:
        if not isinstance(crit, list):
            raise _fail(f"crit must be a sequence, not {type(crit).__name__}")
        crit = tuple(crit)
        object.__setattr__(st, "crit", crit)
    if not ext and not crit and type(ext) is cbor2.frozendict:
        return
    object.__setattr__(st, "ext", checked_ext(ext, crit))


# ---------------------------------------------------------------- payloads


def encode_status(status: Status) -> bytes:
    """The deterministic CBOR claims map of a status: the COSE payload (§5)."""
    if type(status) is not Status:
        raise TypeError(f"cannot encode a {type(status).__name__} as a status")
    return encode_ordered(status._claims())


def _nonempty(value: Value, name: str, kind: type) -> Any:
    if type(value) is not kind or not value:
        # §5.2: an optional claim that would be empty is omitted, so it has one encoding.
        raise _fail(f"{name} must be a non-empty {'array' if kind is list else 'map'}")
    return value


def decode_status(payload: bytes) -> Status:
    """The strict decoder of a status payload (§3 of spec/descriptor.md, §5 here):
    :class:`EncodingError` (``ProfileError`` for CBOR faults) or :class:`OversizeError`."""
    claims = decode(payload, max_size=MAX_STATUS)
    if type(claims) is not dict:
        raise _fail("the payload must be a map of claims")
    keys = claims.keys()
    if not keys >= _REQUIRED or not keys <= _REQUIRED | _OPTIONAL:
        missing = sorted(_REQUIRED - keys)
        extra = sorted(keys - _REQUIRED - _OPTIONAL, key=str)
        raise _fail(f"claims missing {missing} or not allowed {extra}")
    c: dict[Any, Any] = claims
    units: dict[str, Capacity] = {}
    if CLAIM_UNITS in c:
        for key, pair in _nonempty(c[CLAIM_UNITS], "units", dict).items():
            if type(pair) is not list or len(pair) != 2:
                raise _fail("a units value is an array [free, total]")
            units[key] = Capacity(pair[0], pair[1])
    prices = []
    if CLAIM_PRICES in c:
        for item in _nonempty(c[CLAIM_PRICES], "prices", list):
            if type(item) is not dict or not item.keys() <= _PRICE_KEYS:
                raise _fail("a price is a map with keys 0..5")
            if not item.keys() >= _PRICE_REQUIRED:
                raise _fail(f"a price lacks {sorted(_PRICE_REQUIRED - item.keys())}")
            if any(k in item and item[k] is None for k in (PRICE_UNIT, PRICE_TERMS)):
                raise _fail("an absent unit or terms is left out, not null")
            prices.append(
                Price(
                    item[PRICE_CURRENCY],
                    item[PRICE_AMOUNT],
                    item[PRICE_QUANTITY],
                    item[PRICE_PERIOD],
                    item.get(PRICE_UNIT),
                    item.get(PRICE_TERMS),
                )
            )
    for name in (CLAIM_UTIL, CLAIM_WAIT):
        if name in c and c[name] is None:
            raise _fail("an absent claim is left out, not null")
    ext = _nonempty(c[CLAIM_EXT], "ext", dict) if CLAIM_EXT in c else empty_ext()
    crit = tuple(_nonempty(c[CLAIM_CRIT], "crit", list)) if CLAIM_CRIT in c else ()
    return Status(
        c[CLAIM_ISS],
        c[CLAIM_SUB],
        c[CLAIM_VERSION],
        c[CLAIM_DVER],
        c[CLAIM_IAT],
        c[CLAIM_EXP],
        c[CLAIM_ACCEPTING],
        units,
        c.get(CLAIM_UTIL),
        c.get(CLAIM_WAIT),
        tuple(prices),
        ext,
        crit,
    )


# ------------------------------------------------------------ fast reading

#: Units and prices by their encoding: the values the strict decoder made of them.
_units_read: dict[bytes, Mapping[str, Capacity]] = {}
_prices_read: dict[bytes, tuple[Price, ...]] = {}
_zones_read: dict[str, None] = {}


def _decode_fast(payload: bytes, checked_subject: str | None = None) -> Status | None:
    """:func:`decode_status` of a payload in the common shape (``_status_fast``), or None.

    Every rule of :class:`Status` is checked as its ``__post_init__`` checks it, but the
    parts that repeat are remembered: the issuer, units and prices by their bytes (the
    units and prices as the strict decoder read them, their keys checked again against
    each subject), and the subject when it is ``checked_subject``, the subject of a
    verified descriptor. Declines (None) whenever anything is amiss: the strict decoder
    then says what.
    """
    if len(payload) > MAX_STATUS:
        return None
    c = read_claims(payload)
    if c is None:
        return None
    iat, exp = c.iat, c.exp
    if not iat < exp or exp - iat > MAX_STATUS_VALIDITY:
        return None
    if (c.utilisation is not None and c.utilisation > PERMILLE) or (
        c.queue_wait is not None and c.queue_wait > MAX_WAIT
    ):
        return None
    try:
        if c.iss not in _zones_read:
            check_zone(c.iss, "iss")
            remember(_zones_read, c.iss, None)
        if c.sub != checked_subject:
            check_subject(c.sub)
        units = _read(c.units, _units_read, payload, lambda st: st.units)
        prices = _read(c.prices, _prices_read, payload, lambda st: st.prices)
        if units is None or prices is None:
            return None
        for key in units:
            unit_type(key, c.sub)
        for price in prices:
            if price.unit is not None:
                unit_type(price.unit, c.sub)
    except EncodingError:
        return None
    status = object.__new__(Status)
    for name, value in (
        ("issuer", c.iss),
        ("subject", c.sub),
        ("version", c.version),
        ("descriptor_version", c.dver),
        ("issued_at", iat),
        ("expires", exp),
        ("accepting", c.accepting),
        ("units", units),
        ("utilisation", c.utilisation),
        ("queue_wait", c.queue_wait),
        ("prices", prices),
        ("ext", empty_ext()),
        ("crit", ()),
    ):
        object.__setattr__(status, name, value)
    return status


_T = TypeVar("_T")
_EMPTY_UNITS: Final[Mapping[str, Capacity]] = cbor2.frozendict()


def _read(
    raw: bytes | None,
    memo: dict[bytes, _T],
    payload: bytes,
    part: Callable[[Status], _T],
) -> _T | None:
    """Units or prices encoded as ``raw``: remembered, else read by the strict decoder
    from the whole ``payload`` (None if it refuses)."""
    if raw is None:
        return _EMPTY_UNITS if memo is _units_read else ()  # type: ignore[return-value]
    found = memo.get(raw)
    if found is None:
        try:
            found = part(decode_status(payload))
        except EncodingError:
            return None
        remember(memo, raw, found)
    return found


# ------------------------------------------------------- signing, verifying


def sign_status(status: Status, key: SigningKey) -> bytes:
    """The signed status: a tagged COSE_Sign1 of at most :data:`MAX_STATUS` bytes
    (§4), typ :data:`TYP_STATUS`; :class:`OversizeError` if it would be longer."""
    return sign_payload(encode_status(status), TYP_STATUS, key)


class Described(Protocol):
    """What a status is checked against (§7 step 8): a verified :class:`Descriptor`,
    or anything else with its issuer, subject and version."""

    @property
    def issuer(self) -> str: ...

    @property
    def subject(self) -> str: ...

    @property
    def version(self) -> int: ...


def verify_status(
    data: bytes,
    keys: Keys,
    *,
    now: int,
    descriptor: Described | None = None,
    seen: Mapping[str, Status] | None = None,
    skew: int = STATUS_SKEW,
    extensions: Collection[str] = (),
) -> Status:
    """Verify a signed status record at time ``now`` and return it (§7).

    ``keys`` are the keys the issuing zone trusts (its keys and its agents' keys, as
    its delegation record lists them); the one whose kid the header names is used and
    no other. ``descriptor``, when given, is the verified descriptor the status must
    describe: same issuer, subject and version. ``seen`` maps a subject to the last
    status accepted for it (replay, §7.3). ``skew`` (0..:data:`MAX_STATUS_SKEW`) is
    allowed before iat only: a status is never used at or after its exp.

    Raises, in the order of §7.2: :class:`OversizeError`, :class:`EncodingError`,
    :class:`UnknownKeyError`, :class:`SignatureError`, :class:`StatusMismatchError`,
    :class:`CriticalExtensionError`, :class:`NotYetValidError`, :class:`ExpiredError`,
    :class:`RollbackError`. A ``skew`` out of range is a ValueError and a non-int
    ``now`` a TypeError: faults of the caller, not of the record.
    """
    if type(skew) is not int or not 0 <= skew <= MAX_STATUS_SKEW:
        raise ValueError(f"skew must be an int in 0..{MAX_STATUS_SKEW} seconds")
    if type(now) is not int:
        raise TypeError("now must be an int of seconds since the epoch")
    if isinstance(extensions, str):  # "x-a" would otherwise "contain" "x"
        raise TypeError("extensions is a collection of ext keys, not one str")
    payload, _ = open_signed(data, keys, TYP_STATUS)  # steps 1-6
    # Step 7, only after the signature verified: the fast reader, else the strict decoder.
    checked = descriptor.subject if type(descriptor) is Descriptor else None
    status = _decode_fast(payload, checked) or decode_status(payload)
    if descriptor is not None:  # step 8
        want = (descriptor.issuer, descriptor.subject, descriptor.version)
        have = (status.issuer, status.subject, status.descriptor_version)
        if have != want:
            raise StatusMismatchError(
                f"the status is about {have[1]} version {have[2]} from {have[0]}, "
                f"not {want[1]} version {want[2]} from {want[0]}"
            )
    for name in status.crit:  # step 9
        if name not in extensions:
            raise CriticalExtensionError(f"critical extension {name!r} is not understood")
    if now < status.issued_at - skew:  # step 10
        raise NotYetValidError(
            f"issued at {status.issued_at} (less {skew} s of skew); now is {now}",
            status.issued_at - skew,
        )
    if now >= status.expires:
        raise ExpiredError(f"expired at {status.expires}; now is {now} (no skew after exp)")
    if seen:  # step 11
        before = seen.get(status.subject)
        if before is not None:
            if status.version < before.version:
                raise RollbackError(
                    f"status version {status.version} of {status.subject} is older than "
                    f"{before.version}"
                )
            if status.version == before.version and encode_status(before) != payload:
                raise RollbackError(
                    f"status version {status.version} of {status.subject} was seen with "
                    "other claims"
                )
    return status


# -------------------------------------------------------------------- JSON

_MEMBERS: Final = {
    "issuer": True,
    "subject": True,
    "version": True,
    "descriptor_version": True,
    "issued_at": True,
    "expires": True,
    "accepting": True,
    "units": False,
    "utilisation": False,
    "queue_wait": False,
    "prices": False,
    "ext": False,
    "crit": False,
}
_PRICE_MEMBERS: Final = {
    "currency": True,
    "amount": True,
    "unit": False,
    "quantity": True,
    "period": True,
    "terms": False,
}


def status_json(status: Status) -> dict[str, Any]:
    """The JSON form of a status (§9): every member the record holds, and no other.

    :func:`status_from_json` reads it back to an equal :class:`Status`.
    """
    out: dict[str, Any] = {
        "issuer": status.issuer,
        "subject": status.subject,
        "version": status.version,
        "descriptor_version": status.descriptor_version,
        "issued_at": status.issued_at,
        "expires": status.expires,
        "accepting": status.accepting,
    }
    if status.units:
        out["units"] = {k: {"free": c.free, "total": c.total} for k, c in status.units.items()}
    if status.utilisation is not None:
        out["utilisation"] = status.utilisation
    if status.queue_wait is not None:
        out["queue_wait"] = status.queue_wait
    if status.prices:
        out["prices"] = [
            {
                k: v
                for k, v in {
                    "currency": p.currency,
                    "amount": p.amount,
                    "unit": p.unit,
                    "quantity": p.quantity,
                    "period": p.period,
                    "terms": p.terms,
                }.items()
                if v is not None
            }
            for p in status.prices
        ]
    if status.ext:
        out["ext"] = jsonable(status.ext)
    if status.crit:
        out["crit"] = list(status.crit)
    return out


def _object(obj: Any, members: Mapping[str, bool], what: str) -> dict[str, Any]:
    if type(obj) is not dict:
        raise _fail(f"{what} is a JSON object")
    if unknown := set(obj) - set(members):
        raise _fail(f"unknown {what} members: {', '.join(sorted(map(str, unknown)))}")
    # §9: an optional member that is null is absent.
    fields = {k: v for k, v in obj.items() if v is not None}
    for name, required in members.items():
        if required and name not in fields:
            raise _fail(f"{what} needs {name!r}")
    return fields


def status_from_json(obj: Any) -> Status:
    """A :class:`Status` from its JSON form (§9), as :func:`status_json` writes it.

    ``subject`` may be any spelling of a UCID; the claim is its canonical form.
    Every fault is an :class:`EncodingError`.
    """
    f = _object(obj, _MEMBERS, "a status")
    subject = f["subject"]
    if type(subject) is not str:
        raise _fail("subject must be a string")
    try:
        subject = str(parse(subject))
    except IdentifierError as exc:
        raise _fail(f"subject is not a UCID: {exc.reason}") from None
    units = {}
    raw_units = f.get("units", {})
    if type(raw_units) is not dict:
        raise _fail("units is a JSON object")
    for key, value in raw_units.items():
        cap = _object(value, {"free": True, "total": True}, "a units value")
        units[key] = Capacity(cap["free"], cap["total"])
    raw_prices = f.get("prices", [])
    if type(raw_prices) is not list:
        raise _fail("prices is a JSON array")
    prices = []
    for item in raw_prices:
        p = _object(item, _PRICE_MEMBERS, "a price")
        prices.append(
            Price(
                p["currency"],
                p["amount"],
                p["quantity"],
                p["period"],
                p.get("unit"),
                p.get("terms"),
            )
        )
    crit = f.get("crit", [])
    if type(crit) is not list:
        raise _fail("crit is a JSON array")
    ext = f.get("ext", {})
    if type(ext) is not dict:
        raise _fail("ext is a JSON object")
    return Status(
        f["issuer"],
        subject,
        f["version"],
        f["descriptor_version"],
        f["issued_at"],
        f["expires"],
        f["accepting"],
        units,
        f.get("utilisation"),
        f.get("queue_wait"),
        tuple(prices),
        ext if ext else empty_ext(),
        tuple(crit),
    )
