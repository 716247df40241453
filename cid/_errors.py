"""The exception hierarchy: one root, :class:`CidError`, for everything the project raises."""

from __future__ import annotations

import unicodedata

__all__ = [
    "CidError",
    "CriticalExtensionError",
    "DescriptorError",
    "EncodingError",
    "ExpiredError",
    "IdentifierError",
    "KeyFileError",
    "NotYetValidError",
    "OversizeError",
    "RollbackError",
    "SignatureError",
    "StatusMismatchError",
    "UnknownKeyError",
    "ValidityError",
]

# Inputs longer than this are shown as a window around the fault.
_WINDOW = 60


class CidError(Exception):
    """Root of every exception raised by this project's public API."""


class IdentifierError(CidError, ValueError):
    """An identifier, pattern or DNS name that is not valid UCID text.

    ``position`` is the 0-based index (in code points) of the fault in ``text``,
    or ``None`` when the fault is not at one place. ``str()`` renders the input
    with a caret under the fault.
    """

    def __init__(self, reason: str, text: str, position: int | None = None) -> None:
        super().__init__(reason, text, position)
        self.reason = reason
        self.text = text
        self.position = position

    def __str__(self) -> str:
        if self.position is None:
            return f"{self.reason}\n  {_printable(self.text[: 2 * _WINDOW])}"
        shown, caret = _caret(self.text, self.position)
        return f"{self.reason} (at position {self.position})\n  {shown}\n  {caret}"


def _printable(text: str) -> str:
    # Control and format characters would move the caret or hide the fault.
    return "".join(ch if unicodedata.category(ch)[0] != "C" else f"\\u{ord(ch):04x}" for ch in text)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _caret(text: str, position: int) -> tuple[str, str]:
    start = max(0, position - _WINDOW)
    end = min(len(text), position + _WINDOW)
    before = ("..." if start else "") + _printable(text[start:position])
    after = _printable(text[position:end]) + ("..." if end < len(text) else "")
    return before + after, " " * _width(before) + "^"


class DescriptorError(CidError):
    """A signed descriptor or delegation record that must not be trusted."""


class EncodingError(DescriptorError):
    """Bytes that are not deterministic CBOR inside the descriptor profile, or not COSE_Sign1."""


class OversizeError(DescriptorError):
    """Input larger than a hard limit (size or nesting depth), rejected before decoding."""


class SignatureError(DescriptorError):
    """The signature does not verify with the selected key."""


class UnknownKeyError(DescriptorError):
    """No trusted key has the message's key id (kid); keys are never tried one by one."""


class ValidityError(DescriptorError):
    """The statement is outside its validity period at the given time."""


class ExpiredError(ValidityError):
    """``now`` is past ``exp`` plus the allowed clock skew."""


class NotYetValidError(ValidityError):
    """``now`` is before ``nbf`` (or ``iat``) minus the allowed clock skew.

    ``valid_from`` is the first second at which it verifies (``start - skew``), so
    that a publisher can schedule the record's appearance.
    """

    def __init__(self, message: str, valid_from: int = 0) -> None:
        super().__init__(message)
        self.valid_from = valid_from


class RollbackError(DescriptorError):
    """A version lower than one already seen for the same subject."""


class CriticalExtensionError(DescriptorError):
    """A critical extension that this implementation does not understand."""


class StatusMismatchError(DescriptorError):
    """A status record about another descriptor than the one it is checked against:
    another issuer, subject or descriptor version (spec/status.md §7, *mismatch*)."""


class KeyFileError(CidError):
    """A key file that cannot be read, parsed or written safely."""
