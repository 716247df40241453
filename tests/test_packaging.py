"""Packaging: the licence the metadata names is the one shipped, in full."""

from __future__ import annotations

import hashlib
import importlib.metadata
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt
APACHE_2_0 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def test_license_file_is_the_apache_license_2_0() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_0


def test_installed_metadata_names_the_license() -> None:
    """What ``pip show ucid-reference`` reads: the ``License`` field, which every pip
    shows (pip 23.2 in a fresh venv does not know PEP 639's ``License-Expression``, and
    would print an empty licence), the licence file, and the classifier."""
    meta = importlib.metadata.metadata("ucid-reference")
    assert meta["License"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    classifiers = meta.get_all("Classifier") or []
    assert "License :: OSI Approved :: Apache Software License" in classifiers
