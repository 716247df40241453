"""Identifier parsing: tables of valid, canonicalisation and invalid cases (spec §3-§8)."""

from __future__ import annotations

import copy
import pickle
import re
import unicodedata
from pathlib import Path

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from idna.intranges import intranges_contain

import cid
from cid._identifier import UNICODE_VERSION, _Unfrozen, parse_slow

# input -> canonical form
CANONICAL = [
    ("ucid:acme/cn/x86-64", "ucid:acme/cn/x86-64"),
    ("UCID:ACME/CN/X86-64", "ucid:acme/cn/x86-64"),
    ("uCiD:Acme.Example/Cn-Gd/x86-64-v4", "ucid:acme.example/cn-gd/x86-64-v4"),
    ("ucid:a.b.c.d.e.f.g.h/cn/x86-64", "ucid:a.b.c.d.e.f.g.h/cn/x86-64"),
    ("ucid:0/zz/x86-64", "ucid:0/zz/x86-64"),
    ("ucid:acme/cn-gd-sz1-a/x86-64", "ucid:acme/cn-gd-sz1-a/x86-64"),
    ("ucid:acme/us-ca-12345678/aarch64", "ucid:acme/us-ca-12345678/aarch64"),
    # aliases and accelerator order
    ("ucid:acme/cn/x86_64", "ucid:acme/cn/x86-64"),
    ("ucid:acme/cn/AMD64", "ucid:acme/cn/x86-64"),
    ("ucid:acme/cn/arm64", "ucid:acme/cn/aarch64"),
    ("ucid:acme/cn/x86-64+sm_90", "ucid:acme/cn/x86-64+sm90"),
    ("ucid:acme/cn/x86-64+sm90+gfx942", "ucid:acme/cn/x86-64+gfx942+sm90"),
    ("ucid:acme/cn/kunpeng920+ascend910b", "ucid:acme/cn/kunpeng-920+ascend910b"),
    ("ucid:acme/cn/my-cpu+my-npu", "ucid:acme/cn/my-cpu+my-npu"),
    # attributes: order, case, flags
    ("ucid:acme/cn/x86-64/mem=1B;cpu=2", "ucid:acme/cn/x86-64/cpu=2;mem=1B"),
    ("ucid:acme/cn/x86-64/SRIOV;CPU=2", "ucid:acme/cn/x86-64/cpu=2;sriov"),
    ("ucid:acme/cn/x86-64/acc-model=H800", "ucid:acme/cn/x86-64/acc-model=h800"),
    ("ucid:acme/cn/x86-64/x-thing=Blue;x-n=0", "ucid:acme/cn/x86-64/x-n=0;x-thing=blue"),
    # units: one canonical unit per dimension
    ("ucid:a/cn/x86-64/mem=512GiB", "ucid:a/cn/x86-64/mem=549755813888B"),
    ("ucid:a/cn/x86-64/mem=524288MiB", "ucid:a/cn/x86-64/mem=549755813888B"),
    ("ucid:a/cn/x86-64/mem=0.5TiB", "ucid:a/cn/x86-64/mem=549755813888B"),
    ("ucid:a/cn/x86-64/mem=1.5kB", "ucid:a/cn/x86-64/mem=1500B"),
    ("ucid:a/cn/x86-64/mem=1EiB", "ucid:a/cn/x86-64/mem=1152921504606846976B"),
    ("ucid:a/cn/x86-64/mem=0B", "ucid:a/cn/x86-64/mem=0B"),
    ("ucid:a/cn/x86-64/mem=7.000GB", "ucid:a/cn/x86-64/mem=7000000000B"),
    ("ucid:a/cn/x86-64/net-bw=400Gbps", "ucid:a/cn/x86-64/net-bw=400000000000bps"),
    ("ucid:a/cn/x86-64/net-bw=0.4Tbps", "ucid:a/cn/x86-64/net-bw=400000000000bps"),
    ("ucid:a/cn/x86-64/ic-bw=1.5kbps", "ucid:a/cn/x86-64/ic-bw=1500bps"),
    ("ucid:a/cn/x86-64/freq=2.6GHz", "ucid:a/cn/x86-64/freq=2600000000Hz"),
    ("ucid:a/cn/x86-64/freq=2600MHz", "ucid:a/cn/x86-64/freq=2600000000Hz"),
    ("ucid:a/cn/x86-64/x-size=1KiB", "ucid:a/cn/x86-64/x-size=1024B"),
    ("ucid:a/cn/x86-64/cpu=9223372036854775807", "ucid:a/cn/x86-64/cpu=9223372036854775807"),
    # IDNA 2008: U-labels become A-labels; valid A-labels stay
    ("ucid:中国移动.cn/cn-bj/aarch64", "ucid:xn--fiq02ib9d179b.cn/cn-bj/aarch64"),
    ("ucid:XN--FIQ02IB9D179B.cn/cn-bj/aarch64", "ucid:xn--fiq02ib9d179b.cn/cn-bj/aarch64"),
    ("ucid:bücher.de/de/x86-64", "ucid:xn--bcher-kva.de/de/x86-64"),
    ("ucid:אב.ab/il/x86-64", "ucid:xn--4dbc.ab/il/x86-64"),
    ("ucid:Bücher.de/de/x86-64", "ucid:xn--bcher-kva.de/de/x86-64"),
    ("ucid:xn--Bcher-KVA.de/de/x86-64", "ucid:xn--bcher-kva.de/de/x86-64"),
    # §6.1 step 5 counts canonical names: written 64 characters, canonical 62
    (
        "ucid:a/cn/x86_64+sm_90+" + "a" * 24 + "+" + "b" * 25,
        "ucid:a/cn/x86-64+" + "a" * 24 + "+" + "b" * 25 + "+sm90",
    ),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_canonical_form(text: str, canonical: str) -> None:
    ident = cid.parse(text)
    assert str(ident) == canonical
    assert cid.parse(canonical) == ident
    assert str(cid.parse(canonical)) == canonical  # idempotent
    assert parse_slow(text) == ident  # the grammar path agrees


# input, position of the fault, a fragment of the reason
INVALID = [
    ("", 0, "expected 'ucid:'"),
    ("cid:acme/cn/x86-64", 0, "expected 'ucid:'"),
    ("ucid://acme/cn/x86-64", 5, "provider label"),
    ("ucid:acme", 9, "unexpected end"),
    ("ucid:acme/cn", 12, "unexpected end"),
    ("ucid:acme/cn/", 13, "unexpected end"),
    ("ucid:acme/cn/x86-64/", 20, "unexpected end"),
    ("ucid:acme/cn/x86-64/cpu=1;", 26, "unexpected end"),
    ("ucid:acme/cn/x86-64/cpu=1;;mem=1B", 26, "unexpected"),
    ("ucid:acme/cn/x86-64/cpu=1/x", 25, "unexpected"),
    ("ucid:acme/cn/x86-64?x=1", 19, "unexpected"),
    ("ucid:acme/cn/x86-64#frag", 19, "unexpected"),
    (" ucid:acme/cn/x86-64", 0, "unexpected"),
    ("ucid:acme/cn/x86-64 ", 19, "unexpected"),
    ("ucid:acme/cn/x86-64\n", 19, "unexpected"),
    ("ucid:a..b/cn/x86-64", 7, "provider label"),
    ("ucid:.acme/cn/x86-64", 5, "provider label"),
    ("ucid:acme./cn/x86-64", 10, "provider label"),
    ("ucid:-acme/cn/x86-64", 5, "provider label"),
    ("ucid:acme-/cn/x86-64", 9, "unexpected"),
    ("ucid:ac_me/cn/x86-64", 7, "unexpected"),
    ("ucid:ab--cd/cn/x86-64", 5, "reserved"),
    ("ucid:xn--abc-/cn/x86-64", 12, "unexpected"),
    ("ucid:xn--zzzzzzzzz/cn/x86-64", 5, "internationalised"),
    ("ucid:" + "a" * 64 + "/cn/x86-64", 5, "63"),
    ("ucid:a.b.c.d.e.f.g.h.i/cn/x86-64", 5, "at most 8 labels"),
    ("ucid:ÄCME/cn/x86-64", 5, "internationalised"),
    ("ucid:acme．cn/cn/x86-64", 5, "internationalised"),  # fullwidth full stop
    ("ucid:acme/c/x86-64", 10, "region"),
    ("ucid:acme/c1/x86-64", 10, "region"),
    ("ucid:acme/chn/x86-64", 12, "unexpected"),
    ("ucid:acme/cn-/x86-64", 12, "unexpected"),
    ("ucid:acme/cn-abcdefghi/x86-64", 21, "unexpected"),
    ("ucid:acme/cn-a-b-c-d/x86-64", 18, "unexpected"),
    ("ucid:acme/cn/sm90", 13, "accelerator"),
    ("ucid:acme/cn/x86-64+aarch64", 20, "CPU"),
    ("ucid:acme/cn/x86-64+sm90+sm_90", 25, "twice"),
    ("ucid:acme/cn/x86_65", 13, "unknown architecture"),
    ("ucid:acme/cn/x86-64+", 20, "unexpected end"),
    ("ucid:acme/cn/x86-64++sm90", 20, "unexpected"),
    ("ucid:acme/cn/-x86/cpu=1", 13, "architecture"),
    ("ucid:acme/cn/" + "a" * 33, 13, "at most 32"),
    ("ucid:acme/cn/a+b+c+d+e+f+g+h+i", 29, "at most 8"),
    ("ucid:acme/cn/x86-64/cpu", 20, "needs a value"),
    ("ucid:acme/cn/x86-64/mem=8", 24, "size with a unit"),
    ("ucid:acme/cn/x86-64/cpu=8GiB", 24, "integer"),
    ("ucid:acme/cn/x86-64/sriov=1", 26, "flag"),
    ("ucid:acme/cn/x86-64/acc-model=8", 30, "name"),
    ("ucid:acme/cn/x86-64/mem=1.5B", 24, "whole number"),
    ("ucid:acme/cn/x86-64/mem=512gib", 27, "unknown unit"),
    ("ucid:acme/cn/x86-64/mem=512GB/s", 29, "unexpected"),
    ("ucid:acme/cn/x86-64/mem=512Gb", 27, "unknown unit"),
    ("ucid:acme/cn/x86-64/cpu=08", 25, "unexpected"),
    ("ucid:acme/cn/x86-64/cpu=-1", 24, "unexpected"),
    ("ucid:acme/cn/x86-64/cpu=1.5", 25, "unexpected"),
    ("ucid:acme/cn/x86-64/cpu=1e3", 25, "unknown unit"),
    ("ucid:acme/cn/x86-64/cpu=9223372036854775808", 24, "largest value"),
    ("ucid:acme/cn/x86-64/mem=8EiB", 24, "largest value"),
    ("ucid:acme/cn/x86-64/cpu=1;cpu=2", 26, "twice"),
    ("ucid:acme/cn/x86-64/cpu=1;CPU=1", 26, "twice"),
    ("ucid:acme/cn/x86-64/1x=1", 20, "unexpected"),
    ("ucid:acme/cn/x86-64/x_y=1", 21, "unexpected"),
    ("ucid:acme/cn/x86-64/x=a_b", 23, "unexpected"),
    ("ucid:acme/cn/x86-64/x==1", 22, "unexpected"),
    ("ucid:acme/cn/x86-64/x>=1", 21, "unexpected"),
    ("ucid:acme/cn/x86-64/" + "k" * 33, 20, "at most 32"),
    ("ucid:acme/cn/x86-64/x=" + "t" * 33, 22, "at most 32"),
    ("ucid:acme/cn/x86-64/" + ";".join(f"k{i}" for i in range(17)), 74, "at most 16"),
    ("ucid:acme/cn/x86-64/ü=1", 20, "unexpected"),
    ("ucid:" + "a" * 600, 512, "longer than 512"),
    # case-insensitive means ASCII only: no Unicode case folding anywhere
    ("ucıd:a/cn/x86-64", 0, "expected 'ucid:'"),
    ("ucid:a/ſc/x86-64", 7, "region code"),
    ("ucid:a/cn/İx", 10, "architecture name"),
    ("ucid:a/cn/x86-64/\u212a=1", 17, "expected a name"),
    # the architecture's DNS label must fit 63 octets; the fault is at the first
    # term where the running canonical length passes 62 (§6.1 step 5)
    ("ucid:a/cn/x86-64-v4+" + "+".join(c * 20 for c in "abc"), 62, "at most 62"),
    ("ucid:a/cn/x86-64-v4+" + "a" * 26 + "+" + "b" * 25 + "+c", 73, "at most 62"),
    ("ucid:a/cn/x86-64-v4+" + "a" * 26 + "+" + "b" * 26, 47, "at most 62"),
    ("ucid:a/cn/x86_64+sm_90+" + "a" * 24 + "+" + "b" * 26, 48, "at most 62"),
    # RFC 5893: a right-to-left name makes every label obey the Bidi rule; the
    # fault is at the first label that does not (§12)
    ("ucid:אב.1a/cn/x86-64", 8, "Bidi rule"),
    ("ucid:אב.0/cn/x86-64", 8, "Bidi rule"),
    ("ucid:1a.אב.0/cn/x86-64", 5, "Bidi rule"),
    ("ucid:xn--4dbc.1a/cn/x86-64", 14, "Bidi rule"),
    # §4 rule 2: an A-label of an all-ASCII text ends with "-", which LABEL excludes
    ("ucid:xn--acme-.example/cn/x86-64", 13, "unexpected"),
    ("ucid:xn--.example/cn/x86-64", 7, "unexpected"),
    # §4: code points unassigned in Unicode (every version so far) are never valid
    ("ucid:a\u0378b.example/cn/x86-64", 5, "not assigned"),
]


@pytest.mark.parametrize(("text", "position", "reason"), INVALID)
def test_invalid(text: str, position: int, reason: str) -> None:
    with pytest.raises(cid.IdentifierError) as info:
        cid.parse(text)
    err = info.value
    assert reason in err.reason
    assert err.position == position
    assert err.text == text
    rendered = str(err)
    assert "^" in rendered
    assert isinstance(err, ValueError)
    assert isinstance(err, cid.CidError)


def test_unicode_version_is_the_specs() -> None:
    """§4.1 names one Unicode version; the reference's IDNA tables are of that
    version and its other Unicode data is not newer (else it would accept code
    points that version does not assign)."""
    text = (Path(__file__).resolve().parents[2] / "spec/identifier.md").read_text("utf-8")
    stated = re.search(r"uses \*\*Unicode (\d+\.\d+\.\d+)\*\*", text)
    assert stated is not None
    assert stated.group(1) == UNICODE_VERSION == idna.idnadata.__version__
    # Conforming (§4.1): the code points accepted are assigned in both the IDNA
    # tables and the runtime's data, so one of them must not be newer.
    data = min(_version(idna.idnadata.__version__), _version(unicodedata.unidata_version))
    assert data <= _version(UNICODE_VERSION)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_code_point_unassigned_in_older_data_is_rejected() -> None:
    """§4.1: with Unicode data older than the spec's version, a code point that
    data does not assign is rejected, with the label as the position."""
    newer = next(
        (
            chr(cp)
            for cp in range(0x80, 0x30000)
            if intranges_contain(cp, idna.idnadata.codepoint_classes["PVALID"])
            and unicodedata.category(chr(cp)) == "Cn"
        ),
        None,
    )
    if newer is None:
        pytest.skip("this Python's Unicode data is as new as the IDNA tables")
    err = _error(f"ucid:ok.a{newer}b/cn/x86-64")
    assert err.position == 8
    assert f"U+{ord(newer):04X} is not assigned in Unicode {unicodedata.unidata_version}" in (
        err.reason
    )


@settings(max_examples=300, deadline=None)
@given(st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20))
def test_a_label_never_decodes_to_ascii(tail: str) -> None:
    """§4 rule 2: an xn-- label that LABEL accepts never decodes to ASCII only,
    because the Punycode of an ASCII text is that text followed by "-"."""
    assert tail.encode("punycode") == tail.encode("ascii") + b"-"
    label = "xn--" + tail
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", label):
        return
    try:
        decoded = tail.encode("ascii").decode("punycode")
    except UnicodeError:
        return
    assert not decoded.isascii()


