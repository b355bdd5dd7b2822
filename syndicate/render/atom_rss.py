"""Atom 1.0 (RFC 4287) and RSS 2.0 through feedgen; its traps are handled in
:mod:`syndicate.render.feedgen_ext`.

Mapping, the same for every feed that carries an article:

- id: :func:`~syndicate.render.common.entry_id` (Atom ``id``; RSS ``guid
  isPermaLink="false"``, since it is not the article URL);
- title as text (RSS: see :func:`rss_title`); one alternate link, the article URL;
- published / updated (RFC 3339 in Atom; RSS ``pubDate`` = published, RFC 822);
- summary = excerpt (the title when there is none): Atom ``summary type="text"``; RSS ``description`` holds HTML by
  convention, so the excerpt is HTML-escaped there and readers show it as written;
- author = provider: Atom ``author`` name + uri ``https://<domain>/``; RSS
  ``dc:creator`` (RSS ``author`` must be an e-mail address);
- categories = topics: term and label = the topic's display name, scheme = the topic
  feeds' folder URL (RSS: text + ``domain``);
- body = :func:`~syndicate.render.body.item_html` (image, excerpt, source, topics,
  related coverage): Atom ``content type="html"``; RSS ``content:encoded``, after a
  ``description`` that every item then has (the title stands in for a missing excerpt:
  the W3C validator wants a description before content:encoded);
- Media RSS images and video player; Atom ``link rel="related"`` for related coverage.

No RSS ``enclosure`` for the lead image: its ``length`` (bytes) and ``type`` would have
to be invented, since records give neither (README, "Entries").
"""

from __future__ import annotations

import html
import html.entities
import re

from feedgen.entry import FeedEntry  # type: ignore[import-untyped]
from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

from syndicate.archive import archive_links
from syndicate.config import Config, Format
from syndicate.model import Article
from syndicate.plaintext import ELEMENTS
from syndicate.plan import FeedPlan, topic_scheme
from syndicate.render.archive_links import add_archive_links
from syndicate.render.body import item_html
from syndicate.render.common import (
    GENERATOR,
    GENERATOR_VERSION,
    MEDIA_TYPES,
    clean,
    entry_id,
    feed_author,
    provider_name,
    provider_uri,
    topic_names,
    url,
    utc,
    utc_us,
)
from syndicate.render.feedgen_ext import (
    add_entry,
    add_tombstones,
    feed_links,
    holds_element_end_tag,
    new_feed,
    set_entry_extras,
)


def render_atom(plan: FeedPlan, config: Config) -> bytes:
    """The plan as an Atom 1.0 document, UTF-8, pretty-printed. Pure."""
    fg = _feed(plan, config, "atom")
    site = config.site
    fg.author(name=feed_author(config))
    if site.icon:
        fg.icon(url(site.icon))
    if site.logo:
        fg.logo(url(site.logo))
    for article in plan.items:
        entry = _entry(fg, article, config)
        # Without an excerpt the title stands in: readers that show summaries (and
        # list views) need a plain text, not the HTML body.
        entry.summary(clean(article.excerpt) or entry.title(), type="text")
        if article.provider is not None:
            entry.author(name=provider_name(article.provider), uri=provider_uri(article.provider))
    if plan.withdrawn:
        add_tombstones(fg, [(t.ref, utc_us(t.when_us)) for t in plan.withdrawn])
    return _hex_references(bytes(fg.atom_str(pretty=True, encoding="UTF-8",
                                              xml_declaration=True)))


# What makes readers take an RSS title for HTML: feedparser (mixin.looks_like_html)
# wants an end tag or a reference, every tag-like name an HTML element and every named
# reference a defined one; the W3C validator's ContainsHTML looks for the same signs.
_END_TAG_OR_REFERENCE = re.compile(r"</\w+>|&#?\w+;")
_TAG_NAME = re.compile(r"</?(\w+)")
_REFERENCE_NAME = re.compile(r"&(\w+);")


