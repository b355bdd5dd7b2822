"""Which articles go into which feed, and why not: the one selection entry point.

Rules (issue 3, "Selection" and "Accounting"):

* An article is *eligible* for a feed family (``all``, ``topics``, ``providers``) when it
  is published (a real boolean ``true``) and its quality is at least that family's
  threshold. Thresholds may differ, so an article can be in its provider feed and not in
  the ``all`` feed.
* Among published articles, those with the same dedupe key are one story
  (:mod:`syndicate.dedupe`): the best copy wins; every other copy is filtered as
  ``duplicate of <winner path>``.
* Inside a feed: newest ``published`` first, ties broken by link, then path; at most
  ``items_per_feed`` entries.
* Scheduled publishing (issue 12): with the build's moment ``now``, an eligible article
  dated after it — its ``publishedDateTime``, or an ``updatedDateTime`` that would put
  a future date into a feed — is in no feed, with status ``scheduled`` and its due time
  as the reason (:func:`scheduled_reason`); it takes no part in dedupe until then (a
  live copy of the story is not hidden behind a future one). ``Selection.next_due`` is
  the earliest such moment: the selection holds for every ``now`` before it.
* Topic feeds are keyed by :func:`topic_key`; provider feeds by the provider's domain.
  A feed's display name is the spelling carried by the eligible article with the
  smallest path, so it never depends on the order articles arrive in.

The result is a pure function of the *set* of articles: every ordering above ends in
the path, which is unique, so shuffling the input cannot change a single byte.

:func:`select` reads a :class:`SelectionSource`: the build's is the index
(:class:`syndicate.index_rows.IndexRows`, which hands over columns computed at parse
time and decodes only the items that land in a feed); :class:`ArticleSource` holds
Articles in memory. Both go through the same two passes:

* Pass 1 (:func:`syndicate.dedupe.dedupe_losers`) maps every losing copy of a story to
  its winner. The index hands over only the keys that occur more than once.
* Pass 2 (:func:`fill_feeds`) keeps at most 2K rows per feed (a buffer cut back to K
  when full, then a cutoff refuses worse rows in O(1)). Peak memory: O(F·K) payloads +
  the N outcome rows. Time O(N) plus O(F·K log K).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Generic, NamedTuple, Protocol, TypeVar, runtime_checkable

from syndicate.config import SelectionConfig, Thresholds
from syndicate.custom_feeds import Aliases, CustomFeeds
from syndicate.dedupe import Candidate, dedupe_key, dedupe_losers
from syndicate.model import Article, Outcome
from syndicate.schedule import scheduled_reason
from syndicate.topk import FeedKey, TopK

__all__ = [
    "PUBLISHED_WARNING_PREFIX",
    "ArticleSource",
    "FeedItems",
    "Picked",
    "ProviderKey",
    "Row",
    "Selection",
    "SelectionSource",
    "TopicPairs",
    "fill_feeds",
    "light_fields",
    "not_newest_reason",
    "quality_reason",
    "select",
    "topic_key",
]

# articles.py turns a missing or non-boolean `published` (the string "true", 1, ...) into
# False plus a warning starting with this text ("published: must be true or false, got a
# string 'true'; not published"). That warning becomes the filter reason, so the user
# sees what was written rather than a bare "unpublished".
PUBLISHED_WARNING_PREFIX = "published:"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_new = tuple.__new__

P = TypeVar("P")

TopicPairs = tuple[tuple[str, str], ...]  # ((topic key, display spelling), ...)
ProviderKey = tuple[str, str]  # (provider domain, display name)


class Row(NamedTuple, Generic[P]):
    """What selection reads of one published article, as plain data (the index stores
    it precomputed, so a rebuild never re-derives it). The payload is carried into the
    feeds untouched."""

    path: str
    unpublished: str | None  # why it is not published; None when it is
    quality: float
    published_us: int  # µs since the epoch
    link: str
    topics: TopicPairs  # one pair per topic key, the first spelling in the record wins
    provider: ProviderKey | None
    payload: P


@dataclass(frozen=True, slots=True)
class FeedItems:
    """One topic or provider feed: its key, display name and items in feed order."""

    key: str  # topic_key(...) for topics, the provider domain for providers
    name: str
    items: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    """What goes where. ``topics`` and ``providers`` are sorted by key and hold only
    feeds with at least one item; ``outcomes`` has one entry per record the source
    holds (rejections included), in path order. A selected article's reason labels its
    feeds by family and key (``all, topic:ai, provider:example.com``); the plan names
    them by output path (:func:`syndicate.plan.name_feeds`)."""

    all: tuple[Article, ...]
    topics: tuple[FeedItems, ...]
    providers: tuple[FeedItems, ...]
    outcomes: dict[str, Outcome]
    # µs since the epoch of the earliest held-back article's due time; None when none is
    # held (or selection ran without a moment).
    next_due_us: int | None = None
    # One per [[feeds.custom]] (key = slug, name as configured), in slug order, empty
    # ones included: a configured feed always exists.
    custom: tuple[FeedItems, ...] = ()


@runtime_checkable
class SelectionSource(Protocol[P]):
    """Where selection reads records from."""

    @property
    def ordered(self) -> bool:
        """Whether :meth:`rows` come in path order (else outcomes are sorted after)."""
        ...

    def candidates(self) -> Iterable[Candidate]:
        """Pass 1: every published article, or only those whose dedupe key occurs more
        than once (the answer is the same)."""
        ...

    def rows(self, floor: float, outcomes: dict[str, Outcome]) -> Iterable[Row[P]]:
        """Pass 2: every record. A record whose outcome depends on nothing else (a
        rejection) may go straight into ``outcomes`` instead; ``floor`` is the lowest
        threshold (a row below it is in no feed: its payload is never read)."""
        ...

    def article(self, payload: P) -> Article:
        """The Article of an item that made it into a feed."""
        ...

    def item_type(self, payload: P) -> str:
        """The ``type`` of a row's article (asked only by a custom feed filtering by it)."""
        ...


