"""Publishing: atomic, change-aware writes that never leave the output folder; prune."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from syndicate.publish import UnsafePathError, prune, write_if_changed, write_many
from syndicate.slug import slugify

PAST = 1_000_000_000  # 2001: an mtime no test run can produce by writing


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*tmp-*"))


def test_new_file_is_written_and_readable_by_others(tmp_path: Path) -> None:
    root = tmp_path / "feeds"
    assert write_if_changed(root, "topics/ai.atom", b"<feed/>") is True
    target = root / "topics" / "ai.atom"
    assert target.read_bytes() == b"<feed/>"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert leftovers(root) == []


def test_unchanged_bytes_leave_the_file_and_its_mtime_alone(tmp_path: Path) -> None:
    write_if_changed(tmp_path, "all.rss", b"same")
    target = tmp_path / "all.rss"
    os.utime(target, (PAST, PAST))
    inode = target.stat().st_ino
    assert write_if_changed(tmp_path, "all.rss", b"same") is False
    assert target.stat().st_mtime == PAST
    assert target.stat().st_ino == inode


def test_changed_bytes_replace_the_file_and_keep_its_mode(tmp_path: Path) -> None:
    write_if_changed(tmp_path, "all.json", b"old")
    target = tmp_path / "all.json"
    target.chmod(0o640)
    os.utime(target, (PAST, PAST))
    assert write_if_changed(tmp_path, "all.json", b"new!") is True
    assert target.read_bytes() == b"new!"
    assert target.stat().st_mtime != PAST
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    # Same size, different bytes: still a change.
    assert write_if_changed(tmp_path, "all.json", b"NEW!") is True
    assert target.read_bytes() == b"NEW!"


@pytest.mark.parametrize("rel", [
    "", "/etc/passwd", "../x.atom", "topics/../../x.atom", "a/./b.atom", "topics//a.atom",
    "topics\\a.atom", "a\0b.atom", "..", ".", "topics/", "topics/..",
])
def test_unsafe_relative_paths_are_refused(rel: str, tmp_path: Path) -> None:
    root = tmp_path / "feeds"
    with pytest.raises(UnsafePathError):
        write_if_changed(root, rel, b"x")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []


def test_a_symlinked_subfolder_leading_outside_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "feeds", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "topics").symlink_to(outside)
    with pytest.raises(UnsafePathError):
        write_if_changed(root, "topics/ai.atom", b"x")
    with pytest.raises(UnsafePathError):
        write_if_changed(root, "topics/deeper/ai.atom", b"x")
    assert list(outside.iterdir()) == []


def test_a_symlinked_subfolder_inside_the_root_is_fine(tmp_path: Path) -> None:
    root = tmp_path / "feeds"
    (root / "real").mkdir(parents=True)
    (root / "topics").symlink_to(root / "real")
    assert write_if_changed(root, "topics/ai.atom", b"x") is True
    assert (root / "real" / "ai.atom").read_bytes() == b"x"


def test_a_file_symlink_leading_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "feeds"
    root.mkdir()
    secret = tmp_path / "secret"
    secret.write_bytes(b"keep me")
    (root / "all.atom").symlink_to(secret)
    with pytest.raises(UnsafePathError):
        write_if_changed(root, "all.atom", b"x")
    assert secret.read_bytes() == b"keep me"


@pytest.mark.parametrize("name", ["../../x", "C++", "人工智能", "x" * 400, "..", "/etc"])
def test_hostile_names_through_slugs_stay_under_the_root(name: str, tmp_path: Path) -> None:
    root = tmp_path / "feeds"
    rel = f"topics/{slugify(name)}.atom"
    assert write_if_changed(root, rel, b"x") is True
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [root / rel]
    assert (root / rel).resolve().is_relative_to(root.resolve())


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write_if_changed(tmp_path, "all.atom", b"old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_if_changed(tmp_path, "all.atom", b"new")
    assert (tmp_path / "all.atom").read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_a_failed_fsync_leaves_no_temporary(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_if_changed(tmp_path, "topics/a.atom", b"new")
    assert not (tmp_path / "topics" / "a.atom").exists()
    assert leftovers(tmp_path) == []


def make_tree(root: Path) -> None:
    for rel in ["all.atom", "all.rss", "all.json", "feeds.opml", "index.html", "notes.atom",
                "topics/ai.atom", "topics/ai.rss", "topics/old.atom", "topics/old.json",
                "topics/readme.txt", "topics/.hidden.atom", "providers/gone-com.rss",
                "providers/kept-com.rss", "other/x.atom", "topics/sub/deep.atom"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(ours(rel))


def ours(rel: str) -> bytes:
    """The head of a feed file as the renderers write it (prune's ownership marks)."""
    if rel.endswith(".json"):
        return b'{\n  "version": "https://jsonfeed.org/version/1.1",\n  "feed_url": ' \
               b'"https://feeds.example.org/' + rel.encode() + b'",\n  "items": []\n}\n'
    if rel.endswith(".rss"):
        return b"<rss><channel><generator>syndicate 0.1.0</generator></channel></rss>"
    return b'<feed><generator version="0.1.0">syndicate</generator></feed>'


def test_prune_keeps_feed_files_it_did_not_write(tmp_path: Path) -> None:
    topics = tmp_path / "topics"
    topics.mkdir()
    (topics / "legacy.atom").write_bytes(b'<feed><generator>Hugo</generator></feed>')
    (topics / "legacy.rss").write_bytes(b"<rss><channel><title>syndicate</title></channel></rss>")
    (topics / "hand.json").write_bytes(b'{"feed_url": "https://x.org/topics/other.json"}')
    (topics / "empty.json").write_bytes(b"")
    (topics / "gone.atom").write_bytes(ours("topics/gone.atom"))
    (topics / "gone.json").write_bytes(ours("topics/gone.json"))
    assert prune(tmp_path, set()) == ["topics/gone.atom", "topics/gone.json"]
    assert sorted(p.name for p in topics.iterdir()) == [
        "empty.json", "hand.json", "legacy.atom", "legacy.rss"]


def test_prune_removes_only_unkept_feed_files(tmp_path: Path) -> None:
    make_tree(tmp_path)
    keep = {"all.atom", "all.rss", "topics/ai.atom", "topics/ai.rss", "providers/kept-com.rss"}
    removed = prune(tmp_path, keep)
    assert removed == ["all.json", "providers/gone-com.rss", "topics/old.atom",
                       "topics/old.json"]
    remaining = sorted(p.relative_to(tmp_path).as_posix()
                       for p in tmp_path.rglob("*") if p.is_file())
    assert remaining == sorted(
        keep | {"feeds.opml", "index.html", "notes.atom", "topics/readme.txt",
                "topics/.hidden.atom", "other/x.atom", "topics/sub/deep.atom"})
    assert prune(tmp_path, keep) == []


def test_prune_never_follows_a_symlinked_folder_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "feeds", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "victim.atom").write_bytes(b"x")
    (root / "topics").symlink_to(outside)
    (root / "providers").mkdir()
    (root / "providers" / "link.atom").symlink_to(outside / "victim.atom")
    assert prune(root, set()) == []
    assert (outside / "victim.atom").exists()
    assert (root / "providers" / "link.atom").is_symlink()


