"""The archive step of a build (output.archives): every feed uncapped, the archive
numbers stored in the index, the pages laid out (:func:`syndicate.archive.archive`).

The numbers live in the index's ``archive`` table and are written in the build's one
transaction: a run that fails records none. With ``--no-index`` the index is a fresh
one, so every feed is numbered from the current selection alone (published time, then
entry id): deterministic, but a story that entered late is filed by its date, not by
its arrival. An index that is rebuilt (another syndicate version, changed source
settings, damage) numbers everything again the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from syndicate.archive import Archived, Seqs, archive
from syndicate.config import Config
from syndicate.errors import IndexCorrupt
from syndicate.index import Index
from syndicate.index_rows import IndexRows
from syndicate.plan import FeedPlan, plan_feeds
from syndicate.select import select

# Items per feed for the uncapped selection: more than any corpus holds.
_UNCAPPED = 1 << 40


class ArchiveStep(NamedTuple):
    archived: Archived
    digests: dict[str, bytes]  # record digest of every archived item


def archive_step(index: Index, config: Config, plans: Sequence[FeedPlan], now: datetime
                 ) -> ArchiveStep:
    """Number what entered each feed since the last build (stored in ``index``) and
    lay out the archive pages of ``plans``."""
    # The ids feeds carry; imported here, as render_all imports the renderers.
    from syndicate.render.common import entry_id

    rules = dataclasses.replace(config.selection, items_per_feed=_UNCAPPED)
    rows = IndexRows(index)
    every = plan_feeds(select(rows, rules, now), config)
    archived = archive(plans, every, stored_seqs(index), config.output.archive_page_size,
                       entry_id)
    index.put_archive(archived.added)
    return ArchiveStep(archived, rows.digests)


def stored_seqs(index: Index) -> Seqs:
    """The archive numbers stored in ``index``, per feed."""
    seqs: Seqs = {}
    for batch in index.stream("SELECT feed, ref, seq FROM archive"):
        for feed, ref, seq in batch:
            if not (type(feed) is str and type(ref) is str and type(seq) is int):
                raise IndexCorrupt(f"index {index.file}: bad archive row")
            seqs.setdefault(feed, {})[ref] = seq
    return seqs
