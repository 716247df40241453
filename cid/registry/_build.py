"""Signing a zone's sources into descriptor files, the bulk of ``Registry.build``: the
step for one source (read, check, sign if needed) and, for large zones, a process
pool that runs it on every core, each worker writing its files durably itself.

Both paths run the same step, so they write the same bytes (Ed25519 is
deterministic); ``tests/cid/registry/test_build.py`` holds them together.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from .._cose import HEADER_KID
from .._descriptor import Delegation, Descriptor, encode_payload
from .._descriptor_json import descriptor_from_json
from .._errors import CidError
from .._identifier import parse
from .._keys import SigningKey, VerifyKey
from .._signed import decode_unverified, sign, verify
from ..atomic import AtomicWriter

__all__ = [
    "POOL_MIN",
    "SourceError",
    "ZoneSigning",
    "default_workers",
    "file_name",
    "listing",
    "next_record",
    "old_record",
    "read_json",
    "sign_sources",
    "signer_kid",
    "start_pool",
]

POOL_MIN: Final = 1000  # fewer sources are signed in-process: a pool takes ~1 s to start
_CHUNK: Final = 250  # sources per task: few round trips, progress still smooth
WORKER_THREADS = 8  # each worker's writing threads: fsyncs in flight


class SourceError(CidError):
    """A source or registry file that cannot be read or is not a valid descriptor
    (the message starts with its path)."""


@dataclass(frozen=True, slots=True)
class ZoneSigning:
    """What signing one zone's sources needs, as paths and values: a worker process
    loads the keys itself (a :class:`SigningKey` is never pickled)."""

    folder: Path  # zones/<zone>
    key_file: Path  # the key that signs
    pub_files: tuple[Path, ...]  # the zone's active keys, to read old records
    now: int
    valid_for: int


@dataclass(frozen=True, slots=True)
class _Loaded:
    """A zone's keys, and the names in its descriptors/ when they were read (a new
    record's file is not looked for: there is none)."""

    key: SigningKey
    keys: list[VerifyKey]
    existing: frozenset[str]
    descriptors: str  # the folder

    @classmethod
    def load(cls, job: ZoneSigning) -> _Loaded:
        descriptors = job.folder / "descriptors"
        return cls(
            SigningKey.load(job.key_file),
            [VerifyKey.load(p) for p in job.pub_files],
            frozenset(listing(descriptors, ".cose")),
            os.fspath(descriptors),
        )


def read_json(path: str | Path) -> Any:
    """The JSON value in ``path``; :class:`SourceError` naming the file if it cannot be read."""
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: unreadable: {exc}") from None


def listing(folder: Path, suffix: str) -> list[str]:
    """The names in ``folder`` ending in ``suffix``, sorted (as ``sorted(glob("*" + suffix))``
    orders them; none if there is no folder). One ``scandir``, no path objects."""
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries if e.name.endswith(suffix))
    except (FileNotFoundError, NotADirectoryError):
        return []


def file_name(subject: str) -> str:
    """The identifier's DNS name without a root: at most 189 characters (identifier spec §8)."""
    return parse(subject).to_dns_name("").rstrip(".")


