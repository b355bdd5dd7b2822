"""What a build may skip, and the keys that prove it safe. Pure decisions, apart from
the ``os.stat`` of output files (:func:`present`).

Work is skipped at three levels:

- parsing: a file whose size and mtime match its index entry is not read
  (:mod:`syndicate.refresh`);
- everything after parsing: when the index generation and both keys equal those of
  the last completed build, and every output file it wrote is still there with the
  size and mtime it was left with (:func:`nothing_to_do`), selection, planning and
  rendering are skipped — the output would be the same bytes. When no record's
  selection view changed and the selection key is the same, the last build's
  selection stands (:func:`reuse_selection`): only the plans are rebuilt;
- rendering one output file: its fingerprint (render key, the plan's header, and the
  digest of every item's record) equals the last build's and the file is untouched
  (:func:`unchanged`).

The keys say exactly what they cover (a config change outside them cannot change a
byte of output, so it re-renders nothing — ``websub.timeout_seconds``, the state
folder, ``--jobs``):

- :func:`selection_key`: the syndicate version and ``[selection]`` (which holds the
  custom feeds and the spelling aliases too) — which articles go into which feed, and
  every outcome; the build's moment is not in it: :meth:`LastBuild.holds_at` says
  whether a selection still stands at another moment;
- :func:`render_key`: the syndicate version and every config field a planner or
  renderer reads: ``[site]``, ``[feeds]``, ``output.formats`` / ``opml`` /
  ``index_html`` / ``html_images`` / ``max_feed_bytes`` / ``archives`` /
  ``archive_page_size`` and ``websub.hubs`` (every feed carries ``rel="hub"`` links);
- what changes how files are *read* (source folder, patterns, size limit) is the
  index's own read key (:func:`syndicate.index.read_key`): another read key is another
  index, with no last build at all.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import syndicate
from syndicate.config import Config
from syndicate.index import Index, LightItem
from syndicate.model import Article, Rejection, Warned
from syndicate.result import OutputFile, OutputKind, Trim
from syndicate.select import FeedItems, Selection

log = logging.getLogger(__name__)

LAST_BUILD = "last_build"  # its key in the index's meta table
# The keys of a record written before builds had a moment (scheduled publishing).
_BEFORE_MOMENTS = frozenset({"generation", "selection_key", "render_key", "stamps",
                             "outputs", "counts", "rejections", "feeds"})
_KINDS: tuple[OutputKind, ...] = ("feed", "page", "opml", "index")


def _hash(*parts: object) -> bytes:
    raw = repr((syndicate.__version__, *parts)).encode("utf-8")
    return hashlib.blake2b(raw, digest_size=16).digest()


def selection_key(config: Config) -> bytes:
    """Everything besides the records that selection depends on."""
    return _hash("selection", config.selection)


def render_key(config: Config) -> bytes:
    """Everything besides the plans that the rendered bytes depend on."""
    out = config.output
    # Archives only when on: switching them off gives exactly the key (and the files)
    # of a build before they existed.
    archives = ((out.archives, out.archive_page_size),) if out.archives else ()
    return _hash("render", config.site, config.feeds, out.formats, out.opml, out.index_html,
                 config.websub.hubs, out.max_feed_bytes, out.withdrawn_days,
                 out.html_images, *archives)


class Stamp(NamedTuple):
    """One output file as a build left it: what it was rendered from, and the stat
    that proves it untouched since."""

    fingerprint: bytes
    size: int
    mtime_ns: int


class Counts(NamedTuple):
    selected: int
    filtered: int
    rejected: int
    scheduled: int = 0


class StoredFeed(NamedTuple):
    """One topic or provider feed of a selection: its key, name and item paths."""

    key: str
    name: str
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeedPaths:
    """A selection as item paths per feed (what :func:`reuse_selection` restores)."""

    all: tuple[str, ...]
    topics: tuple[StoredFeed, ...]
    providers: tuple[StoredFeed, ...]
    custom: tuple[StoredFeed, ...] = ()

    @classmethod
    def of(cls, selection: Selection) -> FeedPaths:
        def feeds(groups: tuple[FeedItems, ...]) -> tuple[StoredFeed, ...]:
            return tuple(StoredFeed(g.key, g.name, tuple(a.path for a in g.items))
                         for g in groups)

        return cls(tuple(a.path for a in selection.all), feeds(selection.topics),
                   feeds(selection.providers), feeds(selection.custom))


@dataclass(frozen=True, slots=True)
class LastBuild:
    """What the last completed build produced, as stored in the index (one record,
    committed in the same transaction as the index generation it used)."""

    generation: int
    selection_key: bytes
    render_key: bytes
    stamps: dict[str, Stamp]  # output path -> stamp
    outputs: tuple[OutputFile, ...]
    counts: Counts
    rejections: tuple[Rejection, ...]
    feeds: FeedPaths
    # The moments between which the selection holds (issue 12, scheduled publishing):
    # the build's ``now`` and the earliest held-back article's due time (None: none).
    # A build at another moment outside [now_us, next_due_us) selects again.
    now_us: int = 0
    next_due_us: int | None = None
    trims: dict[str, Trim] = field(default_factory=dict)  # feed files cut to the budget
    expires_us: int | None = None  # the earliest tombstone expiry (syndicate.withdrawn)

    def holds_at(self, now_us: int) -> bool:
        """The selection of this build is the selection at ``now_us`` too: no article
        became due since, and the clock did not go back past this build's moment."""
        return self.now_us <= now_us and (self.next_due_us is None
                                          or now_us < self.next_due_us)

    def to_meta(self) -> dict[str, object]:
        """Plain marshal types, for :meth:`Index.set_meta`."""
        return {
            "generation": self.generation,
            "selection_key": self.selection_key,
            "render_key": self.render_key,
            "stamps": {rel: tuple(s) for rel, s in self.stamps.items()},
            "outputs": [(o.path, o.kind, o.items) for o in self.outputs],
            "counts": tuple(self.counts),
            "rejections": [(r.path, r.reason, r.line, r.column) for r in self.rejections],
            "feeds": (self.feeds.all, [tuple(f) for f in self.feeds.topics],
                      [tuple(f) for f in self.feeds.providers],
                      [tuple(f) for f in self.feeds.custom]),
            "moments": (self.now_us, self.next_due_us),
            "trims": [tuple(t) for t in self.trims.values()],
            "expires": self.expires_us,
        }

    @classmethod
    def from_meta(cls, raw: object) -> LastBuild | None:
        """The record :meth:`to_meta` stored, or None when there is none or it is
        unreadable (logged: it is only a cache of what is on disk; without it every
        feed is rendered and compared, which is slower but gives the same bytes)."""
        if raw is None:
            return None
        if isinstance(raw, dict) and set(raw) == _BEFORE_MOMENTS:
            # Written before builds had a moment: its selection may carry articles dated
            # after --now, so it proves nothing. Not damage: select again, quietly.
            log.info("index: last build recorded by an older syndicate; selecting again")
            return None
        try:
            if not isinstance(raw, dict):
                raise TypeError("not a mapping")
            stamps: dict[str, Stamp] = {}
            for rel, (fp, size, mtime_ns) in raw["stamps"].items():
                if not (isinstance(rel, str) and isinstance(fp, bytes) and type(size) is int
                        and type(mtime_ns) is int):
                    raise TypeError(rel)
                stamps[rel] = Stamp(fp, size, mtime_ns)
            outputs = []
            for p, k, n in raw["outputs"]:
                if k not in _KINDS:
                    raise ValueError(f"output kind {k!r}")
                outputs.append(OutputFile(str(p), k, int(n), False))
            all_paths, topics, providers, custom = raw["feeds"]
            now_us, next_due_us = raw["moments"]
            if type(now_us) is not int or not (next_due_us is None
                                                or type(next_due_us) is int):
                raise TypeError("moments")
            feeds = FeedPaths(_paths(all_paths), _stored(topics), _stored(providers),
                              _stored(custom))
            return cls(
                generation=int(raw["generation"]),
                selection_key=bytes(raw["selection_key"]),
                render_key=bytes(raw["render_key"]),
                stamps=stamps, outputs=tuple(outputs),
                counts=Counts(*(int(n) for n in raw["counts"])),
                rejections=tuple(Rejection(str(p), str(r), line, col)
                                 for p, r, line, col in raw["rejections"]),
                feeds=feeds, now_us=now_us, next_due_us=next_due_us,
                trims={str(p): Trim(str(p), int(n), int(k), int(b), int(s))
                       for p, n, k, b, s in raw["trims"]},
                expires_us=_optional_int(raw["expires"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("index: record of the last build unreadable (%r); re-rendering", exc)
            return None


def _optional_int(raw: object) -> int | None:
    if raw is not None and type(raw) is not int:
        raise TypeError("expires")
    return raw


def _paths(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, tuple | list):
        raise TypeError("feed paths")
    paths = tuple(raw)
    "".join(paths)  # TypeError unless every item is a str (checked at C speed)
    return paths


def _stored(raw: object) -> tuple[StoredFeed, ...]:
    if not isinstance(raw, tuple | list):
        raise TypeError("feeds")
    return tuple(StoredFeed(str(k), str(n), _paths(ps)) for k, n, ps in raw)


def present(root: Path, rel: str, stamp: Stamp) -> bool:
    """The file is still the one we wrote: same size and mtime (a deleted, truncated or
    hand-edited output is rewritten)."""
    try:
        # A string path: a no-change build stats every output file, and a Path join
        # per file costs more than the stat.
        st = os.stat(f"{root}/{rel}")
    except OSError:
        return False
    return st.st_size == stamp.size and st.st_mtime_ns == stamp.mtime_ns


def stamp_of(root: Path, rel: str, fingerprint: bytes) -> Stamp:
    """The stamp of a file just written (or found equal)."""
    st = os.stat(f"{root}/{rel}")
    return Stamp(fingerprint, st.st_size, st.st_mtime_ns)


def unchanged(root: Path, rel: str, fingerprint: bytes, previous: dict[str, Stamp]) -> bool:
    """Rendering ``rel`` again would give the bytes already there."""
    before = previous.get(rel)
    return (before is not None and before.fingerprint == fingerprint
            and present(root, rel, before))


def nothing_to_do(last: LastBuild | None, generation: int, sel_key: bytes, ren_key: bytes,
                  root: Path, now_us: int) -> bool:
    """Nothing the output depends on moved since ``last`` (no scheduled article fell
    due at ``now_us`` either): the files on disk are the answer."""
    return (last is not None and last.generation == generation and last.holds_at(now_us)
            and (last.expires_us is None or now_us < last.expires_us)
            and last.selection_key == sel_key and last.render_key == ren_key
            and all(present(root, rel, stamp) for rel, stamp in last.stamps.items()))


@dataclass(slots=True)
class SelectionMemo:
    """What the last build left in the index, kept between builds by a long-running
    process (``syndicate watch``): the light items of its selection and the kept copy
    of every warning. A build after a one-file change then reads again the records its
    own refresh wrote, not every item of every feed (25,000 records at a million
    articles: half a second), and neither loads nor decodes the warnings copy (~10 MB
    there). It holds only while nobody else wrote the index: ``key`` is the index
    file's device, inode, mtime and size and the generation right after this process
    committed; :meth:`start` checks it before the next build writes anything."""

    key: tuple[int, ...] | None = None
    holds: bool = False  # key checked by start(): this build may use what is kept
    stamps: dict[str, Stamp] = field(default_factory=dict)  # of the build kept
    items: dict[str, LightItem] = field(default_factory=dict)
    warnings: tuple[Warned, ...] | None = None
    reused: dict[str, LightItem] | None = None  # this build's, when it reused the selection

    def start(self, index: Index) -> None:
        """At the start of a build's transaction, before it writes anything."""
        self.holds = self.key is not None and self.key == _memo_key(index)
        self.key, self.reused = None, None  # until this build is committed

    def known(self, last: LastBuild) -> dict[str, LightItem]:
        """The kept items, when they are still the index's; else nothing."""
        return self.items if self.holds and self.stamps == last.stamps else {}

    def kept_warnings(self) -> tuple[Warned, ...] | None:
        return self.warnings if self.holds else None

    def keep(self, index: Index, warnings: tuple[Warned, ...], last: LastBuild | None = None,
             selection: Selection | None = None, digests: dict[str, bytes] | None = None
             ) -> None:
        """After a build committed: ``warnings`` as stored; ``last`` the record it
        committed from ``selection`` (``digests``: of its items), None when it rendered
        nothing (no record moved: the items kept stand)."""
        if last is not None and selection is not None and digests is not None:
            groups = (selection.all, *(f.items for f in selection.topics),
                      *(f.items for f in selection.providers),
                      *(f.items for f in selection.custom))
            self.items = self.reused if self.reused is not None else {
                a.path: LightItem(a, digests[a.path]) for g in groups for a in g
                if a.path in digests}
            self.stamps = last.stamps
        elif not self.holds:  # kept from before another process's build: stale
            self.items, self.stamps = {}, {}
        self.warnings, self.key = warnings, _memo_key(index)


def _memo_key(index: Index) -> tuple[int, ...] | None:
    if index.file is None:
        return None
    try:
        st = os.stat(index.file)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size, index.generation())


def reuse_selection(index: Index, last: LastBuild, memo: SelectionMemo | None = None,
                    written: frozenset[str] | None = None
                    ) -> tuple[Selection, dict[str, bytes]] | None:
    """The last build's selection again, for a run in which no record's selection view
    changed (only text, images and the like did) under the same selection key:
    selection is a function of the views alone, so its feeds and every outcome are the
    last build's (the outcomes stay as stored: ``Selection.outcomes`` is empty). Items
    are the current light records; with them, the digest of each item's record. None
    if the stored selection is unusable (then the caller selects afresh). ``memo``:
    the items as the last build left them, when this process made it; then only the
    records this run wrote (``written``, None: too many to list) are read again."""
    feeds = last.feeds
    groups = [feeds.all, *(f.paths for f in feeds.topics), *(f.paths for f in feeds.providers),
              *(f.paths for f in feeds.custom)]
    paths = sorted({p for ps in groups for p in ps})
    known = memo.known(last) if memo is not None and written is not None else {}
    chosen = {p: known[p] for p in paths if p in known and p not in (written or ())}
    chosen.update(index.light_items([p for p in paths if p not in chosen]))
    if len(chosen) != len(paths):
        return None
    if memo is not None:
        memo.reused = chosen  # every item of the selection: what to keep after it

    def items(ps: tuple[str, ...]) -> tuple[Article, ...]:
        return tuple(chosen[p].article for p in ps)

    selection = Selection(
        all=items(feeds.all),
        topics=tuple(FeedItems(f.key, f.name, items(f.paths)) for f in feeds.topics),
        providers=tuple(FeedItems(f.key, f.name, items(f.paths)) for f in feeds.providers),
        outcomes={}, next_due_us=last.next_due_us,
        custom=tuple(FeedItems(f.key, f.name, items(f.paths)) for f in feeds.custom))
    return selection, {p: item.digest for p, item in chosen.items()}
