"""The build pipeline end to end: accounting, exit codes, stale feeds, parallel parsing,
WebSub pings, and the no-change rebuild that does nothing.

Helpers here (``make_site``, ``article``, ``build``, ``snapshot``) are shared with the
index, report and explain tests.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from corpus_generator import load_generator

from syndicate import cli
from syndicate.build import run_build
from syndicate.config import Config, load_config
from syndicate.lock import acquire_lock
from syndicate.result import BuildOptions, BuildResult
from syndicate.source import discover

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "articles"
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # the builds' --now

CONFIG = """\
[site]
title = "Test Site"
base_url = "https://feeds.example.org/"
home_url = "https://news.example.org/"
language = "en"

[source]
folder = "src"
patterns = {patterns}

[selection]
min_quality = 50
items_per_feed = {items}

[output]
folder = "out"

[websub]
hubs = {hubs}

[state]
folder = "state"
"""


def make_site(root: Path, *, patterns: tuple[str, ...] = ("*.md",), items: int = 50,
              hubs: tuple[str, ...] = (), source: Path | None = None) -> Config:
    """A config in ``root`` (src/, out/, state/); ``source`` is copied into src/."""
    root.mkdir(parents=True, exist_ok=True)
    text = CONFIG.format(patterns=list(patterns), items=items, hubs=list(hubs))
    (root / "config.toml").write_text(text.replace("'", '"'), encoding="utf-8")
    if source is not None:
        shutil.copytree(source, root / "src")
    else:
        (root / "src").mkdir(exist_ok=True)
    return load_config(root / "config.toml")


def article(folder: Path, name: str, *, title: str = "A story", quality: int = 80,
            published: str = "true", topics: tuple[str, ...] = ("Power Apps",),
            provider: tuple[str, str] = ("Tech Herald", "techherald.example.com"),
            url: str | None = None, when: str = "2024-03-01T10:00:00Z") -> Path:
    """Write one well-formed record; returns its path."""
    link = url or f"https://news.example.com/{name.removesuffix('.md')}"
    topic_lines = "".join(f"  - {t}\n" for t in topics)
    text = (f"---\ntitle: \"{title}\"\nexcerpt: \"About {title}.\"\n"
            f"publishedDateTime: {when}\nwebUrl: \"{link}\"\ntype: article\n"
            f"quality: {quality}\nheat: {quality}\npublished: {published}\n"
            f"provider:\n  name: {provider[0]}\n  domain: {provider[1]}\n"
            f"topics:\n{topic_lines}---\n")
    file = folder / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    return file


BROKEN = "---\ntitle: \"unterminated\nquality: [1, 2\n---\n"


def build(config: Config, **options: Any) -> BuildResult:
    return run_build(config, BuildOptions(**{"now": NOW, **options}))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative POSIX path -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


_TOMBSTONE = re.compile(rb'\n *<at:deleted-entry ref="[^"]*" when="[^"]*"/>')
_TOMBSTONE_NS = b' xmlns:at="http://purl.org/atompub/tombstones/1.0"'


def without_tombstones(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` without RFC 6721 announcements (which only a build with history
    writes); each announced id must be absent from the feed's entries."""
    out: dict[str, bytes] = {}
    for rel, data in files.items():
        if rel.endswith(".atom") and _TOMBSTONE_NS in data:
            for ref in re.findall(rb'deleted-entry ref="([^"]*)"', data):
                assert b"<id>" + ref + b"</id>" not in data, (rel, ref)
            data = _TOMBSTONE.sub(b"", data.replace(_TOMBSTONE_NS, b"", 1))
        out[rel] = data
    return out


def mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
            for p in sorted(folder.rglob("*")) if p.is_file()}


def small_site(root: Path) -> Config:
    config = make_site(root)
    src = config.source.folder
    article(src, "2024-03-01-one.md", title="One", topics=("Power Apps", "AI Builder"))
    article(src, "2024-03-02-two.md", title="Two", quality=30, when="2024-03-02T10:00:00Z")
    article(src, "2024-03-03-three.md", title="Three", published="false",
            when="2024-03-03T10:00:00Z")
    article(src, "nested/2024-03-04-four.md", title="Four", topics=("Teams integration",),
            provider=("Other News", "other.example.net"), when="2024-03-04T10:00:00Z")
    (src / "2024-03-05-broken.md").write_text(BROKEN, encoding="utf-8")
    (src / "notes.txt").write_text("not an article", encoding="utf-8")
    return config


