"""The incremental index: parsed records of every source file, in SQLite.

One file, ``<state folder>/index.sqlite``, written by one build at a time (the build
lock) in a single transaction with SQLite's default rollback journal, so ``kill -9``
at any moment leaves either the previous or the next complete index (SQLite rolls a
hot journal back on the next open).

What is stored, per source file (table ``files``, keyed by the POSIX path relative to
the source folder):

- ``size``, ``mtime_ns`` as stat saw them before the file was read, and ``chash``, a
  BLAKE2b digest of the bytes that were parsed;
- ``racy``: 1 when the file's mtime was within :data:`syndicate.codec.RACY_WINDOW_NS` of the moment
  it was read, or in the future. Such an mtime cannot prove the file is unchanged
  (a second write inside the same timestamp tick keeps size and mtime), so the next
  run re-reads a racy file and compares its content hash instead of trusting stat.
  This is git's "racily clean" rule;
- ``kind`` (0 Article, 1 Rejection) and the record itself as two ``marshal`` blobs of
  plain types (:mod:`syndicate.codec`): ``light`` (what selection needs: link, times, quality, flags,
  provider, topics, warnings) and ``body`` (text, images, related links, embed). Selection
  runs over light records only; full records are decoded just for the items that go
  into the feeds, so memory does not grow with the whole corpus;
- ``digest``: BLAKE2b of ``light`` + ``body``, checked whenever a full record is
  decoded, and used in feed fingerprints.

Besides the record blobs, each row carries the *selection columns* derived once at
parse time (``dkey``: the dedupe key of a published article's link, ``ureason``: why
it is unpublished, ``quality``, ``tflags``, ``link``, ``pub_us`` and the topic and
provider views): selection reads those plain columns and never re-derives or decodes
a record it does not put in a feed (:mod:`syndicate.index_rows`). Table ``outcomes`` holds the last build's
accounting, in chunks of :data:`OUTCOME_CHUNK` rows.

Table ``meta`` holds the schema number, the syndicate version, the reader-rules number
(:data:`READER_RULES`), the *read key* (a hash of everything in the config that changes
how files are read) and a generation counter bumped whenever ``files`` changes. A
different schema, version, reader rules or read key makes the index stale: it is
discarded and rebuilt. A file that is not a SQLite database, a malformed one or a
record that fails validation raises :class:`~syndicate.errors.IndexCorrupt`; callers
log it and rebuild from scratch — a damaged index never produces different output.
SQLite's own exceptions never leave this module: they are raised as ``IndexCorrupt``
or, when an index cannot even be created, :class:`~syndicate.errors.StorageError`.
"""

from __future__ import annotations

import logging
import marshal
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import syndicate
from syndicate.codec import (  # FileRow, entry_row and read_key: imported from here too
    FileRow,
    _row_view,
    article_from_light,
    decode,
    entry_row,
    light_check,
    read_key,
)
from syndicate.errors import IndexCorrupt, StorageError
from syndicate.model import Article, Outcome, Rejection

__all__ = [
    "INDEX_FILE_NAME", "FileRow", "Index", "IndexCorrupt", "LightItem",
    "StorageError", "StoredStat", "discard", "entry_row", "open_index",
    "open_readonly", "read_key", "temporary_index",
]

log = logging.getLogger(__name__)

