"""A format-neutral digest of one feed: its id, self link, own date and, per item, the id,
link and dates readers key on. What `check --previous` compares (see compare.py).

Parsing is the checker's own secure parsing (no entities, no DTD, no network); a document
that is not a feed gives no digest rather than an exception.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from lxml import etree

from syndicate.check.findings import Format
from syndicate.check.jsontext import LinedDict, LinedList, loads_with_lines
from syndicate.check.tree import elements, line_of, resolve, split
from syndicate.check.values import rfc822_moment, rfc3339_moment
from syndicate.check.xml import parse_xml

ATOM_NS = "http://www.w3.org/2005/Atom"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1_NS = "http://purl.org/rss/1.0/"
DC_NS = "http://purl.org/dc/elements/1.1/"
# RFC 6721: <at:deleted-entry ref="the deleted entry's id"/>
TOMBSTONE = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"


@dataclass(frozen=True, slots=True)
class Item:
    """One entry/item as readers identify it."""

    id: str | None
    """atom:id, RSS guid, RSS 1.0 rdf:about, JSON Feed id (a number as its string)."""
    link: str | None
    """The alternate link / RSS link / JSON Feed url, xml:base applied."""
    published: datetime.datetime | None
    """atom:published, RSS pubDate, RSS 1.0 dc:date, JSON Feed date_published."""
    published_text: str | None
    """``published`` as written, for messages."""
    date: datetime.datetime | None
    """Its age for ordering: published, else updated (date_modified)."""
    line: int | None

    @property
    def key(self) -> str | None:
        """What readers key the item on: its id, else its link (newsboat and others)."""
        if self.id:
            return self.id
        return f"link:{self.link}" if self.link else None


@dataclass(frozen=True, slots=True)
class Digest:
    """What a feed says about itself and its items."""

    format: Format
    feed_id: str | None
    feed_id_line: int | None
    self_url: str | None
    self_line: int | None
    stamp: datetime.datetime | None
    """The document's own date: Atom feed updated; RSS lastBuildDate, else pubDate;
    JSON Feed has none."""
    stamp_text: str | None
    items: tuple[Item, ...]
    tombstones: frozenset[str]
    """The refs of RFC 6721 at:deleted-entry elements anywhere in the document."""


def digest(data: bytes) -> Digest | None:
    """The digest of an Atom, RSS or JSON Feed document, or None when it is not one."""
    first = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")[:1]
    if first == b"{":
        return _json(data)
    parsed = parse_xml(data)
    if parsed.root is None:
        return None
    root = parsed.root
    ns, name = split(root.tag)
    if (ns, name) == (ATOM_NS, "feed"):
        return _atom(root)
    if name == "rss" and ns in ("", "http://backend.userland.com/rss2"):
        return _rss(root)
    if (ns, name) == (RDF_NS, "RDF"):
        return _rss1(root)
    return None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    value = "".join(str(t) for t in el.itertext()).strip()
    return value or None


def _tombstones(root: etree._Element) -> frozenset[str]:
    return frozenset(ref.strip() for el in root.iter(TOMBSTONE)
                     if (ref := el.get("ref")) is not None)


def _moment(value: str | None) -> datetime.datetime | None:
    """An RFC 3339 instant; one without a time zone is no instant (and cannot be compared)."""
    moment = rfc3339_moment(value) if value else None
    return moment if moment is not None and moment.tzinfo is not None else None


def _atom_date(el: etree._Element | None) -> datetime.datetime | None:
    return _moment(_text(el))


def _atom_self(feed: etree._Element) -> etree._Element | None:
    for link in feed.iterchildren(f"{{{ATOM_NS}}}link"):
        if (link.get("rel") or "").strip() == "self" and link.get("href") is not None:
            return link
    return None


def _atom(feed: etree._Element) -> Digest:
    a = f"{{{ATOM_NS}}}"
    items = []
    for entry in feed.iterchildren(a + "entry"):
        link = next((el for el in entry.iterchildren(a + "link")
                     if (el.get("rel") or "alternate").strip() == "alternate"
                     and el.get("href") is not None), None)
        published_el = entry.find(a + "published")
        published = _atom_date(published_el)
        items.append(Item(
            id=_text(entry.find(a + "id")),
            link=resolve(link, link.get("href") or "", None) if link is not None else None,
            published=published, published_text=_text(published_el),
            date=published or _atom_date(entry.find(a + "updated")), line=line_of(entry)))
    feed_id = feed.find(a + "id")
    self_link = _atom_self(feed)
    updated = feed.find(a + "updated")
    return Digest(
        format="atom", feed_id=_text(feed_id),
        feed_id_line=line_of(feed_id) if feed_id is not None else None,
        self_url=(resolve(self_link, self_link.get("href") or "", None)
                  if self_link is not None else None),
        self_line=line_of(self_link) if self_link is not None else None,
        stamp=_atom_date(updated), stamp_text=_text(updated), items=tuple(items),
        tombstones=_tombstones(feed))


def _rss_date(el: etree._Element | None) -> datetime.datetime | None:
    value = _text(el)
    moment = rfc822_moment(value) if value else None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def _rss(root: etree._Element) -> Digest:
    channel = next((el for el in elements(root) if split(el.tag)[1] == "channel"), None)
    items = []
    if channel is None:
        return Digest("rss", None, None, None, None, None, None, (), _tombstones(root))
    ns = split(channel.tag)[0]
    q = f"{{{ns}}}" if ns else ""
    for item in channel.iterchildren(q + "item"):
        pub = item.find(q + "pubDate")
        published = _rss_date(pub)
        items.append(Item(id=_text(item.find(q + "guid")), link=_text(item.find(q + "link")),
                          published=published, published_text=_text(pub), date=published,
                          line=line_of(item)))
    self_link = _atom_self(channel)
    stamp_el = channel.find(q + "lastBuildDate")
    if stamp_el is None:
        stamp_el = channel.find(q + "pubDate")
    return Digest(
        format="rss", feed_id=None, feed_id_line=None,
        self_url=(resolve(self_link, self_link.get("href") or "", None)
                  if self_link is not None else None),
        self_line=line_of(self_link) if self_link is not None else None,
        stamp=_rss_date(stamp_el), stamp_text=_text(stamp_el), items=tuple(items),
        tombstones=_tombstones(root))


def _rss1(root: etree._Element) -> Digest | None:
    r = f"{{{RSS1_NS}}}"
    if root.find(r + "channel") is None:
        return None
    items = []
    for item in root.iterchildren(r + "item"):
        date_el = item.find(f"{{{DC_NS}}}date")
        published = _atom_date(date_el)
        items.append(Item(id=item.get(f"{{{RDF_NS}}}about"), link=_text(item.find(r + "link")),
                          published=published, published_text=_text(date_el), date=published,
                          line=line_of(item)))
    return Digest("rss", None, None, None, None, None, None, tuple(items), _tombstones(root))


def _json_date(value: Any) -> datetime.datetime | None:
    return _moment(value) if isinstance(value, str) else None


def _json(data: bytes) -> Digest | None:
    try:
        doc = loads_with_lines(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(doc, LinedDict) or not isinstance(doc.get("items"), LinedList):
        return None
    items = []
    raw_items: LinedList = doc["items"]
    for n, obj in enumerate(raw_items):
        if not isinstance(obj, LinedDict):
            continue
        raw_id = obj.get("id")
        item_id = raw_id if isinstance(raw_id, str) else (
            str(raw_id) if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool)
            else None)
        url = obj.get("url")
        published = _json_date(obj.get("date_published"))
        text = obj.get("date_published")
        items.append(Item(id=item_id or None, link=url if isinstance(url, str) else None,
                          published=published,
                          published_text=text if isinstance(text, str) else None,
                          date=published or _json_date(obj.get("date_modified")),
                          line=raw_items.lines[n] if n < len(raw_items.lines) else obj.line))
    feed_url = doc.get("feed_url")
    return Digest(
        format="jsonfeed", feed_id=None, feed_id_line=None,
        self_url=feed_url if isinstance(feed_url, str) else None,
        self_line=doc.lines.get("feed_url"), stamp=None, stamp_text=None, items=tuple(items),
        tombstones=frozenset())
