"""The public names of signed descriptors (spec/descriptor.md), for ``cid/__init__.py``.

``from ._descriptor_api import *`` brings in exactly these; the error classes
they raise are already exported from ``cid._errors``, except
:class:`ProfileError`, the :class:`EncodingError` subclass that names the
CBOR rule broken.
"""

from __future__ import annotations

from ._cbor import ProfileError
from ._descriptor import (
    DEFAULT_SKEW,
    MAX_DELEGATION_VALIDITY,
    MAX_DESCRIPTOR_VALIDITY,
    MAX_SIGNED,
    MAX_SKEW,
    TYP_ANCHOR,
    TYP_DELEGATION,
    TYP_DESCRIPTOR,
    Delegation,
    Descriptor,
    Endpoint,
    sign,
    sign_rotation,
    verify,
    verify_delegation,
    verify_rotation,
)
from ._keys import SigningKey, VerifyKey

__all__ = [
    "DEFAULT_SKEW",
    "MAX_DELEGATION_VALIDITY",
    "MAX_DESCRIPTOR_VALIDITY",
    "MAX_SIGNED",
    "MAX_SKEW",
    "TYP_ANCHOR",
    "TYP_DELEGATION",
    "TYP_DESCRIPTOR",
    "Delegation",
    "Descriptor",
    "Endpoint",
    "ProfileError",
    "SigningKey",
    "VerifyKey",
    "sign",
    "sign_rotation",
    "verify",
    "verify_delegation",
    "verify_rotation",
]
