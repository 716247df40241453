"""Every command's ``--help`` ends with an example of that very command (house standard):
each leaf of the ``cid``, ``cid-resolve`` and ``cid-conformance`` argparse trees."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from cid.cli._main import build_parser as cid_parser
from conformance._cli import build_parser as conformance_parser
from resolver._cli import _parser as resolve_parser


def _leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subcommands:
        yield parser
    for action in subcommands:
        for child in action.choices.values():
            yield from _leaves(child)


LEAVES = {
    leaf.prog: leaf
    for tree in (cid_parser(), resolve_parser(), conformance_parser())
    for leaf in _leaves(tree)
}


def test_the_walk_finds_every_command() -> None:
    for prog in ("cid id parse", "cid zone build", "cid zone compile", "cid serve"):
        assert prog in LEAVES
    assert {"cid-resolve", "cid-conformance run", "cid-conformance fixtures export"} <= set(LEAVES)
    assert len(LEAVES) > 30


@pytest.mark.parametrize("prog", sorted(LEAVES))
def test_every_command_has_an_example_of_itself(prog: str) -> None:
    text = LEAVES[prog].format_help()
    # "example:" (or "examples:") on a line of its own, then the command, indented, as
    # written: the raw formatter keeps the line breaks argparse would otherwise join.
    assert re.search(r"^examples?:\n  " + re.escape(prog) + r"( |$)", text, re.M), text