def test_dns_length_limit() -> None:
    # Six attributes of 34 characters: each limit holds, the whole name does not.
    attrs = ";".join(f"x{i:02}=" + "v" * 30 for i in range(6))
    with pytest.raises(cid.IdentifierError, match="DNS name would exceed 189"):
        cid.parse(f"ucid:acme/cn/x86-64/{attrs}")


def test_longest_identifier_fits_any_root() -> None:
    provider = ".".join(["p" * 30, "q" * 30])
    attrs = ";".join(f"x{i}=" + "v" * 28 for i in range(3))
    ident = cid.parse(f"ucid:{provider}/cn-gd-sz1/x86-64-v4+sm90/{attrs}")
    name = ident.to_dns_name("r" * 63)
    assert len(name.rstrip(".")) <= 253


def _error(text: str) -> cid.IdentifierError:
    with pytest.raises(cid.IdentifierError) as info:
        cid.parse(text)
    return info.value


def test_caret_is_under_the_fault() -> None:
    err = _error("ucid:acme/cn/x86-64/cpu=08")
    lines = str(err).splitlines()
    assert lines[1].index("08") + 1 == lines[2].index("^")


def test_caret_with_wide_characters() -> None:
    err = _error("ucid:中国/cn/x86-64/cpu=08")
    lines = str(err).splitlines()
    # each CJK character takes two columns in a terminal
    assert lines[2].index("^") == lines[1].index("0") + 2 + 1


