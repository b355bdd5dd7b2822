"""The incremental index: parsed records of every source file, in SQLite.

One file, ``<state folder>/index.sqlite``, written by one build at a time (the build
lock) in a single transaction with SQLite's default rollback journal, so ``kill -9``
at any moment leaves either the previous or the next complete index (SQLite rolls a
hot journal back on the next open).

What is stored, per source file (table ``files``, keyed by the POSIX path relative to
the source folder):

- ``size``, ``mtime_ns`` as stat saw them before the file was read, and ``chash``, a
  BLAKE2b digest of the bytes that were parsed;
- ``racy``: 1 when the file's mtime was within :data:`RACY_WINDOW_NS` of the moment
  it was read, or in the future. Such an mtime cannot prove the file is unchanged
  (a second write inside the same timestamp tick keeps size and mtime), so the next
  run re-reads a racy file and compares its content hash instead of trusting stat.
  This is git's "racily clean" rule;
- ``kind`` (0 Article, 1 Rejection) and the record itself as two ``marshal`` blobs of
  plain types: ``light`` (what selection needs: link, times, quality, flags,
  provider, topics, warnings) and ``body`` (text, images, related links, embed). Selection
  runs over light records only; full records are decoded just for the items that go
  into the feeds, so memory does not grow with the whole corpus;
- ``digest``: BLAKE2b of ``light`` + ``body``, checked whenever a full record is
  decoded, and used in feed fingerprints.

Besides the record blobs, each row carries the *selection columns* derived once at
parse time (``dkey``: the dedupe key of a published article's link, ``ureason``: why
it is unpublished, ``quality``, ``tflags``, ``link``, ``pub_us`` and the topic and
provider views): selection reads those plain columns and never re-derives or decodes
a record it does not put in a feed. Table ``outcomes`` holds the last build's
accounting, in chunks of :data:`OUTCOME_CHUNK` rows.

Table ``meta`` holds the schema number, the syndicate version, the reader-rules number
(:data:`READER_RULES`), the *read key* (a hash of everything in the config that changes
how files are read) and a generation counter bumped whenever ``files`` changes. A
different schema, version, reader rules or read key makes the index stale: it is discarded and rebuilt. A file that is not a SQLite database, a
malformed one or a record that fails validation raises :class:`IndexCorrupt`; callers
log it and rebuild from scratch — a damaged index never produces different output.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import syndicate
from syndicate.model import Article, Image, Provider, Rejection, RelatedLink
from syndicate.select import Candidate, OutcomeRow, Row, dedupe_key, light_fields

log = logging.getLogger(__name__)

INDEX_FILE_NAME = "index.sqlite"
SCHEMA = 4
# The version of what a file parses to. BUMP IT whenever parsing or normalisation output
# changes for the same bytes (frontmatter, articles, the dedupe key, light_fields, the
# record codec's derived columns...): stored records were made by the old rules and
# would otherwise be reused until syndicate's own version changes.
# 1: dedupe_key normalises IDN hosts and unreserved percent-escapes; non-UTF-8 names.
# 2: related items keep their provider.
READER_RULES = 2
# Coarse file systems (FAT: 2 s, some network mounts: 1 s) round mtimes; anything
# modified this close to the moment we read it may change again without a new mtime.
RACY_WINDOW_NS = 2_000_000_000
# How long to wait for a reader (``syndicate explain``) to let go before writing; past
# it the index counts as locked and is rebuilt.
BUSY_TIMEOUT_SECONDS = 5.0
# Bits of ``files.tflags``.
TOPICS = 1
PROVIDER = 2
# Outcome rows per stored chunk: the accounting of a million files is never one blob.
OUTCOME_CHUNK = 20_000
# SQLite's default limit on host parameters is 999 in old builds; stay well below.
_CHUNK = 500

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

_SCHEMA_SQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE outcomes (seq INTEGER PRIMARY KEY, rows BLOB NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    racy INTEGER NOT NULL,
    chash BLOB NOT NULL,
    kind INTEGER NOT NULL,
    digest BLOB NOT NULL,
    lcheck BLOB NOT NULL,
    dkey TEXT,
    ureason TEXT,
    quality,
    tflags INTEGER,
    link TEXT,
    pub_us INTEGER,
    tview BLOB,
    pview BLOB,
    light BLOB,
    body BLOB NOT NULL
);
CREATE INDEX files_stat ON files (path, size, mtime_ns, racy);
CREATE INDEX files_dkey ON files (dkey) WHERE dkey IS NOT NULL;
"""


