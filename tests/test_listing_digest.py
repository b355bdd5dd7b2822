"""The listing digest (syndicate.refresh): a walk equal to the one the index was proven
against skips the comparison with the index; every change to the listing, the config
or the moment must still reach the output."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_build import article, build, make_site, snapshot, statuses

from syndicate import refresh
from syndicate.config import Config, load_config
from syndicate.index import Index, StoredStat
from syndicate.result import BuildResult
from syndicate.source import FileBytes

OLD = 1_700_000_000  # seconds: files this old are never racy


def aged(folder: Path) -> None:
    """Give every file a distinct mtime far in the past (a fresh file is racy: its
    entry is re-checked, so no digest can be stored for it)."""
    for i, file in enumerate(sorted(p for p in folder.rglob("*") if p.is_file())):
        os.utime(file, ns=((OLD + i) * 10**9, (OLD + i) * 10**9))


class Comparisons:
    """Counts the full comparisons with the index (each reads every stored stat)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = Index.iter_stats

        def counted(index: Index) -> Iterator[StoredStat]:
            self.count += 1
            return original(index)

        monkeypatch.setattr(Index, "iter_stats", counted)

    def during(self, config: Config, **options: object) -> tuple[int, BuildResult]:
        before = self.count
        result = build(config, **options)
        return self.count - before, result


def site(root: Path) -> Config:
    config = make_site(root)
    src = config.source.folder
    article(src, "2024-03-01-one.md", title="One")
    article(src, "2024-03-02-two.md", title="Two", when="2024-03-02T10:00:00Z")
    article(src, "deep/2024-03-03-three.md", title="Three", when="2024-03-03T10:00:00Z")
    aged(src)
    return config


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> Comparisons:
    return Comparisons(monkeypatch)


