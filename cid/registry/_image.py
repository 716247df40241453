"""Compiled zone images: an assembled zone in compact wire form, mapped at start.

Assembling a zone of a million descriptors means verifying a million signatures
and building millions of dnspython objects: minutes. An image is that assembled
zone written once, beside the registry (``.cache/<zone>.image``), as sorted
node records of plain wire bytes; ``cid serve`` maps it and answers from it at
once, decoding a node into dnspython objects only when something asks for it
(:class:`ImageNodes`, the ``nodes`` of a :class:`dns.zone.Zone`). Writes made
since (live registrations, statuses) go in an overlay above it.

An image is used only when everything it was made from is unchanged (the
registry's listing fingerprint, :mod:`._fingerprint`), it is not past the time
at which assembly would differ (a record expiring, a lease lapsing), it was
written by this very code (a digest of the ``cid`` sources), and its bytes are
whole (length and SHA-256 trailer). Otherwise it is rebuilt, never served. The
digest finds torn and altered files, not forged ones: whoever can write the
registry's folder holds its zones' private keys anyway.

File layout (big-endian but for the offsets, which are in the byte order the
meta names, so that they are mapped, not copied)::

    b"UCIDIMG\x01"  u32 meta length  meta (JSON)  records  offsets  shared  parents  files
    u64 offsets at, shared at, parents at, files at  sha256(everything before)  b"UCIDEND\x01"

``records``: one per node, sorted by the node's key (its relative name in
lowercase wire form, without the root label)::

    u16 key length, key, u8 flags (1: owner spelled otherwise, 2: a registry
    file's descriptor), [u16 length, owner wire], u8 rdatasets, each:
      0: u16 type, u16 covers, u32 TTL, u16 count, count x (u16 length, rdata)
      1: u32 TTL         the TXT copy of this node's descriptor (spec §6)
      2: u32 TTL, u32 i  the i-th shared rdataset (SVCB sets recur)

``offsets``: u64 per record; ``shared``: u32 count, then u32 length and an
rdataset (u16 type, u16 covers, u16 count, rdata as in kind 0) each;
``parents``: u32 count, then u16 length and key of each name with a name below
it, sorted (the index's empty non-terminals, :mod:`cid.server._authority`);
``files``: the listing of the per-record files it was made from (:mod:`._fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, MutableMapping
from collections.abc import Set as AbstractSet
from functools import cache
from pathlib import Path
from typing import Any, Final

import dns.exception
import dns.name
import dns.node
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

from .._errors import CidError
from ..atomic import fsync_dir
from ..layout import TYPE_DESCRIPTOR
from ._bulk import TxtCopy, new_name

__all__ = [
    "IMAGE_FORMAT",
    "Image",
    "ImageError",
    "ImageNodes",
    "changed_nodes",
    "code_digest",
    "copy_nodes",
    "encode_image",
    "write_image",
]

#: The layout above; a new one changes this.
IMAGE_FORMAT: Final = 1
_MAGIC: Final = b"UCIDIMG\x01"
_END: Final = b"UCIDEND\x01"
_TRAILER: Final = 32 + 32 + len(_END)  # section offsets, digest, end mark
_IN: Final = dns.rdataclass.IN
_TXT: Final = dns.rdatatype.TXT
_DESCRIPTOR: Final = dns.rdatatype.RdataType.make(TYPE_DESCRIPTOR)
_FLAG_SPELLED: Final = 1
_FLAG_STATIC: Final = 2
_GENERIC, _TXT_COPY, _SHARED = 0, 1, 2
# Types whose rdatasets are stored once and shared: the same endpoints, name
# servers and addresses recur across many nodes.
_SHAREABLE: Final = frozenset({dns.rdatatype.SVCB, dns.rdatatype.NS, dns.rdatatype.A,
                               dns.rdatatype.AAAA})  # fmt: skip
_u16 = struct.Struct("!H")
_u32 = struct.Struct("!I")
_set_head = struct.Struct("!BHHIH")  # kind 0, type, covers, TTL, count
_shared_head = struct.Struct("!BII")  # kind 2, TTL, index


class ImageError(CidError):
    """An image that cannot be used: torn, foreign, of other code, or stale. Never served;
    the zone is assembled from the registry instead (and a new image written)."""


@cache
def code_digest() -> str:
    """SHA-256 of this ``cid`` package's sources: an image made by other code is not used,
    whatever its version number says (assembly may have changed)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"format {IMAGE_FORMAT}\n".encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _key(labels: tuple[bytes, ...]) -> bytes:
    """A relative name's key: its labels in lowercase wire form, no root label."""
    return b"".join(bytes((len(x),)) + x.lower() for x in labels)


