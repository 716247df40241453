"""The components computed straight from their text (cid/_components_fast.py, and
the provider in cid/_identifier_fast.py) give what the general rules
(cid/_components.py) give, on every input they accept."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from cid._capability import Capability
from cid._components import (
    Fault,
    canonical_arch,
    canonical_capabilities,
    canonical_provider,
    tokens,
)
from cid._components_fast import _Unfrozen, arch, registered_capabilities
from cid._identifier_fast import FAST_MEMOS, _fast_provider
from cid._syntax import FAST_ARCH, FAST_ATTRIBUTE, FAST_LABELS, LOWER_PROVIDER, RawAttribute, Tok
from cid._tables import ARCH_ALIASES, ARCHITECTURES, CAPABILITY_TYPES
from cid._units import UNITS

LDH = "abcdefghijklmnopqrstuvwxyz0123456789"


def _cased(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))


def _general_arch(text: str) -> tuple[str, tuple[str, ...], str] | None:
    if not FAST_ARCH(text):
        return None
    try:
        cpu, accs = canonical_arch(tokens(text, "+"))
    except Fault:
        return None
    return cpu, accs, "+".join((cpu, *accs))


ARCH_WORDS = st.one_of(
    st.sampled_from(sorted(ARCHITECTURES)),
    st.sampled_from(sorted(ARCH_ALIASES)),
    st.text(LDH + "-_", min_size=0, max_size=36),
    st.sampled_from(["a" * 32, "a" * 33, "x_y", "-a", "a-", "", "\u212a", "ſ"]),
)


@st.composite
def arch_text(draw: st.DrawFn) -> str:
    words = draw(st.lists(ARCH_WORDS, min_size=1, max_size=10))
    return _cased(draw, "+".join(words))


@given(arch_text())
@example("x86-64+" + "+".join(f"a{i:030d}" for i in range(2)))  # over 62 in all
@example("sm90+x86-64")
@example("my+my")
@example("x86-64+sm90+sm_90")
@example("X86_64+SM90")
@example("x86-64+x86-64-v2")  # a CPU second
@example("my+sm90")
@example("sm90+sm90")
def test_arch_agrees(text: str) -> None:
    assert arch(text) == _general_arch(text)


def _raw_attribute(item: str) -> RawAttribute | None:
    if not FAST_ATTRIBUTE(item):
        return None
    key, eq, value = item.partition("=")
    if not eq:
        return RawAttribute(Tok(key, 0), None, None)
    kind = "NAME" if value[0].isalpha() else "QUANTITY" if value[-1].isalpha() else "INTEGER"
    return RawAttribute(Tok(key, 0), Tok(value, 0), kind)


def _general_capabilities(items: list[str]) -> tuple[tuple[Capability, ...], str] | None:
    raw = [_raw_attribute(i) for i in items]
    if None in raw:
        return None
    try:
        caps = canonical_capabilities(raw)  # type: ignore[arg-type]
    except Fault:
        return None
    return caps, ";".join(map(str, caps))


NUMBERS = st.one_of(
    st.integers(0, 2**64).map(str),
    st.sampled_from(["0", "00", "01", "1.5", "0.5", "1.", ".5", "1.2.3", "7.000", "²", "1e3"]),
)
VALUES = st.one_of(
    NUMBERS,
    st.tuples(NUMBERS, st.sampled_from([*UNITS, "gib", "Bps", ""])).map("".join),
    st.text(LDH + "-", max_size=34),
    st.sampled_from(["h800", "H800", "-x", "x-", "a" * 32, "a" * 33, "\u212a"]),
)


@st.composite
def item(draw: st.DrawFn) -> str:
    key = draw(st.one_of(st.sampled_from(sorted(CAPABILITY_TYPES)), st.sampled_from(["x-a", "1a"])))
    key = _cased(draw, key)
    if draw(st.booleans()):
        return key
    return f"{key}={draw(VALUES)}"


COMMON = [
    ["mem=512GiB", "CPU=64", "acc-model=H800", "sriov", "net-bw=0.4Tbps"],
    ["acc=8", "acc-model=h800"],  # a key that is the start of another
]


@given(st.lists(item(), min_size=1, max_size=6))
@example(COMMON[0])
@example(COMMON[1])
@example(["acc-model=h800", "acc=8", "ACC=8"])  # the same key twice, in two spellings
@example(["mem=8EiB"])  # over the largest value
@example(["mem=0.5B"])  # not a whole number of bytes
@example(["mem=512", "mem=GiB", "mem=01GiB", "mem=1.GiB"])
@example(["acc-model=" + "a" * 40])  # over 62 in canonical form
@example(["acc-model=" + "a" * 32])  # 33 in canonical form: within
@example(["sriov=1"])
@example(["cpu"])
@example(["cpu=9223372036854775808"])
@example(["cpu=1\x00"])
@example(["cpu=1023", "mem=1024GiB", "acc=0", "net-bw=1023.5Gbps"])  # either side of 1024
@example(["cpu=1024", "mem=1023GiB", "acc=00", "net-bw=0Gbps"])
def test_capabilities_agree(items: list[str]) -> None:
    general = _general_capabilities(items)
    fast = registered_capabilities(";".join(items))
    if items in COMMON:
        assert fast is not None  # the common shapes are computed here
    if fast is not None:
        assert fast == general
        assert general is not None
        for a, b in zip(fast[0], general[0], strict=True):
            assert type(a) is Capability and type(a.value) is type(b.value)
            assert hash(a) == hash(b) and str(a) == str(b)
    else:
        # Declined: some attribute is invalid, some key is repeated or not registered.
        keys = [i.partition("=")[0].lower() for i in items]
        assert general is None or any(k not in CAPABILITY_TYPES for k in keys)


def test_unfrozen_has_the_layout_of_capability() -> None:
    # The fast path makes a Capability by __class__ assignment from _Unfrozen.
    assert _Unfrozen.__slots__ == Capability.__slots__
    assert Capability.__bases__ == _Unfrozen.__bases__ == (object,)
    assert Capability.__basicsize__ == _Unfrozen.__basicsize__
    made = registered_capabilities("cpu=8")
    assert made is not None and type(made[0][0]) is Capability


@given(
    st.lists(
        st.one_of(
            st.text(LDH + "AZ-", min_size=1, max_size=66), st.sampled_from(["xn--a", "ab--c"])
        ),
        min_size=1,
        max_size=10,
    ).map(".".join)
)
@example("xn--fiq02ib9d179b.cn")
@example("a--b.cn")
@example("a-b-c.d.e.f.g.h.i.j")  # 8 labels, the most
@example("a.b.c.d.e.f.g.h.i")  # 9
@example("a-.b")
@example("Ab-C.cN")
def test_provider_agrees(text: str) -> None:
    FAST_MEMOS[0].clear()
    try:
        fast = _fast_provider(text)
    except Fault:
        fast = None
    try:
        general = canonical_provider(tokens(text, ".")) if FAST_LABELS(text) else None
    except Fault:
        general = None
    assert fast == general
    if "--" not in text and len(text) <= 63 and text.count(".") < 8 and FAST_LABELS(text):
        assert LOWER_PROVIDER(text.lower())  # a plain provider, taken without IDNA
