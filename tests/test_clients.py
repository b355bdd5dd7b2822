"""Real feed clients, in two languages, read every item of every format alike.

The sample articles and a generated corpus are built with the real pipeline; then six
client libraries read the feeds and must each see, for every item, what the record says:
title, link, publication date, source (author), categories, the lead image (the client's
image field where it has one, and the first ``<img>`` of the HTML body it hands over),
the excerpt in that body escaped exactly once, and one id for one story across formats.

| client | language | Atom | RSS | JSON Feed |
| --- | --- | --- | --- | --- |
| feedparser 6 | Python | yes | yes | no (6.0 has no JSON parser) |
| feedparser-rs | Python (Rust core) | yes | yes | yes |
| reader | Python | yes (feedparser) | yes (feedparser) | yes (its own parser) |
| rss-parser | JavaScript | yes | yes | no |
| @extractus/feed-extractor | JavaScript | yes | yes | yes (no authors, tags, image or body) |
| feedsmith | JavaScript | yes | yes | yes |

reader has no categories and no image field; it shows the HTML body. What a client
does its own way is compared its own way, and nothing else is relaxed:

- feed-extractor's Atom ``published`` is the entry's ``updated`` (its parseAtomFeed takes
  updated, else modified, published, issued): compared with the record's update time;
- feedparser-rs hands every title over as HTML (``title_detail.type`` text/html, ``&``
  as ``&amp;``): compared once unescaped, as a reader displays it; its sanitiser also
  drops anything that looks like a tag from a title, even a plain-text one (Atom
  ``type="text"``, JSON Feed), so titles containing ``<`` are not compared for it;
- feedparser-rs returns attribute values still XML-escaped (an Atom category term
  ``R&amp;D``): compared once unescaped;
- feedparser-rs has no image field for JSON Feed items (the body's image still counts).

Every client reads every feed of the sample build. Of the generated corpus (a feed per
provider: hundreds of files) reader, the slowest, reads the all-feed and the topic
feeds, which carry every item already.

The JavaScript
clients are run by Node (tests/js/read_feeds.mjs), installed by .ci/install-clients.sh;
their test is skipped, with the reason, only when Node or the npm packages are missing.
"""

from __future__ import annotations

import calendar
import dataclasses
import html
import importlib.util
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import feedparser_rs  # type: ignore[import-untyped]
import pytest

if importlib.util.find_spec("sgmllib") is None:  # see test_interop.py
    os.environ.setdefault("READER_NO_VENDORED_FEEDPARSER", "1")

from corpus_generator import load_generator
from reader import make_reader

from syndicate.build import BuildOptions, run_build
from syndicate.config import Config, load_config
from syndicate.model import Article
from syndicate.plan import plan_feeds
from syndicate.render.common import clean, entry_id, provider_name, topic_names, url
from syndicate.select import select
from syndicate.serve import Headers, make_server
from syndicate.source import discover, read_article

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "articles"
JS = REPO / "tests" / "js"
NODE = shutil.which("node")
GENERATED = 300
FORMATS = ("atom", "rss", "json")

PYTHON_CLIENTS: dict[str, frozenset[str]] = {
    "feedparser": frozenset({"atom", "rss"}),
    "feedparser-rs": frozenset(FORMATS),
    "reader": frozenset(FORMATS),
}
JS_CLIENTS: dict[str, frozenset[str]] = {
    "rss-parser": frozenset({"atom", "rss"}),
    "feed-extractor": frozenset(FORMATS),
    "feedsmith": frozenset(FORMATS),
}

