"""OPML 2.0 (http://opml.org/spec2.opml) subscription list of every feed.

Three group outlines -- all, topics, providers -- each holding one subscription outline
per feed. A feed is listed once, in its first configured format (Atom, else RSS, else
JSON): importing the list must not subscribe anyone to the same articles three times.
``type="rss"`` is what OPML 2.0 specifies for any feed subscription; a group outline
carries ``text`` only (with a ``title`` and no ``type`` it would look like a broken
subscription: the W3C validator's MissingOutlineType).

OPML's ``text`` may hold encoded HTML, and the W3C validator parses ``text``, ``title``,
``description`` and ``ownerName`` as HTML: a name that could be read as markup is
written entity-encoded (:func:`opml_text`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from lxml import etree

from syndicate.config import Config
from syndicate.plan import Family, FeedPlan
from syndicate.render.common import clean, rfc822, url

_GROUPS: tuple[tuple[Family, str], ...] = (
    ("all", "All articles"),
    ("custom", "Custom feeds"),
    ("topic", "Topics"),
    ("provider", "Providers"),
)


# '<' starts a tag (or an HTML parse error); '&name;' / '&#..' is a reference.
_MARKUP = re.compile(r"<|&#|&\w+;")


def opml_text(text: str) -> str:
    """``text`` for an OPML attribute that may be read as HTML: cleaned, and
    entity-encoded when it contains markup-like characters, so that it shows as written
    whether a reader takes it for text or for HTML. Plain names (``R&D``) stay plain."""
    text = clean(text)
    return html.escape(text, quote=False) if _MARKUP.search(text) else text


def render_opml(plans: Sequence[FeedPlan], config: Config) -> bytes:
    """Every plan as an OPML 2.0 document, UTF-8, pretty-printed. Pure: dated by the
    newest feed, never by the clock."""
    site = config.site
    fmt = config.output.formats[0]
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = opml_text(site.title)
    if plans:
        newest = max(plan.updated for plan in plans)
        etree.SubElement(head, "dateModified").text = rfc822(newest)
    if site.author:
        etree.SubElement(head, "ownerName").text = opml_text(site.author)
    # No <docs>: OPML 2.0 defines it, but the W3C validator does not know it in head and
    # reports it as an undefined element (an error); it is optional and says nothing
    # the version attribute does not.
    body = etree.SubElement(root, "body")
    for family, label in _GROUPS:
        members = [plan for plan in plans if plan.family == family]
        if not members:
            continue
        group = etree.SubElement(body, "outline", text=label)
        for plan in members:
            title = opml_text(plan.title)
            etree.SubElement(group, "outline", {
                "type": "rss",
                "text": title,
                "title": title,
                "description": opml_text(plan.subtitle),
                "xmlUrl": url(plan.url(fmt, config)),
                "htmlUrl": url(site.home_url),
                "language": site.language,
            })
    return bytes(etree.tostring(root, pretty_print=True, encoding="UTF-8",
                                xml_declaration=True))