def statuses(result: BuildResult) -> dict[str, str]:
    return {o.path: o.status for o in result.outcomes}


# --- accounting ------------------------------------------------------------------------

def test_every_file_ends_in_exactly_one_state(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    result = build(config)
    assert statuses(result) == {
        "2024-03-01-one.md": "selected",
        "2024-03-02-two.md": "filtered",
        "2024-03-03-three.md": "filtered",
        "2024-03-05-broken.md": "rejected",
        "nested/2024-03-04-four.md": "selected",
    }
    assert result.read == 5 == result.selected + result.filtered + result.rejected
    reasons = {o.path: o.reason for o in result.outcomes}
    assert reasons["2024-03-02-two.md"] == "quality 30 < 50"
    assert reasons["2024-03-03-three.md"] == "unpublished"
    broken = next(o for o in result.outcomes if o.status == "rejected")
    assert broken.line is not None and broken.column is not None


def test_feeds_hold_the_selected_articles(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    result = build(config)
    out = config.output.folder
    all_atom = (out / "all.atom").read_text(encoding="utf-8")
    assert "One" in all_atom and "Four" in all_atom and "Two" not in all_atom
    paths = {o.path for o in result.feeds}
    assert {"all.atom", "all.rss", "all.json"} <= paths
    assert any(p.startswith("topics/") for p in paths)
    assert any(p.startswith("providers/") for p in paths)
    assert all((out / p).is_file() for p in paths)
    assert (out / "feeds.opml").is_file() and (out / "index.html").is_file()
    assert next(o for o in result.feeds if o.path == "all.atom").items == 2


def test_sample_articles_build_with_every_file_accounted(tmp_path: Path) -> None:
    config = make_site(tmp_path, source=SAMPLES)
    result = build(config)
    files = sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*.md"))
    assert sorted(o.path for o in result.outcomes) == files
    assert result.selected > 0 and result.parsed == len(files)
    assert result.read == result.selected + result.filtered + result.rejected


def test_real_corpus_builds_with_every_file_accounted(tmp_path: Path,
                                                      shared_corpus: Path) -> None:
    config = make_site(tmp_path, patterns=("*.md", "*.txt"), source=shared_corpus)
    result = build(config)
    assert result.read == 197
    assert len({o.path for o in result.outcomes}) == 197
    assert result.selected + result.filtered + result.rejected == 197
    assert result.selected > 0
    # The two records sharing one webUrl: one of them is filtered as a duplicate.
    assert any(o.reason.startswith("duplicate of ") for o in result.outcomes)


def test_every_file_discovery_finds_is_accounted_for_by_a_build(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    src = config.source.folder
    (src / ".hidden").mkdir()
    article(src / ".hidden", "2024-01-01-secret.md")
    (src / ".dotfile.md").write_text(BROKEN, encoding="utf-8")
    (src / "UPPER.MD").write_text(BROKEN, encoding="utf-8")
    (src / "dir.md").mkdir()
    os.symlink(src / "2024-03-01-one.md", src / "link.md")
    os.symlink(tmp_path / "nowhere", src / "dangling.md")
    os.symlink(src / "nested", src / "linked-folder")
    expected = sorted(rel for rel, _, _ in discover(config.source))
    # Symlinks named like articles are listed (to be accounted for); hidden entries,
    # other names, folders named like articles and symlinked folders are not.
    assert {"link.md", "dangling.md"} <= set(expected)
    assert not [p for p in expected if p.startswith((".", "linked-folder/", "dir.md"))
                or "/." in p or p == "UPPER.MD"]
    # ...and each of them is accounted for by a build.
    result = build(config)
    assert sorted(o.path for o in result.outcomes) == expected
    assert statuses(result)["dangling.md"] == "rejected"
    assert statuses(result)["link.md"] == "filtered"  # the same story as its target
    assert "dir.md" not in statuses(result)  # a folder named like an article is a folder


# --- no change, one change ------------------------------------------------------------

def test_nothing_changed_rebuild_parses_nothing_and_writes_nothing(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    first = build(config)
    assert first.parsed == 5 and first.written > 0
    before, stamps = snapshot(config.output.folder), mtimes(config.output.folder)
    second = build(config)
    assert (second.parsed, second.reused, second.rendered, second.written) == (0, 5, 0, 0)
    assert second.skipped_render
    assert snapshot(config.output.folder) == before
    assert mtimes(config.output.folder) == stamps
    # Same accounting as the build that did the work.
    assert second.outcomes == first.outcomes
    assert [(o.path, o.items) for o in second.outputs] == [
        (o.path, o.items) for o in first.outputs]


def test_deleted_output_file_is_rewritten_on_a_no_change_run(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    before = snapshot(config.output.folder)
    (config.output.folder / "all.atom").unlink()
    result = build(config)
    assert result.parsed == 0 and result.written == 1
    assert snapshot(config.output.folder) == before


def test_hand_edited_output_of_same_size_is_rewritten(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    before = snapshot(config.output.folder)
    target = config.output.folder / "topics" / "power-apps.json"
    target.write_bytes(b"x" * len(before["topics/power-apps.json"]))
    result = build(config)
    assert result.parsed == 0 and result.written == 1
    assert snapshot(config.output.folder) == before


def test_one_changed_file_reparses_one_and_rewrites_only_its_feeds(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    before = snapshot(config.output.folder)
    article(config.source.folder, "nested/2024-03-04-four.md", title="Four, revised",
            topics=("Teams integration",), provider=("Other News", "other.example.net"),
            when="2024-03-04T10:00:00Z")
    result = build(config)
    assert result.parsed == 1 and result.reused == 4
    after = snapshot(config.output.folder)
    changed = {p for p in after if after[p] != before.get(p)}
    assert "all.atom" in changed
    assert changed == {o.path for o in result.outputs if o.changed}
    # Feeds that do not carry the article are untouched.
    assert not any(p.startswith("topics/power-apps") for p in changed)
    assert "Four, revised" in after["all.atom"].decode("utf-8")


# --- parallel --------------------------------------------------------------------------

@pytest.mark.parametrize("corpus", ["generated", "shared"])
def test_parallel_build_writes_the_same_bytes_as_one_process(
        corpus: str, tmp_path: Path, request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import syndicate.render_all

    # Force both stages into worker processes: parsing and rendering.
    monkeypatch.setattr(syndicate.render_all, "RENDER_PARALLEL_THRESHOLD", 2)
    if corpus == "shared":
        source: Path = request.getfixturevalue("shared_corpus")
    else:  # the benchmark's realistic records, enough for every worker to get many
        source = tmp_path / "generated"
        load_generator().generate(source, 240, seed=16)
    patterns = ("*.md", "*.txt")
    one = make_site(tmp_path / "one", patterns=patterns, source=source)
    many = make_site(tmp_path / "many", patterns=patterns, source=source)
    (many.source.folder / "zz-broken.md").write_text(BROKEN, encoding="utf-8")
    (one.source.folder / "zz-broken.md").write_text(BROKEN, encoding="utf-8")
    r1 = build(one, jobs=1)
    rn = build(many, jobs=3, parallel_threshold=1)
    assert r1.parsed == rn.parsed > 100
    assert snapshot(one.output.folder) == snapshot(many.output.folder)
    assert r1.outcomes == rn.outcomes


def test_no_index_builds_the_same_bytes_and_leaves_no_index(tmp_path: Path) -> None:
    a = small_site(tmp_path / "a")
    b = small_site(tmp_path / "b")
    build(a)
    result = build(b, use_index=False)
    assert result.parsed == 5
    assert snapshot(a.output.folder) == snapshot(b.output.folder)
    assert not (b.state_folder / "index.sqlite").exists()
    assert build(b, use_index=False).parsed == 5  # nothing remembered


# --- stale feeds -----------------------------------------------------------------------

def test_feed_of_vanished_topic_is_stale_and_kept_without_prune(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    out = config.output.folder
    four = config.source.folder / "nested/2024-03-04-four.md"
    topic_feeds = {p for p in snapshot(out) if p.startswith("topics/teams-integration")}
    assert topic_feeds
    four.unlink()
    result = build(config)
    assert set(result.stale) >= topic_feeds
    assert all((out / p).exists() for p in topic_feeds)
    assert "teams-integration" not in (out / "feeds.opml").read_text(encoding="utf-8")
    assert "Four" not in (out / "all.atom").read_text(encoding="utf-8")
    assert "nested/2024-03-04-four.md" not in statuses(result)

    pruned = build(config, prune=True)
    assert set(pruned.pruned) == set(result.stale)
    assert pruned.stale == ()
    assert not any((out / p).exists() for p in topic_feeds)


# --- the command: exit codes and messages -----------------------------------------------

def run_cli(config: Config, *extra: str) -> int:
    return cli.main(["build", "--config", str(config.path), *extra])


def test_strict_exits_1_when_a_file_is_rejected(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    config = small_site(tmp_path)
    with caplog.at_level(logging.INFO):
        assert run_cli(config) == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(w.startswith("2024-03-05-broken.md:") and w.count(":") >= 3 for w in warnings)
    summary = [r.getMessage() for r in caplog.records if r.getMessage().startswith("read ")]
    assert summary and "5 files" in summary[-1] and "1 rejected" in summary[-1]
    assert run_cli(config, "--strict") == 1
    (config.source.folder / "2024-03-05-broken.md").unlink()
    assert run_cli(config, "--strict") == 0


def test_unwritable_output_folder_exits_2_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = small_site(tmp_path)
    config.output.folder.write_text("a file where the output folder should be")
    assert run_cli(config) == 2
    # Refused before the build takes its lock or opens its index (nothing created).
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and str(config.output.folder) in err
    assert "Traceback" not in err and not config.state_folder.exists()


def test_missing_source_folder_exits_2(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    shutil.rmtree(config.source.folder)
    assert run_cli(config) == 2
    assert not config.output.folder.exists()


def test_busy_lock_exits_3(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = small_site(tmp_path)
    with acquire_lock(config.state_folder, 0.0):
        assert run_cli(config) == 3
    assert any("another build is running" in r.getMessage() for r in caplog.records)
    assert run_cli(config) == 0


# --- WebSub ------------------------------------------------------------------------------

def test_websub_hubs_are_pinged_for_changed_feeds_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import syndicate.websub

    calls: list[tuple[tuple[str, ...], list[str]]] = []

    def fake_ping(hubs: tuple[str, ...], urls: list[str], **kw: Any) -> list[Any]:
        calls.append((tuple(hubs), list(urls)))
        return []

    monkeypatch.setattr(syndicate.websub, "ping_hubs", fake_ping)
    config = small_site(tmp_path)
    config = dataclasses.replace(config, websub=dataclasses.replace(
        config.websub, hubs=("https://hub.example.org/",)))
    build(config)
    assert len(calls) == 1
    assert "https://feeds.example.org/all.atom" in calls[0][1]
    assert all(u.startswith("https://feeds.example.org/") for u in calls[0][1])
    build(config)
    assert len(calls) == 1  # nothing changed, nobody pinged
    article(config.source.folder, "2024-03-06-five.md", title="Five",
            topics=("Power Apps",), when="2024-03-06T10:00:00Z")
    build(config)
    assert len(calls) == 2
    assert "https://feeds.example.org/topics/power-apps.atom" in calls[1][1]
    assert not any("teams-integration" in u for u in calls[1][1])


def test_unwritable_index_exits_2_and_no_index_still_builds(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = small_site(tmp_path)
    (config.state_folder / "index.sqlite").mkdir(parents=True)  # cannot be a database
    assert run_cli(config) == 2
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "index.sqlite" in errors[0].getMessage()
    assert run_cli(config, "--no-index") == 0
    assert (config.output.folder / "all.atom").is_file()


def test_failed_websub_ping_is_a_warning_not_a_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    import syndicate.websub
    from syndicate.websub import PingResult

    def failing(hubs: tuple[str, ...], urls: list[str], **kw: Any) -> list[PingResult]:
        return [PingResult(hubs[0], urls[0], False, 503, "hub busy", 3)]

    monkeypatch.setattr(syndicate.websub, "ping_hubs", failing)
    config = small_site(tmp_path)
    config = dataclasses.replace(config, websub=dataclasses.replace(
        config.websub, hubs=("https://hub.example.org/",)))
    result = build(config)
    assert len(result.ping_failures) == 1 and "hub busy" in result.ping_failures[0]
    assert any("hub busy" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)
    assert (config.output.folder / "all.atom").is_file()


# --- incremental == from scratch, under random edits -------------------------------------

_TOPICS = ("Power Apps", "power  apps", "AI Builder", "Teams", "", "Ünïcode & <Co>")
_PROVIDERS = (("Tech Herald", "techherald.example.com"), ("Other News", "other.example.net"),
              ("TECH herald", "TechHerald.Example.com"), ("Solo", "solo.example.org"))


def _random_article(rng: Any, folder: Path, name: str) -> None:
    """A record drawn to hit every selection rule: duplicates (same story behind other
    URL spellings), ties in time, thresholds, unpublished, topic and provider spellings,
    and now and then a broken file."""
    if rng.random() < 0.08:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(BROKEN, encoding="utf-8")
        return
    story = rng.randrange(12)
    url = rng.choice([f"https://news.example.com/s{story}",
                      f"HTTPS://News.Example.com/s{story}#x",
                      f"https://news.example.com/s{story}?utm_source=rss"])
    article(folder, name, title=f"T{rng.randrange(1000)} & <b>", url=url,
            quality=rng.choice([10, 30, 49, 50, 51, 80, 120]),
            published=rng.choice(["true", "true", "true", "false", "'true'"]),
            topics=tuple(rng.sample(_TOPICS, rng.randrange(4))),
            provider=rng.choice(_PROVIDERS),
            when=f"2024-03-{rng.randrange(1, 6):02}T10:00:00Z")


def test_random_edits_incremental_output_equals_a_clean_build(tmp_path: Path) -> None:
    import random

    rng = random.Random(20241122)
    config = make_site(tmp_path / "site", items=3)
    src = config.source.folder
    clean = dataclasses.replace(
        config, output=dataclasses.replace(config.output, folder=tmp_path / "clean-out"),
        state=None)
    names = [f"{d}{i:02}.md" for i in range(40) for d in ("", "sub/")][:40]
    present: list[str] = []
    for name in rng.sample(names, 12):
        _random_article(rng, src, name)
        present.append(name)
    steps = {"add": 0, "change": 0, "retitle": 0, "delete": 0, "rename": 0, "touch": 0}
    announced = 0
    for step in range(30):
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            op = rng.choice(list(steps))
            absent = [n for n in names if n not in present]
            if op == "add" and absent or not present:
                name = rng.choice(absent)
                _random_article(rng, src, name)
                present.append(name)
                op = "add"
            elif op == "change":
                _random_article(rng, src, rng.choice(present))
            elif op == "retitle":  # text only: the last selection is reused, feeds re-render
                file = src / rng.choice(present)
                file.write_bytes(file.read_bytes().replace(
                    b'title: "', f'title: "R{step} '.encode(), 1))
            elif op == "delete":
                name = rng.choice(present)
                (src / name).unlink()
                present.remove(name)
            elif op == "rename" and absent:
                old, new = rng.choice(present), rng.choice(absent)
                (src / new).parent.mkdir(parents=True, exist_ok=True)
                os.rename(src / old, src / new)
                present[present.index(old)] = new
            else:  # same bytes, new mtime: must not change a thing
                op = "touch"
                os.utime(src / rng.choice(present))
            steps[op] += 1
        incremental = build(config, prune=True)
        shutil.rmtree(clean.output.folder, ignore_errors=True)
        scratch = build(clean, use_index=False)
        # The one difference history may make: stories withdrawn from a feed are
        # announced (RFC 6721) by the incremental build, which remembers them.
        files = snapshot(config.output.folder)
        announced += any(_TOMBSTONE_NS in data for data in files.values())
        assert without_tombstones(files) == snapshot(clean.output.folder), f"step {step}"
        assert incremental.outcomes == scratch.outcomes, f"step {step}"
        assert incremental.read == len(present)
    assert all(steps.values()), steps  # every kind of edit happened
    assert announced, "no step withdrew a story"


def test_text_only_edit_reuses_the_selection_and_equals_a_clean_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import syndicate.build

    config = small_site(tmp_path / "site")
    build(config)
    reused: list[bool] = []
    real = syndicate.build.reuse_selection

    def spy(*args: Any) -> Any:
        got = real(*args)
        reused.append(got is not None)
        return got

    monkeypatch.setattr(syndicate.build, "reuse_selection", spy)
    one = config.source.folder / "2024-03-01-one.md"
    one.write_text(one.read_text().replace('title: "One"', 'title: "One, corrected"'))
    result = build(config)
    assert reused == [True] and result.parsed == 1
    assert any(o.changed and o.path.endswith("all.atom") for o in result.outputs)
    assert b"One, corrected" in (config.output.folder / "all.atom").read_bytes()
    clean = dataclasses.replace(
        config, output=dataclasses.replace(config.output, folder=tmp_path / "clean"),
        state=None)
    scratch = build(clean, use_index=False)
    assert snapshot(config.output.folder) == snapshot(clean.output.folder)
    assert result.outcomes == scratch.outcomes
    # A change that moves selection (quality) is selected afresh.
    one.write_text(one.read_text().replace("quality: 80", "quality: 20"))
    reused.clear()
    build(config)
    assert reused == []


def test_foreign_file_in_a_feed_folder_is_foreign_not_stale(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    out = config.output.folder
    hand_made = out / "topics" / "hand-made.atom"
    hand_made.write_text("<feed>a feed someone put here by hand</feed>", encoding="utf-8")
    result = build(config)
    # publish.prune keeps it, so it is not "stale ... --prune deletes it".
    assert "topics/hand-made.atom" not in result.stale
    assert result.foreign == ("topics/hand-made.atom",)
    pruned = build(config, prune=True)
    assert hand_made.exists() and pruned.pruned == () and pruned.stale == ()
    assert pruned.foreign == ("topics/hand-made.atom",)


# --- hostile file names ------------------------------------------------------------------

def test_a_file_name_that_is_not_utf8_is_rejected_and_the_rest_builds(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = small_site(tmp_path)
    src = config.source.folder
    bad = os.fsdecode(os.fsencode(src) + b"/bad\xffname.md")
    Path(bad).write_text("---\ntitle: x\n---\n", encoding="utf-8")
    os.utime(bad, ns=(1_600_000_000 * 10**9,) * 2)  # old: not racy, so reusable
    key = "bad\\xffname.md"
    for use_index in (True, False, True):
        report = tmp_path / "report.json"
        with caplog.at_level(logging.WARNING):
            code = run_cli(config, *(() if use_index else ("--no-index",)),
                           "--report", str(report))
        assert code == 0
        data = json.loads(report.read_bytes().decode("utf-8"))  # strict UTF-8
        by_path = {a["path"]: a for a in data["articles"]}
        assert by_path[key]["status"] == "rejected"
        assert "not valid UTF-8" in by_path[key]["reason"]
        assert by_path["2024-03-01-one.md"]["status"] == "selected"
        assert data["summary"]["read"] == 6 and data["summary"]["rejected"] == 2
    assert any(key in r.getMessage() and "not valid UTF-8" in r.getMessage()
               for r in caplog.records)
    assert build(config).parsed == 0  # indexed under its key: reused, not re-read


def test_control_characters_in_names_are_escaped_in_messages_raw_in_the_report(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = small_site(tmp_path)
    name = "ok.md: selected\nevil\x1b[31m.md"
    (config.source.folder / name).write_text(BROKEN, encoding="utf-8")
    report = tmp_path / "report.json"
    with caplog.at_level(logging.WARNING):
        assert run_cli(config, "--report", str(report)) == 0
    messages = [r.getMessage() for r in caplog.records if "evil" in r.getMessage()]
    assert messages and all("\n" not in m and "\x1b" not in m for m in messages)
    assert any("ok.md: selected\\nevil\\x1b[31m.md" in m for m in messages)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert name in {a["path"] for a in data["articles"]}