def _read_as_html(text: str) -> bool:
    if not _END_TAG_OR_REFERENCE.search(text):
        return False
    if any(name.lower() not in ELEMENTS for name in _TAG_NAME.findall(text)):
        return False  # 'List<T> </T>' is no HTML to anyone
    return all(name in html.entities.entitydefs for name in _REFERENCE_NAME.findall(text))


def rss_title(text: str) -> str:
    """An RSS title element's text for the plain-text ``text``.

    RSS 2.0 does not say whether a title is plain text or HTML; readers guess, and
    text that looks like markup (``</b>``, ``&amp;``) is taken for HTML and rendered
    or sanitised. Such a title is therefore written entity-encoded (HTML whose
    rendering is exactly ``text``); every other title, look-alikes such as
    ``List<T> </T>`` or ``<3`` included, is written as it is, which every reader shows
    as written. (The reader has already removed every tag of an HTML element.)
    """
    if _read_as_html(text) or holds_element_end_tag(text):
        # The second: what the W3C validator takes for HTML (ContainsHTML), even where
        # a look-alike tag (<News>) keeps feedparser from guessing HTML; escaped, both
        # read the text.
        return html.escape(text, quote=False)
    return text


def _gif_jpeg_or_png(logo: str) -> bool:
    """RSS 2.0 wants a GIF, JPEG or PNG channel image; a logo whose URL names another
    type (.svg, .webp) stays out of RSS (Atom's logo may be any image). Judged by the
    extension after the last dot, as the W3C validator does (ImageUrlFormat)."""
    ext = logo.rsplit(".", 1)[-1].lower()
    return not re.fullmatch(r"\w+", ext) or ext in ("gif", "jpg", "jpeg", "png")


_AMP_OR_LT = re.compile(rb"&(?:amp|lt);")
_HEX = {b"&amp;": b"&#x26;", b"&lt;": b"&#x3C;"}


def _hex_in_text(ref: re.Match[bytes]) -> bytes:
    # In a tag when the last '<' before it is after the last '>' (lxml writes '<' and
    # '>' inside attribute values as references, so raw ones are always markup).
    document, at = ref.string, ref.start()
    tag = document.rfind(b"<", 0, at)
    if tag > document.rfind(b">", 0, at):
        # In an attribute value: only Atom's human-readable ones (category label, link
        # title) get the hex form, since the W3C validator judges those as text too
        # (ContainsUndeclaredHTML); URLs and terms keep &amp; for parsers that do not
        # decode references in attributes.
        quote = document.rfind(b'="', tag, at)
        name = document[document.rfind(b" ", tag, quote) + 1:quote]
        return _HEX[ref.group()] if name in _TEXT_ATTRIBUTES else ref.group()
    return _HEX[ref.group()]


_TEXT_ATTRIBUTES = frozenset((b"label", b"title"))


def _hex_references(document: bytes) -> bytes:
    """``&`` and ``<`` in character data as hexadecimal character references.

    The RSS Best Practices Profile asks for ``&#x26;`` / ``&#x3C;`` in plain text so that
    it cannot be mistaken for entity-encoded HTML; the W3C validator applies the same
    test to Atom ``type="text"`` constructs (ContainsUndeclaredHTML), so Atom gets it too.
    lxml writes these two characters only as ``&amp;`` / ``&lt;``, so the substitution is
    exact and leaves the document's meaning alone.

    Only character data: attribute values (URLs with query strings, category terms) keep
    ``&amp;``, since some parsers do not decode character references in attributes
    (feedparser-rs 0.7, fast-xml-parser), and the profile's concern is text. CDATA
    sections (the HTML item bodies) are left as they are: there ``&amp;`` is HTML the
    section carries literally, not an XML reference.
    """
    parts: list[bytes] = []
    pos = 0
    while (start := document.find(b"<![CDATA[", pos)) >= 0:
        end = document.index(b"]]>", start) + 3
        parts += (_AMP_OR_LT.sub(_hex_in_text, document[pos:start]), document[start:end])
        pos = end
    parts.append(_AMP_OR_LT.sub(_hex_in_text, document[pos:]))
    return b"".join(parts)


