"""Editors' rules over selection (issue 12): custom feeds and spelling aliases.

:class:`CustomFeeds` says which ``[[feeds.custom]]`` feeds an eligible article belongs
to; :class:`Aliases` merges old topic and provider spellings into the kept ones before
anything is matched, so an alias and a custom filter see the same keys. Both are pure
and built once per selection from :class:`syndicate.config.SelectionConfig`.
"""

from __future__ import annotations

from collections.abc import Callable

from syndicate.config_feeds import CustomFeed

_Topics = tuple[tuple[str, str], ...]  # select.TopicPairs: (topic key, spelling)
_Provider = tuple[str, str] | None  # select.ProviderKey: (domain, display name)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


class CustomFeeds:
    """Matching of one article against every custom feed (in slug order)."""

    __slots__ = ("_rules", "feeds", "floor")

    def __init__(self, feeds: tuple[CustomFeed, ...]) -> None:
        self.feeds = feeds
        # The lowest quality any custom feed accepts: selection must read rows above it.
        self.floor = min((f.min_quality for f in feeds), default=float("inf"))
        self._rules = [(f.min_quality, frozenset(f.topics_any), frozenset(f.topics_all),
                        frozenset(f.exclude_topics), frozenset(f.providers),
                        frozenset(f.types)) for f in feeds]

    def matching(self, quality: float, topics: _Topics, provider: _Provider,
                 type_of: Callable[[], str]) -> list[int]:
        """Indexes of the feeds an eligible (published, not duplicate) article is in.
        ``type_of`` is called only when a feed filters by type (it may decode the
        record)."""
        found: list[int] = []
        keys: frozenset[str] | None = None
        kind: str | None = None
        for i, (least, any_of, all_of, exclude, providers, types) in enumerate(self._rules):
            if quality < least:
                continue
            if any_of or all_of or exclude:
                if keys is None:
                    keys = frozenset(k for k, _ in topics)
                if ((any_of and keys.isdisjoint(any_of)) or not all_of <= keys
                        or not keys.isdisjoint(exclude)):
                    continue
            if providers and (provider is None or (provider[0] not in providers
                                                   and _key(provider[1]) not in providers)):
                continue
            if types:
                if kind is None:
                    kind = type_of()
                if kind not in types:
                    continue
            found.append(i)
        return found


class Aliases:
    """Old spellings mapped to the kept ones: topic keys (with the kept display
    spelling) and provider domains."""

    __slots__ = ("_providers", "_topics")

    def __init__(self, topics: tuple[tuple[str, str, str], ...],
                 providers: tuple[tuple[str, str], ...]) -> None:
        self._topics = {old: (new, spelling) for old, new, spelling in topics}
        self._providers = dict(providers)

    def __bool__(self) -> bool:
        return bool(self._topics or self._providers)

    def apply(self, topics: _Topics, provider: _Provider) -> tuple[_Topics, _Provider]:
        """The article's topics and provider under their kept spellings; a topic
        written both ways is one topic (the first spelling wins, as in a record)."""
        if self._topics and any(k in self._topics for k, _ in topics):
            merged: dict[str, str] = {}
            for key, spelling in topics:
                key, spelling = self._topics.get(key, (key, spelling))
                merged.setdefault(key, spelling)
            topics = tuple(merged.items())
        if provider is not None and provider[0] in self._providers:
            provider = (self._providers[provider[0]], provider[1])
        return topics, provider
