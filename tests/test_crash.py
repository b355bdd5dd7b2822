"""Crash safety and one-build-at-a-time, end to end through ``python -m syndicate build``.

A build killed with SIGKILL at seeded random moments must leave every published
file complete — byte for byte the old version or the new one, never a mix, never
a temp file under a feed's name — and the next normal build must repair
everything: its output equals a clean build's, byte for byte.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from corpus_generator import load_generator
from lxml import etree

from syndicate.lock import LOCK_FILE_NAME, acquire_lock

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "articles"
SEED = 20261122
# Generated articles beside the sample ones: many topics and providers, so a build
# writes hundreds of files and a kill can land in the middle of publishing.
GENERATED = 120
KILLS_COLD = 3  # kills during a first build into an empty output folder
KILLS_UPDATE = 6  # kills during a rebuild after every title changed
TIME_BUDGET_SECONDS = 20.0  # bounds the kill loops on a slow or busy machine

# publish.py may leave these behind when killed; they never look like feeds.
_TEMP = re.compile(r"^\..*\.tmp")




@dataclass(frozen=True)
class Site:
    root: Path
    source: Path

    def config(self, name: str, *, formats: tuple[str, ...] = ("atom", "rss", "json")) -> Path:
        """A config building ``source`` into ``<name>/out`` with state in ``<name>/state``."""
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        path = folder / "config.toml"
        path.write_text(
            "[site]\n"
            'title = "Crash test"\n'
            'base_url = "https://feeds.example.org/"\n'
            "[source]\n"
            f"folder = {json.dumps(str(self.source))}\n"
            "[output]\n"
            f"folder = {json.dumps(str(folder / 'out'))}\n"
            f"formats = {json.dumps(list(formats))}\n"
            "[state]\n"
            f"folder = {json.dumps(str(folder / 'state'))}\n",
            encoding="utf-8")
        return path


def _command(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "syndicate", "build", "--config", str(config), "--quiet",
            *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _build(config: Path) -> float:
    """A normal build that must succeed; returns its wall time (to aim the kills)."""
    started = time.monotonic()
    done = subprocess.run(_command(config), env=_env(), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return time.monotonic() - started


def _killed_build(config: Path, delay: float) -> None:
    proc = subprocess.Popen(_command(config), env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _published(out: Path) -> dict[str, bytes]:
    """Every file a reader could fetch: all but the publisher's hidden temp files."""
    files: dict[str, bytes] = {}
    if not out.is_dir():
        return files
    for path in sorted(out.rglob("*")):
        if path.is_file() and not _TEMP.match(path.name):
            files[path.relative_to(out).as_posix()] = path.read_bytes()
    return files


def _assert_complete(rel: str, data: bytes) -> None:
    """The file parses as what its name says it is."""
    if rel.endswith((".atom", ".rss", ".opml", ".xml")):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        etree.fromstring(data, parser)
    elif rel.endswith(".json"):
        json.loads(data)
    elif rel.endswith(".html"):
        assert data.rstrip().endswith(b"</html>"), f"{rel}: truncated HTML"


def _retitle(source: Path) -> None:
    """Change every article's title: every feed file gets a new version."""
    updated = '\ntitle: "Updated · '.encode()
    for path in sorted(source.glob("*.md")):
        path.write_bytes(path.read_bytes().replace(b'\ntitle: "', updated, 1))


@pytest.fixture()
def site(tmp_path: Path) -> Site:
    source = tmp_path / "source"
    source.mkdir()
    if SAMPLE.is_dir():
        for path in sorted(SAMPLE.glob("*.md")):
            shutil.copy2(path, source / path.name)
    gen = load_generator()
    for name, data in gen.iter_records(GENERATED, SEED, 0.0):
        (source / f"gen-{name}").write_bytes(data)
    return Site(tmp_path, source)


def _kill_delays(rng: random.Random, count: int, build_seconds: float) -> Iterator[float]:
    # Anywhere from just after start to a bit past the typical end of a build.
    for _ in range(count):
        yield rng.uniform(0.005, max(0.3, build_seconds * 1.1))