def test_control_characters_are_escaped_in_messages() -> None:
    err = _error("ucid:acme/cn/x86-64\x1b[2J")
    assert "\x1b" not in str(err)
    assert "\\u001b" in str(err)


@pytest.mark.parametrize("value", [None, 1, b"ucid:acme/cn/x86-64", ["ucid:a/cn/x86-64"]])
def test_non_text_is_rejected(value: object) -> None:
    with pytest.raises(cid.IdentifierError, match="is text"):
        cid.parse(value)  # type: ignore[arg-type]


def test_components() -> None:
    ident = cid.parse("ucid:中国移动.cn/CN-BJ/neoverse-v2+sm90+gfx942/mem=1TiB;acc=8;sriov")
    assert ident.provider == "xn--fiq02ib9d179b.cn"
    assert ident.provider_unicode == "中国移动.cn"
    assert ident.region == "cn-bj"
    assert ident.cpu == "neoverse-v2"
    assert ident.accelerators == ("gfx942", "sm90")
    assert ident.arch == "neoverse-v2+gfx942+sm90"
    assert [c.key for c in ident.capabilities] == ["acc", "mem", "sriov"]
    mem = ident.capability("mem")
    assert mem == cid.Capability("mem", "size", 2**40)
    assert mem is not None and mem.display() == "1 TiB"
    assert ident.capability("sriov") == cid.Capability("sriov", "flag", True)
    assert ident.capability("absent") is None
    assert ident.satisfies_arch("aarch64")
    assert ident.satisfies_arch("sm80")
    assert not ident.satisfies_arch("gfx90a")


