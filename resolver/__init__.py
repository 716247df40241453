"""The verifying hierarchical resolver for UCIDs (spec/resolution.md).

Empty until the resolver lands (issue 5); it exists now so that the
distribution's three import packages are fixed from the first release.
"""

__all__: list[str] = []