def test_build_killed_at_random_points_leaves_old_or_new_files_and_next_run_repairs(
        site: Site) -> None:
    rng = random.Random(SEED)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    work = site.config("work")
    out = work.parent / "out"

    # Reference outputs: clean builds of the original and of the retitled articles.
    seconds = _build(site.config("ref-old"))
    old = _published(site.root / "ref-old" / "out")
    assert any(rel.endswith(".atom") for rel in old)
    for rel, data in old.items():
        _assert_complete(rel, data)

    # 1. Kills during a cold build: whatever exists is complete and final.
    kills = 0
    for delay in _kill_delays(rng, KILLS_COLD, seconds):
        if time.monotonic() > deadline and kills:
            break
        for folder in (out, work.parent / "state"):  # each one a true cold build
            shutil.rmtree(folder, ignore_errors=True)
        _killed_build(work, delay)
        kills += 1
        for rel, data in _published(out).items():
            assert rel in old, f"{rel}: not a file the build publishes"
            assert data == old[rel], f"{rel}: partial or foreign content after kill"
            _assert_complete(rel, data)
    _build(work)  # on top of whatever the last kill left, index included
    assert _published(out) == old

    _retitle(site.source)
    _build(site.config("ref-new"))
    new = _published(site.root / "ref-new" / "out")
    assert set(new) == set(old)
    assert sum(new[rel] != old[rel] for rel in new) > len(new) // 2

    # 2. Kills during the rebuild: each file is the old bytes or the new, nothing else.
    for delay in _kill_delays(rng, KILLS_UPDATE, seconds):
        if time.monotonic() > deadline and kills > KILLS_COLD:
            break
        _killed_build(work, delay)
        kills += 1
        for rel, data in _published(out).items():
            assert rel in new, f"{rel}: not a file the build publishes"
            assert data in (old[rel], new[rel]), f"{rel}: neither old nor new after kill"
            _assert_complete(rel, data)

    # 3. The next normal run repairs everything: a clean build's bytes exactly.
    _build(work)
    assert _published(out) == new
    # Leftover temp files, if any, are hidden and never taken for feeds.
    for path in out.rglob("*"):
        if path.is_file() and _TEMP.match(path.name):
            assert path.relative_to(out).as_posix() not in new


# Enough files for the build to parse in worker processes (build.PARALLEL_THRESHOLD).
PARALLEL_FILES = 1100


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            found |= {int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()}
        except (OSError, ValueError):
            pass
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait for a busy init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_build_killed_while_parsing_in_workers_leaves_no_orphans_and_no_lock(
        tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    gen = load_generator()
    for name, data in gen.iter_records(PARALLEL_FILES, SEED + 1, 0.0):
        (source / name).write_bytes(data)
    site = Site(tmp_path, source)
    work = site.config("work", formats=("atom",))
    proc = subprocess.Popen(_command(work, "--jobs", "2"), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()

    def started_workers() -> bool:
        workers.update(_children(proc.pid))
        return bool(workers)

    try:
        assert _wait_until(started_workers, 60), "the build never started worker processes"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        # A generous bound: on a busy machine a worker may take a while to notice.
        orphans_gone = _wait_until(lambda: not any(_running(pid) for pid in workers), 60)
        # The next build runs (the orphans, if any, do not hold the lock) and repairs all.
        _build(work)
        _build(site.config("clean", formats=("atom",)))
        assert _published(tmp_path / "work" / "out") == _published(tmp_path / "clean" / "out")
        assert orphans_gone, (f"parse workers {sorted(workers)} outlived the killed build: "
                              f"every crashed cron run would leak them")
    finally:
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


# --- one build at a time -----------------------------------------------------------------

def test_second_build_while_locked_exits_3_with_a_clear_message(site: Site) -> None:
    config = site.config("locked")
    state = config.parent / "state"
    with acquire_lock(state):
        done = subprocess.run(_command(config), env=_env(), capture_output=True, text=True,
                              timeout=60, check=False)
    assert done.returncode == 3
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert str(state / LOCK_FILE_NAME) in lines[0]
    assert f"PID {os.getpid()}" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (config.parent / "out").exists()  # it wrote nothing


def _has_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` holds ``path`` open (Linux /proc)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            pass
    return False


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
def test_second_build_with_wait_runs_once_the_lock_is_released(site: Site) -> None:
    config = site.config("waiting")
    state = config.parent / "state"
    with acquire_lock(state):
        proc = subprocess.Popen(_command(config, "--wait", "300"), env=_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Released only once the second build is waiting on the lock file (it has it
        # open and retries), however long the busy machine takes to get it there.
        waiting = _wait_until(lambda: _has_open(proc.pid, state / LOCK_FILE_NAME)
                              or proc.poll() is not None, 120)
        assert waiting and proc.poll() is None, "the second build did not wait"
        assert not (config.parent / "out").exists()  # nothing written while waiting
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-2000:]
    assert (config.parent / "out" / "all.atom").is_file()


def test_wait_that_runs_out_exits_3(site: Site) -> None:
    config = site.config("timeout")
    with acquire_lock(config.parent / "state"):
        done = subprocess.run(_command(config, "--wait", "0.3"), env=_env(),
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3
    assert "after waiting 0.3s" in done.stderr
