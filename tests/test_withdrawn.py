"""Withdrawn stories (issue 12, RFC 6721), through the CLI with ``--now`` advancing: a
story that leaves a feed for a reason other than age is announced in the Atom feed
with ``at:deleted-entry`` (``ref`` = its id, ``when`` = the build that first saw it
gone) for ``output.withdrawn_days``; one pushed out by newer stories is not; one that
comes back keeps its id and loses its tombstone."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
from lxml import etree
from test_build import article, make_site, snapshot

from syndicate import cli
from syndicate.config import Config, load_config

ATOM = "{http://www.w3.org/2005/Atom}"
AT = "{http://purl.org/atompub/tombstones/1.0}"


def site(root: Path, items: int = 50) -> Config:
    config = make_site(root, items=items)
    src = config.source.folder
    for name, day in (("a", 1), ("b", 2), ("c", 3)):
        article(src, f"{name}.md", title=f"Story {name.upper()}",
                when=f"2026-11-{day:02d}T10:00:00Z")
    return load_config(config.path)


def run(config: Config, now: str, *extra: str) -> int:
    return cli.main(["build", "--config", str(config.path), "--now", now, *extra])


def feed(config: Config, rel: str = "all.atom") -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(title -> id of each entry, [(ref, when) of each tombstone])."""
    root = etree.fromstring((config.output.folder / rel).read_bytes())
    entries = {e.findtext(f"{ATOM}title") or "": e.findtext(f"{ATOM}id") or ""
               for e in root.iter(f"{ATOM}entry")}
    stones = [(d.get("ref") or "", d.get("when") or "")
              for d in root.iter(f"{AT}deleted-entry")]
    return entries, stones


def test_withdrawn_stories_are_announced_for_the_retention_then_forgotten(
        tmp_path: Path) -> None:
    config = site(tmp_path)
    src = config.source.folder
    assert run(config, "2026-12-01T00:00:00Z") == 0
    ids, stones = feed(config)
    assert set(ids) == {"Story A", "Story B", "Story C"} and stones == []
    # B unpublished, C's file deleted.
    b = src / "b.md"
    b.write_text(b.read_text(encoding="utf-8").replace("published: true",
                                                        "published: false"), "utf-8")
    (src / "c.md").unlink()
    # Two of three stories leave at once: more than safety.max_shrink allows, so the
    # publish guard would refuse the run; this editor means it.
    assert run(config, "2026-12-02T08:00:00Z") == 1
    assert run(config, "2026-12-02T08:00:00Z", "--allow-shrink") == 0
    now, stones = feed(config)
    assert set(now) == {"Story A"}
    expected = sorted([(ids["Story B"], "2026-12-02T08:00:00+00:00"),
                       (ids["Story C"], "2026-12-02T08:00:00+00:00")])
    assert stones == expected
    # The topic and provider feeds carry them too; RSS and JSON Feed do not.
    assert feed(config, "topics/power-apps.atom")[1] == expected
    assert b"deleted-entry" not in (config.output.folder / "all.rss").read_bytes()
    assert b"deleted-entry" not in (config.output.folder / "all.json").read_bytes()
    # Later builds keep the moment it was first seen gone.
    article(src, "d.md", title="Story D", when="2026-12-03T10:00:00Z")
    assert run(config, "2026-12-05T00:00:00Z") == 0
    assert feed(config)[1] == expected
    # A no-change rebuild past the retention (7 days) drops them: nothing else moved.
    assert run(config, "2026-12-09T07:59:59Z") == 0
    assert feed(config)[1] == expected
    assert run(config, "2026-12-09T08:00:00Z") == 0
    assert feed(config)[1] == []
    # Valid, and readable by a real client.
    assert cli.main(["check", "--strict", str(config.output.folder)]) == 0


def test_a_story_that_comes_back_keeps_its_id_and_loses_its_tombstone(
        tmp_path: Path) -> None:
    config = site(tmp_path)
    b = config.source.folder / "b.md"
    text = b.read_text(encoding="utf-8")
    assert run(config, "2026-12-01T00:00:00Z") == 0
    ids, _ = feed(config)
    b.write_text(text.replace("published: true", "published: false"), "utf-8")
    assert run(config, "2026-12-02T00:00:00Z") == 0
    assert [ref for ref, _ in feed(config)[1]] == [ids["Story B"]]
    parsed = feedparser.parse((config.output.folder / "all.atom").read_bytes())
    assert not parsed.bozo and [e.title for e in parsed.entries] == ["Story C", "Story A"]
    b.write_text(text, "utf-8")
    assert run(config, "2026-12-03T00:00:00Z") == 0
    again, stones = feed(config)
    assert again == ids and stones == []


