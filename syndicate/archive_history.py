"""The archive step of a build (output.archives): every feed uncapped, the archive
numbers stored in the index, the pages laid out (:func:`syndicate.archive.archive`).

The numbers live in the index's ``archive`` table and are written in the build's one
transaction: a run that fails records none. With ``--no-index`` the index is a fresh
one, so every feed is numbered from the current selection alone (published time, then
entry id): deterministic, but a story that entered late is filed by its date, not by
its arrival. An index that is rebuilt (another syndicate version, changed source
settings, damage) numbers everything again the same way.

Selecting every feed without its item cap costs a pass over every record. A build in
which no record's selection view changed, under the same selection key and moment
rules as :func:`syndicate.incremental.reuse_selection`, has the same uncapped feeds as
the last build: their item paths and entry ids are kept in the meta record
:data:`MEMBERS` (stamped with the build that wrote it), and such a build only loads the
current light records of those paths.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from syndicate.archive import (
    Archived,
    Layout,
    Seqs,
    again,
    archive,
    layout_of,
    page_path,
    touched,
    view_path,
)
from syndicate.config import Config
from syndicate.errors import IndexCorrupt
from syndicate.incremental import LastBuild, present, render_key, selection_key
from syndicate.index import Index
from syndicate.index_rows import IndexRows
from syndicate.plan import FeedPlan, feed_name, plan_feeds
from syndicate.result import OutputFile
from syndicate.select import micros, select

log = logging.getLogger(__name__)

MEMBERS = "archive_members"  # its key in the index's meta table
DIGESTS = "archive_digests"  # likewise
# Items per feed for the uncapped selection: more than any corpus holds.
_UNCAPPED = 1 << 40


class ArchiveStep(NamedTuple):
    archived: Archived
    digests: dict[str, bytes]  # record digest of every item of archived.pages
    # Page files left as the last build wrote them (not in archived.pages).
    kept: tuple[OutputFile, ...] = ()


class _Members(NamedTuple):
    every: list[FeedPlan]  # the feeds uncapped (no alias copies)
    refs: dict[str, str]  # article path -> entry id
    digests: dict[str, bytes]


class _Stored(NamedTuple):
    """The meta records :data:`MEMBERS` and :data:`DIGESTS` the last build left, when
    they still hold (shallowly checked: see :func:`_kept` and :func:`_again`)."""

    feeds: dict[str, list[str]]  # feed name -> its item paths, uncapped
    refs: dict[str, str]  # article path -> entry id
    layout: Layout  # the members of its pages
    digests: dict[str, bytes]  # the record digest of every member path, as rendered
    members: object  # the stamp of the build that wrote MEMBERS


def archive_step(index: Index, config: Config, plans: Sequence[FeedPlan], now: datetime,
                 last: LastBuild | None) -> ArchiveStep:
    """Number what entered each feed since the last build (stored in ``index``) and
    lay out the archive pages of ``plans``. ``last``: the last build's record."""
    stored = _stored(index, config, plans, now, last)
    quick = None if stored is None or last is None else _again(index, config, plans,
                                                                 last, stored)
    if quick is not None:
        assert stored is not None
        step, digests = quick
        _remember_digests(index, now, stored.members, digests)
        return step
    members = (None if stored is None else _kept(index, plans, stored)) or _selected(
        index, config, now)
    archived = archive(plans, members.every, stored_seqs(index),
                       config.output.archive_page_size, lambda a: members.refs[a.path])
    index.put_archive(archived.added)
    layout = layout_of(archived.pages)
    stamp = (index.generation(), micros(now))
    index.set_meta(MEMBERS, {
        "build": stamp, "refs": members.refs, "pages": layout,
        "feeds": {feed_name(p): [a.path for a in p.items] for p in members.every}})
    _remember_digests(index, now, stamp, {p: members.digests[p] for listed in layout.values()
                                          for paths in listed for p in paths})
    return ArchiveStep(archived, members.digests)


def _remember_digests(index: Index, now: datetime, members: object,
                      digests: dict[str, bytes]) -> None:
    # Rewritten by every build, unlike MEMBERS (megabytes at 100k articles), which
    # stays as it is while the membership does.
    index.set_meta(DIGESTS, {"build": (index.generation(), micros(now)), "members": members,
                             "digests": digests})


