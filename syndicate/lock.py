"""One build at a time: an OS-level lock on a file in the state folder.

The lock is ``fcntl.flock`` on ``<state folder>/build.lock``. The kernel releases it
when the holding process exits for any reason, ``kill -9`` included, so a crashed
build never leaves a stale lock behind and nothing has to be cleaned up by hand.

After acquiring, the holder writes its PID and start time into the file. That text
is only for the message another run prints ("held by PID 1234 since ..."); it is
never used to decide whether the lock is held — a PID can be stale or reused.

A forked child (a parse worker) would share the lock's open file description and
keep the lock alive after the build itself died — every later cron run would then
be "busy" until the orphans exit. So the descriptor is closed in every forked
child (``os.register_at_fork``) and is close-on-exec for executed programs: only
the process that acquired the lock ever holds it.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syndicate.clock import monotonic, wall_now
from syndicate.errors import LockBusy

__all__ = ["LOCK_FILE_NAME", "LockBusy", "acquire_lock"]

LOCK_FILE_NAME = "build.lock"

# How often a waiting run retries. Short enough that a cron run waiting for the
# previous one starts promptly; long enough not to burn CPU.
_POLL_SECONDS = 0.05

# The holder's note is untrusted text (anyone could have written the file): only a
# plain number and an ISO timestamp ever reach a message.
_PID = re.compile(r"^[0-9]{1,10}$")
_STARTED = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")

log = logging.getLogger(__name__)

# Lock descriptors this process holds. Process-wide on purpose: a fork copies every
# descriptor whoever opened it, so the at-fork hook needs the full list.
_HELD: set[int] = set()


def _close_in_forked_child() -> None:
    for fd in _HELD:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_forked_child)


def _read_holder(fd: int) -> tuple[int | None, str | None]:
    """The PID and start time the current holder wrote, if readable and well formed."""
    try:
        raw = os.pread(fd, 512, 0)
        note = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        # Empty (holder has not written yet), truncated or foreign content.
        return None, None
    if not isinstance(note, dict):
        return None, None
    pid_text = str(note.get("pid", ""))
    started = note.get("started")
    pid = int(pid_text) if _PID.match(pid_text) else None
    if not (isinstance(started, str) and _STARTED.match(started)):
        started = None
    return pid, started


def _write_holder(fd: int) -> None:
    started = wall_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    note = json.dumps({"pid": os.getpid(), "started": started}) + "\n"
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, note.encode("ascii"), 0)
    except OSError as exc:
        # The note is a courtesy for other runs' messages; the lock itself holds.
        log.debug("could not record lock holder in lock file: %s", exc)


@contextmanager
def acquire_lock(state_folder: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the build lock of ``state_folder`` for the ``with`` block.

    Creates the folder and the lock file when needed. With ``wait > 0`` retries until
    ``wait`` seconds have passed; then (or at once with ``wait <= 0``) raises
    :class:`LockBusy`. ``OSError`` propagates when the folder or file cannot be
    created. Not re-entrant: a second acquire in the same process is busy too.
    """
    state_folder.mkdir(parents=True, exist_ok=True)
    lock_file = state_folder / LOCK_FILE_NAME
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    owner = os.getpid()
    _HELD.add(fd)
    try:
        deadline = monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
            remaining = deadline - monotonic()
            if remaining <= 0:
                pid, started = _read_holder(fd)
                raise LockBusy(lock_file, waited=max(wait, 0.0), holder_pid=pid,
                               holder_started=started)
            time.sleep(min(_POLL_SECONDS, remaining))
        _write_holder(fd)
        log.debug("holding build lock %s", lock_file)
        try:
            yield
        finally:
            # Clear the note while still holding the lock, so a later reader never
            # sees a finished build's PID; closing the descriptor releases the lock.
            if os.getpid() == owner:
                try:
                    os.ftruncate(fd, 0)
                except OSError:
                    pass
    finally:
        # A forked child that runs on out of this block had the descriptor closed by
        # the at-fork hook, and its number may name another file by now.
        if os.getpid() == owner:
            _HELD.discard(fd)
            os.close(fd)
