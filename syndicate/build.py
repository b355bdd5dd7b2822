"""One build: lock -> discover -> index -> parse (parallel) -> select -> plan -> render ->
publish -> WebSub -> report.

Every record reaches selection and rendering *through the index* (a temporary one with
--no-index), cold build or warm, 1 process or N: there is one code path, so output
bytes cannot depend on which run produced a record.

Work is skipped at three levels, each proven safe by a key:

- parsing: a file whose size and mtime match its index entry is not read (racy
  entries are re-hashed, see :mod:`syndicate.index`);
- everything after parsing: when the index generation and the build key (syndicate
  version + the whole config) equal those of the last completed build, and every
  output file it wrote is still there with the size and mtime it was left with,
  selection, planning and rendering are skipped — the output would be the same bytes;
- rendering one feed file: its fingerprint (build key, the plan's header, and the
  digest of every item's record) equals the last build's and the file is untouched.

Parsing and rendering run in worker processes when there is enough work (chunks of
paths out, compact encoded records back; plans out, output stamps back). Results are
merged in path order and every output is a pure function of its plan, so N processes
write the same bytes as one. Workers die with a killed build.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import gc
import hashlib
import logging
import math
import os
import re
import signal
import sqlite3
import stat
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from fnmatch import translate
from itertools import islice
from pathlib import Path
from typing import Any

import syndicate
from syndicate.config import Config
from syndicate.index import (
    RACY_WINDOW_NS,
    Entry,
    FileRow,
    Index,
    IndexCorrupt,
    ItemRef,
    content_hash,
    discard,
    encode,
    entry_row,
    now_ns,
    open_index,
    read_key,
    temporary_index,
)
from syndicate.model import Article, Outcome, Rejection
from syndicate.plan import INDEX_PATH, OPML_PATH
from syndicate.select import OutcomeRow

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_IO = 2
EXIT_BUSY = 3

# Below this many files to parse, forking workers costs more than it saves.
PARALLEL_THRESHOLD = 1000
# Paths per worker task: big enough to amortise pickling, small enough to balance.
MAX_CHUNK = 400
# Parse chunks in flight per worker: enough that a worker never waits for the parent,
# few enough that finished chunks do not pile up in the parent's memory.
IN_FLIGHT = 4
# Rendering in workers pays off from this many feed files per worker; plans travel to
# workers in batches of RENDER_BATCH.
RENDER_PARALLEL_THRESHOLD = 150
RENDER_BATCH = 16


@dataclass(frozen=True, slots=True)
class BuildOptions:
    prune: bool = False
    jobs: int = 0  # worker processes; 0 = all cores
    use_index: bool = True
    wait: float = 0.0  # seconds to wait for another build's lock
    progress: bool = False
    parallel_threshold: int = PARALLEL_THRESHOLD
    want_outcomes: bool = True  # load every file's Outcome (for --report)


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the output folder as this build left it."""

    path: str  # POSIX, relative to the output folder
    kind: str  # "feed", "opml" or "index"
    items: int  # entries in a feed; feeds listed for opml/index
    changed: bool  # bytes written this run


@dataclass(frozen=True, slots=True)
class BuildResult:
    read: int  # source files found
    parsed: int  # of which read and parsed this run
    reused: int  # of which taken from the index
    selected: int
    filtered: int
    rejected: int
    outputs: tuple[OutputFile, ...]  # sorted by path
    rendered: int  # output files rendered this run
    written: int  # output files whose bytes changed
    stale: tuple[str, ...]  # feed files of vanished topics/providers still on disk
    # (only files this tool wrote: what --prune deletes)
    pruned: tuple[str, ...]  # stale files deleted (--prune)
    seconds: float
    outcomes: tuple[Outcome, ...] = ()  # every source file, sorted by path
    rejections: tuple[Rejection, ...] = ()
    ping_failures: tuple[str, ...] = ()
    skipped_render: bool = False  # the whole select/plan/render stage was proven unneeded
    # Feed-named files in the feed folders that this tool did not write (see
    # publish.written_by_us): neither kept by the build nor ever pruned.
    foreign: tuple[str, ...] = ()

    @property
    def feeds(self) -> tuple[OutputFile, ...]:
        return tuple(o for o in self.outputs if o.kind == "feed")


class SourceMissing(Exception):
    """The configured source folder does not exist."""


# --- names ---------------------------------------------------------------------------

NON_UTF8_NAME = ("file name is not valid UTF-8 (shown with \\xNN escapes for its "
                 "undecodable bytes); rename it to read it")


