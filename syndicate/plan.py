"""The set of feeds a build writes: families, slugs, titles, paths and URLs. Pure, no I/O.

One :class:`FeedPlan` per feed: the all-feed first, then one per topic, then one per
provider, each family in key order (the order :mod:`syndicate.select` gives).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, NamedTuple

from syndicate.config import Config, Format
from syndicate.model import Article, Outcome, Tombstone
from syndicate.select import FeedItems, Selection
from syndicate.slug import assign_slugs, slugify

Family = Literal["all", "topic", "provider", "custom"]

EXTENSIONS: dict[Format, str] = {"atom": ".atom", "rss": ".rss", "json": ".json"}
PAGE_EXTENSION = ".html"
FOLDERS: dict[Family, str] = {"all": "", "topic": "topics/", "provider": "providers/",
                              "custom": "custom/"}

# An empty feed has no newest entry to date it by, and the build time is not an option
# (output must be a pure function of the input): it gets a fixed date that never changes
# from run to run. Not the Unix epoch: the W3C Feed Validator calls any date before 1990
# implausible (ImplausibleDate warning), and readers may treat 1970 as "no date".
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)

# RFC 5005 archive pages live under this folder, one sub-folder per feed
# (``archive/topics/ai/3.atom``): see syndicate.archive.
ARCHIVE_FOLDER = "archive/"

OPML_PATH = "feeds.opml"
INDEX_PATH = "index.html"


class ArchiveSpot(NamedTuple):
    """Where a plan stands among a feed's RFC 5005 archive pages (syndicate.archive)."""

    page: int  # this archive page's number (1 = oldest); 0 on the subscription feed
    complete: bool  # an archive page holding all its entries: its bytes are final
    newest: int  # on the subscription feed: the newest page's number (filling up); 0 on a page


@dataclass(frozen=True, slots=True)
class FeedPlan:
    """One feed, ready to render in any format.

    ``items`` are in publication order (newest first), unchanged: an article renders
    the same in every feed because nothing about it depends on the feed it is in.
    ``updated`` is the newest ``updated`` among the items, or :data:`EMPTY_FEED_UPDATED`.
    """

    family: Family
    key: str
    name: str
    slug: str
    title: str
    subtitle: str
    items: tuple[Article, ...]
    updated: datetime
    # A copy of a merged feed at the slug of an old spelling (``[topics.aliases]``), so
    # its URL keeps answering: the kept feed's path. Listed in no OPML or index page.
    alias_of: str | None = None
    # Stories withdrawn from this feed, announced in Atom (syndicate.withdrawn).
    withdrawn: tuple[Tombstone, ...] = ()
    # Set only when output.archives is on.
    archive: ArchiveSpot | None = None

    def path(self, fmt: Format) -> str:
        """POSIX path relative to the output folder: ``all.atom``, ``topics/<slug>.rss``;
        an archive page's: ``archive/topics/<slug>/<page>.rss``."""
        if self.archive is not None and self.archive.page:
            return (f"{ARCHIVE_FOLDER}{FOLDERS[self.family]}{self.slug}/"
                    f"{self.archive.page}{EXTENSIONS[fmt]}")
        return f"{FOLDERS[self.family]}{self.slug}{EXTENSIONS[fmt]}"

    def url(self, fmt: Format, config: Config) -> str:
        """Absolute URL the feed is served at (its ``rel="self"``). Slugs are
        ``[a-z0-9-]`` so the path needs no quoting."""
        return config.site.base_url + self.path(fmt)

    def page_path(self) -> str:
        """The feed's HTML page, beside its feed files: ``all.html``,
        ``topics/<slug>.html``. A contract with ``syndicate serve`` and the shipped
        server configs, which answer a browser asking for ``P.atom`` with ``P.html``."""
        return f"{FOLDERS[self.family]}{self.slug}{PAGE_EXTENSION}"

    def page_url(self, config: Config) -> str:
        """Absolute URL of :meth:`page_path`: the feeds' ``alternate`` link."""
        return config.site.base_url + self.page_path()