def render_rss(plan: FeedPlan, config: Config) -> bytes:
    """The plan as an RSS 2.0 document, UTF-8, pretty-printed. Pure."""
    fg = _feed(plan, config, "rss")
    fg.ttl(config.feeds.ttl)
    if config.site.logo and _gif_jpeg_or_png(config.site.logo):
        # RSS <image> needs title and link equal to the channel's; feedgen copies them.
        fg.logo(url(config.site.logo))
    for article in plan.items:
        entry = _entry(fg, article, config)
        title = entry.title()
        entry.title(rss_title(title))
        # description is HTML by convention: the plain excerpt (or the title), escaped
        # once; content:encoded carries the full body, after it, as the W3C validator
        # asks (NeedDescriptionBeforeContent).
        entry.description(html.escape(clean(article.excerpt) or title, quote=False))
    return _hex_references(bytes(fg.rss_str(pretty=True, encoding="UTF-8",
                                             xml_declaration=True)))


def _feed(plan: FeedPlan, config: Config, fmt: str) -> FeedGenerator:
    site = config.site
    # Atom has a version attribute; RSS <generator> is one string.
    name, version = ((GENERATOR, GENERATOR_VERSION) if fmt == "atom"
                     else (f"{GENERATOR} {GENERATOR_VERSION}", None))
    fg = new_feed(updated=utc(plan.updated), generator=name, version=version)
    form: Format = "atom" if fmt == "atom" else "rss"
    self_url = url(plan.url(form, config))
    links = archive_links(plan, form, config)
    # An archive page is a document of the same feed (RFC 5005): the feed's id.
    fg.id(url(links.current) if links is not None and links.current else self_url)
    # RSS channel text may be read as HTML (the W3C validator's ContainsHTML applies to
    # all three): title and copyright are encoded like an item title; the description
    # is HTML to feedparser whatever it holds, so it is always escaped, like an item's.
    def text(value: str) -> str:
        return clean(value) if fmt == "atom" else rss_title(clean(value))

    fg.title(text(plan.title))
    subtitle = clean(plan.subtitle)
    fg.subtitle(subtitle if fmt == "atom" else html.escape(subtitle, quote=False))
    fg.language(site.language)
    if site.rights:
        fg.rights(text(site.rights))  # also RSS <copyright>
    # The alternate link is the feed's own HTML page (syndicate.render.pages): a person
    # who meets the raw XML finds the readable version there.
    feed_links(fg, self_url=self_url, self_type=MEDIA_TYPES[fmt],
               alternate=url(plan.page_url(config)),
               hubs=tuple(url(hub) for hub in config.websub.hubs))
    if links is not None:
        add_archive_links(fg, links)
    return fg


def _entry(fg: FeedGenerator, article: Article, config: Config) -> FeedEntry:
    """What Atom and RSS share; format-specific parts are added by the caller."""
    entry = add_entry(fg)
    entry.id(entry_id(article))  # also RSS guid, isPermaLink="false"
    link = url(article.link)
    entry.title(clean(article.title) or link)  # feedgen refuses an empty title
    entry.link(href=link)  # the only link given to feedgen: the alternate one
    entry.published(utc(article.published))  # also RSS pubDate
    entry.updated(utc(article.updated))
    scheme = url(topic_scheme(config))
    for name in topic_names(article):
        entry.category(term=name, label=name, scheme=scheme)
    set_entry_extras(
        entry,
        images=article.images,
        player=article.embed_url,
        related=article.related,
        creator=provider_name(article.provider) if article.provider is not None else None,
        body=item_html(article),
    )
    return entry
