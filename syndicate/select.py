"""Which articles go into which feed, and why not.

Rules (issue 3, "Selection" and "Accounting"):

* An article is *eligible* for a feed family (``all``, ``topics``, ``providers``) when it
  is published (a real boolean ``true``) and its quality is at least that family's
  threshold. Thresholds may differ, so an article can be in its provider feed and not in
  the ``all`` feed.
* Among published articles, those with the same :func:`dedupe_key` are one story: the
  one with the highest quality wins, then the newest, then the smallest path; every
  other copy is filtered as ``duplicate of <winner path>``.
* Inside a feed: newest ``published`` first, ties broken by link, then path; at most
  ``items_per_feed`` entries.
* Topic feeds are keyed by :func:`topic_key`; provider feeds by the provider's domain.
  A feed's display name is the spelling carried by the eligible article with the
  smallest path, so it never depends on the order articles arrive in.

The result is a pure function of the *set* of articles: every ordering above ends in
the path, which is unique, so shuffling the input cannot change a single byte.

Memory and time (N articles, F feeds, K = ``items_per_feed``, D = published articles):

* Selection runs over light :data:`Row` tuples (:func:`light_fields`: unpublished
  reason, topic keys, provider key — derived once; the build stores them in the index
  at parse time, so a rebuild never re-derives them) and carries an opaque payload into
  the feeds (an Article here, a reference to the stored record in the build).
* Pass 1 (:func:`dedupe_losers`) maps every losing copy of a story to its winner. It
  needs ``dedupe_key`` of published articles only; the build gets the keys that occur
  more than once straight from SQLite. Pass 2 (:func:`fill_feeds`) keeps at most 2K
  rows per feed (a buffer cut back to K when full, then a cutoff refuses worse rows in
  O(1)). Peak memory: O(D) light keys in pass 1 here (O(copies) in the build), O(F·K)
  payloads + the N outcome rows in pass 2. Time O(N) plus O(F·K log K).
* :func:`select` takes any iterable; a one-shot iterator has to be listed first (it
  cannot be read twice), so pass a list, a tuple or a re-iterable view when memory
  matters, or call :func:`select_passes` with a factory that re-reads the source.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from syndicate.config import SelectionConfig, Thresholds
from syndicate.model import Article, Outcome, Status

__all__ = [
    "PUBLISHED_WARNING_PREFIX",
    "Candidate",
    "FeedItems",
    "OutcomeRow",
    "Picked",
    "Row",
    "Selection",
    "dedupe_key",
    "dedupe_losers",
    "fill_feeds",
    "light_fields",
    "not_newest_reason",
    "quality_reason",
    "row_of",
    "select",
    "select_passes",
    "topic_key",
]

# articles.py turns a missing or non-boolean `published` (the string "true", 1, ...) into
# False plus a warning starting with this text ("published: must be true or false, got a
# string 'true'; not published"). That warning becomes the filter reason, so the user
# sees what was written rather than a bare "unpublished".
PUBLISHED_WARNING_PREFIX = "published:"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class FeedItems:
    """One topic or provider feed: its key, display name and items in feed order."""

    key: str  # topic_key(...) for topics, the provider domain for providers
    name: str
    items: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    """What goes where. ``topics`` and ``providers`` are sorted by key and hold only
    feeds with at least one item; ``outcomes`` has one entry per article passed in,
    in path order."""

    all: tuple[Article, ...]
    topics: tuple[FeedItems, ...]
    providers: tuple[FeedItems, ...]
    outcomes: dict[str, Outcome]


def dedupe_key(url: str) -> str:
    """The identity of the story behind ``url``.

    Equal keys for URLs that differ only in scheme case, host case, an explicit default
    port, an empty versus ``/`` path, the case of percent-escapes, a percent-escaped
    unreserved character versus the character itself (``%7E`` / ``~``, RFC 3986
    6.2.2.2), an internationalised host versus its IDNA (punycode) form
    (``bücher.example`` / ``xn--bcher-kva.example``), a ``#fragment`` or ``utm_*``
    query parameters (other parameters are kept, in their original order).

    Deliberately *not* merged, because a site may serve different pages there and
    dropping a real story as a "duplicate" is worse than listing one twice: ``http``
    versus ``https``, ``www.`` versus the bare host, a trailing slash on a non-empty path
    (``/a`` versus ``/a/``), and the case of the path and query.

    Never raises: a URL that cannot be split is returned as it is.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = _ascii_host((parts.hostname or "").rstrip("."))
    if ":" in host:  # IPv6 literal: urlsplit drops the brackets
        host = f"[{host}]"
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    path = _upper_escapes(parts.path) or ("/" if netloc else "")
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and not unquote_plus(pair.partition("=")[0]).strip().lower().startswith("utm_")
    ]
    query = _upper_escapes("&".join(kept))
    return urlunsplit((scheme, netloc, path, query, ""))


def _ascii_host(host: str) -> str:
    """The IDNA (punycode) form of a host, lower-case: the form DNS resolves, so
    ``bücher.example`` and ``xn--bcher-kva.example`` are one host. A name IDNA cannot
    encode (an empty or over-long label) is kept as it is: it cannot be resolved
    either way, and a key must never raise."""
    if host.isascii():
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host


