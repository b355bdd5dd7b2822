"""What every format agrees on: entry ids, text cleaning, dates, author and topic URIs.

An article appears in the all-feed, its topic feeds and its provider feed, in Atom, RSS
and JSON Feed; readers recognise it by id, so everything here is a function of the
article alone.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from syndicate import __version__
from syndicate.config import Config
from syndicate.dedupe import dedupe_key
from syndicate.model import Article, Provider

GENERATOR = "syndicate"
GENERATOR_VERSION = __version__

MEDIA_TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}

# Characters XML 1.0 forbids (lxml refuses them outright), the C1 controls (NEL too:
# XML 1.0 only discourages the others, but the W3C validator reports every one of
# U+0080..U+009F as BadCharacters), the non-characters XML discourages, and U+FFFD,
# the mark of text lost to a decoding error upstream (also BadCharacters). The reader
# already cleans article text; render cleans again because a config string or a future
# reader bug must not crash a build or produce a feed no parser accepts.
_NOT_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffd\ufffe\uffff]"
)


def clean(text: str) -> str:
    """``text`` without characters XML 1.0 forbids or discourages (also makes it valid
    UTF-8: lone surrogates go)."""
    return _NOT_XML.sub("", text)


# Characters a URI may carry as they are, as the W3C Feed Validator has them
# (RFC 2396 uric plus '#'): RSS wants URLs, not IRIs, and '[', ']', '|', '{', '}', '^',
# '`', '"', '<', '>' and non-ASCII characters make it report an invalid link.
_URI_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                       ";/?:@&=+$.-_!~*'(),")
_AUTHORITY = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*:)(//[^/?#]*)?(.*)\Z", re.DOTALL)
_HEX = frozenset("0123456789abcdefABCDEF")


def _escape(text: str, keep: str = "") -> str:
    out: list[str] = []
    fragment = False
    for i, ch in enumerate(text):
        if ch in _URI_CHARS or ch in keep:
            out.append(ch)
        elif ch == "%" and len(text) > i + 2 and text[i + 1] in _HEX and text[i + 2] in _HEX:
            out.append(ch)  # an existing percent-escape stays as it is
        elif ch == "#" and not fragment:
            fragment = True
            out.append(ch)
        else:
            out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8", "surrogatepass"))
    return "".join(out)


def _host(authority: str) -> str:
    userinfo, at, hostport = authority.rpartition("@")
    if not hostport.isascii():
        host, colon, port = hostport.rpartition(":")
        if not colon or not port.isdigit():
            host, colon, port = hostport, "", ""
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = _escape(host)  # RFC 3986 allows a percent-encoded reg-name
        hostport = host + colon + port
    return _escape(userinfo) + at + _escape(hostport, keep="[]")


def web_uri(url: str) -> str:
    """``url`` (an IRI from an article record or the config) as a plain ASCII URI, the
    mapping of RFC 3987 section 3.1: a non-ASCII host in IDNA form, every other
    character a URI cannot carry percent-encoded as UTF-8 (a stray ``%`` becomes
    ``%25``). An ASCII URL made only of URI characters comes back unchanged, so every
    format carries the same link."""
    m = _AUTHORITY.match(url)
    if m is None:
        return _escape(url)
    scheme, authority, rest = m.groups()
    return scheme + ("//" + _host(authority[2:]) if authority else "") + _escape(rest)


# A URL :func:`web_uri` returns unchanged: URI characters only, every ``%`` starting a
# percent-escape, at most one ``#`` (a later one is escaped), no non-ASCII character
# (so no IDNA host). Nearly every real link is one; it skips the per-character escape.
_U = "A-Za-z0-9;/?:@&=+$.\\-_!~*'(),"
_PLAIN_URI = re.compile(f"(?:[{_U}]|%[0-9A-Fa-f]{{2}})*(?:#(?:[{_U}]|%[0-9A-Fa-f]{{2}})*)?")

# Bounded caches of pure functions of one string: an article link is written into every
# feed that carries the article, in three formats, and a provider's URI into every item
# of it. A cache lives per process (a render worker renders many feeds).
_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=_CACHE_SIZE)
def url(text: str) -> str:
    """A URL for the output: cleaned like any text, then :func:`web_uri`."""
    if _PLAIN_URI.fullmatch(text):
        return text  # nothing clean() drops, nothing web_uri() changes
    return web_uri(clean(text))


# Entry ids computed by an earlier build (link -> id), kept in the index (meta
# ``entry_ids``) and handed in by the build: deriving an id (dedupe key + UUID v5) costs
# ~30 µs, ~0.8 s for the items of every feed at 100,000 articles, which a one-file build
# would otherwise pay again each run. A pure memo of a pure function: a stale or
# foreign entry can only be one the function itself gives (see :func:`known_ids`).
_KNOWN_IDS: dict[str, str] = {}


def known_ids(ids: dict[str, str]) -> None:
    """Seed :func:`entry_id` with ``ids`` (link -> id) from an earlier build; entries
    are checked lazily: an id is used only for exactly its link."""
    _KNOWN_IDS.clear()
    _KNOWN_IDS.update(ids)


def entry_id(article: Article) -> str:
    """The article's id in every feed and format: a name-based (v5) UUID URN of its
    dedupe-normalised link.

    Derived from the link the way duplicates are recognised, so a tracking parameter or
    fragment added later does not make readers show the story twice; never from the
    file path or the build time. A URN is always an absolute, canonical IRI, which a raw
    link (upper-case host, default port, spaces) is not guaranteed to be.
    """
    known = _KNOWN_IDS.get(article.link)
    return known if known is not None else _link_id(article.link)


@lru_cache(maxsize=_CACHE_SIZE)
def _link_id(link: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, dedupe_key(link))}"


def utc_us(us: int) -> datetime:
    """µs since the epoch as an aware UTC datetime (exact: no float on the way)."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


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


def provider_name(provider: Provider) -> str:
    """The provider's display name, never blank: a name made only of characters
    :func:`clean` drops (C1 controls, U+FFFD) falls back to the domain, since an empty
    author name is no name (RFC 4287 atom:name; the W3C validator warns on a blank one)."""
    return clean(provider.name).strip() or provider.domain


def provider_uri(provider: Provider) -> str:
    return url(f"https://{provider.domain}/")


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
