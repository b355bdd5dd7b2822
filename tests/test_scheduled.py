"""Scheduled publishing (issue 12): an article dated after the build's ``--now`` is held
back from every feed, the OPML and the index page, reported as ``scheduled`` with its
due time, and enters on the first build at or after that moment — with the
incremental index or without it, the same bytes either way."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from lxml import etree
from test_build import article, make_site, snapshot, without_tombstones

from syndicate import cli
from syndicate.config import Config, load_config

ATOM = "{http://www.w3.org/2005/Atom}"
DUE_B = "2026-12-07T09:00:00Z"
DUE_C = "2026-12-08T00:00:00Z"


def scheduled_site(root: Path) -> Config:
    config = make_site(root)
    src = config.source.folder
    article(src, "a-live.md", title="Live", when="2026-12-01T08:00:00Z")
    article(src, "b-future.md", title="Future", topics=("Quantum",),
            provider=("Q Wire", "qwire.example.org"), when=DUE_B)
    # Live by its publishedDateTime, but updated after --now: a future date would reach
    # the feed, so it waits for its updatedDateTime.
    file = article(src, "c-updated.md", title="Updated", when="2026-11-30T08:00:00Z")
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace("publishedDateTime:", f"updatedDateTime: {DUE_C}\n"
                                 "publishedDateTime:"), encoding="utf-8")
    article(src, "d-low.md", title="Low", quality=10, when="2027-01-01T00:00:00Z")
    return config


def run(config: Config, now: str, *extra: str) -> int:
    return cli.main(["build", "--config", str(config.path), "--now", now, *extra])


def titles(out: Path) -> dict[str, list[str]]:
    """Every feed's item titles in feed order, read from the Atom and the JSON files
    (which must agree), and the feed count of each OPML outline."""
    seen: dict[str, list[str]] = {}
    for file in sorted(out.rglob("*.atom")):
        rel = file.relative_to(out).as_posix().removesuffix(".atom")
        root = etree.fromstring(file.read_bytes())
        seen[rel] = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
        feed = json.loads((out / f"{rel}.json").read_text(encoding="utf-8"))
        assert [i["title"] for i in feed["items"]] == seen[rel]
        rss = etree.fromstring((out / f"{rel}.rss").read_bytes())
        assert [t.text for t in rss.iterfind("channel/item/title")] == seen[rel]
    return seen


def summary(caplog: pytest.LogCaptureFixture) -> str:
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("read ")]
    caplog.clear()
    return lines[-1]


def clean_build(config: Config, tmp: Path, now: str) -> dict[str, bytes]:
    """The same site built from scratch (no state, no output) at ``now``."""
    fresh = tmp / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(config.path.parent, fresh,
                    ignore=shutil.ignore_patterns("out", "state", "*.json"))
    other = load_config(fresh / "config.toml")
    assert run(other, now, "--no-index") == 0
    return snapshot(other.output.folder)


STEPS = [
    # (--now, titles per feed, scheduled count, next due)
    ("2026-12-06T10:00:00Z",
     {"all": ["Live"], "providers/techherald-example-com": ["Live"], "topics/power-apps": ["Live"]},
     2, DUE_B),
    ("2026-12-07T08:59:59.999999Z",
     {"all": ["Live"], "providers/techherald-example-com": ["Live"], "topics/power-apps": ["Live"]},
     2, DUE_B),
    (DUE_B,
     {"all": ["Future", "Live"], "providers/qwire-example-org": ["Future"],
      "providers/techherald-example-com": ["Live"], "topics/power-apps": ["Live"],
      "topics/quantum": ["Future"]},
     1, DUE_C),
    ("2026-12-09T00:00:00Z",
     {"all": ["Future", "Live", "Updated"], "providers/qwire-example-org": ["Future"],
      "providers/techherald-example-com": ["Live", "Updated"],
      "topics/power-apps": ["Live", "Updated"], "topics/quantum": ["Future"]},
     0, None),
]


@pytest.mark.parametrize("use_index", [True, False], ids=["index", "no-index"])
def test_scheduled_articles_enter_on_the_first_build_at_their_time(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, use_index: bool) -> None:
    config = scheduled_site(tmp_path / "site")
    flags = () if use_index else ("--no-index",)
    report = tmp_path / "site" / "report.json"
    out = config.output.folder
    caplog.set_level(logging.INFO)
    for now, expected, held, due in STEPS:
        assert run(config, now, "--report", str(report), *flags) == 0
        assert titles(out) == expected, now
        line = summary(caplog)
        data = json.loads(report.read_text(encoding="utf-8"))
        assert data["next_due"] == due
        assert data["summary"]["scheduled"] == held
        s = data["summary"]
        assert s["read"] == s["selected"] + s["filtered"] + s["rejected"] + s["scheduled"]
        status = {a["path"]: (a["status"], a["reason"]) for a in data["articles"]}
        # Below every quality bar: filtered for that, whatever its date.
        assert status["d-low.md"] == ("filtered", "quality 10 < 50")
        if due is None:
            assert "scheduled" not in line
        else:
            assert f" rejected, {held} scheduled, 0 warnings;" in line
            assert f"; next scheduled article due {due};" in line
        if now < DUE_B:
            assert status["b-future.md"] == ("scheduled", f"scheduled for {DUE_B}")
        if now < DUE_C:
            assert status["c-updated.md"] == (
                "scheduled", f"scheduled for {DUE_C} (its updatedDateTime)")
        # Nothing that is not in a feed shows in the OPML or on the index page.
        opml = (out / "feeds.opml").read_text(encoding="utf-8")
        page = (out / "index.html").read_text(encoding="utf-8")
        assert ("quantum" in opml) == ("topics/quantum" in expected)
        assert ("Quantum" in page) == ("topics/quantum" in expected)
        # Incremental or not, the bytes are those of a clean build at the same moment.
        assert snapshot(out) == clean_build(config, tmp_path, now), now


def test_a_rebuild_before_the_due_time_writes_nothing_and_one_at_it_reselects(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = scheduled_site(tmp_path)
    caplog.set_level(logging.INFO)
    assert run(config, "2026-12-06T10:00:00Z") == 0
    summary(caplog)
    before = snapshot(config.output.folder)
    assert run(config, "2026-12-07T08:00:00Z") == 0
    assert "; 9 feed files unchanged; feeds.opml and index.html unchanged;" in summary(caplog)
    assert snapshot(config.output.folder) == before
    # No file changed, only the moment: the held article must still come in.
    assert run(config, "2026-12-07T09:00:01Z") == 0
    line = summary(caplog)
    assert "1 scheduled" in line and f"next scheduled article due {DUE_C}" in line
    assert titles(config.output.folder)["all"] == ["Future", "Live"]
    # Back in time (a replayed --now): the article is held again; its feeds are stale
    # (kept unless --prune, as for any feed that lost its last article).
    assert run(config, "2026-12-06T10:00:00Z", "--prune") == 0
    after = snapshot(config.output.folder)
    assert without_tombstones(after) == before
    # ... and, being out of the feed again, it is announced as withdrawn (RFC 6721).
    assert b'<at:deleted-entry ref="urn:uuid:' in after["all.atom"]


def test_two_builds_with_the_same_now_give_the_same_bytes(tmp_path: Path) -> None:
    one = scheduled_site(tmp_path / "one")
    two = scheduled_site(tmp_path / "two")
    assert run(one, "2026-12-07T12:00:00+03:00") == 0
    assert run(two, "2026-12-07T09:00:00Z", "--no-index") == 0
    assert snapshot(one.output.folder) == snapshot(two.output.folder)
    assert titles(one.output.folder)["all"] == ["Future", "Live"]


def test_a_future_copy_of_a_story_does_not_hide_the_live_one(tmp_path: Path) -> None:
    config = make_site(tmp_path)
    src = config.source.folder
    url = "https://news.example.com/story"
    article(src, "a-live.md", title="Live copy", quality=60, url=url,
            when="2026-12-01T08:00:00Z")
    article(src, "b-later.md", title="Better copy", quality=90, url=url + "?utm_source=x",
            when="2026-12-10T08:00:00Z")
    report = tmp_path / "report.json"
    assert run(config, "2026-12-06T10:00:00Z", "--report", str(report)) == 0
    status = {a["path"]: (a["status"], a["reason"])
              for a in json.loads(report.read_text(encoding="utf-8"))["articles"]}
    assert status["b-later.md"] == ("scheduled", "scheduled for 2026-12-10T08:00:00Z")
    assert status["a-live.md"][0] == "selected"
    assert titles(config.output.folder)["all"] == ["Live copy"]
    assert run(config, "2026-12-10T08:00:00Z", "--report", str(report)) == 0
    status = {a["path"]: (a["status"], a["reason"])
              for a in json.loads(report.read_text(encoding="utf-8"))["articles"]}
    assert status["a-live.md"] == ("filtered", "duplicate of b-later.md")
    assert titles(config.output.folder)["all"] == ["Better copy"]


def test_explain_says_when_a_scheduled_article_is_due(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = scheduled_site(tmp_path)
    files = [str(config.source.folder / n) for n in ("a-live.md", "b-future.md")]
    assert cli.main(["explain", "--config", str(config.path), "--now",
                     "2026-12-06T10:00:00Z", *files]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("a-live.md: selected: all, topics/power-apps, "
                             "providers/techherald-example-com")
    assert lines[1].endswith(f"b-future.md: scheduled: scheduled for {DUE_B}")
    assert cli.main(["explain", "--config", str(config.path), "--now", DUE_B,
                     files[1]]) == 0
    assert capsys.readouterr().out.endswith(
        "b-future.md: selected: all, topics/quantum, providers/qwire-example-org\n")


def test_every_output_with_held_articles_passes_the_strict_checker(tmp_path: Path) -> None:
    config = scheduled_site(tmp_path)
    assert run(config, "2026-12-06T10:00:00Z") == 0
    assert cli.main(["check", "--strict", str(config.output.folder)]) == 0


def test_a_last_build_recorded_before_scheduling_existed_is_not_trusted(
        tmp_path: Path) -> None:
    from syndicate.incremental import LastBuild

    config = scheduled_site(tmp_path)
    assert run(config, "2026-12-09T00:00:00Z") == 0  # everything in the feeds
    # What an older syndicate stored: the same record without the moments.
    from syndicate.index import open_index, read_key

    key = read_key(config.source.folder, config.source.patterns,
                   config.source.max_file_bytes)
    index = open_index(config.state_folder, key)
    index.begin()
    raw = index.get_meta("last_build")
    assert isinstance(raw, dict) and LastBuild.from_meta(raw) is not None
    for later in ("moments", "trims", "expires"):
        del raw[later]
    assert LastBuild.from_meta(raw) is None
    index.set_meta("last_build", raw)
    index.commit()
    index.close()
    # No file changed, but the record cannot say what was held: select again.
    assert run(config, "2026-12-06T10:00:00Z") == 0
    assert titles(config.output.folder)["all"] == ["Live"]


def test_articles_held_back_again_are_not_a_shrink(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    # Three live articles, then a --now before two of them: those two are held (still
    # in the source, only not due yet), which the publish guard must not take for two
    # of three articles lost (66.7% > safety.max_shrink's 50%).
    config = make_site(tmp_path)
    src = config.source.folder
    for name, day in (("a", 1), ("b", 3), ("c", 4)):
        article(src, f"{name}.md", title=f"Story {name.upper()}",
                when=f"2026-12-{day:02d}T10:00:00Z")
    assert run(config, "2026-12-06T10:00:00Z") == 0
    caplog.set_level(logging.INFO)
    assert run(config, "2026-12-02T10:00:00Z") == 0
    line = summary(caplog)
    assert "1 selected, 0 filtered, 0 rejected, 2 scheduled, " in line
    assert titles(config.output.folder)["all"] == ["Story A"]


def test_held_articles_do_not_hide_a_real_shrink(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    # Five live articles; then three files vanish and one more is held: 1 published
    # and 1 held against a baseline of 5 is 3 lost (60% > 50%), refused, and the
    # refusal counts the held article apart.
    config = make_site(tmp_path)
    src = config.source.folder
    for name, day in (("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)):
        article(src, f"{name}.md", title=f"Story {name.upper()}",
                when=f"2026-12-{day:02d}T10:00:00Z")
    assert run(config, "2026-12-06T10:00:00Z") == 0
    before = snapshot(config.output.folder)
    for name in ("b", "c", "d"):
        (src / f"{name}.md").unlink()
    caplog.set_level(logging.INFO)
    assert run(config, "2026-12-03T10:00:00Z") == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [("syndicate: 1 selected article (and 1 scheduled), down from 5 in the "
                       "last published build (60% fewer; safety.max_shrink allows 50%): "
                       "nothing published; run with --allow-shrink if this is intended")]
    assert snapshot(config.output.folder) == before
