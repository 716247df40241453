"""Mutant: names that are not in the architecture registry (spec/registries/
architectures.json, spec/identifier.md §6.1-§6.3) taken as registered ones, as an
implementation with a registry of its own would: ``x86-64-v5`` as a CPU above
``x86-64-v4``, ``sm120`` as an accelerator above ``sm100``, and ``armv8`` as an alias
of ``aarch64``. An unregistered name satisfies only itself; a registry of one's
own changes which identifiers are valid, their canonical form and what matches."""

from __future__ import annotations

import _mutate

from cid._tables import ARCH_ALIASES, ARCHITECTURES, Architecture

for name, kind, above in (("x86-64-v5", "cpu", "x86-64-v4"), ("sm120", "accelerator", "sm100")):
    ARCHITECTURES[name] = Architecture(
        name, kind, "not registered", ARCHITECTURES[above].satisfies | {name}
    )
ARCH_ALIASES["armv8"] = "aarch64"

if __name__ == "__main__":
    _mutate.run()
