"""index.html: valid, self-contained, escaped, listing every feed with autodiscovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

from syndicate.config import Config, parse_config
from syndicate.model import Article, Provider
from syndicate.plan import FeedPlan, plan_feeds
from syndicate.render.html import render_index
from syndicate.select import Selection, select

T0 = datetime(2021, 6, 2, 16, 12, 27, tzinfo=UTC)
EVIL = '<script>alert(1)</script><img src="https://evil.example/x.png">'


def config(**output: Any) -> Config:
    return parse_config({
        "site": {"title": f"News {EVIL}", "base_url": "https://feeds.example.org/",
                 "home_url": "https://news.example.org/", "description": f"About {EVIL}"},
        "output": output,
    }, Path("/nonexistent/config.toml"))


def article(n: int, topics: tuple[str, ...], domain: str) -> Article:
    when = T0 - timedelta(days=n)
    return Article(
        path=f"a{n}.md", link=f"https://{domain}/{n}", title=f"T{n}", excerpt="",
        published=when, updated=when, type="article", quality=60, heat=None,
        is_published=True, provider=Provider(f"{EVIL} {domain}", domain), topics=topics,
        images=(), related=(), embed_url=None)


ARTICLES = [article(1, ("AI", EVIL), "a.com"), article(2, ("人工智能",), "b.org"),
            article(3, ("AI",), "a.com")]


def plans(cfg: Config) -> tuple[FeedPlan, ...]:
    return plan_feeds(select(ARTICLES, cfg.selection), cfg)


def parse(data: bytes) -> Any:
    return lxml.html.document_fromstring(data.decode("utf-8"))


def test_page_parses_and_lists_every_feed_with_count_date_and_formats() -> None:
    cfg = config()
    ps = plans(cfg)
    data = render_index(ps, cfg)
    assert data.startswith(b"<!DOCTYPE html>\n<html lang=\"en\">")
    doc = parse(data)
    rows = doc.xpath("//tbody/tr")
    assert len(rows) == len(ps)
    for row, plan in zip(rows, ps, strict=True):
        cells = row.findall("td")
        name = plan.name if plan.family in ("topic", "provider") else plan.title
        assert cells[0].text_content() == name
        assert cells[0].find("a").get("href") == plan.page_path()
        assert cells[1].text_content() == str(len(plan.items))
        newest = max(a.published for a in plan.items)
        assert datetime.fromisoformat(cells[2].find("time").get("datetime")) == newest
        assert [a.get("href") for a in cells[3].findall("a")] == [
            plan.path("atom"), plan.path("rss"), plan.path("json")]
    assert [h.text_content() for h in doc.xpath("//h2")] == [
        "Newest headlines", "All articles", "Topics", "Providers"]


def test_autodiscovery_links_for_the_all_feed() -> None:
    cfg = config(formats=["atom", "json"])
    doc = parse(render_index(plans(cfg), cfg))
    links = [(x.get("type"), x.get("href"), x.get("title"))
             for x in doc.xpath("//head/link[@rel='alternate']")]
    title = f"News {EVIL}"
    assert links == [("application/atom+xml", "all.atom", f"{title} (Atom)"),
                     ("application/feed+json", "all.json", f"{title} (JSON Feed)")]


def test_untrusted_text_is_escaped_everywhere() -> None:
    cfg = config()
    data = render_index(plans(cfg), cfg)
    doc = parse(data)
    assert doc.xpath("//script") == []
    assert doc.xpath("//img") == []
    assert EVIL in doc.findtext(".//h1")
    assert f"About {EVIL}" in doc.xpath("//p")[0].text_content()
    assert any(EVIL in td.text_content() for td in doc.xpath("//td"))
    assert b"<script" not in data and b"<img" not in data


def test_no_external_assets() -> None:
    cfg = config()
    doc = parse(render_index(plans(cfg), cfg))
    assert doc.xpath("//*[@src]") == []
    assert doc.xpath("//link[@rel='stylesheet'] | //script | //iframe | //object") == []
    hrefs = [x.get("href") for x in doc.xpath("//a | //link")]
    external = [h for h in hrefs if "://" in h]
    assert external == ["https://news.example.org/"]  # the one link to the website
    style = doc.findtext(".//style")
    assert "url(" not in style and "@import" not in style


def test_well_formed_as_xml_too_apart_from_void_elements() -> None:
    # A strict parse of the body catches unbalanced tags an HTML parser would repair.
    cfg = config()
    text = render_index(plans(cfg), cfg).decode()
    body = text[text.index("<body>"):text.index("</body>") + len("</body>")]
    etree.fromstring(body.encode())


def test_empty_all_feed_and_toggles() -> None:
    cfg = config(opml=False)
    ps = plan_feeds(Selection(all=(), topics=(), providers=(), outcomes={}), cfg)
    data = render_index(ps, cfg)
    doc = parse(data)
    assert [c.text_content() for c in doc.xpath("//tbody/tr/td")][1:3] == ["0", "–"]
    assert b"feeds.opml" not in data
    assert b"feeds.opml" in render_index(ps, config())
    assert render_index(ps, cfg) == data


def test_time_datetime_has_at_most_three_fraction_digits() -> None:
    # HTML's global date-and-time string allows 1-3 fraction digits; Python's
    # isoformat() writes six, which the Nu Html Checker reports as an error.
    from syndicate.render.page_parts import html_datetime as _html_datetime

    assert _html_datetime(T0) == "2021-06-02T16:12:27Z"
    assert _html_datetime(T0.replace(microsecond=250_000)) == "2021-06-02T16:12:27.250Z"
    assert _html_datetime(T0.replace(microsecond=999)) == "2021-06-02T16:12:27Z"


def test_feed_page_shows_older_items_link_only_when_given() -> None:
    from syndicate.render.pages import render_feed_page

    cfg = config()
    plan = plans(cfg)[0]
    without = parse(render_feed_page(plan, cfg))
    assert without.xpath("//*[contains(@class, 'older')]") == []
    page = parse(render_feed_page(plan, cfg, archive_url='archive/1.html?"x"'))
    older = page.xpath("//section[@class='feed-items']/p[@class='older']/a")
    assert [(a.get("href"), a.text_content()) for a in older] == [
        ('archive/1.html?"x"', "Older items →")]
    # The list comes first, the link after it.
    assert page.xpath("//p[@class='older']/preceding-sibling::ol[@class='items']")


def test_feed_page_escapes_site_and_feed_strings() -> None:
    from syndicate.render.pages import render_feed_page

    cfg = config()
    for plan in plans(cfg):
        data = render_feed_page(plan, cfg)
        doc = parse(data)
        assert doc.xpath("//script") == [] and b"<script" not in data
        assert doc.findtext(".//h1") == plan.title
        assert doc.findtext(".//title") == plan.title
        assert doc.xpath("string(//p[@class='feed-description'])") == plan.subtitle
