"""Real feed readers subscribe to real builds over real HTTP (loopback only, offline).

Every test builds with the real pipeline into a temporary folder, serves it with
:mod:`syndicate.serve`, and reads it with third-party clients: feedparser for Atom and
RSS, lemon24/reader (its feedparser and JSON Feed parsers, its conditional GET and its
entry store) across rebuilds, and a loopback WebSub hub stub for publish pings.

Expectations come from the source records, read with :mod:`syndicate.articles` and put
through the selection and plan contracts; the clients' view must match them.
"""

from __future__ import annotations

import calendar
import dataclasses
import importlib.util
import json
import logging
import os
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import feedparser  # type: ignore[import-untyped]
import pytest

# reader 3.26 parses Atom/RSS with a vendored feedparser that imports `sgmllib` (the
# sgmllib3k package); feedparser 6.0.14 switched to feedparser-sgmllib and no longer
# pulls sgmllib3k in. reader's own switch makes it use the installed feedparser instead.
if importlib.util.find_spec("sgmllib") is None:
    os.environ.setdefault("READER_NO_VENDORED_FEEDPARSER", "1")

from loopback import serving
from reader import Reader, make_reader  # after the switch above

from syndicate.build import run_build
from syndicate.cli import main as cli_main
from syndicate.config import Config, Format, load_config
from syndicate.model import Article
from syndicate.plan import FeedPlan, plan_feeds
from syndicate.render.common import clean, entry_id, provider_uri
from syndicate.result import BuildOptions, BuildResult
from syndicate.select import select
from syndicate.serve import Headers, Served, make_server
from syndicate.source import discover, read_article

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "articles"
FEED_FORMATS = ("atom", "rss", "json")


# -- a site: source folder, config, build, server --------------------------------------------

def _toml(value: object) -> str:
    # JSON strings and arrays of strings are valid TOML basic strings and arrays
    return json.dumps(value)


@dataclasses.dataclass
class Site:
    tmp: Path
    source: Path
    out: Path
    base_url: str
    served: list[Served]
    hubs: tuple[str, ...] = ()
    timeout: float = 5.0
    retries: int = 0

    @property
    def config_path(self) -> Path:
        return self.tmp / "config.toml"

    def write_config(self) -> None:
        self.config_path.write_text(f"""
[site]
title = "Interop News"
base_url = {_toml(self.base_url)}
home_url = "https://news.example.org/"
description = "Feeds read by real readers."
language = "en"
author = "Interop editors"

[source]
folder = {_toml(str(self.source))}
patterns = ["*.md"]

[selection]
min_quality = 50
items_per_feed = 50

[selection.min_quality_by_family]
providers = 40

[output]
folder = {_toml(str(self.out))}

[websub]
hubs = {_toml(list(self.hubs))}
timeout_seconds = {self.timeout}
retries = {self.retries}

[state]
folder = {_toml(str(self.tmp / "state"))}
""", encoding="utf-8")

    def config(self) -> Config:
        self.write_config()
        return load_config(self.config_path)

    def build(self) -> BuildResult:
        # After every story the tests add (dated 2030, to be the newest): none is held
        # back as scheduled.
        return run_build(self.config(), BuildOptions(now=datetime(2031, 1, 1, tzinfo=UTC),
                                                     jobs=1))

    def url(self, rel: str) -> str:
        return self.base_url + rel

    def articles(self) -> list[Article]:
        config = self.config()
        found: list[Article] = []
        for rel, _, _ in sorted(discover(config.source)):
            record = read_article(self.source / rel, rel,
                                  max_bytes=config.source.max_file_bytes)
            if isinstance(record, Article):
                found.append(record)
        return found

    def plans(self) -> dict[str, FeedPlan]:
        """Expected feeds: served path -> the plan (and so the items) it must carry."""
        config = self.config()
        plans = plan_feeds(select(self.articles(), config.selection), config)
        return {plan.path(fmt): plan for plan in plans for fmt in config.output.formats}

    def feed_files(self) -> dict[str, bytes]:
        return {p.relative_to(self.out).as_posix(): p.read_bytes()
                for p in sorted(self.out.rglob("*"))
                if p.is_file() and p.suffix in (".atom", ".rss", ".json")}


