"""What every format agrees on: entry ids, text cleaning, dates, author and topic URIs.

An article appears in the all-feed, its topic feeds and its provider feed, in Atom, RSS
and JSON Feed; readers recognise it by id, so everything here is a function of the
article alone.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from syndicate import __version__
from syndicate.config import Config
from syndicate.model import Article, Provider
from syndicate.select import dedupe_key

GENERATOR = "syndicate"
GENERATOR_VERSION = __version__

MEDIA_TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}

# Characters XML 1.0 forbids (lxml refuses them outright) plus the C1 controls and
# non-characters it discourages. The reader already cleans article text; render cleans
# again because a config string or a future reader bug must not crash a build or
# produce a feed no parser accepts.
_NOT_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)


def clean(text: str) -> str:
    """``text`` without characters XML 1.0 forbids or discourages (also makes it valid
    UTF-8: lone surrogates go)."""
    return _NOT_XML.sub("", text)


def entry_id(article: Article) -> str:
    """The article's id in every feed and format: a name-based (v5) UUID URN of its
    dedupe-normalised link.

    Derived from the link the way duplicates are recognised, so a tracking parameter or
    fragment added later does not make readers show the story twice; never from the
    file path or the build time. A URN is always an absolute, canonical IRI, which a raw
    link (upper-case host, default port, spaces) is not guaranteed to be.
    """
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, dedupe_key(article.link))}"


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """``2020-06-09T01:09:00+00:00``: the same spelling feedgen writes into Atom."""
    return utc(moment).isoformat()


def topic_names(article: Article) -> tuple[str, ...]:
    """The article's topics as categories/tags: cleaned, non-empty, each once."""
    names: list[str] = []
    for topic in article.topics:
        name = clean(topic).strip()
        if name and name not in names:
            names.append(name)
    return tuple(names)


def provider_uri(provider: Provider) -> str:
    return clean(f"https://{provider.domain}/")


def feed_author(config: Config) -> str:
    """Atom requires an author on the feed or on every entry; not every article has a
    provider, so the feed always names one: the configured author, else the site."""
    return clean(config.site.author or config.site.title)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822(moment: datetime) -> str:
    """``Tue, 09 Jun 2020 01:09:00 +0000``, locale-independent (as RSS and OPML want)."""
    t = utc(moment)
    return (f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year:04d} "
            f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000")
