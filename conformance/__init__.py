"""Language-neutral conformance vectors and their runner.

Empty until the suite lands; it exists now so that the distribution's three
import packages are fixed from the first release.
"""

__all__: list[str] = []