def _serve(source: Path, tmp: Path) -> Iterator[Site]:
    out = tmp / "feeds"
    out.mkdir()
    served: list[Served] = []
    server = make_server(out, on_request=served.append)
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    # the port is known only now; the feeds' self URLs are built from this base URL too
    server.headers = Headers(base_url=base_url)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield Site(tmp=tmp, source=source, out=out, base_url=base_url, served=served)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[Site]:
    source = tmp_path / "articles"
    shutil.copytree(SAMPLES, source)  # tests add, edit and remove articles
    yield from _serve(source, tmp_path)


@pytest.fixture(params=["samples", "corpus"])
def any_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    if request.param == "corpus":
        corpus = request.getfixturevalue("shared_corpus") / "power-apps"
        yield from _serve(corpus, tmp_path)  # read-only: never modified here
    else:
        yield from _serve(SAMPLES, tmp_path)


# -- what a client must see for an article ---------------------------------------------------

def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _title(article: Article) -> str:
    return clean(article.title) or article.link


def _check_feedparser_entry(entry: Any, article: Article, fmt: str, where: str) -> None:
    assert entry.id == entry_id(article), where
    assert entry.title == _title(article), where
    assert entry.link == article.link, where
    assert calendar.timegm(entry.published_parsed) == _epoch(article.published), where
    if fmt == "atom":  # RSS has one date per item, pubDate
        assert calendar.timegm(entry.updated_parsed) == _epoch(article.updated), where
    if article.provider is not None:
        assert entry.author == clean(article.provider.name), where
        if fmt == "atom":
            assert entry.author_detail.href == provider_uri(article.provider), where
    assert [t.term for t in entry.get("tags", [])] == [clean(t) for t in article.topics], where
    if article.images:
        assert entry.media_thumbnail[0]["url"] == article.images[0].url, where
        assert [m["url"] for m in entry.media_content] == [i.url for i in article.images], where
    else:
        assert "media_thumbnail" not in entry and "media_content" not in entry, where


def test_feedparser_reads_every_served_feed_as_its_source_articles(any_site: Site) -> None:
    site = any_site
    site.build()
    expected = site.plans()
    files = site.feed_files()
    assert set(files) == set(expected)  # the build wrote exactly the planned feeds
    checked_entries = 0
    for rel, plan in sorted(expected.items()):
        if rel.endswith(".json"):
            continue  # feedparser does not read JSON Feed; reader does, below
        fmt = "atom" if rel.endswith(".atom") else "rss"
        parsed = feedparser.parse(site.url(rel))  # feedparser does the HTTP itself
        assert parsed.status == 200, rel
        assert parsed.bozo == 0, f"{rel}: {parsed.get('bozo_exception')!r}"
        assert parsed.version == ("atom10" if fmt == "atom" else "rss20"), rel
        assert parsed.feed.title == clean(plan.title), rel
        self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
        assert self_links == [site.url(rel)], rel
        # the Link header names the same self URL (WebSub discovery over HTTP)
        assert parsed.headers["link"] == f'<{site.url(rel)}>; rel="self"', rel
        assert len(parsed.entries) == len(plan.items), rel
        for index, (entry, article) in enumerate(zip(parsed.entries, plan.items, strict=True)):
            _check_feedparser_entry(entry, article, fmt, f"{rel} entry {index} ({article.path})")
            checked_entries += 1
    assert checked_entries > 0
    # feedparser asked for gzip and got it: the checks above ran on decompressed bodies
    assert any(s.content_encoding == "gzip" and s.status == 200 for s in site.served)


def test_reader_json_feed_parser_reads_every_json_feed_as_its_source_articles(
        any_site: Site, tmp_path: Path) -> None:
    site = any_site
    site.build()
    expected = {rel: plan for rel, plan in site.plans().items() if rel.endswith(".json")}
    assert expected
    with make_reader(str(tmp_path / "json-reader.sqlite")) as reader:
        for rel in expected:
            reader.add_feed(site.url(rel))
        _update(reader)
        for rel, plan in sorted(expected.items()):
            url = site.url(rel)
            feed = reader.get_feed(url)
            assert feed.version == "json11", rel  # reader's own JSON Feed parser, 1.1
            assert feed.title == clean(plan.title), rel
            entries = {e.id: e for e in reader.get_entries(feed=url)}
            assert len(entries) == len(plan.items), rel
            for article in plan.items:
                where = f"{rel}: {article.path}"
                entry = entries[entry_id(article)]
                assert entry.title == _title(article), where
                assert entry.link == article.link, where
                # JSON Feed keeps fractions of a second, so these compare exactly
                assert entry.published == article.published, where
                assert entry.updated == article.updated, where
                if article.provider is not None:
                    assert [(a.name, a.href) for a in entry.authors] == [
                        (clean(article.provider.name), provider_uri(article.provider))], where
                if article.excerpt:
                    assert entry.summary == clean(article.excerpt), where