def test_an_unchanged_listing_skips_the_comparison_and_keeps_every_byte(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    compared, cold = comparisons.during(config)
    assert compared == 1 and cold.parsed == 3
    before = snapshot(config.output.folder)
    for _ in range(2):
        compared, again = comparisons.during(config)
        assert compared == 0
        assert (again.read, again.parsed, again.reused, again.written) == (3, 0, 3, 0)
        assert again.skipped_render
        assert statuses(again) == statuses(cold)
    assert snapshot(config.output.folder) == before


def test_a_touched_file_defeats_the_digest_and_is_checked(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    build(config)
    file = config.source.folder / "2024-03-02-two.md"
    os.utime(file, ns=(OLD * 10**9 - 5, OLD * 10**9 - 5))  # mtime only, bytes the same
    compared, result = comparisons.during(config)
    assert compared == 1 and result.parsed == 1 and result.written == 0
    # Proven again by that run: the next one skips the comparison.
    compared, result = comparisons.during(config)
    assert compared == 0 and result.parsed == 0


def test_an_edit_of_the_same_size_and_new_mtime_reaches_the_feed(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    build(config)
    file = config.source.folder / "2024-03-02-two.md"
    file.write_bytes(file.read_bytes().replace(b'title: "Two"', b'title: "Owt"'))
    os.utime(file, ns=(OLD * 10**9 + 99, OLD * 10**9 + 99))
    compared, result = comparisons.during(config)
    assert compared == 1 and result.parsed == 1
    assert b"Owt" in (config.output.folder / "all.atom").read_bytes()


def test_a_renamed_file_defeats_the_digest(tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    build(config)
    src = config.source.folder
    (src / "2024-03-01-one.md").rename(src / "2024-03-01-uno.md")  # rename keeps the mtime
    compared, result = comparisons.during(config)
    assert compared == 1 and result.read == 3 and result.parsed == 1
    assert set(statuses(result)) == {"2024-03-01-uno.md", "2024-03-02-two.md",
                                     "deep/2024-03-03-three.md"}


def test_a_new_file_in_a_new_subfolder_defeats_the_digest(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    build(config)
    new = article(config.source.folder, "new/sub/2024-03-09-four.md", title="Four",
                  when="2024-03-09T10:00:00Z")
    os.utime(new, ns=(OLD * 10**9, OLD * 10**9))  # as old as the others
    compared, result = comparisons.during(config)
    assert compared == 1 and result.read == 4 and result.parsed == 1
    assert b"Four" in (config.output.folder / "all.atom").read_bytes()


def test_a_deleted_file_defeats_the_digest(tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    build(config)
    (config.source.folder / "2024-03-02-two.md").unlink()
    compared, result = comparisons.during(config)
    assert compared == 1 and result.read == 2
    assert b"Two" not in (config.output.folder / "all.atom").read_bytes()


def test_a_config_change_is_rendered_though_the_listing_is_the_same(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    build(config)
    text = config.path.read_text(encoding="utf-8")
    config.path.write_text(text.replace('title = "Test Site"', 'title = "Renamed Site"'),
                           encoding="utf-8")
    compared, result = comparisons.during(load_config(config.path))
    assert compared == 0  # the index is current: only the output moves
    assert not result.skipped_render and result.written > 0
    assert b"Renamed Site" in (config.output.folder / "all.atom").read_bytes()


def test_other_patterns_are_another_index_whatever_the_digest(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    (config.source.folder / "2024-03-04-four.txt").write_bytes(
        (config.source.folder / "2024-03-01-one.md").read_bytes().replace(b"One", b"Txt"))
    aged(config.source.folder)
    build(config)
    text = config.path.read_text(encoding="utf-8")
    config.path.write_text(text.replace('patterns = ["*.md"]', 'patterns = ["*.md", "*.txt"]'),
                           encoding="utf-8")
    compared, result = comparisons.during(load_config(config.path))
    assert compared == 1  # a new index: compared with nothing
    assert result.read == 4 and result.parsed == 4


def test_a_scheduled_article_falls_due_though_no_file_changed(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    article(config.source.folder, "2026-12-07-later.md", title="Later",
            when="2026-12-07T09:00:00Z")
    aged(config.source.folder)
    first = build(config)
    assert first.scheduled == 1
    assert b"Later" not in (config.output.folder / "all.atom").read_bytes()
    compared, result = comparisons.during(config,
                                          now=datetime(2026, 12, 7, 9, 0, 1, tzinfo=UTC))
    assert compared == 0 and result.parsed == 0  # the listing is the proven one ...
    assert result.scheduled == 0 and not result.skipped_render  # ... the moment is not
    assert b"Later" in (config.output.folder / "all.atom").read_bytes()


def test_a_racy_file_keeps_the_comparison_until_it_settles(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = make_site(tmp_path)
    article(config.source.folder, "2024-03-01-fresh.md", title="Fresh")  # mtime: now
    build(config)
    compared, _ = comparisons.during(config)
    assert compared == 1  # its entry was racy: nothing proven, the walk is compared


def test_a_file_unreadable_for_now_is_retried_every_run(
        tmp_path: Path, comparisons: Comparisons, monkeypatch: pytest.MonkeyPatch) -> None:
    config = site(tmp_path)
    real = refresh.read_bytes

    def denied(file: str, max_bytes: int) -> FileBytes:
        if file.endswith("two.md"):  # as EACCES does: chmod can fix it, stat unmoved
            return FileBytes(None, -1, -1, True)
        return real(file, max_bytes)

    monkeypatch.setattr(refresh, "read_bytes", denied)
    assert build(config).parsed == 3
    for _ in range(3):
        compared, result = comparisons.during(config)
        assert compared == 1 and result.read == 3 and result.parsed == 1


def test_a_dangling_symlink_is_rejected_until_its_target_appears(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    src = config.source.folder
    os.symlink("target.txt", src / "2024-03-05-link.md")
    for _ in range(3):
        result = build(config)
        assert result.read == 4 and result.rejected == 1
    target = article(src, "target.txt", title="Linked", when="2024-03-05T10:00:00Z")
    os.utime(target, ns=(OLD * 10**9, OLD * 10**9))
    compared, result = comparisons.during(config)
    assert compared == 1 and result.rejected == 0
    assert b"Linked" in (config.output.folder / "all.atom").read_bytes()


def test_a_watched_build_withdraws_the_digest(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    build(config)
    file = config.source.folder / "2024-03-02-two.md"
    original = file.read_bytes()
    stat = file.stat()
    file.write_bytes(original.replace(b'title: "Two"', b'title: "Owt"'))
    os.utime(file, ns=(OLD * 10**9 + 77, OLD * 10**9 + 77))
    watched = build(config, changed=frozenset({"2024-03-02-two.md"}))
    assert watched.parsed == 1
    # The file is put back as it was, stat and all: only a comparison can tell.
    file.write_bytes(original)
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    compared, result = comparisons.during(config)
    assert compared == 1 and result.parsed == 1
    assert b"Owt" not in (config.output.folder / "all.atom").read_bytes()


def test_warnings_are_reported_on_every_run_and_follow_their_file(
        tmp_path: Path, comparisons: Comparisons) -> None:
    config = site(tmp_path)
    src = config.source.folder
    article(src, "2024-03-04-warned.md", title="Warned", topics=("Power Apps", "[a, b]"))
    aged(src)
    warned = [("2024-03-04-warned.md", ("topics[1]: must be text, got a list; dropped",))]
    assert [tuple(w) for w in build(config).warnings] == warned
    for _ in range(2):  # proven listing: the warnings kept with it
        compared, result = comparisons.during(config)
        assert compared == 0 and [tuple(w) for w in result.warnings] == warned
    fixed = article(src, "2024-03-04-warned.md", title="Warned")
    os.utime(fixed, ns=(OLD * 10**9 + 55, OLD * 10**9 + 55))
    for expected_comparisons in (1, 0):
        compared, result = comparisons.during(config)
        assert compared == expected_comparisons and result.warnings == ()


def test_watched_builds_count_the_files_as_a_walk_does(tmp_path: Path) -> None:
    config = site(tmp_path)
    assert build(config).read == 3
    src = config.source.folder
    article(src, "2024-03-06-five.md", title="Five", when="2024-03-06T10:00:00Z")
    assert build(config, changed=frozenset({"2024-03-06-five.md"})).read == 4
    (src / "2024-03-01-one.md").unlink()
    (src / "2024-03-02-two.md").unlink()
    gone = frozenset({"2024-03-01-one.md", "2024-03-02-two.md"})
    assert build(config, changed=gone, allow_shrink=True).read == 2
    assert build(config, changed=gone).read == 2  # nothing written: the count stands
    assert build(config).read == 2


def test_watched_builds_keep_the_warnings_a_walk_would_report(tmp_path: Path) -> None:
    config = site(tmp_path)
    src = config.source.folder
    build(config)
    name = "2024-03-02-two.md"
    warned = [(name, ("topics[1]: must be text, got a list; dropped",))]
    article(src, name, title="Two", topics=("Power Apps", "[a, b]"))
    assert [tuple(w) for w in build(config, changed=frozenset({name})).warnings] == warned
    assert [tuple(w) for w in build(config).warnings] == warned  # the walk agrees
    article(src, "2024-03-07-six.md", title="Six", topics=("Power Apps", "[c]"))
    six = [("2024-03-07-six.md", ("topics[1]: must be text, got a list; dropped",))]
    got = build(config, changed=frozenset({"2024-03-07-six.md"})).warnings
    assert [tuple(w) for w in got] == warned + six  # path order
    (src / name).unlink()
    got = build(config, changed=frozenset({name}), allow_shrink=True).warnings
    assert [tuple(w) for w in got] == six
    assert [tuple(w) for w in build(config).warnings] == six
