"""Every workaround for python-feedgen 1.0.0, in one place, each naming the trap.

feedgen builds Atom and RSS well, but:

1. **Entry links lose rel/type/length/title**
   (https://github.com/lkiesow/python-feedgen/issues/135): in ``FeedEntry.atom_entry``
   the loop variable ``link`` is rebound to the new XML element
   before its attributes are copied, so only ``href`` survives and a ``rel="related"`` link
   silently becomes a second alternate link. We give feedgen only the one alternate link
   per entry (no ``rel`` means alternate, RFC 4287 section 4.2.7.2) and write every other
   entry link ourselves, through the extension API (:class:`RelatedEntryExtension`).
2. **Clock in the output**: ``FeedGenerator`` and ``FeedEntry`` default ``updated`` /
   ``lastBuildDate`` to ``datetime.now()``; :func:`new_feed` and the renderers always set
   them from the data.
3. **Advertising itself**: the generator defaults to ``python-feedgen`` with feedgen's
   URI and version, and RSS ``docs`` to an ``http://`` URL; :func:`new_feed` sets both.
4. **RSS channel link is the LAST link added** (``FeedGenerator.link`` copies
   ``self.__atom_link[-1]`` although its comment says "first"): :func:`feed_links` adds
   the alternate link last.
5. **RSS gets only the first ``rel="self"`` link**: WebSub ``rel="hub"`` links never
   reach the RSS channel; :class:`RssChannelExtension` writes them as ``atom:link``.
6. **feedgen's own media extension** wraps everything in ``media:group`` (group
   ``"default"``) and has no ``media:player``; :class:`MediaEntryExtension` writes
   ``media:content`` / ``media:thumbnail`` / ``media:player`` straight into the item.
7. **add_entry() prepends** by default: :func:`add_entry` always appends, so entries keep
   the selection's newest-first order.
8. **HTML content as escaped text only**: ``FeedEntry.content(type="CDATA")`` would write
   ``type="CDATA"`` into Atom, and escaped text costs ``&lt;``/``&gt;`` per tag and
   meets parsers that do not decode every character reference (fast-xml-parser, behind
   several JavaScript feed libraries, leaves ``&#x3C;`` as it is).
   :class:`BodyEntryExtension` writes the item body as a CDATA section: Atom
   ``content type="html"``, RSS ``content:encoded`` (last in the item, after
   ``description``).
9. **Atom text constructs are always written untyped** (plain text): feedgen has no
   ``type`` for feed/entry ``title``, ``subtitle`` or ``rights``. Text that holds the end
   tag of an HTML element (``</b>``, in an editor's site title, say) is what readers
   and the W3C validator (ContainsUndeclaredHTML) take for markup; :class:`AtomTextExtension`
   declares such a construct ``type="html"`` and escapes it, so every reader shows
   exactly the text. Record text never needs it (the reader removed element markup).
10. **No feed-level foreign elements**: feedgen offers no way to add an element of
    another namespace to the Atom feed itself; :class:`TombstoneExtension` writes the
    RFC 6721 ``at:deleted-entry`` elements, registered by :func:`add_tombstones` only
    for a feed that has some, so every other feed stays free of the ``at`` namespace.

feedgen writes Atom elements without a namespace and declares the default namespace by
hand on the root, so Atom elements we add to an Atom entry are plain ``link`` elements;
in RSS they are ``{ATOM_NS}link``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from feedgen.entry import FeedEntry  # type: ignore[import-untyped]
from feedgen.ext.base import BaseEntryExtension, BaseExtension  # type: ignore[import-untyped]
from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from lxml import etree

from syndicate.model import Image, RelatedLink
from syndicate.plaintext import ELEMENTS
from syndicate.render.common import clean, url

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
DC_NS = "http://purl.org/dc/elements/1.1/"
TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721

RSS_DOCS = "https://www.rssboard.org/rss-specification"

_MEDIA = "syndicate_media"
_RELATED = "syndicate_related"
_RSS = "syndicate_rss"
_BODY = "syndicate_body"
_TEXT = "syndicate_text"
_TOMBSTONES = "syndicate_tombstones"


class MediaFeedExtension(BaseExtension):  # type: ignore[misc]
    def extend_ns(self) -> dict[str, str]:
        return {"media": MEDIA_NS}


class MediaEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Media RSS (https://www.rssboard.org/media-rss) for one item, Atom and RSS alike:
    ``media:thumbnail`` for the lead image, ``media:content medium="image"`` for every
    image (with width/height when known), and ``media:player`` for a video embed.

    The player sits at item level (Media RSS allows its optional elements there) rather
    than in a url-less ``media:content``: feedparser would turn that into a
    ``media_content`` entry without ``url``, which breaks consumers indexing ``["url"]``.
    """

    def __init__(self) -> None:
        self.images: tuple[Image, ...] = ()
        self.player: str | None = None

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        if self.images:
            lead = self.images[0]
            etree.SubElement(entry, f"{{{MEDIA_NS}}}thumbnail", _image_attrs(lead))
        for image in self.images:
            attrs = {"url": url(image.url), "medium": "image"}
            attrs.update(_size_attrs(image))
            etree.SubElement(entry, f"{{{MEDIA_NS}}}content", attrs)
        if self.player:
            etree.SubElement(entry, f"{{{MEDIA_NS}}}player", {"url": url(self.player)})
        return entry

    def extend_rss(self, item: etree._Element) -> etree._Element:
        return self.extend_atom(item)