def topic_key(name: str) -> str:
    """Case- and spacing-insensitive identity of a topic name: ``"Machine  learning"``
    and ``"machine Learning"`` are one topic (``"machine learning"``)."""
    return " ".join(name.split()).casefold()


def select(source: SelectionSource[P] | Iterable[Article], rules: SelectionConfig,
           now: datetime | None = None) -> Selection:
    """Select from ``source`` (see the module docstring for the rules) at the moment
    ``now`` (None: nothing is held back). A plain iterable of Articles is read through
    :class:`ArticleSource`. Raises ValueError if two records share a path."""
    now_us = None if now is None else micros(now)
    if isinstance(source, SelectionSource):
        return _select(source, rules, now_us)
    return _select(ArticleSource(_reader(source)), rules, now_us)


def _select(source: SelectionSource[P], rules: SelectionConfig, now_us: int | None
            ) -> Selection:
    all_candidates = list(source.candidates())
    limits = rules.min_quality
    custom = CustomFeeds(rules.custom)
    floor = min(limits.all, limits.topics, limits.providers, custom.floor)
    # Articles live by their publishedDateTime but updated after ``now``: their updated
    # time is only known once they are decoded, which happens to the items that land in
    # a feed. Rare, so such a selection simply runs again with them held back.
    held: dict[str, int] = {}
    while True:
        losers = dedupe_losers(
            c for c in all_candidates
            if now_us is None or (c.published_us <= now_us and c.path not in held))
        outcomes: dict[str, Outcome] = {}
        picked = fill_feeds(source.rows(floor, outcomes), rules, losers, outcomes,
                            now_us=now_us, held=held, item_type=source.item_type)
        # An article in several feeds is one payload object offered to each (see
        # fill_feeds), alive in ``picked`` throughout: decoded once, keyed by identity.
        memo: dict[int, Article] = {}
        for payloads in (picked.all, *(p for _, _, p in picked.topics),
                         *(p for _, _, p in picked.providers), *picked.custom):
            for payload in payloads:
                if id(payload) not in memo:
                    memo[id(payload)] = source.article(payload)
        late = {} if now_us is None else {
            a.path: micros(a.updated) for a in memo.values() if micros(a.updated) > now_us}
        if not late:
            break
        held.update(late)
    if not source.ordered:
        outcomes = {path: outcomes[path] for path in sorted(outcomes)}

    def items(payloads: tuple[P, ...]) -> tuple[Article, ...]:
        return tuple(memo[id(payload)] for payload in payloads)

    return Selection(
        all=items(picked.all),
        topics=tuple(FeedItems(k, n, items(p)) for k, n, p in picked.topics),
        providers=tuple(FeedItems(k, n, items(p)) for k, n, p in picked.providers),
        outcomes=outcomes, next_due_us=picked.next_due_us,
        custom=tuple(FeedItems(f.slug, f.name, items(p))
                     for f, p in zip(rules.custom, picked.custom, strict=True)))


