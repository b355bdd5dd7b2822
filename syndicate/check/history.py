"""RFC 5005 archive documents, Atom and RSS alike: a document marked ``fh:archive``
should name its subscription document with a ``current`` link (RFC 5005 section 4;
the W3C Feed Validator's MissingCurrentInArchive warning)."""

from __future__ import annotations

from lxml import etree

from syndicate.check.tree import Sink, line_of

HISTORY_NS = "http://purl.org/syndication/history/1.0"
_ATOM_LINK = "{http://www.w3.org/2005/Atom}link"


def check_archive(parent: etree._Element, sink: Sink, code: str) -> None:
    """``parent``: an Atom feed or an RSS channel (whose links are ``atom:link``)."""
    marker = parent.find(f"{{{HISTORY_NS}}}archive")
    if marker is None:
        return
    if not any(link.get("rel") == "current" for link in parent.iter(_ATOM_LINK)
               if link.getparent() is parent):
        sink.add(code, "archive document (fh:archive) without a link rel=\"current\" to "
                       "its subscription document", line_of(marker))