def _labels(wire: bytes) -> tuple[bytes, ...]:
    out = []
    i = 0
    while i < len(wire):
        n = wire[i]
        out.append(wire[i + 1 : i + 1 + n])
        i += 1 + n
    return tuple(out)


# ------------------------------------------------------------------ writing


def _set_body(rds: dns.rdataset.Rdataset, origin: dns.name.Name) -> list[bytes]:
    out = []
    for rd in rds:
        wire = rd.to_wire(origin=origin)
        assert wire is not None
        out.append(_u16.pack(len(wire)) + wire)
    return out


def _record(key: bytes, name: dns.name.Name, node: dns.node.Node, static: bool,
            origin: dns.name.Name, shared: dict[bytes, int]) -> bytes:  # fmt: skip
    spelled = b"".join(bytes((len(x),)) + x for x in name.labels)
    flags = (_FLAG_SPELLED if spelled != key else 0) | (_FLAG_STATIC if static else 0)
    parts = [_u16.pack(len(key)), key, bytes((flags,))]
    if flags & _FLAG_SPELLED:
        parts += [_u16.pack(len(spelled)), spelled]
    parts.append(bytes((len(node.rdatasets),)))
    descriptor = None
    for rds in node.rdatasets:
        if rds.rdtype == _DESCRIPTOR and len(rds) == 1:
            descriptor = next(iter(rds)).data
    for rds in node.rdatasets:
        first = next(iter(rds), None)
        if (rds.rdtype == _TXT and len(rds) == 1 and isinstance(first, TxtCopy)
                and rds.covers == 0 and first.signed == descriptor):  # fmt: skip
            parts += [bytes((_TXT_COPY,)), _u32.pack(rds.ttl)]
            continue
        body = _set_body(rds, origin)
        if rds.rdtype in _SHAREABLE:
            blob = struct.pack("!HHH", rds.rdtype, rds.covers, len(body)) + b"".join(body)
            index = shared.setdefault(blob, len(shared))
            parts.append(_shared_head.pack(_SHARED, rds.ttl, index))
            continue
        parts.append(_set_head.pack(_GENERIC, rds.rdtype, rds.covers, rds.ttl, len(body)))
        parts += body
    return b"".join(parts)


def encode_image(
    zone: dns.zone.Zone,
    meta: Mapping[str, Any],
    static: AbstractSet[dns.name.Name] = frozenset(),
    files: bytes = b"",
) -> Iterator[bytes]:
    """The image of ``zone`` in pieces, trailer included, with ``meta`` in its header.

    ``static``: the owners (absolute) of the descriptors that come from registry
    files, not live registrations (a live registration may not replace them).
    ``files``: the listing of the per-record files it was made from
    (:class:`._fingerprint.Listing`), kept to tell later which changed."""
    origin = zone.origin
    assert origin is not None and zone.relativize
    statics = {_key(n.relativize(origin).labels) for n in static}
    digest = hashlib.sha256()
    shared: dict[bytes, int] = {}
    keyed = sorted((_key(name.labels), name) for name in zone.nodes)
    ns = dns.rdatatype.NS
    cuts = sorted(n.to_text() for n, node in zone.nodes.items()
                  if n != dns.name.empty and node.get_rdataset(_IN, ns) is not None)  # fmt: skip
    head = json.dumps(
        {
            **meta,
            "cuts": cuts,
            "format": IMAGE_FORMAT,
            "nodes": len(keyed),
            "origin": origin.to_text(),
            "byteorder": sys.byteorder,
        },
        sort_keys=True,
    ).encode()
    pos = 0

    def out(piece: bytes) -> bytes:
        nonlocal pos
        digest.update(piece)
        pos += len(piece)
        return piece

    yield out(_MAGIC + _u32.pack(len(head)) + head)
    offsets = array("Q")
    above: set[bytes] = set()
    for key, name in keyed:
        offsets.append(pos)
        labels = _labels(key)
        for i in range(1, len(labels) + 1):
            up = _key(labels[i:])
            if up in above:
                break  # and so is every name above it
            above.add(up)
        yield out(_record(key, name, zone.nodes[name], key in statics, origin, shared))
    offsets_at = pos
    yield out(offsets.tobytes())
    shared_at = pos
    yield out(_u32.pack(len(shared)) + b"".join(_u32.pack(len(b)) + b for b in shared))
    parents_at = pos
    yield out(_u32.pack(len(above)) + b"".join(_u16.pack(len(k)) + k for k in sorted(above)))
    files_at = pos
    yield out(files)
    yield out(struct.pack("!QQQQ", offsets_at, shared_at, parents_at, files_at))
    yield digest.digest() + _END


