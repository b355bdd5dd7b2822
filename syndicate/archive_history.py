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

from syndicate.archive import Archived, Seqs, archive
from syndicate.config import Config
from syndicate.errors import IndexCorrupt
from syndicate.incremental import LastBuild, selection_key
from syndicate.index import Index
from syndicate.index_rows import IndexRows
from syndicate.plan import FeedPlan, feed_name, plan_feeds
from syndicate.select import micros, select

log = logging.getLogger(__name__)

MEMBERS = "archive_members"  # its key in the index's meta table
# Items per feed for the uncapped selection: more than any corpus holds.
_UNCAPPED = 1 << 40


class ArchiveStep(NamedTuple):
    archived: Archived
    digests: dict[str, bytes]  # record digest of every archived item


class _Members(NamedTuple):
    every: list[FeedPlan]  # the feeds uncapped (no alias copies)
    refs: dict[str, str]  # article path -> entry id
    digests: dict[str, bytes]


def archive_step(index: Index, config: Config, plans: Sequence[FeedPlan], now: datetime,
                 last: LastBuild | None) -> ArchiveStep:
    """Number what entered each feed since the last build (stored in ``index``) and
    lay out the archive pages of ``plans``. ``last``: the last build's record."""
    members = _kept(index, config, plans, now, last) or _selected(index, config, now)
    archived = archive(plans, members.every, stored_seqs(index),
                       config.output.archive_page_size, lambda a: members.refs[a.path])
    index.put_archive(archived.added)
    index.set_meta(MEMBERS, {
        "build": (index.generation(), micros(now)),
        "feeds": {feed_name(p): [a.path for a in p.items] for p in members.every},
        "refs": members.refs})
    return ArchiveStep(archived, members.digests)


def _selected(index: Index, config: Config, now: datetime) -> _Members:
    # The ids feeds carry; imported here, as render_all imports the renderers.
    from syndicate.render.common import entry_id

    rules = dataclasses.replace(config.selection, items_per_feed=_UNCAPPED)
    rows = IndexRows(index)
    every = [p for p in plan_feeds(select(rows, rules, now), config) if p.alias_of is None]
    refs = {a.path: entry_id(a) for p in every for a in p.items}
    return _Members(every, refs, rows.digests)


def _kept(index: Index, config: Config, plans: Sequence[FeedPlan], now: datetime,
          last: LastBuild | None) -> _Members | None:
    """The last build's uncapped feeds with today's light records, when they still
    hold; None otherwise (then the caller selects)."""
    if (last is None or index.views_changed or last.selection_key != selection_key(config)
            or not last.holds_at(micros(now))):
        return None
    raw = index.get_meta(MEMBERS)
    try:
        if not isinstance(raw, dict) or raw.get("build") != (last.generation, last.now_us):
            return None
        feeds, refs = raw["feeds"], raw["refs"]
        if not (isinstance(feeds, dict) and isinstance(refs, dict)):
            raise TypeError("members")
        kept = [p for p in plans if p.alias_of is None]
        if set(feeds) != {feed_name(p) for p in kept}:
            return None
        paths = sorted({path for listed in feeds.values() for path in listed})
        if not all(type(path) is str and type(refs.get(path)) is str for path in paths):
            raise TypeError("member paths")
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("index: archive members unreadable (%r); selecting again", exc)
        return None
    light = index.light_items(paths)
    if len(light) != len(paths):
        return None
    every = [dataclasses.replace(p, items=tuple(light[path].article
                                                for path in feeds[feed_name(p)]))
             for p in kept]
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
