"""OPML 2.0 (http://opml.org/spec2.opml) subscription list of every feed.

Three group outlines -- all, topics, providers -- each holding one subscription outline
per feed. A feed is listed once, in its first configured format (Atom, else RSS, else
JSON): importing the list must not subscribe anyone to the same articles three times.
``type="rss"`` is what OPML 2.0 specifies for any feed subscription.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from syndicate.config import Config
from syndicate.plan import Family, FeedPlan
from syndicate.render.common import clean, rfc822, url

_GROUPS: tuple[tuple[Family, str], ...] = (
    ("all", "All articles"),
    ("topic", "Topics"),
    ("provider", "Providers"),
)


def render_opml(plans: Sequence[FeedPlan], config: Config) -> bytes:
    """Every plan as an OPML 2.0 document, UTF-8, pretty-printed. Pure: dated by the
    newest feed, never by the clock."""
    site = config.site
    fmt = config.output.formats[0]
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = clean(site.title)
    if plans:
        newest = max(plan.updated for plan in plans)
        etree.SubElement(head, "dateModified").text = rfc822(newest)
    if site.author:
        etree.SubElement(head, "ownerName").text = clean(site.author)
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    for family, label in _GROUPS:
        members = [plan for plan in plans if plan.family == family]
        if not members:
            continue
        group = etree.SubElement(body, "outline", text=label, title=label)
        for plan in members:
            title = clean(plan.title)
            etree.SubElement(group, "outline", {
                "type": "rss",
                "text": title,
                "title": title,
                "description": clean(plan.subtitle),
                "xmlUrl": url(plan.url(fmt, config)),
                "htmlUrl": url(site.home_url),
                "language": site.language,
            })
    return bytes(etree.tostring(root, pretty_print=True, encoding="UTF-8",
                                xml_declaration=True))