def test_prune_on_a_missing_folder_does_nothing(tmp_path: Path) -> None:
    assert prune(tmp_path / "nothing-here", set()) == []


def test_disk_full_names_the_file_and_keeps_the_old_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "all.atom").write_bytes(b"old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as exc:
        write_if_changed(tmp_path, "all.atom", b"new bytes")
    assert exc.value.errno == errno.ENOSPC
    assert exc.value.filename == str(tmp_path / "all.atom")
    assert (tmp_path / "all.atom").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.atom"]


def test_write_many_writes_changed_files_only_and_reports_each(tmp_path: Path) -> None:
    write_if_changed(tmp_path, "all.atom", b"same")
    write_if_changed(tmp_path, "topics/a.rss", b"old")
    os.utime(tmp_path / "all.atom", (PAST, PAST))
    written = write_many(tmp_path, [("all.atom", b"same"), ("topics/a.rss", b"new"),
                                    ("providers/p.json", b"{}"), ("topics/b.rss", b"b")])
    assert written == [False, True, True, True]
    assert (tmp_path / "all.atom").stat().st_mtime == PAST
    assert (tmp_path / "topics" / "a.rss").read_bytes() == b"new"
    assert (tmp_path / "providers" / "p.json").read_bytes() == b"{}"
    assert (tmp_path / "topics" / "b.rss").read_bytes() == b"b"
    assert leftovers(tmp_path) == []


def test_write_many_fsyncs_every_file_before_any_rename(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    assert write_many(tmp_path, [(f"topics/t{i}.atom", b"x" * i) for i in range(1, 6)]) == [True] * 5
    renames = [i for i, e in enumerate(events) if e == "rename"]
    assert len(renames) == 5
    assert events[:renames[0]].count("fsync") == 5  # every file's data, before any rename
    assert "fsync" in events[renames[-1]:]  # the folder, after the renames


def test_write_many_failing_fsync_keeps_every_old_file_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for rel in ("all.atom", "topics/a.atom", "topics/b.atom"):
        write_if_changed(tmp_path, rel, b"old")
    calls = 0
    real_fsync = os.fsync

    def flaky(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", flaky)
    with pytest.raises(OSError) as exc:
        write_many(tmp_path, [("all.atom", b"new"), ("topics/a.atom", b"new"),
                              ("topics/b.atom", b"new")])
    assert exc.value.filename == str(tmp_path / "topics" / "a.atom")
    for rel in ("all.atom", "topics/a.atom", "topics/b.atom"):
        assert (tmp_path / rel).read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_write_many_failing_rename_leaves_each_file_old_or_new(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rels = [f"topics/t{i}.atom" for i in range(4)]
    for rel in rels:
        write_if_changed(tmp_path, rel, b"old")
    real_replace = os.replace
    renamed = 0

    def flaky(src: str, dst: str) -> None:
        nonlocal renamed
        if renamed == 2:
            raise OSError(errno.EIO, "Input/output error")
        renamed += 1
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError):
        write_many(tmp_path, [(rel, b"new") for rel in rels])
    contents = sorted((tmp_path / rel).read_bytes() for rel in rels)
    assert contents == [b"new", b"new", b"old", b"old"]
    assert leftovers(tmp_path) == []


def test_write_many_refuses_an_unsafe_path_before_writing_anything(tmp_path: Path) -> None:
    with pytest.raises(UnsafePathError):
        write_many(tmp_path, [("all.atom", b"x"), ("../escape.atom", b"y")])
    assert not (tmp_path / "all.atom").exists()
    assert leftovers(tmp_path) == []


def test_remove_temporaries_deletes_only_orphaned_temporaries(tmp_path: Path) -> None:
    from syndicate.publish import remove_temporaries

    root = tmp_path / "feeds"
    (root / "topics").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".x.atom.tmp-abcd1234").write_text("elsewhere")
    (root / "providers").symlink_to(outside)
    orphans = [root / ".all.atom.tmp-k2x_9qz0", root / "topics" / ".ai.rss.tmp-00000000"]
    keep = [root / "all.atom", root / ".all.atom.tmp-short", root / "notes.tmp-abcdefgh",
            root / "topics" / ".ai.rss.tmp-ABCDEFGH"]
    for path in orphans + keep:
        path.write_text("x")
    (root / ".link.tmp-abcdefgh").symlink_to(outside / ".x.atom.tmp-abcd1234")

    removed = remove_temporaries(root)

    assert removed == [".all.atom.tmp-k2x_9qz0", "topics/.ai.rss.tmp-00000000"]
    assert not any(p.exists() for p in orphans)
    assert all(p.exists() for p in keep)
    assert (root / ".link.tmp-abcdefgh").is_symlink()
    assert (outside / ".x.atom.tmp-abcd1234").exists()  # never reached through a symlink


def test_a_build_clears_temporaries_a_killed_build_left(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(repo / "articles", tmp_path / "articles")
    (tmp_path / "config.toml").write_text(
        '[site]\ntitle = "T"\nbase_url = "https://feeds.example.org/"\n', encoding="utf-8")
    (tmp_path / "feeds" / "topics").mkdir(parents=True)
    orphan = tmp_path / "feeds" / "topics" / ".ai.atom.tmp-q1w2e3r4"
    orphan.write_text("half a feed")
    proc = subprocess.run([sys.executable, "-m", "syndicate", "build", "--quiet",
                           "--config", str(tmp_path / "config.toml")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert not orphan.exists()
    assert (tmp_path / "feeds" / "all.atom").exists()


def _rival_makes_first(monkeypatch: pytest.MonkeyPatch, name: str,
                       rival: object) -> list[str]:
    """Make another render worker win the race for the folder ``name``: just before this
    process creates it, the rival has (``rival(path)``). Returns the paths raced."""
    real_mkdir = os.mkdir
    raced: list[str] = []

    def mkdir(path: str | os.PathLike[str], mode: int = 0o777, **kw: object) -> None:
        if os.path.basename(os.fspath(path)) == name and not raced:
            raced.append(os.fspath(path))
            rival(path)  # type: ignore[operator]
        real_mkdir(path, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "mkdir", mkdir)
    return raced


def test_a_feed_folder_created_meanwhile_by_another_worker_is_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cause of a fresh build exiting 2 under load: two render workers publishing into
    # a new output folder both found topics/ missing; the slower mkdir failed (EEXIST).
    root = tmp_path / "out"
    raced = _rival_makes_first(monkeypatch, "topics", lambda p: os.mkdir(p))
    assert write_many(root, [("topics/ai.atom", b"<feed/>"),
                             ("topics/ml.atom", b"<feed/>")]) == [True, True]
    assert raced == [str(root / "topics")]
    assert sorted(p.name for p in (root / "topics").iterdir()) == ["ai.atom", "ml.atom"]


def test_a_link_leading_outside_planted_in_that_race_is_still_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = tmp_path / "out"
    raced = _rival_makes_first(monkeypatch, "topics", lambda p: os.symlink(outside, p))
    with pytest.raises(UnsafePathError, match="leads outside"):
        write_many(root, [("topics/ai.atom", b"<feed/>")])
    assert raced and list(outside.iterdir()) == []


def test_a_file_planted_in_that_race_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "out"
    _rival_makes_first(monkeypatch, "topics", lambda p: Path(p).write_bytes(b"x"))
    with pytest.raises(UnsafePathError, match="not a folder"):
        write_many(root, [("topics/ai.atom", b"<feed/>")])
