"""The incremental index: what is reused, what invalidates it, and how a damaged index
is rebuilt without ever changing the output."""

from __future__ import annotations

import dataclasses
import errno
import logging
import marshal
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_build import BROKEN, article, build, mtimes, small_site, snapshot, statuses

import syndicate
import syndicate.index
from syndicate.codec import decode, encode
from syndicate.config import Config
from syndicate.index import (
    INDEX_FILE_NAME,
    IndexCorrupt,
    entry_row,
    open_index,
    open_readonly,
    read_key,
)
from syndicate.model import Article, Image, Outcome, Provider, Rejection, RelatedLink

OLD_NS = 1_600_000_000 * 10**9  # 2020-09-13: safely outside the racy window


def index_file(config: Config) -> Path:
    return config.state_folder / INDEX_FILE_NAME


def indexed_paths(config: Config) -> list[str]:
    conn = sqlite3.connect(index_file(config))
    try:
        return [p for (p,) in conn.execute("SELECT path FROM files ORDER BY path")]
    finally:
        conn.close()


def age(folder: Path) -> None:
    """Give every source file an old mtime, so no entry is racy."""
    for p in folder.rglob("*"):
        if p.is_file():
            os.utime(p, ns=(OLD_NS, OLD_NS))


# --- codec -------------------------------------------------------------------------------

def full_article() -> Article:
    when = datetime(2021, 6, 2, 16, 12, 27, 123456, tzinfo=UTC)
    return Article(
        path="a/b.md", link="https://x.example/a?b=1", title="T & <t> “q”", excerpt="É\u2028x",
        published=when, updated=datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), type="video",
        quality=137.5, heat=None, is_published=True, provider=Provider("P", "p.example"),
        topics=("Power Apps", "IBM AI"), images=(Image("https://i.example/1.jpg", 800, None),),
        related=(RelatedLink("https://r.example/", "R"),),
        embed_url="https://www.youtube.com/embed/x", warnings=("image 2 dropped: not http",))


def test_records_round_trip_exactly() -> None:
    for record in (full_article(), Rejection("c.md", "YAML error: boom", 3, 7),
                   Rejection("d.md", "too large", None, None),
                   dataclasses.replace(full_article(), provider=None, quality=12, heat=3)):
        e = encode(record, size=10, mtime_ns=OLD_NS, data=b"x", read_at_ns=time.time_ns())
        assert decode(e.path, e.kind, e.light, e.body, e.digest) == record
        back = decode(e.path, e.kind, e.light, e.body, e.digest)
        if isinstance(record, Article):
            assert type(back.quality) is type(record.quality)  # type: ignore[union-attr]


def test_damaged_record_raises_index_corrupt_not_a_crash() -> None:
    e = encode(full_article(), size=1, mtime_ns=OLD_NS, data=b"x", read_at_ns=time.time_ns())
    with pytest.raises(IndexCorrupt):
        decode(e.path, e.kind, e.light, e.body[:-3] + b"zzz", e.digest)
    with pytest.raises(IndexCorrupt):
        decode(e.path, 7, e.light, e.body, e.digest)


def test_recent_mtime_is_racy_old_one_is_not() -> None:
    now = time.time_ns()
    rec = Rejection("x.md", "r")
    assert encode(rec, size=1, mtime_ns=now, data=b"", read_at_ns=now).racy
    assert encode(rec, size=1, mtime_ns=now + 10**12, data=b"", read_at_ns=now).racy  # future
    assert not encode(rec, size=1, mtime_ns=OLD_NS, data=b"", read_at_ns=now).racy


# --- reuse and invalidation --------------------------------------------------------------