def _reader(articles: Iterable[Article]) -> Callable[[], Iterable[Article]]:
    # A one-shot iterator cannot be read twice: list it (a collection is read twice
    # and never copied).
    source = list(articles) if iter(articles) is articles else articles
    return lambda: source


class ArticleSource:
    """Articles in memory as a :class:`SelectionSource`: ``read()`` must yield the same
    articles (in any order) each time it is called — it is called once per pass, so a
    generator function re-reading a folder never holds every article. Raises
    ValueError when the two passes see a different number of articles."""

    ordered = False

    def __init__(self, read: Callable[[], Iterable[Article]]) -> None:
        self._read = read
        self._count = -1

    def candidates(self) -> Iterator[Candidate]:
        self._count = 0
        for article in self._read():
            self._count += 1
            if article.is_published:
                yield _new(Candidate, (dedupe_key(article.link), article.quality,
                                       micros(article.published), article.path))

    def rows(self, floor: float, outcomes: dict[str, Outcome]) -> Iterator[Row[Article]]:
        seen = 0
        for article in self._read():
            seen += 1
            yield row_of(article)
        if self._count >= 0 and seen != self._count:
            raise ValueError(f"the source changed between passes ({self._count} articles, "
                             f"then {seen})")

    def article(self, payload: Article) -> Article:
        return payload

    def item_type(self, payload: Article) -> str:
        return payload.type


# --- the light view of an article ------------------------------------------------------

def light_fields(article: Article) -> tuple[str | None, TopicPairs, ProviderKey | None]:
    """The parts of :class:`Row` derived from an article: unpublished reason, topic
    pairs (one per topic key, the first spelling in the record wins, blank keys
    dropped) and the provider feed key with its name."""
    reason = None if article.is_published else _unpublished_reason(article)
    topics = {topic_key(name): name for name in reversed(article.topics)}  # first wins
    topics.pop("", None)
    provider = (None if article.provider is None
                else (article.provider.domain.lower(), article.provider.name))
    return reason, tuple(topics.items()), provider


def row_of(article: Article) -> Row[Article]:
    reason, topics, provider = light_fields(article)
    return Row(article.path, reason, article.quality, micros(article.published),
               article.link, topics, provider, article)


def micros(when: datetime) -> int:
    """Exact integer µs since the epoch: float timestamps can merge two distinct
    microseconds."""
    return (when - _EPOCH) // _MICROSECOND


# --- pass 2: bounded top-K per feed --------------------------------------------------

def _type_of(item_type: Callable[[P], str] | None, payload: P) -> str:
    if item_type is None:
        raise ValueError("a custom feed filters by type: fill_feeds needs item_type")
    return item_type(payload)


def _number(value: float) -> str:
    """42.0 -> "42", 42.5 -> "42.5": no spurious ".0" in messages."""
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return repr(float(value))


