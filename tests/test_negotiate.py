"""A feed URL answers a browser with the page beside the feed and a feed reader with the
feed, identically in `syndicate serve`, deploy/nginx.conf and deploy/Caddyfile.

The Accept headers below are what real clients send, each with where it comes from. The
servers are started as tests/test_deploy_config.py does (nginx and Caddy skip when not
installed) over a real sample build; the pages are written here by the test until the
build writes them itself.
"""

from __future__ import annotations

import email.utils
import gzip
import http.client
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import test_deploy_config as deploy

from syndicate.negotiate import BROWSER_ACCEPT, page_for, wants_page
from syndicate.serve import Headers, make_server

# (client, Accept) — each must get the FEED.
READERS = [
    # feedparser 6, feedparser/http.py ACCEPT_HEADER
    ("feedparser", ("application/atom+xml,application/rdf+xml,application/rss+xml,"
                    "application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1")),
    # reader 3.26, measured here against a loopback server
    ("reader", ("application/atom+xml,application/rdf+xml,application/rss+xml,"
                "application/x-netcdf,application/feed+json,application/xml;q=0.9,"
                "application/json;q=0.9,text/xml;q=0.2,*/*;q=0.1")),
    # Miniflux 2.2.16, its debug log in miniflux/v2#3998 (lists text/html, not first)
    ("Miniflux", ("application/xml, application/atom+xml, application/rss+xml, "
                  "application/rdf+xml, application/feed+json, text/html, */*;q=0.9")),
    # SimplePie (FreshRSS's fetcher), simplepie/simplepie#20 and #784
    ("SimplePie / FreshRSS", ("application/atom+xml, application/rss+xml, "
                              "application/rdf+xml;q=0.9, application/xml;q=0.8, "
                              "text/xml;q=0.8, text/html;q=0.7, unknown/unknown;q=0.1, "
                              "application/unknown;q=0.1, */*;q=0.1")),
    # FreshRSS requests reported in FreshRSS/FreshRSS#6712; NetNewsWire, Feedly and
    # Inoreader set no Accept of their own that we could find: a client default
    ("*/* (FreshRSS report, URLSession/curl defaults)", "*/*"),
    # Liferea and QuiteRSS, quoted in emacs-elfeed/elfeed#386
    ("Liferea", "application/atom+xml,application/xml;q=0.9,text/xml;q=0.8,*/*;q=0.7"),
    ("QuiteRSS", ("application/atom+xml,application/rss+xml;q=0.9,application/xml;q=0.8,"
                  "text/xml;q=0.7,*/*;q=0.6")),
    # ROME's fetcher as subclassed by Carbide.c++'s news reader (CarbideFeedFetcher.java)
    ("ROME (Carbide.c++)", "*/xml"),
    # rss-forwarder, morphy2k/rss-forwarder#178
    ("rss-forwarder", "application/atom+xml, application/rss+xml, application/xml, text/xml"),
    # A client that refuses HTML outright, or qualifies it in a way the rule does not
    # spell, gets the feed: the safe answer for a program.
    ("refuses HTML", "text/html;q=0, application/atom+xml"),
    ("refuses HTML (q=0.000)", "text/html; q=0.000,*/*"),
    ("HTML with another parameter", "text/html;level=1,application/xml"),
    ("no Accept header (Python urllib, many scripts)", None),
    ("empty Accept header", ""),
]

