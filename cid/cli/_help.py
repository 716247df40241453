"""The example that ends each command's ``--help`` (the house standard: every command has one)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["example"]


def example(*lines: str, before: str = "") -> dict[str, Any]:
    """``add_parser`` keywords for an epilog of ``before`` and then ``example:``, one command
    line a line, shown as written (the raw formatter: argparse would join the lines)."""
    shown = "example:\n" + "\n".join("  " + line for line in lines)
    return {
        "epilog": before + "\n\n" + shown if before else shown,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
