"""Vectors of the descriptor profile (spec/descriptor.md): six areas.

| area | prefix | operations |
|---|---|---|
| descriptor-cbor | cbor | decode_cbor (§3) |
| descriptor-ed25519 | ed | verify_signature (§4.5, Wycheproof) |
| descriptor-cose | cose | verify_descriptor on malformed envelopes (§3, §4) |
| descriptor | ds | verify_descriptor, encode_descriptor (§5-§8, §13) |
| descriptor-delegation | dg | verify_delegation, verify_rotation (§9, §10) |
| descriptor-chain | ch | verify_chain (§9.2-§9.3, spec/resolution.md §12.5) |

Expected results come from the specification's rules (the generator encodes,
signs and breaks records itself); ``tests/conformance/test_descriptor_vectors.py``
checks that the reference library gives every one of them. The requirements no
case can test are in :data:`UNTESTABLE`, with the reason.
"""

from __future__ import annotations

from ._cbor_cases import cbor_area
from ._common import Area, Case, dumps
from ._delegation_cases import chain_area, delegation_area
from ._descriptor_cases import cose_area, descriptor_area
from ._ed25519_cases import ed25519_area

__all__ = ["UNTESTABLE", "build"]

#: Requirements of spec/descriptor.md that no case can test, and why.
UNTESTABLE: dict[str, str] = {
    "DS-6.2.3-1": (
        "client behaviour when choosing among endpoints (try lower priorities first); no "
        "descriptor operation selects endpoints (the resolver area's resolve orders them)"
    ),
    "DS-6.2.3-2": (
        "a SHOULD on the random choice by weight among endpoints of one priority: a "
        "distribution, not one answer; and no descriptor operation selects endpoints"
    ),
    "DS-8.5.1-1": (
        "a producer's duty across records over time (a greater version for changed claims); "
        "encode_descriptor is stateless and takes the version from its input"
    ),
    "DS-10.3-6": (
        "what a verifier does with the keys after the operation (they become the zone's "
        "anchors) is state beyond one verify_rotation request; its output lists the keys"
    ),
    "DS-13.1.2-1": (
        "a JSON member name twice in one object cannot reach the adapter: the runner parses "
        "the case and sends its input as JSON it writes itself, which has each name once"
    ),
    "DS-13.1.2-2": (
        "NaN and Infinity are not JSON (RFC 8259), so neither the vector files nor the "
        "runner's requests can carry them"
    ),
    "DS-13.2.1-4": (
        "issued_at defaults to the producer's current time, which encode_descriptor's input "
        "does not give (ADAPTER.md: no operation reads a clock); the vectors always give it"
    ),
    "DS-13.2.1-6": (
        "expires defaults to nbf plus the producer's configured validity, which "
        "encode_descriptor's input does not give; the vectors always give expires"
    ),
}


def _dedupe(area: Area) -> None:
    """One case per operation and input: a second case with the same input (Wycheproof
    repeats some signatures under two tcIds) joins the first, which must expect the same."""
    first: dict[str, Case] = {}
    kept: list[Case] = []
    for case in area.cases:
        ident = dumps([case.operation, case.input])
        if ident not in first:
            first[ident] = case
            kept.append(case)
            continue
        one = first[ident]
        if one.expected != case.expected:
            raise ValueError(
                f"{area.name}: {one.comment!r} and {case.comment!r} have one input, two results"
            )
        one.requirements = sorted({*one.requirements, *case.requirements})
        one.flags = sorted({*one.flags, *case.flags})
        if case.source and case.source not in one.source:
            one.source = f"{one.source}; {case.source}" if one.source else case.source
        if case.comment not in one.comment:
            one.comment = f"{one.comment}; {case.comment}"
    area.cases = kept


def build() -> list[Area]:
    areas = [
        cbor_area(),
        ed25519_area(),
        cose_area(),
        descriptor_area(),
        delegation_area(),
        chain_area(),
    ]
    areas[0].untestable = dict(UNTESTABLE)
    for area in areas:
        _dedupe(area)
        for case in area.cases:
            if case.expected["result"] == "invalid" and case.operation != "verify_chain":
                # §11: every rejection is reported in one category, by its code.
                case.requirements = [*case.requirements, "DS-11.1-1", "DS-11.2-1"]
    return areas
