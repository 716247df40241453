"""Mutant: the reverse DNS mapping without its last check (spec/identifier.md §9.3
step 8): a name that decodes to a valid identifier but is not its canonical name
(attributes or accelerators out of order, an alias, ``512gib``-style values that
happen to parse) is accepted."""

from __future__ import annotations

import _mutate

import cid
import cid._identifier
from cid._dnsname import reverse
from cid._errors import IdentifierError


def from_dns_name(name: str, root: str) -> cid.Identifier:
    candidate, _ = reverse(name, root)
    try:
        return cid.parse(candidate)
    except IdentifierError as exc:
        raise IdentifierError(f"decodes to {candidate!r}: {exc.reason}", name, None) from None


_mutate.replace(cid._identifier.Identifier, "from_dns_name", staticmethod(from_dns_name))

if __name__ == "__main__":
    _mutate.run()