INDEX_FILE_NAME = "index.sqlite"
# 6: files.warns; 7: each branch's own change (bucket listing stamps; last-build moments,
# trims, custom feeds, feed history); 8: both together: every index is rebuilt once.
# 9: table archive (syndicate.archive_history).
SCHEMA = 9
# The version of what a file parses to. BUMP IT whenever parsing or normalisation output
# changes for the same bytes (frontmatter, articles, the dedupe key, light_fields, the
# record codec's derived columns...): stored records were made by the old rules and
# would otherwise be reused until syndicate's own version changes. 1: dedupe_key normalises IDN hosts and unreserved percent-escapes; non-UTF-8 names.
# 2: HTML element markup removed from plain-text fields; related items keep their provider.
READER_RULES = 2
# How long to wait for a reader (``syndicate explain``) to let go before writing; past
# it the index counts as locked and is rebuilt.
BUSY_TIMEOUT_SECONDS = 5.0
# Outcome rows per stored chunk: the accounting of a million files is never one blob.
OUTCOME_CHUNK = 20_000
# SQLite's default limit on host parameters is 999 in old builds; stay well below.
_CHUNK = 500

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
    body BLOB NOT NULL,
    warns BLOB
);
CREATE INDEX files_stat ON files (path, size, mtime_ns, racy);
CREATE INDEX files_dkey ON files (dkey) WHERE dkey IS NOT NULL;
CREATE INDEX files_warns ON files (path) WHERE warns IS NOT NULL;
CREATE TABLE archive (feed TEXT, ref TEXT, seq INTEGER NOT NULL, PRIMARY KEY (feed, ref));
"""


class LightItem(NamedTuple):
    """An article's light record (no text) and the digest of its whole record."""

    article: Article
    digest: bytes


FILE_COUNT = "file_count"  # meta key: the number of indexed files, per the last refresh
# An index entry's stat, as Index.iter_stats streams it: (path, size, mtime_ns, racy).
# A plain tuple: one per source file on every run (see syndicate.refresh.compare).
StoredStat = tuple[str, int, int, int]