def not_newest_reason(items_per_feed: int) -> str:
    return f"not among the newest {items_per_feed} of any feed"


def quality_reason(quality: float, has_topics: bool, has_provider: bool,
                   limits: Thresholds, cache: dict[tuple[float, float], str] | None = None
                   ) -> str | None:
    """Why a published, non-duplicate article is in no feed — its quality is below
    every threshold that applies to it (naming the lowest) — or None when it clears
    one (it is eligible for some feed)."""
    if (quality >= limits.all or (has_topics and quality >= limits.topics)
            or (has_provider and quality >= limits.providers)):
        return None
    needed = limits.all  # the lowest bar it would have to clear to appear
    if has_topics and limits.topics < needed:
        needed = limits.topics
    if has_provider and limits.providers < needed:
        needed = limits.providers
    if cache is None:
        return f"quality {_number(quality)} < {_number(needed)}"
    reason = cache.get((quality, needed))
    if reason is None:
        reason = cache[(quality, needed)] = f"quality {_number(quality)} < {_number(needed)}"
    return reason


def _unpublished_reason(article: Article) -> str:
    for warning in article.warnings:
        if warning.startswith(PUBLISHED_WARNING_PREFIX):
            return warning
    return "unpublished"


class _Named:
    """A feed's display name: the spelling on the eligible article with the smallest path."""

    __slots__ = ("name", "path")

    def __init__(self, path: str, name: str) -> None:
        self.path = path
        self.name = name


_Feed = tuple[str, str, tuple[P, ...]]  # (key, display name, payloads in feed order)


@dataclass(frozen=True, slots=True)
class Picked(Generic[P]):
    """What :func:`fill_feeds` chose: payloads per feed (feeds sorted by key, only
    non-empty ones); the outcomes went into the caller's dict."""

    all: tuple[P, ...]
    topics: tuple[_Feed[P], ...]
    providers: tuple[_Feed[P], ...]
    next_due_us: int | None = None  # the earliest due time of a held-back article
    custom: tuple[tuple[P, ...], ...] = ()  # per custom feed, in config (slug) order


