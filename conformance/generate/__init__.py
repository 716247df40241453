"""The generator of the conformance vectors: ``python -m conformance.generate``.

Each area module (``identifier``, ``descriptor``, ``resolution``, ``status``) has ``build()``,
returning its :class:`~conformance.generate._common.Area` objects. The inputs are
fixed (fixed keys, fixed times, no randomness but seeded), so regenerating writes
the same bytes; ``--check`` regenerates in memory and fails if any file would
change (the test suite runs it).
"""

from __future__ import annotations

__all__ = ["AREA_MODULES"]

#: The area modules, in the order their files are written.
AREA_MODULES = ("identifier", "descriptor", "resolution", "status")