def newest_updated(items: Sequence[Article]) -> datetime:
    return max((a.updated for a in items), default=EMPTY_FEED_UPDATED)


def topic_scheme(config: Config) -> str:
    """The category scheme URI for topics: the folder the topic feeds live in."""
    return config.site.base_url + FOLDERS["topic"]


def plan_feeds(selection: Selection, config: Config) -> tuple[FeedPlan, ...]:
    """Every feed of one build. Topic and provider feeds exist only when they have items
    (the selection leaves out empty ones); the all-feed always exists."""
    site = config.site
    feeds = config.feeds
    all_items = tuple(selection.all)
    plans = [FeedPlan(
        family="all",
        key="all",
        name=site.title,
        slug="all",
        title=feeds.all_title.format(site=site.title, name=site.title),
        subtitle=site.description or site.title,
        items=all_items,
        updated=newest_updated(all_items),
    )]

    def family_plans(family: Family, groups: Sequence[FeedItems], template: str) -> None:
        slugs = assign_slugs(group.key for group in groups)
        for group in groups:
            items = tuple(group.items)
            plans.append(FeedPlan(
                family=family,
                key=group.key,
                name=group.name,
                slug=slugs[group.key],
                title=template.format(site=site.title, name=group.name),
                subtitle=_subtitle(family, group.name, group.key, site.title),
                items=items,
                updated=newest_updated(items),
            ))

    family_plans("topic", selection.topics, feeds.topic_title)
    family_plans("provider", selection.providers, feeds.provider_title)
    for group in selection.custom:
        plans.append(FeedPlan(
            family="custom", key=group.key, name=group.name, slug=group.key,
            title=feeds.custom_title.format(site=site.title, name=group.name),
            subtitle=f"{group.name}, selected by {site.title}.",
            items=group.items, updated=newest_updated(group.items)))
    plans.extend(alias_copies(plans, config))
    return tuple(plans)


def alias_copies(plans: Sequence[FeedPlan], config: Config) -> list[FeedPlan]:
    """For each merged-away spelling whose kept feed exists, a copy of that feed at the
    old spelling's slug (the slug it had on its own), unless a live feed holds that
    slug. Same items, same ids; its own self link, so it validates where it is."""
    by_key = {(p.family, p.key): p for p in plans}
    taken = {p.path("atom") for p in plans}
    rules = config.selection
    olds: list[tuple[Family, str, str]] = [
        ("topic", old, new) for old, new, _ in rules.topic_aliases]
    olds += [("provider", old, new) for old, new in rules.provider_aliases]
    copies: list[FeedPlan] = []
    for family, old, new in olds:
        kept = by_key.get((family, new))
        if kept is None:
            continue
        copy = dataclasses.replace(kept, slug=slugify(old), alias_of=feed_name(kept))
        if copy.path("atom") not in taken:
            taken.add(copy.path("atom"))
            copies.append(copy)
    return copies


def _subtitle(family: Family, name: str, key: str, site: str) -> str:
    if family == "topic":
        return f"Articles about {name}, selected by {site}."
    where = f" ({key})" if key != name else ""  # a provider's key is its domain
    return f"Articles from {name}{where}, selected by {site}."


def feed_name(plan: FeedPlan) -> str:
    """A feed's output path without its extension (``all``, ``topics/generative-ai``):
    what a selected article's reason lists, in the report and in ``explain`` alike."""
    return plan.path("atom").rsplit(".", 1)[0]


def name_feeds(plans: Sequence[FeedPlan], outcomes: dict[str, Outcome]) -> None:
    """Make each selected article's reason the feeds that carry it, by path (selection
    labels them by topic and provider key; only the plan knows the slugs, which are
    what a user can open)."""
    names: dict[str, list[str]] = {}
    for plan in plans:
        if plan.alias_of is not None:
            continue
        name = feed_name(plan)
        for article in plan.items:
            names.setdefault(article.path, []).append(name)
    for path, listed in names.items():
        outcome = outcomes.get(path)
        if outcome is not None and outcome.status == "selected":
            outcomes[path] = Outcome(path, "selected", ", ".join(listed))