def test_changed_file_is_reparsed(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    age(config.source.folder)
    build(config)
    article(config.source.folder, "2024-03-02-two.md", title="Two", quality=90,
            when="2024-03-02T10:00:00Z")
    result = build(config)
    assert result.parsed == 1 and result.reused == 4
    assert statuses(result)["2024-03-02-two.md"] == "selected"


def test_added_file_is_parsed_alone(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    age(config.source.folder)
    build(config)
    article(config.source.folder, "sub/2024-04-01-new.md", title="Brand new")
    result = build(config)
    assert (result.read, result.parsed, result.reused) == (6, 1, 5)
    assert "Brand new" in (config.output.folder / "all.atom").read_text(encoding="utf-8")


def test_deleted_file_leaves_index_and_feeds(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    assert "2024-03-01-one.md" in indexed_paths(config)
    (config.source.folder / "2024-03-01-one.md").unlink()
    result = build(config)
    assert result.parsed == 0 and result.read == 4
    assert "2024-03-01-one.md" not in indexed_paths(config)
    assert "2024-03-01-one.md" not in statuses(result)
    for rel, data in snapshot(config.output.folder).items():
        if rel.endswith((".atom", ".rss", ".json")) and rel in {o.path for o in result.feeds}:
            assert b"news.example.com/2024-03-01-one" not in data, rel


def test_renamed_file_is_deleted_plus_added(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    src = config.source.folder
    (src / "2024-03-01-one.md").rename(src / "2024-03-01-uno.md")
    result = build(config)
    assert result.parsed == 1
    assert statuses(result)["2024-03-01-uno.md"] == "selected"
    assert "2024-03-01-one.md" not in statuses(result)
    assert "2024-03-01-uno.md" in indexed_paths(config)
    assert "2024-03-01-one.md" not in indexed_paths(config)


def test_config_change_affecting_reading_rebuilds_the_index(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = small_site(tmp_path)
    build(config)
    smaller = dataclasses.replace(config, source=dataclasses.replace(
        config.source, max_file_bytes=1024 * 64))
    with caplog.at_level(logging.INFO):
        result = build(smaller)
    assert result.parsed == 5
    assert any("source settings changed" in r.getMessage() for r in caplog.records)
    txt = dataclasses.replace(config, source=dataclasses.replace(
        config.source, patterns=("*.md", "*.txt")))
    result = build(txt)
    assert result.parsed == 6 and "notes.txt" in statuses(result)


def test_config_change_not_affecting_reading_reuses_records_but_rerenders(
        tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    lower = dataclasses.replace(config, selection=dataclasses.replace(
        config.selection, min_quality=dataclasses.replace(
            config.selection.min_quality, all=10, topics=10, providers=10)))
    result = build(lower)
    assert result.parsed == 0 and not result.skipped_render
    assert statuses(result)["2024-03-02-two.md"] == "selected"
    assert "Two" in (config.output.folder / "all.atom").read_text(encoding="utf-8")


def test_new_syndicate_version_rebuilds_the_index(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    config = small_site(tmp_path)
    build(config)
    assert build(config).parsed == 0
    monkeypatch.setattr(syndicate, "__version__", "999.0.0")
    result = build(config)
    assert result.parsed == 5 and not result.skipped_render


def test_new_reader_rules_rebuild_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    config = small_site(tmp_path)
    build(config)
    assert build(config).parsed == 0
    monkeypatch.setattr(syndicate.index, "READER_RULES", syndicate.index.READER_RULES + 1)
    with caplog.at_level(logging.INFO):
        result = build(config)
    assert result.parsed == 5 and not result.skipped_render
    assert any("other reader rules" in r.getMessage() for r in caplog.records)
    assert build(config).parsed == 0  # and the new rules are stored


@pytest.mark.parametrize("damage", ["junk", "truncate", "empty", "record", "meta", "schema"])
def test_damaged_index_is_rebuilt_with_identical_output(
        tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    config = small_site(tmp_path)
    build(config)
    expected = snapshot(config.output.folder)
    file = index_file(config)
    if damage == "junk":
        file.write_bytes(b"this is not a database\x00" * 200)
    elif damage == "truncate":
        data = file.read_bytes()
        file.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        file.write_bytes(b"")
    else:
        conn = sqlite3.connect(file)
        if damage == "record":
            conn.execute("UPDATE files SET light = x'00ff00', body = x'0102' WHERE kind = 0")
        elif damage == "meta":
            conn.execute("UPDATE meta SET value = x'ff' WHERE key = 'generation'")
        else:
            conn.execute("DROP TABLE files")
            conn.execute("CREATE TABLE files (path TEXT)")
        conn.commit()
        conn.close()
    # Delete the outputs too: the rebuilt index must reproduce them byte for byte.
    for p in config.output.folder.rglob("*"):
        if p.is_file():
            p.unlink()
    with caplog.at_level(logging.WARNING):
        result = build(config)
    assert result.parsed == 5
    assert snapshot(config.output.folder) == expected
    assert any("unusable" in r.getMessage() for r in caplog.records)
    assert build(config).parsed == 0  # and the new index is good


def test_unreadable_last_build_record_rerenders_without_reparsing(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    expected = snapshot(config.output.folder)
    conn = sqlite3.connect(index_file(config))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'last_build'",
                 (marshal.dumps({"stamps": 3}),))
    conn.commit()
    conn.close()
    (config.output.folder / "all.rss").unlink()
    result = build(config)
    assert result.parsed == 0 and result.rendered > 1 and result.written == 1
    assert snapshot(config.output.folder) == expected


def test_deleted_index_is_rebuilt(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    expected = snapshot(config.output.folder)
    index_file(config).unlink()
    result = build(config)
    assert result.parsed == 5
    assert snapshot(config.output.folder) == expected


def test_locked_index_is_not_a_build_failure(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(syndicate.index, "BUSY_TIMEOUT_SECONDS", 0.05)
    config = small_site(tmp_path)
    build(config)
    article(config.source.folder, "2024-04-01-new.md", title="New")
    holder = sqlite3.connect(index_file(config), timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # e.g. a stuck reader from some other tool
    try:
        result = build(config)
    finally:
        holder.close()
    assert result.read == 6
    assert "New" in (config.output.folder / "all.atom").read_text(encoding="utf-8")


# --- mtime that cannot be trusted ---------------------------------------------------------

def test_same_size_edit_within_the_same_mtime_tick_is_detected(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    file = config.source.folder / "2024-03-01-one.md"
    build(config)  # file was written just now: its entry is racy
    st = file.stat()
    text = file.read_text(encoding="utf-8").replace("title: \"One\"", "title: \"Uno\"")
    file.write_text(text, encoding="utf-8")
    os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    assert file.stat().st_size == st.st_size
    result = build(config)
    assert result.parsed == 1
    assert "Uno" in (config.output.folder / "all.atom").read_text(encoding="utf-8")


def test_racy_entry_with_unchanged_content_is_not_reparsed(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    future = time.time_ns() + 3600 * 10**9
    os.utime(config.source.folder / "2024-03-01-one.md", ns=(future, future))
    build(config)
    before = mtimes(config.output.folder)
    result = build(config)
    assert result.parsed == 0 and result.written == 0
    assert mtimes(config.output.folder) == before


def test_old_entries_are_trusted_by_stat_alone(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    config = small_site(tmp_path)
    age(config.source.folder)
    build(config)
    opened: list[str] = []
    real_open = os.open

    def spy(path: object, *args: object, **kw: object) -> int:
        opened.append(str(path))
        return real_open(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    result = build(config)
    assert result.parsed == 0
    assert not [p for p in opened if str(config.source.folder) in p]


# --- read-only use ------------------------------------------------------------------------

def test_open_readonly_refuses_stale_or_missing_index(tmp_path: Path) -> None:
    key = read_key(tmp_path / "src", ("*.md",), 1024)
    assert open_readonly(tmp_path, key) is None
    index = open_index(tmp_path, key)
    index.close()
    ro = open_readonly(tmp_path, key)
    assert ro is not None
    ro.close()
    assert open_readonly(tmp_path, read_key(tmp_path / "other", ("*.md",), 1024)) is None


def test_broken_file_rejection_is_reused_from_the_index(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    age(config.source.folder)
    first = build(config)
    second = build(config)
    assert second.parsed == 0
    assert second.rejections == first.rejections and len(first.rejections) == 1
    assert (config.source.folder / "2024-03-05-broken.md").read_text() == BROKEN


def test_touched_but_unchanged_file_is_reparsed_without_rerendering(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    age(config.source.folder)
    build(config)
    before = mtimes(config.output.folder)
    os.utime(config.source.folder / "2024-03-01-one.md", ns=(OLD_NS + 10**9, OLD_NS + 10**9))
    result = build(config)
    assert result.parsed == 1 and result.skipped_render and result.written == 0
    assert mtimes(config.output.folder) == before


def test_unreadable_file_is_retried_every_run(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    config = small_site(tmp_path)
    age(config.source.folder)
    target = str(config.source.folder / "2024-03-01-one.md")
    real_open = os.open

    def denied(path: object, *args: object, **kw: object) -> int:
        if str(path) == target:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kw)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(os, "open", denied)
        first = build(config)
    assert statuses(first)["2024-03-01-one.md"] == "rejected"
    # Permissions fixed (chmod changes neither size nor mtime): the next run reads it.
    second = build(config)
    assert second.parsed == 1
    assert statuses(second)["2024-03-01-one.md"] == "selected"


# --- selection off the index == syndicate.select ---------------------------------------

def _random_articles(seed: int, n: int) -> list[Article | Rejection]:
    import random

    rng = random.Random(seed)
    topics = ("AI", "ai", " A  I ", "Ünï & <co>", "Zeta", "", "zeta", "Édition")
    names = ("Herald", "HERALD", "herald", "Hérald")
    domains = ("herald.example", "Herald.Example", "zed.example", "xn--n-eka.example")
    base = datetime(2024, 1, 1, tzinfo=UTC)
    out: list[Article | Rejection] = []
    for i in range(n):
        path = f"{rng.choice(['', 'b/', 'é/'])}{i:03}-{rng.choice(['a', 'Z', 'é'])}.md"
        if rng.random() < 0.05:
            out.append(Rejection(path, "YAML error", rng.randrange(1, 9), 2))
            continue
        story = rng.randrange(n)
        link = rng.choice([f"https://ex.example/{story}", f"HTTPS://EX.example:443/{story}#f",
                           f"https://ex.example/{story}?utm_medium=x"])
        when = base + timedelta(hours=rng.randrange(12), microseconds=rng.choice([0, 1]))
        published = rng.random() < 0.75
        warnings = () if published or rng.random() < 0.5 else (
            "published: must be true or false, got a string 'yes'; not published",)
        provider = (None if rng.random() < 0.15
                    else (rng.choice(names), rng.choice(domains)))
        out.append(Article(
            path=path, link=link, title=f"T{i}", excerpt="", published=when,
            updated=when + timedelta(minutes=rng.randrange(3)), type="article",
            quality=rng.choice([0, 29.5, 30, 30, 42.5, 42.5, 49, 50, 50.0, 77, 150]), heat=None,
            is_published=published,
            provider=None if provider is None else Provider(*provider),
            topics=tuple(rng.sample(topics, rng.randrange(4))), images=(), related=(),
            embed_url=None, warnings=warnings))
    unique = {r.path: r for r in out}
    return list(unique.values())


@pytest.mark.parametrize("seed", range(10))
def test_selection_off_the_index_equals_select(tmp_path: Path, seed: int) -> None:
    from syndicate.config import SelectionConfig, Thresholds
    from syndicate.index_rows import IndexRows
    from syndicate.plan import name_feeds, plan_feeds
    from syndicate.select import select

    config = dataclasses.replace(
        small_site(tmp_path),
        selection=SelectionConfig(Thresholds(all=50, topics=42.5, providers=30),
                                  items_per_feed=1 + seed % 4))
    records = _random_articles(seed, 400)
    index = syndicate.index.temporary_index(tmp_path, "k")
    try:
        index.begin()
        index.put_rows([entry_row(encode(r, size=1, mtime_ns=OLD_NS, data=b"x",
                                         read_at_ns=time.time_ns())) for r in records])
        got = select(IndexRows(index), config.selection)
        got_plans = plan_feeds(got, config)
        name_feeds(got_plans, got.outcomes)
        index.rollback()
    finally:
        index.close()
    articles = [r for r in records if isinstance(r, Article)]
    want = select(articles, config.selection)
    for r in records:
        if isinstance(r, Rejection):
            assert got.outcomes[r.path] == Outcome(r.path, "rejected", r.reason, r.line,
                                                   r.column)
    plans = plan_feeds(want, config)
    # The build names a selected article's feeds by output path (what select() labels
    # by topic / provider key): the feeds of select()'s own plans, in plan order.
    carried: dict[str, list[str]] = {}
    for plan in plans:
        for a in plan.items:
            carried.setdefault(a.path, []).append(plan.path("atom").removesuffix(".atom"))
    expected = {p: o if o.status != "selected"
                else o._replace(reason=", ".join(carried[p]))
                for p, o in want.outcomes.items()}
    assert all(len(carried[p]) == len(o.reason.split(", "))
               for p, o in want.outcomes.items() if o.status == "selected")
    assert {p: got.outcomes.get(p) for p in want.outcomes} == expected
    assert list(got.outcomes) == sorted(r.path for r in records)
    assert len(plans) > 3
    assert [(p.path("atom"), p.title, p.updated, [a.path for a in p.items])
            for p in got_plans] == [(p.path("atom"), p.title, p.updated,
                                     [a.path for a in p.items]) for p in plans]
    # Light items are the records minus their text.
    by_path = {a.path: a for a in articles}
    for plan in got_plans:
        for a in plan.items:
            assert dataclasses.replace(by_path[a.path], title="", excerpt="") == a
