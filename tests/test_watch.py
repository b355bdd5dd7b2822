"""``syndicate watch`` as users run it: a subprocess on a folder, files edited, added
and deleted, the output compared byte for byte with a cron build of the same files.
Waits poll with generous bounds (the machine is shared); nothing asserts a time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syndicate.cli import _moment, main
from syndicate.watch import event_paths

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "articles"
NOW = "2026-12-06T10:00:00Z"
PATIENCE = 120.0  # seconds: a busy machine is slow, never wrong


def _config(tmp: Path, articles: Path, out: Path, name: str) -> Path:
    # withdrawn_days = 0: RFC 6721 tombstones come from the build history, and the watched
    # output is compared with builds made from an empty state (tests/test_withdrawn.py
    # covers tombstones).
    cfg = tmp / name
    cfg.write_text(textwrap.dedent(f"""\
        [site]
        title = "Watched News"
        base_url = "https://feeds.example.org/"
        [source]
        folder = "{articles}"
        [selection]
        min_quality = 0
        [output]
        folder = "{out}"
        withdrawn_days = 0
        [state]
        folder = "{tmp / ('state-' + name)}"
        """))
    return cfg


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _cron(tmp: Path, articles: Path) -> dict[str, bytes]:
    out = tmp / "cron-out"
    shutil.rmtree(out, ignore_errors=True)
    cfg = _config(tmp, articles, out, "cron.toml")
    assert main(["build", "--config", str(cfg), "--now", NOW, "-q"]) == 0
    return _files(out)


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {PATIENCE:.0f} s: {what}")


class Watcher:
    def __init__(self, process: subprocess.Popen[str], log: Path, out: Path) -> None:
        self.process = process
        self.log = log
        self.out = out

    def builds(self) -> int:
        return sum(1 for line in self.log.read_text().splitlines() if line.startswith("read "))

    def matches(self, expected: dict[str, bytes]) -> bool:
        try:
            return _files(self.out) == expected
        except FileNotFoundError:
            return False


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Watcher, Path]]:
    articles = tmp_path / "articles"
    shutil.copytree(SAMPLES, articles)
    out = tmp_path / "watch-out"
    cfg = _config(tmp_path, articles, out, "watch.toml")
    log = tmp_path / "watch.log"
    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "watch", "--config", str(cfg), "--now", NOW,
             "--debounce", "0.3"], stderr=err, stdout=subprocess.DEVNULL, text=True,
            env=dict(os.environ, PYTHONPATH=str(REPO)))
    watcher = Watcher(process, log, out)
    try:
        _eventually(lambda: watcher.builds() >= 1, "the first build")
        yield watcher, articles
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_watch_rebuilds_on_edit_add_and_delete_like_a_cron_build(
        tmp_path: Path, watched: tuple[Watcher, Path]) -> None:
    watcher, articles = watched
    _eventually(lambda: watcher.matches(_cron(tmp_path, articles)), "first build = cron")
    # Edit.
    victim = min(articles.glob("*.md"))
    text = victim.read_text(encoding="utf-8")
    victim.write_text(text.replace('\ntitle: "', '\ntitle: "Edited while watched, ', 1),
                      encoding="utf-8")
    expected = _cron(tmp_path, articles)
    assert b"Edited while watched" in expected["all.atom"]
    _eventually(lambda: watcher.matches(expected), "edit reflected")
    # Add (in a new sub-folder: a folder event, then a full walk).
    sub = articles / "new-folder"
    sub.mkdir()
    (sub / "added.md").write_text(text.replace('\ntitle: "', '\ntitle: "Added later, ', 1)
                                  .replace('webUrl: "https://', 'webUrl: "https://added.', 1),
                                  encoding="utf-8")
    expected = _cron(tmp_path, articles)
    _eventually(lambda: watcher.matches(expected), "addition reflected")
    # Delete.
    victim.unlink()
    expected = _cron(tmp_path, articles)
    assert b"Edited while watched" not in expected["all.atom"]
    _eventually(lambda: watcher.matches(expected), "deletion reflected")
    # Stop: SIGTERM -> exit 0, no traceback, no temporary file left.
    watcher.process.send_signal(signal.SIGTERM)
    assert watcher.process.wait(timeout=PATIENCE) == 0
    log = watcher.log.read_text()
    assert "Traceback" not in log
    assert not [p for p in watcher.out.rglob(".*")]
    assert watcher.matches(expected)


def test_a_burst_of_writes_gives_few_builds_not_one_per_file(
        tmp_path: Path, watched: tuple[Watcher, Path]) -> None:
    watcher, articles = watched
    _eventually(lambda: watcher.matches(_cron(tmp_path, articles)), "first build")
    before = watcher.builds()
    template = min(articles.glob("*.md")).read_text(encoding="utf-8")
    for i in range(30):
        (articles / f"burst-{i:02d}.md").write_text(
            template.replace('webUrl: "https://', f'webUrl: "https://burst{i}.', 1),
            encoding="utf-8")
    expected = _cron(tmp_path, articles)
    _eventually(lambda: watcher.matches(expected), "burst reflected")
    time.sleep(1.0)  # let a trailing build, if any, log its line
    # 30 files, each written with several events: debounced into very few builds.
    assert 1 <= watcher.builds() - before <= 3
    watcher.process.send_signal(signal.SIGINT)
    assert watcher.process.wait(timeout=PATIENCE) == 0


def test_event_paths_decides_what_to_look_at() -> None:
    from watchdog.events import (
        DirCreatedEvent,
        DirModifiedEvent,
        EventsLostEvent,
        FileClosedEvent,
        FileDeletedEvent,
        FileMovedEvent,
        FileOpenedEvent,
    )

    def matches(name: str) -> bool:
        return name.endswith(".md")

    root = "/src"
    assert event_paths(FileClosedEvent("/src/a/b.md"), root, matches) == ["a/b.md"]
    assert event_paths(FileMovedEvent("/src/x.tmp", "/src/x.md"), root, matches) == ["x.md"]
    assert event_paths(FileMovedEvent("/src/x.md", "/src/y.md"), root, matches) == [
        "x.md", "y.md"]
    assert event_paths(FileDeletedEvent("/src/.x.md.swp"), root, matches) == []
    assert event_paths(FileDeletedEvent("/src/notes.txt"), root, matches) == []
    assert event_paths(FileOpenedEvent("/src/a.md"), root, matches) == []
    assert event_paths(FileClosedEvent("/elsewhere/a.md"), root, matches) == []
    assert event_paths(DirModifiedEvent("/src/a"), root, matches) == []
    assert event_paths(DirCreatedEvent("/src/new"), root, matches) is None
    assert event_paths(EventsLostEvent("/src"), root, matches) is None


def test_a_build_told_the_changed_paths_stores_and_writes_what_a_walk_would(
        tmp_path: Path) -> None:
    """BuildOptions.changed (what watch passes): edit, add, delete, a non-article and a
    hidden file among the paths; the outputs and the accounting equal a walked build."""
    from datetime import UTC, datetime

    from syndicate.build import run_build
    from syndicate.config import load_config
    from syndicate.result import BuildOptions

    articles = tmp_path / "articles"
    shutil.copytree(SAMPLES, articles)
    cfg = load_config(_config(tmp_path, articles, tmp_path / "told-out", "told.toml"))
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    assert run_build(cfg, BuildOptions(now=now)).read == len(list(articles.glob("*.md")))
    files = sorted(articles.glob("*.md"))
    edited, deleted = files[0], files[1]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace('\ntitle: "', '\ntitle: "Told, ', 1), encoding="utf-8")
    deleted.unlink()
    (articles / "sub").mkdir()
    (articles / "sub" / "new.md").write_text(
        text.replace('webUrl: "https://', 'webUrl: "https://new.', 1), encoding="utf-8")
    (articles / "notes.txt").write_text("not an article")
    (articles / ".hidden.md").write_text(text)
    changed = frozenset({edited.name, deleted.name, "sub/new.md", "notes.txt", ".hidden.md",
                         "never-existed.md"})
    told = run_build(cfg, BuildOptions(now=now, changed=changed))
    walked_cfg = load_config(_config(tmp_path, articles, tmp_path / "walk-out", "walk.toml"))
    run_build(walked_cfg, BuildOptions(now=now))
    walked = run_build(walked_cfg, BuildOptions(now=now))  # the accounting of a rebuild
    assert _files(tmp_path / "told-out") == _files(tmp_path / "walk-out")
    assert (told.read, told.selected, told.filtered, told.rejected) == (
        walked.read, walked.selected, walked.filtered, walked.rejected)
    assert told.parsed == 2  # the edited file and the new one, nothing else read
    assert told.read == len(files) - 1 + 1


def test_allow_shrink_lets_a_watcher_publish_a_mass_delete(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(SAMPLES, articles)
    logs = {}
    processes = {}
    for flag in ("guarded", "allowed"):
        cfg = _config(tmp_path, articles, tmp_path / f"out-{flag}", f"{flag}.toml")
        logs[flag] = tmp_path / f"{flag}.log"
        with logs[flag].open("w") as err:
            processes[flag] = subprocess.Popen(
                [sys.executable, "-m", "syndicate", "watch", "--config", str(cfg), "--now",
                 NOW, "--debounce", "0.3", *(["--allow-shrink"] if flag == "allowed" else [])],
                stderr=err, stdout=subprocess.DEVNULL, text=True,
                env=dict(os.environ, PYTHONPATH=str(REPO)))
    guarded = Watcher(processes["guarded"], logs["guarded"], tmp_path / "out-guarded")
    allowed = Watcher(processes["allowed"], logs["allowed"], tmp_path / "out-allowed")
    try:
        for w in (guarded, allowed):
            _eventually(lambda w=w: w.builds() >= 1, "the first build")
        before = _files(guarded.out)
        keep = min(articles.glob("*.md"))
        for file in articles.glob("*.md"):
            if file != keep:
                file.unlink()
        expected = _cron(tmp_path, articles)  # a fresh state: nothing to shrink from
        # The feeds of vanished topics stay (stale: no --prune); the rest is the cron build.
        _eventually(lambda: expected.items() <= _files(allowed.out).items(),
                    "the mass delete published")
        _eventually(lambda: "nothing published; run with --allow-shrink" in
                    guarded.log.read_text(), "the guard refusing the watcher without it")
        assert _files(guarded.out) == before
        assert "nothing published" not in allowed.log.read_text()
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=PATIENCE)


def test_between_builds_the_heap_is_frozen_and_its_garbage_still_collected(
        tmp_path: Path) -> None:
    """After each build the watcher collects, then freezes what is left, so the next
    build's collections do not walk the whole heap (~300 MB at a million articles);
    a cycle that became garbage while frozen is collected by the next settling."""
    import gc
    import weakref

    from syndicate.config import load_config
    from syndicate.result import BuildOptions
    from syndicate.watch import run_watch

    articles = tmp_path / "articles"
    shutil.copytree(SAMPLES, articles)
    config = load_config(_config(tmp_path, articles, tmp_path / "out", "watch.toml"))
    edited = min(articles.glob("*.md"))

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    held: list[Cycle] = []
    seen: list[tuple[int, int]] = []  # (build, objects frozen when it was logged)
    alive: list[weakref.ref[Cycle]] = []

    def on_build(result: object) -> None:
        seen.append((len(seen) + 1, gc.get_freeze_count()))
        if len(seen) == 1:
            held.append(Cycle())  # reachable now: frozen with the rest after this build
            alive.append(weakref.ref(held[0]))
            edited.write_bytes(edited.read_bytes().replace(b'title: "', b'title: "Frozen ', 1))
        else:
            held.clear()  # frozen garbage from now on
            os.kill(os.getpid(), signal.SIGTERM)

    import threading

    # Should the second build never come, stop the watcher (and fail) instead of hanging.
    give_up = threading.Timer(PATIENCE, os.kill, (os.getpid(), signal.SIGTERM))
    give_up.start()
    try:
        assert run_watch(config, BuildOptions(now=_moment(NOW)), debounce=0.05, poll=1.0,
                         clock=None, on_build=on_build) == 0
        assert len(seen) == 2
        assert seen[1][1] > 0  # the first build's survivors were frozen
        assert alive[0]() is None  # the settling after the second build collected it
        assert gc.get_freeze_count() == 0  # and the watcher unfroze on its way out
        assert "Frozen " in (tmp_path / "out" / "all.atom").read_text()
    finally:
        give_up.cancel()
        gc.unfreeze()


_FIRST_BUILD_MODULES = """
import os, signal, sys
from pathlib import Path
from syndicate.cli import _moment
from syndicate.config import load_config
from syndicate.result import BuildOptions
from syndicate.watch import run_watch

