"""Archives (issue 12, RFC 5005), through the CLI with ``--now`` advancing: every entry
that ever enters a feed gets a number within it, page k holds the numbers
[(k-1)*S, k*S), complete pages never change when newer articles arrive, an edit
rewrites the one page holding the story, a withdrawn story leaves its page (which
keeps its number), and clients following ``prev-archive`` (``next_url`` in JSON Feed)
from the subscription feed read the whole history once."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
import pytest
from corpus_generator import load_generator
from lxml import etree
from reader import make_reader
from test_build import article, build, make_site, snapshot

from syndicate import archive_history, cli
from syndicate.archive import archive, newest_archive_url, touched
from syndicate.config import Config, load_config
from syndicate.model import Article
from syndicate.plan import FeedPlan, newest_updated
from syndicate.serve import Headers, make_server

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
BASE = "https://feeds.example.org/"
LATE = "2031-01-01T00:00:00Z"  # after every generated article


def archived_site(root: Path, *, items: int = 2, page: int = 2,
                  extra: str = "") -> Config:
    config = make_site(root, items=items)
    text = config.path.read_text(encoding="utf-8").replace(
        '[output]\nfolder = "out"\n',
        f'[output]\nfolder = "out"\narchives = true\narchive_page_size = {page}\n{extra}')
    config.path.write_text(text, encoding="utf-8")
    return load_config(config.path)


def run(config: Config, now: str, *extra: str) -> int:
    return cli.main(["build", "--config", str(config.path), "--now", now, *extra])


def titles(path: Path) -> list[str]:
    root = etree.fromstring(path.read_bytes())
    return [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]


def pages(config: Config, feed: str = "all") -> list[list[str]]:
    """The entry titles of every archive page of ``feed``, oldest page first: the
    complete pages found by following prev-archive from the subscription feed (each an
    archive document: fh:archive, current, self, next-archive to the next page), then
    the page still filling up, named only by the newest complete page's next-archive
    and linking back to it (checked against the files on disk: no page unreachable,
    none missing)."""
    out = config.output.folder
    seen: list[list[str]] = []
    doc = etree.fromstring((out / f"{feed}.atom").read_bytes())
    newer: str | None = None
    while (link := _link(doc, "prev-archive")) is not None:
        rel = link.removeprefix(BASE)
        doc = etree.fromstring((out / rel).read_bytes())
        assert _link(doc, "current") == f"{BASE}{feed}.atom"
        assert _link(doc, "self") == link
        assert doc.find(f"{FH}archive") is not None, rel  # only archive documents chained
        assert _link(doc, "next-archive") == (
            newer or f"{BASE}archive/{feed}/{int(rel.rsplit('/', 1)[1].split('.')[0]) + 1}.atom")
        newer = link
        seen.append(titles(out / rel))
    on_disk = sorted((out / "archive" / feed).glob("*.atom"), key=lambda p: int(p.stem))
    assert [p.stem for p in on_disk] == [str(k) for k in range(1, len(seen) + 2)]
    filling = etree.fromstring(on_disk[-1].read_bytes())
    assert filling.find(f"{FH}archive") is None and _link(filling, "next-archive") is None
    assert _link(filling, "prev-archive") == (
        f"{BASE}archive/{feed}/{len(seen)}.atom" if seen else None)
    return seen[::-1] + [titles(on_disk[-1])]


def _link(doc: etree._Element, rel: str) -> str | None:
    for link in doc.findall(f"{ATOM}link"):
        if link.get("rel") == rel:
            return link.get("href")
    return None


def _edit(file: Path, old: str, new: str) -> None:
    file.write_text(file.read_text(encoding="utf-8").replace(old, new), "utf-8")


def test_archive_membership_through_additions_edits_and_withdrawals(tmp_path: Path) -> None:
    config = archived_site(tmp_path / "site")
    src, out = config.source.folder, config.output.folder
    for name, day in (("a", 2), ("b", 3), ("c", 4)):
        article(src, f"{name}.md", title=f"Story {name.upper()}",
                when=f"2026-11-{day:02d}T10:00:00Z")
    assert run(config, "2026-12-01T00:00:00Z") == 0
    # Cold build: chronological, the newest entry first on each page.
    assert pages(config) == [["Story B", "Story A"], ["Story C"]]
    first = (out / "archive/all/1.atom").read_bytes()
    assert b"<fh:archive/>" in first
    assert b"fh:archive" not in (out / "archive/all/2.atom").read_bytes()  # still filling

    article(src, "d.md", title="Story D", when="2026-12-01T10:00:00Z")
    assert run(config, "2026-12-02T00:00:00Z") == 0
    assert pages(config) == [["Story B", "Story A"], ["Story D", "Story C"], []]
    assert (out / "archive/all/1.atom").read_bytes() == first
    second = (out / "archive/all/2.atom").read_bytes()

    # A late arrival dated before everything else is filed by arrival, not by date.
    article(src, "e.md", title="Story E", when="2026-11-01T10:00:00Z")
    assert run(config, "2026-12-03T00:00:00Z") == 0
    assert pages(config) == [["Story B", "Story A"], ["Story D", "Story C"], ["Story E"]]
    assert (out / "archive/all/1.atom").read_bytes() == first
    assert (out / "archive/all/2.atom").read_bytes() == second

    # An edit rewrites the page holding the story, and no other.
    _edit(src / "b.md", "Story B", "Story B, revised")
    assert run(config, "2026-12-04T00:00:00Z") == 0
    assert pages(config) == [["Story B, revised", "Story A"], ["Story D", "Story C"],
                             ["Story E"]]
    assert (out / "archive/all/2.atom").read_bytes() == second

    # Unpublished, deleted: left out of their page; the pages keep their numbers.
    _edit(src / "c.md", "published: true", "published: false")
    (src / "d.md").unlink()
    assert run(config, "2026-12-05T00:00:00Z", "--allow-shrink") == 0
    assert pages(config) == [["Story B, revised", "Story A"], [], ["Story E"]]

    # Back again: the same place, not a new number.
    _edit(src / "c.md", "published: false", "published: true")
    article(src, "d.md", title="Story D", when="2026-12-01T10:00:00Z")
    article(src, "f.md", title="Story F", when="2026-12-05T10:00:00Z")
    assert run(config, "2026-12-06T00:00:00Z") == 0
    assert pages(config) == [["Story B, revised", "Story A"], ["Story D", "Story C"],
                             ["Story F", "Story E"], []]
    assert (out / "archive/all/2.atom").read_bytes() == second

    # The topic feed has its own numbering, the same way.
    assert pages(config, "topics/power-apps") == pages(config)
    assert cli.main(["check", "--strict", str(out)]) == 0


def test_without_the_index_archives_follow_the_current_selection(tmp_path: Path) -> None:
    config = archived_site(tmp_path / "site")
    src = config.source.folder
    for name, day in (("a", 2), ("b", 3), ("c", 4)):
        article(src, f"{name}.md", title=f"Story {name.upper()}",
                when=f"2026-11-{day:02d}T10:00:00Z")
    assert run(config, "2026-12-01T00:00:00Z") == 0
    article(src, "e.md", title="Story E", when="2026-11-01T10:00:00Z")
    assert run(config, "2026-12-03T00:00:00Z") == 0
    assert pages(config) == [["Story B", "Story A"], ["Story E", "Story C"], []]
    # No history: numbered by date alone, and the same bytes each time.
    assert run(config, "2026-12-03T00:00:00Z", "--no-index") == 0
    assert pages(config) == [["Story A", "Story E"], ["Story C", "Story B"], []]
    once = snapshot(config.output.folder)
    assert run(config, "2026-12-03T00:00:00Z", "--no-index") == 0
    assert snapshot(config.output.folder) == once


def _corpus(root: Path, n: int) -> Path:
    src = root / "src"
    load_generator().generate(src, n, seed=7, broken_rate=0.0)
    return src


def test_one_new_article_rewrites_a_bounded_number_of_files(tmp_path: Path) -> None:
    config = archived_site(tmp_path / "site", items=20, page=10)
    src, out = config.source.folder, config.output.folder
    _corpus(tmp_path / "site", 400)
    assert run(config, "2030-01-01T00:00:00Z") == 0
    before = snapshot(out)
    pages_before = [rel for rel in before if rel.startswith("archive/")]
    assert len(pages_before) > 300
    complete = _complete(pages_before)
    assert len(complete) > 60
    assert all(b"<fh:archive/>" in before[rel] for rel in complete
               if rel.endswith((".atom", ".rss")))
    assert sum(rel.endswith(".html") for rel in complete) > 15  # their browser views

    article(src, "zz-new.md", title="Brand new", when="2025-12-31T10:00:00Z",
            topics=("Power Apps",))
    assert run(config, "2030-01-02T00:00:00Z") == 0
    after = snapshot(out)
    changed = sorted(rel for rel in after if before.get(rel) != after[rel])
    # It enters three feeds (all, its topic, its provider): each feed's subscription
    # file and newest page in three formats and HTML, perhaps a new empty page, the
    # listings.
    assert 6 <= len(changed) <= 3 * 4 * 3 + 2, changed
    assert all(after[rel] == before[rel] for rel in complete)  # HTML views included
    assert cli.main(["check", "--strict", str(out)]) == 0


def _complete(rels: list[str]) -> set[str]:
    """Every page but the newest of its feed and format."""
    newest: dict[tuple[str, str], int] = {}
    for rel in rels:
        folder, _, name = rel.rpartition("/")
        number, ext = name.split(".")
        newest[(folder, ext)] = max(newest.get((folder, ext), 0), int(number))
    return {rel for rel in rels if int(rel.rpartition("/")[2].split(".")[0])
            < newest[(rel.rpartition("/")[0], rel.rsplit(".", 1)[1])]}


def _serve(folder: Path) -> tuple[object, threading.Thread, str]:
    server = make_server(folder, headers=Headers())
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_address[1]}/"


def test_clients_following_prev_archive_read_the_whole_history_once(tmp_path: Path) -> None:
    archived = archived_site(tmp_path / "a", items=15, page=7)
    src = _corpus(tmp_path / "a", 150)
    # The oracle: the same corpus in one uncapped feed, without archives.
    whole = make_site(tmp_path / "w", items=100_000, source=src)
    whole.path.write_text(whole.path.read_text(encoding="utf-8").replace(
        '[output]\nfolder = "out"\n', '[output]\nfolder = "out"\nmax_feed_bytes = 99999999\n'),
        encoding="utf-8")
    assert run(archived, LATE) == 0 and run(load_config(whole.path), LATE) == 0
    expected = {e.id for e in feedparser.parse(
        (tmp_path / "w/out/all.atom").read_bytes()).entries}
    assert len(expected) > 3 * 15  # a history well beyond the current feed
    out = archived.output.folder

    def local(url: str) -> bytes:
        return (out / url.removeprefix(BASE)).read_bytes()

    for fmt in ("atom", "rss", "json"):
        data = local(f"{BASE}all.{fmt}")
        current = _ids(data, fmt)
        history: list[str] = []
        while (url := _older(data, fmt)) is not None:
            data = local(url)
            history += _ids(data, fmt)
        assert len(history) == len(set(history)), fmt  # no entry on two pages
        assert set(history) == expected, fmt  # and none missing
        assert set(current) <= expected

    # reader, over HTTP: each page added as a feed, links read from what it fetched.
    server, thread, base = _serve(out)
    try:
        with make_reader(str(tmp_path / "reader.sqlite")) as reader:
            seen: list[str] = []
            url: str | None = base + "all.atom"
            while url is not None:
                reader.add_feed(url)
                reader.update_feed(url)
                seen += [e.id for e in reader.get_entries(feed=url)]
                prev = _link(etree.fromstring(local(url.replace(base, BASE))),
                             "prev-archive")
                url = None if prev is None else prev.replace(BASE, base)
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]
        thread.join(5)
    current_ids = {e.id for e in feedparser.parse(local(f"{BASE}all.atom")).entries}
    history = seen[len(current_ids):]
    assert len(history) == len(set(history)) and set(history) == expected
    assert cli.main(["check", "--strict", str(out)]) == 0


def _ids(data: bytes, fmt: str) -> list[str]:
    """Entry ids as feedparser reads them (feedparser 6.0 reads no JSON Feed: there,
    the items' ``id``)."""
    if fmt == "json":
        return [item["id"] for item in json.loads(data)["items"]]
    return [e.id for e in feedparser.parse(data).entries]


def _older(data: bytes, fmt: str) -> str | None:
    """The next older page: JSON Feed's ``next_url`` (feedparser keeps none, so it is
    read from the JSON), else the ``prev-archive`` link as feedparser reports it."""
    if fmt == "json":
        return json.loads(data).get("next_url")  # type: ignore[no-any-return]
    return next((link.href for link in feedparser.parse(data).feed.get("links", [])
                 if link.get("rel") == "prev-archive"), None)


def test_archives_off_write_nothing_new(tmp_path: Path) -> None:
    plain = make_site(tmp_path / "p")
    off = archived_site(tmp_path / "o", items=50)
    off.path.write_text(off.path.read_text(encoding="utf-8").replace(
        "archives = true", "archives = false"), encoding="utf-8")
    for config in (plain, load_config(off.path)):
        for name, day in (("a", 2), ("b", 3), ("c", 4)):
            article(config.source.folder, f"{name}.md", title=f"Story {name.upper()}",
                    when=f"2026-11-{day:02d}T10:00:00Z")
        assert run(config, "2026-12-01T00:00:00Z") == 0
    files = snapshot(tmp_path / "p/out")
    assert files == snapshot(tmp_path / "o/out")
    assert not any(rel.startswith("archive/") for rel in files)
    assert not any(re.search(rb"archive|next_url", data) for data in files.values())


@pytest.mark.parametrize("line", ["archive_page_size = 0", "archive_page_size = 1001",
                                  'archive_page_size = "50"', 'archives = "yes"'])
def test_bad_archive_settings_are_config_errors_naming_the_key(
        tmp_path: Path, line: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_site(tmp_path)
    text = config.path.read_text(encoding="utf-8")
    config.path.write_text(text.replace('[output]\nfolder = "out"\n',
                                        f'[output]\nfolder = "out"\n{line}\n'), "utf-8")
    assert run(config, "2026-12-01T00:00:00Z") == 2
    assert f"output.{line.split()[0]}" in capsys.readouterr().err


# --- the pure layout -------------------------------------------------------------------

def _plan(items: tuple[Article, ...]) -> FeedPlan:
    return FeedPlan(family="all", key="all", name="S", slug="all", title="S", subtitle="S",
                    items=items, updated=newest_updated(items))


def test_numbers_continue_from_the_stored_ones_and_pages_fill_in_order() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    items = tuple(Article(path=f"{n}.md", link=f"https://x.example/{n}", title=n,
                          excerpt="", published=when.replace(day=d),
                          updated=when.replace(day=d), type="article", quality=80,
                          heat=None, is_published=True, provider=None, topics=(),
                          images=(), related=(), embed_url=None)
                  for n, d in (("p", 5), ("q", 3), ("r", 9)))
    stored = {"all": {"id-q": 0, "id-gone": 1}}
    done = archive([_plan(items[:1])], [_plan(items)], stored, 2, lambda a: f"id-{a.title}")
    # q is known; p (day 5) then r (day 9) get the next numbers.
    assert done.added == (("all", "id-p", 2), ("all", "id-r", 3))
    assert [[a.title for a in page.items] for page in done.pages] == [["q"], ["r", "p"], []]
    assert [tuple(page.archive or ()) for page in done.pages] == [
        (1, True, 0), (2, True, 0), (3, False, 0)]
    assert done.plans[0].archive == (0, False, 3)
    assert newest_archive_url(done.plans[0], "atom", _config()) == \
        "https://feeds.example.org/archive/all/3.atom"
    assert newest_archive_url(done.pages[0], "atom", _config()) is None


def _config() -> Config:
    from syndicate.config import parse_config

    return parse_config({"site": {"title": "S", "base_url": BASE,
                                  "home_url": "https://news.example.org/"}},
                        Path("/tmp/config.toml"))


def test_switched_off_the_pages_go_stale_and_prune_removes_them(tmp_path: Path) -> None:
    config = archived_site(tmp_path / "site", items=50)
    plain = make_site(tmp_path / "plain")
    for site in (config, plain):
        for name, day in (("a", 2), ("b", 3), ("c", 4)):
            article(site.source.folder, f"{name}.md", title=f"Story {name.upper()}",
                    when=f"2026-11-{day:02d}T10:00:00Z")
    assert run(config, "2026-12-01T00:00:00Z") == 0 and run(plain, "2026-12-01T00:00:00Z") == 0
    out = config.output.folder
    pages_on = sorted(rel for rel in snapshot(out) if rel.startswith("archive/"))
    assert "archive/topics/power-apps/2.rss" in pages_on
    config.path.write_text(config.path.read_text(encoding="utf-8").replace(
        "archives = true", "archives = false"), encoding="utf-8")
    report = tmp_path / "report.json"
    assert run(config, "2026-12-02T00:00:00Z", "--report", str(report)) == 0
    assert json.loads(report.read_text(encoding="utf-8"))["stale"] == pages_on
    assert run(config, "2026-12-02T00:00:00Z", "--prune") == 0
    assert snapshot(out) == snapshot(plain.output.folder)


def test_an_alias_copy_links_the_kept_feeds_pages(tmp_path: Path) -> None:
    config = archived_site(tmp_path / "site", items=50,
                           extra="\n[topics.aliases]\n\"Power Platform\" = \"Power Apps\"\n")
    for name, day in (("a", 2), ("b", 3), ("c", 4)):
        article(config.source.folder, f"{name}.md", title=f"Story {name.upper()}",
                when=f"2026-11-{day:02d}T10:00:00Z",
                topics=("Power Platform",) if name == "a" else ("Power Apps",))
    assert run(config, "2026-12-01T00:00:00Z") == 0
    out = config.output.folder
    copy = etree.fromstring((out / "topics/power-platform.atom").read_bytes())
    # The newest complete page (page 2, still filling, is reached from page 1).
    assert _link(copy, "prev-archive") == f"{BASE}archive/topics/power-apps/1.atom"
    assert not (out / "archive/topics/power-platform").exists()
    assert pages(config, "topics/power-apps") == [["Story B", "Story A"], ["Story C"]]


def test_an_edit_only_build_keeps_the_uncapped_feeds_and_writes_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = archived_site(tmp_path / "one")
    for name, day in (("a", 2), ("b", 3), ("c", 4)):
        article(config.source.folder, f"{name}.md", title=f"Story {name.upper()}",
                when=f"2026-11-{day:02d}T10:00:00Z")
    assert run(config, "2026-12-01T00:00:00Z") == 0
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    other = load_config(tmp_path / "two/config.toml")
    # The second site forgets the kept members: it must select again.
    with sqlite3.connect(other.state_folder / "index.sqlite") as db:
        db.execute("DELETE FROM meta WHERE key = ?", (archive_history.MEMBERS,))
    for site in (config, other):
        _edit(site.source.folder / "b.md", "Story B", "Story B, revised")

    with monkeypatch.context() as patched:
        patched.setattr(archive_history, "select", _no_selection)
        assert run(config, "2026-12-02T00:00:00Z") == 0
    assert run(other, "2026-12-02T00:00:00Z") == 0
    assert pages(config) == [["Story B, revised", "Story A"], ["Story C"]]
    assert snapshot(config.output.folder) == snapshot(other.output.folder)


def _no_selection(*args: object, **kwargs: object) -> None:
    raise AssertionError("selected again although no selection view changed")


def test_an_edit_renders_only_the_pages_holding_the_story(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = archived_site(tmp_path / "site", items=20, page=10)
    src, out = _corpus(tmp_path / "site", 400), config.output.folder
    assert run(config, "2030-01-01T00:00:00Z") == 0
    before = snapshot(out)
    old = [rel for rel in before if rel.startswith("archive/")]
    # The oldest good, published story: on a complete page of every feed it is in.
    edited = next(p for p in sorted(src.glob("*.md"))
                  if "\npublished: true" in (text := p.read_text(encoding="utf-8"))
                  and re.search(r"\nquality: ([5-9]\d|100)\n", text) and '\ntitle: "' in text)
    _edit(edited, '\ntitle: "', '\ntitle: "Edited: ')
    laid_out: list[set[tuple[str, int]]] = []
    real_again = archive_history.again

    def spy(plans: object, layout: object, redo: set[tuple[str, int]],
            light: dict[str, Article]) -> object:
        laid_out.append(set(redo))
        assert len(light) <= len(redo) * 10  # the members of those pages, no more
        return real_again(plans, layout, redo, light)  # type: ignore[arg-type]

    with monkeypatch.context() as patched:
        patched.setattr(archive_history, "again", spy)
        patched.setattr(archive_history, "select", _no_selection)
        result = build(config, now=datetime(2030, 1, 2, tzinfo=UTC))
    after = snapshot(out)
    holding = {rel for rel in old if b"Edited: " in after[rel]}
    # One page per feed the story is in (all, its topics, its provider), each format
    # and its HTML view.
    assert len(holding) >= 2 * 4 and len(holding) % 4 == 0
    assert len(laid_out) == 1 and len(laid_out[0]) * 4 == len(holding)
    rendered_pages = {o.path for o in result.outputs if o.path.startswith("archive/")
                      and o.changed}
    assert rendered_pages == holding
    assert all(after[rel] == before[rel] for rel in old if rel not in holding)
    assert set(after) == set(before)
    # Every page file the build did not render is still the build's own (kept with its
    # stamp and kind), the browser views included: none is stale, none pruned next.
    ours = {o.path: o.kind for o in result.outputs if o.path.startswith("archive/")}
    assert set(ours) == {rel for rel in after if rel.startswith("archive/")}
    assert {rel for rel, kind in ours.items() if kind == "page"} == {
        rel for rel in after if rel.startswith("archive/") and rel.endswith(".html")}
    # Rendered: those pages, the subscription feeds holding the story, the listings.
    assert result.rendered <= 2 * len(holding) + 2
    # The same bytes as a build that lays out every page from scratch.
    shutil.copytree(tmp_path / "site", tmp_path / "fresh", ignore=shutil.ignore_patterns(
        "out", "state"))
    fresh = load_config(tmp_path / "fresh/config.toml")
    assert run(fresh, "2030-01-02T00:00:00Z") == 0
    assert snapshot(fresh.output.folder) == after


def test_touched_names_the_pages_holding_a_changed_record_and_no_other() -> None:
    layout = {"all": [["b", "a"], ["d", "c"], []], "topics/x": [["c", "a"]]}
    before = {p: p.encode() for p in "abcd"}
    assert touched(layout, before, dict(before)) == set()
    now = {**before, "c": b"edited"}
    assert touched(layout, before, now) == {("all", 2), ("topics/x", 1)}
    # A member whose digest is unknown on either side counts as changed.
    assert touched(layout, before, {p: before[p] for p in "abc"}) == {
        ("all", 2)}
