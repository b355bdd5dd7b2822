"""Reader lints: legal feeds that real readers mishandle (docs/checks.md, "Reader lints").

Each lint is reported at most once per document, at the first place it applies, with a
count, so a large feed gives one line per problem rather than one per item. Sources for
each reader's behaviour are in docs/checks.md. The JSON Feed lints are in
lints_json.py (a run over XML feeds never imports the JSON machinery).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from lxml import etree

from syndicate.check.findings import Finding, Format, finding
from syndicate.check.tree import XML_NS, line_of, split, text

FEEDBURNER_BYTES = 512 * 1024
# (bytes, what happens there), checked from the largest down.
_SIZE_CAPS = ((7_000_000, "theoldreader refused a 7 MB feed"),
              (5 * 1024 * 1024, "CommaFeed stops at 5 MiB"))
MAX_ITEMS = 3000  # Inoreader refuses feeds with more items

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1_NS = "http://purl.org/rss/1.0/"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
IMG_TAG = re.compile(r"<img\b", re.IGNORECASE)
_A = "{" + ATOM_NS + "}"
_USERLAND = "{http://backend.userland.com/rss2}"


def size_lint(size: int, fmt: Format) -> list[Finding]:
    """A feed over FeedBurner's 512 KB, naming the larger caps it also passes."""
    if fmt not in ("atom", "rss", "jsonfeed") or size <= FEEDBURNER_BYTES:
        return []
    worse = next((why for cap, why in _SIZE_CAPS if size > cap), None)
    return [finding("lint.feed-too-large",
                    f"the feed is {size} bytes, over FeedBurner's 512 KB limit"
                    + (f"; {worse}" if worse else "; CommaFeed caps at 5 MiB, Miniflux at "
                       "15 MiB") + ": keep fewer or shorter items", 1)]


def summary(code: str, lines: Sequence[int | None], total: int, what: str) -> list[Finding]:
    if not lines:
        return []
    first = next((n for n in lines if n is not None), None)
    return [finding(code, f"{len(lines)} of {total} {what} (the first here)", first)]


# --- XML (Atom and RSS) -------------------------------------------------------------------

def _items(root: etree._Element) -> list[etree._Element]:
    ns, name = split(root.tag)
    if ns == ATOM_NS:
        return list(root.iterchildren(_A + "entry")) if name == "feed" else [root]
    if (ns, name) == (RDF_NS, "RDF"):
        return list(root.iterchildren(f"{{{RSS1_NS}}}item"))
    channel = next(root.iterchildren("channel", _USERLAND + "channel"), None)
    if channel is None:
        return []
    return list(channel.iterchildren("item", _USERLAND + "item"))


_M = "{" + MEDIA_NS + "}"
_MEDIA_TAGS = frozenset((_M + "thumbnail", _M + "content"))
_ENCLOSURE_TAGS = frozenset((_A + "link", "enclosure", _USERLAND + "enclosure"))
_BODY_TAGS = frozenset((_A + "content", _A + "summary", "description",
                        _USERLAND + "description", f"{{{RSS1_NS}}}description",
                        _CONTENT_ENCODED))


def _media_image(el: etree._Element) -> bool:
    return el.tag == _M + "thumbnail" or el.get("medium") == "image" \
        or (el.get("type") or "").lower().startswith("image/")


def _shown_image(el: etree._Element) -> bool:
    """An image enclosure, or an HTML/XHTML body holding an <img>."""
    tag = el.tag
    if tag in _ENCLOSURE_TAGS:
        return (tag != _A + "link" or (el.get("rel") or "").strip() == "enclosure") \
            and (el.get("type") or "").lower().startswith("image/")
    if el.get("type") == "xhtml":
        return next(el.iter(f"{{{XHTML_NS}}}img"), None) is not None
    return IMG_TAG.search(text(el)) is not None


def _images_only_in_media(item: etree._Element) -> bool:
    """One pass over the item's children (media:content may sit in a media:group)."""
    media = False
    for el in item:
        tag = el.tag
        if tag in _MEDIA_TAGS:
            media = media or _media_image(el)
        elif tag == _M + "group":
            media = media or any(c.tag in _MEDIA_TAGS and _media_image(c) for c in el)
        elif (tag in _ENCLOSURE_TAGS or tag in _BODY_TAGS) and _shown_image(el):
            return False
    return media


def _absolute_base(el: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        base = node.get(XML_NS + "base")
        if base is not None and not is_relative(base.strip()):
            return True
        node = node.getparent()
    return False


def _atom_references(root: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """The IRI references an Atom document carries (the self link is judged elsewhere:
    atom.link.relative-self)."""
    for el in root.iter(_A + "link", _A + "content", _A + "icon", _A + "logo", _A + "uri"):
        name = el.tag[len(_A):]
        if name == "link":
            value = el.get("href") if (el.get("rel") or "").strip() != "self" else None
        elif name == "content":
            value = el.get("src")
        else:
            value = el.text
        if value is not None and value.strip():
            yield el, value.strip()


# What urlsplit() takes for a scheme when nothing precedes it: a value matching this has
# one (the common case, decided without building a SplitResult per URL).
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def is_relative(value: str) -> bool:
    """Whether the value is a relative reference: urlsplit() finds no scheme (a malformed
    URL is not one: the format rules report it)."""
    if _HAS_SCHEME.match(value) is not None:
        return False
    try:
        return not urlsplit(value).scheme
    except ValueError:
        return False


def xml_lints(root: etree._Element) -> list[Finding]:
    """Lints for an Atom or RSS document rooted at ``root``."""
    items = _items(root)
    found = []
    if len(items) > MAX_ITEMS:
        found.append(finding("lint.too-many-items",
                             f"{len(items)} items; Inoreader refuses feeds with more than "
                             f"{MAX_ITEMS}", line_of(root)))
    media_only = [line_of(item) for item in items if _images_only_in_media(item)]
    found += summary("lint.images-only-in-media", media_only, len(items),
                      "items have images only in media:thumbnail/media:content: NetNewsWire, "
                      "Fluent Reader and Mailchimp read the HTML body (or enclosures) and show "
                      "none; put an <img> in the content")
    if split(root.tag)[0] == ATOM_NS:
        bare: list[int | None] = []
        based: list[int | None] = []
        for el, value in _atom_references(root):
            if is_relative(value):
                (based if _absolute_base(el) else bare).append(line_of(el))
        count = len(bare) + len(based)
        found += summary("lint.relative-url", bare, count,
                          "relative URLs have no absolute xml:base: readers resolve them "
                          "against whatever they guess, or not at all; write absolute URLs")
        found += summary("lint.relative-url-xml-base", based, count,
                          "relative URLs rely on xml:base, which Feedbin, Thunderbird, "
                          "follow.it and Mailchimp ignore; write absolute URLs")
    return found
