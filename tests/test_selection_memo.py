"""The selection memo (syndicate.incremental.SelectionMemo): ``syndicate watch`` keeps
the last build's selection items between builds and reads again only the records a
build wrote; the output must be the bytes a build without it writes, and a build by
anyone else in between must make the memo stand down."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from test_build import article, build, make_site, snapshot

from syndicate.config import Config
from syndicate.incremental import SelectionMemo
from syndicate.index import Index, LightItem

NAMES = [f"2024-03-0{i}-story-{i}.md" for i in range(1, 7)]


class Reads:
    """The paths whose light records a build read from the index."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        original = Index.light_items

        def counted(index: Index, paths: Sequence[str]) -> dict[str, LightItem]:
            self.paths += paths
            return original(index, paths)

        monkeypatch.setattr(Index, "light_items", counted)

    def during(self, config: Config, **options: object) -> list[str]:
        self.paths = []
        build(config, **options)
        return sorted(self.paths)


def site(root: Path) -> Config:
    config = make_site(root)
    for i, name in enumerate(NAMES, 1):
        article(config.source.folder, name, title=f"Story {i}",
                when=f"2024-03-0{i}T10:00:00Z")
    return config


def edit(config: Config, name: str, words: str) -> None:
    """A text-only change (the excerpt): no record's selection view moves."""
    file = config.source.folder / name
    text = re.sub(r'excerpt: "[^"]*"', f'excerpt: "{words}"', file.read_text())
    file.write_text(text)


def twins(tmp_path: Path) -> tuple[Config, Config]:
    """Two equal sites: one built with a memo, one without."""
    return site(tmp_path / "memo"), site(tmp_path / "plain")


def test_only_the_edited_record_is_read_again_and_the_bytes_match(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(monkeypatch)
    kept, plain = twins(tmp_path)
    memo = SelectionMemo()
    for config in (kept, plain):
        build(config)
    # The watcher's first build (a walk that renders nothing) reads them all, once.
    assert reads.during(kept, memo=memo) == sorted(NAMES)
    build(plain)
    edit(kept, NAMES[1], "First edit.")
    edit(plain, NAMES[1], "First edit.")
    assert reads.during(kept, changed=frozenset({NAMES[1]}), memo=memo) == [NAMES[1]]
    build(plain, changed=frozenset({NAMES[1]}))
    for round_, name in enumerate((NAMES[3], NAMES[3], NAMES[0]), 2):
        edit(kept, name, f"Edit {round_}.")
        edit(plain, name, f"Edit {round_}.")
        assert reads.during(kept, changed=frozenset({name}), memo=memo) == [name]
        build(plain, changed=frozenset({name}))
        assert snapshot(kept.output.folder) == snapshot(plain.output.folder)
    assert f"Edit {round_}." in (kept.output.folder / "all.atom").read_text()


def test_a_build_by_another_process_in_between_makes_the_memo_stand_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(monkeypatch)
    config = site(tmp_path / "memo")
    memo = SelectionMemo()
    build(config)
    edit(config, NAMES[1], "Watched.")
    build(config, changed=frozenset({NAMES[1]}), memo=memo)
    # A cron build (no memo) changes a record the memo holds.
    file = config.source.folder / NAMES[2]
    file.write_bytes(file.read_bytes().replace(b'"Story 3"', b'"Story three"'))
    edit(config, NAMES[2], "By cron.")
    build(config)
    edit(config, NAMES[4], "Watched again.")
    assert reads.during(config, changed=frozenset({NAMES[4]}), memo=memo) == sorted(NAMES)
    fresh = tmp_path / "fresh"
    shutil.copytree(config.source.folder, fresh / "src")
    rebuilt = make_site(fresh)
    build(rebuilt)
    assert snapshot(config.output.folder) == snapshot(rebuilt.output.folder)
    assert "Story three" in (config.output.folder / "all.atom").read_text()


def test_a_failed_build_leaves_no_memo_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = site(tmp_path / "memo")
    memo = SelectionMemo()
    build(config)
    edit(config, NAMES[1], "Watched.")
    build(config, changed=frozenset({NAMES[1]}), memo=memo)
    assert memo.items

    def broken(index: Index) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Index, "commit", broken)
    edit(config, NAMES[2], "Lost.")
    with pytest.raises(OSError):
        build(config, changed=frozenset({NAMES[2]}), memo=memo)
    assert memo.key is None


