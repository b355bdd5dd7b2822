"""The only module that reads a clock.

Output is a function of the articles, the config, ``--now`` and the state folder's
history: the calendar clock is read once per command, by the CLI
(:func:`wall_now`), and handed down as a value. Two other clocks exist, neither of
which reaches the output:

- :func:`file_clock_ns`: the file system's notion of now, compared with file mtimes to
  spot "racily clean" index entries (see :mod:`syndicate.index`). It must be the real
  time, whatever ``--now`` says;
- :class:`Stopwatch`: elapsed seconds, for the summary line, debug logs and waits.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def wall_now() -> datetime:
    """The current time, UTC. Called once per command, by the CLI."""
    return datetime.now(UTC)


def file_clock_ns() -> int:
    """Now, in the units and epoch of ``st_mtime_ns``."""
    return time.time_ns()


def monotonic() -> float:
    """Seconds on a clock that never goes back, for measuring intervals only."""
    return time.monotonic()


class Stopwatch:
    """Seconds since it was made."""

    __slots__ = ("_started",)

    def __init__(self) -> None:
        self._started = time.monotonic()

    def seconds(self) -> float:
        return time.monotonic() - self._started
