"""The HTML item body: what it shows, that record text is escaped exactly once, that no
markup from a record gets in, and that every format carries the same body."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import feedparser_rs  # type: ignore[import-untyped]
import pytest
from lxml import etree

from syndicate.config import Config, parse_config
from syndicate.model import Article, Image, Provider, RelatedLink
from syndicate.plan import FeedPlan, plan_feeds
from syndicate.render import render_atom, render_json, render_rss
from syndicate.render.body import MAX_RELATED, item_html
from syndicate.select import select

T0 = datetime(2024, 6, 25, 8, 30, tzinfo=UTC)
ALLOWED_TAGS = {"p", "a", "img", "ul", "li"}
ALLOWED_ATTRS = {"href", "src", "alt", "width", "height"}
HOSTILE = ('<script>alert(1)</script> "><img src=x onerror=alert(2)> ]]> '
           "<style>*{}</style><iframe src=//evil></iframe> &amp; &#60; & <")


@dataclasses.dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class Fragment(HTMLParser):
    """Every element of an HTML fragment with its attributes and its own text, and the
    whole text, as a browser would decode them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), f"duplicate attribute in <{tag}>"
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag not in ("img",):
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # "<img ... />", as sanitisers write it
        if tag != "img":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1].tag == tag, f"</{tag}> closes nothing"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self.open:
            self.open[-1].text += data

    def tags(self, name: str) -> list[Element]:
        return [e for e in self.elements if e.tag == name]


def config() -> Config:
    return parse_config({"site": {"title": "Sample News", "base_url": "https://feeds.example.org/",
                                  "home_url": "https://news.example.org/"}},
                        Path("/nonexistent/config.toml"))


def article(**changes: Any) -> Article:
    base = Article(
        path="a.md", link="https://news.example.com/story?id=1&x=2",
        title="Vision models need fewer labels", excerpt="A lab says 90% fewer.",
        published=T0, updated=T0, type="article", quality=70, heat=None, is_published=True,
        provider=Provider("Research Fabrikam", "research.fabrikam.example"),
        topics=("Computer Vision", "AI"),
        images=(Image("https://img.example.com/lead.jpg", 1200, 675),
                Image("https://img.example.com/second.jpg", 10, 10)),
        related=(RelatedLink("https://www.techherald.example.com/fabrikam", "Fabrikam's claim",
                             Provider("Tech Herald", "techherald.example.com")),
                 RelatedLink("https://other.example.org/take", "Another take")),
        embed_url=None)
    return dataclasses.replace(base, **changes)


def plan_of(articles: list[Article], cfg: Config) -> FeedPlan:
    return plan_feeds(select(articles, cfg.selection), cfg)[0]


def assert_safe(html: str, added: frozenset[str] = frozenset()) -> Fragment:
    """``html`` has only our tags and attributes (plus ``added``: what a client's
    sanitiser puts in by itself, such as feedparser-rs's ``rel="nofollow ..."``)."""
    frag = Fragment(html)
    assert not frag.open, "unclosed elements"
    for element in frag.elements:
        assert element.tag in ALLOWED_TAGS, element
        assert set(element.attrs) <= ALLOWED_ATTRS | added, element
        for name in ("href", "src"):
            if name in element.attrs:
                assert element.attrs[name].startswith(("https://", "http://")), element
    return frag


def test_the_body_shows_image_excerpt_source_topics_and_related_coverage() -> None:
    a = article()
    frag = assert_safe(item_html(a))
    (img,) = frag.tags("img")  # the lead image only: the others stay in media:content
    assert img.attrs == {"src": "https://img.example.com/lead.jpg",
                         "alt": "Vision models need fewer labels",  # alt = the title
                         "width": "1200", "height": "675"}
    links = [(e.attrs["href"], e.text) for e in frag.tags("a")]
    assert links == [
        ("https://news.example.com/story?id=1&x=2", ""),  # the image links to the story
        ("https://research.fabrikam.example/", "Research Fabrikam"),
        ("https://www.techherald.example.com/fabrikam", "Fabrikam's claim"),
        ("https://other.example.org/take", "Another take"),
    ]
    paragraphs = [e.text for e in frag.tags("p")]
    assert "A lab says 90% fewer." in paragraphs
    assert "via " in paragraphs and "Topics: Computer Vision, AI" in paragraphs
    assert "Related coverage:" in paragraphs
    items = ["".join(t for t in Fragment(f"<p>{_inner(item_html(a), li)}</p>").texts)
             for li in range(len(frag.tags("li")))]
    assert items == ["Fabrikam's claim (Tech Herald)", "Another take"]


def _inner(html: str, index: int) -> str:
    """The markup of the ``index``-th <li>, for reading its whole text."""
    return html.split("<li>")[index + 1].split("</li>")[0]


def test_an_image_without_sizes_has_none_and_an_article_without_extras_shows_its_title() -> None:
    frag = assert_safe(item_html(article(images=(Image("https://img.example.com/x.png"),))))
    assert frag.tags("img")[0].attrs.keys() == {"src", "alt"}
    bare = article(images=(), excerpt="", provider=None, topics=(), related=())
    assert item_html(bare) == "<p>Vision models need fewer labels</p>"


