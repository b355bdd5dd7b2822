"""Typed records that flow through the pipeline: read -> select -> plan -> render -> write.

Every record is frozen: a stage never mutates what an earlier stage produced, so
the same input always yields the same output (feeds must be byte-identical
from run to run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

# "scheduled": published and eligible, but dated after the build's moment (held back).
Status = Literal["selected", "filtered", "rejected", "scheduled"]


@dataclass(frozen=True, slots=True)
class Image:
    """An absolute http(s) image URL with its pixel size when the record gave one."""

    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Provider:
    """Who published the story. ``domain`` is a lower-case plain host name."""

    name: str
    domain: str


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """Other coverage of the same story (``related`` in the source record): its link,
    its title and, when the record names a valid one, who published it."""

    url: str
    title: str
    provider: Provider | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One cleaned, validated article record.

    All text is plain text: HTML character references decoded, characters XML 1.0
    forbids removed, whitespace collapsed, tags of HTML elements removed (text that only
    looks like markup, such as ``List<T>``, stays). Nothing in here is markup. ``secured``
    is never read.
    """

    path: str  # POSIX path relative to the source folder; for accounting, never published
    link: str  # canonical absolute http(s) URL: webUrl, else originalUrl
    title: str
    excerpt: str
    published: datetime  # timezone-aware, UTC
    updated: datetime  # timezone-aware, UTC; equals ``published`` without updatedDateTime
    type: str  # "article", "video", ... (lower case)
    quality: float
    heat: float | None
    is_published: bool  # only a real YAML boolean ``true`` makes this True
    provider: Provider | None
    topics: tuple[str, ...]  # display spellings, merged case/space-insensitively, in record order
    images: tuple[Image, ...]
    related: tuple[RelatedLink, ...]
    embed_url: str | None  # http(s) player URL from a video's featuredContent iframe
    warnings: tuple[str, ...] = ()  # non-fatal problems, e.g. an image dropped and why


@dataclass(frozen=True, slots=True)
class Rejection:
    """A file that could not become an Article, and exactly why."""

    path: str
    reason: str
    line: int | None = None  # 1-based, when the problem has a position (YAML errors)
    column: int | None = None  # 1-based

    def where(self) -> str:
        """``path:line:column`` as far as known, for messages."""
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class Tombstone(NamedTuple):
    """A story withdrawn from a feed (RFC 6721 ``at:deleted-entry``)."""

    ref: str  # the entry id it had in the feed
    when_us: int  # µs since the epoch: the build that first saw it gone


class Outcome(NamedTuple):
    """The final state of one source file after a build: the accounting record.

    A NamedTuple, not a dataclass: one is made per source file on every selection,
    and the index stores them as plain tuples (``tuple.__new__(Outcome, row)`` turns a
    stored row back into one without a Python-level call)."""

    path: str
    status: Status
    reason: str  # why filtered / rejected; for selected, which feeds carry it
    line: int | None = None
    column: int | None = None


class Warned(NamedTuple):
    """An article kept with some values dropped (an image of ``width: wide``, a provider
    whose domain is a URL, ``published: yes``...): every one is shown, never silent."""

    path: str
    warnings: tuple[str, ...]  # one line each, naming the field: "images[0].width: ..."