def test_one_article_has_one_id_in_every_feed_and_format(site: Site) -> None:
    site.build()
    ids: dict[str, set[str]] = {}
    seen_in: dict[str, set[str]] = {}
    for rel in site.feed_files():
        if rel.endswith(".json"):
            doc = json.loads((site.out / rel).read_bytes())
            pairs = [(item["url"], item["id"]) for item in doc["items"]]
        else:
            parsed = feedparser.parse(site.url(rel))
            assert parsed.bozo == 0, rel
            pairs = [(entry.link, entry.id) for entry in parsed.entries]
        for link, id_ in pairs:
            ids.setdefault(link, set()).add(id_)
            family = rel.split("/", 1)[0] if "/" in rel else "all"
            seen_in.setdefault(link, set()).add(f"{family}.{rel.rsplit('.', 1)[1]}")
    assert all(len(v) == 1 for v in ids.values()), {k: v for k, v in ids.items() if len(v) > 1}
    assert len({next(iter(v)) for v in ids.values()}) == len(ids)  # no two stories share one
    everywhere = {f"{fam}.{fmt}" for fam in ("all", "topics", "providers") for fmt in FEED_FORMATS}
    assert any(families == everywhere for families in seen_in.values()), \
        "no article is in an all, topic and provider feed in every format: test is vacuous"


# -- reader: subscribe, update, rebuild, update ---------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Snapshot:
    id: str
    title: str | None
    link: str | None
    # whole seconds: feedparser keeps no fractions (time.struct_time), JSON Feed does
    published: int | None


def _reader_entries(reader: Reader, url: str) -> dict[str, Snapshot]:
    entries = list(reader.get_entries(feed=url))
    snaps = {e.id: Snapshot(e.id, e.title, e.link,
                            _epoch(e.published) if e.published else None) for e in entries}
    assert len(snaps) == len(entries), f"{url}: duplicate ids"
    return snaps


def _update(reader: Reader) -> dict[str, Any]:
    results: dict[str, Any] = {}
    # scheduled=False: poll now, as if the update interval had passed
    for result in reader.update_feeds_iter(scheduled=False):
        assert not isinstance(result.value, Exception), f"{result.url}: {result.value!r}"
        results[result.url] = result.value
    return results


def _pick_feeds(plans: dict[str, FeedPlan]) -> tuple[FeedPlan, FeedPlan, FeedPlan]:
    everything = plans["all.atom"]
    topics = [p for p in plans.values() if p.family == "topic"]
    providers = [p for p in plans.values() if p.family == "provider"]
    topic = max(topics, key=lambda p: (len(p.items), p.slug))
    # a provider that shares a story with the topic, so one edit reaches all three feeds
    in_topic = {a.path for a in topic.items}
    provider = max(providers,
                   key=lambda p: (any(a.path in in_topic for a in p.items), len(p.items), p.slug))
    return everything, topic, provider


def _subscriptions(site: Site, picked: tuple[FeedPlan, ...]) -> dict[str, FeedPlan]:
    """Atom for all, RSS for the topic, Atom for the provider, and JSON Feed for each."""
    everything, topic, provider = picked
    chosen: tuple[tuple[FeedPlan, Format], ...] = (
        (everything, "atom"), (everything, "json"),
        (topic, "rss"), (topic, "json"),
        (provider, "atom"), (provider, "json"))
    return {site.url(p.path(fmt)): p for p, fmt in chosen}


def _assert_reader_matches(reader: Reader, subs: dict[str, FeedPlan]) -> None:
    for url, plan in subs.items():
        got = _reader_entries(reader, url)
        for article in plan.items:
            snap = got.get(entry_id(article))
            assert snap is not None, f"{url}: {article.path} missing"
            assert snap.title == _title(article), url
            assert snap.link == article.link, url
            assert snap.published == _epoch(article.published), url


