"""Mutant: providers mapped with UTS #46 before IDNA2008 (spec/identifier.md §4 uses
IDNA2008 without mapping), as browsers do: ``Bücher``, full-width letters or
``ﬁ`` are mapped to valid labels instead of being rejected."""

from __future__ import annotations

import contextlib

import _mutate
import idna

import cid._components
import cid._identifier
import cid._identifier_fast
import cid._pattern
from cid._syntax import Tok

_provider = cid._components.canonical_provider


def canonical_provider(labels: list[Tok]) -> str:
    mapped = []
    for tok in labels:
        text = tok.text
        if not text.isascii():
            # A label that cannot be mapped is judged unmapped, as before.
            with contextlib.suppress(idna.IDNAError):
                text = idna.uts46_remap(text, std3_rules=False, transitional=False)
        mapped.append(Tok(text, tok.pos))
    return _provider(mapped)


_mutate.replace(
    (cid._components, cid._identifier, cid._identifier_fast, cid._pattern),
    "canonical_provider",
    canonical_provider,
)

if __name__ == "__main__":
    _mutate.run()
