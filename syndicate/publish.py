"""Atomic, change-aware writes confined to the output folder; and pruning stale feeds.

A reader polling a feed must never see half a file, and a web server must keep serving
the same ETag / Last-Modified when nothing changed. So a file is written only when its
bytes differ, always through a temporary file in the same folder that is fsynced and
renamed over the old one, and the folder is fsynced so the rename survives a crash.

Nothing here writes or deletes outside ``root``: a relative path is refused if it is
absolute, contains ``..``, a backslash or NUL, or resolves (through symlinked
sub-folders) to somewhere outside ``root``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from syndicate.errors import OutputRefused, UnsafePathError

log = logging.getLogger(__name__)

FEED_SUFFIXES = (".atom", ".rss", ".json")
# A feed's HTML page (P.html beside P.atom): stale with its feed, pruned with it.
PAGE_SUFFIX = ".html"
FEED_FOLDERS = ("topics", "providers", "custom")

# A new file is readable by the web server whatever the umask of the build (mkstemp
# creates 0600); an existing file keeps its mode.
NEW_FILE_MODE = 0o644


def _parts(rel: str) -> tuple[str, ...]:
    if not rel or "\\" in rel or "\0" in rel:
        raise UnsafePathError(f"{rel!r}: not a plain relative POSIX path")
    path = PurePosixPath(rel)
    if path.is_absolute() or rel.startswith("/"):
        raise UnsafePathError(f"{rel!r}: absolute path")
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UnsafePathError(f"{rel!r}: empty, '.' or '..' path segment")
    return tuple(parts)


def _inside(root: Path, path: Path) -> bool:
    return path.resolve() == root or path.resolve().is_relative_to(root)


def _folder(root: Path, parts: tuple[str, ...]) -> Path:
    """The folder for ``parts[:-1]`` under ``root``, created as needed, each step checked
    BEFORE anything is created through it (a symlink could point anywhere)."""
    real_root = root.resolve()
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        if not (folder.exists() or folder.is_symlink()):
            try:
                folder.mkdir()
                continue
            except FileExistsError:
                # Render workers publish in parallel: into a fresh output folder, two of
                # them race to create topics/ (this made a build exit 2 under load).
                # Whatever the other one made is checked like any existing entry.
                pass
        if not _inside(real_root, folder):
            raise UnsafePathError(f"{'/'.join(parts)!r}: {folder} leads outside {root}")
        if not folder.is_dir():
            raise UnsafePathError(f"{'/'.join(parts)!r}: {folder} is not a folder")
    return folder


def check_output_folder(root: Path) -> None:
    """Before a build writes anything: refuse an output folder whose ``topics/`` or
    ``providers/`` is a link leading outside it or not a folder, or that holds a feed
    file which is a link leading outside, so the build stops before its first file
    instead of after some feeds were replaced. An output "folder" that is a file (or a
    dangling link) is refused too, before the build takes its lock or touches its
    index."""
    if not root.is_dir():
        if os.path.lexists(root):
            raise OutputRefused(f"{root} is not a folder")
        above = root.parent
        while not os.path.lexists(above) and above != above.parent:
            above = above.parent
        if not above.is_dir():
            raise OutputRefused(f"{root}: {above} is not a folder")
        return  # missing: created by the build
    real_root = root.resolve()
    for name in ("", *FEED_FOLDERS):
        folder = root / name if name else root
        try:
            folder.lstat()
        except OSError:
            continue  # missing (created later), or unreachable: the build reports that
        if not _inside(real_root, folder):
            raise UnsafePathError(f"{folder} leads outside {root}")
        if not folder.is_dir():
            raise UnsafePathError(f"{folder} is not a folder")
        try:
            with os.scandir(folder) as entries:
                links = [e.path for e in entries
                         if e.name.endswith((*FEED_SUFFIXES, ".opml", ".html"))
                         and e.is_symlink()]
        except OSError:
            continue
        for link in sorted(links):
            if not _inside(real_root, Path(link)):
                raise UnsafePathError(f"{link} is a link leading outside {root}")


def read_previous(root: Path, rel: str, limit: int) -> bytes | None:
    """The bytes of ``root/rel`` before this build replaces them, or None when there is
    no such regular file inside ``root`` (a new feed; a link leading out is never read)
    or it is over ``limit`` bytes or cannot be read: then there is nothing to compare.
    Raises :class:`UnsafePathError` for a ``rel`` that leaves ``root``."""
    target = root.joinpath(*_parts(rel))
    try:
        # Checked before opening: opening a FIFO would block (write_many refuses one).
        if not _inside(root.resolve(), target) or not stat.S_ISREG(target.stat().st_mode):
            return None
        with target.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def write_if_changed(root: Path, rel: str, data: bytes) -> bool:
    """Make ``root/rel`` hold exactly ``data``. Returns True when the file was written,
    False when it already held these bytes (then it is not touched: same mtime).

    Raises :class:`UnsafePathError` for a ``rel`` that leaves ``root``, and ``OSError``
    for I/O failures; a failed write leaves the old file intact and no temporary file
    behind.
    """
    return write_many(root, [(rel, data)])[0]


def write_many(root: Path, files: Iterable[tuple[str, bytes]]) -> list[bool]:
    """:func:`write_if_changed` for several files at once, with the same guarantees per
    file; returns, in order, whether each file was written.

    Durability, batched. Per file, the old way was: write temp, fsync temp, rename over
    the target, fsync the folder — two fsyncs per file, which was a seventh of a cold
    build. Here, in three phases:

    1. every changed file's bytes go to its own temporary file (nothing visible yet);
    2. every temporary file is fsynced (one after the other, once all are written, so
       the kernel writes them back together);
    3. only then each temporary file is renamed over its target, and each folder
       touched is fsynced once, after all its renames.

    A rename is atomic, so a reader or a ``kill -9`` at any moment sees each target as
    the old file or the new one. After a power loss: a rename that reached the disk
    names an inode whose data was made durable in phase 2, before any rename happened,
    so it is the complete new file; a rename that did not reach the disk leaves the old
    name pointing at the old file. Nothing returns before the folders are fsynced, so a
    file reported as written is durably the new one — as before. A failure anywhere
    (write, fsync, rename) removes every temporary file not yet renamed and raises;
    targets already renamed are complete new files, the rest are untouched old ones.
    """
    real_root: Path | None = None
    folders: dict[tuple[str, ...], Path] = {}
    results: list[bool] = []
    staged: list[tuple[Path, Path, int, str]] = []  # (temp, target, mode, rel)
    try:
        for rel, data in files:
            parts = _parts(rel)
            if real_root is None:
                root.mkdir(parents=True, exist_ok=True)
                real_root = root.resolve()
            folder = folders.get(parts[:-1])
            if folder is None:
                folder = folders[parts[:-1]] = _folder(root, parts)
            target = folder / parts[-1]
            if target.is_symlink() and not _inside(real_root, target):
                raise UnsafePathError(f"{rel!r}: {target} is a link leading outside {root}")
            mode = NEW_FILE_MODE
            try:
                st = target.stat()
            except FileNotFoundError:
                pass
            else:
                if not stat.S_ISREG(st.st_mode):
                    raise UnsafePathError(f"{rel!r}: {target} exists and is not a regular file")
                mode = stat.S_IMODE(st.st_mode)
                if st.st_size == len(data) and target.read_bytes() == data:
                    results.append(False)
                    continue
            fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{parts[-1]}.tmp-")
            staged.append((Path(tmp_name), target, mode, rel))
            with _naming(target), os.fdopen(fd, "wb") as handle:
                handle.write(data)
            results.append(True)
        for tmp, target, mode, _ in staged:
            with _naming(target):
                fd = os.open(tmp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            os.chmod(tmp, mode)  # not fchmod: Windows has no fchmod before Python 3.13
        touched: dict[Path, None] = {}  # folders in first-renamed order
        while staged:
            tmp, target, _, rel = staged[-1]
            with _naming(target):
                os.replace(tmp, target)
            staged.pop()
            touched[target.parent] = None
            log.debug("wrote %s", rel)
    except BaseException:
        for tmp, *_ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    for folder in touched:
        _fsync_folder(folder)
    return results


@contextlib.contextmanager
def _naming(target: Path) -> Iterator[None]:
    """write()/fsync() errors (disk full, quota, I/O) carry no file name: name the feed,
    so the one-line message says which file could not be written."""
    try:
        yield
    except OSError as exc:
        if exc.filename:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc


def _fsync_folder(folder: Path) -> None:
    # Makes the rename durable. Some file systems (and Windows) cannot open a folder;
    # the rename itself has still happened atomically.
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# tempfile.mkstemp(prefix=".<name>.tmp-") adds 8 characters from [a-z0-9_].
_TEMPORARY = re.compile(r"\..+\.tmp-[a-z0-9_]{8}")


def remove_temporaries(root: Path) -> list[str]:
    """Delete the temporary files a killed build left behind (``.<name>.tmp-XXXXXXXX`` in
    the output folder, ``topics/`` and ``providers/``); returns their relative paths.

    Call it only under the build lock: a running build's temporaries look the same.
    Never follows a symlink and touches nothing but regular files of that exact shape.
    """
    removed: list[str] = []
    real_root = root.resolve()
    for prefix, folder in [("", root)] + [(f"{name}/", root / name) for name in FEED_FOLDERS]:
        if folder.is_symlink() or not folder.is_dir() or not _inside(real_root, folder):
            continue
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if _TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    continue
                removed.append(prefix + entry.name)
    return removed


def feed_files(root: Path) -> list[str]:
    """Every feed file the build could have written: ``all.*`` / ``*.atom|rss|json`` at
    the top, in ``topics/``, ``providers/`` and ``custom/``, their pages (``all.html``,
    ``topics/*.html``...; never ``index.html``) and archive pages
    (``archive/<feed>/<k>.*``); regular files only, sorted."""
    found: list[str] = []
    real_root = root.resolve()
    folders = [(f"{name}/", root / name, False) for name in FEED_FOLDERS]
    checked = [(prefix, folder, True) for prefix, folder in _archive_folders(root, real_root)]
    for prefix, folder, safe in [("", root, False), *folders, *checked]:
        if not safe and (folder.is_symlink() or not folder.is_dir()
                         or not _inside(real_root, folder)):
            continue
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            name = entry.name
            if name.startswith(".") or not name.endswith((*FEED_SUFFIXES, PAGE_SUFFIX)):
                continue
            if prefix == "" and not name.startswith("all."):
                continue
            if entry.is_file(follow_symlinks=False):
                found.append(prefix + name)
    return found


def _archive_folders(root: Path, real_root: Path) -> list[tuple[str, Path]]:
    """The folders archive pages go in (syndicate.archive): ``archive/all`` and
    ``archive/<family>/<slug>``; symlinks are skipped like every other folder here.
    Each is a real folder (no symlink) in a checked one: inside the root, without a
    ``resolve`` each (thousands of them with archives on)."""
    base = root / "archive"
    if base.is_symlink() or not base.is_dir() or not _inside(real_root, base):
        return []
    out: list[tuple[str, Path]] = []
    for family in ("all", *FEED_FOLDERS):
        folder = base / family
        if folder.is_symlink() or not folder.is_dir():
            continue
        if family == "all":
            out.append(("archive/all/", folder))
            continue
        out += [(f"archive/{family}/{e.name}/", Path(e.path))
                for e in sorted(os.scandir(folder), key=lambda e: e.name)
                if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]
    return out


# What every feed we write carries near its start (before any entry): the generator
# (Atom, RSS) or, in JSON Feed, which has no generator, a feed_url ending in its own
# path. A file a person put in topics/ (an old feed, a hand-made one) has neither.
_HEAD_BYTES = 1 << 20  # the generator follows the title, which a config can make long
_ATOM_RSS_MARK = re.compile(rb"<generator(?: [^>]*)?>syndicate[ <]")
_PAGE_MARK = re.compile(rb'<meta name="generator" content="syndicate[ "]')


def written_by_us(path: Path, rel: str) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError:
        return False
    if rel.endswith(".json"):
        match = re.search(rb'"feed_url": "([^"]*)"', head)
        return match is not None and match.group(1).endswith(b"/" + rel.encode("utf-8"))
    if rel.endswith(PAGE_SUFFIX):
        return bool(_PAGE_MARK.search(head))
    return bool(_ATOM_RSS_MARK.search(head))


def prune(root: Path, keep: Iterable[str]) -> list[str]:
    """Delete feed files (see :func:`feed_files`) not in ``keep``; returns the deleted
    relative paths, sorted. Never touches anything else: not ``feeds.opml``, not
    ``index.html``, not files of other extensions, not symlinks, not hidden files, not
    a feed file this tool did not write (see :func:`written_by_us`)."""
    wanted = set(keep)
    removed: list[str] = []
    for rel in feed_files(root):
        if rel in wanted:
            continue
        if not written_by_us(root / rel, rel):
            log.warning("not pruning %s: not a feed this tool wrote", rel)
            continue
        try:
            (root / rel).unlink()
        except FileNotFoundError:
            continue
        removed.append(rel)
        log.debug("pruned %s", rel)
    for folder in sorted({(root / rel).parent for rel in removed}):
        _fsync_folder(folder)
    return sorted(removed)


class Leftovers(NamedTuple):
    """Feed-named files in the output folder that this build did not write."""

    stale: tuple[str, ...]  # written by this tool for feeds that no longer exist, kept
    foreign: tuple[str, ...]  # not written by this tool: never pruned
    pruned: tuple[str, ...]  # stale files deleted (``prune=True``)


def tidy(root: Path, keep: Iterable[str], *, prune_stale: bool) -> Leftovers:
    """Find the feed files not in ``keep`` and, with ``prune_stale``, delete those this
    tool wrote (see :func:`prune`)."""
    wanted = set(keep)
    stale: list[str] = []
    foreign: list[str] = []
    for rel in feed_files(root):
        if rel not in wanted:
            (stale if written_by_us(root / rel, rel) else foreign).append(rel)
    pruned: list[str] = []
    if prune_stale and stale:
        pruned = prune(root, wanted)
        gone = set(pruned)
        stale = [s for s in stale if s not in gone]
    return Leftovers(tuple(stale), tuple(foreign), tuple(pruned))
