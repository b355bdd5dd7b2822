"""OPML 2.0 subscription list: every feed once, grouped, parseable, no clock."""

from __future__ import annotations

import dataclasses
import html
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from lxml import etree

from syndicate.config import Config, parse_config
from syndicate.model import Article, Provider
from syndicate.plan import FeedPlan, plan_feeds
from syndicate.render.opml import render_opml
from syndicate.select import select

T0 = datetime(2021, 6, 2, 16, 12, 27, tzinfo=UTC)


def config(formats: list[str] | None = None, **site: Any) -> Config:
    return parse_config({
        "site": {"title": "Sample <News> & Co", "base_url": "https://feeds.example.org/",
                 "home_url": "https://news.example.org/", **site},
        "output": {"formats": formats or ["atom", "rss", "json"]},
    }, Path("/nonexistent/config.toml"))


def article(n: int, topics: tuple[str, ...], domain: str) -> Article:
    when = T0 - timedelta(days=n)
    return Article(
        path=f"a{n}.md", link=f"https://{domain}/{n}", title=f"T{n}", excerpt="",
        published=when, updated=when, type="article", quality=60, heat=None,
        is_published=True, provider=Provider(domain.upper(), domain), topics=topics,
        images=(), related=(), embed_url=None)


ARTICLES = [article(1, ("AI", "../../x"), "a.com"), article(2, ("人工智能",), "b.org"),
            article(3, ("AI",), "a.com")]


def plans(cfg: Config) -> tuple[FeedPlan, ...]:
    return plan_feeds(select(ARTICLES, cfg.selection), cfg)


def test_every_feed_is_listed_once_in_its_group() -> None:
    cfg = config(author="Editors")
    ps = plans(cfg)
    root = etree.fromstring(render_opml(ps, cfg))
    assert root.tag == "opml" and root.get("version") == "2.0"
    # OPML text may be read as HTML: markup-like text is entity-encoded (opml_text).
    assert root.findtext("head/title") == "Sample &lt;News&gt; &amp; Co"
    assert html.unescape(root.findtext("head/title") or "") == "Sample <News> & Co"
    assert root.findtext("head/ownerName") == "Editors"
    groups = root.findall("body/outline")
    assert [g.get("text") for g in groups] == ["All articles", "Topics", "Providers"]
    # A folder carries text only: with a title and no type it would look like a broken
    # subscription (W3C MissingOutlineType).
    assert [sorted(g.attrib) for g in groups] == [["text"]] * 3
    listed = {}
    for group in groups:
        for outline in group.findall("outline"):
            assert outline.get("type") == "rss"
            assert outline.get("text") == outline.get("title")
            assert outline.get("htmlUrl") == "https://news.example.org/"
            listed[outline.get("xmlUrl")] = (group.get("text"), outline.get("title"))
    expected = {p.url("atom", cfg): p.title for p in ps}
    assert {url: html.unescape(title) for url, (_, title) in listed.items()} == expected
    assert len(listed) == len(ps) == 1 + 3 + 2


def test_the_first_configured_format_is_the_one_listed() -> None:
    cfg = config(formats=["json", "rss"])
    root = etree.fromstring(render_opml(plans(cfg), cfg))
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    assert urls and all(u is not None and u.endswith(".rss") for u in urls)


def test_dated_by_the_newest_feed_and_byte_stable() -> None:
    cfg = config()
    ps = plans(cfg)
    data = render_opml(ps, cfg)
    date = etree.fromstring(data).findtext("head/dateModified")
    assert date is not None and parsedate_to_datetime(date) == T0 - timedelta(days=1)
    assert render_opml(ps, cfg) == data
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<opml")


def test_hostile_titles_are_escaped_attributes() -> None:
    cfg = config()
    evil = dataclasses.replace(ARTICLES[0], topics=('"><script>x</script>',))
    ps = plan_feeds(select([evil], cfg.selection), cfg)
    data = render_opml(ps, cfg)
    root = etree.fromstring(data)
    assert root.findall(".//script") == []
    titles = [html.unescape(o.get("title") or "") for o in root.iter("outline")]
    assert 'Sample <News> & Co: "><script>x</script>' in titles


def test_plain_names_stay_plain_and_markup_like_names_are_encoded() -> None:
    from syndicate.render.opml import opml_text

    for plain in ("R&D", "C++ & C#", "AT&T", "Q & A; news"):
        assert opml_text(plain) == plain
    assert opml_text("a < b") == "a &lt; b"
    assert opml_text("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert opml_text("Tom &amp; Jerry") == "Tom &amp;amp; Jerry"
    assert opml_text("&#8217;") == "&amp;#8217;"


def test_head_holds_only_what_the_w3c_validator_knows() -> None:
    # W3C's OPML head: title, dateCreated, dateModified, ownerName, ownerEmail, ownerId,
    # expansionState, vertScrollState, window*; anything else is UndefinedElement.
    cfg = config(author="Editors")
    root = etree.fromstring(render_opml(plans(cfg), cfg))
    assert [child.tag for child in root.find("head")] == ["title", "dateModified", "ownerName"]