# The builds' moment: after every record here (sample and generated), never the clock.
NOW = datetime(2031, 1, 1, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class Seen:
    """One item as a client exposes it; None: the client has no such field."""

    id: str | None
    title: str | None
    link: str | None
    published: int | None  # Unix seconds
    authors: tuple[str, ...] | None
    categories: tuple[str, ...] | None
    image: str | None  # "" when the client has the field and the item has no image
    html: str | None


# -- the build -----------------------------------------------------------------------------

@dataclasses.dataclass
class Built:
    out: Path
    config: Config
    expected: dict[str, tuple[Article, ...]]  # feed path -> its items, in order
    reader_reads_all: bool = True  # else reader reads the all-feed and topic feeds

    def feed_files(self) -> list[str]:
        return sorted(self.expected)

    def reader_files(self) -> list[str]:
        return [rel for rel in self.feed_files()
                if self.reader_reads_all or not rel.startswith("providers/")]


def _build(source: Path, tmp: Path) -> Built:
    out = tmp / "feeds"
    (tmp / "config.toml").write_text(f"""
[site]
title = "Client News"
base_url = "https://feeds.example.org/"
home_url = "https://news.example.org/"
author = "Client editors"

[source]
folder = {json.dumps(str(source))}

[selection]
min_quality = 50
items_per_feed = 1000

[output]
folder = {json.dumps(str(out))}

[state]
folder = {json.dumps(str(tmp / "state"))}
""", encoding="utf-8")
    config = load_config(tmp / "config.toml")
    run_build(config, BuildOptions(now=NOW, jobs=1))
    articles = []
    for rel, _, _ in sorted(discover(config.source)):
        record = read_article(source / rel, rel,
                              max_bytes=config.source.max_file_bytes)
        if isinstance(record, Article):
            articles.append(record)
    plans = plan_feeds(select(articles, config.selection), config)
    expected = {plan.path(fmt): plan.items for plan in plans for fmt in FORMATS}
    assert sum(len(items) for items in expected.values()) > 0
    return Built(out, config, expected)


@pytest.fixture(scope="module", params=["samples", "generated"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "samples":
        return _build(SAMPLES, tmp)
    source = tmp / "articles"
    source.mkdir()
    for name, data in load_generator().iter_records(GENERATED, 11, 0.0):
        (source / name).write_bytes(data)
    return dataclasses.replace(_build(source, tmp), reader_reads_all=False)


# -- what each client saw --------------------------------------------------------------------

def _fmt(rel: str) -> str:
    return rel.rsplit(".", 1)[1]


def _html_of(contents: Any) -> str | None:
    for content in contents or ():
        if content.get("type") == "text/html":
            return str(content.get("value"))
    return None


def _feedparser_like(parse: Callable[[bytes], Any]) -> Callable[[bytes], list[Seen]]:
    def read(data: bytes) -> list[Seen]:
        parsed = parse(data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        seen = []
        for e in parsed.entries:
            thumbs = e.get("media_thumbnail") or []
            seen.append(Seen(
                id=e.get("id"), title=e.get("title"), link=e.get("link"),
                published=calendar.timegm(e.published_parsed) if e.get("published_parsed")
                else None,
                authors=tuple(a.get("name") for a in e.get("authors") or () if a.get("name")),
                categories=tuple(t.get("term") for t in e.get("tags") or ()),
                image=thumbs[0].get("url", "") if thumbs else "",
                html=_html_of(e.get("content"))))
        return seen
    return read


def _read_reader(built: Built, files: list[str], tmp: Path) -> dict[str, list[Seen]]:
    server = make_server(built.out, headers=Headers.from_config(built.config))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    seen: dict[str, list[Seen]] = {}
    try:
        with make_reader(str(tmp / "reader.sqlite")) as reader:
            for rel in files:
                reader.add_feed(base + rel)
            for result in reader.update_feeds_iter(scheduled=False):
                assert not isinstance(result.value, Exception), (result.url, result.value)
            for rel in files:
                # reader lists entries newest first by its own rules; the feed order is
                # compared by the other clients, so here entries are matched by id
                entries = {e.id: e for e in reader.get_entries(feed=base + rel)}
                seen[rel] = [
                    Seen(id=e.id, title=e.title, link=e.link,
                         published=calendar.timegm(e.published.utctimetuple())
                         if e.published else None,
                         authors=tuple(a.name for a in e.authors if a.name), categories=None,
                         image=None,
                         html=next((c.value for c in e.content if c.type == "text/html"),
                                   None))
                    for e in (entries.get(entry_id(a)) for a in built.expected[rel])
                    if e is not None]
                assert len(seen[rel]) == len(entries) == len(built.expected[rel]), rel
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    return seen


def _read_python(built: Built, tmp: Path) -> dict[str, dict[str, list[Seen]]]:
    """client -> feed path -> items."""
    files = built.feed_files()
    by_client: dict[str, dict[str, list[Seen]]] = {
        "feedparser": {}, "feedparser-rs": {},
        "reader": _read_reader(built, built.reader_files(), tmp)}
    fp, fprs = _feedparser_like(feedparser.parse), _feedparser_like(feedparser_rs.parse)
    for rel in files:
        data = (built.out / rel).read_bytes()
        if _fmt(rel) in PYTHON_CLIENTS["feedparser"]:
            by_client["feedparser"][rel] = fp(data)
        by_client["feedparser-rs"][rel] = fprs(data)
    return by_client


_JS_NOT_EXPOSED = {("feed-extractor", "json"): ("authors", "categories", "image", "html")}


def _published(value: str | None) -> int | None:
    if value is None:
        return None
    from datetime import datetime

    if value.startswith("invalid"):  # the client could not parse the date
        return -1
    return int(datetime.fromisoformat(value).timestamp())


def _read_javascript(built: Built) -> dict[str, dict[str, list[Seen]]]:
    if NODE is None:
        pytest.skip("node is not installed: run .ci/install-clients.sh "
                    "(Debian packages nodejs and npm, then npm ci in tests/js)")
    if not (JS / "node_modules").is_dir():
        pytest.skip("tests/js/node_modules is missing: run .ci/install-clients.sh")
    files = built.feed_files()
    run = subprocess.run([NODE, str(JS / "read_feeds.mjs"), *(str(built.out / f) for f in files)],
                         capture_output=True, check=False, cwd=JS, timeout=300)
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-3000:]
    raw = json.loads(run.stdout)
    by_client: dict[str, dict[str, list[Seen]]] = {name: {} for name in JS_CLIENTS}
    for rel in files:
        for name, formats in JS_CLIENTS.items():
            result = raw[str(built.out / rel)].get(name)
            if _fmt(rel) not in formats:
                assert result is None, (name, rel)
                continue
            assert result is not None and "error" not in result, (name, rel, result)
            hidden = _JS_NOT_EXPOSED.get((name, _fmt(rel)), ())
            items = []
            for item in result["items"]:
                fields = {
                    "id": item["id"], "title": item["title"], "link": item["link"],
                    "published": _published(item["published"]),
                    "authors": tuple(a for a in item["authors"] if a)
                    if item["authors"] is not None else None,
                    "categories": tuple(item["categories"])
                    if item["categories"] is not None else None,
                    "image": item["image"] or "", "html": item["html"]}
                for field in hidden:
                    fields[field] = None
                items.append(Seen(**fields))
            by_client[name][rel] = items
    return by_client


# -- what the records say ----------------------------------------------------------------------

class _Body(HTMLParser):
    """The first image and the paragraph texts of an HTML body, decoded once."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[str] = []
        self.paragraphs: list[str] = []
        self._p: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        elif tag == "p":
            self._p = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._p is not None:
            self.paragraphs.append("".join(self._p))
            self._p = None

    def handle_data(self, data: str) -> None:
        if self._p is not None:
            self._p.append(data)


def _mismatches(client: str, rel: str, seen: Seen, article: Article) -> list[str]:
    link = url(article.link)
    fmt = _fmt(rel)
    date = article.updated if (client, fmt) == ("feed-extractor", "atom") else article.published
    title = clean(article.title) or link
    if client == "feedparser-rs":
        seen = dataclasses.replace(
            seen, title=None if "<" in title or seen.title is None else html.unescape(seen.title),
            categories=seen.categories if fmt != "atom" or seen.categories is None
            else tuple(html.unescape(c) for c in seen.categories),
            image=None if fmt == "json" else seen.image)
    want: dict[str, object] = {
        "id": entry_id(article),
        "title": title,
        "link": link,
        "published": int(date.timestamp()),
        "authors": (provider_name(article.provider),) if article.provider else (),
        "categories": topic_names(article),
        "image": url(article.images[0].url) if article.images else "",
    }
    problems = [f"{client} {rel} {article.path}: {field} {getattr(seen, field)!r} != {value!r}"
                for field, value in want.items()
                if getattr(seen, field) is not None and getattr(seen, field) != value]
    if seen.html is not None:
        body = _Body(seen.html)
        lead = body.images[:1]
        if lead != ([want["image"]] if article.images else []):
            problems.append(f"{client} {rel} {article.path}: body image {lead!r}")
        excerpt = clean(article.excerpt).strip()
        if excerpt and excerpt not in body.paragraphs:
            problems.append(f"{client} {rel} {article.path}: excerpt not in body "
                            f"{body.paragraphs!r}")
    return problems


def _assert_clients_agree(built: Built, by_client: dict[str, dict[str, list[Seen]]],
                          formats_of: dict[str, frozenset[str]]) -> None:
    problems: list[str] = []
    compared = {(client, fmt): 0 for client, formats in formats_of.items() for fmt in formats}
    for client, feeds in by_client.items():
        files = built.reader_files() if client == "reader" else built.feed_files()
        assert set(feeds) == {rel for rel in files if _fmt(rel) in formats_of[client]}
        ids: dict[str, set[str]] = {}  # story link -> ids this client saw, all formats
        for rel, items in feeds.items():
            articles = built.expected[rel]
            if len(items) != len(articles):
                problems.append(f"{client} {rel}: {len(items)} items, expected {len(articles)}")
                continue
            for seen, article in zip(items, articles, strict=True):
                problems += _mismatches(client, rel, seen, article)
                if seen.id is not None:
                    ids.setdefault(url(article.link), set()).add(seen.id)
                compared[client, _fmt(rel)] += 1
        split = {link: found for link, found in ids.items() if len(found) > 1}
        if split:
            problems.append(f"{client}: one story, several ids across formats: {split}")
    assert not problems, f"{len(problems)} mismatches, first: " + "\n".join(problems[:20])
    assert all(compared.values()), compared  # every client read every format it supports


def test_python_clients_read_every_item_as_its_record(built: Built, tmp_path: Path) -> None:
    _assert_clients_agree(built, _read_python(built, tmp_path), PYTHON_CLIENTS)


def test_javascript_clients_read_every_item_as_its_record(built: Built) -> None:
    _assert_clients_agree(built, _read_javascript(built), JS_CLIENTS)


def test_every_format_is_read_by_four_clients_in_two_languages() -> None:
    # The matrix above, as the two tests run it (a guard against dropping a client).
    for fmt in FORMATS:
        python = [c for c, f in PYTHON_CLIENTS.items() if fmt in f]
        javascript = [c for c, f in JS_CLIENTS.items() if fmt in f]
        assert len(python) + len(javascript) >= 4 and python and javascript, fmt
