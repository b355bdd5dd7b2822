"""JSON Feed 1.1: the spec's required keys and types, and what a real consumer reads."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from syndicate.config import Config, parse_config
from syndicate.model import Article, Image, Provider, RelatedLink
from syndicate.plan import FeedPlan, plan_feeds
from syndicate.render.body import item_html
from syndicate.render.common import entry_id
from syndicate.render.jsonfeed import render_json
from syndicate.select import select

T0 = datetime(2020, 6, 9, 1, 9, tzinfo=UTC)


def config(**site: Any) -> Config:
    hubs = site.pop("hubs", [])
    return parse_config({"site": {"title": "Sample News", "base_url": "https://feeds.example.org/",
                                  "home_url": "https://news.example.org/", **site},
                         "websub": {"hubs": hubs}}, Path("/nonexistent/config.toml"))


def article(n: int, **changes: Any) -> Article:
    base = Article(
        path=f"a{n}.md", link=f"https://news.example.com/{n}", title=f"Story {n}",
        excerpt=f"Excerpt {n} — naïve café", published=T0 - timedelta(hours=n),
        updated=T0 - timedelta(hours=n) + timedelta(minutes=5), type="article", quality=70,
        heat=None, is_published=True, provider=Provider("Mint", "livemint.com"),
        topics=("AI", "Computer Vision"),
        images=(Image("https://img.example.com/a.jpg", 600, 338),),
        related=(RelatedLink("https://r.example/1", "R"),), embed_url=None)
    return dataclasses.replace(base, **changes)


def plans_for(articles: list[Article], cfg: Config) -> tuple[FeedPlan, ...]:
    return plan_feeds(select(articles, cfg.selection), cfg)


def assert_json_feed_11(doc: dict[str, Any]) -> None:
    """The MUSTs of https://www.jsonfeed.org/version/1.1/ and the types it gives."""
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str) and doc["title"]
    assert isinstance(doc["items"], list)
    for key in ("home_page_url", "feed_url", "icon", "favicon"):
        if key in doc:
            assert doc[key].startswith("https://")
    for author in doc.get("authors", []):
        assert set(author) <= {"name", "url", "avatar"} and author
    for hub in doc.get("hubs", []):
        assert set(hub) == {"type", "url"}
    # 1.1 deprecates the singular form but keeps it valid; written only beside
    # authors, as the same (first) author, for 1.0 clients such as feedparser
    for obj in (doc, *doc["items"]):
        if "author" in obj:
            assert obj["authors"] and obj["author"] == obj["authors"][0]
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"].strip()
        assert isinstance(item.get("content_text") or item.get("content_html"), str)
        for key in ("date_published", "date_modified"):
            moment = datetime.fromisoformat(item[key])
            assert moment.tzinfo is not None  # RFC 3339 needs an offset
        for tag in item.get("tags", []):
            assert isinstance(tag, str)
        for author in item.get("authors", []):
            assert set(author) <= {"name", "url", "avatar"} and author


def test_feed_follows_json_feed_11_and_mirrors_the_articles() -> None:
    cfg = config(icon="https://news.example.org/icon.png", language="fr")
    articles = [article(1), article(2, images=(), topics=(), provider=None, excerpt="")]
    data = render_json(plans_for(articles, cfg)[0], cfg)
    doc = json.loads(data)
    assert_json_feed_11(doc)
    assert doc["feed_url"] == "https://feeds.example.org/all.json"
    assert doc["home_page_url"] == "https://feeds.example.org/all.html"  # its page
    assert doc["language"] == "fr"
    assert doc["icon"] == doc["favicon"] == "https://news.example.org/icon.png"
    first, second = doc["items"]
    a = articles[0]
    assert first == {
        "id": entry_id(a),
        "url": a.link,
        "title": a.title,
        "content_html": item_html(a),
        "content_text": a.excerpt,
        "summary": a.excerpt,
        "image": a.images[0].url,
        "date_published": "2020-06-09T00:09:00+00:00",
        "date_modified": "2020-06-09T00:14:00+00:00",
        "authors": [{"name": "Mint", "url": "https://livemint.com/"}],
        "author": {"name": "Mint", "url": "https://livemint.com/"},
        "tags": ["AI", "Computer Vision"],
    }
    # Without an excerpt the required content falls back to the title.
    assert second["content_text"] == "Story 2"
    assert {"summary", "image", "authors", "author", "tags"}.isdisjoint(second)


