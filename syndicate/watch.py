"""``syndicate watch``: stay running and rebuild when article files change.

- Folder source: file-system events through ``watchdog`` (inotify on Linux). Events
  only say *which* paths to look at: each build is the cron build
  (:func:`syndicate.build.run_build`, same lock, same code, same bytes), told which
  paths changed so it stats those instead of walking every file
  (``BuildOptions.changed``). A folder created, deleted or moved, or an overflow of
  the event queue (events lost), makes the next build a full walk — as does the
  first build after start.
- Bucket source (``source.url``): no event API is assumed; the listing is polled
  every ``poll`` seconds (one ListObjectsV2 page per 1,000 objects; nothing is
  downloaded unless something changed).
- Debounce: a build starts once no event came for ``debounce`` seconds, so a burst of
  writes (an editor's save, a sync tool's batch) gives one build.
- SIGTERM / SIGINT: the build in progress finishes (its files are replaced atomically
  anyway), then the watcher exits 0.
- One log line per build (the build's summary), or one error line; an error (the
  bucket unreachable, a cron build holding the lock too long) is logged and the next
  build retries with a full walk.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import logging
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from fnmatch import translate
from types import FrameType
from typing import TYPE_CHECKING, Any

from syndicate.clock import monotonic
from syndicate.errors import LockBusy, SyndicateError

if TYPE_CHECKING:
    # Types only: the CLI imports this module for its defaults, and `syndicate check`
    # must start without the builder's modules (config, tomllib...).
    from syndicate.config import Config
    from syndicate.result import BuildOptions, BuildResult

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE = 0.2  # seconds of quiet before a build: an editor's save or a sync
# tool's batch is over well within it, and it stays a small part of the change-to-feed time
DEFAULT_POLL = 10.0  # seconds between listings of a bucket source
# What a watched build loads lazily (a cron build that renders or parses nothing never
# does): the renderers, and the parser (syndicate.articles with PyYAML, ~18 ms) — the
# watcher's first build parses nothing when the listing digest holds, so without it
# here the first edit after start paid that import.
_BUILDING = ("syndicate.archive_history", "syndicate.plan", "syndicate.render_all",
             "syndicate.withdrawn", "syndicate.render.atom_rss", "syndicate.render.jsonfeed",
             "syndicate.render.opml", "syndicate.render.html", "syndicate.articles")
LOCK_WAIT = 30.0  # seconds a watched build waits for a cron build's lock


class Pending:
    """Changed paths gathered from event threads, taken by the build loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._rescan = True  # the first build walks everything
        self._last = monotonic()
        self.wake = threading.Event()

    def add(self, rel: str) -> None:
        with self._lock:
            self._paths.add(rel)
            self._last = monotonic()
        self.wake.set()

    def rescan(self) -> None:
        with self._lock:
            self._rescan = True
            self._last = monotonic()
        self.wake.set()

    def quiet_for(self) -> float:
        with self._lock:
            return monotonic() - self._last

    def take(self) -> frozenset[str] | None:
        """The changed paths, or None for a full walk; empty until more events."""
        with self._lock:
            self.wake.clear()
            paths = None if self._rescan else frozenset(self._paths)
            self._paths = set()
            self._rescan = False
            return paths

    def has_work(self) -> bool:
        with self._lock:
            return self._rescan or bool(self._paths)


def event_paths(event: Any, folder: str, matches: Callable[[str], object]
                ) -> list[str] | None:
    """The source paths a watchdog event may have changed (relative, POSIX), or None
    when only a full walk can tell (a folder created, deleted or moved; events lost).
    Pure: decided from the event's type and paths."""
    kind = type(event).__name__
    if kind == "EventsLostEvent":
        return None
    if event.is_directory:
        return None if kind in ("DirCreatedEvent", "DirDeletedEvent", "DirMovedEvent") else []
    if kind in ("FileOpenedEvent", "FileClosedNoWriteEvent"):
        return []
    rels = []
    for raw in (event.src_path, getattr(event, "dest_path", "")):
        if not raw:
            continue
        path = os.fsdecode(raw)
        rel = os.path.relpath(path, folder).replace(os.sep, "/")
        if rel.startswith("../") or rel == "..":
            continue
        name = rel.rsplit("/", 1)[-1]
        if not name.startswith(".") and matches(name):
            rels.append(rel)
    return rels


