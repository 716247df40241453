"""Properties of identifiers: round trips, fast path = grammar, nothing else escapes."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

import cid
from cid._identifier import _identifier, parse_slow
from cid._identifier_fast import FAST_MEMOS, fast_value
from cid._tables import ARCH_ALIASES, ARCHITECTURES, CAPABILITY_TYPES
from cid._units import MAX_VALUE, UNITS

LETTERS = "abcdefghijklmnopqrstuvwxyz"
LDH = LETTERS + "0123456789"
UNICODE_LABELS = ["中国移动", "bücher", "移动云", "例え", "пример", "ελληνικά", "सरकार"]
CPUS = [n for n, a in ARCHITECTURES.items() if a.kind == "cpu"]
ACCS = [n for n, a in ARCHITECTURES.items() if a.kind == "accelerator"]
ALIASES = {
    kind: [a for a, n in ARCH_ALIASES.items() if ARCHITECTURES[n].kind == kind]
    for kind in ("cpu", "accelerator")
}


def _mixed_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f and c.isascii() else c for c, f in zip(text, flips, strict=True))


@st.composite
def ldh_label(draw: st.DrawFn, max_size: int = 12) -> str:
    body = draw(st.text(LDH + "-", min_size=0, max_size=max_size))
    label = draw(st.sampled_from(LDH)) + body.replace("--", "-")
    return label.rstrip("-") or "x"


@st.composite
def provider(draw: st.DrawFn) -> str:
    labels = draw(
        st.lists(st.one_of(ldh_label(), st.sampled_from(UNICODE_LABELS)), min_size=1, max_size=3)
    )
    return ".".join(labels)


@st.composite
def region(draw: st.DrawFn) -> str:
    subtags = draw(st.lists(st.text(LDH, min_size=1, max_size=8), max_size=3))
    return "-".join([draw(st.text(LETTERS, min_size=2, max_size=2)), *subtags])


@st.composite
def arch(draw: st.DrawFn) -> str:
    cpu = draw(
        st.one_of(
            st.sampled_from(CPUS),
            st.sampled_from(ALIASES["cpu"]),
            ldh_label().map(lambda s: "c" + s),
        )
    )
    accs = draw(
        st.lists(
            st.one_of(st.sampled_from(ACCS), st.sampled_from(ALIASES["accelerator"])),
            max_size=3,
            unique_by=lambda a: ARCH_ALIASES.get(a, a),
        )
    )
    return "+".join([cpu, *accs])


def _quantity(kind: str) -> st.SearchStrategy[str]:
    def spelled(unit: str, factor: int) -> st.SearchStrategy[str]:
        return st.integers(0, min(10**6, MAX_VALUE // factor)).map(lambda n: f"{n}{unit}")

    return st.one_of([spelled(u, f) for u, (k, f) in UNITS.items() if k == kind])


VALUES = {
    "count": st.integers(0, 10**9).map(str),
    "size": _quantity("size"),
    "rate": _quantity("rate"),
    "frequency": _quantity("frequency"),
    "token": ldh_label(8).map(lambda s: "t" + s),
}


@st.composite
def attribute(draw: st.DrawFn) -> tuple[str, str]:
    key = draw(
        st.one_of(st.sampled_from(sorted(CAPABILITY_TYPES)), ldh_label(6).map(lambda s: "x-" + s))
    )
    typ = CAPABILITY_TYPES.get(key) or draw(st.sampled_from([*VALUES, "flag"]))
    if typ == "flag":
        return key, key
    return key, f"{key}={draw(VALUES[typ])}"


@st.composite
def identifier_text(draw: st.DrawFn) -> str:
    attrs = draw(st.lists(attribute(), max_size=5, unique_by=lambda kv: kv[0]))
    head = f"ucid:{draw(provider())}/{draw(region())}/{draw(arch())}"
    head = _mixed_case(draw, head)  # ASCII case never matters outside units
    if attrs:
        head += "/" + ";".join(text for _, text in attrs)
    return head


def _outcome(parse: object, text: str) -> object:
    try:
        ident: cid.Identifier = parse(text)  # type: ignore[operator]
    except cid.IdentifierError as exc:
        return ("error", exc.reason, exc.position)
    # The whole value: canonical form, components, capabilities (typed values).
    return ident._v, [type(c.value) for c in ident.capabilities]


@given(identifier_text())
def test_round_trip_and_idempotence(text: str) -> None:
    try:
        ident = cid.parse(text)
    except cid.IdentifierError as exc:  # only the whole-name DNS budget may refuse
        assert "DNS name would exceed" in exc.reason
        return
    canonical = str(ident)
    assert cid.parse(canonical) == ident
    assert str(cid.parse(canonical)) == canonical
    assert canonical.isascii()


@given(identifier_text(), st.sampled_from(["", "ucid.example", "a.b-c.d9", "X" * 63]))
def test_dns_round_trip(text: str, root: str) -> None:
    try:
        ident = cid.parse(text)
    except cid.IdentifierError:
        return
    name = ident.to_dns_name(root)
    assert cid.Identifier.from_dns_name(name, root) == ident
    labels = name.rstrip(".").split(".")
    assert all(0 < len(label) <= 63 for label in labels)
    assert len(name.rstrip(".")) <= 253


def _parse_cold(text: str) -> cid.Identifier:
    """cid.parse with every memo of the fast path empty: each component computed afresh."""
    for memo in FAST_MEMOS:
        memo.clear()
    return cid.parse(text)


@given(identifier_text())
def test_fast_path_agrees_with_grammar_on_valid(text: str) -> None:
    slow = _outcome(parse_slow, text)
    assert _outcome(_parse_cold, text) == slow  # computed afresh
    assert _outcome(cid.parse, text) == slow  # from the memos just filled


MUTATION_CHARS = st.sampled_from(
    [*list("/.;=+-_*!<> :0189aAzZBGiKMbps"), "ü", "\x00", "．", "中", "\u212a", "İ", "ſ"]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(identifier_text())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        ch = draw(MUTATION_CHARS)
        if op == "insert":
            text = text[:at] + ch + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + 1 :]
        elif op == "replace":
            text = text[:at] + ch + text[at + 1 :]
        else:
            text = text[:at] + text[at : at + 4] + text[at:]
    return text


@given(mutated())
@example("ucid:a/cn/x86-64/mem=1B;mem=1B")
@example("ucid:a/cn/x86-64/cpu=1;CPU=1")
@example("ucid:a/cn/sm90")
@example("ucid:中国移动.cn/CN-BJ/neoverse-v2+sm90/acc=8;mem=1TiB")
@example("ucid:中国移动.cn/CN-BJ/neoverse-v2+sm90/acc=8;mem=1TİB")
@example("ucid:中国移动.cn/CN-BJ/neoverse-v2+sm90/acc=8;disK=1TiB")
@example("ucid:中国移动.cn/CN-BJ/ne\u212aoverse-v2")
@example("ucİd:中国移动.cn/CN-BJ/neoverse-v2")
@example("ucid:ｆ.cn/cn/x86-64")
@example("ucid:xn--fiq02ib9d179b.cn/cn/x86-64")
@example("ucid:xn--fiq02ib9d179b/cn/x86-64")
@example("ucid:xn--a.cn/cn/x86-64")
def test_fast_path_agrees_with_grammar_on_mutations(text: str) -> None:
    for memo in FAST_MEMOS:
        memo.clear()
    value = fast_value(text)
    slow = _outcome(parse_slow, text)
    if value is not None:  # the fast path may decline, never disagree
        assert _outcome(lambda _: _identifier(value), text) == slow
    assert _outcome(_parse_cold, text) == slow
    assert _outcome(cid.parse, text) == slow


def test_unicode_providers_take_the_fast_path() -> None:
    # IDNA is memoised with the provider, so a repeated U-label costs what an A-label does.
    for text in (
        "ucid:中国移动.cn/CN-BJ/neoverse-v2+sm90/acc=8;mem=1TiB",
        "ucid:XN--FIQ02IB9D179B.cn/cn-bj/aarch64",
        "ucid:bücher.de/de/x86-64",
    ):
        value = fast_value(text)
        assert value is not None
        assert _identifier(value)._v == parse_slow(text)._v
    assert fast_value("ucid:中国移动.cn/cn-bj/aarch64/acc-model=h８00") is None


@given(st.text(max_size=300))
@example("ucid:" + "a." * 255)
@example("ucid:a/cn/x86-64/" + "a;" * 250)
def test_no_input_raises_anything_else(text: str) -> None:
    for call in (cid.parse, cid.parse_pattern):
        try:
            call(text)
        except cid.IdentifierError as exc:
            assert exc.position is None or 0 <= exc.position <= len(text)
            str(exc)
    for root in ("", "ucid.example"):
        with contextlib.suppress(cid.IdentifierError):
            cid.Identifier.from_dns_name(text, root)


@settings(deadline=timedelta(seconds=2))
@given(st.text(min_size=400, max_size=20_000))
@example("ucid:" + "a" * 100_000)
@example("ucid:" + "-" * 511)
@example("ucid:a/" + "ab-" * 170)
def test_long_input_is_refused_quickly(text: str) -> None:
    for call in (cid.parse, cid.parse_pattern):
        with contextlib.suppress(cid.IdentifierError):
            call(text)


@given(
    st.lists(
        st.sampled_from(
            [
                "ucid:*",
                "ucid:*.cn",
                "ucid:a.b/cn-*",
                "ucid:*/*/x86-64-v3+sm80",
                "ucid:*/*/*/acc>=8",
                "ucid:*/us/*+gfx942/mem<=1TiB;!sriov",
                "ucid:*/*/*/acc-model=h800;acc!=4",
            ]
        ),
        min_size=1,
        max_size=1,
    )
)
def test_pattern_round_trip(texts: list[str]) -> None:
    pattern = cid.parse_pattern(texts[0])
    assert cid.parse_pattern(str(pattern)) == pattern


@given(identifier_text(), identifier_text())
def test_equality_is_canonical_equality(a: str, b: str) -> None:
    try:
        x, y = cid.parse(a), cid.parse(b)
    except cid.IdentifierError:
        return
    assert (x == y) == (str(x) == str(y))
    assert (x == y) <= (hash(x) == hash(y))
