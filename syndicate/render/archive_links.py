"""RFC 5005 archive links in Atom and RSS (feedgen extension), and in JSON Feed.

feedgen's ``link()`` knows neither ``current`` nor the ``*-archive`` relations, and
has no feed-level hook for the ``fh:archive`` element (see
:mod:`syndicate.render.feedgen_ext`, trap 10): :class:`ArchiveExtension` writes them,
registered only on a feed that has archive links, so every other feed stays free of
the ``fh`` namespace. Atom: ``link`` elements and ``fh:archive`` among the feed's own
elements; RSS (RFC 5005 appendix B): the same as ``atom:link`` inside ``channel``,
beside the ``rel="self"`` one. JSON Feed 1.1 has ``next_url``, "the next page of
older items": a subscription feed's points to its newest archive page, a page's to
the next older page.
"""

from __future__ import annotations

from typing import Any, cast

from feedgen.ext.base import BaseExtension  # type: ignore[import-untyped]
from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from lxml import etree

from syndicate.archive import ArchiveLinks
from syndicate.render.common import url
from syndicate.render.feedgen_ext import ATOM_NS

HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005

_ARCHIVE = "syndicate_archive"


def _links(links: ArchiveLinks) -> list[tuple[str, str]]:
    pairs = [("current", links.current), ("prev-archive", links.prev_archive),
             ("next-archive", links.next_archive)]
    return [(rel, url(href)) for rel, href in pairs if href is not None]


class ArchiveExtension(BaseExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.links = ArchiveLinks(None, None, None, False)

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS} if self.links.is_archive else {}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        for rel, href in _links(self.links):
            etree.SubElement(feed, "link", {"rel": rel, "href": href})
        if self.links.is_archive:
            etree.SubElement(feed, f"{{{HISTORY_NS}}}archive")
        return feed

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        channel = rss.find("channel")
        assert channel is not None  # feedgen always creates it before extensions run
        # After the self link (and the hubs beside it), where readers look for links.
        links = channel.findall(f"{{{ATOM_NS}}}link")
        position = list(channel).index(links[-1]) + 1 if links else len(channel)
        added = [etree.Element(f"{{{ATOM_NS}}}link", {"href": href, "rel": rel})
                 for rel, href in _links(self.links)]
        if self.links.is_archive:
            added.append(etree.Element(f"{{{HISTORY_NS}}}archive"))
        for offset, element in enumerate(added):
            channel.insert(position + offset, element)
        return rss


def add_archive_links(fg: FeedGenerator, links: ArchiveLinks) -> None:
    """Write ``links`` into the feed (Atom or RSS, whichever is rendered)."""
    fg.register_extension(_ARCHIVE, ArchiveExtension, None)
    cast(ArchiveExtension, getattr(fg, _ARCHIVE)).links = links


def json_archive_fields(links: ArchiveLinks | None) -> dict[str, Any]:
    """The JSON Feed keys for ``links``: ``next_url`` when there is an older page."""
    if links is None or links.prev_archive is None:
        return {}
    return {"next_url": url(links.prev_archive)}
