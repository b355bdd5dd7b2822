"""Markup and look-alikes in plain-text fields, through the command line (issue 14).

Each record carries one kind of markup or look-alike in its title, excerpt, related
title, provider name and topic. After ``syndicate build``:

- every Atom, RSS and JSON feed carries the cleaned text (tags of HTML elements gone,
  look-alikes kept), and feedparser reads exactly that text back: no tag, no ``&lt;``;
- no feed trips the W3C Feed Validation Service's HTML-in-text rules (``nonhtml`` in its
  validators.py: ContainsHTML / ContainsUndeclaredHTML, and RSS CharacterData), applied
  here as that source states them (:func:`w3c_nonhtml`), to every text construct,
  name, category label and link title;
- a title that is only markup is rejected with our reason; every other record gets a
  warning per field that lost markup.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from html.entities import name2codepoint
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import pytest
from lxml import etree

from syndicate.articles import parse_article
from syndicate.model import Article
from syndicate.render.atom_rss import rss_title

REPO = Path(__file__).resolve().parents[1]
ATOM = "{http://www.w3.org/2005/Atom}"

# (what the record says, what every reader must show, warning labels)
CASES: tuple[tuple[str, str, str], ...] = (
    ("<b>Breaking</b> chip news", "Breaking chip news", "<b>"),
    ("<B>Loud</B> line<br>break", "Loud line break", "<b>, <br>"),
    ("<p>One.</p><p>Two <a href='https://x.example/?a=1&b=2'>link</a></p>",
     "One. Two link", "<p>, <a>"),
    ("&lt;i&gt;escaped once&lt;/i&gt; markup", "escaped once markup", "<i>"),
    ("Note<!-- hidden --> <script>alert('</b>')</script>done", "Note done",
     "<!-- -->, <script>"),
    ("<ul><li>first</li><li>second</li></ul>", "first second", "<ul>, <li>"),
    ("a < b", "a < b", ""),
    ("I <3 feeds", "I <3 feeds", ""),
    ("List<T> in C#", "List<T> in C#", ""),
    ("x<y>z", "x<y>z", ""),
    ("Vec<u8> and 5 <10", "Vec<u8> and 5 <10", ""),
    ("cat <<EOF", "cat <<EOF", ""),
    ("if a<b && c>d", "if a<b && c>d", ""),
    ("<foo>unknown</foo> tags", "<foo>unknown</foo> tags", ""),
    ("&amp;lt;b&amp;gt; written twice", "&lt;b&gt; written twice", ""),
)
ONLY_MARKUP = "<script>x()</script>"

CONFIG = """\
[site]
title = "Markup"
base_url = "https://feeds.example.org/"
home_url = "https://news.example.org/"
language = "en"
[source]
folder = "articles"
[output]
folder = "out"
[state]
folder = "state"
"""


def _q(text: str) -> str:
    return json.dumps(text)


def record(n: int, text: str) -> str:
    return (f"---\ntitle: {_q(text)}\nexcerpt: {_q(text)}\n"
            f"webUrl: https://news.example.com/{n}\n"
            f"publishedDateTime: 2024-03-{n + 1:02d}T10:00:00Z\n"
            f"quality: 90\npublished: true\ntype: article\n"
            f"provider:\n  name: {_q(text)}\n  domain: p{n}.example.com\n"
            f"topics:\n  - {_q(text)}\n"
            f"related:\n  - title: {_q(text)}\n    webUrl: https://other.example.com/{n}\n"
            f"---\n")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "syndicate", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("markup")
    src = root / "articles"
    src.mkdir()
    for n, (text, _, _) in enumerate(CASES):
        (src / f"{n:02d}.md").write_text(record(n, text), encoding="utf-8")
    (src / "only-markup.md").write_text(record(len(CASES), ONLY_MARKUP), encoding="utf-8")
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    proc = run("build", "--report", "report.json", "--no-index", cwd=root)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((root / "report.json").read_text(encoding="utf-8"))
    return {"out": root / "out", "src": src,
            "articles": {a["path"]: a for a in report["articles"]}}


def _expected_by_link() -> dict[str, str]:
    return {f"https://news.example.com/{n}": shown for n, (_, shown, _) in enumerate(CASES)}


# -- the W3C Feed Validation Service's rule, as its source states it ---------------------

# validators.py, HTMLValidator.htmltags.
W3C_HTMLTAGS = frozenset(str.split("""
a abbr acronym address applet area article aside audio b base basefont bdi bdo big
blockquote body br button canvas caption center cite code col colgroup command data
datagrid datalist dd del details dfn dialog dir div dl dt em eventsource fieldset
figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr
html i iframe img input ins isindex kbd label legend li link m main mark map menu meta
meter nav noframes noscript object ol optgroup option output p param picture pre progress
q rp rt ruby s samp script section select slot small source span strike strong style sub
summary sup table tbody td template textarea tfoot th thead time title tr track tt u ul
var xmp plaintext embed comment listing video wbr"""))
_END_TAG = re.compile(r"</(\w+)>")
_ENTITY = re.compile(r"&(#?\w+)")
_RSS_CHARACTER_DATA = re.compile(r"&#[x0-9]|<[/a-zA-Z]")


def w3c_nonhtml(value: str, line: str, *, rss: bool) -> str | None:
    """``nonhtml.validate`` for one value (XML-decoded) on one document line: what it
    logs, or None. ``&#x`` anywhere on the line is its sign that ``&`` and ``<`` were
    written as character data (the RSS Best Practices Profile), which excuses the
    entity and CharacterData rules but never the end-tag rule."""
    if [t for t in _END_TAG.findall(value) if t.lower() in W3C_HTMLTAGS]:
        return "ContainsHTML/ContainsUndeclaredHTML"
    if _ENTITY.search(value):
        for name in _ENTITY.findall(value):
            if (name in name2codepoint or name == "apos" or not name.isalpha()) \
                    and "&#x" not in line:
                return "ContainsHTML/ContainsUndeclaredHTML (reference)"
        return None
    if rss and _RSS_CHARACTER_DATA.search(value) and "&#x" not in line:
        return "CharacterData"
    return None


_SECURE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def w3c_findings(data: bytes, *, rss: bool) -> list[str]:
    """Every plain-text value the validator runs ``nonhtml`` on, judged."""
    lines = data.decode("utf-8").split("\n")
    root = etree.fromstring(data, _SECURE)
    found = []
    for el in root.iter(etree.Element):
        line = lines[(el.sourceline or 1) - 1]
        values: list[str] = []
        if rss:
            if el.tag in ("title", "category", "copyright") and el.text:
                values.append(el.text)
        else:
            name = el.tag.removeprefix(ATOM)
            text_construct = name in ("title", "subtitle", "rights", "summary") \
                and el.get("type", "text") == "text"
            if (text_construct or name == "name") and el.text:
                values.append(el.text)
            elif name == "category" and el.get("label"):
                values.append(el.get("label", ""))
            elif name == "link" and el.get("title"):
                values.append(el.get("title", ""))
        for value in values:
            verdict = w3c_nonhtml(value, line, rss=rss)
            if verdict:
                found.append(f"{el.sourceline}: {verdict}: {value!r}")
    return found


def test_the_rule_as_applied_here_can_fail() -> None:
    # A title written as it was before the reader removed markup, and the entity-encoded
    # spelling of it: both are what the validator reports.
    naive = (b'<feed xmlns="http://www.w3.org/2005/Atom">\n'
             b'<title type="text">&lt;b&gt;Breaking&lt;/b&gt; news</title>\n</feed>')
    assert w3c_findings(naive, rss=False) == [
        "2: ContainsHTML/ContainsUndeclaredHTML: '<b>Breaking</b> news'"]
    assert w3c_nonhtml("Tom &amp; Jerry", "<title>Tom &amp;amp; Jerry</title>",
                       rss=True) is not None
    assert w3c_nonhtml("a <b", "<title>a &lt;b</title>", rss=True) == "CharacterData"
    assert w3c_nonhtml("a <b", "<title>a &#x3C;b</title>", rss=True) is None


# -- the build ----------------------------------------------------------------------------

def _feeds(out: Path, ext: str) -> list[Path]:
    files = sorted(out.rglob(f"*.{ext}"))
    assert files
    return files


def test_the_build_selects_every_record_and_rejects_the_markup_only_title(
        build: dict[str, Any]) -> None:
    articles = build["articles"]
    assert {p for p, a in articles.items() if a["status"] == "selected"} == {
        f"{n:02d}.md" for n in range(len(CASES))}
    assert articles["only-markup.md"]["status"] == "rejected"
    assert articles["only-markup.md"]["reason"] == (
        "title: empty once HTML tags are removed (<script>)")


@pytest.mark.parametrize("ext", ["atom", "rss"])
def test_no_feed_trips_the_reference_validators_html_in_text_rules(
        build: dict[str, Any], ext: str) -> None:
    for file in _feeds(build["out"], ext):
        assert w3c_findings(file.read_bytes(), rss=ext == "rss") == [], file


def test_atom_carries_the_clean_text_and_feedparser_reads_it_back(
        build: dict[str, Any]) -> None:
    data = (build["out"] / "all.atom").read_bytes()
    assert b"<title>Breaking chip news</title>" in data  # no type: text (RFC 4287 3.1.1)
    assert b"List&#x3C;T&gt; in C#" in data  # the look-alike, '<' as the profile asks
    # In character data outside the HTML item bodies (CDATA, where '&lt;' is HTML's own
    # escape of '<'); attribute values keep '&lt;' (see render.atom_rss._hex_references).
    text_only = re.sub(rb"<[^>]*>", b"",
                       re.sub(rb"<!\[CDATA\[.*?\]\]>", b"", data, flags=re.DOTALL))
    assert b"&lt;" not in text_only and b"Breaking&lt;" not in text_only
    expected = _expected_by_link()
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0 and len(parsed.entries) == len(CASES)
    for entry in parsed.entries:
        shown = expected[entry.link]
        assert (entry.title, entry.title_detail.type) == (shown, "text/plain")
        assert (entry.summary, entry.summary_detail.type) == (shown, "text/plain")
        assert entry.author == shown
        assert [t.term for t in entry.tags] == [shown]
        related = [link for link in entry.links if link.rel == "related"]
        assert [link.title for link in related] == [shown]


def test_rss_carries_the_clean_text_and_feedparser_reads_it_back(
        build: dict[str, Any]) -> None:
    data = (build["out"] / "all.rss").read_bytes()
    expected = _expected_by_link()
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0 and len(parsed.entries) == len(CASES)
    for entry in parsed.entries:
        shown = expected[entry.link]
        if rss_title(shown) != shown:
            # A reference the record escaped twice is text ('&lt;b&gt;'): feedparser
            # takes a title with a reference for HTML, so it is written encoded and
            # renders as the text.
            assert "&lt;" in shown
            assert entry.title_detail.type == "text/html"
            assert html.unescape(entry.title) == shown
        else:
            # Every other cleaned title is plain text to feedparser, look-alikes
            # included: read back exactly, without a tag or an &lt;.
            assert (entry.title, entry.title_detail.type) == (shown, "text/plain")
            assert "&lt;" not in entry.title
        # description is HTML by convention: escaped once, it renders as the text.
        assert entry.summary_detail.type == "text/html"
        assert html.unescape(entry.summary) == shown
        assert entry.author == shown
        assert [t.term for t in entry.tags] == [shown]


def test_json_feed_carries_the_clean_text(build: dict[str, Any]) -> None:
    feed = json.loads((build["out"] / "all.json").read_text(encoding="utf-8"))
    expected = _expected_by_link()
    assert len(feed["items"]) == len(CASES)
    for item in feed["items"]:
        shown = expected[item["url"]]
        assert item["title"] == item["summary"] == item["content_text"] == shown
        assert item["authors"][0]["name"] == shown
        assert item["tags"] == [shown]


def test_each_field_that_lost_markup_has_its_warning(build: dict[str, Any]) -> None:
    for n, (_, shown, labels) in enumerate(CASES):
        a = parse_article((build["src"] / f"{n:02d}.md").read_bytes(), f"{n:02d}.md")
        assert isinstance(a, Article)
        assert (a.title, a.excerpt, a.topics, a.related[0].title) == (
            shown, shown, (shown,), shown)
        assert a.provider is not None and a.provider.name == shown
        fields = ("title", "excerpt", "provider.name", "topics[0]", "related[0].title")
        assert a.warnings == (tuple(f"{f}: HTML tags removed ({labels})" for f in fields)
                              if labels else ())


def test_the_report_lists_the_markup_warnings(build: dict[str, Any]) -> None:
    # WAITS FOR the report's per-article warnings (another branch adds them): until an
    # article entry has a "warnings" list this skips; from then on it must pass.
    articles = build["articles"]
    if not any("warnings" in a for a in articles.values()):
        pytest.skip("the report has no per-article warnings yet")
    for n, (_, _, labels) in enumerate(CASES):
        warnings = articles[f"{n:02d}.md"].get("warnings", [])
        assert (f"title: HTML tags removed ({labels})" in warnings) == bool(labels)