class IndexCorrupt(Exception):
    """The index file is unreadable, malformed or holds an invalid record."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One encoded record, ready to store (built in parse workers: plain data only)."""

    path: str
    size: int
    mtime_ns: int
    racy: bool
    chash: bytes
    kind: int
    light: bytes | None
    body: bytes
    digest: bytes
    lcheck: bytes
    dkey: str | None = None  # dedupe_key of the link, for published articles only
    ureason: str | None = None  # why an article is unpublished (None: published)
    quality: float | None = None
    tflags: int = 0  # TOPICS | PROVIDER: what feeds beside "all" it could be in
    link: str | None = None
    pub_us: int | None = None  # published, µs since the epoch
    tview: bytes | None = None  # marshalled ((topic key, spelling), ...)
    pview: bytes | None = None  # marshalled (provider domain, name) or None


# --- codec -------------------------------------------------------------------------

def _ts(value: datetime) -> int:
    return (value - _EPOCH) // _US


def _dt(value: object) -> datetime:
    if type(value) is not int:
        raise IndexCorrupt(f"bad timestamp {value!r}")
    return _EPOCH + timedelta(microseconds=value)


def content_hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def encode(record: Article | Rejection, *, size: int, mtime_ns: int, data: bytes | None,
           read_at_ns: int) -> Entry:
    """Encode ``record`` (parsed from ``data``, the bytes read) into an :class:`Entry`.

    ``data`` is None when the file was not read whole (too large, unreadable): its
    content hash is then empty and the entry is never racy-verified by content.
    """
    light: bytes | None
    dkey: str | None = None
    unpublished: str | None = None
    quality: float | None = None
    tflags = 0
    link: str | None = None
    pub_us: int | None = None
    tview: bytes | None = None
    pview: bytes | None = None
    if isinstance(record, Rejection):
        kind = 1
        light = None
        body = marshal.dumps((record.reason, record.line, record.column))
    else:
        kind = 0
        a = record
        provider = None if a.provider is None else (a.provider.name, a.provider.domain)
        # The selection view (unpublished reason, topic keys, provider key) and the
        # dedupe key are derived here, once per parse, so no rebuild derives them again.
        unpublished, topic_pairs, provider_key = light_fields(a)
        dkey = dedupe_key(a.link) if a.is_published else None
        quality = a.quality
        tflags = (TOPICS if topic_pairs else 0) | (PROVIDER if provider_key else 0)
        link, pub_us = a.link, _ts(a.published)
        tview, pview = marshal.dumps(topic_pairs), marshal.dumps(provider_key)
        light = marshal.dumps((a.link, _ts(a.published), _ts(a.updated), a.type, a.quality,
                               a.heat, a.is_published, provider, tuple(a.topics),
                               tuple(a.warnings), unpublished, topic_pairs, provider_key))
        body = marshal.dumps((a.title, a.excerpt,
                              tuple((i.url, i.width, i.height) for i in a.images),
                              tuple((r.url, r.title, None if r.provider is None
                                     else (r.provider.name, r.provider.domain))
                                    for r in a.related),
                              a.embed_url))
    digest = content_hash((light or b"") + body)
    racy = mtime_ns + RACY_WINDOW_NS > read_at_ns
    chash = content_hash(data) if data is not None else b""
    return Entry(record.path, size, mtime_ns, racy, chash, kind, light, body, digest,
                 light_check(light), dkey, unpublished, quality, tflags, link, pub_us, tview,
                 pview)


