"""The fingerprint of what a zone is assembled from: when a compiled image may stand in.

A zone's assembly reads ``registry.json``, every zone's ``zone.json`` (a child's
name servers are its delegation's glue) and the zone's own folder: keys,
descriptors, delegations, statuses, live registrations, rollover state; not
``sources/``, which only a build reads. Reading a million descriptor files to
hash them would cost most of what an image saves, so the fingerprint is that of
the listing of the folders with a file per record (``descriptors``, ``status``,
``live``), as ``git`` and ``make`` trust it: each file's path, size, inode, and
modification and change times in nanoseconds. The change time is set by the
kernel on every write, rename or ``utime``, so no tool that rewrites a file can
keep it. The other files (settings, keys, delegations) are few and small, and
hashed whole: writing one again with the same bytes is no change.

What a listing cannot see is a file rewritten within the file system's clock
tick of the listing itself, size unchanged (``git``'s "racy" files). A file
changed within :data:`RACY_NS` of the listing is therefore hashed whole and its
hash kept beside the fingerprint, then hashed again whenever the image is
considered. More than :data:`MAX_RACY` such files (a registry just built): no
image is written, and the next load writes it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

__all__ = ["MAX_RACY", "RACY_NS", "Listing", "listing"]

#: A file changed this close to its listing (or after it) is hashed whole.
RACY_NS: Final = 2_000_000_000
#: Racy files hashed at most; with more, no image is written.
MAX_RACY: Final = 1024
_SKIPPED: Final = frozenset({"sources"})
# The folders of a zone with a file per record (a million, for a large zone): listed by
# their files' stats, not read. As the one-element tail of a path split at "/" thrice.
_BULK: Final = (["descriptors"], ["status"], ["live"])


@dataclass(frozen=True, slots=True)
class Listing:
    """One listing of a zone's inputs: its digest and the racy files' own hashes."""

    digest: str
    racy: dict[str, str] = field(default_factory=dict)  # path (relative) -> SHA-256 of its bytes
    too_racy: bool = False  # more than MAX_RACY racy files: not hashed, no image
    # The digest of the settings, keys and delegations alone, and the lines of the
    # per-record folders ("path\0size inode mtime ctime", sorted, joined by "\n"):
    # what tells which records changed since an image.
    config: str = ""
    files: bytes = b""

    def matches(self, other: Listing) -> bool:
        """Whether ``other`` (recorded with an image) lists the same files, unchanged."""
        return self.digest == other.digest and not self.too_racy and self.racy == other.racy


def _walk(folder: str, skip: frozenset[str]) -> list[os.DirEntry[str]]:
    out: list[os.DirEntry[str]] = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return out
    for entry in entries:
        if entry.name in skip or (entry.name.startswith(".") and entry.name.endswith(".tmp")):
            continue  # a write in progress (cid.atomic) is not yet an input
        if entry.is_dir(follow_symlinks=False):
            out += _walk(entry.path, frozenset())
        else:
            out.append(entry)
    return out


def listing(root: Path, zone: str, *, now_ns: int, hashed: dict[str, str] | None = None) -> Listing:
    """The listing of ``zone``'s inputs in the registry at ``root``, taken at ``now_ns``
    (wall clock, nanoseconds). ``hashed``: racy files to hash whatever their times
    (those an image recorded as racy)."""
    base = os.fspath(root)
    skip = len(base.rstrip(os.sep)) + 1  # every path is below base: cut, not os.path.relpath
    # Settings, keys, delegations: few and small, so hashed whole; a file written
    # again with the same bytes (a touch, a checkout) is no change. Every zone's
    # zone.json (a child's name servers are glue here); this zone's is walked below.
    shared = [os.path.join(base, "registry.json")]
    shared += [
        os.path.join(base, "zones", z, "zone.json")
        for z in os.listdir(os.path.join(base, "zones"))
        if z != zone
    ]
    config = [f"{p[skip:]}\0{_digest(p)}" for p in shared if os.path.isfile(p)]
    lines = []
    racy: dict[str, str] = {}
    too_racy = False
    since = now_ns - RACY_NS
    for entry in _walk(os.path.join(base, "zones", zone), _SKIPPED):
        rel = entry.path[skip:]
        if rel.split(os.sep, 3)[-2:-1] not in _BULK:
            config.append(f"{rel}\0{_digest(entry.path)}")
            continue
        st = entry.stat(follow_symlinks=False)
        lines.append(f"{rel}\0{st.st_size} {st.st_ino} {st.st_mtime_ns} {st.st_ctime_ns}")
        recent = st.st_mtime_ns > since or st.st_ctime_ns > since
        if recent or (hashed is not None and rel in hashed):
            if len(racy) >= MAX_RACY:
                too_racy = True
                continue
            racy[rel] = _digest(entry.path)
    lines.sort()
    config.sort()
    files = "\n".join(lines).encode("utf-8", "surrogateescape")
    del lines
    settings = "\n".join(config).encode("utf-8", "surrogateescape")
    digest = hashlib.sha256(b"%d\n%s\n%s" % (len(settings), settings, files)).hexdigest()
    return Listing(digest, racy, too_racy, hashlib.sha256(settings).hexdigest(), files)


def _digest(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