def write_image(
    path: Path, pieces: Iterable[bytes], stop: Callable[[], bool] | None = None
) -> None:
    """Write an image atomically and durably (temporary file, fsync, rename, fsync
    the folder): a crash leaves the old image or the new one, never a torn one.
    ``stop`` is asked now and then: True gives up (:class:`ImageError`), leaving no file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            for n, piece in enumerate(pieces):
                if stop is not None and not n % 4096 and stop():
                    raise ImageError(f"{path}: not written: stopping")
                f.write(piece)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


# ------------------------------------------------------------------ reading


class Image:
    """One image file, mapped read-only: its meta, node records and index.

    Raises :class:`ImageError` for a file that is not a whole image of this format
    (``check``: its SHA-256 too, which reads every page of it)."""

    def __init__(self, path: Path, *, check: bool = True) -> None:
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < len(_MAGIC) + 4 + _TRAILER:
                    raise ImageError(f"{self.path}: torn ({size} bytes)")
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise ImageError(f"{self.path}: {exc.strerror or exc}") from None
        buf = self._map
        end = size - _TRAILER
        if buf[: len(_MAGIC)] != _MAGIC:
            raise ImageError(f"{self.path}: not an image of format {IMAGE_FORMAT}")
        if buf[size - len(_END) :] != _END:
            raise ImageError(f"{self.path}: torn (no end mark)")
        if check:
            with memoryview(buf) as view, view[: end + 32] as body:
                if hashlib.sha256(body).digest() != buf[end + 32 : end + 64]:
                    raise ImageError(f"{self.path}: torn or altered (its digest differs)")
        (hlen,) = _u32.unpack_from(buf, len(_MAGIC))
        offsets_at, shared_at, parents_at, files_at = struct.unpack_from("!QQQQ", buf, end)
        try:
            self.meta: dict[str, Any] = json.loads(bytes(buf[12 : 12 + hlen]))
            if not isinstance(self.meta, dict):
                raise TypeError("the meta is not an object")
            if self.meta.get("format") != IMAGE_FORMAT:
                raise ImageError(f"{self.path}: format {self.meta.get('format')}")
            if self.meta.get("byteorder") != sys.byteorder:
                raise ImageError(
                    f"{self.path}: written on a {self.meta.get('byteorder')}-endian host"
                )
            count, origin = self.meta["nodes"], self.meta["origin"]
            if type(count) is not int or not isinstance(origin, str):
                raise TypeError("nodes or origin of another type")
            self.count = count
            self.origin = dns.name.from_text(origin)
        except (ValueError, KeyError, TypeError, dns.exception.DNSException) as exc:
            raise ImageError(f"{self.path}: unreadable header ({exc})") from None
        sections = (12 + hlen, offsets_at, shared_at - 8 * self.count, parents_at, files_at, end)
        if not sorted(sections) == list(sections) or offsets_at != sections[2]:
            raise ImageError(f"{self.path}: torn (sections)")
        self._offsets = memoryview(buf)[offsets_at:shared_at].cast("Q")
        self._shared_at: list[int] = []
        pos = shared_at + 4
        try:
            for _ in range(_u32.unpack_from(buf, shared_at)[0]):
                self._shared_at.append(pos + 4)
                pos += 4 + _u32.unpack_from(buf, pos)[0]
        except struct.error:
            raise ImageError(f"{self.path}: torn (shared sets)") from None
        if pos > parents_at:
            raise ImageError(f"{self.path}: torn (shared sets)")
        self._parents_at = parents_at
        self._files = (files_at, end)
        self._shared: dict[int, dns.rdataset.Rdataset] = {}

    def same(self, other: Image) -> bool:
        """Whether ``other`` maps the same image (each written image has an id of its own)."""
        return other is self or (
            other.path == self.path and self.meta.get("image") == other.meta.get("image")
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to a worker process (cid/server/_workers.py): it maps the same file,
        # named by its digest so that a newer image never stands in for it.
        return (_reopen, (str(self.path), self.meta.get("image")))

    # --------------------------------------------------------- the index

    def key_at(self, index: int) -> bytes:
        pos = self._offsets[index]
        (n,) = _u16.unpack_from(self._map, pos)
        return self._map[pos + 2 : pos + 2 + n]

    def find(self, key: bytes) -> int:
        """The index of the record with ``key``, or -1."""
        i = bisect_left(range(self.count), key, key=self.key_at)
        return i if i < self.count and self.key_at(i) == key else -1

    def find_name(self, rel: dns.name.Name) -> int:
        """The index of the record of ``rel`` (relative to the origin), or -1."""
        return self.find(_key(rel.labels))

    def descriptor(self, index: int) -> bytes:
        """The signed bytes of record ``index``'s descriptor (TYPE65280)."""
        found = self.published(index)
        if found is None:
            raise ImageError(f"{self.path}: record {index} holds no descriptor")
        return found

    def published(self, index: int) -> bytes | None:
        """The signed bytes of the descriptor at record ``index``, if one is there."""
        for rds in self.node(index).rdatasets:
            if rds.rdtype == _DESCRIPTOR and len(rds) == 1:
                return bytes(next(iter(rds)).data)
        return None

    def node_keys(self) -> Iterator[bytes]:
        """Every node's key, in order."""
        return map(self.key_at, range(self.count))

    def cuts(self) -> list[dns.name.Name]:
        """The zone's cuts (absolute names): the names other than the origin with NS."""
        return [dns.name.from_text(c, origin=self.origin) for c in self.meta.get("cuts", [])]

    def parents(self) -> Iterator[bytes]:
        """The key of every name with a name below it."""
        buf, pos = self._map, self._parents_at
        (count,) = _u32.unpack_from(buf, pos)
        pos += 4
        for _ in range(count):
            (n,) = _u16.unpack_from(buf, pos)
            yield buf[pos + 2 : pos + 2 + n]
            pos += 2 + n

    def files(self) -> bytes:
        """The listing of the per-record files the image was made from."""
        return self._map[self._files[0] : self._files[1]]

    def is_static(self, index: int) -> bool:
        pos = self._offsets[index]
        (n,) = _u16.unpack_from(self._map, pos)
        return bool(self._map[pos + 2 + n] & _FLAG_STATIC)

    # --------------------------------------------------------- decoding

    def name(self, index: int) -> dns.name.Name:
        """The relative owner name of record ``index``, as spelled in the zone."""
        buf = self._map
        pos = self._offsets[index]
        (n,) = _u16.unpack_from(buf, pos)
        wire = buf[pos + 2 : pos + 2 + n]
        pos += 2 + n
        if buf[pos] & _FLAG_SPELLED:
            (m,) = _u16.unpack_from(buf, pos + 1)
            wire = buf[pos + 3 : pos + 3 + m]
        return new_name(_labels(wire))

    def node(self, index: int) -> dns.node.Node:
        """Record ``index`` as a new dnspython node (the caller's to change)."""
        buf = self._map
        pos = self._offsets[index]
        (n,) = _u16.unpack_from(buf, pos)
        pos += 2 + n
        if buf[pos] & _FLAG_SPELLED:
            (m,) = _u16.unpack_from(buf, pos + 1)
            pos += 2 + m
        sets = buf[pos + 1]
        pos += 2
        node = dns.node.Node()  # type: ignore[no-untyped-call]
        descriptor = b""
        for _ in range(sets):
            kind = buf[pos]
            if kind == _TXT_COPY:
                (ttl,) = _u32.unpack_from(buf, pos + 1)
                pos += 5
                rds = dns.rdataset.Rdataset(_IN, _TXT, ttl=ttl)
                rds.items[_txt_copy(descriptor)] = None
            elif kind == _SHARED:
                _, ttl, i = _shared_head.unpack_from(buf, pos)
                pos += _shared_head.size
                rds = self._shared_set(i).copy()  # type: ignore[no-untyped-call]
                rds.ttl = ttl
            else:
                _, rdtype, covers, ttl, count = _set_head.unpack_from(buf, pos)
                pos += _set_head.size
                rds = dns.rdataset.Rdataset(_IN, rdtype, covers, ttl)
                pos = _read_rdata(buf, pos, count, rds, self.origin)
                if rdtype == _DESCRIPTOR and count == 1:
                    descriptor = next(iter(rds)).data
            node.rdatasets.append(rds)
        return node

    def _shared_set(self, index: int) -> dns.rdataset.Rdataset:
        found = self._shared.get(index)
        if found is None:
            pos = self._shared_at[index]
            rdtype, covers, count = struct.unpack_from("!HHH", self._map, pos)
            found = dns.rdataset.Rdataset(_IN, rdtype, covers)
            _read_rdata(self._map, pos + 6, count, found, self.origin)
            self._shared[index] = found
        return found


