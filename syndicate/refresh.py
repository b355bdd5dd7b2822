"""Bring the index in line with the source folder: parse what changed, drop what went.

Split like a decider and a pipeline: :func:`compare` is pure — given the files the
walk found and the index's stored stats, it decides what to reuse, what to re-check
and what to parse — and :func:`refresh` does the I/O: it re-checks racy entries, reads
and parses files (in worker processes when there are many, via
:func:`syndicate.pool.pool_map`) and stores the records, all inside the caller's
index transaction.

A file whose size and mtime match its index entry is not read; a *racy* entry (its
mtime was too close to the moment it was read to prove anything, see
:mod:`syndicate.index`) is re-read and its content hash compared instead.

The listing digest skips even the comparison: a run that leaves every indexed entry
equal to what the walk found (same path, size and mtime, none racy, nothing left to
retry) stores a digest of that walk (:func:`listing_digest`) in the index, and a later
walk with the same digest proves the index current without reading a row of it. At a
million files the sort and merge of :func:`compare` cost about half as much again as
the walk itself; the digest costs a few percent of it.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import math
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from syndicate.clock import file_clock_ns
from syndicate.codec import RACY_WINDOW_NS, Entry, content_hash, encode
from syndicate.config import SourceConfig
from syndicate.index import FileRow, Index, StoredStat, entry_row
from syndicate.index_rows import patch_warnings
from syndicate.model import Rejection, Warned
from syndicate.pool import pool_map, worker_count
from syndicate.progress import Progress
from syndicate.source import (
    NON_UTF8_NAME,
    Found,
    open_store,
    read_article,
    read_bytes,
    source_key,
)

log = logging.getLogger(__name__)

# Paths per worker task: big enough to amortise pickling, small enough to balance.
MAX_CHUNK = 400
# Parse chunks in flight per worker: enough that a worker never waits for the parent,
# few enough that finished chunks do not pile up in the parent's memory.
IN_FLIGHT = 4
# The index's meta key for the digest of the walk it is known to match (None: unproven).
LISTING = "listing"
# Entries per marshal chunk of the digest: bounds the bytes held at once (~100 B each).
_DIGEST_CHUNK = 65536
# At most this many files parsed in a run are checked against the walk so that the run
# can store its digest; after a bigger change (a cold build) the next no-change run,
# which compares anyway, stores it.
PROVE_LIMIT = 10_000
# RefreshStats.written lists at most this many paths (a watcher's memo needs a few).
WRITTEN_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Changes:
    """What :func:`compare` decided. Paths are index keys except in ``to_parse``,
    which holds the names to open (a name that is not UTF-8 is opened by its raw name
    and stored under its escaped key)."""

    found: int  # files the walk found
    to_parse: tuple[str, ...]  # new or changed files, in key order
    to_verify: tuple[Found, ...]  # racy entries with a matching stat: compare content
    gone: tuple[str, ...]  # indexed paths no longer found
    reused: int  # entries whose stat proves them current
    empty_index: bool  # nothing was stored: every file is new (a cold build)
    raw_names: dict[str, str]  # index key -> name to open, for names that are not UTF-8


@dataclass(frozen=True, slots=True)
class RefreshStats:
    found: int
    parsed: int
    reused: int
    deleted: int
    listing: bytes | None = None  # the listing digest the index now provably matches
    warnings: tuple[Warned, ...] | None = None  # the kept copy as stored, when known
    # The index keys stored or deleted (None: more than WRITTEN_LIMIT, not listed).
    written: frozenset[str] | None = frozenset()


def compare(found: list[Found], stored: Iterable[StoredStat]) -> Changes:
    """Decide, without I/O, what a refresh must do. ``stored`` must come in path
    order; ``found`` is sorted here (in place: a merge of two path-ordered lists, so
    memory holds the walk only, not a second table of every indexed file)."""
    # Names that are not UTF-8 are indexed under their escaped key; the raw name is
    # what the reader is given (it rejects the file, naming it by the key).
    raw_of: dict[str, str] = {}
    for i, (rel, size, mtime_ns) in enumerate(found):
        if not rel.isascii():
            key = source_key(rel)
            if key != rel:
                raw_of[key] = rel
                found[i] = (key, size, mtime_ns)
    found.sort()
    to_parse: list[str] = []
    gone: list[str] = []
    verify: list[Found] = []
    reused = 0
    indexed = iter(stored)
    held, held_size, held_mtime, racy = next(indexed, _END)
    empty = held is None
    for f in found:
        rel, size, mtime_ns = f
        while held is not None and held < rel:
            gone.append(held)
            held, held_size, held_mtime, racy = next(indexed, _END)
        if held == rel:
            same, was_racy = size == held_size and mtime_ns == held_mtime, racy
            held, held_size, held_mtime, racy = next(indexed, _END)
            if same:
                if not was_racy:
                    reused += 1
                    continue
                verify.append(f)
                continue
        to_parse.append(raw_of.get(rel, rel))
    while held is not None:
        gone.append(held)
        held, held_size, held_mtime, racy = next(indexed, _END)
    return Changes(len(found), tuple(to_parse), tuple(verify), tuple(gone), reused, empty,
                   raw_of)


_END: tuple[None, int, int, int] = (None, 0, 0, 0)


def listing_digest(found: list[Found]) -> bytes:
    """A digest of the walk, in the walk's order. Equal digests mean equal listings
    (path, size and mtime of every file); the same files listed in another order give
    another digest, which only costs that run a full comparison. marshal version 2:
    no back-references, so equal lists always give equal bytes."""
    digest = hashlib.blake2b(digest_size=20, person=b"syndicate-walk")
    for start in range(0, len(found), _DIGEST_CHUNK):
        digest.update(marshal.dumps(found[start:start + _DIGEST_CHUNK], 2))
    return digest.digest()


def refresh(index: Index, source: SourceConfig, *, jobs: int, parallel_threshold: int,
            progress: bool, changed: Collection[str] | None = None,
            warnings: tuple[Warned, ...] | None = None) -> RefreshStats:
    """Walk the source (folder or bucket, see :func:`syndicate.source.open_store`) and
    bring the index in line with it (inside the caller's transaction). Raises
    SourceMissing / OSError for the folder itself, RemoteError for a bucket.

    ``changed``: the only paths that may differ from the index (a watcher's events);
    then only they are stat'ed and compared, and every other entry stands as indexed.
    The decisions are :func:`compare`'s either way, so a watched build and a walked
    one of the same files store the same records. ``warnings``: the kept copy of every
    warning as the index holds it, when the caller knows it (a watcher's memo)."""
    store = open_store(source)
    digest: bytes | None = None
    if changed is None:
        found = store.discover()
        digest = listing_digest(found)
        if index.get_meta(LISTING) == digest:
            # The index holds exactly this listing, proven when it was stored: nothing
            # to read, compare or delete.
            log.debug("index: listing digest unchanged; %d files current", len(found))
            return RefreshStats(len(found), 0, len(found), 0, digest, warnings)
        changes = compare(found, index.iter_stats())
    else:
        found = store.stat_paths(changed)
        indexed, total = index.stats_of(source_key(rel) for rel in changed)
        changes = compare(found, indexed)
        # Every other entry stands: the total moves by what came and went.
        total += changes.found - (len(indexed) - len(changes.gone)) - len(changes.gone)
    to_parse = list(changes.to_parse)
    reused = changes.reused
    listing: bytes | None = None
    changed_racy = still_racy = False
    for rel, size, mtime_ns in changes.to_verify:
        stored = index.content_hash_of(rel)
        data = store.read_regular(rel) if stored else None
        if data is not None and content_hash(data) == stored:
            # The bytes we parsed: the record stands, the stat moves on.
            racy = mtime_ns + RACY_WINDOW_NS > file_clock_ns()
            index.mark_verified(rel, size, mtime_ns, racy)
            still_racy = still_racy or racy
            reused += 1
        else:
            # Not read by us (symlink, oversized...) or changed: parse again.
            to_parse.append(changes.raw_names.get(rel, rel))
            changed_racy = True
    if changed_racy:
        to_parse.sort(key=source_key)  # index key order, as compare() left the rest
    expected = _expected(found, to_parse) if digest is not None and not still_racy else None
    del found
    deleted = index.delete(changes.gone)
    parsed = 0
    if to_parse:
        bar = Progress(len(to_parse), enabled=progress)
        try:
            for rows in store.parse(to_parse, jobs=jobs, threshold=parallel_threshold,
                                    on_progress=bar.advance):
                parsed += index.put_rows(rows, fresh=changes.empty_index)
                if expected is not None and not _as_walked(rows, expected):
                    expected = None
        finally:
            bar.close()
    if changed is None:
        total = changes.found
    else:
        reused = total - parsed
    # The kept copy of every warning, brought in line in this transaction.
    warnings = patch_warnings(index, to_parse, changes.gone, key=source_key, kept=warnings)
    if expected is not None or to_parse or changes.to_verify or changes.gone:
        # A watched build never walks: whatever it wrote, the stored digest no longer
        # proves anything (None). A walked one stores its digest once proven.
        index.set_meta(LISTING, digest if expected is not None else None)
        listing = digest if expected is not None else None
    if parsed or deleted or changed is None:
        index.set_file_count(total)
    written = None if len(to_parse) + len(changes.gone) > WRITTEN_LIMIT else frozenset(
        {*map(source_key, to_parse), *changes.gone})
    stats = RefreshStats(total, parsed, reused, deleted, listing, warnings, written)
    log.debug("index: %d files, %d parsed, %d reused, %d deleted",
              stats.found, stats.parsed, stats.reused, stats.deleted)
    return stats


def _expected(found: list[Found], to_parse: list[str]) -> dict[str, tuple[int, int]] | None:
    """The walk's stat of each file about to be parsed (by index key), or None when
    they are too many to be worth checking (see :data:`PROVE_LIMIT`)."""
    if len(to_parse) > PROVE_LIMIT:
        return None
    keys = {source_key(rel) for rel in to_parse}
    return {rel: (size, mtime_ns) for rel, size, mtime_ns in found if rel in keys}


def _as_walked(rows: Sequence[FileRow], expected: dict[str, tuple[int, int]]) -> bool:
    """Every row was stored with the stat the walk saw, not racy, not to be retried:
    the index entry matches the walk's listing as an unchanged file's would."""
    return all(not r[3] and r[1] >= 0 and expected.get(r[0]) == (r[1], r[2]) for r in rows)


# --- parsing ---------------------------------------------------------------------------

class ParseTask(NamedTuple):
    folder: str
    rels: list[str]
    max_bytes: int


def parse_files(source: SourceConfig, rels: Sequence[str], *, jobs: int, threshold: int,
                on_progress: Callable[[int], None]) -> Iterator[list[FileRow]]:
    """Parsed entries in chunks, in the order of ``rels`` (so merging is deterministic),
    in worker processes when there are at least ``threshold`` files."""
    folder = str(source.folder)
    max_bytes = source.max_file_bytes
    workers = min(worker_count(jobs), max(1, len(rels) // 50))
    if workers <= 1 or len(rels) < threshold:
        workers, size = 1, MAX_CHUNK
    else:
        size = max(20, min(MAX_CHUNK, math.ceil(len(rels) / (workers * 4))))
    tasks = (ParseTask(folder, list(rels[i:i + size]), max_bytes)
             for i in range(0, len(rels), size))
    for rows in pool_map(parse_chunk, tasks, workers=workers, window=IN_FLIGHT):
        on_progress(len(rows))
        yield rows


def parse_chunk(task: ParseTask) -> list[FileRow]:
    """Parse some files (in a worker process, or inline). Rows, not Entry dataclasses:
    the parent unpickles every one of them, and plain tuples of str/bytes/int load
    several times faster."""
    return [entry_row(parse_one(task.folder, rel, task.max_bytes)) for rel in task.rels]


def parse_one(folder: str, rel: str, max_bytes: int) -> Entry:
    """Read, parse and encode one file. Never raises for anything about the file.

    The common case — a plain regular file within the size limit — is read by
    :func:`syndicate.source.read_bytes`, so the content hash is of the very bytes
    parsed. Everything else goes to :func:`syndicate.source.read_article`, whose
    Rejection messages are the project's; such entries carry size -1 when their stat
    is unknown, which never matches, so they are retried every run.
    """
    # Imported here, not at the top: a build that parses nothing (no change) never loads
    # the YAML machinery. Once loaded, this costs a dictionary lookup per file.
    from syndicate.articles import parse_article

    file = f"{folder}/{rel}"  # a str: a Path per file costs as much as reading it
    key = source_key(rel)
    if key != rel:
        size, mtime_ns = _stat(file)
        return encode(Rejection(key, NON_UTF8_NAME, None, None), size=size,
                      mtime_ns=mtime_ns, data=None, read_at_ns=file_clock_ns())
    got = read_bytes(file, max_bytes)
    read_at = file_clock_ns()
    data = got.data
    if data is None or len(data) > max_bytes:
        size, mtime_ns = (-1, -1) if got.retry else _stat(file)
        return encode(read_article(Path(file), rel, max_bytes=max_bytes), size=size,
                      mtime_ns=mtime_ns, data=None, read_at_ns=read_at)
    return encode(parse_article(data, rel), size=got.size, mtime_ns=got.mtime_ns, data=data,
                  read_at_ns=read_at)


def _stat(file: str) -> tuple[int, int]:
    try:
        st = os.stat(file)
    except OSError:
        return -1, -1
    return st.st_size, st.st_mtime_ns