# An entry as the files table's columns, in INSERT order (see Index.put_rows).
FileRow = tuple[str, int, int, int, bytes, int, bytes, bytes, str | None, str | None,
            float | None, int, str | None, int | None, bytes | None, bytes | None,
            bytes | None, bytes]


def entry_row(e: Entry) -> FileRow:
    return (e.path, e.size, e.mtime_ns, int(e.racy), e.chash, e.kind, e.digest, e.lcheck,
            e.dkey, e.ureason, e.quality, e.tflags, e.link, e.pub_us, e.tview, e.pview,
            e.light, e.body)


def _row_view(r: FileRow) -> tuple[Any, ...]:
    """A row's selection view, as :meth:`Index.put_rows` reads it back from the columns
    (a rejection's view is its digest: its reason and position)."""
    return (r[5], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15],
            r[6] if r[5] == 1 else None)


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise IndexCorrupt(f"invalid record in index: {what}")


def light_check(light: bytes | None) -> bytes:
    """A short checksum of the light blob, verified on every read: selection reads
    every light record, so this must cost well under a microsecond."""
    return hashlib.blake2b(light or b"", digest_size=8).digest()


def _article(path: str, light: bytes | tuple[Any, ...], body: bytes | None) -> Article:
    """Rebuild an Article from blobs whose checksum was verified (``light`` may be
    given already unmarshalled). Any shape error left (an index written by a buggy
    build) is still reported as corruption, never raised as a crash."""
    try:
        (link, published, updated, type_, quality, heat, is_published, provider, topics,
         warnings, _unpublished, _topic_pairs, _provider_key) = (
            light if type(light) is tuple else marshal.loads(light))  # type: ignore[arg-type]
        title, excerpt, embed_url = "", "", None
        images: tuple[Image, ...] = ()
        related: tuple[RelatedLink, ...] = ()
        if body is not None:
            title, excerpt, raw_images, raw_related, embed_url = marshal.loads(body)
            images = tuple(Image(u, w, h) for u, w, h in raw_images)
            related = tuple(RelatedLink(u, t, None if p is None else Provider(*p))
                            for u, t, p in raw_related)
        return Article(path, link, title, excerpt, _dt(published), _dt(updated), type_,
                       quality, heat, is_published,
                       None if provider is None else Provider(*provider), topics, images,
                       related, embed_url, warnings)
    except (EOFError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None


def _light_fields(path: str, light: bytes) -> tuple[Any, ...]:
    try:
        fields = marshal.loads(light)
    except (EOFError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None
    _check(type(fields) is tuple and len(fields) == 13 and type(fields[1]) is int
           and type(fields[4]) in (int, float), f"{path}: light fields")
    assert isinstance(fields, tuple)
    return fields


# What selection carries into the feeds for one article read by Index.iter_rows:
# (path, light blob, light check, digest, quality, published µs, link, topic pairs,
# provider key) — the last five are the columns it was selected by.
ItemRef = tuple[str, bytes, bytes, bytes, float, int, str, tuple[tuple[str, str], ...],
                "tuple[str, str] | None"]


def item_article(ref: ItemRef) -> Article:
    """The light Article behind an :data:`ItemRef` (an article that made it into a
    feed): its light blob is checked against its checksum, and the selection columns it
    was chosen by against the blob."""
    path, light, check, _, quality, published, link, topics, provider = ref
    _check(light_check(light) == check, f"{path}: checksum mismatch")
    try:
        fields = marshal.loads(light)
    except (EOFError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None
    _check(type(fields) is tuple and len(fields) == 13 and fields[0] == link
           and fields[1] == published and fields[4] == quality and fields[6] is True
           and fields[11] == topics and fields[12] == provider,
           f"{path}: selection columns disagree with the record")
    return _article(path, fields, None)


def _rejection(path: str, body: object) -> Rejection:
    _check(type(body) is bytes, f"{path}: rejection blob")
    assert isinstance(body, bytes)
    try:
        reason, line, column = marshal.loads(body)
    except (EOFError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None
    _check(type(reason) is str and all(v is None or type(v) is int for v in (line, column)),
           f"{path}: rejection fields")
    return Rejection(path, reason, line, column)


def decode(path: str, kind: object, light: object, body: object, digest: object
           ) -> Article | Rejection:
    """The full record; raises :class:`IndexCorrupt` if anything does not check out."""
    _check(type(body) is bytes and (light is None or type(light) is bytes), f"{path}: blobs")
    assert isinstance(body, bytes) and (light is None or isinstance(light, bytes))
    _check(digest == content_hash((light or b"") + body), f"{path}: digest mismatch")
    if kind == 1:
        return _rejection(path, body)
    _check(kind == 0 and light is not None, f"{path}: kind")
    assert light is not None
    return _article(path, light, body)


# --- the database ---------------------------------------------------------------------

def read_key(source_folder: Path, patterns: Sequence[str], max_file_bytes: int) -> str:
    """A hash of the config parts that change what a file parses to or which files count."""
    raw = repr((str(source_folder), tuple(patterns), max_file_bytes))
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=16).hexdigest()


class Index:
    """An open index. Use :func:`open_index` or :func:`temporary_index`."""

    def __init__(self, conn: sqlite3.Connection, file: Path | None) -> None:
        self._conn = conn
        self.file = file
        self._dirty = False
        # Whether any record's selection view (what selection reads of it) changed in
        # this run: if not, the last build's selection still holds.
        self.views_changed = False

    # -- life cycle

    def close(self) -> None:
        self._conn.close()

    def begin(self) -> None:
        self._run("BEGIN IMMEDIATE")

    def bump_generation(self) -> int:
        """The generation after this run's file changes (bumped once if files changed)."""
        if self._dirty:
            self.set_meta("generation", self.generation() + 1)
            self._dirty = False
        return self.generation()

    def commit(self) -> None:
        """Commit the run's single transaction."""
        self.bump_generation()
        self._run("COMMIT")

    def rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None

    # -- meta

    def get_meta(self, key: str) -> Any:
        row = self._run("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return marshal.loads(row[0])
        except (EOFError, ValueError, TypeError) as exc:
            raise IndexCorrupt(f"index {self.file}: meta {key}: {exc}") from None

    def set_meta(self, key: str, value: Any) -> None:
        self._run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                  (key, marshal.dumps(value)))

    def set_outcomes(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Store every file's outcome row, in chunks (bounded memory at any corpus size);
        a chunk equal to the stored one is not rewritten (a one-file change seldom moves
        more than one chunk)."""
        try:
            count = 0
            for seq, start in enumerate(range(0, len(rows), OUTCOME_CHUNK)):
                blob = marshal.dumps(list(rows[start:start + OUTCOME_CHUNK]), 2)
                row = self._conn.execute("SELECT rows FROM outcomes WHERE seq = ?",
                                         (seq,)).fetchone()
                if row is None or row[0] != blob:
                    self._conn.execute("INSERT OR REPLACE INTO outcomes (seq, rows) "
                                       "VALUES (?, ?)", (seq, blob))
                count = seq + 1
            self._conn.execute("DELETE FROM outcomes WHERE seq >= ?", (count,))
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None

    def get_outcomes(self) -> list[Any]:
        """The outcome rows :meth:`set_outcomes` stored, in order."""
        out: list[Any] = []
        try:
            for (blob,) in self._conn.execute("SELECT rows FROM outcomes ORDER BY seq"):
                chunk = marshal.loads(blob)
                if not isinstance(chunk, list):
                    raise IndexCorrupt(f"index {self.file}: bad stored outcomes")
                out.extend(chunk)
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None
        except (EOFError, ValueError, TypeError) as exc:
            raise IndexCorrupt(f"index {self.file}: stored outcomes: {exc}") from None
        return out

    def generation(self) -> int:
        value = self.get_meta("generation")
        if type(value) is not int:
            raise IndexCorrupt(f"index {self.file}: bad generation")
        return int(value)

    # -- files

    def iter_stats(self) -> Iterator[tuple[str, int, int, int]]:
        """Every indexed path with the stat it was indexed under, (path, size, mtime_ns,
        racy), in path order, streamed: this runs over every file, every run."""
        try:
            cur = self._conn.execute("SELECT path, size, mtime_ns, racy FROM files "
                                     "ORDER BY path")
            while True:
                rows = cur.fetchmany(4000)
                if not rows:
                    return
                yield from rows
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None

    def count(self) -> int:
        row = self._run("SELECT count(*) FROM files").fetchone()
        return int(row[0])

    def content_hash_of(self, path: str) -> bytes | None:
        row = self._run("SELECT chash FROM files WHERE path = ?", (path,)).fetchone()
        return None if row is None else bytes(row[0])

    def mark_verified(self, path: str, size: int, mtime_ns: int, racy: bool) -> None:
        """A racy file re-read with the same content: the record stands, the stat moves on.
        The generation is not bumped — nothing that feeds the output changed."""
        self._run("UPDATE files SET size = ?, mtime_ns = ?, racy = ? WHERE path = ?",
                  (size, mtime_ns, int(racy), path))

    def put(self, entries: Sequence[Entry]) -> int:
        """Store re-parsed files. The generation moves only if some record differs from
        the stored one: a touched but unchanged file does not invalidate the last build."""
        return self.put_rows([entry_row(e) for e in entries])

    def put_rows(self, rows: Sequence[FileRow], *, fresh: bool = False) -> int:
        """:meth:`put` for rows made by :func:`entry_row` (what parse workers send:
        plain tuples unpickle several times faster than dataclasses). ``fresh``: the
        caller knows none of these paths is stored (a cold build), so nothing is
        looked up to compare with — everything is new."""
        if not rows:
            return 0
        before: dict[str, tuple[Any, tuple[Any, ...]]] = {}
        if not fresh:
            before = {path: (digest, tuple(view)) for path, digest, *view in self._select_many(
                "path, digest, kind, dkey, ureason, quality, tflags, link, pub_us, tview, "
                "pview, CASE kind WHEN 1 THEN digest END", [r[0] for r in rows])}
        try:
            self._conn.executemany(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns, racy, chash, kind, "
                "digest, lcheck, dkey, ureason, quality, tflags, link, pub_us, tview, pview, "
                "light, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows)
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None
        if fresh:
            self._dirty = self.views_changed = True
            return len(rows)
        for r in rows:
            held = before.get(r[0])
            if held is None or held[0] != r[6]:
                self._dirty = True
            if held is None or held[1] != _row_view(r):
                self.views_changed = True
        return len(rows)

    def delete(self, paths: Iterable[str]) -> int:
        rows = [(p,) for p in paths]
        if rows:
            try:
                self._conn.executemany("DELETE FROM files WHERE path = ?", rows)
            except sqlite3.DatabaseError as exc:
                raise IndexCorrupt(f"index {self.file}: {exc}") from None
            self._dirty = True
            self.views_changed = True
        return len(rows)

    def dedupe_candidates(self) -> Iterator[Candidate]:
        """(dedupe key, quality, published µs, path) of the published articles whose
        dedupe key occurs more than once: all that pass 1 of selection needs. SQLite
        groups the keys; only copies of a story reach Python."""
        try:
            cur = self._conn.execute(
                "SELECT path, dkey, light, lcheck FROM files WHERE dkey IN "
                "(SELECT dkey FROM files WHERE dkey IS NOT NULL GROUP BY dkey "
                "HAVING count(*) > 1)")
            for path, dkey, light, check in cur:
                _check(type(path) is str and type(dkey) is str, "dedupe key type")
                _check(type(light) is bytes and check == light_check(light),
                       f"{path}: checksum mismatch")
                fields = _light_fields(path, light)
                yield (dkey, fields[4], fields[1], path)
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None

    def iter_rows(self, rejected: Callable[[Rejection], None], floor: float,
                  outcomes: dict[str, OutcomeRow]) -> Iterator[Row]:
        """Every published article as a selection :data:`Row`, in path order, with an
        :data:`ItemRef` as payload for those that can be in a feed. Rejections go to
        ``rejected`` and unpublished articles straight into ``outcomes`` (their outcome
        depends on nothing else) in between, so a caller sees every record in path
        order.

        Selection reads plain columns written at parse time, never the record blobs:
        an unpublished row needs just its reason; a row below ``floor`` (the lowest
        threshold) its quality and whether it has topics / a provider (``tflags``);
        only a row that can be in some feed needs link, time, topic and provider keys
        (small marshalled views, decoded once per distinct value)."""
        reasons: dict[str, str] = {}  # one string object per distinct reason
        views: dict[bytes, Any] = {}  # distinct topic/provider views: a few thousand
        loads = marshal.loads
        has_topics: tuple[tuple[str, str], ...] = (("", ""),)  # stands for "some topics"
        has_provider = ("", "")
        try:
            cur = self._conn.execute(
                # Columns an unpublished row or a rejection does not need come back
                # as NULL: no Python object is made for them.
                "SELECT path, kind, ureason, quality, tflags, "
                "CASE WHEN ureason IS NULL THEN link END, pub_us, "
                "CASE WHEN ureason IS NULL THEN tview END, "
                "CASE WHEN ureason IS NULL THEN pview END, "
                "CASE WHEN kind = 0 AND ureason IS NULL THEN light END, lcheck, "
                "CASE WHEN ureason IS NULL THEN digest END, "
                "CASE kind WHEN 1 THEN body END FROM files ORDER BY path")
            while True:
                rows = cur.fetchmany(2000)
                if not rows:
                    return
                for (path, kind, unpublished, quality, tflags, link, published, tview, pview,
                     light, check, digest, body) in rows:
                    if kind == 0 and unpublished is not None:
                        _check(type(unpublished) is str and type(path) is str
                               and path not in outcomes, f"{path}: reason")
                        outcomes[path] = (path, "filtered",
                                          reasons.setdefault(unpublished, unpublished),
                                          None, None)
                        continue
                    if kind == 1:
                        _check(type(path) is str and check == light_check(None),
                               f"{path}: rejection")
                        rejected(_rejection(path, body))
                        continue
                    _check(kind == 0 and type(path) is str and type(tflags) is int
                           and type(quality) in (int, float), f"{path}: kind")
                    if quality < floor:
                        # In no feed whatever its topics or provider: selection needs
                        # only to know whether it has any (for the threshold it names).
                        yield (path, None, quality, 0, "",
                               has_topics if tflags & TOPICS else (),
                               has_provider if tflags & PROVIDER else None, None)
                        continue
                    topics = views.get(tview)
                    provider = views.get(pview)
                    try:
                        if topics is None:
                            topics = views[tview] = loads(tview)
                        if provider is None:
                            provider = views[pview] = loads(pview)
                    except (EOFError, ValueError, TypeError) as exc:
                        raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None
                    _check(type(link) is str and type(published) is int
                           and type(light) is bytes and type(topics) is tuple
                           and bool(topics) == bool(tflags & TOPICS)
                           and (provider is not None) == bool(tflags & PROVIDER),
                           f"{path}: selection columns")
                    yield (path, None, quality, published, link, topics, provider,
                           (path, light, check, digest, quality, published, link, topics,
                            provider))
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None

    def _select_many(self, columns: str, paths: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(paths), _CHUNK):
            chunk = paths[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            yield from self._run(f"SELECT {columns} FROM files WHERE path IN ({marks})", chunk)

    def digests(self, paths: Sequence[str]) -> dict[str, bytes]:
        return {p: bytes(d) for p, d in self._select_many("path, digest", paths)}

    def light_items(self, paths: Sequence[str]) -> dict[str, tuple[Article, bytes]]:
        """The light Article and record digest of each of ``paths`` that is an article,
        checked against its light checksum."""
        out: dict[str, tuple[Article, bytes]] = {}
        for path, kind, light, check, digest in self._select_many(
                "path, kind, light, lcheck, digest", paths):
            _check(kind == 0 and type(light) is bytes and type(digest) is bytes
                   and check == light_check(light), f"{path}: checksum mismatch")
            out[path] = (_article(path, light, None), digest)
        return out

    def load(self, paths: Sequence[str]) -> dict[str, Article | Rejection]:
        """Full, validated records for ``paths`` (those present)."""
        out: dict[str, Article | Rejection] = {}
        for path, kind, light, body, digest in self._select_many(
                "path, kind, light, body, digest", paths):
            out[path] = decode(path, kind, light, body, digest)
        return out

    def copy_to(self, target: Index) -> None:
        """Copy this index into ``target`` (for a read-only user such as explain)."""
        try:
            self._conn.backup(target._conn)
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None


def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves — one transaction per run.
    conn = sqlite3.connect(target, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS, uri=uri)
    # NORMAL, not FULL: the rollback journal still makes every commit atomic for a killed
    # process (kill -9 loses nothing the OS was given); only an OS crash or power cut at
    # the wrong moment could damage the file, and a damaged index is detected (SQLite
    # errors, per-record checksums) and rebuilt. Two fsyncs fewer per run.
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _initialise(conn: sqlite3.Connection, key: str) -> None:
    conn.executescript(_SCHEMA_SQL)
    meta = (("schema", SCHEMA), ("version", syndicate.__version__),
            ("reader_rules", READER_RULES), ("read_key", key), ("generation", 0))
    for name, value in meta:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (name, marshal.dumps(value)))


def _validate(index: Index, key: str) -> str | None:
    """None when the index matches this syndicate and config; else why it is stale."""
    if index.get_meta("schema") != SCHEMA:
        return "it has another schema"
    if index.get_meta("version") != syndicate.__version__:
        return "it was written by another syndicate version"
    if index.get_meta("reader_rules") != READER_RULES:
        return "it was written under other reader rules"
    if index.get_meta("read_key") != key:
        return "the source settings changed"
    index.generation()
    return None


def _remove(file: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(f"{file}{suffix}")
        except FileNotFoundError:
            pass


def open_index(folder: Path, key: str) -> Index:
    """Open (or create) the index in ``folder`` for source settings ``key``.

    A stale index is replaced silently (logged at INFO); a corrupt, locked or foreign
    one with a WARNING. OSError (folder not writable) propagates: the caller decides.
    """
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / INDEX_FILE_NAME
    if file.exists():
        try:
            index = Index(_connect(str(file)), file)
            try:
                # A cheap structural probe: a junk file fails here ("file is not a database").
                index._run("SELECT count(*) FROM sqlite_master").fetchone()
                stale = _validate(index, key)
            except BaseException:
                index.close()
                raise
            if stale is None:
                return index
            index.close()
            log.info("index %s: rebuilding, %s", file, stale)
        except (IndexCorrupt, sqlite3.Error) as exc:
            log.warning("index %s is unusable (%s); rebuilding it from the source files",
                        file, exc)
        _remove(file)
    conn = _connect(str(file))
    _initialise(conn, key)
    return Index(conn, file)


def discard(index: Index) -> None:
    """Close and delete a damaged index file."""
    index.close()
    if index.file is not None:
        _remove(index.file)


def open_readonly(folder: Path, key: str) -> Index | None:
    """The index in ``folder`` opened read-only, or None if absent, stale or corrupt."""
    file = folder / INDEX_FILE_NAME
    if not file.exists():
        return None
    try:
        index = Index(_connect(f"{file.resolve().as_uri()}?mode=ro", uri=True), file)
    except sqlite3.Error:
        return None
    try:
        if _validate(index, key) is None:
            return index
    except (IndexCorrupt, sqlite3.Error):
        pass
    index.close()
    return None


def temporary_index(folder: Path, key: str) -> Index:
    """A fresh index in ``folder`` (a temporary directory the caller removes): used with
    --no-index and by explain, so both run exactly the build's code path."""
    file = folder / INDEX_FILE_NAME
    conn = _connect(str(file))
    # Nobody else ever sees this file; durability would only cost time.
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA journal_mode = OFF")
    _initialise(conn, key)
    return Index(conn, file)


def now_ns() -> int:
    return time.time_ns()