def test_output_is_utf8_indented_with_a_trailing_newline_and_stable() -> None:
    cfg = config()
    plan = plans_for([article(1), article(2)], cfg)[0]
    data = render_json(plan, cfg)
    assert data.endswith(b"}\n")
    assert "naïve café".encode() in data  # not \u escapes
    assert b'\n  "title": ' in data
    assert render_json(plan, cfg) == data
    assert list(json.loads(data)) == ["version", "title", "home_page_url", "feed_url",
                                      "description", "authors", "author", "language",
                                      "items"]


def test_hubs_are_listed_when_configured() -> None:
    cfg = config(hubs=["https://hub.example/"])
    doc = json.loads(render_json(plans_for([article(1)], cfg)[0], cfg))
    assert doc["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]
    assert "hubs" not in json.loads(render_json(plans_for([article(1)], config())[0], config()))


def test_hostile_text_stays_text() -> None:
    cfg = config()
    title = '<script>alert("x")</script> \u2028 \x00 "quoted" \\ \ud800'
    doc = json.loads(render_json(plans_for([article(1, title=title)], cfg)[0], cfg))
    assert doc["items"][0]["title"] == '<script>alert("x")</script> \u2028  "quoted" \\ '


def test_a_real_consumer_reads_the_same_entries() -> None:
    parser_module = pytest.importorskip("reader._parser.jsonfeed")
    cfg = config()
    articles = [article(n) for n in range(1, 4)]
    data = render_json(plans_for(articles, cfg)[0], cfg)
    feed, entries = parser_module.JSONFeedParser()("https://feeds.example.org/all.json",
                                                   io.BytesIO(data))
    assert feed.title == "Sample News"
    assert feed.version == "json11"
    assert [(e.id, e.link, e.title) for e in entries] == [
        (entry_id(a), a.link, a.title) for a in articles]
    assert [e.published for e in entries] == [a.published for a in articles]
    assert [e.updated for e in entries] == [a.updated for a in articles]
    assert [e.authors[0].name for e in entries] == ["Mint"] * 3


@pytest.mark.parametrize("value", [
    {}, [], "", {"a": []}, {"a": {}}, [[], {}], {"k": [1, -2.5, True, False, None]},
    {"t": "quote \" backslash \\ newline \n tab \t nul \x00 LS \u2028 é 😀 <&>"},
    {"nested": {"deeper": [{"x": "y"}, ["z", {"w": 1e300}]]}, "after": 10 ** 20},
    {"é\"": ("tuple", "as", "list")},
])
def test_indented_writer_matches_json_dumps(value: Any) -> None:
    from syndicate.render.jsonfeed import _dump

    out: list[str] = []
    _dump(value, "\n", out)
    assert "".join(out) == json.dumps(value, ensure_ascii=False, indent=2)


def test_feed_document_is_json_dumps_of_its_own_parse() -> None:
    # The whole document, as written, equals json.dumps(indent=2) of what it parses to:
    # the fast writer changed no byte of the format.
    cfg = config(icon="https://example.org/i.png")
    articles = [article(i, title=f"T\u00e9 \"{i}\" <b>&amp;",
                        link=f"https://e.org/{i}?a=1&b=\u00e9",
                        topics=("AI & ML", "\u65e5\u672c"),
                        provider=Provider("Example \u2028", "e.org"),
                        excerpt="line\nbreak \\ \u00e9" if i % 2 else "",
                        images=(Image("https://e.org/i.png", 10, 20),) if i % 3 else ())
                for i in range(5)]
    for plan in plans_for(articles, cfg):
        data = render_json(plan, cfg)
        text = data.decode("utf-8")
        assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"
