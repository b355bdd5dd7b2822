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

Links (:func:`archive_links`): RFC 5005 chains archive documents only, so the
subscription feed's ``prev-archive`` (JSON Feed ``next_url``) is the newest *complete*
page; a page links ``current`` (the subscription feed), ``prev-archive`` (page k-1) and,
when complete, ``next-archive`` (page k+1, which then always exists — linked from the
start, so a complete page's bytes never change). Only complete pages carry
``fh:archive``. The newest page, still filling up, is reached from the newest complete
page's ``next-archive`` and from the HTML views, never by walking ``prev-archive`` from
the subscription feed: a client that keeps what it walks keeps archive documents only.
Its entries are normally the feed's newest, so in the subscription feed as well. Alias copies (``[topics.aliases]``) link the kept
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
# feed name -> its pages, oldest first -> the member paths of each, as rendered (newest
# first): what a build needs to redo only the pages whose members changed (:func:`again`).
Layout = dict[str, list[list[str]]]
Page = tuple[str, int]  # (feed name, page number)


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
            pages.append(_page(full, tuple(article for _, article in slot), number, last))
        newest[name] = last
    return Archived(_spotted(plans, newest), tuple(pages), tuple(added))


def _page(full: FeedPlan, items: tuple[Article, ...], number: int, last: int) -> FeedPlan:
    return dataclasses.replace(full, items=items, updated=newest_updated(items),
                               withdrawn=(), archive=ArchiveSpot(number, number < last, 0))


def _spotted(plans: Sequence[FeedPlan], newest: dict[str, int]) -> tuple[FeedPlan, ...]:
    out = []
    for plan in plans:
        last_page = newest.get(plan.alias_of or feed_name(plan))
        out.append(plan if last_page is None else dataclasses.replace(
            plan, archive=ArchiveSpot(0, False, last_page)))
    return tuple(out)


def layout_of(pages: Sequence[FeedPlan]) -> Layout:
    """The member paths of every page in ``pages`` (an :class:`Archived`'s), per feed."""
    layout: Layout = {}
    for page in pages:
        feed = f"{FOLDERS[page.family]}{page.slug}"  # feed_name of a page is its own path
        layout.setdefault(feed, []).append([a.path for a in page.items])
    return layout


def touched(layout: Layout, before: dict[str, bytes], now: dict[str, bytes]) -> set[Page]:
    """The pages of ``layout`` holding a member whose record digest moved from
    ``before`` (when the layout was rendered) to ``now``. Under the same membership
    (same selection), the same render key and the same digests, a page's plan, hence
    its render fingerprint, is the one it was rendered from: only these pages can have
    other bytes."""
    moved = {path for path, _ in before.items() ^ now.items()}
    if not moved:
        return set()
    return {(feed, number) for feed, listed in layout.items()
            for number, paths in enumerate(listed, 1) if not moved.isdisjoint(paths)}


def again(plans: Sequence[FeedPlan], layout: Layout, redo: set[Page],
          light: dict[str, Article]) -> Archived:
    """The :func:`archive` of a build whose membership is the last build's, ``layout``
    (no entry new to any feed, so no number given out): the subscription feeds with
    their spots, and only the pages in ``redo``, from the ``light`` records of their
    members (the others keep their files)."""
    newest = {feed: len(listed) for feed, listed in layout.items()}
    pages = []
    for full in plans:
        name = feed_name(full)
        if full.alias_of is not None or name not in layout:
            continue
        for number, paths in enumerate(layout[name], 1):
            if (name, number) in redo:
                pages.append(_page(full, tuple(light[p] for p in paths), number,
                                   newest[name]))
    return Archived(_spotted(plans, newest), tuple(pages), ())


def page_path(feed: str, page: int, fmt: Format) -> str:
    """The output path of page ``page`` of the feed named ``feed`` (``topics/ai``)."""
    return f"{ARCHIVE_FOLDER}{feed}/{page}{EXTENSIONS[fmt]}"


def view_path(feed: str, page: int) -> str:
    """The browser view of page ``page`` of the feed named ``feed``, beside the page's
    files: ``archive/topics/ai/3.html`` (syndicate.render.pages.render_archive_page)."""
    return f"{ARCHIVE_FOLDER}{feed}/{page}{PAGE_EXTENSION}"


def html_page_path(plan: FeedPlan) -> str:
    """:func:`view_path` of the archive page ``plan``."""
    assert plan.archive is not None and plan.archive.page
    return view_path(f"{FOLDERS[plan.family]}{plan.slug}", plan.archive.page)


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


def newest_complete_url(plan: FeedPlan, fmt: Format, config: Config) -> str | None:
    """The URL of the newest *complete* page of a subscription feed: its RFC 5005
    ``prev-archive`` (JSON Feed: ``next_url``). RFC 5005 section 4 makes that link name an
    archive document, one that carries ``fh:archive`` and does not change; the page still
    filling up is neither, so it is only linked from the HTML views. None when archives
    are off, no page is complete yet, or ``plan`` is itself an archive page."""
    spot = plan.archive
    if spot is None or spot.page or spot.newest < 2:
        return None
    return config.site.base_url + page_path(plan.alias_of or feed_name(plan), spot.newest - 1,
                                            fmt)


def archive_links(plan: FeedPlan, fmt: Format, config: Config) -> ArchiveLinks | None:
    """The RFC 5005 links of ``plan`` in ``fmt``; None when archives are off. The
    subscription feed's ``prev-archive`` is the newest complete page; a complete page's
    ``next-archive`` is page k+1 (always written), even while that one still fills up:
    linking it only once complete would change the complete page's bytes then."""
    spot = plan.archive
    if spot is None:
        return None
    if not spot.page:
        return ArchiveLinks(None, newest_complete_url(plan, fmt, config), None, False)
    base = config.site.base_url
    feed = f"{FOLDERS[plan.family]}{plan.slug}"
    return ArchiveLinks(
        current=base + feed + EXTENSIONS[fmt],
        prev_archive=base + page_path(feed, spot.page - 1, fmt) if spot.page > 1 else None,
        next_archive=base + page_path(feed, spot.page + 1, fmt) if spot.complete else None,
        is_archive=spot.complete)