def source_key(rel: str) -> str:
    """The key of a source path in the index, the report and ``explain``: the path
    itself, or for a name that is not valid UTF-8 (``os.fsdecode`` turned its bad
    bytes into lone surrogates, which SQLite and UTF-8 JSON cannot hold) the name with
    those bytes as ``\\xNN`` escapes. Such a file is rejected, never read."""
    if rel.isascii():
        return rel
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return rel


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """``text`` safe to print on one line of human output: control, format and other
    non-printable characters (newlines, escape sequences, bidi overrides, lone
    surrogates) become backslash escapes, as ``ls -b`` does, so a file name cannot
    forge a line or repaint a terminal. Machine output (the JSON report) keeps names
    raw."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _ESCAPES.get(ch) or _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        code -= 0xDC00  # os.fsdecode's stand-in for an undecodable byte: show the byte
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


# --- discovery and parsing -------------------------------------------------------------

# (relative path, size, mtime_ns): a plain tuple, not a NamedTuple or a dataclass —
# 100,000 of these are made on every run and namedtuple construction is a Python call.
_Found = tuple[str, int, int]


def discover(config: Config) -> list[_Found]:
    """Every article file with its stat, in no particular order.

    The same files as :func:`syndicate.articles.iter_source_files` (a test holds them
    equal), found with ``os.scandir`` on plain strings: a no-change rebuild of 100,000
    files is mostly this walk, and pathlib objects would triple its cost.
    """
    folder = config.source.folder
    if not folder.is_dir():
        raise SourceMissing(f"source folder {folder} does not exist or is not a folder")
    patterns = config.source.patterns

    # One regex for all patterns: fnmatchcase semantics, as iter_source_files uses.
    matches = re.compile("|".join(f"(?:{translate(p)})" for p in patterns)).match

    found: list[_Found] = []
    add = found.append
    pending = [("", str(folder))]
    while pending:
        prefix, where = pending.pop()
        try:
            # Iterated, not listed: a folder of a million files would otherwise hold a
            # million DirEntry objects besides what is kept of them.
            listing = os.scandir(where)
        except OSError as exc:
            if not prefix:
                raise
            # Like iter_source_files: an unlistable sub-folder is accounted for as a
            # file, which read_article then rejects with the OS error.
            log.warning("cannot list %s: %s", shown(where), exc.strerror or exc)
            add((prefix.rstrip("/"), -1, -1))
            continue
        with listing:
            _walk(listing, prefix, matches, pending, add)
    # Not sorted: callers sort what they need.
    return found


def _walk(listing: Iterator[os.DirEntry[str]], prefix: str, matches: Callable[[str], Any],
          pending: list[tuple[str, str]], add: Callable[[_Found], None]) -> None:
    for entry in listing:
        name = entry.name
        if name[0] == ".":
            continue
        try:
            # follow_symlinks=False: a symlinked folder is never followed; a
            # symlink that matches the patterns is a file (its target is stat'ed).
            if entry.is_dir(follow_symlinks=False):
                pending.append((f"{prefix}{name}/", entry.path))
                continue
            if not matches(name):
                continue
        except OSError:
            add((prefix + name, -1, -1))
            continue
        try:
            st = entry.stat()  # a symlink's target: that is what changes
        except OSError:
            # A dangling symlink, or gone since listing: still accounted for
            # (read_article rejects it, or it is gone by then).
            add((prefix + name, -1, -1))
            continue
        add((prefix + name, st.st_size, st.st_mtime_ns))


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0))


def _read_all(fd: int, size: int, max_bytes: int) -> bytes:
    """The file's bytes up to ``max_bytes + 1`` (more means too large).

    Not ``BufferedReader.read(max_bytes + 1)``: that allocates the whole limit (1 MB)
    for every 1.6 KB file, a third of the per-file cost of a cold build. The stat size
    is only a hint (the file may grow or shrink meanwhile): read until end of file."""
    chunks = [os.read(fd, size + 1)]
    total = len(chunks[0])
    while chunks[-1] and total <= max_bytes:
        chunks.append(os.read(fd, max(size, 65536)))
        total += len(chunks[-1])
    return chunks[0] if len(chunks) == 2 and not chunks[1] else b"".join(chunks)


def read_one(folder: Path, rel: str, max_bytes: int) -> Entry:
    """Read, parse and encode one file. Never raises for anything about the file.

    The common case — a plain regular file within the size limit — is read here, so the
    content hash is of the very bytes parsed. Everything else (symlinks, folders, FIFOs,
    oversized or unreadable files) goes to :func:`read_article`, whose Rejection
    messages are the project's; such entries carry size -1 when their stat is
    unknown, which never matches, so they are retried every run.
    """
    from syndicate.articles import parse_article, read_article

    file = f"{folder}/{rel}"  # a str: a Path per file costs as much as reading it
    key = source_key(rel)
    if key != rel:
        try:
            st = os.stat(file)
            size, mtime_ns = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime_ns = -1, -1
        return encode(Rejection(key, NON_UTF8_NAME, None, None), size=size,
                      mtime_ns=mtime_ns, data=None, read_at_ns=now_ns())
    data: bytes | None = None
    size, mtime_ns = -1, -1
    unreadable = False
    try:
        fd = os.open(file, _OPEN_FLAGS)  # O_NOFOLLOW: a symlink fails here, on purpose
        try:
            info = os.fstat(fd)
            size, mtime_ns = info.st_size, info.st_mtime_ns
            if stat.S_ISREG(info.st_mode) and info.st_size <= max_bytes:
                data = _read_all(fd, info.st_size, max_bytes)
        finally:
            os.close(fd)
    except OSError as exc:
        data = None
        # Permission errors and the like can be fixed without touching size or mtime
        # (chmod changes neither): such a file is retried on every run.
        unreadable = exc.errno != errno.ELOOP
    read_at = now_ns()
    if data is None or len(data) > max_bytes:
        try:
            st = os.stat(file)
            size, mtime_ns = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime_ns = -1, -1
        if unreadable:
            size, mtime_ns = -1, -1
        return encode(read_article(Path(file), rel, max_bytes=max_bytes), size=size,
                      mtime_ns=mtime_ns, data=None, read_at_ns=read_at)
    return encode(parse_article(data, rel), size=size, mtime_ns=mtime_ns, data=data,
                  read_at_ns=read_at)


def _parse_chunk(task: tuple[str, list[str], int]) -> list[FileRow]:
    # Rows, not Entry dataclasses: the parent unpickles every one of them, and plain
    # tuples of str/bytes/int load several times faster.
    folder, rels, max_bytes = task
    root = Path(folder)
    return [entry_row(read_one(root, rel, max_bytes)) for rel in rels]


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.25)
        if os.getppid() != parent:
            os._exit(1)


def _worker_init(parent: int) -> None:
    """Make a parse worker die with the build that started it.

    A killed build (cron timeout, ``kill -9``) must not leave workers behind: on Linux
    the kernel sends them SIGKILL when the parent dies (PR_SET_PDEATHSIG); elsewhere,
    and as a backstop, a thread notices being re-parented and exits.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