@contextmanager
def _stop_on_signals(stop: threading.Event, wake: threading.Event) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()
        wake.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_watch(config: Config, options: BuildOptions, *, debounce: float, poll: float,
              clock: Callable[[], datetime] | None,
              on_build: Callable[[BuildResult], None]) -> int:
    """Watch and build until SIGTERM/SIGINT; returns 0. ``clock``: the moment of each
    build (None: ``options.now`` for every build, as ``--now`` asks). ``on_build``
    gets each build's result (the CLI logs the summary line)."""
    from syndicate.build import run_build
    from syndicate.incremental import SelectionMemo

    stop = threading.Event()
    pending = Pending()
    memo = SelectionMemo()  # the last build's selection items, from build to build
    for name in _BUILDING:
        # A watcher parses and renders sooner or later: imported now, not on the first
        # edit (a cron build imports them only when it parses or renders something).
        importlib.import_module(name)
    observer = None if config.source.url is not None else _observe(config, pending)
    try:
        with _stop_on_signals(stop, pending.wake):
            while not stop.is_set():
                if not pending.has_work():
                    timeout = poll if observer is None else 1.0
                    if not pending.wake.wait(timeout) and observer is None:
                        pending.rescan()  # a bucket: poll the listing
                    continue
                # Debounce: build once the burst is over.
                quiet = pending.quiet_for()
                if quiet < debounce:
                    stop.wait(debounce - quiet)
                    continue
                changed = pending.take()
                now = clock() if clock is not None else options.now
                try:
                    result = run_build(config, dataclasses.replace(
                        options, now=now, changed=changed, wait=LOCK_WAIT, memo=memo))
                except LockBusy as exc:
                    log.warning("syndicate: %s; will retry", exc)
                    _requeue(pending, changed)
                    continue
                except (SyndicateError, OSError) as exc:
                    log.error("syndicate: build failed: %s; retrying on the next change "
                              "with a full scan", exc)
                    pending.take()
                    stop.wait(min(poll, 5.0))
                    pending.rescan()
                    continue
                on_build(result)
                _settle_heap()
    finally:
        gc.unfreeze()  # a caller that goes on (a test) gets its collector back whole
        if observer is not None:
            observer.stop()
            observer.join(timeout=10)
    return 0


def _settle_heap() -> None:
    """Between builds, off the change-to-feed path: collect this build's garbage, then
    freeze what is left (the memo, the kept warnings, modules) out of the collector's
    sight. At a million articles that heap is ~300 MB of objects, and each full
    collection a watched build triggered walked all of it (50-90 ms, once or twice a
    build); frozen objects are still freed by reference counting, and the next
    settling unfreezes them first, so garbage cycles among them are collected too."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _requeue(pending: Pending, changed: frozenset[str] | None) -> None:
    if changed is None:
        pending.rescan()
    else:
        for rel in changed:
            pending.add(rel)


def _observe(config: Config, pending: Pending) -> Any:
    """Start a watchdog observer on the source folder feeding ``pending``."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    folder = str(config.source.folder)
    if not os.path.isdir(folder):
        from syndicate.errors import SourceMissing

        raise SourceMissing(f"source folder {folder} does not exist or is not a folder")
    matches = re.compile("|".join(f"(?:{translate(p)})"
                                  for p in config.source.patterns)).match

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            rels = event_paths(event, folder, matches)
            if rels is None:
                pending.rescan()
            else:
                for rel in rels:
                    pending.add(rel)

    observer = Observer()
    observer.schedule(Handler(), folder, recursive=True)
    observer.daemon = True
    observer.start()
    return observer