def _size_attrs(image: Image) -> dict[str, str]:
    # Media RSS sizes are positive integers; anything else is left out, not written.
    attrs = {}
    if image.width is not None and image.width > 0:
        attrs["width"] = str(image.width)
    if image.height is not None and image.height > 0:
        attrs["height"] = str(image.height)
    return attrs


def _image_attrs(image: Image) -> dict[str, str]:
    attrs = {"url": url(image.url)}
    attrs.update(_size_attrs(image))
    return attrs


class RelatedEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Atom ``link rel="related"`` per related article (bug 1 above). RSS has no
    equivalent core element; RSS items carry none."""

    def __init__(self) -> None:
        self.related: tuple[RelatedLink, ...] = ()

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for link in self.related:
            attrs = {"rel": "related", "href": url(link.url)}
            title = clean(link.title)
            if title:
                attrs["title"] = title
            etree.SubElement(entry, "link", attrs)
        return entry


class RssChannelExtension(BaseExtension):  # type: ignore[misc]
    """RSS channel: ``atom:link rel="hub"`` per WebSub hub (bug 5); declares ``dc``."""

    def __init__(self) -> None:
        self.hubs: tuple[str, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {"dc": DC_NS}

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        channel = rss.find("channel")
        assert channel is not None  # feedgen always creates it before extensions run
        # feedgen put the self link right after <description>; the hubs go beside it.
        anchor = channel.find(f"{{{ATOM_NS}}}link")
        position = list(channel).index(anchor) + 1 if anchor is not None else len(channel)
        for offset, hub in enumerate(self.hubs):
            link = etree.Element(f"{{{ATOM_NS}}}link", {"href": url(hub), "rel": "hub"})
            channel.insert(position + offset, link)
        return rss


class RssItemExtension(BaseEntryExtension):  # type: ignore[misc]
    """``dc:creator``: RSS ``author`` must be an e-mail address, a provider has none."""

    def __init__(self) -> None:
        self.creator: str | None = None

    def extend_rss(self, item: etree._Element) -> etree._Element:
        if self.creator:
            etree.SubElement(item, f"{{{DC_NS}}}creator").text = clean(self.creator)
        return item


class BodyEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """The item's HTML body as CDATA (bug 8): Atom ``content type="html"``, RSS
    ``content:encoded`` (feedgen declares the ``content`` prefix on every RSS root)."""

    def __init__(self) -> None:
        self.html: str = ""

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        if self.html:
            etree.SubElement(entry, "content", type="html").text = _cdata(self.html)
        return entry

    def extend_rss(self, item: etree._Element) -> etree._Element:
        if self.html:
            etree.SubElement(item, f"{{{CONTENT_NS}}}encoded").text = _cdata(self.html)
        return item


# The end tag of an HTML element: what makes readers and the W3C validator take plain
# text for markup (ContainsUndeclaredHTML looks at end tags only; `&` and `<` in text are
# written as hexadecimal references, which it does not take for HTML).
_END_TAG = re.compile(r"</(\w+)\s*>")
_TEXT_CONSTRUCTS = frozenset(("title", "subtitle", "rights", "summary"))


def holds_element_end_tag(text: str) -> bool:
    return any(name.lower() in ELEMENTS for name in _END_TAG.findall(text))


def _declare_html(parent: etree._Element) -> etree._Element:
    """Bug 9: each text construct child of ``parent`` that would read as HTML becomes
    escaped ``type="html"`` (the feed's own, or one entry's)."""
    for el in parent:
        if (el.tag in _TEXT_CONSTRUCTS and el.get("type", "text") == "text"
                and el.text and holds_element_end_tag(el.text)):
            el.set("type", "html")
            el.text = html.escape(el.text, quote=False)
    return parent


class AtomTextExtension(BaseExtension):  # type: ignore[misc]
    def extend_atom(self, feed: etree._Element) -> etree._Element:
        return _declare_html(feed)  # feedgen calls this before adding the entries


class AtomTextEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    def extend_atom(self, entry: etree._Element) -> etree._Element:
        return _declare_html(entry)


def _cdata(html: str) -> etree.CDATA | str:
    # A CDATA section cannot hold "]]>". The body never has one (">" in record text is
    # escaped, and no tag of ours ends in "]]"); if it ever did, escaped text says the same.
    return etree.CDATA(html) if "]]>" not in html else html


class TombstoneExtension(BaseExtension):  # type: ignore[misc]
    """Atom feed: one ``at:deleted-entry ref when`` per withdrawn story (RFC 6721),
    after the entries. feedgen has no feed-level hook for foreign elements other than
    an extension; registered only for a feed that has tombstones, so every other feed
    stays free of the namespace declaration."""

    def __init__(self) -> None:
        self.tombstones: tuple[tuple[str, datetime], ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {"at": TOMBSTONES_NS}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        for ref, when in self.tombstones:
            etree.SubElement(feed, f"{{{TOMBSTONES_NS}}}deleted-entry",
                             {"ref": ref, "when": when.isoformat()})
        return feed


def add_tombstones(fg: FeedGenerator, tombstones: Sequence[tuple[str, datetime]]) -> None:
    """Announce withdrawn stories in the Atom feed (RSS and JSON Feed have no standard
    for it and get nothing)."""
    fg.register_extension(_TOMBSTONES, TombstoneExtension, None, rss=False)
    cast(TombstoneExtension, getattr(fg, _TOMBSTONES)).tombstones = tuple(tombstones)


def new_feed(*, updated: datetime, generator: str, version: str | None) -> FeedGenerator:
    """A FeedGenerator with our extensions and nothing defaulted from the clock or
    from feedgen (bugs 2 and 3)."""
    fg = FeedGenerator()
    # Extensions write in this order. dc:creator goes before the media elements:
    # feedparser-rs 0.7 loses a dc:creator that follows a media:player.
    fg.register_extension(_RSS, RssChannelExtension, RssItemExtension, atom=False)
    fg.register_extension(_MEDIA, MediaFeedExtension, MediaEntryExtension)
    fg.register_extension(_RELATED, BaseExtension, RelatedEntryExtension, rss=False)
    fg.register_extension(_BODY, BaseExtension, BodyEntryExtension)
    fg.register_extension(_TEXT, AtomTextExtension, AtomTextEntryExtension, rss=False)
    fg.updated(updated)  # also RSS lastBuildDate
    fg.generator(generator, version=version)  # no uri: name and version only
    fg.docs(RSS_DOCS)
    return fg


def feed_links(fg: FeedGenerator, *, self_url: str, self_type: str, alternate: str,
               hubs: Sequence[str]) -> None:
    """Feed-level links: self, hubs, then alternate LAST (bug 4: RSS takes the last)."""
    fg.link(href=self_url, rel="self", type=self_type)
    for hub in hubs:
        fg.link(href=url(hub), rel="hub")
    fg.link(href=alternate, rel="alternate", type="text/html")
    cast(RssChannelExtension, getattr(fg, _RSS)).hubs = tuple(hubs)


def add_entry(fg: FeedGenerator) -> FeedEntry:
    """A new entry after the ones already added (bug 7)."""
    return cast(FeedEntry, fg.add_entry(order="append"))


def set_entry_extras(entry: FeedEntry, *, images: Sequence[Image], player: str | None,
                     related: Sequence[RelatedLink], creator: str | None,
                     body: str) -> None:
    """Everything about an entry that must not go through feedgen's own setters
    (bugs 1, 6 and 8)."""
    media = cast(MediaEntryExtension, getattr(entry, _MEDIA))
    media.images = tuple(images)
    media.player = player
    cast(RelatedEntryExtension, getattr(entry, _RELATED)).related = tuple(related)
    cast(RssItemExtension, getattr(entry, _RSS)).creator = creator
    cast(BodyEntryExtension, getattr(entry, _BODY)).html = body