# --- the database ---------------------------------------------------------------------

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

    def get_meta(self, key: str) -> object:
        """The value stored under ``key`` (plain marshal types), None when absent."""
        row = self._run("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return marshal.loads(row[0])
        except (EOFError, ValueError, TypeError) as exc:
            raise IndexCorrupt(f"index {self.file}: meta {key}: {exc}") from None

    def set_meta(self, key: str, value: object) -> None:
        """Store ``value``: plain marshal types only (marshal raises ValueError for
        anything else, which is a programming error, not a damaged index)."""
        self._run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                  (key, marshal.dumps(value)))  # type: ignore[arg-type]

    def set_outcomes(self, rows: Sequence[Outcome]) -> None:
        """Store every file's outcome row, in chunks (bounded memory at any corpus size);
        a chunk equal to the stored one is not rewritten (a one-file change seldom moves
        more than one chunk)."""
        try:
            count = 0
            for seq, start in enumerate(range(0, len(rows), OUTCOME_CHUNK)):
                # marshal stores plain tuples only (not the NamedTuple).
                blob = marshal.dumps([tuple(o) for o in rows[start:start + OUTCOME_CHUNK]], 2)
                row = self._conn.execute("SELECT rows FROM outcomes WHERE seq = ?",
                                         (seq,)).fetchone()
                if row is None or row[0] != blob:
                    self._conn.execute("INSERT OR REPLACE INTO outcomes (seq, rows) "
                                       "VALUES (?, ?)", (seq, blob))
                count = seq + 1
            self._conn.execute("DELETE FROM outcomes WHERE seq >= ?", (count,))
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None

    def get_outcomes(self) -> list[Outcome]:
        """The outcomes :meth:`set_outcomes` stored, in order."""
        out: list[Outcome] = []
        new = tuple.__new__
        try:
            for (blob,) in self._conn.execute("SELECT rows FROM outcomes ORDER BY seq"):
                chunk = marshal.loads(blob)
                if not isinstance(chunk, list):
                    raise IndexCorrupt(f"index {self.file}: bad stored outcomes")
                for row in chunk:
                    if type(row) is not tuple or len(row) != 5 or type(row[0]) is not str:
                        raise IndexCorrupt(f"index {self.file}: bad stored outcomes")
                    out.append(new(Outcome, row))
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

    def iter_stats(self) -> Iterator[StoredStat]:
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

    def stats_of(self, paths: Iterable[str]) -> tuple[list[StoredStat], int]:
        """:meth:`iter_stats` for ``paths`` alone, in path order (watch: no walk), and
        the number of files indexed in all."""
        sql = "SELECT path, size, mtime_ns, racy FROM files WHERE path = ?"
        found = [r for p in sorted(set(paths)) for r in self._run(sql, (p,)).fetchall()]
        # The count the last refresh recorded: count(*) reads every row (0.4 s at 1M).
        total = self.get_meta(FILE_COUNT)
        if type(total) is not int:
            total = int(self._run("SELECT count(*) FROM files").fetchone()[0])
        return found, total

    def set_file_count(self, total: int) -> None:
        """Record how many files the index holds (by a refresh, in its transaction)."""
        self.set_meta(FILE_COUNT, total)

    def content_hash_of(self, path: str) -> bytes | None:
        row = self._run("SELECT chash FROM files WHERE path = ?", (path,)).fetchone()
        return None if row is None else bytes(row[0])

    def mark_verified(self, path: str, size: int, mtime_ns: int, racy: bool) -> None:
        """A racy file re-read with the same content: the record stands, the stat moves on.
        The generation is not bumped — nothing that feeds the output changed."""
        self._run("UPDATE files SET size = ?, mtime_ns = ?, racy = ? WHERE path = ?",
                  (size, mtime_ns, int(racy), path))

    def put_rows(self, rows: Sequence[FileRow], *, fresh: bool = False) -> int:
        """Store re-parsed files, as rows made by :func:`entry_row` (what parse workers
        send: plain tuples unpickle several times faster than dataclasses). The
        generation moves only if some record differs from the stored one: a touched
        but unchanged file does not invalidate the last build. ``fresh``: the caller
        knows none of these paths is stored (a cold build), so nothing is looked up to
        compare with — everything is new."""
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
                "light, body, warns) VALUES (" + ", ".join("?" * 19) + ")", rows)
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

    def stream(self, sql: str, batch: int = 2000, params: Sequence[Any] = ()
               ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a read-only query, in batches, streamed (see
        :mod:`syndicate.index_rows`). SQLite errors raise :class:`IndexCorrupt`."""
        try:
            cur = self._conn.execute(sql, params)
            while True:
                rows = cur.fetchmany(batch)
                if not rows:
                    return
                yield rows
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None

    def put_archive(self, rows: Sequence[tuple[str, str, int]]) -> None:
        """Store new archive numbers: (feed, entry id, seq) rows (syndicate.archive_history)."""
        try:
            self._conn.executemany("INSERT INTO archive (feed, ref, seq) VALUES (?, ?, ?)", rows)
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"index {self.file}: {exc}") from None

    def _select_many(self, columns: str, paths: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(paths), _CHUNK):
            chunk = paths[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            yield from self._run(f"SELECT {columns} FROM files WHERE path IN ({marks})", chunk)

    def light_items(self, paths: Sequence[str]) -> dict[str, LightItem]:
        """The light Article and record digest of each of ``paths`` that is an article,
        checked against its light checksum."""
        out: dict[str, LightItem] = {}
        for path, kind, light, check, digest in self._select_many(
                "path, kind, light, lcheck, digest", paths):
            if not (kind == 0 and type(light) is bytes and type(digest) is bytes
                    and check == light_check(light)):
                raise IndexCorrupt(f"invalid record in index: {path}: checksum mismatch")
            out[path] = LightItem(article_from_light(path, light), digest)
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
    one with a WARNING. OSError (folder not creatable) propagates; an index that cannot
    be created raises :class:`StorageError`: the caller decides.
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
    return Index(_create(str(file), key, durable=True), file)


def _create(file: str, key: str, *, durable: bool) -> sqlite3.Connection:
    """A new, initialised index database; SQLite errors (a read-only folder, a full
    disk) raise :class:`StorageError`."""
    try:
        conn = _connect(file)
        if not durable:
            # Nobody else ever sees this file; durability would only cost time.
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA journal_mode = OFF")
        _initialise(conn, key)
    except sqlite3.Error as exc:
        raise StorageError(str(exc)) from None
    return conn


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
    return Index(_create(str(file), key, durable=False), file)

