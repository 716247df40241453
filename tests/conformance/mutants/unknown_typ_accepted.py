"""Mutant: the typ header not checked (spec/descriptor.md §4.2, §8.2): a record of
an unknown typ, or a delegation record presented as a descriptor, is accepted."""

from __future__ import annotations

import functools

import _mutate

import cid._signed

_mutate.replace(cid._signed, "_open", functools.partial(_mutate.open_sign1, typ_checked=False))

if __name__ == "__main__":
    _mutate.run()
