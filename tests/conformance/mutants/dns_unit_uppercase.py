"""Mutant: the DNS mapping keeps the units' uppercase (spec/identifier.md §9.1,
§9.2: the name is lowercase, ``B`` written ``b`` and ``Hz`` ``hz``):
``_mem_549755813888B`` instead of ``_mem_549755813888b``. Its reverse mapping then
rejects the canonical lowercase names, which no longer map back to themselves."""

from __future__ import annotations

import _mutate

import cid._dnsname
import cid._identifier
from cid._dnsname import normalise_root


def dns_name(attributes: list[str], arch: str, region: str, provider: str, root: str) -> str:
    suffix = normalise_root(root)
    labels = [f"_{cap}".replace("=", "_") for cap in attributes]
    labels += ["_" + arch.replace("+", "_"), "_" + region, provider]
    if suffix:
        labels.append(suffix)
    return ".".join(labels) + "."


_mutate.replace((cid._dnsname, cid._identifier), "dns_name", dns_name)

if __name__ == "__main__":
    _mutate.run()
