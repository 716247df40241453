"""The identifier <-> DNS name mapping (spec §9)."""

from __future__ import annotations

import pytest

import cid

ROOT = "ucid.example.cn"

# identifier, root, DNS name
MAPPING = [
    ("ucid:acme/cn/x86-64", ROOT, "_x86-64._cn.acme.ucid.example.cn."),
    ("ucid:acme/cn/x86-64", "", "_x86-64._cn.acme."),
    ("ucid:acme/cn/x86-64", ".", "_x86-64._cn.acme."),
    ("ucid:acme/cn/x86-64", "UCID.Example.", "_x86-64._cn.acme.ucid.example."),
    (
        "ucid:a.b/cn-gd-sz1/x86-64+gfx942+sm90",
        ROOT,
        "_x86-64_gfx942_sm90._cn-gd-sz1.a.b.ucid.example.cn.",
    ),
    (
        "ucid:acme/cn/x86-64/acc=8;acc-model=h800;mem=1GiB;sriov",
        ROOT,
        "_acc_8._acc-model_h800._mem_1073741824b._sriov._x86-64._cn.acme.ucid.example.cn.",
    ),
    (
        "ucid:acme/cn/x86-64/net-bw=1Gbps;freq=1GHz",
        "r",
        "_freq_1000000000hz._net-bw_1000000000bps._x86-64._cn.acme.r.",
    ),
    (
        "ucid:中国移动.cn/cn-bj/aarch64",
        ROOT,
        "_aarch64._cn-bj.xn--fiq02ib9d179b.cn.ucid.example.cn.",
    ),
    ("ucid:acme/cn/x86-64/x-n=0;x-t=v", ROOT, "_x-n_0._x-t_v._x86-64._cn.acme.ucid.example.cn."),
    # "_" separates architecture terms, so this is the two-term identifier x86+64
    ("ucid:acme/cn/x86+64", ROOT, "_x86_64._cn.acme.ucid.example.cn."),
]


@pytest.mark.parametrize(("text", "root", "name"), MAPPING)
def test_mapping(text: str, root: str, name: str) -> None:
    ident = cid.parse(text)
    assert ident.to_dns_name(root) == name
    assert cid.Identifier.from_dns_name(name, root) == ident
    assert cid.Identifier.from_dns_name(name.rstrip("."), root) == ident
    assert cid.Identifier.from_dns_name(name.upper(), root.upper()) == ident
    labels = name.rstrip(".").split(".")
    assert all(0 < len(label) <= 63 for label in labels)
    assert len(name.rstrip(".")) <= 253


# name, root, error position (spec §12: the offending label, or None when the
# name as a whole is at fault), reason fragment
BAD_NAMES = [
    ("_x86-64._cn.acme.other.", ROOT, None, "not under the root"),
    ("_x86-64._cn.acme", ROOT, None, "not under the root"),
    ("acme.ucid.example.cn", ROOT, None, "expected _attribute"),
    ("_cn.acme.ucid.example.cn", ROOT, None, "expected _attribute"),
    ("_x86-64._cn.ucid.example.cn", "ucid.example.cn", None, "expected _attribute"),
    ("_x86-64.acme._cn.ucid.example.cn", ROOT, None, "expected _attribute"),
    ("_x86-64.x._cn.acme.ucid.example.cn", ROOT, 8, "may not precede"),
    ("_sriov._acc_8._x86-64._cn.acme.ucid.example.cn", ROOT, None, "not the canonical DNS name"),
    ("_mem_1kib._x86-64._cn.acme.ucid.example.cn", ROOT, None, "not an identifier"),
    ("_x86-64_sm90_sm90._cn.acme.ucid.example.cn", ROOT, None, "twice"),
    ("_x86-64_sm_90._cn.acme.ucid.example.cn", ROOT, None, "not the canonical"),
    ("_mem_8._x86-64._cn.acme.ucid.example.cn", ROOT, None, "not an identifier"),
    ("_x86-64._cn..acme.ucid.example.cn", ROOT, 12, "a label is 1-63"),
    ("_x86-64._c n.acme.ucid.example.cn", ROOT, 8, "a label is 1-63"),
    # not ASCII: the label that holds the first non-ASCII code point
    ("_x86-64._cn.acmé.ucid.example.cn", ROOT, 12, "ASCII"),
    ("_x86-64._cn.acme.ucid.exämple.cn", ROOT, 22, "ASCII"),
    ("_x86-64._cn." + "a" * 64 + ".ucid.example.cn", ROOT, 12, "a label is 1-63"),
    ("_x86-64._cn.ab--c.ucid.example.cn", ROOT, None, "reserved"),
    # longer than 253: the name as a whole, no position
    ("_" + "x" * 250 + "._cn.a", "", None, "253"),
    ("_" + "x" * 250 + "._cn.a.", "", None, "253"),
    ("_" + "é" * 250 + "._cn.a", "", None, "253"),
]


@pytest.mark.parametrize(("name", "root", "position", "reason"), BAD_NAMES)
def test_bad_names(name: str, root: str, position: int | None, reason: str) -> None:
    with pytest.raises(cid.IdentifierError) as info:
        cid.Identifier.from_dns_name(name, root)
    assert reason in str(info.value)
    assert info.value.position == position
    assert info.value.text == name


# root suffix, error position in the root (a label's fault: that label; longer
# than 63 characters: the root as a whole, no position)
BAD_ROOTS = [
    ("-a", 0),
    ("a-", 0),
    ("a..b", 2),
    ("a_b", 0),
    ("é", 0),
    ("ab.é.cd", 3),
    ("a b", 0),
    ("a" * 64, None),
    (".".join(["abc"] * 16) + "x", None),
]


@pytest.mark.parametrize(("root", "position"), BAD_ROOTS)
def test_bad_roots(root: str, position: int | None) -> None:
    ident = cid.parse("ucid:acme/cn/x86-64")
    with pytest.raises(cid.IdentifierError, match="root suffix") as info:
        ident.to_dns_name(root)
    assert info.value.position == position
    with pytest.raises(cid.IdentifierError, match="root suffix") as info:
        cid.Identifier.from_dns_name("_x86-64._cn.acme.x", root)
    assert info.value.position == position


def test_non_text_name() -> None:
    with pytest.raises(cid.IdentifierError, match="is text"):
        cid.Identifier.from_dns_name(b"_x86-64._cn.acme", "")  # type: ignore[arg-type]
