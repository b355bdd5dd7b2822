"""Withdrawn stories (issue 12, RFC 6721): a story that leaves a feed for a reason
other than age is announced with an ``at:deleted-entry`` in the Atom feed.

The index remembers, per feed, the entry ids the last build published with their
publication time, and the tombstones still being announced (meta record
:data:`HISTORY`, committed with the build). A build compares each feed with that
record (:func:`withdraw`, pure):

- an id that is gone, while the feed is full and the story is not newer than the
  feed's oldest item, was pushed out by newer stories: age, not announced;
- any other id that is gone — unpublished, quality lowered, file deleted, merged as a
  duplicate, its topic removed, rescheduled — gets a tombstone with ``when`` = this
  build's ``--now`` (when the build first saw it gone), kept for
  ``output.withdrawn_days`` days;
- a story that comes back loses its tombstone, and keeps its id (ids are derived from
  the link, never from the feed).

A feed that vanished altogether (its last story left) has no file to carry tombstones
and is forgotten. With ``--no-index`` there is no history: no tombstones are written
and none are remembered.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from syndicate import __version__
from syndicate.model import Tombstone
from syndicate.plan import FeedPlan, feed_name
from syndicate.select import micros

log = logging.getLogger(__name__)

HISTORY = "feed_history"  # its key in the index's meta table
_DAY_US = 86_400_000_000


@dataclass(frozen=True, slots=True)
class FeedHistory:
    """One feed as the last build left it."""

    items: dict[str, int]  # entry id -> published µs
    gone: dict[str, int]  # entry id -> µs of the build that first saw it gone


@dataclass(frozen=True, slots=True)
class Withdrawals:
    """Plans with their tombstones, the history to store, and when the earliest
    tombstone expires (a build at or after it must re-plan)."""

    plans: tuple[FeedPlan, ...]
    history: dict[str, FeedHistory]
    expires_us: int | None


def load_history(raw: object) -> dict[str, FeedHistory]:
    """The stored record, or an empty history when there is none or it is unreadable
    (logged: tombstones are a courtesy; no output depends on a damaged record)."""
    if raw is None:
        return {}
    try:
        if not isinstance(raw, dict):
            raise TypeError("not a mapping")
        history: dict[str, FeedHistory] = {}
        for name, (items, gone) in raw.items():
            if not (isinstance(name, str) and isinstance(items, dict)
                    and isinstance(gone, dict)
                    and all(type(k) is str and type(v) is int
                            for d in (items, gone) for k, v in d.items())):
                raise TypeError(name)
            history[name] = FeedHistory(dict(items), dict(gone))
        return history
    except (TypeError, ValueError) as exc:
        log.warning("index: feed history unreadable (%r); starting a new one", exc)
        return {}


def dump_history(history: dict[str, FeedHistory]) -> dict[str, object]:
    return {name: (h.items, h.gone) for name, h in sorted(history.items())}


def withdraw(plans: Sequence[FeedPlan], history: dict[str, FeedHistory], *, now_us: int,
             retention_days: int, items_per_feed: int) -> Withdrawals:
    """Compare every feed with ``history`` (see the module docstring). Pure.
    ``retention_days == 0`` switches the announcements off (and forgets)."""
    if retention_days == 0:
        return Withdrawals(tuple(plans), {}, None)
    # The ids feeds carry; imported here, as render_all imports the renderers: the
    # render package loads feedgen, which a no-change build never needs.
    from syndicate.render.common import entry_id

    retention = retention_days * _DAY_US
    new: dict[str, FeedHistory] = {}
    out: list[FeedPlan] = []
    expires: int | None = None
    for plan in plans:
        if plan.alias_of is not None:  # a copy announces what the kept feed announces
            kept = new.get(plan.alias_of)
            out.append(plan if kept is None else dataclasses.replace(
                plan, withdrawn=_tombstones(kept.gone)))
            continue
        name = feed_name(plan)
        items = {entry_id(a): micros(a.published) for a in plan.items}
        before = history.get(name, FeedHistory({}, {}))
        full = len(plan.items) >= items_per_feed
        oldest = min(items.values(), default=None)
        gone = {ref: when for ref, when in before.gone.items()
                if ref not in items and now_us < when + retention}
        for ref, published in before.items.items():
            aged = full and oldest is not None and published <= oldest
            if ref not in items and not aged:
                gone.setdefault(ref, now_us)
        new[name] = FeedHistory(items, gone)
        for when in gone.values():
            if expires is None or when + retention < expires:
                expires = when + retention
        out.append(dataclasses.replace(plan, withdrawn=_tombstones(gone)) if gone else plan)
    return Withdrawals(tuple(out), new, expires)


def _tombstones(gone: dict[str, int]) -> tuple[Tombstone, ...]:
    """Newest first, then by id: the same set always gives the same bytes."""
    return tuple(Tombstone(ref, when) for ref, when in
                 sorted(gone.items(), key=lambda kv: (-kv[1], kv[0])))


# Meta key: the entry ids of the last build's feed items (link -> id), with the rules
# that made them (a new syndicate version or reader rules may derive ids differently).
ENTRY_IDS = "entry_ids"


def seed_entry_ids(raw: object) -> dict[str, str]:
    """Hand the stored ids to the renderers' ``entry_id`` (a memo: a one-file build
    need not derive 20,000 ids again). Returns what was seeded; {} for a record made
    by other rules or unreadable (then every id is derived, as on a cold build)."""
    from syndicate.index import READER_RULES
    from syndicate.render.common import known_ids

    ids: dict[str, str] = {}
    if (isinstance(raw, tuple) and len(raw) == 2 and raw[0] == (__version__, READER_RULES)
            and isinstance(raw[1], dict)
            and all(type(k) is str and type(v) is str for k, v in raw[1].items())):
        ids = raw[1]
    known_ids(ids)
    return ids


def entry_ids_record(plans: Sequence[FeedPlan], seeded: dict[str, str]) -> object | None:
    """What to store under :data:`ENTRY_IDS` after a build of ``plans``: every item's
    link and id; None when that is what was seeded (nothing to write)."""
    from syndicate.index import READER_RULES
    from syndicate.render.common import entry_id

    ids = {a.link: entry_id(a) for plan in plans for a in plan.items}
    return None if ids == seeded else ((__version__, READER_RULES), ids)
