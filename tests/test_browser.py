"""What a person sees: the sample build, served by `syndicate serve`, opened in a real
headless Chromium (Debian's ``chromium``, driven by playwright-core from tests/js).

Every HTML page of the build is checked the same way (whatever pages the build writes:
the list is the served folder itself): a language, one h1, alt text on every image, no
horizontal scrolling at phone width, readable contrast, no script, nothing loaded from
elsewhere except images, and screenshots at phone and desktop width that are not blank
(written under pytest's tmp path). A feed URL opened in the browser must show the page
written beside the feed (content negotiation, syndicate/negotiate.py) with the feed's own
items; a feed reader asking for the same URL gets the feed's bytes.

Chromium starts once for the module. Skipped, with the reason, where Chromium, Node.js or
playwright-core (``npm ci --prefix tests/js``, done by .ci/install-clients.sh) is absent.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import pytest
from feedparser.http import ACCEPT_HEADER as FEEDPARSER_ACCEPT

from syndicate.negotiate import page_for, wants_page
from syndicate.serve import make_server

REPO = Path(__file__).resolve().parents[1]
JS = REPO / "tests" / "js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NODE = shutil.which("node")
MIN_CONTRAST = 4.5  # WCAG 2 AA for body text
PHONE_WIDTH = 390


@dataclass(frozen=True)
class Browsed:
    root: Path  # the served folder
    port: int
    version: str
    results: dict[str, dict[str, Any]]  # by target ("/all.atom")

    @property
    def pages(self) -> dict[str, dict[str, Any]]:
        """The results of every .html file of the folder, by its path."""
        return {t: r for t, r in self.results.items() if t.endswith(".html")}


def _build(tmp: Path) -> Path:
    """The repository's articles/ built with the CLI into tmp, with the shipped config
    and RFC 5005 archives on (small pages), so the archive pages' HTML views
    (``archive/<feed>/<k>.html``) are among the pages checked."""
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    for key, value in (("folder = \"articles\"", REPO / "articles"),
                       ("folder = \"feeds\"", tmp / "feeds"),
                       ("folder = \".syndicate\"", tmp / "state")):
        assert text.count(key) == 1, key
        text = text.replace(key, f"folder = {json.dumps(str(value))}")
    assert text.count("[output]\n") == 1
    text = text.replace("[output]\n", "[output]\narchives = true\narchive_page_size = 8\n")
    config = tmp / "config.toml"
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run(
        [sys.executable, "-m", "syndicate", "build", "--config", str(config), "--strict",
         "--now", "2026-12-06T00:00:00Z", "--jobs", "1", "-q"],
        capture_output=True, text=True, timeout=300, check=False, env=env, cwd=tmp)
    assert done.returncode == 0, done.stderr
    return tmp / "feeds"


def _topic_feed(root: Path) -> str | None:
    """A topic feed with a page beside it, if the build writes topic pages."""
    return next((p.relative_to(root).as_posix() for p in sorted(root.glob("topics/*.atom"))
                 if (root / str(page_for(p.relative_to(root).as_posix()))).is_file()), None)


def _why_no_browser() -> str | None:
    if CHROMIUM is None:
        return "Chromium is not installed (apt-get install chromium)"
    if NODE is None:
        return "Node.js is not installed (apt-get install nodejs npm)"
    if not (JS / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is not installed (npm ci --prefix tests/js)"
    return None


@pytest.fixture(scope="module")
def browsed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browsed]:
    reason = _why_no_browser()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("browser")
    root = _build(tmp)
    pages = sorted("/" + p.relative_to(root).as_posix() for p in root.rglob("*.html"))
    feeds = ["/all.atom", "/all.rss", "/all.json"]
    topic = _topic_feed(root)
    if topic:
        feeds.append("/" + topic)
    feeds.append("/archive/all/1.atom")  # an archive page opens as its view too
    shots = tmp / "screenshots"
    shots.mkdir()
    server = make_server(root)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        job = tmp / "job.json"
        job.write_text(json.dumps({
            "executable": CHROMIUM, "base": f"http://127.0.0.1:{port}", "shots": str(shots),
            # a feed URL shows a page only where the build wrote one beside it
            "targets": pages + (feeds if (root / "all.html").is_file() else [])}),
            encoding="utf-8")
        done = subprocess.run([str(NODE), str(JS / "browse.mjs"), str(job)], cwd=JS,
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        out = json.loads(done.stdout)
        yield Browsed(root, port, out["version"], {r["target"]: r for r in out["results"]})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _each_page(browsed: Browsed) -> dict[str, dict[str, Any]]:
    pages = browsed.pages
    assert "/index.html" in pages  # the build always writes the index
    assert "/archive/all/1.html" in pages  # and, archives on, the archive pages' views
    return pages


# -- every page ------------------------------------------------------------------------------

def test_chromium_asks_for_a_page_by_the_rule_the_servers_use(browsed: Browsed) -> None:
    for target, result in browsed.results.items():
        assert result["accept"] and wants_page(result["accept"]), (target, result["accept"])


def test_every_page_has_a_language_and_one_h1(browsed: Browsed) -> None:
    for target, result in _each_page(browsed).items():
        assert result["status"] == 200, target
        assert result["contentType"] == "text/html; charset=utf-8", target
        assert (result["lang"] or "").strip(), target
        assert len(result["h1"]) == 1 and result["h1"][0], (target, result["h1"])


def test_every_image_has_alt_text(browsed: Browsed) -> None:
    missing = {t: r["imgsWithoutAlt"] for t, r in _each_page(browsed).items()
               if r["imgsWithoutAlt"]}
    assert not missing


def test_no_page_runs_javascript(browsed: Browsed) -> None:
    for target, result in _each_page(browsed).items():
        assert result["scripts"] == 0, target
        assert result["eventAttributes"] == [], target


def test_the_index_fits_a_phone(browsed: Browsed) -> None:
    assert _each_page(browsed)["/index.html"]["scrollWidth"] <= PHONE_WIDTH


def test_no_other_page_scrolls_sideways_on_a_phone(browsed: Browsed) -> None:
    wide = {t: r["scrollWidth"] for t, r in _each_page(browsed).items()
            if r["scrollWidth"] > PHONE_WIDTH}
    assert not wide


def test_all_text_has_readable_contrast(browsed: Browsed) -> None:
    for target, result in _each_page(browsed).items():
        assert result["textElements"] > 0, target  # the walk did look at something
        low = [f for f in result["contrastFailures"] if f["ratio"] < MIN_CONTRAST]
        assert not low, (target, low[:5])


def test_nothing_but_images_is_loaded_from_elsewhere(browsed: Browsed) -> None:
    for target, result in _each_page(browsed).items():
        assert result["requests"][0]["local"], target  # the page itself
        foreign = [r for r in result["requests"] if not r["local"] and r["type"] != "image"]
        assert not foreign, (target, foreign)


def _png_size_and_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the inflated (still filtered) pixel rows of a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", body[:10])
            assert depth == 8, path
            channels = {2: 3, 6: 4}[colour_type]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + width * channels), path  # every row there
    return width, height, raw


def test_screenshots_at_phone_and_desktop_width_are_not_blank(browsed: Browsed) -> None:
    for target, result in browsed.results.items():
        for shot in result["shots"]:
            width, height, raw = _png_size_and_pixels(Path(shot["file"]))
            assert (width, height) == (shot["width"], shot["height"]), target
            # a blank page is one colour; text alone brings dozens (anti-aliasing)
            assert shot["colours"] > 16, (target, shot)
            assert len(set(raw)) > 16, (target, shot)


# -- a feed URL in the browser ---------------------------------------------------------------

FEED_TARGETS = ["/all.atom", "/all.rss", "/all.json", "topic", "/archive/all/1.atom"]


def _feed_target(browsed: Browsed, name: str) -> str:
    # Every feed has its page: a build without them is a failure, never a skip.
    assert (browsed.root / "all.html").is_file(), "the build wrote no feed pages"
    if name == "topic":
        topic = _topic_feed(browsed.root)
        assert topic is not None, "all.html is written but no topic feed has its page"
        return "/" + topic
    return name


def _fetch(browsed: Browsed, target: str, accept: str) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", browsed.port, timeout=10)
    try:
        conn.request("GET", target, headers={"Accept": accept})
        resp = conn.getresponse()
        return resp.status, resp.headers["Content-Type"], resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("name", FEED_TARGETS)
def test_a_feed_url_opens_as_a_page_with_the_feeds_items(browsed: Browsed, name: str) -> None:
    target = _feed_target(browsed, name)
    result = browsed.results[target]
    assert result["url"].endswith(target)  # no redirect: the feed URL itself is the page
    assert result["status"] == 200
    assert result["contentType"] == "text/html; charset=utf-8"  # HTML, not XML shown as text
    assert len(result["h1"]) == 1 and result["h1"][0]
    shown = {(a["text"], a["href"]) for a in result["anchors"]}
    items = _items(browsed.root / target.lstrip("/"))
    assert items, target
    for title, link in items:
        assert (title, link) in shown, (target, title, link)


def _items(path: Path) -> list[tuple[str, str]]:
    """(title, link) of every item, as a client reads them from the feed file itself:
    feedparser for Atom and RSS; JSON Feed, which feedparser 6 does not read, as JSON."""
    if path.suffix == ".json":
        items = json.loads(path.read_bytes())["items"]
        return [(" ".join(i["title"].split()), i["url"]) for i in items]
    feed = feedparser.parse(path.read_bytes())
    return [(" ".join(e.title.split()), e.link) for e in feed.entries]


@pytest.mark.parametrize("name", FEED_TARGETS)
def test_a_feed_reader_gets_the_feed_at_the_same_url(browsed: Browsed, name: str) -> None:
    target = _feed_target(browsed, name)
    status, content_type, body = _fetch(browsed, target, FEEDPARSER_ACCEPT)
    assert status == 200 and not content_type.startswith("text/html")
    assert body == (browsed.root / target.lstrip("/")).read_bytes()