def fill_feeds(
    rows: Iterable[Row[P]],
    rules: SelectionConfig,
    losers: dict[str, str],
    outcomes: dict[str, Outcome],
    *,
    now_us: int | None = None,
    held: dict[str, int] | None = None,
    item_type: Callable[[P], str] | None = None,
) -> Picked[P]:
    """Pass 2: every row's outcome (added to ``outcomes``, which the source may be
    filling with rejections meanwhile) and the top K of every feed. With ``now_us``,
    an eligible row published after it is ``scheduled``, and so is a row in ``held``
    (path -> due µs: updated after ``now_us``)."""
    held = held or {}
    next_due: int | None = None
    custom = CustomFeeds(rules.custom)
    aliases = Aliases(rules.topic_aliases, rules.provider_aliases)
    has_aliases = bool(aliases)
    limits = rules.min_quality
    min_all, min_topics, min_providers = limits.all, limits.topics, limits.providers
    k = rules.items_per_feed
    not_newest = not_newest_reason(k)
    everything: TopK[P] = TopK(k)
    custom_heaps: list[TopK[P]] = [TopK(k) for _ in rules.custom]
    topic_heaps: dict[str, TopK[P]] = {}
    topic_names: dict[str, _Named] = {}
    provider_heaps: dict[str, TopK[P]] = {}
    provider_names: dict[str, _Named] = {}
    quality_reasons: dict[tuple[float, float], str] = {}  # shared strings, not one per file
    duplicate_reasons: dict[str, str] = {}

    for path, unpublished, quality, micros, link, topics, provider, payload in rows:
        if path in outcomes:
            raise ValueError(f"{path}: two articles share this path")
        if unpublished is not None:
            outcomes[path] = _new(Outcome, (path, "filtered", unpublished, None, None))
            continue
        winner = losers.get(path)
        if winner is not None:
            reason = duplicate_reasons.get(winner)
            if reason is None:
                reason = duplicate_reasons[winner] = f"duplicate of {winner}"
            outcomes[path] = _new(Outcome, (path, "filtered", reason, None, None))
            continue

        if has_aliases:
            topics, provider = aliases.apply(topics, provider)
        in_all = quality >= min_all
        in_topics = bool(topics) and quality >= min_topics
        in_provider = provider is not None and quality >= min_providers
        customs = custom.matching(quality, topics, provider, partial(
            _type_of, item_type, payload)) if custom.feeds else ()
        if not (in_all or in_topics or in_provider or customs):
            outcomes[path] = _new(Outcome, (path, "filtered", quality_reason(
                quality, bool(topics), provider is not None, limits, quality_reasons) or "",
                None, None))
            continue

        if now_us is not None and (micros > now_us or (held and path in held)):
            due = micros if micros > now_us else held[path]
            outcomes[path] = _new(Outcome, (path, "scheduled",
                                            scheduled_reason(due, micros <= now_us),
                                            None, None))
            if next_due is None or due < next_due:
                next_due = due
            continue

        # Provisional: overwritten below if the article survives in some feed's top K.
        outcomes[path] = _new(Outcome, (path, "filtered", not_newest, None, None))
        key: FeedKey = (-micros, link, path)
        for i in customs:
            custom_heaps[i].offer(key, payload)
        # The cutoff test is inlined: most offers to a full feed are refused by it.
        if in_all:
            cutoff = everything.cutoff
            if cutoff is None or key < cutoff:
                everything.offer(key, payload)
        if in_topics:
            for tkey, spelling in topics:
                heap = topic_heaps.get(tkey)
                if heap is None:
                    heap = topic_heaps[tkey] = TopK(k)
                cutoff = heap.cutoff
                if cutoff is None or key < cutoff:
                    heap.offer(key, payload)
                named = topic_names.get(tkey)
                if named is None:
                    topic_names[tkey] = _Named(path, spelling)
                elif path < named.path:
                    named.path, named.name = path, spelling
        if in_provider and provider is not None:
            domain, name = provider
            heap = provider_heaps.get(domain)
            if heap is None:
                heap = provider_heaps[domain] = TopK(k)
            cutoff = heap.cutoff
            if cutoff is None or key < cutoff:
                heap.offer(key, payload)
            named = provider_names.get(domain)
            if named is None:
                provider_names[domain] = _Named(path, name)
            elif path < named.path:
                named.path, named.name = path, name

    feeds_of: dict[str, list[str]] = {}
    all_items = everything.items()
    for key, _ in all_items:
        feeds_of.setdefault(key[2], []).append("all")
    families: list[tuple[_Feed[P], ...]] = []
    for family, heaps, names in (("topic", topic_heaps, topic_names),
                                 ("provider", provider_heaps, provider_names)):
        feeds: list[_Feed[P]] = []
        for fkey in sorted(heaps):
            items = heaps[fkey].items()
            label = f"{family}:{fkey}"
            for key, _ in items:
                feeds_of.setdefault(key[2], []).append(label)
            feeds.append((fkey, names[fkey].name, tuple(p for _, p in items)))
        families.append(tuple(feeds))
    custom_items: list[tuple[P, ...]] = []
    for feed, heap in zip(rules.custom, custom_heaps, strict=True):
        items = heap.items()
        for key, _ in items:
            feeds_of.setdefault(key[2], []).append(f"custom:{feed.slug}")
        custom_items.append(tuple(p for _, p in items))
    for path, labels in feeds_of.items():
        outcomes[path] = _new(Outcome, (path, "selected", ", ".join(labels), None, None))

    return Picked(all=tuple(p for _, p in all_items), topics=families[0],
                  providers=families[1], next_due_us=next_due, custom=tuple(custom_items))
