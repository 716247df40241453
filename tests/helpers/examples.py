"""Example inputs shared by several test modules (test modules do not import each other)."""

from __future__ import annotations

SUBJECT = "ucid:acme.east/CN-GD/x86-64-v4+sm90/acc=8;mem=1TiB"


def descriptor_spec(**over: object) -> dict[str, object]:
    """The JSON input of ``cid descriptor sign`` (spec/descriptor.md §13), with ``over``."""
    base: dict[str, object] = {
        "issuer": "acme.east.ucid.example",
        "subject": SUBJECT,
        "version": 3,
        "endpoints": [
            {
                "transport": "tcp",
                "protocol": "https",
                "host": "gw.acme.example",
                "port": 443,
                "priority": 1,
                "weight": 10,
                "alpn": ["h2"],
            }
        ],
    }
    base.update(over)
    return base
