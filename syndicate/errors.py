"""Every exception that stops a run, in one hierarchy.

Problems that can happen many times in one run (a rejected article, a dropped
field, a failed WebSub ping) are values, not exceptions: they are counted and
reported, and the run goes on. What is raised here stops the run; ``str()`` of each
is the one line shown to the user. Which exit code each means is decided in
:mod:`syndicate.cli` alone.
"""

from __future__ import annotations

from pathlib import Path


class SyndicateError(Exception):
    """Base of every error syndicate raises on purpose."""


class UsageError(SyndicateError):
    """A command-line value that cannot work."""


class ConfigError(SyndicateError):
    """A configuration problem, naming the key."""


class SourceMissing(SyndicateError):
    """The configured source folder does not exist, is not a folder or cannot be
    listed. Found before the build touches the state or output folder."""


class PublishRefused(SyndicateError):
    """The build found no article file, or its selection shrank by more than
    ``safety.max_shrink``: nothing was published (see :mod:`syndicate.guard`)."""


class OutputRefused(SyndicateError):
    """The output folder (or a path in it) would lead writes outside it: nothing is
    written through it."""


class UnsafePathError(OutputRefused, ValueError):
    """A relative output path that is malformed or would leave the output folder."""


class LockBusy(SyndicateError):
    """Another build holds the lock (and ``wait``, if given, ran out).

    ``str()`` is one line naming the lock file and, when recorded, the holder's PID
    and start time.
    """

    def __init__(self, lock_file: Path, *, waited: float, holder_pid: int | None,
                 holder_started: str | None) -> None:
        self.lock_file = lock_file
        self.waited = waited
        self.holder_pid = holder_pid
        self.holder_started = holder_started
        super().__init__(self._message())

    def _message(self) -> str:
        holder = ""
        if self.holder_pid is not None:
            holder = f" by PID {self.holder_pid}"
            if self.holder_started is not None:
                holder += f" since {self.holder_started}"
        waited = f" after waiting {self.waited:g}s" if self.waited > 0 else ""
        hint = "" if self.waited > 0 else "; try again later or pass --wait SECONDS"
        return (f"another build is running: lock {self.lock_file} is held{holder}"
                f"{waited}{hint}")


class StorageError(SyndicateError):
    """The incremental index cannot be read or written (SQLite errors are wrapped in
    this, never let out of :mod:`syndicate.index`)."""


class IndexCorrupt(StorageError):
    """The index file is unreadable, malformed or holds an invalid record. The build
    discards it and rebuilds from the source files: never a reason to fail."""


class ReportError(SyndicateError):
    """The ``--report`` file could not be written."""


class RemoteError(SyndicateError):
    """Object storage (``source.url`` / ``output.url``) cannot be used: the extra is not
    installed, the endpoint stays unreachable after retries, or it refuses us. ``str()``
    is one line naming the location and what to do; it never carries a credential."""