_NEW = """---
title: "{title}"
excerpt: "A story added between two builds."
publishedDateTime: {published}
webUrl: "{link}"
type: article
quality: 150
published: true
provider:
  name: "{provider}"
  domain: {domain}
topics:
  - "{topic}"
images:
  - url: "https://images.example.org/{slug}.png"
    width: 800
    height: 450
secured: "never-published-token"
---
"""


def _add_article(site: Site, slug: str, *, title: str, topic: str, provider: Article,
                 published: str) -> str:
    assert provider.provider is not None
    link = f"https://{provider.provider.domain}/interop/{slug}"
    (site.source / f"{published[:10]}-{slug}.md").write_text(_NEW.format(
        title=title, published=published, link=link, provider=provider.provider.name,
        domain=provider.provider.domain, topic=topic, slug=slug), encoding="utf-8")
    return link


def _retitle(site: Site, article: Article, title: str) -> None:
    file = site.source / article.path
    text = file.read_text(encoding="utf-8")
    new, count = re.subn(r"(?m)^title: .*$", lambda _: f"title: {json.dumps(title)}", text,
                         count=1)
    assert count == 1, article.path
    file.write_text(new, encoding="utf-8")


def test_reader_follows_rebuilds_with_conditional_get_and_stable_ids(site: Site,
                                                                     tmp_path: Path) -> None:
    site.build()
    plans = site.plans()
    picked = _pick_feeds(plans)
    everything, topic, provider = picked
    subs = _subscriptions(site, picked)

    with make_reader(str(tmp_path / "reader.sqlite")) as reader:
        for url in subs:
            reader.add_feed(url)
        first = _update(reader)
        assert set(first) == set(subs)
        assert all(v is not None and v.new == len(subs[u].items) for u, v in first.items()), first
        _assert_reader_matches(reader, subs)
        # reader's JSON Feed parser and feedparser agree: same entries in both formats
        for plan in picked:
            xml: tuple[Format, ...] = ("atom", "rss")
            fmts = [f for f in xml if site.url(plan.path(f)) in subs]
            assert _reader_entries(reader, site.url(plan.path(fmts[0]))) == \
                _reader_entries(reader, site.url(plan.path("json")))
        before = {url: _reader_entries(reader, url) for url in subs}

        # -- rebuild with no change: every feed answers 304, nothing moves in reader
        files = site.feed_files()
        site.build()
        assert site.feed_files() == files
        del site.served[:]
        second = _update(reader)
        feed_gets = [s for s in site.served if s.method == "GET"]
        assert sorted(s.target for s in feed_gets) == sorted(u[len(site.base_url) - 1:]
                                                             for u in subs)
        assert all(s.status == 304 for s in feed_gets), feed_gets
        assert all(v is None or (v.new, v.modified) == (0, 0) for v in second.values()), second
        assert {url: _reader_entries(reader, url) for url in subs} == before

        # -- add two, retitle one, remove one, rebuild, update
        in_all = list(everything.items)
        in_topic_and_provider = [a for a in topic.items if a in provider.items]
        changed = in_topic_and_provider[0] if in_topic_and_provider else topic.items[0]
        removed = next(a for a in reversed(in_all) if a is not changed)
        topic_name = topic.name
        new_links = [
            _add_article(site, "first-new-story", title="First new story & a <tag>",
                         topic=topic_name, provider=provider.items[0],
                         published="2030-01-02T03:04:05Z"),
            _add_article(site, "second-new-story", title="Second new story",
                         topic=topic_name, provider=changed,
                         published="2030-01-03T03:04:05Z"),
        ]
        all_url = site.url(everything.path("atom"))
        assert entry_id(changed) in before[all_url] and entry_id(removed) in before[all_url]
        _retitle(site, changed, "Retitled: the same story, a better headline")
        (site.source / removed.path).unlink()
        site.build()
        after_plans = site.plans()
        new_subs = {url: after_plans[url[len(site.base_url):]] for url in subs}
        new_ids = {entry_id(a) for p in new_subs.values() for a in p.items
                   if a.link in new_links}
        assert len(new_ids) == 2
        del site.served[:]
        third = _update(reader)
        _assert_reader_matches(reader, new_subs)
        for url in subs:
            got = _reader_entries(reader, url)
            old = before[url]
            added = set(got) - set(old)
            expected_added = {entry_id(a) for a in new_subs[url].items} - set(old)
            assert added == expected_added, url
            assert added <= new_ids, url
            if subs[url] is everything:
                assert added == new_ids, url  # exactly the two new stories
            # the retitled story: same id, new title, not a second entry
            changed_id = entry_id(changed)
            if changed_id in old:
                assert got[changed_id].title == "Retitled: the same story, a better headline"
                assert got[changed_id].link == old[changed_id].link
            titles = Counter((s.title, s.link) for s in got.values())
            assert max(titles.values()) == 1, url
            # reader saw exactly the additions as new and only the retitle as a change
            value = third[url]
            now_in_feed = {entry_id(a) for a in new_subs[url].items}
            retitled = int(changed_id in old and changed_id in now_in_feed)
            assert value is not None and (value.new, value.modified) == (len(added), retitled), \
                (url, value)
        # every subscribed feed changed (the all-feed at least) and was fetched anew
        statuses = {s.target: s.status for s in site.served if s.method == "GET"}
        all_path = "/" + everything.path("atom")
        assert statuses[all_path] == 200


