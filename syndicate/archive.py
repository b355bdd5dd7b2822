"""RFC 5005 archived feeds (issue 12): which entry goes on which archive page. Pure.

Every feed (all, topic, provider, custom) numbers the entries that ever enter it,
0, 1, 2, ... in order of first entry; the numbers are kept in the index (table
``archive``, :mod:`syndicate.archive_history`), so they survive restarts. Entries new
to a feed in one build are numbered by ``published`` then entry id, so a cold build's
history pages are chronological. An entry is identified by its entry id (derived from
its link, as everywhere), so a story that leaves and comes back keeps its number.

Page ``k`` (1 = oldest) holds the numbers ``[(k-1)*S, k*S)`` for the page size
``S`` (``output.archive_page_size``). A feed with ``n`` numbered entries has
``n // S + 1`` pages: every page but the newest is complete; the newest, incomplete
(possibly empty) one is written too, so every entry is reachable, and it fills up as
entries arrive. Since a page's membership never changes once its numbers are given
out, a complete page's bytes do not change when newer entries arrive.

A page is rendered from the *current* records of its members: an edit rewrites the
one page holding the story (in each feed); a member that is no longer in the feed
(unpublished, deleted, moved out of the topic) is left out of its page, which keeps
its number, and comes back to the same page if the story returns.

Links (:func:`archive_links`): the subscription feed's ``prev-archive`` is the newest
page; a page links ``current`` (the subscription feed), ``prev-archive`` (page k-1) and,
when complete, ``next-archive`` (page k+1, which then always exists). Only complete
pages carry ``fh:archive``: the newest page still changes, and a client must not keep
it forever as an archive document. Alias copies (``[topics.aliases]``) link the kept
feed's pages; they have none of their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from syndicate.config import Config, Format
from syndicate.model import Article
from syndicate.plan import (
    ARCHIVE_FOLDER,
    EXTENSIONS,
    FOLDERS,
    PAGE_EXTENSION,
    ArchiveSpot,
    FeedPlan,
    feed_name,
    newest_updated,
)

Seqs = dict[str, dict[str, int]]  # feed name -> entry id -> sequence number
Numbered = tuple[str, str, int]  # (feed name, entry id, sequence number), as stored


@dataclass(frozen=True, slots=True)
class Archived:
    """What :func:`archive` decided."""

    plans: tuple[FeedPlan, ...]  # the subscription feeds, each with its ArchiveSpot
    pages: tuple[FeedPlan, ...]  # every archive page, per feed oldest first
    added: tuple[Numbered, ...]  # numbers given out in this build (to store)


class ArchiveLinks(NamedTuple):
    """The RFC 5005 links of one document in one format (absolute URLs, or None)."""

    current: str | None  # the subscription feed (on an archive page)
    prev_archive: str | None  # the next older page
    next_archive: str | None  # the next newer page (on a complete page)
    is_archive: bool  # carries fh:archive (a complete page)


def archive(plans: Sequence[FeedPlan], every: Sequence[FeedPlan], seqs: Seqs, size: int,
            ref: Callable[[Article], str]) -> Archived:
    """Number the new entries of every feed and lay out its pages.

    ``plans``: the build's subscription feeds (capped, alias copies included);
    ``every``: the same feeds uncapped (every article the selection puts in them, in
    any order); ``seqs``: the numbers stored so far; ``size``: entries per page;
    ``ref``: an article's entry id."""
    added: list[Numbered] = []
    pages: list[FeedPlan] = []
    newest: dict[str, int] = {}
    for full in every:
        if full.alias_of is not None:
            continue
        name = feed_name(full)
        known = dict(seqs.get(name, {}))
        members: dict[str, Article] = {}
        for article in full.items:
            members.setdefault(ref(article), article)
        fresh = sorted((r for r in members if r not in known),
                       key=lambda r: (members[r].published, r))
        following = max(known.values(), default=-1) + 1
        for r in fresh:
            known[r] = following
            added.append((name, r, following))
            following += 1
        last = following // size + 1
        slots: list[list[tuple[int, Article]]] = [[] for _ in range(last)]
        for r, seq in known.items():
            member = members.get(r)
            if member is not None:
                slots[seq // size].append((seq, member))
        for number, slot in enumerate(slots, 1):
            slot.sort(key=lambda pair: -pair[0])  # the newest entry first, as in feeds
            items = tuple(article for _, article in slot)
            pages.append(dataclasses.replace(
                full, items=items, updated=newest_updated(items), withdrawn=(),
                archive=ArchiveSpot(number, number < last, 0)))
        newest[name] = last
    out = []
    for plan in plans:
        last_page = newest.get(plan.alias_of or feed_name(plan))
        out.append(plan if last_page is None else dataclasses.replace(
            plan, archive=ArchiveSpot(0, False, last_page)))
    return Archived(tuple(out), tuple(pages), tuple(added))


def page_path(feed: str, page: int, fmt: Format) -> str:
    """The output path of page ``page`` of the feed named ``feed`` (``topics/ai``)."""
    return f"{ARCHIVE_FOLDER}{feed}/{page}{EXTENSIONS[fmt]}"


def html_page_path(plan: FeedPlan) -> str:
    """The browser view of an archive page, beside it: ``archive/topics/ai/3.html``
    (syndicate.render.pages.render_archive_page). ``plan`` is the archive page."""
    assert plan.archive is not None and plan.archive.page
    return f"{ARCHIVE_FOLDER}{FOLDERS[plan.family]}{plan.slug}/{plan.archive.page}{PAGE_EXTENSION}"


def newest_archive_page(plan: FeedPlan) -> str | None:
    """The output path of the HTML view of a subscription feed's newest archive page
    (its page's "Older items" link); None when archives are off or ``plan`` is itself
    an archive page. Alias copies point to the kept feed's pages."""
    spot = plan.archive
    if spot is None or spot.page or not spot.newest:
        return None
    return f"{ARCHIVE_FOLDER}{plan.alias_of or feed_name(plan)}/{spot.newest}{PAGE_EXTENSION}"


def newest_archive_url(plan: FeedPlan, fmt: Format, config: Config) -> str | None:
    """The URL of the newest archive page of a subscription feed (what its
    ``prev-archive`` link and an "Older items" link point to); None when archives are
    off or ``plan`` is itself an archive page."""
    spot = plan.archive
    if spot is None or spot.page or not spot.newest:
        return None
    return config.site.base_url + page_path(plan.alias_of or feed_name(plan), spot.newest, fmt)


def archive_links(plan: FeedPlan, fmt: Format, config: Config) -> ArchiveLinks | None:
    """The RFC 5005 links of ``plan`` in ``fmt``; None when archives are off."""
    spot = plan.archive
    if spot is None:
        return None
    if not spot.page:
        return ArchiveLinks(None, newest_archive_url(plan, fmt, config), None, False)
    base = config.site.base_url
    feed = f"{FOLDERS[plan.family]}{plan.slug}"
    return ArchiveLinks(
        current=base + feed + EXTENSIONS[fmt],
        prev_archive=base + page_path(feed, spot.page - 1, fmt) if spot.page > 1 else None,
        next_archive=base + page_path(feed, spot.page + 1, fmt) if spot.complete else None,
        is_archive=spot.complete)