def _normalise_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(0)[1:], 16))
    # RFC 3986 6.2.2.2: an escaped unreserved character is the character itself;
    # 6.2.2.1: any other escape only has its hex digits upper-cased (kept escaped: "%2F"
    # and "/" are different paths).
    return char if char in _UNRESERVED else match.group(0).upper()


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _upper_escapes(text: str) -> str:
    return _PERCENT_ESCAPE.sub(_normalise_escape, text)


def topic_key(name: str) -> str:
    """Case- and spacing-insensitive identity of a topic name: ``"Machine  learning"``
    and ``"machine Learning"`` are one topic (``"machine learning"``)."""
    return " ".join(name.split()).casefold()


def select(articles: Iterable[Article], rules: SelectionConfig) -> Selection:
    """Select from any iterable of articles (see the module docstring for the rules).

    A re-iterable collection is read twice and never copied; a one-shot iterator is
    listed first, which holds every article in memory.
    """
    source: Iterable[Article] = articles
    if iter(articles) is articles:  # an iterator: a second pass would see nothing
        source = list(articles)
    return select_passes(lambda: source, rules)


def select_passes(source: Callable[[], Iterable[Article]], rules: SelectionConfig) -> Selection:
    """Select in two passes over ``source()``, which must yield the same articles (in
    any order) each time it is called. Raises ValueError if two articles share a path
    or the two passes see a different number of articles."""
    count = 0

    def candidates() -> Iterator[Candidate]:
        nonlocal count
        for article in source():
            count += 1
            if article.is_published:
                yield (dedupe_key(article.link), article.quality, _micros(article.published),
                       article.path)

    losers = dedupe_losers(candidates())
    rows = (row_of(article, article) for article in source())
    picked = fill_feeds(rows, rules, losers)
    if len(picked.outcomes) != count:
        raise ValueError(
            f"the source changed between passes ({count} articles, then "
            f"{len(picked.outcomes)})"
        )
    outcomes = {path: Outcome(*picked.outcomes[path]) for path in sorted(picked.outcomes)}
    return Selection(
        all=picked.all,
        topics=tuple(FeedItems(k, n, items) for k, n, items in picked.topics),
        providers=tuple(FeedItems(k, n, items) for k, n, items in picked.providers),
        outcomes=outcomes,
    )


# --- the light view of an article ------------------------------------------------------

# What selection reads of one article, as plain data (the index stores it precomputed,
# so a rebuild never re-derives it): (path, unpublished reason or None when published,
# quality, published µs, link, ((topic key, spelling), ...), (provider domain, name) or
# None, payload). The payload is carried into the feeds untouched.
Row = tuple[str, "str | None", float, int, str, tuple[tuple[str, str], ...],
            "tuple[str, str] | None", Any]
# (dedupe key, quality, published µs, path) of one published article.
Candidate = tuple[str, float, int, str]


def light_fields(article: Article) -> tuple[str | None, tuple[tuple[str, str], ...],
                                            tuple[str, str] | None]:
    """The parts of :data:`Row` derived from an article: unpublished reason, topic
    pairs (one per topic key, the first spelling in the record wins, blank keys
    dropped) and the provider feed key with its name."""
    reason = None if article.is_published else _unpublished_reason(article)
    topics = {topic_key(name): name for name in reversed(article.topics)}  # first wins
    topics.pop("", None)
    provider = (None if article.provider is None
                else (article.provider.domain.lower(), article.provider.name))
    return reason, tuple(topics.items()), provider


def row_of(article: Article, payload: Any) -> Row:
    reason, topics, provider = light_fields(article)
    return (article.path, reason, article.quality, _micros(article.published), article.link,
            topics, provider, payload)


# --- pass 1: which copy of each story wins -------------------------------------------


def _micros(when: datetime) -> int:
    # Exact integer time: float timestamps can merge two distinct microseconds.
    return (when - _EPOCH) // _MICROSECOND


def dedupe_losers(candidates: Iterable[Candidate]) -> dict[str, str]:
    """``path -> winning path`` for every published copy that loses to another copy of
    the same story. A story told once is not remembered beyond this pass.

    The winner has the highest quality, then is the newest, then has the smallest path.
    ``candidates`` may be every published article or only those whose dedupe key
    occurs more than once (what the index hands over): the answer is the same.
    """
    best: dict[str, tuple[float, int, str]] = {}
    repeated: dict[str, list[tuple[float, int, str]]] = {}
    for key, quality, micros, path in candidates:
        # Negated so that the smallest rank wins.
        rank = (-quality, -micros, path)
        held = best.get(key)
        if held is None:
            best[key] = rank
            continue
        group = repeated.get(key)
        if group is None:
            group = repeated[key] = [held]
        group.append(rank)
    losers: dict[str, str] = {}
    for group in repeated.values():
        group.sort()
        winner = group[0][2]
        for rank in group[1:]:
            losers[rank[2]] = winner
    return losers


# --- pass 2: bounded top-K per feed --------------------------------------------------