def on_build(result):
    print(result.parsed, result.rendered,
          *(name in sys.modules for name in ("syndicate.articles", "syndicate.render_all")))
    os.kill(os.getpid(), signal.SIGTERM)

run_watch(load_config(Path(sys.argv[1])), BuildOptions(now=_moment(sys.argv[2])), debounce=0.05,
          poll=1.0, clock=None, on_build=on_build)
"""


def test_a_watcher_loads_the_parser_and_renderers_before_its_first_edit(
        tmp_path: Path) -> None:
    """The watcher's first build after a cron build parses and renders nothing (the
    listing digest holds): the parser and renderers are imported at start all the
    same, so the first edit does not pay for them."""
    articles = tmp_path / "articles"
    shutil.copytree(SAMPLES, articles)
    cfg = _config(tmp_path, articles, tmp_path / "out", "watch.toml")
    for _ in range(2):  # cold, then a run that proves and stores the listing digest
        assert subprocess.run([sys.executable, "-m", "syndicate", "build", "--config",
                               str(cfg), "--now", NOW, "-q"], env=dict(
            os.environ, PYTHONPATH=str(REPO)), capture_output=True, check=False,
            timeout=PATIENCE).returncode == 0
    run = subprocess.run([sys.executable, "-c", _FIRST_BUILD_MODULES, str(cfg), NOW],
                         env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True,
                         text=True, check=False, timeout=PATIENCE)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["0", "0", "True", "True"]
