"""Unified Compute Identifiers (UCID): the standard's reference library.

    >>> import cid
    >>> ident = cid.parse("ucid:Acme.example/CN-GD/x86-64-v4+sm90/mem=512GiB;acc=8")
    >>> str(ident)
    'ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B'
    >>> ident.to_dns_name("ucid.example")
    '_acc_8._mem_549755813888b._x86-64-v4_sm90._cn-gd.acme.example.ucid.example.'
    >>> cid.parse_pattern("ucid:*.example/cn-*/x86-64-v3/acc>=8").matches(ident)
    True

The normative texts are ``spec/identifier.md`` and ``spec/identifier.lark``.
"""

from __future__ import annotations

from ._capability import Capability
from ._cbor import ProfileError
from ._cbor import decode as decode_cbor
from ._cbor import encode as encode_cbor
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
    encode_payload,
)
from ._descriptor_json import delegation_json, descriptor_from_json, descriptor_json
from ._errors import (
    CidError,
    CriticalExtensionError,
    DescriptorError,
    EncodingError,
    ExpiredError,
    IdentifierError,
    KeyFileError,
    NotYetValidError,
    OversizeError,
    RollbackError,
    SignatureError,
    StatusMismatchError,
    UnknownKeyError,
    ValidityError,
)
from ._identifier import Identifier, parse
from ._keys import SigningKey, VerifyKey
from ._pattern import Constraint, Pattern, parse_pattern
from ._register import (
    Lease,
    RegisterError,
    RegisterRefused,
    deregister,
    register,
    register_status,
)
from ._signed import (
    Keys,
    decode_unverified,
    sign,
    sign_rotation,
    verify,
    verify_delegation,
    verify_rotation,
)
from ._specfiles import spec_path
from ._status import (
    MAX_STATUS,
    MAX_STATUS_SKEW,
    MAX_STATUS_VALIDITY,
    STATUS_SKEW,
    TYP_STATUS,
    Capacity,
    Described,
    Price,
    Status,
    decode_status,
    encode_status,
    sign_status,
    status_from_json,
    status_json,
    verify_status,
)
from ._tables import satisfies

__version__ = "0.1.0"

#: Version of the identifier scheme this library implements (spec §11).
SCHEME_VERSION = 1

__all__ = [
    "DEFAULT_SKEW",
    "MAX_DELEGATION_VALIDITY",
    "MAX_DESCRIPTOR_VALIDITY",
    "MAX_SIGNED",
    "MAX_SKEW",
    "MAX_STATUS",
    "MAX_STATUS_SKEW",
    "MAX_STATUS_VALIDITY",
    "SCHEME_VERSION",
    "STATUS_SKEW",
    "TYP_ANCHOR",
    "TYP_DELEGATION",
    "TYP_DESCRIPTOR",
    "TYP_STATUS",
    "Capability",
    "Capacity",
    "CidError",
    "Constraint",
    "CriticalExtensionError",
    "Delegation",
    "Described",
    "Descriptor",
    "DescriptorError",
    "EncodingError",
    "Endpoint",
    "ExpiredError",
    "Identifier",
    "IdentifierError",
    "KeyFileError",
    "Keys",
    "Lease",
    "NotYetValidError",
    "OversizeError",
    "Pattern",
    "Price",
    "ProfileError",
    "RegisterError",
    "RegisterRefused",
    "RollbackError",
    "SignatureError",
    "SigningKey",
    "Status",
    "StatusMismatchError",
    "UnknownKeyError",
    "ValidityError",
    "VerifyKey",
    "__version__",
    "decode_cbor",
    "decode_status",
    "decode_unverified",
    "delegation_json",
    "deregister",
    "descriptor_from_json",
    "descriptor_json",
    "encode_cbor",
    "encode_payload",
    "encode_status",
    "parse",
    "parse_pattern",
    "register",
    "register_status",
    "satisfies",
    "sign",
    "sign_rotation",
    "sign_status",
    "spec_path",
    "status_from_json",
    "status_json",
    "verify",
    "verify_delegation",
    "verify_rotation",
    "verify_status",
]


# Errors are shown as cid.IdentifierError, not cid._errors.IdentifierError.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and issubclass(_obj, CidError):
        _obj.__module__ = __name__


def __dir__() -> list[str]:
    return list(__all__)