_FeedKey = tuple[int, str, str]  # (-published µs, link, path): feed order, smallest first


class _TopK:
    """The first ``limit`` items of a feed in O(limit) memory: items are appended to a
    buffer that is sorted and cut back to ``limit`` whenever it doubles; after a cut,
    anything sorting after the last kept item is refused in O(1). Keys are unique (they
    end in the path), so payloads are never compared."""

    __slots__ = ("buffer", "cutoff", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buffer: list[tuple[_FeedKey, Any]] = []
        self.cutoff: _FeedKey | None = None

    def offer(self, key: _FeedKey, payload: Any) -> None:
        cutoff = self.cutoff
        if cutoff is not None and key > cutoff:
            return
        buffer = self.buffer
        buffer.append((key, payload))
        if len(buffer) >= 2 * self.limit:
            buffer.sort()
            del buffer[self.limit:]
            self.cutoff = buffer[-1][0]

    def items(self) -> list[tuple[_FeedKey, Any]]:
        self.buffer.sort()
        del self.buffer[self.limit:]
        return self.buffer


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

    def offer(self, path: str, name: str) -> None:
        if path < self.path:
            self.path, self.name = path, name


# (path, status, reason, line, column): an Outcome's fields, the form the build stores.
OutcomeRow = tuple[str, Status, str, "int | None", "int | None"]
_Feed = tuple[str, str, tuple[Any, ...]]  # (key, display name, payloads in feed order)


@dataclass(frozen=True, slots=True)
class Picked:
    """What :func:`fill_feeds` chose: payloads per feed (feeds sorted by key, only
    non-empty ones) and one outcome row per row read, in the order rows came."""

    all: tuple[Any, ...]
    topics: tuple[_Feed, ...]
    providers: tuple[_Feed, ...]
    outcomes: dict[str, OutcomeRow]


def fill_feeds(
    rows: Iterable[Row],
    rules: SelectionConfig,
    losers: dict[str, str],
    outcomes: dict[str, OutcomeRow] | None = None,
) -> Picked:
    """Pass 2: every row's outcome and the top K of every feed. ``outcomes`` may be
    given pre-filled (the build adds rejections as it reads): rows are added to it."""
    limits = rules.min_quality
    min_all, min_topics, min_providers = limits.all, limits.topics, limits.providers
    k = rules.items_per_feed
    not_newest = not_newest_reason(k)
    everything = _TopK(k)
    topic_heaps: dict[str, _TopK] = {}
    topic_names: dict[str, _Named] = {}
    provider_heaps: dict[str, _TopK] = {}
    provider_names: dict[str, _Named] = {}
    if outcomes is None:
        outcomes = {}
    quality_reasons: dict[tuple[float, float], str] = {}  # shared strings, not one per file
    duplicate_reasons: dict[str, str] = {}

    for path, unpublished, quality, micros, link, topics, provider, payload in rows:
        if path in outcomes:
            raise ValueError(f"{path}: two articles share this path")
        if unpublished is not None:
            outcomes[path] = (path, "filtered", unpublished, None, None)
            continue
        winner = losers.get(path)
        if winner is not None:
            reason = duplicate_reasons.get(winner)
            if reason is None:
                reason = duplicate_reasons[winner] = f"duplicate of {winner}"
            outcomes[path] = (path, "filtered", reason, None, None)
            continue

        in_all = quality >= min_all
        in_topics = bool(topics) and quality >= min_topics
        in_provider = provider is not None and quality >= min_providers
        if not (in_all or in_topics or in_provider):
            outcomes[path] = (path, "filtered", quality_reason(
                quality, bool(topics), provider is not None, limits, quality_reasons) or "",
                None, None)
            continue

        # Provisional: overwritten below if the article survives in some feed's top K.
        outcomes[path] = (path, "filtered", not_newest, None, None)
        key: _FeedKey = (-micros, link, path)
        # The cutoff test is inlined: most offers to a full feed are refused by it.
        if in_all:
            cutoff = everything.cutoff
            if cutoff is None or key < cutoff:
                everything.offer(key, payload)
        if in_topics:
            for tkey, spelling in topics:
                heap = topic_heaps.get(tkey)
                if heap is None:
                    heap = topic_heaps[tkey] = _TopK(k)
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
                heap = provider_heaps[domain] = _TopK(k)
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
    families: list[tuple[_Feed, ...]] = []
    for family, heaps, names in (("topic", topic_heaps, topic_names),
                                 ("provider", provider_heaps, provider_names)):
        feeds: list[_Feed] = []
        for fkey in sorted(heaps):
            items = heaps[fkey].items()
            label = f"{family}:{fkey}"
            for key, _ in items:
                feeds_of.setdefault(key[2], []).append(label)
            feeds.append((fkey, names[fkey].name, tuple(p for _, p in items)))
        families.append(tuple(feeds))
    for path, labels in feeds_of.items():
        outcomes[path] = (path, "selected", ", ".join(labels), None, None)

    return Picked(all=tuple(p for _, p in all_items), topics=families[0],
                  providers=families[1], outcomes=outcomes)