def test_related_coverage_is_capped_and_only_links_to_web_urls() -> None:
    related = tuple(RelatedLink(f"https://r.example/{i}", f"Report {i}") for i in range(9))
    bad = (RelatedLink("javascript:alert(1)", "js"), RelatedLink("data:text/html,x", "data"),
           RelatedLink("/relative", "relative"), RelatedLink("https://ok.example/", "   "))
    frag = assert_safe(item_html(article(related=bad + related)))
    assert [e.attrs["href"] for e in frag.tags("a")][2:] == [
        f"https://r.example/{i}" for i in range(MAX_RELATED)]


@pytest.mark.parametrize("where", ["title", "excerpt", "provider", "topic", "related", "urls"])
def test_hostile_record_text_stays_text(where: str) -> None:
    changes: dict[str, Any] = {
        "title": {"title": HOSTILE},
        "excerpt": {"excerpt": HOSTILE},
        "provider": {"provider": Provider(HOSTILE, "evil.example")},
        "topic": {"topics": (HOSTILE,)},
        "related": {"related": (RelatedLink("https://r.example/", HOSTILE,
                                            Provider(HOSTILE, "r.example")),)},
        "urls": {"link": 'javascript:alert("x")',
                 "images": (Image('https://img.example/a.jpg" onerror="alert(1)'),),
                 "related": (RelatedLink("JavaScript:alert(1)", "js"),
                             RelatedLink('https://r.example/"><script>', "quoted"))},
    }[where]
    html = item_html(article(**changes))
    frag = assert_safe(html)
    assert "<script" not in html.lower() and "<iframe" not in html.lower()
    assert "]]>" not in html  # so it always fits a CDATA section
    if where != "urls":
        # the hostile string comes back exactly, as text: escaped once, decoded once
        text = "".join(frag.texts) + "".join(e.attrs.get("alt", "") for e in frag.elements)
        assert HOSTILE in text
    else:
        assert frag.tags("img")[0].attrs["src"] == (
            "https://img.example/a.jpg%22%20onerror=%22alert(1)")
        assert [e.attrs["href"] for e in frag.tags("a")][-1] == (
            "https://r.example/%22%3E%3Cscript%3E")
        assert "javascript" not in html.lower()  # neither the story link nor the related one


def _xml_bodies(data: bytes, fmt: str) -> list[str]:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    tag = ("{http://www.w3.org/2005/Atom}content" if fmt == "atom"
           else "{http://purl.org/rss/1.0/modules/content/}encoded")
    return [el.text or "" for el in root.iter(tag)]


def test_every_format_carries_the_same_body_once_escaped() -> None:
    cfg = config()
    hostile = article(path="b.md", link="https://news.example.com/b", title=HOSTILE,
                      excerpt=HOSTILE)
    articles = [article(), hostile,
                article(path="c.md", link="https://news.example.com/c", images=())]
    plan = plan_of(articles, cfg)
    expected = [item_html(a) for a in plan.items]
    assert _xml_bodies(render_atom(plan, cfg), "atom") == expected
    assert _xml_bodies(render_rss(plan, cfg), "rss") == expected
    doc = json.loads(render_json(plan, cfg))
    assert [item["content_html"] for item in doc["items"]] == expected


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_feedparser_decodes_the_body_to_exactly_one_level_of_html(fmt: str) -> None:
    cfg = config()
    a = article(title=HOSTILE, excerpt="AT&T's <b>bold</b> &amp; &lt;claim&gt; \u2014 5 < 6",
                provider=Provider("R&D <Weekly>", "rd.example"))
    render = {"atom": render_atom, "rss": render_rss, "json": render_json}[fmt]
    # feedparser 6 reads no JSON Feed; feedparser-rs (its API, a Rust parser) does
    parse = feedparser_rs.parse if fmt == "json" else feedparser.parse
    parsed = parse(render(plan_of([a], cfg), cfg))
    assert not parsed.bozo, parsed.get("bozo_exception")
    (entry,) = parsed.entries
    # JSON Feed: content_html and content_text; the HTML one is the body
    (content,) = [c for c in entry.content if c.type == "text/html"]
    frag = assert_safe(content.value, added=frozenset({"rel"}))
    # one decode of the HTML gives back the record's text exactly: not escaped twice
    # ("&amp;amp;") and not unescaped into markup (a <b> element)
    assert "AT&T's <b>bold</b> &amp; &lt;claim&gt; \u2014 5 < 6" in [e.text for e in frag.tags("p")]
    assert "R&D <Weekly>" in [e.text for e in frag.tags("a")]
    assert frag.tags("img")[0].attrs["alt"] == HOSTILE
    assert not frag.tags("b")


def test_the_body_is_a_pure_function_of_the_article() -> None:
    a = article()
    assert item_html(a) == item_html(dataclasses.replace(a, path="elsewhere.md"))
    assert "\n" not in item_html(a)  # compact: repeated in every feed and format