def old_record(path: str | Path, keys: list[VerifyKey], now: int, check: Any) -> Any:
    """The record last published at ``path`` if it still verifies (times aside)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    try:
        return check(data, keys, now=now, skew=0)
    except CidError:
        return _unverified_version(data)


def signer_kid(path: str | Path) -> bytes | None:
    """The kid in the protected header of the record at ``path``, if it can be read."""
    try:
        with open(path, "rb") as f:
            header = decode_unverified(f.read())[0]
    except (OSError, CidError):
        return None
    kid = header.get(HEADER_KID)
    return kid if isinstance(kid, bytes) else None


def _unverified_version(data: bytes) -> Any:
    # An expired or unreadable old record: keep only its version, so that a new
    # one is signed above it (rollback protection holds across rebuilds).
    try:
        return decode_unverified(data)[1]
    except CidError:
        return None


def next_record(
    rec: Descriptor | Delegation,
    old: Descriptor | Delegation | None,
    now: int,
    valid_for: int,
    explicit_version: bool,
    resign: bool = False,
) -> Descriptor | Delegation | None:
    """What to sign in place of ``old``: None to keep the published bytes."""
    if old is None:
        return rec
    same = encode_payload(
        replace(
            rec,
            version=old.version,
            issued_at=old.issued_at,
            not_before=old.not_before,
            expires=old.expires,
        )
    ) == encode_payload(old)
    if same and old.expires - now > valid_for // 2 and old.not_before <= now and not resign:
        return None  # unchanged and fresh: keep the published bytes
    version = max(old.version + 1, rec.version if explicit_version else 0)
    return replace(rec, version=version)


def _sign_source(job: ZoneSigning, keys: _Loaded, source: str) -> tuple[str, bytes | None]:
    """The descriptor file name of one source and, if it needs signing, its new bytes.
    (Paths as text: a build makes hundreds of thousands.)"""
    spec = read_json(source)
    try:
        rec = descriptor_from_json(spec, job.now, job.valid_for)
    except CidError as exc:
        raise SourceError(f"{source}: {exc}") from None
    name = f"{file_name(rec.subject)}.cose"
    old, resign = None, False
    if name in keys.existing:
        out = os.path.join(keys.descriptors, name)
        old = old_record(out, keys.keys, job.now, verify)
        # §7.8: with several active keys, a record by another one is re-signed by this one.
        resign = len(keys.keys) > 1 and signer_kid(out) not in (None, keys.key.kid)
    new = next_record(rec, old, job.now, job.valid_for, "version" in spec, resign)
    return name, None if new is None else sign(new, keys.key)


Step = tuple[Path, Path, bool]  # source, descriptor file, written


def sign_sources(
    job: ZoneSigning,
    sources: Sequence[str],
    writer: AtomicWriter,
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[Step]:
    """Sign the sources (names in ``sources/``) that need it; yield each, in order, once
    its file is written (durable once ``writer`` closes). With a ``pool`` (see
    :func:`start_pool`) and at least :data:`POOL_MIN` sources, its workers sign and write."""
    if pool is not None and len(sources) >= POOL_MIN:
        yield from _pooled(job, sources, writer, pool)
        return
    keys = _Loaded.load(job)
    folder, out = job.folder / "sources", job.folder / "descriptors"
    for name in sources:
        source = folder / name
        written, data = _sign_source(job, keys, os.fspath(source))
        if data is not None:
            writer.write(os.path.join(keys.descriptors, written), data)
        yield source, out / written, data is not None


# ------------------------------------------------------------- the pool

_worker_keys: dict[ZoneSigning, _Loaded] = {}
_worker_writer: list[AtomicWriter] = []  # made in the worker, after the fork


def _sign_chunk(job: ZoneSigning, names: list[str]) -> tuple[list[tuple[str, bool]], str | None]:
    """In a worker: sign and write a run of sources. Returns (descriptor file name,
    written) for each done, each file whole in place and its data fsync'd, and the
    message of a :class:`SourceError` that stopped it."""
    keys = _worker_keys.get(job)
    if keys is None:
        _worker_keys.clear()  # one zone at a time
        keys = _worker_keys[job] = _Loaded.load(job)
    if not _worker_writer:
        _worker_writer.append(AtomicWriter(WORKER_THREADS))  # overlaps the disk's waits
    writer = _worker_writer[0]
    folder = os.fspath(job.folder / "sources")
    done: list[tuple[str, bool]] = []
    fault = None
    for name in names:
        try:
            written, data = _sign_source(job, keys, os.path.join(folder, name))
        except SourceError as exc:
            fault = str(exc)
            break
        if data is not None:  # fsync'd before its rename; the folder by the parent
            writer.write(os.path.join(keys.descriptors, written), data)
        done.append((written, data is not None))
    writer.flush()  # each file reported is in place
    return done, fault


def start_pool(workers: int, sizes: Iterable[int]) -> ProcessPoolExecutor | None:
    """``workers`` processes, forked now, for zones of ``sizes`` sources; None when none
    is needed (no zone of :data:`POOL_MIN` sources, one worker) or they cannot be
    forked safely (the caller has threads of its own, whose locks a child could inherit
    held). Call it before any writing starts threads of this process."""
    if workers <= 1 or max(sizes, default=0) < POOL_MIN:
        return None
    if threading.active_count() > 1 or "fork" not in _methods():
        return None
    # fork, not spawn: a spawned worker would run the caller's main script again.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    pool.submit(int).result()  # forks every worker now, while this is the only thread
    return pool


def _methods() -> list[str]:
    return multiprocessing.get_all_start_methods()


def _pooled(
    job: ZoneSigning, sources: Sequence[str], writer: AtomicWriter, pool: ProcessPoolExecutor
) -> Iterator[Step]:
    writer.add_folder(job.folder / "descriptors")  # the workers' renames, fsync'd at close
    src = job.folder / "sources"
    out = job.folder / "descriptors"
    futures: list[Future[tuple[list[tuple[str, bool]], str | None]]] = [
        pool.submit(_sign_chunk, job, list(sources[i : i + _CHUNK]))
        for i in range(0, len(sources), _CHUNK)
    ]
    try:
        for start, future in zip(range(0, len(sources), _CHUNK), futures, strict=True):
            done, fault = future.result()
            for name, (written_name, written) in zip(sources[start:], done, strict=False):
                yield src / name, out / written_name, written
            if fault is not None:
                raise SourceError(fault)
    finally:
        for future in futures:
            future.cancel()  # after a fault: start no more
        for future in futures:
            if not future.cancelled():
                future.exception()  # and let those under way end before the caller goes on


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