def _read_rdata(buf: mmap.mmap, pos: int, count: int, rds: dns.rdataset.Rdataset,
                origin: dns.name.Name) -> int:  # fmt: skip
    for _ in range(count):
        (n,) = _u16.unpack_from(buf, pos)
        pos += 2
        rd = dns.rdata.from_wire(_IN, rds.rdtype, buf[pos : pos + n], 0, n, origin=None)
        rds.items[rd] = None
        pos += n
    return pos


def _txt_copy(data: bytes) -> TxtCopy:
    rd = object.__new__(TxtCopy)
    for attr, value in (("rdclass", _IN), ("rdtype", _TXT), ("rdcomment", None), ("signed", data)):
        object.__setattr__(rd, attr, value)
    return rd


def _reopen(path: str, digest: str | None) -> Image:
    image = Image(Path(path), check=False)
    if image.meta.get("image") != digest:
        raise ImageError(f"{path}: another image than the one sent")
    return image


# ------------------------------------------------------------------ the nodes


class ImageNodes(MutableMapping[dns.name.Name, dns.node.Node]):
    """A zone's nodes (relative names): the image's, decoded when asked for, under an
    overlay of nodes written since (None: deleted). Copies share the image."""

    __slots__ = ("image", "overlay")

    def __init__(
        self, image: Image, overlay: dict[dns.name.Name, dns.node.Node | None] | None = None
    ) -> None:
        self.image = image
        self.overlay: dict[dns.name.Name, dns.node.Node | None] = overlay or {}

    def _index(self, name: dns.name.Name) -> int:
        return self.image.find(_key(name.labels))

    def get(self, name: dns.name.Name, default: Any = None) -> Any:
        if name in self.overlay:
            found = self.overlay[name]
            return default if found is None else found
        i = self._index(name)
        return default if i < 0 else self.image.node(i)

    def __getitem__(self, name: dns.name.Name) -> dns.node.Node:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found  # type: ignore[no-any-return]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, dns.name.Name):
            return False
        if name in self.overlay:
            return self.overlay[name] is not None
        return self._index(name) >= 0

    def __setitem__(self, name: dns.name.Name, node: dns.node.Node) -> None:
        self.overlay[name] = node

    def __delitem__(self, name: dns.name.Name) -> None:
        if name not in self:
            raise KeyError(name)
        if self._index(name) >= 0:
            self.overlay[name] = None
        else:
            del self.overlay[name]

    def __iter__(self) -> Iterator[dns.name.Name]:
        image, overlay = self.image, self.overlay
        for i in range(image.count):
            name = image.name(i)
            if overlay.get(name, True) is not None:
                yield name
        for name, node in overlay.items():
            if node is not None and self._index(name) < 0:
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def items(self) -> _Items:
        return _Items(self)

    def copy(self) -> ImageNodes:
        return ImageNodes(self.image, dict(self.overlay))

    def __reduce__(self) -> tuple[Any, ...]:
        return (ImageNodes, (self.image, self.overlay))