def test_stories_pushed_out_by_newer_ones_are_not_announced(tmp_path: Path) -> None:
    config = site(tmp_path, items=3)
    assert run(config, "2026-12-01T00:00:00Z") == 0
    article(config.source.folder, "d.md", title="Story D", when="2026-11-20T10:00:00Z")
    assert run(config, "2026-12-02T00:00:00Z") == 0
    ids, stones = feed(config)
    assert set(ids) == {"Story B", "Story C", "Story D"} and stones == []
    # But a story removed from a full feed is announced, though older ones remain.
    c = config.source.folder / "c.md"
    c.write_text(c.read_text(encoding="utf-8").replace("quality: 80", "quality: 10"),
                 "utf-8")
    assert run(config, "2026-12-03T00:00:00Z") == 0
    now, stones = feed(config)
    assert set(now) == {"Story A", "Story B", "Story D"}
    assert stones == [(ids["Story C"], "2026-12-03T00:00:00+00:00")]


def test_history_survives_restarts_and_no_index_builds_announce_nothing(
        tmp_path: Path) -> None:
    config = site(tmp_path)
    assert run(config, "2026-12-01T00:00:00Z") == 0
    (config.source.folder / "a.md").unlink()
    report = tmp_path / "report.json"
    assert run(config, "2026-12-02T00:00:00Z", "--report", str(report)) == 0
    assert len(feed(config)[1]) == 1
    # Same state, same --now: the same bytes (the history is read, not rewritten).
    before = snapshot(config.output.folder)
    assert run(config, "2026-12-02T00:00:00Z") == 0
    assert snapshot(config.output.folder) == before
    # --no-index has no history: no tombstones, and the state folder is not touched.
    assert run(config, "2026-12-02T00:00:00Z", "--no-index") == 0
    assert feed(config)[1] == []
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["read"] == 2
    assert run(config, "2026-12-02T00:00:00Z") == 0
    assert len(feed(config)[1]) == 1
    # withdrawn_days = 0 switches announcements off.
    text = config.path.read_text(encoding="utf-8")
    config.path.write_text(text.replace("[output]\n", "[output]\nwithdrawn_days = 0\n"),
                           encoding="utf-8")
    assert run(config, "2026-12-02T00:00:00Z") == 0
    assert feed(config)[1] == []


def test_the_build_module_does_not_load_the_renderers() -> None:
    # A no-change build never renders: importing the build (and the history module it
    # uses) must not pull in feedgen or lxml.
    import subprocess
    import sys

    code = ("import sys, syndicate.build\n"
            "print(sorted(m for m in ('feedgen', 'lxml') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_entry_ids_are_remembered_between_builds_and_a_foreign_record_is_ignored(
        tmp_path: Path) -> None:
    """The ids of the last build's items are kept in the index (a one-file build need
    not derive them all again); what is kept is exactly what the feed carries, and a
    record made by other rules is not used."""
    from syndicate.index import open_index, read_key
    from syndicate.render import common
    from syndicate.withdrawn import ENTRY_IDS, seed_entry_ids

    config = site(tmp_path / "site")
    assert run(config, "2026-12-01T00:00:00Z") == 0
    entries, _ = feed(config)
    index = open_index(config.state.folder, read_key(
        config.source.folder, config.source.patterns, config.source.max_file_bytes))
    try:
        raw = index.get_meta(ENTRY_IDS)
    finally:
        index.close()
    assert isinstance(raw, tuple)
    assert sorted(raw[1].values()) == sorted(entries.values())
    # A rebuild from the memo gives the same bytes as a build deriving every id.
    before = snapshot(config.output.folder)
    article(config.source.folder, "a.md", title="Story A, edited",
            when="2026-11-01T10:00:00Z")
    assert run(config, "2026-12-02T00:00:00Z") == 0
    remembered = snapshot(config.output.folder)
    assert remembered != before
    fresh = load_config(config.path)
    assert cli.main(["build", "--config", str(fresh.path), "--now", "2026-12-02T00:00:00Z",
                     "--no-index", "--out", str(tmp_path / "fresh")]) == 0
    assert snapshot(tmp_path / "fresh") == remembered
    # Another version's (or a damaged) record seeds nothing.
    link = next(iter(raw[1]))
    assert seed_entry_ids((("0.0.0", -1), {link: "urn:uuid:not-ours"})) == {}
    assert seed_entry_ids({"not": "a tuple"}) == {}
    assert common._KNOWN_IDS == {}
    assert seed_entry_ids(raw) == raw[1]