# -- WebSub: hub links and publish pings ------------------------------------------------------

@dataclasses.dataclass
class HubStub:
    url: str
    pings: list[str]
    status: int = 204
    delay: float = 0.0


@pytest.fixture()
def hub() -> Iterator[HubStub]:
    stub = HubStub(url="", pings=[])
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode(),
                            strict_parsing=True)
            assert form["hub.mode"] == ["publish"]
            with lock:
                stub.pings.extend(form["hub.url"])
            time.sleep(stub.delay)
            try:
                self.send_response(stub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the publisher gave up waiting

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        stub.url = base + "/hub"
        yield stub


def test_feeds_advertise_the_hub_and_themselves(site: Site, hub: HubStub) -> None:
    site.hubs = (hub.url,)
    site.build()
    for rel in ("all.atom", "all.rss"):
        parsed = feedparser.parse(site.url(rel))
        assert parsed.bozo == 0, rel
        links = {(link.rel, link.href) for link in parsed.feed.links}
        assert ("hub", hub.url) in links and ("self", site.url(rel)) in links, (rel, links)
    doc = json.loads((site.out / "all.json").read_bytes())
    assert doc["hubs"] == [{"type": "WebSub", "url": hub.url}]
    assert doc["feed_url"] == site.url("all.json")


def test_one_ping_per_changed_feed_and_none_without_change(site: Site, hub: HubStub) -> None:
    site.hubs = (hub.url,)
    site.build()
    first = site.feed_files()
    assert Counter(hub.pings) == Counter(site.url(rel) for rel in first)

    del hub.pings[:]
    site.build()
    assert hub.pings == []

    article = next(a for a in site.plans()["all.atom"].items if a.topics)
    _retitle(site, article, "A corrected headline")
    site.build()
    now = site.feed_files()
    changed = {rel for rel in now if now[rel] != first.get(rel)}
    assert changed and len(changed) < len(now)
    assert Counter(hub.pings) == Counter(site.url(rel) for rel in changed)


@pytest.mark.parametrize(("status", "delay", "retries"), [(500, 0.0, 1), (204, 1.0, 0)])
def test_a_failing_hub_is_reported_but_the_build_succeeds(
        tmp_path: Path, hub: HubStub, caplog: pytest.LogCaptureFixture,
        status: int, delay: float, retries: int) -> None:
    source = tmp_path / "articles"
    source.mkdir()
    for name in sorted(p.name for p in SAMPLES.glob("*.md"))[-3:]:  # a few feeds: fast
        shutil.copy(SAMPLES / name, source / name)
    hub.status, hub.delay = status, delay
    for site in _serve(source, tmp_path):
        site.hubs, site.timeout, site.retries = (hub.url,), 0.3, retries
        site.write_config()
        caplog.set_level(logging.WARNING)
        assert cli_main(["build", "--config", str(site.config_path), "--quiet"]) == 0
        written = site.feed_files()
        assert written and set(written) == set(site.plans())
        # A publisher that gave up waiting does not wait for the hub: on a busy machine
        # the hub's threads may still be reading the last requests. Wait for them.
        expected = Counter({site.url(rel): retries + 1 for rel in written})
        deadline = time.monotonic() + 60
        while len(hub.pings) < expected.total() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert Counter(hub.pings) == expected
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        for rel in written:
            assert any(site.url(rel) in w and hub.url in w for w in warnings), rel
