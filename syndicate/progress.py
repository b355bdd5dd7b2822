"""The live progress line on a terminal: ``reading 12,345/100,000 files 8,123/s ETA 11s``.

Shown only when the caller says so — compute ``enabled`` with :func:`progress_enabled`
(a terminal, and not ``--quiet``), so a cron run stays silent and mails only on
trouble. The line is redrawn in place with ``\\r`` at most ten times a second and
erased on close, leaving the terminal as it was.

The clock is used only to throttle redraws and estimate the rate; nothing here ever
reaches a published file.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Self, TextIO

from syndicate.clock import monotonic

# Redraw at most this often: a terminal cannot show more, and drawing per file
# would cost more than parsing a small file.
_MIN_REDRAW_SECONDS = 0.1

log = logging.getLogger(__name__)


def progress_enabled(stream: TextIO, quiet: bool) -> bool:
    """True when ``stream`` is a terminal and the user did not ask for quiet."""
    if quiet:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        # No isatty, or a closed stream: certainly not a terminal we can draw on.
        return False


def format_duration(seconds: float) -> str:
    """``7s``, ``3m05s``, ``2h04m``: short enough for one terminal line."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def progress_line(label: str, done: int, total: int, elapsed: float) -> str:
    """The text of the line (without ``\\r``); rate and ETA once time has passed."""
    text = f"{label} {done:,}/{total:,} files"
    if elapsed > 0 and done > 0:
        rate = done / elapsed
        text += f" {rate:,.0f}/s"
        if total > done:
            text += f" ETA {format_duration((total - done) / rate)}"
    return text


class Progress:
    """Counts files done out of ``total`` and, when ``enabled``, draws the line.

    Disabled, it only counts: safe and cheap to call per file. A write error on the
    stream (a closed terminal) turns drawing off instead of failing the build.
    ``clock`` defaults to :func:`syndicate.clock.monotonic`; tests pass their own.
    """

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None,
                 label: str = "reading", clock: Callable[[], float] | None = None) -> None:
        self.total = max(0, total)
        self.done = 0
        self.enabled = enabled
        self.label = label
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock if clock is not None else monotonic
        self._started = self._clock() if enabled else 0.0
        self._last_draw: float | None = None
        self._drawn_width = 0  # characters currently on the line, to erase them

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = self._clock()
        if self._last_draw is not None and now - self._last_draw < _MIN_REDRAW_SECONDS:
            return
        self._last_draw = now
        self._draw(progress_line(self.label, self.done, self.total, now - self._started))

    def clear(self) -> None:
        """Erase the line for now (e.g. before logging a message); the next
        :meth:`advance` draws it again."""
        if self.enabled and self._drawn_width:
            self._write("\r" + " " * self._drawn_width + "\r")
        self._drawn_width = 0
        self._last_draw = None

    def close(self) -> None:
        """Erase the line and stop drawing. Idempotent."""
        self.clear()
        self.enabled = False

    def _draw(self, text: str) -> None:
        # Pad over the previous text: a shorter line must not leave its tail behind.
        padding = " " * max(0, self._drawn_width - len(text))
        if self._write("\r" + text + padding):
            self._drawn_width = len(text)

    def _write(self, data: str) -> bool:
        try:
            self._stream.write(data)
            self._stream.flush()
        except (OSError, ValueError) as exc:
            log.debug("progress line turned off: %s", exc)
            self.enabled = False
            self._drawn_width = 0
            return False
        return True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