def test_value_semantics() -> None:
    a = cid.parse("ucid:acme/cn/x86-64/cpu=2;mem=1GiB")
    b = cid.parse("UCID:ACME/CN/X86_64/mem=1024MiB;cpu=2")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != cid.parse("ucid:acme/cn/x86-64/cpu=2")
    assert a != str(a)
    assert repr(a) == "Identifier('ucid:acme/cn/x86-64/cpu=2;mem=1073741824B')"
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.deepcopy(a) == a
    assert sorted([cid.parse("ucid:b/cn/x86-64"), a])[0] == a
    with pytest.raises(AttributeError):
        a.region = "us"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del a.provider
    with pytest.raises(TypeError):
        cid.Identifier()
    # The fast path and the lark path make the same values, of the same types.
    slow = parse_slow(str(a))
    assert type(a) is type(slow) is cid.Identifier and a._v == slow._v
    for fast_cap, slow_cap in zip(a.capabilities, slow.capabilities, strict=True):
        assert type(fast_cap) is type(slow_cap) is cid.Capability
        assert pickle.loads(pickle.dumps(fast_cap)) == slow_cap
        with pytest.raises(AttributeError):
            fast_cap.key = "x"  # type: ignore[misc]


def test_unfrozen_has_the_layout_of_identifier() -> None:
    # The fast path makes an Identifier by __class__ assignment from _Unfrozen.
    assert _Unfrozen.__slots__ == cid.Identifier.__slots__
    assert _Unfrozen.__bases__ == cid.Identifier.__bases__ == (object,)
    assert _Unfrozen.__basicsize__ == cid.Identifier.__basicsize__


def test_public_surface() -> None:
    assert set(dir(cid)) == set(cid.__all__)
    for name in cid.__all__:
        assert hasattr(cid, name)
    assert cid.IdentifierError.__module__ == "cid"
