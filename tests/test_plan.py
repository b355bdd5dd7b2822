"""Plans: which feeds exist, where they live, what they are called and dated."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from syndicate.config import Config, parse_config
from syndicate.model import Article, Provider
from syndicate.plan import EMPTY_FEED_UPDATED, plan_feeds
from syndicate.select import FeedItems, Selection

T0 = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
SAFE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def config(**feeds: Any) -> Config:
    return parse_config({
        "site": {"title": "Sample News", "base_url": "https://feeds.example.org/news",
                 "home_url": "https://news.example.org/", "description": "All the news."},
        "feeds": feeds,
    }, Path("/nonexistent/config.toml"))


def article(n: int, *, hours: int = 0, topics: tuple[str, ...] = ("AI",),
            domain: str = "example.com") -> Article:
    when = T0 - timedelta(hours=n)
    return Article(
        path=f"a{n}.md", link=f"https://{domain}/{n}", title=f"T{n}", excerpt="",
        published=when, updated=when + timedelta(hours=hours), type="article", quality=60,
        heat=None, is_published=True, provider=Provider(f"Provider {domain}", domain),
        topics=topics, images=(), related=(), embed_url=None)


def selection(all_items: tuple[Article, ...], topics: dict[str, tuple[str, tuple[Article, ...]]],
              providers: dict[str, tuple[str, tuple[Article, ...]]]) -> Selection:
    return Selection(
        all=all_items,
        topics=tuple(FeedItems(k, n, items) for k, (n, items) in sorted(topics.items())),
        providers=tuple(FeedItems(k, n, items) for k, (n, items) in sorted(providers.items())),
        outcomes={},
    )


def test_families_paths_and_urls() -> None:
    a, b = article(1), article(2, domain="livemint.com")
    plans = plan_feeds(selection((a, b), {"ai": ("AI", (a, b))},
                                 {"example.com": ("Provider example.com", (a,)),
                                  "livemint.com": ("Mint", (b,))}), config())
    assert [(p.family, p.key) for p in plans] == [
        ("all", "all"), ("topic", "ai"), ("provider", "example.com"),
        ("provider", "livemint.com")]
    mint = plans[3]
    assert mint.path("atom") == "providers/livemint-com.atom"
    assert mint.path("json") == "providers/livemint-com.json"
    # base_url was given without its trailing slash: config adds it, the URL is a child.
    assert mint.url("rss", config()) == "https://feeds.example.org/news/providers/livemint-com.rss"
    assert plans[0].path("rss") == "all.rss"
    assert plans[1].path("atom") == "topics/ai.atom"


def test_titles_and_subtitles_come_from_the_templates() -> None:
    a = article(1, domain="livemint.com")
    cfg = config(all_title="{site} (everything)", topic_title="{name} | {site}",
                 provider_title="{site}: {name} coverage")
    plans = plan_feeds(selection((a,), {"ai": ("AI", (a,))}, {"livemint.com": ("Mint", (a,))}),
                       cfg)
    assert [p.title for p in plans] == ["Sample News (everything)", "AI | Sample News",
                                        "Sample News: Mint coverage"]
    assert plans[0].subtitle == "All the news."
    assert "AI" in plans[1].subtitle
    assert "Mint" in plans[2].subtitle and "livemint.com" in plans[2].subtitle


def test_braces_in_a_name_are_not_a_template() -> None:
    a = article(1)
    plans = plan_feeds(selection((a,), {"{site}": ("{site} {0}", (a,))}, {}), config())
    assert plans[1].title == "Sample News: {site} {0}"


def test_updated_is_the_newest_item_update() -> None:
    a, b, c = article(1), article(2, hours=50), article(3)
    plans = plan_feeds(selection((a, b, c), {"ai": ("AI", (a, c))}, {}), config())
    assert plans[0].updated == b.updated
    assert plans[1].updated == a.updated


def test_an_empty_all_feed_still_exists_with_a_fixed_date() -> None:
    plans = plan_feeds(selection((), {}, {}), config())
    assert len(plans) == 1
    assert plans[0].items == ()
    assert plans[0].updated == EMPTY_FEED_UPDATED


def test_hostile_topic_names_get_safe_distinct_slugs() -> None:
    a = article(1)
    keys = ["../../x", "c++", "c", "c--", "人工智能", "x" * 400, "con", ""]
    plans = plan_feeds(selection((a,), {k: (k, (a,)) for k in keys}, {}), config())
    topics = [p for p in plans if p.family == "topic"]
    assert len({p.slug for p in topics}) == len(keys)
    for plan in topics:
        assert SAFE.match(plan.slug)
        assert plan.path("atom") == f"topics/{plan.slug}.atom"


def test_slugs_do_not_depend_on_other_feeds_unless_they_collide() -> None:
    a = article(1)
    alone = plan_feeds(selection((a,), {"power apps": ("Power Apps", (a,))}, {}), config())
    crowded = plan_feeds(selection((a,), {"power apps": ("Power Apps", (a,)),
                                          "ai": ("AI", (a,))}, {}), config())
    assert alone[1].slug == crowded[2].slug == "power-apps"


def test_planning_is_pure() -> None:
    a, b = article(1), article(2)
    sel = selection((a, b), {"ai": ("AI", (a, b))}, {"example.com": ("P", (a, b))})
    assert plan_feeds(sel, config()) == plan_feeds(sel, config())