def test_the_warnings_kept_in_memory_follow_every_edit(tmp_path: Path) -> None:
    config = site(tmp_path / "memo")
    memo = SelectionMemo()
    build(config)
    name = NAMES[2]
    for round_ in range(4):
        # A list among the topics is warned about; then fixed; then warned again.
        topics = ("Power Apps", f"[a{round_}]") if round_ % 2 == 0 else ("Power Apps",)
        article(config.source.folder, name, title="Story 3", topics=topics,
                when="2024-03-03T10:00:00Z")
        got = build(config, changed=frozenset({name}), memo=memo).warnings
        assert memo.warnings == got
        assert any(w.path == name for w in got) == (round_ % 2 == 0)
        assert memo.holds == (round_ > 0)  # from memory after the first
    plain = build(config).warnings  # a cron run: it reads the stored copy
    assert [tuple(w) for w in plain] == [tuple(w) for w in got]
    assert build(config, changed=frozenset({name}), memo=memo).warnings == got
    assert not memo.holds  # the cron run's commit moved the index file


def test_a_watchers_first_edit_derives_no_entry_id_it_did_not_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first edit after ``syndicate watch`` started was once slower than the next
    ones (1.1 s against 0.5-0.86 s at a million articles): the new process had derived
    no entry id yet (a per-process cache), so its first rendering build derived one per
    item of every feed (25,000). They come from the index now (meta ``entry_ids``):
    the first watched build derives only the id of a link never seen."""
    from syndicate.render import common

    config = site(tmp_path / "site")
    build(config)  # cron, cold: stores the ids
    memo = SelectionMemo()
    build(config, memo=memo)  # the watcher's first build: a walk that renders nothing
    common._link_id.cache_clear()  # as in a process that never rendered
    derived: list[str] = []
    original = common._link_id

    def counted(link: str) -> str:
        derived.append(link)
        return original(link)

    monkeypatch.setattr(common, "_link_id", counted)
    edit(config, NAMES[1], "First edit.")
    assert build(config, changed=frozenset({NAMES[1]}), memo=memo).written > 0
    assert "First edit." in (config.output.folder / "all.atom").read_text()
    assert derived == []
    new = "2024-03-09-story-9.md"
    article(config.source.folder, new, title="Story 9", when="2024-03-09T10:00:00Z")
    build(config, changed=frozenset({new}), memo=memo)
    assert set(derived) == {"https://news.example.com/2024-03-09-story-9"}


def _every_warning_row(config: Config) -> list[tuple[object, ...]]:
    """Every file's warnings read row by row from the index (what a build without the
    kept copy reports), and the kept copy as stored."""
    from syndicate.index import open_index, read_key
    from syndicate.index_rows import _WARNINGS, WARNINGS_CACHE, _read_warnings

    index = open_index(config.state.folder, read_key(
        config.source.folder, config.source.patterns, config.source.max_file_bytes))
    try:
        rows = [tuple(w) for w in _read_warnings(index, _WARNINGS, ())]
        assert index.get_meta(WARNINGS_CACHE) == rows
        return rows
    finally:
        index.close()


def test_the_kept_warnings_patched_in_place_are_the_rows_in_path_order(
        tmp_path: Path) -> None:
    """A watched build patches the kept copy where the files it wrote sort (the other
    warnings are the same objects, not made again): after edits, a new file sorting
    first, another last and a deletion, it is every row in path order, as stored."""
    from syndicate.model import Warned

    config = site(tmp_path / "memo")
    warned = ("Power Apps", "[x]")  # a list among the topics: one warning
    for name in NAMES[1::2]:
        article(config.source.folder, name, title="Warned", topics=warned,
                when="2024-03-02T10:00:00Z")
    build(config)
    memo = SelectionMemo()
    build(config, memo=memo)
    kept_before = {w.path: w for w in memo.warnings or ()}
    steps: list[tuple[str, tuple[str, ...] | None]] = [
        (NAMES[2], warned), (NAMES[3], ("Power Apps",)), ("2024-01-01-first.md", warned),
        ("2024-12-31-last.md", warned), (NAMES[5], None)]
    for name, topics in steps:
        if topics is None:
            (config.source.folder / name).unlink()
        else:
            article(config.source.folder, name, title="Step", topics=topics,
                    when="2024-03-05T10:00:00Z")
        got = build(config, changed=frozenset({name}), memo=memo).warnings
        assert memo.holds and memo.warnings == got
        assert all(type(w) is Warned for w in got)
        assert [tuple(w) for w in got] == _every_warning_row(config)
    paths = [w.path for w in got]
    assert paths == ["2024-01-01-first.md", NAMES[1], NAMES[2], "2024-12-31-last.md"]
    assert got[1] is kept_before[NAMES[1]]  # untouched: the very object kept
