"""Discovery patterns: canonical forms, what they match, and bad patterns (spec §10)."""

from __future__ import annotations

import pytest

import cid

# pattern -> canonical form
CANONICAL = [
    ("ucid:*", "ucid:*"),
    ("UCID:*/*/*", "ucid:*"),
    ("ucid:*/cn", "ucid:*/cn"),
    ("ucid:*.Example", "ucid:*.example"),
    ("ucid:*.中国移动.cn", "ucid:*.xn--fiq02ib9d179b.cn"),
    ("ucid:acme/CN-*", "ucid:acme/cn-*"),
    ("ucid:*/*/X86_64", "ucid:*/*/x86-64"),
    ("ucid:*/*/*+SM_90+gfx942", "ucid:*/*/*+gfx942+sm90"),
    ("ucid:*/*/*+sm90+sm90", "ucid:*/*/*+sm90"),
    ("ucid:*/*/*/mem>=1GiB", "ucid:*/*/*/mem>=1073741824B"),
    ("ucid:*/*/*/mem<=2GiB;mem>=1GiB;acc", "ucid:*/*/*/acc;mem<=2147483648B;mem>=1073741824B"),
    ("ucid:*/*/*/!sriov;acc=8;acc=8", "ucid:*/*/*/acc=8;!sriov"),
    ("ucid:*/*/*/acc!=8;acc>4;acc<16;acc=6", "ucid:*/*/*/acc=6;acc!=8;acc<16;acc>4"),
    ("ucid:*/*/*/acc-model=H800", "ucid:*/*/*/acc-model=h800"),
    # §10.2: a key's length is not limited in a pattern (it never matches)
    ("ucid:*/*/*/" + "K" * 33, "ucid:*/*/*/" + "k" * 33),
    ("ucid:*/*/*/!" + "k" * 33, "ucid:*/*/*/!" + "k" * 33),
    ("ucid:*/*/*/" + "k" * 33 + "=1", "ucid:*/*/*/" + "k" * 33 + "=1"),
    ("ucid:*/*/*/" + "k" * 33 + ">=1GiB", "ucid:*/*/*/" + "k" * 33 + ">=1073741824B"),
    # §10.2: the 62-character architecture and attribute limits are identifier limits
    ("ucid:*/*/x86-64-v4+" + "+".join(c * 20 for c in "abc"), None),
    ("ucid:*/*/*/" + "k" * 40 + "=" + "t" * 32, None),
    # §10.2: duplicates are removed after aliases, case and values are canonical
    ("ucid:*/*/*+sm_90+SM90", "ucid:*/*/*+sm90"),
    ("ucid:*/*/*/mem>=1GiB;MEM>=1024MiB", "ucid:*/*/*/mem>=1073741824B"),
    ("ucid:*/*/*/acc-model=H800;acc-model=h800", "ucid:*/*/*/acc-model=h800"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_canonical(text: str, canonical: str | None) -> None:
    canonical = canonical or text
    pattern = cid.parse_pattern(text)
    assert str(pattern) == canonical
    assert cid.parse_pattern(canonical) == pattern
    assert repr(pattern) == f"Pattern({canonical!r})"


IDENT = "ucid:gz.cmcc.cn/cn-gd-sz1/x86-64-v4+sm90/acc=8;acc-model=h800;mem=1TiB;sriov"
ARM = "ucid:中国移动.cn/cn-bj/neoverse-v2+ascend910b/acc=16;mem=512GiB"

# pattern, identifier, matches
MATCHES = [
    ("ucid:*", IDENT, True),
    ("ucid:gz.cmcc.cn", IDENT, True),
    ("ucid:GZ.CMCC.CN", IDENT, True),
    ("ucid:cmcc.cn", IDENT, False),
    ("ucid:*.cmcc.cn", IDENT, True),
    ("ucid:*.cn", IDENT, True),
    ("ucid:*.gz.cmcc.cn", IDENT, False),  # strictly below
    ("ucid:*.mcc.cn", IDENT, False),  # whole labels only
    ("ucid:*/cn", IDENT, False),
    ("ucid:*/cn-*", IDENT, True),
    ("ucid:*/cn-gd-*", IDENT, True),
    ("ucid:*/cn-gd-sz1", IDENT, True),
    ("ucid:*/cn-gd-sz1-*", IDENT, False),
    ("ucid:*/cn-g-*", IDENT, False),  # whole subtags only
    ("ucid:*/us-*", IDENT, False),
    ("ucid:*/*/x86-64", IDENT, True),
    ("ucid:*/*/x86-64-v3", IDENT, True),
    ("ucid:*/*/x86-64-v4", IDENT, True),
    ("ucid:*/*/aarch64", IDENT, False),
    ("ucid:*/*/*+sm80", IDENT, True),
    ("ucid:*/*/*+sm100", IDENT, False),
    ("ucid:*/*/*+gfx942", IDENT, False),
    ("ucid:*/*/x86-64-v2+sm70", IDENT, True),
    ("ucid:*/*/*+sm90+gfx942", IDENT, False),
    ("ucid:*/*/*/acc", IDENT, True),
    ("ucid:*/*/*/!acc", IDENT, False),
    ("ucid:*/*/*/!confidential", IDENT, True),
    ("ucid:*/*/*/sriov", IDENT, True),
    ("ucid:*/*/*/acc=8", IDENT, True),
    ("ucid:*/*/*/acc!=8", IDENT, False),
    ("ucid:*/*/*/acc>=8", IDENT, True),
    ("ucid:*/*/*/acc>8", IDENT, False),
    ("ucid:*/*/*/acc<=8", IDENT, True),
    ("ucid:*/*/*/acc<8", IDENT, False),
    ("ucid:*/*/*/acc>=4;acc<=8", IDENT, True),
    ("ucid:*/*/*/mem>=1024GiB", IDENT, True),
    ("ucid:*/*/*/mem>1TiB", IDENT, False),
    ("ucid:*/*/*/mem=1099511627776B", IDENT, True),
    ("ucid:*/*/*/acc-model=h800", IDENT, True),
    ("ucid:*/*/*/acc-model!=h800", IDENT, False),
    ("ucid:*/*/*/acc-model=h100", IDENT, False),
    ("ucid:*/*/*/cpu>=1", IDENT, False),  # absent attributes fail comparisons
    ("ucid:*/*/*/cpu!=1", IDENT, False),
    ("ucid:*/*/*/x-a=1", "ucid:a/cn/x86-64/x-a=1B", False),  # types never compare
    ("ucid:*/*/*/x-a=1B", "ucid:a/cn/x86-64/x-a=1B", True),
    ("ucid:*.cn/cn-*/aarch64+ascend910b/acc>=16", ARM, True),
    ("ucid:*.xn--fiq02ib9d179b.cn", ARM, False),
    ("ucid:中国移动.cn/cn-*/neoverse-n1", ARM, True),
    ("ucid:*/*/neoverse-v1", ARM, True),
    ("ucid:*/*/kunpeng-920", ARM, False),
    ("ucid:*/*/*+ascend910", ARM, False),  # no edge in the registry
    ("ucid:*/*/*/" + "k" * 33, IDENT, False),  # no identifier has such a key
    ("ucid:*/*/*/!" + "k" * 33, IDENT, True),
    ("ucid:*/*/*/" + "k" * 33 + "!=1", IDENT, False),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), MATCHES)
def test_matches(pattern: str, text: str, expected: bool) -> None:
    assert cid.parse_pattern(pattern).matches(cid.parse(text)) is expected


# pattern, position, reason fragment
INVALID = [
    ("ucid:", 5, "unexpected end"),
    ("ucid:**", 6, "unexpected"),
    ("ucid:a.*", 7, "provider label"),
    ("ucid:*a", 6, "unexpected"),
    ("ucid:*/c*", 7, "region code"),
    ("ucid:*/*-*", 8, "unexpected"),
    ("ucid:*/*/sm90", 9, "write *+sm90"),
    ("ucid:*/*/*+x86-64", 11, "CPU"),
    ("ucid:*/*/*+*", 11, "unexpected"),
    ("ucid:*/*/*/*", 11, "unexpected"),
    ("ucid:*/*/*/acc-model>h800", 21, "compares numbers"),
    ("ucid:*/*/*/sriov>=1", 18, "flag"),
    ("ucid:*/*/*/mem>=8", 16, "size with a unit"),
    ("ucid:*/*/*/acc=>8", 15, "unexpected"),
    ("ucid:*/*/*/!acc=8", 15, "unexpected"),
    ("ucid:*/*/*/acc=08", 16, "unexpected"),
    ("ucid:*/*/*/acc~8", 14, "unexpected"),
    ("ucid:*/*/*/" + ";".join(f"k{i}" for i in range(33)), 11 + 3 * 10 + 4 * 22, "at most 32"),
    ("ucid:*/*/*/x=1;", 15, "unexpected end"),
    # §10.2: names and values are checked as in identifiers
    ("ucid:*/*/" + "a" * 33, 9, "at most 32"),
    ("ucid:*/*/*/x=" + "t" * 33, 13, "at most 32"),
    ("ucid:*/*/*/x!=" + "t" * 33, 14, "at most 32"),
    ("ucid:*/*/*/mem<8EiB", 15, "largest value"),
    # 32 constraints counted as written, before duplicates are removed
    ("ucid:*/*/*/" + ";".join(["acc"] * 33), 11 + 4 * 32, "at most 32"),
]


@pytest.mark.parametrize(("text", "position", "reason"), INVALID)
def test_invalid(text: str, position: int, reason: str) -> None:
    with pytest.raises(cid.IdentifierError) as info:
        cid.parse_pattern(text)
    assert reason in info.value.reason
    assert info.value.position == position


def test_non_text() -> None:
    with pytest.raises(cid.IdentifierError, match="is text"):
        cid.parse_pattern(None)  # type: ignore[arg-type]


def test_pattern_is_frozen() -> None:
    pattern = cid.parse_pattern("ucid:*")
    with pytest.raises(AttributeError):
        pattern.region = "cn"  # type: ignore[misc]
    assert hash(pattern) == hash(cid.parse_pattern("ucid:*/*"))
