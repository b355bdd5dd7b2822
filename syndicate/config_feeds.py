"""``[[feeds.custom]]``, ``[topics.aliases]`` and ``[providers.aliases]`` (issue 12):
editors' feeds and merged spellings, parsed into plain data for selection."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from syndicate.config_table import Table
from syndicate.errors import ConfigError
from syndicate.slug import slugify

ARTICLE_TYPES = ("article", "video")


@dataclass(frozen=True, slots=True)
class CustomFeed:
    """One ``[[feeds.custom]]`` feed: an editor's cut, written to ``custom/<slug>.*``.
    Topic filters hold topic keys (matched like topics are:
    :func:`syndicate.select.topic_key`); ``providers`` holds provider domains and
    provider names, both as keys (lower case, spacing collapsed). An empty filter
    does not filter."""

    name: str
    slug: str
    topics_any: tuple[str, ...] = ()
    topics_all: tuple[str, ...] = ()
    exclude_topics: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    min_quality: float = 0.0
    types: tuple[str, ...] = ()


def topic_key(name: str) -> str:
    # select.topic_key, repeated here: config must not import the selection module.
    return " ".join(name.split()).casefold()


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def custom_feeds(feeds_t: Table, default_min: float) -> tuple[CustomFeed, ...]:
    """``[[feeds.custom]]``: every mistake, including a filter no article can pass and
    a slug used twice, is a ConfigError naming ``feeds.custom[i].<key>``."""
    raw = feeds_t.raw("custom")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ConfigError("feeds.custom: must be an array of tables ([[feeds.custom]])")
    found: dict[str, CustomFeed] = {}
    for i, data in enumerate(raw):
        t = Table(data, f"feeds.custom[{i}]")
        name = t.string("name", required=True).strip()
        slug = t.string("slug", required=True)
        # slugify(slug) == slug also refuses names Windows reserves (con, nul, ...).
        if not _SLUG.fullmatch(slug) or slugify(slug) != slug:
            raise ConfigError(f"{t.key('slug')}: must be 1 to 60 characters of a-z, 0-9 "
                              f"and inner single hyphens (like 'ai-best'), not a device "
                              f"name such as 'con'; got {slug!r}")
        if slug in found:
            raise ConfigError(f"{t.key('slug')}: {slug!r} is already the slug of "
                              f"{found[slug].name!r}; each custom feed needs its own")

        topics_any, topics_all = _keys(t, "topics_any"), _keys(t, "topics_all")
        exclude = _keys(t, "exclude_topics")
        types = _keys(t, "types", lambda name: name.strip().lower())
        for kind in types:
            if kind not in ARTICLE_TYPES:
                raise ConfigError(f"{t.key('types')}: each must be one of "
                                  f"{', '.join(ARTICLE_TYPES)}, got {kind!r}")
        clash = sorted(set(exclude) & (set(topics_all) | set(topics_any)))
        if set(exclude) & set(topics_all) or (topics_any and set(topics_any) <= set(exclude)):
            raise ConfigError(f"{t.key('exclude_topics')}: {clash[0]!r} is also required "
                              f"(topics_all / topics_any): no article could match")
        feed = CustomFeed(name=name, slug=slug, topics_any=topics_any, topics_all=topics_all,
                          exclude_topics=exclude, providers=_keys(t, "providers"),
                          min_quality=t.number("min_quality", default_min), types=types)
        if not name:
            raise ConfigError(f"{t.key('name')}: must not be empty")
        t.check_unknown()
        found[slug] = feed
    return tuple(found[s] for s in sorted(found))


def _keys(t: Table, key: str, norm: Callable[[str], str] = topic_key) -> tuple[str, ...]:
    values = t.string_list(key, ())
    if any(not v.strip() for v in values):
        raise ConfigError(f"{t.key(key)}: must not contain an empty name")
    return tuple(sorted({norm(v) for v in values}))


def aliases(root: Table, family: str, norm: Callable[[str], str]) -> tuple[tuple[str, str], ...]:
    """``[<family>.aliases]``: old spelling -> kept spelling, as written (normalised by
    the caller); no alias of an alias, none of itself."""
    table = root.table(family)
    aliases_t = table.table("aliases")
    table.check_unknown()
    pairs: dict[str, tuple[str, str]] = {}
    for old in sorted(aliases_t._data):
        new = aliases_t.string(old)
        key = aliases_t.key(repr(old) if not old.isidentifier() else old)
        if not old.strip() or not new.strip():
            raise ConfigError(f"{key}: must not be empty")
        if norm(old) == norm(new):
            raise ConfigError(f"{key}: is its own spelling ({new!r}); remove the alias")
        if norm(old) in pairs:
            raise ConfigError(f"{key}: the same spelling as {pairs[norm(old)][0]!r}")
        pairs[norm(old)] = (old, new)
    for old, new in pairs.values():
        if norm(new) in pairs:
            raise ConfigError(f"{aliases_t.key(old)}: {new!r} is itself an alias; map "
                              f"{old!r} to the spelling that is kept")
    if family == "providers":
        return tuple(sorted((k, norm(new)) for k, (_, new) in pairs.items()))
    return tuple(sorted((old, new) for _, (old, new) in pairs.items()))
