"""Outcomes of a resolution (spec/resolution.md part 2, §13): stable codes, exit statuses."""

from __future__ import annotations

import enum

from cid import CidError

__all__ = ["Outcome", "ResolutionError"]


class Outcome(enum.Enum):
    """How a resolution ended. ``value`` is the stable code; ``exit_status`` is what
    ``cid-resolve`` exits with; ``meaning`` is the one-line definition of the spec."""

    OK = ("OK", 0, "verified, live endpoints")
    INVALID_IDENTIFIER = ("INVALID_IDENTIFIER", 65, "the input is not an identifier or pattern")
    NOT_FOUND = ("NOT_FOUND", 3, "the name does not exist (NXDOMAIN from its zone)")
    NO_LIVE_ENDPOINTS = (
        "NO_LIVE_ENDPOINTS",
        4,
        "the name exists but no descriptor is published there now",
    )
    BOGUS = ("BOGUS", 5, "a signature, key, issuer or chain check failed")
    EXPIRED = ("EXPIRED", 6, "a signed record is past its expiry")
    ROLLBACK = ("ROLLBACK", 7, "a signed record is older than one already seen")
    TIMEOUT = ("TIMEOUT", 8, "no usable answer before the deadline")
    SERVFAIL = ("SERVFAIL", 9, "the servers failed (SERVFAIL, FORMERR, malformed answers)")
    LAME_DELEGATION = (
        "LAME_DELEGATION",
        10,
        "the servers of a zone are not authoritative for it",
    )
    LOOP = ("LOOP", 11, "a referral went back up the chain")
    LIMIT_EXCEEDED = ("LIMIT_EXCEEDED", 12, "a limit (depth, queries, size, work) was reached")

    def __init__(self, code: str, exit_status: int, meaning: str) -> None:
        self.code = code
        self.exit_status = exit_status
        self.meaning = meaning

    def __str__(self) -> str:
        return self.code


class ResolutionError(CidError):
    """A resolution that ended in an outcome other than OK.

    ``outcome`` is the :class:`Outcome`; ``name`` what was being resolved (an
    identifier, a pattern or a DNS name); ``step`` the step that failed, in words
    (``"verify delegation record of hpc.ucid.example at ucid.example"``).
    """

    def __init__(self, outcome: Outcome, name: str, step: str, detail: str = "") -> None:
        super().__init__(outcome, name, step, detail)
        self.outcome = outcome
        self.name = name
        self.step = step
        self.detail = detail

    def __str__(self) -> str:
        tail = f": {self.detail}" if self.detail else ""
        return f"{self.outcome.code} resolving {self.name}: {self.step}{tail}"