class _Items(ItemsView[dns.name.Name, dns.node.Node]):
    """The items in one pass over the records (no lookup per name)."""

    _mapping: ImageNodes

    def __iter__(self) -> Iterator[tuple[dns.name.Name, dns.node.Node]]:
        nodes = self._mapping
        image, overlay = nodes.image, nodes.overlay
        for i in range(image.count):
            name = image.name(i)
            if name in overlay:
                found = overlay[name]
                if found is not None:
                    yield name, found
            else:
                yield name, image.node(i)
        for name, node in overlay.items():
            if node is not None and nodes._index(name) < 0:
                yield name, node


def copy_nodes(
    nodes: MutableMapping[dns.name.Name, dns.node.Node],
) -> MutableMapping[dns.name.Name, dns.node.Node]:
    """A shallow copy of a zone's nodes that shares every node: the image's too."""
    if isinstance(nodes, ImageNodes):
        return nodes.copy()
    return dict(nodes)


def changed_nodes(
    old: Mapping[dns.name.Name, dns.node.Node], new: Mapping[dns.name.Name, dns.node.Node]
) -> tuple[dict[dns.name.Name, dns.node.Node], list[dns.name.Name]]:
    """The nodes of ``new`` not shared (by identity) with ``old``, and the names gone:
    for two versions over the same image, from their overlays alone."""
    if isinstance(old, ImageNodes) and isinstance(new, ImageNodes) and old.image.same(new.image):
        names = old.overlay.keys() | new.overlay.keys()
        changed = {}
        gone = []
        for name in names:
            a, b = old.get(name), new.get(name)
            if b is None:
                if a is not None:
                    gone.append(name)
            elif a is not b:
                changed[name] = b
        return changed, gone
    changed = {name: node for name, node in new.items() if old.get(name) is not node}
    return changed, [name for name in old if name not in new]