@contextlib.contextmanager
def _forked_heap_shared() -> Iterator[None]:
    """Keep the parent's heap shared with the workers forked meanwhile.

    Workers are forked from the parent, whose heap at render time holds the selection
    of every file (~100 MB at 100,000 files). A worker's garbage collector walks and
    writes the header of every tracked object it inherited, so copy-on-write gave each
    worker its own copy of all of it. Frozen objects are never walked: the pages stay
    shared (the parent still frees its own garbage by reference counting meanwhile)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _jobs(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 1)


def parse_files(config: Config, rels: Sequence[str], *, jobs: int, threshold: int,
                on_progress: Callable[[int], None]) -> Iterator[list[FileRow]]:
    """Parsed entries in chunks, in the order of ``rels`` (so merging is deterministic)."""
    folder = str(config.source.folder)
    max_bytes = config.source.max_file_bytes
    workers = min(_jobs(jobs), max(1, len(rels) // 50))
    if workers <= 1 or len(rels) < threshold:
        for start in range(0, len(rels), MAX_CHUNK):
            chunk = list(rels[start:start + MAX_CHUNK])
            entries = _parse_chunk((folder, chunk, max_bytes))
            on_progress(len(chunk))
            yield entries
        return
    size = max(20, min(MAX_CHUNK, math.ceil(len(rels) / (workers * 4))))
    tasks = ((folder, list(rels[i:i + size]), max_bytes) for i in range(0, len(rels), size))
    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                             initargs=(os.getpid(),)) as pool:
        # A bounded window of chunks in flight, taken in submission order whatever order
        # workers finish in (so the merge is deterministic). Not pool.map(): it submits
        # every chunk at once, and results the parent has not taken yet pile up — at
        # 100,000 files that was ~100 MB of rows waiting behind one slow chunk.
        window: deque[Future[list[FileRow]]] = deque(
            pool.submit(_parse_chunk, task) for task in islice(tasks, workers * IN_FLIGHT))
        while window:
            rows = window.popleft().result()
            task = next(tasks, None)
            if task is not None:
                window.append(pool.submit(_parse_chunk, task))
            on_progress(len(rows))
            yield rows


@dataclass(slots=True)
class _Refresh:
    found: int = 0
    parsed: int = 0
    reused: int = 0
    deleted: int = 0


def refresh_index(index: Index, config: Config, options: BuildOptions) -> _Refresh:
    """Bring the index in line with the source folder (inside the caller's transaction)."""
    from syndicate.progress import Progress

    files = discover(config)
    # Names that are not UTF-8 are indexed under their escaped key; the raw name is
    # what read_one is given (it rejects the file, naming it by the key).
    raw_of: dict[str, str] = {}
    for i, f in enumerate(files):
        key = source_key(f[0])
        if key != f[0]:
            raw_of[key] = f[0]
            files[i] = (key, f[1], f[2])
    # A merge of two path-ordered lists — the walk, sorted, and the index, streamed —
    # so memory holds the walk only, not a second table of every indexed file.
    files.sort()
    to_parse: list[str] = []
    gone: list[str] = []
    verified: list[_Found] = []  # racy entries whose bytes are unchanged: re-stamped after
    stats = _Refresh(found=len(files))
    max_bytes = config.source.max_file_bytes
    indexed = index.iter_stats()
    held = next(indexed, None)
    fresh = held is None  # an empty index (cold build): nothing stored to compare with
    for f in files:
        rel = f[0]
        while held is not None and held[0] < rel:
            gone.append(held[0])
            held = next(indexed, None)
        if held is not None and held[0] == rel:
            _, size, mtime_ns, racy = held
            held = next(indexed, None)
            if size == f[1] and mtime_ns == f[2]:
                if not racy:
                    stats.reused += 1
                    continue
                if _same_content(index, config.source.folder, f, max_bytes):
                    verified.append(f)
                    stats.reused += 1
                    continue
        to_parse.append(raw_of.get(rel, rel))
    while held is not None:
        gone.append(held[0])
        held = next(indexed, None)
    del files
    for rel, size, mtime_ns in verified:
        index.mark_verified(rel, size, mtime_ns, mtime_ns + RACY_WINDOW_NS > now_ns())
    stats.deleted = index.delete(gone)
    if to_parse:
        progress = Progress(len(to_parse), enabled=options.progress)
        try:
            for entries in parse_files(config, to_parse, jobs=options.jobs,
                                       threshold=options.parallel_threshold,
                                       on_progress=progress.advance):
                stats.parsed += index.put_rows(entries, fresh=fresh)
        finally:
            progress.close()
    log.debug("index: %d files, %d parsed, %d reused, %d deleted",
              stats.found, stats.parsed, stats.reused, stats.deleted)
    return stats


def _same_content(index: Index, folder: Path, f: _Found, max_bytes: int) -> bool:
    """A racy entry: is the file still the bytes we parsed?"""
    rel = f[0]
    stored = index.content_hash_of(rel)
    if not stored:
        return False  # not read by us (symlink, oversized...): parse again to be sure
    try:
        fd = os.open(folder / rel, _OPEN_FLAGS)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return False
            data = fh.read(max_bytes + 1)
    except OSError:
        return False
    return len(data) <= max_bytes and content_hash(data) == stored


# --- selection, planning, rendering -------------------------------------------------

def build_key(config: Config) -> bytes:
    """Everything besides the records that the output bytes depend on."""
    raw = repr((syndicate.__version__, config)).encode("utf-8")
    return hashlib.blake2b(raw, digest_size=16).digest()


@dataclass(slots=True)
class Selected:
    """Selection over light records, plus the accounting."""

    plans: tuple[Any, ...]
    outcomes: dict[str, OutcomeRow]  # every source file, in path order
    rejections: list[Rejection] = field(default_factory=list)
    digests: dict[str, bytes] = field(default_factory=dict)  # of every item in the plans
    feeds: Any = None  # item paths per feed (_FeedPaths), kept for the next run

    def outcome(self, path: str) -> Outcome | None:
        row = self.outcomes.get(path)
        return None if row is None else Outcome(*row)


def select_from_index(index: Index, config: Config) -> Selected:
    """Select and plan straight off the index: SQLite hands over the copies of stories
    told more than once (pass 1), then every record's precomputed selection view in
    path order (pass 2); only the items that land in a feed become Articles."""
    from syndicate.index import item_article
    from syndicate.plan import plan_feeds
    from syndicate.select import FeedItems, Selection, dedupe_losers, fill_feeds

    rejections: list[Rejection] = []
    outcomes: dict[str, OutcomeRow] = {}

    def rejected(r: Rejection) -> None:
        rejections.append(r)
        outcomes[r.path] = (r.path, "rejected", r.reason, r.line, r.column)

    losers = dedupe_losers(index.dedupe_candidates())
    limits = config.selection.min_quality
    floor = min(limits.all, limits.topics, limits.providers)
    picked = fill_feeds(index.iter_rows(rejected, floor, outcomes), config.selection, losers,
                        outcomes)
    articles: dict[str, Article] = {}
    digests: dict[str, bytes] = {}

    def items(refs: Iterable[ItemRef]) -> tuple[Article, ...]:
        out: list[Article] = []
        for ref in refs:
            path = ref[0]
            article = articles.get(path)
            if article is None:
                article = articles[path] = item_article(ref)
                digests[path] = ref[3]
            out.append(article)
        return tuple(out)

    selection = Selection(
        all=items(picked.all),
        topics=tuple(FeedItems(k, name, items(p)) for k, name, p in picked.topics),
        providers=tuple(FeedItems(k, name, items(p)) for k, name, p in picked.providers),
        outcomes={})  # the plans do not read them; the build keeps the compact rows
    plans = tuple(plan_feeds(selection, config))
    _name_feeds(plans, picked.outcomes)
    feeds: _FeedPaths = ([ref[0] for ref in picked.all],
                         [(k, name, [ref[0] for ref in refs]) for k, name, refs in picked.topics],
                         [(k, name, [ref[0] for ref in refs])
                          for k, name, refs in picked.providers])
    return Selected(plans, picked.outcomes, rejections, digests, feeds)


def feed_name(plan: Any) -> str:
    """A feed's output path without its extension (``all``, ``topics/generative-ai``):
    what a selected article's reason lists, in the report and in ``explain`` alike."""
    path: str = plan.path("atom")
    return path.rsplit(".", 1)[0]


def _name_feeds(plans: Sequence[Any], outcomes: dict[str, OutcomeRow]) -> None:
    """Make each selected article's reason the feeds that carry it, by path (selection
    labels them by topic and provider key; only the plan knows the slugs, which are
    what a user can open)."""
    names: dict[str, list[str]] = {}
    for plan in plans:
        name = feed_name(plan)
        for article in plan.items:
            names.setdefault(article.path, []).append(name)
    for path, listed in names.items():
        row = outcomes.get(path)
        if row is not None and row[1] == "selected":
            outcomes[path] = (path, "selected", ", ".join(listed), None, None)


# (all-feed paths, [(topic key, name, paths)], [(provider key, name, paths)])
_FeedPaths = tuple[list[str], list[tuple[str, str, list[str]]], list[tuple[str, str, list[str]]]]


def reselect(index: Index, config: Config, feeds: Any) -> Selected | None:
    """The last build's selection again, for a run in which no record's selection view
    changed (only text, images and the like did): selection is a function of the views
    alone, so its feeds and every outcome are the last build's. Only the plans are
    rebuilt, from the items' current light records. None if the stored selection is
    unusable (then the caller selects afresh)."""
    from syndicate.plan import plan_feeds
    from syndicate.select import FeedItems, Selection

    try:
        all_paths, topics, providers = feeds
        groups = [("", "", all_paths), *topics, *providers]
        paths = sorted({p for _, _, ps in groups for p in ps})
        if not all(type(p) is str for p in paths):
            return None
    except (TypeError, ValueError):
        return None
    chosen = index.light_items(paths)
    if len(chosen) != len(paths):
        return None
    outcomes: dict[str, OutcomeRow] = {}
    rejections: list[Rejection] = []
    for p, status, reason, line, column in index.get_outcomes():
        outcomes[p] = (p, status, reason, line, column)
        if status == "rejected":
            rejections.append(Rejection(p, reason, line, column))

    def items(ps: list[str]) -> tuple[Article, ...]:
        return tuple(chosen[p][0] for p in ps)

    selection = Selection(
        all=items(all_paths),
        topics=tuple(FeedItems(k, name, items(ps)) for k, name, ps in topics),
        providers=tuple(FeedItems(k, name, items(ps)) for k, name, ps in providers),
        outcomes={})
    return Selected(tuple(plan_feeds(selection, config)), outcomes, rejections,
                    {p: d for p, (_, d) in chosen.items()}, feeds)


def _plan_header(plan: Any) -> str:
    return repr((plan.family, plan.key, plan.name, plan.slug, plan.title, plan.subtitle,
                 plan.updated, len(plan.items)))


def _renderers() -> dict[str, Callable[[Any, Config], bytes]]:
    from syndicate.render.atom_rss import render_atom, render_rss
    from syndicate.render.jsonfeed import render_json

    return {"atom": render_atom, "rss": render_rss, "json": render_json}


Stamp = tuple[bytes, int, int]  # (fingerprint, size, mtime_ns) of one output file


@dataclass(slots=True)
class _Render:
    outputs: list[OutputFile]
    fingerprints: dict[str, Stamp]
    changed_urls: list[str]
    rendered: int = 0


def render_and_publish(index: Index, config: Config, plans: Sequence[Any], key: bytes,
                       previous: dict[str, Stamp], jobs_wanted: int = 0,
                       digests: dict[str, bytes] | None = None,
                       before_publish: Callable[[list[str]], None] | None = None) -> _Render:
    """Render every output file whose fingerprint moved (or that is missing), in worker
    processes when there are many, and publish them. ``before_publish`` gets the URLs
    of the feed files about to be rewritten, before the first one is."""
    from syndicate.publish import write_if_changed

    root = config.output.folder
    if digests is None:
        digests = index.digests(sorted({a.path for p in plans for a in p.items}))
    full: dict[str, Article] = {}

    def materialise(plan: Any) -> Any:
        missing = [a.path for a in plan.items if a.path not in full]
        for path, record in index.load(missing).items():
            if not isinstance(record, Article):
                raise IndexCorrupt(f"{path}: selected record is not an article")
            full[path] = record
        try:
            # The full record is the plan's light item plus its text; should a plan
            # ever adjust a light field (topic spellings), its item wins and only the
            # text is filled in (a copy, so only then).
            items = tuple(f if _same_light(a, f := full[a.path]) else _with_body(a, f)
                          for a in plan.items)
        except KeyError as exc:
            raise IndexCorrupt(f"{exc.args[0]}: selected record missing from index") from None
        return dataclasses.replace(plan, items=items)

    result = _Render([], {}, [])
    all_prints: list[bytes] = []
    pending: list[tuple[Any, list[_Job]]] = []  # (light plan, its files to render)
    about: dict[str, tuple[int, str]] = {}  # rel -> (items, url)
    for plan in plans:
        h = hashlib.blake2b(key, digest_size=16)
        h.update(_plan_header(plan).encode("utf-8"))
        for a in plan.items:
            h.update(a.path.encode("utf-8") + b"\0" + digests.get(a.path, b"?"))
        base = h.digest()
        jobs: list[_Job] = []
        for fmt in config.output.formats:
            rel = plan.path(fmt)
            fp = hashlib.blake2b(base + fmt.encode(), digest_size=16).digest()
            all_prints.append(fp)
            if _unchanged(root, rel, fp, previous):
                result.fingerprints[rel] = previous[rel]
                result.outputs.append(OutputFile(rel, "feed", len(plan.items), False))
            else:
                jobs.append((fmt, rel, fp))
                about[rel] = (len(plan.items), plan.url(fmt, config))
        if jobs:
            pending.append((plan, jobs))

    def tasks() -> Iterator[_RenderTask]:
        for start in range(0, len(pending), RENDER_BATCH):
            chunk = pending[start:start + RENDER_BATCH]
            yield config, [(materialise(plan), jobs) for plan, jobs in chunk]

    if before_publish is not None and about:
        before_publish(sorted(url for _, url in about.values()))
    workers = min(_jobs(jobs_wanted), math.ceil(len(about) / RENDER_PARALLEL_THRESHOLD))
    if workers > 1:
        with _forked_heap_shared(), ProcessPoolExecutor(
                max_workers=workers, initializer=_worker_init,
                initargs=(os.getpid(),)) as pool:
            done: Iterable[list[_Rendered]] = pool.map(_render_batch, tasks())
            _collect(result, done, about)
    else:
        _collect(result, (_render_batch(t) for t in tasks()), about)
    # The OPML and HTML index list every feed; re-rendered when any feed's print moved.
    listing = hashlib.blake2b(key + b"".join(all_prints), digest_size=16).digest()
    extra: list[tuple[str, str, str]] = []
    if config.output.opml:
        extra.append(("opml", OPML_PATH, "syndicate.render.opml:render_opml"))
    if config.output.index_html:
        extra.append(("index", INDEX_PATH, "syndicate.render.html:render_index"))
    for kind, rel, target in extra:
        fp = hashlib.blake2b(listing + kind.encode(), digest_size=16).digest()
        if _unchanged(root, rel, fp, previous):
            result.fingerprints[rel] = previous[rel]
            result.outputs.append(OutputFile(rel, kind, len(plans), False))
            continue
        # The OPML and the HTML index read feed titles, paths, item counts and dates:
        # the light plans carry all of it, so no article text is loaded for them.
        data = _load_callable(target)(tuple(plans), config)
        result.rendered += 1
        changed = write_if_changed(root, rel, data)
        result.fingerprints[rel] = _stamp(root, rel, fp)
        result.outputs.append(OutputFile(rel, kind, len(plans), changed))
    result.outputs.sort(key=lambda o: o.path)
    return result


_Job = tuple[str, str, bytes]  # (format, output path, fingerprint)
_RenderTask = tuple[Config, list[tuple[Any, list[_Job]]]]
_Rendered = tuple[str, bool, Stamp]  # (output path, bytes changed, stamp)


def _render_batch(task: _RenderTask) -> list[_Rendered]:
    """Render and publish some feed files (in a worker process, or inline)."""
    from syndicate.publish import write_many

    config, batch = task
    renderers = _renderers()
    root = config.output.folder
    # The whole batch is published together: one durability barrier for all its files
    # instead of two fsyncs per file (see write_many for why that is as crash-safe).
    files = [(rel, renderers[fmt](plan, config)) for plan, jobs in batch
             for fmt, rel, _ in jobs]
    changed = write_many(root, files)
    prints = [fp for _, jobs in batch for _, _, fp in jobs]
    return [(rel, was_changed, _stamp(root, rel, fp))
            for (rel, _), was_changed, fp in zip(files, changed, prints, strict=True)]


def _collect(result: _Render, batches: Iterable[list[_Rendered]],
             about: dict[str, tuple[int, str]]) -> None:
    for batch in batches:
        for rel, changed, stamp in batch:
            items, url = about[rel]
            result.rendered += 1
            result.fingerprints[rel] = stamp
            result.outputs.append(OutputFile(rel, "feed", items, changed))
            if changed:
                result.changed_urls.append(url)


def _same_light(light: Article, full: Article) -> bool:
    return (light.link == full.link and light.published == full.published
            and light.updated == full.updated and light.topics == full.topics
            and light.provider == full.provider and light.type == full.type
            and light.quality == full.quality and light.heat == full.heat
            and light.warnings == full.warnings and light.is_published == full.is_published)


def _with_body(light: Article, full: Article) -> Article:
    return dataclasses.replace(light, title=full.title, excerpt=full.excerpt,
                               images=full.images, related=full.related,
                               embed_url=full.embed_url)


def _load_callable(target: str) -> Callable[[Any, Config], bytes]:
    import importlib

    module, name = target.split(":")
    fn: Callable[[Any, Config], bytes] = getattr(importlib.import_module(module), name)
    return fn


def _stamp(root: Path, rel: str, fp: bytes) -> Stamp:
    st = os.stat(root / rel)
    return (fp, st.st_size, st.st_mtime_ns)


def _present(root: Path, rel: str, stamp: Stamp) -> bool:
    """The file is still the one we wrote: same size and mtime (a deleted, truncated or
    hand-edited output is rewritten)."""
    try:
        st = os.stat(root / rel)
    except OSError:
        return False
    return st.st_size == stamp[1] and st.st_mtime_ns == stamp[2]


def _unchanged(root: Path, rel: str, fp: bytes, previous: dict[str, Stamp]) -> bool:
    before = previous.get(rel)
    return before is not None and before[0] == fp and _present(root, rel, before)


@dataclass(frozen=True, slots=True)
class _LastBuild:
    """What the last completed build produced, as stored in the index."""

    generation: int
    key: bytes
    stamps: dict[str, Stamp]
    outputs: tuple[OutputFile, ...]
    counts: tuple[int, int, int]
    rejections: tuple[Rejection, ...]
    feeds: Any = None  # the selection's item paths per feed (see reselect)


def _last_build(raw: Any) -> _LastBuild | None:
    if raw is None:
        return None
    try:
        stamps: dict[str, Stamp] = {}
        for rel, (fp, size, mtime_ns) in raw["stamps"].items():
            if not (isinstance(rel, str) and isinstance(fp, bytes) and type(size) is int
                    and type(mtime_ns) is int):
                raise TypeError(rel)
            stamps[rel] = (fp, size, mtime_ns)
        selected, filtered, rejected = (int(n) for n in raw["counts"])
        last = _LastBuild(
            generation=int(raw["generation"]), key=bytes(raw["key"]), stamps=stamps,
            outputs=tuple(OutputFile(str(p), str(k), int(n), False)
                          for p, k, n in raw["outputs"]),
            counts=(selected, filtered, rejected),
            rejections=tuple(Rejection(str(p), str(r), line, col)
                             for p, r, line, col in raw["rejections"]),
            feeds=raw.get("feeds"))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # Only a cache of what is on disk: without it every feed is rendered and
        # compared, which is slower but gives the same bytes. The records stay valid.
        log.warning("index: record of the last build unreadable (%r); re-rendering", exc)
        return None
    return last


# --- the build -------------------------------------------------------------------------

_LAST = "last_build"


def _decode_outcomes(raw: Any) -> list[Outcome]:
    if not isinstance(raw, list):
        raise IndexCorrupt("bad stored outcomes")
    try:
        return [Outcome(p, s, r, line, col) for p, s, r, line, col in raw]
    except (TypeError, ValueError):
        raise IndexCorrupt("bad stored outcomes") from None


def _build_with(index: Index, config: Config, options: BuildOptions, started: float
                ) -> BuildResult:
    from syndicate.publish import feed_files, prune, written_by_us

    index.begin()
    refresh = refresh_index(index, config, options)
    log.debug("%.2f s: index refreshed (this process: %.2f s CPU)", time.monotonic() - started, time.process_time())
    # One transaction per run: the generation moves now if files changed, and commits
    # together with the record of the build that used it.
    generation = index.bump_generation()
    key = build_key(config)
    last = _last_build(index.get_meta(_LAST))
    previous = last.stamps if last is not None else {}
    root = config.output.folder
    # WebSub: pings owed by earlier runs, and this run's, queued durably before any feed
    # is published (see syndicate.websub), so a kill before pinging loses none.
    hubs = config.websub.hubs
    owed: dict[Any, Any] = {}
    ping_clock = time.time()  # ages queued pings; never reaches the output
    before_publish: Callable[[list[str]], None] | None = None
    if hubs:
        from syndicate.websub import load_pending, queue_pings

        owed = load_pending(config.state_folder)

        def before_publish(urls: list[str]) -> None:
            queue_pings(config.state_folder, hubs, urls, ping_clock)

    if (last is not None and last.generation == generation and last.key == key
            and all(_present(root, rel, stamp) for rel, stamp in previous.items())):
        # Nothing that the output depends on moved: the files on disk are the answer.
        outputs = last.outputs
        counts = list(last.counts)
        rejections = list(last.rejections)
        outcomes = (_decode_outcomes(index.get_outcomes())
                    if options.want_outcomes else [])
        rendered, written, changed_urls, skipped = 0, 0, [], True
    else:
        sel = None
        if last is not None and last.key == key and not index.views_changed:
            sel = reselect(index, config, last.feeds)
        if sel is None:
            sel = select_from_index(index, config)
        log.debug("%.2f s: selected and planned %d feeds", time.monotonic() - started,
                  len(sel.plans))
        render = render_and_publish(index, config, sel.plans, key, previous, options.jobs,
                                    sel.digests, before_publish)
        log.debug("%.2f s: rendered %d files", time.monotonic() - started, render.rendered)
        outputs = tuple(render.outputs)
        ordered = list(sel.outcomes.values())  # path order: the index is read that way
        tally = Counter(row[1] for row in ordered)
        counts = [tally["selected"], tally["filtered"], tally["rejected"]]
        rejections = sorted(sel.rejections, key=lambda r: r.path)
        outcomes = [Outcome(*row) for row in ordered] if options.want_outcomes else []
        index.set_outcomes(ordered)
        index.set_meta(_LAST, {
            "generation": generation, "key": key, "stamps": render.fingerprints,
            "outputs": [(o.path, o.kind, o.items) for o in outputs],
            "counts": counts,
            "rejections": [(r.path, r.reason, r.line, r.column) for r in rejections],
            "feeds": sel.feeds,
        })
        rendered, changed_urls, skipped = render.rendered, render.changed_urls, False
        written = sum(1 for o in outputs if o.changed)
        if len(ordered) != refresh.found:
            log.error("accounting mismatch: %d files found, %d outcomes", refresh.found,
                      len(ordered))
    index.commit()
    log.debug("%.2f s: index committed", time.monotonic() - started)

    keep = {o.path for o in outputs}
    stale: list[str] = []
    foreign: list[str] = []
    for rel in feed_files(root):
        if rel not in keep:
            # publish's own rule: prune deletes only what this tool wrote.
            (stale if written_by_us(root / rel, rel) else foreign).append(rel)
    pruned: list[str] = []
    if options.prune and stale:
        pruned = sorted(prune(root, keep))
        stale = [s for s in stale if s not in set(pruned)]
    failures = _ping(config, changed_urls, owed, ping_clock)
    return BuildResult(
        read=refresh.found, parsed=refresh.parsed, reused=refresh.reused,
        selected=counts[0], filtered=counts[1], rejected=counts[2], outputs=outputs,
        rendered=rendered, written=written, stale=tuple(stale), pruned=tuple(pruned),
        seconds=time.monotonic() - started, outcomes=tuple(outcomes),
        rejections=tuple(rejections), ping_failures=tuple(failures), skipped_render=skipped,
        foreign=tuple(foreign))


def _ping(config: Config, urls: list[str], owed: dict[Any, Any], now: float) -> list[str]:
    if not config.websub.hubs or not (urls or owed):
        return []
    from syndicate.websub import deliver_pending

    results = deliver_pending(config.state_folder, config.websub.hubs, sorted(urls), owed,
                              timeout=config.websub.timeout_seconds,
                              retries=config.websub.retries, now=now)
    failures = [str(r) for r in results if not r.ok]
    for f in failures:
        log.warning("websub: %s", f)
    return failures


def run_build(config: Config, options: BuildOptions | None = None) -> BuildResult:
    """Run one build under the lock. Raises LockBusy, SourceMissing and OSError (for the
    output folder); a damaged index is logged and rebuilt, never an error."""
    from syndicate.lock import acquire_lock

    options = options or BuildOptions()
    started = time.monotonic()
    with acquire_lock(config.state_folder, options.wait):
        # A build killed mid-publish leaves hidden temporaries; under the lock they are
        # certainly orphans.
        from syndicate.publish import remove_temporaries

        if config.output.folder.is_dir():
            for rel in remove_temporaries(config.output.folder):
                log.debug("removed a temporary file left by an interrupted build: %s", rel)
        if not options.use_index:
            return _build_temporary(config, options, started)
        key = read_key(config.source.folder, config.source.patterns,
                       config.source.max_file_bytes)
        index = open_index(config.state_folder, key)
        try:
            result = _build_with(index, config, options, started)
        except IndexCorrupt as exc:
            index.rollback()
            log.warning("index %s is unusable (%s); rebuilding it from the source files",
                        index.file, exc)
            discard(index)
        except BaseException:
            index.rollback()
            index.close()
            raise
        else:
            index.close()
            return result
        # A second attempt on a fresh index: a corrupt index must never cost the build.
        index = open_index(config.state_folder, key)
        try:
            return _build_with(index, config, options, started)
        except BaseException:
            index.rollback()
            raise
        finally:
            index.close()


def _build_temporary(config: Config, options: BuildOptions, started: float) -> BuildResult:
    key = read_key(config.source.folder, config.source.patterns, config.source.max_file_bytes)
    with tempfile.TemporaryDirectory(prefix="syndicate-") as tmp:
        index = temporary_index(Path(tmp), key)
        try:
            return _build_with(index, config, options, started)
        finally:
            index.close()


# --- command line ----------------------------------------------------------------------

def summary_line(result: BuildResult) -> str:
    feeds = result.feeds
    changed = sum(1 for o in result.outputs if o.changed)
    parts = [(f"read {result.read} files ({result.parsed} parsed, {result.reused} unchanged): "
              f"{result.selected} selected, {result.filtered} filtered, "
              f"{result.rejected} rejected; {len(feeds)} feeds written, {changed} changed")]
    if result.stale:
        parts.append(f"; {len(result.stale)} stale (use --prune)")
    if result.pruned:
        parts.append(f"; {len(result.pruned)} pruned")
    parts.append(f"; {result.seconds:.2f} s")
    return "".join(parts)


def run_build_command(config: Config, args: argparse.Namespace) -> int:
    """The ``syndicate build`` command: exit 0, 1 (rejections under --strict),
    2 (I/O), 3 (another build holds the lock)."""
    from syndicate.lock import LockBusy
    from syndicate.progress import progress_enabled

    options = BuildOptions(
        prune=bool(args.prune), jobs=int(args.jobs or 0), use_index=not args.no_index,
        wait=float(args.wait or 0.0),
        progress=progress_enabled(sys.stderr, bool(getattr(args, "quiet", False))),
        want_outcomes=args.report is not None)
    try:
        result = run_build(config, options)
    except LockBusy as exc:
        log.error("syndicate: %s", exc)
        return EXIT_BUSY
    except SourceMissing as exc:
        log.error("syndicate: %s", exc)
        return EXIT_IO
    except OSError as exc:
        log.error("syndicate: %s", _os_error(exc))
        return EXIT_IO
    except (sqlite3.Error, IndexCorrupt) as exc:
        # Reached only when even a fresh index cannot be written (disk full, read-only
        # state folder): --no-index still builds.
        log.error("syndicate: index in %s cannot be written: %s (try --no-index)",
                  config.state_folder, exc)
        return EXIT_IO
    for r in result.rejections:
        log.warning("%s: %s", shown(r.where()), shown(r.reason))
    for s in result.stale:
        log.info("stale feed kept (no articles any more; --prune deletes it): %s", shown(s))
    for s in result.foreign:
        log.info("foreign file in the feed folders left alone (not written by syndicate): %s",
                 shown(s))
    log.info("%s", summary_line(result))
    if args.report is not None:
        from syndicate.report import write_report

        try:
            write_report(Path(args.report), result)
        except OSError as exc:
            log.error("syndicate: cannot write report: %s", _os_error(exc))
            return EXIT_IO
    if args.strict and result.rejected:
        return EXIT_PROBLEMS
    return EXIT_OK


def _os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"