def _again(index: Index, config: Config, plans: Sequence[FeedPlan], last: LastBuild,
           stored: _Stored) -> tuple[ArchiveStep, dict[str, bytes]] | None:
    """The archive step of a build with the last build's membership and render key:
    only the pages holding a record that changed (or a file that was touched) are laid
    out again, from the light records of their members alone; the other page files
    stay. With the current digest of every member path, to store. None when the last
    build left no layout (then the caller numbers and lays out everything)."""
    layout, before = stored.layout, stored.digests
    if last.render_key != render_key(config):
        return None
    try:
        if not before.keys() >= {p for listed in layout.values() for ps in listed for p in ps}:
            return None
    except TypeError:  # an unhashable member: damaged
        log.warning("index: archive pages unreadable; laying them out again")
        return None
    digests: dict[str, bytes] = {}
    for batch in index.stream("SELECT path, digest FROM files WHERE kind = 0"):
        for path, digest in batch:
            if path in before:
                digests[path] = digest
    if len(digests) != len(before):
        return None
    redo = touched(layout, before, digests)
    root, outputs = config.output.folder, {o.path: o for o in last.outputs}
    kept: list[OutputFile] = []
    for feed, listed in layout.items():
        for number in range(1, len(listed) + 1):
            if (feed, number) in redo:
                continue
            # The page's files and its browser view: a kept page keeps all of them.
            rels = [*(page_path(feed, number, fmt) for fmt in config.output.formats),
                    view_path(feed, number)]
            if all(rel in outputs and rel in last.stamps
                   and present(root, rel, last.stamps[rel]) for rel in rels):
                kept.extend(outputs[rel] for rel in rels)
            else:  # missing or edited by hand: rendered again, like any feed file
                redo.add((feed, number))
    paths = sorted({p for feed, number in redo for p in layout[feed][number - 1]})
    light = index.light_items(paths)
    if len(light) != len(paths):
        return None
    archived = again(plans, layout, redo, {p: item.article for p, item in light.items()})
    return ArchiveStep(archived, {p: item.digest for p, item in light.items()},
                       tuple(kept)), digests


def _selected(index: Index, config: Config, now: datetime) -> _Members:
    # The ids feeds carry; imported here, as render_all imports the renderers.
    from syndicate.render.common import entry_id

    rules = dataclasses.replace(config.selection, items_per_feed=_UNCAPPED)
    rows = IndexRows(index)
    every = [p for p in plan_feeds(select(rows, rules, now), config) if p.alias_of is None]
    refs = {a.path: entry_id(a) for p in every for a in p.items}
    return _Members(every, refs, rows.digests)


def _stored(index: Index, config: Config, plans: Sequence[FeedPlan], now: datetime,
            last: LastBuild | None) -> _Stored | None:
    """The last build's uncapped feeds and pages, when they still hold (no record's
    selection view changed, same selection key and moment rules); None otherwise
    (then the caller selects)."""
    if (last is None or index.views_changed or last.selection_key != selection_key(config)
            or not last.holds_at(micros(now))):
        return None
    raw, kept = index.get_meta(MEMBERS), index.get_meta(DIGESTS)
    try:
        if not (isinstance(raw, dict) and isinstance(kept, dict)
                and kept.get("build") == (last.generation, last.now_us)
                and kept.get("members") == raw.get("build")):
            return None
        stored = _Stored(raw["feeds"], raw["refs"], raw["pages"], kept["digests"],
                         raw["build"])
        if not (all(isinstance(v, dict) for v in stored[:4])
                and all(type(d) is bytes for d in stored.digests.values())):
            raise TypeError("archive members")
        names = {feed_name(p) for p in plans if p.alias_of is None}
        if set(stored.feeds) != names or set(stored.layout) != names:
            return None
        if not all(isinstance(listed, list) and listed
                   and all(type(paths) is list for paths in listed)
                   for listed in stored.layout.values()):
            raise TypeError("archive pages")
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("index: archive members unreadable (%r); selecting again", exc)
        return None
    return stored


def _kept(index: Index, plans: Sequence[FeedPlan], stored: _Stored) -> _Members | None:
    """The last build's uncapped feeds with today's light records; None when a member
    is no longer an article (then the caller selects)."""
    feeds, refs = stored.feeds, stored.refs
    paths = sorted({path for listed in feeds.values() for path in listed})
    if not all(type(path) is str and type(refs.get(path)) is str for path in paths):
        log.warning("index: archive member paths unreadable; selecting again")
        return None
    light = index.light_items(paths)
    if len(light) != len(paths):
        return None
    every = [dataclasses.replace(p, items=tuple(light[path].article
                                                for path in feeds[feed_name(p)]))
             for p in plans if p.alias_of is None]
    return _Members(every, {path: refs[path] for path in paths},
                    {path: item.digest for path, item in light.items()})


def stored_seqs(index: Index) -> Seqs:
    """The archive numbers stored in ``index``, per feed."""
    seqs: Seqs = {}
    for batch in index.stream("SELECT feed, ref, seq FROM archive"):
        for feed, ref, seq in batch:
            if not (type(feed) is str and type(ref) is str and type(seq) is int):
                raise IndexCorrupt(f"index {index.file}: bad archive row")
            seqs.setdefault(feed, {})[ref] = seq
    return seqs
