"""What several test files share: where things are, the real corpus (skipped with a
reason when it is not beside the repository), and running a piece of a test without
root's power to override file permissions.

The suite must pass from any clone, whoever runs it: as an ordinary user, as root (CI),
with or without ``../shared`` beside the repository, and from a private (0700) folder.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

REPO = Path(__file__).resolve().parents[1]
# The project's real records (read-only, see ../shared/README.md). Only the project's own
# machines have them: a fresh clone does not, and every test that needs them skips.
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
NO_SHARED_CORPUS = (f"the real corpus is not beside this clone ({SHARED_CORPUS}); "
                    f"only the project's machines have ../shared")


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """The real corpus folder; the test is skipped (with the reason) when it is absent."""
    if not SHARED_CORPUS.is_dir():
        pytest.skip(NO_SHARED_CORPUS)
    return SHARED_CORPUS


# --- permissions, as root too ------------------------------------------------------------
#
# Root reads, writes and lists everything, so a chmod-000 file or a read-only folder proves
# nothing when the suite runs as root (as CI does). Switching to another user does not work
# in general: a clone under a private folder (mktemp -d, mode 0700) or an interpreter under
# /root cannot be reached by that user. Dropping only the two capabilities that override
# permission bits keeps root the owner of every file it can reach (the clone, the
# interpreter, pytest's tmp_path) and makes the bits count, exactly as for an ordinary user.

_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2
_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_permission_override() -> None:
    """Make file permission bits apply to this process and to every program it executes.

    A no-op for an ordinary user. For root: CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH leave
    the bounding set (so an executed program does not get them back) and the effective,
    permitted and inheritable sets. Raises OSError where that is impossible (not Linux,
    or no CAP_SETPCAP). Safe as a ``subprocess`` ``preexec_fn``: it only calls libc.
    """
    if os.geteuid() != 0:
        return
    if not sys.platform.startswith("linux"):
        raise OSError("dropping capabilities needs Linux")
    libc = ctypes.CDLL(None, use_errno=True)
    caps = (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH)
    for cap in caps:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)  # absent before 4.3
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    mask = ~sum(1 << cap for cap in caps) & 0xFFFFFFFF  # both live in the first word
    data[0].effective &= mask
    data[0].permitted &= mask
    data[0].inheritable &= mask
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


T = TypeVar("T")


def _call_without_override(func: Callable[[], T]) -> T:
    """``func()`` with permission bits enforced: directly for an ordinary user, in a
    forked child that dropped the override for root. The result (or the exception) comes
    back pickled through a pipe; the child never returns into pytest."""
    if os.geteuid() != 0:
        return func()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return, never run pytest's own cleanup
        os.close(read_end)
        outcome: tuple[str, object]
        try:
            drop_permission_override()
        except OSError as exc:
            outcome = ("impossible", str(exc))
        else:
            try:
                outcome = ("returned", func())
            except BaseException as exc:  # noqa: BLE001 - carried to the parent, raised there
                outcome = ("raised", exc)
        try:
            payload = pickle.dumps(outcome)
        except Exception as exc:  # noqa: BLE001
            payload = pickle.dumps(("raised", RuntimeError(f"unpicklable result: {exc!r}")))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and payload, "the unprivileged child died"
    how, value = pickle.loads(payload)
    if how == "impossible":
        pytest.skip(f"root cannot give up its permission override here: {value}")
    if how == "raised":
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[no-any-return]


@pytest.fixture()
def without_permission_override() -> Callable[[Callable[[], T]], T]:
    """Call a function with file permission bits enforced, whoever runs the suite:
    ``without_permission_override(lambda: read_article(...))``."""
    return _call_without_override
