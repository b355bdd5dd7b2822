"""Scheduled publishing (issue 12): how a held-back article's due time is written.

Selection (:mod:`syndicate.select`) decides *what* is held back — an eligible article
dated after the build's moment — and the last-build record
(:class:`syndicate.incremental.LastBuild`) remembers *until when* a selection holds.
This module only names the moments, in one format for reasons, the summary line and
the report, so a cron wrapper can parse any of them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rfc3339_us(us: int) -> str:
    """µs since the epoch as RFC 3339 UTC (``2026-12-07T09:00:00Z``; a fraction only
    when there is one)."""
    when = _EPOCH + timedelta(microseconds=us)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond:06d}".rstrip("0")
    return text + "Z"


def scheduled_reason(due_us: int, by_update: bool = False) -> str:
    """The reason of a held-back article: when it enters the feeds (and, when it is its
    ``updatedDateTime`` that holds it, say so)."""
    why = " (its updatedDateTime)" if by_update else ""
    return f"scheduled for {rfc3339_us(due_us)}{why}"
