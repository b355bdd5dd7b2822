"""The source folder: which files are articles (one walker), and their bytes (one reader).

Used by the build and by ``explain`` alike, so both account for exactly the same files:

- :func:`discover` walks the folder once with ``os.scandir`` on plain strings (a
  no-change rebuild of 100,000 files is mostly this walk, and pathlib objects would
  triple its cost). Hidden entries (``.git``, ``.syndicate``, editor files) are
  skipped, symlinked folders are never followed, matching is case-sensitive
  ``fnmatch`` on the file *name*.
- :func:`read_bytes` reads one plain regular file within the size limit with
  ``os.read`` (the common case, the bytes the index hashes); :func:`read_article`
  handles everything else — symlinks, folders, FIFOs, oversized or unreadable files —
  and turns it into a :class:`~syndicate.model.Rejection` whose message is the
  project's own. Neither raises for anything about a file.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from fnmatch import translate
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple, Protocol

from syndicate.config import SourceConfig
from syndicate.display import shown
from syndicate.errors import SourceMissing
from syndicate.model import Article, Rejection

if TYPE_CHECKING:
    from collections.abc import Sequence

    from syndicate.index import FileRow

log = logging.getLogger(__name__)

NON_UTF8_NAME = ("file name is not valid UTF-8 (shown with \\xNN escapes for its "
                 "undecodable bytes); rename it to read it")

# O_NOFOLLOW: a symlink fails to open on the fast path, on purpose (read_article
# decides about it). O_NONBLOCK: a FIFO named like an article must not block on open().
_FAST_FLAGS = (os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0))
_FOLLOW_FLAGS = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))

# One file the walk found: (rel, size, mtime_ns) — its POSIX path relative to the
# source folder (os.fsdecode'd) and its stat, -1, -1 when it could not be stat'ed (such a
# file never matches an index entry, so it is read, and rejected, every run).
# A plain tuple, not a NamedTuple: 100,000 are made on every run, and building
# NamedTuples made the walk of a no-change build ~10% slower (measured at 100,000
# files: 455 against 415 ms). Its one consumer, refresh.compare, unpacks it.
Found = tuple[str, int, int]


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


# --- the walk ----------------------------------------------------------------------

def discover(source: SourceConfig) -> list[Found]:
    """Every article file below ``source.folder`` with its stat, in no particular
    order (callers sort what they need), as ``(rel, size, mtime_ns)`` (see
    :data:`Found`).

    A symlink whose name matches is listed whatever it points to, and a sub-folder
    that cannot be listed is listed itself, so the build accounts for (and rejects)
    them. Raises :class:`SourceMissing` when the folder is not there, ``OSError``
    when it cannot be listed.
    """
    folder = source.folder
    if not folder.is_dir():
        raise SourceMissing(f"source folder {folder} does not exist or is not a folder")
    # One regex for all patterns: fnmatchcase semantics.
    matches = re.compile("|".join(f"(?:{translate(p)})" for p in source.patterns)).match

    found: list[Found] = []
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
            # An unlistable sub-folder is accounted for as a file, which
            # read_article then rejects with the OS error.
            log.warning("cannot list %s: %s", shown(where), exc.strerror or exc)
            add((prefix.rstrip("/"), -1, -1))
            continue
        with listing:
            _walk(listing, prefix, matches, pending, add)
    return found


def _walk(listing: Iterator[os.DirEntry[str]], prefix: str,
          matches: Callable[[str], re.Match[str] | None],
          pending: list[tuple[str, str]], add: Callable[[Found], None]) -> None:
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


def check_source(source: SourceConfig) -> None:
    """Raise :class:`SourceMissing` unless ``source.folder`` is a folder that can be
    listed: asked before the build takes its lock or opens its index, so a typo in
    ``--source`` changes nothing in the state folder (and creates nothing)."""
    folder = source.folder
    if not folder.is_dir():
        raise SourceMissing(f"source folder {folder} does not exist or is not a folder")
    try:
        os.scandir(folder).close()
    except OSError as exc:
        raise SourceMissing(f"source folder {folder} cannot be listed: "
                            f"{exc.strerror or exc}") from None


class Survey(NamedTuple):
    """A first look at the source folder (see :func:`survey`)."""

    articles: bool  # it holds at least one file :func:`discover` would list
    others: int  # without articles: its non-hidden files that no pattern matches
    example: str | None  # the first of those by path (raw; show it escaped)


def survey(source: SourceConfig) -> Survey:
    """Whether the folder holds an article file, by the rules of :func:`discover`,
    with a walk that stops at the first one (so it costs next to nothing for any real
    source); when it holds none, what it holds instead, for a message that points at
    ``source.patterns``. ``OSError`` when the folder cannot be listed."""
    matches = re.compile("|".join(f"(?:{translate(p)})" for p in source.patterns)).match
    others = 0
    example: str | None = None
    pending = [("", str(source.folder))]
    while pending:
        prefix, where = pending.pop()
        try:
            listing = os.scandir(where)
        except OSError:
            if not prefix:
                raise
            return Survey(True, 0, None)  # discover lists an unlistable sub-folder
        with listing:
            for entry in listing:
                name = entry.name
                if name[0] == ".":
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((f"{prefix}{name}/", entry.path))
                        continue
                except OSError:
                    return Survey(True, 0, None)
                if matches(name):
                    return Survey(True, 0, None)
                others += 1
                rel = prefix + name
                if example is None or rel < example:
                    example = rel
    return Survey(False, others, example)


def stat_paths(source: SourceConfig, rels: Iterable[str]) -> list[Found]:
    """The entries :func:`discover` would make for ``rels`` (relative POSIX paths)
    and nothing else: a path that is gone, hidden, not matching the patterns, a
    folder, or reached through a symlinked folder (never walked) is left out."""
    folder = str(source.folder)
    matches = re.compile("|".join(f"(?:{translate(p)})" for p in source.patterns)).match
    found: list[Found] = []
    for rel in rels:
        parts = rel.split("/")
        if any(not p or p[0] == "." for p in parts) or not matches(parts[-1]):
            continue
        path = f"{folder}/{rel}"
        try:
            if not _walked(folder, parts) or stat.S_ISDIR(os.lstat(path).st_mode):
                continue
        except FileNotFoundError:
            continue
        except OSError:
            found.append((rel, -1, -1))
            continue
        try:
            st = os.stat(path)  # a symlink's target, as the walk does
        except OSError:
            found.append((rel, -1, -1))
            continue
        found.append((rel, st.st_size, st.st_mtime_ns))
    return found


def _walked(folder: str, parts: list[str]) -> bool:
    """Every folder on the way is a real folder (the walk never follows a link)."""
    where = folder
    for part in parts[:-1]:
        where = f"{where}/{part}"
        if not stat.S_ISDIR(os.lstat(where).st_mode):
            return False
    return True


# --- the reader --------------------------------------------------------------------

class FileBytes(NamedTuple):
    """What :func:`read_bytes` got of one file."""

    data: bytes | None  # None: not a plain regular file within the limit, or unreadable
    size: int  # from fstat of the opened file; -1 when it could not be opened
    mtime_ns: int
    retry: bool  # unreadable for a reason chmod can fix without moving size or mtime


def read_bytes(file: str, max_bytes: int) -> FileBytes:
    """The bytes of ``file`` (a plain string path: a Path per file costs as much as
    reading it) when it is a regular file, not a symlink, of at most ``max_bytes``.
    ``data`` may come back one byte over the limit when the file grew meanwhile."""
    try:
        fd = os.open(file, _FAST_FLAGS)
        try:
            info = os.fstat(fd)
            data = None
            if stat.S_ISREG(info.st_mode) and info.st_size <= max_bytes:
                data = _read_all(fd, info.st_size, max_bytes)
            return FileBytes(data, info.st_size, info.st_mtime_ns, False)
        finally:
            os.close(fd)
    except OSError as exc:
        # Permission errors and the like can be fixed without touching size or mtime
        # (chmod changes neither): such a file is retried on every run. ELOOP is
        # O_NOFOLLOW refusing a symlink: nothing to retry for.
        return FileBytes(None, -1, -1, exc.errno != errno.ELOOP)


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


def read_regular(file: str, max_bytes: int) -> bytes | None:
    """The bytes of a regular file of at most ``max_bytes`` (symlinks not followed),
    or None for anything else (used to re-check a racy index entry)."""
    got = read_bytes(file, max_bytes)
    if got.data is None or len(got.data) > max_bytes:
        return None
    return got.data


def read_article(file: Path, path: str, *, max_bytes: int) -> Article | Rejection:
    """Read and parse one file whatever it is; never raises for anything about the file.

    The file is opened once and ``fstat``-ed before any byte is read: a folder, a
    device or FIFO, or a file over ``max_bytes`` is rejected without reading it (a
    file that grows past the limit while being read is rejected too, after reading
    at most ``max_bytes + 1`` bytes). A symlink that resolves outside the source
    folder (the folder ``path`` is relative to) is rejected without opening it. OS
    errors become Rejections carrying the OS message.
    """
    # Imported here: the YAML machinery costs a no-change build (which parses nothing)
    # a sizeable share of its time.
    from syndicate.articles import parse_article

    try:
        if os.path.islink(file) and _leaves_source(file, path):
            return Rejection(path, "symlink points outside the source folder; not read")
        fd = os.open(file, _FOLLOW_FLAGS)
        try:
            info = os.fstat(fd)  # the opened file itself: no race with a swapped path
            if stat.S_ISDIR(info.st_mode):
                return Rejection(path, "is a folder, not a file")
            if not stat.S_ISREG(info.st_mode):
                return Rejection(path, "not a regular file (device, FIFO or socket)")
            if info.st_size > max_bytes:
                return _too_large(path, info.st_size, max_bytes)
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(max_bytes + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        return Rejection(path, f"cannot read: {exc.strerror or exc}")
    if len(data) > max_bytes:
        return _too_large(path, len(data), max_bytes)
    return parse_article(data, path)


def _too_large(path: str, size: int, max_bytes: int) -> Rejection:
    return Rejection(path, f"file too large: {size} bytes, more than the limit of {max_bytes} "
                           f"(source.max_file_bytes); not read")


def _leaves_source(file: Path, path: str) -> bool:
    depth = len(PurePosixPath(path).parts)
    root = file.parents[depth - 1] if 0 < depth <= len(file.parents) else file.parent
    real_root = os.path.realpath(root)
    real = os.path.realpath(file)
    return os.path.commonpath([real, real_root]) != real_root


# --- where the files come from -------------------------------------------------------

class SourceStore(Protocol):
    """Where article files come from: the folder (:class:`FolderStore`) or a bucket
    (:class:`syndicate.objectstore.source.BucketStore`). :func:`syndicate.refresh.refresh`
    compares what :meth:`discover` lists with the index and hands :meth:`parse` what
    changed, so both get the same accounting and the same incremental index."""

    def discover(self) -> list[Found]:
        """Every article with its change key (size, and an mtime or a stand-in)."""
        ...

    def stat_paths(self, rels: Iterable[str]) -> list[Found]:
        """What :meth:`discover` would list of ``rels`` alone (a path that is gone,
        hidden, not matching or not walked is left out)."""
        ...

    def read_regular(self, rel: str) -> bytes | None:
        """The bytes of ``rel`` when it is a plain file within the size limit (to
        re-check a racy index entry), else None."""
        ...

    def parse(self, rels: Sequence[str], *, jobs: int, threshold: int,
              on_progress: Callable[[int], None]) -> Iterator[list[FileRow]]:
        """Index rows for ``rels``, in chunks, in the order of ``rels``."""
        ...


class FolderStore:
    """The source folder: :func:`discover` walks it, files are read from disk."""

    def __init__(self, source: SourceConfig) -> None:
        self.source = source

    def discover(self) -> list[Found]:
        return discover(self.source)

    def stat_paths(self, rels: Iterable[str]) -> list[Found]:
        return stat_paths(self.source, rels)

    def read_regular(self, rel: str) -> bytes | None:
        return read_regular(f"{self.source.folder}/{rel}", self.source.max_file_bytes)

    def parse(self, rels: Sequence[str], *, jobs: int, threshold: int,
              on_progress: Callable[[int], None]) -> Iterator[list[FileRow]]:
        from syndicate.refresh import parse_files

        return parse_files(self.source, rels, jobs=jobs, threshold=threshold,
                           on_progress=on_progress)


def open_store(source: SourceConfig) -> SourceStore:
    """The store ``source`` names: its ``url`` (boto3 imported only then), else its
    folder."""
    if source.url is not None:
        from syndicate.objectstore.source import BucketStore

        return BucketStore(source)
    return FolderStore(source)
