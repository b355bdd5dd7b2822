"""The build lock: one holder at a time, across processes, released when the holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate.lock import LOCK_FILE_NAME, LockBusy, acquire_lock

REPO = Path(__file__).resolve().parents[1]

# A separate process that takes the lock, says so on stdout, then holds it until its
# stdin closes (or it is killed).
_HOLDER = """
import sys
from pathlib import Path
from syndicate.lock import acquire_lock
with acquire_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
"""


@pytest.fixture()
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path / "state")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


def _release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0


def test_lock_creates_state_folder_and_lock_file(tmp_path: Path) -> None:
    state = tmp_path / "deep" / "state"
    with acquire_lock(state):
        assert (state / LOCK_FILE_NAME).is_file()


def test_lock_file_names_the_holder_while_held_and_is_cleared_after(tmp_path: Path) -> None:
    with acquire_lock(tmp_path):
        note = (tmp_path / LOCK_FILE_NAME).read_text()
        assert f'"pid": {os.getpid()}' in note
    assert (tmp_path / LOCK_FILE_NAME).read_text() == ""


def test_second_process_is_busy_with_a_message_naming_file_pid_and_start(
        tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(LockBusy) as caught, acquire_lock(tmp_path / "state"):
        pytest.fail("lock acquired while another process holds it")
    message = str(caught.value)
    assert "\n" not in message
    assert str(tmp_path / "state" / LOCK_FILE_NAME) in message
    assert f"PID {holder.pid} since " in message
    assert caught.value.holder_pid == holder.pid
    assert caught.value.holder_started is not None
    assert "--wait" in message


def test_lock_is_free_again_after_holder_exits_normally(
        tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    _release(holder)
    with acquire_lock(tmp_path / "state"):
        pass


def _opened_by_this_process(path: Path) -> bool:
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                return True
        except OSError:
            pass  # closed meanwhile
    return False


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
def test_wait_succeeds_once_the_holder_exits(
        tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    released = threading.Event()
    lock_file = tmp_path / "state" / LOCK_FILE_NAME

    def release_once_waiting() -> None:
        # The waiter has the lock file open while it retries: only then let go, so the
        # test proves waiting however the two threads are scheduled.
        deadline = time.monotonic() + 60
        while not _opened_by_this_process(lock_file) and time.monotonic() < deadline:
            time.sleep(0.01)
        released.set()  # before the holder is told to exit, so acquiring proves order
        _release(holder)

    releaser = threading.Thread(target=release_once_waiting)
    releaser.start()
    try:
        with acquire_lock(tmp_path / "state", wait=120):
            assert released.is_set()  # we only got in because the holder let go
    finally:
        releaser.join()
    assert holder.returncode == 0


def test_wait_that_runs_out_is_busy_and_says_it_waited(
        tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(LockBusy) as caught, acquire_lock(tmp_path / "state", wait=0.2):
        pytest.fail("lock acquired while another process holds it")
    assert "after waiting 0.2s" in str(caught.value)
    assert holder.poll() is None


def test_holder_killed_with_sigkill_releases_the_lock(
        tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(LockBusy), acquire_lock(tmp_path / "state"):
        pass
    os.kill(holder.pid, signal.SIGKILL)
    assert holder.wait(timeout=10) == -signal.SIGKILL
    # The stale note of the dead holder is still in the file; it must not matter.
    assert str(holder.pid) in (tmp_path / "state" / LOCK_FILE_NAME).read_text()
    with acquire_lock(tmp_path / "state"):
        note = (tmp_path / "state" / LOCK_FILE_NAME).read_text()
        assert f'"pid": {os.getpid()}' in note


def test_lock_is_not_reentrant_within_one_process(tmp_path: Path) -> None:
    with acquire_lock(tmp_path), pytest.raises(LockBusy), acquire_lock(tmp_path):
        pass
    with acquire_lock(tmp_path):  # and the failed attempt did not break the lock
        pass


def test_hostile_lock_file_content_is_never_echoed(tmp_path: Path) -> None:
    with acquire_lock(tmp_path):
        (tmp_path / LOCK_FILE_NAME).write_text(
            '{"pid": "1; rm -rf /", "started": "\\u001b[31mred\\nline"}')
        with pytest.raises(LockBusy) as caught, acquire_lock(tmp_path):
            pass
    message = str(caught.value)
    assert "rm -rf" not in message and "\x1b" not in message and "\n" not in message
    assert caught.value.holder_pid is None and caught.value.holder_started is None


def test_lock_released_when_the_with_block_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), acquire_lock(tmp_path):
        raise RuntimeError("build failed")
    with acquire_lock(tmp_path):  # LockBusy here would fail the test
        assert (tmp_path / LOCK_FILE_NAME).read_text() != ""


# The holder forks a long-lived child (as a parse worker pool does), reports both PIDs,
# and holds the lock until killed. The PIDs are reported only once the child says it is
# running: the at-fork hook that drops the lock runs in the child, and a child not yet
# scheduled when the holder dies would still share the lock (the race that made this
# test flaky under load). Both processes block on pipes, never on sleeps.
_FORKING_HOLDER = """
import os, sys
from pathlib import Path
from syndicate.lock import acquire_lock
with acquire_lock(Path(sys.argv[1])):
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(ready_r)
        os.write(ready_w, b"x")  # fork() has returned here: the at-fork hook has run
        os.close(ready_w)
        os.read(0, 1)  # lives until the test closes stdin or kills it
        os._exit(0)
    os.close(ready_w)
    assert os.read(ready_r, 1) == b"x"
    print(os.getpid(), child, flush=True)
    sys.stdin.read()
"""


def test_forked_children_do_not_keep_the_lock_after_the_holder_dies(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _FORKING_HOLDER, str(tmp_path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stdin is not None
    child = int(proc.stdout.readline().split()[1])
    try:
        # The child closing its inherited copy must not release the parent's lock.
        with pytest.raises(LockBusy), acquire_lock(tmp_path):
            pass
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        os.kill(child, 0)  # the orphaned child is still alive...
        with acquire_lock(tmp_path):  # ...and yet the lock is free
            pass
    finally:
        for pid in (proc.pid, child):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)
        proc.stdin.close()
        proc.stdout.close()