# (browser, Accept of a top-level navigation) — each must get the PAGE.
BROWSERS = [
    # Chromium 156, measured here (tests/test_browser.py checks it on every navigation)
    ("Chromium 156", ("text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,"
                      "image/avif,image/webp,image/apng,*/*;q=0.8,"
                      "application/signed-exchange;v=b3;q=0.7")),
    # Chrome, Edge and Opera before JPEG XL
    ("Chrome", ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")),
    # Firefox 128 and later (MDN: "Accept default values")
    ("Firefox", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    # Firefox 92-127
    ("Firefox 92", ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                    "image/webp,*/*;q=0.8")),
    # Safari 17 (macOS and iOS)
    ("Safari", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("curl asking for HTML", "Text/HTML ; q=0.9"),
    ("HTML at full weight", "text/html;q=1.0,application/atom+xml;q=0.5"),
    ("HTML at a small weight first", "text/html;q=0.05"),
]


@pytest.mark.parametrize(("client", "accept"), READERS, ids=[r[0] for r in READERS])
def test_feed_readers_get_the_feed(client: str, accept: str | None) -> None:
    assert not wants_page(accept), client


@pytest.mark.parametrize(("browser", "accept"), BROWSERS, ids=[b[0] for b in BROWSERS])
def test_browsers_get_the_page(browser: str, accept: str) -> None:
    assert wants_page(accept), browser


@pytest.mark.parametrize("accept", [
    "text/htmlx", "text/html-sandboxed", "application/xhtml+xml,text/html",
    "*/*,text/html", "text/plain", " text/ html"])
def test_only_a_first_range_of_exactly_text_html_is_a_browser(accept: str) -> None:
    assert not wants_page(accept)


@pytest.mark.parametrize(("feed", "page"), [
    ("all.atom", "all.html"), ("all.rss", "all.html"), ("all.json", "all.html"),
    ("topics/power-apps.rss", "topics/power-apps.html"),
    ("custom/a.b.json", "custom/a.b.html"),
    ("feeds.opml", None), ("index.html", None), ("atom", None), (".atom", None)])
def test_page_beside_a_feed(feed: str, page: str | None) -> None:
    assert page_for(feed) == page


@pytest.mark.parametrize("path", [deploy.NGINX_CONF, deploy.CADDYFILE])
def test_the_deploy_configs_spell_the_same_rule(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(BROWSER_ACCEPT) == 1, path
    # case-insensitive there too: nginx's ~* and Go's (?i)
    assert ("~*" + BROWSER_ACCEPT) in text or ("(?i)" + BROWSER_ACCEPT) in text, path


# -- the three servers ----------------------------------------------------------------------

CHROME = BROWSERS[0][1]
FEEDPARSER = READERS[0][1]
HAS_PAGE = ["all.atom", "all.rss", "all.json", "topics/power-apps.atom",
            "topics/power-apps.rss", "topics/power-apps.json"]
NO_PAGE = "topics/generative-ai.atom"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def vary(self) -> set[str]:
        return deploy.vary_values(self.headers)


@dataclass
class Site:
    name: str
    root: Path
    port: int

    def ask(self, target: str, accept: str | None, method: str = "GET",
            **headers: str) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            if accept is not None:
                conn.putheader("Accept", accept)
            for name, value in headers.items():
                conn.putheader(name.replace("_", "-"), value)
            conn.endheaders()
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()


def _add_pages(root: Path) -> None:
    """A page beside some feeds (as the build will write them), none beside NO_PAGE;
    each page newer than its feed, so If-Modified-Since tells the variants apart."""
    for rel in HAS_PAGE:
        page = root / str(page_for(rel))
        page.write_text(f'<!doctype html><html lang="en"><title>{rel}</title>'
                        f'<h1>{rel}</h1>{"<p>page</p>" * 100}</html>\n', encoding="utf-8")
        feed_mtime = int((root / rel).stat().st_mtime)
        os.utime(page, (feed_mtime + 100, feed_mtime + 100))
    (root / str(page_for(NO_PAGE))).unlink(missing_ok=True)


@pytest.fixture(scope="module", params=["serve", "nginx", "caddy"])
def site(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    name = request.param
    if name != "serve" and (deploy.NGINX if name == "nginx" else deploy.CADDY) is None:
        pytest.skip(f"{name} is not installed (apt-get install "
                    f"{'nginx-light' if name == 'nginx' else 'caddy'})")
    tmp = tmp_path_factory.mktemp(f"negotiate-{name}")
    root = deploy._build(tmp)
    _add_pages(root)
    if name == "serve":
        server = make_server(root, headers=Headers.from_config(deploy.SHIPPED))
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield Site(name, root, server.server_address[1])
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
        return
    prefix = tmp / "prefix"
    prefix.mkdir()
    port = deploy._free_port()
    start = deploy._start_nginx if name == "nginx" else deploy._start_caddy
    proc = start(root, prefix, port)
    try:
        yield Site(name, root, port)
    finally:
        proc.terminate()
        proc.wait(10)


def _assert_page(site: Site, rel: str, reply: Reply) -> None:
    page = str(page_for(rel))
    assert reply.status == 200, (site.name, rel)
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8", (site.name, rel)
    assert reply.headers["Content-Location"] == "/" + page, (site.name, rel)
    assert "accept" in reply.vary(), (site.name, rel)
    assert reply.headers["Link"] is None, (site.name, rel)  # self names the feed, not this
    assert reply.headers["Cache-Control"] == deploy.CACHE_CONTROL, (site.name, rel)
    assert reply.headers["X-Content-Type-Options"] == "nosniff", (site.name, rel)


def _assert_feed(site: Site, rel: str, reply: Reply) -> None:
    assert reply.status == 200, (site.name, rel)
    assert reply.body == (site.root / rel).read_bytes(), (site.name, rel)
    assert reply.headers["Content-Type"] == deploy.EXPECTED_TYPES[Path(rel).suffix]
    assert reply.headers["Content-Location"] is None, (site.name, rel)
    assert "accept" in reply.vary(), (site.name, rel)
    assert reply.headers["Link"] == f'<{deploy.SHIPPED.site.base_url}{rel}>; rel="self"'
    assert reply.headers["Cache-Control"] == deploy.CACHE_CONTROL, (site.name, rel)


@pytest.mark.parametrize("rel", HAS_PAGE)
def test_every_browser_gets_the_page_beside_the_feed(site: Site, rel: str) -> None:
    page = (site.root / str(page_for(rel))).read_bytes()
    for browser, accept in BROWSERS:
        reply = site.ask("/" + rel, accept)
        _assert_page(site, rel, reply)
        assert reply.body == page, (site.name, rel, browser)


@pytest.mark.parametrize("rel", HAS_PAGE)
def test_every_feed_reader_gets_the_feed(site: Site, rel: str) -> None:
    for _client, accept in READERS:
        _assert_feed(site, rel, site.ask("/" + rel, accept))


def test_a_browser_gets_the_feed_where_no_page_exists(site: Site) -> None:
    _assert_feed(site, NO_PAGE, site.ask("/" + NO_PAGE, CHROME))


def test_head_negotiates_like_get(site: Site) -> None:
    reply = site.ask("/all.rss", CHROME, method="HEAD")
    _assert_page(site, "all.rss", reply)
    assert reply.body == b""
    reply = site.ask("/all.rss", FEEDPARSER, method="HEAD")
    assert reply.headers["Content-Type"] == deploy.EXPECTED_TYPES[".rss"]


def test_each_variant_has_its_own_validators(site: Site) -> None:
    page = site.ask("/all.atom", CHROME)
    feed = site.ask("/all.atom", FEEDPARSER)
    page_tag, feed_tag = page.headers["ETag"], feed.headers["ETag"]
    assert page_tag and feed_tag and page_tag != feed_tag
    page_lm, feed_lm = page.headers["Last-Modified"], feed.headers["Last-Modified"]
    assert email.utils.parsedate_to_datetime(page_lm) > email.utils.parsedate_to_datetime(
        feed_lm)  # _add_pages made every page newer than its feed

    revalidated = site.ask("/all.atom", CHROME, If_None_Match=page_tag)
    assert (revalidated.status, revalidated.body) == (304, b"")
    assert revalidated.headers["ETag"] == page_tag
    assert "accept" in revalidated.vary()
    assert site.ask("/all.atom", FEEDPARSER, If_None_Match=feed_tag).status == 304
    # a validator of one variant never gets a 304 for the other
    _assert_feed(site, "all.atom", site.ask("/all.atom", FEEDPARSER, If_None_Match=page_tag))
    crossed = site.ask("/all.atom", CHROME, If_None_Match=feed_tag)
    _assert_page(site, "all.atom", crossed)
    assert crossed.body == (site.root / "all.html").read_bytes()
    assert site.ask("/all.atom", CHROME, If_Modified_Since=page_lm).status == 304
    assert site.ask("/all.atom", FEEDPARSER, If_Modified_Since=feed_lm).status == 304
    assert site.ask("/all.atom", CHROME, If_Modified_Since=feed_lm).status == 200


def test_the_page_is_compressed_for_a_browser_that_asks(site: Site) -> None:
    reply = site.ask("/all.json", CHROME, Accept_Encoding="gzip, deflate, br")
    _assert_page(site, "all.json", reply)
    assert reply.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(reply.body) == (site.root / "all.html").read_bytes()
    assert reply.vary() == {"accept", "accept-encoding"}


@pytest.mark.parametrize("rel", ["all.html", "index.html", "feeds.opml", ""])
def test_other_files_are_not_negotiated(site: Site, rel: str) -> None:
    expected = (site.root / (rel or "index.html")).read_bytes()
    for accept in (CHROME, FEEDPARSER):
        reply = site.ask("/" + rel, accept)
        assert reply.status == 200 and reply.body == expected, (site.name, rel)
        assert "accept" not in reply.vary(), (site.name, rel)
        assert reply.headers["Content-Location"] is None, (site.name, rel)


def test_serve_never_answers_with_a_page_leading_out_of_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "feeds"
    root.mkdir()
    (root / "all.atom").write_bytes(b"<feed/>")
    (tmp_path / "secret.html").write_text("outside", encoding="utf-8")
    (root / "all.html").symlink_to(tmp_path / "secret.html")
    (root / "topics.atom").write_bytes(b"<feed/>")
    (root / "topics.html").mkdir()  # a folder named like a page is no page
    server = make_server(root)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        site = Site("serve", root, server.server_address[1])
        for rel in ("all.atom", "topics.atom"):
            reply = site.ask("/" + rel, CHROME)
            assert (reply.status, reply.body) == (200, b"<feed/>"), rel
            assert reply.headers["Content-Location"] is None, rel
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
