"""Times as people read and write them: ISO 8601 in UTC (``2026-12-06T00:00:00Z``).

Records hold integer seconds since the epoch; every message and every JSON output
shows them with :func:`iso_time`, and every ``--now`` option reads either form
with :func:`parse_time`.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["iso_time", "parse_time"]


def iso_time(seconds: int) -> str:
    """``2026-12-06T00:00:00Z``; out of datetime's range, the number itself."""
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{seconds} s since the epoch"


def parse_time(text: str) -> int:
    """Seconds since the epoch, or an ISO 8601 date-time with a zone
    (``2026-12-06T00:00:00Z``, ``2026-12-06T08:00+08:00``). Raises ValueError."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not epoch seconds or ISO 8601") from None
    if when.tzinfo is None:
        raise ValueError(f"{text!r} needs a time zone, such as Z")
    return int(when.timestamp())
